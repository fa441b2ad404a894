// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "qtime.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_S 1000000000ULL

const char pa_qtime_forms[] =
	"ISO 8601 (2026-11-23T14:30:00Z, 2026-11-23 14:30, 2026-11-23, with or without "
	"a zone: Z, +01:00), HH:MM[:SS] (today), @EPOCH or EPOCH seconds, or one of now, "
	"recent, today, yesterday, this-week, week-ago, this-month, this-year";

/* A broken-down time, as the user wrote it. */
struct when {
	struct tm tm;
	uint64_t frac_ns;
	bool has_zone;
	long zone_s; /* east of UTC */
};

/* Broken-down -> UTC ns: the zone given, else UTC or local time. mktime
 * takes a local time skipped by a DST change as after it, and picks one
 * of the two readings of a repeated hour (tm_isdst -1: its own guess). */
static int to_ns(struct when *w, bool utc, uint64_t *ns)
{
	time_t t;

	if (w->has_zone || utc) {
		t = timegm(&w->tm) - (w->has_zone ? w->zone_s : 0);
	} else {
		w->tm.tm_isdst = -1;
		t = mktime(&w->tm);
	}
	if (t == (time_t)-1 || t < 0)
		return -1;
	*ns = (uint64_t)t * NS_S + w->frac_ns;
	return 0;
}

/* Now, broken down in local time or UTC. */
static void now_tm(uint64_t now_ns, bool utc, struct tm *tm)
{
	time_t t = (time_t)(now_ns / NS_S);

	if (utc)
		gmtime_r(&t, tm);
	else
		localtime_r(&t, tm);
}

/* The words, ausearch's: each is an instant (a midnight, or now less some). */
static int parse_word(const char *s, uint64_t now_ns, bool utc, uint64_t *ns)
{
	static const char *const words[] = { "now", "recent", "today", "yesterday",
					     "this-week", "week-ago", "this-month", "this-year" };
	struct when w = { 0 };
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(s, words[i]))
			break;
	if (i == 0 || i == 1) {
		*ns = now_ns - (i == 1 ? 600 * NS_S : 0);
		return 0;
	}
	if (i == sizeof(words) / sizeof(words[0]))
		return 1;
	now_tm(now_ns, utc, &w.tm);
	w.tm.tm_hour = w.tm.tm_min = w.tm.tm_sec = 0;
	if (i == 3)
		w.tm.tm_mday -= 1;
	else if (i == 4) /* weeks start on Monday, as in ISO 8601 */
		w.tm.tm_mday -= (w.tm.tm_wday + 6) % 7;
	else if (i == 5)
		w.tm.tm_mday -= 7;
	else if (i == 6)
		w.tm.tm_mday = 1;
	else if (i == 7)
		w.tm.tm_mday = 1, w.tm.tm_mon = 0;
	return to_ns(&w, utc, ns) ? -1 : 0;
}

/* Exactly @n digits at *p: their value, *p moved past; -1 if not. */
static long digits(const char **p, int n)
{
	long v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return v;
}

/* ".123456789" (1 to 9 digits) at *p, if there: nanoseconds. */
static int fraction(const char **p, uint64_t *ns)
{
	uint64_t scale = NS_S / 10;
	int n = 0;

	*ns = 0;
	if (**p != '.' && **p != ',')
		return 0;
	for ((*p)++; isdigit((unsigned char)**p); (*p)++, n++)
		if (n < 9) {
			*ns += (uint64_t)(**p - '0') * scale;
			scale /= 10;
		}
	return n ? 0 : -1;
}

/* HH:MM[:SS[.frac]] at *p. */
static int clock_part(const char **p, struct when *w)
{
	long h = digits(p, 2), m = -1, s = 0;

	if (h >= 0 && **p == ':') {
		(*p)++;
		m = digits(p, 2);
	}
	if (m >= 0 && **p == ':') {
		(*p)++;
		s = digits(p, 2);
	}
	if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 60 || fraction(p, &w->frac_ns))
		return -1;
	w->tm.tm_hour = (int)h;
	w->tm.tm_min = (int)m;
	w->tm.tm_sec = (int)s;
	return 0;
}

/* Z, +HH, +HHMM, +HH:MM, or nothing, then the end. */
static int zone_part(const char *p, struct when *w)
{
	long h, m = 0;
	int sign;

	if (!*p)
		return 0;
	w->has_zone = true;
	if (!strcmp(p, "Z") || !strcmp(p, "z"))
		return 0;
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	h = digits(&p, 2);
	if (*p == ':')
		p++;
	if (*p)
		m = digits(&p, 2);
	if (h < 0 || h > 23 || m < 0 || m > 59 || *p)
		return -1;
	w->zone_s = sign * (h * 3600 + m * 60);
	return 0;
}

static int days_in_month(long y, long m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]][zone]. */
static int parse_iso(const char *p, bool utc, uint64_t *ns)
{
	struct when w = { 0 };
	long y = digits(&p, 4), mo = -1, d = -1;

	if (y >= 0 && *p == '-' && (p++, (mo = digits(&p, 2)) >= 0) && *p == '-') {
		p++;
		d = digits(&p, 2);
	}
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	w.tm.tm_year = (int)(y - 1900);
	w.tm.tm_mon = (int)(mo - 1);
	w.tm.tm_mday = (int)d;
	if ((*p == 'T' || *p == 't' || *p == ' ') && p[1]) {
		p++;
		if (clock_part(&p, &w))
			return -1;
	}
	if (zone_part(p, &w))
		return -1;
	return to_ns(&w, utc, ns);
}

/* HH:MM[:SS] alone: today at that time (today in the zone given, if any). */
static int parse_clock(const char *p, uint64_t now_ns, bool utc, uint64_t *ns)
{
	struct when w = { 0 };
	struct tm day;

	if (clock_part(&p, &w) || zone_part(p, &w))
		return -1;
	now_tm(now_ns, utc || w.has_zone, &day);
	w.tm.tm_year = day.tm_year;
	w.tm.tm_mon = day.tm_mon;
	w.tm.tm_mday = day.tm_mday;
	return to_ns(&w, utc, ns);
}

/* @EPOCH[.frac] or EPOCH[.frac]: seconds since 1970 UTC. */
static int parse_epoch(const char *p, uint64_t *ns)
{
	uint64_t secs = 0, frac;
	int n = 0;

	if (*p == '@')
		p++;
	for (; isdigit((unsigned char)*p) && n < 12; p++, n++)
		secs = secs * 10 + (uint64_t)(*p - '0');
	if (!n || fraction(&p, &frac) || *p)
		return -1;
	*ns = secs * NS_S + frac;
	return 0;
}

int pa_qtime_parse(const char *s, uint64_t now_ns, bool utc, uint64_t *ns, char *err,
		   size_t errlen)
{
	int rc = parse_word(s, now_ns, utc, ns);
	size_t n = strspn(s, "0123456789");

	if (rc == 1) {
		if (s[0] == '@' || (n > 0 && (s[n] == '\0' || s[n] == '.')))
			rc = parse_epoch(s, ns);
		else if (n == 2 && s[2] == ':')
			rc = parse_clock(s, now_ns, utc, ns);
		else
			rc = parse_iso(s, utc, ns);
	}
	if (rc)
		snprintf(err, errlen, "'%s' is not a time: use %s", s, pa_qtime_forms);
	return rc ? -1 : 0;
}

void pa_qtime_format_ms(char *buf, size_t n, int64_t ms)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char base[32];

	if (ms < 0 || !gmtime_r(&secs, &tm)) {
		snprintf(buf, n, "-");
		return;
	}
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%s.%03dZ", base, (int)(ms % 1000));
}
