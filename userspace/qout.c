// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "qout.h"

#include <inttypes.h>
#include <string.h>

#include "qtime.h"

int pa_qformat_parse(const char *s, enum pa_qformat *f)
{
	static const char *const names[] = { "table", "jsonl", "csv", "timesketch" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			*f = (enum pa_qformat)i;
			return 0;
		}
	return -1;
}

void pa_qout_init(struct pa_qout *o, FILE *out, enum pa_qformat format)
{
	memset(o, 0, sizeof(*o));
	o->out = out;
	o->format = format;
	pa_csv_init(&o->csv, out);
}

void pa_qout_text(FILE *out, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)(s ? s : "-"); *p; p++) {
		if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
}

void pa_qout_cell(FILE *out, const char *s, int width)
{
	int n = (int)strlen(s ? s : "-");

	pa_qout_text(out, s);
	fprintf(out, "%*s", width > n ? width - n : 0, "");
}

const char *pa_qout_user(const struct pa_qrec *r, char *buf, size_t n)
{
	snprintf(buf, n, "%s", r->user_name ? r->user_name : r->user_uid ? r->user_uid : "-");
	return buf;
}

const char *pa_qout_login(const struct pa_qrec *r, char *buf, size_t n)
{
	if (r->auid_name)
		snprintf(buf, n, "%s", r->auid_name);
	else if (r->auid >= 0)
		snprintf(buf, n, "%" PRId64, r->auid);
	else
		snprintf(buf, n, "-");
	return buf;
}

const char *pa_qout_detail(const struct pa_qrec *r, char *buf, size_t n)
{
	const char *reason = pa_qrec_str(r->root, "unmapped.reason");

	if (r->kind == PA_QK_ALERT)
		snprintf(buf, n, "%s", r->title ? r->title : "alert");
	else if (r->kind == PA_QK_READ)
		snprintf(buf, n, "%s%s", reason ? reason : "", r->final ? ", final" : "");
	else if (r->kind == PA_QK_OPEN && r->status_id == 2)
		snprintf(buf, n, "%s", pa_qrec_str(r->root, "status_code") ?: "denied");
	else
		snprintf(buf, n, "%s", r->message ? r->message : "");
	return buf;
}

/* ---- table ---- */

static void table_header(FILE *out)
{
	fprintf(out, "%-24s  %-10s  %-17s  %7s  %-15s  %-10s  %-10s  %12s  %s\n", "TIME", "HOST",
		"EVENT", "PID", "PROCESS", "USER", "LOGIN", "BYTES", "PATH / DETAIL");
}

static void table_row(FILE *out, const struct pa_qrec *r)
{
	char t[40], u[64], l[64], d[256], pid[24] = "-", bytes[24] = "";

	pa_qtime_format_ms(t, sizeof(t), r->time_ms);
	if (r->proc.pid >= 0)
		snprintf(pid, sizeof(pid), "%" PRId64, r->proc.pid);
	if (r->bytes_read >= 0)
		snprintf(bytes, sizeof(bytes), "%" PRId64, r->bytes_read);
	fprintf(out, "%-24s  ", t);
	pa_qout_cell(out, r->host, 10);
	fprintf(out, "  %-17s  %7s  ", pa_qrec_event_name(r), pid);
	pa_qout_cell(out, r->proc.name, 15);
	fputs("  ", out);
	pa_qout_cell(out, r->proc.pid >= 0 ? pa_qout_user(r, u, sizeof(u)) : "-", 10);
	fputs("  ", out);
	pa_qout_cell(out, pa_qout_login(r, l, sizeof(l)), 10);
	fprintf(out, "  %12s  ", bytes);
	pa_qout_detail(r, d, sizeof(d));
	if (r->path)
		pa_qout_text(out, r->path);
	if (d[0]) {
		fputs(r->path ? "  (" : "", out);
		pa_qout_text(out, d);
		fputs(r->path ? ")" : "", out);
	}
	fputc('\n', out);
}

/* ---- csv ---- */

static const char *const csv_columns[] = {
	"time", "host", "event", "class_uid", "activity_id", "status", "pid", "ppid",
	"process", "program", "command_line", "user_uid", "user", "login_uid", "login_user",
	"path", "file_name", "bytes_read", "read_calls", "final", "sequence", "record_uid", "detail",
};

static void csv_header(struct pa_csv *c)
{
	for (size_t i = 0; i < sizeof(csv_columns) / sizeof(csv_columns[0]); i++)
		pa_csv_str(c, csv_columns[i]);
	pa_csv_end_row(c);
}

static void csv_row(struct pa_csv *c, const struct pa_qrec *r)
{
	char t[40], d[256];

	pa_qtime_format_ms(t, sizeof(t), r->time_ms);
	pa_csv_str(c, r->time_dt ? r->time_dt : t);
	pa_csv_str(c, r->host);
	pa_csv_str(c, pa_qrec_event_name(r));
	pa_csv_i64(c, r->class_uid);
	pa_csv_i64(c, r->activity_id);
	pa_csv_str(c, pa_qrec_str(r->root, "status"));
	pa_csv_i64(c, r->proc.pid);
	pa_csv_i64(c, r->parent.pid);
	pa_csv_str(c, r->proc.name);
	pa_csv_str(c, r->proc.exe);
	pa_csv_str(c, r->proc.cmd_line);
	pa_csv_str(c, r->user_uid);
	pa_csv_str(c, r->user_name);
	pa_csv_i64(c, r->auid);
	pa_csv_str(c, r->auid_name);
	pa_csv_str(c, r->path);
	pa_csv_str(c, r->file_name);
	pa_csv_i64(c, r->bytes_read);
	pa_csv_i64(c, r->read_calls);
	pa_csv_str(c, r->kind == PA_QK_READ ? (r->final ? "true" : "false") : NULL);
	pa_csv_i64(c, r->seq);
	pa_csv_str(c, r->uid);
	pa_csv_str(c, pa_qout_detail(r, d, sizeof(d)));
	pa_csv_end_row(c);
}

int pa_qout_record(struct pa_qout *o, const struct pa_qrec *r, const char *line, size_t len)
{
	switch (o->format) {
	case PA_QFMT_JSONL:
		fwrite(line, 1, len, o->out);
		fputc('\n', o->out);
		break;
	case PA_QFMT_CSV:
		if (!o->header_done)
			csv_header(&o->csv);
		csv_row(&o->csv, r);
		break;
	default:
		if (!o->header_done)
			table_header(o->out);
		table_row(o->out, r);
		break;
	}
	o->header_done = true;
	return ferror(o->out) ? -1 : 0;
}
