/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A map from byte strings to pointers, for the CLI's sets and tallies
 * (distinct files, read accounts, processes, report rows). Open
 * addressing, FNV-1a, keys copied in. Iterate with pa_qmap_each.
 */
#ifndef PHIAUDIT_QMAP_H
#define PHIAUDIT_QMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pa_qmap_slot {
	char *key; /* NUL-terminated copy (keys may hold NULs: klen counts) */
	size_t klen;
	uint64_t hash;
	void *val;
};

struct pa_qmap {
	struct pa_qmap_slot *slots;
	size_t cap, n;
};

/* The value slot for @key, made (NULL value, *created true) if new.
 * NULL when out of memory. */
void **pa_qmap_put(struct pa_qmap *m, const void *key, size_t klen, bool *created);
void *pa_qmap_get(const struct pa_qmap *m, const void *key, size_t klen);
/* Free the keys, and each value with @free_val (NULL: leave them). */
void pa_qmap_free(struct pa_qmap *m, void (*free_val)(void *));

/* The next used slot at or after *i (start at 0), or NULL at the end. */
struct pa_qmap_slot *pa_qmap_each(const struct pa_qmap *m, size_t *i);

#endif
