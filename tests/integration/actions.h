/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What a test process does, described as data and run in a child: where
 * it stands (mount namespace, bind mount, chroot, cwd, dirfd), who it is
 * (uid, login uid) and which open syscall it makes.
 */
#ifndef PHIAUDIT_TEST_ACTIONS_H
#define PHIAUDIT_TEST_ACTIONS_H

#include <linux/openat2.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <grp.h>

#include "harness.h"

enum act_via { VIA_OPENAT = 0, VIA_OPEN, VIA_CREAT, VIA_OPENAT2 };

struct act {
	const char *path;	/* as passed to the syscall */
	const char *dirfd_dir;	/* openat relative to this directory */
	const char *cwd;
	const char *chroot_dir;
	const char *bind_src, *bind_dst;
	bool new_mount_ns;
	uid_t uid;		/* 0: stay root */
	unsigned int loginuid;	/* 0: leave unset */
	enum act_via via;
	int flags;
	int expect_errno;	/* 0: the open must succeed */
};

static inline int act_open(const struct act *a, int dirfd)
{
	struct open_how how = { .flags = (unsigned long long)a->flags };

	switch (a->via) {
	case VIA_OPEN:
		return (int)syscall(SYS_open, a->path, a->flags, 0600);
	case VIA_CREAT:
		return (int)syscall(SYS_creat, a->path, 0600);
	case VIA_OPENAT2:
		return (int)syscall(SYS_openat2, dirfd, a->path, &how, sizeof(how));
	default:
		return openat(dirfd, a->path, a->flags, 0600);
	}
}

static inline int act_setup(const struct act *a)
{
	if (a->loginuid) {
		char v[16];
		int fd = open("/proc/self/loginuid", O_WRONLY);

		snprintf(v, sizeof(v), "%u", a->loginuid);
		if (fd < 0 || write(fd, v, strlen(v)) < 0)
			return 10;
		close(fd);
	}
	if (a->new_mount_ns && (unshare(CLONE_NEWNS) ||
				mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)))
		return 11;
	if (a->bind_src && mount(a->bind_src, a->bind_dst, NULL, MS_BIND, NULL))
		return 12;
	if (a->chroot_dir && (chroot(a->chroot_dir) || chdir("/")))
		return 13;
	if (a->cwd && chdir(a->cwd))
		return 14;
	return 0;
}

static inline int act_run(void *arg)
{
	const struct act *a = arg;
	int dirfd = AT_FDCWD, fd, rc = act_setup(a);

	if (rc)
		return rc;
	if (a->dirfd_dir && (dirfd = open(a->dirfd_dir, O_RDONLY | O_DIRECTORY)) < 0)
		return 15;
	if (a->uid && (setgroups(0, NULL) || setgid(a->uid) || setuid(a->uid)))
		return 16;
	fd = act_open(a, dirfd);
	if (a->expect_errno)
		return fd < 0 && errno == a->expect_errno ? 0 : 17;
	if (fd < 0)
		return 18;
	close(fd);
	return 0;
}

struct pid_path {
	pid_t pid;
	const char *path;
};

static inline bool h_is_open_by(json_object *r, const void *arg)
{
	const struct pid_path *pp = arg;

	return h_is_open_by_pid(r, &pp->pid) && (!pp->path || h_is_open_of(r, pp->path));
}

/* Run the action; return the record it caused (at path) within 5 s. */
static inline json_object *act_record(struct harness *h, struct act *a, const char *path)
{
	struct pid_path pp = { .path = path };

	pp.pid = h_child(act_run, a);
	return h_wait(h, h_is_open_by, &pp, 5000);
}

#endif
