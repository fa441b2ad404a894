// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * detect_config: the "detection" section. What it leaves out keeps the
 * defaults; what it sets is read exactly (windows as durations, bytes as
 * sizes); every mistake is an error naming the file, line, column and key.
 */
#include "unit.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include "detect_config.h"

#define SEC 1000000000ull
#define MiB (1ull << 20)

struct fx {
	struct pa_conf *c;
	struct pa_det_config cfg;
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	if (!x || !(x->c = pa_conf_new(getuid())))
		return -1;
	pa_det_config_defaults(&x->cfg);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	pa_det_config_free(&x->cfg);
	pa_conf_free(x->c);
	free(x);
	return 0;
}

/* Parse @text as "t.conf" and read its detection section. */
static int read_text(struct fx *x, const char *text)
{
	int rc = pa_conf_load_buffer(x->c, "t.conf", text, strlen(text));

	return rc ? rc : pa_det_config_read(x->c, pa_conf_root(x->c), &x->cfg);
}

static void no_section_keeps_the_defaults(void **state)
{
	struct fx *x = *state;
	struct pa_det_config def;

	pa_det_config_defaults(&def);
	assert_int_equal(read_text(x, "{}"), 0);
	assert_memory_equal(x->cfg.scope, def.scope, sizeof(def.scope));
	assert_true(x->cfg.enabled);
	assert_int_equal(x->cfg.scope[PA_DET_PROCESS].files, 100);
	assert_int_equal(x->cfg.scope[PA_DET_PROCESS].bytes, 500 * MiB);
	assert_int_equal(x->cfg.scope[PA_DET_PROCESS].window_ns, 60 * SEC);
}

static void every_setting_is_read(void **state)
{
	struct fx *x = *state;

	assert_int_equal(read_text(x, "{ \"detection\": {\n"
				      "  // a comment\n"
				      "  \"sample_paths\": 5, \"max_subjects\": 1000,\n"
				      "  \"scopes\": {\n"
				      "    \"process\": { \"window\": \"2m\", \"files\": 50, \"bytes\": \"1GiB\" },\n"
				      "    \"user\": { \"enabled\": false },\n"
				      "    \"file\": { \"window\": 30, \"bytes\": \"64MiB\" } },\n"
				      "  \"allow\": [ { \"name\": \"nightly backup\", \"exe\": \"/usr/bin/tar\",\n"
				      "    \"user\": \"backup\", \"hours\": \"22:30-04:00\",\n"
				      "    \"scopes\": [\"process\", \"user\"] } ] } }"),
			 0);
	assert_int_equal(x->cfg.sample_paths, 5);
	assert_int_equal(x->cfg.max_subjects, 1000);
	assert_int_equal(x->cfg.scope[PA_DET_PROCESS].window_ns, 120 * SEC);
	assert_int_equal(x->cfg.scope[PA_DET_PROCESS].files, 50);
	assert_int_equal(x->cfg.scope[PA_DET_PROCESS].bytes, 1024 * MiB);
	assert_false(x->cfg.scope[PA_DET_USER].enabled);
	assert_int_equal(x->cfg.scope[PA_DET_FILE].window_ns, 30 * SEC);
	assert_int_equal(x->cfg.scope[PA_DET_FILE].bytes, 64 * MiB);
	/* untouched scopes keep their defaults */
	assert_int_equal(x->cfg.scope[PA_DET_SESSION].files, 200);
	assert_int_equal(x->cfg.n_allow, 1);
	assert_string_equal(x->cfg.allow[0].name, "nightly backup");
	assert_string_equal(x->cfg.allow[0].exe, "/usr/bin/tar");
	assert_string_equal(x->cfg.allow[0].user, "backup");
	assert_int_equal(x->cfg.allow[0].from_min, 22 * 60 + 30);
	assert_int_equal(x->cfg.allow[0].to_min, 4 * 60);
	assert_int_equal(x->cfg.allow[0].scopes, (1u << PA_DET_PROCESS) | (1u << PA_DET_USER));
}

static void a_window_of_zero_names_the_key(void **state)
{
	struct fx *x = *state;

	assert_int_equal(read_text(x, "{\"detection\": {\"scopes\": {\"process\": {\n"
				      "  \"window\": 0}}}}"),
			 -EINVAL);
	assert_non_null(strstr(pa_conf_errors(x->c)->v[0],
			       "t.conf:2:3: detection.scopes.process.window: "));
}

static void a_negative_count_names_the_key(void **state)
{
	struct fx *x = *state;

	assert_int_equal(read_text(x, "{\"detection\": {\"scopes\": {\"user\": {\"files\": -5}}}}"),
			 -EINVAL);
	assert_non_null(strstr(pa_conf_errors(x->c)->v[0], "detection.scopes.user.files: "));
}

static void an_unknown_scope_is_named(void **state)
{
	struct fx *x = *state;

	assert_int_equal(read_text(x, "{\"detection\": {\"scopes\": {\"proces\": {}}}}"), -EINVAL);
	assert_non_null(strstr(pa_conf_errors(x->c)->v[0], "unknown key \"proces\""));
	assert_non_null(strstr(pa_conf_errors(x->c)->v[0], "did you mean \"process\""));
}

static void an_unknown_key_is_named(void **state)
{
	struct fx *x = *state;

	assert_int_equal(read_text(x, "{\"detection\": {\"thresholds\": 5}}"), -EINVAL);
	assert_non_null(strstr(pa_conf_errors(x->c)->v[0], "unknown key \"thresholds\""));
}

static void bytes_must_be_a_size(void **state)
{
	struct fx *x = *state;

	assert_int_equal(read_text(x, "{\"detection\": {\"scopes\": {\"process\": "
				      "{\"bytes\": \"5 apples\"}}}}"),
			 -EINVAL);
	assert_non_null(strstr(pa_conf_errors(x->c)->v[0], "detection.scopes.process.bytes: "));
}

static void a_scope_on_with_no_threshold_is_refused(void **state)
{
	struct fx *x = *state;

	assert_int_equal(read_text(x, "{\"detection\": {\"scopes\": {\"process\": "
				      "{\"files\": 0, \"bytes\": 0}}}}"),
			 -EINVAL);
	assert_non_null(strstr(pa_conf_errors(x->c)->v[0], "detection.scopes.process: no threshold"));
}

static void the_file_scope_counts_no_files(void **state)
{
	struct fx *x = *state;

	assert_int_equal(read_text(x, "{\"detection\": {\"scopes\": {\"file\": {\"files\": 3}}}}"),
			 -EINVAL);
	assert_non_null(strstr(pa_conf_errors(x->c)->v[0], "detection.scopes.file.files: "));
}

static void an_allowance_needs_name_exe_and_user(void **state)
{
	static const struct {
		const char *allow, *says;
	} cases[] = {
		{ "{\"exe\": \"/usr/bin/tar\", \"user\": \"root\"}", "detection.allow[0].name: missing" },
		{ "{\"name\": \"a\", \"user\": \"root\"}", "detection.allow[0].exe: missing" },
		{ "{\"name\": \"a\", \"exe\": \"tar\", \"user\": \"root\"}",
		  "detection.allow[0].exe: \"tar\" is not an absolute path" },
		{ "{\"name\": \"a\", \"exe\": \"/usr/bin/tar\"}", "detection.allow[0].user: missing" },
		{ "{\"name\": \"a\", \"exe\": \"/bin/x\", \"user\": \"r\", \"hours\": \"25:00-01:00\"}",
		  "detection.allow[0].hours: \"25:00-01:00\" is not HH:MM-HH:MM" },
		{ "{\"name\": \"a\", \"exe\": \"/bin/x\", \"user\": \"r\", \"hours\": \"1-2\"}",
		  "detection.allow[0].hours: \"1-2\" is not HH:MM-HH:MM" },
		{ "{\"name\": \"a\", \"exe\": \"/bin/x\", \"user\": \"r\", \"scopes\": [\"host\"]}",
		  "detection.allow[0].scopes[0]: unknown scope \"host\"" },
		{ "{\"name\": \"a\", \"exe\": \"/bin/x\", \"user\": \"r\", \"scopes\": []}",
		  "detection.allow[0].scopes: an allowance for no scope allows nothing" },
		{ "\"tar\"", "detection.allow[0]: an allowance is an object" },
	};
	char text[512];

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct fx *x = *state;

		pa_conf_free(x->c);
		pa_det_config_free(&x->cfg);
		x->c = pa_conf_new(getuid());
		snprintf(text, sizeof(text), "{\"detection\": {\"allow\": [%s]}}", cases[i].allow);
		assert_int_equal(read_text(x, text), -EINVAL);
		if (!strstr(pa_conf_errors(x->c)->v[0], cases[i].says))
			fail_msg("case %zu: '%s' does not say '%s'", i, pa_conf_errors(x->c)->v[0],
				 cases[i].says);
	}
}

static void every_mistake_is_reported_at_once(void **state)
{
	struct fx *x = *state;

	assert_int_equal(read_text(x, "{\"detection\": {\"sample_paths\": 99, \"scopes\": {\n"
				      "\"process\": {\"window\": 0}, \"user\": {\"files\": -1}}}}"),
			 -EINVAL);
	assert_int_equal(pa_conf_errors(x->c)->n, 3);
}

static void the_load_error_names_the_file(void **state)
{
	struct fx *x = *state;
	char err[1024];

	(void)x;
	assert_int_equal(pa_det_config_load("/nonexistent/detect.conf", getuid(), &x->cfg, err,
					    sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "/nonexistent")); /* its directory, checked first */
	/* the defaults are in force after a failure */
	assert_int_equal(x->cfg.scope[PA_DET_PROCESS].files, 100);
}

static void a_good_file_loads(void **state)
{
	struct fx *x = *state;
	char dir[] = "/tmp/pa-detcfg-XXXXXX", path[64], err[1024];
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/d.conf", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{ \"detection\": { \"scopes\": { \"process\": { \"files\": 7 } } } }\n", f);
	fclose(f);
	chmod(path, 0600);
	assert_int_equal(pa_det_config_load(path, getuid(), &x->cfg, err, sizeof(err)), 0);
	assert_int_equal(x->cfg.scope[PA_DET_PROCESS].files, 7);
	chmod(path, 0666); /* anyone could change what is detected: refused */
	assert_int_equal(pa_det_config_load(path, getuid(), &x->cfg, err, sizeof(err)), -EPERM);
	assert_non_null(strstr(err, path));
	unlink(path);
	rmdir(dir);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(no_section_keeps_the_defaults),
		T(every_setting_is_read),
		T(a_window_of_zero_names_the_key),
		T(a_negative_count_names_the_key),
		T(an_unknown_scope_is_named),
		T(an_unknown_key_is_named),
		T(bytes_must_be_a_size),
		T(a_scope_on_with_no_threshold_is_refused),
		T(the_file_scope_counts_no_files),
		T(an_allowance_needs_name_exe_and_user),
		T(every_mistake_is_reported_at_once),
		T(the_load_error_names_the_file),
		T(a_good_file_loads),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
