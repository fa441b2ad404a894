// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel tests of io_uring: opens and reads submitted through a ring
 * (tests/helpers/uring_io, liburing) are audited like their syscall twins.
 * The helper makes no open or read syscall on the file (checked with
 * strace when it was written): every record here comes from the ring's
 * tracepoints. Each scenario reads the whole file, FILE_SIZE bytes, in
 * 64 KiB requests; every count is asserted exactly.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/wait.h>

#include "harness.h"

static struct harness H;

#define FILE_SIZE 200000 /* 64 KiB requests: 4 reads of data, then EOF */
#define RECORD_MS 5000

/* A watched file of FILE_SIZE bytes, made outside and renamed in (a
 * rename is no open: the scenario's open is the file's only one). */
static void watched_file(char *dst, const char *name)
{
	char staged[PATH_MAX];
	int fd;

	h_path(staged, H.root, name);
	fd = open(staged, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, FILE_SIZE))
		h_die("make %s: %s", staged, strerror(errno));
	close(fd);
	h_path(dst, H.watch, name);
	if (rename(staged, dst))
		h_die("rename %s: %s", dst, strerror(errno));
}

/* Run the helper's @scenario on @path; its pid (== its tgid). */
static pid_t run_scenario(const char *scenario, const char *path)
{
	char helper[PATH_MAX];
	pid_t pid;
	int status;

	snprintf(helper, sizeof(helper), "%s/helpers/uring_io", PA_BUILD_DIR);
	pid = h_fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execl(helper, helper, scenario, path, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return pid;
}

struct who {
	const char *path;
	pid_t pid;
	int activity;
};

static bool is_record_of(json_object *r, const void *arg)
{
	const struct who *w = arg;
	const char *p = h_str(r, "file.path");

	return h_int(r, "class_uid") == 1001 && h_int(r, "activity_id") == w->activity &&
	       h_int(r, "actor.process.pid") == w->pid && p && !strcmp(p, w->path);
}

static json_object *record(const char *path, pid_t pid, int activity, const char *name)
{
	struct who w = { path, pid, activity };
	json_object *r = h_wait(&H, is_record_of, &w, RECORD_MS);

	if (!r)
		fprintf(stderr, "no %s record of %s by %d\n", name, path, (int)pid);
	return r;
}

static json_object *final_read(const char *path, pid_t pid)
{
	json_object *r;

	for (;;) {
		r = record(path, pid, 2, "Read");
		if (!r || h_get(r, "unmapped.final") == NULL ||
		    json_object_get_boolean(h_get(r, "unmapped.final")))
			return r;
		h_forget(&H); /* a progress report: the final one follows */
	}
}

/* The open went through the ring, and its reads too, to the byte; both
 * named after the program (not an iou-wrk or iou-sqp thread). */
static void assert_ring_open_and_reads(const char *scenario, const char *open_syscall)
{
	char path[PATH_MAX];
	json_object *open_rec, *read_rec;
	pid_t pid;

	watched_file(path, scenario);
	pid = run_scenario(scenario, path);
	open_rec = record(path, pid, 14, "Open");
	assert_non_null(open_rec);
	assert_string_equal(h_str(open_rec, "unmapped.syscall"), open_syscall);
	assert_string_equal(h_str(open_rec, "actor.process.name"), "uring_io");
	read_rec = final_read(path, pid);
	assert_non_null(read_rec);
	assert_string_equal(h_str(read_rec, "actor.process.name"), "uring_io");
	assert_int_equal(h_int(read_rec, "actor.process.tid"), pid);
	assert_int_equal(h_int(read_rec, "unmapped.bytes_read"), FILE_SIZE);
	/* 4 data reads and the one at EOF */
	assert_int_equal(h_int(read_rec, "unmapped.read_calls"), 5);
	assert_int_equal(h_int(read_rec, "unmapped.ring_read_calls"), 5);
	assert_null(h_get(read_rec, "unmapped.ring_reads_unseen"));
}

static void test_ring_openat_and_read_are_audited_exactly(void **state)
{
	assert_ring_open_and_reads("open-read", "io_uring_openat");
}

static void test_ring_openat2_is_audited(void **state)
{
	assert_ring_open_and_reads("openat2-read", "io_uring_openat2");
}

static void test_ring_readv_counts_bytes_not_iovecs(void **state)
{
	assert_ring_open_and_reads("readv", "io_uring_openat");
}

static void test_ring_read_fixed_buffers_are_counted(void **state)
{
	assert_ring_open_and_reads("read-fixed", "io_uring_openat");
}

static void test_ring_reads_of_a_registered_file_are_counted(void **state)
{
	assert_ring_open_and_reads("fixed-file", "io_uring_openat");
}

static void test_ring_requests_pushed_to_workers_are_counted(void **state)
{
	/* IOSQE_ASYNC: issued and completed by iou-wrk threads */
	assert_ring_open_and_reads("async", "io_uring_openat");
}

static void test_ring_with_sq_polling_thread_is_counted(void **state)
{
	assert_ring_open_and_reads("sqpoll", "io_uring_openat");
}

static void test_a_failed_ring_read_is_not_counted(void **state)
{
	/* one READ into an unmapped buffer (EFAULT) first: it read nothing */
	assert_ring_open_and_reads("failed-read", "io_uring_openat");
}

static bool reports_ring_opens_no_file(json_object *r, const void *arg)
{
	return h_is_activity(r, "Loss") && h_int(r, "unmapped.since_last.ring_opens_no_file") > 0;
}

static void test_a_skipped_direct_open_is_reported_as_unseen(void **state)
{
	char path[PATH_MAX];
	struct who w = { path, 0, 14 };

	/* open and reads linked, every completion skipped: nothing the kernel
	 * posts names the file, so it can only be counted, and said */
	watched_file(path, "skip-direct");
	w.pid = run_scenario("skip-direct", path);
	assert_non_null(h_wait(&H, reports_ring_opens_no_file, NULL, 15000));
	assert_int_equal(h_count(&H, is_record_of, &w), 0);
}

/* WRITE requests rewrite the whole file: an Update record, to the byte. */
static void assert_ring_writes(const char *scenario)
{
	char path[PATH_MAX];
	json_object *r;
	pid_t pid;

	watched_file(path, scenario);
	pid = run_scenario(scenario, path);
	r = record(path, pid, 14, "Open");
	assert_non_null(r);
	/* (the ring adds O_LARGEFILE, as the kernel's open_how has it) */
	assert_non_null(h_str(r, "unmapped.open_flags"));
	assert_memory_equal(h_str(r, "unmapped.open_flags"), "O_WRONLY|", 9);
	r = record(path, pid, 3, "Update");
	assert_non_null(r);
	assert_int_equal(h_int(r, "unmapped.bytes_written"), FILE_SIZE);
	assert_int_equal(h_int(r, "unmapped.write_calls"), 4); /* 3 x 64 KiB and the rest */
	assert_int_equal(h_int(r, "count"), 4);
}

static void test_ring_writes_are_counted_as_written(void **state)
{
	assert_ring_writes("write");
}

static void test_skip_success_ring_writes_are_counted_in_full(void **state)
{
	/* no completion: the kernel fails a write that wrote less than asked */
	assert_ring_writes("skip-write");
}

static bool is_discovered_open(json_object *r, const void *arg)
{
	return is_record_of(r, arg) && h_bool(r, "unmapped.discovered") == 1;
}

static void test_a_skipped_ring_open_is_found_by_a_rescan(void **state)
{
	char path[PATH_MAX];
	struct who w = { path, 0, 14 };
	json_object *r;

	/* no completion names the fd; the agent looks among the open files
	 * and tracks it before the helper's read(2)s, 500 ms later */
	watched_file(path, "skip-open");
	w.pid = run_scenario("skip-open", path);
	assert_non_null(h_wait(&H, is_discovered_open, &w, RECORD_MS));
	r = final_read(path, w.pid);
	assert_non_null(r);
	assert_int_equal(h_int(r, "unmapped.bytes_read"), FILE_SIZE);
	assert_non_null(h_wait(&H, reports_ring_opens_no_file, NULL, 15000));
}

static void test_ring_direct_open_into_a_fixed_slot_is_audited(void **state)
{
	char path[PATH_MAX];
	json_object *r;
	pid_t pid;

	watched_file(path, "direct");
	pid = run_scenario("direct-open", path);
	r = record(path, pid, 14, "Open");
	assert_non_null(r);
	assert_true(json_object_get_boolean(h_get(r, "unmapped.ring_fixed_slot")));
	assert_null(h_get(r, "unmapped.fd"));
	assert_string_equal(h_str(r, "status"), "Success");
	r = final_read(path, pid);
	assert_non_null(r);
	assert_int_equal(h_int(r, "unmapped.bytes_read"), FILE_SIZE);
}

static void test_skip_success_reads_are_recorded_as_unseen_with_what_they_asked(void **state)
{
	char path[PATH_MAX];
	json_object *r;
	pid_t pid;

	watched_file(path, "skip");
	pid = run_scenario("skip-success", path);
	r = final_read(path, pid);
	assert_non_null(r);
	/* no completion: the result is not seen; what was asked is known
	 * (and, the kernel failing any other result, is what was read) */
	assert_int_equal(h_int(r, "unmapped.ring_reads_unseen"), 4);
	assert_int_equal(h_int(r, "unmapped.ring_bytes_unseen"), FILE_SIZE);
	assert_int_equal(h_int(r, "unmapped.bytes_read"), 0);
}

static bool is_transfer_by(json_object *r, const void *arg)
{
	const struct who *w = arg;

	const char *a = h_str(r, "activity_name");

	return h_int(r, "class_uid") == 1001 && a && !strcmp(a, "Transfer") &&
	       h_int(r, "actor.process.pid") == w->pid;
}

static void test_ring_splice_into_a_pipe_is_a_transfer(void **state)
{
	char path[PATH_MAX];
	json_object *r;
	pid_t pid;
	struct who w;

	watched_file(path, "splice");
	pid = run_scenario("splice", path);
	w.pid = pid;
	r = h_wait(&H, is_transfer_by, &w, RECORD_MS);
	assert_non_null(r);
	assert_string_equal(h_str(r, "file.path"), path);
	assert_string_equal(h_str(r, "unmapped.route"), "io_uring_splice");
	assert_int_equal(h_int(r, "unmapped.bytes_transferred"), FILE_SIZE);
	assert_string_equal(h_str(r, "unmapped.destination.type"), "pipe");
	r = final_read(path, pid);
	assert_non_null(r);
	assert_int_equal(h_int(r, "unmapped.bytes_read"), FILE_SIZE);
	assert_int_equal(h_int(r, "unmapped.bytes_sent"), FILE_SIZE);
}

static void test_ring_reads_of_an_unwatched_file_make_no_record(void **state)
{
	char path[PATH_MAX];
	struct who w = { path, 0, 14 };
	int fd;

	h_path(path, H.root, "unwatched");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0 && ftruncate(fd, FILE_SIZE) == 0);
	close(fd);
	w.pid = run_scenario("open-read", path);
	h_sleep_ms(500);
	h_read_new(&H);
	assert_int_equal(h_count(&H, is_record_of, &w), 0);
	w.activity = 2;
	assert_int_equal(h_count(&H, is_record_of, &w), 0);
}

static bool is_start(json_object *r, const void *arg)
{
	return h_is_activity(r, "Start");
}

static void test_start_record_says_io_uring_is_audited(void **state)
{
	json_object *r;

	h_read_new(&H);
	r = NULL;
	for (size_t i = 0; i < H.n && !r; i++)
		if (is_start(H.rec[i], NULL))
			r = H.rec[i];
	assert_non_null(r);
	assert_true(json_object_get_boolean(h_get(r, "unmapped.io_uring_audited")));
}

static int group_setup(void **state)
{
	int rc;

	h_init(&H);
	rc = h_start(&H);
	if (rc)
		fprintf(stderr, "agent did not start (%d); its stderr is %s\n", rc, H.err);
	return rc ? -1 : 0;
}

H_GROUP_FIXTURES(H)

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* first: it looks at the records from the start */
		cmocka_unit_test(test_start_record_says_io_uring_is_audited),
		cmocka_unit_test_setup(test_ring_openat_and_read_are_audited_exactly, each_setup),
		cmocka_unit_test_setup(test_ring_openat2_is_audited, each_setup),
		cmocka_unit_test_setup(test_ring_readv_counts_bytes_not_iovecs, each_setup),
		cmocka_unit_test_setup(test_ring_read_fixed_buffers_are_counted, each_setup),
		cmocka_unit_test_setup(test_ring_reads_of_a_registered_file_are_counted, each_setup),
		cmocka_unit_test_setup(test_ring_requests_pushed_to_workers_are_counted, each_setup),
		cmocka_unit_test_setup(test_ring_with_sq_polling_thread_is_counted, each_setup),
		cmocka_unit_test_setup(test_ring_direct_open_into_a_fixed_slot_is_audited, each_setup),
		cmocka_unit_test_setup(test_a_failed_ring_read_is_not_counted, each_setup),
		cmocka_unit_test_setup(test_ring_writes_are_counted_as_written, each_setup),
		cmocka_unit_test_setup(test_skip_success_ring_writes_are_counted_in_full, each_setup),
		cmocka_unit_test_setup(test_a_skipped_direct_open_is_reported_as_unseen, each_setup),
		cmocka_unit_test_setup(test_a_skipped_ring_open_is_found_by_a_rescan, each_setup),
		cmocka_unit_test_setup(test_skip_success_reads_are_recorded_as_unseen_with_what_they_asked,
				       each_setup),
		cmocka_unit_test_setup(test_ring_splice_into_a_pipe_is_a_transfer, each_setup),
		cmocka_unit_test_setup(test_ring_reads_of_an_unwatched_file_make_no_record, each_setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
