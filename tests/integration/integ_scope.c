// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel tests: which opens are in scope, decided by directory identity in
 * the kernel, and the paths and identities each record carries. One agent
 * (the real programs, the sanitised build) serves the whole group.
 *
 * Tree (root is a fresh /tmp/pa-integ-XXXXXX, outside the watch):
 *   root/srv/phi/                     watched
 *   root/srv/phi/patients/1234/chart.txt
 *   root/srv/phi/secret               0600, for denied opens
 *   root/srv/phi2/other.txt           sibling sharing a name prefix
 *   root/outside/plain.txt
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>

#include "actions.h"

static struct harness H;
static char chart[PATH_MAX], secret[PATH_MAX], patients[PATH_MAX], outside[PATH_MAX];

static void tree_path(char *dst, const char *rel)
{
	h_path(dst, H.root, rel);
}

static int group_setup(void **state)
{
	char p[PATH_MAX];
	int rc;

	h_init(&H);
	tree_path(patients, "srv/phi/patients");
	tree_path(p, "srv/phi/patients/1234");
	h_mkdirs(p);
	tree_path(chart, "srv/phi/patients/1234/chart.txt");
	h_write_file(chart, "patient 1234\n", 0644);
	tree_path(secret, "srv/phi/secret");
	h_write_file(secret, "s\n", 0600);
	tree_path(p, "srv/phi2");
	h_mkdirs(p);
	tree_path(p, "srv/phi2/other.txt");
	h_write_file(p, "o\n", 0644);
	tree_path(outside, "outside");
	h_mkdirs(outside);
	tree_path(p, "outside/plain.txt");
	h_write_file(p, "p\n", 0644);
	rc = h_start(&H);
	if (rc) {
		fprintf(stderr, "agent did not start (%d); its stderr:\n", rc);
		return -1;
	}
	return 0;
}

H_GROUP_FIXTURES(H)

/* The sentinel: an open that must be recorded, made after one that must
 * not; returns once its record arrived. */
static void expect_none_before_sentinel(struct act *forbidden, const char *forbidden_path)
{
	struct pid_path pp = { .path = forbidden_path };
	struct act sentinel = { .path = chart, .flags = O_RDONLY };

	pp.pid = h_child(act_run, forbidden);
	assert_non_null(act_record(&H, &sentinel, chart));
	assert_int_equal(h_count(&H, h_is_open_by, &pp), 0);
}

static void test_open_below_watch_records_process_and_file(void **state)
{
	struct act a = { .path = chart, .flags = O_RDONLY | O_CLOEXEC, .loginuid = 4321 };
	json_object *r = act_record(&H, &a, chart);

	assert_non_null(r);
	assert_string_equal(h_str(r, "activity_name"), "Open");
	assert_int_equal(h_int(r, "type_uid"), 100114);
	assert_string_equal(h_str(r, "status"), "Success");
	assert_string_equal(h_str(r, "file.name"), "chart.txt");
	assert_string_equal(h_str(r, "file.type"), "Regular File");
	assert_int_equal(h_int(r, "actor.process.tid"), h_int(r, "actor.process.pid"));
	assert_int_equal(h_int(r, "actor.process.parent_process.pid"), getpid());
	assert_string_equal(h_str(r, "actor.user.uid"), "0");
	assert_int_equal(h_int(r, "unmapped.auid"), 4321);
	assert_non_null(h_get(r, "actor.session.uid"));
	assert_string_equal(h_str(r, "unmapped.open_flags"), "O_RDONLY|O_CLOEXEC");
	assert_string_equal(h_str(r, "unmapped.syscall"), "openat");
	assert_true(h_int(r, "unmapped.fd") >= 0);
	assert_true(h_int(r, "unmapped.event_seq") > 0);
	assert_string_equal(h_str(r, "unmapped.path_source"), "kernel");
	assert_string_equal(h_str(r, "unmapped.watch"), H.watch);
	assert_null(h_get(r, "unmapped.process_path"));
}

static void test_relative_path_from_cwd_inside_watch(void **state)
{
	struct act a = { .path = "1234/chart.txt", .cwd = patients, .flags = O_RDONLY };

	assert_non_null(act_record(&H, &a, chart));
}

static void test_openat_with_dirfd(void **state)
{
	struct act a = { .path = "chart.txt", .flags = O_RDONLY };
	char dir[PATH_MAX];

	tree_path(dir, "srv/phi/patients/1234");
	a.dirfd_dir = dir;
	assert_non_null(act_record(&H, &a, chart));
}

static void test_symlink_from_outside_points_in(void **state)
{
	char link[PATH_MAX];
	struct act a = { .flags = O_RDONLY };
	json_object *r;

	tree_path(link, "outside/link-to-chart");
	unlink(link);
	assert_int_equal(symlink(chart, link), 0);
	a.path = link;
	r = act_record(&H, &a, chart);
	assert_non_null(r);
	assert_string_equal(h_str(r, "unmapped.path_source"), "kernel");
}

static void test_dotdot_from_outside(void **state)
{
	char p[PATH_MAX];
	struct act a = { .flags = O_RDONLY };

	tree_path(p, "outside/../srv/phi/patients/1234/chart.txt");
	a.path = p;
	assert_non_null(act_record(&H, &a, chart));
}

static void test_bind_mount_of_watched_tree(void **state)
{
	char mnt[PATH_MAX], via[PATH_MAX];
	struct act a = { .new_mount_ns = true, .bind_src = H.watch, .flags = O_RDONLY };
	json_object *r;

	tree_path(mnt, "outside/bind-tree");
	h_mkdirs(mnt);
	tree_path(via, "outside/bind-tree/patients/1234/chart.txt");
	a.bind_dst = mnt;
	a.path = via;
	r = act_record(&H, &a, chart);
	assert_non_null(r);
	/* the host's path, and the path the process used */
	assert_string_equal(h_str(r, "unmapped.process_path"), via);
}

static void test_bind_mount_of_watched_subdirectory(void **state)
{
	char mnt[PATH_MAX], via[PATH_MAX];
	struct act a = { .new_mount_ns = true, .bind_src = patients, .flags = O_RDONLY };
	json_object *r;

	/* Its mount root is "patients", whose parent dentry is still "phi". */
	tree_path(mnt, "outside/bind-sub");
	h_mkdirs(mnt);
	tree_path(via, "outside/bind-sub/1234/chart.txt");
	a.bind_dst = mnt;
	a.path = via;
	r = act_record(&H, &a, chart);
	assert_non_null(r);
	assert_string_equal(h_str(r, "unmapped.process_path"), via);
}

/*
 * A subdirectory of another filesystem bind-mounted into the tree: the
 * kernel reaches the watch through names its mount hides ("sub/scans" of
 * the tmpfs), which the host path must not show.
 */
struct foreign_bind {
	char scratch[PATH_MAX], mountpoint[PATH_MAX], file[PATH_MAX];
};

static int open_through_foreign_bind(void *arg)
{
	const struct foreign_bind *b = arg;
	char sub[PATH_MAX + 16], inner[PATH_MAX + 16];
	int fd;

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("scratch", b->scratch, "tmpfs", 0, "size=1m"))
		return 10;
	snprintf(sub, sizeof(sub), "%s/sub", b->scratch);
	snprintf(inner, sizeof(inner), "%s/sub/scans", b->scratch);
	if (mkdir(sub, 0755) || mkdir(inner, 0755) ||
	    mount(inner, b->mountpoint, NULL, MS_BIND, NULL))
		return 11;
	h_write_file(b->file, "dicom\n", 0644); /* an open: it makes the record */
	fd = open(b->file, O_RDONLY);
	if (fd < 0)
		return 12;
	close(fd);
	return 0;
}

static bool is_open_by(json_object *r, const void *pid)
{
	return h_int(r, "class_uid") == 1001 && h_int(r, "activity_id") == 14 &&
	       h_int(r, "actor.process.pid") == *(const pid_t *)pid;
}

static void test_bind_mount_from_another_filesystem_into_the_tree(void **state)
{
	struct foreign_bind b;
	json_object *r;
	pid_t pid;

	tree_path(b.scratch, "outside/scratch");
	h_mkdirs(b.scratch);
	tree_path(b.mountpoint, "srv/phi/patients/5678/scans");
	h_mkdirs(b.mountpoint);
	tree_path(b.file, "srv/phi/patients/5678/scans/s1.dcm");
	pid = h_child(open_through_foreign_bind, &b);
	r = h_wait(&H, is_open_by, &pid, 5000);
	assert_non_null(r);
	/* not .../5678/scans/sub/scans/s1.dcm */
	assert_string_equal(h_str(r, "file.path"), b.file);
	assert_null(h_get(r, "unmapped.process_path")); /* the same path */
}

static void test_chroot_inside_watched_tree(void **state)
{
	struct act a = { .chroot_dir = patients, .path = "/1234/chart.txt", .flags = O_RDONLY };
	json_object *r = act_record(&H, &a, chart);

	assert_non_null(r);
	assert_string_equal(h_str(r, "unmapped.process_path"), "/1234/chart.txt");
}

static void test_other_mount_namespace(void **state)
{
	struct act a = { .new_mount_ns = true, .path = chart, .flags = O_RDONLY };
	json_object *r = act_record(&H, &a, chart);

	assert_non_null(r);
	assert_true(h_int(r, "unmapped.mnt_ns") > 0);
}

static void test_watched_directory_itself(void **state)
{
	struct act a = { .path = H.watch, .flags = O_RDONLY | O_DIRECTORY };
	json_object *r = act_record(&H, &a, H.watch);

	assert_non_null(r);
	assert_string_equal(h_str(r, "file.type"), "Folder");
}

static void test_prefix_sibling_is_out_of_scope(void **state)
{
	char p[PATH_MAX];
	struct act a = { .flags = O_RDONLY };

	tree_path(p, "srv/phi2/other.txt");
	a.path = p;
	expect_none_before_sentinel(&a, p);
}

static void test_outside_file_is_out_of_scope(void **state)
{
	char p[PATH_MAX];
	struct act a = { .flags = O_RDONLY };

	tree_path(p, "outside/plain.txt");
	a.path = p;
	expect_none_before_sentinel(&a, p);
}

static void test_failed_open_other_than_denied_is_not_recorded(void **state)
{
	char p[PATH_MAX];
	struct act a = { .flags = O_RDONLY, .expect_errno = ENOENT };

	tree_path(p, "srv/phi/no-such-file");
	a.path = p;
	expect_none_before_sentinel(&a, p);
}

static void assert_denied(json_object *r)
{
	assert_non_null(r);
	assert_string_equal(h_str(r, "status"), "Failure");
	assert_string_equal(h_str(r, "status_code"), "EACCES");
	assert_string_equal(h_str(r, "unmapped.path_source"), "user");
	assert_int_equal(h_int(r, "actor.user.uid"), 65534);
	assert_null(h_get(r, "unmapped.fd"));
}

static void test_denied_absolute_path(void **state)
{
	struct act a = { .path = secret, .uid = 65534, .flags = O_RDONLY, .expect_errno = EACCES };

	assert_denied(act_record(&H, &a, secret));
}

static void test_denied_relative_from_cwd_inside_watch(void **state)
{
	struct act a = { .path = "./secret", .cwd = H.watch, .uid = 65534, .flags = O_RDONLY,
			 .expect_errno = EACCES };

	assert_denied(act_record(&H, &a, secret));
}

static void test_denied_relative_from_above_watch(void **state)
{
	char srv[PATH_MAX];
	struct act a = { .path = "phi//secret", .uid = 65534, .flags = O_RDONLY,
			 .expect_errno = EACCES };

	tree_path(srv, "srv");
	a.cwd = srv;
	assert_denied(act_record(&H, &a, secret));
}

static void test_denied_with_dirfd(void **state)
{
	struct act a = { .path = "secret", .dirfd_dir = H.watch, .uid = 65534, .flags = O_RDONLY,
			 .expect_errno = EACCES };

	assert_denied(act_record(&H, &a, secret));
}

static void test_denied_in_a_chroot_above_the_watch(void **state)
{
	char srv[PATH_MAX];
	struct act a = { .path = "/phi/secret", .uid = 65534, .flags = O_RDONLY,
			 .expect_errno = EACCES };
	json_object *r;

	/* Its root is "srv": the route from there places it, and the record
	 * gives the host's path beside the one the process used. */
	tree_path(srv, "srv");
	a.chroot_dir = srv;
	r = act_record(&H, &a, secret);
	assert_denied(r);
	assert_string_equal(h_str(r, "unmapped.process_path"), "/phi/secret");
}

static void test_denied_outside_is_not_recorded(void **state)
{
	char p[PATH_MAX];
	struct act a = { .uid = 65534, .flags = O_RDONLY, .expect_errno = EACCES };

	tree_path(p, "outside/secret-out");
	h_write_file(p, "x", 0600);
	a.path = p;
	expect_none_before_sentinel(&a, p);
}

static void test_denied_string_leaving_the_tree_by_dotdot_is_not_recorded(void **state)
{
	char p[PATH_MAX];
	struct act from_inside = { .path = "../../../outside/secret-out", .cwd = patients,
				   .uid = 65534, .flags = O_RDONLY, .expect_errno = EACCES };
	struct act via_route = { .uid = 65534, .flags = O_RDONLY, .expect_errno = EACCES };
	char abs[PATH_MAX];

	/* The kernel places both by a prefix inside the watch; the string
	 * then leaves it. */
	tree_path(p, "outside/secret-out");
	h_write_file(p, "x", 0600);
	expect_none_before_sentinel(&from_inside, p);
	tree_path(abs, "srv/phi/../../outside/secret-out");
	via_route.path = abs;
	expect_none_before_sentinel(&via_route, p);
}

static void test_denied_string_with_dotdot_staying_inside_is_recorded(void **state)
{
	char p[PATH_MAX];
	struct act a = { .uid = 65534, .flags = O_RDONLY, .expect_errno = EACCES };

	tree_path(p, "srv/phi/patients/../secret");
	a.path = p;
	assert_denied(act_record(&H, &a, secret));
}

static void test_legacy_open_creat_and_openat2(void **state)
{
	char p[PATH_MAX];
	struct act open_ = { .path = chart, .via = VIA_OPEN, .flags = O_RDONLY };
	struct act openat2_ = { .path = chart, .via = VIA_OPENAT2, .flags = O_RDONLY | O_NOFOLLOW };
	struct act creat_ = { .via = VIA_CREAT };
	json_object *r;

	r = act_record(&H, &open_, chart);
	assert_non_null(r);
	assert_string_equal(h_str(r, "unmapped.syscall"), "open");
	r = act_record(&H, &openat2_, chart);
	assert_non_null(r);
	assert_string_equal(h_str(r, "unmapped.syscall"), "openat2");
	assert_string_equal(h_str(r, "unmapped.open_flags"), "O_RDONLY|O_NOFOLLOW");
	tree_path(p, "srv/phi/created.txt");
	creat_.path = p;
	r = act_record(&H, &creat_, p);
	assert_non_null(r);
	assert_string_equal(h_str(r, "unmapped.syscall"), "creat");
	assert_string_equal(h_str(r, "unmapped.open_flags"), "O_WRONLY|O_CREAT|O_TRUNC");
	assert_string_equal(h_str(r, "unmapped.create_mode"), "0600");
}

static void *thread_open(void *arg)
{
	int fd = open(chart, O_RDONLY);

	*(pid_t *)arg = gettid();
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int open_from_thread(void *arg)
{
	pthread_t t;
	pid_t tid = 0;

	pthread_create(&t, NULL, thread_open, &tid);
	pthread_join(t, NULL);
	/* report the thread's id through the exit status's pipe */
	return write(*(int *)arg, &tid, sizeof(tid)) == sizeof(tid) ? 0 : 1;
}

static void test_open_from_a_thread_records_its_tid(void **state)
{
	int fds[2];
	pid_t tid = 0;
	struct pid_path pp = { .path = chart };
	json_object *r;

	assert_int_equal(pipe(fds), 0);
	pp.pid = h_child(open_from_thread, &fds[1]);
	assert_int_equal(read(fds[0], &tid, sizeof(tid)), sizeof(tid));
	close(fds[0]);
	close(fds[1]);
	r = h_wait(&H, h_is_open_by, &pp, 5000);
	assert_non_null(r);
	assert_int_not_equal(tid, pp.pid);
	assert_int_equal(h_int(r, "actor.process.tid"), tid);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_open_below_watch_records_process_and_file, each_setup),
		cmocka_unit_test_setup(test_relative_path_from_cwd_inside_watch, each_setup),
		cmocka_unit_test_setup(test_openat_with_dirfd, each_setup),
		cmocka_unit_test_setup(test_symlink_from_outside_points_in, each_setup),
		cmocka_unit_test_setup(test_dotdot_from_outside, each_setup),
		cmocka_unit_test_setup(test_bind_mount_of_watched_tree, each_setup),
		cmocka_unit_test_setup(test_bind_mount_of_watched_subdirectory, each_setup),
		cmocka_unit_test_setup(test_bind_mount_from_another_filesystem_into_the_tree, each_setup),
		cmocka_unit_test_setup(test_chroot_inside_watched_tree, each_setup),
		cmocka_unit_test_setup(test_other_mount_namespace, each_setup),
		cmocka_unit_test_setup(test_watched_directory_itself, each_setup),
		cmocka_unit_test_setup(test_prefix_sibling_is_out_of_scope, each_setup),
		cmocka_unit_test_setup(test_outside_file_is_out_of_scope, each_setup),
		cmocka_unit_test_setup(test_failed_open_other_than_denied_is_not_recorded, each_setup),
		cmocka_unit_test_setup(test_denied_absolute_path, each_setup),
		cmocka_unit_test_setup(test_denied_relative_from_cwd_inside_watch, each_setup),
		cmocka_unit_test_setup(test_denied_relative_from_above_watch, each_setup),
		cmocka_unit_test_setup(test_denied_with_dirfd, each_setup),
		cmocka_unit_test_setup(test_denied_in_a_chroot_above_the_watch, each_setup),
		cmocka_unit_test_setup(test_denied_outside_is_not_recorded, each_setup),
		cmocka_unit_test_setup(test_denied_string_leaving_the_tree_by_dotdot_is_not_recorded,
					each_setup),
		cmocka_unit_test_setup(test_denied_string_with_dotdot_staying_inside_is_recorded,
					each_setup),
		cmocka_unit_test_setup(test_legacy_open_creat_and_openat2, each_setup),
		cmocka_unit_test_setup(test_open_from_a_thread_records_its_tid, each_setup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
