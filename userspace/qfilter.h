/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Which records a query wants: a time range and groups of values (users,
 * login users, paths, processes, pids, hosts, activities). Values of one
 * group are alternatives; groups must all match. Pure, but for the pid
 * subtree that --descendants grows as it meets processes.
 *
 * Two steps, because parsing JSON is what costs (docs/records.md: members
 * come in a fixed order, without spaces):
 *
 *   pa_qfilter_quick   on the raw line: the leading "time" against the
 *                      range, and for each group one of its values'
 *                      literal JSON text ("pid":4242, the JSON-escaped
 *                      encoded path) somewhere in the line. Only says no
 *                      when the record cannot match.
 *   pa_qfilter_match   on the parsed record: the exact test.
 *
 * File names are bytes: a path the user gives is put through the schema's
 * encoding (pathenc.h) and matched in that form, so a Latin-1 name typed
 * as its bytes finds the record that shows it as caf\xe9.csv.
 */
#ifndef PHIAUDIT_QFILTER_H
#define PHIAUDIT_QFILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qmap.h"
#include "qrec.h"

enum pa_qgroup_id {
	PA_QF_USER,	/* actor.user: uid or name */
	PA_QF_AUID,	/* unmapped.auid / auid_name */
	PA_QF_PATH,	/* file.path (alerts: unmapped.sample_paths): prefix or glob */
	PA_QF_PROCESS,	/* actor.process: name (comm or program's base name) or program path */
	PA_QF_PID,	/* actor.process.pid (with descendants: the subtree) */
	PA_QF_HOST,	/* device.hostname */
	PA_QF_ACTIVITY, /* open, read, start, ... or an OCSF activity name or id */
	PA_QF_GROUPS,
};

enum pa_qval_kind { PA_QV_NUM, PA_QV_NAME, PA_QV_PREFIX, PA_QV_GLOB };

struct pa_qval {
	enum pa_qval_kind kind;
	char *text;	/* encoded (pathenc) form of what the user typed */
	size_t len;
	int64_t num;	/* PA_QV_NUM */
	char *needle;	/* literal JSON text the raw line must hold; NULL: none */
	size_t nlen;
};

struct pa_qgroup {
	struct pa_qval *v;
	size_t n;
};

struct pa_qfilter {
	bool has_since, has_until;
	int64_t since_ms, until_ms; /* [since, until) */
	struct pa_qgroup g[PA_QF_GROUPS];
	bool descendants; /* PA_QF_PID means the pids and every process below them */
	bool alerts;	  /* only class 2004 records */
	struct pa_qmap subtree; /* "pid/created_ms" of processes found in the subtree */
};

/* Add a value to a group. 0, or -1 with @err saying what is wrong. */
int pa_qfilter_add(struct pa_qfilter *f, enum pa_qgroup_id g, const char *value, char *err,
		   size_t errlen);
void pa_qfilter_free(struct pa_qfilter *f);

/* The raw line's leading "time" member (ms), or -1 if it has none. */
int64_t pa_qline_time_ms(const char *line, size_t len);
bool pa_qfilter_quick(const struct pa_qfilter *f, const char *line, size_t len);
bool pa_qfilter_match(struct pa_qfilter *f, const struct pa_qrec *r);

/* Does @path (encoded) lie at or below the encoded @prefix, component-wise? */
bool pa_qpath_under(const char *path, size_t plen, const char *prefix, size_t n);
/* @s JSON-escaped as the agent's writer escapes it (jsonw.c); @out holds
 * 6 * @n + 1. Returns the length. */
size_t pa_qjson_escape(const char *s, size_t n, char *out);

#endif
