/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * CSV for auditors: RFC 4180 (cells with a comma, quote, CR or LF are
 * quoted, quotes doubled, rows end in CRLF), and cells a spreadsheet would
 * run as a formula are neutralised. A file can be named
 * =HYPERLINK("http://x","y"): a cell that starts with = + - @ TAB or CR
 * gets a leading apostrophe (OWASP, "CSV Injection"), which spreadsheets
 * show as text and do not display.
 */
#ifndef PHIAUDIT_CSVW_H
#define PHIAUDIT_CSVW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct pa_csv {
	FILE *out;
	bool row_open; /* a cell was written on this row */
};

void pa_csv_init(struct pa_csv *c, FILE *out);
/* One cell of @n bytes (NULL: an empty cell). */
void pa_csv_cell(struct pa_csv *c, const char *s, size_t n);
void pa_csv_str(struct pa_csv *c, const char *s); /* NULL: empty */
void pa_csv_u64(struct pa_csv *c, uint64_t v);
void pa_csv_i64(struct pa_csv *c, int64_t v);	/* negative: empty (unknown) */
void pa_csv_end_row(struct pa_csv *c);

/* Would a spreadsheet read this cell as a formula? */
bool pa_csv_is_formula(const char *s, size_t n);

#endif
