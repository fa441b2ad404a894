// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Live JSON lines: records are queued in memory and written when the agent
 * flushes (after each ring-buffer drain, at least every 100 ms) or when
 * the queue passes 256 KiB. A failed write is counted and the records in
 * it are reported lost, never silently dropped.
 */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JSONL_QUEUE_MAX (256 << 10)

struct jsonl_sink {
	struct pa_sink base;
	int fd;
	int owns_fd;
	char *q;
	size_t qlen, qcap;
	uint64_t qrecords;
};

/*
 * After a failed write, a record may be half on disk. A regular file is cut
 * back to its last whole record; a pipe or terminal gets the line ended, so
 * the next record starts on a line of its own either way.
 */
static void drop_partial(struct jsonl_sink *j, size_t partial)
{
	struct stat st;
	off_t end;

	if (fstat(j->fd, &st) == 0 && S_ISREG(st.st_mode)) {
		end = lseek(j->fd, 0, SEEK_END);
		if (end >= (off_t)partial && ftruncate(j->fd, end - (off_t)partial) == 0)
			return;
	}
	if (write(j->fd, "\n", 1) < 0) {
		/* nothing more to do: the records are already counted lost */
	}
}

static int jsonl_flush(struct pa_sink *s)
{
	struct jsonl_sink *j = (struct jsonl_sink *)s;
	size_t off = 0, whole;
	uint64_t delivered = 0;
	int err = 0;

	while (off < j->qlen) {
		ssize_t n = write(j->fd, j->q + off, j->qlen - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			break;
		}
		off += (size_t)n;
	}
	/* Only records written whole count as delivered. */
	whole = off;
	while (whole > 0 && j->q[whole - 1] != '\n')
		whole--;
	for (size_t i = 0; i < whole; i++)
		delivered += j->q[i] == '\n';
	s->records += delivered;
	s->bytes += whole;
	if (err) {
		if (off > whole)
			drop_partial(j, off - whole);
		s->write_errors += j->qrecords - delivered;
		s->last_error = err;
	}
	j->qlen = 0;
	j->qrecords = 0;
	return -err;
}

static int jsonl_write(struct pa_sink *s, const char *buf, size_t len, uint64_t seq, int severity)
{
	struct jsonl_sink *j = (struct jsonl_sink *)s;

	if (j->qlen + len > j->qcap) {
		size_t cap = j->qcap ? j->qcap : 65536;
		char *nq;

		while (cap < j->qlen + len)
			cap *= 2;
		nq = realloc(j->q, cap);
		if (!nq) {
			s->write_errors++;
			s->last_error = ENOMEM;
			return -ENOMEM;
		}
		j->q = nq;
		j->qcap = cap;
	}
	memcpy(j->q + j->qlen, buf, len);
	j->qlen += len;
	for (size_t i = 0; i < len; i++)
		j->qrecords += buf[i] == '\n';
	if (j->qlen >= JSONL_QUEUE_MAX)
		return jsonl_flush(s);
	return 0;
}

static void jsonl_close(struct pa_sink *s)
{
	struct jsonl_sink *j = (struct jsonl_sink *)s;

	jsonl_flush(s);
	if (j->owns_fd) {
		fsync(j->fd);
		close(j->fd);
	}
	free(j->q);
	free(j);
}

static const struct pa_sink_ops jsonl_ops = {
	.write = jsonl_write,
	.flush = jsonl_flush,
	.close = jsonl_close,
};

struct pa_sink *pa_sink_jsonl_open(const char *path, char *err, size_t errlen)
{
	struct jsonl_sink *j = calloc(1, sizeof(*j));
	struct stat st;

	if (!j) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	j->base.ops = &jsonl_ops;
	j->base.name = path;
	if (!strcmp(path, "-")) {
		j->fd = STDOUT_FILENO;
		return &j->base;
	}
	/* The records are PHI (paths name patients): 0640, never through a
	 * symlink someone planted, never world-readable. */
	j->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (j->fd < 0 || fstat(j->fd, &st) < 0) {
		if (errno == ELOOP)
			snprintf(err, errlen, "%s: is a symbolic link; records (PHI) are never "
				 "written through one", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if ((st.st_mode & 0027) && fchmod(j->fd, st.st_mode & 0750 & ~0027) < 0) {
		snprintf(err, errlen, "%s: is group-writable or world-accessible and cannot be "
			 "restricted: %s", path, strerror(errno));
		goto fail;
	}
	j->owns_fd = 1;
	return &j->base;
fail:
	if (j->fd >= 0)
		close(j->fd);
	free(j);
	return NULL;
}
