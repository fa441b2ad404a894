// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "csvw.h"

#include <inttypes.h>
#include <string.h>

void pa_csv_init(struct pa_csv *c, FILE *out)
{
	c->out = out;
	c->row_open = false;
}

bool pa_csv_is_formula(const char *s, size_t n)
{
	return n > 0 && strchr("=+-@\t\r", s[0]) && s[0] != '\0';
}

void pa_csv_cell(struct pa_csv *c, const char *s, size_t n)
{
	bool quote = false;

	if (c->row_open)
		fputc(',', c->out);
	c->row_open = true;
	if (!s)
		return;
	for (size_t i = 0; i < n && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	if (quote)
		fputc('"', c->out);
	if (pa_csv_is_formula(s, n))
		fputc('\'', c->out);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			fputc('"', c->out);
		fputc(s[i], c->out);
	}
	if (quote)
		fputc('"', c->out);
}

void pa_csv_str(struct pa_csv *c, const char *s)
{
	pa_csv_cell(c, s, s ? strlen(s) : 0);
}

void pa_csv_u64(struct pa_csv *c, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	pa_csv_str(c, buf);
}

void pa_csv_i64(struct pa_csv *c, int64_t v)
{
	if (v < 0)
		pa_csv_cell(c, NULL, 0);
	else
		pa_csv_u64(c, (uint64_t)v);
}

void pa_csv_end_row(struct pa_csv *c)
{
	fputs("\r\n", c->out);
	c->row_open = false;
}
