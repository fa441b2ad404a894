/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's side of bulk-read detection: kernel events turned into the
 * detector's observations (detect.h), its findings into Detection Finding
 * records (finding.h) for every sink (syslog gets the alerts at LOG_ALERT),
 * and --alert-exec.
 */
#ifndef PHIAUDIT_ALERTS_H
#define PHIAUDIT_ALERTS_H

#include "alert_exec.h"
#include "detect.h"
#include "decode.h"
#include "enrich.h"

struct pa_agent;
struct pa_open_info;
struct pa_path;

/* An alert's process details, kept until its episode ends. */
struct pa_kept_actor {
	uint64_t id;
	struct pa_kept_details details;
	struct pa_kept_actor *next;
};

struct pa_alerts {
	const struct pa_det_config *cfg; /* the agent's config's */
	struct pa_detector det;
	struct pa_alert_exec exec;
	bool dry_run;
	struct pa_kept_actor *kept;	/* episodes' alert details */
	bool syslog_warned;	/* alerts failed to reach syslog: said once */
	uint64_t next_tick_ns;
	/* scratch for allowance matching (pa_det_obs.resolve) */
	char exe[PA_EXE_LEN + 1];
	char user[64];
};

/* Settings (--detect-config, --detect-dry-run, --no-detect, --alert-exec)
 * checked and the detector ready; exits with a clear message otherwise. */
void pa_alerts_start(struct pa_agent *a);
/* An Open record was written for @v (host path @path). */
void pa_alerts_open(struct pa_agent *a, const struct pa_open_view *v, const struct pa_path *path);
/* A Read record was written for @ev (its open @o, NULL when unknown). */
void pa_alerts_read(struct pa_agent *a, const struct pa_read_event *ev,
		    const struct pa_open_info *o);
/* About once a second: ends quiet episodes, reaps --alert-exec. */
void pa_alerts_tick(struct pa_agent *a, uint64_t now_ns);
/* The agent stops: every open episode ends, with a record. */
void pa_alerts_stop(struct pa_agent *a);
/* New detection settings (SIGHUP): open episodes end (reason "reload"),
 * the detector starts again with @det. */
void pa_alerts_reconfigure(struct pa_agent *a, const struct pa_det_config *det);
/* The Stop record's "detection" object. */
void pa_alerts_write_stats(struct pa_agent *a);
void pa_alerts_free(struct pa_agent *a);

#endif
