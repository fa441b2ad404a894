// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * phiaudit search, report and timeline, run in process on a log made by
 * the agent's own writer (cli_fixture.h: three runs, rotations, a gap, a
 * crash, an alert, a damaged member, a Latin-1 file name, a file named as a
 * spreadsheet formula, and a collector's JSONL beside it).
 *
 * Each golden file (tests/unit/golden/cli/NAME.txt) holds the command, its
 * exit status, standard output and standard error, with the fixture's
 * temporary directory shown as FIXTURE. Regenerate them all with
 *   PA_UPDATE_GOLDEN=1 build/san/tests/test_cli
 * and read the diff before committing it.
 */
#include "unit.h"

#include <time.h>

#include "cli_fixture.h"
#include "pathenc.h"
#include "qcmd.h"

#define MAX_ARGS 32
#define NOW_NS (FX_T0 + 12 * 3600 * RG_NS_S) /* "now": 2026-11-24T02:00:00Z */

static struct cli_fx *fx;

static int group_setup(void **state)
{
	setenv("TZ", "UTC", 1);
	tzset();
	fx = fx_create();
	return 0;
}

static int group_teardown(void **state)
{
	fx_destroy(fx);
	return 0;
}

/* @s with every @from replaced by @to; the caller frees. */
static char *replace_all(const char *s, const char *from, const char *to)
{
	size_t nf = strlen(from), nt = strlen(to), n = 0;
	char *out = malloc(strlen(s) * (nt > nf ? nt : 1) + 1);

	assert_non_null(out);
	while (*s) {
		if (!strncmp(s, from, nf)) {
			memcpy(out + n, to, nt);
			n += nt;
			s += nf;
		} else {
			out[n++] = *s++;
		}
	}
	out[n] = '\0';
	return out;
}

/* LOGS, REMOTE, EMPTY and ROOT (alone or before a '/') for the fixture's. */
static char *placeholders(const char *a)
{
	const char *const names[] = { "LOGS", "REMOTE", "EMPTY", "ROOT" };
	const char *const dirs[] = { fx->logs, fx->remote, fx->empty, fx->root };
	char buf[512];

	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		size_t n = strlen(names[i]);

		if (!strncmp(a, names[i], n) && (a[n] == '\0' || a[n] == '/')) {
			snprintf(buf, sizeof(buf), "%s%s", dirs[i], a + n);
			return strdup(buf);
		}
	}
	return strdup(a);
}

struct result {
	int rc;
	char *out, *err; /* with the fixture's directory as FIXTURE */
};

/* Run "phiaudit ARGS" in process, its output captured. */
static void run(struct result *res, const char *const *args)
{
	char *argv[MAX_ARGS], *raw_out = NULL, *raw_err = NULL;
	size_t olen = 0, elen = 0;
	struct pa_cli_env env = { .now_ns = NOW_NS };
	int argc = 0;

	for (; args[argc]; argc++)
		argv[argc] = placeholders(args[argc]);
	argv[argc] = NULL;
	env.out = open_memstream(&raw_out, &olen);
	env.err = open_memstream(&raw_err, &elen);
	assert_true(env.out && env.err);
	res->rc = !strcmp(argv[0], "search")	 ? pa_cmd_search(argc, argv, &env)
		  : !strcmp(argv[0], "report") ? pa_cmd_report(argc, argv, &env)
					       : pa_cmd_timeline(argc, argv, &env);
	fclose(env.out);
	fclose(env.err);
	res->out = replace_all(raw_out, fx->root, "FIXTURE");
	res->err = replace_all(raw_err, fx->root, "FIXTURE");
	free(raw_out);
	free(raw_err);
	for (int i = 0; i < argc; i++)
		free(argv[i]);
}

static void result_free(struct result *res)
{
	free(res->out);
	free(res->err);
}

/* Run and compare with golden/cli/@name. */
static void golden(const char *name, const char *const *args)
{
	struct result res;
	char path[128], *text;
	size_t len = 0, cap = 1 << 16;

	run(&res, args);
	text = malloc(cap + strlen(res.out) + strlen(res.err));
	assert_non_null(text);
	len += (size_t)sprintf(text, "$ phiaudit");
	for (int i = 0; args[i]; i++) { /* bytes as the schema encodes them: caf\xe9 */
		text[len++] = ' ';
		len += pa_bytes_encode(text + len, args[i], strlen(args[i]));
	}
	len += (size_t)sprintf(text + len, "\n--- exit %d\n--- stdout\n%s--- stderr\n%s", res.rc,
			       res.out, res.err);
	snprintf(path, sizeof(path), "cli/%s", name);
	unit_golden(path, text, len);
	free(text);
	result_free(&res);
}

#define GOLDEN(name, ...)                                                                    \
	do {                                                                                 \
		static const char *const args_[] = { __VA_ARGS__, NULL };                    \
		golden(name, args_);                                                         \
	} while (0)

/* ---- search ---- */

static void test_search_table_shows_every_record_of_every_run(void **state)
{
	GOLDEN("search_table.txt", "search", "--log-dir", "LOGS", "--format", "table");
}

static void test_search_path_prefix_prints_records_unchanged_as_jsonl(void **state)
{
	GOLDEN("search_path_jsonl.txt", "search", "-d", "LOGS", "--path", "/srv/phi/patients/1234",
	       "--format", "jsonl");
}

static void test_search_path_glob_stays_within_names(void **state)
{
	GOLDEN("search_path_glob.txt", "search", "-d", "LOGS", "-f", "/srv/phi/patients/*/chart.txt",
	       "-F", "table");
}

static void test_search_latin1_name_typed_as_its_bytes(void **state)
{
	GOLDEN("search_latin1.txt", "search", "-d", "LOGS", "--path", "/srv/phi/imports/caf\xe9.csv",
	       "-F", "table");
}

static void test_search_csv_neutralises_a_formula_file_name(void **state)
{
	GOLDEN("search_csv_formula.txt", "search", "-d", "LOGS", "--path", "/srv/phi/imports",
	       "--activity", "open", "-F", "csv");
}

static void test_search_pid_descendants_follows_the_ancestry(void **state)
{
	GOLDEN("search_descendants.txt", "search", "-d", "LOGS", "--pid", "1100", "--descendants",
	       "-F", "table");
}

static void test_search_login_user_as_another_user(void **state)
{
	GOLDEN("search_auid_user.txt", "search", "-d", "LOGS", "--auid", "drsmith", "--user", "0",
	       "-F", "table");
}

static void test_search_alerts_only(void **state)
{
	GOLDEN("search_alerts.txt", "search", "-d", "LOGS", "--alerts", "-F", "table");
}

static void test_search_time_range_names_the_gaps_in_it(void **state)
{
	GOLDEN("search_range_gaps.txt", "search", "-d", "LOGS", "-S", "2026-11-23T14:30:00Z", "-U",
	       "2026-11-23 16:30", "-F", "table");
}

static void test_search_lifecycle_activity(void **state)
{
	GOLDEN("search_lifecycle.txt", "search", "-d", "LOGS", "-a", "lifecycle", "-F", "csv");
}

static void test_search_collector_jsonl_with_a_bad_line(void **state)
{
	GOLDEN("search_input_jsonl.txt", "search", "--input", "REMOTE", "--host", "db*", "-F",
	       "table");
}

static void test_search_nothing_matched_exits_1(void **state)
{
	GOLDEN("search_no_match.txt", "search", "--input", "REMOTE", "--user", "nobody");
}

/* ---- report ---- */

static void test_report_by_user_is_the_default(void **state)
{
	GOLDEN("report_user.txt", "report", "-d", "LOGS");
}

static void test_report_by_login_as_csv(void **state)
{
	GOLDEN("report_login_csv.txt", "report", "-d", "LOGS", "--by", "login", "--format", "csv");
}

static void test_report_by_file_as_jsonl(void **state)
{
	GOLDEN("report_file_jsonl.txt", "report", "-d", "LOGS", "--by", "file", "-F", "jsonl");
}

static void test_report_by_directory(void **state)
{
	GOLDEN("report_directory.txt", "report", "-d", "LOGS", "--by", "directory");
}

static void test_report_by_process_in_a_range(void **state)
{
	GOLDEN("report_process.txt", "report", "-d", "LOGS", "--by", "process", "-S",
	       "2026-11-23T14:00:00Z", "-U", "2026-11-23T15:00:00Z");
}

static void test_report_by_day_and_host(void **state)
{
	GOLDEN("report_day.txt", "report", "-d", "LOGS", "-i", "REMOTE", "--by", "day");
	GOLDEN("report_host.txt", "report", "-d", "LOGS", "-i", "REMOTE", "--by", "host");
}

static void test_report_per_patient_as_csv(void **state)
{
	GOLDEN("report_patient_csv.txt", "report", "-d", "LOGS", "--patient-pattern",
	       "/srv/phi/patients/{id}/...", "-F", "csv");
}

/* ---- timeline ---- */

static void test_timeline_of_a_login_session_as_a_tree(void **state)
{
	GOLDEN("timeline_table.txt", "timeline", "-d", "LOGS", "--pid", "1100", "--descendants",
	       "-S", "2026-11-23T13:00:00Z", "-U", "2026-11-23T15:00:00Z");
}

static void test_timeline_timesketch_with_the_gaps(void **state)
{
	GOLDEN("timeline_timesketch.txt", "timeline", "-d", "LOGS", "--auid", "1000", "-S",
	       "2026-11-23T14:04:00Z", "-U", "2026-11-23T16:30:00Z", "-F", "timesketch");
}

static void test_timeline_csv(void **state)
{
	GOLDEN("timeline_csv.txt", "timeline", "-d", "LOGS", "-x", "gunicorn", "-F", "csv");
}

/* ---- bad input ---- */

static void test_usage_errors_name_the_flag(void **state)
{
	GOLDEN("error_unknown_option.txt", "search", "--frobnicate");
	GOLDEN("error_time.txt", "search", "-S", "yesterday-ish");
	GOLDEN("error_format.txt", "report", "--format", "timesketch");
	GOLDEN("error_descendants.txt", "timeline", "--descendants");
	GOLDEN("error_by.txt", "search", "--by", "user");
	GOLDEN("error_pattern.txt", "report", "--patient-pattern", "/srv/phi/patients/");
	GOLDEN("error_argument.txt", "search", "/srv/phi");
	GOLDEN("error_range.txt", "search", "-S", "today", "-U", "yesterday");
}

static void test_empty_or_missing_log_dir_exits_2(void **state)
{
	GOLDEN("error_empty_dir.txt", "search", "-d", "EMPTY");
	GOLDEN("error_missing_dir.txt", "report", "-d", "ROOT/nonexistent");
}

/* ---- properties ---- */

static int collect_text(void *ctx, const void *buf, size_t len)
{
	struct { char *p; size_t n; } *t = ctx;

	t->p = realloc(t->p, t->n + len + 1);
	assert_non_null(t->p);
	memcpy(t->p + t->n, buf, len);
	t->n += len;
	t->p[t->n] = '\0';
	return 0;
}

/* The text of every member of every log file that reads whole; past a
 * damaged one, from the next gzip header on, as the CLI reads on. */
static void file_text(const char *path, void *t)
{
	static const uint8_t magic[3] = { 0x1f, 0x8b, 0x08 };
	struct pa_gz_member m;
	char why[160];
	size_t len, off = 0;
	uint8_t *buf = fx_slurp(path, &len);

	while (off < len) {
		const uint8_t *next;

		if (pa_gz_member_read(buf, len, off, &m, NULL, NULL, why, sizeof(why)) == PA_GZ_MEMBER) {
			pa_gz_member_read(buf, len, off, &m, collect_text, t, why, sizeof(why));
			off += m.len;
			continue;
		}
		next = memmem(buf + off + 1, len - off - 1, magic, 3);
		off = next ? (size_t)(next - buf) : len;
	}
	free(buf);
}

static char *log_text(void)
{
	struct { char *p; size_t n; } t = { calloc(1, 1), 0 };
	char **names, **partials, path[256];
	size_t n, np;
	int dfd = open(fx->logs, O_RDONLY | O_DIRECTORY);

	assert_int_equal(pa_store_list(dfd, &names, &n, &partials, &np), 0);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", fx->logs, names[i]);
		file_text(path, &t);
	}
	pa_store_free_names(names, n);
	pa_store_free_names(partials, np);
	close(dfd);
	return t.p;
}

static void test_search_jsonl_lines_are_the_logs_bytes(void **state)
{
	static const char *const args[] = { "search", "-d", "LOGS", "-F", "jsonl", NULL };
	struct result res;
	char *text = log_text(), *line, *save = NULL;
	size_t lines = 0;

	run(&res, args);
	assert_int_equal(res.rc, PA_EXIT_PARTIAL); /* the damaged member */
	for (line = strtok_r(res.out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *hit = strstr(text, line);

		assert_non_null(hit);
		assert_true(hit[strlen(line)] == '\n' && (hit == text || hit[-1] == '\n'));
		lines++;
	}
	assert_true(lines > 30);
	free(text);
	result_free(&res);
}

/* A file whose name puts it outside the range is never opened: garbage in
 * one is not even noticed. */
static void test_files_outside_the_range_are_not_read(void **state)
{
	static const char *const in_range[] = { "search", "-d", "ROOT/skip", "-S", "2026-01-01", NULL };
	static const char *const all[] = { "search", "-d", "ROOT/skip", NULL };
	char path[256];
	struct result res;
	FILE *f;

	snprintf(path, sizeof(path), "%s/skip", fx->root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/skip/phiaudit-20200101T000000.000Z--20200101T010000.000Z"
		 ".json.gz", fx->root);
	assert_non_null(f = fopen(path, "w"));
	fputs("not gzip at all", f);
	fclose(f);
	run(&res, in_range);
	if (res.rc != PA_EXIT_NONE)
		print_error("%s", res.err);
	assert_int_equal(res.rc, PA_EXIT_NONE);
	assert_null(strstr(res.err, "not a valid gzip"));
	assert_non_null(strstr(res.err, "1 file(s) outside the time range left unread"));
	result_free(&res);
	run(&res, all);
	assert_int_equal(res.rc, PA_EXIT_PARTIAL);
	assert_non_null(strstr(res.err, "phiaudit-20200101T000000.000Z--20200101T010000.000Z"
				       ".json.gz: byte 0: not a valid gzip member"));
	result_free(&res);
}

/* Write @len bytes of @buf as the only file of ROOT/sweep, named @name, and
 * search it: never a crash, an exit status of 0, 1 or 3. */
static int sweep_one(const char *name, const uint8_t *buf, size_t len)
{
	static const char *const args[] = { "search", "-d", "ROOT/sweep", "-F", "jsonl", NULL };
	char path[256];
	struct result res;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/sweep/%s", fx->root, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
	run(&res, args);
	rc = res.rc;
	if (rc != PA_EXIT_OK && rc != PA_EXIT_NONE && rc != PA_EXIT_PARTIAL) {
		print_error("%zu bytes: exit %d\n%s", len, rc, res.err);
		fail();
	}
	result_free(&res);
	return rc;
}

static void test_truncated_and_flipped_files_never_crash(void **state)
{
	char path[256], name[128];
	size_t len, partial = 0;
	uint8_t *buf;

	fx_file(fx, 1, path, sizeof(path)); /* run 3's file: ten members */
	buf = fx_slurp(path, &len);
	snprintf(name, sizeof(name), "%s", strrchr(path, '/') + 1);
	snprintf(path, sizeof(path), "%s/sweep", fx->root);
	assert_int_equal(mkdir(path, 0755), 0);
	for (size_t cut = 0; cut <= len; cut += cut < 400 ? 1 : 13)
		partial += sweep_one(name, buf, cut) == PA_EXIT_PARTIAL;
	assert_true(partial > 300); /* cut inside a member: reported */
	for (size_t at = 0; at < len; at += 3) {
		buf[at] ^= 0x5a;
		sweep_one(name, buf, len);
		buf[at] ^= 0x5a;
	}
	assert_int_equal(sweep_one(name, buf, len), PA_EXIT_OK);
	free(buf);
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_search_table_shows_every_record_of_every_run),
		T(test_search_path_prefix_prints_records_unchanged_as_jsonl),
		T(test_search_path_glob_stays_within_names),
		T(test_search_latin1_name_typed_as_its_bytes),
		T(test_search_csv_neutralises_a_formula_file_name),
		T(test_search_pid_descendants_follows_the_ancestry),
		T(test_search_login_user_as_another_user),
		T(test_search_alerts_only),
		T(test_search_time_range_names_the_gaps_in_it),
		T(test_search_lifecycle_activity),
		T(test_search_collector_jsonl_with_a_bad_line),
		T(test_search_nothing_matched_exits_1),
		T(test_report_by_user_is_the_default),
		T(test_report_by_login_as_csv),
		T(test_report_by_file_as_jsonl),
		T(test_report_by_directory),
		T(test_report_by_process_in_a_range),
		T(test_report_by_day_and_host),
		T(test_report_per_patient_as_csv),
		T(test_timeline_of_a_login_session_as_a_tree),
		T(test_timeline_timesketch_with_the_gaps),
		T(test_timeline_csv),
		T(test_usage_errors_name_the_flag),
		T(test_empty_or_missing_log_dir_exits_2),
		T(test_search_jsonl_lines_are_the_logs_bytes),
		T(test_files_outside_the_range_are_not_read),
		T(test_truncated_and_flipped_files_never_crash),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
