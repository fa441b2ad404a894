// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel tests of the agent as a process: how it starts, refuses, stops,
 * announces readiness, and accounts for every event it could not deliver.
 * Each test runs its own agent.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/un.h>

#include "actions.h"

static struct harness H;
static char file[PATH_MAX];

static int each_setup(void **state)
{
	h_init(&H);
	h_path(file, H.watch, "record.txt");
	h_write_file(file, "r\n", 0644);
	return 0;
}

static int each_teardown(void **state)
{
	h_cleanup(&H);
	return 0;
}

static int opens(void *arg)
{
	long n = *(long *)arg;

	for (long i = 0; i < n; i++) {
		int fd = open(file, O_RDONLY);

		if (fd < 0)
			return 1;
		close(fd);
	}
	return 0;
}

static bool is_unexplained_loss(json_object *r, const void *arg)
{
	return h_is_activity(r, "Loss") && h_int(r, "unmapped.events_missing_unexplained") > 0;
}

static bool is_open(json_object *r, const void *arg)
{
	return h_is_open_of(r, file);
}

/* Run the agent binary with argv; returns exit status, stderr in H.err.
 * With hide_btf, it runs in a mount namespace where /sys/kernel/btf is
 * an empty tmpfs: a kernel without BTF, as far as it can tell. */
static int run_agent_in(const char *const *argv, uid_t as_uid, bool hide_btf)
{
	int status;
	pid_t pid = h_fork();

	if (pid == 0) {
		int fd = open(H.err, O_WRONLY | O_CREAT | O_TRUNC, 0666);

		if (hide_btf && (unshare(CLONE_NEWNS) ||
				 mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
				 mount("tmpfs", "/sys/kernel/btf", "tmpfs", 0, NULL)))
			_exit(125);
		dup2(fd, 2);
		dup2(fd, 1);
		if (as_uid && (setgroups(0, NULL) || setgid(as_uid) || setuid(as_uid)))
			_exit(126);
		execv(h_agent_path(), (char *const *)argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int run_agent(const char *const *argv, uid_t as_uid)
{
	return run_agent_in(argv, as_uid, false);
}

static void test_sigterm_drains_every_event_and_exits_zero(void **state)
{
	long n = 2000;
	json_object *stop;

	assert_int_equal(h_start(&H), 0);
	h_child(opens, &n);
	/* No waiting: the events may still be in the ring buffer. */
	assert_int_equal(h_stop(&H), 0);
	assert_int_equal(h_count(&H, is_open, NULL), (size_t)n);
	stop = h_wait(&H, h_is_activity, "Stop", 0);
	assert_non_null(stop);
	/* Besides the opens, the kernel may number a few "file released"
	 * events from the stop's sweep: every number must have arrived. */
	assert_true(h_int(stop, "unmapped.kernel_event_seq") >= n);
	assert_int_equal(h_int(stop, "unmapped.events_received"),
			 h_int(stop, "unmapped.kernel_event_seq"));
	assert_int_equal(h_int(stop, "unmapped.max_event_seq"),
			 h_int(stop, "unmapped.kernel_event_seq"));
	assert_int_equal(h_int(stop, "unmapped.counters.ringbuf_full"), 0);
	/* One process did every open: known once, its details sent once. */
	assert_true(h_int(stop, "unmapped.enrichment.processes_known") >= 1);
	assert_int_equal(h_int(stop, "unmapped.enrichment.processes_nomem"), 0);
	assert_int_equal(h_int(stop, "unmapped.counters.execs_full"), 0);
}

static void test_full_ring_buffer_is_counted_and_recorded(void **state)
{
	const char *const extra[] = { "--ring-buffer-mb", "1", NULL };
	long n = 30000; /* ~300 bytes each: far more than 1 MiB */
	json_object *loss, *stop;
	long long full, written, kernel_seq;

	assert_int_equal(h_start_argv(&H, extra), 0);
	kill(H.agent, SIGSTOP); /* a consumer that cannot keep up */
	h_child(opens, &n);
	kill(H.agent, SIGCONT);
	h_sleep_ms(2500); /* one stats interval at least */
	assert_int_equal(h_stop(&H), 0);
	loss = h_wait(&H, h_is_activity, "Loss", 0);
	stop = h_wait(&H, h_is_activity, "Stop", 0);
	assert_non_null(loss);
	assert_non_null(stop);
	full = h_int(stop, "unmapped.counters.ringbuf_full");
	written = (long long)h_count(&H, is_open, NULL);
	kernel_seq = h_int(stop, "unmapped.kernel_event_seq");
	assert_true(full > 0);
	assert_true(h_int(loss, "unmapped.since_last.ringbuf_full") > 0);
	/* Nothing lost silently: every open is either a record or counted, and
	 * the kernel numbered every one of them. */
	assert_true(written <= n && written + full >= n);
	assert_true(kernel_seq >= n); /* plus the stop sweep's "file released" */
	/* The sequence numbers missing at the end are exactly those counted. */
	assert_int_equal(kernel_seq - h_int(stop, "unmapped.events_received"), full);
	assert_int_equal(h_count(&H, is_unexplained_loss, NULL), 0);
}

static void test_ready_is_announced_on_notify_socket(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char buf[256] = { 0 };
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct timeval tv = { 10, 0 };
	ssize_t n;

	h_path(sa.sun_path, H.root, "notify.sock");
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setenv("NOTIFY_SOCKET", sa.sun_path, 1);
	assert_int_equal(h_start(&H), 0);
	unsetenv("NOTIFY_SOCKET");
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "READY=1"));
	assert_int_equal(h_stop(&H), 0);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "STOPPING=1"));
	close(fd);
}

static void assert_hook_records_opens(const char *hook)
{
	const char *const extra[] = { "--hook", hook, NULL };
	long n = 3;
	json_object *start;

	assert_int_equal(h_start_argv(&H, extra), 0);
	start = h_wait(&H, h_is_activity, "Start", 2000);
	assert_non_null(start);
	assert_string_equal(h_str(start, "unmapped.hook"), hook);
	h_child(opens, &n);
	assert_int_equal(h_stop(&H), 0);
	assert_int_equal(h_count(&H, is_open, NULL), 3);
}

static void test_sighup_does_not_stop_the_agent(void **state)
{
	long n = 5;

	assert_int_equal(h_start(&H), 0);
	kill(H.agent, SIGHUP);
	h_sleep_ms(300);
	assert_int_equal(kill(H.agent, 0), 0);
	h_child(opens, &n);
	assert_int_equal(h_stop(&H), 0);
	assert_int_equal(h_count(&H, is_open, NULL), 5);
	assert_true(h_file_contains(H.err, "SIGHUP"));
}

static bool is_deleted_watch(json_object *r, const void *arg)
{
	json_object *w = h_get(r, "unmapped.watches");

	return h_is_activity(r, "Watch Set Changed") && w &&
	       json_object_array_length(w) == 1 &&
	       json_object_get_boolean(h_get(json_object_array_get_idx(w, 0), "deleted"));
}

static void test_deleted_watch_is_recorded(void **state)
{
	assert_int_equal(h_start(&H), 0);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(H.watch), 0);
	assert_non_null(h_wait(&H, is_deleted_watch, NULL, 4000));
	assert_int_equal(h_stop(&H), 0);
}

static bool is_denied_of(json_object *r, const void *path)
{
	const char *st = h_str(r, "status_code");

	return h_is_open_of(r, path) && st && !strcmp(st, "EACCES");
}

static void test_dotdot_into_another_watch_is_recorded_under_it(void **state)
{
	/* Two watches, phi and phi/patients. A denied "../secret" from inside
	 * patients leaves patients but stays in phi. */
	char patients[PATH_MAX], secret[PATH_MAX];
	const char *const extra[] = { "--watch", patients, NULL };
	struct act a = { .path = "../secret", .uid = 65534, .flags = O_RDONLY,
			 .expect_errno = EACCES };
	json_object *r;

	h_path(patients, H.watch, "patients");
	h_mkdirs(patients);
	h_path(secret, H.watch, "secret");
	h_write_file(secret, "s", 0600);
	a.cwd = patients;
	assert_int_equal(h_start_argv(&H, extra), 0);
	h_child(act_run, &a);
	r = h_wait(&H, is_denied_of, secret, 5000);
	assert_int_equal(h_stop(&H), 0);
	assert_non_null(r);
	assert_string_equal(h_str(r, "unmapped.watch"), H.watch);
}

static void test_recreated_directory_after_deleting_a_watch_is_not_in_scope(void **state)
{
	char secret[PATH_MAX];
	struct act a = { .uid = 65534, .flags = O_RDONLY, .expect_errno = EACCES };
	struct pid_path pp = { 0 };
	json_object *stop;

	assert_int_equal(h_start(&H), 0);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(H.watch), 0);
	assert_non_null(h_wait(&H, is_deleted_watch, NULL, 4000));
	/* Same name, new directory: not the watched one. */
	h_mkdirs(H.watch);
	h_path(secret, H.watch, "new-secret");
	h_write_file(secret, "s", 0600);
	a.path = secret;
	pp.path = secret;
	pp.pid = h_child(act_run, &a);
	h_sleep_ms(500);
	assert_int_equal(h_stop(&H), 0);
	stop = h_wait(&H, h_is_activity, "Stop", 0);
	assert_non_null(stop);
	assert_int_equal(h_count(&H, h_is_open_by, &pp), 0);
}

static void test_raw_tp_hook_records_opens(void **state)
{
	assert_hook_records_opens("raw_tp");
}

static void test_per_syscall_tracepoint_fallback_records_opens(void **state)
{
	/* libbpf finds tracepoint ids in tracefs, which a fresh machine here
	 * does not mount; mount it for this test if needed. */
	bool mounted = false;

	if (access("/sys/kernel/tracing/events", F_OK) != 0) {
		assert_int_equal(mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL), 0);
		mounted = true;
	}
	assert_hook_records_opens("tracepoint");
	if (mounted)
		umount("/sys/kernel/tracing");
}

static void test_output_file_is_not_world_readable(void **state)
{
	struct stat st;

	assert_int_equal(h_start(&H), 0);
	assert_int_equal(h_stop(&H), 0);
	assert_int_equal(stat(H.out, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
}

static void test_unknown_flag_is_a_usage_error(void **state)
{
	const char *const argv[] = { h_agent_path(), "--wtach", H.watch, NULL };

	assert_int_equal(run_agent(argv, 0), 2);
	assert_true(h_file_contains(H.err, "unknown option '--wtach'"));
}

static void test_missing_watch_directory_is_named(void **state)
{
	char missing[PATH_MAX];
	const char *argv[] = { h_agent_path(), "--watch", missing, "--jsonl", H.out, "--log-dir", "none", "--run-dir", "none", NULL };

	h_path(missing, H.root, "no-such-dir");
	assert_int_equal(run_agent(argv, 0), 1);
	assert_true(h_file_contains(H.err, missing));
	assert_true(h_file_contains(H.err, "No such file or directory"));
}

static void test_watch_that_is_a_file_is_refused(void **state)
{
	const char *argv[] = { h_agent_path(), "--watch", file, "--jsonl", H.out, "--log-dir", "none", "--run-dir", "none", NULL };

	assert_int_equal(run_agent(argv, 0), 1);
	assert_true(h_file_contains(H.err, "not a directory"));
}

static void test_output_through_a_symlink_is_refused(void **state)
{
	char link[PATH_MAX];
	const char *argv[] = { h_agent_path(), "--watch", H.watch, "--jsonl", link, "--log-dir", "none", "--run-dir", "none", NULL };

	h_path(link, H.root, "planted-link");
	assert_int_equal(symlink("/tmp/pa-integ-target", link), 0);
	assert_int_equal(run_agent(argv, 0), 1);
	assert_true(h_file_contains(H.err, link));
}

static void test_non_root_is_told_what_it_needs(void **state)
{
	const char *const argv[] = { h_agent_path(), "--watch", "/tmp", NULL };

	assert_int_equal(run_agent(argv, 65534), 1);
	assert_true(h_file_contains(H.err, "needs root"));
}

static void test_kernel_without_btf_is_explained(void **state)
{
	const char *const argv[] = { h_agent_path(), "--watch", H.watch, NULL };

	assert_int_equal(run_agent_in(argv, 0, true), 1);
	assert_true(h_file_contains(H.err, "no BTF"));
	assert_true(h_file_contains(H.err, "CONFIG_DEBUG_INFO_BTF"));
}

static void test_help_lists_examples(void **state)
{
	const char *const argv[] = { h_agent_path(), "--help", NULL };

	assert_int_equal(run_agent(argv, 0), 0);
	assert_true(h_file_contains(H.err, "Examples:"));
	assert_true(h_file_contains(H.err, "--ring-buffer-mb"));
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, each_setup, each_teardown)
	const struct CMUnitTest tests[] = {
		T(test_sigterm_drains_every_event_and_exits_zero),
		T(test_full_ring_buffer_is_counted_and_recorded),
		T(test_ready_is_announced_on_notify_socket),
		T(test_sighup_does_not_stop_the_agent),
		T(test_deleted_watch_is_recorded),
		T(test_dotdot_into_another_watch_is_recorded_under_it),
		T(test_recreated_directory_after_deleting_a_watch_is_not_in_scope),
		T(test_raw_tp_hook_records_opens),
		T(test_per_syscall_tracepoint_fallback_records_opens),
		T(test_output_file_is_not_world_readable),
		T(test_unknown_flag_is_a_usage_error),
		T(test_missing_watch_directory_is_named),
		T(test_watch_that_is_a_file_is_refused),
		T(test_output_through_a_symlink_is_refused),
		T(test_non_root_is_told_what_it_needs),
		T(test_kernel_without_btf_is_explained),
		T(test_help_lists_examples),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
