/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Exec details without the cost: the exec hook keeps each process's
 * program and arguments in pa_execs; its first audited open sends them,
 * with its ancestry, as one PA_EV_PROC event (then pa_proc_sent remembers
 * it was sent). A process that execs and exits in a millisecond is named
 * all the same, and nothing about processes that never touch a watched
 * file reaches userspace.
 */
#ifndef PHIAUDIT_PROC_BPF_H
#define PHIAUDIT_PROC_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "phiaudit/abi.h"
#include "maps.bpf.h"
#include "emit.bpf.h"
#include "task.bpf.h"

/* tgid -> the last exec's details, until the process's first audited open
 * or its exit. Allocated as used: a busy host's short-lived processes are
 * deleted at exit; beyond the size, execs_full counts what is missed. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct pa_exec_val);
} pa_execs SEC(".maps");

/* tgid -> start of the process whose details were sent (LRU: bounded). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, __u64);
} pa_proc_sent SEC(".maps");


/* tgid -> start of an ancestor whose exec details went out with a
 * descendant's (a shell running one cat per file sends its own once). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} pa_exec_sent SEC(".maps");

/* pa_exec_val is too big for the stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pa_exec_val);
} pa_exec_scratch SEC(".maps");

/* A process's argv from its own memory (NUL-separated, as
 * /proc/PID/cmdline), up to PA_ARGS_LEN; sets PA_PROC_ARGS_TRUNCATED in
 * *@flags when it is longer. Only for the current task (its memory is
 * the one mapped). Returns the bytes read, 0 when unreadable. */
static __always_inline __u16 pa_read_args(struct task_struct *task, char *buf, __u32 *flags)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	unsigned long from = BPF_CORE_READ(mm, arg_start), to = BPF_CORE_READ(mm, arg_end);
	unsigned long len = to > from ? to - from : 0;

	if (len > PA_ARGS_LEN) {
		len = PA_ARGS_LEN;
		*flags |= PA_PROC_ARGS_TRUNCATED;
	}
	if (len > 0 && len <= PA_ARGS_LEN && bpf_probe_read_user(buf, len, (const void *)from) == 0)
		return (__u16)len;
	return 0;
}

/* At exec: keep what was exec'd (@filename: a kernel string) and argv. */
static __always_inline void pa_capture_exec(struct task_struct *task, const char *filename)
{
	__u32 zero = 0, tgid = BPF_CORE_READ(task, tgid), flags = PA_PROC_EXEC_SEEN;
	struct pa_exec_val *v = bpf_map_lookup_elem(&pa_exec_scratch, &zero);
	long n;

	if (!v || tgid == pa_agent_tgid)
		return;
	/* A new program: its details are news even to a process that sent
	 * its old ones (exec keeps the pid and the start time). */
	bpf_map_delete_elem(&pa_proc_sent, &tgid);
	bpf_map_delete_elem(&pa_exec_sent, &tgid);
	v->start_ns = pa_task_start(task);
	v->exec_ns = bpf_ktime_get_boot_ns();
	n = filename ? bpf_probe_read_kernel_str(v->exe, sizeof(v->exe), filename) : -1;
	v->exe_len = n > 0 ? n - 1 : 0;
	if (n == sizeof(v->exe))
		flags |= PA_PROC_EXE_TRUNCATED;
	v->args_len = pa_read_args(task, v->args, &flags);
	v->flags = flags;
	if (bpf_map_update_elem(&pa_execs, &tgid, v, BPF_ANY))
		pa_count(PA_CNT_EXECS_FULL);
}

/* At exit of the last thread: forget the process. */
static __always_inline void pa_forget_proc(struct task_struct *task)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);

	bpf_map_delete_elem(&pa_execs, &tgid);
	bpf_map_delete_elem(&pa_proc_sent, &tgid);
	bpf_map_delete_elem(&pa_exec_sent, &tgid);
}

/* A process event for (@pid, @start), header filled, nothing known yet.
 * NULL when the ring buffer is full (counted). */
static __always_inline struct pa_proc_event *pa_proc_event_new(__u32 pid, __u64 start)
{
	struct pa_proc_event *ev = pa_reserve(sizeof(*ev));

	if (!ev)
		return NULL;
	ev->hdr.seq = 0;
	pa_hdr_fill(&ev->hdr, PA_EV_PROC, sizeof(*ev));
	ev->tgid = pid;
	ev->start_ns = start;
	ev->flags = 0;
	ev->exec_ns = 0;
	ev->exe_len = 0;
	ev->args_len = 0;
	ev->n_ancestors = 0;
	ev->pad = 0;
	return ev;
}

/* What the exec hook kept, into the event. */
static __always_inline void pa_proc_event_exec(struct pa_proc_event *ev,
					       const struct pa_exec_val *x)
{
	ev->flags |= x->flags;
	ev->exec_ns = x->exec_ns;
	ev->exe_len = x->exe_len;
	ev->args_len = x->args_len;
	bpf_probe_read_kernel(ev->exe, sizeof(ev->exe), x->exe);
	bpf_probe_read_kernel(ev->args, sizeof(ev->args), x->args);
}

/* An ancestor still holding its exec details (it never opened a watched
 * file): send them, once, so the chain names its programs too. The
 * details stay for its own first open. */
static __always_inline void pa_emit_ancestor_exec(__u32 pid, __u64 start)
{
	struct pa_exec_val *x = bpf_map_lookup_elem(&pa_execs, &pid);
	struct pa_proc_event *ev;
	__u64 *sent;

	if (!x || x->start_ns != start)
		return;
	sent = bpf_map_lookup_elem(&pa_exec_sent, &pid);
	if (sent && *sent == start)
		return;
	ev = pa_proc_event_new(pid, start);
	if (!ev)
		return;
	ev->flags = PA_PROC_ANCESTOR_ONLY;
	pa_proc_event_exec(ev, x);
	pa_submit(ev, sizeof(*ev));
	bpf_map_update_elem(&pa_exec_sent, &pid, &start, BPF_ANY);
}

/* Before @task's first audited open: its details and ancestry, once.
 * A global function: verified once, on its own (the open paths are big). */
__noinline int pa_emit_proc(__u64 task_ptr)
{
	struct task_struct *task = (struct task_struct *)task_ptr;
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u64 start = pa_task_start(task), *sent;
	struct task_struct *t = task;
	struct pa_exec_val *x;
	struct pa_proc_event *ev;
	struct tty_struct *tty;
	__u16 n = 0;

	sent = bpf_map_lookup_elem(&pa_proc_sent, &tgid);
	if (sent && *sent == start)
		return 0;
	ev = pa_proc_event_new(tgid, start);
	if (!ev)
		return 0; /* counted; the next open tries again */
	x = bpf_map_lookup_elem(&pa_execs, &tgid);
	if (x && x->start_ns == start) {
		pa_proc_event_exec(ev, x);
	} else if (task == (struct task_struct *)BPF_CORE_READ(
				   (struct task_struct *)bpf_get_current_task(), group_leader)) {
		/* No exec seen (a child that forked without exec'ing, or one
		 * from before the agent): its arguments are in its own memory,
		 * readable now, while it makes this syscall. */
		__u32 flags = 0;

		ev->args_len = pa_read_args(task, ev->args, &flags);
		if (ev->args_len)
			flags |= PA_PROC_ARGS_FROM_MM;
		ev->flags = flags;
	}
	for (int i = 0; i < PA_MAX_ANCESTORS; i++) {
		struct pa_ancestor *a = &ev->ancestors[i];
		__u32 pid;

		/* The parent process, not the thread of it that forked: its
		 * leader has the process's name. */
		t = BPF_CORE_READ(t, real_parent, group_leader);
		pid = t ? BPF_CORE_READ(t, tgid) : 0;
		if (!pid) {
			__builtin_memset(a, 0, sizeof(*a));
			continue;
		}
		a->pid = pid;
		a->pad = 0;
		a->start_ns = pa_task_start(t);
		bpf_probe_read_kernel_str(a->comm, sizeof(a->comm), &t->comm);
		pa_emit_ancestor_exec(pid, a->start_ns);
		n++;
		if (pid == 1) /* the host's init: the chain ends here (a container's
			       * init is followed up to its runtime and the host) */
			t = NULL;
	}
	ev->n_ancestors = n;
	tty = BPF_CORE_READ(task, signal, tty);
	ev->tty[0] = '\0';
	if (tty)
		bpf_probe_read_kernel_str(ev->tty, sizeof(ev->tty), &tty->name);
	pa_submit(ev, sizeof(*ev));
	bpf_map_update_elem(&pa_proc_sent, &tgid, &start, BPF_ANY);
	if (x)
		bpf_map_delete_elem(&pa_execs, &tgid);
	return 0;
}

#endif /* PHIAUDIT_PROC_BPF_H */
