/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The log the CLI's golden tests read, made by the agent's own writer: the
 * real store (store.h, clock and file writes injected) holding records from
 * the real encoder (recgen.h). Three runs of the agent on host db1:
 *
 *   run 1  14:00-14:05 UTC, 2026-11-23: a login shell's cat and sudo'd
 *          python3, a denied open, a cp of a Latin-1 name and of a file
 *          named =HYPERLINK("x","y"), the EHR's gunicorn reading a 150 MiB
 *          scan, a Loss record; a clean Stop. Small files: several rotations.
 *   run 2  15:00-15:02: tar reading four patients' charts, its bulk-read
 *          alert; then killed (a forked writer _exits): no Stop, 300 bytes
 *          of an unfinished member left behind
 *   run 3  16:00-16:20: recovered (Log Recovered, a .partial file), a spell
 *          of failed writes that loses a member (Log Write Resumed, a
 *          sequence gap), less reading a chart; a clean Stop
 *
 * Then a member of run 1 is damaged (its CRC: gunicorn's open and first read
 * report), and beside the log:
 * remote/db2.jsonl, a collector's plain file from host db2 with a syslog
 * header on one line and one line that is not JSON; empty/, a directory
 * without log files.
 */
#ifndef PHIAUDIT_TESTS_CLI_FIXTURE_H
#define PHIAUDIT_TESTS_CLI_FIXTURE_H

#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gzmember.h"
#include "recgen.h"
#include "sink.h"
#include "store.h"

#define FX_T0	(1795442400ULL * RG_NS_S) /* 2026-11-23T14:00:00Z */
#define FX_MIN	(60ULL * RG_NS_S)
#define FX_LOG_ID "5d93627d852fbd62b6b00e621f28d023"

struct fx_writes { /* file writes that fail on demand */
	bool fail;
};

struct cli_fx {
	char root[64], logs[96], remote[96], empty[96];
	uint64_t now; /* the store's clock */
	struct fx_writes io_state;
	struct pa_store_io io;
	struct pa_store_config cfg;
	struct pa_sink *store;
	struct rg g;
};

static ssize_t fx_pwrite(void *ctx, int fd, const void *buf, size_t len, off_t off)
{
	if (((struct fx_writes *)ctx)->fail) {
		errno = ENOSPC;
		return -1;
	}
	return pwrite(fd, buf, len, off);
}

static int fx_fsync(void *ctx, int fd)
{
	return fsync(fd);
}

static uint64_t fx_clock(void *ctx)
{
	return ((struct cli_fx *)ctx)->now;
}

/* ---- the processes ---- */

#define ARGS(lit) (lit), sizeof(lit) - 1
#define ANC(p, n, e, t) { .pid = (p), .name = (n), .exe = (e), .exe_len = sizeof(e) - 1, .start_ns = (t) }

static const struct rg_proc fx_bash = {
	1100, 1000, 1000, 1000, 1000, 69, "bash", "/usr/bin/bash", ARGS("-bash\0"),
	FX_T0 - 10 * FX_MIN, "drsmith", "drsmith", "drsmith", 2,
	{ ANC(1000, "sshd", "/usr/sbin/sshd", FX_T0 - 11 * FX_MIN), ANC(1, "systemd", "/usr/lib/systemd/systemd", 1795400000ULL * RG_NS_S) },
};
static const struct rg_proc fx_cat = {
	1200, 1100, 0, 0, 1000, 69, "cat", "/usr/bin/cat", ARGS("cat\0/srv/phi/patients/1234/chart.txt\0"),
	FX_T0 + 5 * RG_NS_S, "root", "root", "drsmith", 3,
	{ ANC(1100, "bash", "/usr/bin/bash", FX_T0 - 10 * FX_MIN), ANC(1000, "sshd", "/usr/sbin/sshd", FX_T0 - 11 * FX_MIN),
	  ANC(1, "systemd", "/usr/lib/systemd/systemd", 1795400000ULL * RG_NS_S) },
};
static const struct rg_proc fx_python = {
	1310, 1300, 0, 0, 1000, 69, "python3", "/usr/bin/python3.11", ARGS("python3\0export.py\0"),
	FX_T0 + FX_MIN, "root", "root", "drsmith", 4,
	{ ANC(1300, "sudo", "/usr/bin/sudo", FX_T0 + FX_MIN - RG_NS_S), ANC(1100, "bash", "/usr/bin/bash", FX_T0 - 10 * FX_MIN),
	  ANC(1000, "sshd", "/usr/sbin/sshd", FX_T0 - 11 * FX_MIN), ANC(1, "systemd", "/usr/lib/systemd/systemd", 1795400000ULL * RG_NS_S) },
};
static const struct rg_proc fx_denied_cat = {
	1250, 1100, 1000, 1000, 1000, 69, "cat", "/usr/bin/cat", ARGS("cat\0secret\0"),
	FX_T0 + 90 * RG_NS_S, "drsmith", "drsmith", "drsmith", 1,
	{ ANC(1100, "bash", "/usr/bin/bash", FX_T0 - 10 * FX_MIN) },
};
static const struct rg_proc fx_cp = {
	1400, 1100, 1000, 1000, 1000, 69, "cp", "/usr/bin/cp", ARGS("cp\0-r\0imports\0/tmp/x\0"),
	FX_T0 + 2 * FX_MIN, "drsmith", "drsmith", "drsmith", 1,
	{ ANC(1100, "bash", "/usr/bin/bash", FX_T0 - 10 * FX_MIN) },
};
static const struct rg_proc fx_gunicorn = {
	2000, 1, 998, 998, (uint32_t)-1, (uint32_t)-1, "gunicorn", "/srv/ehr/venv/bin/python3.11",
	ARGS("/srv/ehr/venv/bin/python3.11\0/srv/ehr/venv/bin/gunicorn\0ehr.wsgi\0"),
	1795440000ULL * RG_NS_S, "ehr", "ehr", NULL, 1,
	{ ANC(1, "systemd", "/usr/lib/systemd/systemd", 1795400000ULL * RG_NS_S) },
};
static const struct rg_proc fx_tar = {
	3100, 3000, 0, 0, 1000, 71, "tar", "/usr/bin/tar", ARGS("tar\0czf\0/tmp/p.tgz\0patients\0"),
	FX_T0 + 60 * FX_MIN + 50 * RG_NS_S, "root", "root", "drsmith", 2,
	{ ANC(3000, "bash", "/usr/bin/bash", FX_T0 + 60 * FX_MIN), ANC(1, "systemd", "/usr/lib/systemd/systemd", 1795400000ULL * RG_NS_S) },
};
static const struct rg_proc fx_less = {
	4100, 4000, 1000, 1000, 1000, 72, "less", "/usr/bin/less", ARGS("less\0chart.txt\0"),
	FX_T0 + 130 * FX_MIN, "drsmith", "drsmith", "drsmith", 1,
	{ ANC(4000, "bash", "/usr/bin/bash", FX_T0 + 129 * FX_MIN) },
};

/* ---- writing ---- */

static void fx_put(struct cli_fx *f)
{
	if (f->store->ops->write(f->store, f->g.w.buf, f->g.w.len, f->g.seq - 1, LOG_INFO))
		abort();
}

/* Close the member at time @t (the agent's flush interval has passed). */
static void fx_flush(struct cli_fx *f, uint64_t t)
{
	f->now = t;
	f->store->ops->flush(f->store);
}

static void fx_open_store(struct cli_fx *f, uint64_t t)
{
	char err[512];
	struct pa_store_stats st;

	f->now = t;
	f->store = pa_store_open(&f->cfg, err, sizeof(err));
	if (!f->store) {
		fprintf(stderr, "fixture: %s\n", err);
		abort();
	}
	pa_store_get_stats(f->store, &st);
	f->g.seq = st.last_seq + 1; /* record numbers run on, as in the agent */
	f->g.event_seq = 1;
}

/* A Start record, then what the store found at open, as the agent does. */
static void fx_begin_run(struct cli_fx *f, uint64_t t)
{
	struct pa_store_event ev;

	fx_open_store(f, t);
	rg_start(&f->g, t + 50 * RG_NS_MS, 4000 + (uint32_t)(t / RG_NS_S % 1000));
	fx_put(f);
	while (pa_store_next_event(f->store, &ev)) {
		pa_jw_reset(&f->g.w);
		pa_ocsf_store_event(&f->g.w, &f->g.host, t + 60 * RG_NS_MS, f->g.seq++, &ev);
		fx_put(f);
	}
}

/* An open and its account's final read, @bytes in @calls, @dt after. */
static void fx_access(struct cli_fx *f, const struct rg_proc *p, const char *rel, uint64_t t,
		      uint64_t bytes, uint64_t calls, uint64_t account)
{
	struct rg_account a = { 0, account, bytes, calls, t + 1 * RG_NS_MS, t + 2 * RG_NS_MS };

	a.open_seq = rg_open(&f->g, p, rel, 0, t);
	fx_put(f);
	rg_read(&f->g, p, rel, &a, PA_READ_CLOSE);
	fx_put(f);
}

static void fx_run1(struct cli_fx *f)
{
	static const char latin1[] = "imports/caf\xe9.csv", formula[] = "imports/=HYPERLINK(\"x\",\"y\")";
	struct rg_account scan = { 0, 7, 64ULL << 20, 64, FX_T0 + 150 * RG_NS_S, FX_T0 + 151 * RG_NS_S };
	struct rg_account labs = { 0, 3, 2000, 2, FX_T0 + 61 * RG_NS_S, FX_T0 + 62 * RG_NS_S };

	fx_begin_run(f, FX_T0);
	fx_access(f, &fx_cat, "patients/1234/chart.txt", FX_T0 + 5 * RG_NS_S, 6183, 2, 1);
	fx_flush(f, FX_T0 + 6 * RG_NS_S);
	labs.open_seq = rg_open(&f->g, &fx_python, "patients/1234/labs.csv", 0, FX_T0 + 61 * RG_NS_S);
	fx_put(f);
	rg_read(&f->g, &fx_python, "patients/1234/labs.csv", &labs, PA_READ_PROGRESS);
	fx_put(f);
	fx_access(f, &fx_python, "patients/5678/chart.txt", FX_T0 + 63 * RG_NS_S, 9000, 3, 4);
	fx_flush(f, FX_T0 + 64 * RG_NS_S);
	rg_open(&f->g, &fx_denied_cat, "secret", EACCES, FX_T0 + 90 * RG_NS_S);
	fx_put(f);
	fx_access(f, &fx_cp, latin1, FX_T0 + 120 * RG_NS_S, 512, 2, 5);
	fx_access(f, &fx_cp, formula, FX_T0 + 121 * RG_NS_S, 64, 2, 6);
	fx_flush(f, FX_T0 + 122 * RG_NS_S);
	scan.open_seq = rg_open(&f->g, &fx_gunicorn, "patients/5678/imaging/scan.dcm", 0, FX_T0 + 150 * RG_NS_S);
	fx_put(f);
	rg_read(&f->g, &fx_gunicorn, "patients/5678/imaging/scan.dcm", &scan, PA_READ_PROGRESS);
	fx_put(f);
	fx_flush(f, FX_T0 + 152 * RG_NS_S);
	scan.bytes = 150ULL << 20, scan.calls = 151, scan.last_ns = FX_T0 + 152 * RG_NS_S;
	rg_read(&f->g, &fx_gunicorn, "patients/5678/imaging/scan.dcm", &scan, PA_READ_CLOSE);
	fx_put(f);
	rg_loss(&f->g, FX_T0 + 3 * FX_MIN, 12);
	fx_put(f);
	fx_flush(f, FX_T0 + 3 * FX_MIN + RG_NS_S);
	labs.bytes = 2471, labs.calls = 3, labs.last_ns = FX_T0 + 4 * FX_MIN;
	rg_read(&f->g, &fx_python, "patients/1234/labs.csv", &labs, PA_READ_CLOSE);
	fx_put(f);
	rg_stop(&f->g, FX_T0 + 5 * FX_MIN);
	fx_put(f);
	fx_flush(f, FX_T0 + 5 * FX_MIN + RG_NS_S);
	f->store->ops->close(f->store);
}

/* Run 2 in a child that dies without closing the store, as a kill -9
 * leaves it; then the first 300 bytes of a member, as a write cut short. */
static void fx_run2_killed(struct cli_fx *f)
{
	static const char *const charts[] = { "patients/1234/chart.txt", "patients/5678/chart.txt",
					      "patients/9012/chart.txt", "patients/3456/chart.txt" };
	static const char *const full[] = { "/srv/phi/patients/1234/chart.txt",
					    "/srv/phi/patients/5678/chart.txt",
					    "/srv/phi/patients/9012/chart.txt",
					    "/srv/phi/patients/3456/chart.txt" };
	const char *samples[4];
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		fx_begin_run(f, FX_T0 + 60 * FX_MIN);
		for (int i = 0; i < 4; i++) {
			fx_access(f, &fx_tar, charts[i], FX_T0 + 61 * FX_MIN + (uint64_t)i * RG_NS_S,
				  4096 + (uint64_t)i, 2, 1 + (uint64_t)i);
			samples[i] = full[3 - i];
		}
		rg_alert(&f->g, &fx_tar, FX_T0 + 61 * FX_MIN + 5 * RG_NS_S, 4, samples, 4);
		fx_put(f);
		fx_flush(f, FX_T0 + 62 * FX_MIN);
		fx_access(f, &fx_tar, "patients/7777/chart.txt", FX_T0 + 62 * FX_MIN, 10, 1, 9);
		_exit(0); /* the last access never reaches the disk */
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		abort();
}

/* The store's files, in name order: the last is the active one. */
static void fx_file(const struct cli_fx *f, size_t idx_from_end, char *out, size_t n)
{
	char **names, **partials;
	size_t count, np;
	int dfd = open(f->logs, O_RDONLY | O_DIRECTORY);

	if (dfd < 0 || pa_store_list(dfd, &names, &count, &partials, &np) || count <= idx_from_end)
		abort();
	snprintf(out, n, "%s/%s", f->logs, names[count - 1 - idx_from_end]);
	pa_store_free_names(names, count);
	pa_store_free_names(partials, np);
	close(dfd);
}

static uint8_t *fx_slurp(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY);
	uint8_t *buf;

	if (fd < 0 || fstat(fd, &st) || !(buf = malloc((size_t)st.st_size + 1)) ||
	    read(fd, buf, (size_t)st.st_size) != st.st_size)
		abort();
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

static void fx_append(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		abort();
	close(fd);
}

/* The first 300 bytes of a member at the end of the active file. */
static void fx_cut_write(struct cli_fx *f)
{
	char path[256];
	size_t len;
	uint8_t *buf;

	fx_file(f, 0, path, sizeof(path));
	buf = fx_slurp(path, &len);
	fx_append(path, buf, len < 300 ? len : 300);
	free(buf);
}

static void fx_store_events(struct cli_fx *f, uint64_t t)
{
	struct pa_store_event ev;

	while (pa_store_next_event(f->store, &ev)) {
		pa_jw_reset(&f->g.w);
		pa_ocsf_store_event(&f->g.w, &f->g.host, t, f->g.seq++, &ev);
		fx_put(f);
	}
}

static void fx_run3(struct cli_fx *f)
{
	uint64_t t = FX_T0 + 120 * FX_MIN;

	f->cfg.pending_max_bytes = 1; /* while writes fail, keep only the newest member */
	fx_begin_run(f, t);
	fx_flush(f, t + RG_NS_S);
	f->io_state.fail = true;
	fx_access(f, &fx_less, "patients/1234/history.txt", t + 5 * FX_MIN, 100, 1, 1);
	fx_flush(f, t + 5 * FX_MIN + RG_NS_S);	/* fails: kept */
	fx_access(f, &fx_less, "patients/1234/notes.txt", t + 6 * FX_MIN, 200, 1, 2);
	fx_flush(f, t + 6 * FX_MIN + RG_NS_S);	/* fails: the older member dropped */
	f->io_state.fail = false;
	fx_flush(f, t + 7 * FX_MIN + RG_NS_S);	/* written again */
	fx_store_events(f, t + 7 * FX_MIN + 2 * RG_NS_S);
	fx_access(f, &fx_less, "patients/1234/chart.txt", t + 10 * FX_MIN, 6183, 2, 3);
	rg_stop(&f->g, t + 20 * FX_MIN);
	fx_put(f);
	fx_flush(f, t + 20 * FX_MIN + RG_NS_S);
	f->store->ops->close(f->store);
}

/* Damage member @member (data members and seals count) of a file: its
 * CRC no longer matches, as a flipped bit on the disk would leave it. */
static void fx_damage(struct cli_fx *f, size_t idx_from_end, int member)
{
	struct pa_gz_member m;
	char path[256], why[160];
	size_t len, off = 0, end;
	uint8_t *buf;
	int fd;

	fx_file(f, idx_from_end, path, sizeof(path));
	buf = fx_slurp(path, &len);
	for (int i = 0; i <= member; i++, off += m.len)
		if (pa_gz_member_read(buf, len, off, &m, NULL, NULL, why, sizeof(why)) != PA_GZ_MEMBER)
			abort();
	end = off - 8; /* the trailer's CRC-32 */
	buf[end] ^= 0xff;
	fd = open(path, O_WRONLY);
	if (fd < 0 || pwrite(fd, buf + end, 1, (off_t)end) != 1)
		abort();
	close(fd);
	free(buf);
}

/* host db2's records as a collector wrote them: one behind a syslog header,
 * one line that is not JSON. */
static void fx_remote(struct cli_fx *f)
{
	static const char header[] = "Nov 23 14:30:01 db2 phiauditd[812]: ";
	char path[160];
	struct rg g;
	FILE *out;

	snprintf(path, sizeof(path), "%s/db2.jsonl", f->remote);
	if (mkdir(f->remote, 0755) || !(out = fopen(path, "w")))
		abort();
	rg_init(&g, "db2", "0f0e0d0c0b0a09080706050403020100");
	rg_start(&g, FX_T0 + 30 * FX_MIN, 812);
	fwrite(g.w.buf, 1, g.w.len, out);
	rg_open(&g, &fx_cat, "patients/1234/chart.txt", 0, FX_T0 + 30 * FX_MIN + RG_NS_S);
	fputs(header, out);
	fwrite(g.w.buf, 1, g.w.len, out);
	fputs("{\"time\":1795444300000,\"truncated by the collector\n", out);
	rg_open(&g, &fx_cp, "imports/caf\xe9.csv", 0, FX_T0 + 31 * FX_MIN);
	fwrite(g.w.buf, 1, g.w.len, out);
	fclose(out);
	rg_free(&g);
}

static int fx_rm(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static void fx_destroy(struct cli_fx *f)
{
	rg_free(&f->g);
	nftw(f->root, fx_rm, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
}

static struct cli_fx *fx_create(void)
{
	struct cli_fx *f = calloc(1, sizeof(*f));
	char err[512], key[2 * PA_CHAIN_KEY_LEN + 1];

	if (!f)
		abort();
	snprintf(f->root, sizeof(f->root), "/tmp/pa-cli-XXXXXX");
	if (!mkdtemp(f->root))
		abort();
	snprintf(f->logs, sizeof(f->logs), "%s/logs", f->root);
	snprintf(f->remote, sizeof(f->remote), "%s/remote", f->root);
	snprintf(f->empty, sizeof(f->empty), "%s/empty", f->root);
	if (mkdir(f->empty, 0755) || pa_store_init_key(f->logs, (gid_t)-1, key, err, sizeof(err)))
		abort();
	f->io = (struct pa_store_io){ fx_pwrite, fx_fsync, &f->io_state };
	pa_store_config_defaults(&f->cfg, f->logs);
	f->cfg.now_ns = fx_clock;
	f->cfg.clock_ctx = f;
	f->cfg.io = &f->io;
	f->cfg.rotate_bytes = 2500; /* a file every few members */
	f->cfg.retain_age_s = 0;
	rg_init(&f->g, "db1", FX_LOG_ID);
	fx_run1(f);
	fx_run2_killed(f);
	fx_cut_write(f);
	fx_run3(f);
	fx_damage(f, 4, 2); /* run 1's second file, its second data member */
	fx_remote(f);
	return f;
}

#endif
