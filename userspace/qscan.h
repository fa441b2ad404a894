/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The loop every query runs: lines from the inputs (qinput.h), the cheap
 * test on the raw line (qfilter.h), json-c only for the lines that pass
 * and for the agent's own records (the gaps need them all), then each
 * matching record to the command's consumer. A line that is not JSON is
 * reported with its file and offset, counted, and passed over.
 */
#ifndef PHIAUDIT_QSCAN_H
#define PHIAUDIT_QSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "qfilter.h"
#include "qgaps.h"
#include "qinput.h"
#include "qrec.h"

#define PA_QSCAN_MAX_BAD_LINES 10 /* reported one by one; the rest counted */

/* A matching record and its raw line (without the newline). Non-zero stops. */
typedef int (*pa_qscan_fn)(void *ctx, const struct pa_qrec *r, const char *line, size_t len);

struct pa_qscan {
	struct pa_qfilter *filter;
	struct pa_qgaps gaps;
	pa_qscan_fn match;
	void *ctx;
	const char *prog;
	FILE *err;
	uint64_t parsed, matched, bad_lines;
	struct json_tokener *tok;
};

/* Run @in through the filter. 0, or -1 when nothing could be read. */
int pa_qscan_run(struct pa_qscan *s, struct pa_qinput *in);
void pa_qscan_free(struct pa_qscan *s);

#endif
