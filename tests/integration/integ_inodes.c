// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel tests of the watched-inode set's seeding: a watched file that
 * already had a name outside the trees when the agent started (a hard link
 * made before) is in the set from the start, and an open through that name
 * is audited. Each test has its own agent: seeding happens at its start.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/wait.h>

#include "harness.h"

static struct harness S;

#define RECORD_MS 5000

static void make_file(const char *path, const char *content)
{
	h_write_file(path, content, 0644);
}

struct opened {
	const char *path;
	pid_t pid;
};

static bool is_open_of(json_object *r, const void *arg)
{
	const struct opened *o = arg;

	return h_int(r, "class_uid") == 1001 && h_int(r, "activity_id") == 14 &&
	       h_int(r, "actor.process.pid") == o->pid && h_str_is(r, "file.path", o->path);
}

static bool is_stop(json_object *r, const void *arg)
{
	return h_is_activity(r, "Stop");
}

/* Open @path for reading in a child; its pid. */
static pid_t open_in_child(const char *path)
{
	pid_t pid = h_fork();
	int status;

	if (pid == 0) {
		int fd = open(path, O_RDONLY);

		_exit(fd < 0 ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return pid;
}

static void test_a_link_made_before_the_start_is_seeded_and_audited(void **state)
{
	char inside[PATH_MAX], outside[PATH_MAX], lone[PATH_MAX];
	struct opened o = { outside, 0 };
	json_object *r;

	h_init(&S);
	h_path(inside, S.watch, "labs.csv");
	h_path(lone, S.watch, "notes.txt");
	h_path(outside, S.root, "labs-copy.csv");
	make_file(inside, "hb 13.1\n");
	make_file(lone, "one name only\n");
	assert_int_equal(link(inside, outside), 0);
	assert_int_equal(h_start(&S), 0);
	o.pid = open_in_child(outside);
	r = h_wait(&S, is_open_of, &o, RECORD_MS);
	assert_non_null(r);
	assert_int_equal(h_bool(r, "unmapped.watched_inode"), 1);
	assert_string_equal(h_str(r, "unmapped.watch"), S.watch);
	assert_int_equal(h_stop(&S), 0);
	r = h_wait(&S, is_stop, NULL, RECORD_MS);
	assert_non_null(r);
	/* the linked file, not the one with one name; two files looked at */
	assert_int_equal(h_int(r, "unmapped.routes.watched_inodes.seeded"), 1);
	assert_int_equal(h_int(r, "unmapped.routes.watched_inodes.files_scanned"), 2);
	assert_int_equal(h_int(r, "unmapped.routes.watched_inodes.failed"), 0);
}

static void test_an_unlinked_outside_name_is_not_seeded(void **state)
{
	char inside[PATH_MAX], outside[PATH_MAX];
	json_object *r;

	h_init(&S);
	h_path(inside, S.watch, "labs.csv");
	h_path(outside, S.root, "labs-copy.csv");
	make_file(inside, "hb 13.1\n");
	assert_int_equal(link(inside, outside), 0);
	assert_int_equal(unlink(outside), 0); /* one name again */
	assert_int_equal(h_start(&S), 0);
	assert_int_equal(h_stop(&S), 0);
	r = h_wait(&S, is_stop, NULL, RECORD_MS);
	assert_non_null(r);
	assert_int_equal(h_int(r, "unmapped.routes.watched_inodes.seeded"), 0);
}

/* A failed assertion leaves the agent running: stopped here, and the tree
 * removed, whatever happened. */
static int teardown(void **state)
{
	if (S.agent > 0)
		h_stop(&S);
	h_cleanup(&S);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_a_link_made_before_the_start_is_seeded_and_audited,
					  teardown),
		cmocka_unit_test_teardown(test_an_unlinked_outside_name_is_not_seeded, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
