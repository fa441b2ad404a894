// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The process table (procs.h): kernel details win, /proc fills in only
 * for the same process (start time checked), a reused pid never borrows
 * another's identity, memory stays bounded. /proc here is a fake tree.
 */
#include "unit.h"

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decode.h"
#include "procs.h"

#define NS_PER_S 1000000000ULL

struct fx {
	char root[64];
	struct pa_procs *t;
	long hz;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->root, sizeof(f->root), "/tmp/pa-procs-XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	f->t = malloc(sizeof(*f->t));
	if (!f->t)
		return -1;
	pa_procs_init(f->t, f->root);
	f->hz = sysconf(_SC_CLK_TCK);
	*state = f;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pa_procs_free(f->t);
	free(f->t);
	nftw(f->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* A fake /proc/PID: stat with the start time in ticks, exe, cmdline. */
static void fake_proc(struct fx *f, uint32_t pid, uint64_t start_ns, const char *exe,
		      const char *cmdline, size_t cmdlen)
{
	char dir[128], path[160];
	FILE *fp;

	snprintf(dir, sizeof(dir), "%s/%u", f->root, pid);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/stat", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	/* comm with a space and a parenthesis, as processes may name themselves */
	fprintf(fp, "%u (we) ird) S 1 %u %u 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 %llu 0 0\n", pid,
		pid, pid, (unsigned long long)(start_ns / (NS_PER_S / (uint64_t)f->hz)));
	fclose(fp);
	snprintf(path, sizeof(path), "%s/exe", dir);
	unlink(path);
	if (exe)
		assert_int_equal(symlink(exe, path), 0);
	snprintf(path, sizeof(path), "%s/cmdline", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fwrite(cmdline, 1, cmdlen, fp);
	fclose(fp);
}

static void proc_event(struct pa_proc_event *ev, uint32_t tgid, uint64_t start, const char *exe,
		       const char *args, size_t args_len, uint32_t flags)
{
	memset(ev, 0, sizeof(*ev));
	ev->hdr.type = PA_EV_PROC;
	ev->hdr.size = sizeof(*ev);
	ev->tgid = tgid;
	ev->start_ns = start;
	ev->flags = flags;
	if (exe) {
		ev->exe_len = (uint16_t)strlen(exe);
		memcpy(ev->exe, exe, ev->exe_len);
	}
	ev->args_len = (uint16_t)args_len;
	memcpy(ev->args, args, args_len);
	ev->n_ancestors = 2;
	ev->ancestors[0].pid = 100;
	ev->ancestors[0].start_ns = 5 * NS_PER_S;
	memcpy(ev->ancestors[0].comm, "bash", 5);
	ev->ancestors[1].pid = 1;
	ev->ancestors[1].start_ns = NS_PER_S;
	memcpy(ev->ancestors[1].comm, "systemd", 8);
}

static void test_exec_details_from_the_kernel(void **state)
{
	struct fx *f = *state;
	struct pa_proc_event ev;
	const struct pa_proc_info *p;

	proc_event(&ev, 4242, 7 * NS_PER_S, "/usr/bin/tar", "tar\0cf\0-\0.\0", 11,
		   PA_PROC_EXEC_SEEN);
	assert_non_null(pa_decode_proc(&ev, sizeof(ev)));
	assert_int_equal(pa_procs_put_event(f->t, &ev), 0);
	p = pa_procs_get(f->t, 4242, 7 * NS_PER_S, NULL);
	assert_non_null(p);
	assert_string_equal(p->exe, "/usr/bin/tar");
	assert_int_equal(p->args_len, 11);
	assert_memory_equal(p->args, "tar\0cf\0-\0.\0", 11);
	assert_string_equal(p->source, "exec");
	assert_true(p->have_ancestors);
	assert_int_equal(p->n_ancestors, 2);
	assert_string_equal(p->ancestors[0].comm, "bash");
	assert_int_equal(f->t->proc_reads, 0); /* no /proc read needed */
}

/* The same pid, another start: another process. Nothing carries over. */
static void test_reused_pid_never_borrows_identity(void **state)
{
	struct fx *f = *state;
	struct pa_proc_event ev;

	proc_event(&ev, 4242, 7 * NS_PER_S, "/usr/bin/tar", "tar\0", 4, PA_PROC_EXEC_SEEN);
	assert_int_equal(pa_procs_put_event(f->t, &ev), 0);
	assert_null(pa_procs_get(f->t, 4242, 9 * NS_PER_S, NULL));
	/* /proc has pid 4242 too, but started at 9 s: it is a third process */
	fake_proc(f, 4242, 11 * NS_PER_S, "/usr/bin/evil", "evil\0", 5);
	{
		const struct pa_proc_info *p = pa_procs_get(f->t, 4242, 9 * NS_PER_S, "we) ird");

		assert_non_null(p); /* an entry, remembered as unknown */
		assert_null(p->exe);
		assert_null(p->args);
	}
	assert_int_equal(f->t->proc_misses, 1);
	/* and the old process is gone from the table */
	assert_null(pa_procs_get(f->t, 4242, 7 * NS_PER_S, NULL));
}

/* Started before the agent: /proc, checked by start time, read once. */
static void test_proc_fallback_checked_and_once(void **state)
{
	struct fx *f = *state;
	const struct pa_proc_info *p;

	fake_proc(f, 77, 3 * NS_PER_S, "/usr/sbin/sshd", "sshd: alice [priv]\0", 19);
	p = pa_procs_get(f->t, 77, 3 * NS_PER_S + 1000, "we) ird"); /* within a tick */
	assert_non_null(p);
	assert_string_equal(p->exe, "/usr/sbin/sshd");
	assert_memory_equal(p->args, "sshd: alice [priv]\0", 19);
	assert_string_equal(p->source, "proc");
	for (int i = 0; i < 10; i++)
		assert_non_null(pa_procs_get(f->t, 77, 3 * NS_PER_S + 1000, "we) ird"));
	assert_int_equal(f->t->proc_reads, 1);
}

/* A PROC event without exec details (exec'd before the agent): /proc. */
static void test_event_without_exec_uses_proc(void **state)
{
	struct fx *f = *state;
	struct pa_proc_event ev;
	const struct pa_proc_info *p;

	fake_proc(f, 55, 2 * NS_PER_S, "/usr/bin/python3", "python3\0etl.py\0", 15);
	proc_event(&ev, 55, 2 * NS_PER_S, NULL, "", 0, 0);
	assert_int_equal(pa_procs_put_event(f->t, &ev), 0);
	assert_int_equal(f->t->proc_reads, 0); /* not yet: the open's comm is needed */
	p = pa_procs_get(f->t, 55, 2 * NS_PER_S, "we) ird");
	assert_non_null(p);
	assert_string_equal(p->exe, "/usr/bin/python3");
	assert_string_equal(p->source, "proc");
	assert_int_equal(p->n_ancestors, 2);
}

/* /proc shows another task name: the process exec'd since its event
 * (bash running the last command of a subshell in place, say). /proc
 * would name the new program: nothing is taken from it. */
static void test_proc_not_used_after_an_exec(void **state)
{
	struct fx *f = *state;
	const struct pa_proc_info *p;

	fake_proc(f, 66, 2 * NS_PER_S, "/usr/bin/sleep", "sleep\0001\0", 8);
	p = pa_procs_get(f->t, 66, 2 * NS_PER_S, "bash");
	assert_non_null(p);
	assert_null(p->exe);
	assert_null(p->args);
	assert_int_equal(f->t->proc_misses, 1);
	/* and it is not tried again for every record */
	pa_procs_get(f->t, 66, 2 * NS_PER_S, "bash");
	assert_int_equal(f->t->proc_reads, 1);
}

/* exec in the same pid: the new program replaces the old. */
static void test_a_new_exec_replaces_the_program(void **state)
{
	struct fx *f = *state;
	struct pa_proc_event ev;
	const struct pa_proc_info *p;

	proc_event(&ev, 9, 4 * NS_PER_S, "/bin/sh", "sh\0-c\0x\0", 8, PA_PROC_EXEC_SEEN);
	assert_int_equal(pa_procs_put_event(f->t, &ev), 0);
	proc_event(&ev, 9, 4 * NS_PER_S, "/usr/bin/cat", "cat\0f\0", 6, PA_PROC_EXEC_SEEN);
	assert_int_equal(pa_procs_put_event(f->t, &ev), 0);
	p = pa_procs_get(f->t, 9, 4 * NS_PER_S, NULL);
	assert_string_equal(p->exe, "/usr/bin/cat");
	assert_memory_equal(p->args, "cat\0f\0", 6);
}

/* An ancestor's details sent with a descendant's: program only, its own
 * ancestry stays whatever it was. */
static void test_ancestor_only_keeps_ancestry(void **state)
{
	struct fx *f = *state;
	struct pa_proc_event ev;
	const struct pa_proc_info *p;

	proc_event(&ev, 100, 5 * NS_PER_S, "/bin/bash", "bash\0", 5,
		   PA_PROC_EXEC_SEEN | PA_PROC_ANCESTOR_ONLY);
	assert_int_equal(pa_procs_put_event(f->t, &ev), 0);
	p = pa_procs_get(f->t, 100, 5 * NS_PER_S, NULL);
	assert_string_equal(p->exe, "/bin/bash");
	assert_false(p->have_ancestors);
}

/* A relative execve name is made absolute from /proc while it runs. */
static void test_relative_exe_made_absolute(void **state)
{
	struct fx *f = *state;
	struct pa_proc_event ev;

	fake_proc(f, 31, 6 * NS_PER_S, "/opt/app/bin/export", "./export\0", 9);
	proc_event(&ev, 31, 6 * NS_PER_S, "./export", "./export\0", 9, PA_PROC_EXEC_SEEN);
	assert_int_equal(pa_procs_put_event(f->t, &ev), 0);
	assert_string_equal(pa_procs_get(f->t, 31, 6 * NS_PER_S, NULL)->exe,
			    "/opt/app/bin/export");
}

static void test_bounded_by_lru_and_forget(void **state)
{
	struct fx *f = *state;
	struct pa_proc_event ev;

	for (uint32_t pid = 1000; pid < 1000 + 2 * PA_PROCS_MAX; pid++) {
		proc_event(&ev, pid, NS_PER_S, "/bin/true", "true\0", 5, PA_PROC_EXEC_SEEN);
		assert_int_equal(pa_procs_put_event(f->t, &ev), 0);
		assert_true(f->t->n <= PA_PROCS_MAX);
	}
	assert_int_equal(f->t->n, PA_PROCS_MAX);
	assert_int_equal(f->t->evicted, PA_PROCS_MAX);
	assert_null(pa_procs_get(f->t, 1000, NS_PER_S, NULL));	/* the oldest went */
	assert_non_null(pa_procs_get(f->t, 1000 + 2 * PA_PROCS_MAX - 1, NS_PER_S, NULL));
	pa_procs_forget(f->t, 1000 + 2 * PA_PROCS_MAX - 1, NS_PER_S);
	assert_null(pa_procs_get(f->t, 1000 + 2 * PA_PROCS_MAX - 1, NS_PER_S, NULL));
	assert_int_equal(f->t->n, PA_PROCS_MAX - 1);
}

static void test_decode_rejects_bad_proc_events(void **state)
{
	struct pa_proc_event ev;

	proc_event(&ev, 1, 1, "/x", "x\0", 2, PA_PROC_EXEC_SEEN);
	assert_non_null(pa_decode_proc(&ev, sizeof(ev)));
	assert_null(pa_decode_proc(&ev, sizeof(ev) - 1));
	ev.exe_len = PA_EXE_LEN;
	assert_null(pa_decode_proc(&ev, sizeof(ev)));
	ev.exe_len = 2;
	ev.args_len = PA_ARGS_LEN + 1;
	assert_null(pa_decode_proc(&ev, sizeof(ev)));
	ev.args_len = 2;
	ev.n_ancestors = PA_MAX_ANCESTORS + 1;
	assert_null(pa_decode_proc(&ev, sizeof(ev)));
	ev.n_ancestors = 0;
	ev.hdr.type = PA_EV_OPEN;
	assert_null(pa_decode_proc(&ev, sizeof(ev)));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_exec_details_from_the_kernel),
		T(test_reused_pid_never_borrows_identity),
		T(test_proc_fallback_checked_and_once),
		T(test_event_without_exec_uses_proc),
		T(test_a_new_exec_replaces_the_program),
		T(test_proc_not_used_after_an_exec),
		T(test_ancestor_only_keeps_ancestry),
		T(test_relative_exe_made_absolute),
		T(test_bounded_by_lru_and_forget),
		T(test_decode_rejects_bad_proc_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
