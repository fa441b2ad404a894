// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "ocsf.h"
#include "ocsf_parts.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "phiaudit/syscalls.h"
#include "procs.h"
#include "store.h"

void pa_format_time(char *buf, size_t n, uint64_t utc_ns)
{
	/* Records come in bursts within one second: format the date once. */
	static time_t cached_secs = -1;
	static char base[32];
	time_t secs = (time_t)(utc_ns / 1000000000ULL);
	uint64_t frac = utc_ns % 1000000000ULL;
	char tail[12];

	if (secs != cached_secs) {
		struct tm tm;

		gmtime_r(&secs, &tm);
		strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
		cached_secs = secs;
	}
	tail[0] = '.';
	for (int i = 9; i >= 1; i--, frac /= 10)
		tail[i] = (char)('0' + frac % 10);
	tail[10] = 'Z';
	tail[11] = '\0';
	if (n > 0) {
		size_t bl = strlen(base), len = bl + 11 < n - 1 ? bl + 11 : n - 1;

		memcpy(buf, base, len < bl ? len : bl);
		if (len > bl)
			memcpy(buf + bl, tail, len - bl);
		buf[len] = '\0';
	}
}

static const struct {
	uint64_t bit;
	const char *name;
} open_flag_names[] = {
	/* Composites first: they claim every bit they share with others. */
	{ 04010000, "O_SYNC" },	   { 020200000, "O_TMPFILE" },
	{ 0100, "O_CREAT" },	   { 0200, "O_EXCL" },	      { 0400, "O_NOCTTY" },
	{ 01000, "O_TRUNC" },	   { 02000, "O_APPEND" },     { 04000, "O_NONBLOCK" },
	{ 010000, "O_DSYNC" },	   { 020000, "O_ASYNC" },     { 040000, "O_DIRECT" },
	{ 0100000, "O_LARGEFILE" }, { 0200000, "O_DIRECTORY" }, { 0400000, "O_NOFOLLOW" },
	{ 01000000, "O_NOATIME" }, { 02000000, "O_CLOEXEC" },  { 010000000, "O_PATH" },
};

/* Append s to buf (capacity n, length *len), always terminated. */
static void append(char *buf, size_t n, size_t *len, const char *s)
{
	size_t l = strlen(s);

	if (*len + l >= n)
		l = *len < n - 1 ? n - 1 - *len : 0;
	memcpy(buf + *len, s, l);
	*len += l;
	buf[*len] = '\0';
}

void pa_format_open_flags(char *buf, size_t n, uint64_t flags)
{
	static const char *const acc[] = { "O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE" };
	uint64_t rest = flags & ~3ULL;
	size_t len = 0;

	if (n == 0)
		return;
	buf[0] = '\0';
	append(buf, n, &len, acc[flags & 3]);
	/* Composite flags (O_SYNC, O_TMPFILE) first claim all their bits. */
	for (size_t i = 0; rest && i < sizeof(open_flag_names) / sizeof(open_flag_names[0]); i++) {
		uint64_t b = open_flag_names[i].bit;

		if ((rest & b) == b) {
			append(buf, n, &len, "|");
			append(buf, n, &len, open_flag_names[i].name);
			rest &= ~b;
		}
	}
	if (rest && len < n)
		snprintf(buf + len, n - len, "|0x%llx", (unsigned long long)rest);
}

const char *pa_syscall_name(unsigned int op)
{
	/* In enum pa_syscall's order. */
	static const char *const names[] = {
		"none", "open", "creat", "openat", "openat2", "open_by_handle_at",
		"read", "pread64", "readv", "preadv", "preadv2",
		"close", "close_range", "dup", "dup2", "dup3", "fcntl",
		"write", "pwrite64", "writev", "pwritev", "pwritev2",
		"sendfile", "splice", "copy_file_range", "mmap", "mmap2", "ioctl",
		"truncate", "ftruncate", "unlink", "unlinkat", "rmdir",
		"rename", "renameat", "renameat2", "link", "linkat",
		"chmod", "fchmod", "fchmodat", "fchmodat2",
		"chown", "lchown", "fchown", "fchownat",
		"setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr",
		"setxattrat", "removexattrat",
		"io_uring_openat", "io_uring_openat2", "io_uring_read", "io_uring_splice",
	};
	_Static_assert(sizeof(names) / sizeof(names[0]) == PA_SYS_MAX, "a name per syscall");

	return op < sizeof(names) / sizeof(names[0]) ? names[op] : "unknown";
}

static void file_type(unsigned int mode, int *id, const char **name)
{
	switch (mode & S_IFMT) {
	case S_IFREG: *id = 1; *name = "Regular File"; break;
	case S_IFDIR: *id = 2; *name = "Folder"; break;
	case S_IFCHR: *id = 3; *name = "Character Device"; break;
	case S_IFBLK: *id = 4; *name = "Block Device"; break;
	case S_IFSOCK: *id = 5; *name = "Local Socket"; break;
	case S_IFIFO: *id = 6; *name = "Named Pipe"; break;
	case S_IFLNK: *id = 7; *name = "Symbolic Link"; break;
	case 0: *id = 0; *name = "Unknown"; break;
	default: *id = 99; *name = "Other"; break;
	}
}

void pa_ocsfw_class(struct pa_jw *w, int class_uid, const char *class_name, int category,
			const char *category_name, int activity, const char *activity_name)
{
	char type_name[96];
	size_t len = 0;

	pa_jw_i64(w, "class_uid", class_uid);
	pa_jw_str(w, "class_name", class_name);
	pa_jw_i64(w, "category_uid", category);
	pa_jw_str(w, "category_name", category_name);
	pa_jw_i64(w, "activity_id", activity);
	pa_jw_str(w, "activity_name", activity_name);
	pa_jw_i64(w, "type_uid", (int64_t)class_uid * 100 + activity);
	type_name[0] = '\0';
	append(type_name, sizeof(type_name), &len, class_name);
	append(type_name, sizeof(type_name), &len, ": ");
	append(type_name, sizeof(type_name), &len, activity_name);
	pa_jw_str(w, "type_name", type_name);
}

void pa_ocsfw_time(struct pa_jw *w, uint64_t utc_ns)
{
	char iso[48];

	pa_format_time(iso, sizeof(iso), utc_ns);
	pa_jw_u64(w, "time", utc_ns / 1000000);
	pa_jw_str(w, "time_dt", iso);
}

/* metadata.uid: the log's id and the record's number, unique across
 * hosts and restarts (the number runs on; a new log has a new id). */
void pa_ocsfw_metadata(struct pa_jw *w, const struct pa_host_info *h, uint64_t record_seq)
{
	char uid[64];

	pa_jw_obj_open(w, "metadata");
	pa_jw_str(w, "version", PA_OCSF_VERSION);
	pa_jw_obj_open(w, "product");
	pa_jw_str(w, "name", PA_PRODUCT_NAME);
	pa_jw_str(w, "vendor_name", PA_PRODUCT_NAME);
	pa_jw_str(w, "version", PA_PRODUCT_VERSION);
	pa_jw_obj_close(w);
	if (h->log_id) {
		snprintf(uid, sizeof(uid), "%s-%llu", h->log_id, (unsigned long long)record_seq);
		pa_jw_str(w, "uid", uid);
	}
	pa_jw_u64(w, "sequence", record_seq);
	pa_jw_obj_close(w);
}

void pa_ocsfw_device(struct pa_jw *w, const struct pa_host_info *h)
{
	pa_jw_obj_open(w, "device");
	pa_jw_str(w, "hostname", h->hostname);
	if (h->machine_id)
		pa_jw_str(w, "uid", h->machine_id);
	if (h->boot_id)
		pa_jw_str(w, "boot_uid", h->boot_id);
	pa_jw_i64(w, "type_id", 1);
	pa_jw_str(w, "type", "Server");
	pa_jw_obj_close(w);
}

void pa_ocsfw_inode_dev(struct pa_jw *w, uint64_t ino, uint32_t dev)
{
	char buf[32];

	pa_jw_u64(w, "inode", ino);
	snprintf(buf, sizeof(buf), "%u:%u", dev >> 20, dev & 0xfffff);
	pa_jw_str(w, "dev", buf);
}

void pa_ocsfw_status(struct pa_jw *w, int ret)
{
	if (ret >= 0) {
		pa_jw_i64(w, "status_id", 1);
		pa_jw_str(w, "status", "Success");
		return;
	}
	pa_jw_i64(w, "status_id", 2);
	pa_jw_str(w, "status", "Failure");
	pa_jw_str(w, "status_code", strerrorname_np(-ret) ? strerrorname_np(-ret) : "unknown");
	pa_jw_str(w, "status_detail", strerrordesc_np(-ret) ? strerrordesc_np(-ret) : "unknown");
}

/* An executable as an OCSF file object: path and name. */
static void write_exe(struct pa_jw *w, const char *exe, size_t len)
{
	size_t base = len;

	while (base > 0 && exe[base - 1] != '/')
		base--;
	pa_jw_obj_open(w, "file");
	pa_jw_bytes(w, "path", exe, len);
	pa_jw_bytes(w, "name", exe + base, len - base);
	pa_jw_i64(w, "type_id", 1);
	pa_jw_str(w, "type", "Regular File");
	pa_jw_obj_close(w);
}

/* argv joined by spaces, as ps shows it; bytes as bytes (pathenc). */
static void write_cmd_line(struct pa_jw *w, const char *args, size_t len)
{
	char line[PA_PROC_ARGS_MAX];
	size_t n = len < sizeof(line) ? len : sizeof(line);

	while (n > 0 && args[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		line[i] = args[i] ? args[i] : ' ';
	pa_jw_bytes(w, "cmd_line", line, n);
}

void pa_ocsfw_actor(struct pa_jw *w, const struct pa_proc *p, uint64_t start_ns,
			const struct pa_identity *who, const struct pa_process_details *d)
{
	const struct pa_ancestor_info *parent =
		d && d->n_ancestors && d->anc[0].pid == p->ppid ? &d->anc[0] : NULL;
	char uid[16];

	pa_jw_obj_open(w, "actor");
	pa_jw_obj_open(w, "process");
	pa_jw_u64(w, "pid", p->tgid);
	pa_jw_u64(w, "tid", p->tid);
	pa_jw_bytes(w, "name", p->comm, strnlen(p->comm, sizeof(p->comm)));
	pa_jw_u64(w, "created_time", start_ns / 1000000);
	if (d && d->exe)
		write_exe(w, d->exe, d->exe_len);
	if (d && d->args)
		write_cmd_line(w, d->args, d->args_len);
	pa_jw_obj_open(w, "parent_process");
	pa_jw_u64(w, "pid", p->ppid);
	if (parent) {
		pa_jw_bytes(w, "name", parent->name, strlen(parent->name));
		pa_jw_u64(w, "created_time", parent->start_ns / 1000000);
		if (parent->exe)
			write_exe(w, parent->exe, parent->exe_len);
		if (parent->args)
			write_cmd_line(w, parent->args, parent->args_len);
	}
	pa_jw_obj_close(w);
	pa_jw_obj_close(w);
	pa_jw_obj_open(w, "user");
	snprintf(uid, sizeof(uid), "%u", p->uid);
	pa_jw_str(w, "uid", uid);
	if (who && who->user)
		pa_jw_str(w, "name", who->user);
	pa_jw_obj_close(w);
	if (p->sessionid != (uint32_t)-1) {
		pa_jw_obj_open(w, "session");
		snprintf(uid, sizeof(uid), "%u", p->sessionid);
		pa_jw_str(w, "uid", uid);
		pa_jw_obj_close(w);
	}
	pa_jw_obj_close(w);
}

/* The whole chain (OCSF nests one parent; an investigation needs all). */
void pa_ocsfw_ancestry(struct pa_jw *w, const struct pa_process_details *d)
{
	if (!d)
		return;
	if (d->cgroup)
		pa_jw_bytes(w, "cgroup", d->cgroup, strlen(d->cgroup));
	if (d->container_id)
		pa_jw_str(w, "container_id", d->container_id);
	if (d->unit)
		pa_jw_bytes(w, "systemd_unit", d->unit, strlen(d->unit));
	if (d->tty)
		pa_jw_bytes(w, "tty", d->tty, strlen(d->tty));
	if (d->source)
		pa_jw_str(w, "exe_source", d->source);
	if (d->args_truncated)
		pa_jw_bool(w, "cmd_line_truncated", true);
	if (d->exe_truncated)
		pa_jw_bool(w, "exe_truncated", true);
	if (!d->n_ancestors)
		return;
	pa_jw_arr_open(w, "ancestors");
	for (size_t i = 0; i < d->n_ancestors && i < PA_MAX_ANCESTORS; i++) {
		pa_jw_obj_open(w, NULL);
		pa_jw_u64(w, "pid", d->anc[i].pid);
		pa_jw_bytes(w, "name", d->anc[i].name, strlen(d->anc[i].name));
		if (d->anc[i].exe)
			pa_jw_bytes(w, "exe", d->anc[i].exe, d->anc[i].exe_len);
		pa_jw_u64(w, "created_time", d->anc[i].start_ns / 1000000);
		pa_jw_obj_close(w);
	}
	pa_jw_arr_close(w);
}

void pa_ocsfw_file(struct pa_jw *w, const char *key, unsigned int file_mode, const char *path,
		   size_t len)
{
	size_t base = len;
	const char *type_name;
	int type_id;

	while (base > 0 && path[base - 1] != '/')
		base--;
	pa_jw_obj_open(w, key);
	pa_jw_bytes(w, "path", path, len);
	pa_jw_bytes(w, "name", path + base, len - base);
	if (base > 0)
		pa_jw_bytes(w, "parent_folder", path, base > 1 ? base - 1 : 1);
	file_type(file_mode, &type_id, &type_name);
	pa_jw_i64(w, "type_id", type_id);
	pa_jw_str(w, "type", type_name);
	pa_jw_obj_close(w);
}

static const char *scope_name(unsigned int scope)
{
	return scope == PA_SCOPE_IN ? "in" : scope == PA_SCOPE_UNRESOLVED ? "unresolved" : "out";
}

static void write_path_flags(struct pa_jw *w, const struct pa_open_record *r)
{
	static const struct {
		unsigned int bit;
		const char *name;
	} names[] = {
		{ PA_PATH_REL_TRUNCATED, "truncated" },	 { PA_PATH_VIEW_TRUNCATED, "process_path_truncated" },
		{ PA_PATH_USER_TRUNCATED, "user_path_truncated" },
		{ PA_PATH_VIEW_UNREACHABLE, "outside_process_root" },
		{ PA_PATH_DISCONNECTED, "disconnected" },
	};
	unsigned int f = r->v->ev->path_flags;
	/* The host path overflowing our buffer is the same fact as names cut
	 * in the kernel: one "truncated". */
	bool overflow = r->path && r->path->overflow && !(f & PA_PATH_REL_TRUNCATED);
	int any = overflow;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		any |= (f & names[i].bit) != 0;
	if (!any)
		return;
	pa_jw_arr_open(w, "path_flags");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & names[i].bit)
			pa_jw_str(w, NULL, names[i].name);
	if (overflow)
		pa_jw_str(w, NULL, "truncated");
	pa_jw_arr_close(w);
}

/* The ids OCSF has no place for, with their names where known. */
void pa_ocsfw_ids(struct pa_jw *w, const struct pa_proc *p, const struct pa_identity *who)
{
	if (p->auid != (uint32_t)-1) {
		pa_jw_u64(w, "auid", p->auid);
		if (who && who->login)
			pa_jw_str(w, "auid_name", who->login);
	}
	pa_jw_u64(w, "gid", p->gid);
	if (who && who->group)
		pa_jw_str(w, "group_name", who->group);
}

/* What an open and a change share in unmapped: who, and where. */
static void write_where(struct pa_jw *w, const struct pa_open_record *r)
{
	const struct pa_open_event *ev = r->v->ev;
	char buf[64];

	pa_jw_str(w, "scope", scope_name(ev->scope));
	if (r->watch_path)
		pa_jw_str(w, "watch", r->watch_path);
	pa_jw_str(w, "path_source", ev->path_flags & PA_PATH_FROM_USER ? "user" : "kernel");
	if (ev->path_flags & PA_PATH_VIA_INODE)
		pa_jw_bool(w, "watched_inode", true); /* outside the trees: a link, a move */
	if (r->process_path)
		pa_jw_bytes(w, "process_path", r->process_path->s, r->process_path->len);
	write_path_flags(w, r);
	if (ev->file_ino) {
		pa_ocsfw_inode_dev(w, ev->file_ino, ev->file_dev);
		snprintf(buf, sizeof(buf), "0%o", ev->file_mode & 07777);
		pa_jw_str(w, "file_mode", buf);
		pa_jw_u64(w, "file_uid", ev->file_uid);
		pa_jw_u64(w, "file_gid", ev->file_gid);
		pa_jw_u64(w, "file_size", ev->file_size);
	}
}

static void write_who(struct pa_jw *w, const struct pa_open_record *r)
{
	const struct pa_proc *p = &r->v->ev->proc;

	pa_ocsfw_ids(w, p, r->who);
	pa_ocsfw_ancestry(w, r->details);
	pa_jw_u64(w, "euid", p->euid);
	pa_jw_u64(w, "egid", p->egid);
}

static void write_open_unmapped(struct pa_jw *w, const struct pa_open_record *r)
{
	const struct pa_open_event *ev = r->v->ev;
	const struct pa_proc *p = &ev->proc;
	char buf[256];

	pa_jw_obj_open(w, "unmapped");
	pa_jw_u64(w, "event_seq", ev->hdr.seq);
	if (ev->track & PA_TRACK_DISCOVERED)
		pa_jw_bool(w, "discovered", true);
	if (ev->ret >= 0)
		pa_jw_bool(w, "reads_tracked", (ev->track & PA_TRACK_READS) != 0);
	if (ev->path_flags & PA_PATH_CREATED)
		pa_jw_bool(w, "created", true);
	write_who(w, r);
	if (ev->syscall != PA_SYS_NONE) { /* discovered opens have none */
		pa_jw_str(w, "syscall", pa_syscall_name(ev->syscall));
		pa_jw_bool(w, "compat", ev->compat);
	}
	pa_format_open_flags(buf, sizeof(buf), ev->flags);
	pa_jw_str(w, "open_flags", buf);
	/* open(2) uses the mode with O_CREAT and with O_TMPFILE */
	if ((ev->flags & 0100) || (ev->flags & 020200000) == 020200000) {
		snprintf(buf, sizeof(buf), "0%o", ev->mode & 07777);
		pa_jw_str(w, "create_mode", buf);
	}
	if (ev->dirfd != -100)
		pa_jw_i64(w, "dirfd", ev->dirfd);
	if (ev->path_flags & PA_PATH_FIXED_SLOT)
		pa_jw_bool(w, "ring_fixed_slot", true); /* no fd: a slot of the ring's */
	else if (ev->ret >= 0)
		pa_jw_i64(w, "fd", ev->ret);
	write_where(w, r);
	pa_jw_u64(w, "mnt_ns", p->mnt_ns);
	pa_jw_u64(w, "cgroup_id", p->cgroup_id);
	pa_jw_obj_close(w);
}

void pa_ocsf_open(struct pa_jw *w, const struct pa_host_info *h, const struct pa_open_record *r)
{
	const struct pa_open_event *ev = r->v->ev;

	pa_jw_obj_open(w, NULL);
	pa_ocsfw_time(w, r->time_ns);
	pa_ocsfw_class(w, 1001, "File System Activity", 1, "System Activity", 14, "Open");
	pa_jw_i64(w, "severity_id", 1);
	pa_jw_str(w, "severity", "Informational");
	pa_ocsfw_status(w, ev->ret);
	pa_ocsfw_actor(w, &ev->proc, r->proc_start_ns, r->who, r->details);
	pa_ocsfw_file(w, "file", ev->file_mode, r->path->s, r->path->len);
	pa_ocsfw_device(w, h);
	pa_ocsfw_metadata(w, h, r->record_seq);
	write_open_unmapped(w, r);
	pa_jw_obj_close(w);
	pa_jw_newline(w);
}

static const char *read_reason_name(unsigned int reason)
{
	static const char *const names[] = { "progress", "close", "exit", "replaced",
					     "missed_close", "agent_stop" };

	return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "unknown";
}

static void write_span(struct pa_jw *w, const char *key, uint64_t utc_ns)
{
	char iso[48], k[32];

	pa_format_time(iso, sizeof(iso), utc_ns);
	pa_jw_u64(w, key, utc_ns / 1000000);
	snprintf(k, sizeof(k), "%s_dt", key);
	pa_jw_str(w, k, iso);
}

/* unmapped: the account's counters for a Read record (reads, transfers
 * out, io_uring) or an Update record (writes); zeros left out. */
static void write_account_counts(struct pa_jw *w, const struct pa_read_event *ev, bool update)
{
	if (update) {
		pa_jw_u64(w, "bytes_written", ev->write_bytes);
		pa_jw_u64(w, "write_calls", ev->write_calls);
		return;
	}
	pa_jw_u64(w, "bytes_read", ev->bytes);
	pa_jw_u64(w, "read_calls", ev->calls);
	if (ev->sent_calls) {
		pa_jw_u64(w, "bytes_sent", ev->sent_bytes);
		pa_jw_u64(w, "sent_calls", ev->sent_calls);
	}
	if (ev->ring_calls)
		pa_jw_u64(w, "ring_read_calls", ev->ring_calls);
	if (ev->unknown_calls) {
		/* IOSQE_CQE_SKIP_SUCCESS: done, result unseen; what they asked */
		pa_jw_u64(w, "ring_reads_unseen", ev->unknown_calls);
		pa_jw_u64(w, "ring_bytes_unseen", ev->unknown_bytes);
	}
}

static void write_account(struct pa_jw *w, const struct pa_host_info *h,
			  const struct pa_read_record *r, bool update)
{
	const struct pa_read_event *ev = r->ev;
	const struct pa_proc *p = &ev->proc;
	uint64_t count = update ? ev->write_calls : ev->calls;

	pa_jw_obj_open(w, NULL);
	pa_ocsfw_time(w, r->time_ns);
	pa_ocsfw_class(w, 1001, "File System Activity", 1, "System Activity", update ? 3 : 2,
		       update ? "Update" : "Read");
	pa_jw_i64(w, "severity_id", 1);
	pa_jw_str(w, "severity", "Informational");
	pa_ocsfw_status(w, 0);
	pa_jw_u64(w, "count", count);
	if (count && r->first_ns) {
		write_span(w, "start_time", r->first_ns);
		write_span(w, "end_time", r->last_ns);
	}
	pa_ocsfw_actor(w, p, r->proc_start_ns, r->who, r->details);
	if (r->path)
		pa_ocsfw_file(w, "file", r->file_mode, r->path, r->path_len);
	pa_ocsfw_device(w, h);
	pa_ocsfw_metadata(w, h, r->record_seq);
	pa_jw_obj_open(w, "unmapped");
	if (ev->hdr.seq)
		pa_jw_u64(w, "event_seq", ev->hdr.seq);
	pa_jw_u64(w, "open_event_seq", ev->open_seq);
	pa_jw_u64(w, "account_seq", ev->account_seq);
	write_account_counts(w, ev, update);
	pa_jw_bool(w, "final", ev->final);
	pa_jw_str(w, "reason", read_reason_name(ev->reason));
	if (!r->path)
		pa_jw_bool(w, "path_unknown", true); /* its open record was lost */
	pa_ocsfw_ids(w, p, r->who);
	pa_ocsfw_ancestry(w, r->details);
	pa_jw_u64(w, "euid", p->euid);
	pa_jw_u64(w, "egid", p->egid);
	if (r->watch_path)
		pa_jw_str(w, "watch", r->watch_path);
	pa_ocsfw_inode_dev(w, ev->file_ino, ev->file_dev);
	pa_jw_u64(w, "mnt_ns", p->mnt_ns);
	pa_jw_u64(w, "cgroup_id", p->cgroup_id);
	pa_jw_obj_close(w);
	pa_jw_obj_close(w);
	pa_jw_newline(w);
}

void pa_ocsf_read(struct pa_jw *w, const struct pa_host_info *h, const struct pa_read_record *r)
{
	write_account(w, h, r, false);
}

void pa_ocsf_update(struct pa_jw *w, const struct pa_host_info *h, const struct pa_read_record *r)
{
	write_account(w, h, r, true);
}

/* A change's activity: OCSF 1001's ids (1.x: 6 Set Attributes, 7 Set Security). */
static int change_activity(unsigned int op, const char **name)
{
	switch (op) {
	case PA_SYS_UNLINK: case PA_SYS_UNLINKAT: case PA_SYS_RMDIR:
		*name = "Delete";
		return 4;
	case PA_SYS_RENAME: case PA_SYS_RENAMEAT: case PA_SYS_RENAMEAT2:
		*name = "Rename";
		return 5;
	case PA_SYS_LINK: case PA_SYS_LINKAT:
		*name = "Create";
		return 1;
	case PA_SYS_TRUNCATE: case PA_SYS_FTRUNCATE:
		*name = "Update";
		return 3;
	case PA_SYS_CHMOD: case PA_SYS_FCHMOD: case PA_SYS_FCHMODAT: case PA_SYS_FCHMODAT2:
	case PA_SYS_CHOWN: case PA_SYS_LCHOWN: case PA_SYS_FCHOWN: case PA_SYS_FCHOWNAT:
		*name = "Set Security";
		return 7;
	case PA_SYS_SETXATTR: case PA_SYS_LSETXATTR: case PA_SYS_FSETXATTR:
	case PA_SYS_REMOVEXATTR: case PA_SYS_LREMOVEXATTR: case PA_SYS_FREMOVEXATTR:
	case PA_SYS_SETXATTRAT: case PA_SYS_REMOVEXATTRAT:
		*name = "Set Attributes";
		return 6;
	default:
		*name = "Other";
		return 99;
	}
}

/* unmapped: what the change set (mode, owner, length, xattr). */
static void write_change_args(struct pa_jw *w, const struct pa_open_event *ev, const char *name)
{
	char buf[32];

	switch (ev->syscall) {
	case PA_SYS_CHMOD: case PA_SYS_FCHMOD: case PA_SYS_FCHMODAT: case PA_SYS_FCHMODAT2:
		snprintf(buf, sizeof(buf), "0%o", ev->mode & 07777);
		pa_jw_str(w, "mode", buf);
		break;
	case PA_SYS_CHOWN: case PA_SYS_LCHOWN: case PA_SYS_FCHOWN: case PA_SYS_FCHOWNAT:
		pa_jw_obj_open(w, "owner");
		if ((uint32_t)(ev->arg >> 32) != (uint32_t)-1)
			pa_jw_u64(w, "uid", (uint32_t)(ev->arg >> 32));
		if ((uint32_t)ev->arg != (uint32_t)-1)
			pa_jw_u64(w, "gid", (uint32_t)ev->arg);
		pa_jw_obj_close(w);
		break;
	case PA_SYS_TRUNCATE: case PA_SYS_FTRUNCATE:
		pa_jw_u64(w, "truncate_length", ev->arg);
		break;
	case PA_SYS_REMOVEXATTR: case PA_SYS_LREMOVEXATTR: case PA_SYS_FREMOVEXATTR:
	case PA_SYS_REMOVEXATTRAT:
		pa_jw_bool(w, "xattr_removed", true);
		/* fall through */
	case PA_SYS_SETXATTR: case PA_SYS_LSETXATTR: case PA_SYS_FSETXATTR:
	case PA_SYS_SETXATTRAT:
		if (name)
			pa_jw_bytes(w, "xattr", name, strlen(name));
		break;
	default:
		break;
	}
	if (ev->flags)
		pa_jw_u64(w, "flags", ev->flags);
}

void pa_ocsf_change(struct pa_jw *w, const struct pa_host_info *h, const struct pa_change_record *r)
{
	const struct pa_open_record *o = &r->file;
	const struct pa_open_event *ev = o->v->ev;
	const struct pa_proc *p = &ev->proc;
	const char *activity;
	int id = change_activity(ev->syscall, &activity);

	pa_jw_obj_open(w, NULL);
	pa_ocsfw_time(w, o->time_ns);
	pa_ocsfw_class(w, 1001, "File System Activity", 1, "System Activity", id, activity);
	pa_jw_i64(w, "severity_id", 1);
	pa_jw_str(w, "severity", "Informational");
	pa_ocsfw_status(w, ev->ret);
	pa_ocsfw_actor(w, p, o->proc_start_ns, o->who, o->details);
	if (o->path)
		pa_ocsfw_file(w, "file", ev->file_mode, o->path->s, o->path->len);
	if (r->new_path)
		pa_ocsfw_file(w, "file_result", ev->file_mode, r->new_path->s, r->new_path->len);
	pa_ocsfw_device(w, h);
	pa_ocsfw_metadata(w, h, o->record_seq);
	pa_jw_obj_open(w, "unmapped");
	pa_jw_u64(w, "event_seq", ev->hdr.seq);
	pa_jw_str(w, "syscall", pa_syscall_name(ev->syscall));
	pa_jw_bool(w, "compat", ev->compat);
	write_change_args(w, ev, o->v->name);
	if (id == 1)
		pa_jw_bool(w, "hard_link", true);
	if (r->link && r->moved_out)
		pa_jw_bool(w, "link_outside", true); /* the new name is out of the trees */
	else if (r->link && r->moved_in)
		pa_jw_bool(w, "link_inside", true);
	else if (r->moved_out)
		pa_jw_bool(w, "moved_out", true);
	else if (r->moved_in)
		pa_jw_bool(w, "moved_in", true);
	if (r->exchanged)
		pa_jw_bool(w, "exchanged", true); /* each name now holds the other's file */
	if (r->path_uncertain)
		pa_jw_bool(w, "path_uncertain", true);
	if (!o->path)
		pa_jw_bool(w, "path_unknown", true);
	if (r->pair && !r->new_path)
		pa_jw_bool(w, "new_path_unknown", true); /* its event was lost */
	if (r->new_process_path)
		pa_jw_bytes(w, "process_path_result", r->new_process_path->s,
			    r->new_process_path->len);
	write_who(w, o);
	if (ev->dirfd != -100)
		pa_jw_i64(w, "dirfd", ev->dirfd);
	write_where(w, o);
	pa_jw_u64(w, "mnt_ns", p->mnt_ns);
	pa_jw_u64(w, "cgroup_id", p->cgroup_id);
	pa_jw_obj_close(w);
	pa_jw_obj_close(w);
	pa_jw_newline(w);
}

void pa_ocsf_agent_begin(struct pa_jw *w, const struct pa_host_info *h, uint64_t time_ns,
			 uint64_t record_seq, enum pa_agent_activity id, const char *name,
			 const char *message)
{
	pa_jw_obj_open(w, NULL);
	pa_ocsfw_time(w, time_ns);
	pa_ocsfw_class(w, 6002, "Application Lifecycle", 6, "Application Activity", id, name);
	pa_jw_i64(w, "severity_id", id == PA_AGENT_OTHER ? 3 : 1);
	pa_jw_str(w, "severity", id == PA_AGENT_OTHER ? "Medium" : "Informational");
	pa_jw_i64(w, "status_id", 1);
	pa_jw_str(w, "status", "Success");
	if (message)
		pa_jw_str(w, "message", message);
	pa_jw_obj_open(w, "app");
	pa_jw_str(w, "name", "phiauditd");
	pa_jw_str(w, "version", PA_PRODUCT_VERSION);
	pa_jw_obj_close(w);
	pa_ocsfw_device(w, h);
	pa_ocsfw_metadata(w, h, record_seq);
	pa_jw_obj_open(w, "unmapped");
}

void pa_ocsf_agent_end(struct pa_jw *w)
{
	pa_jw_obj_close(w); /* unmapped */
	pa_jw_obj_close(w);
	pa_jw_newline(w);
}

static void write_time_field(struct pa_jw *w, const char *key, uint64_t utc_ns)
{
	char buf[40];

	if (!utc_ns)
		return;
	pa_format_time(buf, sizeof(buf), utc_ns);
	pa_jw_str(w, key, buf);
}

void pa_ocsf_store_event(struct pa_jw *w, const struct pa_host_info *h, uint64_t time_ns,
			 uint64_t record_seq, const struct pa_store_event *ev)
{
	char hex[2 * PA_CHAIN_HASH_LEN + 1];

	switch (ev->kind) {
	case PA_STORE_RECOVERED:
		pa_ocsf_agent_begin(w, h, time_ns, record_seq, PA_AGENT_OTHER, "Log Recovered",
				    "the last run did not stop cleanly: its log was recovered "
				    "and the chain goes on");
		pa_jw_obj_open(w, "log_store");
		pa_jw_bool(w, "previous_stop_clean", false);
		if (ev->file[0])
			pa_jw_str(w, "file", ev->file);
		pa_jw_u64(w, "bytes_cut", ev->bytes);
		if (ev->partial[0])
			pa_jw_str(w, "partial_file", ev->partial);
		pa_jw_u64(w, "members_recovered", ev->members);
		write_time_field(w, "last_sealed_time_dt", ev->since_ns);
		pa_jw_u64(w, "chain_next_index", ev->chain_index);
		pa_jw_obj_close(w);
		break;
	case PA_STORE_RESUMED:
		pa_ocsf_agent_begin(w, h, time_ns, record_seq, PA_AGENT_OTHER, "Log Resumed",
				    "the chain goes on from the last clean stop");
		pa_jw_obj_open(w, "log_store");
		pa_jw_bool(w, "previous_stop_clean", true);
		if (ev->file[0])
			pa_jw_str(w, "file", ev->file);
		pa_jw_u64(w, "chain_next_index", ev->chain_index);
		pa_jw_obj_close(w);
		break;
	case PA_STORE_RETENTION:
		pa_ocsf_agent_begin(w, h, time_ns, record_seq, PA_AGENT_OTHER, "Retention Deletion",
				    "a rotated log file was deleted by the retention policy");
		pa_jw_obj_open(w, "retention");
		pa_jw_str(w, "file", ev->file);
		pa_jw_str(w, "reason", ev->reason ? ev->reason : "unknown");
		pa_jw_u64(w, "bytes", ev->bytes);
		write_time_field(w, "first_time_dt", ev->since_ns);
		write_time_field(w, "last_time_dt", ev->until_ns);
		/* verify reads these two to accept the missing members */
		if (ev->chain_known) {
			pa_hex(ev->chain_tag, PA_CHAIN_HASH_LEN, hex);
			pa_jw_u64(w, "chain_last_index", ev->chain_index);
			pa_jw_str(w, "chain_last_tag", hex);
		}
		pa_jw_obj_close(w);
		break;
	case PA_STORE_WRITE_RESUMED:
		pa_ocsf_agent_begin(w, h, time_ns, record_seq, PA_AGENT_OTHER, "Log Write Resumed",
				    ev->records ? "the log could not be written for a while: records "
						  "were lost"
						: "the log could not be written for a while: "
						  "nothing was lost");
		pa_jw_obj_open(w, "write_failure");
		write_time_field(w, "since_dt", ev->since_ns);
		write_time_field(w, "until_dt", ev->until_ns);
		pa_jw_str(w, "error", strerror(ev->error));
		pa_jw_u64(w, "records_lost", ev->records);
		pa_jw_u64(w, "bytes_lost", ev->bytes);
		if (ev->records) {
			pa_jw_u64(w, "first_lost_sequence", ev->first_seq);
			pa_jw_u64(w, "last_lost_sequence", ev->last_seq);
		}
		pa_jw_obj_close(w);
		break;
	case PA_STORE_UNVERIFIED:
		pa_ocsf_agent_begin(w, h, time_ns, record_seq, PA_AGENT_OTHER, "Log Unverified",
				    "recovery found a member the chain does not accept: run "
				    "phiaudit verify");
		pa_jw_obj_open(w, "log_store");
		pa_jw_str(w, "file", ev->file);
		pa_jw_obj_close(w);
		break;
	}
	pa_ocsf_agent_end(w);
}
