// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel tests of read accounting. For each open file below a watch and
 * each process that read it, the agent writes one Read record with the
 * exact bytes and successful read calls, when the process lets go of the
 * file: its last close, its exit, a dup2 over its last descriptor, a sweep
 * that finds its descriptors gone, or the agent's stop. While it holds the
 * file, progress reports carry the counts so far.
 *
 * Every test knows exactly what it read, so every count is asserted to the
 * byte and to the call.
 *
 * Two kinds of agent serve the tests (one cmocka group, so that run.sh
 * counts every test):
 *   H  one agent with default options, started once, for the tests that
 *      only count;
 *   S  a test's own agent, for the tests that need a flag (--sweep-interval
 *      1, --max-open-files 1024), a file open before the start, a stop, or
 *      no agent at all (usage errors). It watches its own tree, so it never
 *      sees what H's tests do, and the other way round.
 * A points at the one the running test talks to.
 *
 * Files are made in root/staging and renamed into place: a rename is not
 * an open, so the open a test makes is the file's only Open record.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "actions.h"

static struct harness H; /* the shared agent */
static struct harness S; /* a test's own agent */
static struct harness *A; /* the agent of the running test */

#define MiB (1024LL * 1024)
#define FILE_SIZE 10000		  /* the usual test file */
#define CHUNK 4096		  /* FILE_SIZE in CHUNKs: 4096 + 4096 + 1808, then EOF */
#define PROGRESS_BYTES (64 * MiB) /* the kernel reports progress every 64 MiB */
#define RECORD_MS 5000		  /* a record the kernel emits at once arrives by then */
#define SOON_MS 3000		  /* "within a few seconds": exits, sweeps, discovery */
#define SPARE_FD 300		  /* a descriptor number the test process never uses */

static char rbuf[1 << 20]; /* what reads read into; nobody looks at it */

/* ---- files ---- */

/*
 * dir/name, size bytes long, made in the staging directory and renamed
 * into dir so that making it is not an open under the watch. Contents do
 * not matter (a hole, reads return zeros): the tests count bytes.
 */
static void make_file(char *dst, const char *dir, const char *name, off_t size)
{
	char staging[PATH_MAX], staged[PATH_MAX];
	int fd;

	h_path(staging, A->root, "staging");
	h_mkdirs(staging);
	h_path(staged, staging, name);
	fd = open(staged, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, size))
		h_die("make %s: %s", staged, strerror(errno));
	close(fd);
	h_path(dst, dir, name);
	if (rename(staged, dst))
		h_die("rename to %s: %s", dst, strerror(errno));
}

static void watched_file(char *dst, const char *name, off_t size)
{
	make_file(dst, A->watch, name, size);
}

static int open_ro(const char *path)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	return fd;
}

/* One read(2) that must return exactly n bytes. */
static void read_n(int fd, size_t n)
{
	assert_int_equal(read(fd, rbuf, n), n);
}

/* Reads to EOF in reads of chunk bytes; returns the calls, EOF included. */
static long long read_to_eof(int fd, size_t chunk, long long *bytes)
{
	long long calls = 0;
	ssize_t n;

	*bytes = 0;
	do {
		n = read(fd, rbuf, chunk);
		assert_true(n >= 0);
		*bytes += n;
		calls++;
	} while (n > 0);
	return calls;
}

/* ---- records ---- */

/* Whose records a matcher wants: NULL path or 0 pid stands for any. */
struct reader {
	const char *path;
	pid_t pid;
};

static bool by(json_object *r, const struct reader *rd)
{
	const char *p = h_str(r, "file.path");

	return (!rd->path || (p && !strcmp(p, rd->path))) &&
	       (!rd->pid || h_int(r, "actor.process.pid") == rd->pid);
}

/* Open (14) and Read (2) records share class 1001: the harness's
 * h_is_open_of would match both. */
static bool is_file_activity(json_object *r, int activity)
{
	return h_int(r, "class_uid") == 1001 && h_int(r, "activity_id") == activity;
}

static bool is_open_rec_by(json_object *r, const void *rd)
{
	return is_file_activity(r, 14) && by(r, rd);
}

static bool is_tracked_open_by(json_object *r, const void *rd)
{
	return is_open_rec_by(r, rd) && h_bool(r, "unmapped.reads_tracked") == 1;
}

static bool is_untracked_open_by(json_object *r, const void *rd)
{
	return is_open_rec_by(r, rd) && h_bool(r, "unmapped.reads_tracked") == 0;
}

static bool is_read_by(json_object *r, const void *rd)
{
	return is_file_activity(r, 2) && by(r, rd);
}

static bool is_final_read_by(json_object *r, const void *rd)
{
	return is_read_by(r, rd) && h_bool(r, "unmapped.final") == 1;
}

static bool is_progress_read_by(json_object *r, const void *rd)
{
	return is_read_by(r, rd) && h_bool(r, "unmapped.final") == 0;
}

/* A Read record that charges someone with at least one read. */
static bool is_counted_read_by(json_object *r, const void *rd)
{
	return is_read_by(r, rd) && h_int(r, "unmapped.read_calls") > 0;
}

/* A progress report the kernel makes on its own: 64 MiB read. */
static bool is_large_progress_by(json_object *r, const void *rd)
{
	return is_progress_read_by(r, rd) && h_int(r, "unmapped.bytes_read") >= PROGRESS_BYTES;
}

static bool reports_files_full(json_object *r, const void *arg)
{
	return h_is_activity(r, "Loss") && h_int(r, "unmapped.since_last.files_full") > 0;
}

static json_object *wait_for(h_match_fn fn, const char *path, pid_t pid, long ms)
{
	struct reader rd = { path, pid };

	return h_wait(A, fn, &rd, ms);
}

/*
 * When a final report does not come, what did: the file's records and the
 * reader's, on stderr, so a failure says more than "NULL".
 */
static void show_records(const char *path, pid_t pid)
{
	struct reader of_file = { path, 0 }, of_reader = { NULL, pid };

	fprintf(stderr, "no final Read record of %s by %d; records of either:\n", path, (int)pid);
	for (size_t i = 0; i < A->n; i++)
		if (by(A->rec[i], &of_file) || (pid && is_read_by(A->rec[i], &of_reader)))
			fprintf(stderr, "  %s\n", json_object_to_json_string(A->rec[i]));
}

static json_object *final_read(const char *path, pid_t pid, long ms)
{
	json_object *r = wait_for(is_final_read_by, path, pid, ms);

	if (!r)
		show_records(path, pid);
	return r;
}

static json_object *open_record(const char *path, pid_t pid)
{
	return wait_for(is_open_rec_by, path, pid, RECORD_MS);
}

static size_t count(h_match_fn fn, const char *path, pid_t pid)
{
	struct reader rd = { path, pid };

	return h_count(A, fn, &rd);
}

/* Waits until n records match; returns how many did. */
static size_t wait_count(h_match_fn fn, const char *path, pid_t pid, size_t n, long ms)
{
	size_t c = count(fn, path, pid);

	for (long waited = 0; c < n && waited < ms; waited += 50) {
		h_sleep_ms(50);
		c = count(fn, path, pid);
	}
	return c;
}

/* The largest bytes_read any Read record of path claims. */
static long long max_bytes_read(const char *path)
{
	struct reader rd = { path, 0 };
	long long max = -1;

	h_read_new(A);
	for (size_t i = 0; i < A->n; i++)
		if (is_read_by(A->rec[i], &rd) && h_int(A->rec[i], "unmapped.bytes_read") > max)
			max = h_int(A->rec[i], "unmapped.bytes_read");
	return max;
}

static size_t record_index(json_object *r)
{
	for (size_t i = 0; i < A->n; i++)
		if (A->rec[i] == r)
			return i;
	return (size_t)-1;
}

/* Every files_full the Loss records reported, added up. */
static long long files_full_reported(void)
{
	long long sum = 0;

	h_read_new(A);
	for (size_t i = 0; i < A->n; i++)
		if (h_is_activity(A->rec[i], "Loss") &&
		    h_int(A->rec[i], "unmapped.since_last.files_full") > 0)
			sum += h_int(A->rec[i], "unmapped.since_last.files_full");
	return sum;
}

/*
 * Proves an absence (see harness.h): an open of a fresh watched file,
 * waited for. Whatever this process (and the children it reaped) did
 * before is in the ring buffer ahead of it, so its record would be in too.
 */
static void sync_agent(void)
{
	static int n;
	char name[32], path[PATH_MAX];

	snprintf(name, sizeof(name), "sentinel-%d", ++n);
	h_path(path, A->watch, name);
	h_write_file(path, "s", 0644);
	assert_non_null(open_record(path, getpid()));
}

/* ---- what a Read record must say ---- */

static void assert_str(json_object *r, const char *path, const char *want)
{
	const char *got = h_str(r, path);

	assert_non_null(got);
	assert_string_equal(got, want);
}

/* What every Read record carries, whatever the test. */
static void assert_read_frame(json_object *r)
{
	assert_int_equal(h_int(r, "class_uid"), 1001);
	assert_int_equal(h_int(r, "activity_id"), 2);
	assert_str(r, "activity_name", "Read");
	assert_int_equal(h_int(r, "type_uid"), 100102);
	assert_int_equal(h_int(r, "count"), h_int(r, "unmapped.read_calls"));
	assert_true(h_int(r, "unmapped.account_seq") > 0);
	assert_true(h_int(r, "unmapped.open_event_seq") > 0);
	if (h_int(r, "unmapped.read_calls") > 0) {
		assert_true(h_int(r, "start_time") > 0);
		assert_true(h_int(r, "start_time") <= h_int(r, "end_time"));
	}
}

static void assert_counts(json_object *r, long long bytes, long long calls)
{
	assert_int_equal(h_int(r, "unmapped.bytes_read"), bytes);
	assert_int_equal(h_int(r, "unmapped.read_calls"), calls);
}

/* The last report of an account: exact totals, and why it ended. */
static void assert_final(json_object *r, long long bytes, long long calls, const char *reason)
{
	assert_non_null(r);
	assert_read_frame(r);
	assert_int_equal(h_bool(r, "unmapped.final"), 1);
	assert_str(r, "unmapped.reason", reason);
	assert_counts(r, bytes, calls);
}

/* A report while the account is open: the totals so far. */
static void assert_progress(json_object *r, long long bytes, long long calls)
{
	assert_non_null(r);
	assert_read_frame(r);
	assert_int_equal(h_bool(r, "unmapped.final"), 0);
	assert_str(r, "unmapped.reason", "progress");
	assert_counts(r, bytes, calls);
}

/* The Read record counts reads made through the open this record reports. */
static void assert_of_open(json_object *read, json_object *open_rec)
{
	assert_non_null(open_rec);
	assert_int_equal(h_int(read, "unmapped.open_event_seq"),
			 h_int(open_rec, "unmapped.event_seq"));
	assert_str(read, "file.path", h_str(open_rec, "file.path"));
}

static void assert_same_account(json_object *a, json_object *b)
{
	assert_int_equal(h_int(a, "unmapped.account_seq"), h_int(b, "unmapped.account_seq"));
	assert_int_equal(h_int(a, "unmapped.open_event_seq"), h_int(b, "unmapped.open_event_seq"));
}

/* ---- processes ---- */

static bool reap_ok(pid_t pid)
{
	int status;

	return waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static bool still_running(pid_t pid)
{
	return waitpid(pid, NULL, WNOHANG) == 0;
}

static void kill_and_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static bool comm_is(pid_t pid, const char *want)
{
	char path[64], got[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(got, sizeof(got), f))
		got[0] = '\0';
	fclose(f);
	got[strcspn(got, "\n")] = '\0';
	return !strcmp(got, want);
}

static bool wait_comm(pid_t pid, const char *want, long ms)
{
	for (long waited = 0; !comm_is(pid, want); waited += 20) {
		if (waited >= ms)
			return false;
		h_sleep_ms(20);
	}
	return true;
}

/* What a holder child does before it waits to be killed. */
struct hold {
	const char *path;
	ssize_t bytes;		/* read once, right after the open */
	bool close_range_after; /* then close_range(fd, ~0U): fds gone, no close(2) */
};

static int hold_body(const struct hold *h)
{
	int fd = open(h->path, O_RDONLY);

	if (fd < 0 || read(fd, rbuf, (size_t)h->bytes) != h->bytes)
		return 1;
	if (h->close_range_after && syscall(SYS_close_range, fd, ~0U, 0))
		return 2;
	return 0;
}

/*
 * A child that does h and then stays alive, holding what it holds, until
 * killed. Returns its pid once h is done, or -1 when it failed; it dies
 * with the test process. The pipe is made before the watched open and
 * kept whole until after it, so the watched fd is above both ends and a
 * close_range from it up leaves the pipe alone.
 */
static pid_t spawn_holder(const struct hold *h)
{
	int p[2];
	char c;
	pid_t pid;
	bool ok;

	if (pipe(p))
		return -1;
	pid = h_fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (hold_body(h))
			_exit(1);
		if (write(p[1], "k", 1) != 1)
			_exit(2);
		for (;;)
			pause();
	}
	close(p[1]);
	ok = read(p[0], &c, 1) == 1;
	close(p[0]);
	if (!ok) {
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

static int send_fd(int sock, int fd)
{
	char byte = 'f';
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl = { 0 };
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space,
			      .msg_controllen = sizeof(ctl.space) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	char byte;
	union {
		struct cmsghdr h;
		char space[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { &byte, 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space,
			      .msg_controllen = sizeof(ctl.space) };
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* ---- fixtures ---- */

static int shared_group_setup(void **state)
{
	int rc;

	h_init(&H);
	rc = h_start(&H);
	if (rc)
		fprintf(stderr, "shared agent did not start (%d); its stderr is %s\n", rc, H.err);
	return rc ? -1 : 0;
}

H_GROUP_FIXTURES(H)

static int shared_setup(void **state)
{
	A = &H;
	return each_setup(state);
}

/* A fresh tree for the test's own agent, which the test starts (or not). */
static int own_setup(void **state)
{
	h_init(&S);
	A = &S;
	return 0;
}

static int own_teardown(void **state)
{
	h_cleanup(&S);
	return 0;
}

static void start_own_agent(const char *const *extra)
{
	assert_int_equal(h_start_argv(&S, extra), 0);
}

static const char *const sweep_every_second[] = { "--sweep-interval", "1", NULL };

/* ---- each read syscall, exactly ---- */

enum read_via { RD_READ, RD_PREAD64, RD_READV, RD_PREADV, RD_PREADV2 };

/* One call of the syscall under test for up to CHUNK bytes at off; the
 * vectored ones split it into two iovecs. */
static ssize_t read_via(enum read_via via, int fd, off_t off)
{
	struct iovec iov[2] = { { rbuf, CHUNK / 2 }, { rbuf + CHUNK / 2, CHUNK / 2 } };

	switch (via) {
	case RD_READ:
		return read(fd, rbuf, CHUNK);
	case RD_PREAD64:
		return pread(fd, rbuf, CHUNK, off);
	case RD_READV:
		return readv(fd, iov, 2);
	case RD_PREADV:
		return preadv(fd, iov, 2, off);
	case RD_PREADV2:
		return preadv2(fd, iov, 2, off, 0);
	}
	return -1;
}

/* The whole file, then EOF: 4096 + 4096 + 1808 + 0, four calls. */
static void assert_syscall_is_counted(enum read_via via, const char *name)
{
	char path[PATH_MAX];
	long long calls = 0;
	off_t off = 0;
	ssize_t n;
	json_object *r;
	int fd;

	watched_file(path, name, FILE_SIZE);
	fd = open_ro(path);
	do {
		n = read_via(via, fd, off);
		assert_true(n >= 0);
		off += n;
		calls++;
	} while (n > 0);
	close(fd);
	assert_int_equal(off, FILE_SIZE);
	assert_int_equal(calls, 4);
	r = final_read(path, getpid(), RECORD_MS);
	assert_final(r, FILE_SIZE, 4, "close");
	assert_of_open(r, open_record(path, getpid()));
}

static void test_read_is_counted_exactly(void **state)
{
	assert_syscall_is_counted(RD_READ, "read.txt");
}

static void test_pread64_is_counted_exactly(void **state)
{
	assert_syscall_is_counted(RD_PREAD64, "pread64.txt");
}

static void test_readv_is_counted_exactly(void **state)
{
	assert_syscall_is_counted(RD_READV, "readv.txt");
}

static void test_preadv_is_counted_exactly(void **state)
{
	assert_syscall_is_counted(RD_PREADV, "preadv.txt");
}

static void test_preadv2_is_counted_exactly(void **state)
{
	assert_syscall_is_counted(RD_PREADV2, "preadv2.txt");
}

static void test_large_file_read_in_64k_chunks_counts_every_call(void **state)
{
	char path[PATH_MAX];
	long long bytes, calls;
	int fd;

	watched_file(path, "ten-mib.bin", 10 * MiB);
	fd = open_ro(path);
	calls = read_to_eof(fd, 64 * 1024, &bytes);
	close(fd);
	assert_int_equal(bytes, 10 * MiB);
	assert_int_equal(calls, 161); /* 160 full reads and the read at EOF */
	assert_final(final_read(path, getpid(), RECORD_MS), 10 * MiB, 161, "close");
}

/* ---- the Open record and the Read record's own fields ---- */

static void test_open_record_says_its_reads_are_tracked(void **state)
{
	char path[PATH_MAX];
	json_object *open_rec;
	int fd;

	watched_file(path, "tracked.txt", FILE_SIZE);
	fd = open_ro(path);
	read_n(fd, 10);
	close(fd);
	open_rec = open_record(path, getpid());
	assert_non_null(open_rec);
	assert_int_equal(h_bool(open_rec, "unmapped.reads_tracked"), 1);
	/* Only files found open at start are "discovered". */
	assert_int_not_equal(h_bool(open_rec, "unmapped.discovered"), 1);
}

static void test_read_record_names_the_reader_and_spans_first_to_last_read(void **state)
{
	char path[PATH_MAX], comm[16] = "";
	long long before, after;
	json_object *r;
	int fd;

	prctl(PR_GET_NAME, comm);
	watched_file(path, "span.txt", FILE_SIZE);
	fd = open_ro(path);
	before = now_ms();
	read_n(fd, 1);
	h_sleep_ms(300);
	read_n(fd, 1);
	after = now_ms();
	close(fd);
	r = final_read(path, getpid(), RECORD_MS);
	assert_final(r, 2, 2, "close");
	assert_str(r, "actor.process.name", comm);
	/* Wall-clock ms of the first and last read; 20 ms for the agent's
	 * conversion from the kernel's boot clock. */
	assert_true(h_int(r, "start_time") >= before - 20);
	assert_true(h_int(r, "end_time") <= after + 20);
	assert_true(h_int(r, "end_time") - h_int(r, "start_time") >= 290);
}

/* ---- descriptors: one account per process, however many fds ---- */

enum dup_via { DP_DUP, DP_DUP2, DP_DUP3, DP_FCNTL };

static int dup_via(enum dup_via via, int fd)
{
	switch (via) {
	case DP_DUP:
		return dup(fd);
	case DP_DUP2:
		return dup2(fd, SPARE_FD);
	case DP_DUP3:
		return dup3(fd, SPARE_FD, O_CLOEXEC);
	case DP_FCNTL:
		return fcntl(fd, F_DUPFD, SPARE_FD);
	}
	return -1;
}

/*
 * 1000 bytes through the original, which is then closed, 500 through the
 * copy: one account, reported once, only when the copy (the last fd) goes.
 */
static void assert_copy_keeps_the_account(enum dup_via via, const char *name)
{
	char path[PATH_MAX];
	int fd, copy;

	watched_file(path, name, FILE_SIZE);
	assert_int_equal(fcntl(SPARE_FD, F_GETFD), -1); /* free, for dup2/dup3 */
	fd = open_ro(path);
	copy = dup_via(via, fd);
	assert_true(copy >= 0 && copy != fd);
	read_n(fd, 1000);
	close(fd);
	sync_agent();
	assert_int_equal(count(is_final_read_by, path, 0), 0); /* still held */
	read_n(copy, 500);
	close(copy);
	assert_final(final_read(path, getpid(), RECORD_MS), 1500, 2, "close");
	sync_agent();
	assert_int_equal(count(is_final_read_by, path, 0), 1);
}

static void test_dup_copy_keeps_the_account_until_the_last_close(void **state)
{
	assert_copy_keeps_the_account(DP_DUP, "dup.txt");
}

static void test_dup2_copy_keeps_the_account_until_the_last_close(void **state)
{
	assert_copy_keeps_the_account(DP_DUP2, "dup2.txt");
}

static void test_dup3_copy_keeps_the_account_until_the_last_close(void **state)
{
	assert_copy_keeps_the_account(DP_DUP3, "dup3.txt");
}

static void test_fcntl_dupfd_copy_keeps_the_account_until_the_last_close(void **state)
{
	assert_copy_keeps_the_account(DP_FCNTL, "fcntl-dupfd.txt");
}

static void test_inherited_fd_is_a_separate_account_per_process(void **state)
{
	char path[PATH_MAX];
	json_object *child_r, *parent_r, *open_rec;
	pid_t child;
	bool ok;
	int fd;

	watched_file(path, "inherited.txt", FILE_SIZE);
	fd = open_ro(path);
	read_n(fd, 100);
	child = h_fork();
	if (child == 0) /* reads through the inherited fd and exits holding it */
		_exit(read(fd, rbuf, 300) == 300 ? 0 : 1);
	ok = reap_ok(child);
	read_n(fd, 50);
	close(fd);
	assert_true(ok);
	child_r = final_read(path, child, RECORD_MS);
	parent_r = final_read(path, getpid(), RECORD_MS);
	assert_final(child_r, 300, 1, "exit");
	assert_final(parent_r, 150, 2, "close");
	/* Both read through the parent's one open, in accounts of their own. */
	open_rec = open_record(path, getpid());
	assert_of_open(child_r, open_rec);
	assert_of_open(parent_r, open_rec);
	assert_int_not_equal(h_int(child_r, "unmapped.account_seq"),
			     h_int(parent_r, "unmapped.account_seq"));
}

static void test_fd_received_over_unix_socket_is_the_receivers_account(void **state)
{
	char path[PATH_MAX];
	json_object *r;
	int sv[2], fd;
	pid_t child;
	bool ok;

	watched_file(path, "passed.txt", FILE_SIZE);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	child = h_fork();
	if (child == 0) {
		int got;

		close(sv[0]);
		got = recv_fd(sv[1]);
		_exit(got >= 0 && read(got, rbuf, 700) == 700 && close(got) == 0 ? 0 : 1);
	}
	close(sv[1]);
	/* Opened after the fork: the child can only have it by message. */
	fd = open_ro(path);
	ok = send_fd(sv[0], fd) == 0;
	ok = reap_ok(child) && ok;
	close(fd);
	close(sv[0]);
	assert_true(ok);
	r = final_read(path, child, RECORD_MS);
	assert_final(r, 700, 1, "close");
	assert_of_open(r, open_record(path, getpid()));
	sync_agent();
	/* The sender opened it but read nothing: nothing charged to it. */
	assert_int_equal(count(is_counted_read_by, path, getpid()), 0);
}

struct thread_read {
	int fd;
	ssize_t got;
};

static void *read_400(void *arg)
{
	struct thread_read *t = arg;
	char b[400];

	t->got = read(t->fd, b, sizeof(b));
	return NULL;
}

static void test_threads_of_a_process_share_one_account(void **state)
{
	char path[PATH_MAX];
	struct thread_read t;
	pthread_t th;
	json_object *r;

	watched_file(path, "threads.txt", FILE_SIZE);
	t.fd = open_ro(path);
	assert_int_equal(pthread_create(&th, NULL, read_400, &t), 0);
	pthread_join(th, NULL);
	assert_int_equal(t.got, 400);
	read_n(t.fd, 100);
	close(t.fd);
	r = final_read(path, getpid(), RECORD_MS);
	assert_final(r, 500, 2, "close");
	sync_agent();
	assert_int_equal(count(is_final_read_by, path, 0), 1);
	/* Every report of the file names the process, never the thread. */
	assert_int_equal(count(is_read_by, path, 0), count(is_read_by, path, getpid()));
}

/* ---- how an account ends ---- */

static void test_killed_reader_is_reported_at_exit(void **state)
{
	char path[PATH_MAX];
	struct hold h = { .path = path, .bytes = 500 };
	pid_t pid;

	watched_file(path, "killed.txt", FILE_SIZE);
	pid = spawn_holder(&h);
	assert_true(pid > 0);
	kill_and_reap(pid);
	assert_final(final_read(path, pid, SOON_MS), 500, 1, "exit");
}

static void test_dup2_over_the_last_fd_ends_the_account_as_replaced(void **state)
{
	char path[PATH_MAX], other[PATH_MAX];
	int fd, unwatched;

	watched_file(path, "replaced.txt", FILE_SIZE);
	make_file(other, A->root, "unwatched-replacement.txt", FILE_SIZE);
	fd = open_ro(path);
	read_n(fd, 100);
	unwatched = open_ro(other);
	assert_int_equal(dup2(unwatched, fd), fd);
	read_n(fd, 200); /* the unwatched file now */
	close(fd);
	close(unwatched);
	assert_final(final_read(path, getpid(), RECORD_MS), 100, 1, "replaced");
	sync_agent();
	/* The 200 bytes were read from a file outside the watch. */
	assert_int_equal(count(is_read_by, other, 0), 0);
	assert_int_equal(max_bytes_read(path), 100);
}

static void test_reads_of_an_unwatched_file_are_not_recorded(void **state)
{
	char path[PATH_MAX];
	int fd;

	make_file(path, A->root, "unwatched.txt", FILE_SIZE);
	fd = open_ro(path);
	read_n(fd, 1000);
	close(fd);
	sync_agent();
	assert_int_equal(count(is_read_by, path, 0), 0);
}

/*
 * Failed reads through a tracked fd (EFAULT into an unwritable page; EBADF
 * on an fd number just closed while a copy keeps the file) count nothing.
 */
static void test_failed_reads_are_not_counted(void **state)
{
	char path[PATH_MAX];
	void *no_access;
	int fd, copy;

	watched_file(path, "failed.txt", FILE_SIZE);
	no_access = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(no_access != MAP_FAILED);
	fd = open_ro(path);
	read_n(fd, 100);
	assert_int_equal(read(fd, no_access, 10), -1);
	assert_int_equal(errno, EFAULT);
	copy = dup(fd);
	assert_true(copy >= 0);
	close(fd);
	assert_int_equal(read(fd, rbuf, 10), -1);
	assert_int_equal(errno, EBADF);
	read_n(copy, 50);
	close(copy);
	munmap(no_access, 4096);
	assert_final(final_read(path, getpid(), RECORD_MS), 150, 2, "close");
}

static void test_read_of_a_write_only_fd_is_not_counted(void **state)
{
	char path[PATH_MAX];
	json_object *r;
	int fd;

	watched_file(path, "write-only.txt", FILE_SIZE);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, rbuf, 10), -1);
	assert_int_equal(errno, EBADF);
	close(fd);
	/* A second, readable open: its record comes after anything the first
	 * could have caused. */
	fd = open_ro(path);
	read_n(fd, 10);
	close(fd);
	r = final_read(path, getpid(), RECORD_MS);
	assert_final(r, 10, 1, "close");
	assert_int_equal(count(is_counted_read_by, path, 0), 1);
}

/* ---- progress ---- */

static void test_large_read_reports_progress_every_64_mib(void **state)
{
	char path[PATH_MAX];
	long long bytes, calls;
	json_object *progress, *final;
	int fd;

	watched_file(path, "seventy-mib.bin", 70 * MiB);
	fd = open_ro(path);
	calls = read_to_eof(fd, MiB, &bytes);
	close(fd);
	assert_int_equal(bytes, 70 * MiB);
	final = final_read(path, getpid(), RECORD_MS);
	assert_final(final, 70 * MiB, calls, "close");
	progress = wait_for(is_large_progress_by, path, getpid(), 0);
	assert_non_null(progress);
	assert_read_frame(progress);
	assert_str(progress, "unmapped.reason", "progress");
	assert_true(h_int(progress, "unmapped.bytes_read") <= 70 * MiB);
	assert_true(record_index(progress) < record_index(final));
	assert_same_account(progress, final);
}

static void test_idle_reads_are_reported_once_by_the_sweep_then_finally(void **state)
{
	char path[PATH_MAX];
	json_object *progress, *final;
	int fd;

	start_own_agent(sweep_every_second);
	watched_file(path, "idle.txt", FILE_SIZE);
	fd = open_ro(path);
	read_n(fd, 100);
	progress = wait_for(is_progress_read_by, path, getpid(), SOON_MS);
	assert_progress(progress, 100, 1);
	/* Two more sweeps with nothing new to report: no second report. */
	h_sleep_ms(2200);
	assert_int_equal(count(is_progress_read_by, path, 0), 1);
	read_n(fd, 50);
	close(fd);
	final = final_read(path, getpid(), RECORD_MS);
	assert_final(final, 150, 2, "close");
	assert_same_account(progress, final);
	assert_int_equal(h_stop(&S), 0);
}

/* ---- closes the hooks cannot see ---- */

static void test_close_range_is_found_by_the_sweep(void **state)
{
	char path[PATH_MAX];
	struct hold h = { .path = path, .bytes = 42, .close_range_after = true };
	json_object *r;
	bool alive;
	pid_t pid;

	start_own_agent(sweep_every_second);
	watched_file(path, "close-range.txt", FILE_SIZE);
	pid = spawn_holder(&h);
	assert_true(pid > 0);
	r = final_read(path, pid, SOON_MS);
	alive = still_running(pid);
	kill_and_reap(pid);
	assert_true(alive); /* found gone while it lived, not at its exit */
	assert_final(r, 42, 1, "missed_close");
	assert_int_equal(h_stop(&S), 0);
}

static void test_close_on_exec_ends_the_account_while_the_process_lives(void **state)
{
	char path[PATH_MAX];
	const char *reason;
	json_object *r;
	bool alive, execd;
	pid_t pid;

	start_own_agent(sweep_every_second);
	watched_file(path, "cloexec.txt", FILE_SIZE);
	pid = h_fork();
	if (pid == 0) {
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (fd < 0 || read(fd, rbuf, 77) != 77)
			_exit(1);
		execl("/bin/sleep", "sleep", "10", (char *)NULL);
		_exit(127);
	}
	r = final_read(path, pid, SOON_MS);
	execd = wait_comm(pid, "sleep", 1000); /* not a failed exec's exit */
	alive = still_running(pid);
	kill_and_reap(pid);
	assert_true(execd);
	assert_true(alive);
	assert_non_null(r);
	reason = h_str(r, "unmapped.reason");
	assert_non_null(reason);
	/* The exec hint ("exit": exec'd holding it) or the sweep; a failure
	 * shows the reason given. */
	if (strcmp(reason, "exit"))
		assert_string_equal(reason, "missed_close");
	assert_final(r, 77, 1, reason);
	assert_int_equal(h_stop(&S), 0);
}

/* ---- agent start and stop ---- */

static void test_file_open_before_start_is_discovered_and_later_reads_counted(void **state)
{
	char path[PATH_MAX];
	json_object *open_rec, *r;
	int fd;

	watched_file(path, "early.txt", FILE_SIZE);
	/* O_CLOEXEC: the agent, forked from this process, must not hold it. */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	read_n(fd, 10); /* before the agent: not counted */
	start_own_agent(NULL);
	open_rec = wait_for(is_open_rec_by, path, getpid(), SOON_MS);
	assert_non_null(open_rec);
	assert_int_equal(h_bool(open_rec, "unmapped.discovered"), 1);
	assert_int_equal(h_bool(open_rec, "unmapped.reads_tracked"), 1);
	read_n(fd, 200);
	close(fd);
	r = final_read(path, getpid(), RECORD_MS);
	assert_final(r, 200, 1, "close");
	assert_of_open(r, open_rec);
	assert_int_equal(h_stop(&S), 0);
}

static void test_agent_stop_reports_files_still_open(void **state)
{
	char path[PATH_MAX];
	int fd;

	start_own_agent(NULL);
	watched_file(path, "held-at-stop.txt", FILE_SIZE);
	fd = open_ro(path);
	read_n(fd, 123);
	assert_int_equal(h_stop(&S), 0);
	close(fd);
	assert_final(final_read(path, getpid(), 0), 123, 1, "agent_stop");
	/* The stop's own sweep sends no progress report of the same counts. */
	assert_int_equal(count(is_progress_read_by, path, getpid()), 0);
}

/* A struct file freed and reused by the next open of the same file must
 * not leave the first open's path behind in the agent. */
static void test_reopening_a_file_does_not_grow_the_agents_open_table(void **state)
{
	char path[PATH_MAX];
	json_object *stop;

	start_own_agent(NULL);
	watched_file(path, "reopened.txt", FILE_SIZE);
	for (int i = 0; i < 500; i++) {
		int fd = open_ro(path);

		read_n(fd, 10);
		close(fd);
	}
	assert_int_equal(h_stop(&S), 0);
	stop = h_wait(&S, h_is_activity, "Stop", 0);
	assert_non_null(stop);
	/* Every one was closed: at most a file the sweep has not yet seen go. */
	assert_true(h_int(stop, "unmapped.read_accounting.opens_tracked_at_stop") <= 2);
	assert_int_equal(count(is_final_read_by, path, getpid()), 500);
}

/* ---- a full file table ---- */

#define MANY_FILES 1100
#define SMALL_TABLE 1024
#define SMALL_SIZE 10

static void many_path(char *dst, int i)
{
	char name[32];

	snprintf(name, sizeof(name), "many-%04d.txt", i);
	h_path(dst, A->watch, name);
}

/* Opens every file, holding them all at once, reads each, closes all. */
static int open_all_then_read(void *arg)
{
	static int fds[MANY_FILES];
	struct rlimit rl = { MANY_FILES + 64, MANY_FILES + 64 };
	char path[PATH_MAX];

	if (setrlimit(RLIMIT_NOFILE, &rl))
		return 2;
	for (int i = 0; i < MANY_FILES; i++) {
		many_path(path, i);
		if ((fds[i] = open(path, O_RDONLY)) < 0)
			return 3;
	}
	for (int i = 0; i < MANY_FILES; i++)
		if (read(fds[i], rbuf, SMALL_SIZE) != SMALL_SIZE)
			return 4;
	for (int i = 0; i < MANY_FILES; i++)
		close(fds[i]);
	return 0;
}

static bool is_exact_small_read_by(json_object *r, const void *rd)
{
	return is_final_read_by(r, rd) && h_int(r, "unmapped.bytes_read") == SMALL_SIZE &&
	       h_int(r, "unmapped.read_calls") == 1;
}

static void test_full_file_table_is_recorded_and_counted_as_loss(void **state)
{
	const char *const extra[] = { "--max-open-files", "1024", NULL };
	char path[PATH_MAX], name[32];
	size_t tracked, untracked;
	pid_t pid;

	for (int i = 0; i < MANY_FILES; i++) { /* before the agent: no opens */
		snprintf(name, sizeof(name), "many-%04d.txt", i);
		watched_file(path, name, SMALL_SIZE);
	}
	start_own_agent(extra);
	pid = h_child(open_all_then_read, NULL);
	assert_int_equal(wait_count(is_open_rec_by, NULL, pid, MANY_FILES, RECORD_MS), MANY_FILES);
	tracked = count(is_tracked_open_by, NULL, pid);
	untracked = count(is_untracked_open_by, NULL, pid);
	assert_int_equal(tracked + untracked, MANY_FILES);
	assert_true(untracked >= MANY_FILES - SMALL_TABLE);
	assert_non_null(h_wait(A, reports_files_full, NULL, SOON_MS));
	/* Reads of the tracked files stay exact; the others have no account. */
	assert_int_equal(wait_count(is_final_read_by, NULL, pid, tracked, RECORD_MS), tracked);
	assert_int_equal(count(is_exact_small_read_by, NULL, pid), tracked);
	assert_int_equal(kill(S.agent, 0), 0); /* still up */
	assert_int_equal(h_stop(&S), 0);
	assert_int_equal(count(is_final_read_by, NULL, pid), tracked);
	/* Nothing lost silently: every untracked open was counted. */
	assert_true(files_full_reported() >= (long long)untracked);
}

/* ---- usage errors ---- */

/* Runs the agent with one more option; returns its exit status. */
static int run_with(const char *flag, const char *value)
{
	const char *const argv[] = { h_agent_path(), "--watch", S.watch, "--jsonl", S.out,
				     "--log-dir", "none", "--run-dir", "none", flag, value, NULL };
	int status;
	pid_t pid = h_fork();

	if (pid == 0) {
		int fd = open(S.err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 2);
		dup2(fd, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void assert_usage_error(const char *flag, const char *value)
{
	assert_int_equal(run_with(flag, value), 2);
	assert_true(h_file_contains(S.err, flag));
}

static void test_sweep_interval_outside_1_to_3600_is_a_usage_error(void **state)
{
	assert_usage_error("--sweep-interval", "0");
	assert_usage_error("--sweep-interval", "abc");
	assert_usage_error("--sweep-interval", "3601");
}

static void test_max_open_files_outside_1024_to_4194304_is_a_usage_error(void **state)
{
	assert_usage_error("--max-open-files", "10");
	assert_usage_error("--max-open-files", "1023");
	assert_usage_error("--max-open-files", "4194305");
}

int main(void)
{
#define SHARED(f) cmocka_unit_test_setup(f, shared_setup)
#define OWN(f) cmocka_unit_test_setup_teardown(f, own_setup, own_teardown)
	const struct CMUnitTest tests[] = {
		SHARED(test_read_is_counted_exactly),
		SHARED(test_pread64_is_counted_exactly),
		SHARED(test_readv_is_counted_exactly),
		SHARED(test_preadv_is_counted_exactly),
		SHARED(test_preadv2_is_counted_exactly),
		SHARED(test_large_file_read_in_64k_chunks_counts_every_call),
		SHARED(test_open_record_says_its_reads_are_tracked),
		SHARED(test_read_record_names_the_reader_and_spans_first_to_last_read),
		SHARED(test_dup_copy_keeps_the_account_until_the_last_close),
		SHARED(test_dup2_copy_keeps_the_account_until_the_last_close),
		SHARED(test_dup3_copy_keeps_the_account_until_the_last_close),
		SHARED(test_fcntl_dupfd_copy_keeps_the_account_until_the_last_close),
		SHARED(test_inherited_fd_is_a_separate_account_per_process),
		SHARED(test_fd_received_over_unix_socket_is_the_receivers_account),
		SHARED(test_threads_of_a_process_share_one_account),
		SHARED(test_killed_reader_is_reported_at_exit),
		SHARED(test_dup2_over_the_last_fd_ends_the_account_as_replaced),
		SHARED(test_reads_of_an_unwatched_file_are_not_recorded),
		SHARED(test_failed_reads_are_not_counted),
		SHARED(test_read_of_a_write_only_fd_is_not_counted),
		SHARED(test_large_read_reports_progress_every_64_mib),
		OWN(test_idle_reads_are_reported_once_by_the_sweep_then_finally),
		OWN(test_close_range_is_found_by_the_sweep),
		OWN(test_close_on_exec_ends_the_account_while_the_process_lives),
		OWN(test_file_open_before_start_is_discovered_and_later_reads_counted),
		OWN(test_agent_stop_reports_files_still_open),
		OWN(test_reopening_a_file_does_not_grow_the_agents_open_table),
		OWN(test_full_file_table_is_recorded_and_counted_as_loss),
		OWN(test_sweep_interval_outside_1_to_3600_is_a_usage_error),
		OWN(test_max_open_files_outside_1024_to_4194304_is_a_usage_error),
	};
#undef SHARED
#undef OWN
	return cmocka_run_group_tests(tests, shared_group_setup, group_teardown);
}
