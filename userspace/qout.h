/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * `phiaudit search` output, one record at a time:
 *
 *   jsonl  the record's line exactly as it was read (byte for byte)
 *   table  one line a record for people: time, host, event, process, user,
 *          login user, bytes, path (or what the record says)
 *   csv    one row a record with the fields an auditor filters on (csvw.h)
 *
 * Plus the helpers report and timeline share: text for a terminal (control
 * characters in file names shown escaped, never sent raw), user labels.
 */
#ifndef PHIAUDIT_QOUT_H
#define PHIAUDIT_QOUT_H

#include <stdbool.h>
#include <stdio.h>

#include "csvw.h"
#include "qrec.h"

enum pa_qformat { PA_QFMT_TABLE, PA_QFMT_JSONL, PA_QFMT_CSV, PA_QFMT_TIMESKETCH };

/* "table", "jsonl", "csv", "timesketch" -> 0 and *f, or -1. */
int pa_qformat_parse(const char *s, enum pa_qformat *f);

struct pa_qout {
	FILE *out;
	enum pa_qformat format;
	struct pa_csv csv;
	bool header_done;
};

void pa_qout_init(struct pa_qout *o, FILE *out, enum pa_qformat format);
/* One record; non-zero when the output failed. */
int pa_qout_record(struct pa_qout *o, const struct pa_qrec *r, const char *line, size_t len);

/* @s for a terminal: control characters as JSON writes them (\n, \u001b). */
void pa_qout_text(FILE *out, const char *s);
/* The same, padded with spaces to @width columns (bytes). */
void pa_qout_cell(FILE *out, const char *s, int width);
/* "root" or "0"; "-" when unknown. */
const char *pa_qout_user(const struct pa_qrec *r, char *buf, size_t n);
/* "drsmith" or "1000"; "-" when there is no login user. */
const char *pa_qout_login(const struct pa_qrec *r, char *buf, size_t n);
/* What the record is about, beyond its file: message, alert title, reason. */
const char *pa_qout_detail(const struct pa_qrec *r, char *buf, size_t n);

#endif
