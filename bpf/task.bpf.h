/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Who is making the syscall: identity fields read from the current task. */
#ifndef PHIAUDIT_TASK_BPF_H
#define PHIAUDIT_TASK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "phiaudit/abi.h"

/* The agent's own process: its syscalls are not audited (no feedback loop). */
const volatile __u32 pa_agent_tgid = 0;
/* Set by the agent when the kernel has bpf_loop (5.17+): without it, no
 * routes for denied opens and no in-kernel fd scans (the sweep does it). */
const volatile __u8 pa_have_bpf_loop = 0;

/* The process's start (its group leader's), CLOCK_BOOTTIME: with the tgid,
 * names one process; a reused pid has another start. */
static __always_inline __u64 pa_task_start(struct task_struct *task)
{
	return BPF_CORE_READ(task, group_leader, start_boottime);
}

/* x86 thread_info.status bit set while a 32-bit syscall runs. */
#define PA_TS_COMPAT 0x0002

static __always_inline int pa_task_in_compat_syscall(struct task_struct *task)
{
	if (!bpf_core_field_exists(task->thread_info.status))
		return 0;
	return (BPF_CORE_READ(task, thread_info.status) & PA_TS_COMPAT) != 0;
}

/* Has the last thread of @task's process begun to exit? Its descriptors
 * are about to close without a close syscall. */
static __always_inline int pa_task_group_dead(struct task_struct *task)
{
	return BPF_CORE_READ(task, signal, live.counter) == 0;
}

/* Who @task is: the current task at a hook, any task in an iterator. */
static __always_inline void pa_fill_proc_of(struct pa_proc *p, struct task_struct *task)
{
	const struct cred *cred = BPF_CORE_READ(task, cred);

	p->tgid = BPF_CORE_READ(task, tgid);
	p->tid = BPF_CORE_READ(task, pid);
	p->uid = BPF_CORE_READ(cred, uid.val);
	p->gid = BPF_CORE_READ(cred, gid.val);
	p->euid = BPF_CORE_READ(cred, euid.val);
	p->egid = BPF_CORE_READ(cred, egid.val);
	p->ppid = BPF_CORE_READ(task, real_parent, tgid);
	p->auid = (__u32)-1;
	p->sessionid = (__u32)-1;
	if (bpf_core_field_exists(task->loginuid)) {
		p->auid = BPF_CORE_READ(task, loginuid.val);
		p->sessionid = BPF_CORE_READ(task, sessionid);
	}
	p->mnt_ns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	p->start_ns = pa_task_start(task);
	p->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	bpf_probe_read_kernel_str(p->comm, sizeof(p->comm), &task->comm);
}

/* The struct file behind a descriptor of @task, or NULL. */
static __always_inline struct file *pa_fd_file(struct task_struct *task, int fd)
{
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	struct file **fds;
	struct file *f = NULL;

	if (fd < 0 || (unsigned int)fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	return f;
}

#endif /* PHIAUDIT_TASK_BPF_H */
