// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "procs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NS_PER_S 1000000000ULL

void pa_procs_init(struct pa_procs *t, const char *proc_root)
{
	memset(t, 0, sizeof(*t));
	t->proc_root = proc_root ? proc_root : "/proc";
}

static size_t bucket_of(uint32_t tgid)
{
	return (size_t)(tgid * 2654435761u) % PA_PROCS_MAX;
}

static void lru_unlink(struct pa_procs *t, struct pa_proc_info *p)
{
	if (p->lru_prev)
		p->lru_prev->lru_next = p->lru_next;
	else
		t->lru_head = p->lru_next;
	if (p->lru_next)
		p->lru_next->lru_prev = p->lru_prev;
	else
		t->lru_tail = p->lru_prev;
	p->lru_prev = p->lru_next = NULL;
}

static void lru_push(struct pa_procs *t, struct pa_proc_info *p)
{
	p->lru_prev = NULL;
	p->lru_next = t->lru_head;
	if (t->lru_head)
		t->lru_head->lru_prev = p;
	t->lru_head = p;
	if (!t->lru_tail)
		t->lru_tail = p;
}

static void info_free(struct pa_proc_info *p)
{
	free(p->exe);
	free(p->args);
	free(p);
}

static void unlink_entry(struct pa_procs *t, struct pa_proc_info *p)
{
	struct pa_proc_info **pp = &t->buckets[bucket_of(p->tgid)];

	while (*pp && *pp != p)
		pp = &(*pp)->next;
	if (*pp)
		*pp = p->next;
	lru_unlink(t, p);
	t->n--;
}

static struct pa_proc_info *find(struct pa_procs *t, uint32_t tgid)
{
	struct pa_proc_info *p = t->buckets[bucket_of(tgid)];

	while (p && p->tgid != tgid)
		p = p->next;
	return p;
}

/* The entry for (tgid, start): found, or made (replacing a dead pid's). */
static struct pa_proc_info *entry(struct pa_procs *t, uint32_t tgid, uint64_t start_ns)
{
	struct pa_proc_info *p = find(t, tgid);

	if (p && p->start_ns == start_ns) {
		lru_unlink(t, p);
		lru_push(t, p);
		return p;
	}
	if (p) { /* the pid was reused: the old process is gone */
		unlink_entry(t, p);
		info_free(p);
	}
	if (t->n >= PA_PROCS_MAX && t->lru_tail) {
		struct pa_proc_info *old = t->lru_tail;

		unlink_entry(t, old);
		info_free(old);
		t->evicted++;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->tgid = tgid;
	p->start_ns = start_ns;
	p->next = t->buckets[bucket_of(tgid)];
	t->buckets[bucket_of(tgid)] = p;
	lru_push(t, p);
	t->n++;
	return p;
}

static char *dup_bytes(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* /proc/PID/stat's start time (clock ticks since boot) matches @start_ns:
 * the pid still names the same process. */
static bool same_process(struct pa_procs *t, uint32_t tgid, uint64_t start_ns, const char *comm)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks;
	long hz = sysconf(_SC_CLK_TCK);
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "%s/%u/stat", t->proc_root, tgid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0 || hz <= 0)
		return false;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: fields start after the last ')' */
	p = strrchr(buf, ')');
	if (!p)
		return false;
	/* An exec keeps the pid and the start time but renames the task: a
	 * different comm means /proc now shows another program. */
	if (comm) {
		const char *open = strchr(buf, '(');

		if (!open || open > p || (size_t)(p - open - 1) != strnlen(comm, PA_COMM_LEN - 1) ||
		    memcmp(open + 1, comm, (size_t)(p - open - 1)))
			return false;
	}
	for (field = 2; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	if (field != 22 || sscanf(p, "%llu", &ticks) != 1)
		return false;
	/* one tick either way: the kernel rounds nanoseconds down to ticks */
	{
		uint64_t tick_ns = NS_PER_S / (uint64_t)hz, at = ticks * tick_ns;

		return start_ns + tick_ns >= at && start_ns < at + 2 * tick_ns;
	}
}

static ssize_t read_small(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -1;
	while (got < cap) {
		ssize_t n = read(fd, buf + got, cap - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}

/* exe and command line from /proc, if the pid is still that process. */
static void fill_from_proc(struct pa_procs *t, struct pa_proc_info *p, const char *comm)
{
	char path[64], buf[PA_PROC_ARGS_MAX + 1];
	ssize_t n;

	t->proc_reads++;
	p->proc_tried = true;
	if (!same_process(t, p->tgid, p->start_ns, comm)) {
		t->proc_misses++;
		return;
	}
	snprintf(path, sizeof(path), "%s/%u/exe", t->proc_root, p->tgid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n > 0 && !p->exe) {
		p->exe = dup_bytes(buf, (size_t)n);
		p->exe_len = p->exe ? (size_t)n : 0;
	}
	snprintf(path, sizeof(path), "%s/%u/cmdline", t->proc_root, p->tgid);
	n = read_small(path, buf, sizeof(buf));
	if (n > 0 && !p->args) {
		p->args_truncated = n == (ssize_t)sizeof(buf);
		if (p->args_truncated)
			n--;
		p->args = dup_bytes(buf, (size_t)n);
		p->args_len = p->args ? (size_t)n : 0;
	}
	/* it could have exec'd again since: check it is still the same one */
	if (!same_process(t, p->tgid, p->start_ns, comm)) {
		free(p->exe);
		free(p->args);
		p->exe = p->args = NULL;
		p->exe_len = p->args_len = 0;
		t->proc_misses++;
		return;
	}
	if (p->exe || p->args)
		p->source = "proc";
}

/* execve("./x") names the program relative to a directory the record
 * cannot show: where the process still runs, its exe link is absolute. */
static void absolute_exe(struct pa_procs *t, struct pa_proc_info *p)
{
	char path[64], buf[4096];
	ssize_t n;
	char *abs;

	snprintf(path, sizeof(path), "%s/%u/exe", t->proc_root, p->tgid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0 || !same_process(t, p->tgid, p->start_ns, NULL))
		return;
	abs = dup_bytes(buf, (size_t)n);
	if (!abs)
		return;
	free(p->exe);
	p->exe = abs;
	p->exe_len = (size_t)n;
	p->exe_truncated = false;
}

int pa_procs_put_event(struct pa_procs *t, const struct pa_proc_event *ev)
{
	struct pa_proc_info *p = entry(t, ev->tgid, ev->start_ns);

	if (!p)
		return -ENOMEM;
	if (!(ev->flags & PA_PROC_ANCESTOR_ONLY)) {
		p->n_ancestors = ev->n_ancestors;
		memcpy(p->ancestors, ev->ancestors, sizeof(p->ancestors));
		for (int i = 0; i < PA_MAX_ANCESTORS; i++)
			p->ancestors[i].comm[PA_COMM_LEN - 1] = '\0';
		p->have_ancestors = true;
		memcpy(p->tty, ev->tty, sizeof(p->tty));
		p->tty[sizeof(p->tty) - 1] = '\0';
	}
	if (ev->flags & PA_PROC_EXEC_SEEN) {
		/* a new program replaces what was known of the old one */
		free(p->exe);
		free(p->args);
		p->exe = dup_bytes(ev->exe, ev->exe_len);
		p->exe_len = p->exe ? ev->exe_len : 0;
		p->args = ev->args_len ? dup_bytes(ev->args, ev->args_len) : NULL;
		p->args_len = p->args ? ev->args_len : 0;
		p->args_truncated = ev->flags & PA_PROC_ARGS_TRUNCATED;
		p->exe_truncated = ev->flags & PA_PROC_EXE_TRUNCATED;
		p->source = "exec";
		if (p->exe && (p->exe[0] != '/' || p->exe_truncated))
			absolute_exe(t, p);
		return 0;
	}
	if (ev->flags & PA_PROC_ARGS_FROM_MM) {
		/* no exec seen: the kernel read its arguments from its memory */
		free(p->args);
		p->args = dup_bytes(ev->args, ev->args_len);
		p->args_len = p->args ? ev->args_len : 0;
		p->args_truncated = ev->flags & PA_PROC_ARGS_TRUNCATED;
		if (!p->exe) /* else /proc named it already (as an ancestor) */
			p->source = "memory";
	}
	/* the rest from /proc, at the first lookup that knows its comm */
	return 0;
}

const struct pa_proc_info *pa_procs_get(struct pa_procs *t, uint32_t tgid, uint64_t start_ns,
					const char *comm)
{
	struct pa_proc_info *p = find(t, tgid);

	if (p && p->start_ns == start_ns) {
		lru_unlink(t, p);
		lru_push(t, p);
		if (comm && !p->exe && !p->proc_tried)
			fill_from_proc(t, p, comm);
		return p;
	}
	if (!comm)
		return NULL;
	p = entry(t, tgid, start_ns);
	if (p)
		fill_from_proc(t, p, comm);
	return p;
}

void pa_procs_forget(struct pa_procs *t, uint32_t tgid, uint64_t start_ns)
{
	struct pa_proc_info *p = find(t, tgid);

	if (p && (!start_ns || p->start_ns == start_ns)) {
		unlink_entry(t, p);
		info_free(p);
	}
}

void pa_procs_free(struct pa_procs *t)
{
	while (t->lru_head) {
		struct pa_proc_info *p = t->lru_head;

		unlink_entry(t, p);
		info_free(p);
	}
}
