/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Kernel timestamps are CLOCK_BOOTTIME; records are UTC. The offset between
 * the two is measured at start and re-checked every stats interval; a
 * change beyond PA_CLOCK_STEP_NS (an NTP step, settimeofday) is recorded,
 * so a timeline stays honest about its own clock.
 */
#ifndef PHIAUDIT_CLOCK_H
#define PHIAUDIT_CLOCK_H

#include <stdint.h>

#define PA_CLOCK_STEP_NS 10000000LL /* 10 ms */

/* CLOCK_REALTIME minus CLOCK_BOOTTIME, nanoseconds, now. */
int64_t pa_clock_offset_now(void);
uint64_t pa_clock_boot_ns(void);

static inline uint64_t pa_boot_to_utc(int64_t offset, uint64_t boot_ns)
{
	return (uint64_t)((int64_t)boot_ns + offset);
}

#endif
