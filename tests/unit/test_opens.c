// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * opens: the table of opens whose reads are counted, by open_seq. What was
 * put is found until it is deleted or replaced, whatever else was put or
 * deleted around it: growth rehashes every entry, and backward-shift
 * deletion keeps every probe chain unbroken (clusters that wrap around
 * the end of the slot array included). Its byte count is exact.
 */
#include "unit.h"

#include <stdbool.h>

#include "opens.h"

/* The table's first capacity (opens.c grow). */
#define FIRST_CAP 1024

struct fx {
	struct pa_opens t; /* zeroed: an empty table, as the agent starts */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	*state = f;
	return 0;
}

/* Frees whatever a test left in the table: ASan reports any leak. */
static int teardown(void **state)
{
	struct fx *f = *state;

	pa_opens_free(&f->t);
	free(f);
	return 0;
}

/* What an entry costs (opens.h: bytes counts the entries' memory). */
static size_t entry_bytes(size_t path_len)
{
	return sizeof(struct pa_open_info) + path_len + 1;
}

/* Each key gets its own path and watch, so a mix-up shows. */
static size_t path_of(uint64_t key, char *buf, size_t n)
{
	return (size_t)snprintf(buf, n, "/srv/phi/patients/%llu.txt", (unsigned long long)key);
}

static void put(struct pa_opens *t, uint64_t key)
{
	char path[64];
	size_t len = path_of(key, path, sizeof(path));

	assert_int_equal(pa_opens_put(t, key, (uint32_t)(key % 7) + 1, 0100640, path, len), 0);
}

static void assert_found(const struct pa_opens *t, uint64_t key)
{
	const struct pa_open_info *o = pa_opens_get(t, key);
	char path[64];
	size_t len = path_of(key, path, sizeof(path));

	if (!o) {
		print_error("open_seq %llu not found\n", (unsigned long long)key);
		fail();
	}
	assert_int_equal(o->open_seq, key);
	assert_int_equal(o->watch_id, (uint32_t)(key % 7) + 1);
	assert_int_equal(o->path_len, len);
	assert_string_equal(o->path, path);
}

static void assert_missing(const struct pa_opens *t, uint64_t key)
{
	if (pa_opens_get(t, key)) {
		print_error("open_seq %llu found after its delete\n", (unsigned long long)key);
		fail();
	}
}

/* Every stored entry is reachable from its home slot, and n counts them. */
static void assert_every_slot_reachable(const struct pa_opens *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->cap; i++) {
		if (!t->slot[i])
			continue;
		n++;
		assert_ptr_equal(pa_opens_get(t, t->slot[i]->open_seq), t->slot[i]);
	}
	assert_int_equal(n, t->n);
}

/* The home slot opens.c gives a key: Fibonacci hashing. The layout tests
 * below check the table really puts keys there. */
static size_t home_of(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

/* The skip-th key (from 0) above 0 whose home slot is h in a table of cap. */
static uint64_t key_with_home(size_t h, size_t cap, int skip)
{
	for (uint64_t k = 1;; k++)
		if (home_of(k, cap) == h && skip-- == 0)
			return k;
}

/* ---- put, get, del ---- */

static void test_get_on_empty_table_is_null(void **state)
{
	struct fx *f = *state;

	assert_null(pa_opens_get(&f->t, 77));
	assert_null(pa_opens_get(&f->t, 0));
}

static void test_del_on_empty_table_returns_0(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pa_opens_del(&f->t, 77), 0);
	assert_int_equal(f->t.n, 0);
}

static void test_put_then_get_returns_a_copy_of_the_entry(void **state)
{
	struct fx *f = *state;
	char path[] = "/srv/phi/chart.txt";
	const struct pa_open_info *o;

	assert_int_equal(pa_opens_put(&f->t, 77, 3, 0100640, path, strlen(path)), 0);
	path[0] = 'X'; /* the caller's buffer is reused for the next record */
	o = pa_opens_get(&f->t, 77);
	assert_non_null(o);
	assert_int_equal(o->open_seq, 77);
	assert_int_equal(o->watch_id, 3);
	assert_int_equal(o->file_mode, 0100640);
	assert_int_equal(o->path_len, strlen("/srv/phi/chart.txt"));
	assert_string_equal(o->path, "/srv/phi/chart.txt");
	assert_int_equal(f->t.n, 1);
}

static void test_put_copies_path_len_bytes_and_terminates_them(void **state)
{
	struct fx *f = *state;
	const struct pa_open_info *o;

	assert_int_equal(pa_opens_put(&f->t, 1, 1, 0, "/srv/phi/a.txtGARBAGE", 14), 0);
	o = pa_opens_get(&f->t, 1);
	assert_non_null(o);
	assert_int_equal(o->path_len, 14);
	assert_string_equal(o->path, "/srv/phi/a.txt");
}

static void test_get_of_missing_key_is_null(void **state)
{
	struct fx *f = *state;

	put(&f->t, 77);
	assert_null(pa_opens_get(&f->t, 78));
	assert_null(pa_opens_get(&f->t, 76));
}

static void test_del_removes_the_entry_and_returns_1(void **state)
{
	struct fx *f = *state;

	put(&f->t, 77);
	put(&f->t, 78);
	assert_int_equal(pa_opens_del(&f->t, 77), 1);
	assert_missing(&f->t, 77);
	assert_found(&f->t, 78);
	assert_int_equal(f->t.n, 1);
}

static void test_del_of_missing_key_returns_0_and_keeps_the_rest(void **state)
{
	struct fx *f = *state;

	put(&f->t, 77);
	assert_int_equal(pa_opens_del(&f->t, 78), 0);
	assert_int_equal(pa_opens_del(&f->t, 77), 1);
	assert_int_equal(pa_opens_del(&f->t, 77), 0); /* a second delete */
	assert_int_equal(f->t.n, 0);
}

static void test_put_with_same_key_replaces_the_entry(void **state)
{
	struct fx *f = *state;
	const struct pa_open_info *o;

	assert_int_equal(pa_opens_put(&f->t, 77, 1, 0100640, "/srv/phi/old.txt", 16), 0);
	assert_int_equal(pa_opens_put(&f->t, 77, 2, 040750, "/srv/phi/new-dir", 16), 0);
	o = pa_opens_get(&f->t, 77);
	assert_non_null(o);
	assert_int_equal(o->watch_id, 2);
	assert_int_equal(o->file_mode, 040750);
	assert_string_equal(o->path, "/srv/phi/new-dir");
	assert_int_equal(f->t.n, 1);
	assert_int_equal(pa_opens_del(&f->t, 77), 1);
	assert_missing(&f->t, 77); /* no older copy left behind */
}

static void test_key_0_and_max_are_ordinary_keys(void **state)
{
	struct fx *f = *state;

	put(&f->t, 0);
	put(&f->t, UINT64_MAX);
	assert_found(&f->t, 0);
	assert_found(&f->t, UINT64_MAX);
	assert_int_equal(pa_opens_del(&f->t, 0), 1);
	assert_missing(&f->t, 0);
	assert_found(&f->t, UINT64_MAX);
}

/* ---- byte accounting ---- */

static void test_bytes_count_each_entry_and_its_path(void **state)
{
	struct fx *f = *state;

	assert_int_equal(f->t.bytes, 0);
	assert_int_equal(pa_opens_put(&f->t, 1, 1, 0, "/a", 2), 0);
	assert_int_equal(f->t.bytes, entry_bytes(2));
	assert_int_equal(pa_opens_put(&f->t, 2, 1, 0, "/srv/b", 6), 0);
	assert_int_equal(f->t.bytes, entry_bytes(2) + entry_bytes(6));
}

static void test_bytes_follow_a_replaced_path(void **state)
{
	struct fx *f = *state;

	assert_int_equal(pa_opens_put(&f->t, 1, 1, 0, "/a", 2), 0);
	assert_int_equal(pa_opens_put(&f->t, 1, 1, 0, "/srv/phi/longer", 15), 0);
	assert_int_equal(f->t.bytes, entry_bytes(15));
	assert_int_equal(pa_opens_put(&f->t, 1, 1, 0, "/", 1), 0);
	assert_int_equal(f->t.bytes, entry_bytes(1));
}

static void test_bytes_return_to_0_after_deleting_everything(void **state)
{
	struct fx *f = *state;

	for (uint64_t k = 1; k <= 5000; k++) /* past two growths */
		put(&f->t, k);
	put(&f->t, 10); /* a replacement on the way */
	assert_true(f->t.bytes > 0);
	for (uint64_t k = 1; k <= 5000; k++)
		assert_int_equal(pa_opens_del(&f->t, k), 1);
	assert_int_equal(f->t.n, 0);
	assert_int_equal(f->t.bytes, 0);
}

/* ---- growth and deletion at scale ---- */

static void test_100000_opens_then_every_other_deleted(void **state)
{
	struct fx *f = *state;
	const uint64_t n = 100000, base = 1000; /* dense, as open_seq is */

	for (uint64_t k = base; k < base + n; k++)
		put(&f->t, k);
	assert_int_equal(f->t.n, n);
	assert_true(f->t.n * 4 <= f->t.cap * 3); /* grew, and stays 3/4 full */
	for (uint64_t k = base; k < base + n; k += 2)
		assert_int_equal(pa_opens_del(&f->t, k), 1);
	assert_int_equal(f->t.n, n / 2);
	for (uint64_t k = base; k < base + n; k++) {
		if ((k - base) % 2)
			assert_found(&f->t, k);
		else
			assert_missing(&f->t, k);
	}
	assert_every_slot_reachable(&f->t);
}

/* Keys spread over all 64 bits (splitmix64): unlike dense sequence
 * numbers, which the hash spreads evenly, they form long clusters. */
static uint64_t scattered_key(uint64_t j)
{
	uint64_t z = j + 0x9E3779B97F4A7C15ull;

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Does the cluster at slot 0 hold an entry homed before the end of the
 * array, i.e. one that wrapped around? */
static bool cluster_wraps(const struct pa_opens *t)
{
	for (size_t i = 0; i < t->cap && t->slot[i]; i++)
		if (home_of(t->slot[i]->open_seq, t->cap) > i)
			return true;
	return false;
}

/*
 * Random puts and deletes of scattered keys, against a plain array:
 * deletions land in every position of every cluster, wrapped ones too.
 */
static void test_random_puts_and_deletes_agree_with_a_model(void **state)
{
	enum { KEYS = 1000, OPS = 200000 };
	struct fx *f = *state;
	static bool present[KEYS];
	uint64_t x = 88172645463325252ull; /* xorshift64 */
	size_t n = 0, bytes = 0, wrapped_dels = 0;
	char path[64];

	memset(present, 0, sizeof(present));
	for (int op = 0; op < OPS; op++) {
		uint64_t j, k;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		j = x % KEYS;
		k = scattered_key(j);
		if (x >> 63) {
			if (!present[j])
				n++, bytes += entry_bytes(path_of(k, path, sizeof(path)));
			present[j] = true;
			put(&f->t, k);
		} else {
			wrapped_dels += present[j] && cluster_wraps(&f->t);
			assert_int_equal(pa_opens_del(&f->t, k), present[j]);
			if (present[j])
				n--, bytes -= entry_bytes(path_of(k, path, sizeof(path)));
			present[j] = false;
		}
		assert_int_equal(f->t.n, n);
		assert_int_equal(f->t.bytes, bytes);
		if (op % 5000 != 0)
			continue;
		for (uint64_t i = 0; i < KEYS; i++) {
			if (present[i])
				assert_found(&f->t, scattered_key(i));
			else
				assert_missing(&f->t, scattered_key(i));
		}
	}
	assert_every_slot_reachable(&f->t);
	assert_true(wrapped_dels > 0); /* the case this test is for happened */
}

/* ---- collisions and backward shift, slot by slot ---- */

static void test_keys_with_one_home_fill_consecutive_slots(void **state)
{
	struct fx *f = *state;
	const size_t h = 100;
	uint64_t k[3];

	for (int i = 0; i < 3; i++) {
		k[i] = key_with_home(h, FIRST_CAP, i);
		put(&f->t, k[i]);
	}
	assert_int_equal(f->t.cap, FIRST_CAP);
	for (int i = 0; i < 3; i++)
		assert_int_equal(f->t.slot[h + i]->open_seq, k[i]);
	for (int i = 0; i < 3; i++)
		assert_found(&f->t, k[i]);
}

static void test_deleting_head_of_collision_chain_keeps_the_rest(void **state)
{
	struct fx *f = *state;
	const size_t h = 200;
	uint64_t k[4];

	for (int i = 0; i < 4; i++) {
		k[i] = key_with_home(h, FIRST_CAP, i);
		put(&f->t, k[i]);
	}
	assert_int_equal(pa_opens_del(&f->t, k[0]), 1);
	/* Shifted back one slot each: no hole at their home. */
	for (int i = 1; i < 4; i++)
		assert_int_equal(f->t.slot[h + i - 1]->open_seq, k[i]);
	assert_null(f->t.slot[h + 3]);
	assert_int_equal(pa_opens_del(&f->t, k[2]), 1);
	assert_found(&f->t, k[1]);
	assert_found(&f->t, k[3]);
	assert_missing(&f->t, k[0]);
	assert_missing(&f->t, k[2]);
	assert_every_slot_reachable(&f->t);
}

static void test_entry_at_its_home_is_not_pulled_into_earlier_hole(void **state)
{
	/* A@h, B@h+1 and C@h+2 both homed at h+1: deleting A moves neither. */
	struct fx *f = *state;
	const size_t h = 300;
	uint64_t a = key_with_home(h, FIRST_CAP, 0);
	uint64_t b = key_with_home(h + 1, FIRST_CAP, 0);
	uint64_t c = key_with_home(h + 1, FIRST_CAP, 1);

	put(&f->t, a);
	put(&f->t, b);
	put(&f->t, c);
	assert_int_equal(pa_opens_del(&f->t, a), 1);
	assert_null(f->t.slot[h]);
	assert_int_equal(f->t.slot[h + 1]->open_seq, b);
	assert_int_equal(f->t.slot[h + 2]->open_seq, c);
	assert_found(&f->t, b);
	assert_found(&f->t, c);
}

static void test_shift_skips_an_entry_that_cannot_move(void **state)
{
	/* A@h, B@h+1 (home h+1), C@h+2 (home h): deleting A leaves B and
	 * pulls C past it into A's slot. */
	struct fx *f = *state;
	const size_t h = 400;
	uint64_t a = key_with_home(h, FIRST_CAP, 0);
	uint64_t b = key_with_home(h + 1, FIRST_CAP, 0);
	uint64_t c = key_with_home(h, FIRST_CAP, 1);

	put(&f->t, a);
	put(&f->t, b);
	put(&f->t, c);
	assert_int_equal(f->t.slot[h + 2]->open_seq, c);
	assert_int_equal(pa_opens_del(&f->t, a), 1);
	assert_int_equal(f->t.slot[h]->open_seq, c);
	assert_int_equal(f->t.slot[h + 1]->open_seq, b);
	assert_null(f->t.slot[h + 2]);
	assert_found(&f->t, b);
	assert_found(&f->t, c);
}

static void test_cluster_wrapping_past_the_last_slot_shifts_back_across(void **state)
{
	/* Three keys homed at the last slot and one homed at slot 0:
	 *   [0]=B [1]=C [2]=D ... [cap-1]=A
	 * Deleting A pulls B across the end, then C and D after it. */
	struct fx *f = *state;
	const size_t last = FIRST_CAP - 1;
	uint64_t a = key_with_home(last, FIRST_CAP, 0);
	uint64_t b = key_with_home(last, FIRST_CAP, 1);
	uint64_t c = key_with_home(last, FIRST_CAP, 2);
	uint64_t d = key_with_home(0, FIRST_CAP, 0);

	put(&f->t, a);
	put(&f->t, b);
	put(&f->t, c);
	put(&f->t, d);
	assert_int_equal(f->t.cap, FIRST_CAP);
	assert_int_equal(f->t.slot[last]->open_seq, a);
	assert_int_equal(f->t.slot[0]->open_seq, b);
	assert_int_equal(f->t.slot[1]->open_seq, c);
	assert_int_equal(f->t.slot[2]->open_seq, d);
	assert_int_equal(pa_opens_del(&f->t, a), 1);
	assert_int_equal(f->t.slot[last]->open_seq, b);
	assert_int_equal(f->t.slot[0]->open_seq, c);
	assert_int_equal(f->t.slot[1]->open_seq, d);
	assert_null(f->t.slot[2]);
	assert_int_equal(pa_opens_del(&f->t, c), 1);
	assert_int_equal(f->t.slot[0]->open_seq, d); /* D back at its home */
	assert_found(&f->t, b);
	assert_found(&f->t, d);
	assert_missing(&f->t, a);
	assert_missing(&f->t, c);
}

static void test_growth_keeps_colliding_keys(void **state)
{
	struct fx *f = *state;
	uint64_t k[8];

	for (int i = 0; i < 8; i++) {
		k[i] = key_with_home(FIRST_CAP - 1, FIRST_CAP, i);
		put(&f->t, k[i]);
	}
	for (uint64_t j = 1; f->t.cap == FIRST_CAP; j++)
		put(&f->t, 1000000 + j);
	for (int i = 0; i < 8; i++)
		assert_found(&f->t, k[i]);
	assert_every_slot_reachable(&f->t);
}

/* ---- free ---- */

static void test_free_of_empty_table_leaves_it_empty(void **state)
{
	struct fx *f = *state;

	pa_opens_free(&f->t);
	assert_null(f->t.slot);
	assert_int_equal(f->t.cap, 0);
	assert_null(pa_opens_get(&f->t, 1));
}

static void test_free_of_full_table_frees_all_and_can_be_reused(void **state)
{
	struct fx *f = *state;

	for (uint64_t k = 1; k <= 3000; k++)
		put(&f->t, k);
	pa_opens_free(&f->t);
	assert_null(f->t.slot);
	assert_int_equal(f->t.n, 0);
	assert_int_equal(f->t.bytes, 0);
	assert_null(pa_opens_get(&f->t, 1));
	put(&f->t, 1);
	assert_found(&f->t, 1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_get_on_empty_table_is_null),
		T(test_del_on_empty_table_returns_0),
		T(test_put_then_get_returns_a_copy_of_the_entry),
		T(test_put_copies_path_len_bytes_and_terminates_them),
		T(test_get_of_missing_key_is_null),
		T(test_del_removes_the_entry_and_returns_1),
		T(test_del_of_missing_key_returns_0_and_keeps_the_rest),
		T(test_put_with_same_key_replaces_the_entry),
		T(test_key_0_and_max_are_ordinary_keys),
		T(test_bytes_count_each_entry_and_its_path),
		T(test_bytes_follow_a_replaced_path),
		T(test_bytes_return_to_0_after_deleting_everything),
		T(test_100000_opens_then_every_other_deleted),
		T(test_random_puts_and_deletes_agree_with_a_model),
		T(test_keys_with_one_home_fill_consecutive_slots),
		T(test_deleting_head_of_collision_chain_keeps_the_rest),
		T(test_entry_at_its_home_is_not_pulled_into_earlier_hole),
		T(test_shift_skips_an_entry_that_cannot_move),
		T(test_cluster_wrapping_past_the_last_slot_shifts_back_across),
		T(test_growth_keeps_colliding_keys),
		T(test_free_of_empty_table_leaves_it_empty),
		T(test_free_of_full_table_frees_all_and_can_be_reused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
