/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's runtime directory (--run-dir, /run/phiaudit):
 *
 *   phiauditd.pid   the running agent's pid, locked (an OFD lock) while it runs: a
 *                   second agent is refused, and `phiaudit status` knows
 *                   the agent is up by failing to take the lock, never by a
 *                   pid that may have been reused
 *   status.json     what `phiaudit status` shows, replaced atomically
 *   metrics.prom    the same figures in Prometheus text format (for
 *                   node_exporter's textfile collector)
 *
 * Readable by all (0644): no file names of patients, only the watched
 * directories and counts.
 */
#ifndef PHIAUDIT_RUNSTATE_H
#define PHIAUDIT_RUNSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PA_RUN_PID     "phiauditd.pid"
#define PA_RUN_STATUS  "status.json"
#define PA_RUN_METRICS "metrics.prom"

struct pa_runstate {
	int dirfd;   /* -1: off */
	int lockfd;
};

/* Create DIR (0755) if needed, take the lock, write our pid. 0; -EBUSY
 * with the other agent named in @err; or -errno. */
int pa_runstate_open(struct pa_runstate *rs, const char *dir, char *err, size_t errlen);

/* Replace DIR/NAME with @len bytes of @buf (mode 0644), atomically. */
int pa_runstate_put(struct pa_runstate *rs, const char *name, const char *buf, size_t len);

/* Release the lock (the files stay: status says "stopped"). */
void pa_runstate_close(struct pa_runstate *rs);

/* For readers: is an agent holding DIR's lock? 1 yes (*pid set), 0 no,
 * -errno when DIR or its pid file cannot be read. */
int pa_runstate_running(const char *dir, pid_t *pid);

#endif
