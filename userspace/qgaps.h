/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Where the log says it is blind, so a search or report can say its answer
 * has a hole (docs/records.md, "Sequence numbers" and the agent's records):
 *
 *   stopped   a Stop record, then the next Start: nothing audited between
 *   crash     a Start with no Stop before it (killed, crashed, power lost):
 *             from the last record before it (or the Log Recovered
 *             record's last_sealed_time_dt) to the Start
 *   loss      a Loss record: events lost or made inexact
 *   sequence  metadata.sequence numbers missing between neighbouring
 *             records (per member, from the seals; per line in plain files)
 *   write     a Log Write Resumed record with records lost
 *
 * Pure: fed the records and seals in log order, it keeps the list.
 * Neighbours are only records of one source read without a skipped file
 * between them (pa_qgaps_break).
 */
#ifndef PHIAUDIT_QGAPS_H
#define PHIAUDIT_QGAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chain.h"
#include "qmap.h"
#include "qrec.h"

enum pa_qgap_kind {
	PA_QGAP_STOPPED,
	PA_QGAP_CRASH,
	PA_QGAP_LOSS,
	PA_QGAP_SEQUENCE,
	PA_QGAP_WRITE,
};

struct pa_qgap {
	enum pa_qgap_kind kind;
	int64_t from_ms, to_ms; /* -1: unknown */
	char host[64];
	uint64_t first_seq, last_seq; /* sequence, write: the records missing */
	char log_id[72];	      /* sequence: whose numbers */
	char detail[160];	      /* loss: the counters that grew */
};

struct pa_qgaps {
	struct pa_qgap *v;
	size_t n, cap;
	struct pa_qmap hosts;	  /* host -> its run state */
	uint64_t lines;		  /* in the stream so far */
	int64_t last_ms, prev_ms; /* the stream's latest line time, and the one before */
	struct pa_qmap logs;	  /* log id -> its last sequence number and time */
};

void pa_qgaps_init(struct pa_qgaps *g);
void pa_qgaps_free(struct pa_qgaps *g);
/* The next records are not neighbours of the last ones. */
void pa_qgaps_break(struct pa_qgaps *g);
/* Every line, with its time (-1: unknown), before its record if parsed. */
void pa_qgaps_line(struct pa_qgaps *g, int64_t time_ms);
/* The agent's own records (class 6002); others are ignored. */
void pa_qgaps_record(struct pa_qgaps *g, const struct pa_qrec *r);
/* A record's metadata.sequence, where no seal gives ranges (plain input),
 * for the log named by @log_id (metadata.uid before its '-'). */
void pa_qgaps_seq(struct pa_qgaps *g, const char *log_id, size_t idlen, uint64_t seq,
		  int64_t time_ms);
/* A seal: the sequence range of the member before it. */
void pa_qgaps_seal(struct pa_qgaps *g, const struct pa_seal *s);

/* Does the gap overlap [since, until) (-1: open)? */
bool pa_qgap_in(const struct pa_qgap *gap, int64_t since_ms, int64_t until_ms);
/* One sentence, for a note or a timeline entry. */
void pa_qgap_describe(const struct pa_qgap *gap, char *buf, size_t n);
/* Notes on @err for the gaps in range, at most @max, then a count. */
size_t pa_qgaps_report(const struct pa_qgaps *g, FILE *err, const char *prog, int64_t since_ms,
		       int64_t until_ms, size_t max);

#endif
