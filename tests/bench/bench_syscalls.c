// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_syscalls: what phiaudit costs the syscalls of every other process.
 *
 * Workloads (ns per iteration, CLOCK_MONOTONIC around a batch):
 *   W1  pread 4 KiB from an unwatched, already-open file
 *   W2  getppid (raw syscall, so nothing caches it)
 *   W3  open + read 4 KiB + close of a watched file
 *   W4  read 4 KiB, sequentially, of a watched 1 MiB file held open
 *   W5  pread 4 KiB at offset 0 of a watched file held open
 *   W6  read 64 KiB, sequentially, of a watched 256 MiB file held open:
 *       a sample is 1 GiB (the file 4 times, from the page cache: it is
 *       written and synced at set-up, and read again before any visit
 *       that would find part of it evicted; its residency is shown)
 * The watched files W4-W6 read are opened after the agent is ready and
 * closed before it stops, so each visit checks the agent's Read records
 * against what was read: one final record per open, and bytes and calls
 * summed over them equal to those done.
 * Configurations:
 *   none        no BPF
 *   floor       empty raw_tp sys_enter + sys_exit programs (floor.bpf.c)
 *   agent       phiauditd with its default hook (it names the one it chose)
 *   raw_tp      phiauditd --hook raw_tp
 *   tracepoint  phiauditd --hook tracepoint
 *
 * A noisy shared VM drifts by more than the effects measured here, so the
 * configurations are interleaved: every round visits each one in turn
 * (starting one further along each round, so none always follows the
 * agent's start-up), and the figures are medians over rounds. Ratios are
 * medians of per-round ratios: each pairs two samples taken seconds apart.
 * A round during which another program had syscall hooks attached (another
 * test suite on the machine) is left out, and rounds go on, within a time
 * budget, until enough clean ones are in.
 *
 * Exit status: 0 whatever the targets say (a benchmark reports, it does not
 * gate); 1 if something broke (the agent or the floor failed to load, the
 * agent audited nothing).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "bench_agent.h"
#include "floor.skel.h"

#define MAX_ROUNDS 64
#define SEQ_FILE_SIZE (1u << 20)
#define BULK_FILE_SIZE (256ull << 20)
#define BULK_CHUNK (64u << 10)
#define BULK_SAMPLE (1ull << 30)

enum workload { W_PREAD, W_GETPPID, W_OPEN, W_READ_HELD, W_PREAD_HELD, W_BULK, W_N };
enum cfg_kind { CFG_NONE, CFG_FLOOR, CFG_AGENT };
enum config { C_NONE, C_FLOOR, C_AGENT, C_RAW_TP, C_TRACEPOINT, C_N };

static const struct {
	const char *name;
	uint64_t iters; /* per sample, before --scale */
} workloads[W_N] = {
	[W_PREAD] = { "W1 pread 4K unwatched", 200000 },
	[W_GETPPID] = { "W2 getppid", 200000 },
	[W_OPEN] = { "W3 open+read+close watched", 40000 },
	[W_READ_HELD] = { "W4 read 4K watched, open", 50000 },
	[W_PREAD_HELD] = { "W5 pread 4K watched, open", 50000 },
	[W_BULK] = { "W6 read 64K of 1 GiB, open", BULK_SAMPLE / BULK_CHUNK },
};

/* Which watched files W4-W6 hold open during a visit. */
enum held { H_SEQ, H_PREAD, H_BULK, H_N };

struct held_file {
	const char *path;
	uint64_t size;
	int fd;
	uint64_t off; /* where the next sequential read starts */
};

static const struct {
	const char *name;
	enum cfg_kind kind;
	const char *hook; /* --hook for the agent; NULL: its default */
} configs[C_N] = {
	[C_NONE] = { "none", CFG_NONE, NULL },
	[C_FLOOR] = { "floor", CFG_FLOOR, NULL },
	[C_AGENT] = { "agent", CFG_AGENT, NULL },
	[C_RAW_TP] = { "raw_tp", CFG_AGENT, "raw_tp" },
	[C_TRACEPOINT] = { "tracepoint", CFG_AGENT, "tracepoint" },
};

struct bench {
	const char *agent_exe;
	int rounds;			/* clean rounds wanted */
	int done;			/* rounds run */
	int budget_s;			/* keep adding rounds for this long */
	double scale;
	struct bench_tree tree;
	struct floor_bpf *floor;
	int pread_fd;
	struct held_file held[H_N];
	char buf[BENCH_FILE_SIZE];
	char chunk[BULK_CHUNK];
	uint64_t wbytes, wcalls;	/* read from watched files, this visit */
	double ns[C_N][W_N][MAX_ROUNDS];
	char hook[C_N][32];		/* what each agent config reported */
	uint64_t opens_done[C_N];	/* watched opens (W3's, W4-W6's) in that config */
	uint64_t open_records[C_N];	/* Open records its agent wrote */
	uint64_t ringbuf_full[C_N];
	uint64_t agent_cpu_ns[C_N];	/* agent CPU after ready, summed */
	uint64_t irq_work[C_N];		/* IRQ-work interrupts during W3 */
	uint64_t wbytes_done[C_N];	/* bytes and read calls of watched files */
	uint64_t wcalls_done[C_N];
	struct bench_summary reads[C_N]; /* its agent's Read records, summed */
	int work_cpu;
	bool skip[C_N];
	bool tainted[MAX_ROUNDS];	/* others' hooks seen during round r */
	int use[MAX_ROUNDS], n_use;	/* the rounds the figures come from */
	int wait_quiet_s;
};

/* ---- the workloads: @n iterations each, failures are fatal ---- */

static void run_pread(struct bench *b, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (pread(b->pread_fd, b->buf, sizeof(b->buf), 0) != (ssize_t)sizeof(b->buf))
			die("pread %s: %s", b->tree.unwatched_file, strerror(errno));
}

static void run_getppid(struct bench *b, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (syscall(SYS_getppid) <= 0)
			die("getppid failed");
}

static void run_open(struct bench *b, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		int fd = open(b->tree.watched_file, O_RDONLY);

		if (fd < 0)
			die("open %s: %s", b->tree.watched_file, strerror(errno));
		if (read(fd, b->buf, sizeof(b->buf)) != (ssize_t)sizeof(b->buf))
			die("read %s: %s", b->tree.watched_file, strerror(errno));
		close(fd);
	}
	b->wbytes += n * sizeof(b->buf);
	b->wcalls += n;
}

/* @n reads of @len into @buf through a held file, from its start again at its end. */
static void read_through(struct bench *b, struct held_file *h, char *buf, size_t len,
			 uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		if (h->off + len > h->size) {
			if (lseek(h->fd, 0, SEEK_SET))
				die("lseek %s: %s", h->path, strerror(errno));
			h->off = 0;
		}
		if (read(h->fd, buf, len) != (ssize_t)len)
			die("read %s: %s", h->path, strerror(errno));
		h->off += len;
	}
	b->wbytes += n * len;
	b->wcalls += n;
}

static void run_read_held(struct bench *b, uint64_t n)
{
	read_through(b, &b->held[H_SEQ], b->buf, sizeof(b->buf), n);
}

static void run_pread_held(struct bench *b, uint64_t n)
{
	const struct held_file *h = &b->held[H_PREAD];

	for (uint64_t i = 0; i < n; i++)
		if (pread(h->fd, b->buf, sizeof(b->buf), 0) != (ssize_t)sizeof(b->buf))
			die("pread %s: %s", h->path, strerror(errno));
	b->wbytes += n * sizeof(b->buf);
	b->wcalls += n;
}

static void run_bulk(struct bench *b, uint64_t n)
{
	read_through(b, &b->held[H_BULK], b->chunk, sizeof(b->chunk), n);
}

static void (*const run_workload[W_N])(struct bench *, uint64_t) = {
	[W_PREAD] = run_pread,
	[W_GETPPID] = run_getppid,
	[W_OPEN] = run_open,
	[W_READ_HELD] = run_read_held,
	[W_PREAD_HELD] = run_pread_held,
	[W_BULK] = run_bulk,
};

static uint64_t iters_of(const struct bench *b, enum workload w)
{
	uint64_t n = (uint64_t)(workloads[w].iters * b->scale);

	return n ? n : 1;
}

/* One sample: a short warm-up (caches, branch predictors), then the batch. */
static double sample(struct bench *b, enum workload w, uint64_t *done)
{
	uint64_t n = iters_of(b, w), t0;

	run_workload[w](b, n / 10);
	t0 = bench_now_ns();
	run_workload[w](b, n);
	*done += n + n / 10;
	return (double)(bench_now_ns() - t0) / (double)n;
}

/* ---- configurations ---- */

/*
 * BPF links that hook syscalls (raw_tp, tp_btf, perf-event tracepoints)
 * held by anyone. Between visits, with nothing of ours attached, there
 * should be none: else the figures include someone else's programs
 * (another test suite running on this machine, say).
 */
static int count_hook_links_now(void)
{
	__u32 id = 0;
	int n = 0;

	while (bpf_link_get_next_id(id, &id) == 0) {
		struct bpf_link_info info;
		__u32 len = sizeof(info);
		int fd = bpf_link_get_fd_by_id(id);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    (info.type == BPF_LINK_TYPE_RAW_TRACEPOINT ||
		     info.type == BPF_LINK_TYPE_TRACING || info.type == BPF_LINK_TYPE_PERF_EVENT))
			n++;
		close(fd);
	}
	return n;
}

/*
 * The same, once our own are gone: a link is released a moment after its
 * process exits (deferred work), not before waitpid returns.
 */
static int count_hook_links(void)
{
	int n = count_hook_links_now();

	for (int i = 0; n && i < 20; i++) {
		usleep(25000);
		n = count_hook_links_now();
	}
	return n;
}

struct visit {
	struct bench_agent agent;
	uint64_t opens;
};

/* Open W4-W6's files; after the agent is ready, so it sees the opens. */
static void open_held(struct bench *b, struct visit *v)
{
	for (int i = 0; i < H_N; i++) {
		struct held_file *h = &b->held[i];

		h->fd = open(h->path, O_RDONLY | O_CLOEXEC);
		if (h->fd < 0)
			die("open %s: %s", h->path, strerror(errno));
		h->off = 0;
		v->opens++;
	}
	b->wbytes = b->wcalls = 0;
}

/* Close them before the agent stops: each read account ends with its close. */
static void close_held(struct bench *b, enum config c)
{
	for (int i = 0; i < H_N; i++)
		close(b->held[i].fd);
	b->wbytes_done[c] += b->wbytes;
	b->wcalls_done[c] += b->wcalls;
}

static void add_reads(struct bench_summary *sum, const struct bench_summary *s)
{
	sum->read_records += s->read_records;
	sum->read_final += s->read_final;
	sum->bytes_read += s->bytes_read;
	sum->read_calls += s->read_calls;
	sum->reads += s->reads;
	sum->loss_records += s->loss_records;
	sum->lost += s->lost;
	sum->lost_fd_lookup += s->lost_fd_lookup;
	sum->files_full += s->files_full;
	sum->fds_full += s->fds_full;
	sum->accounts_full += s->accounts_full;
	sum->file_reused += s->file_reused;
}

static void config_begin(struct bench *b, enum config c, struct visit *v)
{
	char err[4096];

	memset(v, 0, sizeof(*v));
	switch (configs[c].kind) {
	case CFG_NONE:
		break;
	case CFG_FLOOR:
		if (floor_bpf__attach(b->floor))
			die("floor: attach: %s", strerror(errno));
		break;
	case CFG_AGENT:
		if (bench_agent_start(&v->agent, b->agent_exe, &b->tree, configs[c].hook, err,
				      sizeof(err)))
			die("agent (%s) failed to start: %s", configs[c].name, err);
		snprintf(b->hook[c], sizeof(b->hook[c]), "%s", v->agent.hook);
		break;
	}
	open_held(b, v);
}

static void config_end(struct bench *b, enum config c, struct visit *v)
{
	struct bench_summary s;
	char err[4096];

	close_held(b, c);
	b->opens_done[c] += v->opens;
	if (configs[c].kind == CFG_FLOOR)
		floor_bpf__detach(b->floor);
	if (configs[c].kind != CFG_AGENT)
		return;
	if (bench_agent_stop(&v->agent, err, sizeof(err)))
		die("agent (%s): %s", configs[c].name, err);
	if (bench_summarise(b->tree.jsonl, getpid(), &s))
		die("agent (%s) wrote no log %s: %s", configs[c].name, b->tree.jsonl,
		    strerror(errno));
	if (!s.have_stop || s.open_records == 0)
		die("agent (%s) audited nothing: %llu Open records for %llu watched opens%s",
		    configs[c].name, (unsigned long long)s.open_records,
		    (unsigned long long)v->opens, s.have_stop ? "" : ", and no Stop record");
	b->open_records[c] += s.open_records;
	b->ringbuf_full[c] += s.ringbuf_full;
	b->agent_cpu_ns[c] += v->agent.cpu_run_ns;
	add_reads(&b->reads[c], &s);
	unlink(b->tree.jsonl);
}

static void keep_cached(struct bench *b, const struct held_file *h);

static void run_round(struct bench *b, int r)
{
	for (int k = 0; k < C_N; k++) {
		enum config c = (enum config)((r + k) % C_N);
		struct visit v;

		if (b->skip[c])
			continue;
		keep_cached(b, &b->held[H_BULK]);
		b->tainted[r] |= count_hook_links() > 0;
		config_begin(b, c, &v);
		for (int w = 0; w < W_N; w++) {
			uint64_t done = 0, iwi = bench_irq_work(b->work_cpu);

			b->ns[c][w][r] = sample(b, (enum workload)w, &done);
			if (w == W_OPEN) {
				v.opens += done;
				b->irq_work[c] += bench_irq_work(b->work_cpu) - iwi;
			}
		}
		config_end(b, c, &v);
	}
	b->tainted[r] |= count_hook_links() > 0;
}

static int clean_rounds(const struct bench *b)
{
	int n = 0;

	for (int r = 0; r < b->done; r++)
		n += !b->tainted[r];
	return n;
}

/* Worth another round? Only if the others' hooks come and go. */
static bool clean_lately(const struct bench *b)
{
	for (int r = b->done - 1; r >= 0 && r >= b->done - 3; r--)
		if (!b->tainted[r])
			return true;
	return false;
}

/*
 * At least --rounds rounds; more, within the budget, until as many are
 * clean, unless another program's hooks stay attached throughout.
 */
static void run_rounds(struct bench *b)
{
	uint64_t t0 = bench_now_ns(), budget = (uint64_t)b->budget_s * 1000000000ULL;

	while (b->done < MAX_ROUNDS &&
	       (b->done < b->rounds || (clean_rounds(b) < b->rounds && clean_lately(b) &&
					bench_now_ns() - t0 < budget))) {
		run_round(b, b->done);
		b->done++;
		if (isatty(STDERR_FILENO))
			fprintf(stderr, "\rround %d: %d clean ", b->done, clean_rounds(b));
	}
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\n");
}

/*
 * Rounds with another program's syscall hooks attached (another test suite
 * on this machine) measure that program too: leave them out while at
 * least 3 clean rounds remain.
 */
static void choose_rounds(struct bench *b)
{
	b->n_use = 0;
	for (int r = 0; r < b->done; r++)
		if (!b->tainted[r])
			b->use[b->n_use++] = r;
	if (b->n_use >= 3)
		return;
	b->n_use = b->done;
	for (int r = 0; r < b->done; r++)
		b->use[r] = r;
}

/* ---- statistics and the report ---- */



/* Median over the chosen rounds of ns[c][w], divided by ns[ref][w] if given. */
static double med(const struct bench *b, enum config c, enum workload w, int ref)
{
	double q[MAX_ROUNDS];

	for (int i = 0; i < b->n_use; i++) {
		int r = b->use[i];

		q[i] = b->ns[c][w][r] / (ref < 0 ? 1.0 : b->ns[ref][w][r]);
	}
	return bench_median(q, b->n_use);
}

/* Median absolute deviation of ns[c][w], as a fraction of its median. */
static double spread(const struct bench *b, enum config c, enum workload w)
{
	double m = med(b, c, w, -1), d[MAX_ROUNDS];

	for (int i = 0; i < b->n_use; i++) {
		double x = b->ns[c][w][b->use[i]];

		d[i] = x > m ? x - m : m - x;
	}
	return m > 0 ? bench_median(d, b->n_use) / m : 0;
}

static double ratio(const struct bench *b, enum config c, enum config ref, enum workload w)
{
	return med(b, c, w, (int)ref);
}

static const char *config_label(const struct bench *b, enum config c, char *buf, size_t len)
{
	if (c == C_AGENT)
		snprintf(buf, len, "agent(%s)", b->hook[c]);
	else if (configs[c].kind == CFG_AGENT)
		snprintf(buf, len, "agent(%s)", configs[c].hook);
	else
		snprintf(buf, len, "%s", configs[c].name);
	return buf;
}

static void print_costs(const struct bench *b)
{
	char label[48];

	printf("\nns per iteration, median of %d interleaved rounds (+-MAD%%)\n", b->n_use);
	printf("%-28s", "workload");
	for (int c = 0; c < C_N; c++)
		if (!b->skip[c])
			printf(" %17s", config_label(b, (enum config)c, label, sizeof(label)));
	printf("\n");
	for (int w = 0; w < W_N; w++) {
		printf("%-28s", workloads[w].name);
		for (int c = 0; c < C_N; c++) {
			char cell[32];

			if (b->skip[c])
				continue;
			snprintf(cell, sizeof(cell), "%.0f +-%.0f%%", med(b, c, w, -1),
				 100 * spread(b, c, w));
			printf(" %17s", cell);
		}
		printf("\n");
	}
	printf("%-28s", "W6 as GiB/s");
	for (int c = 0; c < C_N; c++)
		if (!b->skip[c])
			printf(" %17.2f", (double)BULK_CHUNK / med(b, c, W_BULK, -1) * 1e9 /
						  (double)(1u << 30));
	printf("\n");
}

struct ratio_row {
	const char *what;
	enum workload w;
	enum config ref;
	double target; /* 0: for reference, no target */
};

static const struct ratio_row ratio_rows[] = {
	{ "W1 pread    agent/floor", W_PREAD, C_FLOOR, 1.10 },
	{ "W2 getppid  agent/floor", W_GETPPID, C_FLOOR, 1.10 },
	{ "W3 open     agent/none", W_OPEN, C_NONE, 2.00 },
	{ "W4 read     agent/none", W_READ_HELD, C_NONE, 1.50 },
	{ "W5 pread    agent/none", W_PREAD_HELD, C_NONE, 1.50 },
	{ "W6 1 GiB    agent/none", W_BULK, C_NONE, 1.05 },
	{ "W1 pread    agent/none", W_PREAD, C_NONE, 0 },
	{ "W2 getppid  agent/none", W_GETPPID, C_NONE, 0 },
	{ "W3 open     agent/floor", W_OPEN, C_FLOOR, 0 },
	{ "W4 read     agent/floor", W_READ_HELD, C_FLOOR, 0 },
	{ "W5 pread    agent/floor", W_PREAD_HELD, C_FLOOR, 0 },
	{ "W6 1 GiB    agent/floor", W_BULK, C_FLOOR, 0 },
};

static void print_ratios(const struct bench *b)
{
	static const enum config agents[] = { C_AGENT, C_RAW_TP, C_TRACEPOINT };
	char label[48];

	printf("\nratios, median of per-round ratios (target: PASS/FAIL; '-': reference only)\n");
	printf("%-26s %8s", "ratio", "target");
	for (size_t i = 0; i < sizeof(agents) / sizeof(agents[0]); i++)
		if (!b->skip[agents[i]])
			printf(" %17s", config_label(b, agents[i], label, sizeof(label)));
	printf("\n");
	for (size_t i = 0; i < sizeof(ratio_rows) / sizeof(ratio_rows[0]); i++) {
		const struct ratio_row *row = &ratio_rows[i];
		char tgt[16] = "-";

		if (row->target > 0)
			snprintf(tgt, sizeof(tgt), "<= %.2f", row->target);
		printf("%-26s %8s", row->what, tgt);
		for (size_t j = 0; j < sizeof(agents) / sizeof(agents[0]); j++) {
			char cell[32];
			double q;

			if (b->skip[agents[j]])
				continue;
			q = ratio(b, agents[j], row->ref, row->w);
			snprintf(cell, sizeof(cell), "%.2fx%s", q,
				 row->target <= 0 ? "" : q <= row->target ? " PASS" : " FAIL");
			printf(" %17s", cell);
		}
		printf("\n");
	}
	/* What any hook on every syscall costs, before it does anything. */
	printf("%-26s %8s %17.2fx\n", "W1 pread    floor/none", "-",
	       ratio(b, C_FLOOR, C_NONE, W_PREAD));
	printf("%-26s %8s %17.2fx\n", "W2 getppid  floor/none", "-",
	       ratio(b, C_FLOOR, C_NONE, W_GETPPID));
	printf("%-26s %8s %17.2fx\n", "W6 1 GiB    floor/none", "-",
	       ratio(b, C_FLOOR, C_NONE, W_BULK));
}

/*
 * Every open should end in one final Read record, and the final records
 * should sum to the bytes and read calls done: the counts are exact.
 */
static void print_read_check(const struct bench *b, enum config c)
{
	const struct bench_summary *s = &b->reads[c];
	bool exact = s->read_final == b->opens_done[c] && s->bytes_read == b->wbytes_done[c] &&
		     s->read_calls == b->wcalls_done[c];

	printf("  %-18s final Read records %llu of %llu, bytes_read %llu of %llu, read_calls "
	       "%llu of %llu, progress records %llu, untracked %llu, Loss records %llu (lost %llu, "
	       "of which fd_lookup_failed %llu): %s\n", "",
	       (unsigned long long)s->read_final, (unsigned long long)b->opens_done[c],
	       (unsigned long long)s->bytes_read, (unsigned long long)b->wbytes_done[c],
	       (unsigned long long)s->read_calls, (unsigned long long)b->wcalls_done[c],
	       (unsigned long long)(s->read_records - s->read_final),
	       (unsigned long long)bench_reads_untracked(s), (unsigned long long)s->loss_records,
	       (unsigned long long)s->lost, (unsigned long long)s->lost_fd_lookup,
	       exact ? "exact PASS" : "exact FAIL");
}

static void print_audit_check(const struct bench *b)
{
	char label[48];

	int tainted = 0;

	printf("\naudit check (every open of a watched file, W3's and W4-W6's, should be one Open "
	       "record and one final Read record, and the final records' bytes_read and read_calls "
	       "should sum to what was read; IWI = IRQ-work interrupts on CPU %d, i.e. forced "
	       "ring-buffer wake-ups during W3)\n", b->work_cpu);
	for (int c = 0; c < C_N; c++) {
		double opens = (double)(b->opens_done[c] ? b->opens_done[c] : 1);

		if (b->skip[c])
			continue;
		printf("  %-18s %7llu opens", config_label(b, (enum config)c, label, sizeof(label)),
		       (unsigned long long)b->opens_done[c]);
		if (configs[c].kind == CFG_AGENT)
			printf(", %7llu Open records, ringbuf_full %llu, agent CPU %.2f us/record",
			       (unsigned long long)b->open_records[c],
			       (unsigned long long)b->ringbuf_full[c],
			       b->agent_cpu_ns[c] / 1e3 / (double)(b->open_records[c] ?: 1));
		printf(", IWI/open %.2f\n", (double)b->irq_work[c] / opens);
		if (configs[c].kind == CFG_AGENT)
			print_read_check(b, (enum config)c);
	}
	for (int r = 0; r < b->done; r++)
		tainted += b->tainted[r];
	if (tainted && b->n_use < b->done)
		printf("  note: %d of %d rounds left out: another program's syscall hooks were "
		       "attached during them\n", tainted, b->done);
	else if (tainted)
		printf("  WARNING: another program's syscall hooks were attached during %d of %d "
		       "rounds (another test suite running?): every figure includes their cost\n",
		       tainted, b->done);
}

/* ---- set-up ---- */


static void usage(void)
{
	fprintf(stderr,
		"usage: bench_syscalls [--agent PATH] [--rounds N] [--budget S] [--scale F]\n"
		"                      [--wait-quiet S] [--skip-tracepoint]\n"
		"  --agent PATH  phiauditd to run (default build/phiauditd)\n"
		"  --rounds N    clean interleaved rounds wanted, 3-%d (default 9)\n"
		"  --budget S    add rounds for up to S s while too few are clean (default 120)\n"
		"  --scale F     multiply every sample's iterations by F (default 1)\n"
		"  --wait-quiet S  wait up to S s for others' syscall hooks to go (default 20)\n"
		"  --skip-tracepoint  leave out the agent's per-syscall tracepoint backend\n"
		"                (it needs tracefs mounted)\n"
		"example: sudo build/bench/bench_syscalls --agent build/phiauditd --rounds 11\n",
		MAX_ROUNDS);
	exit(2);
}

static void parse_args(struct bench *b, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "budget", required_argument, NULL, 'b' },
		{ "scale", required_argument, NULL, 's' },
		{ "wait-quiet", required_argument, NULL, 'q' },
		{ "skip-tracepoint", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int o;

	b->agent_exe = "build/phiauditd";
	b->rounds = 9;
	b->scale = 1;
	b->wait_quiet_s = 20;
	b->budget_s = 120;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'a': b->agent_exe = optarg; break;
		case 'r': b->rounds = atoi(optarg); break;
		case 'b': b->budget_s = atoi(optarg); break;
		case 's': b->scale = atof(optarg); break;
		case 'q': b->wait_quiet_s = atoi(optarg); break;
		case 't': b->skip[C_TRACEPOINT] = true; break;
		default: usage();
		}
	}
	if (optind != argc || b->rounds < 3 || b->rounds > MAX_ROUNDS || !(b->scale > 0))
		usage();
}

/* Give another program's syscall hooks (a test suite) time to go away. */
static void wait_quiet(struct bench *b)
{
	int n = count_hook_links_now();

	if (!n)
		return;
	printf("waiting up to %d s: %d BPF hook link(s) of another program are attached "
	       "(another test or agent running?)\n", b->wait_quiet_s, n);
	for (int i = 0; n && i < b->wait_quiet_s; i++) {
		sleep(1);
		n = count_hook_links_now();
	}
	if (n)
		printf("still attached; rounds they overlap are left out where possible\n");
}


/* Read @path to its end once: into the page cache. */
static void warm(struct bench *b, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	while ((n = read(fd, b->chunk, sizeof(b->chunk))) > 0)
		;
	if (n < 0)
		die("read %s: %s", path, strerror(errno));
	close(fd);
}

/*
 * Read @h into the page cache until it is all there (3 tries): a page or
 * two can be under writeback just after it was written, and this machine
 * may reclaim clean page cache slowly even with memory to spare. Called
 * between visits, with no agent running, so it is not audited.
 */
static void keep_cached(struct bench *b, const struct held_file *h)
{
	for (int pass = 0; pass < 3 && bench_resident_pct(h->path, h->size) < 100; pass++)
		warm(b, h->path);
}

/* W4-W6's watched files: written, synced, and read into the page cache. */
static void make_held_files(struct bench *b)
{
	static const struct {
		const char *name;
		uint64_t size;
	} files[H_N] = {
		[H_SEQ] = { "sequential.dat", SEQ_FILE_SIZE },
		[H_PREAD] = { NULL, BENCH_FILE_SIZE }, /* the W3 file */
		[H_BULK] = { "bulk.dat", BULK_FILE_SIZE },
	};

	for (int i = 0; i < H_N; i++) {
		struct held_file *h = &b->held[i];

		h->size = files[i].size;
		h->path = files[i].name ? bench_tree_add_file(&b->tree, files[i].name, h->size) :
					  b->tree.watched_file;
		if (!h->path)
			die("writing %s/%s: %s", b->tree.watched_dir, files[i].name,
			    strerror(errno));
		keep_cached(b, h);
	}
}

static void setup(struct bench *b)
{
	int rc, cpu;

	if (access(b->agent_exe, X_OK))
		die("agent %s: %s (run 'make' first)", b->agent_exe, strerror(errno));
	rc = bench_tree_make(&b->tree);
	scratch = &b->tree;
	atexit(remove_scratch);
	if (rc)
		die("scratch tree under /tmp: %s", strerror(-rc));
	b->pread_fd = open(b->tree.unwatched_file, O_RDONLY | O_CLOEXEC);
	if (b->pread_fd < 0)
		die("open %s: %s", b->tree.unwatched_file, strerror(errno));
	make_held_files(b);
	b->floor = floor_bpf__open_and_load();
	if (!b->floor)
		die("floor: load: %s (root, or CAP_BPF and CAP_PERFMON, needed)", strerror(errno));
	wait_quiet(b);
	cpu = bench_pin(BENCH_WORK_CPU);
	if (cpu < 0)
		die("sched_setaffinity: %s", strerror(-cpu));
	b->work_cpu = cpu;
	printf("workload pinned to CPU %d; agent pinned to CPU %d (its JSON encoding and writes "
	       "stay off the workload's CPU; its BPF programs run in the workload's syscalls)\n",
	       cpu, cpu == BENCH_AGENT_CPU ? cpu : BENCH_AGENT_CPU);
	printf("iterations per sample (each after a 10%% warm-up):");
	for (int w = 0; w < W_N; w++)
		printf(" W%d %llu%s", w + 1, (unsigned long long)iters_of(b, (enum workload)w),
		       w == W_N - 1 ? "\n" : ",");
	printf("W6 reads a written %llu MiB file (synced, then read into the page cache: %.0f%% "
	       "resident) %.1f times per sample\n", (unsigned long long)(BULK_FILE_SIZE >> 20),
	       bench_resident_pct(b->held[H_BULK].path, BULK_FILE_SIZE),
	       (double)iters_of(b, W_BULK) * BULK_CHUNK / (double)BULK_FILE_SIZE);
}

int main(int argc, char **argv)
{
	static struct bench b;
	uint64_t steal0, t0;

	bench_progname = "bench_syscalls";

	setvbuf(stdout, NULL, _IOLBF, 0);
	parse_args(&b, argc, argv);
	setup(&b);
	steal0 = bench_steal_ticks();
	t0 = bench_now_ns();
	run_rounds(&b);
	printf("%d rounds (%d clean) in %.0f s; CPU time stolen by the hypervisor meanwhile: "
	       "%.1f%% of all CPUs\n", b.done, clean_rounds(&b), (bench_now_ns() - t0) / 1e9,
	       100.0 * (double)(bench_steal_ticks() - steal0) / (double)sysconf(_SC_CLK_TCK) /
		       ((bench_now_ns() - t0) / 1e9) / (double)sysconf(_SC_NPROCESSORS_ONLN));
	choose_rounds(&b);
	print_costs(&b);
	print_ratios(&b);
	print_audit_check(&b);
	printf("  W6's file was %.1f%% in the page cache at the end (it is read in again before a "
	       "visit when it is not all there)\n", bench_resident_pct(b.held[H_BULK].path,
								 BULK_FILE_SIZE));
	floor_bpf__destroy(b.floor);
	close(b.pread_fd);
	return 0;
}
