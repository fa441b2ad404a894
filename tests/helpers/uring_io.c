// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * uring_io SCENARIO PATH: opens and reads PATH only through io_uring, the
 * way one scenario of the io_uring audit needs, and prints what it did as
 * one line of key=value pairs on stdout, e.g.
 *
 *   scenario=open-read tgid=812 pid=812 open_op=OPENAT read_op=READ fd=4
 *   fixed=0 sqe_flags=0x0 skip_success=0 sqpoll=0 requests=5
 *   requested=327680 bytes=200000 cqes=7
 *
 * (one line, for a 200,000-byte file: four full READs, one short, one at
 * end of file). The contract the integration tests rely on:
 *  - PATH is never touched by open(2)/openat(2)/read(2)/write(2): it is
 *    opened by an OPENAT or OPENAT2 request, read by READ, READV,
 *    READ_FIXED or SPLICE requests of 64 KiB (READV: 4 iovecs of 16 KiB),
 *    or rewritten by WRITE requests of 64 KiB (write, skip-write: stat(2)
 *    gives the size), closed by a CLOSE request. Other syscalls: fstat(2) on it (skip-success only, for the
 *    size), pipe2(2) and read(2) of the pipe (splice only).
 *  - fd is the descriptor the reads used, or the fixed-file slot when
 *    fixed=1. requests counts the reading requests, requested the bytes
 *    they asked for, bytes what their completions reported (skip-success:
 *    what the absence of a completion proves, see read_skip_success), cqes
 *    every completion reaped (opens, reads, closes, NOPs).
 *  - Exit 0 when the whole file was read; 1 with a message on stderr on
 *    any failure; 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK		(64 * 1024)	/* bytes one reading request asks for */
#define NVEC		4		/* READV: CHUNK in NVEC iovecs */
#define RING_ENTRIES	64
#define SLOT		0		/* the fixed-file slot used */
#define NOP_DATA	(~0ULL)		/* a NOP's user_data: a batch is done */

enum open_op { OPEN_AT, OPEN_AT2, OPEN_REGISTER, OPEN_DIRECT };
enum read_op { RD_READ, RD_READV, RD_READ_FIXED, RD_SPLICE, RD_WRITE };

static const char *const open_names[] = {
	[OPEN_AT] = "OPENAT", [OPEN_AT2] = "OPENAT2",
	[OPEN_REGISTER] = "OPENAT+REGISTER", [OPEN_DIRECT] = "OPENAT_DIRECT",
};
static const char *const read_names[] = {
	[RD_READ] = "READ", [RD_READV] = "READV",
	[RD_READ_FIXED] = "READ_FIXED", [RD_SPLICE] = "SPLICE", [RD_WRITE] = "WRITE",
};

struct scenario {
	const char *name;
	enum open_op open;
	enum read_op read;
	unsigned int sqe_flags;		/* on every request */
	unsigned int setup_flags;	/* IORING_SETUP_* */
	bool skip;			/* reads with IOSQE_CQE_SKIP_SUCCESS */
	const char *help;
	bool bad_read_first;		/* one READ into a bad buffer (EFAULT) first */
};

static const struct scenario scenarios[] = {
	{ "open-read", OPEN_AT, RD_READ, 0, 0, false,
	  "OPENAT, READ until EOF, CLOSE", false },
	{ "openat2-read", OPEN_AT2, RD_READ, 0, 0, false,
	  "OPENAT2, READ until EOF, CLOSE", false },
	{ "readv", OPEN_AT, RD_READV, 0, 0, false,
	  "OPENAT, READV (4 x 16 KiB) until EOF, CLOSE", false },
	{ "read-fixed", OPEN_AT, RD_READ_FIXED, 0, 0, false,
	  "OPENAT, READ_FIXED into a registered buffer until EOF, CLOSE", false },
	{ "fixed-file", OPEN_REGISTER, RD_READ, 0, 0, false,
	  "OPENAT, fd registered as fixed file 0 and CLOSEd, READ with IOSQE_FIXED_FILE", false },
	{ "direct-open", OPEN_DIRECT, RD_READ, 0, 0, false,
	  "OPENAT into fixed slot 0 (no fd, res 0), READ with IOSQE_FIXED_FILE, CLOSE of the slot", false },
	{ "async", OPEN_AT, RD_READ, IOSQE_ASYNC, 0, false,
	  "open-read with IOSQE_ASYNC on every request (io-wq workers)", false },
	{ "skip-success", OPEN_AT, RD_READ, 0, 0, true,
	  "OPENAT, READs with IOSQE_CQE_SKIP_SUCCESS linked to a NOP, CLOSE", false },
	{ "splice", OPEN_AT, RD_SPLICE, 0, 0, false,
	  "OPENAT, SPLICE file -> pipe until EOF (pipe drained by read(2)), CLOSE", false },
	{ "sqpoll", OPEN_AT, RD_READ, 0, IORING_SETUP_SQPOLL, false,
	  "open-read on an IORING_SETUP_SQPOLL ring (submitted by iou-sqp-*)", false },
	{ "failed-read", OPEN_AT, RD_READ, 0, 0, false,
	  "open-read after one READ into an unmapped buffer that fails (EFAULT)", true },
	{ "write", OPEN_AT, RD_WRITE, 0, 0, false,
	  "OPENAT for writing, WRITEs of 64 KiB over the whole file (its size), CLOSE", false },
	{ "skip-write", OPEN_AT, RD_WRITE, 0, 0, true,
	  "write, with IOSQE_CQE_SKIP_SUCCESS on the WRITEs, linked to a NOP", false },
	{ "skip-open", OPEN_AT, RD_READ, 0, 0, true,
	  "OPENAT with IOSQE_CQE_SKIP_SUCCESS linked to a NOP (no completion gives the fd:"
	  " it is the lowest free one), 500 ms, then read(2) to EOF and close(2)", false },
	{ "skip-direct", OPEN_DIRECT, RD_READ, 0, 0, true,
	  "OPENAT into fixed slot 0 and READs of the slot, all with IOSQE_CQE_SKIP_SUCCESS,"
	  " linked in one batch to a NOP: no completion names the file", false },
};

struct run {
	const struct scenario *sc;
	const char *path;
	struct io_uring ring;
	int fd;			/* descriptor, or the slot when fixed */
	bool fixed;
	int pipefd[2];
	unsigned long long requested, bytes;
	unsigned int requests, cqes;
	unsigned char *buf;	/* CHUNK bytes, registered for READ_FIXED */
};

static const char *scenario_name = "?";

static void __attribute__((noreturn, format(printf, 2, 3)))
fail(int err, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "uring_io %s: ", scenario_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
	exit(1);
}

static struct io_uring_sqe *new_sqe(struct run *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);

	if (!sqe)
		fail(0, "submission queue full");
	return sqe;
}

/* Submits what is queued and reaps one completion; returns its res. */
static int complete_one(struct run *r, const char *what)
{
	struct io_uring_cqe *cqe;
	int ret, res;

	ret = io_uring_submit_and_wait(&r->ring, 1);
	if (ret < 0)
		fail(-ret, "io_uring_submit_and_wait (%s)", what);
	ret = io_uring_wait_cqe(&r->ring, &cqe);
	if (ret < 0)
		fail(-ret, "io_uring_wait_cqe (%s)", what);
	res = cqe->res;
	io_uring_cqe_seen(&r->ring, cqe);
	r->cqes++;
	return res;
}

static void ring_open(struct run *r)
{
	struct open_how how = { .flags = O_RDONLY | O_CLOEXEC };
	struct io_uring_sqe *sqe = new_sqe(r);
	int res;

	switch (r->sc->open) {
	case OPEN_AT2:
		io_uring_prep_openat2(sqe, AT_FDCWD, r->path, &how);
		break;
	case OPEN_DIRECT:
		/* a direct open refuses O_CLOEXEC */
		io_uring_prep_openat_direct(sqe, AT_FDCWD, r->path, O_RDONLY, 0, SLOT);
		break;
	default:
		io_uring_prep_openat(sqe, AT_FDCWD, r->path,
				     (r->sc->read == RD_WRITE ? O_WRONLY : O_RDONLY) | O_CLOEXEC, 0);
		break;
	}
	sqe->flags |= r->sc->sqe_flags;
	res = complete_one(r, "open");
	if (res < 0)
		fail(-res, "%s %s", open_names[r->sc->open], r->path);
	r->fd = r->sc->open == OPEN_DIRECT ? SLOT : res;
	r->fixed = r->sc->open == OPEN_DIRECT;
}

static void ring_close(struct run *r)
{
	struct io_uring_sqe *sqe = new_sqe(r);
	int res;

	if (r->fixed)
		io_uring_prep_close_direct(sqe, (unsigned int)r->fd);
	else
		io_uring_prep_close(sqe, r->fd);
	sqe->flags |= r->sc->sqe_flags;
	res = complete_one(r, "close");
	if (res < 0)
		fail(-res, "CLOSE of %s %d", r->fixed ? "slot" : "fd", r->fd);
}

/* fixed-file: the ring's descriptor becomes slot SLOT, the fd goes away. */
static void register_fd(struct run *r)
{
	int fd = r->fd, ret;

	ret = io_uring_register_files(&r->ring, &fd, 1);
	if (ret < 0)
		fail(-ret, "io_uring_register_files");
	ring_close(r);
	r->fd = SLOT;
	r->fixed = true;
}

/* Queues one reading request of len bytes at off. */
static struct io_uring_sqe *prep_read(struct run *r, unsigned long long off, unsigned int len)
{
	static struct iovec iov[NVEC];
	struct io_uring_sqe *sqe = new_sqe(r);
	unsigned int i, n = 0;

	switch (r->sc->read) {
	case RD_READV:
		for (i = 0; i < NVEC && n < len; i++) {
			iov[i].iov_base = r->buf + n;
			iov[i].iov_len = len - n < CHUNK / NVEC ? len - n : CHUNK / NVEC;
			n += iov[i].iov_len;
		}
		io_uring_prep_readv(sqe, r->fd, iov, i, off);
		break;
	case RD_READ_FIXED:
		io_uring_prep_read_fixed(sqe, r->fd, r->buf, len, off, 0);
		break;
	case RD_SPLICE:
		io_uring_prep_splice(sqe, r->fd, (int64_t)off, r->pipefd[1], -1, len, 0);
		break;
	case RD_WRITE:
		io_uring_prep_write(sqe, r->fd, r->buf, len, off);
		break;
	default:
		io_uring_prep_read(sqe, r->fd, r->buf, len, off);
		break;
	}
	sqe->flags |= r->sc->sqe_flags | (r->fixed ? IOSQE_FIXED_FILE : 0);
	r->requests++;
	r->requested += len;
	return sqe;
}

/* Empties the pipe a SPLICE filled with n bytes (read(2) of the pipe). */
static void drain_pipe(struct run *r, int n)
{
	ssize_t got;

	while (n > 0) {
		got = read(r->pipefd[0], r->buf, CHUNK);
		if (got <= 0)
			fail(got < 0 ? errno : 0, "read of the pipe");
		n -= (int)got;
	}
}

/* One READ into an address nothing is mapped at: the request fails. */
static void read_bad_buffer(struct run *r)
{
	struct io_uring_sqe *sqe = new_sqe(r);
	int res;

	io_uring_prep_read(sqe, r->fd, (void *)16, CHUNK, 0);
	sqe->flags |= r->fixed ? IOSQE_FIXED_FILE : 0;
	res = complete_one(r, "READ into a bad buffer");
	if (res != -EFAULT)
		fail(res < 0 ? -res : 0, "READ into a bad buffer gave %d, not -EFAULT", res);
}

/*
 * skip-direct: the open into a fixed slot and the reads of that slot in
 * one linked batch, every completion skipped, then a NOP. The kernel posts
 * nothing that names the file: the audit can only count it as unseen.
 */
static void open_read_skip_direct(struct run *r)
{
	struct io_uring_sqe *sqe = new_sqe(r);
	struct io_uring_cqe *cqe;
	struct stat st;
	unsigned long long off = 0;
	unsigned int len;
	int ret;

	if (stat(r->path, &st) < 0)
		fail(errno, "stat %s", r->path);
	io_uring_prep_openat_direct(sqe, AT_FDCWD, r->path, O_RDONLY, 0, SLOT);
	sqe->flags |= IOSQE_CQE_SKIP_SUCCESS | IOSQE_IO_LINK;
	r->fd = SLOT;
	r->fixed = true;
	for (; off < (unsigned long long)st.st_size && r->requests < RING_ENTRIES - 2; off += len) {
		len = st.st_size - off < CHUNK ? (unsigned int)(st.st_size - off) : CHUNK;
		sqe = prep_read(r, off, len);
		sqe->flags |= IOSQE_CQE_SKIP_SUCCESS | IOSQE_IO_LINK;
	}
	sqe = new_sqe(r);
	io_uring_prep_nop(sqe);
	sqe->user_data = NOP_DATA;
	ret = io_uring_submit_and_wait(&r->ring, 1);
	if (ret < 0)
		fail(-ret, "io_uring_submit_and_wait (open and READs)");
	ret = io_uring_wait_cqe(&r->ring, &cqe);
	if (ret < 0)
		fail(-ret, "io_uring_wait_cqe");
	r->cqes++;
	if (cqe->user_data != NOP_DATA)
		fail(cqe->res < 0 ? -cqe->res : 0, "a linked request posted res %d", cqe->res);
	io_uring_cqe_seen(&r->ring, cqe);
	r->bytes = r->requested;
}

/* write: the file's size, rewritten in full, one WRITE at a time. */
static void write_all(struct run *r)
{
	unsigned long long size, off = 0;
	struct stat st;
	unsigned int len;
	int res;

	if (stat(r->path, &st) < 0)
		fail(errno, "stat %s", r->path);
	size = (unsigned long long)st.st_size;
	memset(r->buf, 'w', CHUNK);
	for (; off < size; off += len) {
		len = size - off < CHUNK ? (unsigned int)(size - off) : CHUNK;
		prep_read(r, off, len);
		res = complete_one(r, "WRITE");
		if (res != (int)len)
			fail(res < 0 ? -res : 0, "WRITE at offset %llu gave %d", off, res);
		r->bytes += len;
	}
}

/*
 * skip-open: the open's completion is skipped, so nothing reports its fd;
 * it is the lowest free one, as for open(2). Then, after a pause, plain
 * read(2)s: the audit has to have found the file by then.
 */
static void open_skip_then_read(struct run *r)
{
	struct io_uring_sqe *sqe = new_sqe(r);
	struct io_uring_cqe *cqe;
	int guess = dup(0), ret;
	ssize_t n;

	if (guess < 0)
		fail(errno, "dup");
	close(guess);
	io_uring_prep_openat(sqe, AT_FDCWD, r->path, O_RDONLY | O_CLOEXEC, 0);
	sqe->flags |= IOSQE_CQE_SKIP_SUCCESS | IOSQE_IO_LINK;
	sqe = new_sqe(r);
	io_uring_prep_nop(sqe);
	sqe->user_data = NOP_DATA;
	ret = io_uring_submit_and_wait(&r->ring, 1);
	if (ret < 0)
		fail(-ret, "io_uring_submit_and_wait (open)");
	ret = io_uring_wait_cqe(&r->ring, &cqe);
	if (ret < 0)
		fail(-ret, "io_uring_wait_cqe");
	r->cqes++;
	if (cqe->user_data != NOP_DATA)
		fail(cqe->res < 0 ? -cqe->res : 0, "the open posted res %d", cqe->res);
	io_uring_cqe_seen(&r->ring, cqe);
	if (fcntl(guess, F_GETFD) < 0)
		fail(errno, "no fd %d after the open", guess);
	r->fd = guess;
	usleep(500 * 1000);
	while ((n = read(guess, r->buf, CHUNK)) > 0) {
		r->requests++;
		r->bytes += (unsigned long long)n;
	}
	if (n < 0)
		fail(errno, "read");
	close(guess);
}

/* One request at a time, until a completion says end of file. */
static void read_to_eof(struct run *r)
{
	int res;

	for (;;) {
		prep_read(r, r->bytes, CHUNK);
		res = complete_one(r, read_names[r->sc->read]);
		if (res < 0)
			fail(-res, "%s at offset %llu", read_names[r->sc->read], r->bytes);
		if (res == 0)
			return;
		if (r->sc->read == RD_SPLICE)
			drain_pipe(r, res);
		r->bytes += (unsigned int)res;
	}
}

/*
 * skip-success: the file's size is known beforehand (fstat), so every READ
 * asks for exactly what is left and succeeds in full; each batch of READs
 * is linked to a NOP whose completion says the batch is done. The kernel
 * fails a READ that returns less than it asked for (and so posts its
 * completion after all, breaking the link), so reaching the NOP with no
 * other completion proves every READ got all its bytes: bytes=requested.
 */
static void read_skip_success(struct run *r)
{
	struct io_uring_cqe *cqe;
	unsigned long long size, off = 0;
	struct io_uring_sqe *sqe;
	struct stat st;
	unsigned int len, n;
	int ret;

	if (fstat(r->fd, &st) < 0)
		fail(errno, "fstat");
	size = (unsigned long long)st.st_size;
	do {
		for (n = 0; n < RING_ENTRIES - 1 && off < size; n++, off += len) {
			len = size - off < CHUNK ? (unsigned int)(size - off) : CHUNK;
			sqe = prep_read(r, off, len);
			sqe->flags |= IOSQE_CQE_SKIP_SUCCESS | IOSQE_IO_LINK;
			sqe->user_data = off;
		}
		sqe = new_sqe(r);
		io_uring_prep_nop(sqe);
		sqe->user_data = NOP_DATA;
		ret = io_uring_submit_and_wait(&r->ring, 1);
		if (ret < 0)
			fail(-ret, "io_uring_submit_and_wait (READ batch)");
		ret = io_uring_wait_cqe(&r->ring, &cqe);
		if (ret < 0)
			fail(-ret, "io_uring_wait_cqe (READ batch)");
		r->cqes++;
		if (cqe->user_data != NOP_DATA)
			fail(cqe->res < 0 ? -cqe->res : 0, "READ at offset %llu posted res %d",
			     (unsigned long long)cqe->user_data, cqe->res);
		io_uring_cqe_seen(&r->ring, cqe);
	} while (off < size);
	r->bytes = r->requested;
}

static void setup(struct run *r)
{
	struct io_uring_params p = { .flags = r->sc->setup_flags, .sq_thread_idle = 1000 };
	struct iovec iov;
	int ret;

	ret = io_uring_queue_init_params(RING_ENTRIES, &r->ring, &p);
	if (ret < 0)
		fail(-ret, "io_uring_queue_init_params (flags 0x%x)", p.flags);
	r->buf = aligned_alloc(4096, CHUNK);
	if (!r->buf)
		fail(ENOMEM, "buffer");
	if (r->sc->read == RD_READ_FIXED) {
		iov.iov_base = r->buf;
		iov.iov_len = CHUNK;
		ret = io_uring_register_buffers(&r->ring, &iov, 1);
		if (ret < 0)
			fail(-ret, "io_uring_register_buffers");
	}
	if (r->sc->open == OPEN_DIRECT) {
		ret = io_uring_register_files_sparse(&r->ring, 1);
		if (ret < 0)
			fail(-ret, "io_uring_register_files_sparse");
	}
	if (r->sc->read == RD_SPLICE && pipe2(r->pipefd, O_CLOEXEC) < 0)
		fail(errno, "pipe2");
}

static void report(const struct run *r)
{
	printf("scenario=%s tgid=%d pid=%d open_op=%s read_op=%s fd=%d fixed=%d "
	       "sqe_flags=0x%x skip_success=%d sqpoll=%d requests=%u requested=%llu "
	       "bytes=%llu cqes=%u\n",
	       r->sc->name, getpid(), gettid(), open_names[r->sc->open],
	       read_names[r->sc->read], r->fd, r->fixed, r->sc->sqe_flags, r->sc->skip,
	       !!(r->sc->setup_flags & IORING_SETUP_SQPOLL), r->requests, r->requested,
	       r->bytes, r->cqes);
}

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: uring_io SCENARIO PATH\n\n"
		"Opens and reads PATH through io_uring only; prints one key=value line.\n\n"
		"scenarios:\n");
	for (i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		fprintf(out, "  %-13s %s\n", scenarios[i].name, scenarios[i].help);
	fprintf(out, "\nexamples:\n"
		"  uring_io open-read /srv/phi/patients/p1.json\n"
		"  strace -f -e trace=openat,read,io_uring_enter uring_io async /srv/phi/p1\n");
}

int main(int argc, char **argv)
{
	static struct run r = { .pipefd = { -1, -1 } };
	size_t i;

	if (argc == 2 && !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	for (i = 0; argc == 3 && i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
		if (!strcmp(argv[1], scenarios[i].name))
			r.sc = &scenarios[i];
	if (!r.sc) {
		usage(stderr);
		return 2;
	}
	scenario_name = r.sc->name;
	r.path = argv[2];
	setup(&r);
	if (!strcmp(r.sc->name, "skip-open")) {
		open_skip_then_read(&r);
		io_uring_queue_exit(&r.ring);
		report(&r);
		return 0;
	}
	if (r.sc->open == OPEN_DIRECT && r.sc->skip) {
		open_read_skip_direct(&r);
		ring_close(&r);
		io_uring_queue_exit(&r.ring);
		report(&r);
		return 0;
	}
	ring_open(&r);
	if (r.sc->open == OPEN_REGISTER)
		register_fd(&r);
	if (r.sc->bad_read_first)
		read_bad_buffer(&r);
	if (r.sc->skip)
		read_skip_success(&r);
	else if (r.sc->read == RD_WRITE)
		write_all(&r);
	else
		read_to_eof(&r);
	ring_close(&r);
	io_uring_queue_exit(&r.ring);
	report(&r);
	return 0;
}
