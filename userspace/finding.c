// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "finding.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "ocsf_parts.h"

#define SEC 1000000000ull

void pa_format_bytes(char *buf, size_t n, uint64_t bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	unsigned u = 0;

	if (bytes < 1024) {
		snprintf(buf, n, "%" PRIu64 " B", bytes);
		return;
	}
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(buf, n, "%.1f %s", v, unit[u]);
}

static bool is_alert(const struct pa_finding_record *r)
{
	return !r->f->allowed && !r->dry_run;
}

int pa_finding_severity(const struct pa_finding_record *r)
{
	if (!is_alert(r))
		return LOG_INFO;
	return r->f->kind == PA_DET_ALERT ? LOG_ALERT : LOG_NOTICE;
}

static void format_window(char *buf, size_t n, uint64_t window_ns)
{
	uint64_t s = window_ns / SEC;

	if (s && s % 3600 == 0)
		snprintf(buf, n, "%" PRIu64 " h", s / 3600);
	else if (s && s % 60 == 0)
		snprintf(buf, n, "%" PRIu64 " min", s / 60);
	else
		snprintf(buf, n, "%.3g s", (double)window_ns / SEC);
}

/* Who the subject is, for people: "process tar (pid 1234)", "login user
 * drsmith (auid 1000)", ... */
static void subject_text(char *buf, size_t n, const struct pa_finding_record *r)
{
	const struct pa_det_finding *f = r->f;
	const struct pa_proc *p = &f->actor;
	const char *login = r->who && r->who->login ? r->who->login : NULL;
	const char *cid = r->details ? r->details->container_id : NULL;
	int comm = (int)strnlen(p->comm, sizeof(p->comm));

	switch (f->scope) {
	case PA_DET_USER:
		snprintf(buf, n, "login user %s (auid %u)", login ? login : "?", p->auid);
		break;
	case PA_DET_SESSION:
		snprintf(buf, n, "session %u of login user %s (auid %u)", p->sessionid,
			 login ? login : "?", p->auid);
		break;
	case PA_DET_CONTAINER:
		snprintf(buf, n, "container %.12s (cgroup %" PRIu64 ")", cid ? cid : "?",
			 (uint64_t)p->cgroup_id);
		break;
	default:
		snprintf(buf, n, "process %.*s (pid %u)", comm, p->comm, p->tgid);
	}
}

void pa_finding_title(char *title, size_t n, const struct pa_finding_record *r)
{
	const struct pa_det_finding *f = r->f;
	char subj[160], win[32], amount[64];

	subject_text(subj, sizeof(subj), r);
	format_window(win, sizeof(win), f->limits->window_ns);
	if (f->crossed_files)
		snprintf(amount, sizeof(amount), "%" PRIu64 " files", f->limits->files);
	else
		pa_format_bytes(amount, sizeof(amount), f->limits->bytes);
	snprintf(title, n, "%s: %s or more within %s by %s",
		 f->scope == PA_DET_FILE ? "Large read of one watched file"
					 : "Bulk read of watched files",
		 amount, win, subj);
}

static void write_title(struct pa_jw *w, const struct pa_finding_record *r)
{
	char title[320];

	pa_finding_title(title, sizeof(title), r);
	pa_jw_str(w, "title", title);
}

/* How long an episode ran, for people: "12 ms", "3.4 s", "2 min 5 s". */
static void format_duration(char *buf, size_t n, uint64_t ns)
{
	uint64_t s = ns / SEC;

	if (ns < SEC)
		snprintf(buf, n, "%" PRIu64 " ms", ns / 1000000);
	else if (s < 60)
		snprintf(buf, n, "%.1f s", (double)ns / SEC);
	else if (s < 3600)
		snprintf(buf, n, "%" PRIu64 " min %" PRIu64 " s", s / 60, s % 60);
	else
		snprintf(buf, n, "%" PRIu64 " h %" PRIu64 " min", s / 3600, s / 60 % 60);
}

/* The one-line story, with the figures a responder asks first. */
static void write_message(struct pa_jw *w, const struct pa_finding_record *r)
{
	const struct pa_det_finding *f = r->f;
	char subj[160], bytes[32], dur[32], msg[512];
	uint64_t files = f->kind == PA_DET_ALERT ? f->files : f->episode_files;

	subject_text(subj, sizeof(subj), r);
	pa_format_bytes(bytes, sizeof(bytes), f->kind == PA_DET_ALERT ? f->bytes : f->episode_bytes);
	format_duration(dur, sizeof(dur), r->last_ns > r->first_ns ? r->last_ns - r->first_ns : 0);
	snprintf(msg, sizeof(msg), "%s%s%s read %" PRIu64 " file%s (%s) in %s%s%s",
		 r->dry_run ? "[dry run] " : "", f->kind == PA_DET_END ? "Episode over: " : "",
		 subj, files, files == 1 ? "" : "s", bytes, dur,
		 f->allowed ? "; allowed by " : "", f->allowed ? f->allowed->name : "");
	pa_jw_str(w, "message", msg);
}

static void write_ms(struct pa_jw *w, const char *key, uint64_t utc_ns)
{
	char iso[48], k[48];

	pa_format_time(iso, sizeof(iso), utc_ns);
	pa_jw_u64(w, key, utc_ns / 1000000);
	snprintf(k, sizeof(k), "%s_dt", key);
	pa_jw_str(w, k, iso);
}

void pa_finding_uid(char *buf, size_t n, const struct pa_finding_record *r)
{
	if (r->log_id)
		snprintf(buf, n, "%s-f%" PRIu64, r->log_id, r->f->id);
	else
		snprintf(buf, n, "f%" PRIu64, r->f->id);
}

static void write_finding_info(struct pa_jw *w, const struct pa_finding_record *r)
{
	char uid[96], rule[48];

	pa_jw_obj_open(w, "finding_info");
	pa_finding_uid(uid, sizeof(uid), r);
	pa_jw_str(w, "uid", uid);
	write_title(w, r);
	pa_jw_arr_open(w, "types");
	pa_jw_str(w, NULL, r->f->scope == PA_DET_FILE ? "Large Read" : "Bulk Read");
	pa_jw_arr_close(w);
	write_ms(w, "first_seen_time", r->first_ns);
	write_ms(w, "last_seen_time", r->last_ns);
	pa_jw_obj_open(w, "analytic");
	snprintf(rule, sizeof(rule), "bulk_read.%s", pa_det_scope_name(r->f->scope));
	pa_jw_str(w, "name", rule);
	pa_jw_i64(w, "type_id", 1);
	pa_jw_str(w, "type", "Rule");
	pa_jw_obj_close(w);
	pa_jw_obj_close(w);
}

static void write_status(struct pa_jw *w, const struct pa_finding_record *r)
{
	bool quiet = !is_alert(r);
	int sev = quiet ? 1 : r->f->kind == PA_DET_ALERT ? 4 : 3;
	static const char *const sev_name[] = { "Unknown", "Informational", "Low", "Medium",
						"High" };

	pa_jw_i64(w, "severity_id", sev);
	pa_jw_str(w, "severity", sev_name[sev]);
	/* OCSF: 1 New, 3 Suppressed (an allowance, or a dry run) */
	pa_jw_i64(w, "status_id", quiet ? 3 : 1);
	pa_jw_str(w, "status", quiet ? "Suppressed" : "New");
}

static void write_limits(struct pa_jw *w, const struct pa_det_finding *f)
{
	pa_jw_str(w, "scope", pa_det_scope_name(f->scope));
	pa_jw_u64(w, "window_s", f->limits->window_ns / SEC);
	if (f->limits->files)
		pa_jw_u64(w, "threshold_files", f->limits->files);
	if (f->limits->bytes)
		pa_jw_u64(w, "threshold_bytes", f->limits->bytes);
	pa_jw_arr_open(w, "crossed");
	if (f->crossed_files)
		pa_jw_str(w, NULL, "files");
	if (f->crossed_bytes)
		pa_jw_str(w, NULL, "bytes");
	pa_jw_arr_close(w);
}

static void write_counts(struct pa_jw *w, const struct pa_finding_record *r)
{
	const struct pa_det_finding *f = r->f;
	static const char *const reasons[] = { "quiet", "evicted", "agent_stop", "reload" };

	pa_jw_u64(w, "files", f->files);
	pa_jw_u64(w, "bytes_read", f->bytes);
	if (f->kind == PA_DET_END) {
		pa_jw_u64(w, "episode_files", f->episode_files);
		pa_jw_u64(w, "episode_bytes_read", f->episode_bytes);
		pa_jw_u64(w, "episode_duration_ms",
			  r->last_ns > r->first_ns ? (r->last_ns - r->first_ns) / 1000000 : 0);
		pa_jw_str(w, "end_reason", reasons[f->end_reason]);
	}
	if (f->files_approximate)
		pa_jw_bool(w, "files_approximate", true);
	write_ms(w, "alert_time", r->alert_ns);
}

static void write_paths(struct pa_jw *w, const struct pa_det_finding *f)
{
	if (f->scope == PA_DET_FILE) {
		pa_ocsfw_inode_dev(w, f->file_ino, f->file_dev);
	}
	if (f->first_path)
		pa_jw_bytes(w, "first_file", f->first_path, f->first_path_len);
	if (f->last_path)
		pa_jw_bytes(w, "last_file", f->last_path, f->last_path_len);
	if (!f->n_sample)
		return;
	pa_jw_arr_open(w, "sample_paths");
	for (size_t i = 0; i < f->n_sample; i++)
		pa_jw_bytes(w, NULL, f->sample[i], f->sample_len[i]);
	pa_jw_arr_close(w);
}

static void write_unmapped(struct pa_jw *w, const struct pa_finding_record *r)
{
	const struct pa_det_finding *f = r->f;

	pa_jw_obj_open(w, "unmapped");
	write_limits(w, f);
	write_counts(w, r);
	write_paths(w, f);
	if (f->allowed)
		pa_jw_str(w, "allowance", f->allowed->name);
	if (r->dry_run)
		pa_jw_bool(w, "dry_run", true);
	pa_ocsfw_ids(w, &f->actor, r->who);
	pa_ocsfw_ancestry(w, r->details);
	pa_jw_u64(w, "cgroup_id", f->actor.cgroup_id);
	pa_jw_obj_close(w);
}

void pa_ocsf_finding(struct pa_jw *w, const struct pa_host_info *h,
		     const struct pa_finding_record *r)
{
	bool end = r->f->kind == PA_DET_END;

	pa_jw_obj_open(w, NULL);
	pa_ocsfw_time(w, r->time_ns);
	pa_ocsfw_class(w, 2004, "Detection Finding", 2, "Findings", end ? 3 : 1,
		       end ? "Close" : "Create");
	write_status(w, r);
	write_message(w, r);
	write_finding_info(w, r);
	pa_ocsfw_actor(w, &r->f->actor, r->proc_start_ns, r->who, r->details);
	pa_ocsfw_device(w, h);
	pa_ocsfw_metadata(w, h, r->record_seq);
	write_unmapped(w, r);
	pa_jw_obj_close(w);
	pa_jw_newline(w);
}
