/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The watch set: directories whose trees are audited. Each is held by an
 * O_PATH descriptor, which pins its dentry; the kernel programs match that
 * dentry's address, learned from the kernel itself (pa_iter_ident), not
 * stat()'s st_dev, which differs from the kernel's on btrfs and overlayfs.
 * Changes apply to the maps while the programs run: nothing is reloaded.
 */
#ifndef PHIAUDIT_WATCH_H
#define PHIAUDIT_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loader.h"

#define PA_WATCH_MAX_ANCESTORS 64

struct pa_watch {
	uint32_t id;
	char *path;	     /* canonical path, refreshed if renamed */
	int fd;		     /* O_PATH, pins the dentry */
	uint64_t dentry, sb;
	bool deleted;	     /* rmdir'ed while watched: nothing more can open */
	bool excluded;	     /* an exclusion: its tree is not audited */
	size_t n_anc;	     /* ancestors held for denied-open routes */
	int anc_fd[PA_WATCH_MAX_ANCESTORS];
	uint32_t anc_depth[PA_WATCH_MAX_ANCESTORS];
	struct pa_route_key routes[PA_WATCH_MAX_ANCESTORS];
};

/* A removed watch's id and path, kept a while: its events still in the
 * ring buffer name it after it is gone (a reload removes watches while
 * the programs run). */
#define PA_WATCH_GONE 64

struct pa_watchset {
	struct pa_watch *w[PA_MAX_WATCHES];
	size_t n;
	uint32_t next_id;
	struct pa_watch gone[PA_WATCH_GONE]; /* id and path only; deleted set */
	size_t n_gone;			     /* ring: the next slot is n_gone % GONE */
};

/* 0, or -errno with a message naming the path. Adding one twice is a no-op
 * (returns 1). */
int pa_watch_add(struct pa_watchset *ws, struct pa_bpf *b, const char *path, char *err,
		 size_t errlen);
/* An exclusion (see PA_WATCH_EXCLUDED): like pa_watch_add, for a directory
 * below a watch whose tree is then left out. It holds no ancestors: a denied
 * open below it is left out by the agent, lexically (its path is the
 * user's string). 1: already there (as a watch or an exclusion). */
int pa_watch_exclude(struct pa_watchset *ws, struct pa_bpf *b, const char *path, char *err,
		     size_t errlen);
/* 0, or -ENOENT when the path is not watched (nor excluded). */
int pa_watch_remove(struct pa_watchset *ws, struct pa_bpf *b, const char *path);
/* A watch by id, a removed one included (then ->deleted is set and only
 * id and path are valid). */
const struct pa_watch *pa_watch_by_id(const struct pa_watchset *ws, uint32_t id);
/* The deepest watched or excluded directory holding @p (a path read
 * lexically), or NULL. */
struct pa_path;
const struct pa_watch *pa_watch_innermost(const struct pa_watchset *ws, const struct pa_path *p);
/*
 * Re-read each watch's path: a watched directory (or a parent) may have
 * been renamed, and then its denied-open routes, which follow names, are
 * rebuilt too; a deleted one is marked. Scope itself never needed this:
 * it follows the dentry. Returns how many watches changed.
 */
int pa_watch_refresh(struct pa_watchset *ws, struct pa_bpf *b);
void pa_watch_clear(struct pa_watchset *ws, struct pa_bpf *b);

#endif
