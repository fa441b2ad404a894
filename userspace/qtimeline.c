// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "qtimeline.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "csvw.h"
#include "qtime.h"

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Keep what is known; a later record may know more (a program, arguments). */
static void fill(char **field, const char *s)
{
	if (!*field && s)
		*field = strdup(s);
}

/* ---- processes ---- */

static struct pa_qtproc *proc_of(struct pa_qtimeline *tl, const char *host,
				 const struct pa_qproc *p)
{
	char key[128];
	struct pa_qtproc *node;
	bool created;
	void **slot;
	int n = snprintf(key, sizeof(key), "%.60s/%" PRId64 "/%" PRId64, host ? host : "", p->pid,
			 p->created_ms);

	if (p->pid < 0 || !(slot = pa_qmap_put(&tl->procs, key, (size_t)n, &created)))
		return NULL;
	if (created) {
		node = *slot = calloc(1, sizeof(*node));
		if (!node)
			return NULL;
		node->host = dup_or_null(host);
		node->pid = p->pid;
		node->created_ms = p->created_ms;
	}
	node = *slot;
	fill(&node->name, p->name);
	fill(&node->exe, p->exe);
	fill(&node->cmd_line, p->cmd_line);
	return node;
}

/* The record's process, linked to its parent; its ancestors, each to the
 * next. The parent is parent_process, whose start is in ancestors[0] when
 * parent_process lacks it; the ancestors were read at the first audited
 * open, and begin at the parent unless it has exited since. */
static struct pa_qtproc *procs_of(struct pa_qtimeline *tl, const struct pa_qrec *r)
{
	struct pa_qtproc *self = proc_of(tl, r->host, &r->proc), *up;
	const struct pa_qproc *parent = &r->parent;
	char buf[64];

	if (!self)
		return NULL;
	if (parent->created_ms < 0 && r->n_anc && r->anc[0].pid == parent->pid)
		parent = &r->anc[0];
	up = proc_of(tl, r->host, parent);
	if (up && up != self && !self->parent)
		self->parent = up;
	for (size_t i = 0; i + 1 < r->n_anc; i++) {
		struct pa_qtproc *a = proc_of(tl, r->host, &r->anc[i]);

		up = proc_of(tl, r->host, &r->anc[i + 1]);
		if (a && up && a != up && !a->parent)
			a->parent = up;
	}
	self->actor = true;
	fill(&self->user, r->user_name ? r->user_name : r->user_uid);
	if (r->auid >= 0) /* a login user's name, or its number */
		snprintf(buf, sizeof(buf), "%" PRId64, r->auid);
	fill(&self->login, r->auid_name ? r->auid_name : r->auid >= 0 ? buf : NULL);
	return self;
}

/* Bytes read: each account's biggest report (records are cumulative). */
static void count_read(struct pa_qtproc *p, const struct pa_qrec *r)
{
	char key[48];
	bool created;
	int n = snprintf(key, sizeof(key), "%" PRId64 "/%" PRId64, r->open_event_seq, r->account_seq);
	void **slot = pa_qmap_put(&p->accounts, key, (size_t)n, &created);

	if (slot && (uintptr_t)*slot < (uintptr_t)(r->bytes_read > 0 ? r->bytes_read : 0))
		*slot = (void *)(uintptr_t)r->bytes_read;
}

static uint64_t bytes_of(const struct pa_qtproc *p)
{
	struct pa_qmap_slot *s;
	uint64_t sum = 0;
	size_t i = 0;

	while ((s = pa_qmap_each(&p->accounts, &i)))
		sum += (uintptr_t)s->val;
	return sum;
}

/* ---- events ---- */

static struct pa_qtev *event(struct pa_qtimeline *tl, enum pa_qtl_kind kind, int64_t ms)
{
	struct pa_qtev *e;

	if (tl->n == tl->cap) {
		size_t cap = tl->cap ? tl->cap * 2 : 256;
		struct pa_qtev *nv = realloc(tl->ev, cap * sizeof(*nv));

		if (!nv) {
			tl->failed = true;
			return NULL;
		}
		tl->ev = nv;
		tl->cap = cap;
	}
	e = memset(&tl->ev[tl->n++], 0, sizeof(*e));
	e->kind = kind;
	e->ms = ms;
	e->order = tl->order++;
	e->bytes = -1;
	return e;
}

static enum pa_qtl_kind kind_of(const struct pa_qrec *r)
{
	switch (r->kind) {
	case PA_QK_OPEN:
		return r->status_id == 2 ? PA_QTL_DENIED : PA_QTL_OPEN;
	case PA_QK_READ:
		return PA_QTL_READ;
	case PA_QK_ALERT:
		return PA_QTL_ALERT;
	default:
		return PA_QTL_AGENT;
	}
}

/* An alert's title, then the sample of files it names. */
static char *alert_detail(const struct pa_qrec *r)
{
	size_t n = r->sample_paths ? json_object_array_length(r->sample_paths) : 0, len = 0;
	char buf[2048];

	len += (size_t)snprintf(buf, sizeof(buf), "%s", r->title ? r->title : "alert");
	for (size_t i = 0; i < n && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? ", " : " (files: ",
			json_object_get_string(json_object_array_get_idx(r->sample_paths, i)));
	if (n && len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len, ")");
	return strdup(buf);
}

static char *record_detail(const struct pa_qrec *r)
{
	char buf[512], d[256];

	if (r->kind == PA_QK_ALERT)
		return alert_detail(r);
	pa_qout_detail(r, d, sizeof(d));
	if (r->kind == PA_QK_READ)
		snprintf(buf, sizeof(buf), "%" PRId64 " bytes in %" PRId64 " reads (%s)",
			 r->bytes_read, r->read_calls, d);
	else if (r->kind == PA_QK_OPEN || !r->activity_name)
		snprintf(buf, sizeof(buf), "%s", d);
	else
		snprintf(buf, sizeof(buf), "%s: %s", r->activity_name, d);
	return strdup(buf);
}

void pa_qtimeline_add(struct pa_qtimeline *tl, const struct pa_qrec *r)
{
	struct pa_qtev *e = event(tl, kind_of(r), r->time_ms);

	if (!e)
		return;
	e->iso = dup_or_null(r->time_dt);
	e->proc = r->proc.pid >= 0 ? procs_of(tl, r) : NULL;
	e->path = dup_or_null(r->path);
	e->uid = dup_or_null(r->uid);
	e->detail = record_detail(r);
	if (r->kind == PA_QK_READ)
		e->bytes = r->bytes_read;
	if (e->proc && r->kind == PA_QK_OPEN)
		e->proc->opens++, e->proc->denied += r->status_id == 2;
	if (e->proc && r->kind == PA_QK_READ)
		count_read(e->proc, r);
}

void pa_qtimeline_gaps(struct pa_qtimeline *tl, const struct pa_qgaps *g, int64_t since_ms,
		       int64_t until_ms)
{
	char buf[512];

	for (size_t i = 0; i < g->n; i++) {
		struct pa_qtev *e;

		if (!pa_qgap_in(&g->v[i], since_ms, until_ms))
			continue;
		e = event(tl, PA_QTL_GAP, g->v[i].from_ms >= 0 ? g->v[i].from_ms : g->v[i].to_ms);
		if (!e)
			return;
		pa_qgap_describe(&g->v[i], buf, sizeof(buf));
		e->detail = strdup(buf);
	}
}

/* ---- output ---- */

static const char *const kind_names[] = { "process start", "open", "denied", "read",
					  "alert", "agent", "gap" };

static void proc_label(const struct pa_qtproc *p, char *buf, size_t n)
{
	if (p)
		snprintf(buf, n, "%s[%" PRId64 "]", p->name ? p->name : "?", p->pid);
	else
		snprintf(buf, n, "-");
}

/* A start event for each process that started in the window. */
static void add_starts(struct pa_qtimeline *tl, int64_t since_ms, int64_t until_ms)
{
	struct pa_qmap_slot *s;
	size_t i = 0;

	while ((s = pa_qmap_each(&tl->procs, &i))) {
		struct pa_qtproc *p = s->val;
		char buf[1024];
		struct pa_qtev *e;

		if (p->created_ms < 0 || (since_ms >= 0 && p->created_ms < since_ms) ||
		    (until_ms >= 0 && p->created_ms >= until_ms) ||
		    !(e = event(tl, PA_QTL_START, p->created_ms)))
			continue;
		e->proc = p;
		snprintf(buf, sizeof(buf), "%s%s%s", p->exe ? p->exe : "", p->exe && p->cmd_line ? ": " : "",
			 p->cmd_line ? p->cmd_line : "");
		e->detail = strdup(buf);
	}
}

/* Time order; at one instant a start first, then the order read. */
static int cmp_event(const void *a, const void *b)
{
	const struct pa_qtev *x = a, *y = b;

	if (x->ms != y->ms)
		return x->ms < y->ms ? -1 : 1;
	if ((x->kind == PA_QTL_START) != (y->kind == PA_QTL_START))
		return x->kind == PA_QTL_START ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int cmp_proc(const void *a, const void *b)
{
	const struct pa_qtproc *x = *(struct pa_qtproc *const *)a, *y = *(struct pa_qtproc *const *)b;
	int h = strcmp(x->host ? x->host : "", y->host ? y->host : "");

	if (h)
		return h;
	if (x->created_ms != y->created_ms)
		return x->created_ms < y->created_ms ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

#define TREE_MAX_DEPTH 64 /* pid reuse can make a loop of parents: stop */

static void tree_line(FILE *out, const struct pa_qtproc *p, int depth)
{
	char label[64], t[40];

	proc_label(p, label, sizeof(label));
	pa_qtime_format_ms(t, sizeof(t), p->created_ms);
	fprintf(out, "%*s", 2 + 2 * depth, "");
	pa_qout_text(out, label);
	if (p->exe || p->cmd_line) {
		fputs("  ", out);
		pa_qout_text(out, p->exe ? p->exe : "");
		fputs(p->exe && p->cmd_line ? ": " : "", out);
		pa_qout_text(out, p->cmd_line ? p->cmd_line : "");
	}
	if (p->created_ms >= 0)
		fprintf(out, "  (started %s", t);
	else
		fputs("  (start unknown", out);
	if (p->actor) {
		fputs("; user ", out);
		pa_qout_text(out, p->user);
		fputs(", login ", out);
		pa_qout_text(out, p->login);
		fprintf(out, "; %" PRIu64 " opens, %" PRIu64 " denied, %" PRIu64 " bytes read",
			p->opens, p->denied, bytes_of(p));
	}
	fputs(")\n", out);
}

static void tree_print(FILE *out, struct pa_qtproc *p, int depth)
{
	if (p->shown || depth > TREE_MAX_DEPTH)
		return;
	p->shown = true;
	tree_line(out, p, depth);
	for (size_t i = 0; i < p->nkids; i++)
		tree_print(out, p->kids[i], depth + 1);
}

static int link_kid(struct pa_qtproc *parent, struct pa_qtproc *kid)
{
	struct pa_qtproc **nk = realloc(parent->kids, (parent->nkids + 1) * sizeof(*nk));

	if (!nk)
		return -1;
	nk[parent->nkids++] = kid;
	parent->kids = nk;
	return 0;
}

/* Every process, hosts apart, each under its parent, oldest first. */
static void write_tree(struct pa_qtimeline *tl, FILE *out)
{
	struct pa_qtproc **v = calloc(tl->procs.n + 1, sizeof(*v));
	struct pa_qmap_slot *s;
	const char *host = NULL;
	size_t i = 0, n = 0;

	if (!v)
		return;
	while ((s = pa_qmap_each(&tl->procs, &i)))
		v[n++] = s->val;
	qsort(v, n, sizeof(*v), cmp_proc);
	for (i = 0; i < n; i++)
		if (v[i]->parent && link_kid(v[i]->parent, v[i]))
			tl->failed = true;
	/* roots first; then whatever a loop of parents left unreached */
	for (int pass = 0; pass < 2; pass++)
		for (i = 0; i < n; i++) {
			if (v[i]->shown || (pass == 0 && v[i]->parent))
				continue;
			if (!host || strcmp(host, v[i]->host ? v[i]->host : "")) {
				host = v[i]->host ? v[i]->host : "";
				fprintf(out, "%sProcesses on %s:\n", i ? "\n" : "", *host ? host : "?");
			}
			tree_print(out, v[i], 0);
		}
	free(v);
}

static void write_table(struct pa_qtimeline *tl, FILE *out)
{
	char t[40], label[64];

	if (tl->procs.n) {
		write_tree(tl, out);
		fputc('\n', out);
	}
	fprintf(out, "%-24s  %-13s  %-22s  %s\n", "TIME", "EVENT", "PROCESS", "DETAIL");
	for (size_t i = 0; i < tl->n; i++) {
		const struct pa_qtev *e = &tl->ev[i];

		pa_qtime_format_ms(t, sizeof(t), e->ms);
		proc_label(e->proc, label, sizeof(label));
		fprintf(out, "%-24s  %-13s  ", t, kind_names[e->kind]);
		if (!e->path && !(e->detail && *e->detail)) { /* nothing after: no padding */
			pa_qout_text(out, label);
			fputc('\n', out);
			continue;
		}
		pa_qout_cell(out, label, 22);
		fputs("  ", out);
		if (e->path) {
			pa_qout_text(out, e->path);
			fputs(e->detail && *e->detail ? "  " : "", out);
		}
		pa_qout_text(out, e->detail ? e->detail : "");
		fputc('\n', out);
	}
}

static const char *const ts_desc[] = { "Process Start Time", "File Opened", "File Open Denied",
				       "Last Read", "Alert Raised", "Agent Record",
				       "Log Gap Start" };

static void message(const struct pa_qtev *e, char *buf, size_t n)
{
	static const char *const verbs[] = { "started:", "opened", "was denied", "read",
					     "raised an alert:", "", "" };
	char label[64];

	proc_label(e->proc, label, sizeof(label));
	if (e->kind == PA_QTL_AGENT || e->kind == PA_QTL_GAP)
		snprintf(buf, n, "%s%s", e->kind == PA_QTL_GAP ? "gap in the log: " : "agent: ",
			 e->detail ? e->detail : "");
	else
		snprintf(buf, n, "%s %s %s%s%s", label, verbs[e->kind], e->path ? e->path : "",
			 e->path && e->detail && *e->detail ? ": " : "", e->detail ? e->detail : "");
}

static void iso_of(const struct pa_qtev *e, char *buf, size_t n)
{
	if (e->iso)
		snprintf(buf, n, "%s", e->iso);
	else
		pa_qtime_format_ms(buf, n, e->ms);
}

static void add_str(struct json_object *o, const char *key, const char *v)
{
	if (v)
		json_object_object_add(o, key, json_object_new_string(v));
}

static void add_int(struct json_object *o, const char *key, int64_t v)
{
	if (v >= 0)
		json_object_object_add(o, key, json_object_new_int64(v));
}

static void write_sketch_event(FILE *out, const struct pa_qtev *e)
{
	struct json_object *o = json_object_new_object();
	const struct pa_qtproc *p = e->proc;
	char buf[4096], kind[32];

	message(e, buf, sizeof(buf));
	add_str(o, "message", buf);
	iso_of(e, buf, sizeof(buf));
	add_str(o, "datetime", buf);
	add_str(o, "timestamp_desc", ts_desc[e->kind]);
	snprintf(kind, sizeof(kind), "phiaudit:%s", kind_names[e->kind]);
	for (char *c = kind; *c; c++)
		*c = *c == ' ' ? '_' : *c;
	add_str(o, "data_type", kind);
	add_str(o, "event", kind_names[e->kind]);
	if (p) {
		add_str(o, "hostname", p->host);
		add_int(o, "pid", p->pid);
		add_int(o, "ppid", p->parent ? p->parent->pid : -1);
		add_str(o, "process_name", p->name);
		add_str(o, "program", p->exe);
		add_str(o, "command_line", p->cmd_line);
		add_str(o, "user", p->user);
		add_str(o, "login_user", p->login);
	}
	add_str(o, "path", e->path);
	add_int(o, "bytes_read", e->bytes);
	add_str(o, "record_uid", e->uid);
	fprintf(out, "%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}

static void write_csv(struct pa_qtimeline *tl, FILE *out)
{
	static const char *const cols[] = { "time", "event", "host", "pid", "ppid", "process",
					    "program", "command_line", "user", "login_user",
					    "path", "bytes_read", "detail", "record_uid" };
	struct pa_csv c;
	char t[48];

	pa_csv_init(&c, out);
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		pa_csv_str(&c, cols[i]);
	pa_csv_end_row(&c);
	for (size_t i = 0; i < tl->n; i++) {
		const struct pa_qtev *e = &tl->ev[i];
		const struct pa_qtproc *p = e->proc;

		iso_of(e, t, sizeof(t));
		pa_csv_str(&c, t);
		pa_csv_str(&c, kind_names[e->kind]);
		pa_csv_str(&c, p ? p->host : NULL);
		pa_csv_i64(&c, p ? p->pid : -1);
		pa_csv_i64(&c, p && p->parent ? p->parent->pid : -1);
		pa_csv_str(&c, p ? p->name : NULL);
		pa_csv_str(&c, p ? p->exe : NULL);
		pa_csv_str(&c, p ? p->cmd_line : NULL);
		pa_csv_str(&c, p ? p->user : NULL);
		pa_csv_str(&c, p ? p->login : NULL);
		pa_csv_str(&c, e->path);
		pa_csv_i64(&c, e->bytes);
		pa_csv_str(&c, e->detail);
		pa_csv_str(&c, e->uid);
		pa_csv_end_row(&c);
	}
}

size_t pa_qtimeline_write(struct pa_qtimeline *tl, FILE *out, enum pa_qformat fmt,
			  int64_t since_ms, int64_t until_ms)
{
	add_starts(tl, since_ms, until_ms);
	if (tl->n)
		qsort(tl->ev, tl->n, sizeof(*tl->ev), cmp_event);
	if (fmt == PA_QFMT_CSV) {
		write_csv(tl, out);
	} else if (fmt == PA_QFMT_TIMESKETCH || fmt == PA_QFMT_JSONL) {
		for (size_t i = 0; i < tl->n; i++)
			write_sketch_event(out, &tl->ev[i]);
	} else {
		write_table(tl, out);
	}
	return tl->n;
}

static void free_proc(void *v)
{
	struct pa_qtproc *p = v;

	if (!p)
		return;
	free(p->host);
	free(p->name);
	free(p->exe);
	free(p->cmd_line);
	free(p->user);
	free(p->login);
	free(p->kids);
	pa_qmap_free(&p->accounts, NULL);
	free(p);
}

void pa_qtimeline_free(struct pa_qtimeline *tl)
{
	for (size_t i = 0; i < tl->n; i++) {
		free(tl->ev[i].iso);
		free(tl->ev[i].path);
		free(tl->ev[i].detail);
		free(tl->ev[i].uid);
	}
	free(tl->ev);
	pa_qmap_free(&tl->procs, free_proc);
	memset(tl, 0, sizeof(*tl));
}
