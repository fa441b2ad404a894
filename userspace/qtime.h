/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The times a user gives --since and --until, as journalctl and ausearch
 * take them, turned into UTC nanoseconds. Pure: the clock is passed in and
 * local time is the process's TZ, so tests pin both.
 *
 *   2026-11-23T14:30:00Z  2026-11-23 14:30:00.5+01:00  2026-11-23T14:30
 *   2026-11-23            (midnight)                   14:30[:00] (today)
 *   @1795444208[.5]       1795444208 (epoch seconds)
 *   now  recent (10 minutes ago)  today  yesterday  this-week (Monday)
 *   week-ago (midnight 7 days ago)  this-month  this-year
 *
 * Without a zone, times and words are local time, or UTC with @utc.
 */
#ifndef PHIAUDIT_QTIME_H
#define PHIAUDIT_QTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One line naming every accepted form, for error messages and --help. */
extern const char pa_qtime_forms[];

/* 0 and *ns, or -1 with @err saying what was wrong with @s. */
int pa_qtime_parse(const char *s, uint64_t now_ns, bool utc, uint64_t *ns, char *err,
		   size_t errlen);

/* UTC ISO 8601 to the millisecond, "2026-11-23T14:30:08.736Z", from ms. */
void pa_qtime_format_ms(char *buf, size_t n, int64_t ms);

#endif
