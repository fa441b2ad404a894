// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel tests of the process enrichment: who made an open, beyond pid and
 * comm. The kernel keeps each exec's program (the execve file name) and
 * argv, and sends them with up to 8 ancestors before a process's first
 * audited open; the records say:
 *
 *   actor.process.file.path, .name      the program
 *   actor.process.cmd_line              argv joined by spaces (512 bytes kept)
 *   actor.process.parent_process        pid, name, created_time, file, cmd_line
 *   actor.user.name                     the uid's name
 *   unmapped.exe_source                 "exec" (kernel) or "proc" (/proc)
 *   unmapped.ancestors[]                parent first: pid, name, exe, created_time
 *   unmapped.auid, .auid_name           the login uid, kept across setuid
 *   unmapped.group_name
 *   unmapped.cmd_line_truncated         when argv was cut
 *   device.uid, device.boot_uid         /etc/machine-id, the boot id
 *
 * The processes under test are small static helpers (tests/helpers/enrich_*)
 * run by absolute path, so the program the kernel names is known exactly.
 * One agent (the real programs, the sanitised build) serves the group.
 * PA_KNOWN_BUGS=1 runs, instead, the tests of what it still gets wrong.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <grp.h>
#include <pwd.h>
#include <spawn.h>
#include <sys/random.h>

#include "harness.h"
#include "pathenc.h"

static struct harness H;

#define RECORD_MS 5000	  /* a record the kernel emits at once arrives by then */
#define SHORT_RUNS 20	  /* short-lived processes per reliability test */
#define ARGS_KEPT 512	  /* bytes of argv the kernel keeps (PA_ARGS_LEN) */
#define FILE_SIZE 3000	  /* what the helpers read */

/* ---- programs ---- */

/* build/helpers/NAME, absolute: the program name the kernel will see.
 * (Rotating buffers: a test holds at most two at once.) */
static const char *helper(const char *name)
{
	static char paths[4][PATH_MAX];
	static unsigned int next;
	char *p = paths[next++ % 4];

	snprintf(p, PATH_MAX, "%s/helpers/%s", PA_BUILD_DIR, name);
	if (access(p, X_OK))
		h_die("%s is missing (make %s)", p, p);
	return p;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* How long a process lived: from the spawn, and from its exec (when
 * posix_spawn returns, the child has exec'd), to its reaping. */
struct lifetime {
	long long spawn_us, exec_us;
};

/*
 * Runs argv[0] with argv, stdout to /dev/null; returns the pid once it
 * exited 0 and was reaped. posix_spawn (a vfork underneath): a fork of
 * this sanitised test would copy its page tables and take longer than
 * the process under test lives.
 */
static pid_t run(char *const argv[], struct lifetime *lt)
{
	posix_spawn_file_actions_t fa;
	long long t0, t1;
	int status;
	pid_t pid;

	assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
	assert_int_equal(posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0), 0);
	t0 = now_us();
	assert_int_equal(posix_spawn(&pid, argv[0], &fa, NULL, argv, environ), 0);
	t1 = now_us();
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (lt) {
		long long t2 = now_us();

		lt->spawn_us = t2 - t0;
		lt->exec_us = t2 - t1;
	}
	posix_spawn_file_actions_destroy(&fa);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return pid;
}

/* A fresh marker, so a record can only be from this run. */
static void marker(char *dst, size_t n)
{
	unsigned char r[8];

	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		h_die("getrandom: %s", strerror(errno));
	snprintf(dst, n, "--marker=%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3],
		 r[4], r[5], r[6], r[7]);
}

/* ---- files ---- */

/* A watched file, made in staging and renamed in: its only opens are the
 * test's. */
static void watched_file(char *dst, const char *name)
{
	char staging[PATH_MAX], staged[PATH_MAX];
	int fd;

	h_path(staging, H.root, "staging");
	h_mkdirs(staging);
	h_path(staged, staging, name);
	fd = open(staged, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, FILE_SIZE))
		h_die("make %s: %s", staged, strerror(errno));
	close(fd);
	h_path(dst, H.watch, name);
	if (rename(staged, dst))
		h_die("rename to %s: %s", dst, strerror(errno));
}

/* The first line of a file, trimmed; "" when unreadable. */
static void first_line(const char *path, char *dst, size_t n)
{
	FILE *f = fopen(path, "r");

	dst[0] = '\0';
	if (f && !fgets(dst, (int)n, f))
		dst[0] = '\0';
	if (f)
		fclose(f);
	dst[strcspn(dst, " \t\r\n")] = '\0';
}

/* ---- records ---- */

/* Which records a test wants; 0 and NULL stand for any. */
struct query {
	int activity; /* 14 Open, 2 Read */
	pid_t pid;
	pid_t ppid;
	const char *path;
};

static bool matches(json_object *r, const void *arg)
{
	const struct query *q = arg;
	const char *p = h_str(r, "file.path");

	return h_int(r, "class_uid") == 1001 && h_int(r, "activity_id") == q->activity &&
	       (!q->pid || h_int(r, "actor.process.pid") == q->pid) &&
	       (!q->ppid || h_int(r, "actor.process.parent_process.pid") == q->ppid) &&
	       (!q->path || (p && !strcmp(p, q->path)));
}

static json_object *wait_record(const struct query *q)
{
	json_object *r = h_wait(&H, matches, q, RECORD_MS);

	if (!r)
		fprintf(stderr, "no %s record of %s by pid %d (parent %d)\n",
			q->activity == 14 ? "Open" : "Read", q->path ? q->path : "any file",
			(int)q->pid, (int)q->ppid);
	return r;
}

static json_object *open_record(pid_t pid, const char *path)
{
	struct query q = { .activity = 14, .pid = pid, .path = path };

	return wait_record(&q);
}

static json_object *read_record(pid_t pid, const char *path)
{
	struct query q = { .activity = 2, .pid = pid, .path = path };

	return wait_record(&q);
}

/* Up to max matching records, in the order written; returns how many. */
static size_t records(const struct query *q, json_object **out, size_t max)
{
	size_t n = 0;

	h_read_new(&H);
	for (size_t i = 0; i < H.n && n < max; i++)
		if (matches(H.rec[i], q))
			out[n++] = H.rec[i];
	return n;
}

/* Waits for n records matching q; returns how many there are. */
static size_t wait_records(const struct query *q, json_object **out, size_t n)
{
	for (long waited = 0; records(q, out, n) < n && waited < RECORD_MS; waited += 20)
		h_sleep_ms(20);
	return records(q, out, n);
}

static void assert_str(json_object *r, const char *path, const char *want)
{
	const char *got = h_str(r, path);

	if (!got || strcmp(got, want))
		fprintf(stderr, "%s: want \"%s\", got %s%s%s in\n  %s\n", path, want,
			got ? "\"" : "", got ? got : "nothing", got ? "\"" : "",
			json_object_to_json_string(r));
	assert_non_null(got);
	assert_string_equal(got, want);
}

static void assert_contains(json_object *r, const char *path, const char *needle)
{
	const char *got = h_str(r, path);

	assert_non_null(got);
	if (!strstr(got, needle))
		fail_msg("%s \"%s\" lacks \"%s\"", path, got, needle);
}

static void assert_absent(json_object *r, const char *path)
{
	if (h_get(r, path))
		fail_msg("%s present in %s", path, json_object_to_json_string(r));
}

static void assert_true_at(json_object *r, const char *path)
{
	json_object *v = h_get(r, path);

	assert_non_null(v);
	assert_true(json_object_is_type(v, json_type_boolean));
	assert_true(json_object_get_boolean(v));
}

/* Both records say the same at path (compared as JSON text). */
static void assert_same(json_object *a, json_object *b, const char *path)
{
	json_object *va = h_get(a, path), *vb = h_get(b, path);

	assert_non_null(va);
	assert_non_null(vb);
	assert_string_equal(json_object_to_json_string(va), json_object_to_json_string(vb));
}

/* The ancestor at index i of unmapped.ancestors (parent first), or NULL. */
static json_object *ancestor(json_object *r, size_t i)
{
	json_object *a = h_get(r, "unmapped.ancestors");

	if (!a || !json_object_is_type(a, json_type_array) || i >= json_object_array_length(a))
		return NULL;
	return json_object_array_get_idx(a, i);
}

/* ---- command lines as the records write them ---- */

/* argv as the kernel keeps it: NUL-terminated strings back to back. */
static size_t argv_bytes(char *const argv[], char *dst, size_t cap)
{
	size_t n = 0;

	for (; *argv; argv++) {
		size_t len = strlen(*argv) + 1;

		if (n + len > cap)
			h_die("argv too long for the test's buffer");
		memcpy(dst + n, *argv, len);
		n += len;
	}
	return n;
}

/* What cmd_line says of argv bytes: the first keep bytes, trailing NULs
 * dropped, the others spaces. bytes must hold one more. */
static size_t as_cmd_line(char *bytes, size_t n, size_t keep)
{
	if (n > keep)
		n = keep;
	while (n > 0 && bytes[n - 1] == '\0')
		n--;
	for (size_t i = 0; i < n; i++)
		if (!bytes[i])
			bytes[i] = ' ';
	bytes[n] = '\0';
	return n;
}

/* cmd_line of a short argv of plain text. */
static void joined(char *const argv[], char *dst, size_t cap)
{
	as_cmd_line(dst, argv_bytes(argv, dst, cap - 1), cap);
}

/* The program and command line the kernel saw at the exec. */
static void assert_named_by_exec(json_object *r, char *const argv[], const char *exe)
{
	const char *base = strrchr(exe, '/');
	char want[8192];

	assert_non_null(r);
	joined(argv, want, sizeof(want));
	assert_str(r, "actor.process.file.path", exe);
	assert_str(r, "actor.process.file.name", base ? base + 1 : exe);
	assert_str(r, "actor.process.cmd_line", want);
	assert_str(r, "unmapped.exe_source", "exec");
	assert_absent(r, "unmapped.cmd_line_truncated");
}

/* ---- fixtures ---- */

static int group_setup(void **state)
{
	int rc;

	h_init(&H);
	rc = h_start(&H);
	if (rc)
		fprintf(stderr, "agent did not start (%d); its stderr is %s\n", rc, H.err);
	return rc ? -1 : 0;
}

H_GROUP_FIXTURES(H)

/* After a test that stops the agent (SIGSTOP): running again, whatever
 * failed, or the group's stop would wait for it for ever. */
static int resume_agent(void **state)
{
	if (H.agent > 0)
		kill(H.agent, SIGCONT);
	return 0;
}

/* ---- short-lived processes ---- */

static void print_lifetimes(const char *what, const struct lifetime *lt, size_t n)
{
	long long max[2] = { 0, 0 }, sum[2] = { 0, 0 };

	fprintf(stderr, "%s: lifetimes in us, spawn to reap / exec to reap:", what);
	for (size_t i = 0; i < n; i++) {
		long long v[2] = { lt[i].spawn_us, lt[i].exec_us };

		fprintf(stderr, " %lld/%lld", v[0], v[1]);
		for (int k = 0; k < 2; k++) {
			sum[k] += v[k];
			max[k] = v[k] > max[k] ? v[k] : max[k];
		}
	}
	fprintf(stderr, "; mean %lld/%lld, max %lld/%lld\n", sum[0] / (long long)n,
		sum[1] / (long long)n, max[0], max[1]);
}

/*
 * A process that execs, opens, reads and exits within about a millisecond
 * is named by its program and arguments, every time. It was reaped before
 * its record was looked for, and exe_source is "exec": the kernel's copy
 * from the exec, not /proc.
 */
static void test_short_lived_process_is_named_by_program_and_arguments(void **state)
{
	const char *exe = helper("enrich_read");
	struct lifetime lifetimes[SHORT_RUNS];
	char path[PATH_MAX], mark[64], proc[64];

	watched_file(path, "short.txt");
	for (int i = 0; i < SHORT_RUNS; i++) {
		char *const argv[] = { (char *)exe, path, mark, NULL };
		json_object *r;
		pid_t pid;

		marker(mark, sizeof(mark));
		pid = run(argv, &lifetimes[i]);
		snprintf(proc, sizeof(proc), "/proc/%d", (int)pid);
		assert_int_equal(access(proc, F_OK), -1); /* reaped: nothing there */
		r = open_record(pid, path);
		assert_named_by_exec(r, argv, exe);
		assert_contains(r, "actor.process.cmd_line", mark);
	}
	print_lifetimes("exec, open, exit", lifetimes, SHORT_RUNS);
}

/*
 * The same without timing: the agent is stopped (SIGSTOP) while the
 * processes run, open and are reaped, and continued after. It learns of
 * each one after it is gone, so only the kernel can have kept its program
 * and arguments.
 */
static void test_exec_details_outlive_the_process_when_the_agent_reads_late(void **state)
{
	const char *exe = helper("enrich_read");
	char path[PATH_MAX], marks[SHORT_RUNS][64];
	struct lifetime lifetimes[SHORT_RUNS];
	pid_t pids[SHORT_RUNS];
	struct query any_of_file = { .activity = 14, .path = NULL };

	watched_file(path, "late.txt");
	any_of_file.path = path;
	assert_int_equal(kill(H.agent, SIGSTOP), 0);
	for (int i = 0; i < SHORT_RUNS; i++) {
		char *const argv[] = { (char *)exe, path, marks[i], NULL };

		marker(marks[i], sizeof(marks[i]));
		pids[i] = run(argv, &lifetimes[i]);
	}
	h_sleep_ms(100);
	assert_int_equal(h_count(&H, matches, &any_of_file), 0); /* it wrote nothing yet */
	assert_int_equal(kill(H.agent, SIGCONT), 0);
	print_lifetimes("exec, open, exit while the agent is stopped", lifetimes, SHORT_RUNS);
	for (int i = 0; i < SHORT_RUNS; i++) {
		char *const argv[] = { (char *)exe, path, marks[i], NULL };

		assert_named_by_exec(open_record(pids[i], path), argv, exe);
	}
}

/* ---- ancestry ---- */

/*
 * /bin/sh -c "HELPER FILE; true" ("; true" keeps the shell from exec'ing
 * its last command: the helper is its child). The parent is the shell as
 * exec'd; the grandparent is this test, which exec'd before the agent
 * started (its program comes from /proc).
 */
static void test_parent_and_ancestors_name_the_shell_and_the_test(void **state)
{
	const char *exe = helper("enrich_read");
	char path[PATH_MAX], script[2 * PATH_MAX + 16], self[PATH_MAX], want[4 * PATH_MAX];
	char *const sh_argv[] = { "/bin/sh", "-c", script, NULL };
	char *const argv[] = { (char *)exe, path, NULL };
	struct query child = { .activity = 14 };
	json_object *r, *a0, *a1;
	ssize_t n;

	watched_file(path, "chain.txt");
	snprintf(script, sizeof(script), "%s %s; true", exe, path);
	child.path = path;
	child.ppid = run(sh_argv, NULL);
	r = wait_record(&child);
	assert_named_by_exec(r, argv, exe);
	/* The parent: the shell, as exec'd. */
	assert_str(r, "actor.process.parent_process.name", "sh");
	assert_str(r, "actor.process.parent_process.file.path", "/bin/sh");
	assert_str(r, "actor.process.parent_process.file.name", "sh");
	joined(sh_argv, want, sizeof(want));
	assert_str(r, "actor.process.parent_process.cmd_line", want);
	assert_contains(r, "actor.process.parent_process.cmd_line", " -c ");
	/* The chain: the shell, then this test. */
	a0 = ancestor(r, 0);
	a1 = ancestor(r, 1);
	assert_non_null(a0);
	assert_non_null(a1);
	assert_int_equal(h_int(a0, "pid"), child.ppid);
	assert_str(a0, "name", "sh");
	assert_str(a0, "exe", "/bin/sh");
	assert_int_equal(h_int(a0, "created_time"),
			 h_int(r, "actor.process.parent_process.created_time"));
	assert_int_equal(h_int(a1, "pid"), getpid());
	assert_str(a1, "name", "integ_enrich");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	assert_str(a1, "exe", self);
	assert_true(strlen(self) >= strlen("/integ_enrich"));
	assert_string_equal(self + strlen(self) - strlen("/integ_enrich"), "/integ_enrich");
	assert_true(h_int(a1, "created_time") <= h_int(a0, "created_time"));
	assert_true(h_int(a0, "created_time") <= h_int(r, "actor.process.created_time"));
}

/*
 * This test process exec'd before the agent started: the kernel never
 * saw its exec, so its program and arguments come from /proc, read while
 * it runs and checked against its start time.
 */
static void test_process_that_execd_before_the_agent_is_named_from_proc(void **state)
{
	char path[PATH_MAX], self[PATH_MAX], cmdline[4096];
	json_object *r;
	ssize_t n;
	int fd;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	fd = open("/proc/self/cmdline", O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, cmdline, sizeof(cmdline) - 1);
	close(fd);
	assert_true(n > 0);
	as_cmd_line(cmdline, (size_t)n, sizeof(cmdline) - 1);
	watched_file(path, "self.txt");
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	r = open_record(getpid(), path);
	assert_non_null(r);
	assert_str(r, "actor.process.file.path", self);
	assert_str(r, "actor.process.file.name", "integ_enrich");
	assert_str(r, "actor.process.cmd_line", cmdline);
	assert_str(r, "unmapped.exe_source", "proc");
}

/* ---- exec in the same pid ---- */

/*
 * One pid, two programs: the helper opens and reads FILE, closes it and
 * execs /bin/cat FILE. Each Open record names the program that made it,
 * and each Read record the program whose reads it counts.
 */
static void test_exec_in_the_same_pid_replaces_program_and_arguments(void **state)
{
	const char *exe = helper("enrich_read_exec");
	char path[PATH_MAX], cat_line[PATH_MAX + 8];
	char *const argv[] = { (char *)exe, path, "/bin/cat", "cat", path, NULL };
	char *const cat_argv[] = { "cat", path, NULL };
	json_object *opens[4], *reads[4];
	struct query q = { .path = path };
	size_t n_open, n_read;

	watched_file(path, "exec-chain.txt");
	q.pid = run(argv, NULL);
	assert_non_null(open_record(q.pid, path));
	q.activity = 2;
	n_read = wait_records(&q, reads, 2);
	q.activity = 14;
	n_open = records(&q, opens, 4);
	assert_int_equal(n_open, 2);
	assert_int_equal(n_read, 2);
	/* First the helper... */
	assert_named_by_exec(opens[0], argv, exe);
	assert_str(opens[0], "actor.process.name", "enrich_read_exe"); /* comm: 15 bytes */
	/* ...then cat, in the same pid: its details replace the helper's. */
	assert_named_by_exec(opens[1], cat_argv, "/bin/cat");
	joined(cat_argv, cat_line, sizeof(cat_line));
	assert_str(opens[1], "actor.process.cmd_line", cat_line);
	assert_str(opens[1], "actor.process.name", "cat");
	assert_int_equal(h_int(opens[0], "actor.process.created_time"),
			 h_int(opens[1], "actor.process.created_time"));
	/* Each Read record names the program whose reads it counts. */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(h_int(reads[i], "unmapped.open_event_seq"),
				 h_int(opens[i], "unmapped.event_seq"));
		assert_int_equal(h_int(reads[i], "unmapped.bytes_read"), FILE_SIZE);
		assert_same(reads[i], opens[i], "actor.process.file.path");
		assert_same(reads[i], opens[i], "actor.process.cmd_line");
		assert_same(reads[i], opens[i], "unmapped.exe_source");
	}
}

/* ---- identity ---- */

/* In a child: set the login uid (root may while it is unset); tell the
 * parent what it is now, then become nobody through setpriv, which execs
 * cat FILE. */
static void login_then_setpriv(const char *path, int report)
{
	char *const argv[] = { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
			       "/bin/cat", (char *)path, NULL };
	char v[32] = "";
	int fd = open("/proc/self/loginuid", O_WRONLY);
	ssize_t n;

	if (fd >= 0) {
		if (write(fd, "1000", 4) != 4)
			fprintf(stderr, "loginuid 1000 not set (%s): keeping the one set\n",
				strerror(errno));
		close(fd);
	}
	fd = open("/proc/self/loginuid", O_RDONLY);
	n = fd >= 0 ? read(fd, v, sizeof(v) - 1) : -1;
	if (n <= 0 || write(report, v, (size_t)n) != n)
		_exit(3);
	close(report);
	fd = open("/dev/null", O_WRONLY);
	dup2(fd, 1);
	execv("/usr/bin/setpriv", argv);
	_exit(127);
}

static void test_login_uid_and_names_survive_setuid(void **state)
{
	char path[PATH_MAX], auid_text[32] = "";
	char *const cat_argv[] = { "/bin/cat", path, NULL };
	struct passwd *nobody = getpwuid(65534), *login;
	struct group *nogroup = getgrgid(65534);
	unsigned long long auid;
	json_object *r;
	int p[2], status;
	pid_t pid;

	assert_non_null(nobody);
	assert_non_null(nogroup);
	watched_file(path, "setuid.txt");
	assert_int_equal(pipe(p), 0);
	pid = h_fork();
	if (pid == 0) {
		close(p[0]);
		login_then_setpriv(path, p[1]);
	}
	close(p[1]);
	assert_true(read(p[0], auid_text, sizeof(auid_text) - 1) > 0);
	close(p[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	auid = strtoull(auid_text, NULL, 10);
	first_line("/proc/self/loginuid", auid_text, sizeof(auid_text));
	if (!strcmp(auid_text, "4294967295"))
		assert_int_equal(auid, 1000); /* unset here: the child set it */
	else
		fprintf(stderr, "loginuid already %s: expecting %llu\n", auid_text, auid);
	assert_true(auid != 4294967295ULL);
	r = open_record(pid, path);
	assert_named_by_exec(r, cat_argv, "/bin/cat");
	assert_str(r, "actor.user.uid", "65534");
	assert_str(r, "actor.user.name", nobody->pw_name);
	assert_string_equal(nobody->pw_name, "nobody");
	assert_int_equal(h_int(r, "unmapped.auid"), auid);
	login = getpwuid((uid_t)auid);
	if (login)
		assert_str(r, "unmapped.auid_name", login->pw_name);
	assert_int_equal(h_int(r, "unmapped.gid"), 65534);
	assert_str(r, "unmapped.group_name", nogroup->gr_name);
	assert_string_equal(nogroup->gr_name, "nogroup");
	assert_int_equal(h_int(r, "unmapped.euid"), 65534);
}

/* ---- the host ---- */

static void test_device_carries_machine_id_and_boot_id(void **state)
{
	const char *exe = helper("enrich_read");
	char path[PATH_MAX], machine[128], boot[128];
	char *const argv[] = { (char *)exe, path, NULL };
	json_object *rec[2];
	pid_t pid;

	first_line("/etc/machine-id", machine, sizeof(machine));
	first_line("/proc/sys/kernel/random/boot_id", boot, sizeof(boot));
	assert_true(strlen(machine) == 32);
	assert_true(strlen(boot) == 36);
	watched_file(path, "device.txt");
	pid = run(argv, NULL);
	rec[0] = open_record(pid, path);
	rec[1] = read_record(pid, path);
	for (int i = 0; i < 2; i++) {
		assert_non_null(rec[i]);
		assert_str(rec[i], "device.uid", machine);
		assert_str(rec[i], "device.boot_uid", boot);
	}
}

/* ---- long and odd command lines ---- */

/* 100 arguments of 10 bytes: over 1 KiB of argv, of which 512 are kept. */
static void test_long_command_line_is_cut_to_512_bytes_and_flagged(void **state)
{
	const char *exe = helper("enrich_read");
	char path[PATH_MAX], args[100][16], bytes[8192];
	char *argv[104] = { (char *)exe, path };
	json_object *rec[2];
	size_t n;
	pid_t pid;

	watched_file(path, "long-argv.txt");
	for (int i = 0; i < 100; i++) {
		snprintf(args[i], sizeof(args[i]), "arg%07d", i);
		argv[2 + i] = args[i];
	}
	argv[102] = NULL;
	n = argv_bytes(argv, bytes, sizeof(bytes) - 1);
	assert_true(n > 1024);
	n = as_cmd_line(bytes, n, ARGS_KEPT);
	assert_true(n >= ARGS_KEPT - 1);
	pid = run(argv, NULL);
	rec[0] = open_record(pid, path);
	rec[1] = read_record(pid, path);
	for (int i = 0; i < 2; i++) {
		assert_non_null(rec[i]);
		assert_str(rec[i], "actor.process.cmd_line", bytes);
		assert_true(strlen(h_str(rec[i], "actor.process.cmd_line")) <= ARGS_KEPT);
		assert_true_at(rec[i], "unmapped.cmd_line_truncated");
		assert_str(rec[i], "actor.process.file.path", exe);
	}
}

/* Every byte of s starts a valid UTF-8 sequence. */
static bool valid_utf8(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0, k; i < n; i += k)
		if (!(k = pa_utf8_seq_len((const unsigned char *)s + i, n - i)))
			return false;
	return true;
}

/*
 * Arguments are bytes: a Latin-1 byte (not UTF-8), quotes and a backslash
 * come out in the reversible encoding (pathenc.h), and decode back to the
 * exact argv.
 */
static void test_command_line_bytes_round_trip_through_the_encoding(void **state)
{
	const char *exe = helper("enrich_read");
	char path[PATH_MAX], want[2 * PATH_MAX], raw[2 * PATH_MAX], back[2 * PATH_MAX];
	char *const argv[] = { (char *)exe, path, "caf\xe9", "say\"hi\"", "back\\slash", NULL };
	const char *got;
	json_object *r;
	size_t n;
	long len;

	watched_file(path, "bytes.txt");
	r = open_record(run(argv, NULL), path);
	assert_non_null(r);
	got = h_str(r, "actor.process.cmd_line");
	assert_non_null(got);
	snprintf(want, sizeof(want), "%s %s caf\\xe9 say\"hi\" back\\\\slash", exe, path);
	assert_string_equal(got, want);
	assert_true(valid_utf8(got));
	assert_non_null(strchr(got, '"'));
	n = as_cmd_line(raw, argv_bytes(argv, raw, sizeof(raw) - 1), sizeof(raw));
	len = pa_bytes_decode(back, sizeof(back), got, strlen(got));
	assert_int_equal(len, (long)n);
	assert_memory_equal(back, raw, n);
}

/* ---- Read records ---- */

/*
 * The helper exits still holding the file: its Read record is written by
 * the sweep after the exit, after the process is gone, and says what the
 * Open record said of it.
 */
static void test_read_record_names_the_process_as_its_open_record_does(void **state)
{
	const char *exe = helper("enrich_read");
	char path[PATH_MAX], mark[64];
	char *const argv[] = { (char *)exe, path, mark, NULL };
	json_object *open_rec, *read_rec;
	pid_t pid;

	watched_file(path, "read-names.txt");
	marker(mark, sizeof(mark));
	pid = run(argv, NULL);
	open_rec = open_record(pid, path);
	read_rec = read_record(pid, path);
	assert_named_by_exec(open_rec, argv, exe);
	assert_non_null(read_rec);
	assert_str(read_rec, "unmapped.reason", "exit");
	assert_int_equal(h_int(read_rec, "unmapped.bytes_read"), FILE_SIZE);
	assert_int_equal(h_int(read_rec, "unmapped.open_event_seq"),
			 h_int(open_rec, "unmapped.event_seq"));
	assert_named_by_exec(read_rec, argv, exe);
	assert_same(read_rec, open_rec, "actor.process.file");
	assert_same(read_rec, open_rec, "actor.process.cmd_line");
	assert_same(read_rec, open_rec, "actor.process.parent_process");
	assert_same(read_rec, open_rec, "unmapped.ancestors");
	assert_same(read_rec, open_rec, "unmapped.exe_source");
}

/* The final Read record of the account the open (record) began. */
static bool is_final_read_of(json_object *r, const void *arg)
{
	json_object *open_rec = (json_object *)arg, *final = h_get(r, "unmapped.final");

	return h_int(r, "class_uid") == 1001 && h_int(r, "activity_id") == 2 &&
	       h_int(r, "unmapped.open_event_seq") == h_int(open_rec, "unmapped.event_seq") &&
	       final && json_object_get_boolean(final);
}

/*
 * The helper reads FILE, holding it close-on-exec, and execs cat OTHER.
 * Its Read record names the program that read, whether the kernel ends
 * the account at the exec (a narrow fd table) or the agent's sweep does,
 * 200 ms later (--wide: fd 5000), after cat's own details came in.
 */
static void assert_read_ended_by_exec_names_the_reader(bool wide)
{
	const char *exe = helper("enrich_hold_exec");
	char path[PATH_MAX], other[PATH_MAX];
	char *const wide_argv[] = { (char *)exe, "--wide", path, "/bin/cat", "cat", other, NULL };
	char *const narrow_argv[] = { (char *)exe, path, "/bin/cat", "cat", other, NULL };
	char *const *argv = wide ? wide_argv : narrow_argv;
	char *const cat_argv[] = { "cat", other, NULL };
	json_object *open_rec, *read_rec;
	pid_t pid;

	watched_file(path, wide ? "held-over-exec-wide.txt" : "held-over-exec.txt");
	watched_file(other, wide ? "read-by-cat-wide.txt" : "read-by-cat.txt");
	pid = run(argv, NULL);
	open_rec = open_record(pid, path);
	assert_named_by_exec(open_rec, argv, exe);
	assert_named_by_exec(open_record(pid, other), cat_argv, "/bin/cat");
	read_rec = h_wait(&H, is_final_read_of, open_rec, RECORD_MS);
	assert_non_null(read_rec);
	assert_int_equal(h_int(read_rec, "unmapped.bytes_read"), FILE_SIZE);
	assert_str(read_rec, "actor.process.name", "enrich_hold_exe"); /* comm: 15 bytes */
	assert_named_by_exec(read_rec, argv, exe);
	assert_str(read_rec, "file.path", path);
}

static void test_read_record_ended_at_exec_names_the_program_that_read(void **state)
{
	assert_read_ended_by_exec_names_the_reader(false);
}

/*
 * ---- known bugs ----
 * These specify behaviour the agent gets wrong today; they run, instead
 * of the tests above, with PA_KNOWN_BUGS=1, and join them once fixed.
 */

/* Today: the sweep's record names /bin/cat (the process table is keyed by
 * (tgid, start), which an exec keeps, and cat's details came in first),
 * and it has no file.path (cat's open reused the struct file, which made
 * the kernel forget the open before the sweep ended its account). */
static void test_read_record_ended_by_sweep_after_exec_names_the_program_that_read(void **state)
{
	assert_read_ended_by_exec_names_the_reader(true);
}

/*
 * A shell whose exec details went out with one child's, then exec'd a
 * new shell that runs another child: the second child's parent is the
 * new program, with its own command line.
 */
static void test_parent_that_execs_again_is_named_by_its_new_program(void **state)
{
	const char *exe = helper("enrich_read");
	char path[PATH_MAX], inner[2 * PATH_MAX + 32], script[5 * PATH_MAX], want[6 * PATH_MAX];
	char *const outer_argv[] = { "/bin/sh", "-c", script, NULL };
	char *const inner_argv[] = { "/bin/sh", "-c", inner, NULL };
	struct query q = { .activity = 14 };
	json_object *r[2];

	watched_file(path, "reexec.txt");
	snprintf(inner, sizeof(inner), "%s %s second; true", exe, path);
	snprintf(script, sizeof(script), "%s %s first; exec /bin/sh -c '%s'", exe, path, inner);
	q.path = path;
	q.ppid = run(outer_argv, NULL);
	assert_int_equal(wait_records(&q, r, 2), 2);
	assert_contains(r[0], "actor.process.cmd_line", " first");
	assert_contains(r[1], "actor.process.cmd_line", " second");
	joined(outer_argv, want, sizeof(want));
	assert_str(r[0], "actor.process.parent_process.cmd_line", want);
	joined(inner_argv, want, sizeof(want));
	assert_str(r[1], "actor.process.parent_process.cmd_line", want);
}

/* A copy of the helper at a path longer than the kernel keeps (256). */
static void long_helper_path(char *dst)
{
	char dir[PATH_MAX], cmd[3 * PATH_MAX];

	h_path(dir, H.root, "bin");
	for (int i = 0; strlen(dir) < 300; i++) {
		char part[64];

		snprintf(part, sizeof(part), "%02d-a-directory-name-of-forty-bytes-or-so", i);
		h_path(dst, dir, part);
		snprintf(dir, sizeof(dir), "%s", dst);
	}
	h_mkdirs(dir);
	h_path(dst, dir, "enrich_read");
	snprintf(cmd, sizeof(cmd), "cp %s %s", helper("enrich_read"), dst);
	if (system(cmd))
		h_die("%s failed", cmd);
}

/* The program's name was longer than what the kernel keeps: the record
 * says so (or names it whole), never a cut name as if it were whole. */
static void test_long_program_path_is_not_cut_silently(void **state)
{
	char exe[PATH_MAX], path[PATH_MAX];
	char *const argv[] = { exe, path, NULL };
	json_object *r;
	const char *got;

	long_helper_path(exe);
	assert_true(strlen(exe) > 300);
	watched_file(path, "long-exe.txt");
	r = open_record(run(argv, NULL), path);
	assert_non_null(r);
	got = h_str(r, "actor.process.file.path");
	assert_non_null(got);
	if (strcmp(got, exe) && !h_get(r, "unmapped.exe_truncated"))
		fail_msg("file.path is %zu bytes of the %zu-byte program path, unflagged: %s",
			 strlen(got), strlen(exe), got);
}

/*
 * A child that forks without exec'ing runs its parent's program: it is
 * named by it even when it is gone before the agent reads /proc (the
 * agent is stopped while it runs).
 */
static void test_forked_child_that_never_execs_is_named_by_its_program(void **state)
{
	const char *exe = helper("enrich_fork_read");
	char path[PATH_MAX];
	char *const argv[] = { (char *)exe, path, NULL };
	struct query q = { .activity = 14 };
	json_object *r;

	watched_file(path, "forked.txt");
	q.path = path;
	assert_int_equal(kill(H.agent, SIGSTOP), 0);
	q.ppid = run(argv, NULL);
	assert_int_equal(kill(H.agent, SIGCONT), 0);
	r = wait_record(&q);
	assert_non_null(r);
	assert_str(r, "actor.process.file.path", exe);
	assert_str(r, "actor.process.cmd_line", h_str(r, "actor.process.parent_process.cmd_line"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_short_lived_process_is_named_by_program_and_arguments,
				       each_setup),
		cmocka_unit_test_setup_teardown(
			test_exec_details_outlive_the_process_when_the_agent_reads_late, each_setup,
			resume_agent),
		cmocka_unit_test_setup(test_parent_and_ancestors_name_the_shell_and_the_test,
				       each_setup),
		cmocka_unit_test_setup(test_process_that_execd_before_the_agent_is_named_from_proc,
				       each_setup),
		cmocka_unit_test_setup(test_exec_in_the_same_pid_replaces_program_and_arguments,
				       each_setup),
		cmocka_unit_test_setup(test_login_uid_and_names_survive_setuid, each_setup),
		cmocka_unit_test_setup(test_device_carries_machine_id_and_boot_id, each_setup),
		cmocka_unit_test_setup(test_long_command_line_is_cut_to_512_bytes_and_flagged,
				       each_setup),
		cmocka_unit_test_setup(test_command_line_bytes_round_trip_through_the_encoding,
				       each_setup),
		cmocka_unit_test_setup(test_read_record_names_the_process_as_its_open_record_does,
				       each_setup),
		cmocka_unit_test_setup(test_read_record_ended_at_exec_names_the_program_that_read,
				       each_setup),
		cmocka_unit_test_setup(test_parent_that_execs_again_is_named_by_its_new_program,
				       each_setup),
		cmocka_unit_test_setup(test_long_program_path_is_not_cut_silently, each_setup),
		cmocka_unit_test_setup_teardown(
			test_forked_child_that_never_execs_is_named_by_its_program, each_setup,
			resume_agent),
	};

	const struct CMUnitTest known_bugs[] = {
		cmocka_unit_test_setup(
			test_read_record_ended_by_sweep_after_exec_names_the_program_that_read,
			each_setup),
	};

	if (getenv("PA_KNOWN_BUGS"))
		return cmocka_run_group_tests_name("known bugs", known_bugs, group_setup,
						   group_teardown);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
