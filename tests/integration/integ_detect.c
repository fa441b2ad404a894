// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel tests of bulk-read detection: real programs (tar, find, cat) read
 * a watched tree while the real agent runs; the Detection Finding records
 * (class 2004) it writes, the syslog message it sends, and the program it
 * runs are checked. Each test starts its own agent, with its own settings.
 *
 *   alert (activity 1 Create)   finding_info.title, unmapped.scope, the
 *                               counts, the window and threshold, sample
 *   end (activity 3 Close)      the episode's totals
 *   allowed / dry run           status Suppressed, severity Informational
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <spawn.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "harness.h"

extern char **environ;

static struct harness H;

#define N_FILES	    500
#define FILE_BYTES  2048
#define RECORD_MS   10000   /* generous: a loaded CI machine */
#define MiB	    (1ll << 20)

/* ---- the tree: N_FILES patient files, made before the agent starts */

static void make_patients(struct harness *h)
{
	char dir[PATH_MAX], path[PATH_MAX + 32], body[FILE_BYTES + 1];

	memset(body, 'x', FILE_BYTES);
	body[FILE_BYTES] = '\0';
	h_path(dir, h->watch, "patients");
	h_mkdirs(dir);
	for (int i = 0; i < N_FILES; i++) {
		snprintf(path, sizeof(path), "%s/%04d.txt", dir, i);
		h_write_file(path, body, 0644);
	}
}

/* A config file the agent accepts: in a root-owned 0700 directory. */
static void write_config(struct harness *h, char *path, const char *json)
{
	char dir[PATH_MAX];

	h_path(dir, h->root, "etc");
	mkdir(dir, 0700);
	h_path(path, dir, "detect.conf");
	h_write_file(path, json, 0600);
}

static void start(struct harness *h, const char *const *extra)
{
	int rc = h_start_argv(h, extra);

	if (rc)
		h_die("agent exited (%d) at start; see %s", rc, h->err);
}

static int setup(void **state)
{
	(void)state;
	h_init(&H);
	make_patients(&H);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	h_cleanup(&H);
	return 0;
}

/* ---- running programs */

/* Runs argv (stdout to /dev/null); returns its exit status. */
static int run(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, argv, environ))
		h_die("spawn %s: %s", argv[0], strerror(errno));
	posix_spawn_file_actions_destroy(&fa);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int sh(const char *fmt, ...)
{
	char cmd[4 * PATH_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	char *const argv[] = { "/bin/sh", "-c", cmd, NULL };

	return run(argv);
}

/* ---- matchers */

struct want {
	int activity;	    /* 1 alert, 3 end */
	const char *scope;  /* NULL: any */
	const char *name;   /* actor.process.name; NULL: any */
};

static bool is_finding(json_object *r, const void *arg)
{
	const struct want *w = arg;
	const char *scope = h_str(r, "unmapped.scope"), *name = h_str(r, "actor.process.name");

	return h_int(r, "class_uid") == 2004 && h_int(r, "activity_id") == w->activity &&
	       (!w->scope || (scope && !strcmp(scope, w->scope))) &&
	       (!w->name || (name && !strcmp(name, w->name)));
}

static bool is_any_finding(json_object *r, const void *arg)
{
	(void)arg;
	return h_int(r, "class_uid") == 2004;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* The sample is newest first, at most 20, each a watched patient file. */
static void assert_sample(json_object *r, const char *dir)
{
	json_object *s = h_get(r, "unmapped.sample_paths");

	assert_non_null(s);
	assert_true(json_object_array_length(s) >= 1 && json_object_array_length(s) <= 20);
	for (size_t i = 0; i < json_object_array_length(s); i++)
		assert_non_null(strstr(json_object_get_string(json_object_array_get_idx(s, i)), dir));
	assert_non_null(h_str(r, "unmapped.first_file"));
	assert_non_null(h_str(r, "unmapped.last_file"));
}

/* ---- a syslog socket the agent sends alerts to */

static int bind_syslog(struct harness *h, char *target, size_t n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	h_path(sa.sun_path, h->root, "log.sock");
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		h_die("bind %s: %s", sa.sun_path, strerror(errno));
	snprintf(target, n, "unix:%s", sa.sun_path);
	return fd;
}

/* The next datagram within ms, into buf; its length or -1. */
static ssize_t recv_syslog(int fd, char *buf, size_t n, long ms)
{
	for (long waited = 0; waited <= ms; waited += 20) {
		ssize_t got = recv(fd, buf, n - 1, 0);

		if (got >= 0) {
			buf[got] = '\0';
			return got;
		}
		h_sleep_ms(20);
	}
	return -1;
}

/* ---- tests */

/* tar of the patient tree, run from a shell: one alert, in the process
 * scope, naming tar and the shell; in the log and in syslog at
 * authpriv.alert, within a second of the crossing. */
static void tar_of_500_files_alerts_and_names_tar_and_its_shell(void **state)
{
	char target[PATH_MAX + 8], msg[65536];
	int fd = bind_syslog(&H, target, sizeof(target));
	const char *extra[] = { "--alert-syslog", target, NULL };
	struct want w = { 1, "process", "tar" };
	json_object *r;
	long long seen;

	(void)state;
	start(&H, extra);
	assert_int_equal(sh("cd %s && /usr/bin/tar cf %s/out.tar patients", H.watch, H.root), 0);
	r = h_wait(&H, is_finding, &w, RECORD_MS);
	seen = now_ms();
	assert_non_null(r);
	assert_string_equal(h_str(r, "actor.process.parent_process.name"), "sh");
	assert_non_null(strstr(h_str(r, "actor.process.file.path"), "tar"));
	assert_non_null(strstr(h_str(r, "finding_info.title"), "tar"));
	assert_string_equal(h_str(r, "severity"), "High");
	assert_string_equal(h_str(r, "status"), "New");
	assert_int_equal(h_int(r, "unmapped.threshold_files"), 100);
	assert_int_equal(h_int(r, "unmapped.window_s"), 60);
	assert_true(h_int(r, "unmapped.files") >= 100);
	assert_sample(r, "/patients/");
	/* in the log within 1 s of the crossing (plus this test's polling) */
	assert_true(seen - h_int(r, "unmapped.alert_time") <= 1000 + 100);
	/* one alert for the whole tar: no storm */
	assert_int_equal(h_count(&H, is_finding, &w), 1);
	/* syslog: authpriv (10) * 8 + alert (1), the record as the message */
	assert_true(recv_syslog(fd, msg, sizeof(msg), RECORD_MS) > 0);
	assert_memory_equal(msg, "<81>", 4);
	assert_non_null(strstr(msg, "\"class_uid\":2004"));
	assert_non_null(strstr(msg, "tar"));
	close(fd);
}

/* find -exec cat {} \; starts one cat per file: no process reaches a
 * threshold, the login user does. */
static void find_exec_cat_alerts_on_the_login_user(void **state)
{
	struct want user = { 1, "user", NULL }, proc = { 1, "process", NULL };
	json_object *r;
	pid_t pid;
	int status;

	(void)state;
	start(&H, NULL);
	pid = h_fork();
	if (pid == 0) {
		int fd = open("/proc/self/loginuid", O_WRONLY);
		char cmd[PATH_MAX + 64];

		if (fd < 0 || write(fd, "1000", 4) != 4)
			_exit(90);
		close(fd);
		snprintf(cmd, sizeof(cmd), "find %s/patients -type f -exec cat {} \\; >/dev/null",
			 H.watch);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	r = h_wait(&H, is_finding, &user, RECORD_MS);
	assert_non_null(r);
	assert_int_equal(h_int(r, "unmapped.auid"), 1000);
	assert_int_equal(h_int(r, "unmapped.threshold_files"), 200);
	assert_true(h_int(r, "unmapped.files") >= 200);
	assert_string_equal(h_str(r, "actor.process.name"), "cat");
	assert_non_null(strstr(h_str(r, "finding_info.title"), "login user"));
	assert_sample(r, "/patients/");
	/* no cat, nor find (it opens directories only), crossed on its own */
	assert_int_equal(h_count(&H, is_finding, &proc), 0);
}

/* 10 files in any 2 s, read at one file every 400 ms: never more than 5
 * in a window, though 12 in all. Then the same reader, fast: an alert, and
 * the episode's end with its totals once it is quiet. */
static void a_slow_reader_under_the_threshold_raises_nothing(void **state)
{
	char conf[PATH_MAX];
	const char *extra[] = { "--detect-config", conf, NULL };
	struct want alert = { 1, "process", "sh" }, end = { 3, "process", "sh" };
	json_object *r;

	(void)state;
	write_config(&H, conf,
		     "// tight thresholds for the test\n"
		     "{ \"detection\": { \"scopes\": {\n"
		     "    \"process\": { \"window\": \"2s\", \"files\": 10, \"bytes\": \"1GiB\" },\n"
		     "    \"user\": { \"enabled\": false }, \"session\": { \"enabled\": false } } } }\n");
	start(&H, extra);
	assert_int_equal(sh("for i in 00 01 02 03 04 05 06 07 08 09 10 11; do "
			    "{ read l || :; } < %s/patients/00$i.txt; sleep 0.4; done", H.watch), 0);
	/* the slow reader's last open is in; a finding would have been too */
	h_sleep_ms(1000);
	assert_int_equal(h_count(&H, is_any_finding, NULL), 0);
	assert_int_equal(sh("for f in %s/patients/01*.txt; do { read l || :; } < $f; done",
			    H.watch), 0);
	r = h_wait(&H, is_finding, &alert, RECORD_MS);
	assert_non_null(r);
	assert_int_equal(h_int(r, "unmapped.files"), 10);
	r = h_wait(&H, is_finding, &end, RECORD_MS);
	assert_non_null(r);
	assert_string_equal(h_str(r, "activity_name"), "Close");
	assert_int_equal(h_int(r, "unmapped.episode_files"), 100);
	assert_string_equal(h_str(r, "unmapped.end_reason"), "quiet");
	/* the shell had exited by then: the end still names its program */
	assert_string_equal(h_str(r, "actor.process.file.path"), "/bin/sh");
	assert_string_equal(h_str(r, "finding_info.uid"), h_str(h_wait(&H, is_finding, &alert, 0),
								  "finding_info.uid"));
}

/* A nightly backup, allowed by program and user: a finding that says so,
 * with status Suppressed, and nothing to syslog. */
static void an_allowed_backup_job_is_logged_not_alerted(void **state)
{
	char conf[PATH_MAX], target[PATH_MAX + 8], msg[4096];
	int fd = bind_syslog(&H, target, sizeof(target));
	const char *extra[] = { "--detect-config", conf, "--alert-syslog", target, NULL };
	struct want w = { 1, "process", "tar" };
	json_object *r;

	(void)state;
	write_config(&H, conf,
		     "{ \"detection\": { \"allow\": [ { \"name\": \"nightly backup\",\n"
		     "  \"exe\": \"/usr/bin/tar\", \"user\": \"root\", \"hours\": \"00:00-00:00\" } ] } }");
	start(&H, extra);
	assert_int_equal(sh("cd %s && /usr/bin/tar cf %s/out.tar patients", H.watch, H.root), 0);
	r = h_wait(&H, is_finding, &w, RECORD_MS);
	assert_non_null(r);
	assert_string_equal(h_str(r, "status"), "Suppressed");
	assert_string_equal(h_str(r, "severity"), "Informational");
	assert_string_equal(h_str(r, "unmapped.allowance"), "nightly backup");
	assert_int_equal(recv_syslog(fd, msg, sizeof(msg), 1500), -1);
	close(fd);
}

/* A 1 GiB file read in 1 MiB chunks: the alerts (one file, 256 MiB; the
 * process, 500 MiB) arrive while the reader is paused at 640 MiB. */
static void a_1gib_read_alerts_before_it_reaches_the_end(void **state)
{
	char path[PATH_MAX];
	struct want file = { 1, "file", NULL }, proc = { 1, "process", NULL };
	int go[2], fd;
	pid_t pid;
	json_object *r;

	(void)state;
	h_path(path, H.watch, "dump.csv");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0 && ftruncate(fd, 1024 * MiB) == 0);
	close(fd);
	start(&H, NULL);
	assert_int_equal(pipe(go), 0);
	pid = h_fork();
	if (pid == 0) {
		static char buf[1 << 20];
		int in = open(path, O_RDONLY);
		char c;

		for (int i = 0; in >= 0 && i < 1024; i++) {
			if (read(in, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
				_exit(2);
			if (i == 639 && read(go[0], &c, 1) != 1) /* paused: parent looks */
				_exit(3);
		}
		_exit(in >= 0 ? 0 : 1);
	}
	close(go[0]);
	r = h_wait(&H, is_finding, &file, RECORD_MS);
	assert_non_null(r);
	assert_int_equal(h_int(r, "actor.process.pid"), pid);
	assert_true(h_int(r, "unmapped.bytes_read") >= 256 * MiB);
	assert_true(h_int(r, "unmapped.bytes_read") <= 640 * MiB);
	assert_non_null(strstr(h_str(r, "unmapped.first_file"), "dump.csv"));
	assert_non_null(h_wait(&H, is_finding, &proc, RECORD_MS));
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	int status;

	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* --alert-exec: the program gets the alert record on stdin and its id in
 * the environment; one that hangs is killed at its time limit, and the
 * Stop record counts it. */
static void alert_exec_gets_the_alert_and_is_time_limited(void **state)
{
	char prog[PATH_MAX], got[PATH_MAX], script[5 * PATH_MAX];
	const char *extra[] = { "--alert-exec", prog, "--alert-exec-timeout", "2", NULL };
	struct want w = { 1, "process", "tar" };
	json_object *stop;

	(void)state;
	h_path(prog, H.root, "on-alert.sh");
	h_path(got, H.root, "alert.json");
	snprintf(script, sizeof(script),
		 "#!/bin/sh\ncat > %s.tmp\necho \"$PHIAUDIT_FINDING_UID\" >> %s.tmp\n"
		 "mv %s.tmp %s\nexec sleep 60\n", got, got, got, got);
	h_write_file(prog, script, 0700);
	start(&H, extra);
	assert_int_equal(sh("cd %s && /usr/bin/tar cf %s/out.tar patients", H.watch, H.root), 0);
	assert_non_null(h_wait(&H, is_finding, &w, RECORD_MS));
	for (int i = 0; i < 500 && access(got, F_OK); i++)
		h_sleep_ms(20);
	assert_true(h_file_contains(got, "\"class_uid\":2004"));
	assert_true(h_file_contains(got, h_str(h_wait(&H, is_finding, &w, 0), "finding_info.uid")));
	h_sleep_ms(3000); /* past its limit */
	assert_int_equal(h_stop(&H), 0);
	stop = h_wait(&H, h_is_activity, "Stop", RECORD_MS);
	assert_non_null(stop);
	assert_int_equal(h_int(stop, "unmapped.detection.alert_exec.started"), 1);
	assert_int_equal(h_int(stop, "unmapped.detection.alert_exec.timed_out"), 1);
}

/* --detect-dry-run: what would have alerted is logged, suppressed, and
 * nothing is sent or run. */
static void a_dry_run_logs_what_would_alert(void **state)
{
	char target[PATH_MAX + 8], msg[4096];
	int fd = bind_syslog(&H, target, sizeof(target));
	const char *extra[] = { "--detect-dry-run", "--alert-syslog", target, NULL };
	struct want w = { 1, "process", "tar" };
	json_object *r;

	(void)state;
	start(&H, extra);
	assert_int_equal(sh("cd %s && /usr/bin/tar cf %s/out.tar patients", H.watch, H.root), 0);
	r = h_wait(&H, is_finding, &w, RECORD_MS);
	assert_non_null(r);
	assert_true(json_object_get_boolean(h_get(r, "unmapped.dry_run")));
	assert_string_equal(h_str(r, "status"), "Suppressed");
	assert_non_null(strstr(h_str(r, "message"), "[dry run]"));
	assert_int_equal(recv_syslog(fd, msg, sizeof(msg), 1500), -1);
	close(fd);
}

/* A bad detection config stops the start, naming file, line and key. */
static void a_bad_config_is_refused_naming_the_key(void **state)
{
	static const struct {
		const char *json, *says;
	} cases[] = {
		{ "{\"detection\": {\"scopes\": {\"process\": {\n  \"window\": 0}}}}",
		  "detect.conf:2:3: detection.scopes.process.window" },
		{ "{\"detection\": {\"scopes\": {\"hosts\": {}}}}", "unknown key \"hosts\"" },
		{ "{\"detection\": {\"scopes\": {\"user\": {\"files\": -5}}}}",
		  "detection.scopes.user.files" },
		{ "{\"detection\": {\"allow\": [{\"name\": \"x\", \"exe\": \"tar\", \"user\": \"root\"}]}}",
		  "detection.allow[0].exe" },
	};
	char conf[PATH_MAX];
	const char *extra[] = { "--detect-config", conf, NULL };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_config(&H, conf, cases[i].json);
		assert_true(h_start_argv(&H, extra) < 0);
		if (!h_file_contains(H.err, cases[i].says))
			fail_msg("case %zu: agent's error does not say '%s'", i, cases[i].says);
	}
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(tar_of_500_files_alerts_and_names_tar_and_its_shell),
		T(find_exec_cat_alerts_on_the_login_user),
		T(a_slow_reader_under_the_threshold_raises_nothing),
		T(an_allowed_backup_job_is_logged_not_alerted),
		T(a_1gib_read_alerts_before_it_reaches_the_end),
		T(alert_exec_gets_the_alert_and_is_time_limited),
		T(a_dry_run_logs_what_would_alert),
		T(a_bad_config_is_refused_naming_the_key),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
