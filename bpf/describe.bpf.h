/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Naming a file that is not being opened: the object of an fd-based change
 * (fchmod, ftruncate, ...) and a transfer's destination. The record has
 * the open layout (struct pa_open_event), sent as PA_EV_CHANGE, so the
 * agent renders its paths exactly as it does an open's.
 */
#ifndef PHIAUDIT_DESCRIBE_BPF_H
#define PHIAUDIT_DESCRIBE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "phiaudit/abi.h"
#include "open.bpf.h"

/*
 * Fill @s from the kernel object @file_ptr: identity, scope, names. In a
 * watched tree (or a watched inode) the names run up to the watch (or the
 * root); out of every one, up to the root, and only when @keep_out.
 * Returns the data length, or -1: out of scope, nothing to send.
 * A global function: verified once, on its own.
 */
__noinline int pa_file_part(struct pa_open_scratch *s, __u64 file_ptr, __u32 keep_out)
{
	struct file *file = (struct file *)file_ptr;
	struct pa_scope_result r = {};
	struct dentry *d;
	struct vfsmount *m;
	__u32 rel;

	if (!s || !file)
		return -1;
	d = BPF_CORE_READ(file, f_path.dentry);
	m = BPF_CORE_READ(file, f_path.mnt);
	pa_scope_of((__u64)d, (__u64)m, &r);
	if (r.scope == PA_SCOPE_OUT) {
		if (pa_other_name_scope(file, &r))
			s->ev.path_flags |= PA_PATH_VIA_INODE;
		else if (!keep_out)
			return -1;
	}
	s->ev.scope = r.scope;
	s->ev.watch_id = r.watch_id;
	pa_fill_file_identity(&s->ev, file);
	rel = pa_rel_names(s, 0, (__u64)d, (__u64)m, r.watch);
	s->ev.rel_len = rel;
	s->ev.view_len = pa_view_names(s, rel, (__u64)d, (__u64)m);
	if (s->ev.path_flags & (PA_PATH_REL_TRUNCATED | PA_PATH_VIEW_TRUNCATED))
		pa_count(PA_CNT_PATH_TRUNCATED);
	return rel + s->ev.view_len;
}

/*
 * Send a PA_ROLE_@role description of @file (a transfer's destination),
 * in or out of scope. Returns its event's seq, 0 when none was sent.
 */
static __always_inline __u64 pa_describe_file(struct task_struct *task, struct file *file,
					      __u16 op, __u16 role)
{
	struct pa_open_scratch *s = pa_scratch(task, 0, op, 0);
	__u64 seq;
	int len;

	if (!s)
		return 0;
	s->ev.role = role;
	s->ev.dirfd = PA_AT_FDCWD;
	len = pa_file_part(s, (__u64)file, 1);
	if (len < 0)
		return 0;
	seq = pa_next_seq();
	s->ev.hdr.seq = seq;
	pa_emit_as(s, PA_EV_CHANGE, len);
	return seq;
}

#endif /* PHIAUDIT_DESCRIBE_BPF_H */
