/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The watched-inode set (pa_inodes in the kernel): watched files that can
 * be reached from outside every watched tree, by a hard link or after a
 * rename out. An open of one of them is in scope wherever it is named.
 * Seeded at start with the watched files that have more than one link;
 * grown when the agent records a link or rename out of a watched tree.
 * Entries are keyed by the kernel's (dev_t, inode), learned from the
 * kernel itself (pa_iter_ident), as the watches are.
 */
#ifndef PHIAUDIT_INODES_H
#define PHIAUDIT_INODES_H

#include <stddef.h>
#include <stdint.h>

#include "loader.h"
#include "watch.h"

struct pa_inodes {
	uint64_t added;	     /* entries put in the kernel set */
	uint64_t full;	     /* not added: the set was full (PA_MAX_INODES) */
	uint64_t failed;     /* not added: the path could not be opened */
	uint64_t seeded;     /* of added, at start */
	uint64_t scanned;    /* files looked at by the seeding walk */
	uint64_t seed_ns;    /* how long the walk took */
};

/* @path (a watched file's other name) joins the set. 0, or -errno. */
int pa_inodes_add(struct pa_bpf *b, struct pa_inodes *s, const char *path, uint32_t watch_id);

/* Walk every watched tree (exclusions left out) for regular files with
 * more than one link. 0, or -errno (the set is then partial: counted). */
int pa_inodes_seed(struct pa_bpf *b, struct pa_inodes *s, const struct pa_watchset *ws);

#endif
