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

static bool plain_ascii(const unsigned char *s, size_t n);
static size_t json_escape(unsigned char c, char *o);

/*
 * Separator and key before a value; opens nothing. Keys are nearly always
 * literals of the record layout with nothing to escape: copied as they
 * are, and escaped otherwise.
 */
static void member(struct pa_jw *w, const char *key)
{
	size_t klen = key ? strlen(key) : 0;
	char *o;

	if (!reserve(w, klen * 6 + 4))
		return;
	o = w->buf + w->len;
	if (!w->first[w->depth])
		*o++ = ',';
	w->first[w->depth] = false;
	if (key) {
		*o++ = '"';
		if (plain_ascii((const unsigned char *)key, klen)) {
			memcpy(o, key, klen);
			o += klen;
		} else {
			for (size_t i = 0; i < klen; i++)
				o += json_escape((unsigned char)key[i], o);
		}
		*o++ = '"';
		*o++ = ':';
	}
	w->len = (size_t)(o - w->buf);
	w->buf[w->len] = '\0';
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

/* Bytes that pass through both encodings untouched: printable ASCII but
 * the quote and the backslash. Most names and every literal are only these. */
static bool plain_ascii(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\')
			return false;
	return true;
}

/* JSON escape of one byte of valid UTF-8 (after the byte encoding). */
static size_t json_escape(unsigned char c, char *o)
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '"': o[0] = '\\'; o[1] = '"'; return 2;
	case '\\': o[0] = '\\'; o[1] = '\\'; return 2;
	case '\n': o[0] = '\\'; o[1] = 'n'; return 2;
	case '\t': o[0] = '\\'; o[1] = 't'; return 2;
	case '\r': o[0] = '\\'; o[1] = 'r'; return 2;
	default:
		if (c < 0x20 || c == 0x7f) {
			memcpy(o, "\\u00", 4);
			o[4] = hex[c >> 4];
			o[5] = hex[c & 15];
			return 6;
		}
		o[0] = (char)c;
		return 1;
	}
}

void pa_jw_bytes(struct pa_jw *w, const char *key, const void *b, size_t n)
{
	const unsigned char *s = b;
	char *o;

	member(w, key);
	/* Worst case per input byte: \xHH, each backslash JSON-escaped: 5;
	 * a control byte: \u00XX: 6. */
	if (!reserve(w, n * 6 + 2))
		return;
	o = w->buf + w->len;
	*o++ = '"';
	if (plain_ascii(s, n)) {
		memcpy(o, s, n);
		o += n;
	} else {
		for (size_t i = 0; i < n;) {
			char piece[4];
			size_t plen = 0;

			i += pa_bytes_encode_step(s + i, n - i, piece, &plen);
			for (size_t k = 0; k < plen; k++)
				o += json_escape((unsigned char)piece[k], o);
		}
	}
	*o++ = '"';
	w->len = (size_t)(o - w->buf);
	w->buf[w->len] = '\0';
}

/* Decimal digits of v, without printf's locale and format parsing. */
static void put_u64(struct pa_jw *w, uint64_t v, bool negative)
{
	char num[24], *p = num + sizeof(num);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (negative)
		*--p = '-';
	put(w, p, (size_t)(num + sizeof(num) - p));
}

void pa_jw_u64(struct pa_jw *w, const char *key, uint64_t v)
{
	member(w, key);
	put_u64(w, v, false);
}

void pa_jw_i64(struct pa_jw *w, const char *key, int64_t v)
{
	member(w, key);
	put_u64(w, v < 0 ? -(uint64_t)v : (uint64_t)v, v < 0);
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
