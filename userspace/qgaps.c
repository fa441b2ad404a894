// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "qgaps.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qtime.h"

#define NS_PER_MS 1000000ULL

/* What the stream last said about a host's agent. */
struct host_state {
	bool stopped;	 /* its last lifecycle record was a Stop */
	int64_t stop_ms;
	int64_t start_ms; /* its latest Start */
	size_t crash;	 /* 1 + index of the crash gap its latest Start opened; 0: none */
};

/* Where a log's numbers stand. */
struct seq_state {
	uint64_t last;
	int64_t ms;
};

void pa_qgaps_free(struct pa_qgaps *g)
{
	pa_qmap_free(&g->hosts, free);
	pa_qmap_free(&g->logs, free);
	free(g->v);
	memset(g, 0, sizeof(*g));
}

void pa_qgaps_break(struct pa_qgaps *g)
{
	pa_qmap_free(&g->hosts, free);
	pa_qmap_free(&g->logs, free);
	g->lines = 0;
	g->last_ms = g->prev_ms = -1;
}

void pa_qgaps_init(struct pa_qgaps *g)
{
	memset(g, 0, sizeof(*g));
	pa_qgaps_break(g);
}

void pa_qgaps_line(struct pa_qgaps *g, int64_t time_ms)
{
	g->lines++;
	if (time_ms >= 0) {
		g->prev_ms = g->last_ms;
		g->last_ms = time_ms;
	}
}

static struct pa_qgap *add(struct pa_qgaps *g, enum pa_qgap_kind kind, const char *host,
			   int64_t from, int64_t to)
{
	struct pa_qgap *gap;

	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 16;
		struct pa_qgap *nv = realloc(g->v, cap * sizeof(*nv));

		if (!nv)
			return NULL;
		g->v = nv;
		g->cap = cap;
	}
	gap = memset(&g->v[g->n++], 0, sizeof(*gap));
	gap->kind = kind;
	gap->from_ms = from;
	gap->to_ms = to;
	snprintf(gap->host, sizeof(gap->host), "%s", host ? host : "?");
	return gap;
}

static struct host_state *host_of(struct pa_qgaps *g, const char *host)
{
	const char *h = host ? host : "";
	bool created;
	void **slot = pa_qmap_put(&g->hosts, h, strlen(h), &created);

	if (slot && created)
		*slot = calloc(1, sizeof(struct host_state));
	return slot ? *slot : NULL;
}

/* "2026-11-23T14:39:44.280527956Z" -> ms; -1 if absent or malformed. */
static int64_t iso_ms(const char *s)
{
	struct tm tm = { 0 };
	unsigned ms = 0;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3u", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms) != 7)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000 + ms;
}

static void on_start(struct pa_qgaps *g, struct host_state *h, const struct pa_qrec *r)
{
	struct pa_qgap *gap = NULL;

	h->crash = 0;
	if (h->stopped)
		add(g, PA_QGAP_STOPPED, r->host, h->stop_ms, r->time_ms);
	else if (g->lines > 1 && (gap = add(g, PA_QGAP_CRASH, r->host, g->prev_ms, r->time_ms)))
		h->crash = g->n;
	h->stopped = false;
	h->start_ms = r->time_ms;
}

/* Log Recovered: the last run ended without a Stop; its records end about
 * when its last member was sealed. */
static void on_recovered(struct pa_qgaps *g, struct host_state *h, const struct pa_qrec *r)
{
	int64_t last = iso_ms(pa_qrec_str(r->root, "unmapped.log_store.last_sealed_time_dt"));

	if (!h->crash) {
		if (!add(g, PA_QGAP_CRASH, r->host, last, h->start_ms ? h->start_ms : r->time_ms))
			return;
		h->crash = g->n;
	} else if (last >= 0) {
		g->v[h->crash - 1].from_ms = last;
	}
}

/* Loss: the counters that grew, as "ringbuf_full 12, files_full 3". */
static void on_loss(struct pa_qgaps *g, const struct pa_qrec *r)
{
	struct json_object *since = pa_qrec_get(r->root, "unmapped.since_last");
	struct pa_qgap *gap = add(g, PA_QGAP_LOSS, r->host, r->time_ms, r->time_ms);
	size_t len = 0;

	if (!gap || !since || !json_object_is_type(since, json_type_object))
		return;
	json_object_object_foreach(since, key, val) {
		int64_t v = json_object_get_int64(val);

		if (v > 0 && len < sizeof(gap->detail))
			len += (size_t)snprintf(gap->detail + len, sizeof(gap->detail) - len,
						"%s%s %" PRId64, len ? ", " : "", key, v);
	}
}

static void on_write_resumed(struct pa_qgaps *g, const struct pa_qrec *r)
{
	struct json_object *wf = pa_qrec_get(r->root, "unmapped.write_failure");
	struct pa_qgap *gap;

	if (pa_qrec_int(wf, "records_lost") <= 0)
		return; /* written late, nothing lost */
	gap = add(g, PA_QGAP_WRITE, r->host, iso_ms(pa_qrec_str(wf, "since_dt")),
		  iso_ms(pa_qrec_str(wf, "until_dt")));
	if (gap) {
		gap->first_seq = (uint64_t)pa_qrec_int(wf, "first_lost_sequence");
		gap->last_seq = (uint64_t)pa_qrec_int(wf, "last_lost_sequence");
	}
}

void pa_qgaps_record(struct pa_qgaps *g, const struct pa_qrec *r)
{
	struct host_state *h;

	if (r->class_uid != 6002 || !(h = host_of(g, r->host)))
		return;
	if (r->kind == PA_QK_STOP) {
		h->stopped = true;
		h->stop_ms = r->time_ms;
	} else if (r->kind == PA_QK_START) {
		on_start(g, h, r);
	} else if (r->activity_name && !strcmp(r->activity_name, "Log Recovered")) {
		on_recovered(g, h, r);
	} else if (r->activity_name && !strcmp(r->activity_name, "Loss")) {
		on_loss(g, r);
	} else if (r->activity_name && !strcmp(r->activity_name, "Log Write Resumed")) {
		on_write_resumed(g, r);
	}
}

/*
 * Numbers that come late (a collector's file: records held in a relay's
 * queue during an outage arrive after newer ones) fill the gap reported
 * when they were missed: it shrinks, splits or goes.
 */
static void fill_gaps(struct pa_qgaps *g, const char *log_id, size_t idlen, uint64_t first,
		      uint64_t last)
{
	for (size_t i = 0; i < g->n; i++) {
		struct pa_qgap *gap = &g->v[i];

		if (gap->kind != PA_QGAP_SEQUENCE || strlen(gap->log_id) != idlen ||
		    memcmp(gap->log_id, log_id, idlen) || last < gap->first_seq ||
		    first > gap->last_seq)
			continue;
		if (first <= gap->first_seq && last >= gap->last_seq) {
			g->v[i--] = g->v[--g->n]; /* filled */
		} else if (first <= gap->first_seq) {
			gap->first_seq = last + 1;
		} else if (last >= gap->last_seq) {
			gap->last_seq = first - 1;
		} else { /* in the middle: two gaps */
			struct pa_qgap rest = *gap;

			gap->last_seq = first - 1;
			rest.first_seq = last + 1;
			gap = add(g, PA_QGAP_SEQUENCE, NULL, 0, 0);
			if (gap)
				*gap = rest;
		}
	}
}

/* Numbers go up by one. Going back is either late records (see fill_gaps)
 * or a new run after a crash, which gives the numbers of the records lost
 * with the unfinished member again: neither is a gap. */
static void next_seq(struct pa_qgaps *g, const char *log_id, size_t idlen, uint64_t first,
		     uint64_t last, int64_t ms)
{
	bool created;
	void **slot = pa_qmap_put(&g->logs, log_id, idlen, &created);
	struct seq_state *st = slot ? *slot : NULL;
	struct pa_qgap *gap;

	if (slot && created)
		st = *slot = calloc(1, sizeof(*st));
	if (!st)
		return;
	if (!created && first <= st->last) {
		fill_gaps(g, log_id, idlen, first, last);
		return;
	}
	if (!created && first > st->last + 1 &&
	    (gap = add(g, PA_QGAP_SEQUENCE, NULL, st->ms, ms))) {
		gap->first_seq = st->last + 1;
		gap->last_seq = first - 1;
		snprintf(gap->log_id, sizeof(gap->log_id), "%.*s", (int)(idlen < 71 ? idlen : 71),
			 log_id);
	}
	st->last = last;
	st->ms = ms;
}

void pa_qgaps_seq(struct pa_qgaps *g, const char *log_id, size_t idlen, uint64_t seq,
		  int64_t time_ms)
{
	next_seq(g, log_id, idlen, seq, seq, time_ms);
}

void pa_qgaps_seal(struct pa_qgaps *g, const struct pa_seal *s)
{
	if (s->records && s->first_seq)
		next_seq(g, "", 0, s->first_seq, s->last_seq, (int64_t)(s->time_ns / NS_PER_MS));
}

bool pa_qgap_in(const struct pa_qgap *gap, int64_t since_ms, int64_t until_ms)
{
	int64_t from = gap->from_ms >= 0 ? gap->from_ms : gap->to_ms;
	int64_t to = gap->to_ms >= 0 ? gap->to_ms : gap->from_ms;

	return (since_ms < 0 || to < 0 || to >= since_ms) && (until_ms < 0 || from < until_ms);
}

void pa_qgap_describe(const struct pa_qgap *gap, char *buf, size_t n)
{
	char a[40], b[40];

	pa_qtime_format_ms(a, sizeof(a), gap->from_ms);
	pa_qtime_format_ms(b, sizeof(b), gap->to_ms);
	switch (gap->kind) {
	case PA_QGAP_STOPPED:
		snprintf(buf, n, "host %s: the agent was stopped from %s to %s: nothing was "
			 "audited in between", gap->host, a, b);
		break;
	case PA_QGAP_CRASH:
		snprintf(buf, n, "host %s: the agent ended without a Stop record (killed, crashed "
			 "or power lost) after %s and started again at %s: nothing was audited in "
			 "between", gap->host, a, b);
		break;
	case PA_QGAP_LOSS:
		snprintf(buf, n, "host %s: at %s the agent recorded a loss: events were lost or "
			 "inexact (%s)", gap->host, a, gap->detail[0] ? gap->detail : "see the record");
		break;
	case PA_QGAP_SEQUENCE:
		snprintf(buf, n, "records %" PRIu64 " to %" PRIu64 " (metadata.sequence) are missing "
			 "between %s and %s (run phiaudit verify)", gap->first_seq, gap->last_seq, a, b);
		break;
	case PA_QGAP_WRITE:
		snprintf(buf, n, "host %s: the log could not be written from %s to %s: records %"
			 PRIu64 " to %" PRIu64 " were lost", gap->host, a, b, gap->first_seq,
			 gap->last_seq);
		break;
	}
}

size_t pa_qgaps_report(const struct pa_qgaps *g, FILE *err, const char *prog, int64_t since_ms,
		       int64_t until_ms, size_t max)
{
	size_t shown = 0, in_range = 0;
	char line[512];

	for (size_t i = 0; i < g->n; i++) {
		if (!pa_qgap_in(&g->v[i], since_ms, until_ms))
			continue;
		if (in_range++ >= max)
			continue;
		pa_qgap_describe(&g->v[i], line, sizeof(line));
		fprintf(err, "%s: gap: %s\n", prog, line);
		shown++;
	}
	if (in_range > shown)
		fprintf(err, "%s: gap: ... and %zu more (phiaudit timeline lists them all)\n", prog,
			in_range - shown);
	return in_range;
}
