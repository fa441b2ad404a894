// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * detect: the bulk-read detector, driven with a clock the test holds. A
 * threshold is reached at equality; each scope has its subjects; a window
 * slides; a subject raises one alert per episode and one end with the
 * totals; allowances match exe, user and time of day; memory stays within
 * its caps however many subjects come; read reports turn into deltas.
 */
#include "unit.h"

#include "detect.h"

#define SEC 1000000000ull
#define MiB (1ull << 20)
#define T0 (1000 * SEC) /* boot time when each test starts */

struct fx {
	struct pa_det_config cfg;
	struct pa_detector d;
	struct pa_det_finding got[64];
	char paths[64][PA_DET_SAMPLE_MAX + 2][64]; /* copies: findings point into the detector */
	size_t n;
	uint64_t now;
};

static void on_finding(void *ctx, const struct pa_det_finding *f)
{
	struct fx *x = ctx;

	assert_true(x->n < ARRAY_LEN(x->got));
	x->got[x->n] = *f;
	/* keep what the finding names beyond the callback */
	for (size_t i = 0; i < f->n_sample; i++) {
		snprintf(x->paths[x->n][i], 64, "%.*s", (int)f->sample_len[i], f->sample[i]);
		x->got[x->n].sample[i] = x->paths[x->n][i];
	}
	if (f->first_path) {
		snprintf(x->paths[x->n][PA_DET_SAMPLE_MAX], 64, "%.*s", (int)f->first_path_len,
			 f->first_path);
		x->got[x->n].first_path = x->paths[x->n][PA_DET_SAMPLE_MAX];
	}
	if (f->last_path) {
		snprintf(x->paths[x->n][PA_DET_SAMPLE_MAX + 1], 64, "%.*s", (int)f->last_path_len,
			 f->last_path);
		x->got[x->n].last_path = x->paths[x->n][PA_DET_SAMPLE_MAX + 1];
	}
	x->n++;
}

/* Only @only enabled (the others would alert too), with round numbers. */
static void only_scope(struct fx *x, enum pa_det_scope only, uint64_t window_s, uint64_t files,
		       uint64_t bytes)
{
	for (int s = 0; s < PA_DET_NSCOPES; s++)
		x->cfg.scope[s].enabled = false;
	x->cfg.scope[only] = (struct pa_det_limits){ true, window_s * SEC, files, bytes };
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	if (!x)
		return -1;
	pa_det_config_defaults(&x->cfg);
	only_scope(x, PA_DET_PROCESS, 60, 100, 500 * MiB);
	x->now = T0;
	if (pa_det_init(&x->d, &x->cfg, on_finding, x))
		return -1;
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;

	pa_det_free(&x->d);
	pa_det_config_free(&x->cfg);
	free(x);
	return 0;
}

/* A process, by pid: uid 1000, login uid @auid, session @ses. */
static struct pa_proc proc(uint32_t pid, uint32_t auid, uint32_t ses)
{
	struct pa_proc p = { .tgid = pid, .tid = pid, .ppid = 1, .uid = 1000, .gid = 1000,
			     .auid = auid, .sessionid = ses, .start_ns = pid * 1000ull,
			     .cgroup_id = 77 };

	snprintf(p.comm, sizeof(p.comm), "cat");
	return p;
}

/* @p opens file number @ino for reading, at the fixture's clock. */
static void open_file(struct fx *x, const struct pa_proc *p, uint64_t ino)
{
	char path[64];
	struct pa_det_obs o = { .now_ns = x->now, .proc = p, .file_dev = 8, .file_ino = ino,
				.counts_file = true, .tod_min = 12 * 60 };

	o.path_len = (size_t)snprintf(path, sizeof(path), "/srv/phi/patients/%llu.txt",
				      (unsigned long long)ino);
	o.path = path;
	pa_det_observe(&x->d, &o);
}

static void read_bytes(struct fx *x, const struct pa_proc *p, uint64_t ino, uint64_t bytes)
{
	struct pa_det_obs o = { .now_ns = x->now, .proc = p, .file_dev = 8, .file_ino = ino,
				.counts_file = true, .bytes = bytes, .path = "/srv/phi/dump.csv",
				.path_len = 17, .tod_min = 12 * 60 };

	pa_det_observe(&x->d, &o);
}

static void reach_threshold_at_equality_not_before(void **state)
{
	struct fx *x = *state;
	struct pa_proc p = proc(100, -1, -1);

	for (uint64_t i = 1; i <= 99; i++)
		open_file(x, &p, i);
	assert_int_equal(x->n, 0);
	open_file(x, &p, 100);
	assert_int_equal(x->n, 1);
	assert_int_equal(x->got[0].kind, PA_DET_ALERT);
	assert_int_equal(x->got[0].scope, PA_DET_PROCESS);
	assert_int_equal(x->got[0].files, 100);
	assert_true(x->got[0].crossed_files);
	assert_false(x->got[0].crossed_bytes);
	assert_int_equal(x->got[0].actor.tgid, 100);
	assert_null(x->got[0].allowed);
}

static void bytes_threshold_at_equality(void **state)
{
	struct fx *x = *state;
	struct pa_proc p = proc(100, -1, -1);

	read_bytes(x, &p, 1, 500 * MiB - 1);
	assert_int_equal(x->n, 0);
	read_bytes(x, &p, 1, 1);
	assert_int_equal(x->n, 1);
	assert_true(x->got[0].crossed_bytes);
	assert_int_equal(x->got[0].bytes, 500 * MiB);
	assert_int_equal(x->got[0].files, 1);
}

static void the_same_file_counts_once_per_window(void **state)
{
	struct fx *x = *state;
	struct pa_proc p = proc(100, -1, -1);

	for (int round = 0; round < 10; round++) {
		for (uint64_t i = 1; i <= 99; i++)
			open_file(x, &p, i);
		x->now += SEC;
	}
	assert_int_equal(x->n, 0);
}

static void files_outside_the_window_do_not_count(void **state)
{
	struct fx *x = *state;
	struct pa_proc p = proc(100, -1, -1);

	for (uint64_t i = 1; i <= 99; i++)
		open_file(x, &p, i);
	x->now += 61 * SEC; /* past the window: those 99 slid out */
	for (uint64_t i = 1000; i < 1099; i++)
		open_file(x, &p, i);
	assert_int_equal(x->n, 0);
	x->now += SEC;
	open_file(x, &p, 5000); /* 100 within 60 s */
	assert_int_equal(x->n, 1);
}

static void the_window_slides_instead_of_resetting(void **state)
{
	struct fx *x = *state;
	struct pa_proc p = proc(100, -1, -1);

	/* 50 files at t=0, 50 at t=40: 100 within 60 s, though no fixed
	 * minute holds them all */
	for (uint64_t i = 1; i <= 50; i++)
		open_file(x, &p, i);
	x->now += 40 * SEC;
	for (uint64_t i = 51; i <= 99; i++)
		open_file(x, &p, i);
	assert_int_equal(x->n, 0);
	open_file(x, &p, 100);
	assert_int_equal(x->n, 1);
}

static void one_alert_per_episode(void **state)
{
	struct fx *x = *state;
	struct pa_proc p = proc(100, -1, -1);

	for (uint64_t i = 1; i <= 5000; i++) {
		open_file(x, &p, i);
		read_bytes(x, &p, i, MiB);
		if (i % 100 == 0) {
			x->now += SEC / 2;
			pa_det_tick(&x->d, x->now);
		}
	}
	assert_int_equal(x->n, 1);
	assert_int_equal(x->d.stats.alerts, 1);
}

static void an_episode_ends_with_its_totals(void **state)
{
	struct fx *x = *state;
	struct pa_proc p = proc(100, -1, -1);
	uint64_t start = x->now;

	for (uint64_t i = 1; i <= 300; i++) {
		open_file(x, &p, i);
		read_bytes(x, &p, i, 4096);
		x->now += SEC / 100;
	}
	uint64_t last = x->now - SEC / 100;

	pa_det_tick(&x->d, x->now + 30 * SEC); /* still inside the window */
	assert_int_equal(x->n, 1);
	pa_det_tick(&x->d, last + 61 * SEC);
	assert_int_equal(x->n, 2);
	assert_int_equal(x->got[1].kind, PA_DET_END);
	assert_int_equal(x->got[1].end_reason, PA_DET_END_QUIET);
	assert_int_equal(x->got[1].id, x->got[0].id);
	assert_int_equal(x->got[1].episode_files, 300);
	assert_int_equal(x->got[1].episode_bytes, 300 * 4096);
	assert_int_equal(x->got[1].first_ns, start);
	assert_int_equal(x->got[1].last_ns, last);
	assert_string_equal(x->got[1].first_path, "/srv/phi/patients/1.txt");
	assert_string_equal(x->got[1].last_path, "/srv/phi/patients/300.txt");
	/* the subject is gone once its window is empty */
	assert_int_equal(x->d.n, 0);
}

static void a_subject_alerts_again_only_after_a_window(void **state)
{
	struct fx *x = *state;
	struct pa_proc p = proc(100, -1, -1);
	uint64_t ino = 1;

	/* a steady reader at 100 files per 60 s, for 5 minutes */
	for (int s = 0; s < 300; s++) {
		open_file(x, &p, ino++);
		open_file(x, &p, ino++);
		x->now += SEC;
		pa_det_tick(&x->d, x->now);
	}
	assert_int_equal(x->d.stats.alerts, 1);
	/* it stops; the episode ends; a new burst is a new alert */
	x->now += 120 * SEC;
	pa_det_tick(&x->d, x->now);
	assert_int_equal(x->d.stats.ended, 1);
	for (int i = 0; i < 100; i++)
		open_file(x, &p, ino++);
	assert_int_equal(x->d.stats.alerts, 2);
	assert_int_not_equal(x->got[2].id, x->got[0].id);
}

static void the_login_user_scope_catches_one_process_per_file(void **state)
{
	struct fx *x = *state;

	x->cfg.scope[PA_DET_USER] = (struct pa_det_limits){ true, 300 * SEC, 200, 1024 * MiB };
	/* find -exec cat {} \; : a new process per file, same login user */
	for (uint32_t i = 1; i <= 250; i++) {
		struct pa_proc p = proc(1000 + i, 1000, -1);

		open_file(x, &p, i);
		read_bytes(x, &p, i, 4096);
	}
	assert_int_equal(x->n, 1);
	assert_int_equal(x->got[0].scope, PA_DET_USER);
	assert_int_equal(x->got[0].files, 200);
	assert_int_equal(x->got[0].actor.tgid, 1200); /* the process that crossed */
	assert_int_equal(x->got[0].actor.auid, 1000);
}

static void no_login_user_no_user_subject(void **state)
{
	struct fx *x = *state;

	only_scope(x, PA_DET_USER, 300, 10, 0);
	for (uint32_t i = 1; i <= 50; i++) {
		struct pa_proc p = proc(1000 + i, -1, -1); /* a daemon: auid unset */

		open_file(x, &p, i);
	}
	assert_int_equal(x->n, 0);
	assert_int_equal(x->d.n, 0);
}

static void the_session_scope(void **state)
{
	struct fx *x = *state;

	only_scope(x, PA_DET_SESSION, 300, 20, 0);
	for (uint32_t i = 1; i <= 19; i++) {
		struct pa_proc p = proc(1000 + i, 1000, 7);

		open_file(x, &p, i);
	}
	struct pa_proc other = proc(3000, 1000, 8); /* same user, another session */

	open_file(x, &other, 20);
	assert_int_equal(x->n, 0);
	struct pa_proc p = proc(2000, 1000, 7);

	open_file(x, &p, 21);
	assert_int_equal(x->n, 1);
	assert_int_equal(x->got[0].scope, PA_DET_SESSION);
	assert_int_equal(x->got[0].actor.sessionid, 7);
}

static void the_container_scope_only_for_containers(void **state)
{
	struct fx *x = *state;
	struct pa_det_obs o = { .counts_file = true, .file_dev = 8, .tod_min = 0 };

	only_scope(x, PA_DET_CONTAINER, 300, 30, 0);
	for (uint32_t i = 1; i <= 40; i++) {
		struct pa_proc p = proc(1000 + i, -1, -1);

		p.cgroup_id = 555;
		o.now_ns = x->now;
		o.proc = &p;
		o.file_ino = i;
		o.in_container = false; /* a host service's cgroup */
		pa_det_observe(&x->d, &o);
	}
	assert_int_equal(x->n, 0);
	for (uint32_t i = 1; i <= 30; i++) {
		struct pa_proc p = proc(2000 + i, -1, -1);

		p.cgroup_id = 556;
		o.proc = &p;
		o.file_ino = i;
		o.in_container = true;
		pa_det_observe(&x->d, &o);
	}
	assert_int_equal(x->n, 1);
	assert_int_equal(x->got[0].scope, PA_DET_CONTAINER);
	assert_int_equal(x->got[0].actor.cgroup_id, 556);
}

static void a_single_large_read_of_one_file(void **state)
{
	struct fx *x = *state;
	struct pa_proc p = proc(100, -1, -1);

	only_scope(x, PA_DET_FILE, 60, 0, 256 * MiB);
	/* progress reports every 64 MiB of one 1 GiB file */
	for (int i = 0; i < 3; i++) {
		read_bytes(x, &p, 42, 64 * MiB);
		x->now += SEC;
	}
	assert_int_equal(x->n, 0);
	read_bytes(x, &p, 42, 64 * MiB);
	assert_int_equal(x->n, 1);
	assert_int_equal(x->got[0].scope, PA_DET_FILE);
	assert_int_equal(x->got[0].file_ino, 42);
	assert_int_equal(x->got[0].bytes, 256 * MiB);
	assert_string_equal(x->got[0].first_path, "/srv/phi/dump.csv");
}

/* Each sweep reports and restarts the 64 MiB progress count: a large
 * read may come in small reports. Its account's total decides. */
static void a_large_read_in_small_reports_still_alerts(void **state)
{
	struct fx *x = *state;
	struct pa_proc p = proc(100, -1, -1);
	struct pa_det_obs o = { .proc = &p, .file_dev = 8, .file_ino = 42, .counts_file = true,
				.path = "/srv/phi/dump.csv", .path_len = 17 };

	only_scope(x, PA_DET_FILE, 60, 0, 256 * MiB);
	for (uint64_t got = 0; got < 300 * MiB && x->n == 0; x->now += SEC / 10) {
		o.now_ns = x->now;
		o.bytes = MiB; /* 1 MiB a report, 10 a second */
		got += MiB;
		o.account_bytes = got;
		pa_det_observe(&x->d, &o);
	}
	assert_int_equal(x->n, 1);
	/* at most the first 64th went uncounted */
	assert_true(x->got[0].bytes == 256 * MiB);
}

static void an_episode_after_an_end_has_its_own_totals(void **state)
{
	struct fx *x = *state;
	struct pa_proc p = proc(100, -1, -1);
	uint64_t ino = 1;

	for (int i = 0; i < 100; i++)
		open_file(x, &p, ino++);
	x->now += 61 * SEC; /* a window after the alert, quiet... */
	pa_det_tick(&x->d, x->now);
	assert_int_equal(x->d.stats.ended, 1);
	for (int i = 0; i < 100; i++) /* ...then another burst */
		open_file(x, &p, ino++);
	pa_det_finish(&x->d, x->now);
	assert_int_equal(x->n, 4);
	assert_int_equal(x->got[3].kind, PA_DET_END);
	assert_int_equal(x->got[3].episode_files, 100);
	assert_int_equal(x->got[3].first_ns, x->now);
}

/* A second episode's sample names its own files, none of the first's. */
static void a_new_episode_names_only_its_own_files(void **state)
{
	struct fx *x = *state;
	struct pa_proc p = proc(100, -1, -1);

	for (uint64_t i = 1; i <= 100; i++)
		open_file(x, &p, i);
	x->now += 61 * SEC;
	pa_det_tick(&x->d, x->now);
	for (uint64_t i = 500; i < 600; i++)
		open_file(x, &p, i);
	assert_int_equal(x->n, 3);
	assert_int_equal(x->got[2].kind, PA_DET_ALERT);
	for (size_t i = 0; i < x->got[2].n_sample; i++)
		assert_true(strcmp(x->got[2].sample[i], "/srv/phi/patients/500.txt") >= 0);
	assert_string_equal(x->got[2].first_path, "/srv/phi/patients/500.txt");
}

static void many_small_files_make_no_file_subjects(void **state)
{
	struct fx *x = *state;
	struct pa_proc p = proc(100, -1, -1);

	only_scope(x, PA_DET_FILE, 60, 0, 256 * MiB);
	for (uint64_t i = 1; i <= 1000; i++)
		read_bytes(x, &p, i, 4096);
	assert_int_equal(x->d.n, 0);
}

static void a_disabled_scope_stays_quiet(void **state)
{
	struct fx *x = *state;
	struct pa_proc p = proc(100, -1, -1);

	x->cfg.scope[PA_DET_PROCESS].enabled = false;
	for (uint64_t i = 1; i <= 1000; i++)
		open_file(x, &p, i);
	assert_int_equal(x->n, 0);
}

static void detection_off_observes_nothing(void **state)
{
	struct fx *x = *state;
	struct pa_proc p = proc(100, -1, -1);

	x->cfg.enabled = false;
	for (uint64_t i = 1; i <= 1000; i++)
		open_file(x, &p, i);
	assert_int_equal(x->n, 0);
	assert_int_equal(x->d.stats.observations, 0);
}

static void sample_names_the_newest_files_first(void **state)
{
	struct fx *x = *state;
	struct pa_proc p = proc(100, -1, -1);

	for (uint64_t i = 1; i <= 100; i++)
		open_file(x, &p, i);
	assert_int_equal(x->n, 1);
	assert_int_equal(x->got[0].n_sample, 20);
	assert_string_equal(x->got[0].sample[0], "/srv/phi/patients/100.txt");
	assert_string_equal(x->got[0].sample[19], "/srv/phi/patients/81.txt");
	assert_string_equal(x->got[0].first_path, "/srv/phi/patients/1.txt");
	assert_string_equal(x->got[0].last_path, "/srv/phi/patients/100.txt");
}

static void sample_size_is_configurable(void **state)
{
	struct fx *x = *state;
	struct pa_proc p = proc(100, -1, -1);

	x->cfg.sample_paths = 3;
	for (uint64_t i = 1; i <= 100; i++)
		open_file(x, &p, i);
	assert_int_equal(x->got[0].n_sample, 3);
	assert_string_equal(x->got[0].sample[2], "/srv/phi/patients/98.txt");
}

static struct pa_det_allow backup_allowance(void)
{
	return (struct pa_det_allow){ .name = "nightly backup", .exe = "/usr/bin/tar",
				      .user = "backup", .from_min = 60, .to_min = 240,
				      .scopes = ~0u };
}

static void an_allowed_job_is_a_finding_not_an_alert(void **state)
{
	struct fx *x = *state;
	struct pa_det_allow a = backup_allowance();
	struct pa_proc p = proc(100, -1, -1);
	struct pa_det_obs o = { .proc = &p, .file_dev = 8, .counts_file = true,
				.exe = "/usr/bin/tar", .user = "backup", .tod_min = 2 * 60 };

	x->cfg.allow = &a;
	x->cfg.n_allow = 1;
	for (uint64_t i = 1; i <= 100; i++) {
		o.now_ns = x->now;
		o.file_ino = i;
		pa_det_observe(&x->d, &o);
	}
	x->cfg.allow = NULL; /* the fixture's; not freed by the test's config */
	x->cfg.n_allow = 0;
	assert_int_equal(x->n, 1);
	assert_ptr_equal(x->got[0].allowed, &a);
	assert_int_equal(x->d.stats.alerts, 0);
	assert_int_equal(x->d.stats.allowed, 1);
}

static void an_allowance_needs_exe_user_and_hours(void **state)
{
	struct pa_det_allow a = backup_allowance();
	struct pa_proc p = proc(100, -1, -1);
	struct pa_det_obs o = { .proc = &p, .exe = "/usr/bin/tar", .user = "backup",
				.tod_min = 2 * 60 };

	(void)state;
	assert_true(pa_det_allow_matches(&a, PA_DET_PROCESS, &o));
	o.tod_min = 4 * 60; /* [01:00, 04:00): 04:00 is out */
	assert_false(pa_det_allow_matches(&a, PA_DET_PROCESS, &o));
	o.tod_min = 60;
	assert_true(pa_det_allow_matches(&a, PA_DET_PROCESS, &o));
	o.exe = "/usr/bin/cp";
	assert_false(pa_det_allow_matches(&a, PA_DET_PROCESS, &o));
	o.exe = NULL; /* unknown program: not allowed */
	assert_false(pa_det_allow_matches(&a, PA_DET_PROCESS, &o));
	o.exe = "/usr/bin/tar";
	o.user = "drsmith";
	assert_false(pa_det_allow_matches(&a, PA_DET_PROCESS, &o));
	o.user = NULL; /* no name: the uid as a string */
	a.user = "1000";
	assert_true(pa_det_allow_matches(&a, PA_DET_PROCESS, &o));
	a.scopes = 1u << PA_DET_USER;
	assert_false(pa_det_allow_matches(&a, PA_DET_PROCESS, &o));
}

static void allowance_hours_wrap_midnight(void **state)
{
	struct pa_det_allow a = { .name = "night", .from_min = 22 * 60, .to_min = 4 * 60,
				  .scopes = ~0u };
	struct pa_proc p = proc(100, -1, -1);
	struct pa_det_obs o = { .proc = &p };

	(void)state;
	o.tod_min = 23 * 60;
	assert_true(pa_det_allow_matches(&a, PA_DET_PROCESS, &o));
	o.tod_min = 3 * 60 + 59;
	assert_true(pa_det_allow_matches(&a, PA_DET_PROCESS, &o));
	o.tod_min = 12 * 60;
	assert_false(pa_det_allow_matches(&a, PA_DET_PROCESS, &o));
	a.to_min = a.from_min; /* all day */
	assert_true(pa_det_allow_matches(&a, PA_DET_PROCESS, &o));
}

static void many_subjects_stay_within_the_cap(void **state)
{
	struct fx *x = *state;

	x->cfg.max_subjects = 100;
	for (uint32_t i = 1; i <= 10000; i++) {
		struct pa_proc p = proc(i, -1, -1);

		open_file(x, &p, i);
		assert_true(x->d.n <= 100);
	}
	assert_int_equal(x->d.stats.subjects_evicted, 9900);
	assert_int_equal(x->d.stats.subjects_peak, 100);
	assert_int_equal(x->n, 0);
}

static void an_evicted_episode_ends(void **state)
{
	struct fx *x = *state;
	struct pa_proc bulk = proc(1, -1, -1);

	x->cfg.max_subjects = 10;
	for (uint64_t i = 1; i <= 100; i++)
		open_file(x, &bulk, i);
	assert_int_equal(x->n, 1);
	for (uint32_t i = 2; i <= 20; i++) {
		struct pa_proc p = proc(i, -1, -1);

		open_file(x, &p, 1000 + i);
	}
	assert_int_equal(x->n, 2);
	assert_int_equal(x->got[1].kind, PA_DET_END);
	assert_int_equal(x->got[1].end_reason, PA_DET_END_EVICTED);
	assert_int_equal(x->got[1].episode_files, 100);
}

static void remembered_files_stay_within_the_cap(void **state)
{
	struct fx *x = *state;

	x->cfg.max_files = 1000;
	x->cfg.scope[PA_DET_PROCESS].files = 1000000; /* never crossed */
	for (uint32_t pid = 1; pid <= 50; pid++) {
		struct pa_proc p = proc(pid, -1, -1);

		for (uint64_t i = 1; i <= 100; i++)
			open_file(x, &p, pid * 1000 + i);
		assert_true(x->d.files <= 1000);
	}
	assert_true(x->d.stats.subjects_evicted > 0);
}

static void counts_past_a_subjects_memory_say_so(void **state)
{
	struct fx *x = *state;
	struct pa_proc p = proc(100, -1, -1);

	x->cfg.scope[PA_DET_PROCESS].files = 10; /* remembers 4096 files */
	for (uint64_t i = 1; i <= 5000; i++)
		open_file(x, &p, i);
	for (uint64_t i = 1; i <= 500; i++) /* remembered: not counted again */
		open_file(x, &p, i);
	pa_det_finish(&x->d, x->now);
	assert_int_equal(x->got[1].episode_files, 5000);
	assert_true(x->got[1].files_approximate);
	assert_false(x->got[0].files_approximate);
}

static void idle_subjects_are_dropped_at_the_tick(void **state)
{
	struct fx *x = *state;

	for (uint32_t i = 1; i <= 500; i++) {
		struct pa_proc p = proc(i, -1, -1);

		open_file(x, &p, i);
	}
	assert_int_equal(x->d.n, 500);
	pa_det_tick(&x->d, x->now + 30 * SEC);
	assert_int_equal(x->d.n, 500);
	pa_det_tick(&x->d, x->now + 61 * SEC);
	assert_int_equal(x->d.n, 0);
	assert_int_equal(x->d.files, 0);
}

static void finish_ends_every_episode(void **state)
{
	struct fx *x = *state;

	for (uint32_t pid = 1; pid <= 3; pid++) {
		struct pa_proc p = proc(pid, -1, -1);

		for (uint64_t i = 1; i <= 100; i++)
			open_file(x, &p, pid * 1000 + i);
	}
	assert_int_equal(x->n, 3);
	pa_det_finish(&x->d, x->now);
	assert_int_equal(x->n, 6);
	for (size_t i = 3; i < 6; i++) {
		assert_int_equal(x->got[i].kind, PA_DET_END);
		assert_int_equal(x->got[i].end_reason, PA_DET_END_STOP);
	}
}

static void reports_from_a_moment_earlier_count_now(void **state)
{
	struct fx *x = *state;
	struct pa_proc p = proc(100, -1, -1);

	for (uint64_t i = 1; i <= 99; i++) {
		x->now = T0 + (i % 2 ? 10 * SEC : 10 * SEC - 1000); /* two CPUs, out of order */
		open_file(x, &p, i);
	}
	open_file(x, &p, 100);
	assert_int_equal(x->n, 1);
}

static void read_reports_become_deltas(void **state)
{
	struct fx *x = *state;

	assert_int_equal(pa_det_account_delta(&x->d, 7, 64 * MiB, false), 64 * MiB);
	assert_int_equal(pa_det_account_delta(&x->d, 7, 128 * MiB, false), 64 * MiB);
	assert_int_equal(pa_det_account_delta(&x->d, 8, 10, false), 10);
	assert_int_equal(pa_det_account_delta(&x->d, 7, 130 * MiB, true), 2 * MiB);
	/* forgotten at its final report: a new account with that number is new */
	assert_int_equal(pa_det_account_delta(&x->d, 7, 5, false), 5);
	assert_int_equal(pa_det_account_delta(&x->d, 8, 10, true), 0);
	assert_int_equal(x->d.acct_n, 1);
}

static void read_accounts_stay_within_the_cap(void **state)
{
	struct fx *x = *state;

	x->cfg.max_accounts = 100;
	for (uint64_t a = 1; a <= 10000; a++)
		pa_det_account_delta(&x->d, a, a, false);
	assert_true(x->d.acct_n <= 100);
	assert_int_equal(x->d.stats.accounts_evicted, 9900);
}

static void scope_names_round_trip(void **state)
{
	(void)state;
	for (int s = 0; s < PA_DET_NSCOPES; s++)
		assert_int_equal(pa_det_scope_by_name(pa_det_scope_name(s)), s);
	assert_int_equal(pa_det_scope_by_name("host"), -1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(reach_threshold_at_equality_not_before),
		T(bytes_threshold_at_equality),
		T(the_same_file_counts_once_per_window),
		T(files_outside_the_window_do_not_count),
		T(the_window_slides_instead_of_resetting),
		T(one_alert_per_episode),
		T(an_episode_ends_with_its_totals),
		T(a_subject_alerts_again_only_after_a_window),
		T(the_login_user_scope_catches_one_process_per_file),
		T(no_login_user_no_user_subject),
		T(the_session_scope),
		T(the_container_scope_only_for_containers),
		T(a_single_large_read_of_one_file),
		T(a_large_read_in_small_reports_still_alerts),
		T(an_episode_after_an_end_has_its_own_totals),
		T(a_new_episode_names_only_its_own_files),
		T(many_small_files_make_no_file_subjects),
		T(a_disabled_scope_stays_quiet),
		T(detection_off_observes_nothing),
		T(sample_names_the_newest_files_first),
		T(sample_size_is_configurable),
		T(an_allowed_job_is_a_finding_not_an_alert),
		T(an_allowance_needs_exe_user_and_hours),
		T(allowance_hours_wrap_midnight),
		T(many_subjects_stay_within_the_cap),
		T(an_evicted_episode_ends),
		T(remembered_files_stay_within_the_cap),
		T(counts_past_a_subjects_memory_say_so),
		T(idle_subjects_are_dropped_at_the_tick),
		T(finish_ends_every_episode),
		T(reports_from_a_moment_earlier_count_now),
		T(read_reports_become_deltas),
		T(read_accounts_stay_within_the_cap),
		T(scope_names_round_trip),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
