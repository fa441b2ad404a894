// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "qreport.h"

#include <ctype.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pathenc.h"
#include "qtime.h"

static const char *const by_names[] = { "user", "login", "file", "directory",
					"process", "host", "day", "patient" };

int pa_qby_parse(const char *s, enum pa_qby *by)
{
	for (size_t i = 0; i < sizeof(by_names) / sizeof(by_names[0]); i++)
		if (!strcmp(s, by_names[i])) {
			*by = (enum pa_qby)i;
			return 0;
		}
	return -1;
}

/* ---- patient pattern ---- */

static char *encode(const char *s, size_t n, size_t *len)
{
	char *e = malloc(pa_bytes_encoded_len(s, n) + 1);

	if (e)
		*len = pa_bytes_encode(e, s, n);
	return e;
}

/* After {id}: "..." (or U+2026 "…") is anything, as "*" is. */
static char *rest_glob(const char *after)
{
	size_t n = strlen(after), len, o = 0;
	char *e = encode(after, n, &len), *g = e ? malloc(len + 1) : NULL;

	for (size_t i = 0; g && i < len;) {
		if (!strncmp(e + i, "...", 3) || !strncmp(e + i, "\xe2\x80\xa6", 3)) {
			g[o++] = '*';
			i += 3;
		} else {
			g[o++] = e[i++];
		}
	}
	if (g)
		g[o] = '\0';
	free(e);
	return g;
}

int pa_qpattern_parse(struct pa_qpattern *p, const char *pattern, char *err, size_t errlen)
{
	const char *id = strstr(pattern, "{id}");

	memset(p, 0, sizeof(*p));
	if (!id || strstr(id + 4, "{id}")) {
		snprintf(err, errlen, "'%s' needs {id} once, where the patient or record id is in "
			 "the path: '/srv/phi/patients/{id}/...'", pattern);
		return -1;
	}
	p->prefix = encode(pattern, (size_t)(id - pattern), &p->plen);
	p->rest = rest_glob(id + 4);
	if (!p->prefix || !p->rest) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* "/..." at the end also fits the directory itself: /srv/phi/patients/1234. */
static bool rest_fits(const char *glob, const char *rest)
{
	if (!fnmatch(glob, rest, FNM_NOESCAPE))
		return true;
	return !*rest && !strcmp(glob, "/*");
}

bool pa_qpattern_id(const struct pa_qpattern *p, const char *path, char *id, size_t n)
{
	const char *start, *slash;
	size_t comp;

	if (!path || strncmp(path, p->prefix, p->plen))
		return false;
	start = path + p->plen;
	slash = strchr(start, '/');
	comp = slash ? (size_t)(slash - start) : strlen(start);
	/* the longest id that leaves a rest the pattern fits */
	for (size_t k = comp; k > 0; k--) {
		if (rest_fits(p->rest, start + k)) {
			snprintf(id, n, "%.*s", (int)k, start);
			return true;
		}
	}
	return false;
}

void pa_qpattern_free(struct pa_qpattern *p)
{
	free(p->prefix);
	free(p->rest);
	memset(p, 0, sizeof(*p));
}

/* ---- rows ---- */

/* "drsmith (1000)", or the number alone when the id has no name. */
static void id_label(char *buf, size_t n, const char *name, const char *id)
{
	if (name)
		snprintf(buf, n, "%s (%s)", name, id ? id : "?");
	else
		snprintf(buf, n, "%s", id ? id : "?");
}

static void login_label(char *buf, size_t n, const struct pa_qrec *r)
{
	char id[24];

	snprintf(id, sizeof(id), "%" PRId64, r->auid);
	if (r->auid < 0)
		snprintf(buf, n, "(none)");
	else
		id_label(buf, n, r->auid_name, id);
}

static void file_label(char *buf, size_t n, const struct pa_qrec *r)
{
	if (r->path)
		snprintf(buf, n, "%s", r->path);
	else /* its open's record was lost: the file by its inode */
		snprintf(buf, n, "(dev %s inode %" PRId64 ")", pa_qrec_str(r->root, "unmapped.dev") ?: "?",
			 pa_qrec_int(r->root, "unmapped.inode"));
}

/* The label of the row a record counts in; false when it has none. */
static bool label_of(struct pa_qreport *rep, const struct pa_qrec *r, char *buf, size_t n)
{
	switch (rep->by) {
	case PA_QBY_USER:
		id_label(buf, n, r->user_name, r->user_uid);
		return true;
	case PA_QBY_LOGIN:
		login_label(buf, n, r);
		return true;
	case PA_QBY_FILE:
		file_label(buf, n, r);
		return true;
	case PA_QBY_DIRECTORY:
		snprintf(buf, n, "%s", r->folder ? r->folder : r->path ? "(none)" : "(unknown)");
		return true;
	case PA_QBY_PROCESS: /* by program; by name when the program is unknown */
		snprintf(buf, n, r->proc.exe ? "%s" : "[%s]",
			 r->proc.exe ? r->proc.exe : r->proc.name ? r->proc.name : "?");
		return true;
	case PA_QBY_HOST:
		snprintf(buf, n, "%s", r->host ? r->host : "?");
		return true;
	case PA_QBY_DAY:
		pa_qtime_format_ms(buf, n, r->time_ms);
		buf[n > 10 ? 10 : n - 1] = '\0';
		return true;
	case PA_QBY_PATIENT:
		if (pa_qpattern_id(&rep->pattern, r->path, buf, n))
			return true;
		rep->unplaced++;
		return false;
	}
	return false;
}

static void free_row(void *p)
{
	struct pa_qrow *row = p;

	if (!row)
		return;
	pa_qmap_free(&row->files, NULL);
	free(row);
}

static struct pa_qrow *row_for(struct pa_qreport *rep, const char *label)
{
	bool created;
	void **slot = pa_qmap_put(&rep->rows, label, strlen(label), &created);
	struct pa_qrow *row;

	if (!slot)
		return NULL;
	if (created) {
		row = *slot = calloc(1, sizeof(*row));
		if (!row)
			return NULL;
		row->first_ms = row->last_ms = -1;
	}
	return *slot;
}

/* Each account's biggest report. */
struct account {
	struct pa_qrow *row;
	int64_t calls, bytes;
};

static void add_read(struct pa_qreport *rep, struct pa_qrow *row, const struct pa_qrec *r)
{
	char key[256];
	const char *dash = r->uid ? strchr(r->uid, '-') : NULL;
	struct account *a;
	bool created;
	void **slot;
	int n;

	n = snprintf(key, sizeof(key), "%s/%.*s/%" PRId64 "/%" PRId64 "/%" PRId64 "/%" PRId64,
		     r->host ? r->host : "", dash ? (int)(dash - r->uid) : 0, r->uid ? r->uid : "",
		     r->proc.pid, r->proc.created_ms, r->open_event_seq, r->account_seq);
	slot = pa_qmap_put(&rep->accounts, key, (size_t)n < sizeof(key) ? (size_t)n : sizeof(key) - 1,
			   &created);
	if (slot && created)
		*slot = calloc(1, sizeof(struct account));
	if (!slot || !(a = *slot)) {
		rep->failed = true;
		return;
	}
	if (created)
		a->row = row;
	if (created || r->read_calls >= a->calls) {
		a->calls = r->read_calls;
		a->bytes = r->bytes_read > 0 ? r->bytes_read : 0;
	}
	row->reads++;
}

void pa_qreport_add(struct pa_qreport *rep, const struct pa_qrec *r)
{
	char label[4096];
	struct pa_qrow *row;
	bool created;

	if (r->kind != PA_QK_OPEN && r->kind != PA_QK_READ)
		return;
	if (!label_of(rep, r, label, sizeof(label)))
		return;
	if (!(row = row_for(rep, label))) {
		rep->failed = true;
		return;
	}
	if (r->kind == PA_QK_OPEN) {
		row->accesses++;
		row->denied += r->status_id == 2;
	} else {
		add_read(rep, row, r);
	}
	if (r->path && !pa_qmap_put(&row->files, r->path, strlen(r->path), &created))
		rep->failed = true;
	if (row->first_ms < 0 || r->time_ms < row->first_ms)
		row->first_ms = r->time_ms;
	if (r->time_ms > row->last_ms)
		row->last_ms = r->time_ms;
}

/* ---- output ---- */

static int cmp_row(const void *a, const void *b)
{
	return strcmp((*(struct pa_qrow *const *)a)->label, (*(struct pa_qrow *const *)b)->label);
}

/* The rows in label order, with their accounts' bytes added up. */
static struct pa_qrow **sorted_rows(struct pa_qreport *rep, size_t *n)
{
	struct pa_qrow **v = calloc(rep->rows.n + 1, sizeof(*v));
	struct pa_qmap_slot *s;
	size_t i = 0;

	*n = 0;
	if (!v)
		return NULL;
	while ((s = pa_qmap_each(&rep->rows, &i))) {
		struct pa_qrow *row = s->val;

		row->label = s->key;
		row->bytes = 0;
		v[(*n)++] = row;
	}
	i = 0;
	while ((s = pa_qmap_each(&rep->accounts, &i))) {
		struct account *a = s->val;

		a->row->bytes += (uint64_t)a->bytes;
	}
	qsort(v, *n, sizeof(*v), cmp_row);
	return v;
}

static void table_line(FILE *out, const char *acc, const char *den, const char *files,
		       const char *bytes, const char *first, const char *last, const char *label)
{
	fprintf(out, "%9s  %7s  %7s  %14s  %-24s  %-24s  ", acc, den, files, bytes, first, last);
	pa_qout_text(out, label);
	fputc('\n', out);
}

static void write_table(FILE *out, enum pa_qby by, struct pa_qrow **v, size_t n)
{
	char a[24], d[24], f[24], b[24], t1[40], t2[40], head[16];
	uint64_t sa = 0, sd = 0, sb = 0;
	int64_t first = -1, last = -1;

	snprintf(head, sizeof(head), "%s", by_names[by]);
	for (char *p = head; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	table_line(out, "ACCESSES", "DENIED", "FILES", "BYTES READ", "FIRST", "LAST", head);
	for (size_t i = 0; i < n; i++) {
		snprintf(a, sizeof(a), "%" PRIu64, v[i]->accesses);
		snprintf(d, sizeof(d), "%" PRIu64, v[i]->denied);
		snprintf(f, sizeof(f), "%zu", v[i]->files.n);
		snprintf(b, sizeof(b), "%" PRIu64, v[i]->bytes);
		pa_qtime_format_ms(t1, sizeof(t1), v[i]->first_ms);
		pa_qtime_format_ms(t2, sizeof(t2), v[i]->last_ms);
		table_line(out, a, d, f, b, t1, t2, v[i]->label);
		sa += v[i]->accesses, sd += v[i]->denied, sb += v[i]->bytes;
		first = first < 0 || v[i]->first_ms < first ? v[i]->first_ms : first;
		last = v[i]->last_ms > last ? v[i]->last_ms : last;
	}
	snprintf(a, sizeof(a), "%" PRIu64, sa);
	snprintf(d, sizeof(d), "%" PRIu64, sd);
	snprintf(b, sizeof(b), "%" PRIu64, sb);
	pa_qtime_format_ms(t1, sizeof(t1), first);
	pa_qtime_format_ms(t2, sizeof(t2), last);
	table_line(out, a, d, "", b, t1, t2, "(total)");
}

static void write_csv(FILE *out, enum pa_qby by, struct pa_qrow **v, size_t n)
{
	static const char *const cols[] = { "accesses", "denied", "files", "bytes_read",
					    "first", "last" };
	struct pa_csv c;
	char t[40];

	pa_csv_init(&c, out);
	pa_csv_str(&c, by_names[by]);
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		pa_csv_str(&c, cols[i]);
	pa_csv_end_row(&c);
	for (size_t i = 0; i < n; i++) {
		pa_csv_str(&c, v[i]->label);
		pa_csv_u64(&c, v[i]->accesses);
		pa_csv_u64(&c, v[i]->denied);
		pa_csv_u64(&c, v[i]->files.n);
		pa_csv_u64(&c, v[i]->bytes);
		pa_qtime_format_ms(t, sizeof(t), v[i]->first_ms);
		pa_csv_str(&c, t);
		pa_qtime_format_ms(t, sizeof(t), v[i]->last_ms);
		pa_csv_str(&c, t);
		pa_csv_end_row(&c);
	}
}

static void write_jsonl(FILE *out, enum pa_qby by, struct pa_qrow **v, size_t n)
{
	char t[40];

	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, by_names[by], json_object_new_string(v[i]->label));
		json_object_object_add(o, "accesses", json_object_new_int64((int64_t)v[i]->accesses));
		json_object_object_add(o, "denied", json_object_new_int64((int64_t)v[i]->denied));
		json_object_object_add(o, "files", json_object_new_int64((int64_t)v[i]->files.n));
		json_object_object_add(o, "bytes_read", json_object_new_int64((int64_t)v[i]->bytes));
		pa_qtime_format_ms(t, sizeof(t), v[i]->first_ms);
		json_object_object_add(o, "first", json_object_new_string(t));
		pa_qtime_format_ms(t, sizeof(t), v[i]->last_ms);
		json_object_object_add(o, "last", json_object_new_string(t));
		fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								      JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(o);
	}
}

size_t pa_qreport_write(struct pa_qreport *rep, FILE *out, enum pa_qformat fmt)
{
	size_t n;
	struct pa_qrow **v = sorted_rows(rep, &n);

	if (!v) {
		rep->failed = true;
		return 0;
	}
	if (fmt == PA_QFMT_CSV)
		write_csv(out, rep->by, v, n);
	else if (fmt == PA_QFMT_JSONL)
		write_jsonl(out, rep->by, v, n);
	else
		write_table(out, rep->by, v, n);
	free(v);
	return n;
}

void pa_qreport_free(struct pa_qreport *rep)
{
	pa_qmap_free(&rep->rows, free_row);
	pa_qmap_free(&rep->accounts, free);
	pa_qpattern_free(&rep->pattern);
}
