/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * From a syscall's exit to the handler of its operation. Every sys_exit
 * hook comes here once the id passed pa_syscall_candidate(); the
 * per-syscall tracepoints come with a constant id, so the compiler keeps
 * only their own handler in each of those programs.
 */
#ifndef PHIAUDIT_DISPATCH_BPF_H
#define PHIAUDIT_DISPATCH_BPF_H

#include "vmlinux.h"
#include "phiaudit/syscalls.h"
#include "open.bpf.h"
#include "reads.bpf.h"
#include "xfer.bpf.h"
#include "mmap.bpf.h"
#include "change.bpf.h"

/* Entry from every sys_exit hook once the id passed pa_syscall_candidate(). */
static __always_inline int pa_dispatch(struct pt_regs *regs, struct task_struct *task, int compat,
				       enum pa_syscall op, long ret)
{
	switch (op) {
	case PA_SYS_NONE:
		return 0;
	case PA_SYS_READ:
	case PA_SYS_PREAD64:
	case PA_SYS_READV:
	case PA_SYS_PREADV:
	case PA_SYS_PREADV2:
		return pa_handle_rw(task, (int)pa_arg(regs, compat, 0), ret, PA_IO_READ);
	case PA_SYS_WRITE:
	case PA_SYS_PWRITE64:
	case PA_SYS_WRITEV:
	case PA_SYS_PWRITEV:
	case PA_SYS_PWRITEV2:
		return pa_handle_rw(task, (int)pa_arg(regs, compat, 0), ret, PA_IO_WRITE);
	case PA_SYS_SENDFILE:
	case PA_SYS_SPLICE:
	case PA_SYS_COPY_FILE_RANGE:
		return pa_handle_xfer(task, regs, compat, op, ret);
	case PA_SYS_MMAP:
	case PA_SYS_MMAP2:
		return pa_handle_mmap(task, regs, compat, op, ret);
	case PA_SYS_IOCTL:
		return pa_handle_ioctl(task, regs, compat, ret);
	case PA_SYS_CLOSE:
		return pa_handle_close(task, (int)pa_arg(regs, compat, 0));
	case PA_SYS_CLOSE_RANGE:
		if (ret == 0)
			pa_fds_changed(task, PA_HINT_CLOSE_RANGE, (__u32)pa_arg(regs, compat, 0),
				       (__u32)pa_arg(regs, compat, 1));
		return 0;
	case PA_SYS_FCNTL: {
		__u32 cmd = (__u32)pa_arg(regs, compat, 1);

		if (cmd != PA_F_DUPFD && cmd != PA_F_DUPFD_CLOEXEC)
			return 0;
	}
		/* fall through: F_DUPFD is a dup */
	case PA_SYS_DUP:
	case PA_SYS_DUP2:
	case PA_SYS_DUP3:
		return ret >= 0 ? pa_handle_dup(task, ret) : 0;
	default:
		if (pa_syscall_is_change(op))
			return pa_handle_change(task, regs, compat, op, ret);
		if (pa_syscall_is_open(op))
			return pa_handle_open(task, regs, compat, op, ret);
		return 0;
	}
}

static __always_inline int pa_handle_syscall(struct pt_regs *regs, long nr, long ret)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	int compat = pa_task_in_compat_syscall(task);

	return pa_dispatch(regs, task, compat, pa_syscall_classify(nr, compat), ret);
}

#endif /* PHIAUDIT_DISPATCH_BPF_H */
