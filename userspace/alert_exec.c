// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "alert_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

static int check_owner(const char *what, const char *path, const struct stat *st, uid_t owner,
		       char *err, size_t errlen)
{
	if (st->st_uid != owner || (st->st_mode & 022)) {
		snprintf(err, errlen,
			 "--alert-exec: %s %s is owned by uid %u with mode %04o: it must be owned "
			 "by uid %u and not writable by group or others (chmod go-w)",
			 what, path, (unsigned)st->st_uid, (unsigned)(st->st_mode & 07777),
			 (unsigned)owner);
		return -1;
	}
	return 0;
}

int pa_alert_exec_check(const char *cmd, uid_t owner, char *err, size_t errlen)
{
	char dir[4096];
	struct stat st;
	char *slash;

	if (cmd[0] != '/') {
		snprintf(err, errlen, "--alert-exec: '%s' is not an absolute path (no shell, no $PATH "
			 "search: name the program itself)", cmd);
		return -1;
	}
	if (stat(cmd, &st)) {
		snprintf(err, errlen, "--alert-exec: %s: %s", cmd, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)) {
		snprintf(err, errlen, "--alert-exec: %s is not an executable file", cmd);
		return -1;
	}
	if (check_owner("program", cmd, &st, owner, err, errlen))
		return -1;
	snprintf(dir, sizeof(dir), "%s", cmd);
	slash = strrchr(dir, '/');
	slash[slash == dir ? 1 : 0] = '\0';
	if (stat(dir, &st)) {
		snprintf(err, errlen, "--alert-exec: %s: %s", dir, strerror(errno));
		return -1;
	}
	/* A sticky directory (/tmp) still lets others replace their own files. */
	if ((st.st_mode & 01000) && (st.st_mode & 022)) {
		snprintf(err, errlen, "--alert-exec: %s is in %s, which anyone may write to", cmd, dir);
		return -1;
	}
	return check_owner("directory", dir, &st, owner, err, errlen);
}

/* The alert, in a memfd the child reads from the start: the agent never
 * blocks on a slow reader, and the child sees all of it whatever its size. */
static int stdin_for(const char *json, size_t len)
{
	int fd = memfd_create("phiaudit-alert", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	size_t off = 0;

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, json + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			close(fd);
			return -e;
		}
		off += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL)) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

static int spawn_attrs(posix_spawnattr_t *attr, posix_spawn_file_actions_t *fa, int in)
{
	sigset_t none, dfl;
	int rc;

	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGCHLD);
	rc = posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK |
						    POSIX_SPAWN_SETSIGDEF);
	rc = rc ? rc : posix_spawnattr_setsigmask(attr, &none);
	rc = rc ? rc : posix_spawnattr_setsigdefault(attr, &dfl);
	rc = rc ? rc : posix_spawn_file_actions_adddup2(fa, in, 0);
	rc = rc ? rc : posix_spawn_file_actions_addopen(fa, 1, "/dev/null", O_WRONLY, 0);
	/* Nothing of the agent's (BPF objects, the log) leaks into it. */
	rc = rc ? rc : posix_spawn_file_actions_addclosefrom_np(fa, 3);
	return -rc;
}

static int spawn(const char *cmd, int in, const char *finding_uid, pid_t *pid)
{
	char uid_env[160];
	char *const argv[] = { (char *)cmd, NULL };
	char *const envp[] = { "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
			       uid_env, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int rc;

	snprintf(uid_env, sizeof(uid_env), "PHIAUDIT_FINDING_UID=%s", finding_uid);
	if (posix_spawnattr_init(&attr))
		return -ENOMEM;
	if (posix_spawn_file_actions_init(&fa)) {
		posix_spawnattr_destroy(&attr);
		return -ENOMEM;
	}
	rc = spawn_attrs(&attr, &fa, in);
	if (!rc)
		rc = -posix_spawn(pid, cmd, &fa, &attr, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return rc;
}

int pa_alert_exec_run(struct pa_alert_exec *x, const char *json, size_t len, const char *finding_uid,
		      uint64_t now_ns)
{
	pid_t pid;
	int in, rc;

	if (!x->cmd)
		return 0;
	if (x->n_kids >= PA_ALERT_EXEC_MAX) {
		x->skipped++;
		return -EBUSY;
	}
	in = stdin_for(json, len);
	if (in < 0) {
		x->spawn_errors++;
		return in;
	}
	rc = spawn(x->cmd, in, finding_uid, &pid);
	close(in);
	if (rc) {
		x->spawn_errors++;
		return rc;
	}
	x->kids[x->n_kids].pid = pid;
	x->kids[x->n_kids].deadline_ns = now_ns + x->timeout_ns;
	x->n_kids++;
	x->started++;
	return 0;
}

static void forget(struct pa_alert_exec *x, size_t i)
{
	x->kids[i] = x->kids[--x->n_kids];
}

void pa_alert_exec_reap(struct pa_alert_exec *x, uint64_t now_ns)
{
	for (size_t i = 0; i < x->n_kids;) {
		int status;
		pid_t r = waitpid(x->kids[i].pid, &status, WNOHANG);

		if (r == x->kids[i].pid || (r < 0 && errno == ECHILD)) {
			if (r > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
				x->succeeded++;
			} else {
				x->failed++;
				pa_warn("--alert-exec %s (pid %d) %s %d", x->cmd ? x->cmd : "(since unset)",
					(int)x->kids[i].pid,
					r > 0 && WIFSIGNALED(status) ? "was killed by signal"
								     : "exited with status",
					r > 0 && WIFSIGNALED(status) ? WTERMSIG(status)
					: r > 0			    ? WEXITSTATUS(status)
								    : -1);
			}
			forget(x, i);
			continue;
		}
		if (now_ns >= x->kids[i].deadline_ns) {
			/* its own session: the whole group goes */
			kill(-x->kids[i].pid, SIGKILL);
			kill(x->kids[i].pid, SIGKILL);
			waitpid(x->kids[i].pid, &status, 0);
			x->timed_out++;
			pa_warn("--alert-exec %s (pid %d) ran past its time limit: killed",
				x->cmd ? x->cmd : "(since unset)", (int)x->kids[i].pid);
			forget(x, i);
			continue;
		}
		i++;
	}
}

void pa_alert_exec_stop(struct pa_alert_exec *x, uint64_t grace_ns)
{
	uint64_t until = pa_clock_boot_ns() + grace_ns;

	while (x->n_kids && pa_clock_boot_ns() < until) {
		struct timespec ts = { 0, 20 * 1000 * 1000 };

		pa_alert_exec_reap(x, pa_clock_boot_ns());
		nanosleep(&ts, NULL);
	}
	for (size_t i = 0; i < x->n_kids; i++)
		x->kids[i].deadline_ns = 0;
	pa_alert_exec_reap(x, pa_clock_boot_ns());
}
