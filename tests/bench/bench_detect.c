// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_detect: 1 million observations through the bulk-read detector
 * (userspace/detect.c), in three workloads, against encoding and
 * compressing as many Read records (pa_ocsf_read, then deflate at the log
 * store's level 6), the least the agent already does for every record, in
 * the same run. Prints one table: ns per observation, the ratio to the
 * encoder, alerts, subjects at peak, evictions, and the heap the detector
 * held at its peak.
 *
 *   routine   5,000 processes of 50 login users, each user reading the
 *             charts of their 150 patients, over 10 simulated minutes: no
 *             subject reaches a threshold
 *   bulk      the same, with 20 processes copying 5,000 files each
 *   churn     1,000,000 short processes, one file each: the subject cap
 *             (16,384) is what keeps memory bounded
 *
 * Target: detection costs at most 10% of encoding and compressing the
 * record (ratio <= 0.10), and its heap stays within its caps in every
 * workload. (bench_pipeline puts the agent's whole cost a record at about
 * 11 us, enrichment and the store included.)
 */
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "detect.h"
#include "ocsf.h"

#define N_OBS	    1000000
#define ROUNDS	    3
#define SEC	    1000000000ull
#define TARGET	    0.10

struct obs_rec {
	struct pa_proc p;
	uint64_t now_ns, ino, bytes;
	bool open;
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * SEC + (uint64_t)ts.tv_nsec;
}

static void proc_of(struct pa_proc *p, uint32_t pid, uint32_t auid)
{
	memset(p, 0, sizeof(*p));
	p->tgid = p->tid = pid;
	p->ppid = 1;
	p->uid = auid;
	p->auid = auid;
	p->sessionid = auid; /* one session a user */
	p->start_ns = (uint64_t)pid * 1000;
	p->cgroup_id = 100 + auid % 7;
	memcpy(p->comm, "reader", 7);
}

/* One observation in three an open, the others reads of 4-64 KiB. */
static void gen(struct obs_rec *o, const char *kind)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;
	bool bulk = !strcmp(kind, "bulk"), churn = !strcmp(kind, "churn");

	for (uint32_t i = 0; i < N_OBS; i++) {
		uint32_t pid = churn ? 10000 + i : 10000 + (uint32_t)(rnd(&s) % 5000);
		/* each login user works on the charts of their 150 patients */
		uint64_t ino = (pid % 50) * 4000 + rnd(&s) % 150 + 1;

		if (bulk && i % 10 == 0) { /* 20 copiers, 5,000 files each... */
			pid = 500 + (i / 10) % 20;
			ino = 1000000 + i / 10;
		}
		proc_of(&o[i].p, pid, 1000 + pid % 50);
		o[i].now_ns = 1000 * SEC + (uint64_t)i * (600 * SEC / N_OBS);
		o[i].ino = ino;
		o[i].open = i % 3 == 0 || churn;
		o[i].bytes = o[i].open ? 0 : 4096 * (1 + rnd(&s) % 16);
	}
}

static void on_finding(void *ctx, const struct pa_det_finding *f)
{
	(void)f;
	++*(uint64_t *)ctx;
}

struct result {
	double ns;
	uint64_t findings, alerts, peak, evicted;
	size_t heap_peak;
};

static size_t heap_now(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks;
}

/* @heap: measure the heap at every tick (slow: not in a timed round). */
static void run_detector(const struct obs_rec *o, struct result *r, bool heap)
{
	static const char path[] = "/srv/phi/patients/0001234/chart-2026-11-23.pdf";
	struct pa_det_config cfg;
	struct pa_detector d;
	size_t base = heap_now();
	uint64_t next_tick = 0, t0;

	pa_det_config_defaults(&cfg);
	r->findings = 0;
	r->heap_peak = 0;
	if (pa_det_init(&d, &cfg, on_finding, &r->findings))
		exit(1);
	t0 = mono_ns();
	for (uint32_t i = 0; i < N_OBS; i++) {
		struct pa_det_obs ob = { .now_ns = o[i].now_ns, .proc = &o[i].p, .file_dev = 8,
					 .file_ino = o[i].ino, .counts_file = true,
					 .bytes = o[i].bytes, .path = path,
					 .path_len = sizeof(path) - 1 };

		pa_det_observe(&d, &ob);
		if (o[i].now_ns >= next_tick) { /* the agent ticks 4 times a second */
			pa_det_tick(&d, o[i].now_ns);
			next_tick = o[i].now_ns + SEC / 4;
			if (heap && heap_now() - base > r->heap_peak)
				r->heap_peak = heap_now() - base;
		}
	}
	r->ns = (double)(mono_ns() - t0) / N_OBS;
	r->alerts = d.stats.alerts;
	r->peak = d.stats.subjects_peak;
	r->evicted = d.stats.subjects_evicted;
	pa_det_free(&d);
	pa_det_config_free(&cfg);
}

/* Compress as the log store does: one deflate stream, level 6. */
static void compress_record(z_stream *z, const char *buf, size_t len)
{
	static unsigned char out[1 << 16];

	z->next_in = (unsigned char *)buf;
	z->avail_in = (unsigned)len;
	do {
		z->next_out = out;
		z->avail_out = sizeof(out);
		if (deflate(z, Z_NO_FLUSH) == Z_STREAM_ERROR)
			exit(1);
	} while (z->avail_out == 0);
}

/* The baseline: the Read record each of these observations came with,
 * encoded and compressed, the least the agent does for any record. */
static double run_encoder(const struct obs_rec *o)
{
	static const char path[] = "/srv/phi/patients/0001234/chart-2026-11-23.pdf";
	struct pa_host_info host = { .hostname = "bench", .log_id = "0123456789abcdef" };
	struct pa_read_event ev = { .hdr = { .type = PA_EV_READ, .size = sizeof(ev) } };
	struct pa_jw w;
	uint64_t t0;

	z_stream z = { 0 };

	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		exit(1);
	pa_jw_init(&w);
	t0 = mono_ns();
	for (uint32_t i = 0; i < N_OBS; i++) {
		struct pa_read_record r = { .ev = &ev, .path = path, .path_len = sizeof(path) - 1,
					    .file_mode = 0100640, .watch_path = "/srv/phi" };

		ev.proc = o[i].p;
		ev.bytes = o[i].bytes;
		ev.calls = 1 + o[i].bytes / 4096;
		ev.first_ns = ev.last_ns = o[i].now_ns;
		ev.file_ino = o[i].ino;
		r.time_ns = r.first_ns = r.last_ns = 1795431221178001760ull + o[i].now_ns;
		r.record_seq = i;
		pa_ocsf_read(&w, &host, &r);
		compress_record(&z, w.buf, w.len);
		pa_jw_reset(&w);
	}
	t0 = mono_ns() - t0;
	deflateEnd(&z);
	pa_jw_free(&w);
	return (double)t0 / N_OBS;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(void)
{
	static const char *const kinds[] = { "routine", "bulk", "churn" };
	struct obs_rec *o = malloc(sizeof(*o) * N_OBS);
	int fails = 0;

	if (!o)
		return 1;
	printf("%-8s %10s %10s %7s %8s %8s %9s %10s %s\n", "workload", "detect ns", "record ns",
	       "ratio", "alerts", "subjects", "evicted", "heap MiB", "");
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		double det[ROUNDS], enc[ROUNDS], ratio;
		struct result r;

		gen(o, kinds[k]);
		for (int i = 0; i < ROUNDS; i++) { /* interleaved: noise hits both */
			run_detector(o, &r, false);
			det[i] = r.ns;
			enc[i] = run_encoder(o);
		}
		run_detector(o, &r, true);
		qsort(det, ROUNDS, sizeof(double), cmp);
		qsort(enc, ROUNDS, sizeof(double), cmp);
		ratio = det[ROUNDS / 2] / enc[ROUNDS / 2];
		fails += ratio > TARGET;
		printf("%-8s %10.0f %10.0f %7.3f %8llu %8llu %9llu %10.1f %s\n", kinds[k],
		       det[ROUNDS / 2], enc[ROUNDS / 2], ratio, (unsigned long long)r.alerts,
		       (unsigned long long)r.peak, (unsigned long long)r.evicted,
		       (double)r.heap_peak / (1 << 20), ratio <= TARGET ? "PASS" : "MISSED");
	}
	printf("(%d observations a workload, medians of %d interleaved rounds; target: ratio <= "
	       "%.2f)\n", N_OBS, ROUNDS, TARGET);
	free(o);
	return 0;
}
