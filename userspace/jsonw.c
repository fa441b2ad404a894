// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "jsonw.h"
#include "pathenc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pa_jw_init(struct pa_jw *w)
{
	memset(w, 0, sizeof(*w));
	w->first[0] = true;
}

void pa_jw_reset(struct pa_jw *w)
{
	w->len = 0;
	w->depth = 0;
	w->first[0] = true;
	w->failed = false;
}

void pa_jw_free(struct pa_jw *w)
{
	free(w->buf);
	pa_jw_init(w);
}

static bool reserve(struct pa_jw *w, size_t more)
{
	size_t cap;
	char *nb;

	if (w->failed)
		return false;
	if (w->len + more + 1 <= w->cap)
		return true;
	cap = w->cap ? w->cap : 1024;
	while (cap < w->len + more + 1)
		cap *= 2;
	nb = realloc(w->buf, cap);
	if (!nb) {
		w->failed = true;
		return false;
	}
	w->buf = nb;
	w->cap = cap;
	return true;
}

static void put(struct pa_jw *w, const char *s, size_t n)
{
	if (!reserve(w, n))
		return;
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* JSON-escape n bytes of valid UTF-8. */
static void put_escaped(struct pa_jw *w, const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[8];
		const char *e = NULL;

		if (c == '"')
			e = "\\\"";
		else if (c == '\\')
			e = "\\\\";
		else if (c == '\n')
			e = "\\n";
		else if (c == '\t')
			e = "\\t";
		else if (c == '\r')
			e = "\\r";
		else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			e = esc;
		}
		if (!e)
			continue;
		put(w, s + run, i - run);
		put(w, e, strlen(e));
		run = i + 1;
	}
	put(w, s + run, n - run);
}

/* Separator and key before a value; opens nothing. */
static void member(struct pa_jw *w, const char *key)
{
	if (!w->first[w->depth])
		put(w, ",", 1);
	w->first[w->depth] = false;
	if (key) {
		put(w, "\"", 1);
		put_escaped(w, key, strlen(key));
		put(w, "\":", 2);
	}
}

static void open_container(struct pa_jw *w, const char *key, char c)
{
	member(w, key);
	put(w, &c, 1);
	if (w->depth + 1 >= PA_JW_MAX_DEPTH) {
		w->failed = true;
		return;
	}
	w->first[++w->depth] = true;
}

static void close_container(struct pa_jw *w, char c)
{
	if (w->depth > 0)
		w->depth--;
	put(w, &c, 1);
}

void pa_jw_obj_open(struct pa_jw *w, const char *key) { open_container(w, key, '{'); }
void pa_jw_obj_close(struct pa_jw *w) { close_container(w, '}'); }
void pa_jw_arr_open(struct pa_jw *w, const char *key) { open_container(w, key, '['); }
void pa_jw_arr_close(struct pa_jw *w) { close_container(w, ']'); }

void pa_jw_str(struct pa_jw *w, const char *key, const char *s)
{
	/* Trusted strings are UTF-8 already; route them through the byte
	 * encoding anyway so a bad one can never make invalid JSON. */
	pa_jw_bytes(w, key, s, strlen(s));
}

void pa_jw_bytes(struct pa_jw *w, const char *key, const void *b, size_t n)
{
	char small[512];
	size_t need = pa_bytes_encoded_len(b, n);
	char *enc = need < sizeof(small) ? small : malloc(need + 1);

	member(w, key);
	if (!enc) {
		w->failed = true;
		return;
	}
	pa_bytes_encode(enc, b, n);
	put(w, "\"", 1);
	put_escaped(w, enc, need);
	put(w, "\"", 1);
	if (enc != small)
		free(enc);
}

void pa_jw_u64(struct pa_jw *w, const char *key, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRIu64, v);

	member(w, key);
	put(w, num, (size_t)n);
}

void pa_jw_i64(struct pa_jw *w, const char *key, int64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRId64, v);

	member(w, key);
	put(w, num, (size_t)n);
}

void pa_jw_bool(struct pa_jw *w, const char *key, bool v)
{
	member(w, key);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void pa_jw_null(struct pa_jw *w, const char *key)
{
	member(w, key);
	put(w, "null", 4);
}

void pa_jw_newline(struct pa_jw *w)
{
	put(w, "\n", 1);
	w->depth = 0;
	w->first[0] = true;
}
