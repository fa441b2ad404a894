// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * conffile: JSON with comments, every error as "file:line:col: key.path:
 * message", duplicates and json-c's leniencies refused, drop-ins merged in
 * strcmp order (objects key by key, the rest whole), files refused unless
 * owned by the expected owner and not writable by group or others, typed
 * getters for the option code, and no crash on any truncation.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conffile.h"

/* ---- helpers ---- */

struct fx {
	char dir[64];
	struct pa_conf *c;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/pa-conf-XXXXXX");
	if (!mkdtemp(f->dir) || chmod(f->dir, 0755))
		return -1;
	f->c = pa_conf_new(geteuid());
	*state = f;
	return f->c ? 0 : -1;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pa_conf_free(f->c);
	nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* dir/name as a static buffer (one at a time per slot). */
static const char *at(const struct fx *f, const char *name)
{
	static char slots[4][512];
	static int next;
	char *p = slots[next++ % 4];

	snprintf(p, 512, "%s/%s", f->dir, name);
	return p;
}

static void put_len(const char *path, const char *text, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static void put(const char *path, const char *text)
{
	put_len(path, text, strlen(text), 0644);
}

static void mkdir_ok(const char *path)
{
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(chmod(path, 0755), 0); /* whatever the umask */
}

/* A fresh context with text parsed as "t.conf". */
static struct pa_conf *parse_len(const char *text, size_t len, int *rc)
{
	struct pa_conf *c = pa_conf_new(geteuid());

	assert_non_null(c);
	*rc = pa_conf_load_buffer(c, "t.conf", text, len);
	return c;
}

static struct pa_conf *parse_ok(const char *text)
{
	int rc;
	struct pa_conf *c = parse_len(text, strlen(text), &rc);

	if (rc) {
		print_error("%s\n", pa_conf_errors(c)->n ? pa_conf_errors(c)->v[0] : "?");
		fail();
	}
	return c;
}

static void print_msgs(const struct pa_conf_msgs *m)
{
	for (size_t i = 0; i < m->n; i++)
		print_error("  [%zu] %s\n", i, m->v[i]);
}

/* Exactly one error, this one. */
static void assert_error(const struct pa_conf *c, const char *want)
{
	const struct pa_conf_msgs *m = pa_conf_errors(c);

	if (m->n != 1 || strcmp(m->v[0], want)) {
		print_error("want one error: %s\ngot %zu:\n", want, m->n);
		print_msgs(m);
		fail();
	}
}

static void assert_note(const struct pa_conf *c, size_t i, const char *want)
{
	const struct pa_conf_msgs *m = pa_conf_notes(c);

	if (i >= m->n || strcmp(m->v[i], want)) {
		print_error("want note %zu: %s\ngot:\n", i, want);
		print_msgs(m);
		fail();
	}
}

/* Parsing text fails with exactly the error want. */
static void assert_parse_error(const char *text, size_t len, const char *want)
{
	int rc;
	struct pa_conf *c = parse_len(text, len, &rc);

	assert_int_equal(rc, -EINVAL);
	assert_error(c, want);
	pa_conf_free(c);
}

#define PARSE_ERROR(text, want) assert_parse_error(text, strlen(text), want)

static struct json_object *get(struct pa_conf *c, const char *dotted)
{
	return unit_json_get(pa_conf_root(c), dotted);
}

/* ---- comments ---- */

static void test_line_comments_are_ignored(void **state)
{
	struct pa_conf *c = parse_ok("// leading\n"
				     "{\n"
				     "  \"a\": 1, // trailing\n"
				     "  \"b\": \"x\" // another\n"
				     "}\n"
				     "// last, without a newline");

	assert_int_equal(unit_json_int(pa_conf_root(c), "a"), 1);
	assert_string_equal(unit_json_str(pa_conf_root(c), "b"), "x");
	assert_int_equal(json_object_object_length(pa_conf_root(c)), 2);
	pa_conf_free(c);
}

static void test_block_comments_are_ignored(void **state)
{
	struct pa_conf *c = parse_ok("/* head\n"
				     "   two lines */ {\n"
				     "  \"a\": /* inline */ 2,\n"
				     "  /* \"b\": 3, */\n"
				     "  \"c\": [1, /* mid */ 2]/**/\n"
				     "}/* tail */");

	assert_int_equal(unit_json_int(pa_conf_root(c), "a"), 2);
	assert_false(unit_json_has(pa_conf_root(c), "b"));
	assert_int_equal(json_object_array_length(get(c, "c")), 2);
	pa_conf_free(c);
}

static void test_comment_markers_inside_strings_are_kept(void **state)
{
	struct pa_conf *c = parse_ok("{\"url\": \"http://example.com/a//b\", "
				     "\"glob\": \"/srv/*/x/* y */\", \"q\": \"a\\\"//b\"}");

	assert_string_equal(unit_json_str(pa_conf_root(c), "url"), "http://example.com/a//b");
	assert_string_equal(unit_json_str(pa_conf_root(c), "glob"), "/srv/*/x/* y */");
	assert_string_equal(unit_json_str(pa_conf_root(c), "q"), "a\"//b");
	pa_conf_free(c);
}

static void test_positions_after_comments_are_exact(void **state)
{
	struct pa_conf *c = parse_ok("{\n"
				     "  /* a comment\n"
				     "     on two lines */ \"x\": 1,\n"
				     "  // é ü, not counted\n"
				     "  \"y\": true\n"
				     "}\n");
	struct pa_conf_pos pos;
	char path[64];

	assert_int_equal(pa_conf_where(c, get(c, "x"), &pos, path, sizeof(path)), 0);
	assert_string_equal(pos.file, "t.conf");
	assert_int_equal(pos.line, 3);
	assert_int_equal(pos.col, 22);
	assert_string_equal(path, "x");
	assert_int_equal(pa_conf_where(c, get(c, "y"), &pos, NULL, 0), 0);
	assert_int_equal(pos.line, 5);
	assert_int_equal(pos.col, 3);
	pa_conf_free(c);
}

static void test_columns_count_characters_not_bytes(void **state)
{
	struct pa_conf *c = parse_ok("{\"naïve\": \"ü\", \"k\": 1}");
	struct pa_conf_pos pos;

	assert_int_equal(pa_conf_where(c, get(c, "k"), &pos, NULL, 0), 0);
	assert_int_equal(pos.line, 1);
	assert_int_equal(pos.col, 16);
	pa_conf_free(c);
}

static void test_unterminated_block_comment_is_an_error(void **state)
{
	PARSE_ERROR("{\"a\": 1}\n/* never closed\n", "t.conf:2:1: unterminated /* comment");
}

/* ---- syntax and what json-c lets through ---- */

static void test_syntax_error_names_line_column_and_json_c_message(void **state)
{
	PARSE_ERROR("{\n  \"a\": 1\n  \"b\": 2\n}\n",
		    "t.conf:3:3: invalid JSON: object value separator ',' expected");
}

static void test_unexpected_end_of_file_is_an_error(void **state)
{
	PARSE_ERROR("{\"a\": [1, 2", "t.conf:1:12: invalid JSON: unexpected end of file");
}

static void test_text_after_the_object_is_an_error(void **state)
{
	PARSE_ERROR("{\"a\": 1} x", "t.conf:1:10: invalid JSON: unexpected character");
	PARSE_ERROR("{}\n{}", "t.conf:2:1: invalid JSON: unexpected character");
}

static void test_trailing_comma_is_an_error(void **state)
{
	PARSE_ERROR("{\"a\": [1, 2,]}", "t.conf:1:13: invalid JSON: unexpected character");
}

static void test_top_level_must_be_an_object(void **state)
{
	PARSE_ERROR("[1]", "t.conf:1:1: the top level must be an object ({ ... })");
	PARSE_ERROR("// c\n  \"x\"\n", "t.conf:2:3: the top level must be an object ({ ... })");
	PARSE_ERROR("5\n", "t.conf:1:1: the top level must be an object ({ ... })");
}

static void test_empty_or_comment_only_file_is_an_error(void **state)
{
	PARSE_ERROR("", "t.conf: no settings (a config with none is written {})");
	PARSE_ERROR(" \n// nothing\n/* here */\n",
		    "t.conf: no settings (a config with none is written {})");
}

static void test_duplicate_key_names_both_lines(void **state)
{
	PARSE_ERROR("{\n"
		    "  \"a\": 1,\n"
		    "  \"b\": 2,\n"
		    "  \"a\": {\"x\": 1}\n"
		    "}\n",
		    "t.conf:4:3: a: duplicate key (first defined at line 2)");
}

static void test_duplicate_key_in_nested_object_names_its_path(void **state)
{
	PARSE_ERROR("{\n"
		    "  \"b\": [{\n"
		    "    \"c\": {\"d\": true},\n"
		    "    \"c\": false\n"
		    "  }]\n"
		    "}\n",
		    "t.conf:4:5: b[0].c: duplicate key (first defined at line 3)");
}

static void test_duplicate_key_spelled_with_an_escape_is_a_duplicate(void **state)
{
	PARSE_ERROR("{\"ab\": 1, \"a\\u0062\": 2}",
		    "t.conf:1:11: ab: duplicate key (first defined at line 1)");
}

static void test_same_key_in_different_objects_is_not_a_duplicate(void **state)
{
	struct pa_conf *c = parse_ok("{\"a\": {\"x\": 1}, \"b\": {\"x\": 2}, \"l\": [{\"x\": 3}, "
				     "{\"x\": 4}]}");

	assert_int_equal(unit_json_int(pa_conf_root(c), "b.x"), 2);
	pa_conf_free(c);
}

static void test_invalid_utf8_is_an_error(void **state)
{
	PARSE_ERROR("{\"a\": \"\xff\"}", "t.conf:1:8: invalid UTF-8 (byte 0xff)");
	/* overlong */
	PARSE_ERROR("{\"a\": \"\xc0\xaf\"}", "t.conf:1:8: invalid UTF-8 (byte 0xc0)");
	/* Latin-1, in a comment */
	PARSE_ERROR("// \xe9t\xe9\n{}", "t.conf:1:4: invalid UTF-8 (byte 0xe9)");
	/* cut short */
	PARSE_ERROR("{\"a\": \"\xc3", "t.conf:1:8: invalid UTF-8 (byte 0xc3)");
}

static void test_utf8_encoded_surrogate_is_an_error(void **state)
{
	/* json-c's own UTF-8 check lets CESU-8 surrogates through */
	PARSE_ERROR("{\"a\": \"\xed\xa0\x80\"}", "t.conf:1:8: invalid UTF-8 (byte 0xed)");
}

static void test_unpaired_surrogate_escape_is_an_error(void **state)
{
	struct pa_conf *c;

	/* json-c silently turns these into U+FFFD */
	PARSE_ERROR("{\"a\": \"\\ud800x\"}",
		    "t.conf:1:8: unpaired surrogate \"\\ud800\" in a string");
	PARSE_ERROR("{\"a\": \"\\uDC00\"}",
		    "t.conf:1:8: unpaired surrogate \"\\udc00\" in a string");
	c = parse_ok("{\"a\": \"\\ud83d\\ude00\"}");
	assert_string_equal(unit_json_str(pa_conf_root(c), "a"), "\xf0\x9f\x98\x80");
	pa_conf_free(c);
}

static void test_escaped_nul_is_an_error(void **state)
{
	/* json-c would make the key "a" */
	PARSE_ERROR("{\"a\\u0000b\": 1}", "t.conf:1:4: \"\\u0000\" is not allowed in a string");
}

static void test_nul_byte_is_an_error(void **state)
{
	/* json-c stops at a NUL as if the file ended there */
	assert_parse_error("{\"a\": 1}\0{\"b\"", 14, "t.conf:1:9: NUL byte");
}

static void test_raw_control_character_in_a_string_is_an_error(void **state)
{
	PARSE_ERROR("{\"a\": \"x\ty\"}", "t.conf:1:9: control character 0x09 in a string (write "
					 "it as an escape, such as \\n or \\t)");
}

static void test_single_quotes_are_an_error(void **state)
{
	struct pa_conf *c;

	PARSE_ERROR("{'a': 1}", "t.conf:1:2: strings take double quotes, not single");
	c = parse_ok("{\"it's\": \"fine\"}");
	pa_conf_free(c);
}

static void test_null_is_an_error(void **state)
{
	PARSE_ERROR("{\"a\": {\"b\": null}}",
		    "t.conf:1:8: a.b: null is not allowed (leave the key out to use the default)");
	PARSE_ERROR(
		"{\"a\": [1, null]}",
		"t.conf:1:11: a[1]: null is not allowed (leave the key out to use the default)");
}

static void test_numbers_json_does_not_allow_are_errors(void **state)
{
	static const char *const bad[] = { "NaN", "Infinity", "-Infinity", "1.", "-01" };

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		char text[64], want[128];

		snprintf(text, sizeof(text), "{\"n\": %s}", bad[i]);
		snprintf(want, sizeof(want), "t.conf:1:2: n: not a JSON value: %s", bad[i]);
		PARSE_ERROR(text, want);
	}
	PARSE_ERROR("{\"n\": 01}", "t.conf:1:9: invalid JSON: number expected"); /* json-c's */
}

static void test_integer_beyond_64_bits_is_an_error(void **state)
{
	struct pa_conf *c;

	PARSE_ERROR("{\"n\": 18446744073709551616}",
		    "t.conf:1:2: n: integer out of range: 18446744073709551616");
	PARSE_ERROR("{\"n\": -9223372036854775809}",
		    "t.conf:1:2: n: integer out of range: -9223372036854775809");
	c = parse_ok("{\"a\": 18446744073709551615, \"b\": -9223372036854775808, \"c\": 1e400}");
	pa_conf_free(c);
}

static void test_nesting_deeper_than_the_limit_is_an_error(void **state)
{
	char text[256];
	size_t n = 0;

	text[n++] = '{';
	text[n++] = '"', text[n++] = 'a', text[n++] = '"', text[n++] = ':';
	for (int i = 0; i < PA_CONF_MAX_DEPTH; i++)
		text[n++] = '[';
	for (int i = 0; i < PA_CONF_MAX_DEPTH; i++)
		text[n++] = ']';
	text[n++] = '}';
	assert_parse_error(text, n, "t.conf:1:37: invalid JSON: nesting too deep");
}

static void test_buffer_over_1MiB_is_an_error(void **state)
{
	size_t len = PA_CONF_MAX_SIZE + 1;
	char *text = malloc(len);
	struct pa_conf *c;
	int rc;

	assert_non_null(text);
	memset(text, ' ', len);
	text[0] = '{', text[len - 1] = '}';
	c = parse_len(text, len, &rc);
	assert_int_equal(rc, -EFBIG);
	assert_error(c, "t.conf: larger than 1048576 bytes");
	pa_conf_free(c);
	pa_conf_free(parse_len(text + 1, len - 1, &rc)); /* exactly 1 MiB: fine */
	assert_int_equal(rc, -EINVAL);			 /* (no opening brace) */
	text[1] = '{';
	pa_conf_free(parse_len(text + 1, len - 1, &rc));
	assert_int_equal(rc, 0);
	free(text);
}

/* ---- positions and key paths ---- */

static const char allow_conf[] = "{\n"
				 "  \"detection\": {\n"
				 "    \"allow\": [\n"
				 "      { \"exe\": \"/usr/bin/a\" },\n"
				 "      { \"exe\": \"/usr/bin/b\" },\n"
				 "      { \"exe\": 5 }\n"
				 "    ]\n"
				 "  }\n"
				 "}\n";

static void test_error_names_nested_key_path_with_array_index(void **state)
{
	struct pa_conf *c = parse_ok(allow_conf);
	struct json_object *allow = get(c, "detection.allow"), *third;
	const char *exe = NULL;

	third = json_object_array_get_idx(allow, 2);
	assert_int_equal(pa_conf_string(c, json_object_array_get_idx(allow, 1), "exe", &exe), 1);
	assert_string_equal(exe, "/usr/bin/b");
	assert_int_equal(pa_conf_string(c, third, "exe", &exe), -EINVAL);
	assert_error(c, "t.conf:6:9: detection.allow[2].exe: must be a string, not a whole number");
	pa_conf_free(c);
}

static void test_where_gives_element_position_and_path(void **state)
{
	struct pa_conf *c = parse_ok(allow_conf);
	struct json_object *allow = get(c, "detection.allow");
	struct pa_conf_pos pos;
	char path[64];

	assert_int_equal(
		pa_conf_where(c, json_object_array_get_idx(allow, 2), &pos, path, sizeof(path)), 0);
	assert_int_equal(pos.line, 6);
	assert_int_equal(pos.col, 7);
	assert_string_equal(path, "detection.allow[2]");
	assert_int_equal(pa_conf_where(c, pa_conf_root(c), &pos, path, sizeof(path)), 0);
	assert_string_equal(path, "");
	assert_int_equal(pos.line, 1);
	pa_conf_free(c);
}

static void test_error_formats_caller_message(void **state)
{
	struct pa_conf *c = parse_ok(allow_conf);

	assert_int_equal(
		pa_conf_error(c, get(c, "detection"), "must list %d things (got %d)", 4, 3),
		-EINVAL);
	assert_error(c, "t.conf:2:3: detection: must list 4 things (got 3)");
	pa_conf_free(c);
}

static void test_error_on_the_top_level_has_no_key_path(void **state)
{
	struct pa_conf *c = parse_ok("\n  {}");

	assert_int_equal(pa_conf_error(c, pa_conf_root(c), "needs a watch"), -EINVAL);
	assert_error(c, "t.conf:2:3: needs a watch");
	pa_conf_free(c);
}

static void test_error_key_on_missing_key_points_at_its_object(void **state)
{
	struct pa_conf *c = parse_ok("{\n  \"detection\": {\"x\": 1}\n}");

	assert_int_equal(pa_conf_error_key(c, get(c, "detection"), "window_s", "missing"), -EINVAL);
	assert_int_equal(pa_conf_error_key(c, get(c, "detection"), "x", "wrong"), -EINVAL);
	assert_int_equal(pa_conf_errors(c)->n, 2);
	assert_string_equal(pa_conf_errors(c)->v[0], "t.conf:2:3: detection.window_s: missing");
	assert_string_equal(pa_conf_errors(c)->v[1], "t.conf:2:17: detection.x: wrong");
	pa_conf_free(c);
}

static void test_odd_keys_are_quoted_in_paths(void **state)
{
	struct pa_conf *c =
		parse_ok("{\"a.b\": {\"\": {\"x y\": {\"t\\u00e9\": {\"n\\nl\": 1}}}}}");
	struct json_object *v;

	/* unit_json_get splits at dots: walk by hand */
	json_object_object_get_ex(pa_conf_root(c), "a.b", &v);
	json_object_object_get_ex(v, "", &v);
	json_object_object_get_ex(v, "x y", &v);
	json_object_object_get_ex(v, "t\xc3\xa9", &v);
	json_object_object_get_ex(v, "n\nl", &v);
	assert_int_equal(pa_conf_error(c, v, "m"), -EINVAL);
	assert_error(c, "t.conf:1:35: [\"a.b\"][\"\"][\"x y\"][\"t\xc3\xa9\"][\"n\\u000al\"]: m");
	pa_conf_free(c);
}

static void test_error_on_a_value_not_from_a_file_has_no_position(void **state)
{
	struct pa_conf *c = parse_ok("{}");
	struct json_object *mine = json_object_new_int(1);

	pa_conf_error(c, mine, "first");
	pa_conf_error(c, NULL, "second");
	pa_conf_error_key(c, NULL, "k", "third");
	assert_int_equal(pa_conf_errors(c)->n, 3);
	assert_string_equal(pa_conf_errors(c)->v[0], "first");
	assert_string_equal(pa_conf_errors(c)->v[1], "second");
	assert_string_equal(pa_conf_errors(c)->v[2], "k: third");
	json_object_put(mine);
	pa_conf_free(c);
}

static void test_errors_beyond_the_cap_are_counted(void **state)
{
	struct pa_conf *c = parse_ok("{}");

	for (int i = 0; i < 100; i++)
		pa_conf_error(c, NULL, "e%d", i);
	assert_int_equal(pa_conf_errors(c)->n, PA_CONF_MAX_MSGS);
	assert_int_equal(pa_conf_errors(c)->total, 100);
	assert_string_equal(pa_conf_errors(c)->v[PA_CONF_MAX_MSGS - 1], "e63");
	pa_conf_free(c);
}

static void test_context_without_files_has_an_empty_root(void **state)
{
	struct pa_conf *c = pa_conf_new(0);

	assert_true(json_object_is_type(pa_conf_root(c), json_type_object));
	assert_int_equal(json_object_object_length(pa_conf_root(c)), 0);
	assert_int_equal(pa_conf_errors(c)->n, 0);
	pa_conf_free(c);
}

/* ---- loading: drop-ins, merging ---- */

static void test_dropins_are_merged_in_strcmp_order(void **state)
{
	struct fx *f = *state;

	put(at(f, "main.conf"), "{\"a\": \"main\", \"b\": \"main\", \"c\": \"main\"}");
	mkdir_ok(at(f, "conf.d"));
	put(at(f, "conf.d/9-y.conf"), "{\"c\": \"9\"}");
	put(at(f, "conf.d/10-x.conf"), "{\"b\": \"10\", \"c\": \"10\"}");
	assert_int_equal(pa_conf_load(f->c, at(f, "main.conf"), at(f, "conf.d"), 0), 0);
	assert_string_equal(unit_json_str(pa_conf_root(f->c), "a"), "main");
	assert_string_equal(unit_json_str(pa_conf_root(f->c), "b"), "10");
	assert_string_equal(unit_json_str(pa_conf_root(f->c), "c"), "9"); /* "10-" < "9-" */
}

static void test_objects_merge_key_by_key(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	put(at(f, "main.conf"), "{\"d\": {\"x\": 1, \"y\": {\"p\": 1, \"q\": 2}}}");
	mkdir_ok(at(f, "conf.d"));
	put(at(f, "conf.d/50.conf"), "{\"d\": {\"y\": {\"q\": 3}, \"z\": 4}}");
	assert_int_equal(pa_conf_load(f->c, at(f, "main.conf"), at(f, "conf.d"), 0), 0);
	r = pa_conf_root(f->c);
	assert_int_equal(unit_json_int(r, "d.x"), 1);
	assert_int_equal(unit_json_int(r, "d.y.p"), 1);
	assert_int_equal(unit_json_int(r, "d.y.q"), 3);
	assert_int_equal(unit_json_int(r, "d.z"), 4);
}

static void test_scalars_and_arrays_are_replaced_whole(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	put(at(f, "main.conf"), "{\"list\": [1, 2, 3], \"o\": {\"k\": 1}, \"s\": \"x\"}");
	mkdir_ok(at(f, "conf.d"));
	put(at(f, "conf.d/50.conf"), "{\"list\": [9], \"o\": 5, \"s\": {\"now\": \"object\"}}");
	assert_int_equal(pa_conf_load(f->c, at(f, "main.conf"), at(f, "conf.d"), 0), 0);
	r = pa_conf_root(f->c);
	assert_int_equal(json_object_array_length(unit_json_get(r, "list")), 1);
	assert_int_equal(
		json_object_get_int(json_object_array_get_idx(unit_json_get(r, "list"), 0)), 9);
	assert_int_equal(unit_json_int(r, "o"), 5);
	assert_string_equal(unit_json_str(r, "s.now"), "object");
}

static void test_merged_values_point_at_the_file_that_set_them(void **state)
{
	struct fx *f = *state;
	struct pa_conf_pos pos;
	char want[512];

	put(at(f, "main.conf"), "{\n  \"d\": {\"p\": 1, \"q\": 2}\n}\n");
	mkdir_ok(at(f, "conf.d"));
	put(at(f, "conf.d/50.conf"), "{\"d\":\n {\"q\": 3}}");
	assert_int_equal(pa_conf_load(f->c, at(f, "main.conf"), at(f, "conf.d"), 0), 0);
	assert_int_equal(pa_conf_where(f->c, get(f->c, "d.p"), &pos, NULL, 0), 0);
	assert_string_equal(pos.file, at(f, "main.conf"));
	assert_int_equal(pa_conf_where(f->c, get(f->c, "d.q"), &pos, NULL, 0), 0);
	assert_string_equal(pos.file, at(f, "conf.d/50.conf"));
	pa_conf_error(f->c, get(f->c, "d.q"), "too many");
	snprintf(want, sizeof(want), "%s:2:3: d.q: too many", at(f, "conf.d/50.conf"));
	assert_error(f->c, want);
}

static void test_unwanted_names_in_conf_d_are_skipped_with_a_note(void **state)
{
	static const char *const skipped[][2] = {
		{ ".hidden.conf", "hidden file" },
		{ "README", "name does not end in .conf" },
		{ "a.conf~", "editor backup" },
		{ "b.conf.dpkg-old", "package manager leftover" },
		{ "c.conf.dpkg-dist", "package manager leftover" },
		{ "d.conf.rpmnew", "package manager leftover" },
		{ "e.conf.rpmsave", "package manager leftover" },
		{ "f.conf.swp", "name does not end in .conf" },
	};
	struct fx *f = *state;
	char name[128], want[512];

	mkdir_ok(at(f, "conf.d"));
	for (size_t i = 0; i < ARRAY_LEN(skipped); i++) {
		snprintf(name, sizeof(name), "conf.d/%s", skipped[i][0]);
		put(at(f, name), "not json at all");
	}
	put(at(f, "conf.d/z.conf"), "{\"z\": 1}");
	assert_int_equal(pa_conf_load(f->c, NULL, at(f, "conf.d"), 0), 0);
	assert_int_equal(unit_json_int(pa_conf_root(f->c), "z"), 1);
	assert_int_equal(pa_conf_notes(f->c)->n, ARRAY_LEN(skipped));
	for (size_t i = 0; i < ARRAY_LEN(skipped); i++) { /* in strcmp order */
		snprintf(want, sizeof(want), "%s/conf.d/%s: skipped (%s)", f->dir, skipped[i][0],
			 skipped[i][1]);
		assert_note(f->c, i, want);
	}
}

static void test_dropin_dir_with_trailing_slash_names_files_once(void **state)
{
	struct fx *f = *state;
	char dir[512], want[512];

	mkdir_ok(at(f, "conf.d"));
	put(at(f, "conf.d/1.conf"), "{\"a\": tru}");
	snprintf(dir, sizeof(dir), "%s/conf.d/", f->dir);
	assert_int_equal(pa_conf_load(f->c, NULL, dir, 0), -EINVAL);
	snprintf(want, sizeof(want), "%s/conf.d/1.conf:1:10: invalid JSON: boolean expected",
		 f->dir);
	assert_error(f->c, want);
}

static void test_missing_files_are_fine_when_optional(void **state)
{
	struct fx *f = *state;
	char want[512];

	assert_int_equal(pa_conf_load(f->c, at(f, "none.conf"), at(f, "none.d"), PA_CONF_OPTIONAL),
			 0);
	assert_int_equal(pa_conf_errors(f->c)->n, 0);
	snprintf(want, sizeof(want), "%s/none.conf: not found (optional)", f->dir);
	assert_note(f->c, 0, want);
	snprintf(want, sizeof(want), "%s/none.d: not found (optional)", f->dir);
	assert_note(f->c, 1, want);
	assert_int_equal(json_object_object_length(pa_conf_root(f->c)), 0);
}

static void test_missing_main_directory_is_fine_when_optional(void **state)
{
	struct fx *f = *state;
	char want[512];

	assert_int_equal(pa_conf_load(f->c, at(f, "absent/phiaudit.conf"), NULL, PA_CONF_OPTIONAL),
			 0);
	snprintf(want, sizeof(want), "%s/absent: not found (optional)", f->dir);
	assert_note(f->c, 0, want);
}

static void test_missing_main_file_is_an_error_when_required(void **state)
{
	struct fx *f = *state;
	char want[512];

	assert_int_equal(pa_conf_load(f->c, at(f, "none.conf"), NULL, 0), -ENOENT);
	snprintf(want, sizeof(want), "%s/none.conf: cannot open: No such file or directory",
		 f->dir);
	assert_error(f->c, want);
}

static void test_main_path_that_is_a_directory_is_an_error(void **state)
{
	struct fx *f = *state;
	char want[512];

	mkdir_ok(at(f, "phiaudit.conf"));
	assert_int_equal(pa_conf_load(f->c, at(f, "phiaudit.conf"), NULL, PA_CONF_OPTIONAL),
			 -EINVAL);
	snprintf(want, sizeof(want), "%s/phiaudit.conf: not a regular file", f->dir);
	assert_error(f->c, want);
}

static void test_dropin_path_that_is_a_file_is_an_error(void **state)
{
	struct fx *f = *state;
	char want[512];

	put(at(f, "conf.d"), "{}");
	assert_int_equal(pa_conf_load(f->c, NULL, at(f, "conf.d"), PA_CONF_OPTIONAL), -ENOTDIR);
	snprintf(want, sizeof(want), "%s/conf.d: cannot open: Not a directory", f->dir);
	assert_error(f->c, want);
}

static void test_dropin_named_conf_that_is_a_directory_is_an_error(void **state)
{
	struct fx *f = *state;
	char want[512];

	mkdir_ok(at(f, "conf.d"));
	mkdir_ok(at(f, "conf.d/x.conf"));
	assert_int_equal(pa_conf_load(f->c, NULL, at(f, "conf.d"), 0), -EINVAL);
	snprintf(want, sizeof(want), "%s/conf.d/x.conf: not a regular file", f->dir);
	assert_error(f->c, want);
}

static void test_every_broken_dropin_is_reported_and_good_ones_merged(void **state)
{
	struct fx *f = *state;
	const struct pa_conf_msgs *m;
	char want[512];

	put(at(f, "main.conf"), "{\"a\": 0, \"b\": 0}");
	mkdir_ok(at(f, "conf.d"));
	put(at(f, "conf.d/10-a.conf"), "{\"a\": 1,}");
	put(at(f, "conf.d/20-b.conf"), "{\"b\": 2}");
	put(at(f, "conf.d/30-c.conf"), "{\"a\": 3,\n \"a\": 4}");
	assert_int_equal(pa_conf_load(f->c, at(f, "main.conf"), at(f, "conf.d"), 0), -EINVAL);
	m = pa_conf_errors(f->c);
	assert_int_equal(m->n, 2);
	snprintf(want, sizeof(want), "%s/conf.d/10-a.conf:1:9: invalid JSON: unexpected character",
		 f->dir);
	assert_string_equal(m->v[0], want);
	snprintf(want, sizeof(want),
		 "%s/conf.d/30-c.conf:2:2: a: duplicate key (first defined at "
		 "line 1)",
		 f->dir);
	assert_string_equal(m->v[1], want);
	assert_int_equal(unit_json_int(pa_conf_root(f->c), "a"), 0); /* broken files not merged */
	assert_int_equal(unit_json_int(pa_conf_root(f->c), "b"), 2);
}

static void test_file_over_1MiB_on_disk_is_an_error(void **state)
{
	struct fx *f = *state;
	size_t len = PA_CONF_MAX_SIZE + 1;
	char *text = malloc(len), want[512];

	assert_non_null(text);
	memset(text, ' ', len);
	text[0] = '{', text[len - 1] = '}';
	put_len(at(f, "big.conf"), text, len, 0644);
	free(text);
	assert_int_equal(pa_conf_load(f->c, at(f, "big.conf"), NULL, 0), -EFBIG);
	snprintf(want, sizeof(want), "%s/big.conf: larger than 1048576 bytes", f->dir);
	assert_error(f->c, want);
}

/* ---- permissions ---- */

static void test_group_writable_file_is_refused(void **state)
{
	struct fx *f = *state;
	char want[1024];

	put_len(at(f, "main.conf"), "{}", 2, 0664);
	assert_int_equal(pa_conf_load(f->c, at(f, "main.conf"), NULL, 0), -EPERM);
	snprintf(want, sizeof(want),
		 "%s/main.conf: refusing config file: writable by group (mode 0664, owner uid %u); "
		 "fix with: chmod go-w %s/main.conf",
		 f->dir, (unsigned int)geteuid(), f->dir);
	assert_error(f->c, want);
}

static void test_other_writable_dropin_dir_is_refused(void **state)
{
	struct fx *f = *state;
	char want[1024];

	mkdir_ok(at(f, "conf.d"));
	put(at(f, "conf.d/a.conf"), "{}");
	assert_int_equal(chmod(at(f, "conf.d"), 0757), 0);
	assert_int_equal(pa_conf_load(f->c, NULL, at(f, "conf.d"), PA_CONF_OPTIONAL), -EPERM);
	snprintf(want, sizeof(want),
		 "%s/conf.d: refusing config directory: writable by others (mode 0757, owner uid "
		 "%u); fix with: chmod go-w %s/conf.d",
		 f->dir, (unsigned int)geteuid(), f->dir);
	assert_error(f->c, want);
}

static void test_writable_directory_of_the_main_file_is_refused(void **state)
{
	struct fx *f = *state;
	char want[1024];

	put(at(f, "main.conf"), "{}");
	assert_int_equal(chmod(f->dir, 0777), 0);
	assert_int_equal(pa_conf_load(f->c, at(f, "main.conf"), NULL, 0), -EPERM);
	snprintf(want, sizeof(want),
		 "%s: refusing config directory: writable by group and others (mode 0777, owner "
		 "uid %u); fix with: chmod go-w %s",
		 f->dir, (unsigned int)geteuid(), f->dir);
	assert_error(f->c, want);
}

static void test_file_owned_by_someone_else_is_refused(void **state)
{
	struct fx *f = *state;
	struct pa_conf *c;
	char want[1024];

	if (geteuid() != 0)
		skip(); /* needs chown */
	put(at(f, "main.conf"), "{}");
	assert_int_equal(chown(at(f, "main.conf"), 4242, 4242), 0);
	c = pa_conf_new(0);
	assert_int_equal(pa_conf_load(c, at(f, "main.conf"), NULL, 0), -EPERM);
	snprintf(want, sizeof(want),
		 "%s/main.conf: refusing config file: not owned by root (mode 0644, owner uid "
		 "4242); fix with: chown root %s/main.conf",
		 f->dir, f->dir);
	assert_error(c, want);
	pa_conf_free(c);
}

static void test_expected_owner_is_a_parameter(void **state)
{
	struct fx *f = *state;
	struct pa_conf *c = pa_conf_new(4242);
	char want[1024];

	assert_int_equal(chmod(f->dir, 0775), 0);
	put(at(f, "main.conf"), "{}");
	assert_int_equal(pa_conf_load(c, at(f, "main.conf"), NULL, 0), -EPERM);
	snprintf(want, sizeof(want),
		 "%s: refusing config directory: not owned by uid 4242 and writable by group "
		 "(mode 0775, owner uid %u); fix with: chown 4242 %s && chmod go-w %s",
		 f->dir, (unsigned int)geteuid(), f->dir, f->dir);
	assert_error(c, want);
	pa_conf_free(c);
}

static void test_symlink_to_a_writable_file_is_refused(void **state)
{
	struct fx *f = *state;
	char want[1024];

	mkdir_ok(at(f, "elsewhere"));
	put_len(at(f, "elsewhere/t.conf"), "{}", 2, 0664);
	mkdir_ok(at(f, "conf.d"));
	assert_int_equal(symlink(at(f, "elsewhere/t.conf"), at(f, "conf.d/20-link.conf")), 0);
	assert_int_equal(pa_conf_load(f->c, NULL, at(f, "conf.d"), 0), -EPERM);
	snprintf(want, sizeof(want),
		 "%s/conf.d/20-link.conf (a symlink to %s/elsewhere/t.conf): refusing config file: "
		 "writable by group (mode 0664, owner uid %u); fix with: chmod go-w "
		 "%s/conf.d/20-link.conf",
		 f->dir, f->dir, (unsigned int)geteuid(), f->dir);
	assert_error(f->c, want);
}

static void test_symlink_to_a_safe_file_is_read(void **state)
{
	struct fx *f = *state;

	mkdir_ok(at(f, "elsewhere"));
	put(at(f, "elsewhere/t.conf"), "{\"linked\": true}");
	mkdir_ok(at(f, "conf.d"));
	assert_int_equal(symlink("../elsewhere/t.conf", at(f, "conf.d/20-link.conf")), 0);
	assert_int_equal(pa_conf_load(f->c, NULL, at(f, "conf.d"), 0), 0);
	assert_true(unit_json_bool(pa_conf_root(f->c), "linked"));
}

/* ---- getters ---- */

static void test_int_in_range_is_read_and_absent_keeps_default(void **state)
{
	struct pa_conf *c = parse_ok("{\"w\": 60, \"l\": [7]}");
	int64_t v = 5;

	assert_int_equal(pa_conf_int(c, pa_conf_root(c), "w", 1, 3600, &v), 1);
	assert_int_equal(v, 60);
	assert_int_equal(pa_conf_int(c, pa_conf_root(c), "absent", 1, 3600, &v), 0);
	assert_int_equal(v, 60);
	assert_int_equal(pa_conf_int(c, NULL, "w", 1, 3600, &v), 0);
	assert_int_equal(pa_conf_int(c, json_object_array_get_idx(get(c, "l"), 0), NULL, 0, 9, &v),
			 1);
	assert_int_equal(v, 7);
	assert_int_equal(pa_conf_errors(c)->total, 0);
	pa_conf_free(c);
}

static void test_int_out_of_range_names_the_range(void **state)
{
	struct pa_conf *c = parse_ok("{\"w\": 0, \"u\": 18446744073709551615, \"n\": -3}");
	int64_t v = 5;

	assert_int_equal(pa_conf_int(c, pa_conf_root(c), "w", 1, 3600, &v), -EINVAL);
	assert_int_equal(pa_conf_int(c, pa_conf_root(c), "u", 1, INT64_MAX, &v), -EINVAL);
	assert_int_equal(pa_conf_int(c, pa_conf_root(c), "n", INT64_MIN, -5, &v), -EINVAL);
	assert_int_equal(v, 5);
	assert_string_equal(pa_conf_errors(c)->v[0],
			    "t.conf:1:2: w: must be between 1 and 3600 (got 0)");
	assert_string_equal(pa_conf_errors(c)->v[1],
			    "t.conf:1:10: u: must be at least 1 (got 18446744073709551615)");
	assert_string_equal(pa_conf_errors(c)->v[2], "t.conf:1:37: n: must be at most -5 (got -3)");
	pa_conf_free(c);
}

static void test_int_of_another_type_names_the_type(void **state)
{
	struct pa_conf *c = parse_ok("{\"s\": \"5\", \"d\": 1.5, \"e\": 1e3}");
	int64_t v;

	pa_conf_int(c, pa_conf_root(c), "s", 0, 9, &v);
	pa_conf_int(c, pa_conf_root(c), "d", 0, 9, &v);
	pa_conf_int(c, pa_conf_root(c), "e", 0, 9, &v);
	assert_string_equal(pa_conf_errors(c)->v[0],
			    "t.conf:1:2: s: must be a whole number, not a string");
	assert_string_equal(pa_conf_errors(c)->v[1],
			    "t.conf:1:12: d: must be a whole number, not a "
			    "number with a fraction or exponent");
	assert_string_equal(pa_conf_errors(c)->v[2],
			    "t.conf:1:22: e: must be a whole number, not a "
			    "number with a fraction or exponent");
	pa_conf_free(c);
}

static void test_bool_in_quotes_gets_a_hint(void **state)
{
	struct pa_conf *c = parse_ok("{\"a\": true, \"b\": \"true\", \"c\": 1}");
	bool v = false;

	assert_int_equal(pa_conf_bool(c, pa_conf_root(c), "a", &v), 1);
	assert_true(v);
	assert_int_equal(pa_conf_bool(c, pa_conf_root(c), "b", &v), -EINVAL);
	assert_int_equal(pa_conf_bool(c, pa_conf_root(c), "c", &v), -EINVAL);
	assert_string_equal(pa_conf_errors(c)->v[0],
			    "t.conf:1:13: b: must be true or false, without quotes");
	assert_string_equal(pa_conf_errors(c)->v[1],
			    "t.conf:1:26: c: must be true or false, not a whole number");
	pa_conf_free(c);
}

static void test_string_must_be_a_non_empty_string(void **state)
{
	struct pa_conf *c = parse_ok("{\"a\": \"x\", \"b\": \"\", \"c\": [\"x\"]}");
	const char *s = NULL;

	assert_int_equal(pa_conf_string(c, pa_conf_root(c), "a", &s), 1);
	assert_string_equal(s, "x");
	assert_int_equal(pa_conf_string(c, pa_conf_root(c), "b", &s), -EINVAL);
	assert_int_equal(pa_conf_string(c, pa_conf_root(c), "c", &s), -EINVAL);
	assert_string_equal(pa_conf_errors(c)->v[0], "t.conf:1:12: b: must not be empty");
	assert_string_equal(pa_conf_errors(c)->v[1],
			    "t.conf:1:21: c: must be a string, not an array");
	pa_conf_free(c);
}

static void test_object_and_array_getters_check_the_type(void **state)
{
	struct pa_conf *c = parse_ok("{\"o\": {}, \"a\": [], \"x\": 1}");
	struct json_object *v = NULL;

	assert_int_equal(pa_conf_object(c, pa_conf_root(c), "o", &v), 1);
	assert_int_equal(pa_conf_array(c, pa_conf_root(c), "a", &v), 1);
	assert_int_equal(pa_conf_object(c, pa_conf_root(c), "none", &v), 0);
	assert_int_equal(pa_conf_object(c, pa_conf_root(c), "x", &v), -EINVAL);
	assert_int_equal(pa_conf_array(c, pa_conf_root(c), "o", &v), -EINVAL);
	assert_string_equal(pa_conf_errors(c)->v[0],
			    "t.conf:1:20: x: must be an object ({ ... }), not a whole number");
	assert_string_equal(pa_conf_errors(c)->v[1],
			    "t.conf:1:2: o: must be an array ([ ... ]), not an object");
	pa_conf_free(c);
}

/* ---- sizes and durations ---- */

static void test_size_parses_numbers_and_binary_units(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "7", 7 },
		{ "10B", 10 },
		{ "64k", 65536 },
		{ "64K", 65536 },
		{ "64KiB", 65536 },
		{ "500MiB", 500ull << 20 },
		{ "2 M", 2ull << 20 },
		{ "1GiB", 1ull << 30 },
		{ "1G", 1ull << 30 },
		{ "3T", 3ull << 40 },
		{ "16777215TiB", 16777215ull << 40 },
		{ "18446744073709551615", UINT64_MAX },
	};
	uint64_t v;

	for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
		v = 0;
		assert_int_equal(pa_parse_size(ok[i].s, &v), 0);
		assert_int_equal(v, ok[i].v);
	}
}

static void test_size_refuses_other_forms(void **state)
{
	static const char *const bad[] = {
		"5 apples", "1.5GiB", "-5k", "", "MiB", " 5k", "5k ", "5kib", "5 k b", "5m", "0x10",
		"5Mi",
	};
	uint64_t v = 42;

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		assert_int_equal(pa_parse_size(bad[i], &v), -EINVAL);
	assert_int_equal(v, 42);
}

static void test_size_beyond_64_bits_is_out_of_range(void **state)
{
	uint64_t v;

	assert_int_equal(pa_parse_size("16777216TiB", &v), -ERANGE);
	assert_int_equal(pa_parse_size("18446744073709551616", &v), -ERANGE);
	assert_int_equal(pa_parse_size("99999999999999999999999k", &v), -ERANGE);
}

static void test_size_getter_messages(void **state)
{
	struct pa_conf *c =
		parse_ok("{\"a\": \"5 apples\", \"b\": \"500MB\", \"c\": \"16777216TiB\", "
			 "\"d\": -5, \"e\": true, \"f\": 1.5}");
	const struct pa_conf_msgs *m = pa_conf_errors(c);
	static const char *const keys[] = { "a", "b", "c", "d", "e", "f" };
	uint64_t v;

	for (size_t i = 0; i < ARRAY_LEN(keys); i++)
		assert_int_equal(pa_conf_size(c, pa_conf_root(c), keys[i], 0, UINT64_MAX, &v),
				 -EINVAL);
	assert_int_equal(m->n, 6);
	assert_string_equal(m->v[0],
			    "t.conf:1:2: a: \"5 apples\" is not a size: write a whole number "
			    "and a unit: B, k or KiB, M or MiB, G or GiB, T or TiB (powers "
			    "of 1024)");
	assert_string_equal(m->v[1],
			    "t.conf:1:19: b: \"500MB\" is ambiguous: write MiB (sizes count "
			    "in powers of 1024)");
	assert_string_equal(m->v[2], "t.conf:1:33: c: \"16777216TiB\" is too large");
	assert_string_equal(m->v[3], "t.conf:1:53: d: must not be negative (got -5)");
	assert_string_equal(m->v[4],
			    "t.conf:1:62: e: must be a size (a whole number of bytes, or a "
			    "string such as \"64MiB\"), not a boolean");
	assert_string_equal(m->v[5],
			    "t.conf:1:73: f: must be a size (a whole number of bytes, or a "
			    "string such as \"64MiB\"), not a number with a fraction or "
			    "exponent");
	pa_conf_free(c);
}

static void test_size_range_is_shown_in_units(void **state)
{
	struct pa_conf *c = parse_ok("{\"a\": \"2GiB\", \"b\": 1000, \"c\": \"64k\", \"d\": 4096}");
	uint64_t v = 0;

	assert_int_equal(pa_conf_size(c, pa_conf_root(c), "a", 4096, 1ull << 30, &v), -EINVAL);
	assert_int_equal(pa_conf_size(c, pa_conf_root(c), "b", 4096, 1ull << 30, &v), -EINVAL);
	assert_int_equal(pa_conf_size(c, pa_conf_root(c), "c", 4096, 1ull << 30, &v), 1);
	assert_int_equal(v, 65536);
	assert_int_equal(pa_conf_size(c, pa_conf_root(c), "d", 0, 1024, &v), -EINVAL);
	assert_string_equal(pa_conf_errors(c)->v[0],
			    "t.conf:1:2: a: must be between 4KiB and 1GiB (got 2GiB)");
	assert_string_equal(pa_conf_errors(c)->v[1],
			    "t.conf:1:15: b: must be between 4KiB and 1GiB (got 1000B)");
	assert_string_equal(pa_conf_errors(c)->v[2],
			    "t.conf:1:38: d: must be at most 1KiB (got 4KiB)");
	pa_conf_free(c);
}

static void test_duration_parses_seconds_and_units(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "90", 90 },	 { "90s", 90 }, { "5m", 300 },	  { "2h", 7200 },
		{ "1d", 86400 }, { "0s", 0 },	{ "3 h", 10800 },
	};
	uint64_t v;

	for (size_t i = 0; i < ARRAY_LEN(ok); i++) {
		v = 1;
		assert_int_equal(pa_parse_duration(ok[i].s, &v), 0);
		assert_int_equal(v, ok[i].v);
	}
}

static void test_duration_refuses_other_forms(void **state)
{
	static const char *const bad[] = { "5 apples", "1w", "5M", "1h30m", "1.5h",
					   "-1s",      "",   "s",  "5ms" };
	uint64_t v;

	for (size_t i = 0; i < ARRAY_LEN(bad); i++)
		assert_int_equal(pa_parse_duration(bad[i], &v), -EINVAL);
	assert_int_equal(pa_parse_duration("213503982334601d", &v), 0);
	assert_int_equal(pa_parse_duration("213503982334602d", &v), -ERANGE);
}

static void test_duration_getter_messages(void **state)
{
	struct pa_conf *c = parse_ok("{\"a\": \"5 apples\", \"b\": \"2d\", \"c\": 90, \"d\": [1]}");
	uint64_t v = 0;

	assert_int_equal(pa_conf_duration(c, pa_conf_root(c), "a", 1, 86400, &v), -EINVAL);
	assert_int_equal(pa_conf_duration(c, pa_conf_root(c), "b", 1, 86400, &v), -EINVAL);
	assert_int_equal(pa_conf_duration(c, pa_conf_root(c), "c", 1, 86400, &v), 1);
	assert_int_equal(v, 90);
	assert_int_equal(pa_conf_duration(c, pa_conf_root(c), "d", 1, 86400, &v), -EINVAL);
	assert_string_equal(
		pa_conf_errors(c)->v[0],
		"t.conf:1:2: a: \"5 apples\" is not a duration: write a whole number and "
		"a unit: s, m, h or d (a bare number is seconds)");
	assert_string_equal(pa_conf_errors(c)->v[1],
			    "t.conf:1:19: b: must be between 1s and 1d (got 2d)");
	assert_string_equal(pa_conf_errors(c)->v[2],
			    "t.conf:1:39: d: must be a duration (a whole number of seconds, or a "
			    "string such as \"90s\" or \"5m\"), not an array");
	pa_conf_free(c);
}

/* ---- unknown keys ---- */

static const char *const scope_keys[] = { "window_s", "threshold", "files", NULL };

static void test_unknown_key_suggests_the_close_known_one(void **state)
{
	struct pa_conf *c = parse_ok("{\n"
				     "  \"detection\": {\n"
				     "    \"scopes\": {\n"
				     "      \"process\": { \"windw_s\": 60, \"threshold\": 5 }\n"
				     "    }\n"
				     "  }\n"
				     "}\n");

	assert_int_equal(pa_conf_check_keys(c, get(c, "detection.scopes.process"), scope_keys),
			 -EINVAL);
	assert_error(c, "t.conf:4:20: unknown key \"windw_s\" in detection.scopes.process (did you "
			"mean \"window_s\"?)");
	pa_conf_free(c);
}

static void test_unknown_key_with_swapped_letters_gets_a_suggestion(void **state)
{
	struct pa_conf *c = parse_ok("{\"p\": {\"thershold\": 5}}");

	pa_conf_check_keys(c, get(c, "p"), scope_keys);
	assert_error(c, "t.conf:1:8: unknown key \"thershold\" in p (did you mean \"threshold\"?)");
	pa_conf_free(c);
}

static void test_unknown_key_far_from_any_gets_no_suggestion(void **state)
{
	struct pa_conf *c = parse_ok("{\"p\": {\"colour\": 1, \"f\": 2}}");

	assert_int_equal(pa_conf_check_keys(c, get(c, "p"), scope_keys), -EINVAL);
	assert_int_equal(pa_conf_errors(c)->n, 2);
	assert_string_equal(pa_conf_errors(c)->v[0], "t.conf:1:8: unknown key \"colour\" in p");
	assert_string_equal(pa_conf_errors(c)->v[1], "t.conf:1:21: unknown key \"f\" in p");
	pa_conf_free(c);
}

static void test_unknown_top_level_key(void **state)
{
	static const char *const top[] = { "detection", "log", NULL };
	struct pa_conf *c = parse_ok("{\"log\": {}, \"detction\": {}}");

	assert_int_equal(pa_conf_check_keys(c, pa_conf_root(c), top), -EINVAL);
	assert_error(c, "t.conf:1:13: unknown key \"detction\" at the top level (did you mean "
			"\"detection\"?)");
	pa_conf_free(c);
}

static void test_known_keys_pass(void **state)
{
	struct pa_conf *c = parse_ok("{\"window_s\": 1, \"files\": 2}");

	assert_int_equal(pa_conf_check_keys(c, pa_conf_root(c), scope_keys), 0);
	assert_int_equal(pa_conf_check_keys(c, NULL, scope_keys), 0);
	assert_int_equal(pa_conf_errors(c)->total, 0);
	pa_conf_free(c);
}

/* ---- robustness ---- */

static const char sweep_conf[] =
	"// phiaudit test config\n"
	"{\n"
	"  /* detection */\n"
	"  \"detection\": {\n"
	"    \"allow\": [ { \"exe\": \"/usr/bin/back\\\\up\", \"uid\": 0 }, \"x//y\" ],\n"
	"    \"window_s\": \"5m\", \"limit\": \"500MiB\", \"ratio\": -1.5e-3,\n"
	"    \"on\": true, \"off\": false, \"nested\": [[], {}, [1, [2]]],\n"
	"    \"n\\u00e9\": \"caf\xc3\xa9 \\ud83d\\ude00 \\\"q\\\" \\/\"\n"
	"  }\n"
	"}\n"
	"// after\n";

/*
 * Cut before the closing brace: an error naming the file. Cut after it:
 * valid, but for the cut that leaves half of the trailing "//", a lone
 * slash, which is not JSON.
 */
static void test_every_truncation_is_an_error_never_a_crash(void **state)
{
	size_t len = strlen(sweep_conf), end = strrchr(sweep_conf, '}') - sweep_conf + 1;
	size_t lone_slash = end + 2; /* "}\n/" */

	for (size_t cut = 0; cut < len; cut++) {
		char *text = malloc(cut ? cut : 1); /* exact size, for ASan */
		struct pa_conf *c;
		int rc;

		assert_non_null(text);
		memcpy(text, sweep_conf, cut);
		c = parse_len(text, cut, &rc);
		if (cut < end || cut == lone_slash) {
			if (rc != -EINVAL || pa_conf_errors(c)->n != 1 ||
			    strncmp(pa_conf_errors(c)->v[0], "t.conf", 6) ||
			    strstr(pa_conf_errors(c)->v[0], "internal")) {
				print_error("cut at %zu: rc %d\n", cut, rc);
				print_msgs(pa_conf_errors(c));
				fail();
			}
		} else {
			assert_int_equal(rc, 0);
		}
		pa_conf_free(c);
		free(text);
	}
}

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

/* Every value of a tree that parsed has a position. */
static void assert_all_positioned(struct pa_conf *c, struct json_object *v)
{
	struct pa_conf_pos pos;

	assert_int_equal(pa_conf_where(c, v, &pos, NULL, 0), 0);
	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, child)
		{
			(void)k;
			assert_all_positioned(c, child);
		}
	} else if (json_object_is_type(v, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(v); i++)
			assert_all_positioned(c, json_object_array_get_idx(v, i));
	}
}

static void test_random_mutations_are_handled_and_agree_with_json_c(void **state)
{
	static const char alphabet[] = "{}[]\",:/*\\ \n0123456789-+.eEtfnul'\t\x01\x00\xc3\xa9\xff";
	size_t len = strlen(sweep_conf), parsed = 0;
	char *text = malloc(len + 8);
	uint32_t seed = 0x9e3779b9;

	assert_non_null(text);
	for (int iter = 0; iter < 20000; iter++) {
		struct pa_conf *c;
		int rc, edits = 1 + (int)(xorshift(&seed) % 3);

		memcpy(text, sweep_conf, len);
		for (int k = 0; k < edits; k++)
			text[xorshift(&seed) % len] =
				alphabet[xorshift(&seed) % (sizeof(alphabet) - 1)];
		c = parse_len(text, len, &rc);
		assert_true(rc == 0 || pa_conf_errors(c)->n == 1);
		if (rc) {
			assert_null(strstr(pa_conf_errors(c)->v[0], "internal"));
		} else {
			assert_all_positioned(c, pa_conf_root(c));
			parsed++;
		}
		pa_conf_free(c);
	}
	assert_true(parsed > 100); /* the mutations do not all break the file */
	free(text);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_comments_are_ignored),
		cmocka_unit_test(test_block_comments_are_ignored),
		cmocka_unit_test(test_comment_markers_inside_strings_are_kept),
		cmocka_unit_test(test_positions_after_comments_are_exact),
		cmocka_unit_test(test_columns_count_characters_not_bytes),
		cmocka_unit_test(test_unterminated_block_comment_is_an_error),
		cmocka_unit_test(test_syntax_error_names_line_column_and_json_c_message),
		cmocka_unit_test(test_unexpected_end_of_file_is_an_error),
		cmocka_unit_test(test_text_after_the_object_is_an_error),
		cmocka_unit_test(test_trailing_comma_is_an_error),
		cmocka_unit_test(test_top_level_must_be_an_object),
		cmocka_unit_test(test_empty_or_comment_only_file_is_an_error),
		cmocka_unit_test(test_duplicate_key_names_both_lines),
		cmocka_unit_test(test_duplicate_key_in_nested_object_names_its_path),
		cmocka_unit_test(test_duplicate_key_spelled_with_an_escape_is_a_duplicate),
		cmocka_unit_test(test_same_key_in_different_objects_is_not_a_duplicate),
		cmocka_unit_test(test_invalid_utf8_is_an_error),
		cmocka_unit_test(test_utf8_encoded_surrogate_is_an_error),
		cmocka_unit_test(test_unpaired_surrogate_escape_is_an_error),
		cmocka_unit_test(test_escaped_nul_is_an_error),
		cmocka_unit_test(test_nul_byte_is_an_error),
		cmocka_unit_test(test_raw_control_character_in_a_string_is_an_error),
		cmocka_unit_test(test_single_quotes_are_an_error),
		cmocka_unit_test(test_null_is_an_error),
		cmocka_unit_test(test_numbers_json_does_not_allow_are_errors),
		cmocka_unit_test(test_integer_beyond_64_bits_is_an_error),
		cmocka_unit_test(test_nesting_deeper_than_the_limit_is_an_error),
		cmocka_unit_test(test_buffer_over_1MiB_is_an_error),
		cmocka_unit_test(test_error_names_nested_key_path_with_array_index),
		cmocka_unit_test(test_where_gives_element_position_and_path),
		cmocka_unit_test(test_error_formats_caller_message),
		cmocka_unit_test(test_error_on_the_top_level_has_no_key_path),
		cmocka_unit_test(test_error_key_on_missing_key_points_at_its_object),
		cmocka_unit_test(test_odd_keys_are_quoted_in_paths),
		cmocka_unit_test(test_error_on_a_value_not_from_a_file_has_no_position),
		cmocka_unit_test(test_errors_beyond_the_cap_are_counted),
		cmocka_unit_test(test_context_without_files_has_an_empty_root),
		T(test_dropins_are_merged_in_strcmp_order),
		T(test_objects_merge_key_by_key),
		T(test_scalars_and_arrays_are_replaced_whole),
		T(test_merged_values_point_at_the_file_that_set_them),
		T(test_unwanted_names_in_conf_d_are_skipped_with_a_note),
		T(test_dropin_dir_with_trailing_slash_names_files_once),
		T(test_missing_files_are_fine_when_optional),
		T(test_missing_main_directory_is_fine_when_optional),
		T(test_missing_main_file_is_an_error_when_required),
		T(test_main_path_that_is_a_directory_is_an_error),
		T(test_dropin_path_that_is_a_file_is_an_error),
		T(test_dropin_named_conf_that_is_a_directory_is_an_error),
		T(test_every_broken_dropin_is_reported_and_good_ones_merged),
		T(test_file_over_1MiB_on_disk_is_an_error),
		T(test_group_writable_file_is_refused),
		T(test_other_writable_dropin_dir_is_refused),
		T(test_writable_directory_of_the_main_file_is_refused),
		T(test_file_owned_by_someone_else_is_refused),
		T(test_expected_owner_is_a_parameter),
		T(test_symlink_to_a_writable_file_is_refused),
		T(test_symlink_to_a_safe_file_is_read),
		cmocka_unit_test(test_int_in_range_is_read_and_absent_keeps_default),
		cmocka_unit_test(test_int_out_of_range_names_the_range),
		cmocka_unit_test(test_int_of_another_type_names_the_type),
		cmocka_unit_test(test_bool_in_quotes_gets_a_hint),
		cmocka_unit_test(test_string_must_be_a_non_empty_string),
		cmocka_unit_test(test_object_and_array_getters_check_the_type),
		cmocka_unit_test(test_size_parses_numbers_and_binary_units),
		cmocka_unit_test(test_size_refuses_other_forms),
		cmocka_unit_test(test_size_beyond_64_bits_is_out_of_range),
		cmocka_unit_test(test_size_getter_messages),
		cmocka_unit_test(test_size_range_is_shown_in_units),
		cmocka_unit_test(test_duration_parses_seconds_and_units),
		cmocka_unit_test(test_duration_refuses_other_forms),
		cmocka_unit_test(test_duration_getter_messages),
		cmocka_unit_test(test_unknown_key_suggests_the_close_known_one),
		cmocka_unit_test(test_unknown_key_with_swapped_letters_gets_a_suggestion),
		cmocka_unit_test(test_unknown_key_far_from_any_gets_no_suggestion),
		cmocka_unit_test(test_unknown_top_level_key),
		cmocka_unit_test(test_known_keys_pass),
		cmocka_unit_test(test_every_truncation_is_an_error_never_a_crash),
		cmocka_unit_test(test_random_mutations_are_handled_and_agree_with_json_c),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
