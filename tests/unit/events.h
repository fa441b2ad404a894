/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Building records by hand, as the kernel lays them out
 * (include/phiaudit/abi.h). A struct pa_open_event carries data after it:
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

/* The process every default record is about: "cat", uid 1000. */
static inline void unit_proc_defaults(struct pa_proc *p)
{
	memset(p, 0, sizeof(*p));
	p->tgid = 4242;
	p->tid = 4243;
	p->ppid = 4100;
	p->uid = 1000;
	p->gid = 1000;
	p->euid = 1000;
	p->egid = 1000;
	p->auid = 1000;
	p->sessionid = 3;
	p->mnt_ns = 4026531841u;
	p->start_ns = 1000000000ULL;
	p->cgroup_id = 8812;
	memcpy(p->comm, "cat", 4);
}

/* A plausible successful openat(AT_FDCWD, ..., O_RDONLY) by "cat". */
static inline void unit_event_defaults(struct pa_open_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->hdr.type = PA_EV_OPEN;
	ev->hdr.cpu = 3;
	ev->hdr.seq = 77;
	ev->hdr.ktime_ns = 5000000000ULL;
	unit_proc_defaults(&ev->proc);
	ev->flags = 0; /* O_RDONLY */
	ev->file_ino = 131075;
	ev->file_dev = (8u << 20) | 1;
	ev->file_mode = 0100640; /* regular file, rw-r----- */
	ev->file_uid = 0;
	ev->file_gid = 1001; /* a clinic group */
	ev->file_size = 4096;
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

/*
 * The final report of the account of "cat" reading the file the default
 * open (hdr.seq 77) opened: 1 MiB in 256 reads between 5.1 s and 5.9 s
 * after boot, ended by its close. Fixed size, no data after it.
 */
static inline void unit_read_defaults(struct pa_read_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->hdr.type = PA_EV_READ;
	ev->hdr.size = sizeof(*ev);
	ev->hdr.cpu = 3;
	ev->hdr.seq = 91;
	ev->hdr.ktime_ns = 6000000000ULL;
	unit_proc_defaults(&ev->proc);
	ev->file = 0xffff888012345600ULL;
	ev->open_seq = 77;
	ev->account_seq = 5;
	ev->bytes = 1048576;
	ev->calls = 256;
	ev->first_ns = 5100000000ULL;
	ev->last_ns = 5900000000ULL;
	ev->file_ino = 131075;
	ev->file_dev = (8u << 20) | 1;
	ev->watch_id = 1;
	ev->reason = PA_READ_CLOSE;
	ev->final = 1;
}

#endif
