/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Records as the agent writes them, for the CLI's tests and benchmark:
 * kernel events built by hand (events.h), put through the real decoder,
 * path builder and OCSF encoder (decode.h, ocsf.h), with the process
 * details and names the agent would attach. Bulk-read alerts (class 2004)
 * are written by hand in the layout of the agent's Detection Finding.
 *
 *   struct rg_proc cat = { .pid = 1200, .ppid = 1100, .comm = "cat", ... };
 *   rg_open(&g, &cat, "patients/1234/chart.txt", 0, t);     -> g.w holds the line
 *   rg_read(&g, &cat, "patients/1234/chart.txt", &acct, t);
 *
 * Paths are relative to the watched directory RG_WATCH.
 */
#ifndef PHIAUDIT_TESTS_RECGEN_H
#define PHIAUDIT_TESTS_RECGEN_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "events.h"
#include "jsonw.h"
#include "ocsf.h"
#include "paths.h"

#define RG_WATCH "/srv/phi"
#define RG_NS_MS 1000000ULL
#define RG_NS_S 1000000000ULL
#define RG_MAX_ANC 4

/* A process, as the agent knows it. Times are UTC nanoseconds. */
struct rg_proc {
	uint32_t pid, ppid, uid, gid, auid, session;
	const char *comm, *exe;
	const char *args;	/* NUL-separated, as /proc/PID/cmdline */
	size_t args_len;
	uint64_t start_ns;
	const char *user, *group, *login; /* names; NULL: none */
	size_t n_anc;		/* ancestors, parent first */
	struct pa_ancestor_info anc[RG_MAX_ANC];
};

/* A read account: one process reading one open. */
struct rg_account {
	uint64_t open_seq, account_seq;
	uint64_t bytes, calls;
	uint64_t first_ns, last_ns;
};

struct rg {
	struct pa_jw w;		/* the record just made */
	struct pa_host_info host;
	uint64_t seq;		/* metadata.sequence of the next record */
	uint64_t event_seq;	/* the kernel's event numbers */
	struct pa_path *path, *view;
	struct unit_event *ev;
};

static inline void rg_init(struct rg *g, const char *hostname, const char *log_id)
{
	memset(g, 0, sizeof(*g));
	pa_jw_init(&g->w);
	g->host.hostname = hostname;
	g->host.machine_id = "3d1219c7c4c5404aaa1f6d2a48adfda4";
	g->host.boot_id = "e53f9637-eb36-4cbf-9aa8-bcc900023565";
	g->host.log_id = log_id;
	g->seq = 1;
	g->event_seq = 1;
	g->path = calloc(1, sizeof(*g->path));
	g->view = calloc(1, sizeof(*g->view));
	g->ev = calloc(1, sizeof(*g->ev));
	if (!g->path || !g->view || !g->ev)
		abort();
}

static inline void rg_free(struct rg *g)
{
	pa_jw_free(&g->w);
	free(g->path);
	free(g->view);
	free(g->ev);
}

/* "patients/1234/chart.txt" -> "chart.txt\0" "1234\0" "patients\0" + tail
 * (the kernel's leaf-first names); returns the length. */
static inline size_t rg_names(const char *rel, const char *tail, size_t tail_len, char *out)
{
	size_t n = strlen(rel), len = 0;

	while (n > 0) {
		size_t start = n;

		while (start > 0 && rel[start - 1] != '/')
			start--;
		memcpy(out + len, rel + start, n - start);
		len += n - start;
		out[len++] = '\0';
		n = start ? start - 1 : 0;
	}
	memcpy(out + len, tail, tail_len);
	return len + tail_len;
}

static inline void rg_proc_event(struct pa_proc *p, const struct rg_proc *rp)
{
	unit_proc_defaults(p);
	p->tgid = p->tid = rp->pid;
	p->ppid = rp->ppid;
	p->uid = p->euid = rp->uid;
	p->gid = p->egid = rp->gid;
	p->auid = rp->auid;
	p->sessionid = rp->session;
	memset(p->comm, 0, sizeof(p->comm));
	strncpy(p->comm, rp->comm, sizeof(p->comm) - 1);
}

static inline void rg_details(const struct rg_proc *rp, struct pa_process_details *d,
			      struct pa_identity *who)
{
	memset(d, 0, sizeof(*d));
	d->exe = rp->exe;
	d->exe_len = rp->exe ? strlen(rp->exe) : 0;
	d->args = rp->args;
	d->args_len = rp->args_len;
	d->source = "exec";
	d->n_ancestors = rp->n_anc;
	memcpy(d->anc, rp->anc, sizeof(rp->anc));
	who->user = rp->user;
	who->group = rp->group;
	who->login = rp->login;
}

/*
 * An Open record of @rel (below RG_WATCH) by @rp at @t; @err 0 for a
 * successful open, or an errno for a denied one (EACCES). Returns the
 * open's event number, which its Read records name.
 */
static inline uint64_t rg_open(struct rg *g, const struct rg_proc *rp, const char *rel, int err,
			       uint64_t t)
{
	static const char tail[] = "phi\0srv\0";
	struct pa_open_event tmpl;
	struct pa_process_details d;
	struct pa_identity who;
	struct pa_open_view v;
	struct pa_open_record r = { .v = &v };
	char rel_names[PA_DATA_MAX], view_names[PA_DATA_MAX];
	size_t rl, vl;
	uint64_t seq = g->event_seq++;

	unit_event_defaults(&tmpl);
	rg_proc_event(&tmpl.proc, rp);
	tmpl.hdr.seq = seq;
	tmpl.file_ino = 10985473 + seq;
	rl = rg_names(rel, "", 0, rel_names);
	vl = rg_names(rel, tail, sizeof(tail) - 1, view_names);
	if (err) {
		tmpl.ret = -err;
		tmpl.file_ino = tmpl.file_dev = tmpl.file_mode = 0;
		tmpl.track = 0;
		tmpl.path_flags = PA_PATH_FROM_USER;
		unit_event_build(g->ev, &tmpl, rel, strlen(rel) + 1, "", 0, tail, sizeof(tail) - 1);
	} else {
		unit_event_build(g->ev, &tmpl, "", 0, rel_names, rl, view_names, vl);
	}
	if (pa_decode_open(g->ev->raw, g->ev->size, &v))
		abort();
	r.process_path = pa_open_paths(&v, RG_WATCH, g->path, g->view) ? g->view : NULL;
	rg_details(rp, &d, &who);
	r.time_ns = t;
	r.proc_start_ns = rp->start_ns;
	r.record_seq = g->seq++;
	r.path = g->path;
	r.watch_path = RG_WATCH;
	r.who = &who;
	r.details = &d;
	pa_jw_reset(&g->w);
	pa_ocsf_open(&g->w, &g->host, &r);
	return seq;
}

/* A Read record of account @a: final with @reason (PA_READ_CLOSE, ...), or
 * progress (PA_READ_PROGRESS). Its time is the account's last read. */
static inline void rg_read(struct rg *g, const struct rg_proc *rp, const char *rel,
			   const struct rg_account *a, unsigned int reason)
{
	struct pa_read_event ev;
	struct pa_process_details d;
	struct pa_identity who;
	struct pa_read_record r = { .ev = &ev };
	char path[4096];

	unit_read_defaults(&ev);
	rg_proc_event(&ev.proc, rp);
	ev.hdr.seq = g->event_seq++;
	ev.open_seq = a->open_seq;
	ev.account_seq = a->account_seq;
	ev.bytes = a->bytes;
	ev.calls = a->calls;
	ev.file_ino = 10985473 + a->open_seq;
	ev.reason = (uint8_t)reason;
	ev.final = reason != PA_READ_PROGRESS;
	snprintf(path, sizeof(path), RG_WATCH "/%s", rel);
	rg_details(rp, &d, &who);
	r.time_ns = a->last_ns;
	r.first_ns = a->first_ns;
	r.last_ns = a->last_ns;
	r.proc_start_ns = rp->start_ns;
	r.record_seq = g->seq++;
	r.path = path;
	r.path_len = strlen(path);
	r.file_mode = 0100640;
	r.watch_path = RG_WATCH;
	r.who = &who;
	r.details = &d;
	pa_jw_reset(&g->w);
	pa_ocsf_read(&g->w, &g->host, &r);
}

/* The agent's Start and Stop records; @name another 6002/99 one ("Loss"). */
static inline void rg_start(struct rg *g, uint64_t t, uint32_t agent_pid)
{
	pa_jw_reset(&g->w);
	pa_ocsf_agent_begin(&g->w, &g->host, t, g->seq++, PA_AGENT_START, "Start",
			    "phiauditd started");
	pa_jw_u64(&g->w, "pid", agent_pid);
	pa_jw_str(&g->w, "hook", "tp_btf");
	pa_jw_arr_open(&g->w, "watches");
	pa_jw_obj_open(&g->w, NULL);
	pa_jw_u64(&g->w, "id", 1);
	pa_jw_str(&g->w, "path", RG_WATCH);
	pa_jw_obj_close(&g->w);
	pa_jw_arr_close(&g->w);
	pa_ocsf_agent_end(&g->w);
}

static inline void rg_stop(struct rg *g, uint64_t t)
{
	pa_jw_reset(&g->w);
	pa_ocsf_agent_begin(&g->w, &g->host, t, g->seq++, PA_AGENT_STOP, "Stop",
			    "phiauditd stopped");
	pa_jw_u64(&g->w, "events_received", g->event_seq - 1);
	pa_ocsf_agent_end(&g->w);
}

static inline void rg_loss(struct rg *g, uint64_t t, uint64_t ringbuf_full)
{
	pa_jw_reset(&g->w);
	pa_ocsf_agent_begin(&g->w, &g->host, t, g->seq++, PA_AGENT_OTHER, "Loss",
			    "events or records were lost or inexact");
	pa_jw_obj_open(&g->w, "since_last");
	pa_jw_u64(&g->w, "ringbuf_full", ringbuf_full);
	pa_jw_u64(&g->w, "files_full", 0);
	pa_jw_obj_close(&g->w);
	pa_jw_u64(&g->w, "events_missing_by_sequence", 0);
	pa_ocsf_agent_end(&g->w);
}

/* A bulk-read alert: a Detection Finding, Create, as the agent writes it. */
static inline void rg_alert(struct rg *g, const struct rg_proc *rp, uint64_t t, uint64_t files,
			    const char *const *samples, size_t n_samples)
{
	struct pa_jw *w = &g->w;
	char text[256], iso[48], uid[64];

	pa_jw_reset(w);
	pa_jw_obj_open(w, NULL);
	pa_format_time(iso, sizeof(iso), t);
	pa_jw_u64(w, "time", t / RG_NS_MS);
	pa_jw_str(w, "time_dt", iso);
	pa_jw_i64(w, "class_uid", 2004);
	pa_jw_str(w, "class_name", "Detection Finding");
	pa_jw_i64(w, "category_uid", 2);
	pa_jw_str(w, "category_name", "Findings");
	pa_jw_i64(w, "activity_id", 1);
	pa_jw_str(w, "activity_name", "Create");
	pa_jw_i64(w, "type_uid", 200401);
	pa_jw_str(w, "type_name", "Detection Finding: Create");
	pa_jw_i64(w, "severity_id", 4);
	pa_jw_str(w, "severity", "High");
	pa_jw_i64(w, "status_id", 1);
	pa_jw_str(w, "status", "New");
	snprintf(text, sizeof(text), "process %s (pid %u) read %llu files", rp->comm, rp->pid,
		 (unsigned long long)files);
	pa_jw_str(w, "message", text);
	pa_jw_obj_open(w, "finding_info");
	snprintf(uid, sizeof(uid), "%s-f1", g->host.log_id);
	pa_jw_str(w, "uid", uid);
	snprintf(text, sizeof(text), "Bulk read of watched files: %llu files or more within 1 min "
		 "by process %s (pid %u)", (unsigned long long)files, rp->comm, rp->pid);
	pa_jw_str(w, "title", text);
	pa_jw_obj_close(w);
	pa_jw_obj_open(w, "actor");
	pa_jw_obj_open(w, "process");
	pa_jw_u64(w, "pid", rp->pid);
	pa_jw_u64(w, "tid", rp->pid);
	pa_jw_str(w, "name", rp->comm);
	pa_jw_u64(w, "created_time", rp->start_ns / RG_NS_MS);
	pa_jw_obj_open(w, "parent_process");
	pa_jw_u64(w, "pid", rp->ppid);
	pa_jw_obj_close(w);
	pa_jw_obj_close(w);
	pa_jw_obj_open(w, "user");
	snprintf(text, sizeof(text), "%u", rp->uid);
	pa_jw_str(w, "uid", text);
	if (rp->user)
		pa_jw_str(w, "name", rp->user);
	pa_jw_obj_close(w);
	pa_jw_obj_close(w);
	pa_jw_obj_open(w, "device");
	pa_jw_str(w, "hostname", g->host.hostname);
	pa_jw_obj_close(w);
	pa_jw_obj_open(w, "metadata");
	snprintf(uid, sizeof(uid), "%s-%llu", g->host.log_id, (unsigned long long)g->seq);
	pa_jw_str(w, "uid", uid);
	pa_jw_u64(w, "sequence", g->seq++);
	pa_jw_obj_close(w);
	pa_jw_obj_open(w, "unmapped");
	pa_jw_str(w, "scope", "process");
	pa_jw_u64(w, "files", files);
	pa_jw_arr_open(w, "sample_paths");
	for (size_t i = 0; i < n_samples; i++)
		pa_jw_str(w, NULL, samples[i]);
	pa_jw_arr_close(w);
	if (rp->auid != (uint32_t)-1)
		pa_jw_u64(w, "auid", rp->auid);
	if (rp->login)
		pa_jw_str(w, "auid_name", rp->login);
	pa_jw_obj_close(w);
	pa_jw_obj_close(w);
	pa_jw_newline(w);
}

#endif
