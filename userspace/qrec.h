/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * One record as the CLI sees it: the members it filters, reports and
 * draws timelines on, picked out of the json-c tree of one line
 * (docs/records.md has every field). Strings point into the tree and live
 * as long as it; they are in the schema's byte encoding (pathenc.h), as
 * json-c returns them. A member the record lacks is NULL or -1.
 */
#ifndef PHIAUDIT_QREC_H
#define PHIAUDIT_QREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#define PA_QREC_ANCESTORS 8

enum pa_qkind {
	PA_QK_OTHER = 0,   /* a record this version does not know */
	PA_QK_OPEN,	   /* 1001/14 */
	PA_QK_READ,	   /* 1001/2 */
	PA_QK_START,	   /* 6002/3 */
	PA_QK_STOP,	   /* 6002/4 */
	PA_QK_AGENT,	   /* 6002/99: Loss, Log Recovered, ... */
	PA_QK_ALERT,	   /* 2004: a bulk-read Detection Finding */
};

struct pa_qproc {
	int64_t pid;	    /* -1: none */
	int64_t created_ms; /* -1: unknown */
	const char *name, *exe, *cmd_line;
};

struct pa_qrec {
	struct json_object *root;
	enum pa_qkind kind;
	int64_t time_ms;
	const char *time_dt;
	int64_t class_uid, activity_id, status_id;
	const char *activity_name, *message;
	const char *host;
	int64_t seq;		/* metadata.sequence */
	const char *uid;	/* metadata.uid */
	struct pa_qproc proc, parent;
	struct pa_qproc anc[PA_QREC_ANCESTORS];
	size_t n_anc;
	const char *user_uid, *user_name; /* actor.user */
	int64_t auid;
	const char *auid_name;
	const char *path, *file_name, *folder; /* file.* */
	int64_t bytes_read, read_calls, account_seq, open_event_seq;
	bool final;
	const char *title;		  /* alerts: finding_info.title */
	struct json_object *sample_paths; /* alerts: unmapped.sample_paths */
};

/* Fill @r from a parsed line (which @r then borrows). */
void pa_qrec_from(struct pa_qrec *r, struct json_object *root);

/* The member at a dotted path, or NULL. */
struct json_object *pa_qrec_get(struct json_object *root, const char *dotted);
const char *pa_qrec_str(struct json_object *root, const char *dotted);
int64_t pa_qrec_int(struct json_object *root, const char *dotted); /* -1: none */

/* "Open", "Denied", "Read", "Start", "Alert", the activity name... */
const char *pa_qrec_event_name(const struct pa_qrec *r);

#endif
