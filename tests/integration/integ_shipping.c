// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel tests of shipping records to a fleet's rsyslog, for real: the
 * agent (watching a temp tree) sends every record (--syslog) to a local
 * rsyslog running deploy/rsyslog/phiaudit-client.conf, which forwards them
 * over RELP to a central rsyslog running deploy/rsyslog/phiaudit-central.conf,
 * which writes them per host as JSONL. Both rsyslogd are started here, by
 * hand, with their own configs, pid files, work directories and a loopback
 * port chosen at run time; never the system's.
 *
 * The configs are the shipped files with only the socket path, the
 * collector's address and port, the output directory and the forwarding
 * queue's in-memory sizes changed (a tenth, so that an outage spills to its
 * disk part within the test), each included from a main config shaped like
 * Debian's (an input loaded first, the default rules writing syslog and
 * auth.log after), so the test also shows the records never reach those
 * files. impstats writes each rsyslogd's counters every second
 * (fleet/NAME-stats.json; PA_SHIP_KEEP=DIR keeps each test's tree).
 *
 *   configs             rsyslogd -N1 accepts both, and both with TLS on
 *   collector outage    a burst of 2,000 opens and reads; the central rsyslog
 *                       stopped for 10 s in its middle; afterwards every
 *                       record the agent wrote is in the central JSONL, byte
 *                       for byte, and `phiaudit search` reads them all
 *   TLS                 the same over RELP with the TLS settings uncommented
 *   local rsyslog hung  SIGSTOP: the agent does not stall; after SIGCONT
 *                       every record arrives
 *   oversized record    cut at --syslog-max-message, counted (Stop record)
 *   local rsyslog down  nobody listens: records still reach the log at once;
 *                       the Stop record counts what is pending and dropped
 *
 * Timings go to stdout (deploy/rsyslog/README.md quotes them).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "harness.h"

static struct harness H;

#define N_FILES	     2000
#define FILE_BYTES   200
#define LONG_DEPTH   15	     /* components of LONG_NAME bytes: a 3.8 KB path */
#define LONG_NAME    250
#define BIG_MSG	     65536   /* --syslog-max-message to match maxMessageSize="64k" */
#define OUTAGE_S     10
#define PROMPT_MS    10000   /* "at once": ~1 s typically (ASan), 3.5 s on a 2-core VM with
			      * both cores busy; an agent that blocked would wait for ever */
#define ARRIVE_MS    120000  /* every record at the central rsyslog */

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Milliseconds until cond held, or -1 after ms. */
#define WAIT_UNTIL(cond, ms)                                                \
	({                                                                  \
		long long t0_ = mono_ms(), r_ = -1;                         \
		for (;;) {                                                  \
			if (cond) {                                         \
				r_ = mono_ms() - t0_;                       \
				break;                                      \
			}                                                   \
			if (mono_ms() - t0_ > (ms))                         \
				break;                                      \
			h_sleep_ms(20);                                     \
		}                                                           \
		r_;                                                         \
	})

/* ---- files */

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			cap = (cap + 4096) * 2;
			buf = realloc(buf, cap);
			if (!buf)
				h_die("out of memory");
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);

		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static bool file_has(const char *path, const char *needle)
{
	char *s = read_all(path, NULL);
	bool has = s && strstr(s, needle);

	free(s);
	return has;
}

/* The shipped configs: PA_SOURCE_DIR, or the tree the tests run from. */
static const char *shipped(const char *name)
{
	static char p[PATH_MAX];
	const char *src = getenv("PA_SOURCE_DIR");

	snprintf(p, sizeof(p), "%s/deploy/rsyslog/%s", src ? src : ".", name);
	if (access(p, R_OK))
		h_die("%s: %s (run from the source tree, or set PA_SOURCE_DIR)", p, strerror(errno));
	return p;
}

/* Copy @src to @dst with each pairs[2i] replaced by pairs[2i+1]; each must
 * be there (the shipped file changed otherwise: this test must follow). */
static void subst(const char *src, const char *dst, const char *const *pairs)
{
	char *text = read_all(src, NULL);
	FILE *out;

	if (!text)
		h_die("read %s: %s", src, strerror(errno));
	for (; pairs[0]; pairs += 2) {
		size_t from = strlen(pairs[0]), to = strlen(pairs[1]), n = 0;
		char *p, *q, *res;

		for (p = strstr(text, pairs[0]); p; p = strstr(p + from, pairs[0]))
			n++;
		if (!n)
			h_die("%s no longer has '%s': update integ_shipping.c", src, pairs[0]);
		res = malloc(strlen(text) + n * to + 1);
		if (!res)
			h_die("out of memory");
		for (p = text, q = res;;) {
			char *hit = strstr(p, pairs[0]);

			if (!hit) {
				strcpy(q, p);
				break;
			}
			memcpy(q, p, (size_t)(hit - p));
			q += hit - p;
			memcpy(q, pairs[1], to);
			q += to;
			p = hit + from;
		}
		free(text);
		text = res;
	}
	out = fopen(dst, "w");
	if (!out || fputs(text, out) < 0 || fclose(out))
		h_die("write %s", dst);
	free(text);
}

/* ---- processes */

/* argv with stdout and stderr to @log (NULL: /dev/null); its pid. */
static pid_t spawn(const char *log, const char *const *argv)
{
	pid_t pid = h_fork();

	if (pid < 0)
		h_die("fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = log ? open(log, O_WRONLY | O_CREAT | O_APPEND, 0600)
			     : open("/dev/null", O_WRONLY);

		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static int wait_exit(pid_t pid, long ms)
{
	int status = 0;

	for (long waited = 0;; waited += 20) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (r < 0)
			return -1;
		if (waited >= ms) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return 128 + SIGKILL;
		}
		h_sleep_ms(20);
	}
}

static int run_wait(const char *log, const char *const *argv)
{
	return wait_exit(spawn(log, argv), 60000);
}

/* ---- rsyslogd instances of our own */

struct rs {
	char name[16];
	char main[PATH_MAX];   /* the main config: includes conf */
	char conf[PATH_MAX];   /* the shipped file, adapted */
	char pid_file[PATH_MAX];
	char log[PATH_MAX];    /* its stdout and stderr */
	char work[PATH_MAX];   /* its work directory (queue files) */
	char stats[PATH_MAX];  /* impstats, every second (to look at a failure) */
	char syslog[PATH_MAX]; /* where this "host's" syslog and auth.log go */
	char authlog[PATH_MAX];
	pid_t pid;
};

static void rs_paths(struct rs *r, const char *dir, const char *name)
{
	snprintf(r->name, sizeof(r->name), "%s", name);
#define P(field, fmt) snprintf(r->field, sizeof(r->field), fmt, dir, name)
	P(main, "%s/%s-main.conf");
	P(conf, "%s/%s.conf");
	P(pid_file, "%s/%s.pid");
	P(log, "%s/%s.log");
	P(work, "%s/work-%s");
	P(stats, "%s/%s-stats.json");
	P(syslog, "%s/%s-syslog");
	P(authlog, "%s/%s-auth.log");
#undef P
	h_mkdirs(r->work);
}

/* Shaped like Debian's rsyslog.conf: an input first, the drop-in, then
 * the default rules (facility authpriv, the agent's, goes to auth.log). */
static void rs_write_main(const struct rs *r)
{
	FILE *f = fopen(r->main, "w");

	if (!f)
		h_die("write %s", r->main);
	fprintf(f,
		"global(workDirectory=\"%s\")\n"
		"module(load=\"imuxsock\" SysSock.Use=\"off\")\n"
		"module(load=\"impstats\" interval=\"1\" format=\"json\" log.syslog=\"off\" "
		"log.file=\"%s\")\n"
		"include(file=\"%s\")\n"
		"*.*;auth,authpriv.none %s\n"
		"auth,authpriv.* %s\n",
		r->work, r->stats, r->conf, r->syslog, r->authlog);
	fclose(f);
}

static int rs_check(const struct rs *r)
{
	const char *argv[] = { "rsyslogd", "-N1", "-f", r->main, NULL };

	return run_wait(r->log, argv);
}

static void rs_start(struct rs *r)
{
	const char *argv[] = { "rsyslogd", "-n", "-f", r->main, "-i", r->pid_file, NULL };

	r->pid = spawn(r->log, argv);
}

static int rs_stop(struct rs *r)
{
	int rc;

	if (r->pid <= 0)
		return -1;
	kill(r->pid, SIGCONT); /* a test that failed while it was stopped */
	kill(r->pid, SIGTERM);
	rc = wait_exit(r->pid, 30000);
	r->pid = 0;
	return rc;
}

/* A loopback port nobody listens on now. */
static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len))
		h_die("free port: %s", strerror(errno));
	close(fd);
	return ntohs(sa.sin_port);
}

/* A TCP listener on @port (any address), from /proc: no connection made. */
static bool tcp_listening(int port)
{
	const char *files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char line[512];

	for (int i = 0; i < 2; i++) {
		FILE *f = fopen(files[i], "r");

		while (f && fgets(line, sizeof(line), f)) {
			char local[128];
			unsigned st, p;
			char *colon;

			if (sscanf(line, " %*s %127s %*s %x", local, &st) != 2 || st != 0x0A)
				continue;
			colon = strrchr(local, ':');
			if (colon && sscanf(colon + 1, "%x", &p) == 1 && (int)p == port) {
				fclose(f);
				return true;
			}
		}
		if (f)
			fclose(f);
	}
	return false;
}

/* A listening unix stream socket at @path, from /proc. */
static bool unix_listening(const char *path)
{
	char line[PATH_MAX + 128];
	FILE *f = fopen("/proc/net/unix", "r");
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f)) {
		unsigned long flags;
		char p[PATH_MAX];

		if (sscanf(line, "%*s %*s %*s %lx %*s %*s %*s %4095s", &flags, p) == 2 &&
		    (flags & 0x10000) && !strcmp(p, path))
			found = true;
	}
	if (f)
		fclose(f);
	return found;
}

/* ---- the fleet: a host's rsyslog and the central one */

struct fleet {
	char dir[PATH_MAX];
	char sock[PATH_MAX];   /* the client's input, the agent's --syslog */
	char target[PATH_MAX + 16];
	char out[PATH_MAX];    /* the central's /var/log/phiaudit-fleet */
	char jsonl[PATH_MAX];  /* out/HOSTNAME/phiaudit.jsonl */
	int port;
	struct rs client, central;
};

static struct fleet F;

static void fleet_configure(struct fleet *f, const char *dir)
{
	char port[16], to_addr[64], to_sock[PATH_MAX + 8], out_slash[PATH_MAX + 1],
		host[256] = "";

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s", dir);
	h_mkdirs(f->dir);
	h_path(f->sock, f->dir, "phiaudit-rsyslog.sock");
	snprintf(f->target, sizeof(f->target), "unix-stream:%s", f->sock);
	h_path(f->out, f->dir, "phiaudit-fleet");
	gethostname(host, sizeof(host) - 1);
	if ((size_t)snprintf(f->jsonl, sizeof(f->jsonl), "%s/%s/phiaudit.jsonl", f->out, host) >=
	    sizeof(f->jsonl))
		h_die("path too long");
	f->port = free_port();
	rs_paths(&f->client, f->dir, "client");
	rs_paths(&f->central, f->dir, "central");

	snprintf(port, sizeof(port), "port=\"%d\"", f->port);
	snprintf(to_sock, sizeof(to_sock), "%s", f->sock);
	const char *client[] = { "/run/phiaudit-rsyslog.sock", to_sock,
				 "target=\"collector.example.org\"", "target=\"127.0.0.1\"",
				 "port=\"2514\"", port,
				 "queue.size=\"10000\"", "queue.size=\"1000\"",
				 "queue.highWatermark=\"5000\"", "queue.highWatermark=\"500\"",
				 "queue.lowWatermark=\"2000\"", "queue.lowWatermark=\"200\"",
				 NULL };
	subst(shipped("phiaudit-client.conf"), f->client.conf, client);

	snprintf(to_addr, sizeof(to_addr), "address=\"127.0.0.1\" port=\"%d\"", f->port);
	snprintf(out_slash, sizeof(out_slash), "%s/", f->out);
	const char *central[] = { "port=\"2514\"", to_addr,
				  "/var/log/phiaudit-fleet/", out_slash,
				  NULL };
	subst(shipped("phiaudit-central.conf"), f->central.conf, central);
	rs_write_main(&f->client);
	rs_write_main(&f->central);
}

static void central_start(struct fleet *f)
{
	rs_start(&f->central);
	if (WAIT_UNTIL(tcp_listening(f->port), 30000) < 0)
		h_die("central rsyslog not listening on %d after 30 s; see %s", f->port,
		      f->central.log);
}

/*
 * TLS as the shipped files describe it, their "# tls..." lines
 * uncommented: a CA, the collector's certificate (collector.example.org,
 * the client's permittedPeer) and the host's (db01.hosts.example.org, in
 * the collector's *.hosts.example.org), where the settings look for them
 * (/etc/rsyslog.d/tls/, made the test's own directory).
 */
static void fleet_tls(struct fleet *f)
{
	char tls[PATH_MAX], log[PATH_MAX], cmd[8 * PATH_MAX];
	struct rs *rs[2] = { &f->client, &f->central };

	h_path(tls, f->dir, "tls");
	h_mkdirs(tls);
	h_path(log, tls, "openssl.log");
	snprintf(cmd, sizeof(cmd),
		 "set -e; cd %s; "
		 "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=phiaudit-test-ca "
		 "  -keyout ca.key -out ca.pem; "
		 "for n in collector:collector.example.org this-host:db01.hosts.example.org; do "
		 "  f=${n%%%%:*}; cn=${n#*:}; "
		 "  openssl req -newkey rsa:2048 -nodes -subj /CN=$cn -keyout $f.key -out $f.csr; "
		 "  openssl x509 -req -in $f.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 "
		 "    -out $f.pem; "
		 "done; chmod 600 *.key",
		 tls);
	const char *gen[] = { "/bin/sh", "-c", cmd, NULL };

	if (run_wait(log, gen))
		h_die("openssl could not make test certificates; see %s", log);
	for (int i = 0; i < 2; i++) {
		char plain[PATH_MAX + 8];

		snprintf(plain, sizeof(plain), "%s.plain", rs[i]->conf);
		rename(rs[i]->conf, plain);
		snprintf(cmd, sizeof(cmd),
			 "sed -e 's/^\\([[:space:]]*\\)# \\(tls[.=]\\)/\\1\\2/' "
			 "    -e 's#/etc/rsyslog.d/tls/#%s/#g' %s > %s && "
			 "grep -q '^[[:space:]]*tls=\"on\"' %s",
			 tls, plain, rs[i]->conf, rs[i]->conf);
		const char *sed[] = { "/bin/sh", "-c", cmd, NULL };

		if (run_wait(NULL, sed))
			h_die("could not uncomment the TLS settings of %s", plain);
	}
}

/* Validate and start both (the central first, as an operator would). */
static void fleet_run(struct fleet *f)
{
	if (rs_check(&f->client) || rs_check(&f->central))
		h_die("rsyslogd -N1 refused a config; see %s, %s", f->client.log, f->central.log);
	central_start(f);
	rs_start(&f->client);
	if (WAIT_UNTIL(unix_listening(f->sock), 30000) < 0)
		h_die("client rsyslog not listening on %s after 30 s; see %s", f->sock,
		      f->client.log);
}

static void fleet_start(struct fleet *f, const char *dir)
{
	fleet_configure(f, dir);
	fleet_run(f);
}

static void fleet_stop(struct fleet *f)
{
	rs_stop(&f->client);
	rs_stop(&f->central);
}

/* Nothing of the agent's in this rsyslog's syslog or auth.log. */
static void assert_no_records_in_local_logs(const struct rs *r)
{
	if (file_has(r->syslog, "class_uid") || file_has(r->syslog, "phiauditd") ||
	    file_has(r->authlog, "class_uid") || file_has(r->authlog, "phiauditd"))
		fail_msg("%s rsyslog wrote agent records into its syslog files (%s, %s)", r->name,
			 r->syslog, r->authlog);
}

/* Queue files of the client's forwarding action now (its disk part);
 * *@open_to_others set when one is readable by anyone but root (they hold
 * records, so PHI, at rest). */
static int relp_queue_files(const struct fleet *f, bool *open_to_others)
{
	DIR *d = opendir(f->client.work);
	struct dirent *e;
	struct stat st;
	int n = 0;

	while (d && (e = readdir(d))) {
		if (strncmp(e->d_name, "phiaudit-relp.", 14))
			continue;
		n++;
		if (!fstatat(dirfd(d), e->d_name, &st, 0) && (st.st_uid || (st.st_mode & 077)))
			*open_to_others = true;
	}
	if (d)
		closedir(d);
	return n;
}

/* A counter from the last impstats line of the object @name ("name":
 * "phiaudit-relp queue"), or -1. */
static long long rs_stat(const struct rs *r, const char *name, const char *counter)
{
	char *text = read_all(r->stats, NULL), key[128], *line = NULL, *p;
	long long v = -1;

	snprintf(key, sizeof(key), "\"name\": \"%s\",", name);
	for (p = text ? strstr(text, key) : NULL; p; p = strstr(p + 1, key))
		line = p;
	snprintf(key, sizeof(key), "\"%s\": ", counter);
	if (line && (p = strstr(line, key)) && (!strchr(line, '\n') || p < strchr(line, '\n')))
		v = strtoll(p + strlen(key), NULL, 10);
	free(text);
	return v;
}

/* ---- JSONL files, read as they grow, each line kept by its sequence */

struct jl {
	char path[PATH_MAX];
	long off;
	char **line; /* by metadata.sequence */
	size_t cap;
	uint64_t lines, distinct, dups, dup_differs, bad, min_seq, max_seq;
	uint64_t dup_seq[8]; /* the first duplicates' sequence numbers */
};

static void jl_init(struct jl *j, const char *path)
{
	memset(j, 0, sizeof(*j));
	snprintf(j->path, sizeof(j->path), "%s", path);
}

static void jl_free(struct jl *j)
{
	for (size_t i = 0; i < j->cap; i++)
		free(j->line[i]);
	free(j->line);
	memset(j, 0, sizeof(*j));
}

static uint64_t seq_of(const char *line)
{
	json_object *o = json_tokener_parse(line), *v = o ? h_get(o, "metadata.sequence") : NULL;
	uint64_t s = v ? (uint64_t)json_object_get_int64(v) : 0;

	json_object_put(o);
	return s;
}

static void jl_add(struct jl *j, char *line)
{
	uint64_t s = seq_of(line);

	j->lines++;
	if (!s || s > 10000000) {
		j->bad++;
		free(line);
		return;
	}
	if (s >= j->cap) {
		size_t cap = (s + 1) * 2;

		j->line = realloc(j->line, cap * sizeof(*j->line));
		if (!j->line)
			h_die("out of memory");
		memset(j->line + j->cap, 0, (cap - j->cap) * sizeof(*j->line));
		j->cap = cap;
	}
	if (j->line[s]) {
		if (j->dups < 8)
			j->dup_seq[j->dups] = s;
		j->dups++;
		j->dup_differs += strcmp(j->line[s], line) != 0;
		free(line);
		return;
	}
	j->line[s] = line;
	j->distinct++;
	if (!j->min_seq || s < j->min_seq)
		j->min_seq = s;
	if (s > j->max_seq)
		j->max_seq = s;
}

/* Read the complete lines added since the last call. */
static struct jl *jl_read(struct jl *j)
{
	FILE *f = fopen(j->path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (!f)
		return j;
	fseek(f, j->off, SEEK_SET);
	while ((len = getline(&line, &cap, f)) > 0 && line[len - 1] == '\n') {
		jl_add(j, strdup(line));
		j->off += len;
	}
	free(line);
	fclose(f);
	return j;
}

/* Every sequence from lo to hi is there. */
static bool jl_has_range(const struct jl *j, uint64_t lo, uint64_t hi)
{
	for (uint64_t s = lo; s <= hi; s++)
		if (s >= j->cap || !j->line[s])
			return false;
	return lo <= hi;
}

/* A line containing @needle, among those read so far. */
static const char *jl_find(struct jl *j, const char *needle)
{
	for (uint64_t s = 1; s <= j->max_seq; s++)
		if (j->line[s] && strstr(j->line[s], needle))
			return j->line[s];
	return NULL;
}

/* The first missing sequence numbers from lo to hi, for a failure's message. */
static const char *jl_missing(const struct jl *j, uint64_t lo, uint64_t hi)
{
	static char buf[256];
	size_t n = 0;
	int k = 0;

	buf[0] = '\0';
	for (uint64_t s = lo; s <= hi && k < 12 && n < sizeof(buf) - 24; s++)
		if (s >= j->cap || !j->line[s]) {
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %llu", (unsigned long long)s);
			k++;
		}
	return buf;
}

static json_object *jl_last_json(const struct jl *j)
{
	return j->max_seq ? json_tokener_parse(j->line[j->max_seq]) : NULL;
}

/* ---- the tree and the accesses */

static char files[N_FILES][PATH_MAX];
static char long_file[PATH_MAX], utf8_file[PATH_MAX];

static void make_tree(struct harness *h)
{
	char dir[PATH_MAX], body[FILE_BYTES + 1], comp[LONG_NAME + 1];
	size_t n;

	memset(body, 'x', FILE_BYTES);
	body[FILE_BYTES] = '\0';
	h_path(dir, h->watch, "patients");
	h_mkdirs(dir);
	for (int i = 0; i < N_FILES; i++) {
		if (snprintf(files[i], PATH_MAX, "%s/%04d.txt", dir, i) >= PATH_MAX)
			h_die("path too long");
		h_write_file(files[i], body, 0644);
	}
	/* A path long enough that its records (path and parent_folder) pass
	 * rsyslog's 8 KiB default. */
	memset(comp, 'd', LONG_NAME);
	comp[LONG_NAME] = '\0';
	n = (size_t)snprintf(long_file, PATH_MAX, "%s", h->watch);
	for (int i = 0; i < LONG_DEPTH; i++) {
		n += (size_t)snprintf(long_file + n, PATH_MAX - n, "/%s", comp);
		if (mkdir(long_file, 0755) && errno != EEXIST)
			h_die("mkdir long path: %s", strerror(errno));
	}
	snprintf(long_file + n, PATH_MAX - n, "/chart.txt");
	h_write_file(long_file, body, 0644);
	/* Non-ASCII names travel as they are. */
	h_path(utf8_file, dir, "M\xc3\xbcller-\xc3\xa9\xe2\x82\xac.txt");
	h_write_file(utf8_file, body, 0644);
}

static void access_file(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		h_die("open %s: %s", path, strerror(errno));
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

/* The agent's Open record of @path: its "path" as JSON has it. */
static bool agent_saw(struct jl *ag, const char *path)
{
	char needle[PATH_MAX + 32];

	snprintf(needle, sizeof(needle), "\"file\":{\"path\":\"%s\"", path);
	return jl_find(jl_read(ag), needle) != NULL;
}

static void start_agent(const char *const *extra)
{
	const char *argv[24] = { "--alert-syslog", "none" }; /* never the system's /dev/log */
	size_t n = 2;
	int rc;

	for (; *extra && n < 23; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	rc = h_start_argv(&H, argv);
	if (rc)
		h_die("agent exited (%d) at start; see %s", rc, H.err);
}

static json_object *syslog_stats(json_object *stop)
{
	json_object *s = h_get(stop, "unmapped.syslog");

	if (!s)
		fail_msg("the Stop record has no unmapped.syslog");
	return s;
}

/* ---- fixtures */

static int setup(void **state)
{
	(void)state;
	h_init(&H);
	make_tree(&H);
	memset(&F, 0, sizeof(F));
	return 0;
}

static struct jl AG, CEN; /* the agent's JSONL and the collector's */

/* PA_SHIP_KEEP=DIR: each test's tree (rsyslog logs, configs, queues,
 * JSONL) is copied there before it is removed, to look at a failure. */
static int teardown(void **state)
{
	const char *keep = getenv("PA_SHIP_KEEP");

	(void)state;
	h_stop(&H);
	fleet_stop(&F);
	if (keep) {
		char cmd[3 * PATH_MAX];

		snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp -a '%s' '%s'/", keep, H.root, keep);
		const char *argv[] = { "/bin/sh", "-c", cmd, NULL };

		run_wait(NULL, argv);
	}
	jl_free(&AG);
	jl_free(&CEN);
	h_cleanup(&H);
	return 0;
}

/* ---- tests */

/* Both shipped configs, as a test instance runs them and with their TLS
 * settings uncommented (certificates made here), pass rsyslogd -N1. */
static void the_shipped_configs_validate_with_and_without_tls(void **state)
{
	char dir[PATH_MAX];

	(void)state;
	h_path(dir, H.root, "fleet");
	fleet_configure(&F, dir);
	if (rs_check(&F.client) || rs_check(&F.central))
		fail_msg("rsyslogd -N1 refused a shipped config; see %s, %s", F.client.log,
			 F.central.log);
	fleet_tls(&F);
	if (rs_check(&F.client) || rs_check(&F.central))
		fail_msg("rsyslogd -N1 refused a shipped config with TLS on; see %s, %s",
			 F.client.log, F.central.log);
}

/* The commented-out TLS settings, on: the records arrive over RELP with
 * TLS, each peer authenticated by the name in its certificate. */
static void with_tls_on_the_records_arrive_the_same(void **state)
{
	char dir[PATH_MAX], big[16];
	struct jl *ag = &AG, *cen = &CEN;

	(void)state;
	h_path(dir, H.root, "fleet");
	fleet_configure(&F, dir);
	fleet_tls(&F);
	fleet_run(&F);
	snprintf(big, sizeof(big), "%d", BIG_MSG);
	const char *extra[] = { "--syslog", F.target, "--syslog-max-message", big, NULL };
	start_agent(extra);
	jl_init(ag, H.out);
	jl_init(cen, F.jsonl);
	for (int i = 0; i < 50; i++)
		access_file(files[i]);
	access_file(long_file);
	if (WAIT_UNTIL(agent_saw(ag, long_file), 30000) < 0)
		fail_msg("the agent did not record the opens");
	assert_int_equal(h_stop(&H), 0);
	jl_read(ag);
	if (WAIT_UNTIL(jl_has_range(jl_read(cen), ag->min_seq, ag->max_seq), 60000) < 0)
		fail_msg("not every record arrived over TLS (missing:%s); see %s, %s",
			 jl_missing(cen, ag->min_seq, ag->max_seq), F.client.log, F.central.log);
	for (uint64_t s = ag->min_seq; s <= ag->max_seq; s++)
		assert_string_equal(ag->line[s], cen->line[s]);
	assert_int_equal(cen->distinct, ag->distinct);
	printf("shipping: over RELP with TLS: %llu records, identical\n",
	       (unsigned long long)ag->distinct);
}

/*
 * The test: a burst of opens and reads; the central rsyslog down
 * for 10 s in its middle; every record arrives once it is back, complete
 * (every sequence number), byte for byte, and readable by phiaudit search.
 */
static void a_10s_collector_outage_in_a_burst_loses_no_record(void **state)
{
	char dir[PATH_MAX], big[16], out[PATH_MAX], err[PATH_MAX], cli[PATH_MAX],
		cmd[4 * PATH_MAX + 64];
	struct jl *ag = &AG, *cen = &CEN;
	long long t_down, t_up, waited, longest_line = 0;
	int spilled = 0, a = 0, rc;
	bool queue_open = false;
	json_object *stop, *ss;

	(void)state;
	h_path(dir, H.root, "fleet");
	fleet_start(&F, dir);
	snprintf(big, sizeof(big), "%d", BIG_MSG);
	const char *extra[] = { "--syslog", F.target, "--syslog-max-message", big, NULL };
	start_agent(extra);
	jl_init(ag, H.out);
	jl_init(cen, F.jsonl);
	/* The path is up: the Start record is at the central rsyslog. */
	if (WAIT_UNTIL(jl_read(cen)->distinct >= 1, 60000) < 0)
		fail_msg("no record at the central rsyslog within 60 s; see %s, %s", F.client.log,
			 F.central.log);

	/* The burst: 700 accesses, then the collector goes down. */
	for (; a < 700; a++)
		access_file(files[a]);
	t_down = mono_ms();
	assert_int_equal(rs_stop(&F.central), 0);
	jl_read(cen);
	uint64_t down_max = cen->max_seq, down_n = cen->distinct;
	/* 700 more spread over the outage (the pacing is the outage's
	 * length, not a wait for anything). */
	for (int s = 0; s < OUTAGE_S; s++) {
		for (int k = 0; k < 70; k++)
			access_file(files[a++]);
		while (mono_ms() < t_down + (s + 1) * 1000LL) {
			int q = relp_queue_files(&F, &queue_open);

			spilled = q > spilled ? q : spilled;
			h_sleep_ms(50);
		}
	}
	central_start(&F);
	t_up = mono_ms();
	/* The rest, a record over 8 KiB and a UTF-8 name among them. */
	access_file(long_file);
	access_file(utf8_file);
	for (; a < N_FILES; a++)
		access_file(files[a]);
	if (WAIT_UNTIL(agent_saw(ag, files[N_FILES - 1]), 30000) < 0)
		fail_msg("the agent did not record the last open");
	uint64_t last = ag->max_seq;

	waited = WAIT_UNTIL(jl_has_range(jl_read(cen), ag->min_seq, last), ARRIVE_MS);
	if (waited < 0)
		fail_msg("records %llu to %llu not all at the central rsyslog %d s after it came "
			 "back (%llu there; missing:%s); see %s, %s",
			 (unsigned long long)ag->min_seq, (unsigned long long)last,
			 ARRIVE_MS / 1000, (unsigned long long)cen->distinct,
			 jl_missing(cen, ag->min_seq, last), F.client.log, F.central.log);
	printf("shipping: %d accesses, records %llu-%llu; central down %lld ms; forwarding queue "
	       "spilled to %d disk file(s); all records in the central JSONL %lld ms after it "
	       "came back (%lld ms after the burst)\n",
	       a + 2, (unsigned long long)ag->min_seq, (unsigned long long)last, t_up - t_down,
	       spilled,
	       mono_ms() - t_up, waited);

	/* Stop: the Stop record too reaches the collector. */
	assert_int_equal(h_stop(&H), 0);
	jl_read(ag);
	assert_int_equal(ag->bad, 0);
	assert_int_equal(ag->dups, 0);
	assert_true(jl_has_range(ag, ag->min_seq, ag->max_seq)); /* gapless at the source */
	if (WAIT_UNTIL(jl_has_range(jl_read(cen), ag->min_seq, ag->max_seq), 60000) < 0)
		fail_msg("the records after the burst and the Stop record did not arrive:%s",
			 jl_missing(cen, ag->min_seq, ag->max_seq));
	/* The same records, byte for byte; nothing else. (A duplicate would
	 * be in already: a reconnect sends the unacknowledged frames first.) */
	for (uint64_t s = ag->min_seq; s <= ag->max_seq; s++) {
		if (strcmp(ag->line[s], cen->line[s]))
			fail_msg("record %llu differs at the central rsyslog:\n%s\n%s",
				 (unsigned long long)s, ag->line[s], cen->line[s]);
		if ((long long)strlen(ag->line[s]) > longest_line)
			longest_line = (long long)strlen(ag->line[s]);
	}
	assert_int_equal(cen->distinct, ag->distinct);
	assert_int_equal(cen->min_seq, ag->min_seq);
	assert_int_equal(cen->max_seq, ag->max_seq);
	assert_int_equal(cen->bad, 0);
	printf("shipping: %llu records, identical; longest %lld bytes; %llu duplicate(s) at the "
	       "collector (%llu differing)\n", (unsigned long long)ag->distinct, longest_line,
	       (unsigned long long)cen->dups, (unsigned long long)cen->dup_differs);
	for (uint64_t i = 0; i < cen->dups && i < 8; i++)
		printf("shipping: duplicate: record %llu (the collector had %llu records, up to "
		       "%llu, when it stopped)\n", (unsigned long long)cen->dup_seq[i],
		       (unsigned long long)down_n, (unsigned long long)down_max);
	assert_int_equal(cen->dup_differs, 0);
	assert_true(longest_line > 8192); /* the raised size, end to end */
	assert_true(spilled > 0);	  /* the outage used the queue's disk part */
	assert_false(queue_open);	  /* root's, 0600 */
	/* Nothing discarded inside rsyslog either (impstats, each second: wait
	 * for the report that counts every record forwarded). */
	if (WAIT_UNTIL(rs_stat(&F.client, "phiaudit-relp", "processed") >=
			       (long long)(ag->max_seq - ag->min_seq + 1), 10000) < 0)
		fail_msg("the client's impstats never counted every record; see %s",
			 F.client.stats);
	printf("shipping: client forwarding queue: full %lld time(s), discarded %lld\n",
	       rs_stat(&F.client, "phiaudit-relp queue", "full"),
	       rs_stat(&F.client, "phiaudit-relp queue", "discarded.full"));
	assert_int_equal(rs_stat(&F.client, "phiaudit-relp queue", "discarded.full"), 0);
	assert_int_equal(rs_stat(&F.client, "phiaudit-ship", "discarded.full"), 0);

	/* The agent's own account: sent all, dropped and cut none. */
	stop = jl_last_json(ag);
	assert_non_null(stop);
	assert_true(h_is_activity(stop, "Stop"));
	ss = syslog_stats(stop);
	assert_int_equal(h_int(ss, "dropped"), 0);
	assert_int_equal(h_int(ss, "truncated"), 0);
	assert_int_equal(h_int(ss, "sent") + h_int(ss, "pending"),
			 (long long)(ag->max_seq - ag->min_seq));
	json_object_put(stop);

	/* phiaudit search reads the central file: every line a record. */
	h_path(out, H.root, "search.out");
	h_path(err, H.root, "search.err");
	snprintf(cli, sizeof(cli), "%s/san/phiaudit", PA_BUILD_DIR);
	if (access(cli, X_OK))
		snprintf(cli, sizeof(cli), "%s/phiaudit", PA_BUILD_DIR);
	snprintf(cmd, sizeof(cmd), "exec %s search --input %s --format jsonl >%s 2>%s", cli,
		 F.jsonl, out, err);
	const char *search[] = { "/bin/sh", "-c", cmd, NULL };

	rc = run_wait(NULL, search);
	if (rc)
		fail_msg("phiaudit search --input %s: exit %d; see %s", F.jsonl, rc, err);
	struct jl found;

	jl_init(&found, out);
	jl_read(&found);
	assert_int_equal(found.lines, cen->lines);
	assert_int_equal(found.distinct, ag->distinct);
	/* The collector's file is complete but not in order after an outage
	 * (the queue's disk part drains beside newer records): how many
	 * "gap" warnings search prints for that, for the report. */
	char *warn = read_all(err, NULL);
	int gaps = 0;

	for (char *g = warn ? strstr(warn, "gap:") : NULL; g; g = strstr(g + 1, "gap:"))
		gaps++;
	printf("shipping: phiaudit search read %llu records; %d \"gap\" warning(s) for "
	       "records that are there, out of order\n", (unsigned long long)found.lines, gaps);
	free(warn);
	jl_free(&found);

	assert_no_records_in_local_logs(&F.client);
	assert_no_records_in_local_logs(&F.central);
	/* 0640 files in a 0750 directory. */
	struct stat st;

	assert_int_equal(stat(F.jsonl, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	*strrchr(F.jsonl, '/') = '\0';
	assert_int_equal(stat(F.jsonl, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0750);
}

/* The host's own rsyslog hangs (SIGSTOP): the agent keeps logging at full
 * speed, records wait in its queue, and all arrive once rsyslog runs. */
static void a_hung_local_rsyslog_stalls_nothing_and_loses_nothing(void **state)
{
	char dir[PATH_MAX], big[16];
	struct jl *ag = &AG, *cen = &CEN;
	long long lag, waited;
	json_object *stop, *ss;

	(void)state;
	h_path(dir, H.root, "fleet");
	fleet_start(&F, dir);
	snprintf(big, sizeof(big), "%d", BIG_MSG);
	const char *extra[] = { "--syslog", F.target, "--syslog-max-message", big, NULL };
	start_agent(extra);
	jl_init(ag, H.out);
	jl_init(cen, F.jsonl);
	if (WAIT_UNTIL(jl_read(cen)->distinct >= 1, 60000) < 0)
		fail_msg("no record at the central rsyslog within 60 s");

	kill(F.client.pid, SIGSTOP);
	for (int i = 0; i < 1000; i++)
		access_file(files[i]);
	lag = WAIT_UNTIL(agent_saw(ag, files[999]), PROMPT_MS);
	if (lag < 0)
		fail_msg("with the local rsyslog stopped, the agent's log fell %d s behind",
			 PROMPT_MS / 1000);
	uint64_t last = ag->max_seq;

	kill(F.client.pid, SIGCONT);
	waited = WAIT_UNTIL(jl_has_range(jl_read(cen), ag->min_seq, last), ARRIVE_MS);
	if (waited < 0)
		fail_msg("records missing at the central rsyslog after SIGCONT:%s",
			 jl_missing(cen, ag->min_seq, last));
	printf("shipping: local rsyslog stopped: 1000 accesses in the agent's log %lld ms after "
	       "the last; records 1-%llu at the central %lld ms after SIGCONT (%lld records/s)\n",
	       lag, (unsigned long long)last, waited,
	       waited > 0 ? (long long)last * 1000 / waited : 0);

	assert_int_equal(h_stop(&H), 0);
	jl_read(ag);
	if (WAIT_UNTIL(jl_has_range(jl_read(cen), ag->min_seq, ag->max_seq), 60000) < 0)
		fail_msg("the Stop record did not arrive:%s", jl_missing(cen, ag->min_seq, ag->max_seq));
	for (uint64_t s = ag->min_seq; s <= ag->max_seq; s++)
		assert_string_equal(ag->line[s], cen->line[s]);
	stop = jl_last_json(ag);
	ss = syslog_stats(stop);
	assert_int_equal(h_int(ss, "dropped"), 0);
	json_object_put(stop);
}

/* One frame of RFC 6587 octet counting from @p (@end); its message and
 * length, and where the next starts; NULL at the end or on bad framing. */
static const char *next_frame(const char *p, const char *end, size_t *len, const char **next)
{
	char *sp;
	unsigned long n;

	if (p >= end)
		return NULL;
	n = strtoul(p, &sp, 10);
	if (sp == p || sp >= end || *sp != ' ' || n > (size_t)(end - sp - 1))
		return NULL;
	*len = n;
	*next = sp + 1 + n;
	return sp + 1;
}

/* After the header "<PRI>1 TS HOST APP PROCID MSGID - " (seven spaces). */
static size_t header_len(const char *msg, size_t len)
{
	size_t i = 0;

	for (int sp = 0; i < len && sp < 7; i++)
		sp += msg[i] == ' ';
	return i;
}

/* At the default --syslog-max-message (8096, rsyslog's default), a
 * record over it is cut to fit (valid UTF-8, a prefix of the record) and
 * counted in the Stop record; the others go whole. */
static void an_oversized_record_is_cut_and_counted(void **state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char target[PATH_MAX + 16];
	struct jl *ag = &AG;
	int lfd, cfd, cut = 0, frames = 0;
	char *buf = NULL, *p;
	size_t cap = 0, n = 0, len;
	const char *msg, *next, *end;
	json_object *stop;

	(void)state;
	/* A stream socket of ours: we see each message as the agent sent it. */
	h_path(sa.sun_path, H.root, "capture.sock");
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 4))
		h_die("capture socket: %s", strerror(errno));
	snprintf(target, sizeof(target), "unix-stream:%s", sa.sun_path);
	const char *extra[] = { "--syslog", target, NULL };

	start_agent(extra);
	jl_init(ag, H.out);
	access_file(files[0]);
	access_file(long_file);
	access_file(files[1]);
	if (WAIT_UNTIL(agent_saw(ag, files[1]), 30000) < 0)
		fail_msg("the agent did not record the opens");
	assert_int_equal(h_stop(&H), 0);
	jl_read(ag);

	/* Everything the agent sent, to its close. */
	struct pollfd pfd = { .fd = lfd, .events = POLLIN };

	assert_int_equal(poll(&pfd, 1, 5000), 1);
	cfd = accept(lfd, NULL, NULL);
	assert_true(cfd >= 0);
	for (;;) {
		ssize_t got;

		if (n + 65536 > cap) {
			cap = (cap + 65536) * 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		got = read(cfd, buf + n, cap - n);
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(cfd);
	close(lfd);
	end = buf + n;

	/* Frame i is record min_seq + i: one connection, in order, none lost. */
	for (p = buf; (msg = next_frame(p, end, &len, &next)); p = (char *)next, frames++) {
		uint64_t s = ag->min_seq + (uint64_t)frames;
		const char *rec = s <= ag->max_seq ? ag->line[s] : NULL;
		size_t hlen = header_len(msg, len), rlen;

		assert_non_null(rec);
		rlen = strlen(rec) - 1; /* its newline is not sent */
		assert_true(len <= 8096);
		assert_memory_equal(msg, "<", 1);
		if (hlen + rlen <= 8096) {
			assert_int_equal(len - hlen, rlen);
		} else {
			/* Cut: a prefix, as long as fits short of a UTF-8 character. */
			assert_true(len - hlen < rlen);
			assert_true(len > 8096 - 4);
			cut++;
		}
		assert_memory_equal(msg + hlen, rec, len - hlen);
	}
	assert_ptr_equal(p, end); /* the framing held to the last byte */
	assert_int_equal(frames, ag->distinct);
	stop = jl_last_json(ag);
	assert_true(h_is_activity(stop, "Stop"));
	printf("shipping: %d of %d records over 8096 bytes cut, Stop record says %lld\n", cut,
	       frames, h_int(syslog_stats(stop), "truncated"));
	assert_true(cut >= 2); /* the long path's Open and Read */
	assert_int_equal(h_int(syslog_stats(stop), "truncated"), cut);
	assert_int_equal(h_int(syslog_stats(stop), "dropped"), 0);
	json_object_put(stop);
	free(buf);
}

/* The host's rsyslog is not running: the records reach the agent's log at
 * once all the same, --syslog queues what its bound holds (1 MiB here),
 * drops the oldest beyond it and says so in a record, and the Stop record
 * accounts for every record: sent + dropped + pending. */
static void with_no_local_rsyslog_the_agent_never_blocks_and_counts(void **state)
{
	char target[64];
	struct jl *ag = &AG;
	long long lag;
	json_object *stop, *ss;
	int port = free_port();

	(void)state;
	snprintf(target, sizeof(target), "tcp:127.0.0.1:%d", port);
	const char *extra[] = { "--syslog", target, "--syslog-queue-mb", "1", NULL };

	start_agent(extra);
	jl_init(ag, H.out);
	for (int i = 0; i < 1000; i++)
		access_file(files[i]);
	lag = WAIT_UNTIL(agent_saw(ag, files[999]), PROMPT_MS);
	if (lag < 0)
		fail_msg("with nobody on %s, the agent's log fell %d s behind", target,
			 PROMPT_MS / 1000);
	assert_int_equal(h_stop(&H), 0);
	jl_read(ag);
	assert_true(jl_has_range(ag, ag->min_seq, ag->max_seq));
	stop = jl_last_json(ag);
	assert_true(h_is_activity(stop, "Stop"));
	ss = syslog_stats(stop);
	printf("shipping: nobody listening: 1000 accesses in the agent's log %lld ms after the "
	       "last; Stop record: sent %lld, dropped %lld, pending %lld, of %llu records\n",
	       lag, h_int(ss, "sent"), h_int(ss, "dropped"), h_int(ss, "pending"),
	       (unsigned long long)(ag->max_seq - ag->min_seq));
	assert_int_equal(h_int(ss, "sent"), 0);
	assert_int_equal(h_int(ss, "reconnects"), 0);
	assert_true(h_int(ss, "dropped") > 0);
	assert_true(h_int(ss, "pending") > 0);
	assert_int_equal(h_int(ss, "sent") + h_int(ss, "dropped") + h_int(ss, "pending"),
			 (long long)(ag->max_seq - ag->min_seq));
	assert_non_null(jl_find(ag, "\"activity_name\":\"Syslog Dropped\""));
	assert_true(h_file_contains(H.err, "records not delivered at close"));
	json_object_put(stop);
}

int main(void)
{
	const char *probe[] = { "rsyslogd", "-v", NULL };

	if (run_wait(NULL, probe)) {
		fprintf(stderr, "integ_shipping: rsyslogd not found (make deps installs rsyslog, "
				"rsyslog-relp)\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (getenv("PA_SHIP_ONLY")) /* a glob: "*outage*" */
		cmocka_set_test_filter(getenv("PA_SHIP_ONLY"));
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(the_shipped_configs_validate_with_and_without_tls),
		T(a_10s_collector_outage_in_a_burst_loses_no_record),
		T(with_tls_on_the_records_arrive_the_same),
		T(a_hung_local_rsyslog_stalls_nothing_and_loses_nothing),
		T(an_oversized_record_is_cut_and_counted),
		T(with_no_local_rsyslog_the_agent_never_blocks_and_counts),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
