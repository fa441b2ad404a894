/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Putting events on the ring buffer: header, sequence and wake-up policy. */
#ifndef PHIAUDIT_EMIT_BPF_H
#define PHIAUDIT_EMIT_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "phiaudit/abi.h"
#include "maps.bpf.h"

/* Kernel event sequence; the first event is 1. A gap is a loss. */
__u64 pa_event_seq = 0;

static __always_inline __u64 pa_next_seq(void)
{
	return __sync_fetch_and_add(&pa_event_seq, 1) + 1;
}

/*
 * Batch wake-ups: wake the agent once, as the queue crosses
 * PA_WAKEUP_BYTES, not on every event past it (each wake-up is an
 * IRQ-work interrupt on this CPU). The agent also polls every 100 ms
 * and always drains everything, so nothing waits longer than that.
 */
static __always_inline __u64 pa_wakeup_flags(__u64 size)
{
	__u64 avail = bpf_ringbuf_query(&pa_events, BPF_RB_AVAIL_DATA);

	if (avail < PA_WAKEUP_BYTES && avail + size >= PA_WAKEUP_BYTES)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

/* Fill @h for an event of @type and @size; seq is taken unless set. */
static __always_inline void pa_hdr_fill(struct pa_event_hdr *h, __u16 type, __u16 size)
{
	h->type = type;
	h->size = size;
	h->cpu = bpf_get_smp_processor_id();
	h->ktime_ns = bpf_ktime_get_boot_ns();
	if (!h->seq)
		h->seq = pa_next_seq();
}

/* Reserve a fixed-size event; counts the loss when the buffer is full. */
static __always_inline void *pa_reserve(__u64 size)
{
	void *e = bpf_ringbuf_reserve(&pa_events, size, 0);

	if (!e) {
		/* The sequence number this event would have had: a gap the
		 * agent sees, beside the counter that explains it. */
		pa_next_seq();
		pa_count(PA_CNT_RINGBUF_FULL);
	}
	return e;
}

static __always_inline void pa_submit(void *e, __u64 size)
{
	bpf_ringbuf_submit(e, pa_wakeup_flags(size));
	pa_count(PA_CNT_EVENTS);
}

#endif /* PHIAUDIT_EMIT_BPF_H */
