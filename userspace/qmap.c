// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "qmap.h"

#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const void *key, size_t n)
{
	const unsigned char *p = key;
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h;
}

static struct pa_qmap_slot *find(const struct pa_qmap *m, const void *key, size_t klen,
				 uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);

	for (;; i = (i + 1) & (m->cap - 1)) {
		struct pa_qmap_slot *s = &m->slots[i];

		if (!s->key || (s->hash == h && s->klen == klen && !memcmp(s->key, key, klen)))
			return s;
	}
}

/* Double the table (kept under 3/4 full, so find() always ends). */
static int grow(struct pa_qmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct pa_qmap_slot *old = m->slots, *slots = calloc(cap, sizeof(*slots));
	size_t oldcap = m->cap;

	if (!slots)
		return -1;
	m->slots = slots;
	m->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			*find(m, old[i].key, old[i].klen, old[i].hash) = old[i];
	free(old);
	return 0;
}

void **pa_qmap_put(struct pa_qmap *m, const void *key, size_t klen, bool *created)
{
	uint64_t h = fnv1a(key, klen);
	struct pa_qmap_slot *s;

	*created = false;
	if ((m->n + 1) * 4 > m->cap * 3 && grow(m))
		return NULL;
	s = find(m, key, klen, h);
	if (!s->key) {
		s->key = malloc(klen + 1);
		if (!s->key)
			return NULL;
		memcpy(s->key, key, klen);
		s->key[klen] = '\0';
		s->klen = klen;
		s->hash = h;
		s->val = NULL;
		m->n++;
		*created = true;
	}
	return &s->val;
}

void *pa_qmap_get(const struct pa_qmap *m, const void *key, size_t klen)
{
	struct pa_qmap_slot *s;

	if (!m->cap)
		return NULL;
	s = find(m, key, klen, fnv1a(key, klen));
	return s->key ? s->val : NULL;
}

void pa_qmap_free(struct pa_qmap *m, void (*free_val)(void *))
{
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->slots[i].key)
			continue;
		free(m->slots[i].key);
		if (free_val)
			free_val(m->slots[i].val);
	}
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

struct pa_qmap_slot *pa_qmap_each(const struct pa_qmap *m, size_t *i)
{
	for (; *i < m->cap; (*i)++)
		if (m->slots[*i].key)
			return &m->slots[(*i)++];
	return NULL;
}
