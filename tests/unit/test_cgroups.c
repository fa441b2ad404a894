// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* cgroup id -> path, and what a path says: container id, systemd unit. */
#include "unit.h"

#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroups.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void expect_container(const char *path, const char *want)
{
	char id[65];

	if (!want) {
		assert_false(pa_cgroup_container_id(path, id));
		return;
	}
	assert_true(pa_cgroup_container_id(path, id));
	assert_string_equal(id, want);
}

static void test_container_ids_of_every_runtime(void **state)
{
	expect_container("/system.slice/docker-" ID64 ".scope", ID64);
	expect_container("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1a2b."
			 "slice/cri-containerd-" ID64 ".scope", ID64);
	expect_container("/kubepods/besteffort/pod1a2b/" ID64, ID64);	/* cgroupfs driver */
	expect_container("/machine.slice/libpod-" ID64 ".scope/container", ID64);
	expect_container("/system.slice/crio-" ID64 ".scope", ID64);
	expect_container("/docker/" ID64, ID64);
	/* not containers */
	expect_container("/", NULL);
	expect_container("/system.slice/ssh.service", NULL);
	expect_container("/user.slice/user-1000.slice/session-3.scope", NULL);
	expect_container("/x/" ID64 "0", NULL);	  /* 65 hex digits: not an id */
	expect_container("/x/abc" ID64, NULL);	  /* glued to other text */
	expect_container("/x/0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
			 NULL); /* runtimes write lower case */
}

static void test_systemd_units(void **state)
{
	char unit[256];

	assert_true(pa_cgroup_unit("/system.slice/ssh.service", unit, sizeof(unit)));
	assert_string_equal(unit, "ssh.service");
	assert_true(pa_cgroup_unit("/user.slice/user-1000.slice/session-3.scope", unit,
				   sizeof(unit)));
	assert_string_equal(unit, "session-3.scope");
	assert_true(pa_cgroup_unit("/system.slice/postgresql@15-main.service/worker", unit,
				   sizeof(unit)));
	assert_string_equal(unit, "postgresql@15-main.service");
	/* a container's scope is not a unit of the host's services */
	assert_false(pa_cgroup_unit("/system.slice/docker-" ID64 ".scope", unit, sizeof(unit)));
	assert_false(pa_cgroup_unit("/", unit, sizeof(unit)));
	assert_false(pa_cgroup_unit("/kubepods/besteffort", unit, sizeof(unit)));
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

/* A fake tree: the id of a cgroup is its directory's inode number. */
static void test_ids_resolve_to_paths_and_rescan_is_rate_limited(void **state)
{
	char root[64], dir[256];
	struct pa_cgroups *c = malloc(sizeof(*c));
	struct stat st;
	uint64_t id_ssh, id_new;

	assert_non_null(c);
	snprintf(root, sizeof(root), "/tmp/pa-cg-XXXXXX");
	assert_non_null(mkdtemp(root));
	snprintf(dir, sizeof(dir), "%s/system.slice", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/system.slice/ssh.service", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(stat(dir, &st), 0);
	id_ssh = st.st_ino;
	pa_cgroups_init(c, root);
	assert_string_equal(pa_cgroup_path(c, id_ssh, 1), "/system.slice/ssh.service");
	assert_int_equal(c->scans, 1);
	assert_string_equal(pa_cgroup_path(c, id_ssh, 2), "/system.slice/ssh.service");
	assert_int_equal(c->scans, 1); /* known: no scan */
	assert_int_equal(stat(root, &st), 0);
	assert_string_equal(pa_cgroup_path(c, st.st_ino, 3), "/");

	/* a container started later: found by a rescan, at most once a second */
	snprintf(dir, sizeof(dir), "%s/system.slice/docker-" ID64 ".scope", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(stat(dir, &st), 0);
	id_new = st.st_ino;
	assert_null(pa_cgroup_path(c, id_new, 10)); /* within the second: no rescan */
	assert_int_equal(c->scans, 1);
	assert_string_equal(pa_cgroup_path(c, id_new, 1 + PA_CGROUPS_RESCAN_NS),
			    "/system.slice/docker-" ID64 ".scope");
	assert_int_equal(c->scans, 2);
	/* what a path names is worked out at the scan, not per record */
	assert_string_equal(pa_cgroup_find(c, id_new, 3 + PA_CGROUPS_RESCAN_NS)->container_id, ID64);
	assert_null(pa_cgroup_find(c, id_new, 3 + PA_CGROUPS_RESCAN_NS)->unit);
	assert_string_equal(pa_cgroup_find(c, id_ssh, 3 + PA_CGROUPS_RESCAN_NS)->unit, "ssh.service");
	assert_string_equal(pa_cgroup_find(c, id_ssh, 3 + PA_CGROUPS_RESCAN_NS)->container_id, "");
	/* an id that exists nowhere: one rescan a second, then NULL */
	assert_null(pa_cgroup_path(c, 0xdeadbeefULL, 2 + PA_CGROUPS_RESCAN_NS));
	assert_int_equal(c->scans, 2);
	pa_cgroups_free(c);
	free(c);
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* No cgroup v2 mount: ids stay ids, nothing breaks. */
static void test_no_cgroup2_root(void **state)
{
	struct pa_cgroups c;

	memset(&c, 0, sizeof(c));
	c.root = NULL;
	assert_null(pa_cgroup_path(&c, 1, 1));
	assert_null(pa_cgroup_path(&c, 1, 5000000000ULL));
	pa_cgroups_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_container_ids_of_every_runtime),
		cmocka_unit_test(test_systemd_units),
		cmocka_unit_test(test_ids_resolve_to_paths_and_rescan_is_rate_limited),
		cmocka_unit_test(test_no_cgroup2_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
