// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_pipeline: what the log pipeline costs per record, what a record
 * costs on disk, and what the agent costs at 10,000 accesses a second.
 *
 *  A  In process, pinned to one CPU: synthetic ring-buffer events (per
 *     access an Open and its final Read, plus the process events and the
 *     sweep's file-gone events the kernel sends around them) go through the
 *     agent's per-event work, copied below from userspace/agent.c and
 *     calling the same library functions (decode, paths, names, process
 *     details, cgroups, opens table, OCSF encoding), into the real log
 *     store (a gzip member per second of traffic or per 8 MiB, its seal,
 *     the chain, write, fsync on the file system under /tmp). The same
 *     JSON, saved to a file, is compressed by `gzip -1` in the same run.
 *     Measured apart: encoding only (records discarded), + compression
 *     (members; no seal, no disk), + chain and disk (the store: the whole
 *     pipeline), and the whole pipeline at level 1. Rounds are
 *     interleaved; figures are medians, ratios medians of per-round
 *     ratios. Targets: the whole pipeline <= 1.5x gzip -1's CPU time, and
 *     >= 100,000 records/s on one core.
 *  B  Bytes on disk per record: every byte of the store's *.json.gz files
 *     (members, seals, gzip headers) over the records in them, for Read
 *     records alone, Open records alone (the Opens still go through the
 *     pipeline: the Reads need their paths) and A's mix; level 6 and 1.
 *     Target: a Read record <= 60 bytes.
 *  C  The real agent (phiauditd --log-dir DIR --watch W): one process
 *     opens, reads and closes watched files at 10,000 a second for 10 s.
 *     The agent's CPU over that window as a share of one core, and nothing
 *     lost: one Open and one final Read record per access, bytes counted
 *     exactly, no Loss record, the chain verifies from its initial key.
 *
 * A's and B's clock is fake: events are 100 us apart (10,000 records/s),
 * the store's clock follows them, and the store is flushed every 1,000
 * events (the agent's 100 ms poll), so a member closes after 1 s of
 * traffic, about 10,000 records (or at 8 MiB uncompressed, the store's
 * own limit, whichever comes first), as in the agent.
 *
 * Exit status: 0 whatever the results say; 1 if something broke.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "bench_agent.h"

#include "cgroups.h"
#include "clock.h"
#include "decode.h"
#include "enrich.h"
#include "gzmember.h"
#include "jsonw.h"
#include "log.h"
#include "names.h"
#include "ocsf.h"
#include "opens.h"
#include "paths.h"
#include "procs.h"
#include "sink.h"
#include "store.h"
#include "verify.h"

#define RECORD_GAP_NS 100000ULL /* fake time between records: 10,000 a second */
#define FLUSH_EVERY 1000	 /* events between flushes: the agent's 100 ms poll */
#define SWEEP_EVERY 50000	 /* records between file-gone bursts: a 5 s sweep */
#define WATCH_PATH "/srv/phi"
#define WATCH_ID 1
#define N_PATIENTS 50000
#define MAX_ROUNDS 15
#define TARGET_RATIO 1.5
#define TARGET_RATE 100000.0
#define TARGET_READ_BYTES 60.0
#define C_FILES_PER_PATIENT 10
#define C_FILE_SIZE 2048
#define GZIP "/bin/gzip"

struct opts {
	const char *exe;
	uint64_t records;  /* A: records per run (half Open, half Read) */
	int rounds;
	double rate, seconds; /* C: accesses a second, for how long */
	int files;
};

static char root[64]; /* everything this run writes, removed at exit */

/* ---- small helpers ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	remove(path); /* best effort: keep going */
	return 0;
}

static void remove_tree(const char *path)
{
	if (path[0])
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void remove_root(void)
{
	remove_tree(root);
}

static uint64_t cpu_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000000ULL + (uint64_t)tv->tv_usec * 1000ULL;
}

static uint64_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(const double *v, int n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, (size_t)n * sizeof(*s));
	qsort(s, (size_t)n, sizeof(*s), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static bool is_log_file(const char *name)
{
	size_t n = strlen(name), s = strlen(PA_STORE_SUFFIX);

	return n > s && !strcmp(name + n - s, PA_STORE_SUFFIX);
}

/* Bytes of the *.json.gz files in @dir: what the log costs on disk. */
static uint64_t log_bytes(const char *dir, uint64_t *files)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	uint64_t n = 0;

	*files = 0;
	if (!d)
		die("%s: %s", dir, strerror(errno));
	while ((de = readdir(d)))
		if (is_log_file(de->d_name) && !fstatat(dirfd(d), de->d_name, &st, 0)) {
			n += (uint64_t)st.st_size;
			(*files)++;
		}
	closedir(d);
	return n;
}

/* Decompress @dir's log files in name (= time) order, piece by piece to @fn. */
static void read_logs(const char *dir, void (*fn)(void *ctx, const char *buf, size_t len),
		      void *ctx)
{
	static char buf[1 << 16];
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort);

	if (n < 0)
		die("%s: %s", dir, strerror(errno));
	for (int i = 0; i < n; i++) {
		char path[512];
		gzFile z;
		int got;

		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		if (is_log_file(list[i]->d_name) && (z = gzopen(path, "rb"))) {
			while ((got = gzread(z, buf, sizeof(buf))) > 0)
				fn(ctx, buf, (size_t)got);
			gzclose(z);
		}
		free(list[i]);
	}
	free(list);
}

static void write_text(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd))
		die("writing %s: %s", path, strerror(errno));
}

/* ---- the traffic: processes ---- */

#define ARGS(lit) (lit), sizeof(lit) - 1
#define MAX_ANC 4

/* Who reads patient files: an EHR web app's workers, a report server, a
 * nightly backup, a clinician at a shell. */
static const struct kind {
	const char *comm, *exe;
	const char *args;
	size_t args_len;
	uint32_t uid, auid, session, flags;
	int procs, threads, weight; /* weight: % of the accesses */
	int n_anc;
	const char *anc_comm[MAX_ANC], *anc_exe[MAX_ANC];
	const char *anc_args[MAX_ANC]; /* words separated by spaces */
	const char *cgroup;	       /* below the cgroup root */
	const char *tty;
} kinds[] = {
	{ "gunicorn", "/srv/ehr/venv/bin/python3.11",
	  ARGS("/srv/ehr/venv/bin/python3.11\0/srv/ehr/venv/bin/gunicorn\0ehr.wsgi:application\0"
	       "--workers\0" "12\0--bind\0" "127.0.0.1:8000\0"),
	  998, (uint32_t)-1, (uint32_t)-1, 02000000, 12, 1, 70, 2,
	  { "gunicorn", "systemd" }, { "/srv/ehr/venv/bin/python3.11", "/usr/lib/systemd/systemd" },
	  { "/srv/ehr/venv/bin/python3.11 /srv/ehr/venv/bin/gunicorn ehr.wsgi:application "
	    "--workers 12 --bind 127.0.0.1:8000", "/sbin/init" },
	  "/system.slice/docker-"
	  "3f9a2c41d7b8e6f05a1c9d2e7b4f8a3c6d0e5f1a2b7c8d9e0f1a2b3c4d5e6f7a.scope", "" },
	{ "java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
	  ARGS("java\0-Xmx4g\0-jar\0/opt/reports/reports.jar\0--spring.profiles.active=prod\0"),
	  997, (uint32_t)-1, (uint32_t)-1, 02000000, 6, 40, 20, 1,
	  { "systemd" }, { "/usr/lib/systemd/systemd" }, { "/sbin/init" },
	  "/system.slice/reports.service", "" },
	{ "rsync", "/usr/bin/rsync", ARGS("rsync\0-a\0/srv/phi/\0backup@vault:/backups/phi/\0"),
	  0, (uint32_t)-1, (uint32_t)-1, 0400000, 3, 1, 5, 3,
	  { "sh", "cron", "systemd" }, { "/usr/bin/dash", "/usr/sbin/cron", "/usr/lib/systemd/systemd" },
	  { "/bin/sh -c /usr/local/sbin/backup-phi", "/usr/sbin/cron -f", "/sbin/init" },
	  "/system.slice/cron.service", "" },
	{ "less", "/usr/bin/less", ARGS("less\0chart-3.csv\0"),
	  1001, 1001, 7, 0, 3, 1, 5, 4,
	  { "bash", "sshd", "sshd", "systemd" },
	  { "/usr/bin/bash", "/usr/sbin/sshd", "/usr/sbin/sshd", "/usr/lib/systemd/systemd" },
	  { "-bash", "sshd: jdoe@pts/3", "sshd: jdoe [priv]", "/sbin/init" },
	  "/user.slice/user-1001.slice/session-7.scope", "pts3" },
};
#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))
#define MAX_PROCS 32

/* User and group names by id, in place of NSS (the agent caches them per
 * id either way, so what answers matters only once). */
static int fake_names(enum pa_name_kind kind, uint32_t id, char *out, size_t outlen)
{
	static const struct { uint32_t id; const char *user, *group; } ids[] = {
		{ 0, "root", "root" }, { 997, "reports", "reports" },
		{ 998, "ehr", "ehr" }, { 1001, "jdoe", "clinical" },
	};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (ids[i].id == id) {
			snprintf(out, outlen, "%s", kind == PA_NAME_USER ? ids[i].user : ids[i].group);
			return 1;
		}
	return 0;
}

struct sim_proc {
	const struct kind *k;
	struct pa_proc p;
	struct pa_ancestor anc[MAX_ANC];
	bool announced; /* its PA_EV_PROC was sent */
};

struct traffic {
	uint8_t *buf; /* events back to back, 8-byte aligned, as the ring buffer hands them */
	size_t len, cap;
	uint64_t events, records, opens, reads;
	uint64_t seq, account_seq, ktime, rng;
	struct sim_proc procs[MAX_PROCS];
	int n_procs;
	struct { uint64_t file, open_seq; } *live; /* opens since the last sweep */
	size_t n_live, cap_live;
};

static uint64_t anc_start_ns(int k, int j, const struct kind *kd)
{
	return !strcmp(kd->anc_comm[j], "systemd") ? 1000000000ULL
						   : (uint64_t)(100 + 10 * k + j) * 1000000000ULL;
}

static uint32_t anc_pid(int k, int j, const struct kind *kd)
{
	return !strcmp(kd->anc_comm[j], "systemd") ? 1 : 4190000u + 10u * (uint32_t)k + (uint32_t)j;
}

/* The ancestors' /proc entries (stat, exe, cmdline) under ROOT/proc, where
 * the agent's process table reads them once, as it reads the real /proc
 * for a parent that never opened a watched file itself. */
static void fake_proc_entry(const struct pa_ancestor *a, const char *exe, const char *args)
{
	char dir[256], path[320], stat[256], cmdline[256];
	long hz = sysconf(_SC_CLK_TCK);
	int n;

	snprintf(dir, sizeof(dir), "%s/proc/%u", root, a->pid);
	if (mkdir(dir, 0755) && errno == EEXIST)
		return;
	n = snprintf(stat, sizeof(stat),
		     "%u (%s) S 1 %u %u 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 %llu 0 0\n", a->pid,
		     a->comm, a->pid, a->pid,
		     (unsigned long long)(a->start_ns / (1000000000ULL / (uint64_t)hz)));
	snprintf(path, sizeof(path), "%s/stat", dir);
	write_text(path, stat, (size_t)n);
	snprintf(path, sizeof(path), "%s/cmdline", dir);
	n = snprintf(cmdline, sizeof(cmdline), "%s", args);
	for (int i = 0; i < n; i++)
		cmdline[i] = cmdline[i] == ' ' ? '\0' : cmdline[i];
	write_text(path, cmdline, (size_t)n + 1);
	snprintf(path, sizeof(path), "%s/exe", dir);
	if (symlink(exe, path))
		die("symlink %s: %s", path, strerror(errno));
}

static void make_dirs(const char *path);

/* A kind's cgroup under ROOT/cgroup, as in /sys/fs/cgroup: its id is the
 * directory's inode number, which the agent's cgroup table scans for. */
static uint64_t fake_cgroup(const struct kind *kd)
{
	char dir[256];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/cgroup%s", root, kd->cgroup);
	make_dirs(dir);
	if (stat(dir, &st))
		die("%s: %s", dir, strerror(errno));
	return (uint64_t)st.st_ino;
}

static void make_procs(struct traffic *t)
{
	char dir[128];

	snprintf(dir, sizeof(dir), "%s/proc", root);
	if (mkdir(dir, 0755) && errno != EEXIST)
		die("%s: %s", dir, strerror(errno));
	for (int k = 0; k < (int)N_KINDS; k++) {
		const struct kind *kd = &kinds[k];
		uint64_t cgroup_id = fake_cgroup(kd);

		for (int i = 0; i < kd->procs && t->n_procs < MAX_PROCS; i++) {
			struct sim_proc *sp = &t->procs[t->n_procs];
			struct pa_proc *p = &sp->p;

			sp->k = kd;
			for (int j = 0; j < kd->n_anc; j++) {
				sp->anc[j].pid = anc_pid(k, j, kd);
				sp->anc[j].start_ns = anc_start_ns(k, j, kd);
				snprintf(sp->anc[j].comm, sizeof(sp->anc[j].comm), "%s", kd->anc_comm[j]);
				fake_proc_entry(&sp->anc[j], kd->anc_exe[j], kd->anc_args[j]);
			}
			p->tgid = p->tid = 20000u + 97u * (uint32_t)t->n_procs;
			p->ppid = sp->anc[0].pid;
			p->uid = p->gid = p->euid = p->egid = kd->uid;
			p->auid = kd->auid;
			p->sessionid = kd->session;
			p->mnt_ns = 4026531841u;
			p->start_ns = (uint64_t)(3600 + t->n_procs) * 1000000000ULL;
			p->cgroup_id = cgroup_id;
			snprintf(p->comm, sizeof(p->comm), "%s", kd->comm);
			t->n_procs++;
		}
	}
}

/* ---- the traffic: events ---- */

static void *ev_put(struct traffic *t, size_t size, uint16_t type, uint32_t cpu)
{
	size_t step = (size + 7) & ~(size_t)7;
	struct pa_event_hdr *h;

	if (t->len + step > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1 << 20;
		uint8_t *p = realloc(t->buf, cap);

		if (!p)
			die("out of memory for the events");
		t->buf = p;
		t->cap = cap;
	}
	h = (struct pa_event_hdr *)(t->buf + t->len);
	memset(h, 0, step);
	h->type = type;
	h->size = (uint16_t)size;
	h->cpu = cpu;
	h->seq = ++t->seq;
	h->ktime_ns = t->ktime;
	t->len += step;
	t->events++;
	return h;
}

/* The process's exec details and ancestry, before its first audited open. */
static void gen_proc(struct traffic *t, struct sim_proc *sp)
{
	struct pa_proc_event *e = ev_put(t, sizeof(*e), PA_EV_PROC, sp->p.tgid % 2);

	e->tgid = sp->p.tgid;
	e->flags = PA_PROC_EXEC_SEEN;
	e->start_ns = sp->p.start_ns;
	e->exec_ns = sp->p.start_ns + 1000000;
	e->exe_len = (uint16_t)strlen(sp->k->exe);
	e->args_len = (uint16_t)sp->k->args_len;
	e->n_ancestors = (uint16_t)sp->k->n_anc;
	memcpy(e->ancestors, sp->anc, sizeof(sp->anc));
	snprintf(e->tty, sizeof(e->tty), "%s", sp->k->tty);
	memcpy(e->exe, sp->k->exe, e->exe_len);
	memcpy(e->args, sp->k->args, e->args_len);
	sp->announced = true;
}

/* "chart-7.csv\0P012345\0patients\0", leaf first; @view adds "phi\0srv\0". */
static size_t names_of(char *out, uint32_t patient, uint32_t chart, bool view)
{
	int n = snprintf(out, 64, "chart-%u.csv%cP%06u%cpatients%c", chart, 0, patient, 0, 0);

	if (view) {
		memcpy(out + n, "phi\0srv\0", 8);
		n += 8;
	}
	return (size_t)n;
}

static uint64_t gen_open(struct traffic *t, const struct sim_proc *sp, uint32_t patient,
			 uint32_t chart, uint64_t *ino)
{
	char rel[64], view[80];
	size_t rel_len = names_of(rel, patient, chart, false);
	size_t view_len = names_of(view, patient, chart, true);
	struct pa_open_event *e =
		ev_put(t, sizeof(*e) + rel_len + view_len, PA_EV_OPEN, sp->p.tgid % 2);

	e->proc = sp->p;
	if (sp->k->threads > 1)
		e->proc.tid = sp->p.tgid + 1 + (uint32_t)(rnd(&t->rng) % (uint64_t)sp->k->threads);
	e->flags = sp->k->flags;
	*ino = e->file_ino = 1000000 + (uint64_t)patient * 20 + chart;
	e->file_dev = (253u << 20) | 1;
	e->file_mode = 0100640;
	e->file_uid = e->file_gid = 998;
	e->file_size = 2048 + (*ino * 7919) % 65536;
	e->ret = 5 + (int)(rnd(&t->rng) % 40);
	e->dirfd = -100;
	e->watch_id = WATCH_ID;
	e->syscall = PA_SYS_OPENAT;
	e->scope = PA_SCOPE_IN;
	e->rel_len = (uint16_t)rel_len;
	e->view_len = (uint16_t)view_len;
	e->track = PA_TRACK_READS;
	memcpy((char *)(e + 1), rel, rel_len);
	memcpy((char *)(e + 1) + rel_len, view, view_len);
	t->ktime += RECORD_GAP_NS;
	t->opens++;
	return e->hdr.seq;
}

/* The account's final report: the file read through, then closed. */
static void gen_read(struct traffic *t, const struct sim_proc *sp, uint64_t open_seq,
		     uint64_t ino)
{
	struct pa_read_event *e = ev_put(t, sizeof(*e), PA_EV_READ, sp->p.tgid % 2);

	e->proc = sp->p;
	e->file = 0xffff888000000000ULL + (rnd(&t->rng) & 0xffffff) * 256;
	e->open_seq = open_seq;
	e->account_seq = ++t->account_seq;
	e->bytes = 1024 + rnd(&t->rng) % 65536;
	e->calls = e->bytes / 16384 + 2; /* 16 KiB reads, then EOF */
	e->first_ns = t->ktime - RECORD_GAP_NS + 20000;
	e->last_ns = t->ktime - 10000;
	e->file_ino = ino;
	e->file_dev = (253u << 20) | 1;
	e->watch_id = WATCH_ID;
	e->reason = PA_READ_CLOSE;
	e->final = 1;
	t->ktime += RECORD_GAP_NS;
	t->reads++;
	if (t->n_live == t->cap_live) {
		t->cap_live = t->cap_live ? t->cap_live * 2 : 1024;
		t->live = realloc(t->live, t->cap_live * sizeof(*t->live));
		if (!t->live)
			die("out of memory for the events");
	}
	t->live[t->n_live].file = e->file;
	t->live[t->n_live++].open_seq = open_seq;
}

/* The sweep found the files released: the agent forgets their opens. */
static void gen_sweep(struct traffic *t)
{
	for (size_t i = 0; i < t->n_live; i++) {
		struct pa_file_gone_event *e = ev_put(t, sizeof(*e), PA_EV_FILE_GONE, 0);

		e->file = t->live[i].file;
		e->open_seq = t->live[i].open_seq;
	}
	t->n_live = 0;
}

static struct sim_proc *pick_proc(struct traffic *t)
{
	int w = (int)(rnd(&t->rng) % 100), k = 0, first = 0;

	while (k < (int)N_KINDS - 1 && w >= kinds[k].weight) {
		w -= kinds[k].weight;
		first += kinds[k].procs;
		k++;
	}
	return &t->procs[first + (int)(rnd(&t->rng) % (uint64_t)kinds[k].procs)];
}

/* @records records' worth of events: an Open and a final Read per access. */
static void make_traffic(struct traffic *t, uint64_t records)
{
	memset(t, 0, sizeof(*t));
	t->rng = 0x9e3779b97f4a7c15ULL;
	t->ktime = 86400ULL * 1000000000ULL; /* a day after boot */
	make_procs(t);
	while (t->records < records) {
		struct sim_proc *sp = pick_proc(t);
		uint32_t patient = (uint32_t)(rnd(&t->rng) % N_PATIENTS);
		uint64_t ino, seq;

		if (!sp->announced)
			gen_proc(t, sp);
		seq = gen_open(t, sp, patient, (uint32_t)(rnd(&t->rng) % 20), &ino);
		gen_read(t, sp, seq, ino);
		t->records += 2;
		if (t->records % SWEEP_EVERY == 0)
			gen_sweep(t);
	}
	gen_sweep(t);
}

/* ---- the agent's per-event work, as userspace/agent.c does it ----
 *
 * agent.c's handlers are tied to the BPF objects and the watch set; the
 * records are built by the same functions (enrich.h), in the same order. The
 * watch set is one watch (id 1, /srv/phi); the store's clock follows the
 * events. Keep this in step with agent.c (on_event and what it calls). */

enum { K_OPEN, K_READ };
#define KEEP_ALL ((1u << K_OPEN) | (1u << K_READ))

struct pipe {
	struct pa_jw jw;
	struct pa_host_info host;
	char hostname[256], machine_id[64], boot_id[64];
	struct pa_enrich enrich; /* the agent's own module */
	struct pa_opens opens;
	int64_t clock_offset;
	uint64_t record_seq, events_received, max_event_seq, decode_errors;
	uint64_t reads_unknown_open, opens_untracked_nomem, procs_nomem;
	struct pa_path path_host, path_view;
	struct pa_sink *sink;
	unsigned keep;	 /* which kinds of record reach the sink (B) */
	uint64_t now_utc; /* the store's clock: the current event's time */
	uint64_t n[2], bytes[2]; /* records and JSON bytes that reached the sink */
};


static void emit(struct pipe *a, int kind)
{
	if (pa_jw_failed(&a->jw)) {
		a->decode_errors++;
	} else if (a->keep & (1u << kind)) {
		a->sink->ops->write(a->sink, a->jw.buf, a->jw.len, a->record_seq, LOG_INFO);
		a->n[kind]++;
		a->bytes[kind] += a->jw.len;
	}
	pa_jw_reset(&a->jw);
}

static const char *watch_path_of(uint32_t id)
{
	return id == WATCH_ID ? WATCH_PATH : NULL;
}

static void on_open(struct pipe *a, const void *data, size_t size)
{
	struct pa_open_view v;
	const char *w;
	bool differs;

	if (pa_decode_open(data, size, &v)) {
		a->decode_errors++;
		return;
	}
	w = v.ev->scope == PA_SCOPE_IN ? watch_path_of(v.ev->watch_id) : NULL;
	differs = pa_open_paths(&v, w, &a->path_host, &a->path_view);
	if (w && (v.ev->path_flags & PA_PATH_FROM_USER) && !pa_path_within(&a->path_host, w))
		return; /* (the agent looks for another watch; none here) */
	pa_enrich_open_record(&a->enrich, &a->jw, &a->host, ++a->record_seq, &v, &a->path_host,
			      differs ? &a->path_view : NULL, w);
	emit(a, K_OPEN);
	if ((v.ev->track & PA_TRACK_READS) &&
	    pa_opens_put(&a->opens, v.ev->hdr.seq, w ? WATCH_ID : 0, v.ev->file_mode,
			 a->path_host.s, a->path_host.len))
		a->opens_untracked_nomem++;
}

static void write_read(struct pipe *a, const struct pa_read_event *ev)
{
	const struct pa_open_info *o = pa_opens_get(&a->opens, ev->open_seq);

	if (!o)
		a->reads_unknown_open++;
	pa_enrich_read_record(&a->enrich, &a->jw, &a->host, ++a->record_seq, ev, o,
			      o ? watch_path_of(o->watch_id) : NULL, false);
	emit(a, K_READ);
}

static void on_event(struct pipe *a, const void *data, size_t size)
{
	const struct pa_event_hdr *h = data;
	const struct pa_read_event *rd;
	const struct pa_file_gone_event *g;
	const struct pa_proc_event *pe;

	if (pa_decode_type(data, size) < 0) {
		a->decode_errors++;
		return;
	}
	a->events_received++;
	if (h->seq > a->max_event_seq)
		a->max_event_seq = h->seq;
	switch (h->type) {
	case PA_EV_OPEN:
		on_open(a, data, size);
		break;
	case PA_EV_READ:
		rd = pa_decode_read(data, size);
		if (rd)
			write_read(a, rd);
		else
			a->decode_errors++;
		break;
	case PA_EV_FILE_GONE:
		g = pa_decode_file_gone(data, size);
		if (g)
			pa_opens_del(&a->opens, g->open_seq);
		else
			a->decode_errors++;
		break;
	case PA_EV_PROC:
		pe = pa_decode_proc(data, size);
		if (!pe)
			a->decode_errors++;
		else if (pa_procs_put_event(&a->enrich.procs, pe))
			a->procs_nomem++;
		break;
	default:
		a->decode_errors++;
	}
}

/* ---- what the host says about itself, once (as pa_agent_start) ---- */

static int64_t clock_offset; /* one for every run: their JSON is byte for byte the same */

static struct pipe *pipe_new(unsigned keep)
{
	struct pipe *p = calloc(1, sizeof(*p));
	char proc_root[96], cgroup_root[96];

	if (!p)
		die("out of memory");
	pa_jw_init(&p->jw);
	if (gethostname(p->hostname, sizeof(p->hostname) - 1))
		snprintf(p->hostname, sizeof(p->hostname), "unknown");
	p->host.hostname = p->hostname;
	pa_host_read_ids(&p->host, p->machine_id, p->boot_id);
	/* The agent takes the store's random id; one for every run here, so
	 * every run writes the same bytes. */
	p->host.log_id = "8c3e51f07a9d4b26e1f58a0c7d3b9e42";
	snprintf(proc_root, sizeof(proc_root), "%s/proc", root);
	snprintf(cgroup_root, sizeof(cgroup_root), "%s/cgroup", root);
	p->clock_offset = clock_offset;
	pa_enrich_init(&p->enrich, &p->clock_offset, strdup(proc_root), strdup(cgroup_root),
		       fake_names);
	p->keep = keep;
	return p;
}

static void pipe_free(struct pipe *p)
{
	free((char *)p->enrich.procs.proc_root);
	free((char *)p->enrich.cgroups.root);
	pa_enrich_free(&p->enrich);
	pa_opens_free(&p->opens);
	pa_jw_free(&p->jw);
	free(p);
}

static uint64_t pipe_clock(void *ctx)
{
	return ((const struct pipe *)ctx)->now_utc;
}

/* ---- sinks for the steps before the store ---- */

/* Encoding only: the records are counted and dropped. */
static int discard_write(struct pa_sink *s, const char *buf, size_t len, uint64_t seq, int severity)
{
	(void)buf;
	(void)seq;
	s->records++;
	s->bytes += len;
	return 0;
}

static int nop_flush(struct pa_sink *s)
{
	(void)s;
	return 0;
}

static void free_close(struct pa_sink *s)
{
	free(s);
}

static const struct pa_sink_ops discard_ops = { discard_write, nop_flush, free_close };

/* The JSON saved for gzip, with its CRC to check the store held the same. */
struct file_sink {
	struct pa_sink base;
	FILE *f;
	uLong crc;
};

static int file_write(struct pa_sink *s, const char *buf, size_t len, uint64_t seq, int severity)
{
	struct file_sink *fs = (struct file_sink *)s;

	(void)seq;
	if (fwrite(buf, 1, len, fs->f) != len)
		die("writing the JSON: %s", strerror(errno));
	fs->crc = crc32(fs->crc, (const Bytef *)buf, (uInt)len);
	s->records++;
	s->bytes += len;
	return 0;
}

static void file_close(struct pa_sink *s)
{
	struct file_sink *fs = (struct file_sink *)s;

	if (fclose(fs->f))
		die("writing the JSON: %s", strerror(errno));
	free(fs);
}

static const struct pa_sink_ops file_ops = { file_write, nop_flush, file_close };

/* Compression only: gzip members cut where the store cuts them (flush
 * interval, member size), then dropped: no seal, no chain, no disk. */
struct gz_sink {
	struct pa_sink base;
	struct pa_gzw gz;
	const struct pipe *clock;
	uint64_t first_ns, interval_ns, max_bytes, members, out_bytes;
};

static void gz_cut(struct gz_sink *g)
{
	uint8_t *m;
	size_t len;

	if (!g->gz.open)
		return;
	if (pa_gzw_finish(&g->gz, &m, &len))
		die("gzip member: out of memory");
	g->members++;
	g->out_bytes += len;
	free(m);
}

static int gz_write(struct pa_sink *s, const char *buf, size_t len, uint64_t seq, int severity)
{
	struct gz_sink *g = (struct gz_sink *)s;

	(void)seq;
	if (!g->gz.open)
		g->first_ns = g->clock->now_utc;
	if (pa_gzw_add(&g->gz, buf, len))
		die("gzip member: out of memory");
	s->records++;
	s->bytes += len;
	if (g->gz.in_bytes >= g->max_bytes)
		gz_cut(g);
	return 0;
}

static int gz_flush(struct pa_sink *s)
{
	struct gz_sink *g = (struct gz_sink *)s;

	if (g->gz.open && g->clock->now_utc >= g->first_ns + g->interval_ns)
		gz_cut(g);
	return 0;
}

static void gz_close(struct pa_sink *s)
{
	struct gz_sink *g = (struct gz_sink *)s;

	gz_cut(g);
	pa_gzw_free(&g->gz);
	free(g);
}

static const struct pa_sink_ops gz_ops = { gz_write, gz_flush, gz_close };

/* ---- A: one run of the pipeline ---- */

enum stage { ST_ENCODE, ST_COMPRESS, ST_STORE, ST_CAPTURE };

struct run {
	enum stage stage;
	int level;
	unsigned keep;
	/* results */
	uint64_t cpu_ns, user_ns, sys_ns, wall_ns;
	uint64_t records, json_bytes, disk_bytes, files, decode_errors, unknown_open;
	uint64_t n[2], bytes[2];
	char dir[128]; /* ST_STORE: the log directory */
	uint8_t key[PA_CHAIN_KEY_LEN];
	uLong crc;    /* ST_CAPTURE */
};

static struct pa_sink *store_sink(struct run *r, struct pipe *p)
{
	static unsigned n_dirs;
	char hex[2 * PA_CHAIN_KEY_LEN + 1], err[1024];
	struct pa_store_config cfg;
	struct pa_sink *s;

	snprintf(r->dir, sizeof(r->dir), "%s/store-%u", root, n_dirs++);
	if (pa_store_init_key(r->dir, (gid_t)-1, hex, err, sizeof(err)) ||
	    pa_unhex(hex, strlen(hex), r->key, sizeof(r->key)))
		die("store key: %s", err);
	pa_store_config_defaults(&cfg, r->dir);
	cfg.level = r->level;
	cfg.now_ns = pipe_clock;
	cfg.clock_ctx = p;
	s = pa_store_open(&cfg, err, sizeof(err));
	if (!s)
		die("store: %s", err);
	/* Its Log Resumed/Recovered events are the agent's, not measured here. */
	for (struct pa_store_event ev; pa_store_next_event(s, &ev);)
		;
	return s;
}

static struct pa_sink *open_sink(struct run *r, struct pipe *p)
{
	struct pa_store_config def;
	struct pa_sink *s;

	switch (r->stage) {
	case ST_STORE:
		return store_sink(r, p);
	case ST_COMPRESS: {
		struct gz_sink *g = calloc(1, sizeof(*g));

		pa_store_config_defaults(&def, "");
		if (!g || pa_gzw_init(&g->gz, r->level))
			die("gzip: out of memory");
		g->base.ops = &gz_ops;
		g->clock = p;
		g->interval_ns = def.flush_interval_ms * 1000000ULL;
		g->max_bytes = def.member_max_bytes;
		return &g->base;
	}
	case ST_CAPTURE: {
		struct file_sink *f = calloc(1, sizeof(*f));
		char path[128];

		snprintf(path, sizeof(path), "%s/records.json", root);
		if (!f || !(f->f = fopen(path, "we")))
			die("%s: %s", path, strerror(errno));
		setvbuf(f->f, NULL, _IOFBF, 1 << 20);
		f->crc = crc32(0, NULL, 0);
		f->base.ops = &file_ops;
		return &f->base;
	}
	default:
		s = calloc(1, sizeof(*s));
		if (!s)
			die("out of memory");
		s->ops = &discard_ops;
		return s;
	}
}

static void feed(const struct traffic *t, struct pipe *p)
{
	uint64_t i = 0;

	for (size_t off = 0; off < t->len; i++) {
		const struct pa_event_hdr *h = (const void *)(t->buf + off);

		p->now_utc = pa_boot_to_utc(p->clock_offset, h->ktime_ns);
		on_event(p, h, h->size);
		off += ((size_t)h->size + 7) & ~(size_t)7;
		if (i % FLUSH_EVERY == FLUSH_EVERY - 1)
			p->sink->ops->flush(p->sink);
	}
	p->sink->ops->flush(p->sink);
}

/* Feed every event through the pipeline into @r's sink, timed from the
 * first event to the sink closed (the store's last member on disk). */
static void run_pipeline(const struct traffic *t, struct run *r)
{
	struct pipe *p = pipe_new(r->keep);
	uint64_t c0, w0;
	struct rusage u0, u1;

	p->sink = open_sink(r, p);
	getrusage(RUSAGE_SELF, &u0);
	c0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	w0 = bench_now_ns();
	feed(t, p);
	if (r->stage == ST_CAPTURE)
		r->crc = ((struct file_sink *)p->sink)->crc;
	p->sink->ops->close(p->sink);
	r->wall_ns = bench_now_ns() - w0;
	r->cpu_ns = cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
	getrusage(RUSAGE_SELF, &u1);
	r->user_ns = tv_ns(&u1.ru_utime) - tv_ns(&u0.ru_utime);
	r->sys_ns = tv_ns(&u1.ru_stime) - tv_ns(&u0.ru_stime);
	memcpy(r->n, p->n, sizeof(r->n));
	memcpy(r->bytes, p->bytes, sizeof(r->bytes));
	r->records = p->n[K_OPEN] + p->n[K_READ];
	r->json_bytes = p->bytes[K_OPEN] + p->bytes[K_READ];
	r->decode_errors = p->decode_errors;
	r->unknown_open = p->reads_unknown_open;
	if (r->stage == ST_STORE)
		r->disk_bytes = log_bytes(r->dir, &r->files);
	pipe_free(p);
}

/* `gzip -LEVEL -c FILE > /dev/null` on the same CPU; its CPU from wait4. */
static void run_gzip(const char *path, const char *level, struct run *r)
{
	const char *argv[] = { "gzip", level, "-c", path, NULL };
	struct rusage ru;
	uint64_t w0 = bench_now_ns();
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
			_exit(127);
		execv(GZIP, (char *const *)argv);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die(GZIP " %s -c %s failed (status 0x%x)", level, path, status);
	r->wall_ns = bench_now_ns() - w0;
	r->user_ns = tv_ns(&ru.ru_utime);
	r->sys_ns = tv_ns(&ru.ru_stime);
	r->cpu_ns = r->user_ns + r->sys_ns;
}

/* ---- A: rounds and the report ---- */

enum config { CF_GZIP1, CF_ENCODE, CF_COMPRESS6, CF_STORE6, CF_STORE1, CF_N };

static const struct {
	const char *name;
	enum stage stage;
	int level;
} configs[CF_N] = {
	[CF_GZIP1] = { "gzip -1, the same JSON", ST_ENCODE, 1 }, /* run_gzip, not a stage */
	[CF_ENCODE] = { "decode+enrich+encode", ST_ENCODE, 6 },
	[CF_COMPRESS6] = { "  + compress (level 6)", ST_COMPRESS, 6 },
	[CF_STORE6] = { "  + seal, chain, write, fsync", ST_STORE, 6 },
	[CF_STORE1] = { "whole pipeline, level 1", ST_STORE, 1 },
};

struct part_a {
	int rounds;
	struct run r[CF_N][MAX_ROUNDS];
	struct run capture;
	char json[128];
	struct pa_verify_result vr;
	bool same_json; /* the store held the JSON gzip compressed, byte for byte */
};

static double med_of(const struct part_a *a, enum config c, uint64_t (*f)(const struct run *))
{
	double v[MAX_ROUNDS];

	for (int i = 0; i < a->rounds; i++)
		v[i] = (double)f(&a->r[c][i]);
	return median(v, a->rounds);
}

static uint64_t f_cpu(const struct run *r) { return r->cpu_ns; }
static uint64_t f_user(const struct run *r) { return r->user_ns; }
static uint64_t f_sys(const struct run *r) { return r->sys_ns; }
static uint64_t f_wall(const struct run *r) { return r->wall_ns; }

/* Median over rounds of c's CPU time over gzip -1's in the same round. */
static double ratio(const struct part_a *a, enum config c, uint64_t (*f)(const struct run *))
{
	double v[MAX_ROUNDS];

	for (int i = 0; i < a->rounds; i++)
		v[i] = (double)f(&a->r[c][i]) / (double)(f(&a->r[CF_GZIP1][i]) ?: 1);
	return median(v, a->rounds);
}

struct crc_len {
	uLong crc;
	uint64_t len;
};

static void add_crc(void *ctx, const char *buf, size_t len)
{
	struct crc_len *c = ctx;

	c->crc = crc32(c->crc, (const Bytef *)buf, (uInt)len);
	c->len += len;
}

/* The chain verifies, and the store holds the JSON gzip was given. */
static void check_store_run(struct part_a *a, const struct run *r)
{
	struct crc_len c = { crc32(0, NULL, 0), 0 };

	pa_verify_dir(r->dir, r->key, NULL, NULL, &a->vr);
	read_logs(r->dir, add_crc, &c);
	a->same_json = c.crc == a->capture.crc && c.len == a->capture.json_bytes;
}

static void run_part_a(const struct traffic *t, struct part_a *a)
{
	a->capture = (struct run){ .stage = ST_CAPTURE, .keep = KEEP_ALL };
	run_pipeline(t, &a->capture); /* also the warm-up */
	snprintf(a->json, sizeof(a->json), "%s/records.json", root);
	for (int i = 0; i < a->rounds; i++) {
		fprintf(stderr, "\rA: round %d of %d ", i + 1, a->rounds);
		for (int c = 0; c < CF_N; c++) {
			struct run *r = &a->r[c][i];

			*r = (struct run){ .stage = configs[c].stage, .level = configs[c].level,
					   .keep = KEEP_ALL };
			if (c == CF_GZIP1) {
				run_gzip(a->json, "-1", r);
				continue;
			}
			run_pipeline(t, r);
			if (c == CF_STORE6 && i == a->rounds - 1)
				check_store_run(a, r);
			if (r->stage == ST_STORE)
				remove_tree(r->dir);
		}
	}
	fprintf(stderr, "\r%30s\r", "");
}

static void print_row_a(const struct part_a *a, enum config c, uint64_t records)
{
	double cpu = med_of(a, c, f_cpu);

	printf("%-32s %8.3f %7.3f %7.3f %8.3f %12.0f %9.0f", configs[c].name, cpu / 1e9,
	       med_of(a, c, f_user) / 1e9, med_of(a, c, f_sys) / 1e9, med_of(a, c, f_wall) / 1e9,
	       (double)records / (cpu / 1e9), cpu / (double)records);
	if (c == CF_GZIP1)
		printf(" %10s\n", "1.00x");
	else
		printf(" %9.2fx\n", ratio(a, c, f_cpu));
}

static void check_row(const char *what, const char *target, const char *measured,
		      const char *result)
{
	printf("%-44s %-14s %-30s %s\n", what, target, measured, result);
}

static void print_part_a(const struct part_a *a, const struct traffic *t)
{
	uint64_t n = a->capture.records;
	double whole = med_of(a, CF_STORE6, f_cpu), enc = med_of(a, CF_ENCODE, f_cpu);
	double comp = med_of(a, CF_COMPRESS6, f_cpu), q = ratio(a, CF_STORE6, f_cpu);
	double rate = (double)n / (whole / 1e9);
	char m[64], tg[32];

	printf("%llu records (%llu Open, %llu Read) from %llu events (+ %d process, %llu "
	       "file-gone), %.1f MB of JSON (%.0f bytes a record); %d interleaved rounds, "
	       "medians\n",
	       (unsigned long long)n, (unsigned long long)a->capture.n[K_OPEN],
	       (unsigned long long)a->capture.n[K_READ], (unsigned long long)t->events, t->n_procs,
	       (unsigned long long)(t->events - t->opens - t->reads - (uint64_t)t->n_procs),
	       (double)a->capture.json_bytes / 1e6, (double)a->capture.json_bytes / (double)n,
	       a->rounds);
	printf("%-32s %8s %7s %7s %8s %12s %9s %10s\n", "run", "CPU s", "user", "sys", "wall s",
	       "records/s", "ns/record", "CPU/gzip-1");
	for (int c = 0; c < CF_N; c++)
		print_row_a(a, (enum config)c, n);
	printf("CPU of the whole pipeline (level 6): decode+enrich+encode %.0f%%, compress %.0f%%, "
	       "seal+chain+write+fsync %.0f%% (differences of medians: within noise one can be "
	       "below 0)\n", 100 * enc / whole, 100 * (comp - enc) / whole,
	       100 * (whole - comp) / whole);
	printf("\n");
	check_row("check", "target", "measured", "result");
	snprintf(tg, sizeof(tg), "<= %.1fx", TARGET_RATIO);
	snprintf(m, sizeof(m), "%.2fx (wall %.2fx)", q, ratio(a, CF_STORE6, f_wall));
	check_row("whole pipeline CPU / gzip -1 CPU, level 6", tg, m,
		  q <= TARGET_RATIO ? "PASS" : "FAIL");
	snprintf(m, sizeof(m), "%.2fx (wall %.2fx)", ratio(a, CF_STORE1, f_cpu),
		 ratio(a, CF_STORE1, f_wall));
	check_row("whole pipeline CPU / gzip -1 CPU, level 1", tg, m,
		  ratio(a, CF_STORE1, f_cpu) <= TARGET_RATIO ? "PASS (reference)"
							     : "FAIL (reference)");
	snprintf(tg, sizeof(tg), ">= %.0f/s", TARGET_RATE);
	snprintf(m, sizeof(m), "%.0f/s", rate);
	check_row("records/s on one core, level 6", tg, m, rate >= TARGET_RATE ? "PASS" : "FAIL");
	snprintf(m, sizeof(m), "%s, %llu records, %llu members",
		 a->vr.status == PA_VERIFY_OK ? "OK" : "see below",
		 (unsigned long long)a->vr.records, (unsigned long long)a->vr.members);
	check_row("the store's log verifies (last level-6 run)", "OK", m,
		  a->vr.status == PA_VERIFY_OK && a->vr.records == n ? "PASS" : "FAIL");
	if (a->vr.status != PA_VERIFY_OK)
		printf("  verify: %s\n", a->vr.problem);
	check_row("it holds the JSON gzip compressed, exactly", "same bytes",
		  a->same_json ? "same bytes (CRC-32, length)" : "differs",
		  a->same_json ? "PASS" : "FAIL");
	if (a->r[CF_STORE6][0].decode_errors || a->r[CF_STORE6][0].unknown_open)
		printf("WARNING: %llu decode errors, %llu Read records without their open\n",
		       (unsigned long long)a->r[CF_STORE6][0].decode_errors,
		       (unsigned long long)a->r[CF_STORE6][0].unknown_open);
}

/* ---- B: bytes on disk per record ---- */

struct part_b {
	struct run read6, read1, open6, open1;
};

static void run_b(const struct traffic *t, struct run *r, int level, unsigned keep)
{
	*r = (struct run){ .stage = ST_STORE, .level = level, .keep = keep };
	run_pipeline(t, r);
	remove_tree(r->dir);
}

static double per_rec(uint64_t bytes, uint64_t records)
{
	return records ? (double)bytes / (double)records : 0;
}

static void print_b_row(const char *what, const struct run *l6, const struct run *l1)
{
	printf("%-34s %10llu %12.1f %13.1f %13.1f %10.1fx\n", what,
	       (unsigned long long)l6->records, per_rec(l6->json_bytes, l6->records),
	       per_rec(l6->disk_bytes, l6->records), per_rec(l1->disk_bytes, l1->records),
	       (double)l6->json_bytes / (double)(l6->disk_bytes ?: 1));
}

static void print_part_b(const struct part_a *a, const struct part_b *b)
{
	const struct run *m6 = &a->r[CF_STORE6][a->rounds - 1], *m1 = &a->r[CF_STORE1][a->rounds - 1];
	double r6 = per_rec(b->read6.disk_bytes, b->read6.records);
	double r1 = per_rec(b->read1.disk_bytes, b->read1.records);
	char m[64], tg[32];

	printf("every byte of the *.json.gz files (members, seals, gzip headers; %d-byte seal "
	       "per member) over the records in them\n", PA_SEAL_MEMBER_LEN);
	printf("%-34s %10s %12s %13s %13s %11s\n", "records stored", "records", "JSON B/rec",
	       "disk B/rec L6", "disk B/rec L1", "ratio L6");
	print_b_row("Read records only", &b->read6, &b->read1);
	print_b_row("Open records only", &b->open6, &b->open1);
	print_b_row("both (part A's runs)", m6, m1);
	printf("%-34s %10llu %12s %13.1f %13.1f\n", "a Read in the mix: (both - Opens)/Reads",
	       (unsigned long long)b->read6.records, "",
	       per_rec(m6->disk_bytes - b->open6.disk_bytes, b->read6.records),
	       per_rec(m1->disk_bytes - b->open1.disk_bytes, b->read1.records));
	printf("(level 6: %llu files, %.0f records a member; JSON of a Read record %.0f B, of an "
	       "Open record %.0f B)\n", (unsigned long long)m6->files,
	       (double)m6->records / (double)(a->vr.members ?: 1),
	       per_rec(a->capture.bytes[K_READ], a->capture.n[K_READ]),
	       per_rec(a->capture.bytes[K_OPEN], a->capture.n[K_OPEN]));
	printf("\n");
	check_row("check", "target", "measured", "result");
	snprintf(tg, sizeof(tg), "<= %.0f B", TARGET_READ_BYTES);
	snprintf(m, sizeof(m), "%.1f B", r6);
	check_row("a Read record on disk, level 6 (default)", tg, m,
		  r6 <= TARGET_READ_BYTES ? "PASS" : "FAIL");
	snprintf(m, sizeof(m), "%.1f B", r1);
	check_row("a Read record on disk, level 1", tg, m,
		  r1 <= TARGET_READ_BYTES ? "PASS (reference)" : "FAIL (reference)");
}

/* ---- C: the real agent at a steady rate ---- */

struct part_c {
	char watch[128], log[128], keyfile[128], jsonl[128];
	pid_t agent_pid;
	char (*paths)[192];
	int n_paths;
	uint64_t accesses, bytes_read, window_ns, max_lag_ns;
	uint64_t agent_cpu_ns, agent_user_ns, agent_sys_ns, agent_sched_ns;
	uint64_t sweeps, sweep_us_mean, sweep_us_max; /* from the Stop record */
	struct bench_agent agent;
	struct bench_summary s;
	struct pa_verify_result vr;
	uint64_t disk_bytes, files;
};

static void make_dirs(const char *path)
{
	char p[256];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST)
			die("mkdir %s: %s", p, strerror(errno));
		*s = '/';
	}
	if (mkdir(p, 0755) && errno != EEXIST)
		die("mkdir %s: %s", p, strerror(errno));
}

/* WATCH/patients/P000000/chart-0.csv ...: @files small CSV files, on disk. */
static void make_files(struct part_c *c, int files)
{
	char text[C_FILE_SIZE], dir[160];
	int fd;

	memset(text, 'x', sizeof(text));
	for (int i = 0; i + 1 < (int)sizeof(text); i += 64)
		text[i] = '\n';
	c->paths = calloc((size_t)files, sizeof(*c->paths));
	if (!c->paths)
		die("out of memory");
	for (int i = 0; i < files; i++) {
		int patient = i / C_FILES_PER_PATIENT, chart = i % C_FILES_PER_PATIENT;

		snprintf(dir, sizeof(dir), "%s/patients/P%06d", c->watch, patient);
		if (chart == 0)
			make_dirs(dir);
		snprintf(c->paths[i], sizeof(c->paths[i]), "%s/chart-%d.csv", dir, chart);
		write_text(c->paths[i], text, sizeof(text));
	}
	c->n_paths = files;
	fd = open(c->watch, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || syncfs(fd))
		die("syncfs %s: %s", c->watch, strerror(errno));
	close(fd);
}

/* `phiauditd --init-key --log-dir DIR > KEYFILE` */
static void init_key(const char *exe, const struct part_c *c)
{
	const char *argv[] = { exe, "--init-key", "--log-dir", c->log, NULL };
	int status, null;
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(c->keyfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

		null = open("/dev/null", O_WRONLY);
		if (fd < 0 || null < 0 || dup2(fd, STDOUT_FILENO) < 0 || dup2(null, STDERR_FILENO) < 0)
			_exit(127);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		die("%s --init-key --log-dir %s failed (status 0x%x)", exe, c->log, status);
}

/* bench_agent_start, with --log-dir DIR instead of --jsonl and no store. */
static void start_agent(struct part_c *c, const char *exe)
{
	const char *argv[] = { exe, "--watch", c->watch, "--log-dir", c->log, "--run-dir", "none",
			       NULL };
	struct bench_agent *a = &c->agent;
	char err[4096], ignored[4096];
	int fds[2];

	memset(a, 0, sizeof(*a));
	if (pipe2(fds, O_CLOEXEC))
		die("pipe: %s", strerror(errno));
	a->pid = fork();
	if (a->pid == 0)
		bench_agent_child(argv, fds[1]);
	close(fds[1]);
	a->err_fd = fds[0];
	if (a->pid < 0)
		die("fork: %s", strerror(errno));
	if (bench_agent_wait_ready(a, err, sizeof(err))) {
		bench_agent_stop(a, ignored, sizeof(ignored));
		die("agent %s failed to start: %s", exe, err);
	}
}

/* utime and stime of @pid from /proc/PID/stat (ns, in clock-tick steps). */
static void proc_times(pid_t pid, uint64_t *ut, uint64_t *st)
{
	unsigned long long u = 0, s = 0;
	char path[64], buf[1024], *p;
	uint64_t tick = 1000000000ULL / (uint64_t)sysconf(_SC_CLK_TCK);
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &u,
			 &s) != 2)
		die("%s: cannot read the agent's CPU times", path);
	*ut = (uint64_t)u * tick;
	*st = (uint64_t)s * tick;
}

static void pace(uint64_t target)
{
	struct timespec ts = { .tv_sec = (time_t)(target / 1000000000ULL),
			       .tv_nsec = (long)(target % 1000000000ULL) };

	if (bench_now_ns() < target)
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* Open, read once, close, @rate times a second for @seconds (16 at a
 * time between looks at the clock); the agent's CPU over the window. */
static void run_accesses(struct part_c *c, double rate, double seconds)
{
	uint64_t n = (uint64_t)(rate * seconds), gap = (uint64_t)(1e9 / rate), t0, ut0, st0, ut1,
		 st1, sched0;
	static char buf[C_FILE_SIZE * 2];

	proc_times(c->agent.pid, &ut0, &st0);
	sched0 = bench_cpu_ns(c->agent.pid);
	t0 = bench_now_ns();
	for (uint64_t i = 0; i < n; i++) {
		ssize_t got;
		int fd;

		if (i % 16 == 0) {
			uint64_t now = bench_now_ns(), due = t0 + i * gap;

			if (now > due && now - due > c->max_lag_ns)
				c->max_lag_ns = now - due;
			pace(due);
		}
		fd = open(c->paths[i % (uint64_t)c->n_paths], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("open %s: %s", c->paths[i % (uint64_t)c->n_paths], strerror(errno));
		got = read(fd, buf, sizeof(buf));
		if (got < 0)
			die("read: %s", strerror(errno));
		c->bytes_read += (uint64_t)got;
		close(fd);
		c->accesses++;
	}
	c->window_ns = bench_now_ns() - t0;
	proc_times(c->agent.pid, &ut1, &st1);
	c->agent_sched_ns = bench_cpu_ns(c->agent.pid) - sched0;
	c->agent_user_ns = ut1 - ut0;
	c->agent_sys_ns = st1 - st0;
	c->agent_cpu_ns = c->agent_user_ns + c->agent_sys_ns;
}

static void add_file(void *ctx, const char *buf, size_t len)
{
	fwrite(buf, 1, len, ctx);
}

/* The log as JSONL, for bench_summarise. */
static void log_to_jsonl(const struct part_c *c)
{
	FILE *out = fopen(c->jsonl, "we");

	if (!out)
		die("%s: %s", c->jsonl, strerror(errno));
	read_logs(c->log, add_file, out);
	if (fclose(out))
		die("%s: %s", c->jsonl, strerror(errno));
}

/* The sweep's cost, from the agent's Stop record. */
static void read_stop(struct part_c *c)
{
	FILE *f = fopen(c->jsonl, "re");
	char *line = NULL;
	size_t cap = 0;

	if (!f)
		die("%s: %s", c->jsonl, strerror(errno));
	while (getline(&line, &cap, f) > 0)
		if (strstr(line, "\"activity_name\":\"Stop\"")) {
			c->sweeps = bench_json_u64(line, "sweeps");
			c->sweep_us_mean = bench_json_u64(line, "sweep_us_mean");
			c->sweep_us_max = bench_json_u64(line, "sweep_us_max");
		}
	free(line);
	fclose(f);
}

static void run_part_c(struct part_c *c, const struct opts *o)
{
	uint8_t key[PA_CHAIN_KEY_LEN];
	char err[4096];

	snprintf(c->watch, sizeof(c->watch), "%s/c/srv/phi", root);
	snprintf(c->log, sizeof(c->log), "%s/c/log", root);
	snprintf(c->keyfile, sizeof(c->keyfile), "%s/c/chain.key", root);
	snprintf(c->jsonl, sizeof(c->jsonl), "%s/c/log.jsonl", root);
	make_dirs(c->watch);
	make_files(c, o->files); /* and syncfs: nothing of A and B left to write back */
	init_key(o->exe, c);
	start_agent(c, o->exe);
	c->agent_pid = c->agent.pid;
	fprintf(stderr, "C: %.0f accesses/s for %.0f s under the agent ...", o->rate, o->seconds);
	run_accesses(c, o->rate, o->seconds);
	fprintf(stderr, "\r%60s\r", "");
	if (bench_agent_stop(&c->agent, err, sizeof(err)))
		die("agent: %s", err);
	if (pa_read_key_file(c->keyfile, key, err, sizeof(err)))
		die("%s", err);
	pa_verify_dir(c->log, key, NULL, NULL, &c->vr);
	c->disk_bytes = log_bytes(c->log, &c->files);
	log_to_jsonl(c);
	if (bench_summarise(c->jsonl, getpid(), &c->s))
		die("%s: %s", c->jsonl, strerror(errno));
	read_stop(c);
}

static void print_part_c(const struct part_c *c, const struct part_a *a, const struct opts *o)
{
	double pct = 100.0 * (double)c->agent_cpu_ns / (double)c->window_ns;
	double spct = 100.0 * (double)c->agent_sched_ns / (double)c->window_ns;
	double inproc = 100.0 * med_of(a, CF_STORE6, f_cpu) / (double)a->capture.records * 2 *
			(double)c->accesses / (double)c->window_ns;
	const struct bench_summary *s = &c->s;
	uint64_t n = c->accesses;
	char m[96], tg[32];

	printf("agent pid %d (hook %s) on CPU %d, --log-dir (defaults: level 6, a member per 1 s "
	       "or 8 MiB); workload on CPU %d: %llu accesses (open, one read of %d bytes, close) "
	       "of %d files in %.2f s "
	       "= %.0f/s, at most %.1f ms behind schedule\n", (int)c->agent_pid, c->agent.hook,
	       BENCH_AGENT_CPU, BENCH_WORK_CPU, (unsigned long long)n, C_FILE_SIZE, c->n_paths,
	       c->window_ns / 1e9, (double)n / (c->window_ns / 1e9), c->max_lag_ns / 1e6);
	printf("agent CPU over the workload's window: utime+stime of /proc/%d/stat (clock ticks) "
	       "and schedstat's run time (ns)\n", (int)c->agent_pid);
	check_row("check", "target", "measured", "result");
	snprintf(tg, sizeof(tg), "%.0f/s", o->rate);
	snprintf(m, sizeof(m), "%.0f/s", (double)n / (c->window_ns / 1e9));
	check_row("access rate achieved", tg, m,
		  (double)n / (c->window_ns / 1e9) >= 0.95 * o->rate ? "PASS" : "FAIL");
	snprintf(m, sizeof(m), "%.2f%% (%.2f s in %.2f s)", pct, c->agent_cpu_ns / 1e9,
		 c->window_ns / 1e9);
	check_row("agent CPU, /proc/PID/stat utime+stime", "report", m, "-");
	snprintf(m, sizeof(m), "%.2f%% + %.2f%%", 100.0 * (double)c->agent_user_ns / (double)c->window_ns,
		 100.0 * (double)c->agent_sys_ns / (double)c->window_ns);
	check_row("  of which user + system", "report", m, "-");
	snprintf(m, sizeof(m), "%.2f%%", spct);
	check_row("agent CPU, /proc/PID/schedstat", "report", m, "-");
	snprintf(m, sizeof(m), "%.2f%% (A's level-6 run, per record)", inproc);
	check_row("  the same records in process (part A)", "reference", m, "-");
	snprintf(tg, sizeof(tg), "%llu", (unsigned long long)n);
	snprintf(m, sizeof(m), "%llu", (unsigned long long)s->open_records);
	check_row("Open records of the workload", tg, m, s->open_records == n ? "PASS" : "FAIL");
	snprintf(m, sizeof(m), "%llu", (unsigned long long)s->read_final);
	check_row("final Read records of the workload", tg, m, s->read_final == n ? "PASS" : "FAIL");
	snprintf(tg, sizeof(tg), "%llu", (unsigned long long)c->bytes_read);
	snprintf(m, sizeof(m), "%llu", (unsigned long long)s->bytes_read);
	check_row("bytes_read summed (final Reads)", tg, m,
		  s->bytes_read == c->bytes_read ? "PASS" : "FAIL");
	snprintf(m, sizeof(m), "%llu Loss records, %llu lost", (unsigned long long)s->loss_records,
		 (unsigned long long)s->lost);
	check_row("losses (Loss records, Stop counters)", "0", m,
		  s->loss_records == 0 && bench_no_loss(s) ? "PASS" : "FAIL");
	snprintf(m, sizeof(m), "%s, %llu records, %llu members",
		 c->vr.status == PA_VERIFY_OK ? "OK" : "see below",
		 (unsigned long long)c->vr.records, (unsigned long long)c->vr.members);
	check_row("the chain verifies from the initial key", "OK", m,
		  c->vr.status == PA_VERIFY_OK ? "PASS" : "FAIL");
	if (c->vr.status != PA_VERIFY_OK)
		printf("  verify: %s\n", c->vr.problem);
	printf("for reference: %.1f bytes on disk a record in the agent's log (%llu bytes, %llu "
	       "file(s)); agent CPU from ready to exit %.2f s, stop (drain, last member) %.2f s; "
	       "%llu sweeps of the read accounts, %llu us each on average, at most %llu us\n",
	       per_rec(c->disk_bytes, c->vr.records), (unsigned long long)c->disk_bytes,
	       (unsigned long long)c->files, c->agent.cpu_run_ns / 1e9, c->agent.stop_ns / 1e9,
	       (unsigned long long)c->sweeps, (unsigned long long)c->sweep_us_mean,
	       (unsigned long long)c->sweep_us_max);
	if (s->other_opens || s->other_reads)
		printf("(note: %llu Open and %llu Read records of other processes, not counted)\n",
		       (unsigned long long)s->other_opens, (unsigned long long)s->other_reads);
}

/* ---- set-up ---- */

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_pipeline [--agent PATH] [--records N] [--rounds N] [--rate N]\n"
		"                      [--seconds S] [--files N]\n"
		"  --agent PATH   phiauditd for part C (default build/phiauditd)\n"
		"  --records N    A, B: records a run (default 200000)\n"
		"  --rounds N     A: interleaved rounds, 1-%d (default 5)\n"
		"  --rate N       C: accesses a second (default 10000)\n"
		"  --seconds S    C: for how long (default 10); 0: no part C\n"
		"  --files N      C: watched files accessed in turn (default 1000)\n"
		"example: sudo build/bench/bench_pipeline --records 400000 --rounds 3\n",
		MAX_ROUNDS);
	exit(2);
}

static void parse_args(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "records", required_argument, NULL, 'n' },
		{ "rounds", required_argument, NULL, 'r' },
		{ "rate", required_argument, NULL, 'R' },
		{ "seconds", required_argument, NULL, 's' },
		{ "files", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	*o = (struct opts){ .exe = "build/phiauditd", .records = 200000, .rounds = 5,
			    .rate = 10000, .seconds = 10, .files = 1000 };
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'a': o->exe = optarg; break;
		case 'n': o->records = strtoull(optarg, NULL, 10); break;
		case 'r': o->rounds = atoi(optarg); break;
		case 'R': o->rate = atof(optarg); break;
		case 's': o->seconds = atof(optarg); break;
		case 'f': o->files = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc || o->records < 2 || o->rounds < 1 || o->rounds > MAX_ROUNDS ||
	    !(o->rate > 0) || !(o->seconds >= 0) || o->files < 1 || o->files > 100000)
		usage();
}

int main(int argc, char **argv)
{
	static struct part_a a;
	static struct part_b b;
	static struct part_c c;
	struct traffic t;
	struct opts o;
	int cpu;

	bench_progname = pa_progname = "bench_pipeline";
	parse_args(&o, argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (o.seconds > 0 && access(o.exe, X_OK))
		die("agent %s: %s (run 'make' first)", o.exe, strerror(errno));
	snprintf(root, sizeof(root), "/tmp/phiaudit-bench-pipeline.XXXXXX");
	if (!mkdtemp(root))
		die("mkdtemp: %s", strerror(errno));
	atexit(remove_root);
	cpu = bench_pin(BENCH_WORK_CPU);
	clock_offset = pa_clock_offset_now();
	make_traffic(&t, o.records);
	a.rounds = o.rounds;

	printf("A. the pipeline in process on CPU %d (fake clock: 10,000 records/s; a member "
	       "closes at 1 s or 8 MiB, the store's defaults; the store on %s, real fsync)\n", cpu,
	       root);
	printf("per event, as userspace/agent.c does it (the same enrich.c): decode, paths, user and "
	       "group names, process details (exe, command line, tty, ancestry), cgroup "
	       "(container, unit), opens table, OCSF JSON; enrichment the agent does not do yet is "
	       "not measured\n");
	run_part_a(&t, &a);
	unlink(a.json); /* 400 MB that C must not see written back */
	print_part_a(&a, &t);

	printf("\nB. bytes on disk per record (the same traffic; part B stores only the "
	       "records named)\n");
	run_b(&t, &b.read6, 6, 1u << K_READ);
	run_b(&t, &b.read1, 1, 1u << K_READ);
	run_b(&t, &b.open6, 6, 1u << K_OPEN);
	run_b(&t, &b.open1, 1, 1u << K_OPEN);
	print_part_b(&a, &b);

	if (o.seconds > 0) {
		printf("\nC. the agent at %.0f accesses/s (%.0f records/s) for %.0f s\n", o.rate,
		       2 * o.rate, o.seconds);
		run_part_c(&c, &o);
		print_part_c(&c, &a, &o);
	}
	free(t.buf);
	free(t.live);
	return 0;
}
