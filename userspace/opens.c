// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "opens.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t home(const struct pa_opens *t, uint64_t key)
{
	/* Fibonacci hashing: sequence numbers are dense, spread them. */
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 32) & (t->cap - 1);
}

static size_t find(const struct pa_opens *t, uint64_t key)
{
	size_t i = home(t, key);

	while (t->slot[i] && t->slot[i]->open_seq != key)
		i = (i + 1) & (t->cap - 1);
	return i;
}

static int grow(struct pa_opens *t)
{
	size_t cap = t->cap ? t->cap * 2 : 1024;
	struct pa_opens bigger = { .cap = cap, .n = t->n, .bytes = t->bytes };

	bigger.slot = calloc(cap, sizeof(*bigger.slot));
	if (!bigger.slot)
		return -ENOMEM;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i])
			bigger.slot[find(&bigger, t->slot[i]->open_seq)] = t->slot[i];
	free(t->slot);
	*t = bigger;
	return 0;
}

int pa_opens_put(struct pa_opens *t, uint64_t open_seq, uint32_t watch_id, uint32_t file_mode,
		 const char *path, size_t path_len)
{
	struct pa_open_info *e;
	size_t i;

	/* At most 3/4 full: probes stay short. */
	if ((t->n + 1) * 4 > t->cap * 3 && grow(t))
		return -ENOMEM;
	e = malloc(sizeof(*e) + path_len + 1);
	if (!e)
		return -ENOMEM;
	e->open_seq = open_seq;
	e->watch_id = watch_id;
	e->file_mode = file_mode;
	e->path_len = path_len;
	memcpy(e->path, path, path_len);
	e->path[path_len] = '\0';
	i = find(t, open_seq);
	if (t->slot[i]) {
		t->bytes -= sizeof(*e) + t->slot[i]->path_len + 1;
		free(t->slot[i]);
	} else {
		t->n++;
	}
	t->slot[i] = e;
	t->bytes += sizeof(*e) + path_len + 1;
	return 0;
}

const struct pa_open_info *pa_opens_get(const struct pa_opens *t, uint64_t open_seq)
{
	return t->cap ? t->slot[find(t, open_seq)] : NULL;
}

int pa_opens_del(struct pa_opens *t, uint64_t open_seq)
{
	size_t i, j;

	if (!t->cap || !t->slot[i = find(t, open_seq)])
		return 0;
	t->bytes -= sizeof(**t->slot) + t->slot[i]->path_len + 1;
	free(t->slot[i]);
	t->slot[i] = NULL;
	t->n--;
	/* Backward shift: pull later members of the cluster into the hole
	 * when their home is at or before it (cyclically). */
	for (j = (i + 1) & (t->cap - 1); t->slot[j]; j = (j + 1) & (t->cap - 1)) {
		size_t h = home(t, t->slot[j]->open_seq);

		if (((j - h) & (t->cap - 1)) >= ((j - i) & (t->cap - 1))) {
			t->slot[i] = t->slot[j];
			t->slot[j] = NULL;
			i = j;
		}
	}
	return 1;
}

void pa_opens_free(struct pa_opens *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->slot[i]);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}
