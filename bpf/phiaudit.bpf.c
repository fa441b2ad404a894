// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * phiaudit's kernel programs. Thin hook wrappers; the logic lives in the
 * *.bpf.h helpers. The agent loads exactly one sys_exit backend, chosen by
 * probing at start-up (see userspace/loader.c):
 *
 *   tp_btf/sys_exit      one program for every syscall, compat included
 *   raw_tp/sys_exit      the same where BTF-typed tracepoints are refused
 *   tracepoint/syscalls  per-syscall fallback; cannot see 32-bit syscalls
 *
 * with the process exit and exec hooks of the same kind, and iterators:
 * identity of the watches, discovery of files already open, the sweep.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "phiaudit/abi.h"
#include "dispatch.bpf.h"
#include "uring.bpf.h"
#include "sweep.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sys_exit")
int BPF_PROG(pa_sys_exit_btf, struct pt_regs *regs, long ret)
{
	/* A direct load: the cheapest possible reject on every syscall. */
	long nr = regs->orig_ax;

	if (!pa_syscall_candidate(nr))
		return 0;
	return pa_handle_syscall(regs, nr, ret);
}

SEC("raw_tp/sys_exit")
int BPF_PROG(pa_sys_exit_raw, struct pt_regs *regs, long ret)
{
	long nr = BPF_CORE_READ(regs, orig_ax);

	if (!pa_syscall_candidate(nr))
		return 0;
	return pa_handle_syscall(regs, nr, ret);
}

/*
 * Per-syscall fallback: the task's saved user registers hold the args.
 * These tracepoints never see 32-bit syscalls, and each program knows its
 * operation at compile time: only its own handler is in it.
 */
static __always_inline int pa_tp_exit(enum pa_syscall op, long ret)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	return pa_dispatch(regs, task, 0, op, ret);
}

#define PA_TP_EXIT(name, op)                                               \
	SEC("tracepoint/syscalls/sys_exit_" #name)                         \
	int pa_tp_exit_##name(struct trace_event_raw_sys_exit *ctx)         \
	{                                                                  \
		return pa_tp_exit(op, ctx->ret);                           \
	}

PA_TP_EXIT(open, PA_SYS_OPEN)
PA_TP_EXIT(creat, PA_SYS_CREAT)
PA_TP_EXIT(openat, PA_SYS_OPENAT)
PA_TP_EXIT(openat2, PA_SYS_OPENAT2)
PA_TP_EXIT(open_by_handle_at, PA_SYS_OPEN_BY_HANDLE_AT)
PA_TP_EXIT(read, PA_SYS_READ)
PA_TP_EXIT(pread64, PA_SYS_PREAD64)
PA_TP_EXIT(readv, PA_SYS_READV)
PA_TP_EXIT(preadv, PA_SYS_PREADV)
PA_TP_EXIT(preadv2, PA_SYS_PREADV2)
PA_TP_EXIT(close, PA_SYS_CLOSE)
PA_TP_EXIT(close_range, PA_SYS_CLOSE_RANGE)
PA_TP_EXIT(dup, PA_SYS_DUP)
PA_TP_EXIT(dup2, PA_SYS_DUP2)
PA_TP_EXIT(dup3, PA_SYS_DUP3)
PA_TP_EXIT(fcntl, PA_SYS_FCNTL)
PA_TP_EXIT(write, PA_SYS_WRITE)
PA_TP_EXIT(pwrite64, PA_SYS_PWRITE64)
PA_TP_EXIT(writev, PA_SYS_WRITEV)
PA_TP_EXIT(pwritev, PA_SYS_PWRITEV)
PA_TP_EXIT(pwritev2, PA_SYS_PWRITEV2)
PA_TP_EXIT(sendfile64, PA_SYS_SENDFILE)
PA_TP_EXIT(splice, PA_SYS_SPLICE)
PA_TP_EXIT(copy_file_range, PA_SYS_COPY_FILE_RANGE)
PA_TP_EXIT(mmap, PA_SYS_MMAP)
PA_TP_EXIT(ioctl, PA_SYS_IOCTL)
PA_TP_EXIT(truncate, PA_SYS_TRUNCATE)
PA_TP_EXIT(ftruncate, PA_SYS_FTRUNCATE)
PA_TP_EXIT(unlink, PA_SYS_UNLINK)
PA_TP_EXIT(unlinkat, PA_SYS_UNLINKAT)
PA_TP_EXIT(rmdir, PA_SYS_RMDIR)
PA_TP_EXIT(rename, PA_SYS_RENAME)
PA_TP_EXIT(renameat, PA_SYS_RENAMEAT)
PA_TP_EXIT(renameat2, PA_SYS_RENAMEAT2)
PA_TP_EXIT(link, PA_SYS_LINK)
PA_TP_EXIT(linkat, PA_SYS_LINKAT)
PA_TP_EXIT(chmod, PA_SYS_CHMOD)
PA_TP_EXIT(fchmod, PA_SYS_FCHMOD)
PA_TP_EXIT(fchmodat, PA_SYS_FCHMODAT)
PA_TP_EXIT(fchmodat2, PA_SYS_FCHMODAT2)
PA_TP_EXIT(chown, PA_SYS_CHOWN)
PA_TP_EXIT(lchown, PA_SYS_LCHOWN)
PA_TP_EXIT(fchown, PA_SYS_FCHOWN)
PA_TP_EXIT(fchownat, PA_SYS_FCHOWNAT)
PA_TP_EXIT(setxattr, PA_SYS_SETXATTR)
PA_TP_EXIT(lsetxattr, PA_SYS_LSETXATTR)
PA_TP_EXIT(fsetxattr, PA_SYS_FSETXATTR)
PA_TP_EXIT(removexattr, PA_SYS_REMOVEXATTR)
PA_TP_EXIT(lremovexattr, PA_SYS_LREMOVEXATTR)
PA_TP_EXIT(fremovexattr, PA_SYS_FREMOVEXATTR)
PA_TP_EXIT(setxattrat, PA_SYS_SETXATTRAT)
PA_TP_EXIT(removexattrat, PA_SYS_REMOVEXATTRAT)

/* io_uring requests (uring.bpf.h): with the tp_btf backend only. */
SEC("tp_btf/io_uring_submit_req")
int BPF_PROG(pa_ring_submit_btf, struct io_kiocb *req)
{
	return pa_ring_submit(req);
}

SEC("tp_btf/io_uring_file_get")
int BPF_PROG(pa_ring_file_get_btf, struct io_kiocb *req, int fd)
{
	return pa_ring_file_get(req, fd);
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(pa_ring_complete_btf, struct io_ring_ctx *ring, void *req, struct io_uring_cqe *cqe)
{
	return pa_ring_complete(ring, req, BPF_CORE_READ(cqe, res));
}

/*
 * Process exit and exec: a holder of tracked files whose fds go away
 * without close syscalls. One pair per backend kind.
 */
static __always_inline int pa_exit(struct task_struct *task)
{
	if (pa_task_group_dead(task))
		pa_forget_proc(task);
	return pa_handle_exit(task);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(pa_exit_btf, struct task_struct *task)
{
	return pa_exit(task);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(pa_exit_raw, struct task_struct *task)
{
	return pa_exit(task);
}

SEC("tracepoint/sched/sched_process_exit")
int pa_tp_exit_process(void *ctx)
{
	return pa_exit(bpf_get_current_task_btf());
}

/* Exec: keep the program and arguments (proc.bpf.h); close-on-exec fds. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(pa_exec_btf, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	pa_capture_exec(task, BPF_CORE_READ(bprm, filename));
	pa_fds_changed(task, PA_HINT_EXEC, 0, ~0u);
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(pa_exec_raw, struct task_struct *task, pid_t old_pid, struct linux_binprm *bprm)
{
	pa_capture_exec(task, BPF_CORE_READ(bprm, filename));
	pa_fds_changed(task, PA_HINT_EXEC, 0, ~0u);
	return 0;
}

SEC("tracepoint/sched/sched_process_exec")
int pa_tp_exec(struct trace_event_raw_sched_process_exec *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	/* __data_loc: offset in the low 16 bits, from the record's start */
	const char *filename = (const char *)ctx + (ctx->__data_loc_filename & 0xffff);

	pa_capture_exec(task, filename);
	pa_fds_changed(task, PA_HINT_EXEC, 0, ~0u);
	return 0;
}

/* One marker per event emitted: the agent's pacing (see sweep.bpf.h). */
static __always_inline int pa_iter_mark(struct seq_file *seq, int emitted)
{
	__u64 mark = 0;

	if (emitted)
		bpf_seq_write(seq, &mark, sizeof(mark));
	return 0;
}

/* Files already open under a watch when the agent starts. */
SEC("iter/task_file")
int pa_iter_discover(struct bpf_iter__task_file *ctx)
{
	return pa_iter_mark(ctx->meta->seq, pa_discover(ctx->task, ctx->file, ctx->fd));
}

/* The sweep, one iterator per table, run in this order by the agent. */
SEC("iter/bpf_map_elem")
int pa_sweep_fds(struct bpf_iter__bpf_map_elem *ctx)
{
	void *key = ctx->key, *value = ctx->value;

	/* Loaded once: the verifier tracks the NULL check on these copies. */
	if (!key || !value)
		return 0;
	return pa_iter_mark(ctx->meta->seq, pa_sweep_fd(key, value));
}

SEC("iter/bpf_map_elem")
int pa_sweep_holds(struct bpf_iter__bpf_map_elem *ctx)
{
	void *key = ctx->key, *value = ctx->value;

	/* Loaded once: the verifier tracks the NULL check on these copies. */
	if (!key || !value)
		return 0;
	return pa_iter_mark(ctx->meta->seq, pa_sweep_hold(key, value));
}

SEC("iter/bpf_map_elem")
int pa_sweep_files(struct bpf_iter__bpf_map_elem *ctx)
{
	void *key = ctx->key, *value = ctx->value;

	/* Loaded once: the verifier tracks the NULL check on these copies. */
	if (!key || !value)
		return 0;
	return pa_iter_mark(ctx->meta->seq, pa_sweep_file(key, value));
}

/*
 * Identity of the agent's own descriptors: which dentry and superblock an
 * O_PATH fd on a watched directory pins. The agent sets pa_ident_tgid and
 * reads fixed-size struct pa_ident records from the iterator.
 */
__u32 pa_ident_tgid = 0;

SEC("iter/task_file")
int pa_iter_ident(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct pa_ident id = {};
	struct dentry *d;

	if (!task || !file || BPF_CORE_READ(task, tgid) != pa_ident_tgid)
		return 0;
	d = BPF_CORE_READ(file, f_path.dentry);
	id.fd = ctx->fd;
	id.dentry = (__u64)d;
	id.sb = (__u64)BPF_CORE_READ(d, d_sb);
	id.dev = BPF_CORE_READ(d, d_sb, s_dev);
	id.ino = BPF_CORE_READ(d, d_inode, i_ino);
	bpf_seq_write(ctx->meta->seq, &id, sizeof(id));
	return 0;
}
