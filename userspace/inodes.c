// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "inodes.h"

#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "phiaudit.skel.h"

/* Files opened (O_PATH) per identity pass while seeding. */
#define SEED_BATCH 256

/* Put the files open as @fds (with their watches) into the kernel set. */
static void add_batch(struct pa_bpf *b, struct pa_inodes *s, const int *fds,
		      const uint32_t *watch_ids, size_t n)
{
	int map = bpf_map__fd(b->skel->maps.pa_inodes);
	struct pa_idents ids;
	int rc = pa_bpf_idents(b, &ids);

	for (size_t i = 0; i < n; i++) {
		const struct pa_ident *id = rc ? NULL : pa_idents_find(&ids, fds[i]);
		struct pa_inode_key k = { 0 };
		struct pa_inode_val v = { .watch_id = watch_ids[i] };

		if (!id) {
			s->failed++;
			continue;
		}
		k.ino = id->ino;
		k.dev = id->dev;
		if (bpf_map_update_elem(map, &k, &v, BPF_ANY)) {
			s->full++;
			continue;
		}
		s->added++;
		/* From now on, a miss in the kernel costs one lookup. */
		b->skel->bss->pa_inodes_used = 1;
	}
	pa_idents_free(&ids);
}

int pa_inodes_add(struct pa_bpf *b, struct pa_inodes *s, const char *path, uint32_t watch_id)
{
	int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		s->failed++;
		return -errno;
	}
	add_batch(b, s, &fd, &watch_id, 1);
	close(fd);
	return 0;
}

struct seed_batch {
	int fds[SEED_BATCH];
	uint32_t watch_ids[SEED_BATCH];
	size_t n;
};

static void flush_batch(struct pa_bpf *b, struct pa_inodes *s, struct seed_batch *q)
{
	size_t before = s->added;

	add_batch(b, s, q->fds, q->watch_ids, q->n);
	s->seeded += s->added - before;
	for (size_t i = 0; i < q->n; i++)
		close(q->fds[i]);
	q->n = 0;
}

static bool is_excluded(const struct pa_watchset *ws, const char *path)
{
	for (size_t i = 0; i < ws->n; i++)
		if (ws->w[i]->excluded && !strcmp(ws->w[i]->path, path))
			return true;
	return false;
}

static int seed_tree(struct pa_bpf *b, struct pa_inodes *s, const struct pa_watchset *ws,
		     const struct pa_watch *w, struct seed_batch *q)
{
	char *roots[] = { w->path, NULL };
	FTS *fts = fts_open(roots, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	FTSENT *e;

	if (!fts)
		return -errno;
	while ((e = fts_read(fts))) {
		if (e->fts_info == FTS_D && e->fts_level > 0 && is_excluded(ws, e->fts_path)) {
			fts_set(fts, e, FTS_SKIP);
			continue;
		}
		if (e->fts_info != FTS_F)
			continue;
		s->scanned++;
		if (e->fts_statp->st_nlink < 2)
			continue;
		q->fds[q->n] = open(e->fts_path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (q->fds[q->n] < 0) {
			s->failed++;
			continue;
		}
		q->watch_ids[q->n++] = w->id;
		if (q->n == SEED_BATCH)
			flush_batch(b, s, q);
	}
	fts_close(fts);
	return 0;
}

int pa_inodes_seed(struct pa_bpf *b, struct pa_inodes *s, const struct pa_watchset *ws)
{
	struct seed_batch *q = calloc(1, sizeof(*q));
	uint64_t t0 = pa_clock_boot_ns();
	int rc = 0;

	if (!q)
		return -ENOMEM;
	for (size_t i = 0; i < ws->n; i++)
		if (!ws->w[i]->excluded && !ws->w[i]->deleted && seed_tree(b, s, ws, ws->w[i], q))
			rc = -errno;
	flush_batch(b, s, q);
	free(q);
	s->seed_ns = pa_clock_boot_ns() - t0;
	return rc;
}
