/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The opens whose reads the kernel is counting, by the kernel sequence
 * number of their open event: a read account names its open by that
 * number, and its record shows the open's path. An entry lives until the
 * kernel reports the struct file released (PA_EV_FILE_GONE).
 *
 * Open addressing, linear probing, backward-shift deletion: no tombstones,
 * so a long-running agent's table never degrades.
 */
#ifndef PHIAUDIT_OPENS_H
#define PHIAUDIT_OPENS_H

#include <stddef.h>
#include <stdint.h>

struct pa_open_info {
	uint64_t open_seq;
	uint32_t watch_id;
	uint32_t file_mode;
	size_t path_len;
	char path[]; /* host path, as the Open record showed it */
};

struct pa_opens {
	struct pa_open_info **slot;
	size_t cap; /* a power of two, or 0 */
	size_t n;
	size_t bytes; /* entries' memory, for the footprint figures */
};

/* 0, or -ENOMEM. Replaces an entry with the same open_seq. */
int pa_opens_put(struct pa_opens *t, uint64_t open_seq, uint32_t watch_id, uint32_t file_mode,
		 const char *path, size_t path_len);
const struct pa_open_info *pa_opens_get(const struct pa_opens *t, uint64_t open_seq);
/* 1 if it was there. */
int pa_opens_del(struct pa_opens *t, uint64_t open_seq);
void pa_opens_free(struct pa_opens *t);

#endif
