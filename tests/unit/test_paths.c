// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * paths: leaf-first kernel names become root-first paths, user strings are
 * cleaned lexically, nothing is cut without the overflow flag, and the
 * route hash is the kernel's FNV-1a (include/phiaudit/pathhash.h).
 */
#include "unit.h"

#include "paths.h"

/* struct pa_path is 20 KiB: one per test, on the heap. */
static int setup_path(void **state)
{
	struct pa_path *p = calloc(1, sizeof(*p));

	*state = p;
	return p ? 0 : -1;
}

static int teardown_path(void **state)
{
	free(*state);
	return 0;
}

#define NAMES(lit) lit, sizeof(lit) - 1

static void assert_path(const struct pa_path *p, const char *want)
{
	assert_string_equal(p->s, want);
	assert_int_equal(p->len, strlen(want));
	assert_false(p->overflow);
}

static void test_append_names_reverses_leaf_first_list(void **state)
{
	struct pa_path *p = *state;

	pa_path_set(p, "", 0);
	pa_path_append_names(p, NAMES("c\0b\0a\0"));
	assert_path(p, "/a/b/c");
}

static void test_append_names_below_watch_path(void **state)
{
	struct pa_path *p = *state;

	pa_path_set(p, "/srv/phi", 8);
	pa_path_append_names(p, NAMES("chart.txt\0" "1234\0" "patients\0"));
	assert_path(p, "/srv/phi/patients/1234/chart.txt");
}

static void test_append_names_empty_list_appends_nothing(void **state)
{
	struct pa_path *p = *state;

	pa_path_set(p, "/srv/phi", 8);
	pa_path_append_names(p, "", 0);
	assert_path(p, "/srv/phi");
}

static void test_append_names_single_name(void **state)
{
	struct pa_path *p = *state;

	pa_path_set(p, "", 0);
	pa_path_append_names(p, NAMES("x.txt\0"));
	assert_path(p, "/x.txt");
}

static void test_append_names_without_final_nul(void **state)
{
	struct pa_path *p = *state;

	pa_path_set(p, "", 0);
	pa_path_append_names(p, NAMES("b\0a"));
	assert_path(p, "/a/b");
}

static void test_append_rel_adds_one_slash_and_the_text_as_given(void **state)
{
	struct pa_path *p = *state;

	pa_path_set(p, "/srv", 4);
	pa_path_append_rel(p, "a/../b", 6);
	assert_path(p, "/srv/a/../b");
}

static void assert_normalizes(struct pa_path *p, const char *in, const char *want)
{
	pa_path_set(p, in, strlen(in));
	pa_path_normalize(p);
	assert_path(p, want);
}

static void test_normalize_collapses_repeated_slashes(void **state)
{
	assert_normalizes(*state, "//srv///phi//a", "/srv/phi/a");
}

static void test_normalize_drops_dot_components(void **state)
{
	assert_normalizes(*state, "/srv/./phi/.", "/srv/phi");
}

static void test_normalize_dotdot_removes_previous_component(void **state)
{
	assert_normalizes(*state, "/srv/phi/../etc/x", "/srv/etc/x");
	assert_normalizes(*state, "/srv/phi/a/b/../../c", "/srv/phi/c");
}

static void test_normalize_dotdot_above_root_stays_at_root(void **state)
{
	assert_normalizes(*state, "/../../a", "/a");
	assert_normalizes(*state, "/a/../..", "/");
}

static void test_normalize_drops_trailing_slash(void **state)
{
	assert_normalizes(*state, "/srv/phi/", "/srv/phi");
}

static void test_normalize_empty_becomes_root(void **state)
{
	assert_normalizes(*state, "", "/");
	assert_normalizes(*state, "/", "/");
}

static void test_normalize_keeps_names_that_only_start_with_dots(void **state)
{
	assert_normalizes(*state, "/a/.../..b/.hidden", "/a/.../..b/.hidden");
}

static void test_base_off_points_after_last_slash(void **state)
{
	struct pa_path *p = *state;

	pa_path_set(p, "/srv/phi/chart.txt", 18);
	assert_int_equal(pa_path_base_off(p), strlen("/srv/phi/"));
	pa_path_set(p, "/", 1);
	assert_int_equal(pa_path_base_off(p), 1);
	pa_path_set(p, "chart.txt", 9);
	assert_int_equal(pa_path_base_off(p), 0);
}

static void test_full_buffer_without_overflow(void **state)
{
	struct pa_path *p = *state;
	char *s = malloc(PA_PATH_BUF);

	assert_non_null(s);
	memset(s, 'a', PA_PATH_BUF);
	pa_path_set(p, s, PA_PATH_BUF - 1);
	assert_false(p->overflow);
	assert_int_equal(p->len, PA_PATH_BUF - 1);
	assert_int_equal(p->s[PA_PATH_BUF - 1], '\0');
	free(s);
}

static void test_append_past_buffer_sets_overflow_and_truncates(void **state)
{
	struct pa_path *p = *state;
	char *s = malloc(PA_PATH_BUF);

	assert_non_null(s);
	memset(s, 'a', PA_PATH_BUF);
	pa_path_set(p, s, PA_PATH_BUF - 3);
	pa_path_append_names(p, NAMES("leaf\0"));
	assert_true(p->overflow);
	assert_int_equal(p->len, PA_PATH_BUF - 1);
	assert_int_equal(strlen(p->s), PA_PATH_BUF - 1);
	assert_memory_equal(p->s + PA_PATH_BUF - 3, "/l", 2);
	free(s);
}

static void test_overflow_stays_set_for_later_appends(void **state)
{
	struct pa_path *p = *state;
	char *s = malloc(PA_PATH_BUF + 10);

	assert_non_null(s);
	memset(s, 'a', PA_PATH_BUF + 10);
	pa_path_set(p, s, PA_PATH_BUF + 10);
	assert_true(p->overflow);
	pa_path_append_rel(p, "b", 1);
	assert_true(p->overflow);
	assert_int_equal(p->len, PA_PATH_BUF - 1);
	free(s);
}

static void test_set_clears_overflow(void **state)
{
	struct pa_path *p = *state;
	char *s = malloc(PA_PATH_BUF);

	assert_non_null(s);
	memset(s, 'a', PA_PATH_BUF);
	pa_path_set(p, s, PA_PATH_BUF);
	assert_true(p->overflow);
	pa_path_set(p, "/x", 2);
	assert_path(p, "/x");
	free(s);
}

static uint64_t fnv1a_by_hand(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

#define HASH(lit) pa_path_hash(lit, sizeof(lit) - 1)

static void test_hash_is_fnv1a_64_of_components_joined_by_slash(void **state)
{
	assert_true(HASH("phi/patients") == fnv1a_by_hand("phi/patients"));
	assert_true(HASH("phi/patients") == 0xd72b742f257d60f3ULL); /* pinned */
}

static void test_hash_ignores_empty_and_dot_components(void **state)
{
	assert_true(HASH("phi//./patients/") == HASH("phi/patients"));
	assert_true(HASH("./phi/patients") == HASH("phi/patients"));
	assert_true(HASH("/phi/patients") == HASH("phi/patients"));
}

static void test_hash_distinguishes_different_paths(void **state)
{
	assert_true(HASH("phi/patient") != HASH("phi/patients"));
	assert_true(HASH("phipatients") != HASH("phi/patients"));
	assert_true(HASH("patients/phi") != HASH("phi/patients"));
}

static void test_hash_of_empty_path_is_offset_basis(void **state)
{
	assert_true(HASH("") == 0xcbf29ce484222325ULL);
	assert_true(HASH("./") == 0xcbf29ce484222325ULL);
}

static void test_within_accepts_the_directory_and_below(void **state)
{
	struct pa_path *p = *state;

	pa_path_set(p, "/srv/phi", 8);
	assert_true(pa_path_within(p, "/srv/phi"));
	pa_path_set(p, "/srv/phi/a/b", 12);
	assert_true(pa_path_within(p, "/srv/phi"));
	assert_true(pa_path_within(p, "/srv/phi/"));
}

static void test_within_rejects_prefix_siblings_and_parents(void **state)
{
	struct pa_path *p = *state;

	pa_path_set(p, "/srv/phi2/a", 11);
	assert_false(pa_path_within(p, "/srv/phi"));
	pa_path_set(p, "/srv", 4);
	assert_false(pa_path_within(p, "/srv/phi"));
	pa_path_set(p, "/etc/shadow", 11);
	assert_false(pa_path_within(p, "/srv/phi"));
}

static void test_within_root_holds_every_absolute_path(void **state)
{
	struct pa_path *p = *state;

	pa_path_set(p, "/etc/shadow", 11);
	assert_true(pa_path_within(p, "/"));
	pa_path_set(p, "relative", 8);
	assert_false(pa_path_within(p, "/"));
}

static void test_prefix_len_counts_components(void **state)
{
	assert_int_equal(pa_prefix_len("/srv/phi", 0), 0);
	assert_int_equal(pa_prefix_len("/srv/phi", 1), 4);
	assert_int_equal(pa_prefix_len("/srv/phi", 2), 8);
	assert_int_equal(pa_prefix_len("/srv/phi", 5), 8);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup_path, teardown_path)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_append_names_reverses_leaf_first_list),
		T(test_append_names_below_watch_path),
		T(test_append_names_empty_list_appends_nothing),
		T(test_append_names_single_name),
		T(test_append_names_without_final_nul),
		T(test_append_rel_adds_one_slash_and_the_text_as_given),
		T(test_normalize_collapses_repeated_slashes),
		T(test_normalize_drops_dot_components),
		T(test_normalize_dotdot_removes_previous_component),
		T(test_normalize_dotdot_above_root_stays_at_root),
		T(test_normalize_drops_trailing_slash),
		T(test_normalize_empty_becomes_root),
		T(test_normalize_keeps_names_that_only_start_with_dots),
		T(test_base_off_points_after_last_slash),
		T(test_full_buffer_without_overflow),
		T(test_append_past_buffer_sets_overflow_and_truncates),
		T(test_overflow_stays_set_for_later_appends),
		T(test_set_clears_overflow),
		T(test_within_accepts_the_directory_and_below),
		T(test_within_rejects_prefix_siblings_and_parents),
		T(test_within_root_holds_every_absolute_path),
		cmocka_unit_test(test_hash_is_fnv1a_64_of_components_joined_by_slash),
		cmocka_unit_test(test_hash_ignores_empty_and_dot_components),
		cmocka_unit_test(test_hash_distinguishes_different_paths),
		cmocka_unit_test(test_hash_of_empty_path_is_offset_basis),
		cmocka_unit_test(test_prefix_len_counts_components),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
