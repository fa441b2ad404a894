// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "qinput.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gzmember.h"
#include "store.h"

#define NS_PER_MS 1000000ULL
#define NAME_MARGIN_MS 60000 /* records.md, "Picking files by time" */
#define PLAIN_CHUNK (1 << 20)
/* A member is held until its CRC is checked, so a corrupt one gives no
 * records; one bigger than this (not the agent's: its members are at most
 * 8 MiB, but a gzip'd collector file can be one member) is read as it
 * comes. */
#define MEMBER_HOLD_MAX (32u << 20)
#define PROGRESS_AFTER_NS 1000000000ULL
#define PROGRESS_EVERY_NS 250000000ULL

/* One file to read. */
struct qfile {
	char *path;	/* malloc'd */
	bool gz, std_in, skip;
	bool first;	/* the first file of its source */
	uint64_t size;
};

/* The scan's working state. */
struct scan {
	struct pa_qinput *in;
	struct qfile *f;
	size_t n, cap;
	uint64_t bytes_total, bytes_done;
	uint64_t t0, last_shown;
	bool shown;
	char *buf;	/* one member's decompressed bytes, or a plain chunk */
	size_t blen, bcap;
	size_t cur;	     /* the file being read */
	struct pa_qline gzl; /* where the member being read is */
	bool streaming;	     /* it outgrew MEMBER_HOLD_MAX: lines go as they come */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void say(struct pa_qinput *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct pa_qinput *in, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(in->err, "%s: ", in->prog);
	vfprintf(in->err, fmt, ap);
	fputc('\n', in->err);
	va_end(ap);
}

static void progress(struct scan *s, size_t i)
{
	uint64_t now;

	if (!s->in->progress)
		return;
	now = mono_ns();
	if (now - s->t0 < PROGRESS_AFTER_NS || now - s->last_shown < PROGRESS_EVERY_NS)
		return;
	s->last_shown = now;
	s->shown = true;
	fprintf(s->in->err, "\r%s: file %zu of %zu, %llu of %llu MiB", s->in->prog, i + 1, s->n,
		(unsigned long long)(s->bytes_done >> 20),
		(unsigned long long)(s->bytes_total >> 20));
	fflush(s->in->err);
}

static void progress_done(struct scan *s)
{
	if (s->shown)
		fprintf(s->in->err, "\r%*s\r", 72, "");
}

/* ---- the list of files ---- */

static int push(struct scan *s, const char *dir, const char *name, bool gz)
{
	struct qfile *f;
	size_t len = (dir ? strlen(dir) + 1 : 0) + strlen(name) + 1;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct qfile *nf = realloc(s->f, cap * sizeof(*nf));

		if (!nf)
			return -1;
		s->f = nf;
		s->cap = cap;
	}
	f = memset(&s->f[s->n], 0, sizeof(*f));
	f->path = malloc(len);
	if (!f->path)
		return -1;
	snprintf(f->path, len, "%s%s%s", dir ? dir : "", dir ? "/" : "", name);
	f->gz = gz;
	f->std_in = !dir && !strcmp(name, "-");
	s->n++;
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

bool pa_qinput_name_in_range(const struct pa_qinput *in, const char *name)
{
	const char *base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	uint64_t first, last;
	int kind = pa_store_parse_name(base, &first, &last);

	if (!kind)
		return true;
	if (in->has_since && kind == 2 && (int64_t)(last / NS_PER_MS) < in->since_ms)
		return false;
	return !in->has_until || (int64_t)(first / NS_PER_MS) < in->until_ms + NAME_MARGIN_MS;
}

/* The store's files in DIR, and a note of NAME.partial files beside them. */
static int list_log_dir(struct scan *s, const char *dir)
{
	char **names = NULL, **partials = NULL;
	size_t n = 0, np = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0) {
		say(s->in, "--log-dir %s: %s", dir, strerror(errno));
		return -1;
	}
	rc = pa_store_list(fd, &names, &n, &partials, &np);
	close(fd);
	if (rc) {
		say(s->in, "--log-dir %s: %s", dir, strerror(-rc));
		return -1;
	}
	for (size_t i = 0; i < np; i++)
		say(s->in, "note: %s/%s: bytes a crash left unfinished, outside the log: not read "
			   "(zcat shows what they hold)", dir, partials[i]);
	if (!n)
		say(s->in, "--log-dir %s: no log files (" PA_STORE_PREFIX "*" PA_STORE_SUFFIX
			   ") in it", dir);
	for (size_t i = 0; !rc && i < n; i++)
		rc = push(s, dir, names[i], true);
	pa_store_free_names(names, n);
	pa_store_free_names(partials, np);
	return rc || !n ? -1 : 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* An --input directory: its regular files, not hidden, in name order. */
static int list_input_dir(struct scan *s, const char *dir, DIR *d)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int rc = 0;

	while (!rc && (de = readdir(d))) {
		struct stat st;

		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, 0) ||
		    !S_ISREG(st.st_mode))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(*nn));

			if (!nn) {
				rc = -1;
				break;
			}
			names = nn;
		}
		names[n] = strdup(de->d_name);
		rc = names[n] ? 0 : -1;
		n += !rc;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_name);
	for (size_t i = 0; !rc && i < n; i++)
		rc = push(s, dir, names[i], ends_with(names[i], ".gz"));
	pa_store_free_names(names, n);
	return rc;
}

static int list_input(struct scan *s, const char *path)
{
	size_t before;
	DIR *d;
	int rc;

	if (!strcmp(path, "-"))
		return push(s, NULL, "-", false);
	d = opendir(path);
	if (!d) {
		if (errno == ENOTDIR)
			return push(s, NULL, path, ends_with(path, ".gz"));
		say(s->in, "--input %s: %s", path, strerror(errno));
		return -1;
	}
	before = s->n;
	rc = list_input_dir(s, path, d);
	closedir(d);
	if (!rc && s->n == before) {
		say(s->in, "--input %s: no files in it", path);
		rc = -1;
	}
	return rc;
}

/* Every file, and which of them the time range leaves out. */
static void list_all(struct scan *s)
{
	struct pa_qinput *in = s->in;

	for (size_t i = 0; i < in->n_src; i++) {
		size_t before = s->n;
		int rc = in->src[i].log_dir ? list_log_dir(s, in->src[i].path)
					    : list_input(s, in->src[i].path);

		if (rc)
			in->failed++;
		if (s->n > before)
			s->f[before].first = true;
		for (size_t k = before; k < s->n; k++) {
			struct stat st;

			s->f[k].skip = !pa_qinput_name_in_range(in, s->f[k].path);
			if (!s->f[k].std_in && !stat(s->f[k].path, &st))
				s->f[k].size = (uint64_t)st.st_size;
			s->bytes_total += s->f[k].skip ? 0 : s->f[k].size;
		}
	}
}

/* ---- lines ---- */

/* Hand over the whole lines of buf[0..len); returns the bytes used. With
 * @all, a last piece without a newline is a line too (a member's end). */
static size_t deliver(struct scan *s, struct pa_qline *l, const char *buf, size_t len, bool all)
{
	const char *p = buf, *end = buf + len;
	uint64_t base = l->off;

	while (p < end && !s->in->stopped) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl && !all)
			break;
		l->text = p;
		l->len = (size_t)((nl ? nl : end) - p);
		l->lineno++;
		if (!l->gz)
			l->off = base + (uint64_t)(p - buf);
		s->in->lines++;
		if (s->in->ops->line(s->in->ctx, l))
			s->in->stopped = true;
		p = nl ? nl + 1 : end;
	}
	return (size_t)(p - buf);
}

static int grow_buf(struct scan *s, size_t need)
{
	size_t cap = s->bcap ? s->bcap : 1 << 20;
	char *nb;

	while (cap < need)
		cap *= 2;
	if (cap == s->bcap)
		return 0;
	nb = realloc(s->buf, cap);
	if (!nb)
		return -1;
	s->buf = nb;
	s->bcap = cap;
	return 0;
}

static int collect(void *ctx, const void *data, size_t len)
{
	struct scan *s = ctx;
	size_t used;

	if (s->blen + len > MEMBER_HOLD_MAX)
		s->streaming = true;
	if (s->blen + len > s->bcap && grow_buf(s, s->blen + len))
		return -1;
	memcpy(s->buf + s->blen, data, len);
	s->blen += len;
	if (s->streaming) {
		used = deliver(s, &s->gzl, s->buf, s->blen, false);
		memmove(s->buf, s->buf + used, s->blen - used);
		s->blen -= used;
		progress(s, s->cur);
	}
	return s->in->stopped ? -1 : 0;
}

/* ---- gzip files ---- */

/* After a corrupt member: the next place a gzip member could begin. */
static size_t resync(const uint8_t *map, size_t len, size_t from)
{
	static const uint8_t magic[3] = { 0x1f, 0x8b, 0x08 };
	const uint8_t *p = from < len ? memmem(map + from, len - from, magic, 3) : NULL;

	return p ? (size_t)(p - map) : len;
}

/* A member that failed: say what was read of it, and where reading goes on. */
static size_t gz_damaged(struct scan *s, const char *path, const uint8_t *map, size_t len,
			 size_t off, enum pa_gz_result r, const char *why)
{
	unsigned long long read = (unsigned long long)s->gzl.lineno;

	if (r == PA_GZ_NOMEM || (r == PA_GZ_SINK && !s->in->stopped)) {
		say(s->in, "%s: byte %zu: out of memory", path, off);
		s->in->failed++;
		s->in->stopped = true;
	}
	if (r == PA_GZ_NOMEM || r == PA_GZ_SINK)
		return len;
	s->in->damaged++;
	if (r == PA_GZ_INCOMPLETE) {
		say(s->in, "%s: byte %zu: %s (a write cut short, or the agent is writing it now): "
			   "%llu whole records before the cut read", path, off, why, read);
		return len;
	}
	if (s->streaming)
		say(s->in, "%s: byte %zu: %s: %llu records of this member were read before the "
			   "damage was found and may be wrong; reading on at the next gzip member",
		    path, off, why, read);
	else
		say(s->in, "%s: byte %zu: %s: the member is skipped (its records cannot be "
			   "trusted); reading on at the next gzip member", path, off, why);
	return resync(map, len, off + 1);
}

/* One member at @off: its lines, or its seal. Returns where the next begins. */
static size_t gz_member(struct scan *s, const char *path, const uint8_t *map, size_t len,
			size_t off)
{
	struct pa_gz_member m;
	char why[160];
	enum pa_gz_result r;

	s->blen = 0;
	s->streaming = false;
	s->gzl = (struct pa_qline){ .file = path, .gz = true, .off = off };
	r = pa_gz_member_read(map, len, off, &m, collect, s, why, sizeof(why));
	if (r == PA_GZ_MEMBER && m.is_seal) {
		if (s->in->ops->seal)
			s->in->ops->seal(s->in->ctx, path, &m.seal);
		return off + m.len;
	}
	if (r == PA_GZ_MEMBER || r == PA_GZ_INCOMPLETE)
		deliver(s, &s->gzl, s->buf, s->blen, r == PA_GZ_MEMBER);
	if (r == PA_GZ_MEMBER)
		return off + m.len;
	return gz_damaged(s, path, map, len, off, r, why);
}

static void read_gz(struct scan *s, struct qfile *f, size_t idx)
{
	int fd = open(f->path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *map = NULL;
	size_t off = 0, len;

	if (fd < 0 || fstat(fd, &st)) {
		say(s->in, "%s: %s", f->path, strerror(errno));
		s->in->failed++;
		if (fd >= 0)
			close(fd);
		return;
	}
	len = (size_t)st.st_size;
	if (len && (map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		say(s->in, "%s: %s", f->path, strerror(errno));
		s->in->failed++;
		close(fd);
		return;
	}
	close(fd);
	s->in->files_read++;
	while (off < len && !s->in->stopped) {
		size_t next = gz_member(s, f->path, map, len, off);

		s->bytes_done += next - off;
		s->in->bytes_in += next - off;
		off = next;
		progress(s, idx);
	}
	if (map)
		munmap(map, len);
}

/* ---- plain files ---- */

static void read_plain(struct scan *s, struct qfile *f, size_t idx)
{
	int fd = f->std_in ? 0 : open(f->path, O_RDONLY | O_CLOEXEC);
	struct pa_qline l = { .file = f->path };
	uint64_t pos = 0; /* the file offset of buf[0] */
	size_t keep = 0;
	ssize_t got = 1;

	if (fd < 0) {
		say(s->in, "%s: %s", f->path, strerror(errno));
		s->in->failed++;
		return;
	}
	s->in->files_read++;
	while (got > 0 && !s->in->stopped) {
		size_t used;

		if (keep + PLAIN_CHUNK > s->bcap && grow_buf(s, keep + PLAIN_CHUNK))
			break;
		got = read(fd, s->buf + keep, s->bcap - keep);
		if (got < 0 && errno == EINTR) {
			got = 1;
			continue;
		}
		if (got < 0) {
			say(s->in, "%s: byte %llu: %s", f->path,
			    (unsigned long long)(pos + keep), strerror(errno));
			s->in->damaged++;
			break;
		}
		keep += (size_t)got;
		s->bytes_done += (size_t)got;
		s->in->bytes_in += (size_t)got;
		l.off = pos;
		used = deliver(s, &l, s->buf, keep, got == 0);
		pos += used;
		memmove(s->buf, s->buf + used, keep - used);
		keep -= used;
		progress(s, idx);
	}
	if (!f->std_in)
		close(fd);
}

int pa_qinput_run(struct pa_qinput *in)
{
	struct scan s = { .in = in, .t0 = mono_ns() };

	list_all(&s);
	in->files = s.n;
	for (size_t i = 0; i < s.n && !in->stopped; i++) {
		struct qfile *f = &s.f[i];

		s.cur = i;
		if (in->ops->file)
			in->ops->file(in->ctx, f->path, f->skip, f->first);
		if (f->skip)
			in->files_skipped++;
		else if (f->gz)
			read_gz(&s, f, i);
		else
			read_plain(&s, f, i);
	}
	progress_done(&s);
	for (size_t i = 0; i < s.n; i++)
		free(s.f[i].path);
	free(s.f);
	free(s.buf);
	return in->files_read == 0 && in->failed ? -1 : 0;
}
