// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * finding: the Detection Finding records (OCSF class 2004), one golden
 * file for every kind (tests/unit/golden/findings.jsonl; PA_UPDATE_GOLDEN=1
 * rewrites it), and the facts a consumer relies on asserted field by field:
 * alert (Create, High, New), end (Close, with the episode's totals), allowed
 * and dry run (Suppressed, Informational), the syslog severity of each,
 * bytes in paths encoded as the schema says.
 */
#include "unit.h"

#include "enrich.h"
#include "finding.h"

#define T_ALERT 1795431221178001760ULL /* 2026-11-23T10:53:41.178001760Z */
#define SEC 1000000000ull
#define MiB (1ull << 20)

static const struct pa_host_info host1 = { .hostname = "host1", .log_id = "0123abcd" };

struct fx {
	struct pa_det_limits lim;
	struct pa_det_finding f;
	struct pa_finding_record r;
	struct pa_identity who;
	struct pa_process_details d;
	struct pa_jw w;
	struct json_object *rec;
	char all[16384]; /* every record of the test, for the golden file */
	size_t all_len;
};

static void base(struct fx *x)
{
	static const char *const sample[] = { "/srv/phi/patients/0499.txt",
					      "/srv/phi/patients/0498.txt",
					      "/srv/phi/patients/0497.txt" };

	x->lim = (struct pa_det_limits){ true, 60 * SEC, 100, 500 * MiB };
	x->f = (struct pa_det_finding){ .kind = PA_DET_ALERT, .scope = PA_DET_PROCESS, .id = 7,
					.limits = &x->lim, .crossed_files = true, .files = 100,
					.bytes = 204800 };
	x->f.actor = (struct pa_proc){ .tgid = 4242, .tid = 4242, .ppid = 4200, .uid = 0,
				       .gid = 0, .euid = 0, .egid = 0, .auid = 1000,
				       .sessionid = 3, .start_ns = 0, .cgroup_id = 9 };
	memcpy(x->f.actor.comm, "tar", 4);
	x->f.first_path = "/srv/phi/patients/0000.txt";
	x->f.first_path_len = strlen(x->f.first_path);
	x->f.last_path = sample[0];
	x->f.last_path_len = strlen(sample[0]);
	for (size_t i = 0; i < 3; i++) {
		x->f.sample[i] = sample[i];
		x->f.sample_len[i] = strlen(sample[i]);
	}
	x->f.n_sample = 3;
	x->who = (struct pa_identity){ .user = "root", .group = "root", .login = "drsmith" };
	x->d = (struct pa_process_details){ .exe = "/usr/bin/tar", .exe_len = 12,
					    .args = "tar\0cf\0/tmp/out.tar\0patients", .args_len = 28,
					    .source = "exec", .n_ancestors = 1 };
	x->d.anc[0] = (struct pa_ancestor_info){ .pid = 4200, .start_ns = T_ALERT - 60 * SEC,
						 .name = "sh", .exe = "/bin/sh", .exe_len = 7 };
	x->r = (struct pa_finding_record){ .f = &x->f, .time_ns = T_ALERT,
					   .first_ns = T_ALERT - 3 * SEC, .alert_ns = T_ALERT,
					   .last_ns = T_ALERT, .proc_start_ns = T_ALERT - 4 * SEC,
					   .record_seq = 40, .log_id = "0123abcd", .who = &x->who,
					   .details = &x->d };
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	if (!x)
		return -1;
	pa_jw_init(&x->w);
	base(x);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	pa_jw_free(&x->w);
	json_object_put(x->rec);
	free(x);
	return 0;
}

/* Encode, check it is one valid JSON line, keep it for the golden file. */
static struct json_object *encode(struct fx *x)
{
	pa_jw_reset(&x->w);
	pa_ocsf_finding(&x->w, &host1, &x->r);
	assert_false(pa_jw_failed(&x->w));
	assert_int_equal(x->w.buf[x->w.len - 1], '\n');
	assert_null(memchr(x->w.buf, '\n', x->w.len - 1));
	assert_true(unit_valid_utf8((const unsigned char *)x->w.buf, x->w.len));
	assert_true(x->all_len + x->w.len < sizeof(x->all));
	memcpy(x->all + x->all_len, x->w.buf, x->w.len);
	x->all_len += x->w.len;
	json_object_put(x->rec);
	x->rec = unit_json_parse(x->w.buf, x->w.len);
	assert_non_null(x->rec);
	return x->rec;
}

static void an_alert_is_a_new_high_finding(void **state)
{
	struct fx *x = *state;
	struct json_object *r = encode(x);

	assert_int_equal(unit_json_int(r, "class_uid"), 2004);
	assert_int_equal(unit_json_int(r, "activity_id"), 1);
	assert_int_equal(unit_json_int(r, "type_uid"), 200401);
	assert_int_equal(unit_json_int(r, "severity_id"), 4);
	assert_int_equal(unit_json_int(r, "status_id"), 1);
	assert_string_equal(unit_json_str(r, "finding_info.uid"), "0123abcd-f7");
	assert_string_equal(unit_json_str(r, "finding_info.title"),
			    "Bulk read of watched files: 100 files or more within 1 min by "
			    "process tar (pid 4242)");
	assert_string_equal(unit_json_str(r, "finding_info.analytic.name"), "bulk_read.process");
	assert_string_equal(unit_json_str(r, "actor.process.file.path"), "/usr/bin/tar");
	assert_string_equal(unit_json_str(r, "actor.process.parent_process.name"), "sh");
	assert_string_equal(unit_json_str(r, "unmapped.scope"), "process");
	assert_int_equal(unit_json_int(r, "unmapped.threshold_files"), 100);
	assert_int_equal(unit_json_int(r, "unmapped.window_s"), 60);
	assert_int_equal(unit_json_int(r, "unmapped.files"), 100);
	assert_string_equal(unit_json_str(r, "unmapped.auid_name"), "drsmith");
	assert_int_equal(json_object_array_length(unit_json_get(r, "unmapped.sample_paths")), 3);
	assert_false(unit_json_has(r, "unmapped.episode_files"));
	assert_int_equal(pa_finding_severity(&x->r), LOG_ALERT);
	unit_golden("finding_alert.jsonl", x->all, x->all_len);
}

static void an_end_carries_the_episodes_totals(void **state)
{
	struct fx *x = *state;
	struct json_object *r;

	x->f.kind = PA_DET_END;
	x->f.end_reason = PA_DET_END_QUIET;
	x->f.episode_files = 500;
	x->f.episode_bytes = 500 * 2048;
	x->r.last_ns = T_ALERT + 2 * SEC;
	x->r.time_ns = T_ALERT + 63 * SEC;
	r = encode(x);
	assert_int_equal(unit_json_int(r, "activity_id"), 3);
	assert_string_equal(unit_json_str(r, "activity_name"), "Close");
	assert_string_equal(unit_json_str(r, "finding_info.uid"), "0123abcd-f7");
	assert_int_equal(unit_json_int(r, "unmapped.episode_files"), 500);
	assert_int_equal(unit_json_int(r, "unmapped.episode_bytes_read"), 500 * 2048);
	assert_int_equal(unit_json_int(r, "unmapped.episode_duration_ms"), 5000);
	assert_string_equal(unit_json_str(r, "unmapped.end_reason"), "quiet");
	assert_string_equal(unit_json_str(r, "message"),
			    "Episode over: process tar (pid 4242) read 500 files (1000.0 KiB) in 5.0 s");
	assert_int_equal(pa_finding_severity(&x->r), LOG_NOTICE);
	unit_golden("finding_end.jsonl", x->all, x->all_len);
}

static void an_allowed_episode_is_suppressed(void **state)
{
	struct fx *x = *state;
	struct pa_det_allow a = { .name = "nightly backup" };
	struct json_object *r;

	x->f.allowed = &a;
	r = encode(x);
	assert_int_equal(unit_json_int(r, "status_id"), 3);
	assert_string_equal(unit_json_str(r, "status"), "Suppressed");
	assert_int_equal(unit_json_int(r, "severity_id"), 1);
	assert_string_equal(unit_json_str(r, "unmapped.allowance"), "nightly backup");
	assert_non_null(strstr(unit_json_str(r, "message"), "allowed by nightly backup"));
	assert_int_equal(pa_finding_severity(&x->r), LOG_INFO);
}

static void a_dry_run_is_suppressed_and_says_so(void **state)
{
	struct fx *x = *state;
	struct json_object *r;

	x->r.dry_run = true;
	r = encode(x);
	assert_int_equal(unit_json_int(r, "status_id"), 3);
	assert_true(unit_json_bool(r, "unmapped.dry_run"));
	assert_memory_equal(unit_json_str(r, "message"), "[dry run] ", 10);
	assert_int_equal(pa_finding_severity(&x->r), LOG_INFO);
}

static void each_scope_names_its_subject(void **state)
{
	static const struct {
		enum pa_det_scope s;
		const char *in_title;
	} cases[] = {
		{ PA_DET_USER, "by login user drsmith (auid 1000)" },
		{ PA_DET_SESSION, "by session 3 of login user drsmith (auid 1000)" },
		{ PA_DET_CONTAINER, "by container 4f2c1a9b7e3d (cgroup 9)" },
	};
	struct fx *x = *state;

	x->d.container_id = "4f2c1a9b7e3d5f60718293a4b5c6d7e8f9a0b1c2d3e4f5061728394a5b6c7d8e";
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		x->f.scope = cases[i].s;
		encode(x);
		assert_non_null(strstr(unit_json_str(x->rec, "finding_info.title"),
				       cases[i].in_title));
		assert_string_equal(unit_json_str(x->rec, "unmapped.scope"),
				    pa_det_scope_name(cases[i].s));
	}
}

static void a_large_read_names_the_file(void **state)
{
	struct fx *x = *state;
	struct pa_det_limits file = { true, 60 * SEC, 0, 256 * MiB };
	struct json_object *r;

	x->f.scope = PA_DET_FILE;
	x->f.limits = &file;
	x->f.crossed_files = false;
	x->f.crossed_bytes = true;
	x->f.bytes = 256 * MiB;
	x->f.file_dev = 8u << 20 | 1;
	x->f.file_ino = 131;
	x->f.first_path = x->f.last_path = x->f.sample[0] = "/srv/phi/exports/all.csv";
	x->f.first_path_len = x->f.last_path_len = x->f.sample_len[0] = 24;
	x->f.n_sample = 1;
	r = encode(x);
	assert_string_equal(unit_json_str(r, "finding_info.title"),
			    "Large read of one watched file: 256.0 MiB or more within 1 min by "
			    "process tar (pid 4242)");
	assert_string_equal(unit_json_str(r, "unmapped.dev"), "8:1");
	assert_int_equal(unit_json_int(r, "unmapped.inode"), 131);
	assert_false(unit_json_has(r, "unmapped.threshold_files"));
	assert_string_equal(json_object_get_string(json_object_array_get_idx(
				    unit_json_get(r, "unmapped.crossed"), 0)), "bytes");
	unit_golden("finding_large_read.jsonl", x->all, x->all_len);
}

static void paths_that_are_not_utf8_are_encoded(void **state)
{
	struct fx *x = *state;
	static const char bad[] = "/srv/phi/patients/caf\xe9.txt";
	struct json_object *r;

	x->f.first_path = bad;
	x->f.first_path_len = sizeof(bad) - 1;
	r = encode(x);
	assert_null(strchr(unit_json_str(r, "unmapped.first_file"), '\xe9'));
	assert_non_null(strstr(unit_json_str(r, "unmapped.first_file"), "caf"));
}

/* An end is written long after its process left the tables: from a deep
 * copy of the alert's details, byte for byte the same. */
static void kept_details_write_the_same_actor(void **state)
{
	struct fx *x = *state;
	struct pa_kept_details k;
	char exe[] = "/usr/bin/tar", sh[] = "/bin/sh", name[] = "sh";
	char *before;
	size_t len;

	x->d.exe = exe;
	x->d.anc[0].exe = sh;
	x->d.anc[0].name = name;
	x->d.cgroup = "/user.slice";
	x->d.tty = "pts/3";
	encode(x);
	before = strndup(x->w.buf, x->w.len);
	len = x->w.len;
	assert_int_equal(pa_enrich_keep(&x->d, &k), 0);
	memset(exe, 'X', sizeof(exe) - 1); /* the tables move on */
	memset(sh, 'X', sizeof(sh) - 1);
	memset(name, 'X', sizeof(name) - 1);
	x->r.details = &k.d;
	encode(x);
	assert_int_equal(x->w.len, len);
	assert_memory_equal(x->w.buf, before, len);
	pa_enrich_kept_free(&k);
	free(before);
}

static void bytes_for_people(void **state)
{
	char b[32];

	(void)state;
	pa_format_bytes(b, sizeof(b), 0);
	assert_string_equal(b, "0 B");
	pa_format_bytes(b, sizeof(b), 1023);
	assert_string_equal(b, "1023 B");
	pa_format_bytes(b, sizeof(b), 1536);
	assert_string_equal(b, "1.5 KiB");
	pa_format_bytes(b, sizeof(b), 500 * MiB);
	assert_string_equal(b, "500.0 MiB");
	pa_format_bytes(b, sizeof(b), 3ull << 40);
	assert_string_equal(b, "3.0 TiB");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(an_alert_is_a_new_high_finding),
		T(an_end_carries_the_episodes_totals),
		T(an_allowed_episode_is_suppressed),
		T(a_dry_run_is_suppressed_and_says_so),
		T(each_scope_names_its_subject),
		T(a_large_read_names_the_file),
		T(paths_that_are_not_utf8_are_encoded),
		T(kept_details_write_the_same_actor),
		T(bytes_for_people),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
