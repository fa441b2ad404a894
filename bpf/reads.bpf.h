/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Read accounting, in the kernel: the agent gets one record per open file
 * and process, not one per read.
 *
 *   pa_files   struct file *        -> the open that made it tracked
 *   pa_fds     (tgid, fd)           -> which tracked file the fd holds
 *   pa_holds   (struct file *, tgid) -> the account: bytes, calls, times,
 *                                      and how many of the process's fds
 *                                      hold the file
 *
 * A read is attributed through the fd table, never through pa_fds, so a
 * stale pa_fds entry can delay a report but never count a byte against the
 * wrong file. Every hit checks the file against the dentry and inode it
 * was opened on: freed struct files are reused quickly. pa_fds only tells
 * a close (at sys_exit the fd is already gone) which file it closed, so
 * the account ends when the process drops its last fd on the file.
 *
 * Fds that change wholesale (exit, exec's close-on-exec, close_range) are
 * not enumerated here: the hook hints the agent, whose sweep (sweep.bpf.h)
 * checks each entry against the fd tables.
 */
#ifndef PHIAUDIT_READS_BPF_H
#define PHIAUDIT_READS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "phiaudit/abi.h"
#include "phiaudit/account.h"
#include "maps.bpf.h"
#include "emit.bpf.h"
#include "task.bpf.h"

/* Accounts are numbered apart from events (a gap in events is a loss). */
__u64 pa_account_seq = 0;

#define PA_FMODE_PATH (1u << 14)
#define PA_O_PATH 010000000

/* Is @file still the open recorded in @fv (not a reused struct file)? */
static __always_inline int pa_file_matches(struct file *file, const struct pa_file_val *fv)
{
	return (__u64)BPF_CORE_READ(file, f_path.dentry) == fv->dentry &&
	       (__u64)BPF_CORE_READ(file, f_inode) == fv->inode;
}

/* Tell the agent to forget an open. */
static __always_inline void pa_file_forget_event(__u64 file, __u64 open_seq)
{
	struct pa_file_gone_event *e = pa_reserve(sizeof(*e));

	if (!e)
		return;
	e->hdr.seq = 0;
	pa_hdr_fill(&e->hdr, PA_EV_FILE_GONE, sizeof(*e));
	e->file = file;
	e->open_seq = open_seq;
	pa_submit(e, sizeof(*e));
}

/* ... and forget it here. */
static __always_inline void pa_file_forget(__u64 file, __u64 open_seq)
{
	bpf_map_delete_elem(&pa_files, &file);
	pa_file_forget_event(file, open_seq);
}

/* The tracked open behind @file, checked; NULL when not tracked. */
static __always_inline struct pa_file_val *pa_tracked(struct file *file)
{
	__u64 key = (__u64)file;
	struct pa_file_val *fv = bpf_map_lookup_elem(&pa_files, &key);

	if (!fv || pa_file_matches(file, fv))
		return fv;
	pa_count(PA_CNT_FILE_REUSED);
	pa_file_forget(key, fv->open_seq);
	return NULL;
}

/* Report account @h (cumulative counts); final reports end it. */
static __always_inline void pa_report(const struct pa_hold_key *k, struct pa_hold_val *h,
				      __u8 reason, __u8 final)
{
	struct pa_read_event *e = pa_reserve(sizeof(*e));

	if (!e)
		return;
	e->hdr.seq = 0;
	pa_hdr_fill(&e->hdr, PA_EV_READ, sizeof(*e));
	pa_account_read_event(e, k, h, reason, final);
	pa_submit(e, sizeof(*e));
}

/* The current transfer run of account @h as an event (END: its totals). */
static __always_inline struct pa_xfer_event *pa_xfer_event_of(const struct pa_hold_key *k,
							      const struct pa_hold_val *h,
							      __u8 phase)
{
	struct pa_xfer_event *e = pa_reserve(sizeof(*e));

	if (!e)
		return NULL;
	__builtin_memset(e, 0, sizeof(*e));
	pa_hdr_fill(&e->hdr, PA_EV_XFER, sizeof(*e));
	pa_account_xfer_event(e, k, h, phase);
	return e;
}

/* The run of transfers to one destination is over: its totals. */
static __always_inline void pa_xfer_end(const struct pa_hold_key *k, struct pa_hold_val *h)
{
	struct pa_xfer_event *e;

	if (!h->xfer_calls)
		return;
	e = pa_xfer_event_of(k, h, PA_XFER_END);
	if (e)
		pa_submit(e, sizeof(*e));
	h->xfer_calls = 0;
	h->xfer_bytes = 0;
	h->xfer_dst = 0;
}

/* The account is over: its last report (if it read anything), then gone. */
static __always_inline void pa_account_end(const struct pa_hold_key *k, struct pa_hold_val *h,
					   __u8 reason)
{
	pa_xfer_end(k, h);
	if (pa_account_used(h))
		pa_report(k, h, reason, 1);
	bpf_map_delete_elem(&pa_holds, k);
}

/* A new account is built here: too big for the stack beside its callers. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pa_hold_val);
} pa_hold_scratch SEC(".maps");

/*
 * The account of (@file, @task's process), created if missing. An account
 * left by a dead process whose pid was reused, or by an older open at the
 * same address, is ended first.
 */
static __always_inline struct pa_hold_val *pa_account(struct task_struct *task, __u32 tgid,
						      __u64 start, __u64 file,
						      const struct pa_file_val *fv)
{
	struct pa_hold_key k = { .file = file, .tgid = tgid };
	struct pa_hold_val *h = bpf_map_lookup_elem(&pa_holds, &k);
	__u32 zero = 0;

	if (h) {
		if (h->open_seq == fv->open_seq && h->proc.start_ns == start)
			return h;
		pa_account_end(&k, h, h->proc.start_ns != start ? PA_READ_EXIT
								: PA_READ_MISSED_CLOSE);
	}
	h = bpf_map_lookup_elem(&pa_hold_scratch, &zero);
	if (!h)
		return NULL;
	__builtin_memset(h, 0, sizeof(*h));
	pa_fill_proc_of(&h->proc, task);
	h->open_seq = fv->open_seq;
	h->account_seq = __sync_fetch_and_add(&pa_account_seq, 1) + 1;
	h->file_ino = fv->ino;
	h->file_dev = fv->dev;
	h->watch_id = fv->watch_id;
	h->last_fd = -1;
	if (bpf_map_update_elem(&pa_holds, &k, h, BPF_ANY)) {
		pa_count(PA_CNT_ACCOUNTS_FULL);
		return NULL;
	}
	/* The exit hook's gate: only processes holding a tracked file. */
	if (bpf_map_update_elem(&pa_holders, &tgid, &start, BPF_ANY))
		pa_count(PA_CNT_ACCOUNTS_FULL);
	return bpf_map_lookup_elem(&pa_holds, &k);
}

/* One fd of process @tgid on @v->file is gone (the caller drops the
 * pa_fds entry); the last one ends the account. */
static __always_inline void pa_fd_gone(__u32 tgid, int fd, const struct pa_fd_val *v,
				       __u8 reason)
{
	struct pa_hold_key k = { .file = v->file, .tgid = tgid };
	struct pa_hold_val *h = bpf_map_lookup_elem(&pa_holds, &k);

	if (!h || h->open_seq != v->open_seq || h->proc.start_ns != v->start_ns)
		return;
	if (h->last_fd == fd)
		h->last_fd = -1;
	if (__sync_fetch_and_add(&h->fds, -1) <= 1)
		pa_account_end(&k, h, reason);
}

/* Forget fd @fd of @tgid if it was tracked; the account may end. */
static __always_inline void pa_fd_untrack(__u32 tgid, int fd, __u64 start, __u8 reason)
{
	struct pa_fd_key fk = { .tgid = tgid, .fd = fd };
	struct pa_fd_val *v = bpf_map_lookup_elem(&pa_fds, &fk);
	struct pa_fd_val old;

	if (!v)
		return;
	old = *v;
	bpf_map_delete_elem(&pa_fds, &fk);
	/* An entry from a dead process whose pid came back ended by exit. */
	pa_fd_gone(tgid, fd, &old, old.start_ns == start ? reason : PA_READ_EXIT);
}

/* Fd @fd of @tgid now holds tracked @file (account @h): remember it. */
static __always_inline void pa_fd_track(__u32 tgid, int fd, __u64 start, __u64 file,
					const struct pa_file_val *fv, struct pa_hold_val *h)
{
	struct pa_fd_key fk = { .tgid = tgid, .fd = fd };
	struct pa_fd_val *v = bpf_map_lookup_elem(&pa_fds, &fk);
	struct pa_fd_val nv = { .file = file, .open_seq = fv->open_seq, .start_ns = start };

	if (v) {
		if (v->file == file && v->open_seq == fv->open_seq && v->start_ns == start) {
			h->last_fd = fd;
			return;
		}
		/* It held another file: that one lost an fd we missed. */
		pa_fd_untrack(tgid, fd, start, PA_READ_REPLACED);
	}
	if (bpf_map_update_elem(&pa_fds, &fk, &nv, BPF_ANY)) {
		pa_count(PA_CNT_FDS_FULL);
		return;
	}
	__sync_fetch_and_add(&h->fds, 1);
	h->last_fd = fd;
}

/* Start tracking @file, just opened (or found open) as @fd by @task. */
static __always_inline __u32 pa_track_open(struct task_struct *task, struct file *file, int fd,
					   __u64 open_seq, __u32 watch_id)
{
	__u64 key = (__u64)file;
	struct pa_file_val fv = {
		.dentry = (__u64)BPF_CORE_READ(file, f_path.dentry),
		.inode = (__u64)BPF_CORE_READ(file, f_inode),
		.open_seq = open_seq,
		.ino = BPF_CORE_READ(file, f_inode, i_ino),
		.dev = BPF_CORE_READ(file, f_inode, i_sb, s_dev),
		.watch_id = watch_id,
	};
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u64 start = pa_task_start(task);
	struct pa_file_val *old;
	struct pa_hold_val *h;
	__u64 old_seq;

	/* An O_PATH descriptor cannot be read. */
	if (BPF_CORE_READ(file, f_mode) & PA_FMODE_PATH)
		return 0;
	old = bpf_map_lookup_elem(&pa_files, &key);
	old_seq = old && old->open_seq != open_seq ? old->open_seq : 0;
	if (bpf_map_update_elem(&pa_files, &key, &fv, BPF_ANY)) {
		pa_count(PA_CNT_FILES_FULL);
		return PA_TRACK_FULL;
	}
	/* Ends this process's account of the old open, if any (its final
	 * Read record still needs the old open's path)... */
	h = pa_account(task, tgid, start, key, &fv);
	if (h)
		pa_fd_track(tgid, fd, start, key, &fv, h);
	/* ...then: a reused struct file replaces an open the sweep never saw
	 * go; the agent must forget that one's path (else its table only grows). */
	if (old_seq)
		pa_file_forget_event(key, old_seq);
	return PA_TRACK_READS;
}

/* What moved through a tracked file, for pa_account_io. */
enum pa_io_kind {
	PA_IO_READ = 0,	     /* a read syscall */
	PA_IO_WRITE = 1,     /* a write syscall, or a transfer or clone into it */
	PA_IO_SENT = 2,	     /* a transfer out of it: read, and sent (xfer.bpf.h) */
	PA_IO_RING_READ = 3, /* an io_uring read request */
	PA_IO_UNSEEN = 4,    /* an io_uring read whose result is not seen: @bytes
			      * is what it asked for */
};

/*
 * @bytes moved through tracked @file (@fv) by the current task, through
 * descriptor @fd (-1: none known, an io_uring fixed file): the account's
 * counters, and a progress report when due. Returns the account.
 */
static __always_inline struct pa_hold_val *pa_account_io(struct task_struct *task,
							 struct file *file,
							 const struct pa_file_val *fv, int fd,
							 __u64 bytes, int kind)
{
	struct pa_hold_val *h;
	__u64 start, now, total;
	__u32 tgid;

	tgid = bpf_get_current_pid_tgid() >> 32;
	if (tgid == pa_agent_tgid)
		return NULL;
	start = pa_task_start(task);
	h = pa_account(task, tgid, start, (__u64)file, fv);
	if (!h)
		return NULL;
	/* Inherited, received or duplicated before we saw it: learn the fd.
	 * Reads come through the same fd, mostly: skip the known one. */
	if (fd >= 0 && h->last_fd != fd)
		pa_fd_track(tgid, fd, start, (__u64)file, fv, h);
	now = bpf_ktime_get_boot_ns();
	/* Threads of one process share the account: exact under contention. */
	switch (kind) {
	case PA_IO_WRITE:
		__sync_fetch_and_add(&h->write_calls, 1);
		__sync_fetch_and_add(&h->write_bytes, bytes);
		pa_count(PA_CNT_WRITES);
		break;
	case PA_IO_UNSEEN:
		__sync_fetch_and_add(&h->unknown_calls, 1);
		__sync_fetch_and_add(&h->unknown_bytes, bytes);
		pa_count(PA_CNT_RING_UNSEEN);
		break;
	default:
		__sync_fetch_and_add(&h->calls, 1);
		__sync_fetch_and_add(&h->bytes, bytes);
		if (kind == PA_IO_SENT) {
			__sync_fetch_and_add(&h->sent_calls, 1);
			__sync_fetch_and_add(&h->sent_bytes, bytes);
		} else if (kind == PA_IO_RING_READ) {
			__sync_fetch_and_add(&h->ring_calls, 1);
		}
		pa_count(PA_CNT_READS);
	}
	if (!h->first_ns) {
		/* Who reads, as of the first read: an account opened by a dup
		 * in a shell's child before exec would otherwise say "bash". */
		pa_fill_proc_of(&h->proc, task);
		h->first_ns = now;
		h->reported_ns = now; /* "every 10 s while being read" */
	}
	h->last_ns = now;
	total = h->bytes + h->write_bytes;
	if (total - h->reported_bytes >= PA_PROGRESS_BYTES ||
	    now - h->reported_ns >= PA_PROGRESS_NS) {
		struct pa_hold_key k = { .file = (__u64)file, .tgid = tgid };

		h->reported_bytes = total;
		h->reported_calls = h->calls;
		h->reported_ns = now;
		pa_report(&k, h, PA_READ_PROGRESS, 0);
	}
	return h;
}

/* A read or write syscall returned @ret on fd @fd. */
static __always_inline int pa_handle_rw(struct task_struct *task, int fd, long ret, int kind)
{
	struct file *file;
	struct pa_file_val *fv;

	if (ret < 0)
		return 0;
	file = pa_fd_file(task, fd);
	if (!file)
		return 0; /* closed by another thread during the call */
	fv = pa_tracked(file);
	if (fv)
		pa_account_io(task, file, fv, fd, ret, kind);
	return 0;
}

/* close(fd) returned: if the fd held a tracked file, one fewer holds it. */
static __always_inline int pa_handle_close(struct task_struct *task, int fd)
{
	struct pa_fd_key fk = { .tgid = bpf_get_current_pid_tgid() >> 32, .fd = fd };
	struct pa_fd_val *v = bpf_map_lookup_elem(&pa_fds, &fk);

	if (!v)
		return 0;
	/* Still there: the close failed (or another thread dup'd onto it). */
	if ((__u64)pa_fd_file(task, fd) == v->file)
		return 0;
	pa_fd_untrack(fk.tgid, fd, pa_task_start(task), PA_READ_CLOSE);
	return 0;
}

/* A dup returned @newfd: it holds what its source held, and what newfd
 * held before (dup2/dup3 replace silently) lost a holder. */
static __always_inline int pa_handle_dup(struct task_struct *task, int newfd)
{
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 start = pa_task_start(task);
	struct file *file = pa_fd_file(task, newfd);
	struct pa_file_val *fv = file ? pa_tracked(file) : NULL;
	struct pa_hold_val *h;

	if (!fv) {
		pa_fd_untrack(tgid, newfd, start, PA_READ_REPLACED);
		return 0;
	}
	h = pa_account(task, tgid, start, (__u64)file, fv);
	if (h)
		pa_fd_track(tgid, newfd, start, (__u64)file, fv, h);
	return 0;
}

/* Does this process hold a tracked file? Then hint the agent to sweep. */
static __always_inline void pa_hint(struct task_struct *task, __u32 hint, int forget)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	__u64 *start = bpf_map_lookup_elem(&pa_holders, &tgid);
	struct pa_hint_event *e;
	__u64 s;

	if (!start)
		return;
	s = *start;
	if (forget)
		bpf_map_delete_elem(&pa_holders, &tgid);
	e = pa_reserve(sizeof(*e));
	if (!e)
		return;
	e->hdr.seq = 0;
	pa_hdr_fill(&e->hdr, PA_EV_HINT, sizeof(*e));
	e->tgid = tgid;
	e->hint = hint;
	e->start_ns = s;
	pa_submit(e, sizeof(*e));
}

/*
 * Exec closed the close-on-exec fds and close_range a whole range, without
 * a close syscall each: check this process's tracked fds in [from, to]
 * against its fd table now, so the accounts end as it happens (and a later
 * close of a reused fd number cannot pass for the file's close). Bounded;
 * beyond the bound (or without bpf_loop) the agent's sweep finds the rest.
 */
#define PA_FD_SCAN_MAX 4096

struct pa_fd_scan {
	struct task_struct *task;
	__u64 start;
	__u32 tgid;
	__u32 from;
};

static long pa_fd_scan_step(__u64 i, void *arg)
{
	struct pa_fd_scan *st = arg;
	int fd = (int)(st->from + i);
	struct pa_fd_key fk = { .tgid = st->tgid, .fd = fd };
	struct pa_fd_val *v = bpf_map_lookup_elem(&pa_fds, &fk);

	if (v && (__u64)pa_fd_file(st->task, fd) != v->file)
		pa_fd_untrack(st->tgid, fd, st->start, PA_READ_MISSED_CLOSE);
	return 0;
}

/* Is this process a holder? Then scan fds [from, to] (see above); the
 * sweep is hinted when the range is too wide to scan here. */
static __always_inline void pa_fds_changed(struct task_struct *task, __u32 hint, __u32 from,
					   __u32 to)
{
	__u32 tgid = BPF_CORE_READ(task, tgid);
	struct pa_fd_scan st = { .task = task, .tgid = tgid, .from = from };
	__u32 max_fds = BPF_CORE_READ(task, files, fdt, max_fds);
	__u64 n;

	if (!bpf_map_lookup_elem(&pa_holders, &tgid))
		return;
	if (to >= max_fds)
		to = max_fds ? max_fds - 1 : 0;
	n = to >= from ? (__u64)to - from + 1 : 0;
	if (pa_have_bpf_loop && n <= PA_FD_SCAN_MAX) {
		st.start = pa_task_start(task);
		bpf_loop(n, pa_fd_scan_step, &st, 0);
		return;
	}
	pa_hint(task, hint, 0);
}

/* sched_process_exit: per thread; only the last one matters here. */
static __always_inline int pa_handle_exit(struct task_struct *task)
{
	if (pa_task_group_dead(task))
		pa_hint(task, PA_HINT_EXIT, 1);
	return 0;
}

#endif /* PHIAUDIT_READS_BPF_H */
