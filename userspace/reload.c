// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * SIGHUP: read the config files again and apply what may change while the
 * programs run: the watch set (map updates; the programs stay attached, so
 * no event in flight is lost), detection settings, and the other options
 * the table marks reloadable. A config that does not load, or names a
 * watch that cannot be added, changes nothing: the running settings stay.
 * Either way the reload is a record.
 */
#include "reload.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "log.h"

/* The canonical paths of @o's watches, then of its exclusions, as the
 * watch set keeps them; 0, or -1 with the first that is not a directory. */
static int canonical_entry(const char *path, char *out, const char *what, char *err,
			   size_t errlen)
{
	struct stat st;

	errno = 0;
	if (!realpath(path, out) || stat(out, &st) || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s %s: %s", what, path,
			 errno ? strerror(errno) : "not a directory");
		return -1;
	}
	return 0;
}

static int canonical_watches(const struct pa_options *o, char (*out)[PATH_MAX], char *err,
			     size_t errlen)
{
	for (size_t i = 0; i < o->watch.n; i++)
		if (canonical_entry(o->watch.v[i], out[i], "watch", err, errlen))
			return -1;
	for (size_t i = 0; i < o->exclude.n; i++)
		if (canonical_entry(o->exclude.v[i], out[o->watch.n + i], "exclude", err, errlen))
			return -1;
	return 0;
}

/* The wanted set: want[0..n_watch) watches, want[n_watch..n) exclusions. */
struct wanted {
	char (*path)[PATH_MAX];
	size_t n_watch, n;
};

static bool wanted_has(const struct wanted *w, const char *path, bool excluded)
{
	for (size_t i = excluded ? w->n_watch : 0; i < (excluded ? w->n : w->n_watch); i++)
		if (!strcmp(w->path[i], path))
			return true;
	return false;
}

struct changes {
	const char *added[2 * PA_MAX_CLI_WATCHES], *removed[PA_MAX_WATCHES];
	size_t n_added, n_removed;
	bool detection;
	const char *restart[64]; /* options that change only at a restart */
	size_t n_restart;
};

static char removed_paths[PA_MAX_WATCHES][PATH_MAX];

static void remove_entry(struct pa_agent *a, const char *path, struct changes *ch)
{
	snprintf(removed_paths[ch->n_removed], PATH_MAX, "%s", path);
	ch->removed[ch->n_removed] = removed_paths[ch->n_removed];
	ch->n_removed++;
	pa_watch_remove(&a->watches, &a->bpf, removed_paths[ch->n_removed - 1]);
}

/* Remove what is not wanted as it is: @mismatched only the entries wanted
 * as the other kind (a watch now excluded, or the reverse), else the rest. */
static void remove_unwanted(struct pa_agent *a, const struct wanted *w, bool mismatched,
			    struct changes *ch)
{
	for (size_t i = 0; i < a->watches.n;) {
		const struct pa_watch *e = a->watches.w[i];
		bool keep = wanted_has(w, e->path, e->excluded);

		if (keep || (mismatched && !wanted_has(w, e->path, !e->excluded))) {
			i++;
			continue;
		}
		remove_entry(a, e->path, ch);
	}
}

/* Watches and exclusions: the new ones added first, then the old ones
 * removed, so that a failure (a directory gone, no file descriptors left)
 * is undone by removing only what this reload added: removing cannot fail
 * for want of resources, and the running set is left as it was. (An entry
 * that changes kind is removed first: that one is not put back.) */
static int apply_watches(struct pa_agent *a, const struct wanted *w, struct changes *ch,
			 char *err, size_t errlen)
{
	remove_unwanted(a, w, true, ch);
	for (size_t i = 0; i < w->n; i++) {
		bool excl = i >= w->n_watch;
		int rc = excl ? pa_watch_exclude(&a->watches, &a->bpf, w->path[i], err, errlen)
			      : pa_watch_add(&a->watches, &a->bpf, w->path[i], err, errlen);

		if (rc < 0) {
			for (size_t k = 0; k < ch->n_added; k++)
				pa_watch_remove(&a->watches, &a->bpf, ch->added[k]);
			ch->n_added = 0;
			return rc;
		}
		if (rc == 0)
			ch->added[ch->n_added++] = w->path[i];
	}
	remove_unwanted(a, w, false, ch);
	return 0;
}

static bool option_equal(const struct pa_option *opt, const struct pa_options *x,
			 const struct pa_options *y)
{
	const void *fx = (const char *)x + opt->offset, *fy = (const char *)y + opt->offset;
	const char *sx, *sy;

	switch (opt->type) {
	case PA_OPT_STRING:
		sx = *(const char *const *)fx;
		sy = *(const char *const *)fy;
		return sx == sy || (sx && sy && !strcmp(sx, sy));
	case PA_OPT_FLAG:
		return *(const bool *)fx == *(const bool *)fy;
	case PA_OPT_UINT:
	case PA_OPT_ENUM:
		return *(const uint64_t *)fx == *(const uint64_t *)fy;
	case PA_OPT_PATH_LIST:
		return true; /* the watch set: applied apart */
	}
	return true;
}

/* What only a restart changes keeps its running value, and is named. */
static void keep_unreloadable(const struct pa_options *old, struct pa_options *new,
			      struct changes *ch)
{
	for (const struct pa_option *opt = pa_option_table; opt->name; opt++) {
		size_t size = opt->type == PA_OPT_STRING ? sizeof(const char *)
			    : opt->type == PA_OPT_FLAG	 ? sizeof(bool)
							 : sizeof(uint64_t);

		if (opt->reloadable || opt->cli_only || opt->type == PA_OPT_PATH_LIST ||
		    option_equal(opt, old, new))
			continue;
		memcpy((char *)new + opt->offset, (const char *)old + opt->offset, size);
		if (ch->n_restart < 64)
			ch->restart[ch->n_restart++] = opt->name;
	}
}

static bool allow_equal(const struct pa_det_allow *x, const struct pa_det_allow *y)
{
	return !strcmp(x->name, y->name) && !strcmp(x->exe, y->exe) && !strcmp(x->user, y->user) &&
	       x->from_min == y->from_min && x->to_min == y->to_min && x->scopes == y->scopes;
}

static bool detection_equal(const struct pa_det_config *x, const struct pa_det_config *y)
{
	if (x->enabled != y->enabled || x->sample_paths != y->sample_paths ||
	    x->max_subjects != y->max_subjects || x->max_files != y->max_files ||
	    x->max_accounts != y->max_accounts || x->n_allow != y->n_allow ||
	    memcmp(x->scope, y->scope, sizeof(x->scope)))
		return false;
	for (size_t i = 0; i < x->n_allow; i++)
		if (!allow_equal(&x->allow[i], &y->allow[i]))
			return false;
	return true;
}

static void write_list(struct pa_jw *w, const char *key, const char *const *v, size_t n)
{
	pa_jw_arr_open(w, key);
	for (size_t i = 0; i < n; i++)
		pa_jw_str(w, NULL, v[i]);
	pa_jw_arr_close(w);
}

static void record_failure(struct pa_agent *a, const char *err)
{
	pa_warn("SIGHUP: the new config was not applied; the running one stays: %s", err);
	pa_agent_record_begin(a, PA_AGENT_OTHER, "Config Reload Failed",
			      "the config files have errors: nothing changed");
	pa_jw_str(&a->jw, "config", a->config->main_path);
	pa_jw_str(&a->jw, "errors", err);
	pa_ocsf_agent_end(&a->jw);
	pa_agent_emit(a, LOG_WARNING);
}

static void record_success(struct pa_agent *a, const struct changes *ch)
{
	pa_info("SIGHUP: config reloaded: %zu watch%s added, %zu removed, detection %s%s",
		ch->n_added, ch->n_added == 1 ? "" : "es", ch->n_removed,
		ch->detection ? "changed" : "unchanged",
		ch->n_restart ? "; some settings change only at a restart (see the record)" : "");
	pa_agent_record_begin(a, PA_AGENT_OTHER, "Config Reloaded", "SIGHUP: config reloaded");
	pa_jw_str(&a->jw, "config", a->config->main_path);
	/* watched and excluded directories alike (the Watch Set in the Start
	 * record and status say which is which) */
	write_list(&a->jw, "watches_added", ch->added, ch->n_added);
	write_list(&a->jw, "watches_removed", ch->removed, ch->n_removed);
	pa_jw_bool(&a->jw, "detection_changed", ch->detection);
	write_list(&a->jw, "restart_needed", ch->restart, ch->n_restart);
	pa_ocsf_agent_end(&a->jw);
	pa_agent_emit(a, LOG_NOTICE);
}

/* Check what the config cannot show by itself: the watches exist, the
 * alert program is fit to run. */
static int validate(struct pa_config *n, char (*want)[PATH_MAX], char *err, size_t errlen)
{
	if (pa_options_check(&n->opt)) {
		snprintf(err, errlen, "the options are inconsistent (see the agent's log)");
		return -1;
	}
	if (canonical_watches(&n->opt, want, err, errlen))
		return -1;
	if (n->opt.alert_exec && pa_alert_exec_check(n->opt.alert_exec, 0, err, errlen))
		return -1;
	return 0;
}

static void swap_in(struct pa_agent *a, struct pa_config *n, struct changes *ch)
{
	struct pa_config *old = a->config;

	ch->detection = !detection_equal(&old->det, &n->det);
	if (ch->detection)
		pa_alerts_reconfigure(a, &n->det);
	else
		a->alerts.det.cfg = a->alerts.cfg = &n->det;
	a->alerts.dry_run = n->opt.detect_dry_run;
	a->alerts.exec.cmd = n->opt.alert_exec; /* its running children are still reaped */
	if (n->opt.heartbeat_s != old->opt.heartbeat_s)
		a->next_heartbeat_ns = pa_clock_boot_ns() + n->opt.heartbeat_s * 1000000000ull;
	a->alerts.exec.timeout_ns = n->opt.alert_exec_timeout_s * 1000000000ull;
	pa_verbose = n->opt.verbose;
	a->config = n;
	a->opt = &n->opt;
	/* The old settings' strings may still be in use (a restart-only
	 * option kept its value): kept until the agent exits. */
	old->retired_next = a->retired;
	a->retired = old;
}

void pa_agent_reload(struct pa_agent *a)
{
	static char want[2 * PA_MAX_CLI_WATCHES][PATH_MAX];
	struct wanted w = { .path = want };
	struct pa_config *n = calloc(1, sizeof(*n));
	struct changes ch = { 0 };
	char err[8192];

	if (!n) {
		record_failure(a, "out of memory");
		return;
	}
	if (pa_config_load(n, a->cli, err, sizeof(err)) || validate(n, want, err, sizeof(err)) ||
	    (w.n_watch = n->opt.watch.n, w.n = w.n_watch + n->opt.exclude.n,
	     apply_watches(a, &w, &ch, err, sizeof(err)))) {
		record_failure(a, err);
		pa_config_free(n);
		free(n);
		return;
	}
	keep_unreloadable(a->opt, &n->opt, &ch);
	swap_in(a, n, &ch);
	record_success(a, &ch);
}
