/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * OCSF 1.3 records, one JSON object per line (docs/records.md). Pure: every
 * input, the clock included, is passed in, so golden-file tests pin the
 * exact bytes.
 *
 *   File System Activity (1001)   activity 14 Open, per open under a watch;
 *                                 activity 2 Read, per open file and process
 *                                 that read it (progress, then final)
 *   Application Lifecycle (6002)  the agent's own life: 3 Start, 4 Stop,
 *                                 99 Other (losses, watch set changes, ...)
 */
#ifndef PHIAUDIT_OCSF_H
#define PHIAUDIT_OCSF_H

#include <stdint.h>

#include "decode.h"
#include "jsonw.h"
#include "paths.h"

#define PA_OCSF_VERSION "1.3.0"
#define PA_PRODUCT_NAME "phiaudit"
#define PA_PRODUCT_VERSION "0.1.0"

struct pa_host_info {
	const char *hostname;
	const char *machine_id; /* /etc/machine-id; NULL when unknown */
	const char *boot_id;	/* this boot's id; NULL when unknown */
	const char *log_id;	/* names the log in metadata.uid; NULL: none */
};

/* Names of the ids in a record's pa_proc (names.h); NULL: no name. */
struct pa_identity {
	const char *user;  /* uid */
	const char *group; /* gid */
	const char *login; /* auid: who logged in, even after sudo */
};

/* What is known of the process beyond its pa_proc (procs.h). */
struct pa_ancestor_info {
	uint32_t pid;
	uint64_t start_ns; /* UTC */
	const char *name;  /* comm */
	const char *exe;   /* NULL when unknown */
	size_t exe_len;
	const char *args;  /* NUL-separated; NULL when unknown */
	size_t args_len;
};

struct pa_process_details {
	const char *exe; /* NULL when unknown */
	size_t exe_len;
	const char *args; /* argv, NUL-separated; NULL when unknown */
	size_t args_len;
	bool args_truncated, exe_truncated;
	const char *source; /* "exec", "memory" or "proc" */
	size_t n_ancestors; /* parent first */
	struct pa_ancestor_info anc[PA_MAX_ANCESTORS];
	const char *cgroup;	  /* cgroup v2 path; NULL when unknown */
	const char *container_id; /* NULL when the cgroup names none */
	const char *unit;	  /* systemd unit; NULL when none */
	const char *tty;	  /* controlling terminal; NULL when none */
};

struct pa_open_record {
	const struct pa_open_view *v;
	uint64_t time_ns;	     /* UTC nanoseconds of the event */
	uint64_t proc_start_ns;	     /* UTC nanoseconds the process started */
	uint64_t record_seq;	     /* the agent's record sequence */
	const struct pa_path *path;  /* host view; changes: NULL when lost */
	const struct pa_path *process_path; /* NULL when the same as path */
	const char *watch_path;	     /* NULL when scope is unresolved */
	const struct pa_identity *who; /* NULL: ids only */
	const struct pa_process_details *details; /* NULL: none known */
};

void pa_ocsf_open(struct pa_jw *w, const struct pa_host_info *h, const struct pa_open_record *r);

/* One read account report (see struct pa_read_event). */
struct pa_read_record {
	const struct pa_read_event *ev;
	uint64_t time_ns;	/* UTC: the last read, or the report if none */
	uint64_t first_ns, last_ns; /* UTC, the first and last read */
	uint64_t proc_start_ns;
	uint64_t record_seq;
	const char *path;	/* host path of the open; NULL when unknown */
	size_t path_len;
	unsigned int file_mode;
	const char *watch_path; /* NULL when unknown */
	const struct pa_identity *who; /* NULL: ids only */
	const struct pa_process_details *details; /* NULL: none known */
};

void pa_ocsf_read(struct pa_jw *w, const struct pa_host_info *h, const struct pa_read_record *r);
/* The same account's writes: activity 3 Update, bytes_written. */
void pa_ocsf_update(struct pa_jw *w, const struct pa_host_info *h, const struct pa_read_record *r);

/*
 * A change (PA_EV_CHANGE): unlink, rename, link, truncate, chmod, chown,
 * xattrs. file is the file changed (a rename's or link's old name);
 * new_path its new name (file_result), NULL when there is none or it was
 * lost (pair says which).
 */
struct pa_change_record {
	struct pa_open_record file;
	bool pair;			/* rename or link: a new name was due */
	const struct pa_path *new_path;
	const struct pa_path *new_process_path; /* NULL when the same */
	bool moved_out, moved_in;	/* the new (old) name is outside every watch */
	bool link;			/* a hard link: "outside" says where the new name is */
	bool exchanged;			/* RENAME_EXCHANGE: the names swapped files */
	bool path_uncertain;		/* the strings leave the trees lexically; the
					 * kernel placed a name in one (a symlink?) */
};

void pa_ocsf_change(struct pa_jw *w, const struct pa_host_info *h,
		    const struct pa_change_record *r);

enum pa_agent_activity {
	PA_AGENT_START = 3,
	PA_AGENT_STOP = 4,
	PA_AGENT_OTHER = 99,
};

/*
 * The agent's own records: common fields, then an open "unmapped" object
 * the caller fills before pa_ocsf_agent_end(). name is the activity name
 * ("Start", "Stop", "Loss", "Watch Set Changed", ...).
 */
void pa_ocsf_agent_begin(struct pa_jw *w, const struct pa_host_info *h, uint64_t time_ns,
			 uint64_t record_seq, enum pa_agent_activity id, const char *name,
			 const char *message);
void pa_ocsf_agent_end(struct pa_jw *w);

/* What the log store reports (recovery, retention, write failures). */
struct pa_store_event;
void pa_ocsf_store_event(struct pa_jw *w, const struct pa_host_info *h, uint64_t time_ns,
			 uint64_t record_seq, const struct pa_store_event *ev);

/* Helpers shared with other encoders; exposed for tests. */
void pa_format_time(char *buf, size_t n, uint64_t utc_ns); /* ISO 8601 Z */
void pa_format_open_flags(char *buf, size_t n, uint64_t flags);

#endif
