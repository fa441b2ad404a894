// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "watch.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "log.h"
#include "paths.h"

static void free_watch(struct pa_watch *w)
{
	if (w->fd >= 0)
		close(w->fd);
	for (size_t i = 0; i < w->n_anc; i++)
		close(w->anc_fd[i]);
	free(w->path);
	free(w);
}

/*
 * Hold "/" and "/srv" for /srv/phi: a denied open that starts at one of
 * them (root for absolute paths, or the cwd) and walks "srv/phi" or "phi"
 * is in scope. Each '/' in the path ends an ancestor.
 */
static void open_ancestors(struct pa_watch *w)
{
	const char *p = w->path;
	uint32_t depth = 0;

	for (size_t i = 0; p[i] && w->n_anc < PA_WATCH_MAX_ANCESTORS; i++) {
		const char *rel = p + i + 1;
		char anc[PATH_MAX];
		size_t alen = i ? i : 1;
		int fd;

		if (p[i] != '/' || !*rel)
			continue;
		depth += i > 0; /* "/" is depth 0, "/srv" 1, ... */
		memcpy(anc, p, alen);
		anc[alen] = '\0';
		fd = open(anc, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		w->anc_fd[w->n_anc] = fd;
		w->anc_depth[w->n_anc] = depth;
		w->routes[w->n_anc].hash = pa_path_hash(rel, strlen(rel));
		w->n_anc++;
	}
}

static int identify(struct pa_watch *w, struct pa_bpf *b, char *err, size_t errlen)
{
	struct pa_idents ids;
	const struct pa_ident *id;
	int rc = pa_bpf_idents(b, &ids);

	id = rc ? NULL : pa_idents_find(&ids, w->fd);
	if (!id) {
		snprintf(err, errlen, "%s: the kernel did not report its identity (%s)", w->path,
			 rc ? strerror(-rc) : "descriptor not found");
		pa_idents_free(&ids);
		return rc ? rc : -ENOENT;
	}
	w->dentry = id->dentry;
	w->sb = id->sb;
	for (size_t i = 0; i < w->n_anc; i++) {
		id = pa_idents_find(&ids, w->anc_fd[i]);
		w->routes[i].dentry = id ? id->dentry : 0;
	}
	pa_idents_free(&ids);
	return 0;
}

static void install_routes(struct pa_watch *w, struct pa_bpf *b)
{
	for (size_t i = 0; i < w->n_anc; i++) {
		struct pa_route_val val = { .watch_id = w->id, .depth = w->anc_depth[i] };

		if (w->routes[i].dentry &&
		    bpf_map_update_elem(pa_bpf_map_fd(b, "routes"), &w->routes[i], &val, BPF_ANY))
			pa_warn_errno("%s: route from ancestor %zu not installed", w->path, i);
	}
}

static void uninstall_routes(struct pa_watch *w, struct pa_bpf *b)
{
	for (size_t i = 0; i < w->n_anc; i++)
		if (w->routes[i].dentry)
			bpf_map_delete_elem(pa_bpf_map_fd(b, "routes"), &w->routes[i]);
}

static int install(struct pa_watch *w, struct pa_bpf *b)
{
	struct pa_watch_val val = { .watch_id = w->id,
				    .flags = w->excluded ? PA_WATCH_EXCLUDED : 0 };
	uint32_t sbref = 0;
	int sbfd = pa_bpf_map_fd(b, "sbs");

	if (bpf_map_update_elem(pa_bpf_map_fd(b, "watches"), &w->dentry, &val, BPF_ANY))
		return -errno;
	/* pa_watch_sbs counts watches per superblock. */
	bpf_map_lookup_elem(sbfd, &w->sb, &sbref);
	sbref++;
	if (bpf_map_update_elem(sbfd, &w->sb, &sbref, BPF_ANY))
		return -errno;
	install_routes(w, b);
	return 0;
}

static void uninstall(struct pa_watch *w, struct pa_bpf *b)
{
	uint32_t sbref = 0;
	int sbfd = pa_bpf_map_fd(b, "sbs");

	bpf_map_delete_elem(pa_bpf_map_fd(b, "watches"), &w->dentry);
	if (bpf_map_lookup_elem(sbfd, &w->sb, &sbref) == 0) {
		if (sbref <= 1)
			bpf_map_delete_elem(sbfd, &w->sb);
		else {
			sbref--;
			bpf_map_update_elem(sbfd, &w->sb, &sbref, BPF_ANY);
		}
	}
	uninstall_routes(w, b);
}

static struct pa_watch *open_watch(const char *path, bool routes, char *err, size_t errlen)
{
	struct pa_watch *w = calloc(1, sizeof(*w));
	char real[PATH_MAX];
	struct stat st;

	if (!w) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	w->fd = -1;
	if (!realpath(path, real)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	w->fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (w->fd < 0 || fstat(w->fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 errno == ENOTDIR ? "not a directory" : strerror(errno));
		goto fail;
	}
	w->path = strdup(real);
	if (!w->path) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (routes) /* an exclusion needs none: see pa_watch_exclude */
		open_ancestors(w);
	return w;
fail:
	free_watch(w);
	return NULL;
}

static int add_entry(struct pa_watchset *ws, struct pa_bpf *b, const char *path, bool excluded,
		     char *err, size_t errlen)
{
	struct pa_watch *w;
	int rc;

	if (ws->n >= PA_MAX_WATCHES) {
		snprintf(err, errlen, "%s: at most %d watched and excluded directories", path,
			 PA_MAX_WATCHES);
		return -ENOSPC;
	}
	w = open_watch(path, !excluded, err, errlen);
	if (!w)
		return -EINVAL;
	w->excluded = excluded;
	rc = identify(w, b, err, errlen);
	for (size_t i = 0; !rc && i < ws->n; i++) {
		if (ws->w[i]->dentry == w->dentry) {
			free_watch(w);
			return 1; /* the same directory under another name */
		}
	}
	if (!rc) {
		w->id = ++ws->next_id;
		rc = install(w, b);
		if (rc)
			snprintf(err, errlen, "%s: kernel map update failed: %s", path, strerror(-rc));
	}
	if (rc) {
		free_watch(w);
		return rc;
	}
	ws->w[ws->n++] = w;
	return 0;
}

static void remember_gone(struct pa_watchset *ws, const struct pa_watch *w)
{
	struct pa_watch *g = &ws->gone[ws->n_gone++ % PA_WATCH_GONE];
	char *path = strdup(w->path);

	if (!path)
		return; /* its late events are recorded without the watch's path */
	free(g->path);
	memset(g, 0, sizeof(*g));
	g->id = w->id;
	g->path = path;
	g->fd = -1;
	g->deleted = true;
}

int pa_watch_add(struct pa_watchset *ws, struct pa_bpf *b, const char *path, char *err,
		 size_t errlen)
{
	return add_entry(ws, b, path, false, err, errlen);
}

int pa_watch_exclude(struct pa_watchset *ws, struct pa_bpf *b, const char *path, char *err,
		     size_t errlen)
{
	return add_entry(ws, b, path, true, err, errlen);
}

int pa_watch_remove(struct pa_watchset *ws, struct pa_bpf *b, const char *path)
{
	char real[PATH_MAX];

	if (!realpath(path, real))
		snprintf(real, sizeof(real), "%s", path);
	for (size_t i = 0; i < ws->n; i++) {
		struct pa_watch *w = ws->w[i];

		if (strcmp(w->path, real) && strcmp(w->path, path))
			continue;
		/* Maps first, then the fds: the dentry stays pinned until no
		 * program can match its address any more. */
		uninstall(w, b);
		remember_gone(ws, w);
		free_watch(w);
		ws->w[i] = ws->w[--ws->n];
		return 0;
	}
	return -ENOENT;
}

const struct pa_watch *pa_watch_innermost(const struct pa_watchset *ws, const struct pa_path *p)
{
	const struct pa_watch *best = NULL;

	for (size_t i = 0; i < ws->n; i++) {
		const struct pa_watch *w = ws->w[i];

		if (!w->deleted && pa_path_within(p, w->path) &&
		    (!best || strlen(w->path) > strlen(best->path)))
			best = w;
	}
	return best;
}

const struct pa_watch *pa_watch_by_id(const struct pa_watchset *ws, uint32_t id)
{
	for (size_t i = 0; i < ws->n; i++)
		if (ws->w[i]->id == id)
			return ws->w[i];
	for (size_t i = 0; i < PA_WATCH_GONE; i++)
		if (ws->gone[i].path && ws->gone[i].id == id)
			return &ws->gone[i];
	return NULL;
}

static void close_ancestors(struct pa_watch *w)
{
	for (size_t i = 0; i < w->n_anc; i++)
		close(w->anc_fd[i]);
	w->n_anc = 0;
	memset(w->routes, 0, sizeof(w->routes));
}

/* New name: routes follow names, so drop the old ones, hold the new
 * ancestors, learn their dentries, install. */
static void reroute(struct pa_watch *w, struct pa_bpf *b, char *new_path)
{
	char err[512];

	uninstall_routes(w, b);
	close_ancestors(w);
	free(w->path);
	w->path = new_path;
	if (w->excluded)
		return; /* no routes: see pa_watch_exclude */
	open_ancestors(w);
	if (identify(w, b, err, sizeof(err)))
		pa_warn("%s: denied-open routes not rebuilt: %s", w->path, err);
	else
		install_routes(w, b);
}

int pa_watch_refresh(struct pa_watchset *ws, struct pa_bpf *b)
{
	int changed = 0;

	for (size_t i = 0; i < ws->n; i++) {
		struct pa_watch *w = ws->w[i];
		char link[64], now[PATH_MAX];
		struct stat st;
		ssize_t n;
		char *copy;

		if (w->deleted)
			continue;
		if (fstat(w->fd, &st) == 0 && st.st_nlink == 0) {
			/* Keep the last path it had; its routes would place a new
			 * directory of the same name under it: remove them. */
			w->deleted = true;
			uninstall_routes(w, b);
			close_ancestors(w);
			changed++;
			continue;
		}
		snprintf(link, sizeof(link), "/proc/self/fd/%d", w->fd);
		n = readlink(link, now, sizeof(now) - 1);
		if (n <= 0)
			continue;
		now[n] = '\0';
		if (!strcmp(now, w->path) || !(copy = strdup(now)))
			continue;
		reroute(w, b, copy);
		changed++;
	}
	return changed;
}

void pa_watch_clear(struct pa_watchset *ws, struct pa_bpf *b)
{
	while (ws->n) {
		struct pa_watch *w = ws->w[--ws->n];

		if (b->skel)
			uninstall(w, b);
		free_watch(w);
	}
	for (size_t i = 0; i < PA_WATCH_GONE; i++) {
		free(ws->gone[i].path);
		ws->gone[i].path = NULL;
	}
}
