// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "clock.h"

#include <stdint.h>
#include <time.h>

static int64_t ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

uint64_t pa_clock_boot_ns(void)
{
	return (uint64_t)ns(CLOCK_BOOTTIME);
}

int64_t pa_clock_offset_now(void)
{
	/* Bracket the realtime read between two boottime reads and use the
	 * midpoint; keep the tightest of a few tries. */
	int64_t best_gap = INT64_MAX, best = 0;

	for (int i = 0; i < 5; i++) {
		int64_t b1 = ns(CLOCK_BOOTTIME), r = ns(CLOCK_REALTIME), b2 = ns(CLOCK_BOOTTIME);

		if (b2 - b1 < best_gap) {
			best_gap = b2 - b1;
			best = r - (b1 + (b2 - b1) / 2);
		}
	}
	return best;
}
