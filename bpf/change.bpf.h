/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Changes under watched trees: truncate, unlink, rmdir, rename, link,
 * chmod, chown, setxattr, removexattr, by path or by fd, at sys_exit.
 *
 * By fd the file is a kernel object: its scope and names are exact. By
 * path there is none left at the hook (the name is gone after an unlink),
 * so the string, with the kernel's cwd or dirfd, is used, as for denied
 * opens: PA_PATH_FROM_USER, path_source "user" in the record.
 *
 * rename and link have two names: both are sent, OLD then NEW (which names
 * OLD's seq), when either is in a watched tree, so a file moved out of
 * scope is recorded with where it went.
 */
#ifndef PHIAUDIT_CHANGE_BPF_H
#define PHIAUDIT_CHANGE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "phiaudit/abi.h"
#include "phiaudit/syscalls.h"
#include "open.bpf.h"
#include "describe.bpf.h"

/*
 * The changed file into @s: by fd (f* calls, and *at calls with
 * AT_EMPTY_PATH and an empty string), else by (dirfd, string).
 * Returns the data length, or -1.
 */
static __always_inline int pa_change_part(struct pa_open_scratch *s, struct task_struct *task,
					  int fd, __s32 dirfd, __u64 upath, __u32 flags,
					  __u32 keep_out)
{
	char first = 0;

	if (fd < 0 && upath && (flags & PA_AT_EMPTY_PATH)) {
		bpf_probe_read_user(&first, 1, (void *)upath);
		if (!first)
			fd = dirfd;
	}
	if (fd >= 0)
		return pa_file_part(s, (__u64)pa_fd_file(task, fd), keep_out);
	return pa_path_part(s, (__u64)task, dirfd, upath, keep_out);
}

/* The call's arguments other than names: mode, owner, length, flags. */
static __always_inline void pa_change_args(struct pa_open_scratch *s, struct pt_regs *regs,
					   int compat, const struct pa_change_args_layout *l,
					   long ret)
{
	s->ev.ret = ret;
	s->ev.dirfd = l->dirfd >= 0 ? (__s32)pa_arg(regs, compat, l->dirfd) : PA_AT_FDCWD;
	s->ev.flags = l->flags >= 0 ? (__u32)pa_arg(regs, compat, l->flags) : 0;
	if (l->mode >= 0)
		s->ev.mode = (__u32)pa_arg(regs, compat, l->mode);
	if (l->uid >= 0)
		s->ev.arg = (pa_arg(regs, compat, l->uid) << 32) |
			    (__u32)pa_arg(regs, compat, l->uid + 1);
	if (l->length >= 0)
		s->ev.arg = pa_arg(regs, compat, l->length);
}

/* An xattr's name, after the names (@off): PA_NAME_MAX at most. */
static __always_inline __u32 pa_change_xattr_name(struct pa_open_scratch *s, __u32 off,
						  __u64 uname)
{
	long n;

	if (!uname || off >= PA_DATA_MAX)
		return 0;
	barrier_var(off); /* else clang drops the mask as redundant */
	n = bpf_probe_read_user_str(&s->data[off & (PA_DATA_MAX - 1)], PA_NAME_MAX,
				    (void *)uname);
	if (n <= 0)
		return 0;
	s->ev.name_len = n;
	return n;
}

static __always_inline void pa_change_emit(struct task_struct *task, struct pa_open_scratch *s,
					   int len)
{
	pa_emit_proc((__u64)BPF_CORE_READ(task, group_leader));
	pa_emit_as(s, PA_EV_CHANGE, len);
	pa_count(PA_CNT_CHANGES);
}

/* rename and link: both names, when either is in a watched tree. */
static __always_inline int pa_change_pair(struct task_struct *task, struct pt_regs *regs,
					  int compat, enum pa_syscall op,
					  const struct pa_change_args_layout *l,
					  struct pa_open_scratch *s, long ret)
{
	struct pa_open_scratch *n = pa_scratch(task, 1, op, compat);
	int len, nlen;

	if (!n)
		return 0;
	len = pa_change_part(s, task, -1, s->ev.dirfd, pa_arg(regs, compat, l->path),
			     (__u32)s->ev.flags, 1);
	pa_change_args(n, regs, compat, l, ret);
	n->ev.dirfd = l->newdirfd >= 0 ? (__s32)pa_arg(regs, compat, l->newdirfd) : PA_AT_FDCWD;
	n->ev.role = PA_ROLE_NEW;
	/* (AT_EMPTY_PATH is about the old name only) */
	nlen = pa_path_part(n, (__u64)task, n->ev.dirfd, pa_arg(regs, compat, l->newpath), 1);
	if (!(len >= 0 && s->ev.scope == PA_SCOPE_IN) && !(nlen >= 0 && n->ev.scope == PA_SCOPE_IN))
		return 0;
	if (len >= 0) {
		s->ev.role = PA_ROLE_OLD;
		s->ev.hdr.seq = pa_next_seq();
		n->ev.pair_seq = s->ev.hdr.seq;
		pa_change_emit(task, s, len);
	}
	if (nlen >= 0)
		pa_change_emit(task, n, nlen);
	return 0;
}

static __always_inline int pa_handle_change(struct task_struct *task, struct pt_regs *regs,
					    int compat, enum pa_syscall op, long ret)
{
	struct pa_change_args_layout l = pa_change_layout(op);
	struct pa_open_scratch *s;
	int len;

	/* Done, or refused: an attempt on patient data is worth a record. */
	if (ret < 0 && ret != -PA_EACCES && ret != -PA_EPERM)
		return 0;
	if ((bpf_get_current_pid_tgid() >> 32) == pa_agent_tgid)
		return 0;
	s = pa_scratch(task, 0, op, compat);
	if (!s)
		return 0;
	pa_change_args(s, regs, compat, &l, ret);
	if (l.newpath >= 0)
		return pa_change_pair(task, regs, compat, op, &l, s, ret);
	len = pa_change_part(s, task, l.fd >= 0 ? (int)pa_arg(regs, compat, l.fd) : -1,
			     s->ev.dirfd, l.path >= 0 ? pa_arg(regs, compat, l.path) : 0,
			     (__u32)s->ev.flags, 0);
	if (len < 0)
		return 0;
	if (l.name >= 0)
		len += pa_change_xattr_name(s, len, pa_arg(regs, compat, l.name));
	pa_change_emit(task, s, len);
	return 0;
}

#endif /* PHIAUDIT_CHANGE_BPF_H */
