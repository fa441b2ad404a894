/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Kernel-test harness: runs the real agent (the ASan+UBSan build) on a
 * temporary tree, reads the records it writes, and lets a test wait for
 * the one it caused. Header-only so each integ_*.c is one binary.
 *
 * A test proves an absence ("no record for this open") with a sentinel:
 * it makes the forbidden open, then an open that must be recorded, from
 * the same thread; once the sentinel's record is in, the first would be
 * too, had it been emitted.
 */
#ifndef PHIAUDIT_TEST_HARNESS_H
#define PHIAUDIT_TEST_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#ifndef PA_BUILD_DIR
#define PA_BUILD_DIR "build"
#endif

#define H_MAX_RECORDS 20000

struct harness {
	char root[PATH_MAX];  /* temp dir, outside the watch */
	char watch[PATH_MAX]; /* root/srv/phi, watched */
	char out[PATH_MAX];   /* root/out.jsonl */
	char err[PATH_MAX];   /* root/agent.err */
	pid_t agent;
	FILE *fp;	      /* reading out */
	json_object *rec[H_MAX_RECORDS];
	size_t n;
};

static inline void h_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "harness: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(99);
}

static inline void h_path(char *dst, const char *a, const char *b)
{
	if ((size_t)snprintf(dst, PATH_MAX, "%s/%s", a, b) >= PATH_MAX)
		h_die("path too long");
}

static inline void h_mkdirs(const char *path)
{
	char tmp[PATH_MAX];

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(tmp, 0755);
		*p = '/';
	}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		h_die("mkdir %s: %s", tmp, strerror(errno));
}

static inline void h_write_file(const char *path, const char *content, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	if (fd < 0)
		h_die("create %s: %s", path, strerror(errno));
	if (write(fd, content, strlen(content)) < 0)
		h_die("write %s", path);
	fchmod(fd, mode);
	close(fd);
}

static inline const char *h_agent_path(void)
{
	static char p[PATH_MAX];
	const char *b = getenv("PA_AGENT");

	if (b)
		return b;
	snprintf(p, sizeof(p), "%s/san/phiauditd", PA_BUILD_DIR);
	return p;
}

static inline bool h_file_contains(const char *path, const char *needle)
{
	char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

static inline void h_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * fork() for test children. cmocka catches SIGSEGV and friends with a
 * longjmp back into its runner: a child that inherited that would carry on
 * running the rest of the suite. Children die of their signals instead.
 */
static inline pid_t h_fork(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		signal(SIGILL, SIG_DFL);
		signal(SIGFPE, SIG_DFL);
		signal(SIGABRT, SIG_DFL);
	}
	return pid;
}

/* Create the tree. Does not start the agent. */
static inline void h_init(struct harness *h)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->root, sizeof(h->root), "/tmp/pa-integ-XXXXXX");
	if (!mkdtemp(h->root))
		h_die("mkdtemp: %s", strerror(errno));
	chmod(h->root, 0755);
	h_path(h->watch, h->root, "srv/phi");
	h_mkdirs(h->watch);
	h_path(h->out, h->root, "out.jsonl");
	h_path(h->err, h->root, "agent.err");
}

/*
 * Start the agent with the watch and extra arguments (NULL-terminated).
 * Returns once it printed "ready", or its exit status if it exited first
 * (as a negative number: -status-1), or dies after 30 s.
 */
static inline int h_start_argv(struct harness *h, const char *const *extra)
{
	/* The log store has tests of its own (integ_store.c); these read
	 * the live JSONL. */
	const char *argv[32] = { h_agent_path(), "--watch", h->watch, "--jsonl", h->out,
				 "--log-dir", "none", "--run-dir", "none" };
	size_t n = 9;

	for (; extra && *extra && n < 30; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	unlink(h->out);
	/* Emptied before the fork: a "ready:" left by an earlier run must
	 * not pass for this one's. */
	close(open(h->err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
	h->agent = h_fork();
	if (h->agent == 0) {
		int fd = open(h->err, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; i < 3000; i++) {
		int status;

		if (h_file_contains(h->err, "ready:"))
			return 0;
		if (waitpid(h->agent, &status, WNOHANG) == h->agent) {
			h->agent = 0;
			return -(WIFEXITED(status) ? WEXITSTATUS(status) : 128) - 1;
		}
		h_sleep_ms(10);
	}
	h_die("agent not ready after 30 s");
	return -1;
}

static inline int h_start(struct harness *h)
{
	return h_start_argv(h, NULL);
}

/* SIGTERM, wait; returns the exit status (or 128+signal). */
static inline int h_stop(struct harness *h)
{
	int status = 0;

	if (h->agent <= 0)
		return -1;
	kill(h->agent, SIGTERM);
	waitpid(h->agent, &status, 0);
	h->agent = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Read every complete line the agent has written so far. */
static inline void h_read_new(struct harness *h)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;

	if (!h->fp)
		h->fp = fopen(h->out, "r");
	if (!h->fp)
		return;
	clearerr(h->fp);
	for (;;) {
		long pos = ftell(h->fp);

		len = getline(&line, &cap, h->fp);
		if (len <= 0)
			break;
		if (line[len - 1] != '\n') { /* partial: re-read later */
			fseek(h->fp, pos, SEEK_SET);
			break;
		}
		if (h->n < H_MAX_RECORDS) {
			json_object *o = json_tokener_parse(line);

			if (!o)
				h_die("agent wrote a line that is not JSON: %s", line);
			h->rec[h->n++] = o;
		}
	}
	free(line);
}

typedef bool (*h_match_fn)(json_object *rec, const void *arg);

/* Value at a dotted path ("actor.process.pid"), or NULL. */
static inline json_object *h_get(json_object *o, const char *path)
{
	char key[128];
	const char *p = path;

	while (o && *p) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);

		snprintf(key, sizeof(key), "%.*s", (int)len, p);
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		p += len + (dot ? 1 : 0);
	}
	return o;
}

static inline const char *h_str(json_object *o, const char *path)
{
	json_object *v = h_get(o, path);

	return v ? json_object_get_string(v) : NULL;
}

static inline long long h_int(json_object *o, const char *path)
{
	json_object *v = h_get(o, path);

	return v ? json_object_get_int64(v) : -1;
}

/* First record (from index *from) matching; waits up to ms. */
/* A boolean field: 1 or 0, or -1 when absent or not a boolean. */
static inline int h_bool(json_object *o, const char *path)
{
	json_object *v = h_get(o, path);

	if (!v || !json_object_is_type(v, json_type_boolean))
		return -1;
	return json_object_get_boolean(v);
}

/* Is the string at @path exactly @want? */
static inline bool h_str_is(json_object *o, const char *path, const char *want)
{
	const char *got = h_str(o, path);

	return got && !strcmp(got, want);
}

static inline json_object *h_wait(struct harness *h, h_match_fn fn, const void *arg, long ms)
{
	for (long waited = 0;; waited += 20) {
		h_read_new(h);
		for (size_t i = 0; i < h->n; i++)
			if (fn(h->rec[i], arg))
				return h->rec[i];
		if (waited >= ms)
			return NULL;
		h_sleep_ms(20);
	}
}

static inline size_t h_count(struct harness *h, h_match_fn fn, const void *arg)
{
	size_t c = 0;

	h_read_new(h);
	for (size_t i = 0; i < h->n; i++)
		c += fn(h->rec[i], arg);
	return c;
}

/* Matchers */
static inline bool h_is_open_of(json_object *r, const void *path)
{
	const char *p = h_str(r, "file.path");

	return h_int(r, "class_uid") == 1001 && h_int(r, "activity_id") == 14 && p &&
	       !strcmp(p, path);
}

static inline bool h_is_open_by_pid(json_object *r, const void *pid)
{
	return h_int(r, "class_uid") == 1001 && h_int(r, "activity_id") == 14 &&
	       h_int(r, "actor.process.pid") == *(const pid_t *)pid;
}

static inline bool h_is_activity(json_object *r, const void *name)
{
	const char *a = h_str(r, "activity_name");

	return h_int(r, "class_uid") == 6002 && a && !strcmp(a, name);
}

/* Runs fn(arg) in a child; its pid once it exited 0, else -1 (and why,
 * on stderr): for tests that assert on it rather than die. */
static inline pid_t h_try_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = h_fork();

	if (pid == 0)
		_exit(fn(arg));
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "child %d failed: status 0x%x\n", (int)pid, status);
		return -1;
	}
	return pid;
}

/* Run fn(arg) in a child process; returns its pid after it exited 0. */
static inline pid_t h_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid = h_fork();

	if (pid == 0)
		_exit(fn(arg));
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		h_die("child action failed (status %d)", status);
	return pid;
}

static inline void h_cleanup(struct harness *h)
{
	char *argv[] = { "rm", "-rf", h->root, NULL };
	pid_t pid;

	if (h->agent > 0)
		h_stop(h);
	for (size_t i = 0; i < h->n; i++)
		json_object_put(h->rec[i]);
	h->n = 0;
	if (h->fp)
		fclose(h->fp);
	h->fp = NULL;
	if (getenv("PA_KEEP")) { /* for a post-mortem: the records, the agent's stderr */
		fprintf(stderr, "harness: kept %s (PA_KEEP)\n", h->root);
		return;
	}
	pid = h_fork();
	if (pid == 0) {
		execv("/bin/rm", argv);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
}

/* cmocka fixtures for a group that shares one agent in H (the including
 * file defines `static struct harness H`). */
#define H_GROUP_FIXTURES(H)                                                   \
	static int group_teardown(void **state)                               \
	{                                                                     \
		int rc = h_stop(&(H));                                        \
									      \
		(void)state;                                                  \
		h_cleanup(&(H));                                              \
		return rc == 0 ? 0 : -1;                                      \
	}                                                                     \
	static int each_setup(void **state)                                   \
	{                                                                     \
		(void)state;                                                  \
		h_forget(&(H));                                               \
		return 0;                                                     \
	}

/* Forget the records read so far (each test looks at its own). */
static inline void h_forget(struct harness *h)
{
	h_read_new(h);
	for (size_t i = 0; i < h->n; i++)
		json_object_put(h->rec[i]);
	h->n = 0;
}

#endif
