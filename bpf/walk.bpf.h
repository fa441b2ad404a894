/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Walking a dentry's ancestry: is it below a watched directory, and what
 * are the names on the way.
 *
 * Scope follows d_parent up to the filesystem's root and only there crosses
 * to the mount point in the parent mount. Walking d_parent first matters: a
 * bind mount of a watched *subdirectory* (a Kubernetes hostPath of
 * /srv/phi/patients) has its mount root at "patients", whose parent dentry
 * is still "phi". Identity, not strings: right for relative paths, dirfds,
 * symlinks, chroots, other mount namespaces and renamed parents.
 *
 * The process-view walk follows d_path's rules instead: at a mount root it
 * crosses to the mount point, and it stops at the process's root.
 */
#ifndef PHIAUDIT_WALK_BPF_H
#define PHIAUDIT_WALK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "phiaudit/abi.h"
#include "maps.bpf.h"

struct pa_scope_result {
	__u32 scope;	/* enum pa_scope */
	__u32 watch_id;
	__u64 watch; /* the matched watched dentry (struct dentry *) */
};

static __always_inline struct mount *pa_real_mount(struct vfsmount *m)
{
	return container_of(m, struct mount, mnt);
}

static __always_inline int pa_sb_watched(struct super_block *sb)
{
	__u64 key = (__u64)sb;

	return bpf_map_lookup_elem(&pa_watch_sbs, &key) != NULL;
}

/*
 * Step one level up the scope walk. Returns 0 to go on, 1 when the walk
 * ended (namespace root or disconnected dentry, *disconnected set).
 */
static __always_inline int pa_scope_step(struct dentry **d, struct mount **mnt,
					 int *disconnected)
{
	struct dentry *parent = BPF_CORE_READ(*d, d_parent);
	struct mount *pmnt;

	if (parent != *d) {
		*d = parent;
		return 0;
	}
	if (BPF_CORE_READ(*d, d_sb, s_root) != *d) {
		*disconnected = 1; /* IS_ROOT but not the fs root: no ancestry */
		return 1;
	}
	pmnt = BPF_CORE_READ(*mnt, mnt_parent);
	if (pmnt == *mnt)
		return 1;
	*d = BPF_CORE_READ(*mnt, mnt_mountpoint);
	*mnt = pmnt;
	return 0;
}

/*
 * Is dentry @dp (seen through vfsmount @mp) a watched directory or below one?
 * The walks are BPF global functions: the verifier checks each once, on its
 * own, instead of once per call site inside an already large program.
 * Kernel pointers travel as __u64 and are only ever read with CO-RE.
 */
__noinline int pa_scope_of(__u64 dp, __u64 mp, struct pa_scope_result *r)
{
	struct dentry *d = (struct dentry *)dp;
	struct mount *mnt = pa_real_mount((struct vfsmount *)mp);
	int disconnected = 0;

	if (!r)
		return 0;
	r->scope = PA_SCOPE_OUT;
	for (int i = 0; i < PA_WALK_MAX_DEPTH; i++) {
		__u64 key = (__u64)d;
		struct pa_watch_val *w = bpf_map_lookup_elem(&pa_watches, &key);

		if (w && (w->flags & PA_WATCH_EXCLUDED))
			return 0; /* an excluded tree inside a watch: out */
		if (w) {
			r->scope = PA_SCOPE_IN;
			r->watch_id = w->watch_id;
			r->watch = (__u64)d;
			return 0;
		}
		if (pa_scope_step(&d, &mnt, &disconnected)) {
			/* open_by_handle_at can give a dentry with no ancestry:
			 * on a filesystem that holds a watch it may be in scope. */
			/* (the superblock is read only here, off the common path) */
			if (disconnected && pa_sb_watched(BPF_CORE_READ((struct dentry *)dp, d_sb))) {
				r->scope = PA_SCOPE_UNRESOLVED;
				pa_count(PA_CNT_SCOPE_UNRESOLVED);
			}
			return 0;
		}
	}
	pa_count(PA_CNT_WALK_TOO_DEEP);
	if (pa_sb_watched(BPF_CORE_READ((struct dentry *)dp, d_sb))) {
		r->scope = PA_SCOPE_UNRESOLVED;
		pa_count(PA_CNT_SCOPE_UNRESOLVED);
	}
	return 0;
}

/*
 * Out of every watched tree, but is @inode a watched file (a hard link to
 * one, one moved out)? Then it is in scope, with no watched ancestor.
 */
static __always_inline int pa_inode_scope(struct inode *inode, struct pa_scope_result *r)
{
	struct pa_inode_key k = {};
	struct pa_inode_val *v;

	if (!pa_inodes_used)
		return 0;
	k.ino = BPF_CORE_READ(inode, i_ino);
	k.dev = BPF_CORE_READ(inode, i_sb, s_dev);
	v = bpf_map_lookup_elem(&pa_inodes, &k);
	if (!v)
		return 0;
	r->scope = PA_SCOPE_IN;
	r->watch_id = v->watch_id;
	r->watch = 0;
	return 1;
}

/*
 * A file with other names (hard links): is one of its cached names in a
 * watched tree? Catches an open through a new link before the agent has
 * put the inode in pa_inodes (which covers names no longer in the dcache).
 * @m: the opened file's mount (a link is on the same filesystem).
 */
#define PA_ALIAS_MAX 4

static __always_inline int pa_alias_scope(struct inode *inode, struct dentry *self,
					  struct vfsmount *m, struct pa_scope_result *r)
{
	struct hlist_node *n;

	if (BPF_CORE_READ(inode, i_nlink) < 2)
		return 0;
	n = BPF_CORE_READ(inode, i_dentry.first);
	for (int i = 0; i < PA_ALIAS_MAX && n; i++) {
		struct dentry *d = (void *)n - bpf_core_field_offset(struct dentry, d_u.d_alias);

		if (d != self) {
			pa_scope_of((__u64)d, (__u64)m, r);
			if (r->scope == PA_SCOPE_IN) {
				r->watch = 0; /* the names given are the outside one's */
				return 1;
			}
		}
		n = BPF_CORE_READ(n, next);
	}
	r->scope = PA_SCOPE_OUT;
	return 0;
}

/* Out of every watched tree: a watched file by another name after all? */
static __always_inline int pa_other_name_scope(struct file *file, struct pa_scope_result *r)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);

	return pa_inode_scope(inode, r) ||
	       pa_alias_scope(inode, BPF_CORE_READ(file, f_path.dentry),
			      BPF_CORE_READ(file, f_path.mnt), r);
}

/*
 * Append one component to @buf at *off. Returns 0, or -1 when the name did
 * not fit (the caller flags the path truncated; nothing is cut silently).
 */
static __always_inline int pa_put_name(struct pa_open_scratch *s, __u32 *off, struct dentry *d)
{
	const unsigned char *name = BPF_CORE_READ(d, d_name.name);
	__u32 o = *off;
	long n;

	if (o > PA_DATA_MAX - PA_NAME_MAX)
		return -1;
	n = bpf_probe_read_kernel_str(&s->data[o & (PA_DATA_MAX - 1)], PA_NAME_MAX, name);
	if (n <= 0)
		return -1;
	*off = o + n;
	return 0;
}

/*
 * Names from dentry @dp up to (not including) @stop, following the scope
 * walk, written at @off in @s->data. Returns bytes written; sets
 * PA_PATH_REL_TRUNCATED (never cuts silently).
 */
__noinline __u32 pa_rel_names(struct pa_open_scratch *s, __u32 off, __u64 dp, __u64 mp,
			      __u64 stop)
{
	struct dentry *d = (struct dentry *)dp;
	struct mount *mnt = pa_real_mount((struct vfsmount *)mp);
	__u32 start = off, mark = 0;
	int disconnected = 0, marked = 0;

	if (!s)
		return 0;
	__u16 *flags = &s->ev.path_flags;

	for (int i = 0; i < PA_WALK_MAX_DEPTH; i++) {
		struct mount *was = mnt;

		if ((__u64)d == stop)
			return off - start;
		/* Where this mount's root is: names above it are hidden by the
		 * mount unless the walk reaches the stop without crossing. */
		if (!marked && d == BPF_CORE_READ(mnt, mnt.mnt_root)) {
			mark = off;
			marked = 1;
		}
		/* A filesystem root has no name of its own ("/"). */
		if (BPF_CORE_READ(d, d_parent) != d && pa_put_name(s, &off, d)) {
			*flags |= PA_PATH_REL_TRUNCATED;
			return off - start;
		}
		if (pa_scope_step(&d, &mnt, &disconnected)) {
			if (disconnected)
				*flags |= PA_PATH_DISCONNECTED;
			return off - start;
		}
		/*
		 * Crossed to the mount point: a subdirectory of another
		 * filesystem bind-mounted into a tree was reached through
		 * names its mount hides ("sub/scans" of the other filesystem):
		 * from its root on, the mount point names it instead.
		 */
		if (mnt != was && marked) {
			off = mark;
			marked = 0;
		}
	}
	*flags |= PA_PATH_REL_TRUNCATED;
	return off - start;
}

/*
 * The path as the process sees it (d_path rules): names from dentry @dp up
 * to the current task's root, crossing mounts at mount roots, written at
 * @off in @s->data. Returns bytes written.
 */
__noinline __u32 pa_view_names(struct pa_open_scratch *s, __u32 off, __u64 dp, __u64 mp)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct dentry *root_d = BPF_CORE_READ(task, fs, root.dentry);
	struct vfsmount *root_m = BPF_CORE_READ(task, fs, root.mnt);
	struct dentry *d = (struct dentry *)dp;
	struct mount *mnt = pa_real_mount((struct vfsmount *)mp);
	__u32 start = off;

	if (!s)
		return 0;
	__u16 *flags = &s->ev.path_flags;

	for (int i = 0; i < PA_WALK_MAX_DEPTH; i++) {
		struct dentry *parent;

		if (d == root_d && &mnt->mnt == root_m)
			return off - start;
		if (d == BPF_CORE_READ(mnt, mnt.mnt_root)) {
			struct mount *pmnt = BPF_CORE_READ(mnt, mnt_parent);

			if (pmnt == mnt) {
				/* Namespace root reached without meeting the
				 * process root: the file is outside its chroot. */
				*flags |= PA_PATH_VIEW_UNREACHABLE;
				return off - start;
			}
			d = BPF_CORE_READ(mnt, mnt_mountpoint);
			mnt = pmnt;
			continue;
		}
		parent = BPF_CORE_READ(d, d_parent);
		if (parent == d) {
			*flags |= PA_PATH_DISCONNECTED;
			return off - start;
		}
		if (pa_put_name(s, &off, d)) {
			*flags |= PA_PATH_VIEW_TRUNCATED;
			return off - start;
		}
		d = parent;
	}
	*flags |= PA_PATH_VIEW_TRUNCATED;
	return off - start;
}

#endif /* PHIAUDIT_WALK_BPF_H */
