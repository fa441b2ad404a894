/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Building struct pa_open_event records by hand, as the kernel lays them
 * out (include/phiaudit/abi.h):
 *
 *   [struct pa_open_event][user: user_len][rel: rel_len][view: view_len]
 *
 * Names lists are leaf first and NUL-separated; write them as C literals
 * with UNIT_NAMES("leaf\0" "dir\0") so the length counts every NUL; a user
 * string with UNIT_USER("rel/path"), which counts its final NUL.
 */
#ifndef PHIAUDIT_TESTS_EVENTS_H
#define PHIAUDIT_TESTS_EVENTS_H

#include <stdint.h>
#include <string.h>

#include "phiaudit/abi.h"

#define UNIT_NAMES(lit) (lit), sizeof(lit) - 1
#define UNIT_NO_NAMES "", 0
/* A user-supplied path: its NUL is part of the record. */
#define UNIT_USER(lit) (lit), sizeof(lit)
#define UNIT_NO_USER "", 0

struct unit_event {
	union {
		struct pa_open_event ev;
		unsigned char raw[sizeof(struct pa_open_event) + 3 * PA_DATA_MAX];
	};
	size_t size; /* bytes of the record: what the ring buffer hands over */
};

/* A plausible successful openat(AT_FDCWD, ..., O_RDONLY) by "cat". */
static inline void unit_event_defaults(struct pa_open_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->hdr.type = PA_EV_OPEN;
	ev->hdr.cpu = 3;
	ev->hdr.seq = 77;
	ev->hdr.ktime_ns = 5000000000ULL;
	ev->proc.tgid = 4242;
	ev->proc.tid = 4243;
	ev->proc.ppid = 4100;
	ev->proc.uid = 1000;
	ev->proc.gid = 1000;
	ev->proc.euid = 1000;
	ev->proc.egid = 1000;
	ev->proc.auid = 1000;
	ev->proc.sessionid = 3;
	ev->proc.mnt_ns = 4026531841u;
	ev->proc.start_ns = 1000000000ULL;
	ev->proc.cgroup_id = 8812;
	memcpy(ev->proc.comm, "cat", 4);
	ev->flags = 0; /* O_RDONLY */
	ev->file_ino = 131075;
	ev->file_dev = (8u << 20) | 1;
	ev->file_mode = 0100640; /* regular file, rw-r----- */
	ev->ret = 3;
	ev->dirfd = -100; /* AT_FDCWD */
	ev->watch_id = 1;
	ev->syscall = PA_SYS_OPENAT;
	ev->scope = PA_SCOPE_IN;
	ev->track = PA_TRACK_READS;
}

/*
 * Copy the fields of *tmpl and the three data areas into b, setting the
 * lengths and hdr.size to agree. user includes its NUL (user_len 0: none).
 */
static inline void unit_event_build(struct unit_event *b, const struct pa_open_event *tmpl,
				    const char *user, size_t user_len, const char *rel,
				    size_t rel_len, const char *view, size_t view_len)
{
	unsigned char *d = b->raw + sizeof(struct pa_open_event);

	memset(b, 0, sizeof(*b));
	b->ev = *tmpl;
	b->ev.user_len = (__u16)user_len;
	b->ev.rel_len = (__u16)rel_len;
	b->ev.view_len = (__u16)view_len;
	memcpy(d, user, user_len);
	memcpy(d + user_len, rel, rel_len);
	memcpy(d + user_len + rel_len, view, view_len);
	b->size = sizeof(struct pa_open_event) + user_len + rel_len + view_len;
	b->ev.hdr.size = (__u16)b->size;
}

#endif
