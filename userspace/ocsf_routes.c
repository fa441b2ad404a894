// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Records for the routes to a file's content that are not read syscalls
 * (docs/records.md): an mmap (activity 2 Read, or 3 Update for a shared
 * writable mapping), a transfer run (99 "Transfer": sendfile, splice,
 * copy_file_range) and a clone (99 "Clone": FICLONE, FICLONERANGE,
 * FIDEDUPERANGE). Pure, like ocsf.c.
 */
#include "ocsf_routes.h"
#include "ocsf_parts.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "phiaudit/syscalls.h"

/* Named bits of @v, '|'-joined; unnamed ones as hex. */
struct bit_name {
	unsigned int bit;
	const char *name;
};

static void format_bits(char *buf, size_t n, unsigned int v, const struct bit_name *names,
			size_t count, const char *none)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		if (!(v & names[i].bit))
			continue;
		len += (size_t)snprintf(buf + len, len < n ? n - len : 0, "%s%s", len ? "|" : "",
					names[i].name);
		v &= ~names[i].bit;
	}
	if (v && len < n)
		len += (size_t)snprintf(buf + len, n - len, "%s0x%x", len ? "|" : "", v);
	if (!len)
		snprintf(buf, n, "%s", none);
}

static void write_prot(struct pa_jw *w, unsigned int prot, unsigned int flags)
{
	static const struct bit_name prots[] = {
		{ PROT_READ, "PROT_READ" }, { PROT_WRITE, "PROT_WRITE" }, { PROT_EXEC, "PROT_EXEC" },
	};
	static const struct bit_name maps[] = {
		{ MAP_SHARED, "MAP_SHARED" },	  { MAP_PRIVATE, "MAP_PRIVATE" },
		{ MAP_FIXED, "MAP_FIXED" },	  { MAP_POPULATE, "MAP_POPULATE" },
		{ MAP_NORESERVE, "MAP_NORESERVE" }, { MAP_LOCKED, "MAP_LOCKED" },
	};
	char buf[160];

	format_bits(buf, sizeof(buf), prot, prots, sizeof(prots) / sizeof(prots[0]), "PROT_NONE");
	pa_jw_str(w, "prot", buf);
	format_bits(buf, sizeof(buf), flags, maps, sizeof(maps) / sizeof(maps[0]), "0");
	pa_jw_str(w, "flags", buf);
}

/* The header every route record shares: time, class, actor, file. */
static void write_head(struct pa_jw *w, const struct pa_host_info *h, const struct pa_route_common *c,
		       const struct pa_proc *p, int activity, const char *name)
{
	pa_jw_obj_open(w, NULL);
	pa_ocsfw_time(w, c->time_ns);
	pa_ocsfw_class(w, 1001, "File System Activity", 1, "System Activity", activity, name);
	pa_jw_i64(w, "severity_id", 1);
	pa_jw_str(w, "severity", "Informational");
	pa_ocsfw_status(w, 0);
	pa_ocsfw_actor(w, p, c->proc_start_ns, c->who, c->details);
	if (c->path)
		pa_ocsfw_file(w, "file", c->file_mode, c->path, c->path_len);
}

/* The tail: device, metadata, and the unmapped members all records have. */
static void write_tail_ids(struct pa_jw *w, const struct pa_route_common *c,
			   const struct pa_proc *p)
{
	if (!c->path)
		pa_jw_bool(w, "path_unknown", true); /* its open record was lost */
	pa_ocsfw_ids(w, p, c->who);
	pa_ocsfw_ancestry(w, c->details);
	pa_jw_u64(w, "euid", p->euid);
	pa_jw_u64(w, "egid", p->egid);
	if (c->watch_path)
		pa_jw_str(w, "watch", c->watch_path);
	pa_jw_u64(w, "mnt_ns", p->mnt_ns);
	pa_jw_u64(w, "cgroup_id", p->cgroup_id);
}

void pa_ocsf_map(struct pa_jw *w, const struct pa_host_info *h, const struct pa_map_record *r)
{
	const struct pa_map_event *ev = r->ev;
	bool update = (ev->flags & MAP_SHARED) && (ev->prot & PROT_WRITE);
	char buf[32];

	write_head(w, h, &r->c, &ev->proc, update ? 3 : 2, update ? "Update" : "Read");
	pa_ocsfw_device(w, h);
	pa_ocsfw_metadata(w, h, r->c.record_seq);
	pa_jw_obj_open(w, "unmapped");
	pa_jw_u64(w, "event_seq", ev->hdr.seq);
	pa_jw_u64(w, "open_event_seq", ev->open_seq);
	pa_jw_str(w, "route", "mmap");
	pa_jw_str(w, "syscall", pa_syscall_name(ev->syscall));
	pa_jw_obj_open(w, "mmap");
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)ev->addr);
	pa_jw_str(w, "address", buf);
	pa_jw_u64(w, "length", ev->length);
	pa_jw_u64(w, "offset", ev->offset);
	write_prot(w, ev->prot, ev->flags);
	pa_jw_u64(w, "bytes_mapped", ev->bytes_mapped);
	pa_jw_u64(w, "file_size", ev->file_size);
	pa_jw_obj_close(w);
	pa_ocsfw_inode_dev(w, ev->file_ino, ev->file_dev);
	write_tail_ids(w, &r->c, &ev->proc);
	pa_jw_obj_close(w);
	pa_jw_obj_close(w);
	pa_jw_newline(w);
}

static const char *route_name(const struct pa_xfer_event *ev)
{
	if (ev->syscall != PA_SYS_IOCTL)
		return pa_syscall_name(ev->syscall);
	switch (ev->cmd) {
	case 0x40049409u: return "ficlone";
	case 0x4020940du: return "ficlonerange";
	case 0xc0189436u: return "fideduperange";
	default: return "ioctl";
	}
}

static const char *dst_type(unsigned int kind)
{
	static const char *const names[] = { "unknown", "file", "pipe", "socket", "other" };

	return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "unknown";
}

/* "127.0.0.1:80", "[::1]:80" */
static void format_endpoint(char *buf, size_t n, unsigned int family, const uint8_t addr[16],
			    unsigned int port)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(family == AF_INET6 ? AF_INET6 : AF_INET, addr, a, sizeof(a));
	snprintf(buf, n, family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, port);
}

static void write_socket(struct pa_jw *w, const struct pa_xfer_event *ev)
{
	char buf[64];

	pa_jw_obj_open(w, "socket");
	switch (ev->family) {
	case AF_UNIX: pa_jw_str(w, "family", "unix"); break;
	case AF_INET: pa_jw_str(w, "family", "inet"); break;
	case AF_INET6: pa_jw_str(w, "family", "inet6"); break;
	default: pa_jw_u64(w, "family", ev->family); break;
	}
	if (ev->family == AF_INET || ev->family == AF_INET6) {
		if (ev->protocol == 6)
			pa_jw_str(w, "protocol", "tcp");
		else if (ev->protocol == 17)
			pa_jw_str(w, "protocol", "udp");
		else
			pa_jw_u64(w, "protocol", ev->protocol);
		format_endpoint(buf, sizeof(buf), ev->family, ev->saddr, ev->sport);
		pa_jw_str(w, "local", buf);
		format_endpoint(buf, sizeof(buf), ev->family, ev->daddr, ev->dport);
		pa_jw_str(w, "remote", buf);
	}
	pa_jw_obj_close(w);
}

static void write_destination(struct pa_jw *w, const struct pa_xfer_record *r)
{
	const struct pa_xfer_event *ev = r->ev;

	pa_jw_obj_open(w, "destination");
	pa_jw_str(w, "type", dst_type(ev->dst_kind));
	if (r->dst_path)
		pa_jw_bytes(w, "path", r->dst_path->s, r->dst_path->len);
	else if (ev->dst_kind == PA_DST_FILE)
		pa_jw_bool(w, "path_unknown", true); /* its description was lost */
	if (r->dst_watched)
		pa_jw_bool(w, "watched", true);
	if (ev->dst_ino) {
		pa_ocsfw_inode_dev(w, ev->dst_ino, ev->dst_dev);
	}
	if (ev->dst_kind == PA_DST_SOCKET && r->has_socket)
		write_socket(w, r->socket ? r->socket : ev);
	pa_jw_obj_close(w);
}

void pa_ocsf_xfer(struct pa_jw *w, const struct pa_host_info *h, const struct pa_xfer_record *r)
{
	const struct pa_xfer_event *ev = r->ev;
	bool clone = ev->phase == PA_XFER_ONCE;

	write_head(w, h, &r->c, &ev->proc, 99, clone ? "Clone" : "Transfer");
	if (r->dst_path)
		pa_ocsfw_file(w, "file_result", r->dst_mode, r->dst_path->s, r->dst_path->len);
	pa_ocsfw_device(w, h);
	pa_ocsfw_metadata(w, h, r->c.record_seq);
	pa_jw_obj_open(w, "unmapped");
	if (ev->hdr.seq) /* 0: a run the agent ended at its stop */
		pa_jw_u64(w, "event_seq", ev->hdr.seq);
	pa_jw_u64(w, "open_event_seq", ev->open_seq);
	if (ev->account_seq)
		pa_jw_u64(w, "account_seq", ev->account_seq);
	pa_jw_str(w, "route", route_name(ev));
	pa_jw_u64(w, "bytes_transferred", ev->bytes);
	pa_jw_u64(w, "transfer_calls", ev->calls);
	if (!clone && r->first_ns) {
		char iso[48];

		pa_format_time(iso, sizeof(iso), r->first_ns);
		pa_jw_str(w, "first_dt", iso);
		pa_format_time(iso, sizeof(iso), r->last_ns);
		pa_jw_str(w, "last_dt", iso);
	}
	if (clone) {
		pa_jw_obj_open(w, "clone");
		pa_jw_u64(w, "offset", ev->offset);
		pa_jw_u64(w, "length", ev->length);
		pa_jw_obj_close(w);
	}
	write_destination(w, r);
	pa_ocsfw_inode_dev(w, ev->file_ino, ev->file_dev);
	write_tail_ids(w, &r->c, &ev->proc);
	pa_jw_obj_close(w);
	pa_jw_obj_close(w);
	pa_jw_newline(w);
}
