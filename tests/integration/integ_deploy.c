// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel tests of the deployment (deploy/): the agent driven the way
 * systemd drives deploy/phiauditd.service, the unit itself, and the
 * packages.
 *
 *   notify   NOTIFY_SOCKET as systemd sets it (a datagram socket, by path
 *            or abstract name): READY=1 only once the agent audits, a
 *            STATUS= text, SIGHUP survived, SIGTERM -> STOPPING=1 and exit 0
 *            after a Stop record, no READY=1 from a start that failed.
 *   unit     `systemd-analyze verify` silent; `systemd-analyze security`
 *            no worse than the score written in the unit; the agent that
 *            `make install` installs, run under the unit's sandbox as this
 *            test rebuilds it without systemd (these machines do not run
 *            systemd as PID 1): its CapabilityBoundingSet, Group (a stand-in
 *            when no phiaudit group exists), NoNewPrivileges,
 *            MemoryDenyWriteExecute (PR_SET_MDWE), a read-only file system
 *            but for its own directories (ProtectSystem=strict), and its
 *            SystemCallFilter and RestrictAddressFamilies as a seccomp
 *            filter that kills the agent on anything else (the unit answers
 *            EPERM; killing makes a missing call impossible to overlook).
 *   packages `make deb` (dpkg-buildpackage), its contents, installed with
 *            dpkg -i (unit enabled, not started) and purged (the machine as
 *            it was, the audit log kept); `make rpm-spec-check` (rpmspec,
 *            rpmbuild); the DaemonSet manifest through yamllint.
 *
 * Run from the source tree (tests/run.sh is). A missing tool is a skip
 * that names it (and under CI=true tests/run.sh counts a skip as a
 * failure). The packages are built once per run: about a minute each.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "harness.h"

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#define PR_MDWE_REFUSE_EXEC_GAIN 1
#endif

#define UNIT_SRC "deploy/phiauditd.service"
#define OUT_MAX	 (256 * 1024)

static struct harness H;
static char src[PATH_MAX];	/* the source tree (cwd) */
static char inst[PATH_MAX];	/* make install DESTDIR */
static bool inst_done, inst_ok;
static char out[OUT_MAX];	/* the last command's output */

/* ---- commands ---------------------------------------------------------- */

/* Run a shell command; its output (stdout and stderr) in out. Exit status,
 * or -1 when it could not run or died of a signal. */
static int sh(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	size_t n = 0;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 8, fmt, ap);
	va_end(ap);
	strcat(cmd, " 2>&1");
	out[0] = '\0';
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (n < sizeof(out) - 1) {
		size_t r = fread(out + n, 1, sizeof(out) - 1 - n, p);

		if (r == 0)
			break;
		n += r;
	}
	out[n] = '\0';
	while (fgetc(p) != EOF) /* drain what did not fit */
		;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* A path into dst (PATH_MAX): one that does not fit ends the run. */
static void pathf(char *dst, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_MAX)
		h_die("path too long");
}

/* Long command output, whole (print_message and fail_msg cut it short). */
static void show(const char *text)
{
	fflush(stdout);
	fputs(text, stdout);
	if (text[0] && text[strlen(text) - 1] != '\n')
		fputc('\n', stdout);
	fflush(stdout);
}

static bool have(const char *prog)
{
	return sh("command -v %s", prog) == 0;
}

/* Skip, naming the missing tool and the package that has it. */
#define NEED(prog, pkg)                                                          \
	do {                                                                     \
		if (!have(prog)) {                                               \
			print_message("SKIP: %s not found (Debian package %s; "  \
				      "`sudo make deps` installs it)\n",         \
				      prog, pkg);                                 \
			skip();                                                  \
		}                                                                \
	} while (0)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* ---- the unit file ----------------------------------------------------- */

/* Every value of KEY= in the unit (comments skipped), one a line, in
 * order; "" when none. */
static void unit_values(const char *unit, const char *key, char *dst, size_t n)
{
	size_t klen = strlen(key), used = 0;

	dst[0] = '\0';
	for (const char *l = unit; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *end = strchr(l, '\n');
		size_t len = end ? (size_t)(end - l) : strlen(l);

		if (len > klen && !strncmp(l, key, klen) && l[klen] == '=') {
			int w = snprintf(dst + used, n - used, "%.*s\n", (int)(len - klen - 1),
					 l + klen + 1);

			if (w > 0 && (size_t)w < n - used)
				used += (size_t)w;
		}
	}
}

/* Is VALUE one of KEY='s values? */
static bool unit_has(const char *unit, const char *key, const char *value)
{
	char v[4096];
	size_t len = strlen(value);

	unit_values(unit, key, v, sizeof(v));
	for (const char *p = v; (p = strstr(p, value)); p++)
		if ((p == v || p[-1] == '\n') && p[len] == '\n')
			return true;
	return false;
}

/* Words of a value, in place: returns the next word or NULL. */
static char *word(char **s)
{
	char *w;

	while (**s == ' ' || **s == '\t' || **s == '\n')
		(*s)++;
	if (!**s)
		return NULL;
	w = *s;
	while (**s && **s != ' ' && **s != '\t' && **s != '\n')
		(*s)++;
	if (**s)
		*(*s)++ = '\0';
	return w;
}

/* ---- system call names, as systemd expands its groups -------------------- */

#define MAX_NAMES 1024

struct names {
	char *v[MAX_NAMES];
	size_t n;
};

static bool names_has(const struct names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name))
			return true;
	return false;
}

static void names_add(struct names *s, const char *name)
{
	if (!names_has(s, name) && s->n < MAX_NAMES)
		s->v[s->n++] = strdup(name);
}

static void names_del(struct names *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name)) {
			free(s->v[i]);
			s->v[i] = s->v[--s->n];
			return;
		}
}

static void names_free(struct names *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	s->n = 0;
}

/* NAME or @GROUP (recursively, as `systemd-analyze syscall-filter` lists
 * it) into @s. */
static int names_expand(struct names *s, const char *item, int depth)
{
	char *text, *p, *line;

	if (item[0] != '@') {
		names_add(s, item);
		return 0;
	}
	if (depth > 8 || sh("systemd-analyze syscall-filter --no-pager %s", item) != 0)
		return -1;
	text = strdup(out);
	p = text;
	while ((line = strsep(&p, "\n"))) {
		char *w = line;

		while (*w == ' ')
			w++;
		if (!*w || *w == '#' || !strcmp(w, item))
			continue;
		if (names_expand(s, w, depth + 1)) {
			free(text);
			return -1;
		}
	}
	free(text);
	return 0;
}

/* The unit's SystemCallFilter= lines applied in order, as systemd does: an
 * allow list, then ~ removes, a later plain line adds again. */
static int unit_syscalls(const char *unit, struct names *allow)
{
	char lines[8192], *p = lines, *line;

	unit_values(unit, "SystemCallFilter", lines, sizeof(lines));
	while ((line = strsep(&p, "\n"))) {
		bool deny = line[0] == '~';
		char *rest = line + deny, *w;

		while ((w = word(&rest))) {
			struct names g = { 0 };

			if (names_expand(&g, w, 0))
				return -1;
			for (size_t i = 0; i < g.n; i++)
				deny ? names_del(allow, g.v[i]) : names_add(allow, g.v[i]);
			names_free(&g);
		}
	}
	return allow->n ? 0 : -1;
}

/* ---- capabilities and address families by name ------------------------- */

static const char *const cap_names[CAP_LAST_CAP + 1] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
	"CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
	"CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
	"CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
	"CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

static int cap_by_name(const char *name)
{
	for (int i = 0; i <= CAP_LAST_CAP; i++)
		if (!strcmp(cap_names[i], name))
			return i;
	return -1;
}

static int af_by_name(const char *name)
{
	static const struct { const char *name; int af; } t[] = {
		{ "AF_UNIX", AF_UNIX }, { "AF_INET", AF_INET }, { "AF_INET6", AF_INET6 },
		{ "AF_NETLINK", AF_NETLINK }, { "AF_PACKET", AF_PACKET },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(t[i].name, name))
			return t[i].af;
	return -1;
}

/* ---- what systemd would do between fork and exec ------------------------ */

struct sandbox {
	unsigned long long caps;	/* CapabilityBoundingSet */
	gid_t gid;			/* Group= */
	struct names syscalls;		/* SystemCallFilter= */
	int afs[8];			/* RestrictAddressFamilies= */
	size_t n_afs;
	const char *rw;			/* the one writable tree */
};

static int sandbox_from_unit(struct sandbox *sb, const char *unit, gid_t gid, const char *rw)
{
	char v[4096], *p = v, *w;

	memset(sb, 0, sizeof(*sb));
	sb->gid = gid;
	sb->rw = rw;
	unit_values(unit, "CapabilityBoundingSet", v, sizeof(v));
	while ((w = word(&p))) {
		int c = cap_by_name(w);

		if (c < 0)
			return -1;
		sb->caps |= 1ULL << c;
	}
	unit_values(unit, "RestrictAddressFamilies", v, sizeof(v));
	p = v;
	while ((w = word(&p)) && sb->n_afs < 8) {
		int af = af_by_name(w);

		if (af < 0)
			return -1;
		sb->afs[sb->n_afs++] = af;
	}
	return unit_syscalls(unit, &sb->syscalls);
}

static void child_fail(const char *what)
{
	fprintf(stderr, "sandbox: %s: %s\n", what, strerror(errno));
	_exit(126);
}

/* ProtectSystem=strict (and ProtectKernelTunables=, ProtectControlGroups=,
 * ProtectHome=read-only, stricter): every mount read-only, then the agent's
 * own tree made writable again. */
static void sandbox_mounts(const struct sandbox *sb)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };

	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL))
		child_fail("mount namespace");
	if (mount_setattr(AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof(ro)))
		child_fail("read-only /");
	if (mount(sb->rw, sb->rw, NULL, MS_BIND, NULL) ||
	    mount(NULL, sb->rw, NULL, MS_REMOUNT | MS_BIND, NULL))
		child_fail("writable tree");
}

/* Group=, CapabilityBoundingSet= (root keeps exactly those at exec),
 * NoNewPrivileges=, MemoryDenyWriteExecute=, LimitMEMLOCK=infinity. */
static void sandbox_creds(const struct sandbox *sb)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	struct rlimit inf = { RLIM_INFINITY, RLIM_INFINITY };

	/* systemd sets it as PID 1; where even root may not raise it (no
	 * CAP_SYS_RESOURCE: some VMs), the agent runs without, as it must on
	 * kernels that charge BPF memory to the memory cgroup. */
	if (setrlimit(RLIMIT_MEMLOCK, &inf) && errno != EPERM)
		child_fail("LimitMEMLOCK=");
	if (setgroups(0, NULL) || setgid(sb->gid))
		child_fail("Group=");
	for (int c = 0; c <= CAP_LAST_CAP; c++)
		if (!(sb->caps & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) && errno != EINVAL)
			child_fail("CapabilityBoundingSet=");
	if (syscall(SYS_capget, &hdr, data))
		child_fail("capget");
	data[0].inheritable = data[1].inheritable = 0;
	if (syscall(SYS_capset, &hdr, data) ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0))
		child_fail("capabilities");
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		child_fail("NoNewPrivileges=");
	if (prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) && errno != EINVAL)
		child_fail("MemoryDenyWriteExecute=");
}

/* SystemCallFilter=, SystemCallArchitectures=native,
 * RestrictAddressFamilies=: anything else kills the process (SIGSYS). */
static void sandbox_seccomp(const struct sandbox *sb)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);

	if (!ctx)
		child_fail("seccomp_init");
	for (size_t i = 0; i < sb->syscalls.n; i++) {
		int nr = seccomp_syscall_resolve_name(sb->syscalls.v[i]);

		if (nr == __NR_SCMP_ERROR || nr < 0 || !strcmp(sb->syscalls.v[i], "socket"))
			continue; /* not on this architecture; socket: below */
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0))
			child_fail(sb->syscalls.v[i]);
	}
	if (names_has(&sb->syscalls, "socket"))
		for (size_t i = 0; i < sb->n_afs; i++)
			if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
					     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)sb->afs[i])))
				child_fail("socket");
	if (seccomp_load(ctx))
		child_fail("seccomp_load");
}

/* ---- the agent, started as systemd starts it ---------------------------- */

/* What a failed test leaves behind, for each_teardown: the agent is in
 * H.agent (h_cleanup stops it). */
static int live_nfd = -1;

struct run {
	int nfd;		/* the notify socket */
	char notify[PATH_MAX];	/* NOTIFY_SOCKET */
	char said[4096];	/* every datagram so far, one after another */
	pid_t pid;
	int status;		/* once reaped */
	bool reaped;
};

/* A datagram socket bound where NOTIFY_SOCKET will say: a path in the test
 * tree (systemd's is /run/systemd/notify) or an abstract name. */
static void notify_open(struct run *r, bool abstract)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socklen_t len;

	memset(r, 0, sizeof(*r));
	r->nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(r->nfd >= 0);
	live_nfd = r->nfd;
	if (abstract) {
		snprintf(r->notify, sizeof(r->notify), "@phiaudit-deploy-test-%d", getpid());
		memcpy(sa.sun_path + 1, r->notify + 1, strlen(r->notify) - 1);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(r->notify));
	} else {
		h_path(r->notify, H.root, "notify");
		assert_true(strlen(r->notify) < sizeof(sa.sun_path));
		memcpy(sa.sun_path, r->notify, strlen(r->notify));
		len = sizeof(sa);
	}
	assert_int_equal(bind(r->nfd, (struct sockaddr *)&sa, len), 0);
}

/* The next datagram within @ms, appended to r->said; NULL on timeout. */
static const char *notify_next(struct run *r, int ms)
{
	struct pollfd p = { .fd = r->nfd, .events = POLLIN };
	size_t used = strlen(r->said);
	ssize_t n;

	if (poll(&p, 1, ms) <= 0 || used >= sizeof(r->said) - 2)
		return NULL;
	n = recv(r->nfd, r->said + used, sizeof(r->said) - used - 2, 0);
	if (n <= 0)
		return NULL;
	r->said[used + (size_t)n] = '\n';
	r->said[used + (size_t)n + 1] = '\0';
	return r->said + used;
}

/* Is LINE (e.g. "READY=1") one of the lines of @msg (up to its end)? */
static bool said_line(const char *msg, const char *line)
{
	size_t len = strlen(line);

	for (const char *p = msg; (p = strstr(p, line)); p++)
		if ((p == msg || p[-1] == '\n') && (p[len] == '\n' || p[len] == '\0'))
			return true;
	return false;
}

static void run_start(struct run *r, const char *const *argv, const struct sandbox *sb)
{
	close(open(H.err, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
	unlink(H.out);
	r->pid = h_fork();
	if (r->pid == 0) {
		int fd = open(H.err, O_WRONLY | O_APPEND);

		dup2(fd, 2);
		setenv("NOTIFY_SOCKET", r->notify, 1);
		if (sb) {
			sandbox_mounts(sb);
			sandbox_creds(sb);
			sandbox_seccomp(sb);
		}
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	assert_true(r->pid > 0);
	H.agent = r->pid;
}

static bool run_reap(struct run *r, int flags)
{
	if (!r->reaped && waitpid(r->pid, &r->status, flags) == r->pid) {
		r->reaped = true;
		H.agent = 0;
	}
	return r->reaped;
}

static void show_err(void)
{
	char *e = read_text(H.err);

	print_message("agent's standard error:\n");
	show(e ? e : "(none)");
	free(e);
}

/*
 * Wait for READY=1. At the moment it arrives the agent must already have
 * said "ready:" and written its Start record: systemd starts the units
 * ordered after this one then, and their opens must be audited.
 */
static void run_wait_ready(struct run *r)
{
	double until = now_s() + 30;

	while (now_s() < until) {
		const char *msg = notify_next(r, 100);

		if (msg && said_line(msg, "READY=1")) {
			assert_true(h_file_contains(H.err, "ready:"));
			assert_non_null(h_wait(&H, h_is_activity, "Start", 0));
			return;
		}
		if (run_reap(r, WNOHANG)) {
			show_err();
			if (WIFSIGNALED(r->status))
				fail_msg("the agent was killed by signal %d before READY=1%s",
					 WTERMSIG(r->status),
					 WTERMSIG(r->status) == SIGSYS
						 ? " (SIGSYS: a system call the unit's "
						   "SystemCallFilter does not allow)"
						 : "");
			fail_msg("the agent exited %d before READY=1", WEXITSTATUS(r->status));
		}
	}
	show_err();
	fail_msg("no READY=1 in 30 s");
}

/* SIGTERM, reap, and the exit status (128+signal if killed). */
static int run_stop(struct run *r)
{
	kill(r->pid, SIGTERM);
	run_reap(r, 0);
	return WIFEXITED(r->status) ? WEXITSTATUS(r->status) : 128 + WTERMSIG(r->status);
}

static void run_end(struct run *r)
{
	if (r->pid > 0 && !run_reap(r, WNOHANG)) {
		kill(r->pid, SIGKILL);
		run_reap(r, 0);
	}
	if (r->nfd >= 0)
		close(r->nfd);
	r->nfd = live_nfd = -1;
}

/* The agent's argv, as the harness builds it (its live JSONL, no log store,
 * no runtime directory) plus @extra. */
static void run_argv(const char **argv, const char *const *extra)
{
	size_t n = 0;

	argv[n++] = h_agent_path();
	argv[n++] = "--watch";
	argv[n++] = H.watch;
	argv[n++] = "--jsonl";
	argv[n++] = H.out;
	argv[n++] = "--log-dir";
	argv[n++] = "none";
	argv[n++] = "--run-dir";
	argv[n++] = "none";
	for (; extra && *extra && n < 30; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
}

/* An open and a read of a watched file by another user's process. */
static int open_as_nobody(void *arg)
{
	const char *path = arg;
	char buf[64];
	int fd;

	if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
		return 1;
	fd = open(path, O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof(buf)) < 0)
		return 1;
	close(fd);
	return 0;
}

static void assert_open_is_audited(const char *name)
{
	char path[PATH_MAX];

	h_path(path, H.watch, name);
	h_write_file(path, "patient chart\n", 0644);
	h_child(open_as_nobody, path);
	if (!h_wait(&H, h_is_open_of, path, 5000)) {
		show_err();
		fail_msg("no Open record for %s", path);
	}
}

static int each_setup(void **state)
{
	(void)state;
	h_init(&H);
	return 0;
}

static struct sandbox sb; /* the unit's sandbox: freed whatever fails */

static int each_teardown(void **state)
{
	(void)state;
	names_free(&sb.syscalls);
	if (live_nfd >= 0)
		close(live_nfd);
	live_nfd = -1;
	h_cleanup(&H);
	return 0;
}

/* ---- notify: the protocol Type=notify relies on ------------------------- */

static void test_ready_comes_only_once_the_agent_audits(void **state)
{
	struct run r;
	const char *argv[32];

	notify_open(&r, false);
	run_argv(argv, NULL);
	run_start(&r, argv, NULL);
	run_wait_ready(&r);
	assert_open_is_audited("after-ready.txt");
	assert_int_equal(run_stop(&r), 0);
	run_end(&r);
}

static void test_ready_carries_a_status_text(void **state)
{
	struct run r;
	const char *argv[32];
	const char *status;

	notify_open(&r, false);
	run_argv(argv, NULL);
	run_start(&r, argv, NULL);
	run_wait_ready(&r);
	status = strstr(r.said, "STATUS=");
	assert_non_null(status);
	assert_true(status[7] != '\n' && status[7] != '\0');
	assert_int_equal(run_stop(&r), 0);
	run_end(&r);
}

/* ExecReload= sends SIGHUP: the agent must neither stop nor stop auditing. */
static void test_sighup_keeps_the_agent_auditing(void **state)
{
	struct run r;
	const char *argv[32];

	notify_open(&r, false);
	run_argv(argv, NULL);
	run_start(&r, argv, NULL);
	run_wait_ready(&r);
	assert_open_is_audited("before-reload.txt");
	kill(r.pid, SIGHUP);
	h_sleep_ms(1000);
	assert_false(run_reap(&r, WNOHANG));
	assert_open_is_audited("after-reload.txt");
	kill(r.pid, SIGHUP);
	h_sleep_ms(300);
	assert_false(run_reap(&r, WNOHANG));
	assert_int_equal(run_stop(&r), 0);
	run_end(&r);
}

/* systemctl stop: SIGTERM, STOPPING=1, the Stop record, exit 0 (anything
 * else is a failed unit, and Restart=on-failure would start it again). */
static void test_sigterm_sends_stopping_and_exits_zero_after_a_stop_record(void **state)
{
	struct run r;
	const char *argv[32];
	bool stopping = false;

	notify_open(&r, false);
	run_argv(argv, NULL);
	run_start(&r, argv, NULL);
	run_wait_ready(&r);
	assert_int_equal(run_stop(&r), 0);
	while (notify_next(&r, 1000))
		;
	stopping = said_line(r.said, "STOPPING=1");
	assert_true(stopping);
	assert_true(strstr(r.said, "STOPPING=1") > strstr(r.said, "READY=1"));
	assert_non_null(h_wait(&H, h_is_activity, "Stop", 2000));
	run_end(&r);
}

/* A start that fails (here a missing watched directory) must never say
 * READY=1: systemd then reports the unit failed instead of running. */
static void test_failed_start_never_sends_ready(void **state)
{
	struct run r;
	const char *extra[] = { "--watch", "/nonexistent/phiaudit-deploy-test", NULL };
	const char *argv[32];

	notify_open(&r, false);
	run_argv(argv, extra);
	run_start(&r, argv, NULL);
	run_reap(&r, 0);
	assert_true(WIFEXITED(r.status));
	assert_int_equal(WEXITSTATUS(r.status), 1);
	while (notify_next(&r, 200))
		;
	assert_false(said_line(r.said, "READY=1"));
	run_end(&r);
}

static void test_abstract_notify_socket_gets_ready(void **state)
{
	struct run r;
	const char *argv[32];

	notify_open(&r, true);
	run_argv(argv, NULL);
	run_start(&r, argv, NULL);
	run_wait_ready(&r);
	assert_int_equal(run_stop(&r), 0);
	run_end(&r);
}

/* ---- unit -------------------------------------------------------------- */

/* `make install` into a temporary root, once: what the unit tests check and
 * run, and the install target tested on the way. */
static void need_install(void)
{
	if (!inst_done) {
		double t0 = now_s();

		inst_done = true;
		pathf(inst, "/tmp/pa-deploy-inst-%d", getpid());
		inst_ok = sh("make -s -C '%s' BUILD='%s' DESTDIR='%s' PREFIX=/usr install", src,
			     PA_BUILD_DIR, inst) == 0;
		if (!inst_ok) {
			show(out);
			print_message("make install failed\n");
		}
		else
			print_message("make install: %.0f s\n", now_s() - t0);
	}
	assert_true(inst_ok);
}

static char *installed_unit(void)
{
	char path[PATH_MAX];
	char *u;

	need_install();
	pathf(path, "%s/usr/lib/systemd/system/phiauditd.service", inst);
	u = read_text(path);
	assert_non_null(u);
	return u;
}

static void test_make_install_puts_every_file_in_place(void **state)
{
	static const char *const files[] = {
		"/usr/sbin/phiauditd", "/usr/bin/phiaudit", "/usr/share/man/man8/phiauditd.8",
		"/usr/share/man/man1/phiaudit.1", "/usr/lib/systemd/system/phiauditd.service",
		"/etc/phiaudit/phiaudit.conf", "/etc/default/phiauditd", "/etc/phiaudit/conf.d",
	};
	char path[PATH_MAX];
	struct stat st;

	need_install();
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		pathf(path, "%s%s", inst, files[i]);
		if (stat(path, &st))
			fail_msg("make install did not install %s", files[i]);
		/* The agent refuses a config anyone but root may write. */
		assert_int_equal(st.st_mode & 022, 0);
	}
	pathf(path, "%s/usr/sbin/phiauditd", inst);
	assert_int_equal(sh("'%s' --version", path), 0);
	pathf(path, "%s/etc/phiaudit/phiaudit.conf", inst);
	assert_int_equal(sh("'%s/usr/sbin/phiauditd' --config '%s' --check-config", inst, path), 0);
}

/* verify exits 0 on warnings too: any output is a failure. The unit names
 * /usr/sbin/phiauditd, which verify wants to exist: a copy points at the
 * installed one (nothing else changes), and MANPATH finds its manuals. */
static void test_unit_passes_systemd_analyze_verify(void **state)
{
	char dir[PATH_MAX], copy[PATH_MAX], bin[PATH_MAX];
	char *u, *p;
	FILE *f;
	int rc;

	NEED("systemd-analyze", "systemd");
	u = installed_unit();
	pathf(dir, "%s/verify", inst);
	mkdir(dir, 0755);
	pathf(copy, "%s/phiauditd.service", dir);
	pathf(bin, "%s/usr/sbin/phiauditd", inst);
	f = fopen(copy, "w");
	assert_non_null(f);
	p = strstr(u, "ExecStart=/usr/sbin/phiauditd");
	assert_non_null(p);
	fprintf(f, "%.*sExecStart=%s%s", (int)(p - u), u, bin,
		p + strlen("ExecStart=/usr/sbin/phiauditd"));
	fclose(f);
	free(u);
	rc = sh("MANPATH='%s/usr/share/man' systemd-analyze verify '%s'", inst, copy);
	if (rc != 0 || out[0]) {
		show(out);
		fail_msg("systemd-analyze verify (exit %d) said the above", rc);
	}
}

/* The score written in the unit's comment is a ceiling: a change that
 * loosens the sandbox fails here until the comment says so. */
static void test_unit_exposure_is_at_most_its_documented_score(void **state)
{
	double documented = -1, measured = -1;
	char *u, *p;

	NEED("systemd-analyze", "systemd");
	u = read_text(UNIT_SRC);
	assert_non_null(u);
	p = strstr(u, "Overall exposure level: ");
	assert_non_null(p);
	documented = strtod(p + strlen("Overall exposure level: "), NULL);
	free(u);
	sh("systemd-analyze security --offline=true --no-pager %s", UNIT_SRC);
	p = strstr(out, "Overall exposure level for phiauditd.service: ");
	if (!p) {
		show(out);
		fail_msg("no exposure level in the above");
	}
	measured = strtod(p + strlen("Overall exposure level for phiauditd.service: "), NULL);
	print_message("exposure: %.1f (documented ceiling %.1f)\n", measured, documented);
	if (measured > documented + 1e-9) {
		show(out);
		fail_msg("exposure %.1f is above the %.1f the unit documents", measured,
			 documented);
	}
}

/* What an auditor needs from its unit, which systemd-analyze cannot know. */
static void test_unit_keeps_what_an_auditor_needs(void **state)
{
	char v[4096];
	char *u = read_text(UNIT_SRC);

	assert_non_null(u);
	assert_true(unit_has(u, "Type", "notify"));
	unit_values(u, "ExecReload", v, sizeof(v));
	assert_non_null(strstr(v, "kill -HUP $MAINPID"));
	assert_true(unit_has(u, "Restart", "on-failure"));
	assert_true(unit_has(u, "ProtectSystem", "strict"));
	assert_true(unit_has(u, "LogsDirectory", "phiaudit"));
	assert_true(unit_has(u, "StateDirectory", "phiaudit"));
	assert_true(unit_has(u, "RuntimeDirectory", "phiaudit"));
	/* /proc in full: the process behind each access. */
	unit_values(u, "ProtectProc", v, sizeof(v));
	assert_string_equal(v, "");
	unit_values(u, "ProcSubset", v, sizeof(v));
	assert_string_equal(v, "");
	/* Patient data under /home must stay visible. */
	unit_values(u, "ProtectHome", v, sizeof(v));
	assert_true(!strcmp(v, "") || !strcmp(v, "read-only\n") || !strcmp(v, "no\n"));
	unit_values(u, "SystemCallFilter", v, sizeof(v));
	assert_non_null(strstr(v, "bpf"));
	assert_non_null(strstr(v, "perf_event_open"));
	free(u);
}

static gid_t stand_in_group(void)
{
	struct group *g = getgrnam("phiaudit");

	return g ? g->gr_gid : 65534;
}

/* Make a log directory as an operator would (--init-key) and as systemd
 * leaves it for Group= (LogsDirectory= chowns it to root:GROUP). */
static void make_log_dir(const char *agent, const char *log, gid_t gid)
{
	DIR *d;
	struct dirent *e;

	assert_int_equal(sh("'%s' --init-key --log-dir '%s' > /dev/null", agent, log), 0);
	assert_int_equal(chown(log, 0, gid), 0);
	d = opendir(log);
	assert_non_null(d);
	while ((e = readdir(d))) {
		char p[PATH_MAX];

		if (e->d_name[0] == '.' && (!e->d_name[1] || e->d_name[1] == '.'))
			continue;
		h_path(p, log, e->d_name);
		assert_int_equal(chown(p, 0, gid), 0);
	}
	closedir(d);
}

static void assert_log_files_have_group(const char *log, gid_t gid)
{
	DIR *d = opendir(log);
	struct dirent *e;
	int files = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char p[PATH_MAX];
		struct stat st;

		if (strncmp(e->d_name, "phiaudit-", 9))
			continue;
		h_path(p, log, e->d_name);
		assert_int_equal(stat(p, &st), 0);
		assert_int_equal(st.st_gid, gid);
		assert_int_equal(st.st_mode & 07777, 0640);
		files++;
	}
	closedir(d);
	assert_true(files > 0);
}

/*
 * The installed agent under the unit's sandbox: it starts, says READY=1,
 * audits another user's open, survives SIGHUP, and on SIGTERM writes its
 * Stop record, seals its log (files of the unit's group, 0640) and exits 0.
 * A system call outside the filter kills it with SIGSYS; a capability it
 * lacks shows as a permission error on its standard error.
 */
/* The unit's sandbox (into sb) and what systemd would have made for the
 * agent: its log directory with a chain, its runtime directory, its argv. */
static void sandbox_prepare(const char *hook, const char **argv, char *log)
{
	static char agent[PATH_MAX], run_dir[PATH_MAX];
	size_t n = 0;
	char *u = installed_unit();

	assert_int_equal(sandbox_from_unit(&sb, u, stand_in_group(), H.root), 0);
	free(u);
	pathf(agent, "%s/usr/sbin/phiauditd", inst);
	h_path(log, H.root, "log");
	h_path(run_dir, H.root, "run");
	make_log_dir(agent, log, sb.gid);
	h_mkdirs(run_dir);
	assert_int_equal(chown(run_dir, 0, sb.gid), 0);
	argv[n++] = agent;
	argv[n++] = "--watch";
	argv[n++] = H.watch;
	argv[n++] = "--log-dir";
	argv[n++] = log;
	argv[n++] = "--run-dir";
	argv[n++] = run_dir;
	argv[n++] = "--jsonl";
	argv[n++] = H.out;
	if (hook) {
		argv[n++] = "--hook";
		argv[n++] = hook;
	}
	argv[n] = NULL;
}

static void assert_agent_runs_in_the_units_sandbox(const char *hook)
{
	static char log[PATH_MAX];
	const char *argv[32];
	struct run r;
	int rc;

	NEED("systemd-analyze", "systemd");
	sandbox_prepare(hook, argv, log);
	notify_open(&r, false);
	run_start(&r, argv, &sb);
	run_wait_ready(&r);
	assert_open_is_audited("nobody-reads.txt");
	kill(r.pid, SIGHUP);
	h_sleep_ms(1000);
	assert_false(run_reap(&r, WNOHANG));
	assert_open_is_audited("after-reload-nobody.txt");
	rc = run_stop(&r);
	if (rc != 0) {
		show_err();
		fail_msg("exit %d%s", rc,
			 rc == 128 + SIGSYS ? ": killed by SIGSYS, a system call the unit's "
					      "SystemCallFilter does not allow" : "");
	}
	assert_non_null(h_wait(&H, h_is_activity, "Stop", 2000));
	if (h_file_contains(H.err, "not permitted") || h_file_contains(H.err, "ermission denied")) {
		show_err();
		fail_msg("a permission the unit does not grant");
	}
	assert_log_files_have_group(log, sb.gid);
	run_end(&r);
}

static void test_agent_runs_in_the_units_sandbox(void **state)
{
	assert_agent_runs_in_the_units_sandbox(NULL);
}

/* --hook tracepoint attaches through perf_event_open(2). */
static void test_agent_runs_in_the_units_sandbox_with_the_tracepoint_hook(void **state)
{
	assert_agent_runs_in_the_units_sandbox("tracepoint");
}

/* ---- packages ---------------------------------------------------------- */

static char deb[PATH_MAX];
static bool deb_done, deb_ok;

static void need_deb(void)
{
	if (!deb_done) {
		double t0 = now_s();

		deb_done = true;
		deb_ok = sh("make -s -C '%s' BUILD='%s' deb", src, PA_BUILD_DIR) == 0;
		if (!deb_ok) {
			show(strlen(out) > 8000 ? out + strlen(out) - 8000 : out);
			print_message("make deb failed\n");
		} else {
			sh("ls %s/phiaudit_*_amd64.deb | tail -n 1", PA_BUILD_DIR);
			out[strcspn(out, "\n")] = '\0';
			pathf(deb, "%s", out);
			print_message("make deb: %s in %.0f s\n", deb, now_s() - t0);
		}
	}
	assert_true(deb_ok);
}

static void test_deb_builds_with_dpkg_buildpackage(void **state)
{
	NEED("dpkg-buildpackage", "dpkg-dev");
	NEED("dh", "debhelper");
	need_deb();
}

static void test_deb_holds_binaries_manuals_unit_and_conffiles(void **state)
{
	static const char *const files[] = {
		"./usr/sbin/phiauditd", "./usr/bin/phiaudit", "./usr/share/man/man8/phiauditd.8.gz",
		"./usr/share/man/man1/phiaudit.1.gz", "/systemd/system/phiauditd.service",
		"./etc/phiaudit/phiaudit.conf", "./etc/default/phiauditd",
		"./usr/share/doc/phiaudit/copyright",
	};

	NEED("dpkg-buildpackage", "dpkg-dev");
	NEED("dh", "debhelper");
	need_deb();
	assert_int_equal(sh("dpkg-deb -c '%s'", deb), 0);
	show(out);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!strstr(out, files[i]))
			fail_msg("%s is not in the package", files[i]);
	assert_int_equal(sh("dpkg-deb -I '%s' conffiles", deb), 0);
	assert_non_null(strstr(out, "/etc/phiaudit/phiaudit.conf\n"));
	assert_non_null(strstr(out, "/etc/default/phiauditd\n"));
	assert_int_equal(sh("dpkg-deb -f '%s' Depends", deb), 0);
	assert_non_null(strstr(out, "libbpf"));
}

/* What dpkg -i and --purge may change, to put back as it was. */
static struct {
	bool touched;	  /* the test began changing the machine */
	bool installed;	  /* by this test, not purged yet */
	bool had_log_dir; /* /var/log/phiaudit existed before */
	struct stat log_st;
} M;

#define LOGD	 "/var/log/phiaudit"
#define SENTINEL LOGD "/phiaudit-deploy-test-sentinel"
#define WANTS	 "/etc/systemd/system/multi-user.target.wants/phiauditd.service"

static void machine_restore(void)
{
	if (!M.touched)
		return;
	M.touched = false;
	if (M.installed) {
		sh("dpkg --purge phiaudit");
		M.installed = false;
	}
	unlink(SENTINEL);
	if (!M.had_log_dir)
		rmdir(LOGD);
	else if (chown(LOGD, M.log_st.st_uid, M.log_st.st_gid) ||
		 chmod(LOGD, M.log_st.st_mode & 07777))
		print_message("could not restore %s's owner and mode\n", LOGD);
}

/* Installed: the programs run, the group is a system group, the unit is
 * enabled and verifies, the log directory is the group's. */
static void assert_deb_installed(void)
{
	struct stat st;
	struct group *g;
	char link[PATH_MAX];
	const char *unit = access("/lib/systemd/system/phiauditd.service", F_OK) == 0
				   ? "/lib/systemd/system/phiauditd.service"
				   : "/usr/lib/systemd/system/phiauditd.service";
	ssize_t n;

	assert_int_equal(sh("/usr/sbin/phiauditd --version"), 0);
	assert_int_equal(sh("/usr/bin/phiaudit --help"), 0);
	g = getgrnam("phiaudit");
	assert_non_null(g);
	assert_true(g->gr_gid < 1000); /* a system group */
	/* Enabled, as systemctl enable would (deb-systemd-helper). */
	n = readlink(WANTS, link, sizeof(link) - 1);
	assert_true(n > 0);
	link[n] = '\0';
	assert_string_equal(link, unit);
	assert_int_equal(stat(LOGD, &st), 0);
	if (!M.had_log_dir) {
		assert_int_equal(st.st_mode & 07777, 0750);
		assert_int_equal(st.st_uid, 0);
		assert_int_equal(st.st_gid, g->gr_gid);
	}
	/* The unit as installed, with its binary and manuals in place. */
	if (have("systemd-analyze") && (sh("systemd-analyze verify %s", unit) != 0 || out[0])) {
		show(out);
		fail_msg("systemd-analyze verify %s said the above", unit);
	}
}

static void assert_deb_purged(void)
{
	struct stat st;

	assert_int_not_equal(access("/usr/sbin/phiauditd", F_OK), 0);
	assert_int_not_equal(access("/etc/phiaudit", F_OK), 0);
	assert_int_not_equal(access("/etc/default/phiauditd", F_OK), 0);
	assert_int_not_equal(lstat(WANTS, &st), 0);
	assert_null(getgrnam("phiaudit"));
	/* Never the audit log. */
	assert_int_equal(access(SENTINEL, F_OK), 0);
}

static void test_deb_installs_enabled_and_purges_keeping_the_log(void **state)
{
	NEED("dpkg-buildpackage", "dpkg-dev");
	NEED("dh", "debhelper");
	need_deb();
	if (sh("dpkg-query -W -f='${Status}' phiaudit") == 0 && strstr(out, "ok installed")) {
		print_message("SKIP: phiaudit is installed on this machine: not touching it\n");
		skip();
	}
	if (getgrnam("phiaudit")) {
		print_message("SKIP: a phiaudit group exists: purging would remove it\n");
		skip();
	}
	M.had_log_dir = stat(LOGD, &M.log_st) == 0;
	M.touched = true;
	M.installed = true;
	if (sh("dpkg -i '%s'", deb) != 0) {
		show(out);
		fail_msg("dpkg -i failed");
	}
	show(out);
	assert_deb_installed();
	h_write_file(SENTINEL, "an audit log file\n", 0640);
	if (sh("dpkg --purge phiaudit") != 0) {
		show(out);
		fail_msg("dpkg --purge failed");
	}
	M.installed = false;
	assert_deb_purged();
	machine_restore();
}

static void test_rpm_spec_parses_and_builds(void **state)
{
	static const char *const files[] = {
		"/usr/sbin/phiauditd\n", "/usr/bin/phiaudit\n", "/usr/share/man/man8/phiauditd.8",
		"/usr/lib/systemd/system/phiauditd.service\n", "/var/log/phiaudit\n",
	};
	double t0 = now_s();
	char rpm[PATH_MAX];

	NEED("rpmspec", "rpm");
	NEED("rpmbuild", "rpm");
	if (sh("make -s -C '%s' BUILD='%s' rpm-spec-check", src, PA_BUILD_DIR) != 0) {
		show(strlen(out) > 8000 ? out + strlen(out) - 8000 : out);
		fail_msg("make rpm-spec-check failed");
	}
	sh("ls %s/rpm/RPMS/*/phiaudit-*.rpm | tail -n 1", PA_BUILD_DIR);
	out[strcspn(out, "\n")] = '\0';
	pathf(rpm, "%s", out);
	print_message("make rpm-spec-check: %s in %.0f s\n", rpm, now_s() - t0);
	assert_int_equal(sh("rpm -qlp '%s'", rpm), 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (!strstr(out, files[i])) {
			show(out);
			fail_msg("%s is not in the RPM", files[i]);
		}
	assert_int_equal(sh("rpm -qcp '%s'", rpm), 0);
	assert_non_null(strstr(out, "/etc/phiaudit/phiaudit.conf\n"));
	assert_non_null(strstr(out, "/etc/sysconfig/phiauditd\n"));
	assert_int_equal(sh("rpm -qp --scripts '%s'", rpm), 0);
	assert_non_null(strstr(out, "groupadd -r phiaudit"));
}

static void test_daemonset_manifest_lints(void **state)
{
	static const char *const need[] = {
		"hostPID: true", "/sys/fs/bpf", "/sys/kernel/btf", "/var/log/phiaudit",
		"/host/proc", "kind: ConfigMap", "tolerations:", "\"BPF\"", "\"PERFMON\"",
	};
	const char *yaml = "deploy/kubernetes/phiaudit-daemonset.yaml";
	char *text;

	NEED("yamllint", "yamllint");
	if (sh("yamllint -s -d '{extends: default, rules: {line-length: {max: 100}}}' %s",
	       yaml) != 0) {
		show(out);
		fail_msg("yamllint found the above");
	}
	text = read_text(yaml);
	assert_non_null(text);
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (!strstr(text, need[i]))
			fail_msg("%s does not mention %s", yaml, need[i]);
	free(text);
}

static int group_teardown(void **state)
{
	char *argv[] = { "rm", "-rf", inst, NULL };
	pid_t pid;

	(void)state;
	machine_restore();
	if (inst[0]) {
		pid = h_fork();
		if (pid == 0) {
			execv("/bin/rm", argv);
			_exit(127);
		}
		waitpid(pid, NULL, 0);
	}
	return 0;
}

int main(void)
{
	/* make runs this from the source tree; the packaging targets run make
	 * again, and must not inherit the outer make's flags and level. */
	if (!getcwd(src, sizeof(src)) || access(UNIT_SRC, R_OK)) {
		fprintf(stderr, "integ_deploy: run from the source tree (no %s here)\n", UNIT_SRC);
		return 1;
	}
	unsetenv("MAKEFLAGS");
	unsetenv("MFLAGS");
	unsetenv("MAKELEVEL");
	/* PA_TEST_FILTER=test_deb* runs only those (cmocka's pattern). */
	if (getenv("PA_TEST_FILTER"))
		cmocka_set_test_filter(getenv("PA_TEST_FILTER"));
#define T(f) cmocka_unit_test_setup_teardown(f, each_setup, each_teardown)
	const struct CMUnitTest tests[] = {
		T(test_ready_comes_only_once_the_agent_audits),
		T(test_ready_carries_a_status_text),
		T(test_sighup_keeps_the_agent_auditing),
		T(test_sigterm_sends_stopping_and_exits_zero_after_a_stop_record),
		T(test_failed_start_never_sends_ready),
		T(test_abstract_notify_socket_gets_ready),
		T(test_make_install_puts_every_file_in_place),
		T(test_unit_passes_systemd_analyze_verify),
		T(test_unit_exposure_is_at_most_its_documented_score),
		T(test_unit_keeps_what_an_auditor_needs),
		T(test_agent_runs_in_the_units_sandbox),
		T(test_agent_runs_in_the_units_sandbox_with_the_tracepoint_hook),
		T(test_deb_builds_with_dpkg_buildpackage),
		T(test_deb_holds_binaries_manuals_unit_and_conffiles),
		T(test_deb_installs_enabled_and_purges_keeping_the_log),
		T(test_rpm_spec_parses_and_builds),
		T(test_daemonset_manifest_lints),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
