// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What read accounting costs in memory: N watched files held open and
 * read at once (default 100,000), the agent's resident memory and each
 * kernel table's memory as the kernel accounts it (fdinfo "memlock", the
 * real usage for hash maps since 6.4), before, while held, and after
 * they are closed. Also checks that every file got its Read record.
 *
 *   bench_footprint AGENT [N]      (root)
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bench_agent.h"

static const char *const tables[] = { "pa_files", "pa_fds", "pa_holds", "pa_holders" };
#define N_TABLES (sizeof(tables) / sizeof(tables[0]))

static void fail(const char *what)
{
	fprintf(stderr, "bench_footprint: %s\n", what);
	exit(1);
}

/* "memlock:" of map @fd from our fdinfo. */
static uint64_t map_memlock(int fd)
{
	char path[64], line[256];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Memory of each table of the agent's (the only ones with these names
 * while it runs alone). */
static void table_bytes(uint64_t out[N_TABLES])
{
	uint32_t id = 0;

	memset(out, 0, sizeof(uint64_t) * N_TABLES);
	while (bpf_map_get_next_id(id, &id) == 0) {
		struct bpf_map_info info = { 0 };
		uint32_t len = sizeof(info);
		int fd = bpf_map_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0)
			for (size_t i = 0; i < N_TABLES; i++)
				if (!strcmp(info.name, tables[i]))
					out[i] += map_memlock(fd);
		close(fd);
	}
}

static uint64_t rss_kib(pid_t pid)
{
	char path[64], line[256];
	unsigned long long v = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

static void row(const char *label, pid_t agent, long n)
{
	uint64_t t[N_TABLES], sum = 0;

	table_bytes(t);
	for (size_t i = 0; i < N_TABLES; i++)
		sum += t[i];
	printf("%-22s %10.1f %10.1f %10.1f %10.1f %10.1f %12.1f %9.0f\n", label, t[0] / 1048576.0,
	       t[1] / 1048576.0, t[2] / 1048576.0, t[3] / 1048576.0, sum / 1048576.0,
	       rss_kib(agent) / 1024.0, n ? (double)sum / (double)n : 0.0);
}

/* Read records with unmapped.final true in the agent's output. */
static long final_reads(const char *jsonl)
{
	char *line = NULL;
	size_t cap = 0;
	long n = 0;
	FILE *f = fopen(jsonl, "re");

	if (!f)
		return -1;
	while (getline(&line, &cap, f) > 0)
		n += strstr(line, "\"activity_id\":2,") && strstr(line, "\"final\":true");
	free(line);
	fclose(f);
	return n;
}

/*
 * Holders: processes that each open and read a slice of the files, say so
 * on @ready, and close them when @go is closed. Several processes, since
 * one may not hold 100,000 descriptors (the hard limit here is 20,000).
 */
#define PER_HOLDER 10000
#define MAX_HOLDERS 64

static pid_t holder(const struct bench_tree *t, long from, long to, int ready, int go,
		    int go_w)
{
	pid_t pid = fork();
	char path[256], c;

	if (pid)
		return pid;
	close(go_w); /* or closing it in the parent would never read as EOF here */
	for (long i = from; i < to; i++) {
		int fd;

		snprintf(path, sizeof(path), "%s/f%ld", t->watched_dir, i);
		fd = open(path, O_RDONLY);
		if (fd < 0 || read(fd, &c, 1) != 1)
			_exit(1);
	}
	if (write(ready, "r", 1) != 1 || read(go, &c, 1) < 0)
		_exit(1);
	_exit(0); /* exit closes them: the accounts end by exit */
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 100000;
	struct rlimit rl = { PER_HOLDER + 64, PER_HOLDER + 64 };
	int ready[2], go[2];
	pid_t pids[MAX_HOLDERS];
	long holders = 0;
	struct bench_tree t;
	struct bench_agent a;
	char err[4096], path[256], c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2 || n < 1)
		fail("usage: bench_footprint AGENT [N]");
	if (setrlimit(RLIMIT_NOFILE, &rl))
		fail("cannot raise the open-file limit to 10,064");
	if (pipe2(ready, O_CLOEXEC) || pipe2(go, O_CLOEXEC) || bench_tree_make(&t))
		fail("cannot make the watched tree");
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%ld", t.watched_dir, i);
		if (bench_fill_file(path, 64))
			fail("cannot create the files");
	}
	if (bench_agent_start(&a, argv[1], &t, NULL, err, sizeof(err)))
		fail(err);
	printf("memory with %ld watched files open and read (MiB; per file in bytes)\n", n);
	printf("%-22s %10s %10s %10s %10s %10s %12s %9s\n", "", "files", "fds", "accounts",
	       "holders", "kernel", "agent RSS", "B/file");
	row("agent idle", a.pid, 0);
	for (long from = 0; from < n && holders < MAX_HOLDERS; from += PER_HOLDER)
		pids[holders++] = holder(&t, from, from + PER_HOLDER < n ? from + PER_HOLDER : n, ready[1], go[0],
		       go[1]);
	for (long i = 0; i < holders; i++)
		if (read(ready[0], &c, 1) != 1)
			fail("a holder failed to open and read its files");
	sleep(3); /* the agent writes the open records */
	row("all open and read", a.pid, n);
	close(go[1]);
	for (long i = 0; i < holders; i++) /* not wait(): the agent is a child too */
		waitpid(pids[i], NULL, 0);
	sleep(7); /* exits are found by the sweep (5 s) */
	row("holders exited", a.pid, n);
	printf("final Read records: %ld of %ld\n", final_reads(t.jsonl), n);
	if (bench_agent_stop(&a, err, sizeof(err)))
		fprintf(stderr, "bench_footprint: %s\n", err);
	for (long i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f%ld", t.watched_dir, i);
		unlink(path);
	}
	bench_tree_remove(&t);
	return 0;
}
