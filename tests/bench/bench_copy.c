// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_copy: what phiaudit costs a copy of a 1 GiB watched file (issue 8).
 *
 * Routes (each copy: the watched file, from the page cache, to a new file
 * in an unwatched directory of the same filesystem, removed afterwards):
 *   C1  read() + write() in 128 KiB chunks, a loop in this process
 *   C2  copy_file_range() through syscall(), 128 KiB a call by default
 *       (--cfr-len 1073741824: the whole file in one call, as cp asks)
 * Configurations: none (no BPF) and agent (phiauditd with its default
 * hook). Target for both routes: agent/none <= 1.1x.
 *
 * C2 reads the same inode as C1 through a hard link of its own, so the
 * agent's records (which name the path opened) tell the routes apart
 * without a second 1 GiB file on disk and in the page cache.
 *
 * Every copy is checked, so a figure can't come from the wrong route:
 *   - our count: C1 made exactly 8192 reads of 131072 bytes and a final
 *     read of 0, and every write was full; C2 got back the full length it
 *     asked for on every call but the final one, which returned 0;
 *   - the kernel's count (/proc/self/io): syscr, syscw, rchar and wchar
 *     moved by exactly those calls and bytes, so no other read or write
 *     happened (copy_file_range counts one syscr and one syscw per call
 *     that copied; 6.18 counts neither for the final call at EOF);
 *   - the destination is 1 GiB long.
 * C2 never falls back to read/write: EXDEV, ENOSYS or EOPNOTSUPP make it
 * "unavailable" in the report. The agent's own accounting of each route
 * (Open and Read records) is printed, never judged: before issue 8 it
 * counted read() bytes only.
 *
 * The source is written and synced at set-up and read into the page cache
 * before every visit, with no agent running: the copies cost syscalls and
 * memory copies, not disk reads. In each visit a route copies three
 * times: an untimed lead copy, then two timed ones of which the faster
 * counts (see copy_visit: the host takes back free memory, and other VMs
 * slow copies down at random).
 *
 * Configurations are interleaved (each round visits both, the order
 * swapped every round; the routes' order swaps every other round) and the
 * figures are medians over rounds, as in bench_syscalls; the ratio judged
 * is that of the medians.
 *
 * Exit status: 0 whatever the target says; 1 if something broke (too
 * little disk space, the agent failed, a copy did not do what it should).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench_agent.h"

#define MAX_ROUNDS 64
#define COPY_SIZE (1ull << 30)
#define CHUNK (128u << 10)
/* The source and one copy, and room to spare: 2.2 GiB. */
#define NEED_FREE (COPY_SIZE * 22 / 10)
#define TARGET 1.10
#define TIMED_COPIES 2 /* a visit's, for each route, after its lead copy */

enum route { R_RW, R_CFR, R_N };
enum config { C_NONE, C_AGENT, C_N };

static const char *const route_names[R_N] = {
	[R_RW] = "C1 read/write",
	[R_CFR] = "C2 copy_file_range",
};

/* Where each route reads from, inside the watched directory. */
static const char *const route_files[R_N] = {
	[R_RW] = "copy-src.dat",
	[R_CFR] = "copy-src-cfr.dat", /* a hard link to the other */
};

/* The kernel's per-process I/O counters (/proc/self/io). */
struct io_counts {
	uint64_t rchar, wchar, syscr, syscw;
};

/* What one copy did, by our count and by the kernel's. */
struct copy_result {
	uint64_t ns;
	uint64_t calls, bytes;	/* reads or copy_file_range calls; bytes returned */
	uint64_t short_calls;	/* returned less than asked, before the end */
	uint64_t eof_calls;	/* returned 0 */
	uint64_t writes, written, short_writes; /* C1 */
	struct io_counts io;	/* delta over the copy */
	uint64_t dst_size;
	int unavailable;	/* C2: the errno that says the route is missing */
};

/* The agent's records of one route, summed over visits. */
struct route_audit {
	uint64_t copies, open_records;
	struct bench_summary reads; /* read_final, bytes_read, read_calls */
};

struct bench {
	const char *agent_exe;
	int rounds;
	uint64_t cfr_len;
	struct bench_tree tree;
	char src[R_N][160];
	char dst[160];
	char *buf;
	char hook[32];
	double ns[C_N][R_N][MAX_ROUNDS];
	double lead_ns[C_N][R_N][MAX_ROUNDS]; /* the untimed copy before each */
	int unavailable[R_N];		/* errno; the route is left out */
	int bad[R_N];			/* copies that failed a check */
	char why[R_N][256];		/* the first failure */
	struct copy_result last[R_N];	/* a passing copy, to show the counts */
	struct route_audit audit[R_N];
	uint64_t loss_records, lost, lost_fd_lookup, ringbuf_full, agent_cpu_ns;
};

static struct bench *cleanup_bench; /* its copies and link go at exit */

/* ---- the kernel's count ---- */

/* "key: N" in /proc/self/io's text; the four keys used are unique in it. */
static uint64_t io_field(const char *text, const char *key)
{
	const char *p = strstr(text, key);

	if (!p)
		die("/proc/self/io has no %s", key);
	return strtoull(p + strlen(key), NULL, 10);
}

/*
 * One read() of /proc/self/io. That read is counted too, and the next
 * snapshot shows it: io_delta takes it off (1 syscr, @len rchar).
 */
static struct io_counts io_snapshot(size_t *len)
{
	char text[512];
	int fd = open("/proc/self/io", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, text, sizeof(text) - 1);
	struct io_counts c;

	if (n <= 0)
		die("/proc/self/io: %s (CONFIG_TASK_IO_ACCOUNTING needed)",
		    n < 0 ? strerror(errno) : "empty");
	close(fd);
	text[n] = 0;
	c.rchar = io_field(text, "rchar:");
	c.wchar = io_field(text, "wchar:");
	c.syscr = io_field(text, "syscr:");
	c.syscw = io_field(text, "syscw:");
	*len = (size_t)n;
	return c;
}

static struct io_counts io_delta(const struct io_counts *a, size_t a_len,
				 const struct io_counts *z)
{
	return (struct io_counts){
		.rchar = z->rchar - a->rchar - a_len,
		.wchar = z->wchar - a->wchar,
		.syscr = z->syscr - a->syscr - 1,
		.syscw = z->syscw - a->syscw,
	};
}

/* ---- the routes ---- */

/* What a call asking @len should return @done bytes into the copy. */
static uint64_t due(uint64_t len, uint64_t done)
{
	return done >= COPY_SIZE ? 0 : len < COPY_SIZE - done ? len : COPY_SIZE - done;
}

static void count_call(struct copy_result *r, uint64_t n, uint64_t want)
{
	r->calls++;
	r->eof_calls += n == 0;
	r->short_calls += n < want;
	r->bytes += n;
}

/* C1's write of @n bytes: a short write goes on from where it stopped. */
static void write_all(struct bench *b, int dst, size_t n, struct copy_result *r)
{
	for (size_t off = 0; off < n;) {
		ssize_t w = write(dst, b->buf + off, n - off);

		if (w <= 0)
			die("write %s: %s", b->dst, w < 0 ? strerror(errno) : "wrote nothing");
		r->writes++;
		r->short_writes += (size_t)w < n - off;
		r->written += (uint64_t)w;
		off += (size_t)w;
	}
}

static void copy_rw(struct bench *b, int src, int dst, struct copy_result *r)
{
	for (;;) {
		uint64_t want = due(CHUNK, r->bytes);
		ssize_t n = read(src, b->buf, CHUNK);

		if (n < 0)
			die("read %s: %s", b->src[R_RW], strerror(errno));
		count_call(r, (uint64_t)n, want);
		if (n == 0)
			return;
		write_all(b, dst, (size_t)n, r);
	}
}

/* The errors that say this kernel or filesystem has no copy_file_range. */
static bool cfr_missing(int err)
{
	return err == EXDEV || err == ENOSYS || err == EOPNOTSUPP;
}

/*
 * C2. syscall(), not the libc wrapper, so no library can emulate it; and
 * when the kernel says no, the route is reported missing, never replaced
 * by read/write (that would measure C1 under C2's name).
 */
static void copy_cfr(struct bench *b, int src, int dst, struct copy_result *r)
{
	for (;;) {
		uint64_t want = due(b->cfr_len, r->bytes);
		long n = syscall(SYS_copy_file_range, src, NULL, dst, NULL, (size_t)b->cfr_len, 0u);

		if (n < 0 && cfr_missing(errno)) {
			r->unavailable = errno;
			return;
		}
		if (n < 0)
			die("copy_file_range %s -> %s: %s", b->src[R_CFR], b->dst, strerror(errno));
		count_call(r, (uint64_t)n, want);
		if (n == 0)
			return;
	}
}

static int open_or_die(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC, 0644);

	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	return fd;
}

/*
 * One timed copy by @rt into a new destination, measured, then removed:
 * each copy allocates its destination afresh. Both files are closed
 * before this returns, so an agent running has ended its read account.
 */
static struct copy_result do_copy(struct bench *b, enum route rt)
{
	struct copy_result r = { 0 };
	int src = open_or_die(b->src[rt], O_RDONLY);
	int dst = open_or_die(b->dst, O_WRONLY | O_CREAT | O_TRUNC);
	struct io_counts before, after;
	size_t len, ignored;
	struct stat st;
	uint64_t t0;

	before = io_snapshot(&len);
	t0 = bench_now_ns();
	if (rt == R_RW)
		copy_rw(b, src, dst, &r);
	else
		copy_cfr(b, src, dst, &r);
	r.ns = bench_now_ns() - t0;
	after = io_snapshot(&ignored);
	r.io = io_delta(&before, len, &after);
	if (fstat(dst, &st))
		die("fstat %s: %s", b->dst, strerror(errno));
	r.dst_size = (uint64_t)st.st_size;
	close(src);
	close(dst);
	if (unlink(b->dst))
		die("unlink %s: %s", b->dst, strerror(errno));
	return r;
}

/* ---- the checks ---- */

/*
 * The kernel's syscr and syscw for @r: C1's are its reads and writes;
 * copy_file_range counts one of each per call that copied, and the final
 * call at EOF counted or not depending on the kernel (6.18 returns before
 * counting it).
 */
static bool io_matches(enum route rt, const struct copy_result *r)
{
	if (r->io.rchar != COPY_SIZE || r->io.wchar != COPY_SIZE)
		return false;
	if (rt == R_RW)
		return r->io.syscr == r->calls && r->io.syscw == r->writes;
	return r->io.syscr == r->io.syscw &&
	       (r->io.syscr == r->calls || r->io.syscr == r->calls - r->eof_calls);
}

/* Did @r copy the whole file through the route's own calls alone? */
static bool copy_ok(const struct bench *b, enum route rt, const struct copy_result *r)
{
	uint64_t ask = rt == R_RW ? CHUNK : b->cfr_len;
	uint64_t copying = (COPY_SIZE + ask - 1) / ask; /* calls that return bytes */

	if (r->bytes != COPY_SIZE || r->calls != copying + 1 || r->short_calls ||
	    r->eof_calls != 1 || r->dst_size != COPY_SIZE || !io_matches(rt, r))
		return false;
	return rt != R_RW ||
	       (r->writes == copying && !r->short_writes && r->written == COPY_SIZE);
}

/* Our count and the kernel's, on one line. */
static void describe(enum route rt, const struct copy_result *r, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%llu %s (%llu short, %llu at EOF, %llu bytes)",
			 (unsigned long long)r->calls, rt == R_RW ? "read()" : "copy_file_range()",
			 (unsigned long long)r->short_calls, (unsigned long long)r->eof_calls,
			 (unsigned long long)r->bytes);

	if (rt == R_RW && n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, ", %llu write() (%llu short, %llu bytes)",
			      (unsigned long long)r->writes, (unsigned long long)r->short_writes,
			      (unsigned long long)r->written);
	if (n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n,
			 "; kernel: syscr %llu, syscw %llu, rchar %llu, wchar %llu; "
			 "destination %llu bytes",
			 (unsigned long long)r->io.syscr, (unsigned long long)r->io.syscw,
			 (unsigned long long)r->io.rchar, (unsigned long long)r->io.wchar,
			 (unsigned long long)r->dst_size);
}

/* Check one copy; the first failure of a route is kept to be shown. */
static void check_copy(struct bench *b, enum route rt, const struct copy_result *r)
{
	if (r->unavailable) {
		b->unavailable[rt] = r->unavailable;
		return;
	}
	if (copy_ok(b, rt, r)) {
		b->last[rt] = *r;
		return;
	}
	if (!b->bad[rt]++)
		describe(rt, r, b->why[rt], sizeof(b->why[rt]));
}

/* ---- the page cache ---- */


/*
 * Read the source into the page cache until it is all there (3 tries).
 * Called with no agent running, so these reads are not audited.
 */
static void keep_cached(struct bench *b)
{
	for (int pass = 0; pass < 3 && bench_resident_pct(b->src[R_RW], COPY_SIZE) < 100; pass++) {
		int fd = open_or_die(b->src[R_RW], O_RDONLY);
		ssize_t n;

		while ((n = read(fd, b->buf, CHUNK)) > 0)
			;
		if (n < 0)
			die("read %s: %s", b->src[R_RW], strerror(errno));
		close(fd);
	}
}

/* ---- the agent's view ---- */

/* Which route's source a record names, or -1 (the Open and Read records). */
static int record_route(const struct bench *b, const char *line)
{
	char key[200];

	for (int rt = 0; rt < R_N; rt++) {
		int n = snprintf(key, sizeof(key), "\"file\":{\"path\":\"%s\"", b->src[rt]);

		if (n > 0 && (size_t)n < sizeof(key) && strstr(line, key))
			return rt;
	}
	return -1;
}

static void audit_line(struct bench *b, const char *line, pid_t self, struct bench_summary *all)
{
	int rt;

	if (strstr(line, "\"activity_name\":\"Loss\"")) {
		bench_count_loss(line, all);
		return;
	}
	if (strstr(line, "\"activity_name\":\"Stop\"")) {
		bench_count_stop(line, all);
		return;
	}
	rt = record_route(b, line);
	if (rt < 0 || !bench_is_ours(line, &self, 1))
		return;
	if (strstr(line, "\"activity_name\":\"Open\""))
		b->audit[rt].open_records++;
	else if (bench_json_u64(line, "class_uid") == 1001 &&
		 bench_json_u64(line, "activity_id") == 2)
		bench_count_read(line, &self, 1, &b->audit[rt].reads);
}

/* Stop the agent and add up what it wrote about this visit's copies. */
static void audit_visit(struct bench *b, struct bench_agent *a)
{
	struct bench_summary all = { 0 };
	char err[4096], *line = NULL;
	size_t cap = 0;
	FILE *f;

	if (bench_agent_stop(a, err, sizeof(err)))
		die("agent: %s", err);
	f = fopen(b->tree.jsonl, "re");
	if (!f)
		die("agent wrote no log %s: %s", b->tree.jsonl, strerror(errno));
	while (getline(&line, &cap, f) > 0)
		audit_line(b, line, getpid(), &all);
	free(line);
	fclose(f);
	if (!all.have_stop)
		die("agent's log %s has no Stop record", b->tree.jsonl);
	b->loss_records += all.loss_records;
	b->lost += all.lost;
	b->lost_fd_lookup += all.lost_fd_lookup;
	b->ringbuf_full += all.ringbuf_full;
	b->agent_cpu_ns += a->cpu_run_ns;
	unlink(b->tree.jsonl);
}

/* ---- rounds ---- */

/*
 * A lead copy, untimed, then two timed ones; the faster is the sample,
 * as interference (another VM, the host) only ever slows a copy down:
 * a quarter of the copies here took 2-3x the usual 0.2-0.3 s, with or
 * without the agent.
 *
 * The lead copy is there because on a VM with free page reporting
 * (virtio-balloon, as here) the host takes back memory left free for
 * about a second, and the guest touching it again makes a copy up to 8x
 * slower. The agent's start-up would leave that gap before its visit's
 * first copy only: a bias against the agent. After a lead copy, the next
 * reuses the pages it just freed, in either configuration. (Faulting in
 * and freeing anonymous memory instead does not work: the host takes
 * that back at once.)
 */
static void copy_visit(struct bench *b, enum config c, enum route rt, int r)
{
	struct copy_result res = do_copy(b, rt);
	double best = 0;

	check_copy(b, rt, &res);
	if (res.unavailable)
		return;
	b->lead_ns[c][rt][r] = (double)res.ns;
	for (int i = 0; i < TIMED_COPIES; i++) {
		res = do_copy(b, rt);
		check_copy(b, rt, &res);
		if (i == 0 || (double)res.ns < best)
			best = (double)res.ns;
	}
	b->ns[c][rt][r] = best;
	b->audit[rt].copies += c == C_AGENT ? 1 + TIMED_COPIES : 0;
}

static void visit(struct bench *b, enum config c, int r)
{
	struct bench_agent agent;
	char err[4096];

	keep_cached(b);
	if (c == C_AGENT && bench_agent_start(&agent, b->agent_exe, &b->tree, NULL, err,
					      sizeof(err)))
		die("agent failed to start: %s", err);
	if (c == C_AGENT)
		snprintf(b->hook, sizeof(b->hook), "%s", agent.hook);
	for (int k = 0; k < R_N; k++) {
		enum route rt = (enum route)((k + r / 2) % R_N);

		if (!b->unavailable[rt])
			copy_visit(b, c, rt, r);
	}
	if (c == C_AGENT)
		audit_visit(b, &agent);
}

static void run_rounds(struct bench *b)
{
	for (int r = 0; r < b->rounds; r++) {
		for (int k = 0; k < C_N; k++)
			visit(b, (enum config)((r + k) % C_N), r);
		if (isatty(STDERR_FILENO))
			fprintf(stderr, "\rround %d of %d ", r + 1, b->rounds);
	}
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\n");
}

/* ---- statistics and the report ---- */



static double med(const struct bench *b, enum config c, enum route rt)
{
	return bench_median(b->ns[c][rt], b->rounds);
}

/* Median absolute deviation, as a fraction of the median. */
static double spread(const struct bench *b, enum config c, enum route rt)
{
	double m = med(b, c, rt), d[MAX_ROUNDS];

	for (int r = 0; r < b->rounds; r++)
		d[r] = b->ns[c][rt][r] > m ? b->ns[c][rt][r] - m : m - b->ns[c][rt][r];
	return m > 0 ? bench_median(d, b->rounds) / m : 0;
}

/* The median of the rounds' own agent/none ratios: two copies seconds apart. */
static double per_round_ratio(const struct bench *b, enum route rt)
{
	double q[MAX_ROUNDS];

	for (int r = 0; r < b->rounds; r++)
		q[r] = b->ns[C_AGENT][rt][r] / b->ns[C_NONE][rt][r];
	return bench_median(q, b->rounds);
}

static double gibps(double ns)
{
	return ns > 0 ? (double)COPY_SIZE / (double)(1u << 30) / (ns / 1e9) : 0;
}

static void print_times(const struct bench *b)
{
	char agent[48];

	snprintf(agent, sizeof(agent), "agent(%s)", b->hook);
	printf("\nms per 1 GiB copy (a visit's faster timed copy), median of %d interleaved rounds "
	       "(+-MAD%%), and GiB/s\n", b->rounds);
	printf("%-22s %24s %24s\n", "route", "none", agent);
	for (int rt = 0; rt < R_N; rt++) {
		printf("%-22s", route_names[rt]);
		if (b->unavailable[rt]) {
			printf(" unavailable (%s)\n", strerrorname_np(b->unavailable[rt]));
			continue;
		}
		for (int c = 0; c < C_N; c++) {
			char cell[48];

			snprintf(cell, sizeof(cell), "%.0f +-%.0f%%  %.2f GiB/s",
				 med(b, c, rt) / 1e6, 100 * spread(b, c, rt), gibps(med(b, c, rt)));
			printf(" %24s", cell);
		}
		printf("\n");
	}
}

/* How much the host's reclaim of free memory weighed on this run. */
static void print_lead(const struct bench *b)
{
	printf("%-22s", "lead copies (untimed)");
	for (int c = 0; c < C_N; c++) {
		double all[R_N * MAX_ROUNDS];
		int n = 0;

		for (int rt = 0; rt < R_N; rt++)
			for (int r = 0; r < b->rounds && !b->unavailable[rt]; r++)
				all[n++] = b->lead_ns[c][rt][r];
		printf(" %21.0f ms", n ? bench_median(all, n) / 1e6 : 0);
	}
	printf("  (median: a first copy after a pause, slower where the host takes back free "
	       "memory)\n");
}

static void print_ratios(const struct bench *b)
{
	printf("\nagent/none: ratio of the medians (judged), median of per-round ratios "
	       "(for reference)\n");
	printf("%-22s %10s %10s %9s\n", "route", "ratio", "per-round", "target");
	for (int rt = 0; rt < R_N; rt++) {
		double q;

		if (b->unavailable[rt]) {
			printf("%-22s unavailable (copy_file_range: %s), not measured: no "
			       "fallback to read/write\n", route_names[rt],
			       strerrorname_np(b->unavailable[rt]));
			continue;
		}
		q = med(b, C_AGENT, (enum route)rt) / med(b, C_NONE, (enum route)rt);
		printf("%-22s %9.3fx %9.3fx   <= %.2f %s\n", route_names[rt], q,
		       per_round_ratio(b, (enum route)rt), TARGET, q <= TARGET ? "PASS" : "MISSED");
	}
}

/* Every copy checked, warm-up and lead copies too; a passing one's counts shown. */
static void print_checks(const struct bench *b)
{
	char line[512];

	printf("\nsyscall check (every copy: our count of calls and bytes, the kernel's "
	       "/proc/self/io delta, the destination's size)\n");
	for (int rt = 0; rt < R_N; rt++) {
		if (b->unavailable[rt]) {
			printf("  %-20s unavailable: copy_file_range failed with %s (%s)\n",
			       route_names[rt], strerrorname_np(b->unavailable[rt]),
			       strerror(b->unavailable[rt]));
			continue;
		}
		if (b->bad[rt]) {
			printf("  %-20s FAIL: %d copies did not do what they should; the first: %s\n",
			       route_names[rt], b->bad[rt], b->why[rt]);
			continue;
		}
		describe((enum route)rt, &b->last[rt], line, sizeof(line));
		printf("  %-20s PASS, each copy: %s\n", route_names[rt], line);
	}
}

/* What the agent accounted, shown and not judged (C2's depends on issue 8). */
static void print_audit(const struct bench *b)
{
	printf("\nagent accounting over the agent(%s) visits, lead copies included (shown, not "
	       "judged: C2's bytes count only once issue 8 is in)\n", b->hook);
	for (int rt = 0; rt < R_N; rt++) {
		const struct route_audit *a = &b->audit[rt];

		if (b->unavailable[rt])
			continue;
		printf("  %-20s %llu copies: %llu Open records, %llu final Read records "
		       "(%llu progress), bytes_read %llu of %llu copied, read_calls %llu\n",
		       route_names[rt], (unsigned long long)a->copies,
		       (unsigned long long)a->open_records, (unsigned long long)a->reads.read_final,
		       (unsigned long long)(a->reads.read_records - a->reads.read_final),
		       (unsigned long long)a->reads.bytes_read,
		       (unsigned long long)(a->copies * COPY_SIZE),
		       (unsigned long long)a->reads.read_calls);
	}
	printf("  Loss records %llu (lost %llu, of which fd_lookup_failed, host-wide, %llu), "
	       "ringbuf_full %llu, agent CPU %.2f s after ready\n",
	       (unsigned long long)b->loss_records, (unsigned long long)b->lost,
	       (unsigned long long)b->lost_fd_lookup, (unsigned long long)b->ringbuf_full,
	       (double)b->agent_cpu_ns / 1e9);
}

/* ---- set-up ---- */

static void remove_copies(void)
{
	if (!cleanup_bench)
		return;
	unlink(cleanup_bench->dst);
	unlink(cleanup_bench->src[R_CFR]);
}

/* The source and a copy must fit: say so up front rather than fail midway. */
static void check_space(const char *dir)
{
	struct statvfs v;
	double avail;

	if (statvfs(dir, &v))
		die("statvfs %s: %s", dir, strerror(errno));
	avail = (double)v.f_bavail * (double)v.f_frsize;
	if (avail < (double)NEED_FREE)
		die("%s has %.2f GiB free; the 1 GiB source and its copy need %.1f GiB", dir,
		    avail / (double)(1u << 30), (double)NEED_FREE / (double)(1u << 30));
}

static const char *fs_name(const char *path)
{
	struct statfs s;

	if (statfs(path, &s))
		return "?";
	switch ((unsigned long)s.f_type) {
	case 0xEF53: return "ext4";
	case 0x58465342: return "xfs";
	case 0x9123683E: return "btrfs";
	case 0x01021994: return "tmpfs";
	default: return "other";
	}
}

/*
 * The 1 GiB source (written and synced: its writeback must not land in a
 * copy), its hard link for C2, and the destination's path, in the
 * scratch tree's unwatched root.
 */
static void make_files(struct bench *b)
{
	const char *src = bench_tree_add_file(&b->tree, route_files[R_RW], COPY_SIZE);

	if (!src)
		die("writing %s/%s: %s", b->tree.watched_dir, route_files[R_RW], strerror(errno));
	snprintf(b->src[R_RW], sizeof(b->src[R_RW]), "%s", src);
	snprintf(b->src[R_CFR], sizeof(b->src[R_CFR]), "%s/%s", b->tree.watched_dir,
		 route_files[R_CFR]);
	snprintf(b->dst, sizeof(b->dst), "%s/copy-dst.dat", b->tree.root);
	cleanup_bench = b;
	atexit(remove_copies); /* runs before remove_scratch: the directories empty */
	if (link(b->src[R_RW], b->src[R_CFR]))
		die("link %s: %s", b->src[R_CFR], strerror(errno));
}

/* One untimed copy each, before any agent: whether C2 exists here. */
static void warm_up(struct bench *b)
{
	keep_cached(b);
	for (int rt = 0; rt < R_N; rt++) {
		struct copy_result r = do_copy(b, (enum route)rt);

		check_copy(b, (enum route)rt, &r);
	}
}

static void setup(struct bench *b)
{
	uint64_t t0 = bench_now_ns();
	int rc, cpu;

	if (access(b->agent_exe, X_OK))
		die("agent %s: %s (run 'make' first)", b->agent_exe, strerror(errno));
	check_space("/tmp");
	b->buf = aligned_alloc(4096, CHUNK);
	if (!b->buf)
		die("out of memory");
	rc = bench_tree_make(&b->tree);
	scratch = &b->tree;
	atexit(remove_scratch);
	if (rc)
		die("scratch tree under /tmp: %s", strerror(-rc));
	cpu = bench_pin(BENCH_WORK_CPU);
	if (cpu < 0)
		die("sched_setaffinity: %s", strerror(-cpu));
	make_files(b);
	warm_up(b);
	printf("copies pinned to CPU %d, the agent to CPU %d; source %s (1 GiB, %s, watched), "
	       "destination %s (unwatched); C1 %u-byte chunks, C2 %llu bytes a call; set-up "
	       "%.1f s, source %.0f%% in the page cache\n", cpu,
	       cpu == BENCH_AGENT_CPU ? cpu : BENCH_AGENT_CPU, b->src[R_RW], fs_name(b->src[R_RW]),
	       b->dst, CHUNK, (unsigned long long)b->cfr_len, (bench_now_ns() - t0) / 1e9,
	       bench_resident_pct(b->src[R_RW], COPY_SIZE));
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_copy [--agent PATH] [--rounds N] [--cfr-len BYTES]\n"
		"  --agent PATH     phiauditd to run (default build/phiauditd)\n"
		"  --rounds N       interleaved rounds, 3-%d (default 15)\n"
		"  --cfr-len BYTES  what C2 asks of each copy_file_range call, up to 1 GiB\n"
		"                   (default 131072, C1's chunk)\n"
		"example: sudo build/bench/bench_copy --agent build/phiauditd --rounds 21\n",
		MAX_ROUNDS);
	exit(2);
}

static void parse_args(struct bench *b, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "cfr-len", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int o;

	b->agent_exe = "build/phiauditd";
	b->rounds = 15;
	b->cfr_len = CHUNK;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'a': b->agent_exe = optarg; break;
		case 'r': b->rounds = atoi(optarg); break;
		case 'l': b->cfr_len = strtoull(optarg, NULL, 0); break;
		default: usage();
		}
	}
	if (optind != argc || b->rounds < 3 || b->rounds > MAX_ROUNDS || b->cfr_len == 0 ||
	    b->cfr_len > COPY_SIZE)
		usage();
}


/* A copy that failed its check measured something else: that is broken. */
static int verdict(const struct bench *b)
{
	int bad = 0;

	for (int rt = 0; rt < R_N; rt++)
		bad += b->bad[rt];
	if (bad)
		fprintf(stderr, "%s: error: %d copies failed the syscall check (see above)\n",
			bench_progname, bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	static struct bench b;
	uint64_t t0, steal0;
	double s;

	bench_progname = "bench_copy";
	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_args(&b, argc, argv);
	setup(&b);
	steal0 = bench_steal_ticks();
	t0 = bench_now_ns();
	run_rounds(&b);
	s = (bench_now_ns() - t0) / 1e9;
	printf("%d rounds in %.0f s; CPU time stolen by the hypervisor meanwhile: %.1f%% of all "
	       "CPUs\n", b.rounds, s, 100.0 * (double)(bench_steal_ticks() - steal0) /
		       (double)sysconf(_SC_CLK_TCK) / s / (double)sysconf(_SC_NPROCESSORS_ONLN));
	print_times(&b);
	print_lead(&b);
	print_ratios(&b);
	print_checks(&b);
	print_audit(&b);
	printf("  the source was %.0f%% in the page cache at the end (read in again before a "
	       "visit when it is not all there)\n", bench_resident_pct(b.src[R_RW], COPY_SIZE));
	free(b.buf);
	return verdict(&b);
}
