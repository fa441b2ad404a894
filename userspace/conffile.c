// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The config file reader (conffile.h). One file goes through four steps:
 *
 *   read    the descriptor that was checked (owner, mode) is the one read
 *   lex     our pass over the bytes: NUL, UTF-8, quotes, escapes, control
 *           characters; comments overwritten with spaces (newlines kept),
 *           so every offset, line and column is still the file's
 *   json-c  strict mode on that text builds the tree and names syntax
 *           errors (json-c's own comment support is off in strict mode, and
 *           its default mode also takes 'single quotes', trailing commas
 *           and trailing garbage, hence the blanking)
 *   walk    the same text once more, now known to be valid JSON, beside
 *           the tree: index each value's position, key and parent, and
 *           refuse what json-c lets through (duplicate keys, whose last
 *           value it keeps; null; NaN, Infinity, 1., -01; integers it
 *           clamps to 64 bits)
 *
 * Why not our own tokenizer building json-c objects: that is a full JSON
 * parser (escapes, surrogates, numbers, depth) kept in step with json-c by
 * hand. The walker only runs on text json-c accepted, so it needs no error
 * recovery: it finds keys and elements, and skips everything else.
 *
 * The index: an entry per value {object, key or element index, parent
 * entry, file, line, column}; the key path is rebuilt from the parent
 * links when an error needs it. Entries hold a reference on their object,
 * so an address replaced by a later drop-in is never reused while indexed,
 * and a sorted copy of (address, entry) answers "where is this value".
 */
#include "conffile.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#define NONE	 UINT32_MAX
#define EDIT_MAX 64 /* longest key given a "did you mean" */

struct entry {
	struct json_object *obj; /* a reference */
	char *key;		 /* member name; NULL for an element or a top level */
	uint32_t parent;	 /* entry of the containing value; NONE for a top level */
	uint32_t index;		 /* element index */
	uint32_t file;
	uint32_t line, col;
};

struct by_obj {
	uintptr_t obj;
	uint32_t entry;
};

struct pa_conf {
	uid_t owner;
	struct json_object *root;
	bool root_from_file; /* else root is an empty placeholder */
	char **files;	     /* names, for positions */
	size_t nfiles;
	struct entry *ent;
	size_t nent, capent;
	struct by_obj *by_obj; /* sorted by address */
	size_t nby_obj;
	struct pa_conf_msgs errors, notes;
};

/* One file being parsed. */
struct src {
	const char *name;
	const char *orig; /* the bytes as read: positions are counted here */
	char *text;	  /* the same, comments blanked: what json-c parses */
	size_t len;
};

/* Line and column of off, moved forward only. */
struct cursor {
	size_t off;
	uint32_t line, col;
};

/* ---- messages ---- */

static void msgs_add(struct pa_conf_msgs *m, const char *fmt, va_list ap)
{
	char *s = NULL;

	m->total++;
	if (m->n < PA_CONF_MAX_MSGS && vasprintf(&s, fmt, ap) >= 0)
		m->v[m->n++] = s;
}

static void msgs_free(struct pa_conf_msgs *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->v[i]);
	m->n = m->total = 0;
}

__attribute__((format(printf, 2, 3))) static void add_error(struct pa_conf *c, const char *fmt,
							    ...)
{
	va_list ap;

	va_start(ap, fmt);
	msgs_add(&c->errors, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3))) static void add_note(struct pa_conf *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	msgs_add(&c->notes, fmt, ap);
	va_end(ap);
}

/* Append to buf (size n, *len used), truncating; *len never passes n - 1. */
__attribute__((format(printf, 4, 5))) static void sb_add(char *buf, size_t n, size_t *len,
							 const char *fmt, ...)
{
	va_list ap;
	int r;

	if (*len + 1 >= n)
		return;
	va_start(ap, fmt);
	r = vsnprintf(buf + *len, n - *len, fmt, ap);
	va_end(ap);
	if (r > 0)
		*len = *len + (size_t)r < n ? *len + (size_t)r : n - 1;
}

/* s in double quotes, with ", \ and control characters escaped (a key in a
 * message must not be able to start a new log line). */
static void sb_quote(char *buf, size_t n, size_t *len, const char *s)
{
	sb_add(buf, n, len, "\"");
	for (; *s && *len + 1 < n; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			sb_add(buf, n, len, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			sb_add(buf, n, len, "\\u%04x", ch);
		else
			sb_add(buf, n, len, "%c", ch);
	}
	sb_add(buf, n, len, "\"");
}

static const char *quoted(char *buf, size_t n, const char *s)
{
	size_t len = 0;

	buf[0] = '\0';
	sb_quote(buf, n, &len, s);
	return buf;
}

/* ---- positions and key paths ---- */

static void cursor_advance(struct cursor *cur, const char *s, size_t to)
{
	for (; cur->off < to; cur->off++) {
		unsigned char ch = (unsigned char)s[cur->off];

		if (ch == '\n')
			cur->line++, cur->col = 1;
		else if ((ch & 0xc0) != 0x80) /* not a UTF-8 continuation byte */
			cur->col++;
	}
}

static bool plain_key(const char *k)
{
	if (!*k)
		return false;
	for (; *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') ||
		      (*k >= '0' && *k <= '9') || *k == '_' || *k == '-'))
			return false;
	return true;
}

/* key appended to a path that starts at buf[mark]: .key or ["k.e.y"] */
static void sb_key(char *buf, size_t n, size_t *len, size_t mark, const char *key)
{
	if (plain_key(key)) {
		sb_add(buf, n, len, "%s%s", *len > mark ? "." : "", key);
		return;
	}
	sb_add(buf, n, len, "[");
	sb_quote(buf, n, len, key);
	sb_add(buf, n, len, "]");
}

/* Append the key path of entry e ("" for a top level). */
static void entry_path(const struct pa_conf *c, uint32_t e, char *buf, size_t n, size_t *len)
{
	uint32_t chain[PA_CONF_MAX_DEPTH + 2];
	size_t depth = 0, mark = *len;

	for (; e != NONE && depth < sizeof(chain) / sizeof(chain[0]); e = c->ent[e].parent)
		chain[depth++] = e;
	while (depth--) {
		const struct entry *x = &c->ent[chain[depth]];

		if (x->parent == NONE)
			continue; /* a top level has no name */
		if (x->key)
			sb_key(buf, n, len, mark, x->key);
		else
			sb_add(buf, n, len, "[%" PRIu32 "]", x->index);
	}
}

static int cmp_by_obj(const void *a, const void *b)
{
	uintptr_t x = ((const struct by_obj *)a)->obj, y = ((const struct by_obj *)b)->obj;

	return x < y ? -1 : x > y;
}

static uint32_t lookup(const struct pa_conf *c, const struct json_object *obj)
{
	struct by_obj key = { (uintptr_t)obj, 0 }, *hit;

	if (!obj || !c->nby_obj)
		return NONE;
	hit = bsearch(&key, c->by_obj, c->nby_obj, sizeof(key), cmp_by_obj);
	return hit ? hit->entry : NONE;
}

/* Rebuilt after each file merged: a few sorts a load. */
static int reindex(struct pa_conf *c)
{
	struct by_obj *v = realloc(c->by_obj, (c->nent ? c->nent : 1) * sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < c->nent; i++)
		if (c->ent[i].obj)
			v[n++] = (struct by_obj){ (uintptr_t)c->ent[i].obj, (uint32_t)i };
	qsort(v, n, sizeof(*v), cmp_by_obj);
	c->by_obj = v;
	c->nby_obj = n;
	return 0;
}

/*
 * The core of every positioned error: "file:line:col: path: message" for
 * entry e (NONE: the message alone), the path extended by key when given.
 */
static int report(struct pa_conf *c, uint32_t e, bool with_path, const char *key,
		  const char *fmt, va_list ap)
{
	char head[2048], *msg = NULL;
	size_t len = 0, mark;

	head[0] = '\0';
	if (e != NONE)
		sb_add(head, sizeof(head), &len, "%s:%" PRIu32 ":%" PRIu32 ": ",
		       c->files[c->ent[e].file], c->ent[e].line, c->ent[e].col);
	mark = len;
	if (with_path && e != NONE)
		entry_path(c, e, head, sizeof(head), &len);
	if (with_path && key)
		sb_key(head, sizeof(head), &len, mark, key);
	if (len > mark)
		sb_add(head, sizeof(head), &len, ": ");
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	add_error(c, "%s%s", head, msg ? msg : "(out of memory formatting a message)");
	free(msg);
	return -EINVAL;
}

__attribute__((format(printf, 3, 4))) static int err_entry(struct pa_conf *c, uint32_t e,
							   const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = report(c, e, true, NULL, fmt, ap);
	va_end(ap);
	return r;
}

/* An error at a byte offset of a file (before its values are indexed). */
__attribute__((format(printf, 4, 5))) static int err_at(struct pa_conf *c, const struct src *s,
							size_t off, const char *fmt, ...)
{
	struct cursor cur = { 0, 1, 1 };
	char *msg = NULL;
	va_list ap;

	cursor_advance(&cur, s->orig, off < s->len ? off : s->len);
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	add_error(c, "%s:%" PRIu32 ":%" PRIu32 ": %s", s->name, cur.line, cur.col,
		  msg ? msg : "(out of memory formatting a message)");
	free(msg);
	return -EINVAL;
}

/* ---- lex: bytes, strings, comments ---- */

/* Length of the valid UTF-8 sequence at p (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t avail)
{
	unsigned int c = p[0], need, cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 1, cp = c & 0x1f;
	else if ((c & 0xf0) == 0xe0)
		need = 2, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 3, cp = c & 0x07;
	else
		return 0;
	if (need >= avail)
		return 0;
	for (unsigned int k = 1; k <= need; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[k] & 0x3f);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

/* json-c stops at a NUL as if the file ended there, and takes invalid
 * UTF-8 (or, when validating, CESU surrogates): both are ours to refuse. */
static int check_bytes(struct pa_conf *c, const struct src *s)
{
	const unsigned char *p = (const unsigned char *)s->orig;

	for (size_t i = 0, n; i < s->len; i += n) {
		if (p[i] == 0)
			return err_at(c, s, i, "NUL byte");
		n = utf8_len(p + i, s->len - i);
		if (!n)
			return err_at(c, s, i, "invalid UTF-8 (byte 0x%02x)", p[i]);
	}
	return 0;
}

static int hex4(const char *p, size_t avail)
{
	int v = 0;

	if (avail < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		char ch = p[k];
		int d = ch >= '0' && ch <= '9' ? ch - '0'
			: ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
			: ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
						 : -1;

		if (d < 0)
			return -1;
		v = v << 4 | d;
	}
	return v;
}

/*
 * At the backslash t[*i] of a string: refuse "\u0000" (json-c would cut a
 * key short at it) and unpaired surrogates (json-c silently makes them
 * U+FFFD); leave anything else malformed to json-c. *i ends on the
 * escape's last byte.
 */
static int lex_escape(struct pa_conf *c, const struct src *s, size_t *i)
{
	const char *t = s->text;
	size_t at = *i;
	int cp, lo;

	if (at + 1 >= s->len || t[at + 1] != 'u' || (cp = hex4(t + at + 2, s->len - at - 2)) < 0) {
		*i = at + 1 < s->len ? at + 1 : at;
		return 0;
	}
	*i = at + 5;
	if (cp == 0)
		return err_at(c, s, at, "\"\\u0000\" is not allowed in a string");
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return err_at(c, s, at, "unpaired surrogate \"\\u%04x\" in a string", cp);
	if (cp < 0xd800 || cp > 0xdbff)
		return 0;
	if (at + 7 < s->len && t[at + 6] == '\\' && t[at + 7] == 'u' &&
	    (lo = hex4(t + at + 8, s->len - at - 8)) >= 0xdc00 && lo <= 0xdfff) {
		*i = at + 11;
		return 0;
	}
	return err_at(c, s, at, "unpaired surrogate \"\\u%04x\" in a string", cp);
}

enum lex_state { CODE, STRING, LINE_COMMENT, BLOCK_COMMENT };

/* Blank comments in s->text; refuse single quotes and raw control
 * characters in strings (json-c's strict mode takes both). */
static int lex(struct pa_conf *c, struct src *s)
{
	enum lex_state st = CODE;
	char *t = s->text;
	size_t open = 0; /* where the block comment began */
	int r = 0;

	for (size_t i = 0; i < s->len && !r; i++) {
		bool next_is = i + 1 < s->len;

		if (st == CODE && t[i] == '"') {
			st = STRING;
		} else if (st == CODE && t[i] == '\'') {
			r = err_at(c, s, i, "strings take double quotes, not single");
		} else if (st == CODE && t[i] == '/' && next_is &&
			   (t[i + 1] == '/' || t[i + 1] == '*')) {
			st = t[i + 1] == '/' ? LINE_COMMENT : BLOCK_COMMENT;
			open = i;
			t[i] = t[i + 1] = ' ';
			i++;
		} else if (st == STRING && t[i] == '"') {
			st = CODE;
		} else if (st == STRING && t[i] == '\\') {
			r = lex_escape(c, s, &i);
		} else if (st == STRING && (unsigned char)t[i] < 0x20) {
			r = err_at(c, s, i,
				   "control character 0x%02x in a string (write it as an "
				   "escape, such as \\n or \\t)",
				   (unsigned char)t[i]);
		} else if (st == LINE_COMMENT) {
			st = t[i] == '\n' ? CODE : st;
			t[i] = t[i] == '\n' ? '\n' : ' ';
		} else if (st == BLOCK_COMMENT && t[i] == '*' && next_is && t[i + 1] == '/') {
			st = CODE;
			t[i] = t[i + 1] = ' ';
			i++;
		} else if (st == BLOCK_COMMENT && t[i] != '\n') {
			t[i] = ' ';
		}
	}
	if (!r && st == BLOCK_COMMENT)
		r = err_at(c, s, open, "unterminated /* comment");
	return r;
}

/* ---- json-c ---- */

static bool is_ws(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

static size_t skip_ws_at(const struct src *s, size_t off)
{
	while (off < s->len && is_ws(s->text[off]))
		off++;
	return off;
}

static int parse_tree(struct pa_conf *c, const struct src *s, struct json_object **out)
{
	size_t first = skip_ws_at(s, 0), end;
	struct json_tokener *tok;
	enum json_tokener_error jerr;

	if (first == s->len) {
		add_error(c, "%s: no settings (a config with none is written {})", s->name);
		return -EINVAL;
	}
	if (s->text[first] != '{')
		return err_at(c, s, first, "the top level must be an object ({ ... })");
	tok = json_tokener_new_ex(PA_CONF_MAX_DEPTH);
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	*out = json_tokener_parse_ex(tok, s->text, (int)s->len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue)
		return err_at(c, s, s->len, "invalid JSON: unexpected end of file");
	if (jerr != json_tokener_success)
		return err_at(c, s, end, "invalid JSON: %s", json_tokener_error_desc(jerr));
	if (skip_ws_at(s, end) != s->len) /* json-c's strict mode checks too */
		return err_at(c, s, skip_ws_at(s, end),
			      "invalid JSON: text after the top-level object");
	return 0;
}

/* ---- walk: positions, and what json-c lets through ---- */

struct walk {
	struct pa_conf *c;
	const struct src *s;
	uint32_t file;
	size_t off;		  /* next byte of s->text */
	struct cursor cur;	  /* line and column, in s->orig */
	struct json_tokener *tok; /* decodes keys that have escapes */
};

static int peek(const struct walk *w)
{
	return w->off < w->s->len ? (unsigned char)w->s->text[w->off] : -1;
}

static void skip_ws(struct walk *w)
{
	w->off = skip_ws_at(w->s, w->off);
}

/* The text json-c accepted did not read as JSON here: a bug of ours. */
static int desync(struct walk *w)
{
	return err_at(w->c, w->s, w->off, "internal error: the position scan lost its place");
}

/* Index a value set at byte off; takes key. */
static int add_entry(struct walk *w, struct json_object *obj, uint32_t parent, char *key,
		     uint32_t index, size_t off, uint32_t *out)
{
	struct pa_conf *c = w->c;

	if (c->nent == c->capent) {
		size_t cap = c->capent ? c->capent * 2 : 64;
		struct entry *v = cap < NONE ? realloc(c->ent, cap * sizeof(*v)) : NULL;

		if (!v) {
			free(key);
			return -ENOMEM;
		}
		c->ent = v;
		c->capent = cap;
	}
	cursor_advance(&w->cur, w->s->orig, off);
	c->ent[c->nent] = (struct entry){ .obj = json_object_get(obj), .key = key,
					  .parent = parent, .index = index, .file = w->file,
					  .line = w->cur.line, .col = w->cur.col };
	*out = (uint32_t)c->nent++;
	return 0;
}

/* From an opening quote to just past its closing one. */
static int string_end(struct walk *w, size_t *end)
{
	for (size_t i = w->off + 1; i < w->s->len; i++) {
		if (w->s->text[i] == '\\')
			i++;
		else if (w->s->text[i] == '"') {
			*end = i + 1;
			return 0;
		}
	}
	return desync(w);
}

/* The key at w->off, decoded as json-c decodes it (for the lookup). */
static int read_key(struct walk *w, char **key)
{
	const char *t = w->s->text + w->off;
	struct json_object *str;
	size_t end;
	int r;

	*key = NULL;
	if (peek(w) != '"')
		return desync(w);
	if ((r = string_end(w, &end)))
		return r;
	if (!memchr(t, '\\', end - w->off)) {
		*key = strndup(t + 1, end - w->off - 2);
	} else {
		if (!w->tok && !(w->tok = json_tokener_new()))
			return -ENOMEM;
		json_tokener_reset(w->tok);
		str = json_tokener_parse_ex(w->tok, t, (int)(end - w->off));
		*key = str ? strdup(json_object_get_string(str)) : NULL;
		json_object_put(str);
	}
	w->off = end;
	return *key ? 0 : -ENOMEM;
}

static bool digits(const char *t, size_t n, size_t *i)
{
	size_t start = *i;

	while (*i < n && t[*i] >= '0' && t[*i] <= '9')
		(*i)++;
	return *i > start;
}

/* RFC 8259 number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool json_number(const char *t, size_t n)
{
	size_t i = t[0] == '-';

	if (i < n && t[i] == '0')
		i++;
	else if (i >= n || t[i] < '1' || t[i] > '9' || !digits(t, n, &i))
		return false;
	if (i < n && t[i] == '.' && (++i, !digits(t, n, &i)))
		return false;
	if (i < n && (t[i] == 'e' || t[i] == 'E')) {
		i++;
		if (i < n && (t[i] == '+' || t[i] == '-'))
			i++;
		if (!digits(t, n, &i))
			return false;
	}
	return i == n;
}

/* json-c clamps integers to [INT64_MIN, UINT64_MAX] without a word. */
static bool int_fits(const char *t, size_t n)
{
	char buf[24];

	if (memchr(t, '.', n) || memchr(t, 'e', n) || memchr(t, 'E', n))
		return true; /* a double */
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, t, n);
	buf[n] = '\0';
	errno = 0;
	if (t[0] == '-')
		(void)strtoll(buf, NULL, 10);
	else
		(void)strtoull(buf, NULL, 10);
	return errno != ERANGE;
}

static int walk_scalar(struct walk *w, uint32_t self)
{
	const char *t = w->s->text + w->off;
	size_t n = 0;
	int shown;

	while (w->off + n < w->s->len && !is_ws(t[n]) && t[n] != ',' && t[n] != ']' && t[n] != '}')
		n++;
	if (!n)
		return desync(w);
	w->off += n;
	shown = n > 40 ? 40 : (int)n;
	if ((n == 4 && !memcmp(t, "true", 4)) || (n == 5 && !memcmp(t, "false", 5)))
		return 0;
	if (n == 4 && !memcmp(t, "null", 4))
		return err_entry(w->c, self,
				 "null is not allowed (leave the key out to use the default)");
	if (!json_number(t, n))
		return err_entry(w->c, self, "not a JSON value: %.*s%s", shown, t,
				 n > 40 ? "..." : "");
	if (!int_fits(t, n))
		return err_entry(w->c, self, "integer out of range: %.*s%s", shown, t,
				 n > 40 ? "..." : "");
	return 0;
}

static int walk_value(struct walk *w, struct json_object *node, uint32_t self, int depth);

/*
 * One "key": value. Duplicates are caught here, in text order: json-c has
 * kept only the last one, so an earlier duplicate's value was walked
 * beside the wrong subtree; the walk copes (lookups on a mismatched node
 * give NULL) and the file is refused anyway.
 */
static int walk_member(struct walk *w, struct json_object *node, uint32_t self,
		       struct json_object *seen, int depth)
{
	struct json_object *child = NULL, *first;
	size_t at = w->off;
	char *key = NULL;
	uint32_t e;
	int r = read_key(w, &key);

	if (r)
		return r;
	skip_ws(w);
	if (peek(w) != ':') {
		free(key);
		return desync(w);
	}
	w->off++;
	skip_ws(w);
	if (json_object_is_type(node, json_type_object))
		json_object_object_get_ex(node, key, &child);
	if ((r = add_entry(w, child, self, key, 0, at, &e)))
		return r;
	if (json_object_object_get_ex(seen, key, &first))
		return err_entry(w->c, e, "duplicate key (first defined at line %" PRIu32 ")",
				 w->c->ent[json_object_get_int(first)].line);
	if (json_object_object_add(seen, key, json_object_new_int((int32_t)e)))
		return -ENOMEM;
	return walk_value(w, child, e, depth + 1);
}

static int walk_element(struct walk *w, struct json_object *node, uint32_t self, uint32_t i,
			int depth)
{
	struct json_object *child = NULL;
	uint32_t e;
	int r;

	if (json_object_is_type(node, json_type_array) && i < json_object_array_length(node))
		child = json_object_array_get_idx(node, i);
	r = add_entry(w, child, self, NULL, i, w->off, &e);
	return r ? r : walk_value(w, child, e, depth + 1);
}

/* An object or an array: members or elements between open and close. */
static int walk_list(struct walk *w, struct json_object *node, uint32_t self, int depth,
		     char close)
{
	struct json_object *seen = close == '}' ? json_object_new_object() : NULL;
	int r = 0, ch;

	if (close == '}' && !seen)
		return -ENOMEM;
	w->off++;
	skip_ws(w);
	if (peek(w) == close) {
		w->off++;
		json_object_put(seen);
		return 0;
	}
	for (uint32_t i = 0;; i++) {
		r = seen ? walk_member(w, node, self, seen, depth)
			 : walk_element(w, node, self, i, depth);
		if (r)
			break;
		skip_ws(w);
		ch = peek(w);
		if (ch != ',' && ch != close) {
			r = desync(w);
			break;
		}
		w->off++;
		if (ch == close)
			break;
		skip_ws(w);
	}
	json_object_put(seen);
	return r;
}

static int walk_value(struct walk *w, struct json_object *node, uint32_t self, int depth)
{
	size_t end;

	if (depth > PA_CONF_MAX_DEPTH)
		return desync(w); /* json-c refused deeper nesting already */
	switch (peek(w)) {
	case '{':
		return walk_list(w, node, self, depth, '}');
	case '[':
		return walk_list(w, node, self, depth, ']');
	case '"':
		if (string_end(w, &end))
			return -EINVAL;
		w->off = end;
		return 0;
	default:
		return walk_scalar(w, self);
	}
}

static int walk_file(struct pa_conf *c, const struct src *s, uint32_t file,
		     struct json_object *root)
{
	struct walk w = { .c = c, .s = s, .file = file, .cur = { 0, 1, 1 } };
	uint32_t e;
	int r;

	skip_ws(&w);
	r = add_entry(&w, root, NONE, NULL, 0, w.off, &e);
	if (!r)
		r = walk_value(&w, root, e, 0);
	if (!r && (skip_ws(&w), w.off != s->len))
		r = desync(&w);
	if (w.tok)
		json_tokener_free(w.tok);
	return r;
}

/* ---- one file: parse, index, merge ---- */

/* Later wins: objects key by key, recursively; anything else whole. */
static int merge(struct json_object *dst, struct json_object *src)
{
	json_object_object_foreach(src, key, val)
	{
		struct json_object *old;
		int r = 0;

		if (json_object_object_get_ex(dst, key, &old) &&
		    json_object_is_type(old, json_type_object) &&
		    json_object_is_type(val, json_type_object))
			r = merge(old, val);
		else if (json_object_object_add(dst, key, json_object_get(val)))
			r = (json_object_put(val), -ENOMEM);
		if (r)
			return r;
	}
	return 0;
}

static int merge_root(struct pa_conf *c, struct json_object *root)
{
	int r;

	if (!c->root_from_file) {
		json_object_put(c->root);
		c->root = root;
		c->root_from_file = true;
		return 0;
	}
	r = merge(c->root, root);
	json_object_put(root);
	return r;
}

static int add_file(struct pa_conf *c, const char *name, uint32_t *out)
{
	char **v = realloc(c->files, (c->nfiles + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	c->files = v;
	if (!(v[c->nfiles] = strdup(name)))
		return -ENOMEM;
	*out = (uint32_t)c->nfiles++;
	return 0;
}

/* Undo a file that failed: its entries, then its name. */
static void drop_file(struct pa_conf *c, size_t nent)
{
	while (c->nent > nent) {
		struct entry *e = &c->ent[--c->nent];

		json_object_put(e->obj);
		free(e->key);
	}
	free(c->files[--c->nfiles]);
}

static int parse_src(struct pa_conf *c, struct src *s)
{
	struct json_object *root = NULL;
	size_t nent = c->nent;
	uint32_t file;
	int r = add_file(c, s->name, &file);

	if (r)
		return r;
	r = check_bytes(c, s);
	if (!r)
		r = lex(c, s);
	if (!r)
		r = parse_tree(c, s, &root);
	if (!r)
		r = walk_file(c, s, file, root);
	if (r) {
		drop_file(c, nent);
		json_object_put(root);
		return r;
	}
	r = merge_root(c, root);
	return r ? r : reindex(c);
}

/* Parse and merge the len bytes of buf (which has a NUL after them); frees buf. */
static int parse_owned(struct pa_conf *c, const char *name, char *buf, size_t len)
{
	struct src s = { name, buf, malloc(len + 1), len };
	int r = -ENOMEM;

	if (s.text) {
		memcpy(s.text, buf, len + 1);
		r = parse_src(c, &s);
	}
	free(s.text);
	free(buf);
	return r;
}

int pa_conf_load_buffer(struct pa_conf *c, const char *name, const char *text, size_t len)
{
	char *buf;

	if (len > PA_CONF_MAX_SIZE) {
		add_error(c, "%s: larger than %u bytes", name, PA_CONF_MAX_SIZE);
		return -EFBIG;
	}
	buf = malloc(len + 1);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, text, len);
	buf[len] = '\0';
	return parse_owned(c, name, buf, len);
}

/* ---- files on disk: permissions, drop-ins ---- */

/*
 * Why a file is refused, and the command that fixes it. chmod and chown
 * follow symlinks, so the fix names the path as given even for a link.
 */
static int refuse(struct pa_conf *c, const struct stat *st, int dirfd, const char *name,
		  const char *path, const char *what)
{
	static const char *const writable[] = { "", "writable by others", "writable by group",
						"writable by group and others" };
	unsigned int w = (st->st_mode & S_IWGRP ? 2 : 0) | (st->st_mode & S_IWOTH ? 1 : 0);
	char uid[16], msg[3 * PATH_MAX], target[PATH_MAX];
	bool owner = st->st_uid != c->owner;
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
	const char *who = c->owner ? uid : "root";
	size_t len = 0;

	snprintf(uid, sizeof(uid), "%u", (unsigned int)c->owner);
	sb_add(msg, sizeof(msg), &len, "%s", path);
	if (n > 0)
		sb_add(msg, sizeof(msg), &len, " (a symlink to %.*s)", (int)n, target);
	sb_add(msg, sizeof(msg), &len, ": refusing %s: ", what);
	if (owner)
		sb_add(msg, sizeof(msg), &len, "not owned by %s%s%s", c->owner ? "uid " : "", who,
		       w ? " and " : "");
	sb_add(msg, sizeof(msg), &len, "%s (mode %04o, owner uid %u); fix with: ", writable[w],
	       (unsigned int)(st->st_mode & 07777), (unsigned int)st->st_uid);
	if (owner)
		sb_add(msg, sizeof(msg), &len, "chown %s %s%s", who, path, w ? " && " : "");
	if (w)
		sb_add(msg, sizeof(msg), &len, "chmod go-w %s", path);
	add_error(c, "%s", msg);
	return -EPERM;
}

/* fd, opened from name in dirfd (for messages: path), must be a dir or a
 * regular file owned by c->owner and not writable by group or others. */
static int check_node(struct pa_conf *c, int fd, int dirfd, const char *name, const char *path,
		      bool dir)
{
	struct stat st;
	int err;

	if (fstat(fd, &st)) {
		err = errno;
		add_error(c, "%s: cannot stat: %s", path, strerror(err));
		return -err;
	}
	if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
		add_error(c, "%s: not a %s", path, dir ? "directory" : "regular file");
		return dir ? -ENOTDIR : -EINVAL;
	}
	if (st.st_uid == c->owner && !(st.st_mode & (S_IWGRP | S_IWOTH)))
		return 0;
	return refuse(c, &st, dirfd, name, path, dir ? "config directory" : "config file");
}

static int open_failed(struct pa_conf *c, const char *path, int err, unsigned int flags)
{
	if (err == ENOENT && (flags & PA_CONF_OPTIONAL)) {
		add_note(c, "%s: not found (optional)", path);
		return 0;
	}
	add_error(c, "%s: cannot open: %s", path, strerror(err));
	return -err;
}

/* The whole of fd, at most PA_CONF_MAX_SIZE bytes, NUL-terminated. */
static int read_fd(int fd, char **buf, size_t *len)
{
	size_t cap = PA_CONF_MAX_SIZE + 1, n = 0;
	char *b = malloc(cap + 1);

	if (!b)
		return -ENOMEM;
	while (n < cap) {
		ssize_t got = read(fd, b + n, cap - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			int err = errno;

			if (got == 0)
				break;
			free(b);
			return -err;
		}
		n += (size_t)got;
	}
	if (n > PA_CONF_MAX_SIZE) {
		free(b);
		return -EFBIG;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/* Open name in dirfd, check it, read it through the same descriptor, merge it. */
static int load_at(struct pa_conf *c, int dirfd, const char *name, const char *path,
		   unsigned int flags)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), r;
	size_t len = 0;
	char *buf = NULL;

	if (fd < 0)
		return open_failed(c, path, errno, flags);
	r = check_node(c, fd, dirfd, name, path, false);
	if (!r) {
		r = read_fd(fd, &buf, &len);
		if (r == -EFBIG)
			add_error(c, "%s: larger than %u bytes", path, PA_CONF_MAX_SIZE);
		else if (r)
			add_error(c, "%s: cannot read: %s", path, strerror(-r));
	}
	close(fd);
	return r ? r : parse_owned(c, path, buf, len);
}

/* Open and check a config directory; 0 with *fd = -1 when optional and missing. */
static int open_dir(struct pa_conf *c, const char *path, unsigned int flags, int *fd)
{
	int r;

	*fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return open_failed(c, path, errno, flags);
	r = check_node(c, *fd, AT_FDCWD, path, path, true);
	if (r) {
		close(*fd);
		*fd = -1;
	}
	return r;
}

static int load_main(struct pa_conf *c, const char *path, unsigned int flags)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int dfd, r;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if ((size_t)(slash - path) >= sizeof(dir)) {
		add_error(c, "%s: path too long", path);
		return -ENAMETOOLONG;
	} else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	r = open_dir(c, dir, flags, &dfd);
	if (r || dfd < 0)
		return r;
	r = load_at(c, dfd, slash ? slash + 1 : path, path, flags);
	close(dfd);
	return r;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !memcmp(s + n - m, suffix, m);
}

/* NULL to read name, "" to pass over it silently, else why it is skipped. */
static const char *skip_reason(const char *name)
{
	static const char *const leftovers[] = { ".dpkg-old", ".dpkg-dist", ".dpkg-new",
						 ".dpkg-tmp", ".dpkg-bak",  ".rpmnew",
						 ".rpmsave",  ".rpmorig",   ".ucf-old",
						 ".ucf-new",  ".ucf-dist",  NULL };

	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return "";
	if (name[0] == '.')
		return "hidden file";
	if (ends_with(name, "~"))
		return "editor backup";
	for (size_t i = 0; leftovers[i]; i++)
		if (ends_with(name, leftovers[i]))
			return "package manager leftover";
	if (!ends_with(name, ".conf"))
		return "name does not end in .conf";
	return NULL;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dfd, sorted by strcmp (not the locale). */
static int list_dir(struct pa_conf *c, int dfd, const char *path, char ***names, size_t *n)
{
	int fd = dup(dfd), r = 0;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;

	if (!d) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		add_error(c, "%s: cannot list: %s", path, strerror(-r));
		return r;
	}
	while (!r && (errno = 0, de = readdir(d))) {
		char **v = realloc(*names, (*n + 1) * sizeof(*v));

		if (!v || !(v[*n] = strdup(de->d_name)))
			r = -ENOMEM;
		if (v)
			*names = v;
		if (!r)
			(*n)++;
	}
	if (!r && errno) {
		r = -errno;
		add_error(c, "%s: cannot list: %s", path, strerror(-r));
	}
	closedir(d);
	if (!r)
		qsort(*names, *n, sizeof(**names), cmp_names);
	return r;
}

static int load_dropin(struct pa_conf *c, int dfd, const char *dir, const char *name)
{
	const char *why = skip_reason(name);
	bool slash = ends_with(dir, "/");
	char path[PATH_MAX];

	if (why) {
		if (*why)
			add_note(c, "%s%s%s: skipped (%s)", dir, slash ? "" : "/", name, why);
		return 0;
	}
	if ((size_t)snprintf(path, sizeof(path), "%s%s%s", dir, slash ? "" : "/", name) >=
	    sizeof(path)) {
		add_error(c, "%s/%s: path too long", dir, name);
		return -ENAMETOOLONG;
	}
	return load_at(c, dfd, name, path, 0);
}

/* Every drop-in is tried, so one load reports every broken one. */
static int load_dropins(struct pa_conf *c, const char *dir, unsigned int flags)
{
	char **names = NULL;
	size_t n = 0;
	int dfd, first = 0, r = open_dir(c, dir, flags, &dfd);

	if (r || dfd < 0)
		return r;
	r = list_dir(c, dfd, dir, &names, &n);
	for (size_t i = 0; i < n; i++) {
		int one = r ? 0 : load_dropin(c, dfd, dir, names[i]);

		if (one && !first)
			first = one;
		free(names[i]);
	}
	free(names);
	close(dfd);
	return r ? r : first;
}

int pa_conf_load(struct pa_conf *c, const char *main_path, const char *dropin_dir,
		 unsigned int flags)
{
	int r = main_path ? load_main(c, main_path, flags) : 0;
	int r2 = dropin_dir ? load_dropins(c, dropin_dir, flags) : 0;

	return r ? r : r2;
}

/* ---- the context ---- */

struct pa_conf *pa_conf_new(uid_t owner)
{
	struct pa_conf *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->owner = owner;
	c->root = json_object_new_object();
	if (!c->root) {
		free(c);
		return NULL;
	}
	return c;
}

void pa_conf_free(struct pa_conf *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nent; i++) {
		json_object_put(c->ent[i].obj);
		free(c->ent[i].key);
	}
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	json_object_put(c->root);
	msgs_free(&c->errors);
	msgs_free(&c->notes);
	free(c->ent);
	free(c->by_obj);
	free(c->files);
	free(c);
}

struct json_object *pa_conf_root(const struct pa_conf *c)
{
	return c->root;
}

const struct pa_conf_msgs *pa_conf_errors(const struct pa_conf *c)
{
	return &c->errors;
}

const struct pa_conf_msgs *pa_conf_notes(const struct pa_conf *c)
{
	return &c->notes;
}

int pa_conf_where(const struct pa_conf *c, const struct json_object *v, struct pa_conf_pos *pos,
		  char *path, size_t pathlen)
{
	uint32_t e = lookup(c, v);
	size_t len = 0;

	if (e == NONE)
		return -ENOENT;
	*pos = (struct pa_conf_pos){ c->files[c->ent[e].file], c->ent[e].line, c->ent[e].col };
	if (path && pathlen) {
		path[0] = '\0';
		entry_path(c, e, path, pathlen, &len);
	}
	return 0;
}

int pa_conf_error(struct pa_conf *c, const struct json_object *at, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = report(c, lookup(c, at), true, NULL, fmt, ap);
	va_end(ap);
	return r;
}

int pa_conf_error_key(struct pa_conf *c, const struct json_object *obj, const char *key,
		      const char *fmt, ...)
{
	struct json_object *child = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	if (json_object_is_type(obj, json_type_object) &&
	    json_object_object_get_ex(obj, key, &child) && child)
		r = report(c, lookup(c, child), true, NULL, fmt, ap);
	else
		r = report(c, lookup(c, obj), true, key, fmt, ap);
	va_end(ap);
	return r;
}

/* ---- typed getters ---- */

/* 1 and *v: the value a getter reads; 0 when absent. */
static int member(struct json_object *obj, const char *key, struct json_object **v)
{
	*v = NULL;
	if (!key)
		*v = obj;
	else if (json_object_is_type(obj, json_type_object))
		json_object_object_get_ex(obj, key, v);
	return *v != NULL;
}

static const char *type_name(const struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a number with a fraction or exponent";
	case json_type_int:
		return "a whole number";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	default:
		return "null";
	}
}

int pa_conf_int(struct pa_conf *c, struct json_object *obj, const char *key, int64_t min,
		int64_t max, int64_t *out)
{
	struct json_object *v;
	char range[96];
	int64_t x;

	if (!member(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_int))
		return pa_conf_error(c, v, "must be a whole number, not %s", type_name(v));
	if (max == INT64_MAX)
		snprintf(range, sizeof(range), "at least %" PRId64, min);
	else if (min == INT64_MIN)
		snprintf(range, sizeof(range), "at most %" PRId64, max);
	else
		snprintf(range, sizeof(range), "between %" PRId64 " and %" PRId64, min, max);
	x = json_object_get_int64(v);
	if (x == INT64_MAX && json_object_get_uint64(v) > INT64_MAX) /* json-c clamps */
		return pa_conf_error(c, v, "must be %s (got %" PRIu64 ")", range,
				     json_object_get_uint64(v));
	if (x < min || x > max)
		return pa_conf_error(c, v, "must be %s (got %" PRId64 ")", range, x);
	*out = x;
	return 1;
}

int pa_conf_bool(struct pa_conf *c, struct json_object *obj, const char *key, bool *out)
{
	struct json_object *v;
	const char *s;

	if (!member(obj, key, &v))
		return 0;
	if (json_object_is_type(v, json_type_boolean)) {
		*out = json_object_get_boolean(v);
		return 1;
	}
	s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
	if (!strcmp(s, "true") || !strcmp(s, "false"))
		return pa_conf_error(c, v, "must be true or false, without quotes");
	return pa_conf_error(c, v, "must be true or false, not %s", type_name(v));
}

int pa_conf_string(struct pa_conf *c, struct json_object *obj, const char *key, const char **out)
{
	struct json_object *v;

	if (!member(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return pa_conf_error(c, v, "must be a string, not %s", type_name(v));
	if (!json_object_get_string_len(v))
		return pa_conf_error(c, v, "must not be empty");
	*out = json_object_get_string(v);
	return 1;
}

int pa_conf_object(struct pa_conf *c, struct json_object *obj, const char *key,
		   struct json_object **out)
{
	struct json_object *v;

	if (!member(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return pa_conf_error(c, v, "must be an object ({ ... }), not %s", type_name(v));
	*out = v;
	return 1;
}

int pa_conf_array(struct pa_conf *c, struct json_object *obj, const char *key,
		  struct json_object **out)
{
	struct json_object *v;

	if (!member(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return pa_conf_error(c, v, "must be an array ([ ... ]), not %s", type_name(v));
	*out = v;
	return 1;
}

/* ---- sizes and durations ---- */

struct unit {
	const char *name;
	uint64_t mult;
};

static const struct unit size_units[] = {
	{ "", 1 },
	{ "B", 1 },
	{ "k", 1ull << 10 },
	{ "K", 1ull << 10 },
	{ "KiB", 1ull << 10 },
	{ "M", 1ull << 20 },
	{ "MiB", 1ull << 20 },
	{ "G", 1ull << 30 },
	{ "GiB", 1ull << 30 },
	{ "T", 1ull << 40 },
	{ "TiB", 1ull << 40 },
	{ NULL, 0 },
};
static const struct unit size_shown[] = {
	{ "TiB", 1ull << 40 }, { "GiB", 1ull << 30 }, { "MiB", 1ull << 20 },
	{ "KiB", 1ull << 10 }, { "B", 1 },	      { NULL, 0 },
};
static const struct unit duration_units[] = {
	{ "", 1 }, { "s", 1 }, { "m", 60 }, { "h", 3600 }, { "d", 86400 }, { NULL, 0 },
};
static const struct unit duration_shown[] = {
	{ "d", 86400 }, { "h", 3600 }, { "m", 60 }, { "s", 1 }, { NULL, 0 },
};

/* Digits, optional spaces, one of units; whole numbers only. */
static int parse_units(const char *s, const struct unit *units, uint64_t *out)
{
	const char *p = s, *u;
	bool big = false;
	uint64_t v = 0;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++)
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v))
			big = true;
	for (u = p; *u == ' '; u++)
		;
	if (u != p && !*u)
		return -EINVAL; /* trailing spaces */
	for (size_t i = 0; units[i].name; i++)
		if (!strcmp(units[i].name, u))
			return big || __builtin_mul_overflow(v, units[i].mult, out) ? -ERANGE : 0;
	return -EINVAL;
}

int pa_parse_size(const char *s, uint64_t *out)
{
	return parse_units(s, size_units, out);
}

int pa_parse_duration(const char *s, uint64_t *out_s)
{
	return parse_units(s, duration_units, out_s);
}

/* v in the largest unit that divides it exactly: "2GiB", "90m", "0s". */
static const char *shown(char *buf, size_t n, uint64_t v, const struct unit *units)
{
	size_t i = 0;

	while (units[i + 1].name && (v % units[i].mult || v < units[i].mult))
		i++;
	snprintf(buf, n, "%" PRIu64 "%s", v / units[i].mult, units[i].name);
	return buf;
}

/* Range check with the message in units: "must be between 4KiB and 1GiB (got 2GiB)". */
static int in_range(struct pa_conf *c, struct json_object *v, uint64_t x, uint64_t min,
		    uint64_t max, const struct unit *units)
{
	char a[32], b[32], got[32];

	if (x >= min && x <= max)
		return 0;
	shown(got, sizeof(got), x, units);
	if (max == UINT64_MAX)
		return pa_conf_error(c, v, "must be at least %s (got %s)",
				     shown(a, sizeof(a), min, units), got);
	if (min == 0)
		return pa_conf_error(c, v, "must be at most %s (got %s)",
				     shown(b, sizeof(b), max, units), got);
	return pa_conf_error(c, v, "must be between %s and %s (got %s)",
			     shown(a, sizeof(a), min, units), shown(b, sizeof(b), max, units), got);
}

/* "500MB" -> "MiB": SI spellings are refused, with the binary one to write. */
static const char *si_hint(const char *s)
{
	static const char *const si[][2] = { { "kB", "KiB" }, { "KB", "KiB" }, { "MB", "MiB" },
					     { "GB", "GiB" }, { "TB", "TiB" } };

	s += strspn(s, "0123456789");
	s += strspn(s, " ");
	for (size_t i = 0; i < sizeof(si) / sizeof(si[0]); i++)
		if (!strcmp(s, si[i][0]))
			return si[i][1];
	return NULL;
}

/* A whole number (of the base unit) or a string with units; the kind names it in messages. */
static int unit_value(struct pa_conf *c, struct json_object *v, bool size, uint64_t *x)
{
	const char *what = size ? "a size" : "a duration";
	char q[160];
	const char *s, *hint;
	int r;

	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) < 0)
			return pa_conf_error(c, v, "must not be negative (got %" PRId64 ")",
					     json_object_get_int64(v));
		*x = json_object_get_uint64(v);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return pa_conf_error(c, v, "must be %s (%s, or a string such as %s), not %s", what,
				     size ? "a whole number of bytes" : "a whole number of seconds",
				     size ? "\"64MiB\"" : "\"90s\" or \"5m\"", type_name(v));
	s = json_object_get_string(v);
	r = size ? pa_parse_size(s, x) : pa_parse_duration(s, x);
	quoted(q, sizeof(q), s);
	if (r == -ERANGE)
		return pa_conf_error(c, v, "%s is too large", q);
	if (r && size && (hint = si_hint(s)))
		return pa_conf_error(c, v,
				     "%s is ambiguous: write %s (sizes count in powers of 1024)", q,
				     hint);
	if (r && size)
		return pa_conf_error(c, v,
				     "%s is not a size: write a whole number and a unit: B, k or "
				     "KiB, M or MiB, G or GiB, T or TiB (powers of 1024)",
				     q);
	if (r)
		return pa_conf_error(c, v, "%s is not a duration: write a whole number and a unit: "
					   "s, m, h or d (a bare number is seconds)", q);
	return 0;
}

int pa_conf_size(struct pa_conf *c, struct json_object *obj, const char *key, uint64_t min,
		 uint64_t max, uint64_t *out)
{
	struct json_object *v;
	uint64_t x;
	int r;

	if (!member(obj, key, &v))
		return 0;
	if ((r = unit_value(c, v, true, &x)) || (r = in_range(c, v, x, min, max, size_shown)))
		return r;
	*out = x;
	return 1;
}

int pa_conf_duration(struct pa_conf *c, struct json_object *obj, const char *key, uint64_t min_s,
		     uint64_t max_s, uint64_t *out_s)
{
	struct json_object *v;
	uint64_t x;
	int r;

	if (!member(obj, key, &v))
		return 0;
	if ((r = unit_value(c, v, false, &x)) ||
	    (r = in_range(c, v, x, min_s, max_s, duration_shown)))
		return r;
	*out_s = x;
	return 1;
}

/* ---- unknown keys ---- */

/* Optimal string alignment distance: edits, a swap of neighbours counting one. */
static unsigned int edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b);
	unsigned char d[EDIT_MAX + 1][EDIT_MAX + 1];

	if (n > EDIT_MAX || m > EDIT_MAX)
		return UINT_MAX;
	for (size_t i = 0; i <= n; i++)
		d[i][0] = (unsigned char)i;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (unsigned char)j;
	for (size_t i = 1; i <= n; i++)
		for (size_t j = 1; j <= m; j++) {
			unsigned int v = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);

			if (d[i - 1][j] + 1u < v)
				v = d[i - 1][j] + 1u;
			if (d[i][j - 1] + 1u < v)
				v = d[i][j - 1] + 1u;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1u < v)
				v = d[i - 2][j - 2] + 1u;
			d[i][j] = (unsigned char)v;
		}
	return d[n][m];
}

/* The known key a typo most likely meant: at most 2 edits, and few for its length. */
static const char *closest(const char *key, const char *const *known)
{
	unsigned int best_d = UINT_MAX;
	const char *best = NULL;

	for (size_t i = 0; known[i]; i++) {
		unsigned int d = edit_distance(key, known[i]);

		if (d < best_d)
			best_d = d, best = known[i];
	}
	return best && best_d <= 2 && 3 * best_d <= strlen(best) ? best : NULL;
}

__attribute__((format(printf, 3, 4))) static int err_at_value(struct pa_conf *c,
							      struct json_object *v,
							      const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = report(c, lookup(c, v), false, NULL, fmt, ap);
	va_end(ap);
	return r;
}

/* Positioned at the key, with the object's path in the message, not before it. */
static int unknown_key(struct pa_conf *c, struct json_object *obj, const char *key,
		       struct json_object *val, const char *const *known)
{
	char path[512] = "", name[160], hint[160] = "";
	const char *best = closest(key, known);
	uint32_t e = lookup(c, obj);
	size_t len = 0;

	if (e != NONE)
		entry_path(c, e, path, sizeof(path), &len);
	if (best)
		snprintf(hint, sizeof(hint), " (did you mean \"%s\"?)", best);
	return err_at_value(c, val, "unknown key %s %s%s%s", quoted(name, sizeof(name), key),
			    *path ? "in " : "at the top level", path, hint);
}

static bool known_key(const char *key, const char *const *known)
{
	for (size_t i = 0; known[i]; i++)
		if (!strcmp(key, known[i]))
			return true;
	return false;
}

int pa_conf_check_keys(struct pa_conf *c, struct json_object *obj, const char *const *known)
{
	int r = 0;

	if (!obj)
		return 0;
	if (!json_object_is_type(obj, json_type_object))
		return pa_conf_error(c, obj, "must be an object ({ ... }), not %s", type_name(obj));
	json_object_object_foreach(obj, key, val)
	{
		if (!known_key(key, known))
			r = unknown_key(c, obj, key, val, known);
	}
	return r;
}
