/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's event loop: ring buffer -> decode -> paths and time ->
 * OCSF record -> sink; the sweep that finds what the hooks cannot see
 * (reads/accounts); plus the periodic checks that keep nothing silent
 * (kernel loss counters, sequence gaps, write errors, clock steps, renamed
 * watches).
 */
#ifndef PHIAUDIT_AGENT_H
#define PHIAUDIT_AGENT_H

#include <signal.h>
#include <stdint.h>

#include "alerts.h"
#include "config.h"
#include "runstate.h"
#include "jsonw.h"
#include "loader.h"
#include "enrich.h"
#include "ocsf.h"
#include "opens.h"
#include "routes.h"
#include "options.h"
#include "sink.h"
#include "watch.h"

struct ring_buffer;

/* Events handled in one turn of the loop before its periodic work runs
 * (flushes, loss checks, episodes' ends): about 0.2 s of a flood. */
#define PA_BATCH_EVENTS 16384

/* Released opens whose path is kept until two more sweeps have run. */
#define PA_GONE_OPENS 16384

struct pa_agent {
	const struct pa_options *opt;  /* &config->opt */
	struct pa_config *config;      /* the settings in force */
	const struct pa_options *cli;  /* the command line, for reloads */
	struct pa_config *retired;     /* settings replaced by reloads (freed at exit) */
	struct pa_bpf bpf;
	struct pa_watchset watches;
	struct ring_buffer *rb;
	struct pa_sink *sinks[4];      /* the log store, live JSONL, syslog alerts, --syslog */
	size_t n_sinks;
	struct pa_sink *store;	       /* sinks[0] when the log store is on */
	struct pa_sink *syslog;	       /* alerts to syslog; NULL: --alert-syslog none */
	struct pa_sink *shipper;       /* --syslog: every record; NULL: off */
	uint64_t shipper_dropped;      /* as of the last record saying so */
	/* runtime state and health (status.c) */
	struct pa_runstate run;
	uint64_t started_utc_ns;
	uint64_t next_state_ns, next_heartbeat_ns, heartbeats;
	uint64_t lag_max_ns;	       /* event to handling, since the last state write */
	const volatile unsigned long *rb_cons, *rb_prod; /* the ring's positions */
	size_t rb_size;
	bool store_failing;	       /* --exit-on-write-error: stop */
	struct pa_jw jw;
	struct pa_host_info host;
	char hostname[256];
	char machine_id[64], boot_id[64];
	char log_id[33];		       /* the log store's id (metadata.uid) */
	struct pa_enrich enrich;       /* names, processes, cgroups (enrich.h) */
	struct pa_alerts alerts;       /* bulk-read detection (alerts.h) */
	/* processes that exited: forgotten once a sweep has ended their
	 * accounts (their final Read records still name them) */
	struct { uint32_t tgid; uint64_t start_ns; } exited[1024];
	size_t n_exited;
	uint64_t procs_nomem;
	int64_t clock_offset;
	uint64_t record_seq;	       /* last record written */
	uint64_t events_received, max_event_seq, decode_errors;
	uint64_t denied_outside;       /* denied opens whose string left the tree */
	uint64_t reported[PA_CNT_MAX]; /* counters as of the last loss record */
	uint64_t reported_write_errors, reported_decode_errors, reported_unexplained;
	uint64_t next_tick_ns;
	uint64_t batch;		       /* events handled this loop turn */
	struct pa_opens opens;	       /* tracked opens, for read records */
	/* released opens, forgotten two sweeps later (on_file_gone) */
	struct { uint64_t open_seq, sweep; } gone_opens[PA_GONE_OPENS];
	size_t gone_head, n_gone_opens; /* a ring */
	uint64_t next_sweep_ns;
	uint64_t resweep_ns;	       /* a second sweep after exits (0: none due) */
	uint64_t rescan_ns, last_rescan_ns; /* files opened unseen: look again (0: none due) */
	uint64_t rescans, rescan_found;
	uint64_t sweeps, sweep_ns_total, sweep_ns_max; /* sweep cost, for Stop */
	uint64_t reads_unknown_open;   /* read records whose open was lost */
	uint64_t opens_untracked_nomem;
	struct pa_path path_host, path_view; /* scratch, too big for the stack */
	struct pa_routes routes;       /* changes, mmaps, transfers (routes.h) */
};

/* Load, watch, announce readiness. 0, or exits with a clear message. */
int pa_agent_start(struct pa_agent *a, struct pa_config *cfg, const struct pa_options *cli);
/* Run until *stop is set; then drain and record the stop. *hup is set by
 * SIGHUP. Returns 0, or 1 if the event loop failed. */
int pa_agent_run(struct pa_agent *a, volatile sig_atomic_t *stop, volatile sig_atomic_t *hup);
void pa_agent_free(struct pa_agent *a);

/* Does kernel counter @c (PA_CNT_*) count something lost or inexact? */
int pa_counter_is_loss(int c);
/* Its name in records and metrics ("ringbuf_full", ...). */
const char *pa_counter_name(int c);

/* unmapped.KEY in a->jw: a syslog sink's sent, dropped, truncated,
 * pending, send errors and reconnects. */
struct pa_sink;
void pa_agent_write_syslog_stats(struct pa_agent *a, const char *key, struct pa_sink *s,
				 const char *target);

/* Start an agent record (Application Lifecycle) in a->jw; the caller adds
 * unmapped members, then pa_ocsf_agent_end() and pa_agent_emit(). */
void pa_agent_record_begin(struct pa_agent *a, enum pa_agent_activity id, const char *name,
			   const char *message);

/* The record in a->jw goes to every sink, at syslog @severity. */
void pa_agent_emit(struct pa_agent *a, int severity);

#endif
