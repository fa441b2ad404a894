/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Bulk-read detection: sliding windows over what the kernel reports, per
 * subject, each scope with its own thresholds.
 *
 *   scope       subject                      counts
 *   process     (tgid, start)                distinct files, bytes read
 *   user        login uid (auid)             distinct files, bytes read
 *   session     audit session id             distinct files, bytes read
 *   container   cgroup of a container        distinct files, bytes read
 *   file        (process, file)              bytes read from that one file
 *
 * A subject whose window reaches a threshold (count >= threshold) raises one
 * alert and enters an episode. The episode ends, with an end finding that
 * carries its totals, once its window has fallen below every threshold and
 * at least one window has passed since the alert: so a subject raises at
 * most one alert per window, however fast it reads. An allowance (exe, user,
 * time of day) turns the alert into an allowed finding, judged on the access
 * that crossed.
 *
 * Windows slide in steps of window/PA_DET_BUCKETS: counts are kept in a ring
 * of buckets, and a file counts once per window (seen again within the
 * window, it moves to the newest bucket). Memory is bounded: subjects and
 * remembered files have caps; past them the least recently active subjects
 * are dropped (an active episode ends first) and counted.
 *
 * Pure: time is passed in (CLOCK_BOOTTIME ns, as the kernel stamps events);
 * findings go to a callback. No I/O.
 */
#ifndef PHIAUDIT_DETECT_H
#define PHIAUDIT_DETECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phiaudit/abi.h"

#define PA_DET_BUCKETS	   32
#define PA_DET_SAMPLE_MAX  20

enum pa_det_scope {
	PA_DET_PROCESS,
	PA_DET_USER,
	PA_DET_SESSION,
	PA_DET_CONTAINER,
	PA_DET_FILE,
	PA_DET_NSCOPES,
};

const char *pa_det_scope_name(enum pa_det_scope s);
/* -1 if @name is no scope. */
int pa_det_scope_by_name(const char *name);

struct pa_det_limits {
	bool enabled;
	uint64_t window_ns; /* > 0 */
	uint64_t files;	    /* distinct files in the window; 0: not checked */
	uint64_t bytes;	    /* bytes read in the window; 0: not checked */
};

/* A known job whose bulk reads are expected (a nightly backup). */
struct pa_det_allow {
	char *name;
	char *exe;	  /* the program's path, exactly; NULL: any */
	char *user;	  /* the reader's user name or uid; NULL: any */
	int from_min;	  /* local time of day, minutes, [from, to); */
	int to_min;	  /* from > to wraps midnight; from == to: all day */
	unsigned scopes;  /* 1 << enum pa_det_scope it applies to */
};

struct pa_det_config {
	bool enabled;
	struct pa_det_limits scope[PA_DET_NSCOPES];
	struct pa_det_allow *allow;
	size_t n_allow;
	unsigned sample_paths;	/* paths named in a finding, <= PA_DET_SAMPLE_MAX */
	size_t max_subjects;	/* memory bound: subjects tracked at once */
	size_t max_files;	/* memory bound: files remembered, all subjects */
	size_t max_accounts;	/* memory bound: read accounts (pa_det_account_delta) */
};

/* The defaults for a patient-data server (docs/phiauditd.8 DETECTION). */
void pa_det_config_defaults(struct pa_det_config *c);
void pa_det_config_free(struct pa_det_config *c);

/* What one kernel report adds. */
struct pa_det_obs {
	uint64_t now_ns;	     /* the report's time, CLOCK_BOOTTIME */
	const struct pa_proc *proc;  /* the reader */
	bool in_container;	     /* its cgroup names a container */
	uint32_t file_dev;	     /* which file; ino 0: unknown */
	uint64_t file_ino;
	bool counts_file;	     /* an open for reading, or bytes read */
	uint64_t bytes;		     /* bytes read since the last report */
	uint64_t account_bytes;	     /* the read account's total so far */
	const char *path;	     /* host path; NULL: unknown */
	size_t path_len;
	/* what allowances match on */
	const char *exe;	     /* NULL: unknown */
	const char *user;	     /* the uid's name; NULL: unknown */
	int tod_min;		     /* local minute of the day */
	/* When set, called (on a copy) to fill exe, user and tod_min just
	 * before allowances are checked: the work is done only at a crossing. */
	void (*resolve)(void *ctx, struct pa_det_obs *o);
	void *resolve_ctx;
};

enum pa_det_kind {
	PA_DET_ALERT,	/* a threshold reached: the episode begins */
	PA_DET_END,	/* the episode is over: its totals */
};

enum pa_det_end_reason {
	PA_DET_END_QUIET,   /* below every threshold */
	PA_DET_END_EVICTED, /* dropped for memory */
	PA_DET_END_STOP,    /* the agent stopped */
	PA_DET_END_RELOAD,  /* detection settings changed (SIGHUP) */
};

struct pa_det_finding {
	enum pa_det_kind kind;
	enum pa_det_scope scope;
	uint64_t id;			/* the same for an episode's alert and end */
	const struct pa_det_limits *limits;
	struct pa_proc actor;		/* whose access crossed (in the end too) */
	uint32_t file_dev;		/* file scope: which file */
	uint64_t file_ino;
	bool crossed_files, crossed_bytes;
	uint64_t files, bytes;		/* in the window, at the crossing or the end */
	uint64_t episode_files;		/* since the episode's run began: files counted */
	uint64_t episode_bytes;		/* once per window they were read in */
	bool files_approximate;		/* past the subject's memory: files may
					 * have been counted more than once */
	uint64_t first_ns;		/* the run's first access */
	uint64_t alert_ns;		/* the crossing */
	uint64_t last_ns;		/* the latest access */
	enum pa_det_end_reason end_reason;
	const struct pa_det_allow *allowed; /* NULL: not allowed (a real alert) */
	const char *first_path, *last_path; /* NULL when unknown */
	size_t first_path_len, last_path_len;
	const char *sample[PA_DET_SAMPLE_MAX]; /* most recent first */
	size_t sample_len[PA_DET_SAMPLE_MAX];
	size_t n_sample;
};

typedef void (*pa_det_emit_fn)(void *ctx, const struct pa_det_finding *f);

struct pa_det_stats {
	uint64_t observations;
	uint64_t subjects, subjects_peak;
	uint64_t subjects_evicted;	/* dropped for memory */
	uint64_t files_remembered;
	uint64_t alerts, allowed, ended;
	uint64_t accounts_evicted;	/* read accounts forgotten for memory */
	uint64_t nomem;			/* allocations that failed: not counted */
};

struct pa_det_subject;
struct pa_det_account;

struct pa_detector {
	const struct pa_det_config *cfg;
	pa_det_emit_fn emit;
	void *ctx;
	struct pa_det_subject **slot;	/* open addressing */
	size_t cap, n;
	struct pa_det_subject *lru_head, *lru_tail; /* least recently active first */
	struct pa_det_subject *active;	/* subjects in an episode */
	uint64_t min_window_ns;		/* the shortest window of an enabled scope */
	size_t files;			/* files remembered, all subjects */
	struct pa_det_account **acct;	/* read accounts: last cumulative bytes */
	size_t acct_cap, acct_n;
	uint64_t next_id;
	struct pa_det_stats stats;
};

/* The config must outlive the detector. 0, or -ENOMEM. */
int pa_det_init(struct pa_detector *d, const struct pa_det_config *c, pa_det_emit_fn emit,
		void *ctx);
void pa_det_free(struct pa_detector *d);

void pa_det_observe(struct pa_detector *d, const struct pa_det_obs *o);
/* Slide every window to @now_ns: ends the episodes that are over, drops the
 * subjects with nothing left in their window. Call about once a second. */
void pa_det_tick(struct pa_detector *d, uint64_t now_ns);
/* End every episode (the agent is stopping: PA_DET_END_STOP; or its
 * settings change: PA_DET_END_RELOAD). */
void pa_det_finish(struct pa_detector *d, uint64_t now_ns);
void pa_det_finish_why(struct pa_detector *d, uint64_t now_ns, enum pa_det_end_reason why);

/*
 * Read reports are cumulative per account (the kernel's account_seq): the
 * bytes since this account's previous report. @final forgets the account.
 */
uint64_t pa_det_account_delta(struct pa_detector *d, uint64_t account_seq, uint64_t cumulative,
			      bool final);

/* Does @a allow this access? Exposed for tests. */
bool pa_det_allow_matches(const struct pa_det_allow *a, enum pa_det_scope s,
			  const struct pa_det_obs *o);

#endif
