// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "enrich.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "opens.h"

void pa_enrich_init(struct pa_enrich *e, const int64_t *clock_offset, const char *proc_root,
		    const char *cgroup_root, pa_name_lookup_fn lookup)
{
	memset(e, 0, sizeof(*e));
	e->clock_offset = clock_offset;
	pa_names_init(&e->names, lookup);
	pa_procs_init(&e->procs, proc_root);
	pa_cgroups_init(&e->cgroups, cgroup_root);
}

/* One line of an id file (machine-id, boot_id), without its newline. */
static bool read_id_file(const char *path, char *out, size_t outlen)
{
	FILE *f = fopen(path, "re");
	bool ok = false;

	if (!f)
		return false;
	if (fgets(out, (int)outlen, f)) {
		out[strcspn(out, "\n")] = '\0';
		ok = out[0] != '\0';
	}
	fclose(f);
	return ok;
}

void pa_host_read_ids(struct pa_host_info *h, char machine_id[64], char boot_id[64])
{
	if (read_id_file("/etc/machine-id", machine_id, 64))
		h->machine_id = machine_id;
	if (read_id_file("/proc/sys/kernel/random/boot_id", boot_id, 64))
		h->boot_id = boot_id;
}

void pa_enrich_free(struct pa_enrich *e)
{
	pa_procs_free(&e->procs);
	pa_cgroups_free(&e->cgroups);
}


static const char *name_into(struct pa_enrich *a, enum pa_name_kind kind, uint32_t id,
			     uint64_t now, char *out)
{
	const char *n = pa_name_of(&a->names, kind, id, now);

	if (!n)
		return NULL;
	snprintf(out, PA_NAME_LEN, "%s", n);
	return out;
}

const struct pa_identity *pa_enrich_who(struct pa_enrich *a, const struct pa_proc *p,
					  struct pa_who *w)
{
	uint64_t now = pa_clock_boot_ns();

	w->id.user = name_into(a, PA_NAME_USER, p->uid, now, w->user);
	w->id.group = name_into(a, PA_NAME_GROUP, p->gid, now, w->group);
	w->id.login = p->auid == (uint32_t)-1 ? NULL
					     : name_into(a, PA_NAME_USER, p->auid, now, w->login);
	return &w->id;
}

/* The cgroup, and the container and systemd unit it names. */
static void where(struct pa_enrich *a, uint64_t cgroup_id, struct pa_process_details *d)
{
	const struct pa_cgroup_entry *cg = pa_cgroup_find(&a->cgroups, cgroup_id,
							  pa_clock_boot_ns());

	if (!cg)
		return;
	d->cgroup = cg->path;
	d->container_id = cg->container_id[0] ? cg->container_id : NULL;
	d->unit = cg->unit;
}

/* What is known of @p's process and its ancestors, for a record. */
const struct pa_process_details *pa_enrich_describe(struct pa_enrich *a, const struct pa_proc *p,
						 struct pa_process_details *d)
{
	char comm[PA_COMM_LEN];
	const struct pa_proc_info *pi;
	struct pa_ancestor anc[PA_MAX_ANCESTORS];
	size_t n;

	memset(d, 0, sizeof(*d));
	memcpy(comm, p->comm, sizeof(comm));
	comm[sizeof(comm) - 1] = '\0';
	pi = pa_procs_get(&a->procs, p->tgid, p->start_ns, comm);
	where(a, p->cgroup_id, d);
	if (!pi)
		return d;
	d->exe = pi->exe;
	d->exe_len = pi->exe_len;
	d->args = pi->args;
	d->args_len = pi->args_len;
	d->args_truncated = pi->args_truncated;
	d->exe_truncated = pi->exe_truncated;
	d->source = pi->source;
	if (pi->tty[0]) {
		memcpy(a->tty, pi->tty, sizeof(a->tty));
		d->tty = a->tty;
	}
	/* Copied out: looking the ancestors up may evict this entry. */
	n = pi->have_ancestors ? pi->n_ancestors : 0;
	memcpy(anc, pi->ancestors, sizeof(anc));
	d->n_ancestors = n;
	for (size_t i = 0; i < n && i < PA_MAX_ANCESTORS; i++) {
		const struct pa_proc_info *ai =
			pa_procs_get(&a->procs, anc[i].pid, anc[i].start_ns, anc[i].comm);

		snprintf(a->anc_names[i], sizeof(a->anc_names[i]), "%s", anc[i].comm);
		d->anc[i].pid = anc[i].pid;
		d->anc[i].start_ns = pa_boot_to_utc(*a->clock_offset, anc[i].start_ns);
		d->anc[i].name = a->anc_names[i];
		d->anc[i].exe = ai ? ai->exe : NULL;
		d->anc[i].exe_len = ai ? ai->exe_len : 0;
		d->anc[i].args = ai ? ai->args : NULL;
		d->anc[i].args_len = ai ? ai->args_len : 0;
	}
	/* The process itself, again: an ancestor's lookup may have evicted it. */
	pi = pa_procs_get(&a->procs, p->tgid, p->start_ns, NULL);
	if (!pi) {
		d->exe = d->args = NULL;
		d->exe_len = d->args_len = 0;
		return d;
	}
	/* A child that forked and never exec'd runs its parent's program,
	 * with its parent's argv (fork copies it): the same argv says so. */
	if (!d->exe && d->args && n && d->anc[0].pid == p->ppid && d->anc[0].exe &&
	    d->anc[0].args && d->anc[0].args_len == d->args_len &&
	    !memcmp(d->anc[0].args, d->args, d->args_len)) {
		d->exe = d->anc[0].exe;
		d->exe_len = d->anc[0].exe_len;
	}
	return d;
}


void pa_enrich_open_fill(struct pa_enrich *e, struct pa_open_record *r, uint64_t record_seq,
			 const struct pa_open_view *v, const struct pa_path *path,
			 const struct pa_path *process_path, const char *watch_path,
			 struct pa_who *who, struct pa_process_details *d)
{
	r->v = v;
	r->time_ns = pa_boot_to_utc(*e->clock_offset, v->ev->hdr.ktime_ns);
	r->proc_start_ns = pa_boot_to_utc(*e->clock_offset, v->ev->proc.start_ns);
	r->record_seq = record_seq;
	r->path = path;
	r->process_path = process_path;
	r->watch_path = watch_path;
	r->who = pa_enrich_who(e, &v->ev->proc, who);
	r->details = pa_enrich_describe(e, &v->ev->proc, d);
}

void pa_enrich_open_record(struct pa_enrich *e, struct pa_jw *jw, const struct pa_host_info *host,
			   uint64_t record_seq, const struct pa_open_view *v,
			   const struct pa_path *path, const struct pa_path *process_path,
			   const char *watch_path)
{
	struct pa_open_record r;
	struct pa_process_details details;
	struct pa_who who;

	pa_enrich_open_fill(e, &r, record_seq, v, path, process_path, watch_path, &who, &details);
	pa_ocsf_open(jw, host, &r);
}

void pa_enrich_read_record(struct pa_enrich *e, struct pa_jw *jw, const struct pa_host_info *host,
			   uint64_t record_seq, const struct pa_read_event *ev,
			   const struct pa_open_info *o, const char *watch_path, bool update)
{
	struct pa_read_record r = { .ev = ev };
	struct pa_process_details details;
	struct pa_who who;
	uint64_t when = ev->last_ns ? ev->last_ns : ev->hdr.ktime_ns;

	if (!when)
		when = pa_clock_boot_ns(); /* the agent's own stop report */
	r.time_ns = pa_boot_to_utc(*e->clock_offset, when);
	if (ev->first_ns) {
		r.first_ns = pa_boot_to_utc(*e->clock_offset, ev->first_ns);
		r.last_ns = pa_boot_to_utc(*e->clock_offset, ev->last_ns);
	}
	r.proc_start_ns = pa_boot_to_utc(*e->clock_offset, ev->proc.start_ns);
	r.record_seq = record_seq;
	if (o) {
		r.path = o->path;
		r.path_len = o->path_len;
		r.file_mode = o->file_mode;
	}
	r.watch_path = watch_path;
	r.who = pa_enrich_who(e, &ev->proc, &who);
	r.details = pa_enrich_describe(e, &ev->proc, &details);
	if (update)
		pa_ocsf_update(jw, host, &r);
	else
		pa_ocsf_read(jw, host, &r);
}

/* ---- details kept beyond the tables ---- */

static size_t str_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static size_t kept_size(const struct pa_process_details *d)
{
	size_t n = d->exe_len + d->args_len + str_size(d->source) + str_size(d->cgroup) +
		   str_size(d->container_id) + str_size(d->unit) + str_size(d->tty);

	for (size_t i = 0; i < d->n_ancestors && i < PA_MAX_ANCESTORS; i++)
		n += str_size(d->anc[i].name) + d->anc[i].exe_len + d->anc[i].args_len;
	return n;
}

/* Copy @len bytes of @src to *@at (NULL stays NULL); @nul: a C string. */
static const char *put(char **at, const char *src, size_t len, bool nul)
{
	char *dst = *at;

	if (!src)
		return NULL;
	memcpy(dst, src, len + nul);
	*at += len + nul;
	return dst;
}

int pa_enrich_keep(const struct pa_process_details *src, struct pa_kept_details *k)
{
	struct pa_process_details *d = &k->d;
	char *at;

	*d = *src;
	k->buf = at = malloc(kept_size(src) + 1);
	if (!k->buf) {
		memset(d, 0, sizeof(*d));
		return -ENOMEM;
	}
	d->exe = put(&at, src->exe, src->exe_len, false);
	d->args = put(&at, src->args, src->args_len, false);
	d->source = put(&at, src->source, str_size(src->source) - !!src->source, true);
	d->cgroup = put(&at, src->cgroup, str_size(src->cgroup) - !!src->cgroup, true);
	d->container_id = put(&at, src->container_id,
			      str_size(src->container_id) - !!src->container_id, true);
	d->unit = put(&at, src->unit, str_size(src->unit) - !!src->unit, true);
	d->tty = put(&at, src->tty, str_size(src->tty) - !!src->tty, true);
	for (size_t i = 0; i < d->n_ancestors && i < PA_MAX_ANCESTORS; i++) {
		const struct pa_ancestor_info *a = &src->anc[i];

		d->anc[i].name = put(&at, a->name, str_size(a->name) - !!a->name, true);
		d->anc[i].exe = put(&at, a->exe, a->exe_len, false);
		d->anc[i].args = put(&at, a->args, a->args_len, false);
	}
	return 0;
}

void pa_enrich_kept_free(struct pa_kept_details *k)
{
	free(k->buf);
	memset(k, 0, sizeof(*k));
}
