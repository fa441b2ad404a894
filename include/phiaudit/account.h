/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A read account (struct pa_hold_val) as the events that report it: its
 * counts (pa_read_event) and its transfer run (pa_xfer_event). Pure C,
 * shared by the kernel, which sends them, and the agent, which makes the
 * same events at its stop for the accounts still open: one copy, not two.
 * The header (type, size, seq, time) is the caller's.
 */
#ifndef PHIAUDIT_ACCOUNT_H
#define PHIAUDIT_ACCOUNT_H

#include "abi.h"

/* Did the account see anything worth a record (a read, a write, a ring
 * read whose result is unseen)? Transfers are reads. */
static inline int pa_account_used(const struct pa_hold_val *h)
{
	return h->calls || h->write_calls || h->unknown_calls;
}

static inline void pa_account_read_event(struct pa_read_event *e, const struct pa_hold_key *k,
					 const struct pa_hold_val *h, __u8 reason, __u8 final)
{
	e->proc = h->proc;
	e->file = k->file;
	e->open_seq = h->open_seq;
	e->account_seq = h->account_seq;
	e->bytes = h->bytes;
	e->calls = h->calls;
	e->first_ns = h->first_ns;
	e->last_ns = h->last_ns;
	e->file_ino = h->file_ino;
	e->file_dev = h->file_dev;
	e->watch_id = h->watch_id;
	e->reason = reason;
	e->final = final;
	__builtin_memset(e->pad, 0, sizeof(e->pad));
	e->sent_bytes = h->sent_bytes;
	e->sent_calls = h->sent_calls;
	e->ring_calls = h->ring_calls;
	e->unknown_calls = h->unknown_calls;
	e->unknown_bytes = h->unknown_bytes;
	e->write_bytes = h->write_bytes;
	e->write_calls = h->write_calls;
}

/* The account's current run; @e zeroed by the caller (socket details,
 * clone fields and dest_seq are a START's or a clone's own). */
static inline void pa_account_xfer_event(struct pa_xfer_event *e, const struct pa_hold_key *k,
					 const struct pa_hold_val *h, __u8 phase)
{
	e->proc = h->proc;
	e->file = k->file;
	e->open_seq = h->open_seq;
	e->account_seq = h->account_seq;
	e->run = h->xfer_run;
	e->dst_file = h->xfer_dst;
	e->bytes = h->xfer_bytes;
	e->calls = h->xfer_calls;
	e->first_ns = h->xfer_first_ns;
	e->last_ns = h->xfer_last_ns;
	e->file_ino = h->file_ino;
	e->file_dev = h->file_dev;
	e->watch_id = h->watch_id;
	e->dst_ino = h->xfer_dst_ino;
	e->dst_dev = h->xfer_dst_dev;
	e->dst_mode = h->xfer_dst_mode;
	e->dst_kind = h->xfer_dst_kind;
	e->syscall = h->xfer_syscall;
	e->phase = phase;
}

#endif /* PHIAUDIT_ACCOUNT_H */
