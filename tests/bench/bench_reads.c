// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_reads: as many reads of a watched file as 2 processes can make in
 * 10 s, and the agent keeps up, loses nothing, and counts every byte.
 *
 * The kernel adds reads up per open file and process; the agent receives
 * one record per open file and process, plus a progress report now and
 * then (every PA_PROGRESS_BYTES or PA_PROGRESS_NS), never one per read.
 * So however fast the readers go, the agent's CPU should stay small.
 *
 * Each reader is a process of its own, pinned to a CPU (the workload's
 * CPU first, then the next ones, round the machine). It opens a watched
 * 1 MiB file once the agent is ready, then until the deadline alternates
 *   read  4 KiB, sequentially (at the end of the file the read returns 0,
 *         which counts as a call, and the reader seeks back to the start)
 *   pread 4 KiB at offset 0
 * then closes the file and reports the calls and bytes the syscalls
 * returned. Then the agent is stopped and its JSONL is checked:
 *
 *   agent CPU   utime + stime of /proc/AGENT/stat over the window, as a
 *               share of one CPU: under 5 %
 *   zero loss   ringbuf_full 0, no event missing by sequence, nothing
 *               counted in the Loss records (fd_lookup_failed, host-wide,
 *               is shown on its own too), no open the read tables had no
 *               room for (files_full, fds_full, accounts_full)
 *   exact       one final Read record per reader, and their bytes_read and
 *               read_calls summed equal what the readers counted
 *
 * A shorter run without the agent first gives the rate it is compared
 * with (for reference; the cost per read is bench_syscalls' W4 and W5).
 *
 * Exit status: 0 whatever the results say; 1 if something broke (the agent
 * failed to start or stop, a reader failed).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_agent.h"

#define MAX_PROCS 16
#define READ_FILE_SIZE (1u << 20)
#define READ_CHUNK 4096
#define CPU_TARGET_PCT 5.0

struct reads_opts {
	const char *exe;
	const char *hook; /* NULL: the agent's default */
	int procs;
	double seconds, baseline_s;
};

/* What one reader did, sent up a pipe (well under PIPE_BUF: one write). */
struct reader_result {
	int index; /* 0 .. procs - 1 */
	pid_t pid;
	int cpu;
	uint64_t calls, bytes;
};

struct reads_run {
	int procs;
	struct reader_result r[MAX_PROCS];
	uint64_t calls, bytes;	/* summed over the readers */
	uint64_t window_ns;	/* go to the last reader reaped */
	uint64_t agent_cpu_ns;	/* the agent's utime + stime over the window */
	uint64_t agent_sched_ns; /* the same from schedstat: ns, not ticks */
};

/* ---- a reader: a child process; it never returns, and never runs atexit */

static void __attribute__((noreturn)) reader_fail(const char *what, const char *path)
{
	fprintf(stderr, "bench_reads: reader %d: %s %s: %s\n", (int)getpid(), what, path,
		strerror(errno));
	_exit(1);
}

/* Read until @deadline, 64 read+pread pairs between looks at the clock. */
static void reader_loop(int fd, const char *path, uint64_t deadline, struct reader_result *r)
{
	static char buf[READ_CHUNK];

	do {
		for (int i = 0; i < 64; i++) {
			ssize_t n = read(fd, buf, sizeof(buf));

			if (n < 0)
				reader_fail("read", path);
			if (n == 0 && lseek(fd, 0, SEEK_SET))
				reader_fail("lseek", path);
			r->bytes += (uint64_t)n;
			n = pread(fd, buf, sizeof(buf), 0);
			if (n != (ssize_t)sizeof(buf))
				reader_fail("pread", path);
			r->bytes += (uint64_t)n;
			r->calls += 2;
		}
	} while (bench_now_ns() < deadline);
}

/*
 * Open @path, say so on @ready, wait for the deadline on @go, read, close,
 * and write what was done to @res.
 */
static void __attribute__((noreturn)) reader(const char *path, int index, int ready, int go,
					    int res)
{
	struct reader_result r = { .index = index, .pid = getpid() };
	uint64_t deadline;
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	r.cpu = bench_pin((BENCH_WORK_CPU + index) % (int)sysconf(_SC_NPROCESSORS_ONLN));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		reader_fail("open", path);
	if (write(ready, "r", 1) != 1 || read(go, &deadline, sizeof(deadline)) != sizeof(deadline))
		reader_fail("talking to the parent about", path);
	reader_loop(fd, path, deadline, &r);
	if (close(fd))
		reader_fail("close", path);
	if (write(res, &r, sizeof(r)) != sizeof(r))
		reader_fail("reporting on", path);
	_exit(0);
}

/* ---- the parent: start the readers, time them, gather what they did ---- */

struct pipes {
	int ready[2], go[2], res[2];
};

static void read_all(int fd, void *buf, size_t len, const char *what)
{
	for (size_t got = 0; got < len;) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n <= 0)
			die("%s: %s", what, n ? strerror(errno) : "a reader exited early");
		got += (size_t)n;
	}
}

static pid_t fork_reader(const char *path, int index, const struct pipes *p)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		close(p->ready[0]);
		close(p->go[1]);
		close(p->res[0]);
		reader(path, index, p->ready[1], p->go[0], p->res[1]);
	}
	return pid;
}

/*
 * Run @run->procs readers of @path for @seconds; @agent_pid (0: none) is
 * the process whose CPU is measured over the window.
 */
static void run_readers(const char *path, double seconds, pid_t agent_pid,
			struct reads_run *run)
{
	uint64_t t0, deadline, cpu0 = 0, sched0 = 0;
	pid_t pids[MAX_PROCS];
	struct pipes p;
	char c;

	if (pipe2(p.ready, O_CLOEXEC) || pipe2(p.go, O_CLOEXEC) || pipe2(p.res, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	for (int i = 0; i < run->procs; i++)
		pids[i] = fork_reader(path, i, &p);
	close(p.ready[1]);
	close(p.go[0]);
	close(p.res[1]);
	for (int i = 0; i < run->procs; i++)
		read_all(p.ready[0], &c, 1, "waiting for the readers to open the file");
	if (agent_pid) {
		cpu0 = bench_proc_cpu_ns(agent_pid);
		sched0 = bench_cpu_ns(agent_pid);
	}
	t0 = bench_now_ns();
	deadline = t0 + (uint64_t)(seconds * 1e9);
	for (int i = 0; i < run->procs; i++)
		if (write(p.go[1], &deadline, sizeof(deadline)) != sizeof(deadline))
			die("starting the readers: %s", strerror(errno));
	for (int i = 0; i < run->procs; i++) {
		struct reader_result r;

		read_all(p.res[0], &r, sizeof(r), "waiting for the readers");
		if (r.index < 0 || r.index >= run->procs)
			die("a reader reported as number %d", r.index);
		run->r[r.index] = r;
		run->calls += r.calls;
		run->bytes += r.bytes;
	}
	for (int i = 0; i < run->procs; i++) {
		int status;

		if (waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			die("reader %d failed (status 0x%x)", (int)pids[i], status);
	}
	run->window_ns = bench_now_ns() - t0;
	if (agent_pid) {
		run->agent_cpu_ns = bench_proc_cpu_ns(agent_pid) - cpu0;
		run->agent_sched_ns = bench_cpu_ns(agent_pid) - sched0;
	}
	close(p.ready[0]);
	close(p.go[1]);
	close(p.res[0]);
}

/* ---- the report ---- */

static double per_s(uint64_t n, uint64_t ns)
{
	return ns ? (double)n / ((double)ns / 1e9) : 0;
}

static void print_rate(const char *label, const struct reads_run *run)
{
	printf("%-22s %12llu %12.0f %10.0f %9.2f\n", label, (unsigned long long)run->calls,
	       per_s(run->calls, run->window_ns),
	       per_s(run->bytes, run->window_ns) / (1 << 20), run->window_ns / 1e9);
}

static void print_readers(const struct reads_run *run)
{
	for (int i = 0; i < run->procs; i++)
		printf("  reader %d: pid %d on CPU %d, %llu reads, %llu bytes\n", i + 1,
		       (int)run->r[i].pid, run->r[i].cpu, (unsigned long long)run->r[i].calls,
		       (unsigned long long)run->r[i].bytes);
}

static void check_row(const char *what, const char *target, const char *measured, bool ok)
{
	printf("%-34s %-18s %-28s %s\n", what, target, measured, ok ? "PASS" : "FAIL");
}

static void print_checks(const struct reads_run *run, const struct bench_summary *s,
			 const struct bench_agent *a)
{
	double cpu_pct = 100.0 * (double)run->agent_cpu_ns / (double)(run->window_ns ?: 1);
	double sched_pct = 100.0 * (double)run->agent_sched_ns / (double)(run->window_ns ?: 1);
	uint64_t seq_lost = s->max_event_seq > s->events_received ?
				    s->max_event_seq - s->events_received : 0;
	char t[48], m[64];

	printf("\n%-34s %-18s %-28s %s\n", "check", "target", "measured", "result");
	snprintf(t, sizeof(t), "< %.1f%% of a CPU", CPU_TARGET_PCT);
	snprintf(m, sizeof(m), "%.2f%% (%.2f s)", cpu_pct, run->agent_cpu_ns / 1e9);
	check_row("agent CPU, /proc/PID/stat", t, m, cpu_pct < CPU_TARGET_PCT);
	snprintf(m, sizeof(m), "%.3f%% (%.3f s)", sched_pct, run->agent_sched_ns / 1e9);
	check_row("agent CPU, /proc/PID/schedstat", t, m, sched_pct < CPU_TARGET_PCT);
	snprintf(m, sizeof(m), "%llu", (unsigned long long)s->ringbuf_full);
	check_row("ring buffer full", "0", m, s->ringbuf_full == 0);
	snprintf(m, sizeof(m), "%llu", (unsigned long long)seq_lost);
	check_row("events missing by sequence", "0", m, s->have_stop && seq_lost == 0);
	snprintf(m, sizeof(m), "%llu in %llu Loss records", (unsigned long long)s->lost,
		 (unsigned long long)s->loss_records);
	check_row("losses the agent reported", "0", m, s->lost == 0);
	snprintf(m, sizeof(m), "%llu", (unsigned long long)bench_reads_untracked(s));
	check_row("opens whose reads had no room", "0", m, bench_reads_untracked(s) == 0);
	snprintf(t, sizeof(t), "%d", run->procs);
	snprintf(m, sizeof(m), "%llu", (unsigned long long)s->open_records);
	check_row("Open records of the readers", t, m, s->open_records == (uint64_t)run->procs);
	snprintf(m, sizeof(m), "%llu", (unsigned long long)s->read_final);
	check_row("final Read records of the readers", t, m, s->read_final == (uint64_t)run->procs);
	snprintf(t, sizeof(t), "%llu", (unsigned long long)run->bytes);
	snprintf(m, sizeof(m), "%llu", (unsigned long long)s->bytes_read);
	check_row("bytes_read summed (final)", t, m, s->bytes_read == run->bytes);
	snprintf(t, sizeof(t), "%llu", (unsigned long long)run->calls);
	snprintf(m, sizeof(m), "%llu", (unsigned long long)s->read_calls);
	check_row("read_calls summed (final)", t, m, s->read_calls == run->calls);
	printf("zero loss: %s; exact: %s\n", bench_no_loss(s) ? "PASS" : "FAIL",
	       s->read_final == (uint64_t)run->procs && s->bytes_read == run->bytes &&
			       s->read_calls == run->calls ? "PASS" : "FAIL");
	printf("for reference: %llu Read records in all (%llu progress reports), %.4f per 1000 "
	       "reads; kernel 'reads' counter %llu (readers did %llu); fd_lookup_failed (host-wide, "
	       "part of the losses) %llu; agent CPU from ready to exit %.2f s, drain on SIGTERM "
	       "%.2f s\n",
	       (unsigned long long)s->read_records,
	       (unsigned long long)(s->read_records - s->read_final),
	       1000.0 * (double)s->read_records / (double)(run->calls ?: 1),
	       (unsigned long long)s->reads, (unsigned long long)run->calls,
	       (unsigned long long)s->lost_fd_lookup, a->cpu_run_ns / 1e9, a->stop_ns / 1e9);
	if (s->other_opens || s->other_reads)
		printf("(note: %llu Open and %llu Read records of other processes, not counted)\n",
		       (unsigned long long)s->other_opens, (unsigned long long)s->other_reads);
}

/* ---- set-up ---- */

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_reads [--agent PATH] [--procs N] [--seconds S] [--baseline S]\n"
		"                   [--hook KIND]\n"
		"  --agent PATH  phiauditd to run (default build/phiauditd)\n"
		"  --procs N     reader processes, 1-%d (default 2)\n"
		"  --seconds S   how long they read with the agent (default 10)\n"
		"  --baseline S  how long they read first without it; 0: not at all (default 2)\n"
		"  --hook KIND   start the agent with this --hook (default: its own choice)\n"
		"example: sudo build/bench/bench_reads --procs 4 --seconds 30 --hook raw_tp\n",
		MAX_PROCS);
	exit(2);
}

static void parse_args(struct reads_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "procs", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 's' },
		{ "baseline", required_argument, NULL, 'b' },
		{ "hook", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	*o = (struct reads_opts){ .exe = "build/phiauditd", .procs = 2, .seconds = 10,
				  .baseline_s = 2 };
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a': o->exe = optarg; break;
		case 'p': o->procs = atoi(optarg); break;
		case 's': o->seconds = atof(optarg); break;
		case 'b': o->baseline_s = atof(optarg); break;
		case 'k': o->hook = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || o->procs < 1 || o->procs > MAX_PROCS || !(o->seconds > 0) ||
	    !(o->baseline_s >= 0))
		usage();
}

/*
 * The run with the agent: start it, read, stop it (it drains and writes its
 * Stop record), and summarise what it wrote about the readers.
 */
static void run_with_agent(const struct reads_opts *o, const struct bench_tree *t,
			   const char *path, struct reads_run *run, struct bench_agent *a,
			   struct bench_summary *s)
{
	pid_t pids[MAX_PROCS], agent_pid;
	char err[4096], label[48];

	if (bench_agent_start(a, o->exe, t, o->hook, err, sizeof(err)))
		die("agent (%s) failed to start: %s", o->hook ? o->hook : "default", err);
	agent_pid = a->pid;
	run_readers(path, o->seconds, agent_pid, run);
	if (bench_agent_stop(a, err, sizeof(err)))
		die("agent (%s): %s", a->hook, err);
	snprintf(label, sizeof(label), "agent(%s)", a->hook);
	print_rate(label, run);
	for (int i = 0; i < run->procs; i++)
		pids[i] = run->r[i].pid;
	if (bench_summarise_pids(t->jsonl, pids, run->procs, s))
		die("agent (%s) log %s: %s", a->hook, t->jsonl, strerror(errno));
	if (!s->have_stop)
		die("agent (%s) wrote no Stop record to %s", a->hook, t->jsonl);
	printf("agent pid %d on CPU %d; its CPU is counted from the readers' start to the last "
	       "one's exit: utime+stime of /proc/%d/stat (clock ticks) and, finer, schedstat's "
	       "run time (ns; the agent is one thread)\n", (int)agent_pid, BENCH_AGENT_CPU,
	       (int)agent_pid);
}

int main(int argc, char **argv)
{
	static struct bench_tree t; /* static: remove_scratch runs after main */
	static struct reads_run base, run;
	struct bench_summary s;
	struct bench_agent a;
	struct reads_opts o;
	const char *path;
	int rc;

	bench_progname = "bench_reads";
	parse_args(&o, argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access(o.exe, X_OK))
		die("agent %s: %s (run 'make' first)", o.exe, strerror(errno));
	rc = bench_tree_make(&t);
	scratch = &t;
	atexit(remove_scratch);
	if (rc)
		die("scratch tree under /tmp: %s", strerror(-rc));
	path = bench_tree_add_file(&t, "reads.dat", READ_FILE_SIZE);
	if (!path)
		die("writing %s/reads.dat: %s", t.watched_dir, strerror(errno));

	printf("reads test: %d processes, each alternating read 4 KiB (sequential, through EOF) "
	       "and pread 4 KiB of one watched %u KiB file through its own open, as fast as it "
	       "can\n", o.procs, READ_FILE_SIZE >> 10);
	printf("%-22s %12s %12s %10s %9s\n", "run", "reads", "reads/s", "MiB/s", "seconds");
	base.procs = run.procs = o.procs;
	if (o.baseline_s > 0) {
		run_readers(path, o.baseline_s, 0, &base);
		print_rate("no agent", &base);
	}
	run_with_agent(&o, &t, path, &run, &a, &s);
	if (o.baseline_s > 0)
		printf("rate with the agent / without: %.2fx (reference)\n",
		       per_s(run.calls, run.window_ns) / per_s(base.calls, base.window_ns));
	print_readers(&run);
	print_checks(&run, &s, &a);
	return 0;
}
