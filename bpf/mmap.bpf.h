/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * mmap of a tracked file: one event per mapping, with what it made
 * readable (bytes_mapped, clamped to the file). Which pages are touched
 * later is not observable from a syscall hook: page faults make no
 * syscall. So a mapping is recorded apart from bytes read.
 */
#ifndef PHIAUDIT_MMAP_BPF_H
#define PHIAUDIT_MMAP_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "phiaudit/abi.h"
#include "open.bpf.h"

#define PA_MAP_ANONYMOUS 0x20
#define PA_MAX_ERRNO	 4095
#define PA_PAGE_SHIFT	 12

static __always_inline __u64 pa_mapped_bytes(__u64 size, __u64 offset, __u64 length)
{
	if (offset >= size)
		return 0;
	return length < size - offset ? length : size - offset;
}

static __always_inline int pa_handle_mmap(struct task_struct *task, struct pt_regs *regs,
					  int compat, enum pa_syscall op, long ret)
{
	__u32 flags = (__u32)pa_arg(regs, compat, 3);
	struct pa_file_val *fv;
	struct pa_map_event *e;
	struct file *file;
	__u64 offset;

	if ((unsigned long)ret >= (unsigned long)-PA_MAX_ERRNO || (flags & PA_MAP_ANONYMOUS))
		return 0;
	file = pa_fd_file(task, (int)pa_arg(regs, compat, 4));
	fv = file ? pa_tracked(file) : NULL;
	if (!fv || (bpf_get_current_pid_tgid() >> 32) == pa_agent_tgid)
		return 0;
	offset = pa_arg(regs, compat, 5);
	if (op == PA_SYS_MMAP2)
		offset <<= PA_PAGE_SHIFT;
	e = pa_reserve(sizeof(*e));
	if (!e)
		return 0;
	__builtin_memset(e, 0, sizeof(*e));
	pa_fill_proc_of(&e->proc, task);
	e->file = (__u64)file;
	e->open_seq = fv->open_seq;
	e->addr = (__u64)ret;
	e->length = pa_arg(regs, compat, 1);
	e->offset = offset;
	e->file_size = BPF_CORE_READ(file, f_inode, i_size);
	e->bytes_mapped = pa_mapped_bytes(e->file_size, offset, e->length);
	e->file_ino = fv->ino;
	e->file_dev = fv->dev;
	e->watch_id = fv->watch_id;
	e->prot = (__u32)pa_arg(regs, compat, 2);
	e->flags = flags;
	e->syscall = op;
	e->compat = compat;
	pa_hdr_fill(&e->hdr, PA_EV_MAP, sizeof(*e));
	pa_submit(e, sizeof(*e));
	pa_count(PA_CNT_MAPS);
	return 0;
}

#endif /* PHIAUDIT_MMAP_BPF_H */
