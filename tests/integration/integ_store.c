// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel tests of the log store (--log-dir) through the real agent and
 * the real CLI: the key is made once, the agent writes gzip files that any
 * gzip reader opens, a kill -9 loses at most the member being filled and
 * the restart says so, a clean restart goes on with the chain, and
 * `phiaudit verify` tells an intact log from an altered one.
 *
 * Each test has its own tree, log directory and agent (started here, not
 * with h_start_argv: that one always adds --jsonl, and these tests read
 * the store alone unless they ask for both). The logs are read back with
 * zlib, member by member, independently of the agent's own reader, and
 * checked against /bin/zcat where a file is whole.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <zlib.h>

#include "harness.h"

#define FLUSH_MS     "200"
#define N_FILES	     50
#define KEY_HEX_LEN  64
#define END	     ((size_t)-1)

static struct harness H;
static char logdir[PATH_MAX];	/* root/log: the store */
static char keyfile[PATH_MAX];	/* root/key: what --init-key printed */
static char cmd_out[PATH_MAX];	/* root/cmd.out, root/cmd.err: a command's output */
static char cmd_err[PATH_MAX];
static pid_t looper;		/* a reader or holder child, killed by the teardown too */
static volatile long *opened;	/* opens the reader made (shared with it) */
static pid_t test_pid;

/* ---- processes ---- */

static const char *cli_path(void)
{
	static char p[PATH_MAX];
	const char *b = getenv("PA_CLI");

	if (b)
		return b;
	snprintf(p, sizeof(p), "%s/san/phiaudit", PA_BUILD_DIR);
	return p;
}

/* Run argv to its end, stdout and stderr to files; exit status, or
 * 128+signal. */
static int run(const char *const *argv, const char *out, const char *err)
{
	int status;
	pid_t pid = h_fork();

	if (pid == 0) {
		int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fo < 0 || fe < 0)
			_exit(126);
		dup2(fo, 1);
		dup2(fe, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* phiauditd --init-key --log-dir DIR > keyfile */
static int init_key(const char *dir)
{
	const char *const argv[] = { h_agent_path(), "--init-key", "--log-dir", dir, NULL };

	return run(argv, keyfile, cmd_err);
}

static void dump(const char *what, const char *path)
{
	char buf[4096];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	fprintf(stderr, "--- %s:\n%s", what, buf);
}

/* phiaudit verify --key-file KEY DIR: exit status, output in cmd_out and
 * cmd_err. Shown on stderr when the status is not @want, so a failed
 * assertion comes with the reason. */
static int verify(const char *key, const char *dir, int want)
{
	const char *const argv[] = { cli_path(), "verify", "--key-file", key, dir, NULL };
	int rc = run(argv, cmd_out, cmd_err);

	if (getenv("PA_TEST_VERBOSE") || rc != want) {
		fprintf(stderr, "phiaudit verify exited %d\n", rc);
		dump("stdout", cmd_out);
		dump("stderr", cmd_err);
	}
	return rc;
}

/*
 * Start the agent on the test's tree and log directory, with a short
 * flush interval and the extra arguments. As h_start_argv: 0 once ready,
 * -status-1 if it exited first.
 */
static int start_agent(const char *dir, const char *const *extra)
{
	const char *argv[32] = { h_agent_path(), "--watch", H.watch, "--log-dir", dir,
				 "--flush-interval-ms", FLUSH_MS, "--run-dir", "none" };
	size_t n = 9;

	for (; extra && *extra && n < 30; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	/* Emptied here, not in the child: a restart must not find the last
	 * run's "ready:" before the child gets to it. */
	h_write_file(H.err, "", 0600);
	H.agent = h_fork();
	if (H.agent == 0) {
		int fd = open(H.err, O_WRONLY | O_APPEND);

		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 3000; i++) {
		int status;

		if (h_file_contains(H.err, "ready:"))
			return 0;
		if (waitpid(H.agent, &status, WNOHANG) == H.agent) {
			H.agent = 0;
			return -(WIFEXITED(status) ? WEXITSTATUS(status) : 128) - 1;
		}
		h_sleep_ms(10);
	}
	h_die("agent not ready after 30 s");
	return -1;
}

static void kill_9_agent(void)
{
	int status;

	assert_int_equal(kill(H.agent, SIGKILL), 0);
	assert_int_equal(waitpid(H.agent, &status, 0), H.agent);
	H.agent = 0;
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* One clean run: start, stop (SIGTERM). */
static void clean_run(void)
{
	assert_int_equal(start_agent(logdir, NULL), 0);
	assert_int_equal(h_stop(&H), 0);
}

/* ---- reading the log back ---- */

static uint8_t *read_all(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		h_die("%s: %s", path, strerror(errno));
	buf = malloc((size_t)st.st_size + 1);
	if (!buf || read(fd, buf, (size_t)st.st_size) != st.st_size)
		h_die("read %s", path);
	close(fd);
	buf[st.st_size] = 0;
	*len = (size_t)st.st_size;
	return buf;
}

struct text {
	char *p;
	size_t len, cap;
};

static void text_add(struct text *t, const void *buf, size_t len)
{
	if (t->len + len + 1 > t->cap) {
		t->cap = (t->len + len + 1) * 2;
		t->p = realloc(t->p, t->cap);
		if (!t->p)
			h_die("out of memory");
	}
	memcpy(t->p + t->len, buf, len);
	t->len += len;
	t->p[t->len] = '\0';
}

enum member_end { WHOLE = 0, INCOMPLETE, CORRUPT };

/* Inflate one gzip member at buf[0..len): its text appended to @t only if
 * it is whole; *used its length. */
static enum member_end inflate_member(const uint8_t *buf, size_t len, struct text *t,
				      size_t *used)
{
	struct text m = { 0 };
	uint8_t out[65536];
	z_stream z = { 0 };
	int rc = Z_OK;

	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		h_die("inflateInit2");
	z.next_in = (Bytef *)buf;
	z.avail_in = (uInt)len;
	while (rc == Z_OK) {
		z.next_out = out;
		z.avail_out = sizeof(out);
		rc = inflate(&z, Z_NO_FLUSH);
		text_add(&m, out, sizeof(out) - z.avail_out);
		if (rc == Z_BUF_ERROR && z.avail_in == 0)
			break;
	}
	*used = len - z.avail_in;
	inflateEnd(&z);
	if (rc == Z_STREAM_END && m.len)
		text_add(t, m.p, m.len);
	free(m.p);
	if (rc == Z_STREAM_END)
		return WHOLE;
	return rc == Z_BUF_ERROR || (rc == Z_OK && z.avail_in == 0) ? INCOMPLETE : CORRUPT;
}

/* A seal (chain.h): a gzip member whose header has FEXTRA with the
 * subfield 'P','A'. */
static bool is_seal(const uint8_t *m, size_t len)
{
	return len >= 16 && (m[3] & 0x04) && m[12] == 'P' && m[13] == 'A';
}

/* One log file, as any gzip reader sees it. */
struct gzfile {
	char name[256];
	mode_t mode;
	struct text text;	/* the whole members' text */
	size_t members;
	bool last_was_seal;	/* the last whole member is a seal */
	size_t last_off, prev_off; /* where the last two whole members begin */
	size_t whole_end;	/* where the last whole member ends */
	size_t size;
	enum member_end end;	/* what follows whole_end */
};

static void gzfile_read(const char *dir, struct gzfile *f)
{
	char path[PATH_MAX];
	struct stat st;
	uint8_t *buf;
	size_t len, off = 0;

	h_path(path, dir, f->name);
	if (stat(path, &st))
		h_die("%s: %s", path, strerror(errno));
	f->mode = st.st_mode & 07777;
	buf = read_all(path, &len);
	f->size = len;
	f->end = WHOLE;
	while (off < len) {
		size_t used;
		enum member_end e = inflate_member(buf + off, len - off, &f->text, &used);

		if (e != WHOLE) {
			f->end = e;
			break;
		}
		f->members++;
		f->last_was_seal = is_seal(buf + off, used);
		f->prev_off = f->last_off;
		f->last_off = off;
		off += used;
	}
	f->whole_end = off;
	free(buf);
}

/* The newest file ends in a member not finished, or not sealed. */
static bool gzfile_unfinished(const struct gzfile *f)
{
	return f->end != WHOLE || (f->members && !f->last_was_seal);
}

/* The log directory: its files (by name = by time) and their records. */
struct glog {
	struct gzfile files[64];
	size_t n_files, n_partial;
	json_object **rec;
	char **line;
	size_t n, cap;
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct gzfile *)a)->name, ((const struct gzfile *)b)->name);
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

static void glog_add_line(struct glog *g, const char *line, size_t len)
{
	char *copy = strndup(line, len);
	json_object *o = json_tokener_parse(copy);

	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 1024;
		g->rec = realloc(g->rec, g->cap * sizeof(*g->rec));
		g->line = realloc(g->line, g->cap * sizeof(*g->line));
		if (!g->rec || !g->line)
			h_die("out of memory");
	}
	g->rec[g->n] = o;
	g->line[g->n++] = copy;
	if (!o || !json_object_is_type(o, json_type_object))
		fail_msg("a line of the log is not a JSON object: %s", copy);
}

static void glog_free(struct glog *g)
{
	for (size_t i = 0; i < g->n; i++) {
		json_object_put(g->rec[i]);
		free(g->line[i]);
	}
	free(g->rec);
	free(g->line);
	for (size_t i = 0; i < g->n_files; i++)
		free(g->files[i].text.p);
	memset(g, 0, sizeof(*g));
}

/* Read every phiaudit-*.json.gz in @dir; every line of every whole member
 * must be a JSON object (a failed assertion otherwise). */
static void glog_read(const char *dir, struct glog *g)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	glog_free(g);
	if (!d)
		h_die("%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		if (has_suffix(de->d_name, ".partial") || strstr(de->d_name, ".partial."))
			g->n_partial++;
		if (strncmp(de->d_name, "phiaudit-", 9) || !has_suffix(de->d_name, ".json.gz"))
			continue;
		if (g->n_files == sizeof(g->files) / sizeof(g->files[0]))
			h_die("too many log files");
		snprintf(g->files[g->n_files++].name, sizeof(g->files[0].name), "%s", de->d_name);
	}
	closedir(d);
	qsort(g->files, g->n_files, sizeof(g->files[0]), cmp_name);
	for (size_t i = 0; i < g->n_files; i++) {
		struct gzfile *f = &g->files[i];
		const char *p;

		gzfile_read(dir, f);
		/* Members hold whole records: the text ends with a newline. */
		if (f->text.len && f->text.p[f->text.len - 1] != '\n')
			fail_msg("%s: its whole members end inside a record", f->name);
		for (p = f->text.p; p && p < f->text.p + f->text.len;) {
			const char *nl = memchr(p, '\n', (size_t)(f->text.p + f->text.len - p));

			glog_add_line(g, p, (size_t)(nl - p));
			p = nl + 1;
		}
	}
}

static struct glog G; /* the log a test read last (freed by the teardown) */

static size_t glog_count(const struct glog *g, h_match_fn fn, const void *arg)
{
	size_t c = 0;

	for (size_t i = 0; i < g->n; i++)
		c += fn(g->rec[i], arg);
	return c;
}

/* The first record in [from, to) that matches (to: (size_t)-1 for the end). */
static json_object *glog_find(const struct glog *g, size_t from, size_t to, h_match_fn fn,
			      const void *arg)
{
	for (size_t i = from; i < g->n && i < to; i++)
		if (fn(g->rec[i], arg))
			return g->rec[i];
	return NULL;
}

/* Where each agent run begins in the log: its Start record's index. */
static size_t glog_runs(const struct glog *g, size_t *starts, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < g->n; i++)
		if (h_is_activity(g->rec[i], "Start") && n < max)
			starts[n++] = i;
	return n;
}

/* Records [from, to) carry metadata.sequence 1, 2, 3, ... with no hole
 * (across agent runs too: the store keeps the last number sealed). */
static void assert_sequence_from_one(const struct glog *g, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		long long seq = h_int(g->rec[i], "metadata.sequence");

		if (seq != (long long)(i - from + 1))
			fail_msg("record %zu of the run has sequence %lld, not %zu", i - from, seq,
				 i - from + 1);
	}
}

/* /bin/zcat FILE: its output must be the whole members' text exactly. */
static void assert_zcat_agrees(const char *dir, const struct gzfile *f)
{
	char path[PATH_MAX], zout[PATH_MAX];
	const char *const argv[] = { "/bin/zcat", path, NULL };
	uint8_t *buf;
	size_t len;
	int rc;

	h_path(path, dir, f->name);
	h_path(zout, H.root, "zcat.out");
	rc = run(argv, zout, cmd_err);
	buf = read_all(zout, &len);
	if (f->end == WHOLE) {
		assert_int_equal(rc, 0);
		assert_int_equal(len, f->text.len);
	} else {
		/* zcat prints what it could and fails on the cut-off member */
		assert_int_not_equal(rc, 0);
		assert_true(len >= f->text.len);
	}
	assert_memory_equal(buf, f->text.p ? f->text.p : "", f->text.len);
	free(buf);
}

/* ---- matchers ---- */

static bool is_stop(json_object *r, const void *arg)
{
	return h_is_activity(r, "Stop");
}

static bool is_store_event(json_object *r, const void *name)
{
	return h_is_activity(r, name) && h_get(r, "unmapped.log_store");
}

static bool is_log_resumed(json_object *r, const void *arg)
{
	return is_store_event(r, "Log Resumed");
}

static bool is_open_record(json_object *r, const void *arg)
{
	return h_int(r, "class_uid") == 1001 && h_int(r, "activity_id") == 14;
}

/* ---- what processes do ---- */

static char files[N_FILES][PATH_MAX];

static void make_files(void)
{
	for (int i = 0; i < N_FILES; i++) {
		char name[32];

		snprintf(name, sizeof(name), "patient-%02d.txt", i);
		h_path(files[i], H.watch, name);
		h_write_file(files[i], "name: test patient\n", 0644);
	}
}

static int open_read(const char *path)
{
	char buf[64];
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf)) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int read_every_file(void *arg)
{
	for (int i = 0; i < N_FILES; i++)
		if (open_read(files[i]))
			return 1;
	return 0;
}

/* A child that, until killed, opens and reads the files, counting in
 * *opened. A few thousand a second: a stream that keeps every flush
 * interval's member busy, without so many records that reading them back
 * takes minutes under ASan. */
static pid_t start_reader(void)
{
	pid_t pid = h_fork();

	if (pid != 0)
		return pid;
	for (;;) {
		for (int i = 0; i < N_FILES; i++)
			if (!open_read(files[i]))
				(*opened)++;
		h_sleep_ms(10);
	}
}

/* A process that opened and read N_HELD watched files and holds them
 * open until killed; returns once they are all open. */
#define N_HELD 3000

static pid_t start_holder(void)
{
	struct rlimit rl = { N_HELD + 64, N_HELD + 64 };
	int ready[2];
	char c;
	pid_t pid;

	if (pipe(ready))
		h_die("pipe");
	pid = h_fork();
	if (pid == 0) {
		close(ready[0]);
		if (setrlimit(RLIMIT_NOFILE, &rl))
			_exit(1);
		for (int i = 0; i < N_HELD; i++) {
			int fd = open(files[i % N_FILES], O_RDONLY);

			if (fd < 0 || read(fd, &c, 1) != 1)
				_exit(2);
		}
		if (write(ready[1], "r", 1) != 1)
			_exit(3);
		pause();
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1) { /* it exited */
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(ready[0]);
	return pid;
}

static void stop_looper(void)
{
	if (looper > 0) {
		kill(looper, SIGKILL);
		waitpid(looper, NULL, 0);
	}
	looper = 0;
}

/* h_die exits without the teardown: no agent or child outlives the test
 * binary all the same. */
static void kill_children(void)
{
	if (getpid() != test_pid)
		return;
	if (H.agent > 0)
		kill(H.agent, SIGKILL);
	if (looper > 0)
		kill(looper, SIGKILL);
}

/* ---- fixtures ---- */

static int each_setup(void **state)
{
	h_init(&H);
	h_path(logdir, H.root, "log");
	h_path(keyfile, H.root, "key");
	h_path(cmd_out, H.root, "cmd.out");
	h_path(cmd_err, H.root, "cmd.err");
	make_files();
	looper = 0;
	*opened = 0;
	return 0;
}

static int each_teardown(void **state)
{
	stop_looper();
	glog_free(&G);
	h_cleanup(&H); /* stops the agent if one still runs */
	return 0;
}

/* The log directory with a key, ready for the agent. */
static void ready_logdir(void)
{
	assert_int_equal(init_key(logdir), 0);
}

/* ---- 1. the key ---- */

static void test_init_key_prints_the_key_once_and_locks_the_directory(void **state)
{
	char chain[PATH_MAX];
	uint8_t *out;
	size_t len;
	struct stat st;

	assert_int_equal(init_key(logdir), 0);
	out = read_all(keyfile, &len);
	assert_int_equal(len, KEY_HEX_LEN + 1);
	for (size_t i = 0; i < KEY_HEX_LEN; i++)
		assert_true(isxdigit(out[i]));
	assert_int_equal(out[KEY_HEX_LEN], '\n');
	free(out);
	/* what to do with it goes to stderr, not into the key file */
	assert_true(h_file_contains(cmd_err, "Keep it off this"));
	assert_true(h_file_contains(cmd_err, "phiaudit verify"));
	assert_int_equal(stat(logdir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	h_path(chain, logdir, ".chain");
	assert_int_equal(lstat(chain, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void test_init_key_makes_the_directory_0750_whatever_the_umask(void **state)
{
	mode_t old = umask(077); /* inherited by the agent */
	struct stat st;
	int rc = init_key(logdir);

	umask(old);
	assert_int_equal(rc, 0);
	assert_int_equal(stat(logdir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
}

static void test_second_init_key_is_refused_naming_the_chain(void **state)
{
	char first[KEY_HEX_LEN + 2], chain[PATH_MAX];
	uint8_t *out;
	size_t len;

	assert_int_equal(init_key(logdir), 0);
	out = read_all(keyfile, &len);
	snprintf(first, sizeof(first), "%s", (char *)out);
	free(out);
	h_path(chain, logdir, ".chain");
	assert_int_not_equal(init_key(logdir), 0);
	assert_true(h_file_contains(cmd_err, chain));
	/* no key printed, and the chain still holds the first one */
	out = read_all(keyfile, &len);
	assert_int_equal(len, 0);
	free(out);
	first[KEY_HEX_LEN] = '\0';
	assert_true(h_file_contains(chain, first));
}

static void test_agent_without_a_key_refuses_to_start(void **state)
{
	DIR *d;
	struct dirent *de;

	h_mkdirs(logdir);
	chmod(logdir, 0750);
	assert_true(start_agent(logdir, NULL) < -1); /* exited, not 0 */
	assert_true(h_file_contains(H.err, "--init-key"));
	assert_true(h_file_contains(H.err, logdir));
	/* and left nothing behind */
	d = opendir(logdir);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			fail_msg("%s left in the directory", de->d_name);
	closedir(d);
}

/* ---- 2. what the agent writes ---- */

static void test_log_files_hold_every_open_and_the_stop_and_verify(void **state)
{
	ready_logdir();
	assert_int_equal(start_agent(logdir, NULL), 0);
	h_child(read_every_file, NULL);
	assert_int_equal(h_stop(&H), 0);
	glog_read(logdir, &G);
	assert_true(G.n_files >= 1);
	for (size_t i = 0; i < G.n_files; i++) {
		assert_int_equal(G.files[i].mode, 0640);
		assert_int_equal(G.files[i].end, WHOLE);
		assert_false(gzfile_unfinished(&G.files[i]));
		assert_zcat_agrees(logdir, &G.files[i]);
	}
	for (int i = 0; i < N_FILES; i++)
		if (glog_count(&G, h_is_open_of, files[i]) != 1)
			fail_msg("%s: %zu Open records, not 1", files[i],
				 glog_count(&G, h_is_open_of, files[i]));
	assert_int_equal(glog_count(&G, is_stop, NULL), 1);
	assert_true(is_stop(G.rec[G.n - 1], NULL)); /* the last record */
	assert_sequence_from_one(&G, 0, G.n);
	glog_free(&G);
	assert_int_equal(verify(keyfile, logdir, 0), 0);
	assert_true(h_file_contains(cmd_out, "OK:"));
	assert_true(h_file_contains(cmd_out, "1 agent runs, 0 ended by a crash"));
}

/* ---- 3. kill -9 ---- */

static void test_kill_9_loses_no_whole_member_and_the_restart_records_it(void **state)
{
	size_t starts[4];
	json_object *rec;
	bool unfinished;
	int rc;

	ready_logdir();
	assert_int_equal(start_agent(logdir, NULL), 0);
	looper = start_reader();
	h_sleep_ms(1500); /* several flush intervals */
	kill_9_agent();
	stop_looper();
	print_message("reader opened %ld files before the kill\n", *opened);
	assert_true(*opened >= 1000);

	/* What it left: every file reads up to its last whole member. */
	glog_read(logdir, &G);
	assert_int_equal(G.n_files, 1);
	assert_int_not_equal(G.files[0].end, CORRUPT);
	assert_zcat_agrees(logdir, &G.files[0]);
	unfinished = gzfile_unfinished(&G.files[0]);
	assert_true(G.n > 0);
	assert_true(h_is_activity(G.rec[0], "Start"));
	assert_true(glog_count(&G, is_open_record, NULL) > 0);
	assert_int_equal(glog_count(&G, is_stop, NULL), 0);
	assert_sequence_from_one(&G, 0, G.n);
	print_message("after the kill: %zu records in %zu members, %zu bytes after the last\n", G.n,
		      G.files[0].members, G.files[0].size - G.files[0].whole_end);
	glog_free(&G);
	rc = verify(keyfile, logdir, unfinished ? 3 : 0);
	print_message("verify before the restart: %d (%s)\n", rc,
		      rc == 3 ? "CRASH: the file ends mid-member" : "OK");
	assert_int_equal(rc, unfinished ? 3 : 0);
	assert_true(h_file_contains(cmd_out, unfinished ? "CRASH:" : "OK:"));

	/* The restart takes the log over and says what it found. */
	assert_int_equal(start_agent(logdir, NULL), 0);
	assert_int_equal(h_stop(&H), 0);
	assert_int_equal(verify(keyfile, logdir, 0), 0);
	assert_true(h_file_contains(cmd_out, "after a crash"));
	assert_true(h_file_contains(cmd_out, "2 agent runs, 1 ended by a crash"));
	glog_read(logdir, &G);
	assert_int_equal(G.n_partial, unfinished ? 1 : 0);
	for (size_t i = 0; i < G.n_files; i++) {
		assert_int_equal(G.files[i].end, WHOLE);
		assert_false(gzfile_unfinished(&G.files[i]));
	}
	assert_int_equal(glog_runs(&G, starts, 4), 2);
	/* Record numbers run on across the restart (from the last one
	 * sealed): the whole log is 1..N with no hole. */
	assert_sequence_from_one(&G, 0, G.n);
	rec = glog_find(&G, starts[1], END, is_store_event, "Log Recovered");
	assert_non_null(rec);
	assert_non_null(h_get(rec, "unmapped.log_store.previous_stop_clean"));
	assert_false(json_object_get_boolean(h_get(rec, "unmapped.log_store.previous_stop_clean")));
	assert_true(strstr(json_object_to_json_string_ext(rec, JSON_C_TO_STRING_PLAIN),
			   "\"previous_stop_clean\":false") != NULL);
	if (unfinished)
		assert_true(h_int(rec, "unmapped.log_store.bytes_cut") > 0);
	else
		assert_int_equal(h_int(rec, "unmapped.log_store.bytes_cut"), 0);
	assert_null(glog_find(&G, 0, END, is_store_event, "Log Resumed"));
	glog_free(&G);
}

static void test_an_unfinished_last_member_is_moved_aside_at_restart(void **state)
{
	/* What a crash in the middle of a write leaves: the first half of a
	 * member after the last seal. Made here from the file's own last data
	 * member, appended after a kill -9. */
	char path[PATH_MAX], partial[PATH_MAX];
	uint8_t *buf;
	size_t len, half;
	json_object *rec;
	struct stat st;
	int fd;

	ready_logdir();
	assert_int_equal(start_agent(logdir, NULL), 0);
	h_child(read_every_file, NULL);
	h_sleep_ms(600); /* a few members */
	kill_9_agent();
	glog_read(logdir, &G);
	assert_int_equal(G.n_files, 1);
	assert_false(gzfile_unfinished(&G.files[0]));
	assert_true(G.files[0].members >= 2);
	h_path(path, logdir, G.files[0].name);
	snprintf(partial, sizeof(partial), "%s.partial", G.files[0].name);
	buf = read_all(path, &len);
	half = (G.files[0].last_off - G.files[0].prev_off) / 2;
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf + G.files[0].prev_off, half), (ssize_t)half);
	close(fd);
	free(buf);

	glog_read(logdir, &G);
	assert_int_equal(G.files[0].end, INCOMPLETE);
	assert_zcat_agrees(logdir, &G.files[0]);
	assert_int_equal(verify(keyfile, logdir, 3), 3);
	assert_true(h_file_contains(cmd_out, "CRASH:"));

	assert_int_equal(start_agent(logdir, NULL), 0);
	assert_int_equal(h_stop(&H), 0);
	assert_int_equal(verify(keyfile, logdir, 0), 0);
	assert_true(h_file_contains(cmd_out, "after a crash"));
	assert_true(h_file_contains(cmd_out, partial));
	glog_read(logdir, &G);
	assert_int_equal(G.n_partial, 1);
	for (size_t i = 0; i < G.n_files; i++)
		assert_false(gzfile_unfinished(&G.files[i]));
	rec = glog_find(&G, 0, END, is_store_event, "Log Recovered");
	assert_non_null(rec);
	assert_int_equal(h_int(rec, "unmapped.log_store.bytes_cut"), half);
	assert_string_equal(h_str(rec, "unmapped.log_store.partial_file"), partial);
	h_path(path, logdir, partial);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, half);
	assert_int_equal(st.st_mode & 07777, 0640);
}

/* ---- 4. clean restart ---- */

static void test_clean_restart_resumes_the_chain(void **state)
{
	size_t starts[4];
	json_object *rec;

	ready_logdir();
	clean_run();
	clean_run();
	glog_read(logdir, &G);
	assert_int_equal(G.n_files, 2); /* the first rotated at the second start */
	assert_int_equal(G.n_partial, 0);
	assert_int_equal(glog_runs(&G, starts, 4), 2);
	assert_null(glog_find(&G, 0, starts[1], is_store_event, "Log Resumed"));
	rec = glog_find(&G, starts[1], END, is_store_event, "Log Resumed");
	assert_non_null(rec);
	assert_true(json_object_get_boolean(h_get(rec, "unmapped.log_store.previous_stop_clean")));
	assert_null(glog_find(&G, 0, END, is_store_event, "Log Recovered"));
	assert_int_equal(glog_count(&G, is_stop, NULL), 2);
	assert_sequence_from_one(&G, 0, G.n); /* numbers run on across the restart */
	glog_free(&G);
	assert_int_equal(verify(keyfile, logdir, 0), 0);
	assert_true(h_file_contains(cmd_out, "OK:"));
	assert_true(h_file_contains(cmd_out, "2 agent runs, 0 ended by a crash"));
	assert_false(h_file_contains(cmd_out, "after a crash"));
}

static void test_a_clean_stop_with_files_held_open_is_not_taken_for_a_crash(void **state)
{
	/* Files open at the stop make its last records take a while: longer
	 * than the flush interval, so the member holding them is due (and
	 * written) before the store closes. The run's end must be sealed
	 * all the same. */
	const char *const fast[] = { "--flush-interval-ms", "10", NULL };
	const int runs = 3;

	ready_logdir();
	for (int i = 0; i < runs; i++) {
		assert_int_equal(start_agent(logdir, fast), 0);
		looper = start_holder();
		assert_true(looper > 0);
		assert_int_equal(h_stop(&H), 0);
		stop_looper();
	}
	glog_read(logdir, &G);
	assert_int_equal(glog_count(&G, is_stop, NULL), runs);
	assert_null(glog_find(&G, 0, END, is_store_event, "Log Recovered"));
	assert_int_equal(glog_count(&G, is_log_resumed, NULL), runs - 1);
	assert_int_equal(verify(keyfile, logdir, 0), 0);
	assert_true(h_file_contains(cmd_out, "3 agent runs, 0 ended by a crash"));
}

static void test_a_first_run_killed_before_its_first_member_is_recorded(void **state)
{
	/* A long flush interval: nothing reaches the disk before the kill. */
	const char *const slow[] = { "--flush-interval-ms", "60000", NULL };
	size_t starts[4];
	json_object *rec;

	ready_logdir();
	assert_int_equal(start_agent(logdir, slow), 0);
	h_child(read_every_file, NULL);
	kill_9_agent();
	glog_read(logdir, &G);
	assert_int_equal(G.n_files, 0);
	assert_int_equal(start_agent(logdir, NULL), 0);
	assert_int_equal(h_stop(&H), 0);
	glog_read(logdir, &G);
	assert_int_equal(glog_runs(&G, starts, 4), 1);
	/* The Start and the 50 opens of the first run are gone: say so. */
	rec = glog_find(&G, 0, END, is_store_event, "Log Recovered");
	assert_non_null(rec);
	assert_false(json_object_get_boolean(h_get(rec, "unmapped.log_store.previous_stop_clean")));
}

/* ---- 5. verify against tampering and misuse ---- */

/* The rotated file of two clean runs (the older one). */
static void rotated_file(char *path)
{

	glog_read(logdir, &G);
	assert_int_equal(G.n_files, 2);
	assert_non_null(strstr(G.files[0].name, "--")); /* FIRST--LAST: rotated */
	h_path(path, logdir, G.files[0].name);
	glog_free(&G);
}

static void flip_byte(const char *path, size_t off)
{
	uint8_t b;
	int fd = open(path, O_RDWR);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &b, 1, (off_t)off), 1);
	b ^= 0x01;
	assert_int_equal(pwrite(fd, &b, 1, (off_t)off), 1);
	close(fd);
}

static void test_a_flipped_byte_in_a_rotated_file_is_altered(void **state)
{
	char path[PATH_MAX];
	struct stat st;

	ready_logdir();
	clean_run();
	clean_run();
	rotated_file(path);
	assert_int_equal(verify(keyfile, logdir, 0), 0);
	assert_int_equal(stat(path, &st), 0);
	flip_byte(path, (size_t)st.st_size / 2);
	assert_int_equal(verify(keyfile, logdir, 1), 1);
	assert_true(h_file_contains(cmd_out, "ALTERED"));
	assert_true(h_file_contains(cmd_out, strrchr(path, '/') + 1));
	/* the byte back: intact again */
	flip_byte(path, (size_t)st.st_size / 2);
	assert_int_equal(verify(keyfile, logdir, 0), 0);
}

static void test_a_wrong_key_finds_the_log_altered(void **state)
{
	char other[PATH_MAX];

	ready_logdir();
	clean_run();
	h_path(other, H.root, "other.key");
	h_write_file(other, "# another log's key\n"
			    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n",
		     0600);
	assert_int_equal(verify(other, logdir, 1), 1);
	assert_true(h_file_contains(cmd_out, "ALTERED"));
	assert_int_equal(verify(keyfile, logdir, 0), 0);
}

static void test_a_key_file_without_a_key_is_named_with_its_line(void **state)
{
	char bad[PATH_MAX];

	ready_logdir();
	clean_run();
	h_path(bad, H.root, "bad.key");
	h_write_file(bad, "# comment\n\nnot-a-key-at-all\n", 0600);
	assert_int_equal(verify(bad, logdir, 2), 2);
	assert_true(h_file_contains(cmd_err, bad));
	assert_true(h_file_contains(cmd_err, "line 3"));
}

static void test_verify_without_key_file_is_a_usage_error(void **state)
{
	const char *const argv[] = { cli_path(), "verify", logdir, NULL };

	ready_logdir();
	assert_int_equal(run(argv, cmd_out, cmd_err), 2);
	assert_true(h_file_contains(cmd_err, "--key-file"));
}

static void test_verify_of_a_missing_directory_is_an_error(void **state)
{
	char missing[PATH_MAX];

	ready_logdir();
	h_path(missing, H.root, "no-such-log");
	assert_int_equal(verify(keyfile, missing, 2), 2);
	assert_true(h_file_contains(cmd_err, missing));
}

static void test_verify_of_a_directory_without_log_files_is_an_error(void **state)
{
	ready_logdir(); /* a key, and no log file yet */
	assert_int_equal(verify(keyfile, logdir, 2), 2);
	assert_true(h_file_contains(cmd_err, "no log files"));
}

/* ---- 6. --jsonl beside the store ---- */

static void test_jsonl_and_the_store_get_the_same_records(void **state)
{
	const char *const extra[] = { "--jsonl", H.out, NULL };
	char *line = NULL;
	size_t cap = 0, n = 0;
	bool differ = false;
	ssize_t len;
	FILE *f;

	ready_logdir();
	assert_int_equal(start_agent(logdir, extra), 0);
	h_child(read_every_file, NULL);
	assert_int_equal(h_stop(&H), 0);
	glog_read(logdir, &G);
	f = fopen(H.out, "r");
	assert_non_null(f);
	while ((len = getline(&line, &cap, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (n < G.n && strcmp(line, G.line[n]) && !differ) {
			print_error("record %zu differs:\n jsonl: %s\n store: %s\n", n, line,
				    G.line[n]);
			differ = true;
		}
		n++;
	}
	free(line);
	fclose(f);
	assert_false(differ);
	assert_int_equal(n, G.n);
	assert_true(glog_count(&G, is_open_record, NULL) >= N_FILES);
	glog_free(&G);
}

/* ---- 7. a planted symlink ---- */

static void test_log_dir_through_a_symlink_is_refused(void **state)
{
	char link[PATH_MAX];

	ready_logdir();
	h_path(link, H.root, "log-link");
	assert_int_equal(symlink(logdir, link), 0);
	assert_true(start_agent(link, NULL) < -1);
	assert_true(h_file_contains(H.err, link));
	assert_true(h_file_contains(H.err, "symbolic link"));
	glog_read(logdir, &G); /* nothing written through it */
	assert_int_equal(G.n_files, 0);
	glog_free(&G);
}

int main(void)
{
	test_pid = getpid();
	atexit(kill_children);
	opened = mmap(NULL, sizeof(*opened), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	if (opened == MAP_FAILED)
		h_die("mmap: %s", strerror(errno));
#define T(f) cmocka_unit_test_setup_teardown(f, each_setup, each_teardown)
	const struct CMUnitTest tests[] = {
		T(test_init_key_prints_the_key_once_and_locks_the_directory),
		T(test_init_key_makes_the_directory_0750_whatever_the_umask),
		T(test_second_init_key_is_refused_naming_the_chain),
		T(test_agent_without_a_key_refuses_to_start),
		T(test_log_files_hold_every_open_and_the_stop_and_verify),
		T(test_kill_9_loses_no_whole_member_and_the_restart_records_it),
		T(test_an_unfinished_last_member_is_moved_aside_at_restart),
		T(test_clean_restart_resumes_the_chain),
		T(test_a_clean_stop_with_files_held_open_is_not_taken_for_a_crash),
		T(test_a_first_run_killed_before_its_first_member_is_recorded),
		T(test_a_flipped_byte_in_a_rotated_file_is_altered),
		T(test_a_wrong_key_finds_the_log_altered),
		T(test_a_key_file_without_a_key_is_named_with_its_line),
		T(test_verify_without_key_file_is_a_usage_error),
		T(test_verify_of_a_missing_directory_is_an_error),
		T(test_verify_of_a_directory_without_log_files_is_an_error),
		T(test_jsonl_and_the_store_get_the_same_records),
		T(test_log_dir_through_a_symlink_is_refused),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
