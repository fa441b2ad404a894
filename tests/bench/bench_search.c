// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bench_search: `phiaudit search` over a million records, against
 * `zcat FILES | grep -c P` on the same files in the same run.
 *
 * The log is made once, in a temporary directory, by the agent's own code:
 * records from the OCSF encoder (tests/unit/recgen.h: kernel events through
 * the decoder and path builder, with process details and names), in the
 * real log store (gzip level 6, a member every 200 records, seals, the
 * chain, a file a day). 500,000 accesses (an Open and its final Read each)
 * over ten days by an EHR's workers, a report server, a backup and a
 * clinician, to 50,000 patients' files and an imaging directory.
 *
 * Cases, each timed in interleaved rounds (medians; wall clock, since the
 * two sides of zcat | grep run on two CPUs):
 *   patient    --path /srv/phi/patients/P: a patient read 200 times, about
 *              400 records of 1,000,000;
 *              target <= 1.5x zcat | grep -c over every file
 *   one day    the same, -S/-U one day of the ten: files outside the range
 *              are not opened; target < 1x zcat | grep over every file
 *   imaging    --path /srv/phi/imaging: a tenth of the records match and
 *              are parsed (reference: what json-c costs)
 * Every case checks that phiaudit prints exactly the records the generator
 * wrote (and, over every file, as many as grep counts).
 *
 *   bench_search PHIAUDIT [ROUNDS]        exit 0 whatever the timings; 1 if broken
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "recgen.h"
#include "sink.h"
#include "store.h"

#define ACCESSES 500000
#define DAYS 10
#define PATIENTS 50000
#define MEMBER_RECORDS 200
#define T_START (1793491200ULL * RG_NS_S) /* 2026-11-01T00:00:00Z */
#define DAY_NS (86400ULL * RG_NS_S)
#define HOT_PATIENT 4242
#define MAX_ROUNDS 31
#define TARGET_ALL 1.5
#define TARGET_DAY 1.0

static char root[64];

static void __attribute__((format(printf, 1, 2), noreturn)) die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("bench_search: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	remove(path);
	return 0;
}

static void remove_root(void)
{
	if (root[0] && !getenv("PA_BENCH_KEEP"))
		nftw(root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static uint64_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the log ---- */

#define ARGS(lit) (lit), sizeof(lit) - 1
#define ANC1(p, n, e, t) { { .pid = (p), .name = (n), .exe = (e), .exe_len = sizeof(e) - 1, .start_ns = (t) } }

/* Who reads: % of the accesses, and the process. */
static const struct reader {
	int weight;
	struct rg_proc p;
} readers[] = {
	{ 70, { 21000, 20990, 998, 998, (uint32_t)-1, (uint32_t)-1, "gunicorn", "/srv/ehr/venv/bin/python3.11",
		ARGS("/srv/ehr/venv/bin/python3.11\0/srv/ehr/venv/bin/gunicorn\0ehr.wsgi:application\0--workers\0" "12\0"),
		T_START - DAY_NS, "ehr", "ehr", NULL, 1, ANC1(20990, "gunicorn", "/srv/ehr/venv/bin/python3.11", T_START - DAY_NS) } },
	{ 20, { 22000, 1, 997, 997, (uint32_t)-1, (uint32_t)-1, "java", "/usr/lib/jvm/java-17-openjdk-amd64/bin/java",
		ARGS("java\0-Xmx4g\0-jar\0/opt/reports/reports.jar\0"), T_START - DAY_NS, "reports", "reports", NULL, 1,
		ANC1(1, "systemd", "/usr/lib/systemd/systemd", T_START - 30 * DAY_NS) } },
	{ 5, { 23000, 22990, 0, 0, (uint32_t)-1, (uint32_t)-1, "rsync", "/usr/bin/rsync",
	       ARGS("rsync\0-a\0/srv/phi/\0backup@vault:/backups/phi/\0"), T_START, "root", "root", NULL, 1,
	       ANC1(22990, "sh", "/usr/bin/dash", T_START) } },
	{ 5, { 24000, 23990, 1001, 1001, 1001, 7, "less", "/usr/bin/less", ARGS("less\0chart.txt\0"), T_START,
	       "jdoe", "clinical", "jdoe", 1, ANC1(23990, "bash", "/usr/bin/bash", T_START) } },
};

struct gen {
	struct rg g;
	struct pa_sink *store;
	uint64_t now, rng, records;
	uint64_t hot_all, hot_day, imaging; /* records each case must find */
	int64_t day_from_ms, day_to_ms;
};

static uint64_t gen_clock(void *ctx)
{
	return ((struct gen *)ctx)->now;
}

static void put(struct gen *gn)
{
	if (gn->store->ops->write(gn->store, gn->g.w.buf, gn->g.w.len, gn->g.seq - 1, LOG_INFO))
		die("the store refused a record");
	if (++gn->records % MEMBER_RECORDS == 0)
		gn->store->ops->flush(gn->store);
}

/* What each case should find, counted as the records are made. */
static void tally(struct gen *gn, unsigned patient, bool imaging, uint64_t t)
{
	int64_t ms = (int64_t)(t / RG_NS_MS);

	if (imaging) {
		gn->imaging++;
		return;
	}
	if (patient != HOT_PATIENT)
		return;
	gn->hot_all++;
	gn->hot_day += ms >= gn->day_from_ms && ms < gn->day_to_ms;
}

static const struct rg_proc *pick_reader(struct gen *gn, struct rg_proc *p)
{
	int w = (int)(rnd(&gn->rng) % 100), acc = 0;
	size_t i = 0;

	while (acc + readers[i].weight <= w)
		acc += readers[i++].weight;
	*p = readers[i].p;
	p->pid += (uint32_t)(rnd(&gn->rng) % 12); /* a pool of workers */
	return p;
}

/* One access: an Open, then its final Read a little later. */
static void access_one(struct gen *gn, uint64_t t)
{
	static const char *const files[] = { "chart.txt", "labs.csv", "notes.txt", "history.txt",
					     "consent.pdf" };
	/* one patient in the news: read 200 times over the ten days */
	unsigned patient = rnd(&gn->rng) % 2500 ? (unsigned)(rnd(&gn->rng) % PATIENTS) : HOT_PATIENT;
	bool imaging = rnd(&gn->rng) % 10 == 0;
	struct rg_account a = { 0, gn->records + 1, 1000 + rnd(&gn->rng) % 50000, 2, t + 50000, t + 90000 };
	struct rg_proc p;
	char rel[96];

	if (imaging)
		snprintf(rel, sizeof(rel), "imaging/%05u-%u.dcm", patient, (unsigned)(rnd(&gn->rng) % 4));
	else
		snprintf(rel, sizeof(rel), "patients/%05u/%s", patient, files[rnd(&gn->rng) % 5]);
	pick_reader(gn, &p);
	gn->now = t;
	a.open_seq = rg_open(&gn->g, &p, rel, 0, t);
	tally(gn, patient, imaging, t);
	put(gn);
	rg_read(&gn->g, &p, rel, &a, PA_READ_CLOSE);
	tally(gn, patient, imaging, a.last_ns);
	put(gn);
}

static void make_log(struct gen *gn, const char *dir)
{
	struct pa_store_config cfg;
	char err[512], key[2 * PA_CHAIN_KEY_LEN + 1];
	uint64_t step = DAYS * DAY_NS / ACCESSES;

	if (pa_store_init_key(dir, (gid_t)-1, key, err, sizeof(err)))
		die("%s", err);
	pa_store_config_defaults(&cfg, dir);
	cfg.now_ns = gen_clock;
	cfg.clock_ctx = gn;
	cfg.retain_age_s = 0;
	cfg.flush_interval_ms = 1; /* a member when put() says: every MEMBER_RECORDS */
	gn->now = T_START;
	gn->store = pa_store_open(&cfg, err, sizeof(err));
	if (!gn->store)
		die("%s", err);
	rg_start(&gn->g, T_START, 1234);
	put(gn);
	for (uint64_t i = 0; i < ACCESSES; i++)
		access_one(gn, T_START + i * step + rnd(&gn->rng) % (step / 2));
	gn->now = T_START + DAYS * DAY_NS;
	rg_stop(&gn->g, gn->now);
	put(gn);
	gn->store->ops->close(gn->store);
}

/* ---- timing ---- */

/* Run "sh -c @cmd" with stdout to @out; the wall time in seconds. */
static double timed(const char *cmd, const char *out)
{
	double t0 = now_s();
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		die("running %s: %s", cmd, strerror(errno));
	/* grep -c exits 1 on no match, phiaudit likewise: both fine here */
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
		die("%s: exit status %d", cmd, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return now_s() - t0;
}

static uint64_t count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	uint64_t n = 0;
	int c;

	if (!f)
		die("%s: %s", path, strerror(errno));
	while ((c = getc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static uint64_t read_number(const char *path)
{
	FILE *f = fopen(path, "r");
	unsigned long long n = 0;

	if (!f || fscanf(f, "%llu", &n) != 1)
		die("%s: no count in it", path);
	fclose(f);
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct bench_case {
	const char *name, *args, *needle; /* phiaudit's filters; grep's fixed string */
	uint64_t want;			   /* records the generator wrote that match */
	double target;			   /* 0: a reference, no target */
};

static bool run_case(const struct bench_case *c, const char *cli, const char *dir, int rounds)
{
	char a[1024], b[1024], out_a[128], out_b[128];
	double ta[MAX_ROUNDS], tb[MAX_ROUNDS], ma, mb;
	uint64_t got_a, got_b;
	bool same;

	snprintf(out_a, sizeof(out_a), "%s/out-phiaudit", root);
	snprintf(out_b, sizeof(out_b), "%s/out-grep", root);
	snprintf(a, sizeof(a), "%s search --log-dir %s %s --format jsonl 2>%s/err", cli, dir,
		 c->args, root);
	snprintf(b, sizeof(b), "zcat %s/phiaudit-*.json.gz | grep -c -F -- '%s'", dir, c->needle);
	for (int r = 0; r < rounds; r++) { /* interleaved, and which goes first alternates */
		if (r % 2) {
			tb[r] = timed(b, out_b);
			ta[r] = timed(a, out_a);
		} else {
			ta[r] = timed(a, out_a);
			tb[r] = timed(b, out_b);
		}
	}
	got_a = count_lines(out_a);
	got_b = read_number(out_b);
	ma = median(ta, rounds);
	mb = median(tb, rounds);
	same = got_a == c->want && (strstr(c->args, "--since") || got_b == c->want);
	printf("%-30s %8llu %8llu %10.3f %10.3f %7.2fx  %-8s %s\n", c->name,
	       (unsigned long long)got_a, (unsigned long long)got_b, ma, mb, ma / mb,
	       c->target ? (c->target < 1.01 ? "< 1x" : "<= 1.5x") : "-",
	       !same ? "FAIL (counts differ)" : !c->target ? "(reference)"
	       : ma / mb <= c->target ? "PASS" : "MISS");
	fflush(stdout);
	return same;
}

static uint64_t dir_bytes(const char *dir, int *files)
{
	char cmd[1024], out[128];
	uint64_t n;

	snprintf(out, sizeof(out), "%s/du", root);
	snprintf(cmd, sizeof(cmd), "ls %s/phiaudit-*.json.gz | wc -l > %s.n; "
		 "cat %s/phiaudit-*.json.gz | wc -c", dir, out, dir);
	timed(cmd, out);
	n = read_number(out);
	snprintf(cmd, sizeof(cmd), "%s.n", out);
	*files = (int)read_number(cmd);
	return n;
}

int main(int argc, char **argv)
{
	struct gen gn = { .rng = 42 };
	char dir[128], args[256];
	const char *cli = argc > 1 ? argv[1] : "build/phiaudit";
	int rounds = argc > 2 ? atoi(argv[2]) : 5, files;
	double t0;
	bool ok = true;

	if (rounds < 5)
		rounds = 5;
	if (rounds > MAX_ROUNDS)
		rounds = MAX_ROUNDS;
	if (access(cli, X_OK))
		die("%s: %s (build it: make bench)", cli, strerror(errno));
	snprintf(root, sizeof(root), "/tmp/pa-bench-search-XXXXXX");
	if (!mkdtemp(root))
		die("mkdtemp: %s", strerror(errno));
	atexit(remove_root);
	snprintf(dir, sizeof(dir), "%s/log", root);
	setenv("TZ", "UTC", 1);
	rg_init(&gn.g, "db1", "5d93627d852fbd62b6b00e621f28d023");
	gn.day_from_ms = (int64_t)((T_START + 4 * DAY_NS) / RG_NS_MS);
	gn.day_to_ms = gn.day_from_ms + 86400000;
	t0 = now_s();
	make_log(&gn, dir);
	{
		uint64_t bytes = dir_bytes(dir, &files);

		printf("log: %llu records in %d files, %.1f MiB (%.1f bytes a record), made in %.1f s "
		       "by the agent's encoder and store\n", (unsigned long long)gn.records, files,
		       (double)bytes / (1 << 20), (double)bytes / (double)gn.records, now_s() - t0);
	}
	printf("wall-clock seconds, medians of %d interleaved rounds; counts: records printed by\n"
	       "phiaudit, lines counted by zcat | grep -c over every file\n", rounds);
	printf("%-30s %8s %8s %10s %10s %8s  %-8s %s\n", "case", "phiaudit", "grep -c",
	       "phiaudit s", "zcat|grep", "ratio", "target", "result");
	{
		struct bench_case cases[] = {
			{ "patient, all 10 days", "--path /srv/phi/patients/04242",
			  "/srv/phi/patients/04242/", gn.hot_all, TARGET_ALL },
			{ "patient, 1 day of 10", args, "/srv/phi/patients/04242/", gn.hot_day, TARGET_DAY },
			{ "imaging (1 record in 10)", "--path /srv/phi/imaging", "/srv/phi/imaging/",
			  gn.imaging, 0 },
		};

		snprintf(args, sizeof(args), "--path /srv/phi/patients/04242 --since @%lld --until @%lld",
			 (long long)(gn.day_from_ms / 1000), (long long)(gn.day_to_ms / 1000));
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
			ok &= run_case(&cases[i], cli, dir, rounds);
	}
	rg_free(&gn.g);
	return ok ? 0 : 1;
}
