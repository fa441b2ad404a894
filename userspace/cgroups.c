// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "cgroups.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#define NBUCKETS (sizeof(((struct pa_cgroups *)0)->buckets) / sizeof(void *))

#define CGROUP2_SUPER_MAGIC 0x63677270

static bool is_cgroup2(const char *path)
{
	struct statfs sf;

	return statfs(path, &sf) == 0 && (unsigned long)sf.f_type == CGROUP2_SUPER_MAGIC;
}

void pa_cgroups_init(struct pa_cgroups *c, const char *root)
{
	memset(c, 0, sizeof(*c));
	c->root = root;
	if (root)
		return;
	/* The unified (v2) tree: where the kernel's cgroup ids live. Hybrid
	 * systems mount it at /sys/fs/cgroup/unified. */
	if (is_cgroup2("/sys/fs/cgroup"))
		c->root = "/sys/fs/cgroup";
	else if (is_cgroup2("/sys/fs/cgroup/unified"))
		c->root = "/sys/fs/cgroup/unified";
}

static void clear(struct pa_cgroups *c)
{
	for (size_t i = 0; i < NBUCKETS; i++) {
		while (c->buckets[i]) {
			struct pa_cgroup_entry *e = c->buckets[i];

			c->buckets[i] = e->next;
			free(e->path);
			free(e->unit);
			free(e);
		}
	}
	c->n = 0;
}

void pa_cgroups_free(struct pa_cgroups *c)
{
	clear(c);
}

static struct pa_cgroup_entry *find(struct pa_cgroups *c, uint64_t id)
{
	struct pa_cgroup_entry *e = c->buckets[id % NBUCKETS];

	while (e && e->id != id)
		e = e->next;
	return e;
}

/* nftw has no context argument: the scan runs under one global. */
static struct pa_cgroups *scanning;
static size_t root_len;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	struct pa_cgroup_entry *e;
	const char *rel = path + root_len;

	if (type != FTW_D || scanning->n >= PA_CGROUPS_MAX)
		return 0;
	if (find(scanning, (uint64_t)st->st_ino))
		return 0;
	e = malloc(sizeof(*e));
	if (!e)
		return 1;
	e->id = (uint64_t)st->st_ino;
	e->path = strdup(*rel ? rel : "/");
	if (!e->path) {
		free(e);
		return 1;
	}
	if (!pa_cgroup_container_id(e->path, e->container_id))
		e->container_id[0] = '\0';
	{
		char unit[256];

		e->unit = pa_cgroup_unit(e->path, unit, sizeof(unit)) ? strdup(unit) : NULL;
	}
	e->next = scanning->buckets[e->id % NBUCKETS];
	scanning->buckets[e->id % NBUCKETS] = e;
	scanning->n++;
	return 0;
}

static void scan(struct pa_cgroups *c, uint64_t now_ns)
{
	if (!c->root)
		return; /* no cgroup v2 tree: ids stay numbers */
	/* Removed cgroups' ids are not reused while the kernel runs (kernfs
	 * ids grow); dropping them keeps the table to what exists. */
	clear(c);
	scanning = c;
	root_len = strlen(c->root);
	nftw(c->root, visit, 32, FTW_PHYS | FTW_MOUNT);
	scanning = NULL;
	c->last_scan_ns = now_ns;
	c->scanned = true;
	c->scans++;
}

const struct pa_cgroup_entry *pa_cgroup_find(struct pa_cgroups *c, uint64_t id, uint64_t now_ns)
{
	struct pa_cgroup_entry *e = find(c, id);

	if (e)
		return e;
	if (c->scanned && now_ns < c->last_scan_ns + PA_CGROUPS_RESCAN_NS)
		return NULL;
	scan(c, now_ns);
	return find(c, id);
}

const char *pa_cgroup_path(struct pa_cgroups *c, uint64_t id, uint64_t now_ns)
{
	const struct pa_cgroup_entry *e = pa_cgroup_find(c, id, now_ns);

	return e ? e->path : NULL;
}

static bool is_hex64(const char *s)
{
	for (int i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

bool pa_cgroup_container_id(const char *path, char out[65])
{
	const char *p = path + strlen(path);

	/* from the deepest component up: the container's own cgroup */
	while (p > path) {
		const char *end = p, *start;

		while (p > path && p[-1] != '/')
			p--;
		start = p;
		for (const char *q = start; q + 64 <= end; q++) {
			bool left = q == start || q[-1] == '-' || q[-1] == ':';
			bool right = q + 64 == end || q[64] == '.';

			if (left && right && is_hex64(q)) {
				memcpy(out, q, 64);
				out[64] = '\0';
				return true;
			}
		}
		if (p > path)
			p--; /* the '/' */
	}
	return false;
}

static bool ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && !memcmp(s + n - k, suffix, k);
}

bool pa_cgroup_unit(const char *path, char *out, size_t outlen)
{
	const char *p = path + strlen(path);

	while (p > path) {
		const char *end = p, *start;
		size_t n;
		char id[65];

		while (p > path && p[-1] != '/')
			p--;
		start = p;
		n = (size_t)(end - start);
		if (ends_with(start, n, ".service") || ends_with(start, n, ".scope")) {
			char comp[256];

			snprintf(comp, sizeof(comp), "%.*s", (int)n, start);
			if (!pa_cgroup_container_id(comp, id)) {
				snprintf(out, outlen, "%s", comp);
				return true;
			}
		}
		if (p > path)
			p--;
	}
	return false;
}
