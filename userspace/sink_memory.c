// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* An in-memory sink for tests. */
#include "sink.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct memory_sink {
	struct pa_sink base;
	char *buf;
	size_t len;
};

static int memory_write(struct pa_sink *s, const char *buf, size_t len, uint64_t seq, int severity)
{
	struct memory_sink *m = (struct memory_sink *)s;
	char *nb = realloc(m->buf, m->len + len + 1);

	if (!nb)
		return -ENOMEM;
	memcpy(nb + m->len, buf, len);
	m->buf = nb;
	m->len += len;
	m->buf[m->len] = '\0';
	s->bytes += len;
	for (size_t i = 0; i < len; i++)
		s->records += buf[i] == '\n';
	return 0;
}

static int memory_flush(struct pa_sink *s)
{
	(void)s;
	return 0;
}

static void memory_close(struct pa_sink *s)
{
	struct memory_sink *m = (struct memory_sink *)s;

	free(m->buf);
	free(m);
}

static const struct pa_sink_ops memory_ops = {
	.write = memory_write,
	.flush = memory_flush,
	.close = memory_close,
};

struct pa_sink *pa_sink_memory_new(void)
{
	struct memory_sink *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->base.ops = &memory_ops;
	m->base.name = "memory";
	return &m->base;
}

const char *pa_sink_memory_data(struct pa_sink *s, size_t *len)
{
	struct memory_sink *m = (struct memory_sink *)s;

	*len = m->len;
	return m->buf ? m->buf : "";
}
