/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * From the kernel's cgroup id (a cgroup v2 directory's inode number) to
 * its path, and from the path to a container id and a systemd unit. The
 * path is found by scanning the cgroup tree (/sys/fs/cgroup): at start,
 * and again on an unknown id at most once a second (containers come and
 * go), never per event. Bounded: PA_CGROUPS_MAX ids.
 */
#ifndef PHIAUDIT_CGROUPS_H
#define PHIAUDIT_CGROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PA_CGROUPS_MAX	    65536
#define PA_CGROUPS_RESCAN_NS 1000000000ULL

struct pa_cgroup_entry {
	uint64_t id;
	char *path;	      /* below the cgroup root, "/" for the root itself */
	char *unit;	      /* the systemd unit it names, or NULL */
	char container_id[65]; /* the container it names, or "" */
	struct pa_cgroup_entry *next;
};

struct pa_cgroups {
	const char *root;	/* the cgroup v2 mount; NULL when there is none */
	struct pa_cgroup_entry *buckets[4096];
	size_t n;
	uint64_t last_scan_ns;
	bool scanned;
	uint64_t scans;
};

/* @root NULL: find the cgroup v2 mount (/sys/fs/cgroup or .../unified). */
void pa_cgroups_init(struct pa_cgroups *c, const char *root);
void pa_cgroups_free(struct pa_cgroups *c);

/* Cgroup @id, with what its path names (worked out once, at the scan),
 * or NULL (unknown even after a rescan). Valid until the next call. */
const struct pa_cgroup_entry *pa_cgroup_find(struct pa_cgroups *c, uint64_t id, uint64_t now_ns);

/* Its path alone. */
const char *pa_cgroup_path(struct pa_cgroups *c, uint64_t id, uint64_t now_ns);

/* The container id a cgroup path names (docker, containerd, CRI-O,
 * podman, or a bare 64-hex directory), into @out (65 bytes); false if none. */
bool pa_cgroup_container_id(const char *path, char out[65]);

/* The systemd unit a path names (its last *.service or *.scope that is
 * not a container's), into @out; false if none. */
bool pa_cgroup_unit(const char *path, char *out, size_t outlen);

#endif
