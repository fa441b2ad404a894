/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Where records go. Every output shares one small operation table, so the
 * log store, live JSONL and syslog (later) plug in the same way and tests
 * can use an in-memory sink.
 */
#ifndef PHIAUDIT_SINK_H
#define PHIAUDIT_SINK_H

#include <stddef.h>
#include <stdint.h>
#include <syslog.h> /* LOG_* severities */

struct pa_sink;

struct pa_sink_ops {
	/* Queue one whole record (@seq: its metadata.sequence, 0 if none;
	 * @severity: a syslog(3) level, LOG_INFO for most records, LOG_ALERT
	 * for a bulk-read alert; sinks that have no use for it ignore it).
	 * 0, or -errno (counted). */
	int (*write)(struct pa_sink *s, const char *buf, size_t len, uint64_t seq, int severity);
	/* Push queued records to the file or socket. 0, or -errno. */
	int (*flush)(struct pa_sink *s);
	void (*close)(struct pa_sink *s);
};

struct pa_sink {
	const struct pa_sink_ops *ops;
	const char *name;
	uint64_t records, bytes;    /* delivered */
	uint64_t write_errors;      /* failed writes (records not delivered) */
	int last_error;             /* errno of the last failure, 0 if none */
};

/* JSON lines to a file (created 0640, appended, no symlinks) or "-". */
struct pa_sink *pa_sink_jsonl_open(const char *path, char *err, size_t errlen);

/* In memory, for tests: everything written, in order. */
struct pa_sink *pa_sink_memory_new(void);
const char *pa_sink_memory_data(struct pa_sink *s, size_t *len);

#endif
