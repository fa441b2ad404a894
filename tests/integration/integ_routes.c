// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel tests of the routes to a file's content other than read(2):
 * mmap, sendfile, splice, copy_file_range and the reflink ioctls, and the
 * everyday programs that take them (cat, cp).
 *
 *   mmap          one record per mapping (Read, or Update when shared and
 *                 writable): what it made reachable, bytes_mapped, never
 *                 counted as bytes read (page faults make no syscall)
 *   sendfile,     counted in the reader's Read record (bytes_read, and the
 *   splice,       part moved this way in bytes_sent), and one Transfer
 *   copy_file_range  record per run to one destination: where it went
 *   FICLONE,      one Clone record each: what was cloned, and where to;
 *   FICLONERANGE, into a watched file, counted as written
 *   FIDEDUPERANGE
 *
 * None of them, out of an unwatched file, makes a record. Every test knows
 * what it moved, so every count is asserted to the byte and to the call.
 * Each action runs in a child of its own, so a record is found by the
 * child's pid.
 *
 * Two kinds of agent (one cmocka group, so run.sh counts every test):
 *   H  one agent on the usual tree (root/srv/phi), shared;
 *   S  a test's own agent, for the reflink tests: it watches a directory
 *      on a loop-mounted btrfs (reflinks need one filesystem for source
 *      and destination, and one mount).
 * A points at the one the running test talks to.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <linux/fs.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>

#include "harness.h"

static struct harness H; /* the shared agent */
static struct harness S; /* a test's own agent (reflink tests) */
static struct harness *A; /* the agent of the running test */

#define KiB 1024LL
#define MiB (1024LL * 1024)
#define ROUTE_SIZE 100000 /* the usual test file: not a multiple of a page */
#define RECORD_MS 5000	  /* a record the kernel emits at once arrives by then */
#define BTRFS_IMAGE (256 * MiB)

/* What a child found out and the test needs: addresses, ports, inodes,
 * and what it counted. In a shared anonymous mapping (which the agent
 * ignores: no file). */
struct shared {
	unsigned long addr;
	long long bytes[2], calls[2]; /* per destination, in order */
	long long drained;	      /* what the far end of a socket or pipe got */
	unsigned long long dst_ino;
	char dst_dev[32];
	int local_port;
};

static struct shared *SH;
static char buf[1 << 20];

/* ---- files ---- */

/*
 * dir/name, size bytes of data (not a hole: cp skips holes), made in the
 * staging directory and renamed into dir, so that making it is not an open
 * under the watch.
 */
static void make_file(char *dst, const char *dir, const char *name, long long size)
{
	char staging[PATH_MAX], staged[PATH_MAX];
	long long left = size;
	int fd;

	h_path(staging, A->root, "staging");
	h_mkdirs(staging);
	h_path(staged, staging, name);
	fd = open(staged, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		h_die("make %s: %s", staged, strerror(errno));
	memset(buf, 'p', sizeof(buf));
	while (left > 0) {
		size_t n = left < (long long)sizeof(buf) ? (size_t)left : sizeof(buf);

		if (write(fd, buf, n) != (ssize_t)n)
			h_die("write %s: %s", staged, strerror(errno));
		left -= (long long)n;
	}
	close(fd);
	h_path(dst, dir, name);
	if (rename(staged, dst))
		h_die("rename to %s: %s", dst, strerror(errno));
}

static void watched_file(char *dst, const char *name, long long size)
{
	make_file(dst, A->watch, name, size);
}

/* A path outside every watch (the file need not exist). */
static void outside_path(char *dst, const char *name)
{
	char dir[PATH_MAX];

	h_path(dir, A->root, "outside");
	h_mkdirs(dir);
	h_path(dst, dir, name);
}

static void note_dst(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return;
	SH->dst_ino = st.st_ino;
	snprintf(SH->dst_dev, sizeof(SH->dst_dev), "%u:%u", major(st.st_dev), minor(st.st_dev));
}

/* ---- processes ---- */

static pid_t spawn(int (*fn)(void *), void *arg)
{
	pid_t pid = h_fork();

	if (pid == 0)
		_exit(fn(arg));
	return pid;
}

static bool reap_ok(pid_t pid)
{
	int status;

	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

/* ---- records ---- */

/* A record a test waits for. NULL or 0 stands for "any". */
struct want {
	int activity;	   /* activity_id */
	pid_t pid;
	const char *path;  /* file.path */
	const char *route; /* unmapped.route; "" = must have none */
	bool final;	   /* unmapped.final must be true */
	const char *dst;   /* unmapped.destination.path */
	bool at_offset;	   /* unmapped.mmap.offset must be offset */
	long long offset;
};

#define WANT(...) ((struct want){ __VA_ARGS__ })

static bool matches(json_object *r, const void *arg)
{
	const struct want *w = arg;

	if (h_int(r, "class_uid") != 1001 || h_int(r, "activity_id") != w->activity)
		return false;
	if ((w->pid && h_int(r, "actor.process.pid") != w->pid) ||
	    (w->path && !h_str_is(r, "file.path", w->path)) ||
	    (w->dst && !h_str_is(r, "unmapped.destination.path", w->dst)))
		return false;
	if (w->route && (*w->route ? !h_str_is(r, "unmapped.route", w->route)
				   : h_get(r, "unmapped.route") != NULL))
		return false;
	if (w->final && h_bool(r, "unmapped.final") != 1)
		return false;
	return !w->at_offset || h_int(r, "unmapped.mmap.offset") == w->offset;
}

/* Every record of the process or of the file, on stderr: a failure says
 * what did come. PA_SHOW=1 shows them for passing tests too. */
static void show_records(const struct want *w, const char *why)
{
	fprintf(stderr, "%s (activity %d, pid %d, %s); records of either:\n", why, w->activity,
		(int)w->pid, w->path ? w->path : "any file");
	for (size_t i = 0; i < A->n; i++) {
		json_object *r = A->rec[i];

		if ((w->pid && h_int(r, "actor.process.pid") == w->pid) ||
		    (w->path && h_str_is(r, "file.path", w->path)))
			fprintf(stderr, "  %s\n", json_object_to_json_string(r));
	}
}

static json_object *expect(struct want w)
{
	json_object *r = h_wait(A, matches, &w, RECORD_MS);

	if (!r)
		show_records(&w, "no such record");
	else if (getenv("PA_SHOW"))
		fprintf(stderr, "got: %s\n", json_object_to_json_string(r));
	return r;
}

static size_t count(struct want w)
{
	return h_count(A, matches, &w);
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

/* The final Read record of the reader's account (not an mmap record). */
static json_object *final_read(pid_t pid, const char *path)
{
	return expect(WANT(.activity = 2, .pid = pid, .path = path, .route = "", .final = true));
}

static void assert_final_read(json_object *r, long long bytes, long long calls, long long sent,
			      long long sent_calls)
{
	assert_non_null(r);
	assert_str(r, "activity_name", "Read");
	assert_str(r, "unmapped.reason", "close");
	assert_int_at(r, "unmapped.bytes_read", bytes);
	assert_int_at(r, "unmapped.read_calls", calls);
	assert_int_equal(h_int(r, "count"), calls);
	if (sent) {
		assert_int_at(r, "unmapped.bytes_sent", sent);
		assert_int_at(r, "unmapped.sent_calls", sent_calls);
	} else { /* present only when non-zero */
		assert_null(h_get(r, "unmapped.bytes_sent"));
		assert_null(h_get(r, "unmapped.sent_calls"));
	}
}

/* What every Transfer record says, whatever the route. */
static void assert_transfer(json_object *r, const char *route, const char *type, long long bytes,
			    long long calls)
{
	assert_non_null(r);
	assert_int_equal(h_int(r, "class_uid"), 1001);
	assert_int_equal(h_int(r, "activity_id"), 99);
	assert_str(r, "activity_name", "Transfer");
	assert_str(r, "unmapped.route", route);
	assert_int_at(r, "unmapped.bytes_transferred", bytes);
	assert_int_at(r, "unmapped.transfer_calls", calls);
	assert_str(r, "unmapped.destination.type", type);
}

/* The destination's identity, as the child saw it with fstat. */
static void assert_dst_inode(json_object *r)
{
	assert_int_at(r, "unmapped.destination.inode", (long long)SH->dst_ino);
}

static void assert_dst_file(json_object *r, const char *dst)
{
	assert_str(r, "unmapped.destination.path", dst);
	assert_str(r, "file_result.path", dst);
	assert_dst_inode(r);
	assert_str(r, "unmapped.destination.dev", SH->dst_dev);
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
	int rc;

	SH = mmap(NULL, sizeof(*SH), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (SH == MAP_FAILED)
		return -1;
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
	memset(SH, 0, sizeof(*SH));
	return each_setup(state);
}

/* ---- mmap ---- */

struct map_job {
	const char *path;
	int open_flags;
	size_t length;
	off_t offset;
	int prot, flags;
	size_t read_first; /* one read(2) of this many bytes before the mmap */
	size_t touch;	   /* then reads this many mapped bytes (page faults) */
	const char *sentinel; /* then opens this (see harness.h), or NULL */
};

static int map_body(void *arg)
{
	const struct map_job *j = arg;
	volatile unsigned char sum = 0;
	unsigned char *p;
	int fd = open(j->path, j->open_flags);

	if (fd < 0)
		return 2;
	if (j->read_first && read(fd, buf, j->read_first) != (ssize_t)j->read_first)
		return 3;
	p = (void *)syscall(SYS_mmap, NULL, j->length, j->prot, j->flags, fd, j->offset);
	if (p == MAP_FAILED)
		return 4;
	SH->addr = (unsigned long)p;
	for (size_t i = 0; i < j->touch; i += 512)
		sum += p[i];
	munmap(p, j->length);
	close(fd);
	if (j->sentinel && (fd = open(j->sentinel, O_RDONLY)) < 0)
		return 5;
	return 0; /* the sentinel's fd goes with the process */
}

static json_object *map_record(int activity, const struct map_job *j, pid_t *pid)
{
	*pid = h_try_child(map_body, (void *)j);
	assert_true(*pid > 0);
	return expect(WANT(.activity = activity, .pid = *pid, .path = j->path, .route = "mmap",
			   .at_offset = true, .offset = (long long)j->offset));
}

static void assert_mapping(json_object *r, const struct map_job *j, long long bytes_mapped,
			   long long file_size)
{
	const char *addr;

	assert_non_null(r);
	assert_int_at(r, "unmapped.mmap.length", (long long)j->length);
	assert_int_at(r, "unmapped.mmap.offset", (long long)j->offset);
	assert_int_at(r, "unmapped.mmap.bytes_mapped", bytes_mapped);
	assert_int_at(r, "unmapped.mmap.file_size", file_size);
	addr = h_str(r, "unmapped.mmap.address");
	assert_non_null(addr);
	assert_true(!strncmp(addr, "0x", 2));
	assert_true(strtoull(addr, NULL, 16) == SH->addr);
	/* a mapping reads nothing by itself */
	assert_null(h_get(r, "unmapped.bytes_read"));
}

static void test_mmap_records_length_offset_prot_and_bytes_mapped(void **state)
{
	char path[PATH_MAX];
	struct map_job j = { .open_flags = O_RDONLY, .length = MiB, .prot = PROT_READ,
			     .flags = MAP_PRIVATE, .touch = MiB };
	json_object *r;
	pid_t pid;

	watched_file(path, "mapped.bin", MiB);
	j.path = path;
	r = map_record(2, &j, &pid);
	assert_mapping(r, &j, MiB, MiB);
	assert_str(r, "activity_name", "Read");
	assert_str(r, "unmapped.mmap.prot", "PROT_READ");
	assert_str(r, "unmapped.mmap.flags", "MAP_PRIVATE");
}

static void test_mmap_records_bytes_mapped_clamped_to_file_size(void **state)
{
	char path[PATH_MAX];
	struct map_job whole = { .open_flags = O_RDONLY, .length = 2 * MiB, .prot = PROT_READ,
				 .flags = MAP_PRIVATE };
	struct map_job tail = { .open_flags = O_RDONLY, .length = MiB, .offset = 768 * KiB,
				.prot = PROT_READ, .flags = MAP_PRIVATE };
	pid_t pid;

	watched_file(path, "clamped.bin", MiB);
	whole.path = tail.path = path;
	/* 2 MiB asked of a 1 MiB file: 1 MiB reachable */
	assert_mapping(map_record(2, &whole, &pid), &whole, MiB, MiB);
	/* 1 MiB from 768 KiB: the last 256 KiB */
	assert_mapping(map_record(2, &tail, &pid), &tail, 256 * KiB, MiB);
}

static void test_mmap_beyond_end_of_file_maps_no_bytes(void **state)
{
	char path[PATH_MAX];
	struct map_job j = { .open_flags = O_RDONLY, .length = 64 * KiB, .offset = 2 * MiB,
			     .prot = PROT_READ, .flags = MAP_PRIVATE };
	pid_t pid;

	watched_file(path, "past-eof.bin", MiB);
	j.path = path;
	assert_mapping(map_record(2, &j, &pid), &j, 0, MiB);
}

static void test_shared_writable_mmap_is_recorded_as_update(void **state)
{
	char path[PATH_MAX];
	struct map_job j = { .open_flags = O_RDWR, .length = MiB, .prot = PROT_READ | PROT_WRITE,
			     .flags = MAP_SHARED };
	json_object *r;
	pid_t pid;

	watched_file(path, "shared-rw.bin", MiB);
	j.path = path;
	r = map_record(3, &j, &pid);
	assert_mapping(r, &j, MiB, MiB);
	assert_str(r, "activity_name", "Update");
	assert_str(r, "unmapped.mmap.prot", "PROT_READ|PROT_WRITE");
	assert_str(r, "unmapped.mmap.flags", "MAP_SHARED");
}

static void test_mapped_bytes_are_not_counted_as_read(void **state)
{
	char path[PATH_MAX];
	struct map_job j = { .open_flags = O_RDONLY, .length = MiB, .prot = PROT_READ,
			     .flags = MAP_PRIVATE, .read_first = 100, .touch = MiB };
	pid_t pid;

	watched_file(path, "read-and-mapped.bin", MiB);
	j.path = path;
	assert_mapping(map_record(2, &j, &pid), &j, MiB, MiB);
	/* 100 bytes by read(2); the mebibyte touched through the mapping is not a read */
	assert_final_read(final_read(pid, path), 100, 1, 0, 0);
}

static void test_a_mapping_alone_makes_no_read_record(void **state)
{
	char path[PATH_MAX], sentinel[PATH_MAX];
	struct map_job j = { .open_flags = O_RDONLY, .length = MiB, .prot = PROT_READ,
			     .flags = MAP_PRIVATE, .touch = MiB };
	pid_t pid;

	watched_file(path, "mapped-only.bin", MiB);
	watched_file(sentinel, "mapped-only-sentinel", 10);
	j.path = path;
	j.sentinel = sentinel;
	assert_mapping(map_record(2, &j, &pid), &j, MiB, MiB);
	assert_non_null(expect(WANT(.activity = 14, .pid = pid, .path = sentinel)));
	/* no reads: no Read record of the account, only the mapping's */
	assert_int_equal(count(WANT(.activity = 2, .pid = pid, .path = path, .route = "")), 0);
}

/* ---- sendfile to a socket ---- */

struct sock_job {
	const char *path;
	int family;   /* AF_INET, AF_INET6 (TCP on loopback) or AF_UNIX (a socketpair) */
	int port;     /* the listener's */
	int listener; /* the drainer's: a listening socket, or its end of the pair */
	int unix_end; /* the sender's end of the pair */
	bool keep_open; /* exit holding the file */
};

/* Accepts one connection (none for a pair) and reads it to EOF. */
static int drain_socket(void *arg)
{
	const struct sock_job *j = arg;
	int c = j->family == AF_UNIX ? j->listener : accept(j->listener, NULL, NULL);
	ssize_t n;

	if (c < 0)
		return 2;
	if (j->family == AF_UNIX)
		close(j->unix_end);
	while ((n = read(c, buf, sizeof(buf))) > 0)
		SH->drained += n;
	close(c);
	return n == 0 ? 0 : 3;
}

/* A loopback address of the family, at port. */
static socklen_t loopback(struct sockaddr_storage *ss, int family, int port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		a->sin6_addr = in6addr_loopback;
		return sizeof(*a);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof(*a);
}

static int port_of(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static int connect_local(const struct sock_job *j)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(&ss, j->family, j->port);
	int s;

	if (j->family == AF_UNIX)
		return j->unix_end;
	s = socket(j->family, SOCK_STREAM, 0);
	if (s < 0 || connect(s, (struct sockaddr *)&ss, len))
		return -1;
	len = sizeof(ss);
	if (getsockname(s, (struct sockaddr *)&ss, &len))
		return -1;
	SH->local_port = port_of(&ss);
	return s;
}

/* The whole file in sendfile calls of at most 40000 bytes, none at EOF. */
static int sendfile_body(void *arg)
{
	const struct sock_job *j = arg;
	int s = connect_local(j), fd;

	if (s < 0)
		return 2;
	note_dst(s);
	fd = open(j->path, O_RDONLY);
	if (fd < 0)
		return 3;
	while (SH->bytes[0] < ROUTE_SIZE) {
		long n = syscall(SYS_sendfile, s, fd, NULL, (size_t)40000);

		if (n <= 0)
			return 4;
		SH->bytes[0] += n;
		SH->calls[0]++;
	}
	if (!j->keep_open)
		close(fd);
	close(s);
	return 0;
}

/* The drainer's end: a listener on loopback, or a socketpair. */
static void listen_local(struct sock_job *j)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(&ss, j->family, 0);
	int s, sv[2];

	if (j->family == AF_UNIX) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		j->listener = sv[0];
		j->unix_end = sv[1];
		return;
	}
	s = socket(j->family, SOCK_STREAM, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&ss, len), 0);
	assert_int_equal(listen(s, 1), 0);
	len = sizeof(ss);
	assert_int_equal(getsockname(s, (struct sockaddr *)&ss, &len), 0);
	j->port = port_of(&ss);
	j->listener = s;
}

/* Sends the file through a socket of the family; the sender's pid. */
static pid_t send_over(struct sock_job *j)
{
	pid_t drainer, sender;

	listen_local(j);
	drainer = spawn(drain_socket, j);
	close(j->listener); /* the drainer's now */
	sender = h_try_child(sendfile_body, j);
	if (j->family == AF_UNIX) /* the sender's: the drainer sees EOF once it is closed */
		close(j->unix_end);
	assert_true(reap_ok(drainer));
	assert_true(sender > 0);
	assert_int_equal(SH->bytes[0], ROUTE_SIZE);
	assert_int_equal(SH->drained, ROUTE_SIZE);
	return sender;
}

static pid_t send_over_tcp(const char *path, int *port)
{
	struct sock_job j = { .path = path, .family = AF_INET };
	pid_t pid = send_over(&j);

	*port = j.port;
	return pid;
}

static void test_sendfile_to_a_socket_is_counted_as_read_and_sent(void **state)
{
	char path[PATH_MAX];
	int port;
	pid_t pid;

	watched_file(path, "sendfile.bin", ROUTE_SIZE);
	pid = send_over_tcp(path, &port);
	assert_final_read(final_read(pid, path), ROUTE_SIZE, SH->calls[0], ROUTE_SIZE,
			  SH->calls[0]);
}

static void test_sendfile_to_a_socket_records_a_transfer_to_the_peer(void **state)
{
	char path[PATH_MAX], local[64], remote[64];
	json_object *r;
	int port;
	pid_t pid;

	watched_file(path, "sendfile-transfer.bin", ROUTE_SIZE);
	pid = send_over_tcp(path, &port);
	r = expect(WANT(.activity = 99, .pid = pid, .path = path));
	assert_transfer(r, "sendfile", "socket", ROUTE_SIZE, SH->calls[0]);
	assert_str(r, "unmapped.destination.socket.family", "inet");
	assert_str(r, "unmapped.destination.socket.protocol", "tcp");
	snprintf(remote, sizeof(remote), "127.0.0.1:%d", port);
	snprintf(local, sizeof(local), "127.0.0.1:%d", SH->local_port);
	assert_str(r, "unmapped.destination.socket.remote", remote);
	assert_str(r, "unmapped.destination.socket.local", local);
	assert_dst_inode(r);
	assert_null(h_get(r, "unmapped.destination.path"));
}

static void test_sendfile_to_a_tcp6_socket_records_the_peer(void **state)
{
	char path[PATH_MAX], local[80], remote[80];
	struct sock_job j = { .family = AF_INET6 };
	json_object *r;
	pid_t pid;

	watched_file(path, "sendfile6.bin", ROUTE_SIZE);
	j.path = path;
	pid = send_over(&j);
	r = expect(WANT(.activity = 99, .pid = pid, .path = path));
	assert_transfer(r, "sendfile", "socket", ROUTE_SIZE, SH->calls[0]);
	assert_str(r, "unmapped.destination.socket.family", "inet6");
	assert_str(r, "unmapped.destination.socket.protocol", "tcp");
	snprintf(remote, sizeof(remote), "[::1]:%d", j.port);
	snprintf(local, sizeof(local), "[::1]:%d", SH->local_port);
	assert_str(r, "unmapped.destination.socket.remote", remote);
	assert_str(r, "unmapped.destination.socket.local", local);
}

static void test_sendfile_to_a_unix_socket_records_the_family(void **state)
{
	char path[PATH_MAX];
	struct sock_job j = { .family = AF_UNIX };
	json_object *r;
	pid_t pid;

	watched_file(path, "sendfile-unix.bin", ROUTE_SIZE);
	j.path = path;
	pid = send_over(&j);
	r = expect(WANT(.activity = 99, .pid = pid, .path = path));
	assert_transfer(r, "sendfile", "socket", ROUTE_SIZE, SH->calls[0]);
	assert_str(r, "unmapped.destination.socket.family", "unix");
	assert_dst_inode(r);
}

/* The sender exits holding the file: the run ends with its account. */
static void test_a_transfer_run_ends_when_the_process_exits(void **state)
{
	char path[PATH_MAX];
	struct sock_job j = { .family = AF_UNIX, .keep_open = true };
	json_object *r;
	pid_t pid;

	watched_file(path, "sendfile-exit.bin", ROUTE_SIZE);
	j.path = path;
	pid = send_over(&j);
	r = expect(WANT(.activity = 99, .pid = pid, .path = path));
	assert_transfer(r, "sendfile", "socket", ROUTE_SIZE, SH->calls[0]);
	r = final_read(pid, path);
	assert_non_null(r);
	assert_str(r, "unmapped.reason", "exit");
	assert_int_at(r, "unmapped.bytes_sent", ROUTE_SIZE);
}

/* The whole file to /dev/null in sendfile calls of at most 40000 bytes. */
static int sendfile_null_body(void *arg)
{
	int out = open("/dev/null", O_WRONLY), fd = open(arg, O_RDONLY);

	if (out < 0 || fd < 0)
		return 2;
	note_dst(out);
	while (SH->bytes[0] < ROUTE_SIZE) {
		long n = syscall(SYS_sendfile, out, fd, NULL, (size_t)40000);

		if (n <= 0)
			return 3;
		SH->bytes[0] += n;
		SH->calls[0]++;
	}
	close(fd);
	close(out);
	return 0;
}

static void test_sendfile_to_a_character_device_records_destination_other(void **state)
{
	char path[PATH_MAX];
	json_object *r;
	pid_t pid;

	watched_file(path, "sendfile-null.bin", ROUTE_SIZE);
	pid = h_try_child(sendfile_null_body, path);
	assert_true(pid > 0);
	assert_int_equal(SH->bytes[0], ROUTE_SIZE);
	r = expect(WANT(.activity = 99, .pid = pid, .path = path));
	assert_transfer(r, "sendfile", "other", ROUTE_SIZE, SH->calls[0]);
	assert_dst_inode(r);
	assert_null(h_get(r, "unmapped.destination.socket"));
}

/* ---- splice into a pipe ---- */

static int drain_pipe(int fd)
{
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		SH->drained += n;
	return n == 0 ? 0 : 3;
}

/* The whole file into a pipe a grandchild drains, 30000 bytes a call at
 * most (less than the pipe holds, so no call is short), none at EOF. */
static int splice_body(void *arg)
{
	const char *path = arg;
	int p[2], fd;
	pid_t drainer;

	if (pipe(p))
		return 2;
	note_dst(p[1]);
	drainer = h_fork(); /* before the open: it never holds the file */
	if (drainer == 0) {
		close(p[1]);
		_exit(drain_pipe(p[0]));
	}
	close(p[0]);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 3;
	while (SH->bytes[0] < ROUTE_SIZE) {
		long n = syscall(SYS_splice, fd, NULL, p[1], NULL, (size_t)30000, 0);

		if (n <= 0)
			return 4;
		SH->bytes[0] += n;
		SH->calls[0]++;
	}
	close(fd);
	close(p[1]);
	return reap_ok(drainer) ? 0 : 5;
}

static pid_t splice_to_pipe(const char *path)
{
	pid_t pid = h_try_child(splice_body, (void *)path);

	assert_true(pid > 0);
	assert_int_equal(SH->bytes[0], ROUTE_SIZE);
	assert_int_equal(SH->drained, ROUTE_SIZE);
	return pid;
}

static void test_splice_into_a_pipe_is_counted_as_read_and_sent(void **state)
{
	char path[PATH_MAX];
	pid_t pid;

	watched_file(path, "splice.bin", ROUTE_SIZE);
	pid = splice_to_pipe(path);
	assert_final_read(final_read(pid, path), ROUTE_SIZE, SH->calls[0], ROUTE_SIZE,
			  SH->calls[0]);
}

static void test_splice_into_a_pipe_records_a_transfer_to_the_pipe(void **state)
{
	char path[PATH_MAX];
	json_object *r;
	pid_t pid;

	watched_file(path, "splice-transfer.bin", ROUTE_SIZE);
	pid = splice_to_pipe(path);
	r = expect(WANT(.activity = 99, .pid = pid, .path = path));
	assert_transfer(r, "splice", "pipe", ROUTE_SIZE, SH->calls[0]);
	assert_dst_inode(r);
	assert_null(h_get(r, "unmapped.destination.path"));
	assert_null(h_get(r, "unmapped.destination.socket"));
}

/* ---- copy_file_range to a file ---- */

struct copy_job {
	const char *src;
	const char *dst[2]; /* dst[1]: NULL, or a second destination */
	long long len[2];   /* copied to each, in calls of at most chunk */
	size_t chunk;
	bool one_by_one;    /* the first closed before the second is opened */
};

static int open_dst(const char *dst)
{
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (out >= 0)
		note_dst(out);
	return out;
}

static int copy_to(int in, int out, int i, const struct copy_job *j)
{
	while (SH->bytes[i] < j->len[i]) {
		size_t ask = (size_t)(j->len[i] - SH->bytes[i]);
		long n = syscall(SYS_copy_file_range, in, NULL, out, NULL,
				 ask < j->chunk ? ask : j->chunk, 0);

		if (n <= 0)
			return -1;
		SH->bytes[i] += n;
		SH->calls[i]++;
	}
	return 0;
}

static int copy_body(void *arg)
{
	const struct copy_job *j = arg;
	int in = open(j->src, O_RDONLY), out[2] = { -1, -1 };

	if (in < 0)
		return 2;
	for (int i = 0; i < 2 && j->dst[i]; i++) {
		if (out[i] < 0 && (out[i] = open_dst(j->dst[i])) < 0)
			return 3;
		if (i == 0 && j->dst[1] && !j->one_by_one && (out[1] = open_dst(j->dst[1])) < 0)
			return 4;
		if (copy_to(in, out[i], i, j))
			return 5 + i;
		if (j->one_by_one)
			close(out[i]);
	}
	close(in);
	return 0;
}

static pid_t copy_range(struct copy_job *j)
{
	pid_t pid = h_try_child(copy_body, j);

	assert_true(pid > 0);
	return pid;
}

static void test_copy_file_range_is_counted_as_read_and_sent(void **state)
{
	char path[PATH_MAX], dst[PATH_MAX];
	struct copy_job j = { .len = { ROUTE_SIZE }, .chunk = 40000 };
	pid_t pid;

	watched_file(path, "cfr.bin", ROUTE_SIZE);
	outside_path(dst, "cfr-copy.bin");
	j.src = path;
	j.dst[0] = dst;
	pid = copy_range(&j);
	assert_int_equal(SH->calls[0], 3); /* 40000 + 40000 + 20000 */
	assert_final_read(final_read(pid, path), ROUTE_SIZE, 3, ROUTE_SIZE, 3);
}

static void test_copy_file_range_records_a_transfer_to_the_destination_file(void **state)
{
	char path[PATH_MAX], dst[PATH_MAX];
	struct copy_job j = { .len = { ROUTE_SIZE }, .chunk = 40000 };
	json_object *r;
	pid_t pid;

	watched_file(path, "cfr-transfer.bin", ROUTE_SIZE);
	outside_path(dst, "cfr-transfer-copy.bin");
	j.src = path;
	j.dst[0] = dst;
	pid = copy_range(&j);
	r = expect(WANT(.activity = 99, .pid = pid, .path = path));
	assert_transfer(r, "copy_file_range", "file", ROUTE_SIZE, 3);
	assert_dst_file(r, dst);
	assert_null(h_get(r, "unmapped.destination.socket"));
}

/* 30000 bytes to one file, then 70000 to another: two runs, two records,
 * one account. */
static void assert_two_runs(const char *name, bool one_by_one)
{
	char path[PATH_MAX], first[PATH_MAX], second[PATH_MAX], n1[64], n2[64];
	struct copy_job j = { .len = { 30000, 70000 }, .chunk = 20000, .one_by_one = one_by_one };
	json_object *a, *b;
	pid_t pid;

	snprintf(n1, sizeof(n1), "%s-first", name);
	snprintf(n2, sizeof(n2), "%s-second", name);
	watched_file(path, name, ROUTE_SIZE);
	outside_path(first, n1);
	outside_path(second, n2);
	j.src = path;
	j.dst[0] = first;
	j.dst[1] = second;
	pid = copy_range(&j);
	assert_int_equal(SH->calls[0], 2); /* 20000 + 10000 */
	assert_int_equal(SH->calls[1], 4); /* 20000 * 3 + 10000 */
	a = expect(WANT(.activity = 99, .pid = pid, .path = path, .dst = first));
	b = expect(WANT(.activity = 99, .pid = pid, .path = path, .dst = second));
	assert_transfer(a, "copy_file_range", "file", 30000, 2);
	assert_transfer(b, "copy_file_range", "file", 70000, 4);
	assert_int_equal(count(WANT(.activity = 99, .pid = pid)), 2);
	assert_final_read(final_read(pid, path), ROUTE_SIZE, 6, ROUTE_SIZE, 6);
}

static void test_a_new_destination_ends_a_transfer_run(void **state)
{
	assert_two_runs("cfr-two.bin", false);
}

/* The second destination may reuse the first one's struct file: still
 * another file, another run. */
static void test_a_destination_opened_after_the_last_was_closed_is_a_new_run(void **state)
{
	assert_two_runs("cfr-one-by-one.bin", true);
}

/* ---- cat and cp ---- */

struct prog_job {
	const char *argv[4];
	const char *stdout_to; /* NULL: inherited */
};

static int exec_body(void *arg)
{
	const struct prog_job *j = arg;

	if (j->stdout_to) {
		int fd = open(j->stdout_to, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd < 0 || dup2(fd, 1) < 0)
			return 2;
		close(fd);
	}
	execv(j->argv[0], (char *const *)j->argv);
	return 127;
}

static void assert_same_size(const char *path, long long size)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, size);
}

/* Both copy with copy_file_range here (coreutils 9): the calls are
 * theirs to choose, the bytes are not. A call at EOF (0 bytes) moves
 * nothing. */
static void assert_copied_by_copy_file_range(pid_t pid, const char *path, const char *dst)
{
	json_object *read_rec, *xfer;
	long long calls;

	read_rec = final_read(pid, path);
	assert_non_null(read_rec);
	calls = h_int(read_rec, "unmapped.read_calls");
	assert_true(calls >= 1);
	assert_final_read(read_rec, ROUTE_SIZE, calls, ROUTE_SIZE, calls);
	xfer = expect(WANT(.activity = 99, .pid = pid, .path = path));
	assert_transfer(xfer, "copy_file_range", "file", ROUTE_SIZE, calls);
	assert_str(xfer, "unmapped.destination.path", dst);
	assert_str(xfer, "file_result.path", dst);
}

static void test_cat_into_a_file_is_counted_exactly(void **state)
{
	char path[PATH_MAX], dst[PATH_MAX];
	struct prog_job j = { .argv = { "/bin/cat", NULL } };
	pid_t pid;

	watched_file(path, "cat.bin", ROUTE_SIZE);
	outside_path(dst, "cat-out.bin");
	j.argv[1] = path;
	j.stdout_to = dst;
	pid = h_try_child(exec_body, &j);
	assert_true(pid > 0);
	assert_same_size(dst, ROUTE_SIZE);
	assert_copied_by_copy_file_range(pid, path, dst);
}

static void test_cp_is_counted_exactly(void **state)
{
	char path[PATH_MAX], dst[PATH_MAX];
	struct prog_job j = { .argv = { "/bin/cp", NULL, NULL } };
	pid_t pid;

	watched_file(path, "cp.bin", ROUTE_SIZE);
	outside_path(dst, "cp-out.bin");
	j.argv[1] = path;
	j.argv[2] = dst;
	pid = h_try_child(exec_body, &j);
	assert_true(pid > 0);
	assert_same_size(dst, ROUTE_SIZE);
	assert_copied_by_copy_file_range(pid, path, dst);
}

/* cp tries FICLONE first; on ext4 it fails (EOPNOTSUPP): nothing cloned. */
static void test_cp_failed_reflink_makes_no_clone_record(void **state)
{
	char path[PATH_MAX], dst[PATH_MAX];
	struct prog_job j = { .argv = { "/bin/cp", NULL, NULL } };
	pid_t pid;

	watched_file(path, "cp-noclone.bin", ROUTE_SIZE);
	outside_path(dst, "cp-noclone-out.bin");
	j.argv[1] = path;
	j.argv[2] = dst;
	pid = h_try_child(exec_body, &j);
	assert_true(pid > 0);
	/* The transfer ends at the last close, after the ioctl. */
	assert_non_null(expect(WANT(.activity = 99, .pid = pid, .path = path)));
	assert_int_equal(count(WANT(.activity = 99, .pid = pid)), 1);
	assert_non_null(expect(WANT(.activity = 99, .pid = pid, .route = "copy_file_range")));
}

/* ---- files no watch covers ---- */

struct unwatched_job {
	const char *src, *dst, *sentinel;
};

/* Every route out of an unwatched file, then an open of a watched
 * sentinel (see harness.h): once its record is in, any record of the
 * routes would be too. */
static int unwatched_body(void *arg)
{
	const struct unwatched_job *j = arg;
	int in = open(j->src, O_RDONLY), out = open(j->dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int p[2], s;
	void *m;

	if (in < 0 || out < 0 || pipe(p))
		return 2;
	m = mmap(NULL, ROUTE_SIZE, PROT_READ, MAP_PRIVATE, in, 0);
	if (m == MAP_FAILED || munmap(m, ROUTE_SIZE))
		return 3;
	if (syscall(SYS_copy_file_range, in, NULL, out, NULL, (size_t)1000, 0) != 1000 ||
	    syscall(SYS_sendfile, out, in, NULL, (size_t)1000) != 1000 ||
	    syscall(SYS_splice, in, NULL, p[1], NULL, (size_t)1000, 0) != 1000)
		return 4;
	close(out);
	close(in);
	s = open(j->sentinel, O_RDONLY);
	if (s < 0)
		return 5;
	close(s);
	return 0;
}

static void test_routes_out_of_an_unwatched_file_make_no_record(void **state)
{
	char src[PATH_MAX], dst[PATH_MAX], sentinel[PATH_MAX], dir[PATH_MAX];
	struct unwatched_job j;
	pid_t pid;

	h_path(dir, A->root, "outside");
	h_mkdirs(dir);
	make_file(src, dir, "unwatched.bin", ROUTE_SIZE);
	outside_path(dst, "unwatched-copy.bin");
	watched_file(sentinel, "routes-sentinel", 10);
	j = (struct unwatched_job){ src, dst, sentinel };
	pid = h_try_child(unwatched_body, &j);
	assert_true(pid > 0);
	assert_non_null(expect(WANT(.activity = 14, .pid = pid, .path = sentinel)));
	for (int activity = 1; activity < 100; activity++)
		if (activity != 14)
			assert_int_equal(count(WANT(.activity = activity, .pid = pid)), 0);
}

/* ---- reflinks, on a loop-mounted btrfs ---- */

static char btrfs_mnt[PATH_MAX];
static bool btrfs_mounted;

/* Runs argv quietly (its output in the agent's stderr file); exit status. */
static int run_quiet(const char *const *argv)
{
	int status;
	pid_t pid = h_fork();

	if (pid == 0) {
		int fd = open(A->err, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static bool find_tool(char *dst, const char *name)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		h_path(dst, dirs[i], name);
		if (!access(dst, X_OK))
			return true;
	}
	return false;
}

static int own_setup(void **state)
{
	h_init(&S);
	A = &S;
	memset(SH, 0, sizeof(*SH));
	btrfs_mounted = false;
	return 0;
}

static int own_teardown(void **state)
{
	if (S.agent > 0)
		h_stop(&S);
	if (btrfs_mounted && umount2(btrfs_mnt, 0))
		umount2(btrfs_mnt, MNT_DETACH);
	btrfs_mounted = false;
	h_cleanup(&S);
	return 0;
}

/*
 * A 256 MiB btrfs image in the test's tree, loop-mounted at root/btrfs;
 * the agent watches root/btrfs/phi, where src (ROUTE_SIZE bytes) is;
 * root/btrfs/out is outside the watch, on the same filesystem and mount,
 * where clones may go, and where copy (the same bytes) is. Skips (a failure
 * under CI=true) when btrfs-progs or loop mounts are missing.
 */
/* ROUTE_SIZE bytes of the pattern make_file writes. */
static void write_pattern(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	memset(buf, 'p', ROUTE_SIZE);
	assert_true(fd >= 0 && write(fd, buf, ROUTE_SIZE) == ROUTE_SIZE);
	close(fd);
}

static void start_on_btrfs(char *src, char *copy, const char *name)
{
	char mkfs[PATH_MAX], mount_bin[PATH_MAX], img[PATH_MAX], dir[PATH_MAX];
	int fd;

	if (!find_tool(mkfs, "mkfs.btrfs")) {
		fprintf(stderr, "SKIP: mkfs.btrfs not found (Debian: btrfs-progs): "
				"no filesystem with reflinks to test FICLONE on\n");
		skip();
	}
	if (!find_tool(mount_bin, "mount")) {
		fprintf(stderr, "SKIP: mount(8) not found (util-linux)\n");
		skip();
	}
	h_path(img, S.root, "btrfs.img");
	fd = open(img, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, BTRFS_IMAGE), 0);
	close(fd);
	assert_int_equal(run_quiet((const char *const[]){ mkfs, "-q", "-f", img, NULL }), 0);
	h_path(btrfs_mnt, S.root, "btrfs");
	h_mkdirs(btrfs_mnt);
	if (run_quiet((const char *const[]){ mount_bin, "-t", "btrfs", "-o", "loop", img,
					     btrfs_mnt, NULL })) {
		fprintf(stderr, "SKIP: cannot loop-mount a btrfs image (see %s)\n", S.err);
		skip();
	}
	btrfs_mounted = true;
	h_path(S.watch, btrfs_mnt, "phi");
	h_mkdirs(S.watch);
	h_path(dir, btrfs_mnt, "out");
	h_mkdirs(dir);
	/* made before the start: not opens the agent sees */
	h_path(src, S.watch, name);
	h_path(copy, dir, name);
	write_pattern(src);
	write_pattern(copy);
	assert_int_equal(h_start(&S), 0);
}

struct clone_job {
	const char *src, *dst;
	bool range;
	struct file_clone_range fcr; /* when range */
	int ready, go, go_w;	     /* when ready is not -1: says "k" on it after the
				      * ioctl, then holds the files until go (whose
				      * write end is go_w) reads EOF */
};

static int clone_body(void *arg)
{
	struct clone_job *j = arg;
	int in = open(j->src, O_RDONLY), out;

	if (in < 0)
		return 2;
	out = open(j->dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0)
		return 3;
	note_dst(out);
	j->fcr.src_fd = in;
	if (j->range ? ioctl(out, FICLONERANGE, &j->fcr) : ioctl(out, FICLONE, in)) {
		perror("clone");
		return 4;
	}
	if (j->ready >= 0 &&
	    (close(j->go_w) || write(j->ready, "k", 1) != 1 || read(j->go, buf, 1) != 0))
		return 5;
	close(out);
	close(in);
	return 0;
}

static json_object *clone_record(struct clone_job *j)
{
	pid_t pid = h_try_child(clone_body, j);

	assert_true(pid > 0);
	return expect(WANT(.activity = 99, .pid = pid, .path = j->src));
}

static void assert_clone(json_object *r, const char *route, long long bytes, const char *dst)
{
	assert_non_null(r);
	assert_str(r, "activity_name", "Clone");
	assert_str(r, "unmapped.route", route);
	assert_int_at(r, "unmapped.bytes_transferred", bytes);
	assert_str(r, "unmapped.destination.type", "file");
	assert_str(r, "unmapped.destination.path", dst);
	assert_str(r, "file_result.path", dst);
	/* btrfs reports a subvolume's st_dev, not the superblock's: the inode only */
	assert_dst_inode(r);
}

static void test_ficlone_records_a_clone_of_the_whole_file(void **state)
{
	char path[PATH_MAX], copy[PATH_MAX], dst[PATH_MAX];
	struct clone_job j = { .ready = -1 };
	json_object *r;

	start_on_btrfs(path, copy, "cloned.bin");
	h_path(dst, S.root, "btrfs/out/clone.bin");
	j.src = path;
	j.dst = dst;
	r = clone_record(&j);
	assert_clone(r, "ficlone", ROUTE_SIZE, dst);
	assert_int_at(r, "unmapped.clone.offset", 0);
	assert_int_at(r, "unmapped.clone.length", 0); /* to the end */
	assert_same_size(dst, ROUTE_SIZE);
}

static void test_ficlonerange_records_the_range_cloned(void **state)
{
	char path[PATH_MAX], copy[PATH_MAX], dst[PATH_MAX];
	struct clone_job j = { .range = true,
			       .fcr = { .src_offset = 4096, .src_length = 8192, .dest_offset = 0 },
			       .ready = -1 };
	json_object *r;

	start_on_btrfs(path, copy, "ranged.bin");
	h_path(dst, S.root, "btrfs/out/range.bin");
	j.src = path;
	j.dst = dst;
	r = clone_record(&j);
	assert_clone(r, "ficlonerange", 8192, dst);
	assert_int_at(r, "unmapped.clone.offset", 4096);
	assert_int_at(r, "unmapped.clone.length", 8192);
	assert_same_size(dst, 8192);
}

/* Unlike a transfer run, a clone is recorded at once, files still open. */
static void test_a_clone_is_recorded_while_the_files_are_still_open(void **state)
{
	char path[PATH_MAX], copy[PATH_MAX], dst[PATH_MAX];
	struct clone_job j = { 0 };
	int ready[2], go[2];
	json_object *r;
	pid_t pid;
	char c;

	start_on_btrfs(path, copy, "cloned-held.bin");
	h_path(dst, S.root, "btrfs/out/clone-held.bin");
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	j = (struct clone_job){ .src = path, .dst = dst, .ready = ready[1], .go = go[0],
				.go_w = go[1] };
	pid = spawn(clone_body, &j);
	close(go[0]);
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	r = expect(WANT(.activity = 99, .pid = pid, .path = path));
	close(go[1]); /* let it close its files and go */
	close(ready[0]);
	assert_true(reap_ok(pid));
	assert_clone(r, "ficlone", ROUTE_SIZE, dst);
}

struct dedupe_job {
	const char *src, *dst; /* the same bytes */
};

static int dedupe_body(void *arg)
{
	const struct dedupe_job *j = arg;
	struct {
		struct file_dedupe_range r;
		struct file_dedupe_range_info info[1];
	} d = { .r = { .src_offset = 0, .src_length = 64 * KiB, .dest_count = 1 } };
	int in = open(j->src, O_RDONLY), out = open(j->dst, O_RDWR);

	if (in < 0 || out < 0)
		return 2;
	note_dst(out);
	d.info[0].dest_fd = out;
	if (ioctl(in, FIDEDUPERANGE, &d) || d.info[0].status != FILE_DEDUPE_RANGE_SAME ||
	    d.info[0].bytes_deduped != 64 * KiB) {
		perror("dedupe");
		return 3;
	}
	close(out);
	close(in);
	return 0;
}

static void test_fideduperange_records_the_range_deduplicated(void **state)
{
	char path[PATH_MAX], copy[PATH_MAX];
	struct dedupe_job j;
	json_object *r;
	pid_t pid;

	start_on_btrfs(path, copy, "deduped.bin");
	j.src = path;
	j.dst = copy;
	pid = h_try_child(dedupe_body, &j);
	assert_true(pid > 0);
	r = expect(WANT(.activity = 99, .pid = pid, .path = path));
	assert_clone(r, "fideduperange", 64 * KiB, copy);
	assert_int_at(r, "unmapped.clone.offset", 0);
	assert_int_at(r, "unmapped.clone.length", 64 * KiB);
}

/* An unwatched file cloned over a watched one: written, like a copy into it. */
static void test_ficlone_into_a_watched_file_is_counted_as_written(void **state)
{
	char path[PATH_MAX], copy[PATH_MAX];
	struct clone_job j = { .ready = -1 };
	json_object *r;
	pid_t pid;

	start_on_btrfs(path, copy, "clone-into.bin");
	j.src = copy;
	j.dst = path;
	pid = h_try_child(clone_body, &j);
	assert_true(pid > 0);
	r = expect(WANT(.activity = 3, .pid = pid, .path = path, .route = "", .final = true));
	assert_non_null(r);
	assert_str(r, "activity_name", "Update");
	assert_str(r, "unmapped.reason", "close");
	assert_int_at(r, "unmapped.write_calls", 1);
	assert_int_at(r, "unmapped.bytes_written", ROUTE_SIZE);
	/* the source is not watched: no Clone record */
	assert_int_equal(count(WANT(.activity = 99, .pid = pid)), 0);
}

int main(void)
{
#define SHARED(f) cmocka_unit_test_setup(f, shared_setup)
#define OWN(f) cmocka_unit_test_setup_teardown(f, own_setup, own_teardown)
	const struct CMUnitTest tests[] = {
		SHARED(test_mmap_records_length_offset_prot_and_bytes_mapped),
		SHARED(test_mmap_records_bytes_mapped_clamped_to_file_size),
		SHARED(test_mmap_beyond_end_of_file_maps_no_bytes),
		SHARED(test_shared_writable_mmap_is_recorded_as_update),
		SHARED(test_mapped_bytes_are_not_counted_as_read),
		SHARED(test_a_mapping_alone_makes_no_read_record),
		SHARED(test_sendfile_to_a_socket_is_counted_as_read_and_sent),
		SHARED(test_sendfile_to_a_socket_records_a_transfer_to_the_peer),
		SHARED(test_sendfile_to_a_tcp6_socket_records_the_peer),
		SHARED(test_sendfile_to_a_unix_socket_records_the_family),
		SHARED(test_a_transfer_run_ends_when_the_process_exits),
		SHARED(test_sendfile_to_a_character_device_records_destination_other),
		SHARED(test_splice_into_a_pipe_is_counted_as_read_and_sent),
		SHARED(test_splice_into_a_pipe_records_a_transfer_to_the_pipe),
		SHARED(test_copy_file_range_is_counted_as_read_and_sent),
		SHARED(test_copy_file_range_records_a_transfer_to_the_destination_file),
		SHARED(test_a_new_destination_ends_a_transfer_run),
		SHARED(test_a_destination_opened_after_the_last_was_closed_is_a_new_run),
		SHARED(test_cat_into_a_file_is_counted_exactly),
		SHARED(test_cp_is_counted_exactly),
		SHARED(test_cp_failed_reflink_makes_no_clone_record),
		SHARED(test_routes_out_of_an_unwatched_file_make_no_record),
		OWN(test_ficlone_records_a_clone_of_the_whole_file),
		OWN(test_ficlonerange_records_the_range_cloned),
		OWN(test_a_clone_is_recorded_while_the_files_are_still_open),
		OWN(test_fideduperange_records_the_range_deduplicated),
		OWN(test_ficlone_into_a_watched_file_is_counted_as_written),
	};
#undef SHARED
#undef OWN
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
