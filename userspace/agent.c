// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "agent.h"

#include "phiaudit/account.h"
#include "sink_syslog.h"
#include "reload.h"
#include "status.h"

#include <errno.h>
#include <grp.h>
#include <sys/random.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "clock.h"
#include "decode.h"
#include "log.h"
#include "notify.h"
#include "enrich.h"
#include "store.h"

static const char *const counter_names[PA_CNT_MAX] = PA_COUNTER_NAMES;

/* Which counters mean something was lost or inexact (not "events"). */
const char *pa_counter_name(int c)
{
	return (unsigned)c < PA_CNT_MAX ? counter_names[c] : "unknown";
}

/* A syslog sink's totals, as the Stop record gives them for each one. */
void pa_agent_write_syslog_stats(struct pa_agent *a, const char *key, struct pa_sink *s,
				 const char *target)
{
	struct pa_syslog_stats ss;

	pa_sink_syslog_stats(s, &ss);
	pa_jw_obj_open(&a->jw, key);
	pa_jw_str(&a->jw, "target", target);
	pa_jw_u64(&a->jw, "sent", ss.sent);
	pa_jw_u64(&a->jw, "dropped", ss.dropped_overflow + ss.dropped_oversize);
	pa_jw_u64(&a->jw, "truncated", ss.truncated);
	pa_jw_u64(&a->jw, "pending", ss.pending);
	pa_jw_u64(&a->jw, "send_errors", ss.send_errors);
	pa_jw_u64(&a->jw, "reconnects", ss.connects ? ss.connects - 1 : 0);
	pa_jw_obj_close(&a->jw);
}

int pa_counter_is_loss(int c)
{
	switch (c) {
	case PA_CNT_EVENTS: case PA_CNT_SCOPE_UNRESOLVED: case PA_CNT_READS:
	case PA_CNT_FILE_REUSED: case PA_CNT_WRITES: case PA_CNT_XFERS: case PA_CNT_MAPS:
	case PA_CNT_CHANGES: case PA_CNT_RING_UNSEEN:
		return 0; /* activity, not loss (unseen ring reads: in their records) */
	default:
		return 1;
	}
}

void pa_agent_emit(struct pa_agent *a, int severity)
{
	if (pa_jw_failed(&a->jw)) {
		pa_warn("a record could not be encoded (out of memory): counted as lost");
		a->decode_errors++;
	} else {
		for (size_t i = 0; i < a->n_sinks; i++)
			a->sinks[i]->ops->write(a->sinks[i], a->jw.buf, a->jw.len, a->record_seq,
						severity);
	}
	pa_jw_reset(&a->jw);
}

static void emit(struct pa_agent *a)
{
	pa_agent_emit(a, LOG_INFO);
}

static uint64_t write_errors(const struct pa_agent *a)
{
	uint64_t n = 0;

	/* The log and --jsonl; syslog's losses have their own counts (the
	 * records are in the log all the same). */
	for (size_t i = 0; i < a->n_sinks; i++)
		if (a->sinks[i] != a->syslog && a->sinks[i] != a->shipper)
			n += a->sinks[i]->write_errors;
	return n;
}

void pa_agent_record_begin(struct pa_agent *a, enum pa_agent_activity id, const char *name,
			   const char *message)
{
	uint64_t now = pa_boot_to_utc(a->clock_offset, pa_clock_boot_ns());

	pa_ocsf_agent_begin(&a->jw, &a->host, now, ++a->record_seq, id, name, message);
}

static void write_watches(struct pa_agent *a)
{
	pa_jw_arr_open(&a->jw, "watches");
	for (size_t i = 0; i < a->watches.n; i++) {
		pa_jw_obj_open(&a->jw, NULL);
		pa_jw_u64(&a->jw, "id", a->watches.w[i]->id);
		pa_jw_str(&a->jw, "path", a->watches.w[i]->path);
		if (a->watches.w[i]->excluded)
			pa_jw_bool(&a->jw, "excluded", true);
		if (a->watches.w[i]->deleted)
			pa_jw_bool(&a->jw, "deleted", true);
		pa_jw_obj_close(&a->jw);
	}
	pa_jw_arr_close(&a->jw);
}

static void on_open(struct pa_agent *a, const void *data, size_t size)
{
	struct pa_open_view v;
	const struct pa_watch *w;
	bool differs;

	if (pa_decode_open(data, size, &v)) {
		a->decode_errors++;
		return;
	}
	w = v.ev->scope == PA_SCOPE_IN ? pa_watch_by_id(&a->watches, v.ev->watch_id) : NULL;
	differs = pa_open_paths(&v, w ? w->path : NULL, &a->path_host, &a->path_view);
	/* The kernel places a denied open by its start directory or the
	 * prefix of its string; ".." later in the string can leave that tree
	 * ("../../etc/shadow" from a cwd inside it), perhaps into another
	 * watched one. Lexically, here, exact. */
	if (w && (v.ev->path_flags & PA_PATH_FROM_USER)) {
		/* and below an exclusion, which holds no routes: left out */
		w = pa_watch_innermost(&a->watches, &a->path_host);
		if (!w || w->excluded) {
			a->denied_outside++;
			return;
		}
	}
	pa_enrich_open_record(&a->enrich, &a->jw, &a->host, ++a->record_seq, &v, &a->path_host,
			      differs ? &a->path_view : NULL, w ? w->path : NULL);
	emit(a);
	pa_alerts_open(a, &v, &a->path_host);
	/* Its reads will name it by its sequence number: keep its path. */
	if ((v.ev->track & PA_TRACK_READS) &&
	    pa_opens_put(&a->opens, v.ev->hdr.seq, w ? w->id : 0, v.ev->file_mode, a->path_host.s,
			 a->path_host.len))
		a->opens_untracked_nomem++;
}

/* An account report: a Read record for what was read (and sent), an
 * Update record for what was written. */
static void write_read(struct pa_agent *a, const struct pa_read_event *ev)
{
	const struct pa_open_info *o = pa_opens_get(&a->opens, ev->open_seq);
	const struct pa_watch *w = o ? pa_watch_by_id(&a->watches, o->watch_id) : NULL;
	const char *watch_path = w && !w->deleted ? w->path : NULL;

	if (!o)
		a->reads_unknown_open++;
	if (ev->calls || ev->unknown_calls || !ev->write_calls) {
		pa_enrich_read_record(&a->enrich, &a->jw, &a->host, ++a->record_seq, ev, o,
				      watch_path, false);
		emit(a);
	}
	if (ev->write_calls) {
		pa_enrich_read_record(&a->enrich, &a->jw, &a->host, ++a->record_seq, ev, o,
				      watch_path, true);
		emit(a);
	}
	pa_alerts_read(a, ev, o);
	if (ev->final && ev->sent_calls)
		pa_routes_account_ended(a, ev->account_seq);
}

static void on_read(struct pa_agent *a, const void *data, size_t size)
{
	const struct pa_read_event *ev = pa_decode_read(data, size);

	if (!ev) {
		a->decode_errors++;
		return;
	}
	write_read(a, ev);
}

/* How soon after a hint the sweep runs: exits come in bursts. */
#define PA_HINT_SWEEP_NS (200ull * 1000000ull)
/* A rescan for files opened unseen: soon, at most once a second. */
#define PA_RESCAN_DELAY_NS (20ull * 1000000ull)
#define PA_RESCAN_EVERY_NS (1000ull * 1000000ull)
#define PA_RESWEEP_NS	 (1000ull * 1000000ull)

static void on_hint(struct pa_agent *a, const void *data, size_t size)
{
	uint64_t soon = pa_clock_boot_ns() + PA_HINT_SWEEP_NS;
	const struct pa_hint_event *h = pa_decode_hint(data, size);

	if (!h) {
		a->decode_errors++;
		return;
	}
	if (h->hint == PA_HINT_RESCAN) {
		/* soon, and at most once a second: a ring opening in a loop
		 * must not turn the agent into a scanner */
		uint64_t now = pa_clock_boot_ns(), due = now + PA_RESCAN_DELAY_NS;

		if (!a->rescan_ns && due < a->last_rescan_ns + PA_RESCAN_EVERY_NS)
			due = a->last_rescan_ns + PA_RESCAN_EVERY_NS;
		if (!a->rescan_ns)
			a->rescan_ns = due;
		return;
	}
	/* (When the list is full the table's LRU bound still holds.) */
	if (h->hint == PA_HINT_EXIT && a->n_exited < sizeof(a->exited) / sizeof(a->exited[0])) {
		a->exited[a->n_exited].tgid = h->tgid;
		a->exited[a->n_exited].start_ns = h->start_ns;
		a->n_exited++;
	}
	if (soon < a->next_sweep_ns)
		a->next_sweep_ns = soon;
	/* The exit hook runs before the process's files are closed: a sweep
	 * that comes before the process is quite gone (a loaded host, a
	 * parent slow to reap) leaves its accounts for one more, soon. */
	if (h->hint == PA_HINT_EXIT && !a->resweep_ns)
		a->resweep_ns = soon + PA_RESWEEP_NS;
}

static void on_file_gone(struct pa_agent *a, const void *data, size_t size)
{
	const struct pa_file_gone_event *ev = pa_decode_file_gone(data, size);

	if (!ev) {
		a->decode_errors++;
		return;
	}
	/* Not yet: a sweep can find the file released while its reader is
	 * still exiting (its files closed, the process not yet dead), and end
	 * that reader's account only at the next sweep. Its Read record must
	 * still name the file: forgotten two sweeps on. */
	if (a->n_gone_opens == PA_GONE_OPENS) { /* full: the oldest goes now */
		pa_opens_del(&a->opens, a->gone_opens[a->gone_head].open_seq);
		a->gone_head = (a->gone_head + 1) % PA_GONE_OPENS;
		a->n_gone_opens--;
	}
	{
		size_t tail = (a->gone_head + a->n_gone_opens) % PA_GONE_OPENS;

		a->gone_opens[tail].open_seq = ev->open_seq;
		a->gone_opens[tail].sweep = a->sweeps;
		a->n_gone_opens++;
	}
}

/* After a sweep: forget the opens released two sweeps ago or more. */
static void forget_gone_opens(struct pa_agent *a)
{
	while (a->n_gone_opens && a->gone_opens[a->gone_head].sweep + 2 <= a->sweeps) {
		pa_opens_del(&a->opens, a->gone_opens[a->gone_head].open_seq);
		a->gone_head = (a->gone_head + 1) % PA_GONE_OPENS;
		a->n_gone_opens--;
	}
}

static void on_proc(struct pa_agent *a, const void *data, size_t size)
{
	const struct pa_proc_event *ev = pa_decode_proc(data, size);

	if (!ev) {
		a->decode_errors++;
		return;
	}
	if (pa_procs_put_event(&a->enrich.procs, ev))
		a->procs_nomem++;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct pa_agent *a = ctx;
	const struct pa_event_hdr *h = data;

	if (pa_decode_type(data, size) < 0) {
		a->decode_errors++;
		return 0;
	}
	a->events_received++;
	if (h->ktime_ns) {
		uint64_t lag = pa_clock_boot_ns() - h->ktime_ns;

		if (lag > a->lag_max_ns && lag < (1ull << 62))
			a->lag_max_ns = lag;
	}
	if (h->seq > a->max_event_seq)
		a->max_event_seq = h->seq;
	switch (h->type) {
	case PA_EV_OPEN:
		on_open(a, data, size);
		break;
	case PA_EV_READ:
		on_read(a, data, size);
		break;
	case PA_EV_HINT:
		on_hint(a, data, size);
		break;
	case PA_EV_FILE_GONE:
		on_file_gone(a, data, size);
		break;
	case PA_EV_PROC:
		on_proc(a, data, size);
		break;
	case PA_EV_CHANGE:
		pa_routes_on_change(a, data, size);
		break;
	case PA_EV_MAP:
		pa_routes_on_map(a, data, size);
		break;
	case PA_EV_XFER:
		pa_routes_on_xfer(a, data, size);
		break;
	default:
		a->decode_errors++;
	}
	/* A flood must not starve the rest of the loop (flushes: what a crash
	 * can lose; ticks: losses, episodes' ends): libbpf stops consuming at
	 * a negative return, the record already taken. */
	return ++a->batch >= PA_BATCH_EVENTS ? -EAGAIN : 0;
}

/* What is in the ring, within a bound: under a flood that outpaces the
 * agent the ring never empties, and the loop (flushes, SIGTERM) must run. */
#define PA_CONSUME_ALL_BATCHES 8

static void consume_all(struct pa_agent *a)
{
	for (int i = 0; i < PA_CONSUME_ALL_BATCHES; i++) {
		a->batch = 0;
		if (ring_buffer__consume(a->rb) != -EAGAIN)
			return;
	}
}

/* During a sweep or the discovery: one budgeted turn, to keep the ring
 * from filling while the iterator runs. */
static void drain(void *ctx)
{
	struct pa_agent *a = ctx;

	a->batch = 0;
	ring_buffer__consume(a->rb);
}

/* The sweep (bpf/sweep.bpf.h): missed closes, dead holders, idle reports,
 * released files. Its cost is kept for the Stop record. */
static void sweep(struct pa_agent *a)
{
	uint64_t t0 = pa_clock_boot_ns(), events, took;
	size_t exited = a->n_exited;
	int err;

	/* Before the run: a hint drained during it brings the next one
	 * forward, and must not be overwritten afterwards. */
	a->next_sweep_ns = t0 + a->opt->sweep_interval_s * 1000000000ULL;
	err = pa_bpf_sweep(&a->bpf, drain, a, &events);
	if (err)
		pa_warn("sweep of the read accounts failed: %s", strerror(-err));
	/* Exits hinted before this sweep: their accounts are ended now. */
	for (size_t i = 0; i < exited; i++)
		pa_procs_forget(&a->enrich.procs, a->exited[i].tgid, a->exited[i].start_ns);
	memmove(a->exited, a->exited + exited, (a->n_exited - exited) * sizeof(a->exited[0]));
	a->n_exited -= exited;
	took = pa_clock_boot_ns() - t0;
	a->sweeps++;
	forget_gone_opens(a);
	a->sweep_ns_total += took;
	if (took > a->sweep_ns_max)
		a->sweep_ns_max = took;
}

/* The agent stops: every account still open gets its final record, from
 * the maps (the hooks are detached, so the counts no longer move). */
static void report_open_account(void *ctx, const struct pa_hold_key *k,
				const struct pa_hold_val *h)
{
	struct pa_agent *a = ctx;
	struct pa_read_event ev = { .hdr = { .type = PA_EV_READ, .size = sizeof(ev) } };

	if (h->xfer_calls) {
		/* The run still going: its END, as the kernel would send it. */
		struct pa_xfer_event x = { .hdr = { .type = PA_EV_XFER, .size = sizeof(x) } };

		pa_account_xfer_event(&x, k, h, PA_XFER_END);
		pa_routes_on_xfer(a, &x, sizeof(x));
	}
	if (!pa_account_used(h))
		return;
	pa_account_read_event(&ev, k, h, PA_READ_AGENT_STOP, 1);
	write_read(a, &ev);
}

/* The totals of every loss counter that is not zero, on one stderr line,
 * from the same table the records use. */
static void warn_losses(struct pa_agent *a, const uint64_t now[PA_CNT_MAX])
{
	char line[1024];
	size_t len = 0;

	for (int c = 0; c < PA_CNT_MAX && len < sizeof(line); c++)
		if (pa_counter_is_loss(c) && now[c])
			len += (size_t)snprintf(line + len, sizeof(line) - len, " %s %llu",
						counter_names[c], (unsigned long long)now[c]);
	if (len < sizeof(line))
		snprintf(line + len, sizeof(line) - len, " write_errors %llu decode_errors %llu",
			 (unsigned long long)write_errors(a),
			 (unsigned long long)a->decode_errors);
	pa_warn("losses (totals):%s", line);
}

/*
 * Losses since the last check, as one record and one warning. Events
 * missing by sequence (the kernel's last number minus those received) are
 * only counted at stop: an event in flight on another CPU is a gap for a
 * moment, not a loss. At stop they must equal ringbuf_full; more would be
 * a loss nothing else explains.
 */
static void check_losses(struct pa_agent *a, bool final)
{
	uint64_t now[PA_CNT_MAX], missing = 0, unexplained;
	bool any = false;

	if (pa_bpf_counters(&a->bpf, now))
		return;
	if (final && pa_bpf_kernel_seq(&a->bpf) > a->events_received)
		missing = pa_bpf_kernel_seq(&a->bpf) - a->events_received;
	/* Missing numbers the ring-buffer counter explains were reported when
	 * counted; only the rest is news. */
	unexplained = missing > now[PA_CNT_RINGBUF_FULL] ? missing - now[PA_CNT_RINGBUF_FULL] : 0;
	for (int c = 0; c < PA_CNT_MAX; c++)
		any |= pa_counter_is_loss(c) && now[c] != a->reported[c];
	any |= write_errors(a) != a->reported_write_errors;
	any |= a->decode_errors != a->reported_decode_errors;
	any |= unexplained != a->reported_unexplained;
	if (!any)
		return;
	pa_agent_record_begin(a, PA_AGENT_OTHER, "Loss", "events or records were lost or inexact");
	pa_jw_obj_open(&a->jw, "since_last");
	for (int c = 0; c < PA_CNT_MAX; c++)
		if (pa_counter_is_loss(c))
			pa_jw_u64(&a->jw, counter_names[c], now[c] - a->reported[c]);
	pa_jw_u64(&a->jw, "write_errors", write_errors(a) - a->reported_write_errors);
	pa_jw_u64(&a->jw, "decode_errors", a->decode_errors - a->reported_decode_errors);
	pa_jw_obj_close(&a->jw);
	pa_jw_u64(&a->jw, "events_missing_by_sequence", missing);
	pa_jw_u64(&a->jw, "events_missing_unexplained", unexplained);
	pa_jw_u64(&a->jw, "max_event_seq", a->max_event_seq);
	pa_ocsf_agent_end(&a->jw);
	emit(a);
	warn_losses(a, now);
	memcpy(a->reported, now, sizeof(now));
	a->reported_write_errors = write_errors(a);
	a->reported_decode_errors = a->decode_errors;
	a->reported_unexplained = unexplained;
}

static void check_clock(struct pa_agent *a)
{
	int64_t now = pa_clock_offset_now(), step = now - a->clock_offset;

	if (step < PA_CLOCK_STEP_NS && step > -PA_CLOCK_STEP_NS)
		return;
	a->clock_offset = now; /* the record itself is on the new clock */
	pa_agent_record_begin(a, PA_AGENT_OTHER, "Clock Step",
			   "the wall clock was stepped; later times use the new clock");
	pa_jw_i64(&a->jw, "step_ns", step);
	pa_ocsf_agent_end(&a->jw);
	emit(a);
}

static void check_watch_paths(struct pa_agent *a)
{
	if (pa_watch_refresh(&a->watches, &a->bpf) == 0)
		return;
	pa_agent_record_begin(a, PA_AGENT_OTHER, "Watch Set Changed",
			   "a watched directory was renamed, moved or deleted");
	write_watches(a);
	pa_ocsf_agent_end(&a->jw);
	emit(a);
}

static void check_shipper(struct pa_agent *a);

static void tick(struct pa_agent *a, bool final)
{
	check_shipper(a);
	check_clock(a);
	check_watch_paths(a);
	pa_routes_tick(a, final);
	check_losses(a, final);
}

/* What the log store found or did (recovery, retention, write failures):
 * each becomes a record of its own, in the log it describes. */
static void record_store_events(struct pa_agent *a)
{
	struct pa_store_event ev;
	uint64_t now;

	if (!a->store)
		return;
	while (pa_store_next_event(a->store, &ev)) {
		now = pa_boot_to_utc(a->clock_offset, pa_clock_boot_ns());
		pa_ocsf_store_event(&a->jw, &a->host, now, ++a->record_seq, &ev);
		emit(a);
	}
}

static void flush_sinks(struct pa_agent *a)
{
	for (size_t i = 0; i < a->n_sinks; i++) {
		int rc = a->sinks[i]->ops->flush(a->sinks[i]);

		if (rc && a->sinks[i] == a->store && a->opt->exit_on_write_error &&
		    !a->store_failing) {
			pa_warn("%s: %s; stopping (--exit-on-write-error)", a->opt->log_dir,
				strerror(-rc));
			a->store_failing = true;
		}
	}
	record_store_events(a);
}

static void write_start(struct pa_agent *a)
{
	pa_agent_record_begin(a, PA_AGENT_START, "Start", "phiauditd started");
	pa_jw_u64(&a->jw, "pid", (uint64_t)getpid());
	pa_jw_str(&a->jw, "hook", pa_hook_name(a->bpf.backend));
	pa_jw_bool(&a->jw, "sees_compat_syscalls", a->bpf.sees_compat);
	pa_jw_bool(&a->jw, "denied_open_routes", a->bpf.have_bpf_loop);
	/* io_uring opens and reads: with the tp_btf hook on kernels that have
	 * its tracepoints; else a ring bypasses the audit (say so). */
	pa_jw_bool(&a->jw, "io_uring_audited", a->bpf.ring_audited);
	if (a->bpf.missing[0])
		pa_jw_str(&a->jw, "unaudited_syscalls", a->bpf.missing);
	pa_jw_u64(&a->jw, "ring_buffer_mb", a->opt->ring_buffer_mb);
	if (a->store) {
		struct pa_store_stats st;

		pa_store_get_stats(a->store, &st);
		pa_jw_obj_open(&a->jw, "log_store");
		pa_jw_str(&a->jw, "dir", a->opt->log_dir);
		pa_jw_u64(&a->jw, "chain_next_index", st.chain_index);
		pa_jw_u64(&a->jw, "flush_interval_ms", a->opt->flush_interval_ms);
		pa_jw_obj_close(&a->jw);
	}
	write_watches(a);
	pa_ocsf_agent_end(&a->jw);
	emit(a);
}

static void write_stop(struct pa_agent *a)
{
	uint64_t c[PA_CNT_MAX] = { 0 };

	pa_bpf_counters(&a->bpf, c);
	pa_agent_record_begin(a, PA_AGENT_STOP, "Stop", "phiauditd stopped");
	pa_jw_u64(&a->jw, "events_received", a->events_received);
	pa_jw_u64(&a->jw, "max_event_seq", a->max_event_seq);
	pa_jw_u64(&a->jw, "kernel_event_seq", pa_bpf_kernel_seq(&a->bpf));
	pa_jw_obj_open(&a->jw, "counters");
	for (int i = 0; i < PA_CNT_MAX; i++)
		pa_jw_u64(&a->jw, counter_names[i], c[i]);
	pa_jw_u64(&a->jw, "write_errors", write_errors(a));
	pa_jw_u64(&a->jw, "decode_errors", a->decode_errors);
	pa_jw_u64(&a->jw, "denied_outside_dropped", a->denied_outside);
	pa_jw_u64(&a->jw, "reads_unknown_open", a->reads_unknown_open);
	pa_jw_u64(&a->jw, "opens_untracked_nomem", a->opens_untracked_nomem);
	pa_jw_obj_close(&a->jw);
	pa_jw_obj_open(&a->jw, "read_accounting");
	pa_jw_u64(&a->jw, "sweeps", a->sweeps);
	pa_jw_u64(&a->jw, "sweep_us_mean", a->sweeps ? a->sweep_ns_total / a->sweeps / 1000 : 0);
	pa_jw_u64(&a->jw, "sweep_us_max", a->sweep_ns_max / 1000);
	/* released opens kept for late Read records are not tracked opens */
	pa_jw_u64(&a->jw, "opens_tracked_at_stop",
		  a->opens.n > a->n_gone_opens ? a->opens.n - a->n_gone_opens : 0);
	pa_jw_u64(&a->jw, "opens_released_kept", a->n_gone_opens);
	pa_jw_u64(&a->jw, "opens_table_bytes", a->opens.bytes + a->opens.cap * sizeof(void *));
	pa_jw_obj_close(&a->jw);
	pa_routes_write_stats(a);
	/* What enrichment cost and missed: for tuning, and so a record
	 * without a program name can be explained. */
	pa_jw_obj_open(&a->jw, "enrichment");
	pa_jw_u64(&a->jw, "processes_known", a->enrich.procs.n);
	pa_jw_u64(&a->jw, "processes_evicted", a->enrich.procs.evicted);
	pa_jw_u64(&a->jw, "proc_reads", a->enrich.procs.proc_reads);
	pa_jw_u64(&a->jw, "proc_misses", a->enrich.procs.proc_misses);
	pa_jw_u64(&a->jw, "processes_nomem", a->procs_nomem);
	pa_jw_u64(&a->jw, "name_lookups", a->enrich.names.lookups);
	pa_jw_u64(&a->jw, "cgroup_scans", a->enrich.cgroups.scans);
	pa_jw_obj_close(&a->jw);
	pa_alerts_write_stats(a);
	if (a->shipper)
		pa_agent_write_syslog_stats(a, "syslog", a->shipper, a->opt->syslog);
	pa_ocsf_agent_end(&a->jw);
	emit(a);
}

/* Files open under a watch before we started: tracked from now on. After
 * the hooks and the watches are in place, so nothing slips between. */
/*
 * An io_uring open whose completion was skipped: no event named its file.
 * The discovery iterator finds it among the open files (an Open record
 * marked discovered) and its reads are counted from then on.
 */
static void rescan(struct pa_agent *a)
{
	uint64_t found = 0;
	int err;

	a->rescan_ns = 0;
	a->last_rescan_ns = pa_clock_boot_ns();
	a->rescans++;
	err = pa_bpf_discover(&a->bpf, drain, a, &found);
	if (err)
		pa_warn("could not look for files opened unseen through io_uring: %s",
			strerror(-err));
	a->rescan_found += found;
}

/* Watched files with other names (hard links): in scope under any. */
static void seed_inodes(struct pa_agent *a)
{
	struct pa_inodes *s = &a->routes.inodes;
	int err = pa_inodes_seed(&a->bpf, s, &a->watches);

	if (err)
		pa_warn("could not walk every watched tree for hard-linked files: %s; opens "
			"through their other names are audited only once a link is made while "
			"running", strerror(-err));
	if (s->seeded || s->full)
		pa_info("%llu hard-linked watched file%s: opens through any of their names are "
			"audited (%llu files looked at in %llu ms%s)",
			(unsigned long long)s->seeded, s->seeded == 1 ? "" : "s",
			(unsigned long long)s->scanned, (unsigned long long)(s->seed_ns / 1000000),
			s->full ? "; the set is full: some left out" : "");
}

static void discover(struct pa_agent *a)
{
	uint64_t found;
	int err = pa_bpf_discover(&a->bpf, drain, a, &found);

	if (err)
		pa_warn("could not look for files already open under the watches: %s; their "
			"reads are counted only after they are reopened",
			strerror(-err));
	else if (found)
		pa_info("%llu file%s already open under the watches: %s reads are counted "
			"from now on",
			(unsigned long long)found, found == 1 ? " was" : "s were",
			found == 1 ? "its" : "their");
}

/* --log-group: a name or a number; NULL keeps root's group. */
static int pa_log_group(const char *name, gid_t *gid, char *err, size_t errlen)
{
	struct group *g;
	char *end;
	unsigned long v;

	*gid = (gid_t)-1;
	if (!name)
		return 0;
	errno = 0;
	g = getgrnam(name);
	if (g) {
		*gid = g->gr_gid;
		return 0;
	}
	v = strtoul(name, &end, 10);
	if (*name && !*end && v < (gid_t)-1) {
		*gid = (gid_t)v;
		return 0;
	}
	snprintf(err, errlen, "'%s': no such group%s%s", name, errno ? ": " : "",
		 errno ? strerror(errno) : "");
	return -1;
}

static void open_store(struct pa_agent *a)
{
	const struct pa_options *opt = a->opt;
	struct pa_store_config cfg;
	struct pa_store_stats st;
	char err[1024];

	pa_store_config_defaults(&cfg, opt->log_dir);
	if (pa_log_group(opt->log_group, &cfg.gid, err, sizeof(err)))
		pa_fatal("--log-group %s", err);
	cfg.flush_interval_ms = opt->flush_interval_ms;
	cfg.rotate_bytes = opt->rotate_size_mb << 20;
	cfg.rotate_age_s = opt->rotate_age_h * 3600;
	cfg.retain_age_s = opt->retain_days * 86400;
	cfg.retain_bytes = opt->retain_size_mb << 20;
	cfg.level = (int)opt->compress_level;
	a->store = pa_store_open(&cfg, err, sizeof(err));
	if (!a->store)
		pa_fatal("--log-dir %s", err);
	a->sinks[a->n_sinks++] = a->store;
	/* Record numbers run on across restarts: a gap is a record missing
	 * from the log, never a restart. */
	pa_store_get_stats(a->store, &st);
	a->record_seq = st.last_seq;
	pa_hex(st.log_id, sizeof(st.log_id), a->log_id);
	a->host.log_id = a->log_id;
}

/* Alerts, ends and heartbeats to the local syslog, or where --alert-syslog
 * says; /dev/log takes syslog(3)'s own format, the one journald and
 * rsyslog's imuxsock parse there. No syslog daemon is no reason not to
 * audit: undelivered alerts are counted (Stop record). */
static void open_alert_syslog(struct pa_agent *a)
{
	/* alerts (LOG_ALERT), episodes' ends and heartbeats (LOG_NOTICE) */
	struct pa_syslog_config cfg = { .target = a->opt->alert_syslog,
					.max_severity = LOG_NOTICE };
	char err[512];

	if (!strcmp(a->opt->alert_syslog, "none"))
		return;
	if (!strncmp(a->opt->alert_syslog, "unix:", 5))
		cfg.format = PA_SYSLOG_LOCAL;
	a->syslog = pa_sink_syslog_open(&cfg, err, sizeof(err));
	if (!a->syslog)
		pa_fatal("--alert-syslog %s", err);
	a->sinks[a->n_sinks++] = a->syslog;
}

/* --syslog: every record, for a fleet's rsyslog. */
static void open_shipper(struct pa_agent *a)
{
	struct pa_syslog_config cfg = { .target = a->opt->syslog, .max_severity = LOG_DEBUG,
					.max_message_bytes = a->opt->syslog_max_message,
					.queue_max_bytes = a->opt->syslog_queue_mb << 20 };
	char err[512];

	if (!a->opt->syslog)
		return;
	if (!strncmp(a->opt->syslog, "unix:", 5))
		cfg.format = PA_SYSLOG_LOCAL;
	a->shipper = pa_sink_syslog_open(&cfg, err, sizeof(err));
	if (!a->shipper)
		pa_fatal("--syslog %s", err);
	a->sinks[a->n_sinks++] = a->shipper;
}

static bool shipper_pending(struct pa_agent *a)
{
	struct pa_syslog_stats ss;

	if (!a->shipper)
		return false;
	pa_sink_syslog_stats(a->shipper, &ss);
	return ss.pending > 0;
}

/* What --syslog had to drop (a receiver down longer than its queue holds)
 * becomes a record, in the log and, once it is back, in syslog too. */
static void check_shipper(struct pa_agent *a)
{
	struct pa_syslog_stats ss;
	uint64_t dropped;

	if (!a->shipper)
		return;
	pa_sink_syslog_stats(a->shipper, &ss);
	dropped = ss.dropped_overflow + ss.dropped_oversize;
	if (dropped == a->shipper_dropped)
		return;
	pa_agent_record_begin(a, PA_AGENT_OTHER, "Syslog Dropped",
			   "records not sent to --syslog: its queue was full or they were too big");
	pa_jw_str(&a->jw, "target", a->opt->syslog);
	pa_jw_u64(&a->jw, "dropped", dropped - a->shipper_dropped);
	pa_jw_u64(&a->jw, "dropped_total", dropped);
	pa_jw_u64(&a->jw, "dropped_overflow_total", ss.dropped_overflow);
	pa_jw_u64(&a->jw, "dropped_oversize_total", ss.dropped_oversize);
	pa_jw_u64(&a->jw, "truncated_total", ss.truncated);
	pa_jw_u64(&a->jw, "sent_total", ss.sent);
	pa_ocsf_agent_end(&a->jw);
	emit(a);
	pa_warn("--syslog %s: %llu records dropped (%llu in all); they are in the audit log",
		a->opt->syslog, (unsigned long long)(dropped - a->shipper_dropped),
		(unsigned long long)dropped);
	a->shipper_dropped = dropped;
}

int pa_agent_start(struct pa_agent *a, struct pa_config *cfg, const struct pa_options *cli)
{
	const struct pa_options *opt = &cfg->opt;
	char err[4096];
	int rc;

	a->config = cfg;
	a->cli = cli;
	a->opt = opt;
	pa_jw_init(&a->jw);
	if (gethostname(a->hostname, sizeof(a->hostname) - 1))
		snprintf(a->hostname, sizeof(a->hostname), "unknown");
	a->host.hostname = a->hostname;
	pa_host_read_ids(&a->host, a->machine_id, a->boot_id);
	a->clock_offset = pa_clock_offset_now();
	pa_enrich_init(&a->enrich, &a->clock_offset, NULL, NULL, NULL);
	/* First: a mistake in the settings, or another agent running, stops
	 * us before anything loads. */
	pa_alerts_start(a);
	pa_status_start(a);
	if (pa_bpf_start(&a->bpf, opt, err, sizeof(err)))
		pa_fatal("%s", err);
	for (size_t i = 0; i < opt->watch.n; i++) {
		rc = pa_watch_add(&a->watches, &a->bpf, opt->watch.v[i], err, sizeof(err));
		if (rc < 0)
			pa_fatal("--watch %s", err);
	}
	for (size_t i = 0; i < opt->exclude.n; i++) {
		rc = pa_watch_exclude(&a->watches, &a->bpf, opt->exclude.v[i], err, sizeof(err));
		if (rc < 0)
			pa_fatal("--exclude %s", err);
		if (rc > 0)
			pa_fatal("--exclude %s: also watched: a directory is one or the other",
				 opt->exclude.v[i]);
	}
	/* Last: a bad --watch leaves no empty log file behind. */
	if (strcmp(opt->log_dir, "none"))
		open_store(a);
	if (!a->store) {
		/* No log store: the records still get unique ids, per run. */
		uint8_t id[16];

		if (getrandom(id, sizeof(id), 0) == (ssize_t)sizeof(id)) {
			pa_hex(id, sizeof(id), a->log_id);
			a->host.log_id = a->log_id;
		}
	}
	/* Finding ids run on from the record sequence, so they stay unique in
	 * a log across restarts (each finding takes a record number). */
	a->alerts.det.next_id = a->record_seq;
	if (opt->jsonl) {
		a->sinks[a->n_sinks] = pa_sink_jsonl_open(opt->jsonl, err, sizeof(err));
		if (!a->sinks[a->n_sinks])
			pa_fatal("--jsonl %s", err);
		a->n_sinks++;
	}
	open_alert_syslog(a);
	open_shipper(a);
	a->rb = ring_buffer__new(pa_bpf_events_fd(&a->bpf), on_event, a, NULL);
	if (!a->rb)
		pa_fatal("ring buffer: %s", strerror(errno));
	write_start(a);
	discover(a);
	seed_inodes(a);
	flush_sinks(a);
	if (a->watches.n == 0)
		pa_warn("nothing is watched: no --watch given; every open is ignored");
	pa_info("ready: watching %zu director%s with the %s hook%s", a->watches.n,
		a->watches.n == 1 ? "y" : "ies", pa_hook_name(a->bpf.backend),
		a->bpf.sees_compat ? "" : " (32-bit syscalls are not seen)");
	if (!a->bpf.ring_audited)
		pa_warn("io_uring opens and reads are NOT audited with the %s hook on this kernel: "
			"set kernel.io_uring_disabled=2 to turn io_uring off, or see phiauditd(8)",
			pa_hook_name(a->bpf.backend));
	pa_status_ready(a);
	rc = pa_notify("READY=1\nSTATUS=auditing");
	if (rc)
		pa_warn("NOTIFY_SOCKET: %s", strerror(-rc));
	a->next_tick_ns = pa_clock_boot_ns() + opt->stats_interval_s * 1000000000ULL;
	a->next_sweep_ns = pa_clock_boot_ns() + opt->sweep_interval_s * 1000000000ULL;
	return 0;
}

int pa_agent_run(struct pa_agent *a, volatile sig_atomic_t *stop, volatile sig_atomic_t *hup)
{
	int failed = 0;

	while (!*stop && !a->store_failing) {
		int rc;

		a->batch = 0;
		/* records waiting for --syslog: come back soon to send more
		 * (the socket takes a bufferful a turn) */
		rc = ring_buffer__poll(a->rb, shipper_pending(a) ? 5 : 100);
		if (rc < 0 && rc != -EINTR && rc != -EAGAIN) {
			pa_warn("ring buffer poll: %s; stopping", strerror(-rc));
			failed = 1;
			break;
		}
		if (*hup) {
			*hup = 0;
			/* what happened before the reload is recorded before it */
			consume_all(a);
			pa_agent_reload(a);
		}
		/* Wake-ups are batched in the kernel: always drain, up to the
		 * budget of a loop turn. */
		if (a->batch < PA_BATCH_EVENTS) {
			a->batch = 0;
			ring_buffer__consume(a->rb);
		}
		if (pa_clock_boot_ns() >= a->next_tick_ns) {
			tick(a, false);
			a->next_tick_ns = pa_clock_boot_ns() + a->opt->stats_interval_s * 1000000000ULL;
		}
		if (a->resweep_ns && pa_clock_boot_ns() >= a->resweep_ns) {
			a->resweep_ns = 0;
			sweep(a);
		}
		if (pa_clock_boot_ns() >= a->next_sweep_ns)
			sweep(a);
		if (a->rescan_ns && pa_clock_boot_ns() >= a->rescan_ns)
			rescan(a);
		pa_alerts_tick(a, pa_clock_boot_ns());
		pa_status_tick(a, pa_clock_boot_ns());
		flush_sinks(a);
	}
	pa_notify("STOPPING=1");
	/* Freeze the accounts, settle the ones the sweep can end (dead
	 * holders), then report the rest as open at stop. */
	pa_bpf_detach_hooks(&a->bpf);
	consume_all(a);
	sweep(a);
	if (pa_bpf_each_account(&a->bpf, report_open_account, a))
		pa_warn("could not read the open read accounts at stop: their last counts are "
			"those of the latest progress records");
	tick(a, true);
	pa_alerts_stop(a);
	write_stop(a);
	flush_sinks(a);
	pa_status_stop(a);
	return failed || a->store_failing;
}

void pa_agent_free(struct pa_agent *a)
{
	ring_buffer__free(a->rb);
	pa_watch_clear(&a->watches, &a->bpf);
	pa_bpf_stop(&a->bpf);
	pa_opens_free(&a->opens);
	pa_routes_free(&a->routes);
	pa_alerts_free(a);
	pa_enrich_free(&a->enrich);
	/* the sinks first: they may hold strings of a retired config */
	for (size_t i = 0; i < a->n_sinks; i++)
		a->sinks[i]->ops->close(a->sinks[i]);
	a->n_sinks = 0;
	while (a->retired) {
		struct pa_config *c = a->retired;

		a->retired = c->retired_next;
		pa_config_free(c);
		free(c);
	}
	pa_jw_free(&a->jw);
}
