// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * pathenc: file names are bytes; the encoding keeps valid UTF-8, doubles
 * backslashes, writes any other byte as \xHH (lowercase) and decodes back
 * to the exact bytes.
 */
#include "unit.h"

#include "pathenc.h"

/* Encode n bytes, check the result is want, that pa_bytes_encoded_len
 * agrees, and that decoding gives the input back. */
static void assert_encodes(const void *in, size_t n, const char *want)
{
	size_t want_len = strlen(want);
	char *enc = malloc(want_len + 2);
	unsigned char *dec = malloc(n + 1);
	long dlen;

	assert_non_null(enc);
	assert_non_null(dec);
	assert_int_equal(pa_bytes_encoded_len(in, n), want_len);
	assert_int_equal(pa_bytes_encode(enc, in, n), want_len);
	assert_string_equal(enc, want);
	assert_true(unit_valid_utf8((const unsigned char *)enc, want_len));
	dlen = pa_bytes_decode(dec, n + 1, enc, want_len);
	assert_int_equal(dlen, n);
	assert_memory_equal(dec, in, n);
	free(enc);
	free(dec);
}

#define ENC(lit, want) assert_encodes(lit, sizeof(lit) - 1, want)

static void test_encode_keeps_ascii(void **state)
{
	ENC("chart 1234.txt", "chart 1234.txt");
	ENC("", "");
}

static void test_encode_keeps_two_byte_utf8(void **state)
{
	ENC("caf\xc3\xa9", "caf\xc3\xa9");	/* é */
	ENC("\xc2\x80", "\xc2\x80");		/* U+0080, lowest */
	ENC("\xdf\xbf", "\xdf\xbf");		/* U+07FF, highest */
}

static void test_encode_keeps_three_byte_utf8(void **state)
{
	ENC("\xe2\x82\xac", "\xe2\x82\xac");	/* € */
	ENC("\xe0\xa0\x80", "\xe0\xa0\x80");	/* U+0800, lowest */
	ENC("\xed\x9f\xbf", "\xed\x9f\xbf");	/* U+D7FF, below surrogates */
	ENC("\xee\x80\x80", "\xee\x80\x80");	/* U+E000, above surrogates */
	ENC("\xef\xbf\xbf", "\xef\xbf\xbf");	/* U+FFFF */
}

static void test_encode_keeps_four_byte_utf8(void **state)
{
	ENC("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"); /* U+1F600 */
	ENC("\xf0\x90\x80\x80", "\xf0\x90\x80\x80"); /* U+10000, lowest */
	ENC("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf"); /* U+10FFFF, highest */
}

static void test_encode_escapes_byte_ff(void **state)
{
	ENC("a\xff" "b", "a\\xffb");
	ENC("\xfe", "\\xfe");
}

static void test_encode_escapes_lone_continuation_byte(void **state)
{
	ENC("\x80", "\\x80");
	ENC("x\xbfy", "x\\xbfy");
}

static void test_encode_escapes_latin1_byte_with_lowercase_hex(void **state)
{
	ENC("caf\xe9", "caf\\xe9");
	ENC("\xab\xcd", "\\xab\\xcd");
}

static void test_encode_escapes_each_byte_of_sequence_truncated_at_end(void **state)
{
	ENC("a\xc3", "a\\xc3");
	ENC("a\xe2\x82", "a\\xe2\\x82");
	ENC("a\xf0\x9f\x98", "a\\xf0\\x9f\\x98");
}

static void test_encode_escapes_sequence_interrupted_by_ascii(void **state)
{
	ENC("\xe2\x82" "A", "\\xe2\\x82A");
	ENC("\xc3" "A\xc3\xa9", "\\xc3A\xc3\xa9");
}

static void test_encode_escapes_overlong_forms(void **state)
{
	ENC("\xc0\x80", "\\xc0\\x80");		/* overlong NUL */
	ENC("\xc1\xbf", "\\xc1\\xbf");		/* overlong U+007F */
	ENC("\xe0\x80\x80", "\\xe0\\x80\\x80");
	ENC("\xe0\x9f\xbf", "\\xe0\\x9f\\xbf");	/* overlong U+07FF */
	ENC("\xf0\x80\x80\x80", "\\xf0\\x80\\x80\\x80");
	ENC("\xf0\x8f\xbf\xbf", "\\xf0\\x8f\\xbf\\xbf"); /* overlong U+FFFF */
}

static void test_encode_escapes_utf16_surrogates(void **state)
{
	ENC("\xed\xa0\x80", "\\xed\\xa0\\x80");	/* U+D800 */
	ENC("\xed\xbf\xbf", "\\xed\\xbf\\xbf");	/* U+DFFF */
}

static void test_encode_escapes_code_points_above_10ffff(void **state)
{
	ENC("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
	ENC("\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80");
}

static void test_encode_doubles_backslash(void **state)
{
	ENC("a\\b", "a\\\\b");
	ENC("\\\\", "\\\\\\\\");
}

static void test_encode_keeps_literal_escape_text_distinct_from_escape(void **state)
{
	/* A name that literally reads \xe9 must not decode as byte 0xe9. */
	ENC("\\xe9", "\\\\xe9");
}

static void test_round_trip_every_single_byte(void **state)
{
	for (unsigned int b = 0x01; b <= 0xff; b++) {
		unsigned char in = (unsigned char)b;
		char enc[8];
		unsigned char out[4];
		size_t len = pa_bytes_encode(enc, &in, 1);

		assert_int_equal(len, pa_bytes_encoded_len(&in, 1));
		assert_int_equal(pa_bytes_decode(out, sizeof(out), enc, len), 1);
		assert_int_equal(out[0], in);
	}
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Bytes that make interesting neighbours: lead bytes, continuations,
 * backslash, 'x' and hex digits (to mimic escapes), ASCII. */
static unsigned char interesting_byte(uint64_t *seed)
{
	static const unsigned char pool[] = { 'a', '/', '\\', 'x', 'e', '9', 0x7f, 0x80, 0xbf,
					      0xc2, 0xc3, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4,
					      0xf5, 0xff, 0x9f, 0xa0, 0x8f, 0x90, 0x01 };
	uint64_t r = xorshift(seed);

	return r & 1 ? (unsigned char)(r >> 8) : pool[(r >> 8) % sizeof(pool)];
}

static void test_round_trip_random_byte_strings(void **state)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	for (int iter = 0; iter < 20000; iter++) {
		unsigned char in[64], out[64];
		char enc[64 * 4 + 1];
		size_t n = xorshift(&seed) % sizeof(in), len;

		for (size_t i = 0; i < n; i++)
			in[i] = interesting_byte(&seed);
		len = pa_bytes_encode(enc, in, n);
		assert_int_equal(len, pa_bytes_encoded_len(in, n));
		assert_int_equal(enc[len], '\0');
		assert_true(unit_valid_utf8((const unsigned char *)enc, len));
		assert_int_equal(pa_bytes_decode(out, sizeof(out), enc, len), n);
		assert_memory_equal(out, in, n);
	}
}

static void assert_decode_rejects(const char *s)
{
	unsigned char out[64];

	assert_int_equal(pa_bytes_decode(out, sizeof(out), s, strlen(s)), -1);
}

static void test_decode_rejects_unknown_escape(void **state)
{
	assert_decode_rejects("a\\qb");
}

static void test_decode_rejects_short_hex_escape(void **state)
{
	assert_decode_rejects("a\\x4");
	assert_decode_rejects("\\x");
}

static void test_decode_rejects_non_hex_digits(void **state)
{
	assert_decode_rejects("\\xZZ");
	assert_decode_rejects("\\x4g");
}

static void test_decode_rejects_trailing_backslash(void **state)
{
	assert_decode_rejects("abc\\");
}

static void test_decode_reports_too_small_destination(void **state)
{
	unsigned char out[3];

	assert_int_equal(pa_bytes_decode(out, sizeof(out), "abcd", 4), -1);
	assert_int_equal(pa_bytes_decode(out, sizeof(out), "a\\xffb", 6), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_keeps_ascii),
		cmocka_unit_test(test_encode_keeps_two_byte_utf8),
		cmocka_unit_test(test_encode_keeps_three_byte_utf8),
		cmocka_unit_test(test_encode_keeps_four_byte_utf8),
		cmocka_unit_test(test_encode_escapes_byte_ff),
		cmocka_unit_test(test_encode_escapes_lone_continuation_byte),
		cmocka_unit_test(test_encode_escapes_latin1_byte_with_lowercase_hex),
		cmocka_unit_test(test_encode_escapes_each_byte_of_sequence_truncated_at_end),
		cmocka_unit_test(test_encode_escapes_sequence_interrupted_by_ascii),
		cmocka_unit_test(test_encode_escapes_overlong_forms),
		cmocka_unit_test(test_encode_escapes_utf16_surrogates),
		cmocka_unit_test(test_encode_escapes_code_points_above_10ffff),
		cmocka_unit_test(test_encode_doubles_backslash),
		cmocka_unit_test(test_encode_keeps_literal_escape_text_distinct_from_escape),
		cmocka_unit_test(test_round_trip_every_single_byte),
		cmocka_unit_test(test_round_trip_random_byte_strings),
		cmocka_unit_test(test_decode_rejects_unknown_escape),
		cmocka_unit_test(test_decode_rejects_short_hex_escape),
		cmocka_unit_test(test_decode_rejects_non_hex_digits),
		cmocka_unit_test(test_decode_rejects_trailing_backslash),
		cmocka_unit_test(test_decode_reports_too_small_destination),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
