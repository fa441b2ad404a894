/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * `phiaudit report`: the File System Activity records that matched, summed
 * per user, login user, file, directory, program, host, UTC day or patient:
 * accesses (Open records; of them, denied), distinct files, bytes read,
 * first and last time.
 *
 * Bytes read are counted once per read account (docs/records.md, "Bytes per
 * process and file"): the agent's Read records are cumulative, so the
 * account's record with the most read calls holds its total (the final one
 * when there is one). An account is one process (pid and start) reading one
 * open (open_event_seq) in one run of one log (account_seq, metadata.uid's
 * log id). With a time range, an account's total is as of its last record
 * in the range, and includes what it read before the range began.
 *
 * A patient pattern maps a path to a patient or record id:
 * '/srv/phi/patients/{id}/...' ({id} is text without a '/'; "..." or "*"
 * is anything, '/' included). Paths it does not fit are left out.
 */
#ifndef PHIAUDIT_QREPORT_H
#define PHIAUDIT_QREPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "qmap.h"
#include "qout.h"
#include "qrec.h"

enum pa_qby {
	PA_QBY_USER,
	PA_QBY_LOGIN,
	PA_QBY_FILE,
	PA_QBY_DIRECTORY,
	PA_QBY_PROCESS,
	PA_QBY_HOST,
	PA_QBY_DAY,
	PA_QBY_PATIENT,
};

/* "user", "login", ... -> 0 and *by, or -1. */
int pa_qby_parse(const char *s, enum pa_qby *by);

struct pa_qpattern {
	char *prefix;	/* encoded, before {id} */
	size_t plen;
	char *rest;	/* encoded glob after {id} ("..." made "*") */
};

/* 0, or -1 with @err. */
int pa_qpattern_parse(struct pa_qpattern *p, const char *pattern, char *err, size_t errlen);
/* The id in @path (encoded), into @id; false when the pattern does not fit. */
bool pa_qpattern_id(const struct pa_qpattern *p, const char *path, char *id, size_t n);
void pa_qpattern_free(struct pa_qpattern *p);

struct pa_qrow {
	char *label;
	uint64_t accesses, denied, bytes, reads;
	struct pa_qmap files;
	int64_t first_ms, last_ms;
};

struct pa_qreport {
	enum pa_qby by;
	struct pa_qpattern pattern;
	struct pa_qmap rows;	 /* label -> struct pa_qrow */
	struct pa_qmap accounts; /* read account -> its biggest report */
	uint64_t unplaced;	 /* records the patient pattern did not fit */
	bool failed;		 /* out of memory: the report is incomplete */
};

/* A matching record (others than Open and Read are ignored). */
void pa_qreport_add(struct pa_qreport *rep, const struct pa_qrec *r);
/* The rows, sorted by label. Returns how many. */
size_t pa_qreport_write(struct pa_qreport *rep, FILE *out, enum pa_qformat fmt);
void pa_qreport_free(struct pa_qreport *rep);

#endif
