// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The agent's health, for people and for monitoring: status.json and
 * metrics.prom in the runtime directory (runstate.h), rewritten every
 * PA_STATE_NS, and the Heartbeat record every --heartbeat-interval, which
 * also goes to syslog so that a collector off the host notices an agent
 * gone silent or a log whose tail was cut (its record sequence and chain
 * head must keep moving on).
 */
#include "status.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "chain.h"
#include "clock.h"
#include "log.h"
#include "ocsf.h"
#include "sink_syslog.h"
#include "store.h"

#define SEC	     1000000000ull
#define PA_STATE_NS (2 * SEC)

/* The ring buffer's consumer and producer positions, mapped read-only as
 * libbpf maps them (libbpf 1.1 has no accessor): fill = producer - consumer. */
static void map_ring(struct pa_agent *a)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	long page = sysconf(_SC_PAGESIZE);
	int fd = pa_bpf_events_fd(&a->bpf);
	void *c, *p;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	c = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, fd, 0);
	p = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED, fd, page);
	if (c == MAP_FAILED || p == MAP_FAILED) {
		if (c != MAP_FAILED)
			munmap(c, (size_t)page);
		if (p != MAP_FAILED)
			munmap(p, (size_t)page);
		return;
	}
	a->rb_cons = c;
	a->rb_prod = p;
	a->rb_size = info.max_entries;
}

static uint64_t ring_used(const struct pa_agent *a)
{
	return a->rb_cons ? *a->rb_prod - *a->rb_cons : 0;
}

/* The log directory's files and bytes (a listing every PA_STATE_NS). */
static void log_usage(const struct pa_agent *a, uint64_t *files, uint64_t *bytes)
{
	struct dirent *de;
	struct stat st;
	DIR *d;

	*files = *bytes = 0;
	if (!a->store || !(d = opendir(a->opt->log_dir)))
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "phiaudit-", 9) ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		(*files)++;
		*bytes += (uint64_t)st.st_size;
	}
	closedir(d);
}

static uint64_t losses(struct pa_agent *a, uint64_t c[PA_CNT_MAX])
{
	uint64_t total = 0;

	pa_bpf_counters(&a->bpf, c);
	for (int i = 0; i < PA_CNT_MAX; i++)
		if (pa_counter_is_loss(i))
			total += c[i];
	return total;
}

static void write_chain(struct pa_jw *w, struct pa_agent *a)
{
	struct pa_store_stats st;
	char tag[2 * PA_CHAIN_HASH_LEN + 1];

	if (!a->store)
		return;
	pa_store_get_stats(a->store, &st);
	pa_hex(st.head_tag, sizeof(st.head_tag), tag);
	pa_jw_obj_open(w, "chain");
	pa_jw_u64(w, "next_index", st.chain_index);
	pa_jw_str(w, "head_tag", tag);
	pa_jw_u64(w, "last_sealed_sequence", st.last_seq);
	pa_jw_obj_close(w);
}

static void write_status_body(struct pa_jw *w, struct pa_agent *a, bool running)
{
	uint64_t c[PA_CNT_MAX], files, bytes, lost = losses(a, c);
	char iso[48];

	pa_jw_str(w, "state", running ? "running" : "stopped");
	pa_jw_u64(w, "pid", (uint64_t)getpid());
	pa_jw_str(w, "version", PA_PRODUCT_VERSION);
	pa_format_time(iso, sizeof(iso), a->started_utc_ns);
	pa_jw_str(w, "started", iso);
	pa_format_time(iso, sizeof(iso), pa_boot_to_utc(a->clock_offset, pa_clock_boot_ns()));
	pa_jw_str(w, "updated", iso);
	pa_jw_str(w, "hook", pa_hook_name(a->bpf.backend));
	pa_jw_str(w, "config", a->config->main_path);
	for (int excl = 0; excl < 2; excl++) {
		pa_jw_arr_open(w, excl ? "excluded" : "watches");
		for (size_t i = 0; i < a->watches.n; i++)
			if (a->watches.w[i]->excluded == excl)
				pa_jw_str(w, NULL, a->watches.w[i]->path);
		pa_jw_arr_close(w);
	}
	pa_jw_arr_open(w, "warnings");
	if (!a->watches.n)
		pa_jw_str(w, NULL, "nothing is watched: every open is ignored");
	if (lost)
		pa_jw_str(w, NULL, "events were lost: see losses");
	pa_jw_arr_close(w);
	pa_jw_u64(w, "events_received", a->events_received);
	pa_jw_u64(w, "records_written", a->record_seq);
	pa_jw_u64(w, "losses_total", lost);
	pa_jw_obj_open(w, "losses");
	for (int i = 0; i < PA_CNT_MAX; i++)
		if (pa_counter_is_loss(i))
			pa_jw_u64(w, pa_counter_name(i), c[i]);
	pa_jw_obj_close(w);
	pa_jw_u64(w, "ring_buffer_bytes", a->rb_size);
	pa_jw_u64(w, "ring_buffer_used_bytes", ring_used(a));
	pa_jw_u64(w, "lag_ms_max", a->lag_max_ns / 1000000);
	log_usage(a, &files, &bytes);
	pa_jw_obj_open(w, "log");
	pa_jw_str(w, "dir", a->opt->log_dir);
	pa_jw_u64(w, "files", files);
	pa_jw_u64(w, "bytes", bytes);
	pa_jw_obj_close(w);
	write_chain(w, a);
	pa_jw_u64(w, "alerts", a->alerts.det.stats.alerts);
	pa_jw_u64(w, "heartbeat_interval_s", a->opt->heartbeat_s);
}

static void put_status(struct pa_agent *a, bool running)
{
	struct pa_jw w;

	pa_jw_init(&w);
	pa_jw_obj_open(&w, NULL);
	write_status_body(&w, a, running);
	pa_jw_obj_close(&w);
	pa_jw_newline(&w);
	if (!pa_jw_failed(&w))
		pa_runstate_put(&a->run, PA_RUN_STATUS, w.buf, w.len);
	pa_jw_free(&w);
}

/* One Prometheus metric with its HELP and TYPE lines. */
static void metric(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
	fprintf(f, "# HELP phiaudit_%s %s\n# TYPE phiaudit_%s %s\nphiaudit_%s %" PRIu64 "\n", name,
		help, name, type, name, v);
}

static void put_metrics(struct pa_agent *a)
{
	uint64_t c[PA_CNT_MAX], files, bytes;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	losses(a, c);
	log_usage(a, &files, &bytes);
	metric(f, "up", "gauge", "1 while the agent runs", 1);
	metric(f, "start_time_seconds", "gauge", "when the agent started (Unix time)",
	       a->started_utc_ns / SEC);
	metric(f, "events_received_total", "counter", "kernel events handled", a->events_received);
	metric(f, "records_total", "counter", "records written (the last record sequence)",
	       a->record_seq);
	fprintf(f, "# HELP phiaudit_kernel_losses_total events lost or inexact, by reason\n"
		   "# TYPE phiaudit_kernel_losses_total counter\n");
	for (int i = 0; i < PA_CNT_MAX; i++)
		if (pa_counter_is_loss(i))
			fprintf(f, "phiaudit_kernel_losses_total{reason=\"%s\"} %" PRIu64 "\n",
				pa_counter_name(i), c[i]);
	metric(f, "ring_buffer_used_bytes", "gauge", "bytes waiting in the kernel ring buffer",
	       ring_used(a));
	metric(f, "ring_buffer_size_bytes", "gauge", "the kernel ring buffer's size", a->rb_size);
	metric(f, "event_lag_max_milliseconds", "gauge",
	       "longest wait of an event before handling, last interval", a->lag_max_ns / 1000000);
	metric(f, "log_bytes", "gauge", "bytes in the log directory's files", bytes);
	metric(f, "log_files", "gauge", "log files", files);
	metric(f, "watches", "gauge", "watched directories", a->watches.n);
	metric(f, "alerts_total", "counter", "bulk-read alerts", a->alerts.det.stats.alerts);
	metric(f, "heartbeats_total", "counter", "Heartbeat records written", a->heartbeats);
	fclose(f);
	pa_runstate_put(&a->run, PA_RUN_METRICS, buf, len);
	free(buf);
}

/* A record and a syslog message (LOG_NOTICE: the alert syslog target
 * takes it) with the record sequence and the chain head. */
static void heartbeat(struct pa_agent *a)
{
	uint64_t c[PA_CNT_MAX];

	pa_agent_record_begin(a, PA_AGENT_OTHER, "Heartbeat", "phiauditd is running");
	pa_jw_u64(&a->jw, "events_received", a->events_received);
	pa_jw_u64(&a->jw, "losses_total", losses(a, c));
	pa_jw_u64(&a->jw, "watches", a->watches.n);
	pa_jw_u64(&a->jw, "interval_s", a->opt->heartbeat_s);
	write_chain(&a->jw, a);
	pa_ocsf_agent_end(&a->jw);
	pa_agent_emit(a, LOG_NOTICE);
	a->heartbeats++;
}

void pa_status_start(struct pa_agent *a)
{
	char err[1024];

	a->run.dirfd = a->run.lockfd = -1;
	a->started_utc_ns = pa_boot_to_utc(a->clock_offset, pa_clock_boot_ns());
	if (strcmp(a->opt->run_dir, "none") &&
	    pa_runstate_open(&a->run, a->opt->run_dir, err, sizeof(err)))
		pa_fatal("--run-dir %s", err);
}

void pa_status_ready(struct pa_agent *a)
{
	map_ring(a);
	a->next_heartbeat_ns = pa_clock_boot_ns() + a->opt->heartbeat_s * SEC;
	put_status(a, true);
	put_metrics(a);
}

void pa_status_tick(struct pa_agent *a, uint64_t now_ns)
{
	if (a->opt->heartbeat_s && now_ns >= a->next_heartbeat_ns) {
		heartbeat(a);
		a->next_heartbeat_ns = now_ns + a->opt->heartbeat_s * SEC;
	}
	if (now_ns < a->next_state_ns)
		return;
	a->next_state_ns = now_ns + PA_STATE_NS;
	put_status(a, true);
	put_metrics(a);
	a->lag_max_ns = 0;
}

void pa_status_stop(struct pa_agent *a)
{
	long page = sysconf(_SC_PAGESIZE);

	put_status(a, false);
	pa_runstate_put(&a->run, PA_RUN_METRICS, "phiaudit_up 0\n", 14);
	pa_runstate_close(&a->run);
	if (a->rb_cons) {
		munmap((void *)a->rb_cons, (size_t)page);
		munmap((void *)a->rb_prod, (size_t)page);
		a->rb_cons = a->rb_prod = NULL;
	}
}
