/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Data that leaves a tracked file without a read syscall, and where it goes:
 *
 *   sendfile, splice, copy_file_range   bytes = the return value; out of a
 *                                       tracked file they are read (and
 *                                       sent), into one they are written
 *   FICLONE, FICLONERANGE, FIDEDUPERANGE  no bytes read, yet the data now
 *                                       lives elsewhere: one event each
 *
 * A source account keeps one run: consecutive transfers to one destination
 * (struct file *). A run starts with a START event (and, for a file, a
 * PA_ROLE_DEST event naming it), and ends with END, its totals, when the
 * destination changes or the account ends (reads.bpf.h).
 */
#ifndef PHIAUDIT_XFER_BPF_H
#define PHIAUDIT_XFER_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "phiaudit/abi.h"
#include "maps.bpf.h"
#include "emit.bpf.h"
#include "task.bpf.h"
#include "reads.bpf.h"
#include "describe.bpf.h"

#define PA_S_IFMT   0170000
#define PA_S_IFSOCK 0140000
#define PA_S_IFIFO  0010000
#define PA_S_IFREG  0100000
#define PA_S_IFDIR  0040000
#define PA_AF_UNIX  1
#define PA_AF_INET  2
#define PA_AF_INET6 10

/* linux/fs.h ioctl numbers (x86-64 and i386 alike) */
#define PA_FICLONE	 0x40049409u
#define PA_FICLONERANGE	 0x4020940du
#define PA_FIDEDUPERANGE 0xc0189436u
#define PA_DEDUPE_MAX	 4 /* destinations looked at per FIDEDUPERANGE */

static __always_inline __u8 pa_dst_kind(__u32 mode)
{
	switch (mode & PA_S_IFMT) {
	case PA_S_IFREG:
	case PA_S_IFDIR:
		return PA_DST_FILE;
	case PA_S_IFIFO:
		return PA_DST_PIPE;
	case PA_S_IFSOCK:
		return PA_DST_SOCKET;
	default:
		return PA_DST_OTHER;
	}
}

/* A socket's family, protocol, addresses and ports, from its struct sock. */
static __always_inline void pa_xfer_socket(struct pa_xfer_event *e, struct file *dst)
{
	struct socket *sock = BPF_CORE_READ(dst, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);

	if (!sk)
		return;
	e->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->protocol = BPF_CORE_READ(sk, sk_protocol);
	e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	e->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	/* (Into the whole arrays: BPF_CORE_READ_INTO on a __u8[16] reads one
	 * byte, the size of its element.) */
	if (e->family == PA_AF_INET) {
		bpf_core_read(e->saddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(e->daddr, 4, &sk->__sk_common.skc_daddr);
	} else if (e->family == PA_AF_INET6) {
		bpf_core_read(e->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(e->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
}

/*
 * A file destination is named by its own PA_ROLE_DEST event, sent before
 * the transfer event is reserved (the ring keeps reservation order, and
 * the agent wants the name first). Returns its seq, 0 when none.
 */
static __always_inline __u64 pa_xfer_dest_name(struct task_struct *task, struct file *dst,
					       __u16 op)
{
	if (!dst || pa_dst_kind(BPF_CORE_READ(dst, f_inode, i_mode)) != PA_DST_FILE)
		return 0;
	return pa_describe_file(task, dst, op, PA_ROLE_DEST);
}

/* Describe destination @dst in @e (@dest_seq: its name's event). */
static __always_inline void pa_xfer_dest(struct pa_xfer_event *e, struct file *dst,
					 __u64 dest_seq)
{
	e->dst_file = (__u64)dst;
	if (!dst)
		return;
	e->dst_ino = BPF_CORE_READ(dst, f_inode, i_ino);
	e->dst_dev = BPF_CORE_READ(dst, f_inode, i_sb, s_dev);
	e->dst_mode = BPF_CORE_READ(dst, f_inode, i_mode);
	e->dst_kind = pa_dst_kind(e->dst_mode);
	e->dest_seq = dest_seq;
	if (e->dst_kind == PA_DST_SOCKET)
		pa_xfer_socket(e, dst);
}

/* A run begins: remember its destination in the account, send START. */
static __always_inline void pa_xfer_start(struct task_struct *task, const struct pa_hold_key *k,
					  struct pa_hold_val *h, struct file *dst, __u16 op,
					  __u64 bytes, __u64 now)
{
	__u64 dest_seq = pa_xfer_dest_name(task, dst, op);
	struct pa_xfer_event *e;

	h->xfer_run++;
	h->xfer_dst = (__u64)dst;
	h->xfer_syscall = op;
	h->xfer_first_ns = now;
	h->xfer_dst_ino = BPF_CORE_READ(dst, f_inode, i_ino);
	h->xfer_dst_dev = BPF_CORE_READ(dst, f_inode, i_sb, s_dev);
	h->xfer_dst_mode = BPF_CORE_READ(dst, f_inode, i_mode);
	h->xfer_dst_kind = pa_dst_kind(h->xfer_dst_mode);
	e = pa_xfer_event_of(k, h, PA_XFER_START);
	if (!e)
		return;
	e->bytes = bytes;
	e->calls = 1;
	e->first_ns = e->last_ns = now;
	pa_xfer_dest(e, dst, dest_seq);
	pa_submit(e, sizeof(*e));
}

/* @bytes went from tracked @src (fd @fd) to @dst: the source's account. */
static __always_inline void pa_xfer_out(struct task_struct *task, struct file *src,
					const struct pa_file_val *fv, int fd, struct file *dst,
					__u16 op, __u64 bytes)
{
	struct pa_hold_val *h = pa_account_io(task, src, fv, fd, bytes, PA_IO_SENT);
	struct pa_hold_key k = { .file = (__u64)src, .tgid = bpf_get_current_pid_tgid() >> 32 };
	__u64 now = bpf_ktime_get_boot_ns();

	if (!h)
		return;
	pa_count(PA_CNT_XFERS);
	/* Another destination ends the run: another struct file, or the same
	 * address reused by another file once the first was closed. */
	if (h->xfer_calls && (h->xfer_dst != (__u64)dst ||
			      h->xfer_dst_ino != BPF_CORE_READ(dst, f_inode, i_ino) ||
			      h->xfer_dst_dev != BPF_CORE_READ(dst, f_inode, i_sb, s_dev)))
		pa_xfer_end(&k, h);
	if (!h->xfer_calls)
		pa_xfer_start(task, &k, h, dst, op, bytes, now);
	h->xfer_calls++;
	h->xfer_bytes += bytes;
	h->xfer_last_ns = now;
}

/* sendfile(out, in, ...), splice(in, _, out, ...), copy_file_range(in, _, out, ...) */
static __always_inline int pa_handle_xfer(struct task_struct *task, struct pt_regs *regs,
					  int compat, enum pa_syscall op, long ret)
{
	int in_fd, out_fd;
	struct file *src, *dst;
	struct pa_file_val *sv, *dv;

	if (ret <= 0)
		return 0;
	if (op == PA_SYS_SENDFILE) {
		out_fd = (int)pa_arg(regs, compat, 0);
		in_fd = (int)pa_arg(regs, compat, 1);
	} else {
		in_fd = (int)pa_arg(regs, compat, 0);
		out_fd = (int)pa_arg(regs, compat, 2);
	}
	src = pa_fd_file(task, in_fd);
	dst = pa_fd_file(task, out_fd);
	sv = src ? pa_tracked(src) : NULL;
	dv = dst ? pa_tracked(dst) : NULL;
	if (dv)
		pa_account_io(task, dst, dv, out_fd, ret, PA_IO_WRITE);
	if (sv)
		pa_xfer_out(task, src, sv, in_fd, dst, op, ret);
	return 0;
}

/* One clone or dedupe out of tracked @src into @dst: an event on its own. */
static __always_inline void pa_clone_event(struct task_struct *task, struct file *src,
					   const struct pa_file_val *fv, struct file *dst,
					   __u32 cmd, __u64 offset, __u64 length, __u64 bytes)
{
	struct pa_xfer_event *e;
	__u64 now = bpf_ktime_get_boot_ns(), dest_seq;

	if ((bpf_get_current_pid_tgid() >> 32) == pa_agent_tgid)
		return;
	dest_seq = pa_xfer_dest_name(task, dst, PA_SYS_IOCTL);
	e = pa_reserve(sizeof(*e));
	if (!e)
		return;
	__builtin_memset(e, 0, sizeof(*e));
	pa_fill_proc_of(&e->proc, task);
	e->file = (__u64)src;
	e->open_seq = fv->open_seq;
	e->file_ino = fv->ino;
	e->file_dev = fv->dev;
	e->watch_id = fv->watch_id;
	e->offset = offset;
	e->length = length;
	e->bytes = bytes;
	e->calls = 1;
	e->first_ns = e->last_ns = now;
	e->syscall = PA_SYS_IOCTL;
	e->cmd = cmd;
	e->phase = PA_XFER_ONCE;
	pa_xfer_dest(e, dst, dest_seq);
	pa_hdr_fill(&e->hdr, PA_EV_XFER, sizeof(*e));
	pa_submit(e, sizeof(*e));
	pa_count(PA_CNT_XFERS);
}

/* Length a clone covers: the asked length, or the rest of the source. */
static __always_inline __u64 pa_clone_len(struct file *src, __u64 offset, __u64 length)
{
	__u64 size = BPF_CORE_READ(src, f_inode, i_size);

	if (length)
		return length;
	return size > offset ? size - offset : 0;
}

/* struct file_clone_range (linux/fs.h) */
struct pa_clone_range {
	__s64 src_fd;
	__u64 src_offset;
	__u64 src_length;
	__u64 dest_offset;
};

/* struct file_dedupe_range and its _info (linux/fs.h) */
struct pa_dedupe_range {
	__u64 src_offset;
	__u64 src_length;
	__u16 dest_count;
	__u16 reserved1;
	__u32 reserved2;
};

struct pa_dedupe_info {
	__s64 dest_fd;
	__u64 dest_offset;
	__u64 bytes_deduped;
	__s32 status;
	__u32 reserved;
};

static __always_inline void pa_clone(struct task_struct *task, __u32 cmd, int src_fd, int dst_fd,
				     __u64 offset, __u64 length)
{
	struct file *src = pa_fd_file(task, src_fd), *dst = pa_fd_file(task, dst_fd);
	struct pa_file_val *sv = src ? pa_tracked(src) : NULL;
	struct pa_file_val *dv = dst ? pa_tracked(dst) : NULL;
	__u64 bytes = src ? pa_clone_len(src, offset, length) : length;

	/* (Two tests, not one on both: clang would OR the pointers.) */
	if (dv)
		pa_account_io(task, dst, dv, dst_fd, bytes, PA_IO_WRITE);
	if (sv)
		pa_clone_event(task, src, sv, dst, cmd, offset, length, bytes);
}

static __always_inline void pa_dedupe(struct task_struct *task, int src_fd, __u64 arg)
{
	struct file *src = pa_fd_file(task, src_fd);
	struct pa_file_val *sv = src ? pa_tracked(src) : NULL;
	struct pa_dedupe_range r;

	if (!sv)
		return;
	if (bpf_probe_read_user(&r, sizeof(r), (void *)arg)) {
		pa_count(PA_CNT_CLONE_ARG_FAULT);
		return;
	}
	for (int i = 0; i < PA_DEDUPE_MAX; i++) {
		struct pa_dedupe_info in;

		if (i >= r.dest_count)
			break;
		if (bpf_probe_read_user(&in, sizeof(in), (void *)(arg + sizeof(r) + i * sizeof(in)))) {
			pa_count(PA_CNT_CLONE_ARG_FAULT);
			return;
		}
		/* FILE_DEDUPE_RANGE_SAME (0): the range now shares extents */
		if (in.status == 0 && in.bytes_deduped)
			pa_clone_event(task, src, sv, pa_fd_file(task, (int)in.dest_fd),
				       PA_FIDEDUPERANGE, r.src_offset, r.src_length,
				       in.bytes_deduped);
	}
}

/* ioctl(fd, cmd, arg): only the reflink commands matter, checked first
 * (ioctl is frequent: a terminal's every line). */
static __always_inline int pa_handle_ioctl(struct task_struct *task, struct pt_regs *regs,
					   int compat, long ret)
{
	__u32 cmd = (__u32)pa_arg(regs, compat, 1);
	int fd;
	__u64 arg;

	if (ret != 0 || (cmd != PA_FICLONE && cmd != PA_FICLONERANGE && cmd != PA_FIDEDUPERANGE))
		return 0;
	fd = (int)pa_arg(regs, compat, 0);
	arg = pa_arg(regs, compat, 2);
	if (cmd == PA_FICLONE) {
		pa_clone(task, cmd, (int)arg, fd, 0, 0);
	} else if (cmd == PA_FICLONERANGE) {
		struct pa_clone_range r;

		if (bpf_probe_read_user(&r, sizeof(r), (void *)arg)) {
			pa_count(PA_CNT_CLONE_ARG_FAULT);
			return 0;
		}
		pa_clone(task, cmd, (int)r.src_fd, fd, r.src_offset, r.src_length);
	} else {
		pa_dedupe(task, fd, arg);
	}
	return 0;
}

#endif /* PHIAUDIT_XFER_BPF_H */
