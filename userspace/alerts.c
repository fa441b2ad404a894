// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "alerts.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "agent.h"
#include "clock.h"
#include "finding.h"
#include "log.h"
#include "sink_syslog.h"

#define SEC 1000000000ull

/* Exe, user name and local time of day of @o's process: only wanted when
 * it crosses a threshold and allowances exist (pa_det_obs.resolve). */
static void resolve(void *ctx, struct pa_det_obs *o)
{
	struct pa_agent *a = ctx;
	struct pa_alerts *al = &a->alerts;
	struct pa_process_details d;
	struct pa_who who;
	time_t t = (time_t)(pa_boot_to_utc(a->clock_offset, o->now_ns) / SEC);
	struct tm tm;

	pa_enrich_describe(&a->enrich, o->proc, &d);
	/* A cut-short program name must not match an allowance by accident. */
	if (d.exe && !d.exe_truncated && d.exe_len < sizeof(al->exe)) {
		memcpy(al->exe, d.exe, d.exe_len);
		al->exe[d.exe_len] = '\0';
		o->exe = al->exe;
	}
	pa_enrich_who(&a->enrich, o->proc, &who);
	if (who.id.user) {
		snprintf(al->user, sizeof(al->user), "%s", who.id.user);
		o->user = al->user;
	}
	if (localtime_r(&t, &tm))
		o->tod_min = tm.tm_hour * 60 + tm.tm_min;
}

static bool in_container(struct pa_agent *a, uint64_t cgroup_id, uint64_t now_ns)
{
	const struct pa_cgroup_entry *cg;

	if (!a->alerts.cfg->scope[PA_DET_CONTAINER].enabled)
		return false;
	cg = pa_cgroup_find(&a->enrich.cgroups, cgroup_id, now_ns);
	return cg && cg->container_id[0];
}

static void observe(struct pa_agent *a, struct pa_det_obs *o)
{
	o->in_container = in_container(a, o->proc->cgroup_id, o->now_ns);
	o->resolve = resolve;
	o->resolve_ctx = a;
	pa_det_observe(&a->alerts.det, o);
}

void pa_alerts_open(struct pa_agent *a, const struct pa_open_view *v, const struct pa_path *path)
{
	const struct pa_open_event *ev = v->ev;
	struct pa_det_obs o = { 0 };

	/* Files read, not touched: a write-only open, an O_PATH handle or a
	 * directory (find, ls) is no read of patient data, and a file found
	 * open at start was opened before we could count it. */
	if (!a->alerts.cfg->enabled || ev->ret < 0 || !ev->file_ino ||
	    (ev->track & PA_TRACK_DISCOVERED) || (ev->flags & O_ACCMODE) == O_WRONLY ||
	    (ev->flags & O_PATH) || S_ISDIR(ev->file_mode))
		return;
	o.now_ns = ev->hdr.ktime_ns;
	o.proc = &ev->proc;
	o.file_dev = ev->file_dev;
	o.file_ino = ev->file_ino;
	o.counts_file = true;
	o.path = path->s;
	o.path_len = path->len;
	observe(a, &o);
}

void pa_alerts_read(struct pa_agent *a, const struct pa_read_event *ev,
		    const struct pa_open_info *o)
{
	struct pa_det_obs obs = { 0 };
	uint64_t delta;

	/* accounts are followed even with detection off: turned on by a
	 * reload, it must not count what was read before as read now */
	delta = pa_det_account_delta(&a->alerts.det, ev->account_seq, ev->bytes, ev->final);
	if (!delta || !a->alerts.cfg->enabled)
		return;
	obs.now_ns = ev->hdr.ktime_ns ? ev->hdr.ktime_ns : pa_clock_boot_ns();
	obs.proc = &ev->proc;
	obs.file_dev = ev->file_dev;
	obs.file_ino = ev->file_ino;
	obs.counts_file = true;
	obs.bytes = delta;
	obs.account_bytes = ev->bytes;
	if (o) {
		obs.path = o->path;
		obs.path_len = o->path_len;
	}
	observe(a, &obs);
}

static void log_alert(const struct pa_finding_record *r, const char *title)
{
	const struct pa_det_finding *f = r->f;

	char uid[96];

	pa_finding_uid(uid, sizeof(uid), r);
	if (f->kind == PA_DET_ALERT && !r->dry_run && !f->allowed)
		pa_warn("ALERT %s: %s", uid, title);
	else if (f->kind == PA_DET_ALERT)
		pa_info("%s %s: %s%s%s", r->dry_run ? "[dry run]" : "[allowed]", uid, title,
			f->allowed ? "; allowed by " : "", f->allowed ? f->allowed->name : "");
	else
		pa_info("bulk-read episode %s over: %" PRIu64 " files, %" PRIu64 " bytes", uid,
			f->episode_files, f->episode_bytes);
}

static void run_exec(struct pa_agent *a, const struct pa_finding_record *r)
{
	char uid[96];
	int rc;

	pa_finding_uid(uid, sizeof(uid), r);
	rc = pa_alert_exec_run(&a->alerts.exec, a->jw.buf, a->jw.len, uid, pa_clock_boot_ns());
	if (rc == -EBUSY)
		pa_warn("--alert-exec: %d still running; not run for finding %s",
			PA_ALERT_EXEC_MAX, uid);
	else if (rc)
		pa_warn("--alert-exec %s: %s", a->alerts.exec.cmd, strerror(-rc));
}

/*
 * The alert's process details, kept for its episode's end: by then the
 * process has usually exited and left the process table. Episodes are few;
 * a list searched by finding id is enough.
 */
static struct pa_kept_actor *kept_find(struct pa_alerts *al, uint64_t id)
{
	for (struct pa_kept_actor *k = al->kept; k; k = k->next)
		if (k->id == id)
			return k;
	return NULL;
}

static void kept_add(struct pa_alerts *al, uint64_t id, const struct pa_process_details *d)
{
	struct pa_kept_actor *k = calloc(1, sizeof(*k));

	if (!k || pa_enrich_keep(d, &k->details)) {
		free(k); /* the end then says what is known by then */
		return;
	}
	k->id = id;
	k->next = al->kept;
	al->kept = k;
}

static void kept_del(struct pa_alerts *al, uint64_t id)
{
	for (struct pa_kept_actor **pp = &al->kept; *pp; pp = &(*pp)->next) {
		struct pa_kept_actor *k = *pp;

		if (k->id == id) {
			*pp = k->next;
			pa_enrich_kept_free(&k->details);
			free(k);
			return;
		}
	}
}

static const struct pa_process_details *actor_details(struct pa_agent *a,
						      const struct pa_det_finding *f,
						      struct pa_process_details *d)
{
	struct pa_kept_actor *k = f->kind == PA_DET_END ? kept_find(&a->alerts, f->id) : NULL;

	if (k)
		return &k->details.d;
	pa_enrich_describe(&a->enrich, &f->actor, d);
	if (f->kind == PA_DET_ALERT)
		kept_add(&a->alerts, f->id, d);
	return d;
}

static void on_finding(void *ctx, const struct pa_det_finding *f)
{
	struct pa_agent *a = ctx;
	struct pa_finding_record r = { .f = f };
	struct pa_process_details d;
	struct pa_who who;
	char title[320];
	int64_t off = a->clock_offset;

	r.time_ns = pa_boot_to_utc(off, f->kind == PA_DET_ALERT ? f->alert_ns : pa_clock_boot_ns());
	r.first_ns = pa_boot_to_utc(off, f->first_ns);
	r.alert_ns = pa_boot_to_utc(off, f->alert_ns);
	r.last_ns = pa_boot_to_utc(off, f->last_ns);
	r.proc_start_ns = pa_boot_to_utc(off, f->actor.start_ns);
	r.record_seq = ++a->record_seq;
	r.log_id = a->host.log_id;
	r.who = pa_enrich_who(&a->enrich, &f->actor, &who);
	r.details = actor_details(a, f, &d);
	r.dry_run = a->alerts.dry_run;
	pa_ocsf_finding(&a->jw, &a->host, &r);
	pa_finding_title(title, sizeof(title), &r);
	log_alert(&r, title);
	if (f->kind == PA_DET_ALERT && pa_finding_severity(&r) == LOG_ALERT)
		run_exec(a, &r);
	pa_agent_emit(a, pa_finding_severity(&r));
	if (f->kind == PA_DET_END)
		kept_del(&a->alerts, f->id);
}

void pa_alerts_start(struct pa_agent *a)
{
	char err[4096];

	a->alerts.cfg = &a->config->det;
	a->alerts.dry_run = a->opt->detect_dry_run;
	if (a->opt->alert_exec) {
		if (pa_alert_exec_check(a->opt->alert_exec, 0, err, sizeof(err)))
			pa_fatal("%s", err);
		a->alerts.exec.cmd = a->opt->alert_exec;
		a->alerts.exec.timeout_ns = a->opt->alert_exec_timeout_s * SEC;
	}
	if (pa_det_init(&a->alerts.det, a->alerts.cfg, on_finding, a))
		pa_fatal("bulk-read detection: out of memory");
	if (!a->alerts.cfg->enabled)
		pa_info("bulk-read detection is off");
	else if (a->alerts.dry_run)
		pa_info("bulk-read detection in dry run: findings are logged, nobody is alerted");
}

/* Once, when alerts first fail to reach syslog (no daemon on /dev/log,
 * a relay down): they are still in the audit log, and counted. */
static void check_syslog(struct pa_agent *a)
{
	struct pa_syslog_stats ss;

	if (!a->syslog || a->alerts.syslog_warned)
		return;
	pa_sink_syslog_stats(a->syslog, &ss);
	/* a failed connect alone (no daemon, nothing to say yet) is no news */
	if (!ss.pending && !ss.dropped_overflow && !ss.dropped_oversize)
		return;
	a->alerts.syslog_warned = true;
	pa_warn("--alert-syslog %s: alerts are not getting through (%s); they are in the audit "
		"log, and the Stop record counts what syslog missed", a->opt->alert_syslog,
		ss.last_error ? strerror(ss.last_error) : "message dropped");
}

void pa_alerts_tick(struct pa_agent *a, uint64_t now_ns)
{
	pa_alert_exec_reap(&a->alerts.exec, now_ns);
	check_syslog(a);
	if (now_ns < a->alerts.next_tick_ns)
		return;
	a->alerts.next_tick_ns = now_ns + SEC / 4;
	pa_det_tick(&a->alerts.det, now_ns);
}

void pa_alerts_reconfigure(struct pa_agent *a, const struct pa_det_config *det)
{
	struct pa_det_stats kept;
	uint64_t next_id;

	struct pa_detector *d = &a->alerts.det;
	struct pa_det_account **acct;
	size_t acct_cap, acct_n;

	pa_det_finish_why(d, pa_clock_boot_ns(), PA_DET_END_RELOAD);
	kept = d->stats;
	next_id = d->next_id; /* finding ids stay unique in the log */
	/* The read accounts carry over: each one's next report must count
	 * only what was read since its last, or a reload would count a long
	 * reader's whole history again. */
	acct = d->acct;
	acct_cap = d->acct_cap;
	acct_n = d->acct_n;
	d->acct = NULL;
	d->acct_cap = d->acct_n = 0;
	pa_det_free(d);
	a->alerts.cfg = det;
	if (pa_det_init(d, det, on_finding, a))
		pa_fatal("bulk-read detection: out of memory");
	free(d->acct);
	d->acct = acct;
	d->acct_cap = acct_cap;
	d->acct_n = acct_n;
	/* the counts run on across reloads (Stop record, status) */
	a->alerts.det.stats = kept;
	a->alerts.det.next_id = next_id;
	a->alerts.det.stats.subjects = 0;
}

void pa_alerts_stop(struct pa_agent *a)
{
	pa_det_finish(&a->alerts.det, pa_clock_boot_ns());
	pa_alert_exec_stop(&a->alerts.exec, 2 * SEC);
}

void pa_alerts_write_stats(struct pa_agent *a)
{
	const struct pa_det_stats *s = &a->alerts.det.stats;
	const struct pa_alert_exec *x = &a->alerts.exec;
	struct pa_jw *w = &a->jw;

	pa_jw_obj_open(w, "detection");
	pa_jw_bool(w, "enabled", a->alerts.cfg->enabled);
	pa_jw_bool(w, "dry_run", a->alerts.dry_run);
	pa_jw_u64(w, "alerts", s->alerts);
	pa_jw_u64(w, "allowed", s->allowed);
	pa_jw_u64(w, "episodes_ended", s->ended);
	pa_jw_u64(w, "subjects_peak", s->subjects_peak);
	pa_jw_u64(w, "subjects_evicted", s->subjects_evicted);
	pa_jw_u64(w, "accounts_evicted", s->accounts_evicted);
	pa_jw_u64(w, "nomem", s->nomem);
	/* every alert is sent, dropped (counted here) or still queued */
	if (a->syslog)
		pa_agent_write_syslog_stats(a, "alert_syslog", a->syslog, a->opt->alert_syslog);
	if (x->cmd) {
		pa_jw_obj_open(w, "alert_exec");
		pa_jw_u64(w, "started", x->started);
		pa_jw_u64(w, "succeeded", x->succeeded);
		pa_jw_u64(w, "failed", x->failed);
		pa_jw_u64(w, "timed_out", x->timed_out);
		pa_jw_u64(w, "skipped_busy", x->skipped);
		pa_jw_u64(w, "spawn_errors", x->spawn_errors);
		pa_jw_obj_close(w);
	}
	pa_jw_obj_close(w);
}

void pa_alerts_free(struct pa_agent *a)
{
	while (a->alerts.kept)
		kept_del(&a->alerts, a->alerts.kept->id);
	pa_det_free(&a->alerts.det);
}
