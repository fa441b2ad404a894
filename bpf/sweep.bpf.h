/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the syscall hooks cannot see, found by iterators the agent runs:
 *
 *  - the sweep checks every pa_fds entry against its process's fd table
 *    (exit, close-on-exec, close_range and io_uring closes make no close
 *    syscall), ends accounts of dead processes, reports accounts read
 *    since their last report (the idle poll), and forgets released files;
 *  - discovery finds the files already open under a watch when the agent
 *    starts (run after the hooks are attached, so nothing slips between).
 *
 * Iterators run in the agent's context: "current" is the agent. Each
 * function returns 1 when it emitted an event: the program then writes a
 * marker to the iterator's output, so the agent reads in slices and drains
 * the ring buffer between them.
 */
#ifndef PHIAUDIT_SWEEP_BPF_H
#define PHIAUDIT_SWEEP_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "phiaudit/abi.h"
#include "maps.bpf.h"
#include "emit.bpf.h"
#include "task.bpf.h"
#include "reads.bpf.h"
#include "walk.bpf.h"
#include "open.bpf.h"

/* Set by the agent for its last sweep. */
__u8 pa_stopping = 0;

extern struct task_struct *bpf_task_from_pid(s32 pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

/* Before 6.12 a struct file counted its references in f_count. */
struct file___pre_file_ref {
	atomic_long_t f_count;
} __attribute__((preserve_access_index));

/* Does anything still hold @f? Files are SLAB_TYPESAFE_BY_RCU: a freed one
 * reads as released, or as another file (which pa_file_matches catches). */
static __always_inline int pa_file_alive(struct file *f)
{
	if (bpf_core_field_exists(f->f_ref))
		/* file_ref_t counts from 0 for one reference; released and
		 * dead states are negative. */
		return (long)BPF_CORE_READ(f, f_ref.refcnt.counter) >= 0;
	return BPF_CORE_READ((struct file___pre_file_ref *)f, f_count.counter) > 0;
}

/* Is process (@tgid, @start) alive and not exiting? With @out, an alive
 * process's task is handed back, referenced: the caller releases it. */
static __always_inline int pa_process_alive(__u32 tgid, __u64 start, struct task_struct **out)
{
	struct task_struct *t = bpf_task_from_pid(tgid);
	int alive;

	if (!t)
		return 0;
	alive = pa_task_start(t) == start && !pa_task_group_dead(t);
	if (alive && out) {
		*out = t;
		return 1;
	}
	bpf_task_release(t);
	return alive;
}

static __always_inline int pa_sweep_fd(const struct pa_fd_key *k, const struct pa_fd_val *v)
{
	struct pa_fd_key key = *k;
	struct pa_fd_val val = *v;
	struct task_struct *t = NULL;
	int alive = pa_process_alive(key.tgid, val.start_ns, &t);
	int held = 0;

	if (t) {
		/* A leader that exited before its threads has no fd table of
		 * its own: the fds are the threads', unknown here; keep. */
		held = !BPF_CORE_READ(t, files) || (__u64)pa_fd_file(t, key.fd) == val.file;
		bpf_task_release(t);
	}
	if (held)
		return 0;
	bpf_map_delete_elem(&pa_fds, &key);
	pa_fd_gone(key.tgid, key.fd, &val, alive ? PA_READ_MISSED_CLOSE : PA_READ_EXIT);
	return 1;
}

static __always_inline int pa_sweep_hold(const struct pa_hold_key *k, struct pa_hold_val *h)
{
	struct pa_hold_key key = *k;
	__u64 calls = h->calls;

	if (!pa_process_alive(key.tgid, h->proc.start_ns, NULL)) {
		pa_account_end(&key, h, PA_READ_EXIT);
		return 1;
	}
	/* Read since the last report and still open: report it now, so a
	 * reader that stopped is never invisible until it closes. Not at the
	 * agent's stop: the final report follows from the maps at once. */
	if (calls != h->reported_calls && !pa_stopping) {
		h->reported_calls = calls;
		h->reported_bytes = h->bytes;
		h->reported_ns = bpf_ktime_get_boot_ns();
		pa_report(&key, h, PA_READ_PROGRESS, 0);
		return 1;
	}
	return 0;
}

static __always_inline int pa_sweep_file(const __u64 *k, const struct pa_file_val *fv)
{
	struct file *f = (struct file *)*k;

	if (pa_file_alive(f) && pa_file_matches(f, fv))
		return 0;
	pa_file_forget(*k, fv->open_seq);
	return 1;
}

/*
 * A file @task holds as @fd: under a watch and not yet tracked, it is
 * recorded as a discovered open and tracked from now on; already tracked
 * (inherited, passed, or opened since the hooks were attached), the fd
 * joins its account.
 */
static __always_inline int pa_discover(struct task_struct *task, struct file *file, __u32 fd)
{
	struct pa_scope_result r = {};
	struct pa_open_scratch *s;
	struct pa_file_val *fv;
	struct pa_hold_val *h;
	struct dentry *d;
	struct vfsmount *m;
	__u32 zero = 0, tgid;
	__u64 start;

	if (!task || !file)
		return 0;
	tgid = BPF_CORE_READ(task, tgid);
	if (tgid == pa_agent_tgid || (BPF_CORE_READ(file, f_mode) & PA_FMODE_PATH))
		return 0;
	fv = pa_tracked(file);
	if (fv) {
		start = pa_task_start(task);
		h = pa_account(task, tgid, start, (__u64)file, fv);
		if (h)
			pa_fd_track(tgid, fd, start, (__u64)file, fv, h);
		return 0;
	}
	d = BPF_CORE_READ(file, f_path.dentry);
	m = BPF_CORE_READ(file, f_path.mnt);
	pa_scope_of((__u64)d, (__u64)m, &r);
	if (r.scope == PA_SCOPE_OUT)
		return 0;
	s = bpf_map_lookup_elem(&pa_open_scratch, &zero);
	if (!s)
		return 0;
	__builtin_memset(&s->ev, 0, sizeof(s->ev));
	pa_fill_proc_of(&s->ev.proc, task);
	s->ev.flags = BPF_CORE_READ(file, f_flags);
	s->ev.ret = fd;
	s->ev.dirfd = -100;
	pa_emit_file_open(s, task, file, fd, d, m, &r, PA_TRACK_DISCOVERED);
	return 1;
}

#endif /* PHIAUDIT_SWEEP_BPF_H */
