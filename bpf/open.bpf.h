/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Opens, decided at syscall exit: the fd the syscall returned leads to the
 * struct file, whose dentry decides scope. Denied opens have no file: their
 * scope comes from the start directory (cwd, dirfd or root) and the string
 * the process passed, and the record says so (PA_PATH_FROM_USER).
 */
#ifndef PHIAUDIT_OPEN_BPF_H
#define PHIAUDIT_OPEN_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "phiaudit/abi.h"
#include "phiaudit/syscalls.h"
#include "phiaudit/pathhash.h"
#include "maps.bpf.h"
#include "emit.bpf.h"
#include "task.bpf.h"
#include "reads.bpf.h"
#include "walk.bpf.h"
#include "proc.bpf.h"

#define PA_EACCES 13
#define PA_EPERM 1
#define PA_AT_FDCWD -100
#define PA_FMODE_CREATED (1u << 20) /* the open created the file */

/* Syscall argument @idx (0-5) in the ABI the syscall was made in. */
static __always_inline __u64 pa_arg(struct pt_regs *regs, int compat, int idx)
{
	if (compat) {
		/* i386: ebx ecx edx esi edi ebp, 32 bits each */
		switch (idx) {
		case 0: return (__u32)BPF_CORE_READ(regs, bx);
		case 1: return (__u32)BPF_CORE_READ(regs, cx);
		case 2: return (__u32)BPF_CORE_READ(regs, dx);
		case 3: return (__u32)BPF_CORE_READ(regs, si);
		case 4: return (__u32)BPF_CORE_READ(regs, di);
		default: return (__u32)BPF_CORE_READ(regs, bp);
		}
	}
	switch (idx) {
	case 0: return BPF_CORE_READ(regs, di);
	case 1: return BPF_CORE_READ(regs, si);
	case 2: return BPF_CORE_READ(regs, dx);
	case 3: return BPF_CORE_READ(regs, r10);
	case 4: return BPF_CORE_READ(regs, r8);
	default: return BPF_CORE_READ(regs, r9);
	}
}

static __always_inline void pa_read_open_args(struct pa_open_event *ev, struct pt_regs *regs,
					      int compat, enum pa_syscall op, __u64 *path)
{
	struct pa_open_args_layout l = pa_open_layout(op);

	ev->dirfd = l.dirfd >= 0 ? (__s32)pa_arg(regs, compat, l.dirfd) : PA_AT_FDCWD;
	*path = l.path >= 0 ? pa_arg(regs, compat, l.path) : 0;
	ev->flags = l.flags >= 0 ? (__u32)pa_arg(regs, compat, l.flags) : 0;
	ev->mode = l.mode >= 0 ? (__u32)pa_arg(regs, compat, l.mode) : 0;
	if (op == PA_SYS_CREAT)
		ev->flags = PA_CREAT_FLAGS;
	if (l.how >= 0) {
		struct open_how how = {};

		bpf_probe_read_user(&how, sizeof(how), (void *)pa_arg(regs, compat, l.how));
		ev->flags = how.flags;
		ev->mode = (__u32)how.mode;
	}
}

/*
 * Send the event built in @s with @data_len bytes of names and strings,
 * as @type (an open, or a change in the same layout). A global function:
 * lengths reach it as plain scalars and are bounded here, where the
 * verifier sees the check on the register it uses.
 */
__noinline int pa_emit_as(struct pa_open_scratch *s, __u32 type, __u32 data_len)
{
	__u64 size;

	if (!s)
		return 0;
	size = sizeof(s->ev) + (__u64)data_len;
	/* Cannot happen (the builders stay inside s->data): an exit, not a
	 * clamp, which clang turns into a select the verifier can't follow. */
	if (size > sizeof(*s))
		return 0;
	pa_hdr_fill(&s->ev.hdr, type, size);
	if (bpf_ringbuf_output(&pa_events, s, size, pa_wakeup_flags(size)))
		pa_count(PA_CNT_RINGBUF_FULL);
	else
		pa_count(PA_CNT_EVENTS);
	return 0;
}

static __always_inline void pa_emit_open(struct pa_open_scratch *s, __u32 data_len)
{
	pa_emit_as(s, PA_EV_OPEN, data_len);
}

/* Which file it is: the inode's identity, owner, mode and size. */
static __always_inline void pa_fill_file_identity(struct pa_open_event *ev, struct file *file)
{
	struct inode *inode = BPF_CORE_READ(file, f_inode);

	ev->file_ino = BPF_CORE_READ(inode, i_ino);
	ev->file_dev = BPF_CORE_READ(inode, i_sb, s_dev);
	ev->file_mode = BPF_CORE_READ(inode, i_mode);
	ev->file_uid = BPF_CORE_READ(inode, i_uid.val);
	ev->file_gid = BPF_CORE_READ(inode, i_gid.val);
	ev->file_size = BPF_CORE_READ(inode, i_size);
}

/*
 * The open of @file as @fd, in scope @r, into @s (process and arguments
 * already there): its identity and names, its tracking for reads, then
 * the event. Shared by opens and discovery (@track_flags).
 */
static __always_inline void pa_emit_file_open(struct pa_open_scratch *s, struct task_struct *task,
					      struct file *file, int fd, struct dentry *d,
					      struct vfsmount *m, const struct pa_scope_result *r,
					      __u32 track_flags)
{
	/* Who it is, first (once a process). The leader, read as a plain
	 * value: an iterator's task is a trusted pointer, which a global
	 * function may not take. */
	pa_emit_proc((__u64)BPF_CORE_READ(task, group_leader));
	s->ev.scope = r->scope;
	s->ev.watch_id = r->watch_id;
	pa_fill_file_identity(&s->ev, file);
	/* UNRESOLVED: the names up to where ancestry ends (stop is NULL). */
	s->ev.rel_len = pa_rel_names(s, 0, (__u64)d, (__u64)m, r->watch);
	/* From the current task's root: in discovery, the agent's (host's). */
	s->ev.view_len = pa_view_names(s, s->ev.rel_len, (__u64)d, (__u64)m);
	if (s->ev.path_flags & (PA_PATH_REL_TRUNCATED | PA_PATH_VIEW_TRUNCATED))
		pa_count(PA_CNT_PATH_TRUNCATED);
	/* The open's number names it in the read accounts: take it now. */
	s->ev.hdr.seq = pa_next_seq();
	s->ev.track = pa_track_open(task, file, fd, s->ev.hdr.seq, r->watch_id) | track_flags;
	pa_emit_open(s, s->ev.rel_len + s->ev.view_len);
}

/* Scratch slot @slot, cleared, with who and what. */
static __always_inline struct pa_open_scratch *pa_scratch(struct task_struct *task, __u32 slot,
							  __u16 op, int compat)
{
	struct pa_open_scratch *s = bpf_map_lookup_elem(&pa_open_scratch, &slot);

	if (!s)
		return NULL;
	__builtin_memset(&s->ev, 0, sizeof(s->ev));
	pa_fill_proc_of(&s->ev.proc, task);
	s->ev.syscall = op;
	s->ev.compat = compat;
	return s;
}

static __always_inline struct pa_open_scratch *pa_begin(struct task_struct *task,
							struct pt_regs *regs, int compat,
							enum pa_syscall op, long ret, __u64 *path)
{
	struct pa_open_scratch *s = pa_scratch(task, 0, op, compat);

	if (!s)
		return NULL;
	pa_read_open_args(&s->ev, regs, compat, op, path);
	s->ev.ret = ret;
	s->ev.syscall = op;
	s->ev.compat = compat;
	return s;
}

/*
 * A denied open whose start directory is outside every watched tree: does
 * the string walk from it into one? Follows the routes the agent installed
 * for each ancestor of each watch. Empty and "." components are skipped;
 * ".." ends the match (it may cross a symlink, so no lexical guess).
 * One byte per bpf_loop step: a plain loop over 4 KiB exceeds the
 * verifier's jump history.
 */
struct pa_route_scan {
	struct pa_open_scratch *s;
	__u64 committed, cur;
	struct pa_route_key key;
	__u32 len, comp_len, dots, ncomp;
	__u32 watch_id, depth, matched;
	__u32 skip; /* where the string starts (after resolved "../") */
};

static long pa_route_step(__u64 i, void *arg)
{
	struct pa_route_scan *st = arg;
	struct pa_route_val *w;
	char c;

	i += st->skip;
	c = i < st->len ? st->s->data[i & (PA_USER_PATH_MAX - 1)] : 0;
	if (c != '/' && c != 0) {
		if (st->comp_len == 0)
			st->cur = st->ncomp ? pa_hash_sep(st->committed) : st->committed;
		st->cur = pa_hash_byte(st->cur, c);
		st->comp_len++;
		st->dots += c == '.';
		return 0;
	}
	if (st->comp_len == 2 && st->dots == 2)
		return 1;
	if (st->comp_len > 1 || (st->comp_len == 1 && st->dots == 0)) {
		st->committed = st->cur;
		st->ncomp++;
		st->key.hash = st->committed;
		w = bpf_map_lookup_elem(&pa_routes, &st->key);
		if (w) {
			st->watch_id = w->watch_id;
			st->depth = w->depth;
			st->matched = 1;
			return 1;
		}
	}
	st->comp_len = 0;
	st->dots = 0;
	return c == 0;
}


static __always_inline int pa_route_match(struct pa_open_scratch *s, __u32 len, __u32 skip,
					  __u64 start, __u32 *watch_id, __u32 *depth)
{
	struct pa_route_scan st = {
		.s = s,
		.committed = PA_FNV_OFFSET,
		.cur = PA_FNV_OFFSET,
		.key = { .dentry = start },
		.len = len,
		.skip = skip,
	};

	if (!pa_have_bpf_loop || skip >= len)
		return 0;
	/* len counts the NUL: the last step ends the last component. */
	bpf_loop(len - skip, pa_route_step, &st, 0);
	*watch_id = st.watch_id;
	*depth = st.depth;
	return st.matched;
}

/* The directory a string path starts from: root, cwd or dirfd. */
static __always_inline int pa_start_dir(struct task_struct *task, const char *first, __s32 dirfd,
					struct dentry **d, struct vfsmount **m)
{
	if (*first == '/') {
		*d = BPF_CORE_READ(task, fs, root.dentry);
		*m = BPF_CORE_READ(task, fs, root.mnt);
	} else if (dirfd == PA_AT_FDCWD) {
		*d = BPF_CORE_READ(task, fs, pwd.dentry);
		*m = BPF_CORE_READ(task, fs, pwd.mnt);
	} else {
		struct file *dir = pa_fd_file(task, dirfd);

		if (!dir)
			return -1;
		*d = BPF_CORE_READ(dir, f_path.dentry);
		*m = BPF_CORE_READ(dir, f_path.mnt);
	}
	return 0;
}

/*
 * ".." from @d as the kernel takes it: not above the process's root; at a
 * mount's root, first down to its mount point. Exact, unlike ".." after a
 * name, which may follow a symlink.
 */
#define PA_DOTDOT_MOUNTS 4

static __always_inline void pa_dotdot(struct task_struct *task, struct dentry **d,
				      struct vfsmount **m)
{
	struct dentry *root_d = BPF_CORE_READ(task, fs, root.dentry);
	struct vfsmount *root_m = BPF_CORE_READ(task, fs, root.mnt);

	for (int i = 0; i < PA_DOTDOT_MOUNTS; i++) {
		struct mount *mnt = pa_real_mount(*m), *parent;

		if (*d == root_d && *m == root_m)
			return;
		if (*d != BPF_CORE_READ(*m, mnt_root))
			break;
		parent = BPF_CORE_READ(mnt, mnt_parent);
		if (parent == mnt)
			return;
		*d = BPF_CORE_READ(mnt, mnt_mountpoint);
		*m = &parent->mnt;
	}
	*d = BPF_CORE_READ(*d, d_parent);
}

/*
 * A relative string that begins with "../" (mv ../phi/x .): the start
 * directory is walked up for each, as the kernel did, so the string's
 * placement starts below them. Returns the bytes consumed.
 */
#define PA_DOTDOT_MAX 8

static __always_inline __u32 pa_leading_dotdot(struct task_struct *task,
						struct pa_open_scratch *s, struct dentry **d,
						struct vfsmount **m)
{
	__u32 skip = 0;

	for (int i = 0; i < PA_DOTDOT_MAX; i++) {
		char a = s->data[skip & (PA_USER_PATH_MAX - 1)];
		char b = s->data[(skip + 1) & (PA_USER_PATH_MAX - 1)];
		char c = s->data[(skip + 2) & (PA_USER_PATH_MAX - 1)];

		if (a != '.' || b != '.' || (c != '/' && c != 0))
			break;
		pa_dotdot(task, d, m);
		skip += c == '/' ? 3 : 2;
		if (c == 0)
			break;
	}
	return skip;
}

/*
 * A path given only as a string (a denied open, an unlink, a rename's
 * names): no kernel object, so its scope is its start directory's, or a
 * route from there (the agent re-checks ".." lexically). Fills @s's scope
 * and PA_PATH_* flags and writes [string][rel names][view names] into its
 * data. Out of scope it gives up, unless @keep_out (the other half of a
 * rename or link): then the names run to the root, an absolute path.
 * Returns the data length, or -1: nothing to send.
 * A global function: the verifier checks it once, not at every caller.
 */
__noinline int pa_path_part(struct pa_open_scratch *s, __u64 task_ptr, __s32 dirfd, __u64 upath,
			    __u32 keep_out)
{
	struct task_struct *task = (struct task_struct *)task_ptr;
	struct pa_scope_result r = {};
	struct dentry *start_d;
	struct vfsmount *start_m;
	long n;
	__u32 off, skip;

	if (!s || !upath)
		return -1;
	n = bpf_probe_read_user_str(s->data, PA_USER_PATH_MAX, (void *)upath);
	if (n <= 0) {
		pa_count(PA_CNT_USER_PATH_FAULT);
		return -1;
	}
	if (n == PA_USER_PATH_MAX)
		s->ev.path_flags |= PA_PATH_USER_TRUNCATED;
	if (pa_start_dir(task, s->data, dirfd, &start_d, &start_m))
		return -1;
	skip = pa_leading_dotdot(task, s, &start_d, &start_m);
	s->ev.user_skip = skip;
	pa_scope_of((__u64)start_d, (__u64)start_m, &r);
	if (r.scope != PA_SCOPE_IN) {
		if (pa_route_match(s, n & (PA_USER_PATH_MAX * 2 - 1), skip, (__u64)start_d, &r.watch_id,
				   &s->ev.route_depth)) {
			r.scope = PA_SCOPE_IN;
			r.watch = 0; /* the start directory is above the watch */
			s->ev.path_flags |= PA_PATH_VIA_ROUTE;
		} else if (!keep_out) {
			return -1;
		} else {
			r.scope = PA_SCOPE_OUT;
		}
	}
	s->ev.scope = r.scope;
	s->ev.watch_id = r.scope == PA_SCOPE_IN ? r.watch_id : 0;
	s->ev.path_flags |= PA_PATH_FROM_USER;
	s->ev.user_len = n;
	off = n;
	/* In a watch: names up to it. Out: up to the root (stop is NULL). */
	if (r.watch || r.scope != PA_SCOPE_IN)
		s->ev.rel_len = pa_rel_names(s, off, (__u64)start_d, (__u64)start_m, r.watch);
	off += s->ev.rel_len;
	s->ev.view_len = pa_view_names(s, off, (__u64)start_d, (__u64)start_m);
	if (s->ev.path_flags & (PA_PATH_REL_TRUNCATED | PA_PATH_VIEW_TRUNCATED |
				PA_PATH_USER_TRUNCATED))
		pa_count(PA_CNT_PATH_TRUNCATED);
	return off + s->ev.view_len;
}

static __always_inline int pa_denied_open(struct task_struct *task, struct pt_regs *regs,
					  int compat, enum pa_syscall op, long ret)
{
	struct pa_open_scratch *s;
	__u64 upath;
	int len;

	s = pa_begin(task, regs, compat, op, ret, &upath);
	if (!s)
		return 0;
	len = pa_path_part(s, (__u64)task, s->ev.dirfd, upath, 0);
	if (len < 0)
		return 0;
	pa_emit_proc((__u64)BPF_CORE_READ(task, group_leader));
	pa_emit_open(s, len);
	return 0;
}

static __always_inline int pa_opened(struct task_struct *task, struct pt_regs *regs,
				     int compat, enum pa_syscall op, long ret)
{
	struct pa_scope_result r = {};
	struct pa_open_scratch *s;
	struct file *file = pa_fd_file(task, ret);
	struct dentry *d;
	struct vfsmount *m;
	__u64 upath;

	if (!file) {
		pa_count(PA_CNT_FD_LOOKUP_FAILED);
		return 0;
	}
	d = BPF_CORE_READ(file, f_path.dentry);
	m = BPF_CORE_READ(file, f_path.mnt);
	pa_scope_of((__u64)d, (__u64)m, &r);
	if (r.scope == PA_SCOPE_OUT && !pa_other_name_scope(file, &r))
		return 0;
	s = pa_begin(task, regs, compat, op, ret, &upath);
	if (!s)
		return 0;
	if (!r.watch && r.scope == PA_SCOPE_IN)
		s->ev.path_flags |= PA_PATH_VIA_INODE;
	if (BPF_CORE_READ(file, f_mode) & PA_FMODE_CREATED)
		s->ev.path_flags |= PA_PATH_CREATED;
	pa_emit_file_open(s, task, file, ret, d, m, &r, 0);
	return 0;
}

static __always_inline int pa_handle_open(struct task_struct *task, struct pt_regs *regs,
					  int compat, enum pa_syscall op, long ret)
{
	if ((bpf_get_current_pid_tgid() >> 32) == pa_agent_tgid)
		return 0;
	if (ret >= 0)
		return pa_opened(task, regs, compat, op, ret);
	if (ret == -PA_EACCES || ret == -PA_EPERM)
		return pa_denied_open(task, regs, compat, op, ret);
	return 0;
}

#endif /* PHIAUDIT_OPEN_BPF_H */
