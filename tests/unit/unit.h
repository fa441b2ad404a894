/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Shared by the unit tests: cmocka in the order it needs, a strict JSON
 * check through json-c, and golden files.
 *
 * Golden files live in tests/unit/golden/. A test compares its exact output
 * with one; PA_UPDATE_GOLDEN=1 rewrites the file from the current output
 * instead (then read the diff before committing it).
 */
#ifndef PHIAUDIT_TESTS_UNIT_H
#define PHIAUDIT_TESTS_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * RFC 3629 UTF-8, checked by decoding code points (independent of
 * pathenc's table): no overlongs, no surrogates, nothing above U+10FFFF.
 * json-c's own check lets surrogates through.
 */
static inline int unit_valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned int c = s[i], cp, need;

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0)
			need = 1, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0)
			need = 2, cp = c & 0x0f;
		else if ((c & 0xf8) == 0xf0)
			need = 3, cp = c & 0x07;
		else
			return 0;
		if (i + need >= n) /* sequence runs past the end */
			return 0;
		for (unsigned int k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

/*
 * Parse exactly one JSON value from the n bytes at s with json-c's strict
 * tokenizer (strict, UTF-8 validated); fail the test on any error, on a
 * raw control byte, on invalid UTF-8 or on trailing bytes other than one
 * final newline. The caller owns the result (json_object_put).
 */
static inline struct json_object *unit_json_parse(const char *s, size_t n)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t used;

	if (n > 0 && s[n - 1] == '\n')
		n--; /* one record per line */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20) {
			print_error("raw control byte 0x%02x at %zu in: %.*s\n", s[i], i, (int)n, s);
			fail();
		}
	assert_true(unit_valid_utf8((const unsigned char *)s, n));
	assert_non_null(tok);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, s, (int)n);
	jerr = json_tokener_get_error(tok);
	used = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr != json_tokener_success || !obj) {
		print_error("json-c: %s in: %.*s\n", json_tokener_error_desc(jerr), (int)n, s);
		fail();
	}
	assert_int_equal(used, n);
	return obj;
}

/* The member at a dotted path ("actor.process.name"), which must exist. */
static inline struct json_object *unit_json_get(struct json_object *root, const char *dotted)
{
	char path[256], *save = NULL;
	struct json_object *cur = root;

	snprintf(path, sizeof(path), "%s", dotted);
	for (char *k = strtok_r(path, ".", &save); k; k = strtok_r(NULL, ".", &save)) {
		if (!json_object_object_get_ex(cur, k, &cur)) {
			print_error("JSON has no member '%s' (in %s)\n", k, dotted);
			fail();
		}
	}
	return cur;
}

static inline int unit_json_has(struct json_object *root, const char *dotted)
{
	char path[256], *save = NULL;
	struct json_object *cur = root;

	snprintf(path, sizeof(path), "%s", dotted);
	for (char *k = strtok_r(path, ".", &save); k; k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(cur, k, &cur))
			return 0;
	return 1;
}

static inline const char *unit_json_str(struct json_object *root, const char *dotted)
{
	struct json_object *o = unit_json_get(root, dotted);

	assert_true(json_object_is_type(o, json_type_string));
	return json_object_get_string(o);
}

static inline int64_t unit_json_int(struct json_object *root, const char *dotted)
{
	struct json_object *o = unit_json_get(root, dotted);

	assert_true(json_object_is_type(o, json_type_int));
	return json_object_get_int64(o);
}

static inline bool unit_json_bool(struct json_object *root, const char *dotted)
{
	struct json_object *o = unit_json_get(root, dotted);

	assert_true(json_object_is_type(o, json_type_boolean));
	return json_object_get_boolean(o);
}

/* Read a whole file; NULL if it does not exist. Caller frees. */
static inline char *unit_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);

		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * Compare len bytes of output with tests/unit/golden/<name>, or rewrite
 * the golden file when PA_UPDATE_GOLDEN=1.
 */
static inline void unit_golden(const char *name, const char *out, size_t len)
{
	char path[1024];
	const char *update = getenv("PA_UPDATE_GOLDEN");
	char *want;
	size_t want_len = 0;

	snprintf(path, sizeof(path), "%s/tests/unit/golden/%s", PA_SOURCE_DIR, name);
	if (update && !strcmp(update, "1")) {
		FILE *f = fopen(path, "wb");

		assert_non_null(f);
		assert_int_equal(fwrite(out, 1, len, f), len);
		assert_int_equal(fclose(f), 0);
		return;
	}
	want = unit_read_file(path, &want_len);
	if (!want) {
		print_error("missing golden file %s (PA_UPDATE_GOLDEN=1 creates it)\n", path);
		fail();
	}
	if (want_len != len || memcmp(want, out, len) != 0) {
		print_error("output differs from %s\n--- expected\n%s--- actual\n%.*s\n", path,
			    want, (int)len, out);
		free(want);
		fail();
	}
	free(want);
}

#endif
