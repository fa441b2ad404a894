/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the benchmarks share: a scratch tree under /tmp with a watched and
 * an unwatched 4 KiB file (and any larger watched files a benchmark adds),
 * the agent as a child process (started, waited for, stopped), what its
 * JSONL says (Open and Read records, losses, the Stop record's counters),
 * CPU pinning, CPU accounting and a clock.
 *
 * Header-only because the Makefile turns every .c file in tests/bench
 * into its own binary; `static inline` keeps -Wunused-function quiet in a
 * binary that uses only part of it.
 */
#ifndef PHIAUDIT_BENCH_AGENT_H
#define PHIAUDIT_BENCH_AGENT_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_FILE_SIZE 4096
#define BENCH_READY_TIMEOUT_MS 30000
#define BENCH_STOP_TIMEOUT_MS 60000

/* The workload runs here; the agent on the other CPU (see bench_pin). */
#define BENCH_WORK_CPU 1
#define BENCH_AGENT_CPU 0

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Pin the calling thread to @cpu; a machine with one CPU keeps CPU 0. */
static inline int bench_pin(int cpu)
{
	cpu_set_t set;

	if (cpu >= sysconf(_SC_NPROCESSORS_ONLN))
		cpu = 0;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : cpu;
}

/*
 * IRQ-work interrupts taken so far on @cpu (the IWI line of
 * /proc/interrupts). A ring-buffer wake-up forced from BPF is one such
 * self-interrupt on the producer's CPU, and on a VM each one exits to the
 * hypervisor: worth counting beside the cost of an audited open.
 */
static inline uint64_t bench_irq_work(int cpu)
{
	FILE *f = fopen("/proc/interrupts", "re");
	char *line = NULL, *p;
	size_t cap = 0;
	uint64_t n = 0;

	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0) {
		p = line + strspn(line, " ");
		if (strncmp(p, "IWI:", 4))
			continue;
		p += 4;
		for (int i = 0; i <= cpu; i++)
			n = strtoull(p, &p, 10);
		break;
	}
	free(line);
	fclose(f);
	return n;
}

/*
 * CPU time @pid has used, all its threads: utime + stime of /proc/PID/stat
 * (clock ticks, so 10 ms steps at the usual 100 Hz). 0 if it is gone.
 */
static inline uint64_t bench_proc_cpu_ns(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* After "pid (comm) ": state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime. comm may hold spaces and ')'. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			 &st) != 2)
		return 0;
	return (uint64_t)(ut + st) * 1000000000ULL / (uint64_t)sysconf(_SC_CLK_TCK);
}

/* ---- scratch tree: ROOT/watched/file (audited) and ROOT/unwatched ---- */

#define BENCH_MAX_EXTRA 4

struct bench_tree {
	char root[64];
	char watched_dir[96];
	char watched_file[128];
	char unwatched_file[128];
	char jsonl[128];
	char extra[BENCH_MAX_EXTRA][128]; /* bench_tree_add_file's, removed with the tree */
	int n_extra;
};

/* Write @size bytes of 'p' to @path (created or truncated). 0 or -errno. */
static inline int bench_fill_file(const char *path, uint64_t size)
{
	size_t cap = size < (1u << 20) ? (size_t)size : 1u << 20;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644), rc = 0;
	char *buf = malloc(cap ? cap : 1);

	if (fd < 0 || !buf) {
		rc = fd < 0 ? -errno : -ENOMEM;
		goto out;
	}
	memset(buf, 'p', cap);
	for (uint64_t left = size; left && !rc;) {
		ssize_t n = write(fd, buf, left < cap ? (size_t)left : cap);

		if (n <= 0)
			rc = n < 0 ? -errno : -EIO;
		else
			left -= (uint64_t)n;
	}
out:
	free(buf);
	if (fd >= 0 && close(fd) && !rc)
		rc = -errno;
	return rc;
}

static inline int bench_write_file(const char *path)
{
	return bench_fill_file(path, BENCH_FILE_SIZE);
}

/*
 * Another watched file, WATCHED_DIR/@name of @size bytes, written back to
 * disk before this returns (a benchmark must not measure its writeback).
 * Its path, or NULL with errno set.
 */
static inline const char *bench_tree_add_file(struct bench_tree *t, const char *name,
					      uint64_t size)
{
	char *path;
	int rc, fd;

	if (t->n_extra == BENCH_MAX_EXTRA) {
		errno = ENOSPC;
		return NULL;
	}
	path = t->extra[t->n_extra++]; /* counted now: a partial file goes too */
	snprintf(path, sizeof(t->extra[0]), "%s/%s", t->watched_dir, name);
	rc = bench_fill_file(path, size);
	fd = rc ? -1 : open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd) ? -errno : 0;
		close(fd);
	} else if (!rc) {
		rc = -errno;
	}
	if (rc) {
		errno = -rc;
		return NULL;
	}
	return path;
}

static inline int bench_tree_make(struct bench_tree *t)
{
	snprintf(t->root, sizeof(t->root), "/tmp/phiaudit-bench.XXXXXX");
	if (!mkdtemp(t->root))
		return -errno;
	snprintf(t->watched_dir, sizeof(t->watched_dir), "%s/watched", t->root);
	snprintf(t->watched_file, sizeof(t->watched_file), "%s/patient.txt", t->watched_dir);
	snprintf(t->unwatched_file, sizeof(t->unwatched_file), "%s/unwatched.txt", t->root);
	snprintf(t->jsonl, sizeof(t->jsonl), "%s/agent.jsonl", t->root);
	if (mkdir(t->watched_dir, 0755))
		return -errno;
	if (bench_write_file(t->watched_file) || bench_write_file(t->unwatched_file))
		return -EIO;
	return 0;
}

static inline void bench_tree_remove(const struct bench_tree *t)
{
	for (int i = 0; i < t->n_extra; i++)
		unlink(t->extra[i]);
	unlink(t->jsonl);
	unlink(t->watched_file);
	unlink(t->unwatched_file);
	rmdir(t->watched_dir);
	rmdir(t->root);
}

/* ---- the agent as a child process ---- */

struct bench_agent {
	pid_t pid;
	int err_fd;	  /* read end of the agent's stderr */
	char hook[32];	  /* the hook its ready line names */
	uint64_t cpu_ready_ns; /* CPU it had used when it said ready */
	uint64_t cpu_run_ns;   /* CPU used from then until it exited */
	uint64_t stop_ns;      /* SIGTERM to exit: its final drain */
	char said[4096];  /* what it wrote on stderr, for error messages */
	size_t said_len;
};

/* Append what the agent wrote on stderr; returns bytes read, 0 at EOF. */
static inline ssize_t bench_agent_listen(struct bench_agent *a)
{
	char buf[1024];
	ssize_t n = read(a->err_fd, buf, sizeof(buf));
	size_t room = sizeof(a->said) - 1 - a->said_len;

	if (n <= 0)
		return n;
	if ((size_t)n > room) { /* keep the start: that is where errors are */
		memcpy(a->said + a->said_len, buf, room);
		a->said_len += room;
	} else {
		memcpy(a->said + a->said_len, buf, (size_t)n);
		a->said_len += (size_t)n;
	}
	a->said[a->said_len] = 0;
	return n;
}

static inline void bench_agent_child(const char *const argv[], int err_w)
{
	int null = open("/dev/null", O_RDWR);

	/* A bench that dies must not leave an agent hooked into every syscall. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	bench_pin(BENCH_AGENT_CPU);
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	dup2(err_w, STDERR_FILENO);
	execv(argv[0], (char *const *)argv);
	dprintf(err_w, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* The hook named in "ready: watching 1 directory with the tp_btf hook". */
static inline void bench_agent_parse_hook(struct bench_agent *a, const char *ready)
{
	const char *w = strstr(ready, " with the ");
	size_t n = 0;

	snprintf(a->hook, sizeof(a->hook), "?");
	if (!w)
		return;
	w += strlen(" with the ");
	while (w[n] && w[n] != ' ' && n < sizeof(a->hook) - 1)
		n++;
	memcpy(a->hook, w, n);
	a->hook[n] = 0;
}

/* CPU time @pid has run so far (first field of /proc/PID/schedstat). */
static inline uint64_t bench_cpu_ns(pid_t pid)
{
	char path[64];
	unsigned long long ns = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%llu", &ns) != 1)
		ns = 0;
	fclose(f);
	return ns;
}

/* Wait for "phiauditd: ready" on the agent's stderr. 0, or -1 with @err set. */
static inline int bench_agent_wait_ready(struct bench_agent *a, char *err, size_t errlen)
{
	uint64_t deadline = bench_now_ns() + BENCH_READY_TIMEOUT_MS * 1000000ULL;
	struct pollfd p = { .fd = a->err_fd, .events = POLLIN };

	for (;;) {
		const char *ready = strstr(a->said, "phiauditd: ready");
		uint64_t now = bench_now_ns();

		if (ready && strchr(ready, '\n')) {
			bench_agent_parse_hook(a, ready);
			a->cpu_ready_ns = bench_cpu_ns(a->pid);
			return 0;
		}
		if (now >= deadline) {
			snprintf(err, errlen, "no ready line within %d s; it said: %.3000s",
				 BENCH_READY_TIMEOUT_MS / 1000, a->said);
			return -1;
		}
		if (poll(&p, 1, (int)((deadline - now) / 1000000 + 1)) > 0 &&
		    bench_agent_listen(a) <= 0) {
			snprintf(err, errlen, "exited before it was ready; it said: %.3000s", a->said);
			return -1;
		}
	}
}

static inline int bench_agent_stop(struct bench_agent *a, char *err, size_t errlen);

/*
 * Start @exe watching @t's directory, writing to @t->jsonl, with @hook
 * (NULL: the agent's default). Returns once the agent said it is ready.
 */
static inline int bench_agent_start(struct bench_agent *a, const char *exe,
				    const struct bench_tree *t, const char *hook, char *err,
				    size_t errlen)
{
	const char *argv[] = { exe, "--watch", t->watched_dir, "--jsonl", t->jsonl,
			       "--log-dir", "none", "--run-dir", "none", hook ? "--hook" : NULL, hook, NULL };
	char ignored[4096];
	int fds[2];

	memset(a, 0, sizeof(*a));
	unlink(t->jsonl); /* the agent appends; each run starts empty */
	if (pipe2(fds, O_CLOEXEC)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	a->pid = fork();
	if (a->pid == 0)
		bench_agent_child(argv, fds[1]);
	close(fds[1]);
	a->err_fd = fds[0];
	if (a->pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fds[0]);
		return -1;
	}
	if (bench_agent_wait_ready(a, err, errlen) == 0)
		return 0;
	bench_agent_stop(a, ignored, sizeof(ignored));
	return -1;
}

/*
 * SIGTERM, then read its stderr to EOF and reap it. 0 if it exited 0, else
 * -1 with @err set. Its stderr is read only at start and stop: meanwhile
 * it writes a warning a second at most, far below a pipe's 64 KiB.
 */
static inline int bench_agent_stop(struct bench_agent *a, char *err, size_t errlen)
{
	uint64_t t0 = bench_now_ns(), deadline = t0 + BENCH_STOP_TIMEOUT_MS * 1000000ULL, cpu;
	struct pollfd p = { .fd = a->err_fd, .events = POLLIN };
	int status = 0, killed = 0;
	struct rusage ru;

	if (a->pid <= 0)
		return 0;
	kill(a->pid, SIGTERM);
	for (;;) {
		if (bench_now_ns() >= deadline && !killed) {
			kill(a->pid, SIGKILL);
			killed = 1;
		}
		if (poll(&p, 1, 200) > 0 && bench_agent_listen(a) <= 0)
			break;
	}
	close(a->err_fd);
	memset(&ru, 0, sizeof(ru));
	wait4(a->pid, &status, 0, &ru);
	a->stop_ns = bench_now_ns() - t0;
	cpu = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ULL +
	      (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ULL;
	a->cpu_run_ns = cpu > a->cpu_ready_ns ? cpu - a->cpu_ready_ns : 0;
	a->pid = 0;
	if (killed)
		snprintf(err, errlen, "did not stop within %d s of SIGTERM; killed",
			 BENCH_STOP_TIMEOUT_MS / 1000);
	else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		snprintf(err, errlen, "exited with status 0x%x on SIGTERM; it said: %.3000s", status,
			 a->said);
	else
		return 0;
	return -1;
}

/* ---- what the agent wrote ---- */

struct bench_summary {
	uint64_t open_records;	/* "activity_name":"Open" lines of our own opens */
	uint64_t other_opens;	/* Open lines of other processes (not ours) */
	uint64_t loss_records;	/* "activity_name":"Loss" lines */
	/*
	 * What the Loss records reported, summed over their since_last
	 * counters (every one but "reads", a count) and
	 * events_missing_unexplained. fd_lookup_failed, which is part of it,
	 * is also given apart: it counts opens anywhere on the host, so
	 * another program on a shared machine can make it non-zero.
	 */
	uint64_t lost, lost_fd_lookup;
	/* Read records (class_uid 1001, activity_id 2) of our processes */
	uint64_t read_records;	/* progress reports and final ones */
	uint64_t read_final;	/* unmapped.final true: one per open file and process */
	uint64_t bytes_read;	/* unmapped.bytes_read, summed over the final ones */
	uint64_t read_calls;	/* unmapped.read_calls, the same */
	uint64_t other_reads;	/* Read records of other processes */
	int have_stop;
	uint64_t events_received, max_event_seq;
	uint64_t ringbuf_full, events; /* from the Stop record's counters */
	uint64_t reads;		       /* read syscalls the kernel counted (Stop) */
	/* Stop counters of reads that were not counted: any is a loss */
	uint64_t files_full, fds_full, accounts_full;
	uint64_t file_reused; /* a stale table entry dropped: not a loss */
};

/* The unsigned number after "key": in @line, or 0 when absent. */
static inline uint64_t bench_json_u64(const char *line, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(line, pat);
	return p ? strtoull(p + strlen(pat), NULL, 10) : 0;
}

/*
 * Whose access a record is: actor.process.pid, one of @pids or not.
 * Another process on a shared machine can open the watched file too (an
 * indexer, a cleaner); that is not ours to count. A record without the
 * field counts as ours.
 */
static inline int bench_is_ours(const char *line, const pid_t *pids, int n)
{
	static const char key[] = "\"actor\":{\"process\":{\"pid\":";
	const char *p = strstr(line, key);
	long pid;

	if (!p)
		return 1;
	pid = strtol(p + sizeof(key) - 1, NULL, 10);
	for (int i = 0; i < n; i++)
		if (pid == (long)pids[i])
			return 1;
	return 0;
}

static inline int bench_open_is_ours(const char *line, pid_t self)
{
	return bench_is_ours(line, &self, 1);
}

/*
 * A Read record: the reads one process made through one open file. Counts
 * are cumulative in progress reports too, so only the final one (one per
 * open file and process) is summed.
 */
static inline void bench_count_read(const char *line, const pid_t *pids, int n,
				    struct bench_summary *s)
{
	if (!bench_is_ours(line, pids, n)) {
		s->other_reads++;
		return;
	}
	s->read_records++;
	if (!strstr(line, "\"final\":true"))
		return;
	s->read_final++;
	s->bytes_read += bench_json_u64(line, "bytes_read");
	s->read_calls += bench_json_u64(line, "read_calls");
}

/* A Loss record: "since_last":{"name":N,...}, "events_missing_unexplained":N. */
static inline void bench_count_loss(const char *line, struct bench_summary *s)
{
	static const char key[] = "\"since_last\":{";
	const char *p = strstr(line, key);

	s->loss_records++;
	s->lost += bench_json_u64(line, "events_missing_unexplained");
	if (!p)
		return;
	p += sizeof(key) - 1;
	while (*p == '"') {
		const char *name = p + 1, *colon = strchr(name, ':');
		uint64_t n;
		char *end;

		if (!colon)
			return;
		n = strtoull(colon + 1, &end, 10);
		if (strncmp(name, "reads\"", 6)) /* a count, not a loss */
			s->lost += n;
		if (!strncmp(name, "fd_lookup_failed\"", 17))
			s->lost_fd_lookup += n;
		p = *end == ',' ? end + 1 : end;
	}
}

static inline void bench_count_stop(const char *line, struct bench_summary *s)
{
	s->have_stop = 1;
	s->events_received = bench_json_u64(line, "events_received");
	s->max_event_seq = bench_json_u64(line, "max_event_seq");
	s->ringbuf_full = bench_json_u64(line, "ringbuf_full");
	s->events = bench_json_u64(line, "events");
	s->reads = bench_json_u64(line, "reads");
	s->files_full = bench_json_u64(line, "files_full");
	s->fds_full = bench_json_u64(line, "fds_full");
	s->accounts_full = bench_json_u64(line, "accounts_full");
	s->file_reused = bench_json_u64(line, "file_reused");
}

/*
 * Read the agent's JSONL, counting the records of @pids (the processes
 * the benchmark ran); fills @s. -errno if the file can't be read.
 */
static inline int bench_summarise_pids(const char *jsonl, const pid_t *pids, int n,
				       struct bench_summary *s)
{
	FILE *f = fopen(jsonl, "re");
	char *line = NULL;
	size_t cap = 0;

	memset(s, 0, sizeof(*s));
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		if (strstr(line, "\"activity_name\":\"Open\"")) {
			if (bench_is_ours(line, pids, n))
				s->open_records++;
			else
				s->other_opens++;
		} else if (bench_json_u64(line, "class_uid") == 1001 &&
			   bench_json_u64(line, "activity_id") == 2) {
			bench_count_read(line, pids, n, s);
		} else if (strstr(line, "\"activity_name\":\"Loss\"")) {
			bench_count_loss(line, s);
		} else if (strstr(line, "\"activity_name\":\"Stop\"")) {
			bench_count_stop(line, s);
		}
	}
	free(line);
	fclose(f);
	return 0;
}

static inline int bench_summarise(const char *jsonl, pid_t self, struct bench_summary *s)
{
	return bench_summarise_pids(jsonl, &self, 1, s);
}

/* Opens or descriptors whose reads the kernel could not count: tables full. */
static inline uint64_t bench_reads_untracked(const struct bench_summary *s)
{
	return s->files_full + s->fds_full + s->accounts_full;
}

/* Nothing lost in the kernel or the agent, by any count the log gives. */
static inline int bench_no_loss(const struct bench_summary *s)
{
	return s->have_stop && s->ringbuf_full == 0 && s->max_event_seq == s->events_received &&
	       s->lost == 0 && bench_reads_untracked(s) == 0;
}


/* ---- exit paths shared by the drivers ---- */

static const char *bench_progname = "bench";
static struct bench_tree *scratch; /* removed at exit, even by die() */

static inline void remove_scratch(void)
{
	if (scratch)
		bench_tree_remove(scratch);
}

static inline void __attribute__((format(printf, 1, 2), noreturn)) die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: error: ", bench_progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- figures ---- */

static inline int bench_cmp_double(const void *x, const void *y)
{
	double p = *(const double *)x, q = *(const double *)y;

	return (p > q) - (p < q);
}

/* The median of @n values (@v left as it is); 0 for none. */
static inline double bench_median(const double *v, int n)
{
	double *s = n > 0 ? malloc(sizeof(*s) * (size_t)n) : NULL, m;

	if (!s)
		return 0;
	memcpy(s, v, sizeof(*s) * (size_t)n);
	qsort(s, (size_t)n, sizeof(*s), bench_cmp_double);
	m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
	free(s);
	return m;
}

/* How much of @path is in the page cache, in percent; -1 if unknown. */
static inline double bench_resident_pct(const char *path, uint64_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t pages = (size_t)((size + (uint64_t)page - 1) / (uint64_t)page), in = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char *vec = malloc(pages);
	void *m = MAP_FAILED;

	if (fd >= 0 && vec)
		m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (m != MAP_FAILED && mincore(m, size, vec) == 0)
		for (size_t i = 0; i < pages; i++)
			in += vec[i] & 1;
	if (m != MAP_FAILED)
		munmap(m, size);
	if (fd >= 0)
		close(fd);
	free(vec);
	return m == MAP_FAILED ? -1 : 100.0 * (double)in / (double)pages;
}

/* CPU time the hypervisor gave to others, all CPUs (/proc/stat "steal"). */
static inline uint64_t bench_steal_ticks(void)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return 0;
	if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &v[6], &v[7]) != 8)
		v[7] = 0;
	fclose(f);
	return v[7];
}

#endif /* PHIAUDIT_BENCH_AGENT_H */
