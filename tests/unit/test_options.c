// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * options: the table gives the defaults; the command line fills the same
 * struct; every usage error fails (-1, exit 2) with a message that names
 * the option and the value (phiauditd(8), EXIT STATUS).
 */
#include "unit.h"

#include <getopt.h>
#include <unistd.h>

#include "log.h"
#include "options.h"

struct run {
	struct pa_options o;
	int rc;
	char out[8192]; /* what it printed on stdout */
	char err[2048]; /* ... and on stderr */
};

static void slurp(FILE *f, char *buf, size_t n)
{
	size_t got;

	rewind(f);
	got = fread(buf, 1, n - 1, f);
	buf[got] = '\0';
	fclose(f);
}

/* Defaults, then pa_options_parse(argv) with stdout and stderr captured. */
static void parse_argv(struct run *r, int argc, char **argv)
{
	FILE *out = tmpfile(), *err = tmpfile();
	int saved_out, saved_err;

	assert_non_null(out);
	assert_non_null(err);
	fflush(stdout);
	fflush(stderr);
	saved_out = dup(STDOUT_FILENO);
	saved_err = dup(STDERR_FILENO);
	dup2(fileno(out), STDOUT_FILENO);
	dup2(fileno(err), STDERR_FILENO);
	pa_options_defaults(&r->o);
	optind = 0; /* a fresh getopt scan */
	r->rc = pa_options_parse(&r->o, argc, argv);
	/* then what must hold of the effective options, as phiauditd does
	 * once the config files are in (no config file here) */
	if (r->rc == 0 && pa_options_check(&r->o))
		r->rc = -1;
	fflush(stdout);
	fflush(stderr);
	dup2(saved_out, STDOUT_FILENO);
	dup2(saved_err, STDERR_FILENO);
	close(saved_out);
	close(saved_err);
	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
}

#define PARSE(r, ...)                                                          \
	do {                                                                   \
		char *argv_[] = { "phiauditd", __VA_ARGS__, NULL };            \
		parse_argv(r, (int)ARRAY_LEN(argv_) - 1, argv_);               \
	} while (0)

static int setup(void **state)
{
	*state = calloc(1, sizeof(struct run));
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		print_error("'%s' not found in: %s\n", needle, hay);
		fail();
	}
}

/* Fails with exactly one stderr line naming what is given. */
static void assert_usage_error(const struct run *r, const char *name, const char *value)
{
	assert_int_equal(r->rc, -1);
	assert_contains(r->err, name);
	if (value)
		assert_contains(r->err, value);
	assert_non_null(strchr(r->err, '\n'));
	assert_string_equal(strchr(r->err, '\n'), "\n");
}

static const struct pa_option *option(const char *name)
{
	for (const struct pa_option *o = pa_option_table; o->name; o++)
		if (!strcmp(o->name, name))
			return o;
	fail_msg("no option %s", name);
	return NULL;
}

/* ---- defaults ---- */

static void test_defaults_are_the_documented_values(void **state)
{
	struct pa_options o;

	memset(&o, 0xa5, sizeof(o));
	pa_options_defaults(&o);
	assert_int_equal(o.watch.n, 0);
	assert_null(o.jsonl);
	assert_string_equal(o.log_dir, "/var/log/phiaudit");
	assert_int_equal(o.flush_interval_ms, 1000);
	assert_int_equal(o.rotate_size_mb, 64);
	assert_int_equal(o.rotate_age_h, 24);
	assert_int_equal(o.retain_days, 2190);
	assert_int_equal(o.retain_size_mb, 0);
	assert_int_equal(o.compress_level, 6);
	assert_false(o.init_key);
	assert_false(o.exit_on_write_error);
	assert_int_equal(o.ring_buffer_mb, 16);
	assert_int_equal(o.stats_interval_s, 1);
	assert_int_equal(o.hook, PA_HOOK_AUTO);
	assert_false(o.verbose);
}

static void test_defaults_are_the_table_defaults(void **state)
{
	/* Re-setting each option to its table default changes nothing. */
	struct pa_options o, again;
	char err[256];

	pa_options_defaults(&o);
	again = o;
	for (const struct pa_option *opt = pa_option_table; opt->name; opt++)
		if (opt->def)
			assert_int_equal(pa_option_set(&again, opt, opt->def, err, sizeof(err)), 0);
	assert_memory_equal(&o, &again, sizeof(o));
}

/* ---- values ---- */

static void test_watch_repeats_in_order(void **state)
{
	struct run *r = *state;

	PARSE(r, "--watch", "/srv/phi", "--watch", "/var/lib/ehr");
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->o.watch.n, 2);
	assert_string_equal(r->o.watch.v[0], "/srv/phi");
	assert_string_equal(r->o.watch.v[1], "/var/lib/ehr");
}

static void test_watch_short_form_and_equals_form(void **state)
{
	struct run *r = *state;

	PARSE(r, "-w", "/a", "-w/b", "--watch=/c");
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->o.watch.n, 3);
	assert_string_equal(r->o.watch.v[0], "/a");
	assert_string_equal(r->o.watch.v[1], "/b");
	assert_string_equal(r->o.watch.v[2], "/c");
}

static void test_jsonl_short_form_sets_the_path(void **state)
{
	struct run *r = *state;

	PARSE(r, "-o", "/var/log/phiaudit/open.jsonl");
	assert_int_equal(r->rc, 0);
	assert_string_equal(r->o.jsonl, "/var/log/phiaudit/open.jsonl");
}

static void test_ring_buffer_mb_accepts_powers_of_two_1_to_1024(void **state)
{
	struct run *r = *state;

	PARSE(r, "--ring-buffer-mb", "1");
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->o.ring_buffer_mb, 1);
	PARSE(r, "--ring-buffer-mb=1024");
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->o.ring_buffer_mb, 1024);
}

static void test_long_option_may_be_abbreviated(void **state)
{
	struct run *r = *state;

	PARSE(r, "--ring=64", "--stats", "30");
	assert_int_equal(r->rc, 0);
	assert_int_equal(r->o.ring_buffer_mb, 64);
	assert_int_equal(r->o.stats_interval_s, 30);
}

static void test_hook_accepts_each_kind(void **state)
{
	static const char *const kinds[] = { "auto", "tp_btf", "raw_tp", "tracepoint" };
	static const enum pa_hook_backend want[] = { PA_HOOK_AUTO, PA_HOOK_TP_BTF, PA_HOOK_RAW_TP,
						     PA_HOOK_TRACEPOINT };
	struct run *r = *state;

	for (size_t i = 0; i < ARRAY_LEN(kinds); i++) {
		PARSE(r, "--hook", (char *)kinds[i]);
		assert_int_equal(r->rc, 0);
		assert_int_equal(r->o.hook, want[i]);
	}
}

static void test_verbose_flag_sets_verbose(void **state)
{
	struct run *r = *state;

	PARSE(r, "-v");
	assert_int_equal(r->rc, 0);
	assert_true(r->o.verbose);
	assert_true(pa_verbose);
	pa_verbose = false;
}

/* ---- usage errors ---- */

static void test_ring_buffer_mb_zero_is_out_of_range(void **state)
{
	PARSE((struct run *)*state, "--ring-buffer-mb", "0");
	assert_usage_error(*state, "--ring-buffer-mb", "0");
	assert_contains(((struct run *)*state)->err, "1-1024");
}

static void test_ring_buffer_mb_2048_is_out_of_range(void **state)
{
	PARSE((struct run *)*state, "--ring-buffer-mb", "2048");
	assert_usage_error(*state, "--ring-buffer-mb", "2048");
	assert_contains(((struct run *)*state)->err, "1-1024");
}

static void test_ring_buffer_mb_3_is_not_a_power_of_two(void **state)
{
	PARSE((struct run *)*state, "--ring-buffer-mb", "3");
	assert_usage_error(*state, "--ring-buffer-mb", "3");
	assert_contains(((struct run *)*state)->err, "power of two");
}

static void test_ring_buffer_mb_rejects_non_numbers(void **state)
{
	struct run *r = *state;

	PARSE(r, "--ring-buffer-mb", "abc");
	assert_usage_error(r, "--ring-buffer-mb", "'abc'");
	PARSE(r, "--ring-buffer-mb", "-1");
	assert_usage_error(r, "--ring-buffer-mb", "'-1'");
	PARSE(r, "--ring-buffer-mb", "16k");
	assert_usage_error(r, "--ring-buffer-mb", "'16k'");
}

static void test_ring_buffer_mb_rejects_empty_value(void **state)
{
	PARSE((struct run *)*state, "--ring-buffer-mb=");
	assert_usage_error(*state, "--ring-buffer-mb", "''");
}

static void test_stats_interval_range_is_1_to_3600(void **state)
{
	struct run *r = *state;

	PARSE(r, "--stats-interval", "3600");
	assert_int_equal(r->rc, 0);
	PARSE(r, "--stats-interval", "0");
	assert_usage_error(r, "--stats-interval", "0");
	PARSE(r, "--stats-interval", "3601");
	assert_usage_error(r, "--stats-interval", "3601");
}

static void test_hook_unknown_kind_names_the_choices(void **state)
{
	struct run *r = *state;

	PARSE(r, "--hook", "kprobe");
	assert_usage_error(r, "--hook", "kprobe");
	assert_contains(r->err, "auto tp_btf raw_tp tracepoint");
}

static void test_unknown_long_option_fails_naming_it(void **state)
{
	PARSE((struct run *)*state, "--watch", "/a", "--bogus");
	assert_usage_error(*state, "--bogus", NULL);
}

static void test_unknown_short_option_fails_naming_it(void **state)
{
	PARSE((struct run *)*state, "-x");
	assert_usage_error(*state, "-x", NULL);
}

static void test_missing_value_for_short_option_names_it(void **state)
{
	PARSE((struct run *)*state, "-w");
	assert_usage_error(*state, "-w", NULL);
	assert_contains(((struct run *)*state)->err, "missing value");
}

static void test_missing_value_for_long_option_names_it(void **state)
{
	PARSE((struct run *)*state, "--ring-buffer-mb");
	assert_usage_error(*state, "--ring-buffer-mb", NULL);
	assert_contains(((struct run *)*state)->err, "missing value");
}

static void test_empty_watch_fails(void **state)
{
	PARSE((struct run *)*state, "--watch", "");
	assert_usage_error(*state, "--watch", "empty");
}

static void test_stray_positional_argument_fails_naming_it(void **state)
{
	PARSE((struct run *)*state, "--watch", "/a", "/srv/phi");
	assert_usage_error(*state, "'/srv/phi'", NULL);
}

/* ---- --help, --version ---- */

static void test_help_returns_1_and_prints_usage_with_examples(void **state)
{
	struct run *r = *state;

	PARSE(r, "--help");
	assert_int_equal(r->rc, 1);
	assert_contains(r->out, "Usage: phiauditd");
	assert_contains(r->out, "--ring-buffer-mb MB");
	assert_contains(r->out, "Examples:");
	assert_string_equal(r->err, "");
}

static void test_short_h_is_help(void **state)
{
	struct run *r = *state;

	PARSE(r, "-w", "/a", "-h");
	assert_int_equal(r->rc, 1);
	assert_contains(r->out, "Usage: phiauditd");
}

static void test_version_returns_1_and_prints_it(void **state)
{
	struct run *r = *state;

	PARSE(r, "--version");
	assert_int_equal(r->rc, 1);
	assert_string_equal(r->out, "phiauditd 0.1.0\n");
}

/* ---- pa_option_set ---- */

static void test_option_set_error_names_option_and_value(void **state)
{
	struct pa_options o;
	char err[256] = "";

	pa_options_defaults(&o);
	assert_int_equal(pa_option_set(&o, option("ring-buffer-mb"), "lots", err, sizeof(err)),
			 -1);
	assert_contains(err, "--ring-buffer-mb");
	assert_contains(err, "'lots'");
	assert_int_equal(o.ring_buffer_mb, 16); /* unchanged */
}

static void test_option_set_refuses_more_than_max_watches(void **state)
{
	struct pa_options o;
	char err[256] = "";

	pa_options_defaults(&o);
	for (int i = 0; i < PA_MAX_CLI_WATCHES; i++)
		assert_int_equal(pa_option_set(&o, option("watch"), "/d", err, sizeof(err)), 0);
	assert_int_equal(pa_option_set(&o, option("watch"), "/d", err, sizeof(err)), -1);
	assert_contains(err, "--watch");
	assert_contains(err, "256");
	assert_int_equal(o.watch.n, PA_MAX_CLI_WATCHES);
}

static void test_option_set_enum_error_fits_small_buffer(void **state)
{
	struct pa_options o;
	char err[24];

	pa_options_defaults(&o);
	assert_int_equal(pa_option_set(&o, option("hook"), "nope", err, sizeof(err)), -1);
	assert_int_equal(strlen(err), sizeof(err) - 1);
	assert_memory_equal(err, "--hook: 'nope'", 14);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_are_the_documented_values),
		cmocka_unit_test(test_defaults_are_the_table_defaults),
		T(test_watch_repeats_in_order),
		T(test_watch_short_form_and_equals_form),
		T(test_jsonl_short_form_sets_the_path),
		T(test_ring_buffer_mb_accepts_powers_of_two_1_to_1024),
		T(test_long_option_may_be_abbreviated),
		T(test_hook_accepts_each_kind),
		T(test_verbose_flag_sets_verbose),
		T(test_ring_buffer_mb_zero_is_out_of_range),
		T(test_ring_buffer_mb_2048_is_out_of_range),
		T(test_ring_buffer_mb_3_is_not_a_power_of_two),
		T(test_ring_buffer_mb_rejects_non_numbers),
		T(test_ring_buffer_mb_rejects_empty_value),
		T(test_stats_interval_range_is_1_to_3600),
		T(test_hook_unknown_kind_names_the_choices),
		T(test_unknown_long_option_fails_naming_it),
		T(test_unknown_short_option_fails_naming_it),
		T(test_missing_value_for_short_option_names_it),
		T(test_missing_value_for_long_option_names_it),
		T(test_empty_watch_fails),
		T(test_stray_positional_argument_fails_naming_it),
		T(test_help_returns_1_and_prints_usage_with_examples),
		T(test_short_h_is_help),
		T(test_version_returns_1_and_prints_it),
		cmocka_unit_test(test_option_set_error_names_option_and_value),
		cmocka_unit_test(test_option_set_refuses_more_than_max_watches),
		cmocka_unit_test(test_option_set_enum_error_fits_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
