// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * routes (issue 8): the records of every way to a watched file's content
 * other than a read syscall, and of the changes made to it.
 *
 *   decode      a change (PA_EV_CHANGE: the open layout, with a role and an
 *               xattr name), an mmap, a transfer: trusted only when their
 *               sizes, lengths and counts agree;
 *   paths       a name outside every watched tree (a rename's new name, a
 *               watched inode's other link) is absolute, from the names
 *               that ran to the root and the user's string;
 *   records     Update, Read's route counters, mmap, Transfer, Clone and
 *               every change kind: exact bytes pinned by golden files
 *               (tests/unit/golden/routes_*.jsonl; PA_UPDATE_GOLDEN=1
 *               rewrites them), and the OCSF facts a consumer relies on
 *               asserted field by field.
 *
 * The helpers mirror what the agent does per event (routes.c, agent.c,
 * enrich.c) with fixed clocks, since that code needs a running agent.
 */
#include "unit.h"

#include "phiaudit/syscalls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "decode.h"
#include "events.h"
#include "ocsf.h"
#include "ocsf_parts.h"
#include "ocsf_routes.h"

#define T_EVENT 1795431221178001760ULL /* 2026-11-23T10:53:41.178001760Z */
#define T_START 1795431200000000000ULL /* the process started 21 s before */
/* Kernel (boot) times convert like the agent's: 5.9 s after boot is T_EVENT. */
#define T_BOOT_UTC (T_EVENT - 5900000000ULL)
#define WATCH "/srv/phi"

static const struct pa_host_info host1 = { .hostname = "host1" };

/* The source file of the read, mmap and transfer records (its Open record's path). */
static const char src_path[] = "/srv/phi/patients/1234/chart.txt";

/* One open-layout event (an open, a change, or half of a rename or link),
 * decoded and rendered as the agent renders it (routes.c render). */
struct part {
	struct unit_event e;
	struct pa_open_view v;
	struct pa_path host, view;
	const char *watch; /* the watch path passed, NULL when none */
	bool differs;
};

struct fx {
	struct pa_open_event t, t2; /* templates of the first and second part */
	struct part p[2];
	struct pa_read_event rd;
	struct pa_map_event map;
	struct pa_xfer_event start, xf; /* a run's START (socket details) and END */
	/* the destination of xf, as routes.c write_xfer has it */
	const struct pa_path *dst_path;
	unsigned int dst_mode;
	bool dst_watched, has_socket;
	const struct pa_xfer_event *socket;
	const char *path; /* the source's host path; NULL: its open was lost */
	union { /* a fixed-size record, with room for a header claiming more */
		struct pa_map_event map;
		struct pa_xfer_event xf;
		struct pa_read_event rd;
		unsigned char raw[sizeof(struct pa_xfer_event) + 8];
	} fixed;
	struct pa_jw w;
	struct json_object *rec; /* the parsed record, freed by teardown */
};

/* ---- records as the kernel lays them out ---- */

/*
 * Append an xattr name (with its NUL, as n counts it) after the data of a
 * built event, as the kernel does for PA_EV_CHANGE: lengths and size agree.
 */
static void unit_event_add_name(struct unit_event *b, const char *name, size_t n)
{
	memcpy(b->raw + b->size, name, n);
	b->ev.name_len = (__u16)n;
	b->size += n;
	b->ev.hdr.size = (__u16)b->size;
}

/*
 * A change by path, as "rm", "chmod" ... make it in /srv/phi/patients/1234
 * (cwd): the string the process passed, its start directory's names (rel,
 * up to the watch; view, up to the root), no kernel object.
 */
static void change_defaults(struct pa_open_event *t, enum pa_syscall op, const char *comm)
{
	unit_event_defaults(t);
	t->hdr.type = PA_EV_CHANGE;
	t->hdr.seq = 75;
	t->syscall = (__u16)op;
	t->flags = 0;
	t->ret = 0;
	t->track = 0;
	t->file_ino = 0;
	t->file_dev = 0;
	t->file_mode = 0;
	t->file_uid = 0;
	t->file_gid = 0;
	t->file_size = 0;
	t->path_flags = PA_PATH_FROM_USER;
	memset(t->proc.comm, 0, sizeof(t->proc.comm));
	memcpy(t->proc.comm, comm, strlen(comm));
}

#define CWD_REL UNIT_NAMES("1234\0" "patients\0")
#define CWD_VIEW UNIT_NAMES("1234\0" "patients\0" "phi\0" "srv\0")

/* A rename's or link's second half: the new name, placed by its string. */
static void new_half_defaults(struct pa_open_event *t2, const struct pa_open_event *old)
{
	*t2 = *old;
	t2->hdr.seq = old->hdr.seq + 1;
	t2->role = PA_ROLE_NEW;
	t2->pair_seq = old->hdr.seq;
}

/* The default mmap: "cat" (the default open, seq 77) maps the 1 MiB file
 * whole, shared and read-only, 5.9 s after boot. */
static void map_defaults(struct pa_map_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->hdr.type = PA_EV_MAP;
	ev->hdr.size = sizeof(*ev);
	ev->hdr.cpu = 3;
	ev->hdr.seq = 95;
	ev->hdr.ktime_ns = 5900000000ULL;
	unit_proc_defaults(&ev->proc);
	ev->file = 0xffff888012345600ULL;
	ev->open_seq = 77;
	ev->addr = 0x7fa2d4c21000ULL;
	ev->length = 1048576;
	ev->offset = 0;
	ev->file_size = 1048576;
	ev->bytes_mapped = 1048576;
	ev->file_ino = 131075;
	ev->file_dev = (8u << 20) | 1;
	ev->watch_id = 1;
	ev->prot = PROT_READ;
	ev->flags = MAP_SHARED;
	ev->syscall = PA_SYS_MMAP;
}

/*
 * The default transfer run: "cat" (account 5 of the default open) sent
 * 1 MiB in 16 sendfile calls between 5.1 s and 5.9 s after boot to a TCP
 * connection 10.0.0.5:44332 -> 10.0.0.9:443. The START has the socket's
 * details; the END, its totals, has none (the kernel's pa_xfer_event_of).
 */
static void xfer_defaults(struct pa_xfer_event *start, struct pa_xfer_event *end)
{
	memset(start, 0, sizeof(*start));
	start->hdr.type = PA_EV_XFER;
	start->hdr.size = sizeof(*start);
	start->hdr.cpu = 3;
	start->hdr.seq = 90;
	start->hdr.ktime_ns = 5100000000ULL;
	unit_proc_defaults(&start->proc);
	start->file = 0xffff888012345600ULL;
	start->open_seq = 77;
	start->account_seq = 5;
	start->run = 1;
	start->dst_file = 0xffff888077770000ULL;
	start->bytes = 65536;
	start->calls = 1;
	start->first_ns = start->last_ns = 5100000000ULL;
	start->file_ino = 131075;
	start->file_dev = (8u << 20) | 1;
	start->watch_id = 1;
	start->dst_ino = 1588239;
	start->dst_dev = 9; /* 0:9, sockfs */
	start->dst_mode = 0140777;
	start->syscall = PA_SYS_SENDFILE;
	start->phase = PA_XFER_START;
	start->dst_kind = PA_DST_SOCKET;
	start->family = AF_INET;
	start->protocol = IPPROTO_TCP;
	start->sport = 44332;
	start->dport = 443;
	assert_int_equal(inet_pton(AF_INET, "10.0.0.5", start->saddr), 1);
	assert_int_equal(inet_pton(AF_INET, "10.0.0.9", start->daddr), 1);

	*end = *start;
	end->hdr.seq = 96;
	end->hdr.ktime_ns = 5950000000ULL;
	end->phase = PA_XFER_END;
	end->bytes = 1048576;
	end->calls = 16;
	end->last_ns = 5900000000ULL;
	end->family = end->protocol = end->sport = end->dport = 0;
	memset(end->saddr, 0, sizeof(end->saddr));
	memset(end->daddr, 0, sizeof(end->daddr));
}

/* ---- fixture ---- */

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	unit_event_defaults(&f->t);
	unit_event_defaults(&f->t2);
	unit_read_defaults(&f->rd);
	map_defaults(&f->map);
	xfer_defaults(&f->start, &f->xf);
	f->path = src_path;
	f->has_socket = true; /* routes.c: the run's START was kept */
	f->socket = &f->start;
	pa_jw_init(&f->w);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pa_jw_free(&f->w);
	json_object_put(f->rec);
	free(f);
	return 0;
}

/* ---- what the agent does per event, with fixed clocks ---- */

/* Decode a built part (must succeed) and render its paths (routes.c render:
 * the watch's path only in scope, and not for a watched inode's other name). */
static void render(struct part *p)
{
	const struct pa_open_event *ev;

	assert_int_equal(pa_decode_open(p->e.raw, p->e.size, &p->v), 0);
	ev = p->v.ev;
	p->watch = ev->scope == PA_SCOPE_IN && !(ev->path_flags & PA_PATH_VIA_INODE) ? WATCH : NULL;
	p->differs = pa_open_paths(&p->v, p->watch, &p->host, &p->view);
}

static void build_part(struct part *p, const struct pa_open_event *t, const char *user,
		       size_t user_len, const char *rel, size_t rel_len, const char *view,
		       size_t view_len)
{
	unit_event_build(&p->e, t, user, user_len, rel, rel_len, view, view_len);
	render(p);
}

/*
 * A change record (routes.c write_change): one part, or a rename's or
 * link's two (old or nw NULL: that half was lost). A name is in a watched
 * tree when its scope is in (no exclusions here).
 */
static void write_change(struct fx *f, struct part *old, struct part *nw)
{
	struct pa_change_record r = { 0 };
	struct part *first = old ? old : nw;
	bool old_in = old && old->v.ev->scope == PA_SCOPE_IN;
	bool new_in = nw && nw->v.ev->scope == PA_SCOPE_IN;

	r.file.v = &first->v;
	r.file.time_ns = T_EVENT;
	r.file.proc_start_ns = T_START;
	r.file.record_seq = 33;
	r.file.path = old ? &old->host : NULL;
	r.file.process_path = first->differs ? &first->view : NULL;
	r.file.watch_path = first->watch;
	if (nw && old) {
		r.new_path = &nw->host;
		r.new_process_path = nw->differs ? &nw->view : NULL;
		r.moved_out = old_in && !new_in;
		r.moved_in = !old_in && new_in;
		r.link = pa_syscall_is_link(old->v.ev->syscall);
	} else if (nw) {
		r.new_path = &nw->host;
	}
	r.pair = nw || (old && old->v.ev->role == PA_ROLE_OLD);
	pa_ocsf_change(&f->w, &host1, &r);
	assert_false(pa_jw_failed(&f->w));
}

/* An Open record (agent.c on_open): the watch's path whenever in scope. */
static void write_open(struct fx *f)
{
	struct part *p = &f->p[0];
	struct pa_open_record r = { .v = &p->v };
	const char *watch = p->e.ev.scope == PA_SCOPE_IN ? WATCH : NULL;
	bool differs;

	assert_int_equal(pa_decode_open(p->e.raw, p->e.size, &p->v), 0);
	differs = pa_open_paths(&p->v, watch, &p->host, &p->view);
	r.time_ns = T_EVENT;
	r.proc_start_ns = T_START;
	r.record_seq = 12;
	r.path = &p->host;
	r.process_path = differs ? &p->view : NULL;
	r.watch_path = watch;
	pa_ocsf_open(&f->w, &host1, &r);
	assert_false(pa_jw_failed(&f->w));
}

/* An account report (enrich.c pa_enrich_read_record): Read or Update. */
static void write_account(struct fx *f, bool update)
{
	const struct pa_read_event *ev = pa_decode_read(&f->rd, sizeof(f->rd));
	struct pa_read_record r = { .ev = ev };

	assert_non_null(ev); /* only what the agent would accept */
	r.time_ns = T_BOOT_UTC + (ev->last_ns ? ev->last_ns : ev->hdr.ktime_ns);
	if (ev->first_ns) {
		r.first_ns = T_BOOT_UTC + ev->first_ns;
		r.last_ns = T_BOOT_UTC + ev->last_ns;
	}
	r.proc_start_ns = T_BOOT_UTC + ev->proc.start_ns;
	r.record_seq = 13;
	if (f->path) {
		r.path = f->path;
		r.path_len = strlen(f->path);
		r.file_mode = 0100640;
		r.watch_path = WATCH;
	}
	if (update)
		pa_ocsf_update(&f->w, &host1, &r);
	else
		pa_ocsf_read(&f->w, &host1, &r);
	assert_false(pa_jw_failed(&f->w));
}

/* The source of a route record (routes.c fill_common). */
static void fill_common(struct fx *f, struct pa_route_common *c, const struct pa_proc *p,
			uint64_t ktime_ns, uint64_t record_seq)
{
	c->time_ns = T_BOOT_UTC + ktime_ns;
	c->proc_start_ns = T_BOOT_UTC + p->start_ns;
	c->record_seq = record_seq;
	if (f->path) {
		c->path = f->path;
		c->path_len = strlen(f->path);
		c->file_mode = 0100640;
		c->watch_path = WATCH;
	}
}

static void write_map(struct fx *f)
{
	const struct pa_map_event *ev = pa_decode_map(&f->map, sizeof(f->map));
	struct pa_map_record r = { .ev = ev };

	assert_non_null(ev);
	fill_common(f, &r.c, &ev->proc, ev->hdr.ktime_ns, 15);
	pa_ocsf_map(&f->w, &host1, &r);
	assert_false(pa_jw_failed(&f->w));
}

/* A transfer END or a clone (routes.c write_xfer). */
static void write_xfer(struct fx *f)
{
	const struct pa_xfer_event *ev = pa_decode_xfer(&f->xf, sizeof(f->xf));
	struct pa_xfer_record r = { .ev = ev };

	assert_non_null(ev);
	fill_common(f, &r.c, &ev->proc, ev->last_ns, 16);
	if (ev->first_ns) {
		r.first_ns = T_BOOT_UTC + ev->first_ns;
		r.last_ns = T_BOOT_UTC + ev->last_ns;
	}
	r.dst_path = f->dst_path;
	r.dst_mode = f->dst_mode;
	r.dst_watched = f->dst_watched;
	r.has_socket = f->has_socket;
	r.socket = f->socket;
	pa_ocsf_xfer(&f->w, &host1, &r);
	assert_false(pa_jw_failed(&f->w));
}

/*
 * A file destination's name: its PA_ROLE_DEST event, rendered (routes.c
 * take_dest). /tmp/chart-copy.txt, outside every watch: names to the root.
 */
static void take_dest_tmp_copy(struct fx *f)
{
	struct part *d = &f->p[1];

	unit_event_defaults(&f->t2);
	f->t2.hdr.type = PA_EV_CHANGE;
	f->t2.hdr.seq = 94;
	f->t2.role = PA_ROLE_DEST;
	f->t2.syscall = PA_SYS_COPY_FILE_RANGE;
	f->t2.scope = PA_SCOPE_OUT;
	f->t2.watch_id = 0;
	f->t2.track = 0;
	f->t2.ret = 0;
	f->t2.file_ino = 10969203;
	f->t2.file_dev = 254u << 20;
	f->t2.file_mode = 0100644;
	f->t2.file_size = 0;
	build_part(d, &f->t2, UNIT_NO_USER, UNIT_NAMES("chart-copy.txt\0" "tmp\0"),
		   UNIT_NAMES("chart-copy.txt\0" "tmp\0"));
	f->dst_path = &d->host;
	f->dst_mode = d->v.ev->file_mode;
	f->dst_watched = d->v.ev->scope == PA_SCOPE_IN;
}

/* The record just written, parsed (one line); the fixture owns it. */
static struct json_object *record(struct fx *f)
{
	assert_true(f->w.len > 0);
	assert_int_equal(f->w.buf[f->w.len - 1], '\n');
	assert_null(memchr(f->w.buf, '\n', f->w.len - 1));
	json_object_put(f->rec);
	f->rec = unit_json_parse(f->w.buf, f->w.len);
	return f->rec;
}

static void check_golden(struct fx *f, const char *name)
{
	record(f);
	unit_golden(name, f->w.buf, f->w.len);
}

/* ---- scenarios ---- */

/* "echo ... >> notes.txt": 33 bytes in one write, account ended by dup2. */
static void build_update(struct fx *f)
{
	f->rd.bytes = 0;
	f->rd.calls = 0;
	f->rd.write_bytes = 33;
	f->rd.write_calls = 1;
	f->rd.first_ns = f->rd.last_ns = 5900000000ULL;
	f->rd.reason = PA_READ_REPLACED;
	write_account(f, true);
}

/* 1 MiB in 256 calls: 8 were sendfile (512 KiB), 16 io_uring reads; two
 * more io_uring reads (128 KiB asked) completed unseen. */
static void build_read_routes(struct fx *f)
{
	f->rd.sent_bytes = 524288;
	f->rd.sent_calls = 8;
	f->rd.ring_calls = 16;
	f->rd.unknown_calls = 2;
	f->rd.unknown_bytes = 131072;
	write_account(f, false);
}

/* "python3" maps draft.txt (400 bytes, O_RDWR) shared and writable. */
static void build_map_shared_writable(struct fx *f)
{
	memcpy(f->map.proc.comm, "python3", 8);
	f->map.length = 400;
	f->map.file_size = 400;
	f->map.bytes_mapped = 400;
	f->map.prot = PROT_READ | PROT_WRITE;
	f->map.flags = MAP_SHARED;
	write_map(f);
}

static void build_xfer_inet6(struct fx *f)
{
	f->start.family = AF_INET6;
	f->start.sport = 50001;
	f->start.dport = 8443;
	assert_int_equal(inet_pton(AF_INET6, "::1", f->start.saddr), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::9", f->start.daddr), 1);
	write_xfer(f);
}

/* splice from the file into a pipe: 4 calls, 200,000 bytes. */
static void build_xfer_pipe(struct fx *f)
{
	f->xf.syscall = PA_SYS_SPLICE;
	f->xf.dst_kind = PA_DST_PIPE;
	f->xf.dst_mode = 0010600;
	f->xf.dst_ino = 1586611;
	f->xf.dst_dev = 15;
	f->xf.bytes = 200000;
	f->xf.calls = 4;
	f->has_socket = false; /* routes.c has it, but a pipe has no socket */
	write_xfer(f);
}

/* "cat chart.txt > /tmp/chart-copy.txt": one copy_file_range of 6,183 bytes. */
static void build_xfer_file(struct fx *f)
{
	take_dest_tmp_copy(f);
	f->xf.syscall = PA_SYS_COPY_FILE_RANGE;
	f->xf.dst_kind = PA_DST_FILE;
	f->xf.dest_seq = 94;
	f->xf.dst_mode = 0100644;
	f->xf.dst_ino = 10969203;
	f->xf.dst_dev = 254u << 20;
	f->xf.bytes = 6183;
	f->xf.calls = 1;
	f->xf.first_ns = f->xf.last_ns = 5900000000ULL;
	f->has_socket = false;
	write_xfer(f);
}

/* "cp --reflink=always chart.txt /srv/scratch/chart.txt": FICLONE of the
 * whole 1 MiB file to a name outside the watch, on the same filesystem. */
static void build_clone(struct fx *f)
{
	static const char dst_name[] = "/srv/scratch/chart.txt";
	static struct pa_path dst;

	pa_path_set(&dst, dst_name, strlen(dst_name));
	memcpy(f->xf.proc.comm, "cp", 3);
	f->xf.hdr.seq = 97;
	f->xf.hdr.ktime_ns = 5900000000ULL;
	f->xf.account_seq = 0;
	f->xf.run = 0;
	f->xf.dest_seq = 94;
	f->xf.syscall = PA_SYS_IOCTL;
	f->xf.cmd = FICLONE;
	f->xf.phase = PA_XFER_ONCE;
	f->xf.dst_kind = PA_DST_FILE;
	f->xf.dst_mode = 0100644;
	f->xf.dst_ino = 272;
	f->xf.dst_dev = (8u << 20) | 1;
	f->xf.bytes = 1048576; /* FICLONE: the source's size */
	f->xf.calls = 1;
	f->xf.offset = 0;
	f->xf.length = 0;
	f->xf.first_ns = f->xf.last_ns = 5900000000ULL;
	f->dst_path = &dst;
	f->dst_mode = 0100644;
	f->socket = &f->xf; /* routes.c: once.start = *ev */
	write_xfer(f);
}

/* "rm old-referral.txt": unlinkat(AT_FDCWD, "old-referral.txt", 0). */
static void build_unlink(struct fx *f)
{
	change_defaults(&f->t, PA_SYS_UNLINKAT, "rm");
	build_part(&f->p[0], &f->t, UNIT_USER("old-referral.txt"), CWD_REL, CWD_VIEW);
	write_change(f, &f->p[0], NULL);
}

/* The same unlink by uid 1001, refused. */
static void build_unlink_denied(struct fx *f)
{
	change_defaults(&f->t, PA_SYS_UNLINKAT, "rm");
	f->t.proc.uid = f->t.proc.euid = 1001;
	f->t.ret = -EACCES;
	build_part(&f->p[0], &f->t, UNIT_USER("old-referral.txt"), CWD_REL, CWD_VIEW);
	write_change(f, &f->p[0], NULL);
}

/* Two halves, the old name in the tree, the new one given as @new_user,
 * from the root (absolute) or from the cwd's names to the root. */
static void build_pair(struct fx *f, enum pa_syscall op, const char *comm, const char *old_user,
		       size_t old_len, const char *new_user, size_t new_len, __u64 flags)
{
	change_defaults(&f->t, op, comm);
	f->t.role = PA_ROLE_OLD;
	f->t.flags = flags;
	new_half_defaults(&f->t2, &f->t);
	f->t2.scope = PA_SCOPE_OUT;
	f->t2.watch_id = 0;
	build_part(&f->p[0], &f->t, old_user, old_len, CWD_REL, CWD_VIEW);
	if (new_user[0] == '/')
		build_part(&f->p[1], &f->t2, new_user, new_len, UNIT_NO_NAMES, UNIT_NO_NAMES);
	else
		build_part(&f->p[1], &f->t2, new_user, new_len,
			   UNIT_NAMES("1234\0" "patients\0" "phi\0" "srv\0"), CWD_VIEW);
}

/* "mv history.txt /tmp/history-1234.txt": renameat2(..., RENAME_NOREPLACE). */
static void build_rename_out(struct fx *f)
{
	build_pair(f, PA_SYS_RENAMEAT2, "mv", UNIT_USER("history.txt"),
		   UNIT_USER("/tmp/history-1234.txt"), 1);
	write_change(f, &f->p[0], &f->p[1]);
}

/* "ln labs.csv /tmp/labs-1234.csv": linkat(AT_FDCWD, ..., AT_FDCWD, ..., 0). */
static void build_link_out(struct fx *f)
{
	build_pair(f, PA_SYS_LINKAT, "ln", UNIT_USER("labs.csv"), UNIT_USER("/tmp/labs-1234.csv"),
		   0);
	write_change(f, &f->p[0], &f->p[1]);
}

/* "truncate -s 100 draft.txt": it opens the file and calls ftruncate: by
 * descriptor, the file as a kernel object, its size after the call. */
static void build_ftruncate(struct fx *f)
{
	change_defaults(&f->t, PA_SYS_FTRUNCATE, "truncate");
	f->t.path_flags = 0;
	f->t.arg = 100;
	f->t.file_ino = 131080;
	f->t.file_dev = (8u << 20) | 1;
	f->t.file_mode = 0100640;
	f->t.file_gid = 1001;
	f->t.file_size = 100;
	build_part(&f->p[0], &f->t, UNIT_NO_USER,
		   UNIT_NAMES("draft.txt\0" "1234\0" "patients\0"),
		   UNIT_NAMES("draft.txt\0" "1234\0" "patients\0" "phi\0" "srv\0"));
	write_change(f, &f->p[0], NULL);
}

/* "chmod 600 labs.csv": fchmodat(AT_FDCWD, "labs.csv", 0600). */
static void build_chmod(struct fx *f)
{
	change_defaults(&f->t, PA_SYS_FCHMODAT, "chmod");
	f->t.mode = 0600;
	build_part(&f->p[0], &f->t, UNIT_USER("labs.csv"), CWD_REL, CWD_VIEW);
	write_change(f, &f->p[0], NULL);
}

/* "chown 1000 labs.csv": fchownat(AT_FDCWD, "labs.csv", 1000, -1, 0). */
static void build_chown_uid_only(struct fx *f)
{
	change_defaults(&f->t, PA_SYS_FCHOWNAT, "chown");
	f->t.arg = (1000ULL << 32) | 0xffffffffULL;
	build_part(&f->p[0], &f->t, UNIT_USER("labs.csv"), CWD_REL, CWD_VIEW);
	write_change(f, &f->p[0], NULL);
}

/* os.setxattr / os.removexattr("chart.txt", "user.reviewed_by"). */
static void build_xattr(struct fx *f, enum pa_syscall op)
{
	static const char name[] = "user.reviewed_by";

	change_defaults(&f->t, op, "python3");
	unit_event_build(&f->p[0].e, &f->t, UNIT_USER("chart.txt"), CWD_REL, CWD_VIEW);
	unit_event_add_name(&f->p[0].e, name, sizeof(name));
	render(&f->p[0]);
	write_change(f, &f->p[0], NULL);
}

/* ---- decode: changes ---- */

static void test_decode_accepts_change_with_xattr_name(void **state)
{
	struct fx *f = *state;
	struct part *p = &f->p[0];
	static const char name[] = "user.reviewed_by";

	change_defaults(&f->t, PA_SYS_SETXATTR, "python3");
	unit_event_build(&p->e, &f->t, UNIT_USER("chart.txt"), CWD_REL, CWD_VIEW);
	unit_event_add_name(&p->e, name, sizeof(name));
	assert_int_equal(pa_decode_type(p->e.raw, p->e.size), PA_EV_CHANGE);
	assert_int_equal(pa_decode_open(p->e.raw, p->e.size, &p->v), 0);
	assert_ptr_equal(p->v.name, p->v.view + p->e.ev.view_len);
	assert_string_equal(p->v.name, "user.reviewed_by");
	assert_string_equal(p->v.user, "chart.txt");
}

static void test_decode_change_without_xattr_name_has_no_name(void **state)
{
	struct fx *f = *state;
	struct part *p = &f->p[0];

	change_defaults(&f->t, PA_SYS_UNLINKAT, "rm");
	unit_event_build(&p->e, &f->t, UNIT_USER("x.txt"), CWD_REL, CWD_VIEW);
	assert_int_equal(pa_decode_open(p->e.raw, p->e.size, &p->v), 0);
	assert_null(p->v.name);
}

static void test_decode_rejects_xattr_name_without_nul(void **state)
{
	struct fx *f = *state;
	struct part *p = &f->p[0];

	change_defaults(&f->t, PA_SYS_SETXATTR, "python3");
	unit_event_build(&p->e, &f->t, UNIT_USER("chart.txt"), CWD_REL, CWD_VIEW);
	unit_event_add_name(&p->e, "user.x", 6); /* no NUL */
	assert_int_equal(pa_decode_open(p->e.raw, p->e.size, &p->v), -EINVAL);
}

/* "mv ../phi/x.txt .": the kernel resolved "../" from the cwd (its names
 * are the parent's): the string's path is what follows them. */
static void test_decode_skips_leading_dotdot_resolved_in_the_kernel(void **state)
{
	struct fx *f = *state;
	struct part *p = &f->p[0];

	change_defaults(&f->t, PA_SYS_RENAMEAT2, "mv");
	f->t.user_skip = 3;
	unit_event_build(&p->e, &f->t, UNIT_USER("../x.txt"), CWD_REL, CWD_VIEW);
	assert_int_equal(pa_decode_open(p->e.raw, p->e.size, &p->v), 0);
	assert_string_equal(p->v.user, "x.txt");
}

static void test_decode_rejects_a_skip_beyond_the_string(void **state)
{
	struct fx *f = *state;
	struct part *p = &f->p[0];

	change_defaults(&f->t, PA_SYS_RENAMEAT2, "mv");
	f->t.user_skip = 9; /* "../x.txt" and its NUL are 9 bytes */
	unit_event_build(&p->e, &f->t, UNIT_USER("../x.txt"), CWD_REL, CWD_VIEW);
	assert_int_equal(pa_decode_open(p->e.raw, p->e.size, &p->v), -EINVAL);
}

static void test_decode_accepts_every_role(void **state)
{
	struct fx *f = *state;
	struct part *p = &f->p[0];

	for (unsigned int role = PA_ROLE_FILE; role <= PA_ROLE_DEST; role++) {
		change_defaults(&f->t, PA_SYS_RENAMEAT, "mv");
		f->t.role = (__u16)role;
		unit_event_build(&p->e, &f->t, UNIT_USER("x.txt"), CWD_REL, CWD_VIEW);
		assert_int_equal(pa_decode_open(p->e.raw, p->e.size, &p->v), 0);
	}
}

static void test_decode_rejects_role_out_of_range(void **state)
{
	struct fx *f = *state;
	struct part *p = &f->p[0];

	change_defaults(&f->t, PA_SYS_RENAMEAT, "mv");
	f->t.role = PA_ROLE_DEST + 1;
	unit_event_build(&p->e, &f->t, UNIT_USER("x.txt"), CWD_REL, CWD_VIEW);
	assert_int_equal(pa_decode_open(p->e.raw, p->e.size, &p->v), -EINVAL);
	p->e.ev.role = 0xffff;
	assert_int_equal(pa_decode_open(p->e.raw, p->e.size, &p->v), -EINVAL);
}

static void test_decode_rejects_name_length_beyond_the_data(void **state)
{
	struct fx *f = *state;
	struct part *p = &f->p[0];
	static const char name[] = "user.a";

	change_defaults(&f->t, PA_SYS_SETXATTR, "python3");
	unit_event_build(&p->e, &f->t, UNIT_USER("chart.txt"), CWD_REL, CWD_VIEW);
	unit_event_add_name(&p->e, name, sizeof(name));
	p->e.ev.name_len++;
	assert_int_equal(pa_decode_open(p->e.raw, p->e.size, &p->v), -EINVAL);
}

static void test_decode_rejects_data_beyond_the_lengths(void **state)
{
	/* A name in the record that name_len does not count. */
	struct fx *f = *state;
	struct part *p = &f->p[0];
	static const char name[] = "user.a";

	change_defaults(&f->t, PA_SYS_SETXATTR, "python3");
	unit_event_build(&p->e, &f->t, UNIT_USER("chart.txt"), CWD_REL, CWD_VIEW);
	unit_event_add_name(&p->e, name, sizeof(name));
	p->e.ev.name_len = 0;
	assert_int_equal(pa_decode_open(p->e.raw, p->e.size, &p->v), -EINVAL);
}

/* ---- decode: read accounts' route counters ---- */

static void test_decode_read_accepts_route_counters_within_totals(void **state)
{
	struct fx *f = *state;

	f->rd.sent_bytes = f->rd.bytes;
	f->rd.sent_calls = 8;
	f->rd.ring_calls = f->rd.calls;
	f->rd.unknown_calls = 2;
	f->rd.unknown_bytes = 8192;
	assert_ptr_equal(pa_decode_read(&f->rd, sizeof(f->rd)), &f->rd);
}

static void test_decode_read_rejects_sent_bytes_above_bytes(void **state)
{
	struct fx *f = *state;

	f->rd.sent_bytes = f->rd.bytes + 1;
	f->rd.sent_calls = 1;
	assert_null(pa_decode_read(&f->rd, sizeof(f->rd)));
}

static void test_decode_read_rejects_sent_calls_above_calls(void **state)
{
	struct fx *f = *state;

	f->rd.sent_calls = f->rd.calls + 1;
	assert_null(pa_decode_read(&f->rd, sizeof(f->rd)));
}

static void test_decode_read_rejects_ring_calls_above_calls(void **state)
{
	struct fx *f = *state;

	f->rd.ring_calls = f->rd.calls + 1;
	assert_null(pa_decode_read(&f->rd, sizeof(f->rd)));
}

/*
 * The Read record shows bytes_sent only with sent_calls, and ring_bytes_unseen
 * only with ring_reads_unseen: bytes without their calls would vanish from
 * the record. Like bytes without a read, such an account makes no sense.
 */
static void test_decode_read_rejects_sent_bytes_without_sent_calls(void **state)
{
	struct fx *f = *state;

	f->rd.sent_bytes = 4096;
	f->rd.sent_calls = 0;
	assert_null(pa_decode_read(&f->rd, sizeof(f->rd)));
}

static void test_decode_read_rejects_unseen_bytes_without_unseen_calls(void **state)
{
	struct fx *f = *state;

	f->rd.unknown_bytes = 4096;
	f->rd.unknown_calls = 0;
	assert_null(pa_decode_read(&f->rd, sizeof(f->rd)));
}

static void test_decode_read_rejects_bytes_written_without_write_calls(void **state)
{
	struct fx *f = *state;

	f->rd.write_bytes = 33;
	f->rd.write_calls = 0;
	assert_null(pa_decode_read(&f->rd, sizeof(f->rd)));
}

static void test_decode_read_accepts_account_that_only_wrote(void **state)
{
	struct fx *f = *state;

	f->rd.bytes = f->rd.calls = 0;
	f->rd.write_bytes = 33;
	f->rd.write_calls = 1;
	assert_non_null(pa_decode_read(&f->rd, sizeof(f->rd)));
}

/* ---- decode: mmaps ---- */

static void test_decode_map_accepts_well_formed_mmap(void **state)
{
	struct fx *f = *state;

	assert_ptr_equal(pa_decode_map(&f->map, sizeof(f->map)), &f->map);
	assert_int_equal(pa_decode_type(&f->map, sizeof(f->map)), PA_EV_MAP);
}

static void test_decode_map_accepts_mapping_clamped_to_the_file(void **state)
{
	struct fx *f = *state;

	f->map.length = 2 * 1048576;
	assert_non_null(pa_decode_map(&f->map, sizeof(f->map)));
}

static void test_decode_map_rejects_bytes_mapped_above_length(void **state)
{
	struct fx *f = *state;

	f->map.bytes_mapped = f->map.length + 1;
	assert_null(pa_decode_map(&f->map, sizeof(f->map)));
}

static void test_decode_map_rejects_wrong_size_or_type(void **state)
{
	struct fx *f = *state;

	assert_null(pa_decode_map(&f->map, sizeof(f->map) - 1));
	f->fixed.map = f->map;
	f->fixed.map.hdr.size = sizeof(f->map) + 8;
	assert_null(pa_decode_map(f->fixed.raw, sizeof(f->map) + 8));
	f->map.hdr.type = PA_EV_XFER;
	assert_null(pa_decode_map(&f->map, sizeof(f->map)));
}

/* ---- decode: transfers ---- */

static void test_decode_xfer_accepts_every_phase(void **state)
{
	struct fx *f = *state;

	for (unsigned int phase = PA_XFER_START; phase <= PA_XFER_ONCE; phase++) {
		f->xf.phase = (__u8)phase;
		assert_ptr_equal(pa_decode_xfer(&f->xf, sizeof(f->xf)), &f->xf);
	}
	assert_int_equal(pa_decode_type(&f->xf, sizeof(f->xf)), PA_EV_XFER);
}

static void test_decode_xfer_rejects_a_bad_phase(void **state)
{
	struct fx *f = *state;

	f->xf.phase = 0;
	assert_null(pa_decode_xfer(&f->xf, sizeof(f->xf)));
	f->xf.phase = PA_XFER_ONCE + 1;
	assert_null(pa_decode_xfer(&f->xf, sizeof(f->xf)));
}

static void test_decode_xfer_accepts_every_destination_kind(void **state)
{
	struct fx *f = *state;

	for (unsigned int kind = PA_DST_UNKNOWN; kind <= PA_DST_OTHER; kind++) {
		f->xf.dst_kind = (__u8)kind;
		assert_non_null(pa_decode_xfer(&f->xf, sizeof(f->xf)));
	}
}

static void test_decode_xfer_rejects_a_bad_dst_kind(void **state)
{
	struct fx *f = *state;

	f->xf.dst_kind = PA_DST_OTHER + 1;
	assert_null(pa_decode_xfer(&f->xf, sizeof(f->xf)));
	f->xf.dst_kind = 255;
	assert_null(pa_decode_xfer(&f->xf, sizeof(f->xf)));
}

static void test_decode_xfer_rejects_bytes_without_calls(void **state)
{
	struct fx *f = *state;

	f->xf.calls = 0;
	assert_null(pa_decode_xfer(&f->xf, sizeof(f->xf)));
}

static void test_decode_xfer_rejects_wrong_size_or_type(void **state)
{
	struct fx *f = *state;

	assert_null(pa_decode_xfer(&f->xf, sizeof(f->xf) - 1));
	f->fixed.xf = f->xf;
	f->fixed.xf.hdr.size = sizeof(f->xf) + 8;
	assert_null(pa_decode_xfer(f->fixed.raw, sizeof(f->xf) + 8));
	f->xf.hdr.type = PA_EV_MAP;
	assert_null(pa_decode_xfer(&f->xf, sizeof(f->xf)));
}

/* ---- paths of names outside every watched tree ---- */

static void test_paths_out_part_relative_string_joins_the_names_to_the_root(void **state)
{
	/* cwd /home/alice, rename("/srv/phi/x.txt", "exports/x.txt"): the
	 * new name's start directory is outside: its names ran to the root. */
	struct fx *f = *state;
	struct part *p = &f->p[0];

	change_defaults(&f->t, PA_SYS_RENAME, "mv");
	f->t.role = PA_ROLE_NEW;
	f->t.scope = PA_SCOPE_OUT;
	f->t.watch_id = 0;
	build_part(p, &f->t, UNIT_USER("exports/x.txt"), UNIT_NAMES("alice\0" "home\0"),
		   UNIT_NAMES("alice\0" "home\0"));
	assert_null(p->watch);
	assert_string_equal(p->host.s, "/home/alice/exports/x.txt");
	assert_string_equal(p->view.s, "/home/alice/exports/x.txt");
	assert_false(p->differs);
}

static void test_paths_out_part_relative_string_with_dotdot_leaves_the_tree(void **state)
{
	/* cwd /srv/phi/patients/1234 is in a watch, but the new name's own
	 * walk did not place it: its names ran to the root. */
	struct fx *f = *state;
	struct part *p = &f->p[0];

	change_defaults(&f->t, PA_SYS_RENAME, "mv");
	f->t.scope = PA_SCOPE_OUT;
	build_part(p, &f->t, UNIT_USER("../../../../tmp/./h.txt"),
		   UNIT_NAMES("1234\0" "patients\0" "phi\0" "srv\0"), CWD_VIEW);
	assert_string_equal(p->host.s, "/tmp/h.txt");
	assert_string_equal(p->view.s, "/tmp/h.txt");
}

static void test_paths_out_part_absolute_string_is_the_string(void **state)
{
	struct fx *f = *state;
	struct part *p = &f->p[0];

	change_defaults(&f->t, PA_SYS_RENAMEAT2, "mv");
	f->t.scope = PA_SCOPE_OUT;
	build_part(p, &f->t, UNIT_USER("/tmp//history-1234.txt"), UNIT_NO_NAMES, UNIT_NO_NAMES);
	assert_string_equal(p->host.s, "/tmp/history-1234.txt");
	assert_int_equal(p->host.len, strlen("/tmp/history-1234.txt"));
	assert_false(p->differs);
}

static void test_paths_out_part_absolute_string_in_chroot_is_below_the_host_root(void **state)
{
	/* Chrooted at /srv (where /srv/phi is /phi), rename("/phi/x.txt",
	 * "/tmp/x.txt"): an absolute string starts at the process's root,
	 * whose names to the host's root are "srv". The new name is
	 * /srv/tmp/x.txt on the host; the process sees /tmp/x.txt. (The old
	 * name's half, placed by a route, gets /srv/phi/x.txt: see
	 * test_decode.c, denied in chroot via route.) */
	struct fx *f = *state;
	struct part *p = &f->p[0];

	change_defaults(&f->t, PA_SYS_RENAME, "mv");
	f->t.scope = PA_SCOPE_OUT;
	build_part(p, &f->t, UNIT_USER("/tmp/x.txt"), UNIT_NAMES("srv\0"), UNIT_NO_NAMES);
	assert_string_equal(p->view.s, "/tmp/x.txt");
	assert_string_equal(p->host.s, "/srv/tmp/x.txt");
	assert_true(p->differs);
}

static void test_paths_out_part_at_the_root_is_slash(void **state)
{
	struct fx *f = *state;
	struct part *p = &f->p[0];

	f->t.scope = PA_SCOPE_OUT;
	f->t.file_mode = 040755;
	build_part(p, &f->t, UNIT_NO_USER, UNIT_NO_NAMES, UNIT_NO_NAMES);
	assert_string_equal(p->host.s, "/");
}

static void test_paths_via_inode_open_is_its_names_to_the_root(void **state)
{
	/* cat /tmp/labs-1234.csv, a hard link to a watched file: in scope by
	 * its inode, named by the link it was opened by, not by the watch. */
	struct fx *f = *state;
	struct part *p = &f->p[0];
	bool differs;

	f->t.path_flags = PA_PATH_VIA_INODE;
	unit_event_build(&p->e, &f->t, UNIT_NO_USER, UNIT_NAMES("labs-1234.csv\0" "tmp\0"),
			 UNIT_NAMES("labs-1234.csv\0" "tmp\0"));
	assert_int_equal(pa_decode_open(p->e.raw, p->e.size, &p->v), 0);
	differs = pa_open_paths(&p->v, WATCH, &p->host, &p->view); /* as agent.c on_open */
	assert_string_equal(p->host.s, "/tmp/labs-1234.csv");
	assert_string_equal(p->view.s, "/tmp/labs-1234.csv");
	assert_false(differs);
}

static void test_paths_via_inode_cut_names_start_with_cut_mark(void **state)
{
	struct fx *f = *state;
	struct part *p = &f->p[0];

	f->t.path_flags = PA_PATH_VIA_INODE | PA_PATH_REL_TRUNCATED;
	build_part(p, &f->t, UNIT_NO_USER, UNIT_NAMES("x.txt\0" "deep\0"), UNIT_NO_NAMES);
	assert_string_equal(p->host.s, "/\xe2\x80\xa6/deep/x.txt");
}

/* ---- golden files ---- */

static void test_golden_update(void **state)
{
	build_update(*state);
	check_golden(*state, "routes_update.jsonl");
}

static void test_golden_read_with_route_counters(void **state)
{
	build_read_routes(*state);
	check_golden(*state, "routes_read_counters.jsonl");
}

static void test_golden_mmap_read(void **state)
{
	write_map(*state);
	check_golden(*state, "routes_mmap_read.jsonl");
}

static void test_golden_mmap_shared_writable(void **state)
{
	build_map_shared_writable(*state);
	check_golden(*state, "routes_mmap_update.jsonl");
}

static void test_golden_transfer_to_tcp_socket(void **state)
{
	write_xfer(*state);
	check_golden(*state, "routes_transfer_tcp.jsonl");
}

static void test_golden_transfer_to_inet6_socket(void **state)
{
	build_xfer_inet6(*state);
	check_golden(*state, "routes_transfer_inet6.jsonl");
}

static void test_golden_transfer_to_pipe(void **state)
{
	build_xfer_pipe(*state);
	check_golden(*state, "routes_transfer_pipe.jsonl");
}

static void test_golden_transfer_to_file(void **state)
{
	build_xfer_file(*state);
	check_golden(*state, "routes_transfer_file.jsonl");
}

static void test_golden_clone_whole_file(void **state)
{
	build_clone(*state);
	check_golden(*state, "routes_clone.jsonl");
}

static void test_golden_change_unlink(void **state)
{
	build_unlink(*state);
	check_golden(*state, "routes_change_unlink.jsonl");
}

static void test_golden_change_unlink_denied(void **state)
{
	build_unlink_denied(*state);
	check_golden(*state, "routes_change_unlink_denied.jsonl");
}

static void test_golden_change_rename_out(void **state)
{
	build_rename_out(*state);
	check_golden(*state, "routes_change_rename_out.jsonl");
}

static void test_golden_change_link(void **state)
{
	build_link_out(*state);
	check_golden(*state, "routes_change_link.jsonl");
}

static void test_golden_change_ftruncate(void **state)
{
	build_ftruncate(*state);
	check_golden(*state, "routes_change_truncate.jsonl");
}

static void test_golden_change_chmod(void **state)
{
	build_chmod(*state);
	check_golden(*state, "routes_change_chmod.jsonl");
}

static void test_golden_change_chown(void **state)
{
	build_chown_uid_only(*state);
	check_golden(*state, "routes_change_chown.jsonl");
}

static void test_golden_change_setxattr(void **state)
{
	build_xattr(*state, PA_SYS_SETXATTR);
	check_golden(*state, "routes_change_setxattr.jsonl");
}

static void test_golden_change_removexattr(void **state)
{
	build_xattr(*state, PA_SYS_REMOVEXATTR);
	check_golden(*state, "routes_change_removexattr.jsonl");
}

/* ---- Update and Read records ---- */

static void assert_class(struct json_object *r, int activity, const char *name)
{
	char type_name[96];

	snprintf(type_name, sizeof(type_name), "File System Activity: %s", name);
	assert_int_equal(unit_json_int(r, "class_uid"), 1001);
	assert_int_equal(unit_json_int(r, "category_uid"), 1);
	assert_int_equal(unit_json_int(r, "activity_id"), activity);
	assert_string_equal(unit_json_str(r, "activity_name"), name);
	assert_int_equal(unit_json_int(r, "type_uid"), 100100 + activity);
	assert_string_equal(unit_json_str(r, "type_name"), type_name);
}

static void test_update_is_activity_3_with_bytes_written(void **state)
{
	struct json_object *r;

	build_update(*state);
	r = record(*state);
	assert_class(r, 3, "Update");
	assert_int_equal(unit_json_int(r, "status_id"), 1);
	assert_int_equal(unit_json_int(r, "count"), 1);
	assert_int_equal(unit_json_int(r, "unmapped.bytes_written"), 33);
	assert_int_equal(unit_json_int(r, "unmapped.write_calls"), 1);
	assert_string_equal(unit_json_str(r, "unmapped.reason"), "replaced");
	assert_string_equal(unit_json_str(r, "file.path"), src_path);
}

static void test_update_has_no_read_counters(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	build_read_routes(f); /* an account that read by every route... */
	pa_jw_reset(&f->w);
	f->rd.write_bytes = 100;
	f->rd.write_calls = 2; /* ...and wrote */
	write_account(f, true);
	r = record(f);
	assert_false(unit_json_has(r, "unmapped.bytes_read"));
	assert_false(unit_json_has(r, "unmapped.read_calls"));
	assert_false(unit_json_has(r, "unmapped.bytes_sent"));
	assert_false(unit_json_has(r, "unmapped.ring_read_calls"));
	assert_false(unit_json_has(r, "unmapped.ring_reads_unseen"));
	assert_int_equal(unit_json_int(r, "count"), 2);
}

static void test_read_and_update_of_one_report_share_seq_and_times(void **state)
{
	struct fx *f = *state;
	struct json_object *rd, *up;

	f->rd.write_bytes = 100;
	f->rd.write_calls = 2;
	write_account(f, false);
	rd = json_object_get(record(f));
	pa_jw_reset(&f->w);
	write_account(f, true);
	up = record(f);
	assert_int_equal(unit_json_int(rd, "unmapped.event_seq"), unit_json_int(up, "unmapped.event_seq"));
	assert_int_equal(unit_json_int(rd, "unmapped.account_seq"),
			 unit_json_int(up, "unmapped.account_seq"));
	assert_int_equal(unit_json_int(rd, "time"), unit_json_int(up, "time"));
	assert_string_equal(unit_json_str(rd, "start_time_dt"), unit_json_str(up, "start_time_dt"));
	assert_string_equal(unit_json_str(rd, "end_time_dt"), unit_json_str(up, "end_time_dt"));
	assert_false(unit_json_has(rd, "unmapped.bytes_written"));
	assert_int_equal(unit_json_int(rd, "count"), 256);
	assert_int_equal(unit_json_int(up, "count"), 2);
	json_object_put(rd);
}

static void test_update_of_unknown_open_says_path_unknown(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	f->path = NULL;
	build_update(f);
	r = record(f);
	assert_false(unit_json_has(r, "file"));
	assert_true(unit_json_bool(r, "unmapped.path_unknown"));
}

static void test_read_shows_sent_ring_and_unseen_counts(void **state)
{
	struct json_object *r;

	build_read_routes(*state);
	r = record(*state);
	assert_class(r, 2, "Read");
	assert_int_equal(unit_json_int(r, "unmapped.bytes_read"), 1048576);
	assert_int_equal(unit_json_int(r, "unmapped.read_calls"), 256);
	assert_int_equal(unit_json_int(r, "unmapped.bytes_sent"), 524288);
	assert_int_equal(unit_json_int(r, "unmapped.sent_calls"), 8);
	assert_int_equal(unit_json_int(r, "unmapped.ring_read_calls"), 16);
	assert_int_equal(unit_json_int(r, "unmapped.ring_reads_unseen"), 2);
	assert_int_equal(unit_json_int(r, "unmapped.ring_bytes_unseen"), 131072);
	assert_false(unit_json_has(r, "unmapped.bytes_written"));
}

static void test_read_without_other_routes_has_no_route_counters(void **state)
{
	struct json_object *r;

	write_account(*state, false);
	r = record(*state);
	assert_false(unit_json_has(r, "unmapped.bytes_sent"));
	assert_false(unit_json_has(r, "unmapped.sent_calls"));
	assert_false(unit_json_has(r, "unmapped.ring_read_calls"));
	assert_false(unit_json_has(r, "unmapped.ring_reads_unseen"));
	assert_false(unit_json_has(r, "unmapped.ring_bytes_unseen"));
}

/* ---- Open: created, watched_inode, ring_fixed_slot ---- */

static void test_open_that_created_its_file_says_created(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	f->t.flags = O_WRONLY | O_CREAT | O_EXCL;
	f->t.mode = 0644;
	f->t.path_flags = PA_PATH_CREATED;
	unit_event_build(&f->p[0].e, &f->t, UNIT_NO_USER, UNIT_NAMES("chart.txt\0"),
			 UNIT_NAMES("chart.txt\0" "phi\0" "srv\0"));
	write_open(f);
	r = record(f);
	assert_true(unit_json_bool(r, "unmapped.created"));
	assert_false(unit_json_has(r, "unmapped.path_flags")); /* not a path flag */
}

static void test_open_of_existing_file_has_no_created(void **state)
{
	struct fx *f = *state;

	f->t.flags = O_WRONLY | O_CREAT;
	unit_event_build(&f->p[0].e, &f->t, UNIT_NO_USER, UNIT_NAMES("chart.txt\0"),
			 UNIT_NAMES("chart.txt\0" "phi\0" "srv\0"));
	write_open(f);
	assert_false(unit_json_has(record(f), "unmapped.created"));
}

static void test_open_via_watched_inode_names_its_link_and_its_watch(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	f->t.path_flags = PA_PATH_VIA_INODE;
	unit_event_build(&f->p[0].e, &f->t, UNIT_NO_USER, UNIT_NAMES("labs-1234.csv\0" "tmp\0"),
			 UNIT_NAMES("labs-1234.csv\0" "tmp\0"));
	write_open(f);
	r = record(f);
	assert_true(unit_json_bool(r, "unmapped.watched_inode"));
	assert_string_equal(unit_json_str(r, "file.path"), "/tmp/labs-1234.csv");
	assert_string_equal(unit_json_str(r, "unmapped.watch"), WATCH);
	assert_string_equal(unit_json_str(r, "unmapped.scope"), "in");
	assert_string_equal(unit_json_str(r, "unmapped.path_source"), "kernel");
	assert_false(unit_json_has(r, "unmapped.process_path"));
}

static void test_open_into_ring_fixed_slot_has_no_fd(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	f->t.syscall = PA_SYS_URING_OPENAT;
	f->t.path_flags = PA_PATH_FIXED_SLOT;
	f->t.ret = 0; /* a slot index, not an fd */
	unit_event_build(&f->p[0].e, &f->t, UNIT_NO_USER, UNIT_NAMES("chart.txt\0"),
			 UNIT_NAMES("chart.txt\0" "phi\0" "srv\0"));
	write_open(f);
	r = record(f);
	assert_true(unit_json_bool(r, "unmapped.ring_fixed_slot"));
	assert_false(unit_json_has(r, "unmapped.fd"));
	assert_string_equal(unit_json_str(r, "unmapped.syscall"), "io_uring_openat");
	assert_int_equal(unit_json_int(r, "status_id"), 1);
}

/* ---- mmap ---- */

static void test_mmap_read_only_is_read_with_route_mmap(void **state)
{
	struct json_object *r;

	write_map(*state);
	r = record(*state);
	assert_class(r, 2, "Read");
	assert_int_equal(unit_json_int(r, "status_id"), 1);
	assert_int_equal(unit_json_int(r, "time"), T_EVENT / 1000000);
	assert_string_equal(unit_json_str(r, "unmapped.route"), "mmap");
	assert_string_equal(unit_json_str(r, "unmapped.syscall"), "mmap");
	assert_int_equal(unit_json_int(r, "unmapped.event_seq"), 95);
	assert_int_equal(unit_json_int(r, "unmapped.open_event_seq"), 77);
	assert_string_equal(unit_json_str(r, "unmapped.mmap.address"), "0x7fa2d4c21000");
	assert_int_equal(unit_json_int(r, "unmapped.mmap.length"), 1048576);
	assert_int_equal(unit_json_int(r, "unmapped.mmap.offset"), 0);
	assert_string_equal(unit_json_str(r, "unmapped.mmap.prot"), "PROT_READ");
	assert_string_equal(unit_json_str(r, "unmapped.mmap.flags"), "MAP_SHARED");
	assert_int_equal(unit_json_int(r, "unmapped.mmap.bytes_mapped"), 1048576);
	assert_int_equal(unit_json_int(r, "unmapped.mmap.file_size"), 1048576);
	assert_false(unit_json_has(r, "unmapped.bytes_read")); /* kept apart from reads */
	assert_string_equal(unit_json_str(r, "file.path"), src_path);
	assert_string_equal(unit_json_str(r, "unmapped.watch"), WATCH);
	assert_int_equal(unit_json_int(r, "unmapped.inode"), 131075);
	assert_string_equal(unit_json_str(r, "unmapped.dev"), "8:1");
}

static void test_mmap_shared_writable_is_update(void **state)
{
	struct json_object *r;

	build_map_shared_writable(*state);
	r = record(*state);
	assert_class(r, 3, "Update");
	assert_string_equal(unit_json_str(r, "unmapped.route"), "mmap");
	assert_string_equal(unit_json_str(r, "unmapped.mmap.prot"), "PROT_READ|PROT_WRITE");
	assert_int_equal(unit_json_int(r, "unmapped.mmap.bytes_mapped"), 400);
}

static void test_mmap_private_writable_is_read(void **state)
{
	/* Writes to a private mapping never reach the file. */
	struct fx *f = *state;
	struct json_object *r;

	f->map.prot = PROT_READ | PROT_WRITE;
	f->map.flags = MAP_PRIVATE;
	write_map(f);
	r = record(f);
	assert_int_equal(unit_json_int(r, "activity_id"), 2);
	assert_string_equal(unit_json_str(r, "unmapped.mmap.flags"), "MAP_PRIVATE");
}

static void test_mmap_shared_validate_writable_is_update(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	f->map.prot = PROT_WRITE;
	f->map.flags = MAP_SHARED_VALIDATE;
	write_map(f);
	r = record(f);
	assert_int_equal(unit_json_int(r, "activity_id"), 3);
	assert_string_equal(unit_json_str(r, "unmapped.mmap.flags"), "MAP_SHARED|MAP_PRIVATE");
	assert_string_equal(unit_json_str(r, "unmapped.mmap.prot"), "PROT_WRITE");
}

static void test_mmap_prot_none_and_unnamed_flags_in_hex(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	f->map.prot = PROT_NONE;
	f->map.flags = MAP_PRIVATE | MAP_POPULATE | 0x40000; /* MAP_HUGETLB: unnamed */
	write_map(f);
	r = record(f);
	assert_string_equal(unit_json_str(r, "unmapped.mmap.prot"), "PROT_NONE");
	assert_string_equal(unit_json_str(r, "unmapped.mmap.flags"),
			    "MAP_PRIVATE|MAP_POPULATE|0x40000");
}

static void test_mmap_flags_zero_is_shown_as_0(void **state)
{
	struct fx *f = *state;

	f->map.flags = 0;
	write_map(f);
	assert_string_equal(unit_json_str(record(f), "unmapped.mmap.flags"), "0");
}

static void test_mmap2_is_named_mmap2(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	f->map.syscall = PA_SYS_MMAP2;
	f->map.compat = 1;
	f->map.offset = 3 * 4096; /* converted from pages by the kernel side */
	write_map(f);
	r = record(f);
	assert_string_equal(unit_json_str(r, "unmapped.syscall"), "mmap2");
	assert_string_equal(unit_json_str(r, "unmapped.route"), "mmap");
	assert_int_equal(unit_json_int(r, "unmapped.mmap.offset"), 3 * 4096);
}

static void test_mmap_of_unknown_open_says_path_unknown(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	f->path = NULL;
	write_map(f);
	r = record(f);
	assert_false(unit_json_has(r, "file"));
	assert_false(unit_json_has(r, "unmapped.watch"));
	assert_true(unit_json_bool(r, "unmapped.path_unknown"));
	assert_int_equal(unit_json_int(r, "unmapped.inode"), 131075);
}

/* ---- Transfer ---- */

static void test_transfer_is_activity_99_transfer(void **state)
{
	struct json_object *r;

	write_xfer(*state);
	r = record(*state);
	assert_class(r, 99, "Transfer");
	assert_int_equal(unit_json_int(r, "severity_id"), 1);
	assert_int_equal(unit_json_int(r, "status_id"), 1);
}

static void test_transfer_shows_its_run(void **state)
{
	struct json_object *r;

	write_xfer(*state);
	r = record(*state);
	assert_string_equal(unit_json_str(r, "unmapped.route"), "sendfile");
	assert_int_equal(unit_json_int(r, "unmapped.bytes_transferred"), 1048576);
	assert_int_equal(unit_json_int(r, "unmapped.transfer_calls"), 16);
	assert_int_equal(unit_json_int(r, "unmapped.account_seq"), 5);
	assert_int_equal(unit_json_int(r, "unmapped.event_seq"), 96);
	assert_int_equal(unit_json_int(r, "unmapped.open_event_seq"), 77);
	/* the run's last call is the record's time */
	assert_int_equal(unit_json_int(r, "time"), T_EVENT / 1000000);
	assert_string_equal(unit_json_str(r, "unmapped.first_dt"), "2026-11-23T10:53:40.378001760Z");
	assert_string_equal(unit_json_str(r, "unmapped.last_dt"), "2026-11-23T10:53:41.178001760Z");
	assert_false(unit_json_has(r, "unmapped.clone"));
	assert_string_equal(unit_json_str(r, "file.path"), src_path);
	assert_int_equal(unit_json_int(r, "unmapped.inode"), 131075);
}

static void test_transfer_to_tcp_socket_names_both_ends(void **state)
{
	struct json_object *r;

	write_xfer(*state);
	r = record(*state);
	assert_string_equal(unit_json_str(r, "unmapped.destination.type"), "socket");
	assert_int_equal(unit_json_int(r, "unmapped.destination.inode"), 1588239);
	assert_string_equal(unit_json_str(r, "unmapped.destination.dev"), "0:9");
	assert_string_equal(unit_json_str(r, "unmapped.destination.socket.family"), "inet");
	assert_string_equal(unit_json_str(r, "unmapped.destination.socket.protocol"), "tcp");
	assert_string_equal(unit_json_str(r, "unmapped.destination.socket.local"), "10.0.0.5:44332");
	assert_string_equal(unit_json_str(r, "unmapped.destination.socket.remote"), "10.0.0.9:443");
	assert_false(unit_json_has(r, "file_result"));
	assert_false(unit_json_has(r, "unmapped.destination.path"));
	assert_false(unit_json_has(r, "unmapped.destination.path_unknown"));
}

static void test_transfer_socket_details_come_from_the_runs_start(void **state)
{
	/* The END carries totals only; the START had the socket. */
	struct fx *f = *state;
	struct json_object *r;

	assert_int_equal(f->xf.family, 0);
	write_xfer(f);
	r = record(f);
	assert_string_equal(unit_json_str(r, "unmapped.destination.socket.family"), "inet");
}

static void test_transfer_without_socket_details_has_no_socket(void **state)
{
	/* The START was not kept (runs_untracked): nothing known. */
	struct fx *f = *state;
	struct json_object *r;

	f->has_socket = false;
	f->socket = NULL;
	write_xfer(f);
	r = record(f);
	assert_string_equal(unit_json_str(r, "unmapped.destination.type"), "socket");
	assert_false(unit_json_has(r, "unmapped.destination.socket"));
}

static void test_transfer_to_inet6_socket_brackets_addresses(void **state)
{
	struct json_object *r;

	build_xfer_inet6(*state);
	r = record(*state);
	assert_string_equal(unit_json_str(r, "unmapped.destination.socket.family"), "inet6");
	assert_string_equal(unit_json_str(r, "unmapped.destination.socket.protocol"), "tcp");
	assert_string_equal(unit_json_str(r, "unmapped.destination.socket.local"), "[::1]:50001");
	assert_string_equal(unit_json_str(r, "unmapped.destination.socket.remote"),
			    "[2001:db8::9]:8443");
}

static void test_transfer_to_udp_socket_says_udp(void **state)
{
	struct fx *f = *state;

	f->start.protocol = IPPROTO_UDP;
	write_xfer(f);
	assert_string_equal(unit_json_str(record(f), "unmapped.destination.socket.protocol"),
			    "udp");
}

static void test_transfer_to_other_protocol_gives_its_number(void **state)
{
	struct fx *f = *state;

	f->start.protocol = IPPROTO_SCTP;
	write_xfer(f);
	assert_int_equal(unit_json_int(record(f), "unmapped.destination.socket.protocol"),
			 IPPROTO_SCTP);
}

static void test_transfer_to_unix_socket_has_no_addresses(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	f->start.family = AF_UNIX;
	write_xfer(f);
	r = record(f);
	assert_string_equal(unit_json_str(r, "unmapped.destination.socket.family"), "unix");
	assert_false(unit_json_has(r, "unmapped.destination.socket.protocol"));
	assert_false(unit_json_has(r, "unmapped.destination.socket.local"));
	assert_false(unit_json_has(r, "unmapped.destination.socket.remote"));
}

static void test_transfer_to_other_family_gives_its_number(void **state)
{
	struct fx *f = *state;

	f->start.family = AF_NETLINK;
	write_xfer(f);
	assert_int_equal(unit_json_int(record(f), "unmapped.destination.socket.family"),
			 AF_NETLINK);
}

static void test_transfer_to_pipe_has_no_path_and_no_socket(void **state)
{
	struct json_object *r;

	build_xfer_pipe(*state);
	r = record(*state);
	assert_string_equal(unit_json_str(r, "unmapped.route"), "splice");
	assert_string_equal(unit_json_str(r, "unmapped.destination.type"), "pipe");
	assert_int_equal(unit_json_int(r, "unmapped.destination.inode"), 1586611);
	assert_string_equal(unit_json_str(r, "unmapped.destination.dev"), "0:15");
	assert_false(unit_json_has(r, "unmapped.destination.path"));
	assert_false(unit_json_has(r, "unmapped.destination.path_unknown"));
	assert_false(unit_json_has(r, "unmapped.destination.socket"));
	assert_false(unit_json_has(r, "file_result"));
}

static void test_transfer_to_file_shows_file_result(void **state)
{
	struct json_object *r;

	build_xfer_file(*state);
	r = record(*state);
	assert_string_equal(unit_json_str(r, "unmapped.route"), "copy_file_range");
	assert_string_equal(unit_json_str(r, "unmapped.destination.type"), "file");
	assert_string_equal(unit_json_str(r, "unmapped.destination.path"), "/tmp/chart-copy.txt");
	assert_int_equal(unit_json_int(r, "unmapped.destination.inode"), 10969203);
	assert_string_equal(unit_json_str(r, "unmapped.destination.dev"), "254:0");
	assert_false(unit_json_has(r, "unmapped.destination.watched"));
	assert_string_equal(unit_json_str(r, "file_result.path"), "/tmp/chart-copy.txt");
	assert_string_equal(unit_json_str(r, "file_result.name"), "chart-copy.txt");
	assert_string_equal(unit_json_str(r, "file_result.parent_folder"), "/tmp");
	assert_int_equal(unit_json_int(r, "file_result.type_id"), 1);
	assert_string_equal(unit_json_str(r, "file.path"), src_path);
}

static void test_transfer_to_watched_file_says_watched(void **state)
{
	/* (routes.c take_dest: the destination's scope is in) */
	struct fx *f = *state;

	build_xfer_file(f);
	pa_jw_reset(&f->w);
	f->dst_watched = true;
	write_xfer(f);
	assert_true(unit_json_bool(record(f), "unmapped.destination.watched"));
}

static void test_transfer_to_file_whose_name_was_lost_says_path_unknown(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	f->xf.dst_kind = PA_DST_FILE;
	f->xf.dst_mode = 0100644;
	f->has_socket = false;
	write_xfer(f);
	r = record(f);
	assert_string_equal(unit_json_str(r, "unmapped.destination.type"), "file");
	assert_true(unit_json_bool(r, "unmapped.destination.path_unknown"));
	assert_false(unit_json_has(r, "unmapped.destination.path"));
	assert_false(unit_json_has(r, "file_result"));
	assert_false(unit_json_has(r, "unmapped.path_unknown")); /* the source is known */
}

static void test_transfer_destination_other_and_unknown(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	f->xf.dst_kind = PA_DST_OTHER;
	f->xf.dst_mode = 0020666; /* /dev/null */
	write_xfer(f);
	r = record(f);
	assert_string_equal(unit_json_str(r, "unmapped.destination.type"), "other");
	assert_false(unit_json_has(r, "unmapped.destination.socket"));
	assert_false(unit_json_has(r, "unmapped.destination.path_unknown"));
	pa_jw_reset(&f->w);
	f->xf.dst_kind = PA_DST_UNKNOWN;
	f->xf.dst_ino = 0;
	write_xfer(f);
	r = record(f);
	assert_string_equal(unit_json_str(r, "unmapped.destination.type"), "unknown");
	assert_false(unit_json_has(r, "unmapped.destination.inode"));
	assert_false(unit_json_has(r, "unmapped.destination.dev"));
}

static void test_transfer_of_unknown_open_says_path_unknown(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	f->path = NULL;
	write_xfer(f);
	r = record(f);
	assert_false(unit_json_has(r, "file"));
	assert_false(unit_json_has(r, "unmapped.watch"));
	assert_true(unit_json_bool(r, "unmapped.path_unknown"));
}

static void test_transfer_by_io_uring_splice_is_named_so(void **state)
{
	struct fx *f = *state;

	f->xf.syscall = PA_SYS_URING_SPLICE;
	write_xfer(f);
	assert_string_equal(unit_json_str(record(f), "unmapped.route"), "io_uring_splice");
}

/* ---- Clone ---- */

static void test_clone_is_activity_99_clone(void **state)
{
	struct json_object *r;

	build_clone(*state);
	r = record(*state);
	assert_class(r, 99, "Clone");
	assert_int_equal(unit_json_int(r, "status_id"), 1);
}

static void test_clone_shows_route_clone_object_and_destination(void **state)
{
	struct json_object *r;

	build_clone(*state);
	r = record(*state);
	assert_string_equal(unit_json_str(r, "unmapped.route"), "ficlone");
	assert_int_equal(unit_json_int(r, "unmapped.bytes_transferred"), 1048576);
	assert_int_equal(unit_json_int(r, "unmapped.transfer_calls"), 1);
	assert_int_equal(unit_json_int(r, "unmapped.clone.offset"), 0);
	assert_int_equal(unit_json_int(r, "unmapped.clone.length"), 0);
	assert_string_equal(unit_json_str(r, "unmapped.destination.type"), "file");
	assert_string_equal(unit_json_str(r, "unmapped.destination.path"), "/srv/scratch/chart.txt");
	assert_string_equal(unit_json_str(r, "unmapped.destination.dev"), "8:1");
	assert_string_equal(unit_json_str(r, "file_result.path"), "/srv/scratch/chart.txt");
	assert_int_equal(unit_json_int(r, "unmapped.event_seq"), 97);
}

static void test_clone_has_no_account_and_no_run_times(void **state)
{
	struct json_object *r;

	build_clone(*state);
	r = record(*state);
	assert_false(unit_json_has(r, "unmapped.account_seq"));
	assert_false(unit_json_has(r, "unmapped.first_dt"));
	assert_false(unit_json_has(r, "unmapped.last_dt"));
	assert_false(unit_json_has(r, "unmapped.destination.socket"));
}

static void test_clone_routes_named_by_ioctl_command(void **state)
{
	static const struct {
		unsigned int cmd;
		const char *route;
	} want[] = {
		{ FICLONE, "ficlone" },
		{ FICLONERANGE, "ficlonerange" },
		{ FIDEDUPERANGE, "fideduperange" },
		{ 0x5401 /* TCGETS */, "ioctl" },
	};
	struct fx *f = *state;

	for (size_t i = 0; i < ARRAY_LEN(want); i++) {
		pa_jw_reset(&f->w);
		build_clone(f);
		pa_jw_reset(&f->w);
		f->xf.cmd = want[i].cmd;
		f->xf.offset = 4096;
		f->xf.length = 1048576;
		write_xfer(f);
		assert_string_equal(unit_json_str(record(f), "unmapped.route"), want[i].route);
		assert_int_equal(unit_json_int(f->rec, "unmapped.clone.offset"), 4096);
		assert_int_equal(unit_json_int(f->rec, "unmapped.clone.length"), 1048576);
	}
}

/* ---- changes ---- */

static void test_unlink_is_delete_with_user_path(void **state)
{
	struct json_object *r;

	build_unlink(*state);
	r = record(*state);
	assert_class(r, 4, "Delete");
	assert_int_equal(unit_json_int(r, "status_id"), 1);
	assert_string_equal(unit_json_str(r, "status"), "Success");
	assert_false(unit_json_has(r, "status_code"));
	assert_string_equal(unit_json_str(r, "file.path"), "/srv/phi/patients/1234/old-referral.txt");
	assert_int_equal(unit_json_int(r, "file.type_id"), 0); /* by path: not identified */
	assert_string_equal(unit_json_str(r, "file.type"), "Unknown");
	assert_false(unit_json_has(r, "file_result"));
	assert_string_equal(unit_json_str(r, "unmapped.syscall"), "unlinkat");
	assert_false(unit_json_bool(r, "unmapped.compat"));
	assert_string_equal(unit_json_str(r, "unmapped.path_source"), "user");
	assert_string_equal(unit_json_str(r, "unmapped.scope"), "in");
	assert_string_equal(unit_json_str(r, "unmapped.watch"), WATCH);
	assert_int_equal(unit_json_int(r, "unmapped.event_seq"), 75);
	assert_false(unit_json_has(r, "unmapped.inode"));
	assert_false(unit_json_has(r, "unmapped.new_path_unknown"));
	assert_false(unit_json_has(r, "unmapped.hard_link"));
	assert_false(unit_json_has(r, "unmapped.flags"));
	assert_false(unit_json_has(r, "unmapped.dirfd"));
}

static void test_rmdir_is_delete(void **state)
{
	struct fx *f = *state;

	change_defaults(&f->t, PA_SYS_RMDIR, "rmdir");
	build_part(&f->p[0], &f->t, UNIT_USER("old"), CWD_REL, CWD_VIEW);
	write_change(f, &f->p[0], NULL);
	assert_int_equal(unit_json_int(record(f), "activity_id"), 4);
}

static void test_denied_unlink_is_failure_with_eacces(void **state)
{
	struct json_object *r;

	build_unlink_denied(*state);
	r = record(*state);
	assert_int_equal(unit_json_int(r, "activity_id"), 4);
	assert_int_equal(unit_json_int(r, "status_id"), 2);
	assert_string_equal(unit_json_str(r, "status"), "Failure");
	assert_string_equal(unit_json_str(r, "status_code"), "EACCES");
	assert_string_equal(unit_json_str(r, "status_detail"), "Permission denied");
	assert_string_equal(unit_json_str(r, "actor.user.uid"), "1001");
}

static void test_rename_out_has_both_names_and_moved_out(void **state)
{
	struct json_object *r;

	build_rename_out(*state);
	r = record(*state);
	assert_class(r, 5, "Rename");
	assert_string_equal(unit_json_str(r, "file.path"), "/srv/phi/patients/1234/history.txt");
	assert_string_equal(unit_json_str(r, "file_result.path"), "/tmp/history-1234.txt");
	assert_string_equal(unit_json_str(r, "file_result.parent_folder"), "/tmp");
	assert_true(unit_json_bool(r, "unmapped.moved_out"));
	assert_false(unit_json_has(r, "unmapped.moved_in"));
	assert_false(unit_json_has(r, "unmapped.hard_link"));
	assert_false(unit_json_has(r, "unmapped.new_path_unknown"));
	assert_false(unit_json_has(r, "unmapped.path_unknown"));
	assert_int_equal(unit_json_int(r, "unmapped.event_seq"), 75); /* the first half's */
	assert_int_equal(unit_json_int(r, "unmapped.flags"), 1);      /* RENAME_NOREPLACE */
	assert_string_equal(unit_json_str(r, "unmapped.syscall"), "renameat2");
	/* scope, watch, path_source: the old name's */
	assert_string_equal(unit_json_str(r, "unmapped.scope"), "in");
	assert_string_equal(unit_json_str(r, "unmapped.watch"), WATCH);
	assert_string_equal(unit_json_str(r, "unmapped.path_source"), "user");
	assert_false(unit_json_has(r, "unmapped.process_path_result"));
}

static void test_rename_within_the_tree_is_not_moved(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	change_defaults(&f->t, PA_SYS_RENAMEAT2, "mv");
	f->t.role = PA_ROLE_OLD;
	new_half_defaults(&f->t2, &f->t);
	build_part(&f->p[0], &f->t, UNIT_USER("draft.txt"), CWD_REL, CWD_VIEW);
	build_part(&f->p[1], &f->t2, UNIT_USER("draft-v2.txt"), CWD_REL, CWD_VIEW);
	write_change(f, &f->p[0], &f->p[1]);
	r = record(f);
	assert_string_equal(unit_json_str(r, "file_result.path"),
			    "/srv/phi/patients/1234/draft-v2.txt");
	assert_false(unit_json_has(r, "unmapped.moved_out"));
	assert_false(unit_json_has(r, "unmapped.moved_in"));
}

static void test_rename_in_from_outside_says_moved_in(void **state)
{
	/* mv /tmp/referral.txt /srv/phi/incoming/referral.txt, from cwd /tmp */
	struct fx *f = *state;
	struct json_object *r;

	change_defaults(&f->t, PA_SYS_RENAMEAT2, "mv");
	f->t.role = PA_ROLE_OLD;
	f->t.scope = PA_SCOPE_OUT;
	f->t.watch_id = 0;
	new_half_defaults(&f->t2, &f->t);
	f->t2.scope = PA_SCOPE_IN;
	f->t2.watch_id = 1;
	build_part(&f->p[0], &f->t, UNIT_USER("referral.txt"), UNIT_NAMES("tmp\0"),
		   UNIT_NAMES("tmp\0"));
	f->t2.path_flags |= PA_PATH_VIA_ROUTE;
	f->t2.route_depth = 0; /* an absolute string, placed from "/" */
	build_part(&f->p[1], &f->t2, UNIT_USER("/srv/phi/incoming/referral.txt"), UNIT_NO_NAMES,
		   UNIT_NO_NAMES);
	write_change(f, &f->p[0], &f->p[1]);
	r = record(f);
	assert_string_equal(unit_json_str(r, "file.path"), "/tmp/referral.txt");
	assert_string_equal(unit_json_str(r, "file_result.path"), "/srv/phi/incoming/referral.txt");
	assert_true(unit_json_bool(r, "unmapped.moved_in"));
	assert_false(unit_json_has(r, "unmapped.moved_out"));
	assert_string_equal(unit_json_str(r, "unmapped.scope"), "out");
	assert_false(unit_json_has(r, "unmapped.watch"));
}

static void test_rename_whose_new_half_was_lost_says_new_path_unknown(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	build_pair(f, PA_SYS_RENAMEAT2, "mv", UNIT_USER("history.txt"),
		   UNIT_USER("/tmp/history-1234.txt"), 1);
	write_change(f, &f->p[0], NULL);
	r = record(f);
	assert_int_equal(unit_json_int(r, "activity_id"), 5);
	assert_string_equal(unit_json_str(r, "file.path"), "/srv/phi/patients/1234/history.txt");
	assert_false(unit_json_has(r, "file_result"));
	assert_true(unit_json_bool(r, "unmapped.new_path_unknown"));
	assert_false(unit_json_has(r, "unmapped.moved_out"));
}

static void test_rename_whose_old_half_was_lost_says_path_unknown(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	build_pair(f, PA_SYS_RENAMEAT2, "mv", UNIT_USER("history.txt"),
		   UNIT_USER("/tmp/history-1234.txt"), 1);
	write_change(f, NULL, &f->p[1]);
	r = record(f);
	assert_false(unit_json_has(r, "file"));
	assert_true(unit_json_bool(r, "unmapped.path_unknown"));
	assert_string_equal(unit_json_str(r, "file_result.path"), "/tmp/history-1234.txt");
	assert_false(unit_json_has(r, "unmapped.new_path_unknown"));
	assert_string_equal(unit_json_str(r, "unmapped.scope"), "out"); /* the new name's */
}

static void test_link_is_create_with_hard_link(void **state)
{
	struct json_object *r;

	build_link_out(*state);
	r = record(*state);
	assert_class(r, 1, "Create");
	assert_true(unit_json_bool(r, "unmapped.hard_link"));
	assert_string_equal(unit_json_str(r, "unmapped.syscall"), "linkat");
	assert_string_equal(unit_json_str(r, "file.path"), "/srv/phi/patients/1234/labs.csv");
	assert_string_equal(unit_json_str(r, "file_result.path"), "/tmp/labs-1234.csv");
	/* the content is reachable outside; a link moves nothing */
	assert_true(unit_json_bool(r, "unmapped.link_outside"));
	assert_false(unit_json_has(r, "unmapped.moved_out"));
}

static void test_ftruncate_is_update_with_length_and_the_file(void **state)
{
	struct json_object *r;

	build_ftruncate(*state);
	r = record(*state);
	assert_class(r, 3, "Update");
	assert_int_equal(unit_json_int(r, "unmapped.truncate_length"), 100);
	assert_string_equal(unit_json_str(r, "unmapped.syscall"), "ftruncate");
	assert_string_equal(unit_json_str(r, "unmapped.path_source"), "kernel");
	assert_string_equal(unit_json_str(r, "file.path"), "/srv/phi/patients/1234/draft.txt");
	assert_int_equal(unit_json_int(r, "file.type_id"), 1);
	assert_int_equal(unit_json_int(r, "unmapped.inode"), 131080);
	assert_int_equal(unit_json_int(r, "unmapped.file_size"), 100);
	assert_false(unit_json_has(r, "unmapped.account_seq")); /* not a write account */
	assert_false(unit_json_has(r, "unmapped.bytes_written"));
}

static void test_truncate_by_path_has_user_path_and_no_inode(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	change_defaults(&f->t, PA_SYS_TRUNCATE, "python3");
	f->t.arg = 50;
	build_part(&f->p[0], &f->t, UNIT_USER("draft.txt"), CWD_REL, CWD_VIEW);
	write_change(f, &f->p[0], NULL);
	r = record(f);
	assert_int_equal(unit_json_int(r, "activity_id"), 3);
	assert_int_equal(unit_json_int(r, "unmapped.truncate_length"), 50);
	assert_string_equal(unit_json_str(r, "unmapped.path_source"), "user");
	assert_false(unit_json_has(r, "unmapped.inode"));
}

static void test_ftruncate_through_watched_inode_has_no_watch(void **state)
{
	/* truncate -s 10000 /tmp/history-1234.txt, a file moved out. */
	struct fx *f = *state;
	struct json_object *r;

	change_defaults(&f->t, PA_SYS_FTRUNCATE, "truncate");
	f->t.path_flags = PA_PATH_VIA_INODE;
	f->t.arg = 10000;
	f->t.file_ino = 131081;
	f->t.file_dev = (8u << 20) | 1;
	f->t.file_mode = 0100640;
	f->t.file_size = 10000;
	build_part(&f->p[0], &f->t, UNIT_NO_USER, UNIT_NAMES("history-1234.txt\0" "tmp\0"),
		   UNIT_NAMES("history-1234.txt\0" "tmp\0"));
	write_change(f, &f->p[0], NULL);
	r = record(f);
	assert_string_equal(unit_json_str(r, "file.path"), "/tmp/history-1234.txt");
	assert_true(unit_json_bool(r, "unmapped.watched_inode"));
	assert_false(unit_json_has(r, "unmapped.watch"));
	assert_string_equal(unit_json_str(r, "unmapped.path_source"), "kernel");
}

static void test_chmod_is_set_security_with_mode(void **state)
{
	struct json_object *r;

	build_chmod(*state);
	r = record(*state);
	assert_class(r, 7, "Set Security");
	assert_string_equal(unit_json_str(r, "unmapped.mode"), "0600");
	assert_string_equal(unit_json_str(r, "unmapped.syscall"), "fchmodat");
	assert_false(unit_json_has(r, "unmapped.owner"));
}

static void test_chown_omits_an_id_left_unchanged(void **state)
{
	struct json_object *r;

	build_chown_uid_only(*state);
	r = record(*state);
	assert_class(r, 7, "Set Security");
	assert_int_equal(unit_json_int(r, "unmapped.owner.uid"), 1000);
	assert_false(unit_json_has(r, "unmapped.owner.gid"));
	assert_false(unit_json_has(r, "unmapped.mode"));
}

static void test_chown_of_gid_only_omits_the_uid(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	change_defaults(&f->t, PA_SYS_CHOWN, "chgrp");
	f->t.arg = (0xffffffffULL << 32) | 1001;
	build_part(&f->p[0], &f->t, UNIT_USER("labs.csv"), CWD_REL, CWD_VIEW);
	write_change(f, &f->p[0], NULL);
	r = record(f);
	assert_false(unit_json_has(r, "unmapped.owner.uid"));
	assert_int_equal(unit_json_int(r, "unmapped.owner.gid"), 1001);
}

static void test_chown_to_root_shows_uid_and_gid_0(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	change_defaults(&f->t, PA_SYS_LCHOWN, "chown");
	f->t.arg = 0;
	build_part(&f->p[0], &f->t, UNIT_USER("labs.csv"), CWD_REL, CWD_VIEW);
	write_change(f, &f->p[0], NULL);
	r = record(f);
	assert_int_equal(unit_json_int(r, "unmapped.owner.uid"), 0);
	assert_int_equal(unit_json_int(r, "unmapped.owner.gid"), 0);
}

static void test_setxattr_is_set_attributes_with_its_name(void **state)
{
	struct json_object *r;

	build_xattr(*state, PA_SYS_SETXATTR);
	r = record(*state);
	assert_class(r, 6, "Set Attributes");
	assert_string_equal(unit_json_str(r, "unmapped.xattr"), "user.reviewed_by");
	assert_false(unit_json_has(r, "unmapped.xattr_removed"));
	assert_string_equal(unit_json_str(r, "file.path"), "/srv/phi/patients/1234/chart.txt");
}

static void test_removexattr_says_xattr_removed(void **state)
{
	struct json_object *r;

	build_xattr(*state, PA_SYS_REMOVEXATTR);
	r = record(*state);
	assert_class(r, 6, "Set Attributes");
	assert_string_equal(unit_json_str(r, "unmapped.xattr"), "user.reviewed_by");
	assert_true(unit_json_bool(r, "unmapped.xattr_removed"));
	assert_string_equal(unit_json_str(r, "unmapped.syscall"), "removexattr");
}

static void test_setxattr_whose_name_was_unreadable_has_no_xattr(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	change_defaults(&f->t, PA_SYS_FSETXATTR, "python3");
	build_part(&f->p[0], &f->t, UNIT_USER("chart.txt"), CWD_REL, CWD_VIEW);
	write_change(f, &f->p[0], NULL);
	r = record(f);
	assert_int_equal(unit_json_int(r, "activity_id"), 6);
	assert_false(unit_json_has(r, "unmapped.xattr"));
}

static void test_change_with_dirfd_shows_it(void **state)
{
	struct fx *f = *state;

	change_defaults(&f->t, PA_SYS_UNLINKAT, "rm");
	f->t.dirfd = 7;
	f->t.flags = 0x200; /* AT_REMOVEDIR */
	build_part(&f->p[0], &f->t, UNIT_USER("old"), CWD_REL, CWD_VIEW);
	write_change(f, &f->p[0], NULL);
	assert_int_equal(unit_json_int(record(f), "unmapped.dirfd"), 7);
	assert_int_equal(unit_json_int(f->rec, "unmapped.flags"), 0x200);
}

/* ---- syscall names ---- */

static void test_every_syscall_has_its_own_name(void **state)
{
	/* Designated: each name pinned to its enum value, not to a position. */
	static const char *const want[PA_SYS_MAX] = {
		[PA_SYS_NONE] = "none",
		[PA_SYS_OPEN] = "open",
		[PA_SYS_CREAT] = "creat",
		[PA_SYS_OPENAT] = "openat",
		[PA_SYS_OPENAT2] = "openat2",
		[PA_SYS_OPEN_BY_HANDLE_AT] = "open_by_handle_at",
		[PA_SYS_READ] = "read",
		[PA_SYS_PREAD64] = "pread64",
		[PA_SYS_READV] = "readv",
		[PA_SYS_PREADV] = "preadv",
		[PA_SYS_PREADV2] = "preadv2",
		[PA_SYS_CLOSE] = "close",
		[PA_SYS_CLOSE_RANGE] = "close_range",
		[PA_SYS_DUP] = "dup",
		[PA_SYS_DUP2] = "dup2",
		[PA_SYS_DUP3] = "dup3",
		[PA_SYS_FCNTL] = "fcntl",
		[PA_SYS_WRITE] = "write",
		[PA_SYS_PWRITE64] = "pwrite64",
		[PA_SYS_WRITEV] = "writev",
		[PA_SYS_PWRITEV] = "pwritev",
		[PA_SYS_PWRITEV2] = "pwritev2",
		[PA_SYS_SENDFILE] = "sendfile",
		[PA_SYS_SPLICE] = "splice",
		[PA_SYS_COPY_FILE_RANGE] = "copy_file_range",
		[PA_SYS_MMAP] = "mmap",
		[PA_SYS_MMAP2] = "mmap2",
		[PA_SYS_IOCTL] = "ioctl",
		[PA_SYS_TRUNCATE] = "truncate",
		[PA_SYS_FTRUNCATE] = "ftruncate",
		[PA_SYS_UNLINK] = "unlink",
		[PA_SYS_UNLINKAT] = "unlinkat",
		[PA_SYS_RMDIR] = "rmdir",
		[PA_SYS_RENAME] = "rename",
		[PA_SYS_RENAMEAT] = "renameat",
		[PA_SYS_RENAMEAT2] = "renameat2",
		[PA_SYS_LINK] = "link",
		[PA_SYS_LINKAT] = "linkat",
		[PA_SYS_CHMOD] = "chmod",
		[PA_SYS_FCHMOD] = "fchmod",
		[PA_SYS_FCHMODAT] = "fchmodat",
		[PA_SYS_FCHMODAT2] = "fchmodat2",
		[PA_SYS_CHOWN] = "chown",
		[PA_SYS_LCHOWN] = "lchown",
		[PA_SYS_FCHOWN] = "fchown",
		[PA_SYS_FCHOWNAT] = "fchownat",
		[PA_SYS_SETXATTR] = "setxattr",
		[PA_SYS_LSETXATTR] = "lsetxattr",
		[PA_SYS_FSETXATTR] = "fsetxattr",
		[PA_SYS_REMOVEXATTR] = "removexattr",
		[PA_SYS_LREMOVEXATTR] = "lremovexattr",
		[PA_SYS_FREMOVEXATTR] = "fremovexattr",
		[PA_SYS_SETXATTRAT] = "setxattrat",
		[PA_SYS_REMOVEXATTRAT] = "removexattrat",
		[PA_SYS_URING_OPENAT] = "io_uring_openat",
		[PA_SYS_URING_OPENAT2] = "io_uring_openat2",
		[PA_SYS_URING_READ] = "io_uring_read",
		[PA_SYS_URING_SPLICE] = "io_uring_splice",
	};

	for (unsigned int op = 0; op < PA_SYS_MAX; op++) {
		const char *name = pa_syscall_name(op);

		assert_non_null(want[op]); /* a new enum value needs a line here */
		assert_non_null(name);
		assert_string_not_equal(name, "unknown");
		assert_string_equal(name, want[op]);
		for (unsigned int other = 0; other < op; other++)
			assert_string_not_equal(name, pa_syscall_name(other));
	}
}

static void test_syscall_beyond_the_enum_is_unknown(void **state)
{
	assert_string_equal(pa_syscall_name(PA_SYS_MAX), "unknown");
	assert_string_equal(pa_syscall_name(65535), "unknown");
}

static void test_every_change_syscall_has_a_change_activity(void **state)
{
	/* No change lands in 99 "Other". */
	struct fx *f = *state;

	for (unsigned int op = PA_SYS_TRUNCATE; op <= PA_SYS_REMOVEXATTRAT; op++) {
		pa_jw_reset(&f->w);
		change_defaults(&f->t, (enum pa_syscall)op, "x");
		build_part(&f->p[0], &f->t, UNIT_USER("x.txt"), CWD_REL, CWD_VIEW);
		write_change(f, &f->p[0], NULL);
		assert_int_not_equal(unit_json_int(record(f), "activity_id"), 99);
		assert_string_equal(unit_json_str(f->rec, "unmapped.syscall"), pa_syscall_name(op));
	}
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_decode_accepts_change_with_xattr_name),
		T(test_decode_change_without_xattr_name_has_no_name),
		T(test_decode_rejects_xattr_name_without_nul),
		T(test_decode_skips_leading_dotdot_resolved_in_the_kernel),
		T(test_decode_rejects_a_skip_beyond_the_string),
		T(test_decode_accepts_every_role),
		T(test_decode_rejects_role_out_of_range),
		T(test_decode_rejects_name_length_beyond_the_data),
		T(test_decode_rejects_data_beyond_the_lengths),
		T(test_decode_read_accepts_route_counters_within_totals),
		T(test_decode_read_rejects_sent_bytes_above_bytes),
		T(test_decode_read_rejects_sent_calls_above_calls),
		T(test_decode_read_rejects_ring_calls_above_calls),
		T(test_decode_read_rejects_sent_bytes_without_sent_calls),
		T(test_decode_read_rejects_unseen_bytes_without_unseen_calls),
		T(test_decode_read_rejects_bytes_written_without_write_calls),
		T(test_decode_read_accepts_account_that_only_wrote),
		T(test_decode_map_accepts_well_formed_mmap),
		T(test_decode_map_accepts_mapping_clamped_to_the_file),
		T(test_decode_map_rejects_bytes_mapped_above_length),
		T(test_decode_map_rejects_wrong_size_or_type),
		T(test_decode_xfer_accepts_every_phase),
		T(test_decode_xfer_rejects_a_bad_phase),
		T(test_decode_xfer_accepts_every_destination_kind),
		T(test_decode_xfer_rejects_a_bad_dst_kind),
		T(test_decode_xfer_rejects_bytes_without_calls),
		T(test_decode_xfer_rejects_wrong_size_or_type),
		T(test_paths_out_part_relative_string_joins_the_names_to_the_root),
		T(test_paths_out_part_relative_string_with_dotdot_leaves_the_tree),
		T(test_paths_out_part_absolute_string_is_the_string),
		T(test_paths_out_part_absolute_string_in_chroot_is_below_the_host_root),
		T(test_paths_out_part_at_the_root_is_slash),
		T(test_paths_via_inode_open_is_its_names_to_the_root),
		T(test_paths_via_inode_cut_names_start_with_cut_mark),
		T(test_golden_update),
		T(test_golden_read_with_route_counters),
		T(test_golden_mmap_read),
		T(test_golden_mmap_shared_writable),
		T(test_golden_transfer_to_tcp_socket),
		T(test_golden_transfer_to_inet6_socket),
		T(test_golden_transfer_to_pipe),
		T(test_golden_transfer_to_file),
		T(test_golden_clone_whole_file),
		T(test_golden_change_unlink),
		T(test_golden_change_unlink_denied),
		T(test_golden_change_rename_out),
		T(test_golden_change_link),
		T(test_golden_change_ftruncate),
		T(test_golden_change_chmod),
		T(test_golden_change_chown),
		T(test_golden_change_setxattr),
		T(test_golden_change_removexattr),
		T(test_update_is_activity_3_with_bytes_written),
		T(test_update_has_no_read_counters),
		T(test_read_and_update_of_one_report_share_seq_and_times),
		T(test_update_of_unknown_open_says_path_unknown),
		T(test_read_shows_sent_ring_and_unseen_counts),
		T(test_read_without_other_routes_has_no_route_counters),
		T(test_open_that_created_its_file_says_created),
		T(test_open_of_existing_file_has_no_created),
		T(test_open_via_watched_inode_names_its_link_and_its_watch),
		T(test_open_into_ring_fixed_slot_has_no_fd),
		T(test_mmap_read_only_is_read_with_route_mmap),
		T(test_mmap_shared_writable_is_update),
		T(test_mmap_private_writable_is_read),
		T(test_mmap_shared_validate_writable_is_update),
		T(test_mmap_prot_none_and_unnamed_flags_in_hex),
		T(test_mmap_flags_zero_is_shown_as_0),
		T(test_mmap2_is_named_mmap2),
		T(test_mmap_of_unknown_open_says_path_unknown),
		T(test_transfer_is_activity_99_transfer),
		T(test_transfer_shows_its_run),
		T(test_transfer_to_tcp_socket_names_both_ends),
		T(test_transfer_socket_details_come_from_the_runs_start),
		T(test_transfer_without_socket_details_has_no_socket),
		T(test_transfer_to_inet6_socket_brackets_addresses),
		T(test_transfer_to_udp_socket_says_udp),
		T(test_transfer_to_other_protocol_gives_its_number),
		T(test_transfer_to_unix_socket_has_no_addresses),
		T(test_transfer_to_other_family_gives_its_number),
		T(test_transfer_to_pipe_has_no_path_and_no_socket),
		T(test_transfer_to_file_shows_file_result),
		T(test_transfer_to_watched_file_says_watched),
		T(test_transfer_to_file_whose_name_was_lost_says_path_unknown),
		T(test_transfer_destination_other_and_unknown),
		T(test_transfer_of_unknown_open_says_path_unknown),
		T(test_transfer_by_io_uring_splice_is_named_so),
		T(test_clone_is_activity_99_clone),
		T(test_clone_shows_route_clone_object_and_destination),
		T(test_clone_has_no_account_and_no_run_times),
		T(test_clone_routes_named_by_ioctl_command),
		T(test_unlink_is_delete_with_user_path),
		T(test_rmdir_is_delete),
		T(test_denied_unlink_is_failure_with_eacces),
		T(test_rename_out_has_both_names_and_moved_out),
		T(test_rename_within_the_tree_is_not_moved),
		T(test_rename_in_from_outside_says_moved_in),
		T(test_rename_whose_new_half_was_lost_says_new_path_unknown),
		T(test_rename_whose_old_half_was_lost_says_path_unknown),
		T(test_link_is_create_with_hard_link),
		T(test_ftruncate_is_update_with_length_and_the_file),
		T(test_truncate_by_path_has_user_path_and_no_inode),
		T(test_ftruncate_through_watched_inode_has_no_watch),
		T(test_chmod_is_set_security_with_mode),
		T(test_chown_omits_an_id_left_unchanged),
		T(test_chown_of_gid_only_omits_the_uid),
		T(test_chown_to_root_shows_uid_and_gid_0),
		T(test_setxattr_is_set_attributes_with_its_name),
		T(test_removexattr_says_xattr_removed),
		T(test_setxattr_whose_name_was_unreadable_has_no_xattr),
		T(test_change_with_dirfd_shows_it),
		T(test_every_syscall_has_its_own_name),
		T(test_syscall_beyond_the_enum_is_unknown),
		T(test_every_change_syscall_has_a_change_activity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
