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
#include "open.bpf.h"
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

/* Per-syscall fallback: the task's saved user registers hold the args. */
static __always_inline int pa_tp_exit(long nr, long ret)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());

	return pa_handle_syscall(regs, nr, ret);
}

#define PA_TP_EXIT(name)                                                   \
	SEC("tracepoint/syscalls/sys_exit_" #name)                         \
	int pa_tp_exit_##name(struct trace_event_raw_sys_exit *ctx)         \
	{                                                                  \
		return pa_tp_exit(ctx->id, ctx->ret);                      \
	}

PA_TP_EXIT(open)
PA_TP_EXIT(creat)
PA_TP_EXIT(openat)
PA_TP_EXIT(openat2)
PA_TP_EXIT(open_by_handle_at)
PA_TP_EXIT(read)
PA_TP_EXIT(pread64)
PA_TP_EXIT(readv)
PA_TP_EXIT(preadv)
PA_TP_EXIT(preadv2)
PA_TP_EXIT(close)
PA_TP_EXIT(close_range)
PA_TP_EXIT(dup)
PA_TP_EXIT(dup2)
PA_TP_EXIT(dup3)
PA_TP_EXIT(fcntl)

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
