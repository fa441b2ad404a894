// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "routes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "agent.h"
#include "clock.h"
#include "decode.h"
#include "ocsf_routes.h"
#include "phiaudit/syscalls.h"

/* ---- parts waiting for their partner ---- */

static struct pa_routes_part *part_put(struct pa_routes_part *t, uint64_t seq, const void *data,
				       size_t size)
{
	struct pa_routes_part *slot = NULL;

	for (size_t i = 0; i < PA_ROUTES_PENDING; i++)
		if (!t[i].seq && !slot)
			slot = &t[i];
	if (!slot)
		return NULL;
	slot->event = malloc(size);
	if (!slot->event)
		return NULL;
	memcpy(slot->event, data, size);
	slot->size = size;
	slot->seq = seq;
	slot->arrived_ns = pa_clock_boot_ns();
	return slot;
}

static struct pa_routes_part *part_find(struct pa_routes_part *t, uint64_t seq)
{
	for (size_t i = 0; seq && i < PA_ROUTES_PENDING; i++)
		if (t[i].seq == seq)
			return &t[i];
	return NULL;
}

static void part_drop(struct pa_routes_part *p)
{
	free(p->event);
	memset(p, 0, sizeof(*p));
}

/* ---- paths of an open-layout event ---- */

struct rendered {
	struct pa_open_view v;
	const struct pa_watch *w;
	struct pa_path host, view;
	bool differs;
};

/* Paths of the event at @data; 0, or -EINVAL (counted by the caller). */
static int render(struct pa_agent *a, const void *data, size_t size, struct rendered *r)
{
	if (pa_decode_open(data, size, &r->v))
		return -EINVAL;
	/* (a watched inode's other name: its watch, but not its path) */
	r->w = r->v.ev->scope == PA_SCOPE_IN ? pa_watch_by_id(&a->watches, r->v.ev->watch_id)
					     : NULL;
	r->differs = pa_open_paths(&r->v, r->w ? r->w->path : NULL, &r->host, &r->view);
	return 0;
}

/* A by-path name in a watch: does the string, resolved lexically, stay in
 * a watched tree (not in an exclusion)? As for denied opens. */
static bool in_watched_tree(struct pa_agent *a, struct rendered *r)
{
	const struct pa_open_event *ev = r->v.ev;

	if (ev->scope != PA_SCOPE_IN)
		return false;
	if (!(ev->path_flags & PA_PATH_FROM_USER) || (ev->path_flags & PA_PATH_VIA_INODE))
		return true;
	/* as for denied opens (agent.c on_open); an exclusion is out */
	r->w = pa_watch_innermost(&a->watches, &r->host);
	if (r->w && r->w->excluded)
		r->w = NULL;
	return r->w != NULL;
}

static void fill_open_record(struct pa_agent *a, struct rendered *r, struct pa_open_record *o,
			     struct pa_who *who, struct pa_process_details *d)
{
	pa_enrich_open_fill(&a->enrich, o, ++a->record_seq, &r->v, &r->host,
			    r->differs ? &r->view : NULL, r->w ? r->w->path : NULL, who, d);
}

/* A watched file now named @outside (a link, a move out, an exchange):
 * that name stays audited, under @watched's watch. */
static void follow_inode(struct pa_agent *a, const struct rendered *watched,
			 const struct rendered *outside)
{
	char path[PA_PATH_BUF + 1];

	if (outside->v.ev->ret != 0 || outside->host.len > PA_PATH_BUF || outside->host.overflow)
		return;
	memcpy(path, outside->host.s, outside->host.len);
	path[outside->host.len] = '\0';
	pa_inodes_add(&a->bpf, &a->routes.inodes, path, watched->v.ev->watch_id);
}

#define PA_RENAME_EXCHANGE 2 /* renameat2: the two names swap their files */

static bool is_exchange(const struct rendered *old)
{
	return old->v.ev->syscall == PA_SYS_RENAMEAT2 && (old->v.ev->flags & PA_RENAME_EXCHANGE);
}

/* A change record: one part, or a rename/link's two (either may be NULL). */
static void write_change(struct pa_agent *a, struct rendered *old, struct rendered *nw)
{
	struct pa_change_record r = { 0 };
	struct pa_process_details d;
	struct pa_who who;
	bool old_in = old && in_watched_tree(a, old), new_in = nw && in_watched_tree(a, nw);

	if (!old_in && !new_in) {
		/* The strings, read without the filesystem, leave the trees
		 * (".."); where the kernel placed a name in one, a symlink may
		 * lead back in: recorded, saying the path is uncertain. */
		old_in = old && old->v.ev->scope == PA_SCOPE_IN;
		new_in = nw && nw->v.ev->scope == PA_SCOPE_IN;
		if (!old_in && !new_in) {
			a->denied_outside++;
			return;
		}
		r.path_uncertain = true;
	}
	fill_open_record(a, old ? old : nw, &r.file, &who, &d);
	if (!old)
		r.file.path = NULL;
	if (nw && old) {
		r.new_path = &nw->host;
		r.new_process_path = nw->differs ? &nw->view : NULL;
		r.moved_out = old_in && !new_in;
		r.moved_in = !old_in && new_in;
		r.link = pa_syscall_is_link(old->v.ev->syscall);
		r.exchanged = is_exchange(old);
	} else if (nw) {
		r.new_path = &nw->host; /* the old half was lost */
	}
	r.pair = nw || (old && old->v.ev->role == PA_ROLE_OLD);
	pa_ocsf_change(&a->jw, &a->host, &r);
	pa_agent_emit(a, LOG_INFO);
	a->routes.changes++;
	/* a link or a move out of the trees: the new name stays audited; an
	 * exchange also moves the new name's file to the old name */
	if (old && nw && old_in && !new_in)
		follow_inode(a, old, nw);
	else if (old && nw && new_in && !old_in && is_exchange(old))
		follow_inode(a, nw, old);
}

/* Two rendered paths: too big for the stack; allocated at first use. */
static struct rendered *scratch_pair(struct pa_agent *a)
{
	if (!a->routes.scratch)
		a->routes.scratch = calloc(2, sizeof(struct rendered));
	return a->routes.scratch;
}

/* A destination's name, kept until its transfer event comes. */
static void keep_dest(struct pa_agent *a, const void *data, size_t size, uint64_t seq)
{
	if (!part_put(a->routes.dests, seq, data, size))
		a->routes.nomem++;
}

void pa_routes_on_change(struct pa_agent *a, const void *data, size_t size)
{
	const struct pa_open_event *ev = data;
	struct rendered *two = scratch_pair(a);
	struct pa_routes_part *old;

	if (!two || size < sizeof(*ev) || pa_decode_open(data, size, &two[0].v)) {
		a->decode_errors++;
		return;
	}
	switch (ev->role) {
	case PA_ROLE_DEST:
		keep_dest(a, data, size, ev->hdr.seq);
		return;
	case PA_ROLE_OLD:
		if (!part_put(a->routes.olds, ev->hdr.seq, data, size)) {
			a->routes.nomem++;
			if (!render(a, data, size, &two[0]))
				write_change(a, &two[0], NULL);
		}
		return;
	case PA_ROLE_NEW:
		old = part_find(a->routes.olds, ev->pair_seq);
		if (render(a, data, size, &two[1]) ||
		    (old && render(a, old->event, old->size, &two[0]))) {
			a->decode_errors++;
			return;
		}
		if (!old)
			a->routes.parts_alone++;
		write_change(a, old ? &two[0] : NULL, &two[1]);
		if (old)
			part_drop(old);
		return;
	default:
		if (!render(a, data, size, &two[0]))
			write_change(a, &two[0], NULL);
	}
}

/* ---- mmap ---- */

/* The source file of a route record, from its open. */
static void fill_common(struct pa_agent *a, struct pa_route_common *c, uint64_t open_seq,
			const struct pa_proc *p, uint64_t ktime_ns, struct pa_who *who,
			struct pa_process_details *d)
{
	const struct pa_open_info *o = pa_opens_get(&a->opens, open_seq);
	const struct pa_watch *w = o ? pa_watch_by_id(&a->watches, o->watch_id) : NULL;

	c->time_ns = pa_boot_to_utc(a->clock_offset, ktime_ns ? ktime_ns : pa_clock_boot_ns());
	c->proc_start_ns = pa_boot_to_utc(a->clock_offset, p->start_ns);
	c->record_seq = ++a->record_seq;
	if (o) {
		c->path = o->path;
		c->path_len = o->path_len;
		c->file_mode = o->file_mode;
	} else {
		a->reads_unknown_open++;
	}
	c->watch_path = w && !w->deleted ? w->path : NULL;
	c->who = pa_enrich_who(&a->enrich, p, who);
	c->details = pa_enrich_describe(&a->enrich, p, d);
}

void pa_routes_on_map(struct pa_agent *a, const void *data, size_t size)
{
	const struct pa_map_event *ev = pa_decode_map(data, size);
	struct pa_map_record r = { .ev = ev };
	struct pa_process_details d;
	struct pa_who who;

	if (!ev) {
		a->decode_errors++;
		return;
	}
	fill_common(a, &r.c, ev->open_seq, &ev->proc, ev->hdr.ktime_ns, &who, &d);
	pa_ocsf_map(&a->jw, &a->host, &r);
	pa_agent_emit(a, LOG_INFO);
	a->routes.maps++;
}

/* ---- transfers and clones ---- */

/* The destination's name (a DEST event, by seq) into @run; then forgotten. */
static void take_dest(struct pa_agent *a, uint64_t dest_seq, struct pa_routes_run *run)
{
	struct pa_routes_part *p = part_find(a->routes.dests, dest_seq);
	struct rendered *r = &scratch_pair(a)[0];

	if (!p)
		return;
	if (!render(a, p->event, p->size, r)) {
		run->dst_path = strndup(r->host.s, r->host.len);
		run->dst_mode = r->v.ev->file_mode;
		run->dst_watched = r->v.ev->scope == PA_SCOPE_IN;
		if (!run->dst_path)
			a->routes.nomem++;
	}
	part_drop(p);
}

static struct pa_routes_run *run_find(struct pa_routes *rt, uint64_t account_seq, uint64_t run)
{
	for (size_t i = 0; rt->runs && i < PA_ROUTES_RUNS; i++)
		if (rt->runs[i].account_seq == account_seq && rt->runs[i].run == run)
			return &rt->runs[i];
	return NULL;
}

static void write_xfer(struct pa_agent *a, const struct pa_xfer_event *ev,
		       const struct pa_routes_run *run)
{
	struct pa_xfer_record r = { .ev = ev };
	struct pa_process_details d;
	struct pa_path *dst = &a->path_view; /* scratch: not in use here */
	struct pa_who who;

	fill_common(a, &r.c, ev->open_seq, &ev->proc, ev->last_ns, &who, &d);
	if (ev->first_ns) {
		r.first_ns = pa_boot_to_utc(a->clock_offset, ev->first_ns);
		r.last_ns = pa_boot_to_utc(a->clock_offset, ev->last_ns);
	}
	if (run && run->dst_path) {
		pa_path_set(dst, run->dst_path, strlen(run->dst_path));
		r.dst_path = dst;
		r.dst_mode = run->dst_mode;
		r.dst_watched = run->dst_watched;
	}
	if (run && run->start.hdr.seq) {
		r.has_socket = true;
		r.socket = &run->start;
	}
	pa_ocsf_xfer(&a->jw, &a->host, &r);
	pa_agent_emit(a, LOG_INFO);
	if (ev->phase == PA_XFER_ONCE)
		a->routes.clones++;
	else
		a->routes.transfers++;
}

static void run_start(struct pa_agent *a, const struct pa_xfer_event *ev)
{
	struct pa_routes *rt = &a->routes;
	struct pa_routes_run *slot = NULL;

	if (!rt->runs)
		rt->runs = calloc(PA_ROUTES_RUNS, sizeof(*rt->runs));
	for (size_t i = 0; rt->runs && i < PA_ROUTES_RUNS && !slot; i++)
		if (!rt->runs[i].account_seq)
			slot = &rt->runs[i];
	if (!slot) {
		rt->nomem++;
		return; /* its END is written without the destination's name */
	}
	slot->account_seq = ev->account_seq;
	slot->run = ev->run;
	slot->start = *ev;
	take_dest(a, ev->dest_seq, slot);
}

void pa_routes_on_xfer(struct pa_agent *a, const void *data, size_t size)
{
	const struct pa_xfer_event *ev = pa_decode_xfer(data, size);
	struct pa_routes_run once = { 0 }, *run;

	if (!ev) {
		a->decode_errors++;
		return;
	}
	switch (ev->phase) {
	case PA_XFER_START:
		run_start(a, ev);
		return;
	case PA_XFER_ONCE:
		once.start = *ev;
		take_dest(a, ev->dest_seq, &once);
		write_xfer(a, ev, &once);
		free(once.dst_path);
		return;
	default:
		run = run_find(&a->routes, ev->account_seq, ev->run);
		if (!run)
			a->routes.runs_untracked++;
		write_xfer(a, ev, run);
		if (run) {
			free(run->dst_path);
			memset(run, 0, sizeof(*run));
		}
	}
}

void pa_routes_account_ended(struct pa_agent *a, uint64_t account_seq)
{
	struct pa_routes *rt = &a->routes;

	for (size_t i = 0; rt->runs && i < PA_ROUTES_RUNS; i++) {
		if (rt->runs[i].account_seq != account_seq)
			continue;
		/* its END was lost (a full ring): counted, and the slot freed */
		rt->runs_untracked++;
		free(rt->runs[i].dst_path);
		memset(&rt->runs[i], 0, sizeof(rt->runs[i]));
	}
}

void pa_routes_tick(struct pa_agent *a, bool final)
{
	uint64_t now = pa_clock_boot_ns();
	struct rendered *two = scratch_pair(a);

	for (size_t i = 0; i < PA_ROUTES_PENDING; i++) {
		struct pa_routes_part *p = &a->routes.olds[i];

		if (!p->seq || (!final && now - p->arrived_ns < PA_ROUTES_WAIT_NS))
			continue;
		/* Its new name never came (lost): the old one alone. */
		a->routes.parts_alone++;
		if (two && !render(a, p->event, p->size, &two[0]))
			write_change(a, &two[0], NULL);
		part_drop(p);
	}
	for (size_t i = 0; i < PA_ROUTES_PENDING; i++) {
		struct pa_routes_part *p = &a->routes.dests[i];

		if (p->seq && (final || now - p->arrived_ns >= PA_ROUTES_WAIT_NS))
			part_drop(p);
	}
}

void pa_routes_write_stats(struct pa_agent *a)
{
	const struct pa_routes *rt = &a->routes;

	pa_jw_obj_open(&a->jw, "routes");
	pa_jw_u64(&a->jw, "change_records", rt->changes);
	pa_jw_u64(&a->jw, "mmap_records", rt->maps);
	pa_jw_u64(&a->jw, "transfer_records", rt->transfers);
	pa_jw_u64(&a->jw, "clone_records", rt->clones);
	pa_jw_u64(&a->jw, "halves_alone", rt->parts_alone);
	pa_jw_u64(&a->jw, "runs_untracked", rt->runs_untracked);
	pa_jw_u64(&a->jw, "nomem", rt->nomem);
	pa_jw_u64(&a->jw, "ring_rescans", a->rescans);
	pa_jw_u64(&a->jw, "ring_rescan_found", a->rescan_found);
	pa_jw_obj_open(&a->jw, "watched_inodes");
	pa_jw_u64(&a->jw, "added", rt->inodes.added);
	pa_jw_u64(&a->jw, "seeded", rt->inodes.seeded);
	pa_jw_u64(&a->jw, "files_scanned", rt->inodes.scanned);
	pa_jw_u64(&a->jw, "seed_ms", rt->inodes.seed_ns / 1000000);
	pa_jw_u64(&a->jw, "full", rt->inodes.full);
	pa_jw_u64(&a->jw, "failed", rt->inodes.failed);
	pa_jw_obj_close(&a->jw);
	pa_jw_obj_close(&a->jw);
}

void pa_routes_free(struct pa_routes *r)
{
	for (size_t i = 0; i < PA_ROUTES_PENDING; i++) {
		part_drop(&r->olds[i]);
		part_drop(&r->dests[i]);
	}
	for (size_t i = 0; r->runs && i < PA_ROUTES_RUNS; i++)
		free(r->runs[i].dst_path);
	free(r->runs);
	r->runs = NULL;
	free(r->scratch);
	r->scratch = NULL;
}
