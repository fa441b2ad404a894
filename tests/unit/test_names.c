// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The user/group name cache: one lookup per id, bounded, expiring. */
#include "unit.h"

#include "names.h"

static unsigned calls;

/* uid/gid 1000-1999 have names; the rest none. */
static int fake_lookup(enum pa_name_kind kind, uint32_t id, char *out, size_t outlen)
{
	calls++;
	if (id < 1000 || id >= 2000)
		return 0;
	snprintf(out, outlen, "%s%u", kind == PA_NAME_USER ? "user" : "group", id);
	return 1;
}

static struct pa_names *names_new(void)
{
	struct pa_names *n = malloc(sizeof(*n));

	assert_non_null(n);
	pa_names_init(n, fake_lookup);
	calls = 0;
	return n;
}

static void test_one_lookup_per_id(void **state)
{
	struct pa_names *n = names_new();

	for (int i = 0; i < 100; i++) {
		assert_string_equal(pa_name_of(n, PA_NAME_USER, 1001, 5), "user1001");
		assert_string_equal(pa_name_of(n, PA_NAME_GROUP, 1001, 5), "group1001");
	}
	assert_int_equal(calls, 2); /* users and groups are separate tables */
	assert_int_equal(n->hits, 198);
	free(n);
}

static void test_an_id_without_a_name_is_remembered(void **state)
{
	struct pa_names *n = names_new();

	assert_null(pa_name_of(n, PA_NAME_USER, 4242, 1));
	assert_null(pa_name_of(n, PA_NAME_USER, 4242, 2));
	assert_int_equal(calls, 1);
	free(n);
}

static void test_entries_expire(void **state)
{
	struct pa_names *n = names_new();

	pa_name_of(n, PA_NAME_USER, 1500, 0);
	pa_name_of(n, PA_NAME_USER, 1500, PA_NAMES_TTL_NS - 1);
	assert_int_equal(calls, 1);
	assert_string_equal(pa_name_of(n, PA_NAME_USER, 1500, PA_NAMES_TTL_NS), "user1500");
	assert_int_equal(calls, 2);
	free(n);
}

/* Many ids (a uid per container, say): memory stays bounded and every
 * answer stays right. */
static void test_many_ids_bounded_and_right(void **state)
{
	struct pa_names *n = names_new();
	char want[32];

	for (uint32_t id = 0; id < 20 * PA_NAMES_MAX; id++) {
		const char *got = pa_name_of(n, PA_NAME_USER, id, 1);

		if (id >= 1000 && id < 2000) {
			snprintf(want, sizeof(want), "user%u", id);
			assert_non_null(got);
			assert_string_equal(got, want);
		} else {
			assert_null(got);
		}
		assert_true(n->count[PA_NAME_USER] <= PA_NAMES_MAX * 3 / 4);
	}
	assert_int_equal(calls, 20 * PA_NAMES_MAX);
	/* and the table still answers from memory afterwards */
	calls = 0;
	pa_name_of(n, PA_NAME_USER, 20 * PA_NAMES_MAX - 1, 1);
	assert_int_equal(calls, 0);
	free(n);
}

/* The real NSS: uid 0 is root on every Linux system. */
static void test_nss_names_root(void **state)
{
	struct pa_names *n = malloc(sizeof(*n));

	assert_non_null(n);
	pa_names_init(n, NULL);
	assert_string_equal(pa_name_of(n, PA_NAME_USER, 0, 1), "root");
	assert_string_equal(pa_name_of(n, PA_NAME_GROUP, 0, 1), "root");
	assert_null(pa_name_of(n, PA_NAME_USER, 4000000000u, 1));
	free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_lookup_per_id),
		cmocka_unit_test(test_an_id_without_a_name_is_remembered),
		cmocka_unit_test(test_entries_expire),
		cmocka_unit_test(test_many_ids_bounded_and_right),
		cmocka_unit_test(test_nss_names_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
