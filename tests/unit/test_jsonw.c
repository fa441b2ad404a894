// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * jsonw: everything the streaming writer produces is JSON that json-c
 * parses strictly (UTF-8 validated), and the values json-c reads back are
 * the ones written; byte strings decode (pathenc) to the exact bytes.
 */
#include "unit.h"

#include <limits.h>

#include "jsonw.h"
#include "pathenc.h"

static struct json_object *parse(const struct pa_jw *w)
{
	assert_false(pa_jw_failed(w));
	return unit_json_parse(w->buf, w->len);
}

/* {"v": <bytes>} parsed back: the JSON string value, decoded, is b. */
static void assert_bytes_value_round_trips(const void *b, size_t n)
{
	struct pa_jw w;
	struct json_object *root;
	const char *val;
	unsigned char *dec = malloc(n + 1);
	long dlen;

	assert_non_null(dec);
	pa_jw_init(&w);
	pa_jw_obj_open(&w, NULL);
	pa_jw_bytes(&w, "v", b, n);
	pa_jw_obj_close(&w);
	root = parse(&w);
	val = unit_json_str(root, "v");
	dlen = pa_bytes_decode(dec, n + 1, val, strlen(val));
	assert_int_equal(dlen, n);
	assert_memory_equal(dec, b, n);
	json_object_put(root);
	pa_jw_free(&w);
	free(dec);
}

static void test_members_are_comma_separated(void **state)
{
	struct pa_jw w;

	pa_jw_init(&w);
	pa_jw_obj_open(&w, NULL);
	pa_jw_u64(&w, "a", 1);
	pa_jw_str(&w, "b", "x");
	pa_jw_bool(&w, "c", true);
	pa_jw_obj_close(&w);
	assert_string_equal(w.buf, "{\"a\":1,\"b\":\"x\",\"c\":true}");
	json_object_put(parse(&w));
	pa_jw_free(&w);
}

static void test_nested_objects_and_arrays(void **state)
{
	struct pa_jw w;
	struct json_object *root;

	pa_jw_init(&w);
	pa_jw_obj_open(&w, NULL);
	pa_jw_obj_open(&w, "a");
	pa_jw_arr_open(&w, "b");
	pa_jw_u64(&w, NULL, 1);
	pa_jw_arr_open(&w, NULL);
	pa_jw_u64(&w, NULL, 2);
	pa_jw_u64(&w, NULL, 3);
	pa_jw_arr_close(&w);
	pa_jw_obj_open(&w, NULL);
	pa_jw_obj_close(&w);
	pa_jw_arr_close(&w);
	pa_jw_null(&w, "c");
	pa_jw_obj_close(&w);
	pa_jw_arr_open(&w, "d");
	pa_jw_arr_close(&w);
	pa_jw_obj_close(&w);
	assert_string_equal(w.buf, "{\"a\":{\"b\":[1,[2,3],{}],\"c\":null},\"d\":[]}");
	root = parse(&w);
	assert_int_equal(json_object_array_length(unit_json_get(root, "a.b")), 3);
	json_object_put(root);
	pa_jw_free(&w);
}

static void test_u64_max_is_written_exactly(void **state)
{
	struct pa_jw w;
	struct json_object *root;

	pa_jw_init(&w);
	pa_jw_obj_open(&w, NULL);
	pa_jw_u64(&w, "v", UINT64_MAX);
	pa_jw_obj_close(&w);
	assert_string_equal(w.buf, "{\"v\":18446744073709551615}");
	root = parse(&w);
	assert_true(json_object_get_uint64(unit_json_get(root, "v")) == UINT64_MAX);
	json_object_put(root);
	pa_jw_free(&w);
}

static void test_i64_min_is_written_exactly(void **state)
{
	struct pa_jw w;
	struct json_object *root;

	pa_jw_init(&w);
	pa_jw_obj_open(&w, NULL);
	pa_jw_i64(&w, "v", INT64_MIN);
	pa_jw_obj_close(&w);
	assert_string_equal(w.buf, "{\"v\":-9223372036854775808}");
	root = parse(&w);
	assert_true(unit_json_int(root, "v") == INT64_MIN);
	json_object_put(root);
	pa_jw_free(&w);
}

static void test_bool_and_null_values(void **state)
{
	struct pa_jw w;
	struct json_object *root;

	pa_jw_init(&w);
	pa_jw_arr_open(&w, NULL);
	pa_jw_bool(&w, NULL, true);
	pa_jw_bool(&w, NULL, false);
	pa_jw_null(&w, NULL);
	pa_jw_arr_close(&w);
	assert_string_equal(w.buf, "[true,false,null]");
	root = parse(&w);
	assert_true(json_object_get_boolean(json_object_array_get_idx(root, 0)));
	assert_false(json_object_get_boolean(json_object_array_get_idx(root, 1)));
	assert_null(json_object_array_get_idx(root, 2));
	json_object_put(root);
	pa_jw_free(&w);
}

static void test_every_control_character_is_escaped(void **state)
{
	for (unsigned int c = 0x01; c <= 0x7f; c = c == 0x1f ? 0x7f : c + 1) {
		char in[4] = { 'a', (char)c, 'b', '\0' };
		struct pa_jw w;
		struct json_object *root;

		pa_jw_init(&w);
		pa_jw_obj_open(&w, NULL);
		pa_jw_str(&w, "v", in);
		pa_jw_obj_close(&w);
		assert_null(memchr(w.buf, (int)c, w.len)); /* never raw */
		root = parse(&w);
		assert_string_equal(unit_json_str(root, "v"), in);
		json_object_put(root);
		pa_jw_free(&w);
	}
}

static void test_quotes_in_values_are_escaped(void **state)
{
	struct pa_jw w;
	struct json_object *root;

	pa_jw_init(&w);
	pa_jw_obj_open(&w, NULL);
	pa_jw_str(&w, "v", "say \"hi\"");
	pa_jw_obj_close(&w);
	assert_string_equal(w.buf, "{\"v\":\"say \\\"hi\\\"\"}");
	root = parse(&w);
	assert_string_equal(unit_json_str(root, "v"), "say \"hi\"");
	json_object_put(root);
	pa_jw_free(&w);
}

static void test_keys_are_escaped(void **state)
{
	struct pa_jw w;
	struct json_object *root, *v;

	pa_jw_init(&w);
	pa_jw_obj_open(&w, NULL);
	pa_jw_u64(&w, "k\"e\ny", 7);
	pa_jw_obj_close(&w);
	root = parse(&w);
	assert_true(json_object_object_get_ex(root, "k\"e\ny", &v));
	assert_int_equal(json_object_get_int64(v), 7);
	json_object_put(root);
	pa_jw_free(&w);
}

static void test_str_keeps_valid_utf8_verbatim(void **state)
{
	struct pa_jw w;
	struct json_object *root;

	pa_jw_init(&w);
	pa_jw_obj_open(&w, NULL);
	pa_jw_str(&w, "v", "Z\xc3\xbcrich \xe2\x82\xac \xf0\x9f\x98\x80");
	pa_jw_obj_close(&w);
	root = parse(&w);
	assert_string_equal(unit_json_str(root, "v"), "Z\xc3\xbcrich \xe2\x82\xac \xf0\x9f\x98\x80");
	json_object_put(root);
	pa_jw_free(&w);
}

static void test_str_uses_the_byte_encoding_for_backslashes(void **state)
{
	/* Every string in a record is byte-encoded (phiauditd(8), Records). */
	struct pa_jw w;
	struct json_object *root;

	pa_jw_init(&w);
	pa_jw_obj_open(&w, NULL);
	pa_jw_str(&w, "v", "a\\b");
	pa_jw_obj_close(&w);
	root = parse(&w);
	assert_string_equal(unit_json_str(root, "v"), "a\\\\b");
	json_object_put(root);
	pa_jw_free(&w);
}

static void test_newline_ends_record_and_next_record_starts_fresh(void **state)
{
	struct pa_jw w;
	const char *second;

	pa_jw_init(&w);
	pa_jw_obj_open(&w, NULL);
	pa_jw_u64(&w, "n", 1);
	pa_jw_obj_close(&w);
	pa_jw_newline(&w);
	pa_jw_obj_open(&w, NULL);
	pa_jw_u64(&w, "n", 2);
	pa_jw_obj_close(&w);
	pa_jw_newline(&w);
	assert_string_equal(w.buf, "{\"n\":1}\n{\"n\":2}\n");
	second = strchr(w.buf, '\n') + 1;
	json_object_put(unit_json_parse(w.buf, (size_t)(second - w.buf)));
	json_object_put(unit_json_parse(second, strlen(second)));
	pa_jw_free(&w);
}

static void test_bytes_with_invalid_utf8_decode_to_original(void **state)
{
	static const char name[] = "my chart \"final\"\nv2 caf\xe9 \xff\xfe\x80.txt";

	assert_bytes_value_round_trips(name, sizeof(name) - 1);
}

static void test_bytes_with_backslash_decode_to_original(void **state)
{
	static const char name[] = "dir\\sub\\xe9 \\\\ end\\";

	assert_bytes_value_round_trips(name, sizeof(name) - 1);
}

static void test_bytes_longer_than_stack_buffer_decode_to_original(void **state)
{
	/* 600 invalid bytes encode to 2400 characters: the malloc path. */
	unsigned char big[600];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (unsigned char)(0x80 + i % 0x7f);
	assert_bytes_value_round_trips(big, sizeof(big));
}

static void test_bytes_at_stack_buffer_boundary_decode_to_original(void **state)
{
	/* Encoded lengths 510..514 straddle the 512-byte stack buffer. */
	for (size_t n = 510; n <= 514; n++) {
		char *s = malloc(n);

		assert_non_null(s);
		memset(s, 'p', n);
		assert_bytes_value_round_trips(s, n);
		s[n - 1] = '\xff'; /* 4 bytes encoded */
		assert_bytes_value_round_trips(s, n);
		free(s);
	}
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void test_random_bytes_always_make_valid_json(void **state)
{
	uint64_t seed = 42;

	for (int iter = 0; iter < 3000; iter++) {
		unsigned char b[48];
		size_t n = xorshift(&seed) % sizeof(b);

		for (size_t i = 0; i < n; i++)
			b[i] = (unsigned char)(xorshift(&seed) >> 24);
		for (size_t i = 0; i < n; i++)
			b[i] = b[i] ? b[i] : 0xc3; /* names hold no NUL */
		assert_bytes_value_round_trips(b, n);
	}
}

static void test_depth_limit_allows_max_minus_one_levels(void **state)
{
	struct pa_jw w;

	pa_jw_init(&w);
	for (int i = 0; i < PA_JW_MAX_DEPTH - 1; i++)
		pa_jw_arr_open(&w, NULL);
	for (int i = 0; i < PA_JW_MAX_DEPTH - 1; i++)
		pa_jw_arr_close(&w);
	json_object_put(parse(&w));
	pa_jw_free(&w);
}

static void test_depth_overflow_sets_failed(void **state)
{
	struct pa_jw w;

	pa_jw_init(&w);
	for (int i = 0; i < PA_JW_MAX_DEPTH; i++)
		pa_jw_obj_open(&w, i ? "k" : NULL);
	assert_true(pa_jw_failed(&w));
	pa_jw_free(&w);
}

static void test_failure_is_sticky_until_reset(void **state)
{
	struct pa_jw w;
	size_t len;

	pa_jw_init(&w);
	for (int i = 0; i < PA_JW_MAX_DEPTH; i++)
		pa_jw_arr_open(&w, NULL);
	len = w.len;
	pa_jw_str(&w, NULL, "ignored");
	assert_int_equal(w.len, len);
	assert_true(pa_jw_failed(&w));
	pa_jw_reset(&w);
	assert_false(pa_jw_failed(&w));
	pa_jw_obj_open(&w, NULL);
	pa_jw_obj_close(&w);
	assert_string_equal(w.buf, "{}");
	pa_jw_free(&w);
}

static void test_reset_drops_content_and_separators(void **state)
{
	struct pa_jw w;

	pa_jw_init(&w);
	pa_jw_obj_open(&w, NULL);
	pa_jw_u64(&w, "a", 1); /* left open on purpose */
	pa_jw_reset(&w);
	pa_jw_obj_open(&w, NULL);
	pa_jw_u64(&w, "b", 2);
	pa_jw_obj_close(&w);
	assert_string_equal(w.buf, "{\"b\":2}");
	pa_jw_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_members_are_comma_separated),
		cmocka_unit_test(test_nested_objects_and_arrays),
		cmocka_unit_test(test_u64_max_is_written_exactly),
		cmocka_unit_test(test_i64_min_is_written_exactly),
		cmocka_unit_test(test_bool_and_null_values),
		cmocka_unit_test(test_every_control_character_is_escaped),
		cmocka_unit_test(test_quotes_in_values_are_escaped),
		cmocka_unit_test(test_keys_are_escaped),
		cmocka_unit_test(test_str_keeps_valid_utf8_verbatim),
		cmocka_unit_test(test_str_uses_the_byte_encoding_for_backslashes),
		cmocka_unit_test(test_newline_ends_record_and_next_record_starts_fresh),
		cmocka_unit_test(test_bytes_with_invalid_utf8_decode_to_original),
		cmocka_unit_test(test_bytes_with_backslash_decode_to_original),
		cmocka_unit_test(test_bytes_longer_than_stack_buffer_decode_to_original),
		cmocka_unit_test(test_bytes_at_stack_buffer_boundary_decode_to_original),
		cmocka_unit_test(test_random_bytes_always_make_valid_json),
		cmocka_unit_test(test_depth_limit_allows_max_minus_one_levels),
		cmocka_unit_test(test_depth_overflow_sets_failed),
		cmocka_unit_test(test_failure_is_sticky_until_reset),
		cmocka_unit_test(test_reset_drops_content_and_separators),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
