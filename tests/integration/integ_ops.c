// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel tests of running the agent as a service: its config files (what
 * they set, how their errors read, who may write them), SIGHUP reloads
 * under load (not one event lost, the sequence unbroken, a bad config
 * keeping the running one), the runtime directory (a second agent refused,
 * status.json, metrics.prom, `phiaudit status`), and heartbeats to syslog.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "harness.h"

static struct harness H;

#define RECORD_MS 10000

static char conf_dir[PATH_MAX], conf[PATH_MAX], run_dir[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	h_init(&H);
	h_path(conf_dir, H.root, "etc");
	mkdir(conf_dir, 0755);
	h_path(conf, conf_dir, "phiaudit.conf");
	h_path(run_dir, H.root, "run");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	h_cleanup(&H);
	return 0;
}

static void write_conf(const char *json)
{
	char tmp[PATH_MAX + 8];

	/* replaced whole, as an editor or a config manager does */
	snprintf(tmp, sizeof(tmp), "%s.new", conf);
	h_write_file(tmp, json, 0644);
	if (rename(tmp, conf))
		h_die("rename %s: %s", conf, strerror(errno));
}

static void make_dir(char *out, const char *name)
{
	h_path(out, H.root, name);
	h_mkdirs(out);
}

static void touch_read(const char *dir, const char *name)
{
	char path[PATH_MAX + 64], buf[64];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	h_write_file(path, "x\n", 0644);
	fd = open(path, O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof(buf)) < 0)
		h_die("read %s", path);
	close(fd);
}

static bool is_named(json_object *r, const void *name)
{
	return h_int(r, "class_uid") == 6002 && h_str(r, "activity_name") &&
	       !strcmp(h_str(r, "activity_name"), name);
}

/* Runs argv, its stdout to @out (NUL-terminated); returns the exit status. */
static int run_capture(const char *const *argv, char *out, size_t n)
{
	int p[2], status;
	ssize_t got, len = 0;
	pid_t pid;

	if (pipe(p))
		h_die("pipe");
	pid = h_fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	while (len + 1 < (ssize_t)n && (got = read(p[0], out + len, n - 1 - (size_t)len)) > 0)
		len += got;
	out[len] = '\0';
	close(p[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static const char *cli_path(void)
{
	static char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/san/phiaudit", PA_BUILD_DIR);
	return p;
}

/* ---- config files */

static void the_config_file_adds_watches_and_the_command_line_wins(void **state)
{
	char other[PATH_MAX], out[16384];
	const char *extra[] = { "--config", conf, NULL };
	const char *check[] = { h_agent_path(), "--config", conf, "--check-config",
				"--flush-interval-ms", "700", NULL };

	(void)state;
	make_dir(other, "other");
	{
		char json[2 * PATH_MAX];

		snprintf(json, sizeof(json),
			 "// the site's config\n{\n  \"watch\": [\"%s\"],\n"
			 "  \"flush_interval_ms\": 500, /* overridden below */\n"
			 "  \"detection\": { \"scopes\": { \"process\": { \"files\": 7 } } }\n}\n",
			 other);
		write_conf(json);
	}
	assert_int_equal(run_capture(check, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "\"flush_interval_ms\": 700"));
	assert_non_null(strstr(out, other));
	assert_non_null(strstr(out, "\"files\": 7"));
	assert_int_equal(h_start_argv(&H, extra), 0);
	touch_read(other, "from-config.txt");
	touch_read(H.watch, "from-flag.txt");
	{
		char p1[PATH_MAX + 32], p2[PATH_MAX + 32];

		snprintf(p1, sizeof(p1), "%s/from-config.txt", other);
		snprintf(p2, sizeof(p2), "%s/from-flag.txt", H.watch);
		assert_non_null(h_wait(&H, h_is_open_of, p1, RECORD_MS));
		assert_non_null(h_wait(&H, h_is_open_of, p2, RECORD_MS));
	}
}

static void a_config_error_names_file_line_and_key(void **state)
{
	const char *extra[] = { "--config", conf, NULL };

	(void)state;
	write_conf("{\n  \"flush_interval_ms\": 5,\n  \"hok\": \"raw_tp\"\n}\n");
	assert_int_equal(h_start_argv(&H, extra), -3); /* exit 2 */
	assert_true(h_file_contains(H.err, "phiaudit.conf:2:3: flush_interval_ms: must be between"));
	assert_true(h_file_contains(H.err, "phiaudit.conf:3:3: unknown key \"hok\""));
	assert_true(h_file_contains(H.err, "did you mean \"hook\"?"));
}

static void a_config_others_may_write_is_refused(void **state)
{
	const char *extra[] = { "--config", conf, NULL };

	(void)state;
	write_conf("{}\n");
	chmod(conf, 0666);
	assert_int_equal(h_start_argv(&H, extra), -3);
	assert_true(h_file_contains(H.err, "phiaudit.conf"));
	assert_true(h_file_contains(H.err, "go-w"));
}

/* ---- SIGHUP */

/* Opens DIR/busy.txt for @seconds, @pause_us between opens; how many. */
static int open_loop(const char *dir, int seconds, int pause_us)
{
	char path[PATH_MAX + 32];
	struct timespec end, now;
	int n = 0;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += seconds;
	snprintf(path, sizeof(path), "%s/busy.txt", dir);
	do {
		int fd = open(path, O_RDONLY);

		if (fd < 0)
			return -1;
		close(fd);
		n++;
		if (pause_us)
			usleep((useconds_t)pause_us);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
	return n;
}

static bool is_open_by(json_object *r, const void *pid)
{
	return h_is_open_by_pid(r, pid);
}

static void sighup_under_load_loses_nothing_and_a_bad_config_changes_nothing(void **state)
{
	char added[PATH_MAX], json[2 * PATH_MAX], p[PATH_MAX + 32];
	const char *extra[] = { "--config", conf, NULL };
	int pipefd[2], count = 0, status;
	long long seq = 0;
	pid_t child;

	(void)state;
	make_dir(added, "added");
	touch_read(H.watch, "busy.txt");
	write_conf("{ \"heartbeat_interval\": 0 }\n");
	assert_int_equal(h_start_argv(&H, extra), 0);
	assert_int_equal(pipe(pipefd), 0);
	child = h_fork();
	if (child == 0) {
		int n = open_loop(H.watch, 4, 500); /* steady, within what the harness keeps */

		_exit(write(pipefd[1], &n, sizeof(n)) == sizeof(n) ? 0 : 1);
	}
	h_sleep_ms(800);
	snprintf(json, sizeof(json), "{ \"watch\": [\"%s\"], \"heartbeat_interval\": 0 }\n", added);
	write_conf(json);
	kill(H.agent, SIGHUP);
	h_sleep_ms(800);
	snprintf(json, sizeof(json), "{ \"watch\": [\"%s\"], \"heartbeat_interval\": 0,\n"
		 "  \"detection\": { \"scopes\": { \"process\": { \"files\": 1000000 } } } }\n",
		 added);
	write_conf(json);
	kill(H.agent, SIGHUP);
	h_sleep_ms(800);
	write_conf("{ \"watch\": [\"/nonexistent/dir\"] }\n");
	kill(H.agent, SIGHUP);
	assert_int_equal(read(pipefd[0], &count, sizeof(count)), sizeof(count));
	waitpid(child, &status, 0);
	assert_true(count > 100);
	/* the running settings stayed: the added watch still audits */
	touch_read(added, "after.txt");
	snprintf(p, sizeof(p), "%s/after.txt", added);
	assert_non_null(h_wait(&H, h_is_open_of, p, RECORD_MS));
	assert_int_equal(h_stop(&H), 0);
	assert_non_null(h_wait(&H, is_named, "Stop", RECORD_MS));
	assert_int_equal(h_count(&H, is_open_by, &child), (size_t)count);
	assert_int_equal(h_count(&H, is_named, "Config Reloaded"), 2);
	assert_int_equal(h_count(&H, is_named, "Config Reload Failed"), 1);
	assert_non_null(strstr(h_str(h_wait(&H, is_named, "Config Reload Failed", 0),
				     "unmapped.errors"), "/nonexistent/dir"));
	for (size_t i = 0; i < H.n; i++) /* every record number, in order */
		assert_int_equal(h_int(H.rec[i], "metadata.sequence"), ++seq);
}

/* A reload that runs out of file descriptors halfway through its new
 * watches (each holds one for itself and one for each ancestor) undoes what
 * it added: the running watch set stays exactly as it was. */
static void a_reload_that_fails_halfway_leaves_the_watches_as_they_were(void **state)
{
	char dirs[20][PATH_MAX], json[24 * PATH_MAX], p[PATH_MAX + 32], name[32];
	const char *extra[] = { "--config", conf, NULL };
	struct rlimit saved, low;
	size_t len;

	(void)state;
	write_conf("{ \"heartbeat_interval\": 0 }\n");
	len = (size_t)snprintf(json, sizeof(json), "{ \"watch\": [");
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "a/b/c/d/e/f/w%d", i);
		make_dir(dirs[i], name);
		len += (size_t)snprintf(json + len, sizeof(json) - len, "%s\"%s\"", i ? ", " : "",
					dirs[i]);
	}
	snprintf(json + len, sizeof(json) - len, "], \"heartbeat_interval\": 0 }\n");
	getrlimit(RLIMIT_NOFILE, &saved);
	low = saved;
	low.rlim_cur = 120; /* the agent's own, inherited */
	setrlimit(RLIMIT_NOFILE, &low);
	assert_int_equal(h_start_argv(&H, extra), 0);
	setrlimit(RLIMIT_NOFILE, &saved);
	write_conf(json);
	kill(H.agent, SIGHUP);
	assert_non_null(h_wait(&H, is_named, "Config Reload Failed", RECORD_MS));
	touch_read(H.watch, "still.txt");
	touch_read(dirs[0], "not.txt");
	snprintf(p, sizeof(p), "%s/still.txt", H.watch);
	assert_non_null(h_wait(&H, h_is_open_of, p, RECORD_MS));
	assert_int_equal(h_stop(&H), 0);
	snprintf(p, sizeof(p), "%s/not.txt", dirs[0]);
	assert_null(h_wait(&H, h_is_open_of, p, 0));
	assert_int_equal(h_count(&H, is_named, "Config Reloaded"), 0);
}

/* A flood of audited opens that outpaces the agent must not stall its
 * loop: the state is rewritten during the flood and SIGTERM is obeyed. */
static void a_flood_does_not_stall_the_loop(void **state)
{
	const char *extra[] = { "--run-dir", run_dir, NULL };
	char status[PATH_MAX + 32], before[512] = "", now[512] = "";
	struct timespec t0, t1;
	pid_t flood;
	int st;

	(void)state;
	touch_read(H.watch, "busy.txt");
	assert_int_equal(h_start_argv(&H, extra), 0);
	flood = h_fork();
	if (flood == 0)
		_exit(open_loop(H.watch, 10, 0) < 0);
	snprintf(status, sizeof(status), "%s/status.json", run_dir);
	h_sleep_ms(1500);
	{
		FILE *f = fopen(status, "r");

		assert_non_null(f);
		assert_non_null(fgets(before, sizeof(before), f));
		fclose(f);
	}
	h_sleep_ms(4500);
	{
		FILE *f = fopen(status, "r");

		assert_non_null(f);
		assert_non_null(fgets(now, sizeof(now), f));
		fclose(f);
	}
	assert_string_not_equal(before, now); /* "updated" moved on */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(h_stop(&H), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec <= 5);
	kill(flood, SIGKILL);
	waitpid(flood, &st, 0);
}

/* ---- exclusions */

/* Opens in an excluded tree make no record; beside it they do. The
 * excluded open comes first, from the same thread: once the sentinel's
 * record is in, the other's would be too. A reload can add an exclusion. */
static void an_excluded_tree_is_not_audited_and_a_reload_can_exclude_more(void **state)
{
	char tmp[PATH_MAX], cache[PATH_MAX], json[2 * PATH_MAX + 64], p[PATH_MAX + 32];
	const char *extra[] = { "--config", conf, "--exclude", tmp, NULL };

	(void)state;
	h_path(tmp, H.watch, "tmp");
	h_path(cache, H.watch, "cache");
	h_mkdirs(tmp);
	h_mkdirs(cache);
	write_conf("{ \"heartbeat_interval\": 0 }\n");
	assert_int_equal(h_start_argv(&H, extra), 0);
	touch_read(tmp, "scratch.txt");
	touch_read(H.watch, "sentinel1.txt");
	snprintf(p, sizeof(p), "%s/sentinel1.txt", H.watch);
	assert_non_null(h_wait(&H, h_is_open_of, p, RECORD_MS));
	snprintf(p, sizeof(p), "%s/scratch.txt", tmp);
	assert_null(h_wait(&H, h_is_open_of, p, 0));
	snprintf(json, sizeof(json), "{ \"exclude\": [\"%s\"], \"heartbeat_interval\": 0 }\n",
		 cache);
	write_conf(json);
	kill(H.agent, SIGHUP);
	assert_non_null(h_wait(&H, is_named, "Config Reloaded", RECORD_MS));
	touch_read(cache, "cached.txt");
	touch_read(tmp, "scratch2.txt"); /* the flag's exclusion stays */
	touch_read(H.watch, "sentinel2.txt");
	snprintf(p, sizeof(p), "%s/sentinel2.txt", H.watch);
	assert_non_null(h_wait(&H, h_is_open_of, p, RECORD_MS));
	snprintf(p, sizeof(p), "%s/cached.txt", cache);
	assert_null(h_wait(&H, h_is_open_of, p, 0));
	snprintf(p, sizeof(p), "%s/scratch2.txt", tmp);
	assert_null(h_wait(&H, h_is_open_of, p, 0));
}

/* ---- the runtime directory */

static void a_second_agent_is_refused_and_status_tells(void **state)
{
	const char *extra[] = { "--run-dir", run_dir, NULL };
	const char *status[] = { cli_path(), "status", "--run-dir", run_dir, NULL };
	char out[8192], path[PATH_MAX + 32];
	struct harness second;

	(void)state;
	assert_int_equal(h_start_argv(&H, extra), 0);
	h_sleep_ms(2500); /* one state write after the first */
	assert_int_equal(run_capture(status, out, sizeof(out)), 0);
	assert_non_null(strstr(out, "running (pid"));
	assert_non_null(strstr(out, H.watch));
	snprintf(path, sizeof(path), "%s/metrics.prom", run_dir);
	assert_true(h_file_contains(path, "phiaudit_up 1"));
	assert_true(h_file_contains(path, "phiaudit_kernel_losses_total{reason=\"ringbuf_full\"} 0"));
	h_init(&second);
	assert_true(h_start_argv(&second, extra) < 0);
	assert_true(h_file_contains(second.err, "another phiauditd is running"));
	h_cleanup(&second);
	assert_int_equal(h_stop(&H), 0);
	assert_int_equal(run_capture(status, out, sizeof(out)), 1);
	assert_non_null(strstr(out, "NOT running"));
}

/* ---- heartbeats */

static void heartbeats_carry_the_sequence_to_the_log_and_syslog(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char target[PATH_MAX + 8], msg[16384];
	const char *extra[] = { "--heartbeat-interval", "1", "--alert-syslog", target, NULL };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct timeval tv = { 5, 0 };
	json_object *hb;
	ssize_t n;

	(void)state;
	h_path(sa.sun_path, H.root, "log.sock");
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	snprintf(target, sizeof(target), "unix:%s", sa.sun_path);
	assert_int_equal(h_start_argv(&H, extra), 0);
	hb = h_wait(&H, is_named, "Heartbeat", RECORD_MS);
	assert_non_null(hb);
	assert_true(h_int(hb, "metadata.sequence") >= 2);
	assert_int_equal(h_int(hb, "unmapped.interval_s"), 1);
	n = recv(fd, msg, sizeof(msg) - 1, 0);
	assert_true(n > 0);
	msg[n] = '\0';
	/* authpriv (10) * 8 + notice (5) */
	assert_memory_equal(msg, "<85>", 4);
	assert_non_null(strstr(msg, "\"activity_name\":\"Heartbeat\""));
	close(fd);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(the_config_file_adds_watches_and_the_command_line_wins),
		T(a_config_error_names_file_line_and_key),
		T(a_config_others_may_write_is_refused),
		T(sighup_under_load_loses_nothing_and_a_bad_config_changes_nothing),
		T(a_reload_that_fails_halfway_leaves_the_watches_as_they_were),
		T(an_excluded_tree_is_not_audited_and_a_reload_can_exclude_more),
		T(a_flood_does_not_stall_the_loop),
		T(a_second_agent_is_refused_and_status_tells),
		T(heartbeats_carry_the_sequence_to_the_log_and_syslog),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
