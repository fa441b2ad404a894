// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel tests of changes to watched files: writes through an open file
 * (the Update record of the writer's account, exact to the byte and the
 * call), and changes by path or descriptor, each one record: truncate,
 * unlink, rmdir, rename (within, out of, into a watched tree), link,
 * chmod, chown, extended attributes; a denied change, recorded as a
 * failure; and the created flag of an Open record.
 *
 * One agent (the real programs, the sanitised build) serves the group.
 * Each action runs in a child of its own, so its records are found by the
 * child's pid. Files are made by the test process in root/staging and
 * renamed into place: the child's action is the only thing it does to
 * them.
 *
 * Tree (root is a fresh /tmp/pa-integ-XXXXXX; /tmp is ext4 here, with
 * user xattrs):
 *   root/srv/phi/     watched
 *   root/outside/     not watched
 *   root/staging/     where files are made
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <grp.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/xattr.h>

#include "harness.h"

static struct harness H;

#define RECORD_MS 5000 /* a record the kernel emits at once arrives by then */
#define CHUNK 1000     /* one write call */
#define WRITES 3       /* write calls a write test makes */
#define NOBODY 65534

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452 /* Linux 6.6; newer than these headers */
#endif

static char outside[PATH_MAX], buf[1 << 16];

/* ---- files ---- */

/* dir/name, size bytes, made in staging and renamed into dir. */
static void make_file(char *dst, const char *dir, const char *name, long long size)
{
	char staging[PATH_MAX], staged[PATH_MAX];
	int fd;

	h_path(staging, H.root, "staging");
	h_path(staged, staging, name);
	fd = open(staged, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, size))
		h_die("make %s: %s", staged, strerror(errno));
	close(fd);
	h_path(dst, dir, name);
	if (rename(staged, dst))
		h_die("rename to %s: %s", dst, strerror(errno));
}

static void watched_file(char *dst, const char *name)
{
	make_file(dst, H.watch, name, 4096);
}

static void outside_file(char *dst, const char *name)
{
	make_file(dst, outside, name, 4096);
}

/* ---- processes ---- */

static pid_t in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = h_try_child(fn, arg);

	assert_true(pid > 0);
	return pid;
}

/* ---- records ---- */

/* A record a test waits for. NULL or 0 stands for "any". */
struct want {
	int activity;	     /* activity_id */
	pid_t pid;
	const char *path;    /* file.path */
	const char *syscall; /* unmapped.syscall */
	const char *has;     /* a field that must be present */
	bool final;	     /* unmapped.final must be true */
};

#define WANT(...) ((struct want){ __VA_ARGS__ })

static bool matches(json_object *r, const void *arg)
{
	const struct want *w = arg;

	if (h_int(r, "class_uid") != 1001 ||
	    (w->activity && h_int(r, "activity_id") != w->activity))
		return false;
	if ((w->pid && h_int(r, "actor.process.pid") != w->pid) ||
	    (w->path && !h_str_is(r, "file.path", w->path)) ||
	    (w->syscall && !h_str_is(r, "unmapped.syscall", w->syscall)))
		return false;
	return (!w->has || h_get(r, w->has)) && (!w->final || h_bool(r, "unmapped.final") == 1);
}

/* Every record of the process or of the file, on stderr: a failure says
 * what did come. PA_SHOW=1 shows what matched in passing tests too. */
static void show_records(const struct want *w, const char *why)
{
	fprintf(stderr, "%s (activity %d, pid %d, %s, syscall %s); records of either:\n", why,
		w->activity, (int)w->pid, w->path ? w->path : "any file",
		w->syscall ? w->syscall : "any");
	for (size_t i = 0; i < H.n; i++) {
		json_object *r = H.rec[i];

		if ((w->pid && h_int(r, "actor.process.pid") == w->pid) ||
		    (w->path && h_str_is(r, "file.path", w->path)))
			fprintf(stderr, "  %s\n", json_object_to_json_string(r));
	}
}

static json_object *expect(struct want w)
{
	json_object *r = h_wait(&H, matches, &w, RECORD_MS);

	if (!r)
		show_records(&w, "no such record");
	else if (getenv("PA_SHOW"))
		fprintf(stderr, "got: %s\n", json_object_to_json_string(r));
	return r;
}

static size_t count(struct want w)
{
	return h_count(&H, matches, &w);
}

static void assert_str(json_object *r, const char *path, const char *want)
{
	const char *got = h_str(r, path);

	if (!got || strcmp(got, want))
		fprintf(stderr, "%s: want \"%s\" in %s\n", path, want,
			json_object_to_json_string(r));
	assert_non_null(got);
	assert_string_equal(got, want);
}

static void assert_int_at(json_object *r, const char *path, long long want)
{
	if (!h_get(r, path) || h_int(r, path) != want)
		fprintf(stderr, "%s: want %lld in %s\n", path, want, json_object_to_json_string(r));
	assert_non_null(h_get(r, path));
	assert_int_equal(h_int(r, path), want);
}

static void assert_true_at(json_object *r, const char *path)
{
	if (h_bool(r, path) != 1)
		fprintf(stderr, "%s: not true in %s\n", path, json_object_to_json_string(r));
	assert_int_equal(h_bool(r, path), 1);
}

static void assert_not_true_at(json_object *r, const char *path)
{
	if (h_bool(r, path) == 1)
		fprintf(stderr, "%s: true in %s\n", path, json_object_to_json_string(r));
	assert_int_not_equal(h_bool(r, path), 1);
}

/* What every change record says: who, which call, and that it worked. */
static void assert_change(json_object *r, int activity, const char *name, const char *syscall)
{
	assert_non_null(r);
	assert_int_equal(h_int(r, "class_uid"), 1001);
	assert_int_equal(h_int(r, "activity_id"), activity);
	assert_str(r, "activity_name", name);
	assert_int_equal(h_int(r, "type_uid"), 100100 + activity);
	assert_str(r, "unmapped.syscall", syscall);
	assert_str(r, "status", "Success");
}

/*
 * The sentinel (see harness.h): a child that made a change that must not
 * be recorded then opens a fresh watched file. Once that open's record is
 * in, any record of the change would be too.
 */
static void sentinel_path(char *dst)
{
	static int n;
	char name[32];

	snprintf(name, sizeof(name), "sentinel-%d", ++n);
	watched_file(dst, name);
}

static int open_sentinel(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static void wait_sentinel(pid_t pid, const char *sentinel)
{
	assert_non_null(expect(WANT(.activity = 14, .pid = pid, .path = sentinel)));
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
	char staging[PATH_MAX];
	int rc;

	h_init(&H);
	h_path(outside, H.root, "outside");
	h_mkdirs(outside);
	h_path(staging, H.root, "staging");
	h_mkdirs(staging);
	rc = h_start(&H);
	if (rc)
		fprintf(stderr, "agent did not start (%d); its stderr is %s\n", rc, H.err);
	return rc ? -1 : 0;
}

H_GROUP_FIXTURES(H)

/* ---- each write syscall, exactly ---- */

enum write_via { WR_WRITE, WR_PWRITE64, WR_WRITEV, WR_PWRITEV, WR_PWRITEV2 };

struct write_job {
	const char *path;
	enum write_via via;
};

/* One call of CHUNK bytes at off; the vectored ones in two iovecs. The
 * system calls themselves: libc may pick another for a wrapper. */
static long write_via(enum write_via via, int fd, off_t off)
{
	struct iovec iov[2] = { { buf, CHUNK / 2 }, { buf + CHUNK / 2, CHUNK / 2 } };

	switch (via) {
	case WR_WRITE:
		return syscall(SYS_write, fd, buf, CHUNK);
	case WR_PWRITE64:
		return syscall(SYS_pwrite64, fd, buf, CHUNK, off);
	case WR_WRITEV:
		return syscall(SYS_writev, fd, iov, 2);
	case WR_PWRITEV:
		return syscall(SYS_pwritev, fd, iov, 2, (long)off, 0L);
	case WR_PWRITEV2:
		return syscall(SYS_pwritev2, fd, iov, 2, (long)off, 0L, 0);
	}
	return -1;
}

static int write_body(void *arg)
{
	const struct write_job *j = arg;
	int fd = open(j->path, O_WRONLY);

	if (fd < 0)
		return 2;
	for (int i = 0; i < WRITES; i++)
		if (write_via(j->via, fd, (off_t)i * CHUNK) != CHUNK)
			return 3;
	close(fd);
	return 0;
}

static json_object *final_update(pid_t pid, const char *path)
{
	return expect(WANT(.activity = 3, .pid = pid, .path = path, .has = "unmapped.account_seq",
			   .final = true));
}

/* The last report of a writer's account: exact totals, at its close. */
static void assert_final_update(json_object *r, long long bytes, long long calls)
{
	assert_non_null(r);
	assert_str(r, "activity_name", "Update");
	assert_int_equal(h_int(r, "type_uid"), 100103);
	assert_str(r, "unmapped.reason", "close");
	assert_int_at(r, "unmapped.bytes_written", bytes);
	assert_int_at(r, "unmapped.write_calls", calls);
	assert_int_equal(h_int(r, "count"), calls);
	assert_true(h_int(r, "unmapped.open_event_seq") > 0);
	assert_null(h_get(r, "unmapped.bytes_read"));
}

static void assert_write_is_counted(enum write_via via, const char *name)
{
	char path[PATH_MAX];
	struct write_job j = { .via = via };
	json_object *r, *open_rec;
	pid_t pid;

	watched_file(path, name);
	j.path = path;
	pid = in_child(write_body, &j);
	r = final_update(pid, path);
	assert_final_update(r, WRITES * CHUNK, WRITES);
	open_rec = expect(WANT(.activity = 14, .pid = pid, .path = path));
	assert_non_null(open_rec);
	assert_int_equal(h_int(r, "unmapped.open_event_seq"),
			 h_int(open_rec, "unmapped.event_seq"));
}

static void test_write_is_counted_as_written_exactly(void **state)
{
	assert_write_is_counted(WR_WRITE, "write.txt");
}

static void test_pwrite64_is_counted_as_written_exactly(void **state)
{
	assert_write_is_counted(WR_PWRITE64, "pwrite64.txt");
}

static void test_writev_is_counted_as_written_exactly(void **state)
{
	assert_write_is_counted(WR_WRITEV, "writev.txt");
}

static void test_pwritev_is_counted_as_written_exactly(void **state)
{
	assert_write_is_counted(WR_PWRITEV, "pwritev.txt");
}

static void test_pwritev2_is_counted_as_written_exactly(void **state)
{
	assert_write_is_counted(WR_PWRITEV2, "pwritev2.txt");
}

struct then_sentinel {
	void *job;
	int (*fn)(void *);
	const char *sentinel;
};

static int then_sentinel_body(void *arg)
{
	const struct then_sentinel *t = arg;
	int rc = t->fn(t->job);

	if (rc)
		return rc;
	return open_sentinel(t->sentinel) ? 90 : 0;
}

/* Runs fn(job) then opens a sentinel, in one child; returns once the
 * sentinel's record is in. */
static pid_t then_sentinel(int (*fn)(void *), void *job)
{
	char sentinel[PATH_MAX];
	struct then_sentinel t = { job, fn, sentinel };
	pid_t pid;

	sentinel_path(sentinel);
	pid = in_child(then_sentinel_body, &t);
	wait_sentinel(pid, sentinel);
	return pid;
}

static void test_writes_make_no_read_record(void **state)
{
	char path[PATH_MAX];
	struct write_job j = { .via = WR_WRITE };
	pid_t pid;

	watched_file(path, "written-not-read.txt");
	j.path = path;
	pid = then_sentinel(write_body, &j);
	assert_non_null(final_update(pid, path));
	assert_int_equal(count(WANT(.activity = 2, .pid = pid, .path = path)), 0);
}

/* Writes CHUNK bytes and exits holding the file. */
static int write_and_exit_body(void *arg)
{
	int fd = open(arg, O_WRONLY);

	if (fd < 0 || syscall(SYS_write, fd, buf, CHUNK) != CHUNK)
		return 2;
	_exit(0);
}

static void test_writer_exiting_with_the_file_open_is_reported_at_exit(void **state)
{
	char path[PATH_MAX];
	json_object *r;
	pid_t pid;

	watched_file(path, "written-then-exit.txt");
	pid = in_child(write_and_exit_body, path);
	r = final_update(pid, path);
	assert_non_null(r);
	assert_str(r, "unmapped.reason", "exit");
	assert_int_at(r, "unmapped.bytes_written", CHUNK);
	assert_int_at(r, "unmapped.write_calls", 1);
}

/* 500 bytes read and 700 written through one O_RDWR descriptor. */
static int read_write_body(void *arg)
{
	int fd = open(arg, O_RDWR);

	if (fd < 0 || syscall(SYS_read, fd, buf, 500) != 500 ||
	    syscall(SYS_write, fd, buf, 700) != 700)
		return 2;
	close(fd);
	return 0;
}

static void test_reads_and_writes_through_one_fd_are_counted_apart(void **state)
{
	char path[PATH_MAX];
	json_object *update, *read_rec;
	pid_t pid;

	watched_file(path, "read-write.txt");
	pid = in_child(read_write_body, path);
	update = final_update(pid, path);
	assert_final_update(update, 700, 1);
	read_rec = expect(WANT(.activity = 2, .pid = pid, .path = path, .final = true));
	assert_non_null(read_rec);
	assert_int_at(read_rec, "unmapped.bytes_read", 500);
	assert_int_at(read_rec, "unmapped.read_calls", 1);
	assert_null(h_get(read_rec, "unmapped.bytes_written"));
	/* one open, one process: one account */
	assert_int_equal(h_int(update, "unmapped.open_event_seq"),
			 h_int(read_rec, "unmapped.open_event_seq"));
	assert_int_equal(h_int(update, "unmapped.account_seq"),
			 h_int(read_rec, "unmapped.account_seq"));
}

/* A write to a read-only descriptor fails (EBADF); the read after it counts. */
static int write_read_only_body(void *arg)
{
	int fd = open(arg, O_RDONLY);

	if (fd < 0 || syscall(SYS_write, fd, buf, CHUNK) != -1 || errno != EBADF ||
	    syscall(SYS_read, fd, buf, 10) != 10)
		return 2;
	close(fd);
	return 0;
}

static void test_failed_writes_are_not_counted(void **state)
{
	char path[PATH_MAX];
	pid_t pid;

	watched_file(path, "write-read-only.txt");
	pid = then_sentinel(write_read_only_body, path);
	assert_non_null(expect(WANT(.activity = 2, .pid = pid, .path = path, .final = true)));
	assert_int_equal(count(WANT(.activity = 3, .pid = pid, .path = path)), 0);
}

/* ---- transfers into a watched file ---- */

enum into_via { IN_SENDFILE, IN_COPY_FILE_RANGE, IN_SPLICE };

struct into_job {
	const char *src; /* unwatched */
	const char *dst; /* watched */
	enum into_via via;
};

/* WRITES calls of CHUNK bytes each into dst, from src (or from a pipe
 * filled from memory, for splice). */
static int into_body(void *arg)
{
	const struct into_job *j = arg;
	int in = open(j->src, O_RDONLY), out, p[2];

	if (in < 0 || pipe(p))
		return 2;
	if (j->via == IN_SPLICE && write(p[1], buf, WRITES * CHUNK) != WRITES * CHUNK)
		return 3;
	out = open(j->dst, O_WRONLY);
	if (out < 0)
		return 4;
	for (int i = 0; i < WRITES; i++) {
		long n = -1;

		if (j->via == IN_SENDFILE)
			n = syscall(SYS_sendfile, out, in, NULL, (size_t)CHUNK);
		else if (j->via == IN_COPY_FILE_RANGE)
			n = syscall(SYS_copy_file_range, in, NULL, out, NULL, (size_t)CHUNK, 0);
		else
			n = syscall(SYS_splice, p[0], NULL, out, NULL, (size_t)CHUNK, 0);
		if (n != CHUNK)
			return 5;
	}
	close(out);
	return 0;
}

static void assert_into_is_counted(enum into_via via, const char *name)
{
	char src[PATH_MAX], dst[PATH_MAX];
	struct into_job j = { .via = via };
	pid_t pid;

	outside_file(src, name);
	watched_file(dst, name);
	j.src = src;
	j.dst = dst;
	pid = in_child(into_body, &j);
	assert_final_update(final_update(pid, dst), WRITES * CHUNK, WRITES);
}

static void test_sendfile_into_a_watched_file_is_counted_as_written(void **state)
{
	assert_into_is_counted(IN_SENDFILE, "sendfile-into.txt");
}

static void test_copy_file_range_into_a_watched_file_is_counted_as_written(void **state)
{
	assert_into_is_counted(IN_COPY_FILE_RANGE, "cfr-into.txt");
}

static void test_splice_into_a_watched_file_is_counted_as_written(void **state)
{
	assert_into_is_counted(IN_SPLICE, "splice-into.txt");
}

/* ---- changes by path or descriptor ---- */

/* One system call on a path, in a child: sys(arg0, path or fd, ...). */
enum call {
	C_TRUNCATE, C_FTRUNCATE, C_UNLINK, C_UNLINKAT, C_RMDIR, C_RENAME, C_RENAMEAT,
	C_RENAMEAT2, C_LINK, C_LINKAT, C_CHMOD, C_FCHMOD, C_FCHMODAT, C_FCHMODAT2, C_CHOWN,
	C_FCHOWN, C_LCHOWN, C_FCHOWNAT, C_SETXATTR, C_LSETXATTR, C_FSETXATTR, C_REMOVEXATTR,
	C_LREMOVEXATTR, C_FREMOVEXATTR, C_OPEN_CREAT, C_SETXATTRAT, C_REMOVEXATTRAT,
};

/* setxattrat(2), removexattrat(2) (6.13): no libc wrappers yet */
#define NR_SETXATTRAT 463
#define NR_REMOVEXATTRAT 466

struct xattr_args_v0 {
	unsigned long long value;
	unsigned int size;
	unsigned int flags;
};

struct change {
	enum call call;
	const char *path, *to; /* to: the new name of rename and link */
	long arg;	       /* a length, a mode, a uid */
	long arg2;	       /* a gid */
	uid_t as_uid;	       /* 0: root */
	int expect_errno;      /* 0: must succeed */
};

static long call_on_fd(const struct change *c)
{
	int fd = open(c->path, O_RDWR);
	long rc;

	if (fd < 0)
		return -1;
	if (c->call == C_FTRUNCATE)
		rc = syscall(SYS_ftruncate, fd, c->arg);
	else if (c->call == C_FCHMOD)
		rc = syscall(SYS_fchmod, fd, c->arg);
	else if (c->call == C_FSETXATTR)
		rc = syscall(SYS_fsetxattr, fd, "user.x", "v", 1, 0);
	else if (c->call == C_FREMOVEXATTR)
		rc = syscall(SYS_fremovexattr, fd, "user.x");
	else
		rc = syscall(SYS_fchown, fd, c->arg, c->arg2);
	close(fd);
	return rc;
}

/* unlinkat with a dirfd on the file's directory and its base name. */
static long call_unlinkat(const struct change *c)
{
	char dir[PATH_MAX];
	const char *base = strrchr(c->path, '/') + 1;
	int dfd;
	long rc;

	snprintf(dir, sizeof(dir), "%.*s", (int)(base - c->path - 1), c->path);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return -1;
	rc = syscall(SYS_unlinkat, dfd, base, 0);
	close(dfd);
	return rc;
}

static long call_open_creat(const struct change *c)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, c->path, (int)c->arg, 0644);

	if (fd >= 0)
		close(fd);
	return fd < 0 ? -1 : 0;
}

static long make_call(const struct change *c)
{
	switch (c->call) {
	case C_TRUNCATE: return syscall(SYS_truncate, c->path, c->arg);
	case C_FTRUNCATE:
	case C_FCHMOD:
	case C_FCHOWN:
	case C_FSETXATTR:
	case C_FREMOVEXATTR: return call_on_fd(c);
	case C_SETXATTRAT: {
		struct xattr_args_v0 args = { .value = (unsigned long long)(uintptr_t)"v", .size = 1 };

		return syscall(NR_SETXATTRAT, AT_FDCWD, c->path, 0, "user.x", &args, sizeof(args));
	}
	case C_REMOVEXATTRAT: return syscall(NR_REMOVEXATTRAT, AT_FDCWD, c->path, 0, "user.x");
	case C_UNLINK: return syscall(SYS_unlink, c->path);
	case C_UNLINKAT: return call_unlinkat(c);
	case C_RMDIR: return syscall(SYS_rmdir, c->path);
	case C_RENAME: return syscall(SYS_rename, c->path, c->to);
	case C_RENAMEAT: return syscall(SYS_renameat, AT_FDCWD, c->path, AT_FDCWD, c->to);
	case C_RENAMEAT2: return syscall(SYS_renameat2, AT_FDCWD, c->path, AT_FDCWD, c->to, c->arg);
	case C_LINK: return syscall(SYS_link, c->path, c->to);
	case C_LINKAT: return syscall(SYS_linkat, AT_FDCWD, c->path, AT_FDCWD, c->to, 0);
	case C_CHMOD: return syscall(SYS_chmod, c->path, c->arg);
	case C_FCHMODAT: return syscall(SYS_fchmodat, AT_FDCWD, c->path, c->arg);
	case C_FCHMODAT2: return syscall(SYS_fchmodat2, AT_FDCWD, c->path, c->arg, 0);
	case C_CHOWN: return syscall(SYS_chown, c->path, c->arg, c->arg2);
	case C_LCHOWN: return syscall(SYS_lchown, c->path, c->arg, c->arg2);
	case C_FCHOWNAT: return syscall(SYS_fchownat, AT_FDCWD, c->path, c->arg, c->arg2, 0);
	case C_SETXATTR: return syscall(SYS_setxattr, c->path, "user.x", "v", 1, 0);
	case C_LSETXATTR: return syscall(SYS_lsetxattr, c->path, "user.x", "v", 1, 0);
	case C_REMOVEXATTR: return syscall(SYS_removexattr, c->path, "user.x");
	case C_LREMOVEXATTR: return syscall(SYS_lremovexattr, c->path, "user.x");
	case C_OPEN_CREAT: return call_open_creat(c);
	}
	return -1;
}

static int change_body(void *arg)
{
	const struct change *c = arg;
	long rc;

	if (c->as_uid && (setgroups(0, NULL) || setgid(c->as_uid) || setuid(c->as_uid)))
		return 2;
	rc = make_call(c);
	if (c->expect_errno)
		return rc < 0 && errno == c->expect_errno ? 0 : 3;
	if (rc < 0) {
		perror("change");
		return 4;
	}
	return 0;
}

/* Makes the change in a child; the record of it (activity, syscall). */
static json_object *change_record(struct change *c, int activity, const char *syscall_name)
{
	pid_t pid = in_child(change_body, c);

	return expect(WANT(.activity = activity, .pid = pid, .path = c->path,
			   .syscall = syscall_name));
}

static void test_truncate_records_the_new_length(void **state)
{
	char path[PATH_MAX];
	struct change c = { .call = C_TRUNCATE, .arg = 1234 };
	json_object *r;

	watched_file(path, "truncated.txt");
	c.path = path;
	r = change_record(&c, 3, "truncate");
	assert_change(r, 3, "Update", "truncate");
	assert_int_at(r, "unmapped.truncate_length", 1234);
	assert_str(r, "unmapped.path_source", "user");
}

static void test_ftruncate_records_the_new_length(void **state)
{
	char path[PATH_MAX];
	struct change c = { .call = C_FTRUNCATE, .arg = 777 };
	json_object *r;

	watched_file(path, "ftruncated.txt");
	c.path = path;
	r = change_record(&c, 3, "ftruncate");
	assert_change(r, 3, "Update", "ftruncate");
	assert_int_at(r, "unmapped.truncate_length", 777);
	assert_str(r, "unmapped.path_source", "kernel");
}

static void test_unlink_records_a_delete_named_by_the_user(void **state)
{
	char path[PATH_MAX];
	struct change c = { .call = C_UNLINK };
	json_object *r;

	watched_file(path, "unlinked.txt");
	c.path = path;
	r = change_record(&c, 4, "unlink");
	assert_change(r, 4, "Delete", "unlink");
	assert_str(r, "unmapped.path_source", "user");
}

static void test_unlinkat_records_a_delete(void **state)
{
	char path[PATH_MAX];
	struct change c = { .call = C_UNLINKAT };

	watched_file(path, "unlinkat.txt");
	c.path = path;
	assert_change(change_record(&c, 4, "unlinkat"), 4, "Delete", "unlinkat");
}

static void test_rmdir_records_a_delete(void **state)
{
	char path[PATH_MAX];
	struct change c = { .call = C_RMDIR };

	h_path(path, H.watch, "emptied-dir");
	h_mkdirs(path);
	c.path = path;
	assert_change(change_record(&c, 4, "rmdir"), 4, "Delete", "rmdir");
}

static json_object *rename_record(struct change *c, const char *syscall_name)
{
	json_object *r = change_record(c, 5, syscall_name);

	assert_change(r, 5, "Rename", syscall_name);
	assert_str(r, "file_result.path", c->to);
	return r;
}

static void test_rename_within_the_tree_records_both_paths(void **state)
{
	char from[PATH_MAX], to[PATH_MAX], dir[PATH_MAX];
	struct change c = { .call = C_RENAME };
	json_object *r;

	watched_file(from, "renamed-from.txt");
	h_path(dir, H.watch, "sub");
	h_mkdirs(dir);
	h_path(to, dir, "renamed-to.txt");
	c.path = from;
	c.to = to;
	r = rename_record(&c, "rename");
	assert_not_true_at(r, "unmapped.moved_out");
	assert_not_true_at(r, "unmapped.moved_in");
}

static void test_rename_out_of_the_tree_is_recorded_as_moved_out(void **state)
{
	char from[PATH_MAX], to[PATH_MAX];
	struct change c = { .call = C_RENAMEAT2 };
	json_object *r;

	watched_file(from, "moved-out.txt");
	h_path(to, outside, "moved-out.txt");
	c.path = from;
	c.to = to;
	r = rename_record(&c, "renameat2");
	assert_true_at(r, "unmapped.moved_out");
	assert_not_true_at(r, "unmapped.moved_in");
}

static void test_rename_into_the_tree_is_recorded_as_moved_in(void **state)
{
	char from[PATH_MAX], to[PATH_MAX];
	struct change c = { .call = C_RENAMEAT };
	json_object *r;

	outside_file(from, "moved-in.txt");
	h_path(to, H.watch, "moved-in.txt");
	c.path = from;
	c.to = to;
	r = rename_record(&c, "renameat");
	assert_true_at(r, "unmapped.moved_in");
	assert_not_true_at(r, "unmapped.moved_out");
}

static void test_link_out_of_the_tree_records_a_hard_link(void **state)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct change c = { .call = C_LINK };
	json_object *r;

	watched_file(path, "linked.txt");
	h_path(link, outside, "link-to-linked.txt");
	c.path = path;
	c.to = link;
	r = change_record(&c, 1, "link");
	assert_change(r, 1, "Create", "link");
	assert_str(r, "file_result.path", link);
	assert_true_at(r, "unmapped.hard_link");
	assert_true_at(r, "unmapped.link_outside");
	assert_not_true_at(r, "unmapped.moved_out"); /* a link moves nothing */
}

/* mv ../srv/phi/x . from a directory outside: the kernel resolves the
 * leading ".." from the cwd, and so does the audit. */
static int rename_up_and_in(void *arg)
{
	const char *name = arg;
	char from[PATH_MAX];

	snprintf(from, sizeof(from), "../srv/phi/%s", name);
	if (chdir(outside))
		return 1;
	return syscall(SYS_rename, from, name) ? 2 : 0;
}

static void test_rename_out_through_dotdot_from_outside_is_recorded(void **state)
{
	char path[PATH_MAX], to[PATH_MAX];
	json_object *r;
	pid_t pid;

	watched_file(path, "dotdot-out.txt");
	h_path(to, outside, "dotdot-out.txt");
	pid = in_child(rename_up_and_in, "dotdot-out.txt");
	r = expect(WANT(.activity = 5, .pid = pid, .path = path));
	assert_non_null(r);
	assert_str(r, "file_result.path", to);
	assert_true_at(r, "unmapped.moved_out");
	assert_not_true_at(r, "unmapped.path_uncertain");
}

/* RENAME_EXCHANGE of an outside decoy with a watched file: the watched
 * file now has the decoy's outside name, and opens through it are audited. */
static void test_exchange_with_an_outside_file_keeps_the_watched_one_audited(void **state)
{
	char watched[PATH_MAX], decoy[PATH_MAX];
	struct change c = { .call = C_RENAMEAT2, .arg = 2 /* RENAME_EXCHANGE */ };
	struct change op = { .call = C_OPEN_CREAT, .arg = O_RDONLY };
	json_object *r;
	pid_t pid;

	watched_file(watched, "exchanged.txt");
	h_path(decoy, outside, "decoy.txt");
	h_write_file(decoy, "nothing\n", 0644);
	c.path = decoy;
	c.to = watched;
	r = rename_record(&c, "renameat2");
	assert_true_at(r, "unmapped.exchanged");
	assert_true_at(r, "unmapped.moved_in");
	op.path = decoy; /* now the watched file's content */
	pid = in_child(change_body, &op);
	r = expect(WANT(.activity = 14, .pid = pid, .path = decoy));
	assert_non_null(r);
	assert_true_at(r, "unmapped.watched_inode");
}

static void test_open_through_a_link_outside_the_tree_is_recorded_as_watched_inode(void **state)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct change ln = { .call = C_LINKAT }, op = { .call = C_OPEN_CREAT, .arg = O_RDONLY };
	json_object *r;
	pid_t pid;

	watched_file(path, "linked-then-opened.txt");
	h_path(link, outside, "link-then-open.txt");
	ln.path = path;
	ln.to = link;
	assert_change(change_record(&ln, 1, "linkat"), 1, "Create", "linkat");
	op.path = link;
	pid = in_child(change_body, &op);
	r = expect(WANT(.activity = 14, .pid = pid, .path = link));
	assert_non_null(r);
	assert_true_at(r, "unmapped.watched_inode");
}

/* A mode change, by path (source "user") or by descriptor ("kernel"). */
static void assert_mode_change(enum call call, const char *syscall_name, const char *source)
{
	char path[PATH_MAX];
	struct change c = { .call = call, .arg = 0600 };
	json_object *r;

	watched_file(path, syscall_name);
	c.path = path;
	r = change_record(&c, 7, syscall_name);
	assert_change(r, 7, "Set Security", syscall_name);
	assert_str(r, "unmapped.mode", "0600");
	assert_str(r, "unmapped.path_source", source);
}

static void test_chmod_records_the_mode(void **state)
{
	assert_mode_change(C_CHMOD, "chmod", "user");
}

static void test_fchmod_records_the_mode(void **state)
{
	assert_mode_change(C_FCHMOD, "fchmod", "kernel");
}

static void test_fchmodat_records_the_mode(void **state)
{
	assert_mode_change(C_FCHMODAT, "fchmodat", "user");
}

static void test_fchmodat2_records_the_mode(void **state)
{
	assert_mode_change(C_FCHMODAT2, "fchmodat2", "user");
}

/* An owner change to 1234:5678, or to 4321 with the group left as is (-1). */
static void assert_owner_change(enum call call, const char *syscall_name, bool keep_gid)
{
	char path[PATH_MAX];
	struct change c = { .call = call, .arg = keep_gid ? 4321 : 1234,
			    .arg2 = keep_gid ? -1 : 5678 };
	json_object *r;

	watched_file(path, syscall_name);
	c.path = path;
	r = change_record(&c, 7, syscall_name);
	assert_change(r, 7, "Set Security", syscall_name);
	assert_int_at(r, "unmapped.owner.uid", c.arg);
	if (keep_gid)
		assert_null(h_get(r, "unmapped.owner.gid"));
	else
		assert_int_at(r, "unmapped.owner.gid", c.arg2);
}

static void test_chown_records_the_owner(void **state)
{
	assert_owner_change(C_CHOWN, "chown", false);
}

static void test_lchown_records_the_owner(void **state)
{
	assert_owner_change(C_LCHOWN, "lchown", false);
}

static void test_fchownat_records_the_owner(void **state)
{
	assert_owner_change(C_FCHOWNAT, "fchownat", false);
}

static void test_fchown_leaves_out_an_unchanged_gid(void **state)
{
	assert_owner_change(C_FCHOWN, "fchown", true);
}

/* user.x set (or, when removed, set first and then removed). */
static void assert_xattr_change(enum call call, const char *syscall_name, bool removed,
				const char *source)
{
	char path[PATH_MAX];
	struct change c = { .call = call };
	json_object *r;

	watched_file(path, syscall_name);
	if (removed)
		assert_int_equal(setxattr(path, "user.x", "v", 1, 0), 0);
	c.path = path;
	r = change_record(&c, 6, syscall_name);
	assert_change(r, 6, "Set Attributes", syscall_name);
	assert_str(r, "unmapped.xattr", "user.x");
	assert_str(r, "unmapped.path_source", source);
	if (removed)
		assert_true_at(r, "unmapped.xattr_removed");
	else
		assert_not_true_at(r, "unmapped.xattr_removed");
}

static void test_setxattr_records_the_attribute_name(void **state)
{
	assert_xattr_change(C_SETXATTR, "setxattr", false, "user");
}

static void test_lsetxattr_records_the_attribute_name(void **state)
{
	assert_xattr_change(C_LSETXATTR, "lsetxattr", false, "user");
}

static void test_fsetxattr_records_the_attribute_name(void **state)
{
	assert_xattr_change(C_FSETXATTR, "fsetxattr", false, "kernel");
}

static void test_removexattr_records_the_attribute_removed(void **state)
{
	assert_xattr_change(C_REMOVEXATTR, "removexattr", true, "user");
}

static void test_lremovexattr_records_the_attribute_removed(void **state)
{
	assert_xattr_change(C_LREMOVEXATTR, "lremovexattr", true, "user");
}

static void test_fremovexattr_records_the_attribute_removed(void **state)
{
	assert_xattr_change(C_FREMOVEXATTR, "fremovexattr", true, "kernel");
}

static void test_setxattrat_records_the_attribute_name(void **state)
{
	assert_xattr_change(C_SETXATTRAT, "setxattrat", false, "user");
}

static void test_removexattrat_records_the_attribute_removed(void **state)
{
	assert_xattr_change(C_REMOVEXATTRAT, "removexattrat", true, "user");
}

/*
 * A watched file's inode, reached by a name outside every watch. The agent
 * learns of the new name from the link's record, so the tests wait for it.
 * By fd only: chmod(2) by that outside name leaves no kernel object at the
 * hook to know the inode by (docs/coverage.md, "Out of reach").
 */
static void assert_mode_change_through_a_link(enum call call, const char *syscall_name)
{
	char path[PATH_MAX], via[PATH_MAX], name[64];
	struct change ln = { .call = C_LINK }, c = { .call = call, .arg = 0600 };
	json_object *r;

	snprintf(name, sizeof(name), "%s-via-link.txt", syscall_name);
	watched_file(path, name);
	h_path(via, outside, name);
	ln.path = path;
	ln.to = via;
	assert_non_null(change_record(&ln, 1, "link"));
	c.path = via;
	r = change_record(&c, 7, syscall_name);
	assert_change(r, 7, "Set Security", syscall_name);
	assert_str(r, "unmapped.mode", "0600");
	/* named as the process named it, known by its inode, with its watch */
	assert_str(r, "file.path", via);
	assert_true_at(r, "unmapped.watched_inode");
	assert_str(r, "unmapped.watch", H.watch);
}

static void test_fchmod_through_a_link_outside_the_tree_is_recorded(void **state)
{
	assert_mode_change_through_a_link(C_FCHMOD, "fchmod");
}

/* ---- failures ---- */

static void test_unlink_denied_is_recorded_as_failure(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct change c = { .call = C_UNLINK, .as_uid = NOBODY, .expect_errno = EACCES };
	json_object *r;

	h_path(dir, H.watch, "locked"); /* root's, 0755: nobody may not unlink in it */
	h_mkdirs(dir);
	make_file(path, dir, "kept.txt", 10);
	c.path = path;
	r = change_record(&c, 4, "unlink");
	assert_non_null(r);
	assert_str(r, "activity_name", "Delete");
	assert_str(r, "status", "Failure");
	assert_str(r, "status_code", "EACCES"); /* as for a denied open */
	assert_non_null(h_str(r, "status_detail"));
	assert_str(r, "actor.user.uid", "65534");
	assert_int_equal(access(path, F_OK), 0); /* still there */
}

/* A change nobody may make; its record, which must say it failed. */
static json_object *denied_record(struct change *c, int activity, const char *syscall_name,
				  const char *code)
{
	json_object *r = change_record(c, activity, syscall_name);

	assert_non_null(r);
	assert_str(r, "status", "Failure");
	assert_str(r, "status_code", code);
	assert_non_null(h_str(r, "status_detail"));
	assert_str(r, "actor.user.uid", "65534");
	return r;
}

static void test_truncate_denied_is_recorded_as_failure(void **state)
{
	char path[PATH_MAX];
	struct change c = { .call = C_TRUNCATE, .arg = 0, .as_uid = NOBODY,
			    .expect_errno = EACCES };
	struct stat st;

	watched_file(path, "truncate-denied.txt"); /* root's, 0644 */
	c.path = path;
	assert_str(denied_record(&c, 3, "truncate", "EACCES"), "activity_name", "Update");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 4096); /* untouched */
}

static void test_chmod_by_a_non_owner_is_recorded_as_failure(void **state)
{
	char path[PATH_MAX];
	struct change c = { .call = C_CHMOD, .arg = 0666, .as_uid = NOBODY, .expect_errno = EPERM };
	json_object *r;

	watched_file(path, "chmod-denied.txt");
	c.path = path;
	r = denied_record(&c, 7, "chmod", "EPERM");
	assert_str(r, "activity_name", "Set Security");
	assert_str(r, "unmapped.mode", "0666"); /* what was asked */
}

static void test_unlink_of_a_missing_file_is_not_recorded(void **state)
{
	char path[PATH_MAX];
	struct change c = { .call = C_UNLINK, .expect_errno = ENOENT };
	pid_t pid;

	h_path(path, H.watch, "never-was.txt");
	c.path = path;
	pid = then_sentinel(change_body, &c);
	assert_int_equal(count(WANT(.pid = pid, .path = path)), 0);
}

/* ---- the created flag of an Open record ---- */

static void test_open_that_creates_a_file_says_created(void **state)
{
	char path[PATH_MAX];
	struct change c = { .call = C_OPEN_CREAT, .arg = O_WRONLY | O_CREAT | O_EXCL };
	json_object *r;
	pid_t pid;

	h_path(path, H.watch, "created.txt");
	c.path = path;
	pid = in_child(change_body, &c);
	r = expect(WANT(.activity = 14, .pid = pid, .path = path));
	assert_non_null(r);
	assert_true_at(r, "unmapped.created");
}

static void test_o_creat_of_an_existing_file_does_not_say_created(void **state)
{
	char path[PATH_MAX];
	struct change c = { .call = C_OPEN_CREAT, .arg = O_WRONLY | O_CREAT };
	json_object *r;
	pid_t pid;

	watched_file(path, "existing.txt");
	c.path = path;
	pid = in_child(change_body, &c);
	r = expect(WANT(.activity = 14, .pid = pid, .path = path));
	assert_non_null(r);
	assert_null(h_get(r, "unmapped.created"));
}

/* ---- outside the watch ---- */

/* Every kind of change, to a file no watch covers. */
static int change_unwatched_body(void *arg)
{
	const char *dir = arg;
	char a[PATH_MAX], b[PATH_MAX], d[PATH_MAX];
	int fd;

	h_path(a, dir, "u-a.txt");
	h_path(b, dir, "u-b.txt");
	h_path(d, dir, "u-dir");
	fd = open(a, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || syscall(SYS_write, fd, buf, CHUNK) != CHUNK ||
	    syscall(SYS_pwrite64, fd, buf, CHUNK, 0L) != CHUNK || syscall(SYS_ftruncate, fd, 10L) ||
	    syscall(SYS_fchmod, fd, 0600) || syscall(SYS_fchown, fd, 1, 1))
		return 2;
	close(fd);
	if (syscall(SYS_truncate, a, 5L) || syscall(SYS_chmod, a, 0644) ||
	    syscall(SYS_chown, a, 2, 2) || syscall(SYS_setxattr, a, "user.x", "v", 1, 0) ||
	    syscall(SYS_removexattr, a, "user.x"))
		return 3;
	if (syscall(SYS_link, a, b) || syscall(SYS_unlink, b) || syscall(SYS_rename, a, b) ||
	    syscall(SYS_unlink, b))
		return 4;
	if (mkdir(d, 0755) || syscall(SYS_rmdir, d))
		return 5;
	return 0;
}

static void test_changes_to_an_unwatched_file_make_no_record(void **state)
{
	char dir[PATH_MAX];
	pid_t pid;

	h_path(dir, outside, "unwatched");
	h_mkdirs(dir);
	pid = then_sentinel(change_unwatched_body, dir);
	/* the sentinel's Open is the child's one record */
	assert_int_equal(count(WANT(.pid = pid)), 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup(f, each_setup)
	const struct CMUnitTest tests[] = {
		T(test_write_is_counted_as_written_exactly),
		T(test_pwrite64_is_counted_as_written_exactly),
		T(test_writev_is_counted_as_written_exactly),
		T(test_pwritev_is_counted_as_written_exactly),
		T(test_pwritev2_is_counted_as_written_exactly),
		T(test_writes_make_no_read_record),
		T(test_writer_exiting_with_the_file_open_is_reported_at_exit),
		T(test_reads_and_writes_through_one_fd_are_counted_apart),
		T(test_failed_writes_are_not_counted),
		T(test_sendfile_into_a_watched_file_is_counted_as_written),
		T(test_copy_file_range_into_a_watched_file_is_counted_as_written),
		T(test_splice_into_a_watched_file_is_counted_as_written),
		T(test_truncate_records_the_new_length),
		T(test_ftruncate_records_the_new_length),
		T(test_unlink_records_a_delete_named_by_the_user),
		T(test_unlinkat_records_a_delete),
		T(test_rmdir_records_a_delete),
		T(test_rename_within_the_tree_records_both_paths),
		T(test_rename_out_of_the_tree_is_recorded_as_moved_out),
		T(test_rename_into_the_tree_is_recorded_as_moved_in),
		T(test_link_out_of_the_tree_records_a_hard_link),
		T(test_open_through_a_link_outside_the_tree_is_recorded_as_watched_inode),
		T(test_exchange_with_an_outside_file_keeps_the_watched_one_audited),
		T(test_rename_out_through_dotdot_from_outside_is_recorded),
		T(test_chmod_records_the_mode),
		T(test_fchmod_records_the_mode),
		T(test_fchmodat_records_the_mode),
		T(test_fchmodat2_records_the_mode),
		T(test_chown_records_the_owner),
		T(test_lchown_records_the_owner),
		T(test_fchownat_records_the_owner),
		T(test_fchown_leaves_out_an_unchanged_gid),
		T(test_setxattr_records_the_attribute_name),
		T(test_lsetxattr_records_the_attribute_name),
		T(test_fsetxattr_records_the_attribute_name),
		T(test_removexattr_records_the_attribute_removed),
		T(test_lremovexattr_records_the_attribute_removed),
		T(test_fremovexattr_records_the_attribute_removed),
		T(test_setxattrat_records_the_attribute_name),
		T(test_removexattrat_records_the_attribute_removed),
		T(test_fchmod_through_a_link_outside_the_tree_is_recorded),
		T(test_unlink_denied_is_recorded_as_failure),
		T(test_truncate_denied_is_recorded_as_failure),
		T(test_chmod_by_a_non_owner_is_recorded_as_failure),
		T(test_unlink_of_a_missing_file_is_not_recorded),
		T(test_open_that_creates_a_file_says_created),
		T(test_o_creat_of_an_existing_file_does_not_say_created),
		T(test_changes_to_an_unwatched_file_make_no_record),
	};
#undef T
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
