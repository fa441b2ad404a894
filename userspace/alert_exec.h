/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * --alert-exec CMD: an operator's program, run for each bulk-read alert
 * with the alert's JSON record on its standard input (a sealed memfd, so
 * the agent never waits on a pipe). No shell: argv is [CMD], fixed; the
 * environment is PATH and the finding's id. It runs in its own session,
 * its standard output goes to /dev/null, its standard error to the
 * agent's. It has a time limit, after which its whole process group is
 * killed, and at most PA_ALERT_EXEC_MAX run at once: an alert that finds
 * them all busy is not run, and that is counted and logged.
 */
#ifndef PHIAUDIT_ALERT_EXEC_H
#define PHIAUDIT_ALERT_EXEC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define PA_ALERT_EXEC_MAX 4

struct pa_alert_exec {
	const char *cmd;	/* NULL: off */
	uint64_t timeout_ns;
	struct {
		pid_t pid;
		uint64_t deadline_ns;
	} kids[PA_ALERT_EXEC_MAX];
	size_t n_kids;
	uint64_t started, succeeded, failed, timed_out, skipped, spawn_errors;
};

/* Is @cmd fit to run as root: an absolute path to a regular, executable
 * file that only root can change (nor its directory)? 0, or -1 with why. */
int pa_alert_exec_check(const char *cmd, uid_t owner, char *err, size_t errlen);

/* Start CMD with @json on stdin. 0; -EBUSY when PA_ALERT_EXEC_MAX are
 * still running (counted as skipped); or -errno (counted). */
int pa_alert_exec_run(struct pa_alert_exec *x, const char *json, size_t len, const char *finding_uid,
		      uint64_t now_ns);

/* Collect the ones that finished, kill the ones past their deadline. */
void pa_alert_exec_reap(struct pa_alert_exec *x, uint64_t now_ns);

/* At stop: wait up to @grace_ns for the running ones, then kill them. */
void pa_alert_exec_stop(struct pa_alert_exec *x, uint64_t grace_ns);

#endif
