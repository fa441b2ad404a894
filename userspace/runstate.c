// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "runstate.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static pid_t read_pid(int fd)
{
	char buf[32] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	return n > 0 ? (pid_t)strtol(buf, NULL, 10) : 0;
}

static int take_lock(struct pa_runstate *rs, const char *dir, char *err, size_t errlen)
{
	char pid[32];
	int n;

	rs->lockfd = openat(rs->dirfd, PA_RUN_PID, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (rs->lockfd < 0) {
		snprintf(err, errlen, "%s/%s: %s", dir, PA_RUN_PID, strerror(errno));
		return -errno;
	}
	if (fcntl(rs->lockfd, F_OFD_SETLK, &(struct flock){ .l_type = F_WRLCK })) {
		int e = errno;

		if (e == EAGAIN || e == EACCES) {
			snprintf(err, errlen, "another phiauditd is running (pid %d; %s/%s is locked): "
				 "stop it first, or give this one another --run-dir and --log-dir",
				 (int)read_pid(rs->lockfd), dir, PA_RUN_PID);
			return -EBUSY;
		}
		snprintf(err, errlen, "%s/%s: lock: %s", dir, PA_RUN_PID, strerror(e));
		return -e;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(rs->lockfd, 0) || pwrite(rs->lockfd, pid, (size_t)n, 0) != n) {
		snprintf(err, errlen, "%s/%s: %s", dir, PA_RUN_PID, strerror(errno));
		return -errno;
	}
	return 0;
}

int pa_runstate_open(struct pa_runstate *rs, const char *dir, char *err, size_t errlen)
{
	int rc;

	rs->dirfd = rs->lockfd = -1;
	if (mkdir(dir, 0755) && errno != EEXIST) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	rs->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (rs->dirfd < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -errno;
	}
	rc = take_lock(rs, dir, err, errlen);
	if (rc)
		pa_runstate_close(rs);
	return rc;
}

int pa_runstate_put(struct pa_runstate *rs, const char *name, const char *buf, size_t len)
{
	char tmp[64];
	int fd, rc = 0;

	if (rs->dirfd < 0)
		return 0;
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	fd = openat(rs->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len)
		rc = errno ? -errno : -EIO;
	fchmod(fd, 0644); /* whatever the umask */
	close(fd);
	if (!rc && renameat(rs->dirfd, tmp, rs->dirfd, name))
		rc = -errno;
	if (rc)
		unlinkat(rs->dirfd, tmp, 0);
	return rc;
}

void pa_runstate_close(struct pa_runstate *rs)
{
	if (rs->lockfd >= 0)
		close(rs->lockfd); /* releases the lock */
	if (rs->dirfd >= 0)
		close(rs->dirfd);
	rs->dirfd = rs->lockfd = -1;
}

int pa_runstate_running(const char *dir, pid_t *pid)
{
	char path[4096];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", dir, PA_RUN_PID);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* Asks, without taking it (a lock taken even for an instant would
	 * refuse an agent starting in that instant). */
	struct flock fl = { .l_type = F_RDLCK };

	*pid = read_pid(fd);
	rc = fcntl(fd, F_OFD_GETLK, &fl) ? -errno : fl.l_type != F_UNLCK;
	close(fd);
	return rc;
}
