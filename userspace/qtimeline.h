/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * `phiaudit timeline`: what happened in a window, in time order, for an
 * incident responder: every process start (from the created_time of the
 * processes the records name, their parents and ancestors), open, denied
 * open, read report, alert, record of the agent itself, and gap in the
 * log (qgaps.h). The processes form a tree (parent_process, ancestors).
 *
 *   table       the process tree, indented, each process with its opens
 *               and bytes read; then the events
 *   csv         one row an event (csvw.h)
 *   timesketch  JSONL Timesketch imports: message, datetime (ISO 8601),
 *               timestamp_desc, and the fields to filter on
 */
#ifndef PHIAUDIT_QTIMELINE_H
#define PHIAUDIT_QTIMELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "qgaps.h"
#include "qmap.h"
#include "qout.h"
#include "qrec.h"

enum pa_qtl_kind {
	PA_QTL_START,	/* a process started */
	PA_QTL_OPEN,
	PA_QTL_DENIED,
	PA_QTL_READ,
	PA_QTL_ALERT,
	PA_QTL_AGENT,	/* the agent's own record */
	PA_QTL_GAP,
};

struct pa_qtproc {
	char *host, *name, *exe, *cmd_line, *user, *login;
	int64_t pid, created_ms;
	struct pa_qtproc *parent;
	struct pa_qtproc **kids;
	size_t nkids;
	uint64_t opens, denied;
	struct pa_qmap accounts; /* its read accounts' biggest byte counts */
	bool actor;		 /* a record names it as the actor */
	bool shown;		 /* printed in the tree */
};

struct pa_qtev {
	enum pa_qtl_kind kind;
	int64_t ms;
	char *iso;	/* the record's time_dt (ns); NULL: from ms */
	uint64_t order; /* input order, for equal times */
	struct pa_qtproc *proc;
	char *path, *detail, *uid;
	int64_t bytes;
};

struct pa_qtimeline {
	struct pa_qmap procs; /* "host/pid/created" -> struct pa_qtproc */
	struct pa_qtev *ev;
	size_t n, cap;
	uint64_t order;
	bool failed; /* out of memory: the timeline is incomplete */
};

void pa_qtimeline_add(struct pa_qtimeline *tl, const struct pa_qrec *r);
/* The gaps that overlap [since, until) (-1: open), as events. */
void pa_qtimeline_gaps(struct pa_qtimeline *tl, const struct pa_qgaps *g, int64_t since_ms,
		       int64_t until_ms);
/* Process starts in [since, until) are added, then all is written in time
 * order. Returns the number of events. */
size_t pa_qtimeline_write(struct pa_qtimeline *tl, FILE *out, enum pa_qformat fmt,
			  int64_t since_ms, int64_t until_ms);
void pa_qtimeline_free(struct pa_qtimeline *tl);

#endif
