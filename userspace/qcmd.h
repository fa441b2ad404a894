/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The query commands of phiaudit(1): search, report, timeline. Each is a
 * function of its arguments and an environment (the streams, whether they
 * are terminals, the clock), so tests run them in process.
 *
 * Exit status, the same for all three:
 *   0  records matched (report: rows; timeline: events), input read whole
 *   1  nothing matched
 *   2  usage error, or nothing could be read (no log files, unreadable)
 *   3  damaged input (a corrupt or cut-short gzip member, a line that is
 *      not JSON, a file that could not be read): what could be read was
 *      used, and the answer may miss records
 */
#ifndef PHIAUDIT_QCMD_H
#define PHIAUDIT_QCMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define PA_DEFAULT_LOG_DIR "/var/log/phiaudit"

enum pa_exit {
	PA_EXIT_OK = 0,
	PA_EXIT_NONE = 1,
	PA_EXIT_USAGE = 2,
	PA_EXIT_PARTIAL = 3,
};

struct pa_cli_env {
	FILE *out, *err;
	bool out_tty, err_tty; /* table by default; progress */
	uint64_t now_ns;       /* UTC: what "now", "today" ... mean */
};

/* argv[0] is the command's name. */
int pa_cmd_search(int argc, char **argv, const struct pa_cli_env *env);
int pa_cmd_report(int argc, char **argv, const struct pa_cli_env *env);
int pa_cmd_timeline(int argc, char **argv, const struct pa_cli_env *env);

#endif
