/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * io_uring: opens and reads submitted through a ring make no open or read
 * syscall. They are audited at the ring's tracepoints like their syscall
 * twins (docs/internals.md, "io_uring", has what was measured):
 *
 *   io_uring_complete    an open's result (the fd, or a fixed slot) and a
 *                        read's or write's: req->file and cqe->res, in whichever
 *                        thread completes it (submitter, iou-wrk, iou-sqp:
 *                        all of the ring owner's process)
 *   io_uring_file_get    the fd a request is about to use: a splice's
 *                        input, and the file of a read whose completion
 *                        will be skipped (IOSQE_CQE_SKIP_SUCCESS)
 *   io_uring_submit_req  the same for a fixed-file read: there is no
 *                        file_get for those
 *
 * A read with CQE_SKIP_SUCCESS posts no completion when it read exactly
 * what it asked (any other result is a failure and does post one): it is
 * counted at issue as unseen, what it asked for, and corrected if a
 * completion comes after all.
 */
#ifndef PHIAUDIT_URING_BPF_H
#define PHIAUDIT_URING_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "phiaudit/abi.h"
#include "open.bpf.h"
#include "reads.bpf.h"
#include "xfer.bpf.h"

/*
 * REQ_F_*_BIT are in an anonymous enum, which CO-RE cannot name: the
 * agent reads them from the kernel's BTF before load (loader.c). The
 * defaults are 6.18's.
 */
const volatile __u32 pa_req_bit_fixed = 0;
const volatile __u32 pa_req_bit_skip = 6;
const volatile __u32 pa_req_bit_skip_link = 23;

#define PA_FFS_MASK (~3UL) /* io_rsrc_node.file_ptr: low bits are flags */
#define PA_SPLICE_F_FD_IN_FIXED (1u << 31)
#define PA_URING_OP(x) bpf_core_enum_value(enum io_uring_op, IORING_OP_##x)

/* A read whose completion may not come: what it asked, and of which file. */
struct pa_ring_pending {
	__u64 file;
	__u64 len;
	__u64 account_seq; /* the account it was counted in (unseen) */
	__u8 unseen;	   /* counted at issue (1: unseen read, 2: write in
			    * full): a completion corrects it */
	__u8 pad[7];
};

/* Keyed by the request (struct io_kiocb *): reused at once by the ring,
 * so an entry is dropped at the next submit of the same address. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct pa_ring_pending);
} pa_ring_pending SEC(".maps");

#define PA_PF_IO_WORKER 0x10

/*
 * Who the request is for: the current task, or, in an io_uring worker
 * (iou-wrk-*, iou-sqp-*: threads of the ring owner's process, sharing its
 * files), the process's leader, so records name the program, not the
 * worker thread.
 */
static __always_inline struct task_struct *pa_ring_task(void)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	if (BPF_CORE_READ(t, flags) & PA_PF_IO_WORKER)
		return BPF_CORE_READ(t, group_leader);
	return t;
}

/*
 * A descriptor of the ring's process, looked up in the current thread's
 * table: a worker shares the files of the thread that submitted the
 * request, which need not be the leader's (CLONE_FILES unshared, or a
 * leader that has exited).
 */
static __always_inline struct file *pa_ring_fd_file(int fd)
{
	return pa_fd_file((struct task_struct *)bpf_get_current_task(), fd);
}

static __always_inline __u64 pa_req_flags(struct io_kiocb *req)
{
	/* u32 before 6.10, u64 since: the probed read sizes itself */
	return BPF_CORE_READ_BITFIELD_PROBED(req, flags);
}

static __always_inline int pa_ring_is_read(__u8 op)
{
	return op == PA_URING_OP(READ) || op == PA_URING_OP(READV) ||
	       op == PA_URING_OP(READ_FIXED) ||
	       (bpf_core_enum_value_exists(enum io_uring_op, IORING_OP_READV_FIXED) &&
		op == bpf_core_enum_value(enum io_uring_op, IORING_OP_READV_FIXED));
}

static __always_inline int pa_ring_is_write(__u8 op)
{
	return op == PA_URING_OP(WRITE) || op == PA_URING_OP(WRITEV) ||
	       op == PA_URING_OP(WRITE_FIXED) ||
	       (bpf_core_enum_value_exists(enum io_uring_op, IORING_OP_WRITEV_FIXED) &&
		op == bpf_core_enum_value(enum io_uring_op, IORING_OP_WRITEV_FIXED));
}

/* What a read (or write) request asks for. READV's len counts iovecs: its bytes are
 * in the iterator imported at prep. */
static __always_inline __u64 pa_ring_req_len(struct io_kiocb *req, __u8 op)
{
	if (op == PA_URING_OP(READV) || op == PA_URING_OP(WRITEV) ||
	    (bpf_core_enum_value_exists(enum io_uring_op, IORING_OP_READV_FIXED) &&
	     op == bpf_core_enum_value(enum io_uring_op, IORING_OP_READV_FIXED)) ||
	    (bpf_core_enum_value_exists(enum io_uring_op, IORING_OP_WRITEV_FIXED) &&
	     op == bpf_core_enum_value(enum io_uring_op, IORING_OP_WRITEV_FIXED))) {
		struct io_async_rw *io = BPF_CORE_READ(req, async_data);

		return io ? BPF_CORE_READ(io, iter.count) : 0;
	}
	if (op == PA_URING_OP(SPLICE))
		return BPF_CORE_READ((struct io_splice *)req, len);
	return BPF_CORE_READ((struct io_rw *)req, len);
}

/* A ring's fixed file table, slot @slot. */
static __always_inline struct file *pa_ring_slot_file(struct io_ring_ctx *ctx, __u32 slot)
{
	struct io_rsrc_node **nodes = BPF_CORE_READ(ctx, file_table.data.nodes);
	struct io_rsrc_node *node = NULL;

	if (!nodes || slot >= BPF_CORE_READ(ctx, file_table.data.nr))
		return NULL;
	bpf_probe_read_kernel(&node, sizeof(node), &nodes[slot]);
	return node ? (struct file *)(BPF_CORE_READ(node, file_ptr) & PA_FFS_MASK) : NULL;
}

/*
 * A read (or write) of @file that will complete unseen: counted now, what
 * it asked, and remembered. A write that did not write all it asked fails
 * and posts its completion like a read: counted as written in full.
 */
static __always_inline void pa_ring_unseen(struct task_struct *task, __u64 key, struct file *file,
					   __u64 len, int write)
{
	struct pa_ring_pending p = { .file = (__u64)file, .len = len, .unseen = 1 + write };
	struct pa_file_val *fv = file ? pa_tracked(file) : NULL;
	struct pa_hold_val *h;

	if (!file)
		pa_count(PA_CNT_RING_NO_FILE); /* a fixed slot filled later in the batch */
	if (!fv)
		return;
	h = pa_account_io(task, file, fv, -1, len, write ? PA_IO_WRITE : PA_IO_UNSEEN);
	if (!h)
		return;
	p.account_seq = h->account_seq;
	bpf_map_update_elem(&pa_ring_pending, &key, &p, BPF_ANY);
}

/* Ask the agent to look for files open under the watches again. */
static __always_inline void pa_ring_rescan_hint(struct task_struct *task)
{
	struct pa_hint_event *e = pa_reserve(sizeof(*e));

	if (!e)
		return;
	e->hdr.seq = 0;
	pa_hdr_fill(&e->hdr, PA_EV_HINT, sizeof(*e));
	e->tgid = BPF_CORE_READ(task, tgid);
	e->hint = PA_HINT_RESCAN;
	e->start_ns = pa_task_start(task);
	pa_submit(e, sizeof(*e));
}

static __always_inline int pa_ring_submit(struct io_kiocb *req)
{
	__u64 key = (__u64)req, fl;
	struct task_struct *task;
	__u8 op;

	if ((bpf_get_current_pid_tgid() >> 32) == pa_agent_tgid)
		return 0;
	bpf_map_delete_elem(&pa_ring_pending, &key); /* the request is being reused */
	fl = pa_req_flags(req);
	if (!(fl & (1ull << pa_req_bit_skip)))
		return 0;
	op = BPF_CORE_READ(req, opcode);
	/* An open whose completion is skipped posts nothing that names its
	 * file: say so, and have the agent look for it among the files open
	 * (its reads are counted from then on; one into a fixed slot is in
	 * no descriptor table and stays unseen). */
	if (op == PA_URING_OP(OPENAT) || op == PA_URING_OP(OPENAT2)) {
		pa_count(PA_CNT_RING_NO_FILE);
		pa_ring_rescan_hint(pa_ring_task());
		return 0;
	}
	/* A skipped splice from a fixed input: no file_get for that input. */
	if (op == PA_URING_OP(SPLICE) &&
	    (BPF_CORE_READ((struct io_splice *)req, flags) & PA_SPLICE_F_FD_IN_FIXED)) {
		pa_ring_unseen(pa_ring_task(), key,
			       pa_ring_slot_file(BPF_CORE_READ(req, ctx),
						 BPF_CORE_READ((struct io_splice *)req, splice_fd_in)),
			       pa_ring_req_len(req, op), 0);
		return 0;
	}
	if (!(fl & (1ull << pa_req_bit_fixed)))
		return 0;
	task = pa_ring_task();
	if (pa_ring_is_read(op) || pa_ring_is_write(op))
		pa_ring_unseen(task, key,
			       pa_ring_slot_file(BPF_CORE_READ(req, ctx), BPF_CORE_READ(req, cqe.fd)),
			       pa_ring_req_len(req, op), pa_ring_is_write(op));
	return 0;
}

static __always_inline int pa_ring_file_get(struct io_kiocb *req, int fd)
{
	struct task_struct *task = pa_ring_task();
	__u64 key = (__u64)req, fl;
	__u8 op;

	if ((bpf_get_current_pid_tgid() >> 32) == pa_agent_tgid)
		return 0;
	op = BPF_CORE_READ(req, opcode);
	fl = pa_req_flags(req);
	/* A splice's second file_get is its input (the output came first). */
	if (op == PA_URING_OP(SPLICE) && BPF_CORE_READ(req, file) &&
	    fd == BPF_CORE_READ((struct io_splice *)req, splice_fd_in)) {
		struct pa_ring_pending p = { .file = (__u64)pa_ring_fd_file(fd),
					     .len = pa_ring_req_len(req, op) };

		/* skipped: counted now, unseen, like a skipped read */
		if (fl & (1ull << pa_req_bit_skip))
			pa_ring_unseen(task, key, (struct file *)p.file, p.len, 0);
		else
			bpf_map_update_elem(&pa_ring_pending, &key, &p, BPF_ANY);
		return 0;
	}
	if ((fl & (1ull << pa_req_bit_skip)) && (pa_ring_is_read(op) || pa_ring_is_write(op)))
		pa_ring_unseen(task, key, pa_ring_fd_file(fd), pa_ring_req_len(req, op),
			       pa_ring_is_write(op));
	return 0;
}

/* An open through the ring completed: the file, then as at open exit. */
static __always_inline void pa_ring_opened(struct task_struct *task, struct io_ring_ctx *ctx,
					   struct io_kiocb *req, __u8 op, int res)
{
	struct io_open *o = (struct io_open *)req;
	__u32 slot = BPF_CORE_READ(o, file_slot);
	struct pa_scope_result r = {};
	struct pa_open_scratch *s;
	struct file *file;
	struct dentry *d;
	struct vfsmount *m;
	int fd = res;

	if (slot) { /* a direct open: a fixed slot, no fd (res is 0, or the slot) */
		file = pa_ring_slot_file(ctx, slot == ~0U ? (__u32)res : slot - 1);
		fd = -1;
	} else {
		file = pa_ring_fd_file(res);
	}
	if (!file) {
		pa_count(PA_CNT_RING_NO_FILE);
		return;
	}
	d = BPF_CORE_READ(file, f_path.dentry);
	m = BPF_CORE_READ(file, f_path.mnt);
	pa_scope_of((__u64)d, (__u64)m, &r);
	if (r.scope == PA_SCOPE_OUT && !pa_other_name_scope(file, &r))
		return;
	s = pa_scratch(task, 0, op == PA_URING_OP(OPENAT) ? PA_SYS_URING_OPENAT
							  : PA_SYS_URING_OPENAT2, 0);
	if (!s)
		return;
	s->ev.dirfd = BPF_CORE_READ(o, dfd);
	s->ev.flags = BPF_CORE_READ(o, how.flags);
	s->ev.mode = (__u32)BPF_CORE_READ(o, how.mode);
	s->ev.ret = fd < 0 ? 0 : fd;
	if (fd < 0)
		s->ev.path_flags |= PA_PATH_FIXED_SLOT;
	if (!r.watch && r.scope == PA_SCOPE_IN)
		s->ev.path_flags |= PA_PATH_VIA_INODE;
	if (BPF_CORE_READ(file, f_mode) & PA_FMODE_CREATED)
		s->ev.path_flags |= PA_PATH_CREATED;
	pa_emit_file_open(s, task, file, fd, d, m, &r, 0);
}

/* Take back what @c subtracts from *@v, not below zero (the account may
 * have been reported since: never a count that wraps). */
static __always_inline void pa_sub_clamped(__u64 *v, __u64 c)
{
	__u64 now = *v;

	__sync_fetch_and_add(v, -(now < c ? now : c));
}

/*
 * A request counted at issue (skipped completion) completed after all (it
 * fell short, or failed): take back what was counted, from the account it
 * was counted in only (one ended since has reported it as it was). Bytes
 * first: a report between the two never sees bytes without calls.
 */
static __always_inline void pa_ring_undo(struct file *file, const struct pa_ring_pending *p)
{
	struct pa_hold_key k = { .file = (__u64)file, .tgid = bpf_get_current_pid_tgid() >> 32 };
	struct pa_hold_val *h = bpf_map_lookup_elem(&pa_holds, &k);

	if (!h || h->account_seq != p->account_seq)
		return;
	if (p->unseen == 2) {
		pa_sub_clamped(&h->write_bytes, p->len);
		pa_sub_clamped(&h->write_calls, 1);
	} else {
		pa_sub_clamped(&h->unknown_bytes, p->len);
		pa_sub_clamped(&h->unknown_calls, 1);
	}
}

/* A read, write or splice through the ring completed with @res. */
static __always_inline void pa_ring_read_done(struct task_struct *task, struct io_kiocb *req,
					      __u8 op, __u64 fl, int res)
{
	__u64 key = (__u64)req;
	struct pa_ring_pending *p = bpf_map_lookup_elem(&pa_ring_pending, &key);
	struct file *file = BPF_CORE_READ(req, file), *in = NULL;
	struct pa_file_val *fv;
	__u64 bytes = res > 0 ? res : 0;

	if (op == PA_URING_OP(SPLICE)) {
		struct io_splice *sp = (struct io_splice *)req;

		if (BPF_CORE_READ(sp, flags) & PA_SPLICE_F_FD_IN_FIXED) {
			struct io_rsrc_node *n = BPF_CORE_READ(sp, rsrc_node);

			in = n ? (struct file *)(BPF_CORE_READ(n, file_ptr) & PA_FFS_MASK) : NULL;
		} else if (p) {
			in = (struct file *)p->file;
		}
	} else {
		in = file;
	}
	fv = in ? pa_tracked(in) : NULL;
	if (fv && p && p->unseen && (fl & (1ull << pa_req_bit_skip_link)))
		pa_ring_undo(in, p); /* counted at issue, and seen after all */
	if (fv && res >= 0 && pa_ring_is_write(op)) {
		pa_account_io(task, in, fv, -1, bytes, PA_IO_WRITE);
		if (p)
			bpf_map_delete_elem(&pa_ring_pending, &key);
		return;
	}
	/* a failed request read nothing (its syscall twin is not counted) */
	if (fv && res >= 0 && op == PA_URING_OP(SPLICE))
		pa_xfer_out(task, in, fv, -1, file, PA_SYS_URING_SPLICE, bytes);
	else if (fv && res >= 0)
		pa_account_io(task, in, fv, -1, bytes, PA_IO_RING_READ);
	if (p)
		bpf_map_delete_elem(&pa_ring_pending, &key);
}

static __always_inline int pa_ring_complete(struct io_ring_ctx *ctx, struct io_kiocb *req, int res)
{
	struct task_struct *task;
	__u64 fl;
	__u8 op;

	/* NULL: an auxiliary completion (multishot, msg_ring) */
	if (!req || (bpf_get_current_pid_tgid() >> 32) == pa_agent_tgid)
		return 0;
	task = pa_ring_task();
	op = BPF_CORE_READ(req, opcode);
	fl = pa_req_flags(req);
	if (op == PA_URING_OP(OPENAT) || op == PA_URING_OP(OPENAT2)) {
		if (res >= 0)
			pa_ring_opened(task, ctx, req, op, res);
		return 0;
	}
	if (pa_ring_is_read(op) || pa_ring_is_write(op) || op == PA_URING_OP(SPLICE))
		pa_ring_read_done(task, req, op, fl, res);
	return 0;
}

#endif /* PHIAUDIT_URING_BPF_H */
