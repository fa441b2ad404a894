// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "qfilter.h"

#include <ctype.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pathenc.h"

#define COMM_MAX 15 /* actor.process.name is the kernel's comm: 15 bytes */

/* Activities by word: a class and activity id (-1: any), a status (0: any). */
static const struct activity {
	const char *word;
	int64_t class_uid, activity_id, status_id;
} activities[] = {
	{ "open", 1001, 14, 0 },      { "read", 1001, 2, 0 },	  { "denied", 1001, 14, 2 },
	{ "start", 6002, 3, 0 },      { "stop", 6002, 4, 0 },	  { "lifecycle", 6002, -1, 0 },
	{ "alert", 2004, -1, 0 },
};
#define N_ACTIVITIES (sizeof(activities) / sizeof(activities[0]))

/* The agent's other activity names (class 6002, activity 99). */
static const char *const other_names[] = {
	"loss", "watch set changed", "clock step", "log resumed", "log recovered",
	"log unverified", "retention deletion", "log write resumed",
};

size_t pa_qjson_escape(const char *s, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n"
				: c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;

		if (esc) {
			memcpy(out + o, esc, 2);
			o += 2;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(out + o, "\\u00", 4);
			out[o + 4] = hex[c >> 4];
			out[o + 5] = hex[c & 15];
			o += 6;
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = '\0';
	return o;
}

/* The needle: @pre, then @n bytes of encoded text JSON-escaped, then @post. */
static int set_needle(struct pa_qval *v, const char *pre, const char *text, size_t n,
		      const char *post)
{
	size_t lp = strlen(pre), ls = strlen(post);

	v->needle = malloc(lp + 6 * n + ls + 1);
	if (!v->needle)
		return -1;
	memcpy(v->needle, pre, lp);
	v->nlen = lp + pa_qjson_escape(text, n, v->needle + lp);
	memcpy(v->needle + v->nlen, post, ls + 1);
	v->nlen += ls;
	return 0;
}

/* The longest run of a glob that is matched literally (outside * ? [..]). */
static void longest_literal(const char *g, size_t n, size_t *off, size_t *len)
{
	size_t start = 0, i = 0;

	*off = *len = 0;
	while (i <= n) {
		if (i == n || g[i] == '*' || g[i] == '?' || g[i] == '[') {
			if (i - start > *len) {
				*off = start;
				*len = i - start;
			}
			if (i < n && g[i] == '[') { /* skip the bracket expression */
				const char *close = memchr(g + i + 2, ']', n > i + 2 ? n - i - 2 : 0);

				i = close ? (size_t)(close - g) : n;
			}
			start = i + 1;
		}
		i++;
	}
}

static bool is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 18;
}

static struct pa_qval *new_val(struct pa_qfilter *f, enum pa_qgroup_id g, const char *value)
{
	struct pa_qgroup *grp = &f->g[g];
	struct pa_qval *v, *nv = realloc(grp->v, (grp->n + 1) * sizeof(*nv));
	size_t n = strlen(value);

	if (!nv)
		return NULL;
	grp->v = nv;
	v = memset(&nv[grp->n], 0, sizeof(*v));
	v->text = malloc(pa_bytes_encoded_len(value, n) + 1);
	if (!v->text)
		return NULL;
	v->len = pa_bytes_encode(v->text, value, n);
	grp->n++;
	v->kind = all_digits(value) ? PA_QV_NUM : is_glob(value) ? PA_QV_GLOB : PA_QV_NAME;
	v->num = v->kind == PA_QV_NUM ? strtoll(value, NULL, 10) : -1;
	return v;
}

/* A glob's needle is its longest literal run, if it has one. */
static int glob_needle(struct pa_qval *v)
{
	size_t off, len;

	longest_literal(v->text, v->len, &off, &len);
	return len ? set_needle(v, "", v->text + off, len, "") : 0;
}

static int add_id(struct pa_qval *v, const char *num_pre, const char *num_post,
		  const char *name_key)
{
	char pre[64];

	if (v->kind == PA_QV_NUM)
		return set_needle(v, num_pre, v->text, v->len, num_post);
	if (v->kind == PA_QV_GLOB)
		return glob_needle(v);
	snprintf(pre, sizeof(pre), "\"%s\":\"", name_key);
	return set_needle(v, pre, v->text, v->len, "\"");
}

/* A process name longer than a comm is matched by its first 15 bytes too:
 * the needle is the part every form holds, cut at a character boundary. */
static int add_process(struct pa_qval *v, const char *value)
{
	size_t k = strlen(value);

	if (v->kind == PA_QV_GLOB)
		return glob_needle(v);
	v->kind = strchr(value, '/') ? PA_QV_PREFIX : PA_QV_NAME;
	if (v->kind == PA_QV_NAME && k > COMM_MAX) {
		k = COMM_MAX;
		while (k > 0 && ((unsigned char)value[k] & 0xc0) == 0x80)
			k--;
	}
	if (pa_bytes_encoded_len(value, k) != k) /* bytes the encoding changes */
		return 0;
	return set_needle(v, "", value, k, "");
}

static int activity_index(const char *text)
{
	for (size_t i = 0; i < N_ACTIVITIES; i++)
		if (!strcmp(text, activities[i].word))
			return (int)i;
	for (size_t i = 0; i < sizeof(other_names) / sizeof(other_names[0]); i++)
		if (!strcmp(text, other_names[i]))
			return -1;
	return -2;
}

/* Activity words compare case-blind, '-' and '_' as spaces: log-recovered. */
static void normalise(char *s)
{
	for (; *s; s++)
		*s = *s == '-' || *s == '_' ? ' ' : (char)tolower((unsigned char)*s);
}

static int add_activity(struct pa_qval *v, char *err, size_t errlen)
{
	int idx;

	if (v->kind == PA_QV_NUM)
		return 0;
	normalise(v->text);
	idx = activity_index(v->text);
	if (idx == -2) {
		snprintf(err, errlen, "'%s' is not an activity: use open, read, denied, start, "
			 "stop, lifecycle, alert, an activity name of the agent's own records "
			 "(loss, log-recovered, clock-step, ...) or an OCSF id (14, 6002, 100114)",
			 v->text);
		return -1;
	}
	v->kind = PA_QV_NAME;
	v->num = idx; /* -1: by activity_name */
	return 0;
}

static int add_path(struct pa_qval *v)
{
	if (v->kind != PA_QV_GLOB)
		v->kind = PA_QV_PREFIX;
	if (v->kind == PA_QV_GLOB)
		return glob_needle(v);
	return set_needle(v, "", v->text, v->len, "");
}

static int add_value(struct pa_qfilter *f, struct pa_qval *v, enum pa_qgroup_id g,
		     const char *value, char *err, size_t errlen)
{
	switch (g) {
	case PA_QF_USER:
		return add_id(v, "\"uid\":\"", "\"", "name");
	case PA_QF_AUID:
		return add_id(v, "\"auid\":", "", "auid_name");
	case PA_QF_PATH:
		return add_path(v);
	case PA_QF_PROCESS:
		return add_process(v, value);
	case PA_QF_PID:
		if (v->kind != PA_QV_NUM) {
			snprintf(err, errlen, "'%s' is not a process id", value);
			return -1;
		}
		return set_needle(v, "\"pid\":", v->text, v->len, "");
	case PA_QF_HOST:
		v->kind = v->kind == PA_QV_GLOB ? PA_QV_GLOB : PA_QV_NAME;
		return add_id(v, "", "", "hostname");
	case PA_QF_ACTIVITY:
		return add_activity(v, err, errlen);
	default:
		return -1;
	}
}

int pa_qfilter_add(struct pa_qfilter *f, enum pa_qgroup_id g, const char *value, char *err,
		   size_t errlen)
{
	struct pa_qval *v;

	if (!*value) {
		snprintf(err, errlen, "an empty value");
		return -1;
	}
	v = new_val(f, g, value);
	if (!v || add_value(f, v, g, value, err, errlen)) {
		if (!v)
			snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void pa_qfilter_free(struct pa_qfilter *f)
{
	for (int g = 0; g < PA_QF_GROUPS; g++) {
		for (size_t i = 0; i < f->g[g].n; i++) {
			free(f->g[g].v[i].text);
			free(f->g[g].v[i].needle);
		}
		free(f->g[g].v);
	}
	pa_qmap_free(&f->subtree, NULL);
	memset(f, 0, sizeof(*f));
}

/* ---- on the raw line ---- */

int64_t pa_qline_time_ms(const char *line, size_t len)
{
	static const char lead[] = "{\"time\":";
	int64_t t = 0;
	size_t i = sizeof(lead) - 1;

	if (len <= i || memcmp(line, lead, i) || !isdigit((unsigned char)line[i]))
		return -1;
	for (; i < len && isdigit((unsigned char)line[i]) && t < INT64_MAX / 10; i++)
		t = t * 10 + (line[i] - '0');
	return t;
}

static bool group_quick(const struct pa_qgroup *g, const char *line, size_t len)
{
	for (size_t i = 0; i < g->n; i++)
		if (!g->v[i].needle || memmem(line, len, g->v[i].needle, g->v[i].nlen))
			return true;
	return false;
}

bool pa_qfilter_quick(const struct pa_qfilter *f, const char *line, size_t len)
{
	int64_t t = pa_qline_time_ms(line, len);

	if (t >= 0 && ((f->has_since && t < f->since_ms) || (f->has_until && t >= f->until_ms)))
		return false;
	if (f->alerts && !memmem(line, len, "\"class_uid\":2004", 16))
		return false;
	for (int g = 0; g < PA_QF_GROUPS; g++) {
		/* the subtree holds processes whose records need not name the pid */
		if (g == PA_QF_PID && f->descendants)
			continue;
		if (f->g[g].n && !group_quick(&f->g[g], line, len))
			return false;
	}
	return true;
}

/* ---- on the parsed record ---- */

bool pa_qpath_under(const char *path, size_t plen, const char *prefix, size_t n)
{
	if (plen < n || memcmp(path, prefix, n))
		return false;
	return plen == n || (n > 0 && prefix[n - 1] == '/') || path[n] == '/';
}

/* A glob matches the path or a leading part of it (a directory): * and ?
 * stay within a name; backslashes are literal, as the encoding uses them. */
static bool path_is(const struct pa_qval *v, const char *path)
{
	if (!path)
		return false;
	if (v->kind == PA_QV_GLOB)
		return !fnmatch(v->text, path, FNM_PATHNAME | FNM_NOESCAPE | FNM_LEADING_DIR);
	return pa_qpath_under(path, strlen(path), v->text, v->len);
}

static bool path_match(const struct pa_qval *v, const struct pa_qrec *r)
{
	size_t n = r->sample_paths ? json_object_array_length(r->sample_paths) : 0;

	if (path_is(v, r->path))
		return true;
	for (size_t i = 0; i < n; i++) {
		struct json_object *p = json_object_array_get_idx(r->sample_paths, i);

		if (path_is(v, json_object_get_string(p)))
			return true;
	}
	return false;
}

static bool text_is(const struct pa_qval *v, const char *s)
{
	if (!s)
		return false;
	if (v->kind == PA_QV_GLOB)
		return !fnmatch(v->text, s, FNM_NOESCAPE);
	return !strcmp(s, v->text);
}

static bool id_match(const struct pa_qval *v, const char *uid, int64_t id, const char *name)
{
	if (v->kind == PA_QV_NUM)
		return uid ? !strcmp(uid, v->text) : id >= 0 && id == v->num;
	return text_is(v, name);
}

static const char *base_name(const char *path)
{
	const char *slash = path ? strrchr(path, '/') : NULL;

	return slash ? slash + 1 : path;
}

static bool process_match(const struct pa_qval *v, const struct pa_qrec *r)
{
	const struct pa_qproc *p = &r->proc;

	if (v->kind == PA_QV_PREFIX)
		return p->exe && !strcmp(p->exe, v->text);
	if (v->kind == PA_QV_GLOB)
		return text_is(v, p->name) || text_is(v, p->exe) || text_is(v, base_name(p->exe));
	if (p->name && (!strcmp(p->name, v->text) ||
			(v->len > COMM_MAX && strlen(p->name) == COMM_MAX &&
			 !strncmp(p->name, v->text, COMM_MAX))))
		return true;
	return p->exe && !strcmp(base_name(p->exe), v->text);
}

static bool activity_match(const struct pa_qval *v, const struct pa_qrec *r)
{
	char name[64];

	if (v->kind == PA_QV_NUM)
		return v->num >= 10000 ? r->class_uid * 100 + r->activity_id == v->num
		       : v->num >= 1000 ? r->class_uid == v->num
					: r->activity_id == v->num;
	if (v->num >= 0) {
		const struct activity *a = &activities[v->num];

		return r->class_uid == a->class_uid &&
		       (a->activity_id < 0 || r->activity_id == a->activity_id) &&
		       (!a->status_id || r->status_id == a->status_id);
	}
	snprintf(name, sizeof(name), "%s", r->activity_name ? r->activity_name : "");
	normalise(name);
	return !strcmp(name, v->text);
}

static bool value_match(struct pa_qfilter *f, enum pa_qgroup_id g, const struct pa_qval *v,
			const struct pa_qrec *r)
{
	switch (g) {
	case PA_QF_USER:
		return id_match(v, r->user_uid, -1, r->user_name);
	case PA_QF_AUID:
		return id_match(v, NULL, r->auid, r->auid_name);
	case PA_QF_PATH:
		return path_match(v, r);
	case PA_QF_PROCESS:
		return process_match(v, r);
	case PA_QF_PID:
		return r->proc.pid == v->num;
	case PA_QF_HOST:
		return text_is(v, r->host);
	case PA_QF_ACTIVITY:
		return activity_match(v, r);
	default:
		return false;
	}
}

/* ---- --pid N --descendants ---- */

static bool is_root_pid(const struct pa_qfilter *f, int64_t pid)
{
	for (size_t i = 0; i < f->g[PA_QF_PID].n; i++)
		if (f->g[PA_QF_PID].v[i].num == pid)
			return true;
	return false;
}

static void proc_key(const struct pa_qproc *p, char *buf, size_t n)
{
	snprintf(buf, n, "%" PRId64 "/%" PRId64, p->pid, p->created_ms);
}

static bool in_known_subtree(const struct pa_qfilter *f, const struct pa_qproc *p)
{
	char key[48];

	proc_key(p, key, sizeof(key));
	return pa_qmap_get(&f->subtree, key, strlen(key)) != NULL;
}

static void remember(struct pa_qfilter *f, const struct pa_qproc *p)
{
	char key[48];
	bool created;
	void **slot;

	proc_key(p, key, sizeof(key));
	slot = pa_qmap_put(&f->subtree, key, strlen(key), &created);
	if (slot)
		*slot = (void *)1; /* only presence counts */
}

/*
 * The record's process is in the subtree when it, its parent or one of its
 * ancestors is a --pid or a process already found below one. It and the
 * ancestors up to the match are remembered, so a process deeper than the
 * records' ancestor lists reach (8) is still placed through its parent.
 */
static bool in_subtree(struct pa_qfilter *f, const struct pa_qrec *r)
{
	const struct pa_qproc *chain[2 + PA_QREC_ANCESTORS];
	size_t n = 0;

	chain[n++] = &r->proc;
	if (r->parent.pid >= 0 && (!r->n_anc || r->anc[0].pid != r->parent.pid))
		chain[n++] = &r->parent;
	for (size_t i = 0; i < r->n_anc; i++)
		chain[n++] = &r->anc[i];
	for (size_t i = 0; i < n; i++) {
		if (chain[i]->pid < 0)
			continue;
		if (is_root_pid(f, chain[i]->pid) || in_known_subtree(f, chain[i])) {
			for (size_t j = 0; j <= i; j++)
				remember(f, chain[j]);
			return true;
		}
	}
	return false;
}

bool pa_qfilter_match(struct pa_qfilter *f, const struct pa_qrec *r)
{
	/* first, so the subtree learns from every record it is shown */
	if (f->descendants && f->g[PA_QF_PID].n && (r->proc.pid < 0 || !in_subtree(f, r)))
		return false;
	if ((f->has_since && r->time_ms < f->since_ms) ||
	    (f->has_until && r->time_ms >= f->until_ms))
		return false;
	if (f->alerts && r->kind != PA_QK_ALERT)
		return false;
	for (int g = 0; g < PA_QF_GROUPS; g++) {
		bool any = f->g[g].n == 0 || (g == PA_QF_PID && f->descendants);

		for (size_t i = 0; !any && i < f->g[g].n; i++)
			any = value_match(f, (enum pa_qgroup_id)g, &f->g[g].v[i], r);
		if (!any)
			return false;
	}
	return true;
}
