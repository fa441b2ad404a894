/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Bulk-read findings as OCSF 1.3 Detection Finding records (class 2004):
 * activity 1 Create when a subject reaches a threshold (the alert), 3 Close
 * when its episode ends, with the totals. docs/records.md shows both.
 * Pure, like ocsf.c: golden-file tests pin the bytes.
 */
#ifndef PHIAUDIT_FINDING_H
#define PHIAUDIT_FINDING_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h> /* the LOG_* severities */

#include "detect.h"
#include "ocsf.h"

struct pa_finding_record {
	const struct pa_det_finding *f;
	uint64_t time_ns;	  /* UTC: the crossing (alert), or the end */
	uint64_t first_ns;	  /* UTC: the run's first access */
	uint64_t alert_ns;	  /* UTC: the crossing */
	uint64_t last_ns;	  /* UTC: the latest access */
	uint64_t proc_start_ns;	  /* UTC: the actor's start */
	uint64_t record_seq;
	const char *log_id;	  /* names the finding: "<log id>-f<id>"; NULL: none */
	const struct pa_identity *who;		  /* NULL: ids only */
	const struct pa_process_details *details; /* NULL: none known */
	bool dry_run;		  /* --detect-dry-run: logged, not alerted */
};

/* The syslog severity the finding goes out with: LOG_ALERT for an alert,
 * LOG_NOTICE for an episode's end, LOG_INFO when allowed or a dry run. */
int pa_finding_severity(const struct pa_finding_record *r);

void pa_ocsf_finding(struct pa_jw *w, const struct pa_host_info *h,
		     const struct pa_finding_record *r);

/* finding_info.title: "Bulk read of watched files: 100 files or more
 * within 1 min by process tar (pid 1234)". */
void pa_finding_title(char *buf, size_t n, const struct pa_finding_record *r);

/* finding_info.uid: "<log id>-f<N>", shared by an alert and its end. */
void pa_finding_uid(char *buf, size_t n, const struct pa_finding_record *r);

/* "12.0 MiB": for people, in messages. */
void pa_format_bytes(char *buf, size_t n, uint64_t bytes);

#endif
