// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_loss: 200,000 opens of a watched file, as fast as one process can,
 * and nothing may be lost. For each hook: start the agent with its default
 * options (plus --hook), open+close the watched file N times on one CPU,
 * SIGTERM the agent (it drains the ring buffer, then writes its Stop
 * record), and compare what it wrote with what was done:
 *
 *   Open records       must equal the opens done
 *   ringbuf_full       failed reserves in the kernel (Stop record counter)
 *   lost by sequence   max_event_seq - events_received (Stop record)
 *   Loss records       the agent's own loss reports
 *
 * Every run must be lossless. The rate depends on how fast the agent
 * drains (see IWI/open), which a shared VM makes noisy: runs are repeated,
 * interleaved across hooks, and the summary gives the median rate.
 *
 * Exit status: 0 whatever the results say; 1 if something broke (the agent
 * failed to start or stop, or wrote no Stop record).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_agent.h"

#define MAX_HOOKS 8
#define MAX_REPS 16

struct loss_run {
	const char *hook; /* NULL: the agent's default */
	char hook_used[32];
	uint64_t opens, elapsed_ns;
	struct bench_summary s;
	uint64_t cpu_ns, drain_ns;
	uint64_t irq_work; /* IRQ-work interrupts on the workload's CPU */
	int cpu;
};

static void open_close(const char *path, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		int fd = open(path, O_RDONLY);

		if (fd < 0)
			die("open %s: %s", path, strerror(errno));
		close(fd);
	}
}

static void run_one(const char *exe, const struct bench_tree *t, struct loss_run *run)
{
	struct bench_agent a;
	char err[4096];
	uint64_t t0;

	if (bench_agent_start(&a, exe, t, run->hook, err, sizeof(err)))
		die("agent (%s) failed to start: %s", run->hook ? run->hook : "default", err);
	snprintf(run->hook_used, sizeof(run->hook_used), "%s", a.hook);
	run->irq_work = bench_irq_work(run->cpu);
	t0 = bench_now_ns();
	open_close(t->watched_file, run->opens);
	run->elapsed_ns = bench_now_ns() - t0;
	run->irq_work = bench_irq_work(run->cpu) - run->irq_work;
	if (bench_agent_stop(&a, err, sizeof(err)))
		die("agent (%s): %s", run->hook_used, err);
	run->cpu_ns = a.cpu_run_ns;
	run->drain_ns = a.stop_ns;
	if (bench_summarise(t->jsonl, getpid(), &run->s))
		die("agent (%s) log %s: %s", run->hook_used, t->jsonl, strerror(errno));
	if (!run->s.have_stop)
		die("agent (%s) wrote no Stop record to %s", run->hook_used, t->jsonl);
	if (run->s.other_opens)
		printf("(note: %llu Open records of other processes in this run, not counted)\n",
		       (unsigned long long)run->s.other_opens);
	unlink(t->jsonl); /* ~1 KB a record: don't leave hundreds of MB behind */
}

static int lossless(const struct loss_run *r)
{
	return r->s.open_records == r->opens && r->s.ringbuf_full == 0 &&
	       r->s.max_event_seq == r->s.events_received && r->s.loss_records == 0;
}

static double rate(const struct loss_run *r)
{
	return r->opens / (r->elapsed_ns / 1e9);
}

static void print_header(uint64_t opens, int cpu)
{
	printf("\nloss test: %llu open+close of one watched file, one process on CPU %d, "
	       "agent on CPU %d with default options\n",
	       (unsigned long long)opens, cpu, BENCH_AGENT_CPU);
	printf("%-14s %8s %9s %8s %8s %8s %8s %6s %9s %8s %8s  %s\n", "run", "opens", "opens/s",
	       "records", "rb_full", "seq_lost", "Loss_rec", "events", "agent_us", "drain_s",
	       "IWI/open", "zero loss");
}

static void print_run(const struct loss_run *r, int rep)
{
	const struct bench_summary *s = &r->s;
	uint64_t seq_lost = s->max_event_seq > s->events_received ?
				    s->max_event_seq - s->events_received : 0;
	char label[48];

	snprintf(label, sizeof(label), "%s #%d", r->hook_used, rep + 1);
	printf("%-14s %8llu %9.0f %8llu %8llu %8llu %8llu %6s %9.2f %8.2f %8.2f  %s\n", label,
	       (unsigned long long)r->opens, rate(r), (unsigned long long)s->open_records,
	       (unsigned long long)s->ringbuf_full, (unsigned long long)seq_lost,
	       (unsigned long long)s->loss_records, s->events == r->opens + s->other_opens ? "=" : "!=",
	       r->cpu_ns / 1e3 / (double)(s->open_records ? s->open_records : 1),
	       r->drain_ns / 1e9, (double)r->irq_work / (double)r->opens,
	       lossless(r) ? "PASS" : "FAIL");
}

/* The same loop with no agent: the rate the others are compared with. */
static void run_baseline(const struct bench_tree *t, uint64_t opens, int rep)
{
	uint64_t t0 = bench_now_ns();
	char label[48];

	open_close(t->watched_file, opens);
	snprintf(label, sizeof(label), "no agent #%d", rep + 1);
	printf("%-14s %8llu %9.0f\n", label, (unsigned long long)opens,
	       opens / ((bench_now_ns() - t0) / 1e9));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One line per hook: median rate (and range), and whether every run was lossless. */
static void print_summary(struct loss_run runs[][MAX_REPS], int n_hooks, int reps)
{
	printf("\nsummary over %d runs per hook (target: zero loss in every run)\n", reps);
	printf("%-11s %16s %19s %14s  %s\n", "hook", "median opens/s", "range opens/s",
	       "records/opens", "zero loss");
	for (int h = 0; h < n_hooks; h++) {
		double q[MAX_REPS];
		uint64_t recs = 0, done = 0;
		int ok = 1;
		char range[40];

		for (int i = 0; i < reps; i++) {
			q[i] = rate(&runs[h][i]);
			recs += runs[h][i].s.open_records;
			done += runs[h][i].opens;
			ok &= lossless(&runs[h][i]);
		}
		qsort(q, (size_t)reps, sizeof(q[0]), cmp_double);
		snprintf(range, sizeof(range), "%.0f-%.0f", q[0], q[reps - 1]);
		printf("%-11s %16.0f %19s %7llu/%-7llu  %s\n", runs[h][0].hook_used,
		       reps % 2 ? q[reps / 2] : (q[reps / 2 - 1] + q[reps / 2]) / 2, range,
		       (unsigned long long)recs / (unsigned long long)reps,
		       (unsigned long long)done / (unsigned long long)reps, ok ? "PASS" : "FAIL");
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_loss [--agent PATH] [--opens N] [--reps N] [--hook KIND]...\n"
		"  --agent PATH  phiauditd to run (default build/phiauditd)\n"
		"  --opens N     opens per run (default 200000)\n"
		"  --reps N      runs per hook, interleaved, 1-%d (default 3)\n"
		"  --hook KIND   run with this --hook (repeatable; default: the agent's own\n"
		"                choice, then raw_tp, then tracepoint)\n"
		"example: sudo build/bench/bench_loss --opens 1000000 --reps 1 --hook tp_btf\n",
		MAX_REPS);
	exit(2);
}

struct loss_opts {
	const char *exe;
	unsigned long long opens;
	int reps, n_hooks;
	const char *hooks[MAX_HOOKS]; /* NULL: the agent's default */
};

static void parse_args(struct loss_opts *o, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "opens", required_argument, NULL, 'n' },
		{ "reps", required_argument, NULL, 'r' },
		{ "hook", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	*o = (struct loss_opts){ .exe = "build/phiauditd", .opens = 200000, .reps = 3 };
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a': o->exe = optarg; break;
		case 'n': o->opens = strtoull(optarg, NULL, 10); break;
		case 'r': o->reps = atoi(optarg); break;
		case 'k':
			if (o->n_hooks == MAX_HOOKS)
				usage();
			o->hooks[o->n_hooks++] = optarg;
			break;
		default: usage();
		}
	}
	if (optind != argc || o->opens == 0 || o->reps < 1 || o->reps > MAX_REPS)
		usage();
	if (!o->n_hooks) {
		o->hooks[1] = "raw_tp";
		o->hooks[2] = "tracepoint";
		o->n_hooks = 3;
	}
}

int main(int argc, char **argv)
{
	static struct loss_run runs[MAX_HOOKS][MAX_REPS];
	static struct bench_tree t; /* static: remove_scratch runs after main */
	struct loss_opts o;
	int cpu, rc;

	bench_progname = "bench_loss";

	parse_args(&o, argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access(o.exe, X_OK))
		die("agent %s: %s (run 'make' first)", o.exe, strerror(errno));
	rc = bench_tree_make(&t);
	scratch = &t;
	atexit(remove_scratch);
	if (rc)
		die("scratch tree under /tmp: %s", strerror(-rc));
	cpu = bench_pin(BENCH_WORK_CPU);
	if (cpu < 0)
		die("sched_setaffinity: %s", strerror(-cpu));
	print_header(o.opens, cpu);
	for (int i = 0; i < o.reps; i++) {
		run_baseline(&t, o.opens, i);
		for (int h = 0; h < o.n_hooks; h++) {
			runs[h][i] = (struct loss_run){ .hook = o.hooks[h], .opens = o.opens,
							.cpu = cpu };
			run_one(o.exe, &t, &runs[h][i]);
			print_run(&runs[h][i], i);
		}
	}
	printf("records = Open records written; rb_full = failed ring-buffer reserves; "
	       "seq_lost = max_event_seq - events_received;\nevents = kernel 'events' counter vs "
	       "opens (plus others'); agent_us = agent CPU per record; drain_s = SIGTERM to exit;\nIWI/open = "
	       "IRQ-work interrupts on the workload's CPU per open (forced ring-buffer wake-ups)\n");
	print_summary(runs, o.n_hooks, o.reps);
	return 0;
}
