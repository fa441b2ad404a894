/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The maps the programs share, and the never-silent counter helper. */
#ifndef PHIAUDIT_MAPS_BPF_H
#define PHIAUDIT_MAPS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "phiaudit/abi.h"

/* Events to the agent. The agent sizes it before load (--ring-buffer-mb). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} pa_events SEC(".maps");

/* Watched directories: key is the struct dentry * the agent's O_PATH fd pins. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PA_MAX_WATCHES);
	__type(key, __u64);
	__type(value, struct pa_watch_val);
} pa_watches SEC(".maps");

/* Superblocks holding a watched directory (key: struct super_block *). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PA_MAX_WATCHES);
	__type(key, __u64);
	__type(value, __u32);
} pa_watch_sbs SEC(".maps");

/* Routes from ancestors of watched directories, for denied opens. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PA_MAX_ROUTES);
	__type(key, struct pa_route_key);
	__type(value, struct pa_route_val);
} pa_routes SEC(".maps");

/*
 * Read accounting (see reads.bpf.h). Sized by the agent before load
 * (--max-open-files); allocated as used, so an idle agent pays nothing.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, PA_MAX_OPEN_FILES);
	__type(key, __u64); /* struct file * */
	__type(value, struct pa_file_val);
} pa_files SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, PA_MAX_OPEN_FILES);
	__type(key, struct pa_fd_key);
	__type(value, struct pa_fd_val);
} pa_fds SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, PA_MAX_OPEN_FILES);
	__type(key, struct pa_hold_key);
	__type(value, struct pa_hold_val);
} pa_holds SEC(".maps");

/* Processes holding a tracked file (tgid -> start): the exit hook's gate. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, PA_MAX_HOLDERS);
	__type(key, __u32);
	__type(value, __u64);
} pa_holders SEC(".maps");

/* Watched files reachable outside every watched tree (abi.h); the agent
 * fills it and sets pa_inodes_used, so an empty set costs no lookup. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, PA_MAX_INODES);
	__type(key, struct pa_inode_key);
	__type(value, struct pa_inode_val);
} pa_inodes SEC(".maps");

__u32 pa_inodes_used = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PA_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} pa_counters SEC(".maps");

/* Events being built, per CPU: too large for the 512-byte BPF stack.
 * Slot 0 for most; a rename or link builds its second name in slot 1. */
struct pa_open_scratch {
	struct pa_open_event ev;
	char data[PA_DATA_MAX + PA_NAME_MAX]; /* slack: masked offset + one name */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct pa_open_scratch);
} pa_open_scratch SEC(".maps");

static __always_inline void pa_count(enum pa_counter c)
{
	__u32 key = c;
	__u64 *v = bpf_map_lookup_elem(&pa_counters, &key);

	/* Per-CPU slot: no other writer, a plain increment is exact. */
	if (v)
		*v += 1;
}

#endif /* PHIAUDIT_MAPS_BPF_H */
