/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The log store (--log-dir): records compressed into one gzip member per
 * flush interval, each member followed by its seal (chain.h), written and
 * fsynced before the chain moves on. Files are named by the UTC time of
 * their first member and, once rotated, their last:
 *
 *   phiaudit-20261123T101500.123Z.json.gz                           active
 *   phiaudit-20261123T101500.123Z--20261124T101500.456Z.json.gz     rotated
 *
 * The chain's state (next index, current key, last tag, clean-stop flag)
 * is DIR/.chain, mode 0600, replaced atomically after every member. At
 * start the store recovers what a crash left: members sealed after the
 * state was saved are taken into the chain, an unfinished last member is
 * cut off into NAME.partial, and the active file is rotated; what it found
 * comes back as events (pa_store_next_event) for the agent to record.
 */
#ifndef PHIAUDIT_STORE_H
#define PHIAUDIT_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "chain.h"
#include "sink.h"

#define PA_STORE_STATE_NAME ".chain"
#define PA_STORE_PREFIX	    "phiaudit-"
#define PA_STORE_SUFFIX	    ".json.gz"
#define PA_STORE_PARTIAL    ".partial"

/* The data file system calls, replaceable by tests to inject faults. */
struct pa_store_io {
	ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t len, off_t off);
	int (*fsync)(void *ctx, int fd);
	void *ctx;
};

struct pa_store_config {
	const char *dir;
	gid_t gid;			/* group of the directory and files; (gid_t)-1: root's */
	uint64_t flush_interval_ms;	/* a member at least this often (default 1000) */
	uint64_t member_max_bytes;	/* uncompressed bytes that close a member at once */
	uint64_t rotate_bytes;		/* rotate the active file at this size (0: never) */
	uint64_t rotate_age_s;		/* ... or this age (0: never) */
	uint64_t retain_age_s;		/* delete rotated files older than this (0: never) */
	uint64_t retain_bytes;		/* ... and the oldest while all exceed this (0: no limit) */
	uint64_t pending_max_bytes;	/* members kept in memory while writes fail */
	int level;			/* gzip level 1-9 */
	uint64_t (*now_ns)(void *ctx);	/* UTC ns; NULL: CLOCK_REALTIME */
	void *clock_ctx;
	const struct pa_store_io *io;	/* NULL: the real file system */
};

void pa_store_config_defaults(struct pa_store_config *c, const char *dir);

enum pa_store_event_kind {
	PA_STORE_RECOVERED,	/* the last run did not stop cleanly */
	PA_STORE_RESUMED,	/* the last run stopped cleanly; the chain goes on */
	PA_STORE_RETENTION,	/* a rotated file was deleted */
	PA_STORE_WRITE_RESUMED, /* writes failed for a while, and work again */
	PA_STORE_UNVERIFIED,	/* recovery met a member its chain does not accept */
};

struct pa_store_event {
	enum pa_store_event_kind kind;
	char file[256];		 /* the file concerned (a name in the log dir) */
	char partial[256];	 /* RECOVERED: where cut-off bytes went, or "" */
	uint64_t bytes;		 /* RECOVERED: bytes cut off; RETENTION: file size;
				  * WRITE_RESUMED: uncompressed bytes lost */
	uint64_t records;	 /* WRITE_RESUMED: records lost */
	uint64_t first_seq;	 /* WRITE_RESUMED: sequence range of the lost records */
	uint64_t last_seq;
	uint64_t members;	 /* RECOVERED: members taken into the chain at start */
	uint64_t chain_index;	 /* RECOVERED/RESUMED: next member; RETENTION: last deleted */
	uint8_t chain_tag[PA_CHAIN_HASH_LEN]; /* RETENTION: that member's tag */
	bool chain_known;	 /* RETENTION: the file's last seal was readable */
	uint64_t since_ns;	 /* RECOVERED: last seal; WRITE_RESUMED: first failure;
				  * RETENTION: the file's first time */
	uint64_t until_ns;	 /* WRITE_RESUMED: when writing worked again;
				  * RETENTION: the file's last time */
	int error;		 /* WRITE_RESUMED: the last errno */
	const char *reason;	 /* RETENTION: "age" or "size" */
};

struct pa_store_stats {
	uint64_t members, bytes_written, files_rotated, files_deleted;
	uint64_t write_errors;	/* failed attempts to write a member */
	uint64_t records_lost;	/* dropped because writes failed too long */
	uint64_t pending_bytes; /* waiting to be written now */
	uint64_t events_dropped;
	uint64_t chain_index;	/* next member */
	uint8_t head_tag[32];	/* the last sealed member's tag (zeros: none yet) */
	uint64_t last_seq;	/* highest record sequence sealed, this run or before */
	uint8_t log_id[16];	/* this log's random id (metadata.uid) */
};

/* Open the store: recover, rotate, apply retention. NULL with err naming
 * the directory or file on failure. */
struct pa_sink *pa_store_open(const struct pa_store_config *cfg, char *err, size_t errlen);

/* The next event to record: 1 (filled) or 0. */
int pa_store_next_event(struct pa_sink *s, struct pa_store_event *ev);

void pa_store_get_stats(struct pa_sink *s, struct pa_store_stats *st);

/* Create DIR (0750) if needed and the chain's state with a fresh random
 * key; its hex goes to @hex. Refuses when a chain exists. 0, or -1 with err. */
int pa_store_init_key(const char *dir, gid_t gid, char hex[2 * PA_CHAIN_KEY_LEN + 1], char *err,
		      size_t errlen);

/* The log files in a log directory, sorted by name (= by first time);
 * with @partials, the NAME.partial files beside them too. 0 or -errno.
 * Free each list with pa_store_free_names. */
int pa_store_list(int dirfd, char ***names, size_t *n, char ***partials, size_t *np);
void pa_store_free_names(char **names, size_t n);

/* Format a UTC time as in file names (20261123T101500.123Z); 0 or -1. */
int pa_store_format_time(uint64_t ns, char *out, size_t outlen);
/* Parse a file name: 1 active, 2 rotated (times filled), 0 not ours. */
int pa_store_parse_name(const char *name, uint64_t *first_ns, uint64_t *last_ns);

#endif
