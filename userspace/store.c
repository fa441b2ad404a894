// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The log store: see store.h for the layout. Order of every member write:
 *   1. data member + seal appended to the active file in one write, fsync;
 *   2. the chain moves on (the old key is erased in memory);
 *   3. DIR/.chain replaced (write, fsync, rename, fsync DIR).
 * A crash between 1 and 3 leaves a sealed member the state does not know
 * yet: recovery checks it with the key the state still holds and takes it
 * into the chain. A crash inside 1 leaves a partial member: recovery moves
 * those bytes to NAME.partial and truncates. At most one flush interval of
 * records, plus members still waiting while writes failed, is ever lost.
 */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gzmember.h"
#include "log.h"

#define NS_PER_S  1000000000ULL
#define NS_PER_MS 1000000ULL
#define EVENTS_MAX 64
#define RETENTION_EVERY_NS (3600 * NS_PER_S)
#define NAME_MAX_LEN 128

/* A closed member waiting to be sealed and written. */
struct pending {
	struct pending *next;
	uint8_t *data; /* member, with room for its seal after it */
	size_t len;
	uint64_t in_bytes, records, first_seq, last_seq, first_ns;
};

struct store {
	struct pa_sink base;
	struct pa_store_config cfg;
	int dirfd;
	struct pa_chain chain;
	bool run_started;	  /* a member of this run is on disk */
	struct pa_gzw gz;
	uint64_t m_records, m_first_seq, m_last_seq, m_first_ns; /* member being filled */
	struct pending *head, *tail;
	/* the active file */
	int fd;
	char name[NAME_MAX_LEN];
	uint64_t file_size, file_first_ns;
	/* a write-failure episode */
	bool failing;
	uint64_t fail_since_ns, lost_records, lost_bytes, lost_first_seq, lost_last_seq;
	int last_errno;
	uint64_t next_retry_ns, next_retention_ns;
	struct pa_store_event events[EVENTS_MAX];
	unsigned ev_head, ev_count;
	struct pa_store_stats st;
};

/* ---- clock, names ---- */

static uint64_t now_ns(const struct store *s)
{
	struct timespec ts;

	if (s->cfg.now_ns)
		return s->cfg.now_ns(s->cfg.clock_ctx);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

int pa_store_format_time(uint64_t ns, char *out, size_t outlen)
{
	time_t sec = (time_t)(ns / NS_PER_S);
	struct tm tm;
	char base[32];

	if (!gmtime_r(&sec, &tm) || !strftime(base, sizeof(base), "%Y%m%dT%H%M%S", &tm))
		return -1;
	if ((size_t)snprintf(out, outlen, "%s.%03uZ", base,
			     (unsigned)(ns % NS_PER_S / NS_PER_MS)) >= outlen)
		return -1;
	return 0;
}

/* "20261123T101500.123Z" at @p: 0 and *ns, or -1. */
static int parse_time(const char *p, uint64_t *ns)
{
	struct tm tm;
	unsigned ms;
	char z;
	int n = 0;

	/* sscanf's %d takes signs and spaces: the digits are checked first */
	for (int i = 0; i < 19; i++)
		if (i != 8 && i != 15 && (p[i] < '0' || p[i] > '9'))
			return -1;
	memset(&tm, 0, sizeof(tm));
	if (sscanf(p, "%4d%2d%2dT%2d%2d%2d.%3u%c%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
		   &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &z, &n) != 8 || z != 'Z' || n != 20)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*ns = (uint64_t)timegm(&tm) * NS_PER_S + ms * NS_PER_MS;
	return 0;
}

int pa_store_parse_name(const char *name, uint64_t *first_ns, uint64_t *last_ns)
{
	size_t plen = strlen(PA_STORE_PREFIX), slen = strlen(PA_STORE_SUFFIX);
	size_t len = strlen(name);
	const char *t = name + plen;

	if (len < plen + 20 + slen || strncmp(name, PA_STORE_PREFIX, plen) ||
	    strcmp(name + len - slen, PA_STORE_SUFFIX) || parse_time(t, first_ns))
		return 0;
	if (len == plen + 20 + slen) {
		*last_ns = 0;
		return 1;
	}
	if (len == plen + 20 + 2 + 20 + slen && !strncmp(t + 20, "--", 2) &&
	    !parse_time(t + 22, last_ns))
		return 2;
	return 0;
}

static void active_name(uint64_t first_ns, char *out, size_t outlen)
{
	char t[32];

	pa_store_format_time(first_ns, t, sizeof(t));
	snprintf(out, outlen, PA_STORE_PREFIX "%s" PA_STORE_SUFFIX, t);
}

static void rotated_name(uint64_t first_ns, uint64_t last_ns, char *out, size_t outlen)
{
	char a[32], b[32];

	pa_store_format_time(first_ns, a, sizeof(a));
	pa_store_format_time(last_ns, b, sizeof(b));
	snprintf(out, outlen, PA_STORE_PREFIX "%s--%s" PA_STORE_SUFFIX, a, b);
}

/* ---- events for the agent ---- */

static struct pa_store_event *event_new(struct store *s, enum pa_store_event_kind kind)
{
	struct pa_store_event *ev;

	if (s->ev_count == EVENTS_MAX) {
		s->st.events_dropped++;
		return NULL;
	}
	ev = &s->events[(s->ev_head + s->ev_count++) % EVENTS_MAX];
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	return ev;
}

int pa_store_next_event(struct pa_sink *sink, struct pa_store_event *ev)
{
	struct store *s = (struct store *)sink;

	if (!s->ev_count)
		return 0;
	*ev = s->events[s->ev_head];
	s->ev_head = (s->ev_head + 1) % EVENTS_MAX;
	s->ev_count--;
	return 1;
}

void pa_store_get_stats(struct pa_sink *sink, struct pa_store_stats *st)
{
	struct store *s = (struct store *)sink;

	*st = s->st;
	st->chain_index = s->chain.index;
	memcpy(st->head_tag, s->chain.prev_tag, sizeof(st->head_tag));
	st->last_seq = s->chain.last_seq;
	memcpy(st->log_id, s->chain.id, sizeof(st->log_id));
}

/* ---- the chain's state file ---- */

static int fsync_dir(int dirfd)
{
	return fsync(dirfd) ? -errno : 0;
}

/* Replace DIR/.chain atomically. 0 or -errno. */
static int state_save(int dirfd, const struct pa_chain *c, bool clean)
{
	char key[2 * PA_CHAIN_KEY_LEN + 1], prev[2 * PA_CHAIN_HASH_LEN + 1], id[33], buf[384];
	const char *tmp = PA_STORE_STATE_NAME ".tmp";
	int fd, n, rc = 0;

	pa_hex(c->key, PA_CHAIN_KEY_LEN, key);
	pa_hex(c->prev_tag, PA_CHAIN_HASH_LEN, prev);
	pa_hex(c->id, sizeof(c->id), id);
	n = snprintf(buf, sizeof(buf),
		     "phiaudit chain state 1\nindex %llu\nkey %s\nprev %s\nclean %d\nseq %llu\n"
		     "id %s\n",
		     (unsigned long long)c->index, key, prev, clean ? 1 : 0,
		     (unsigned long long)c->last_seq, id);
	pa_wipe(key, sizeof(key));
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (write(fd, buf, (size_t)n) != n || fsync(fd))
		rc = errno ? -errno : -EIO;
	close(fd);
	if (!rc && renameat(dirfd, tmp, dirfd, PA_STORE_STATE_NAME))
		rc = -errno;
	if (!rc)
		rc = fsync_dir(dirfd);
	if (rc)
		unlinkat(dirfd, tmp, 0);
out:
	pa_wipe(buf, sizeof(buf));
	return rc;
}

/* Read DIR/.chain. 0; -ENOENT when there is none; -EINVAL with err naming
 * the line that is wrong. */
static int state_load(int dirfd, const char *dir, struct pa_chain *c, bool *clean, char *err,
		      size_t errlen)
{
	char buf[512], *line;
	int fd, lineno = 0, seen = 0;
	bool has_id = false;
	ssize_t n;
	struct stat st;

	fd = openat(dirfd, PA_STORE_STATE_NAME, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, "%s/%s: %s", dir, PA_STORE_STATE_NAME, strerror(errno));
		return -errno;
	}
	if (fstat(fd, &st) == 0 && (st.st_mode & 077))
		pa_warn("%s/%s: mode %03o: the chain key is readable by others; fixing to 0600",
			dir, PA_STORE_STATE_NAME, st.st_mode & 0777);
	fchmod(fd, 0600);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s/%s: %s", dir, PA_STORE_STATE_NAME, strerror(errno));
		return -EIO;
	}
	buf[n] = '\0';
	memset(c, 0, sizeof(*c));
	*clean = false;
	/* Line by line, blank ones counted too, so errors name the right line. */
	for (char *next = buf; *next;) {
		unsigned long long v;
		char *sp, *end;
		const char *val;

		line = next;
		next = strchrnul(line, '\n');
		if (*next)
			*next++ = '\0';
		lineno++;
		if (lineno == 1) {
			if (strcmp(line, "phiaudit chain state 1"))
				goto bad;
			continue;
		}
		if (!*line)
			continue;
		sp = strchr(line, ' ');
		val = sp ? sp + 1 : "";
		if (!sp)
			goto bad;
		*sp = '\0';
		if (!strcmp(line, "index")) {
			errno = 0;
			v = strtoull(val, &end, 10);
			if (*end || errno || *val < '0' || *val > '9') /* strtoull takes "-1" */
				goto bad;
			c->index = v;
			seen |= 1;
		} else if (!strcmp(line, "key")) {
			if (pa_unhex(val, strlen(val), c->key, PA_CHAIN_KEY_LEN))
				goto bad;
			seen |= 2;
		} else if (!strcmp(line, "prev")) {
			if (pa_unhex(val, strlen(val), c->prev_tag, PA_CHAIN_HASH_LEN))
				goto bad;
			seen |= 4;
		} else if (!strcmp(line, "clean")) {
			if (strcmp(val, "0") && strcmp(val, "1"))
				goto bad;
			*clean = val[0] == '1';
			seen |= 8;
		} else if (!strcmp(line, "id")) {
			if (pa_unhex(val, strlen(val), c->id, sizeof(c->id)))
				goto bad;
			has_id = true;
		} else if (!strcmp(line, "seq")) {
			/* optional: the last record sequence sealed */
			errno = 0;
			v = strtoull(val, &end, 10);
			if (*end || errno || val[0] < '0' || val[0] > '9')
				goto bad;
			c->last_seq = v;
		} else {
			goto bad;
		}
	}
	pa_wipe(buf, sizeof(buf));
	if (seen != 15) {
		snprintf(err, errlen, "%s/%s: incomplete (index, key, prev and clean are all needed)",
			 dir, PA_STORE_STATE_NAME);
		return -EINVAL;
	}
	/* A state from before ids: give the log one now (saved with the
	 * next member). */
	if (!has_id && getrandom(c->id, sizeof(c->id), 0) != (ssize_t)sizeof(c->id))
		memset(c->id, 0, sizeof(c->id));
	return 0;
bad:
	pa_wipe(buf, sizeof(buf));
	snprintf(err, errlen, "%s/%s: line %d is not valid chain state", dir, PA_STORE_STATE_NAME,
		 lineno);
	return -EINVAL;
}

/* ---- the directory ---- */

static int open_dir(const char *dir, gid_t gid, bool create, char *err, size_t errlen)
{
	struct stat st;
	bool made = false;
	int fd;

	if (create) {
		made = mkdir(dir, 0750) == 0;
		if (!made && errno != EEXIST) {
			snprintf(err, errlen, "%s: cannot create: %s", dir, strerror(errno));
			return -1;
		}
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		int e = errno;
		/* O_DIRECTORY|O_NOFOLLOW on a symlink fails with ENOTDIR, not ELOOP */
		bool link = e == ELOOP || (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode));

		snprintf(err, errlen, "%s: %s%s", dir, strerror(e),
			 link ? " (a symbolic link: give the real directory)" : "");
		return -1;
	}
	/* 0750 whatever the umask: the log group must read what it names */
	if (made && fchmod(fd, 0750))
		pa_warn("%s: cannot set its mode: %s", dir, strerror(errno));
	if (fstat(fd, &st) == 0 && (st.st_mode & 0027)) {
		/* Logs name patients: no world access, no group writes. */
		if (fchmod(fd, st.st_mode & 0750))
			pa_warn("%s: cannot restrict its mode: %s", dir, strerror(errno));
	}
	if (gid != (gid_t)-1 && fchown(fd, (uid_t)-1, gid))
		pa_warn("%s: cannot give it group %u: %s", dir, (unsigned)gid, strerror(errno));
	return fd;
}

/* Does the directory hold any of our log files? */
static bool has_log_files(int dirfd)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	bool found = false;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (!found && (de = readdir(d))) {
		uint64_t a, b;

		found = pa_store_parse_name(de->d_name, &a, &b) != 0;
	}
	closedir(d);
	return found;
}

int pa_store_init_key(const char *dir, gid_t gid, char hex[2 * PA_CHAIN_KEY_LEN + 1], char *err,
		      size_t errlen)
{
	struct pa_chain c;
	struct stat st;
	int dirfd, rc;

	dirfd = open_dir(dir, gid, true, err, errlen);
	if (dirfd < 0)
		return -1;
	if (flock(dirfd, LOCK_EX | LOCK_NB)) {
		snprintf(err, errlen, "%s: %s", dir,
			 errno == EWOULDBLOCK ? "a phiauditd is writing this log" : strerror(errno));
		close(dirfd);
		return -1;
	}
	if (fstatat(dirfd, PA_STORE_STATE_NAME, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		snprintf(err, errlen,
			 "%s/%s: a chain already exists: its initial key was shown when it was "
			 "created. To start a new chain, move the directory's files aside first",
			 dir, PA_STORE_STATE_NAME);
		close(dirfd);
		return -1;
	}
	if (has_log_files(dirfd)) {
		snprintf(err, errlen,
			 "%s: holds log files of an earlier chain (its .chain is gone): a new key "
			 "cannot seal them. Move them aside (keep them: verify them with their own "
			 "key) and run --init-key again", dir);
		close(dirfd);
		return -1;
	}
	memset(&c, 0, sizeof(c));
	if (getrandom(c.key, sizeof(c.key), 0) != (ssize_t)sizeof(c.key) ||
	    getrandom(c.id, sizeof(c.id), 0) != (ssize_t)sizeof(c.id)) {
		snprintf(err, errlen, "getrandom: %s", strerror(errno));
		close(dirfd);
		return -1;
	}
	pa_hex(c.key, PA_CHAIN_KEY_LEN, hex);
	rc = state_save(dirfd, &c, true);
	pa_wipe(&c, sizeof(c));
	close(dirfd);
	if (rc) {
		pa_wipe(hex, 2 * PA_CHAIN_KEY_LEN + 1);
		snprintf(err, errlen, "%s/%s: cannot write: %s", dir, PA_STORE_STATE_NAME,
			 strerror(-rc));
		return -1;
	}
	return 0;
}

/* ---- real I/O ---- */

static ssize_t real_pwrite(void *ctx, int fd, const void *buf, size_t len, off_t off)
{
	(void)ctx;
	return pwrite(fd, buf, len, off);
}

static int real_fsync(void *ctx, int fd)
{
	(void)ctx;
	return fsync(fd);
}

static const struct pa_store_io real_io = { real_pwrite, real_fsync, NULL };

/* Write all of @buf at @off (short writes continued). 0 or -errno. */
static int write_all(struct store *s, const uint8_t *buf, size_t len, off_t off)
{
	while (len) {
		ssize_t n = s->cfg.io->pwrite(s->cfg.io->ctx, s->fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* ---- recovery ---- */

/* A file read whole (mapped). */
struct mapped {
	uint8_t *p;
	size_t len;
};

static int map_file(int fd, struct mapped *m)
{
	struct stat st;

	m->p = NULL;
	m->len = 0;
	if (fstat(fd, &st))
		return -errno;
	if (st.st_size == 0)
		return 0;
	m->p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (m->p == MAP_FAILED) {
		m->p = NULL;
		return -errno;
	}
	m->len = (size_t)st.st_size;
	return 0;
}

static void unmap_file(struct mapped *m)
{
	if (m->p)
		munmap(m->p, m->len);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Copy @len bytes at @off of @m to a new NAME.partial[.N]. */
static int quarantine(struct store *s, const char *name, const struct mapped *m, size_t off,
		      char *out, size_t outlen)
{
	int fd = -1;

	for (int i = 0; i < 1000 && fd < 0; i++) {
		if (i == 0)
			snprintf(out, outlen, "%s" PA_STORE_PARTIAL, name);
		else
			snprintf(out, outlen, "%s" PA_STORE_PARTIAL ".%d", name, i);
		fd = openat(s->dirfd, out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
			    0640);
		if (fd < 0 && errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	if (s->cfg.gid != (gid_t)-1 && fchown(fd, (uid_t)-1, s->cfg.gid)) {
		/* the mode alone still keeps others out */
	}
	for (size_t done = 0; done < m->len - off;) {
		ssize_t n = write(fd, m->p + off + done, m->len - off - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;

			close(fd);
			return -e;
		}
		done += (size_t)n;
	}
	if (fsync(fd)) {
		int e = errno;

		close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

/*
 * Recover one active file left by an earlier run: take sealed members the
 * state has not seen yet into the chain, move an unfinished tail aside,
 * rotate the file. 0, or -1 with err (the store does not start).
 */
static int recover_file(struct store *s, const char *name, uint64_t first_ns, char *err,
			size_t errlen)
{
	struct pa_store_event *ev;
	struct pa_gz_member m;
	struct mapped map;
	char why[160], partial[NAME_MAX_LEN] = "", rotated[NAME_MAX_LEN];
	size_t off = 0, good_end = 0;
	uint64_t last_seal_ns = 0, taken = 0;
	bool pending_data = false, unverified = false;
	int fd, rc;

	fd = openat(s->dirfd, name, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		snprintf(err, errlen, "%s/%s: %s", s->cfg.dir, name, strerror(errno));
		return -1;
	}
	rc = map_file(fd, &map);
	if (rc) {
		snprintf(err, errlen, "%s/%s: cannot read: %s", s->cfg.dir, name, strerror(-rc));
		close(fd);
		return -1;
	}
	for (;;) {
		enum pa_gz_result r = pa_gz_member_read(map.p, map.len, off, &m, NULL, NULL, why,
							 sizeof(why));

		if (r != PA_GZ_MEMBER)
			break;
		off += m.len;
		if (!m.is_seal) {
			pending_data = true;
			continue;
		}
		pending_data = false;
		good_end = off;
		last_seal_ns = m.seal.time_ns;
		if (m.seal.index < s->chain.index || unverified)
			continue;
		/* Sealed after the state was saved: the state's key must accept it. */
		if (m.seal.index == s->chain.index &&
		    pa_tag_equal(m.seal.prev_tag, s->chain.prev_tag)) {
			uint8_t tag[PA_CHAIN_HASH_LEN];

			pa_seal_tag(s->chain.key, &m.seal, tag);
			if (pa_tag_equal(tag, m.seal.tag)) {
				pa_chain_commit(&s->chain, &m.seal);
				taken++;
				continue;
			}
		}
		unverified = true;
	}
	(void)pending_data;
	if (unverified && (ev = event_new(s, PA_STORE_UNVERIFIED)))
		snprintf(ev->file, sizeof(ev->file), "%s", name);
	/* What follows the last seal is a crash's leftover: an unsealed or
	 * partial member, or zeros from a file system that extended the file
	 * before the data reached it. Kept aside, never just dropped. */
	if (good_end < map.len) {
		/* Read the map before truncating: past the new end it faults. */
		bool zeros = all_zero(map.p + good_end, map.len - good_end);

		rc = quarantine(s, name, &map, good_end, partial, sizeof(partial));
		if (rc) {
			snprintf(err, errlen, "%s/%s: cannot keep its unfinished last member aside: %s",
				 s->cfg.dir, name, strerror(-rc));
			unmap_file(&map);
			close(fd);
			return -1;
		}
		if (ftruncate(fd, (off_t)good_end) || fsync(fd)) {
			snprintf(err, errlen, "%s/%s: cannot truncate to its last whole member: %s",
				 s->cfg.dir, name, strerror(errno));
			unmap_file(&map);
			close(fd);
			return -1;
		}
		if (zeros)
			pa_info("%s/%s: %zu zero bytes after the last member moved to %s", s->cfg.dir,
				name, map.len - good_end, partial);
	}
	ev = event_new(s, PA_STORE_RECOVERED);
	if (ev) {
		snprintf(ev->file, sizeof(ev->file), "%s", name);
		snprintf(ev->partial, sizeof(ev->partial), "%s", partial);
		ev->bytes = map.len - good_end;
		ev->members = taken;
		ev->since_ns = last_seal_ns;
	}
	unmap_file(&map);
	close(fd);
	if (good_end == 0) {
		/* Nothing whole in it: its bytes are in the .partial file. */
		if (unlinkat(s->dirfd, name, 0))
			pa_warn("%s/%s: cannot remove the emptied file: %s", s->cfg.dir, name,
				strerror(errno));
	} else {
		rotated_name(first_ns, last_seal_ns, rotated, sizeof(rotated));
		if (renameat(s->dirfd, name, s->dirfd, rotated)) {
			snprintf(err, errlen, "%s/%s: cannot rotate it: %s", s->cfg.dir, name,
				 strerror(errno));
			return -1;
		}
		s->st.files_rotated++;
	}
	fsync_dir(s->dirfd);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Append a copy of @name to @v (of @n, room for @cap). 0 or -ENOMEM. */
static int push_name(char ***v, size_t *n, size_t *cap, const char *name)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 64;
		char **p = realloc(*v, c * sizeof(*p));

		if (!p)
			return -ENOMEM;
		*v = p;
		*cap = c;
	}
	(*v)[*n] = strdup(name);
	if (!(*v)[*n])
		return -ENOMEM;
	(*n)++;
	return 0;
}

int pa_store_list(int dirfd, char ***names, size_t *n, char ***partials, size_t *np)
{
	DIR *d;
	struct dirent *de;
	size_t cap = 0, pcap = 0;
	int fd = dup(dirfd), rc = 0;

	*names = NULL;
	*n = 0;
	if (partials) {
		*partials = NULL;
		*np = 0;
	}
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	rewinddir(d);
	while (!rc && (de = readdir(d))) {
		uint64_t a, b;

		if (pa_store_parse_name(de->d_name, &a, &b))
			rc = push_name(names, n, &cap, de->d_name);
		else if (partials && strstr(de->d_name, PA_STORE_SUFFIX PA_STORE_PARTIAL))
			rc = push_name(partials, np, &pcap, de->d_name);
	}
	closedir(d);
	if (rc) {
		pa_store_free_names(*names, *n);
		*names = NULL;
		*n = 0;
		if (partials) {
			pa_store_free_names(*partials, *np);
			*partials = NULL;
			*np = 0;
		}
		return rc;
	}
	/* qsort's array must not be NULL, even empty */
	if (*n)
		qsort(*names, *n, sizeof(**names), cmp_str);
	if (partials && *np)
		qsort(*partials, *np, sizeof(**partials), cmp_str);
	return 0;
}

void pa_store_free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* ---- retention ---- */

/* The last seal of a rotated file: its last PA_SEAL_MEMBER_LEN bytes. */
static bool last_seal_of(struct store *s, const char *name, struct pa_seal *seal, uint64_t *size)
{
	uint8_t buf[PA_SEAL_MEMBER_LEN];
	struct stat st;
	int fd = openat(s->dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	bool ok = false;

	*size = 0;
	if (fd < 0)
		return false;
	if (fstat(fd, &st) == 0) {
		*size = (uint64_t)st.st_size;
		ok = st.st_size >= PA_SEAL_MEMBER_LEN &&
		     pread(fd, buf, sizeof(buf), st.st_size - PA_SEAL_MEMBER_LEN) ==
			     (ssize_t)sizeof(buf) &&
		     pa_seal_parse(buf, sizeof(buf), seal) == 1;
	}
	close(fd);
	return ok;
}

/* true when deleted. Retention stops at the first file it cannot delete:
 * deleting a newer one instead would leave a hole in the middle of the
 * chain that no retention record explains. */
static bool delete_rotated(struct store *s, const char *name, const char *reason)
{
	struct pa_store_event *ev;
	struct pa_seal seal;
	uint64_t first = 0, last = 0, size;
	bool known = last_seal_of(s, name, &seal, &size);

	pa_store_parse_name(name, &first, &last);
	if (unlinkat(s->dirfd, name, 0)) {
		pa_warn("%s/%s: retention could not delete it: %s", s->cfg.dir, name,
			strerror(errno));
		return false;
	}
	s->st.files_deleted++;
	ev = event_new(s, PA_STORE_RETENTION);
	if (!ev)
		return true;
	snprintf(ev->file, sizeof(ev->file), "%s", name);
	ev->bytes = size;
	ev->since_ns = first;
	ev->until_ns = last;
	ev->reason = reason;
	ev->chain_known = known;
	if (known) {
		ev->chain_index = seal.index;
		memcpy(ev->chain_tag, seal.tag, PA_CHAIN_HASH_LEN);
	}
	return true;
}

/* Delete rotated files past the age limit, then the oldest while the
 * directory holds more than the size limit. The active file never. */
static void retention(struct store *s)
{
	uint64_t now = now_ns(s), total = 0;
	char **names;
	size_t n, i;
	struct stat st;

	s->next_retention_ns = now + RETENTION_EVERY_NS;
	if (!s->cfg.retain_age_s && !s->cfg.retain_bytes)
		return;
	if (pa_store_list(s->dirfd, &names, &n, NULL, NULL)) {
		pa_warn("%s: retention could not list the directory", s->cfg.dir);
		return;
	}
	for (i = 0; i < n; i++) {
		uint64_t first, last;

		if (pa_store_parse_name(names[i], &first, &last) != 2)
			continue;
		if (s->cfg.retain_age_s && last + s->cfg.retain_age_s * NS_PER_S < now) {
			if (!delete_rotated(s, names[i], "age"))
				break;
			names[i][0] = '\0';
		}
	}
	if (s->cfg.retain_bytes) {
		for (i = 0; i < n; i++)
			if (names[i][0] && fstatat(s->dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
				total += (uint64_t)st.st_size;
		for (i = 0; i < n && total > s->cfg.retain_bytes; i++) {
			uint64_t first, last;

			if (!names[i][0] || pa_store_parse_name(names[i], &first, &last) != 2)
				continue;
			if (fstatat(s->dirfd, names[i], &st, AT_SYMLINK_NOFOLLOW))
				continue;
			if (!delete_rotated(s, names[i], "size"))
				break;
			total -= (uint64_t)st.st_size;
		}
	}
	pa_store_free_names(names, n);
	fsync_dir(s->dirfd);
}

/* ---- writing ---- */

static int open_active(struct store *s, uint64_t first_ns)
{
	char name[NAME_MAX_LEN];
	int fd = -1;

	/* Names order files: a clash (two files in one millisecond) moves on. */
	for (int i = 0; i < 1000; i++, first_ns += NS_PER_MS) {
		active_name(first_ns, name, sizeof(name));
		fd = openat(s->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
			    0640);
		if (fd >= 0)
			break;
		if (errno != EEXIST)
			return -errno;
	}
	if (fd < 0)
		return -EEXIST;
	fchmod(fd, 0640);
	if (s->cfg.gid != (gid_t)-1 && fchown(fd, (uid_t)-1, s->cfg.gid))
		pa_warn("%s/%s: cannot give it group %u: %s", s->cfg.dir, name,
			(unsigned)s->cfg.gid, strerror(errno));
	fsync_dir(s->dirfd);
	s->fd = fd;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->file_size = 0;
	s->file_first_ns = first_ns;
	return 0;
}

static void rotate(struct store *s, uint64_t last_ns)
{
	char rotated[NAME_MAX_LEN];

	if (s->fd < 0)
		return;
	close(s->fd);
	s->fd = -1;
	rotated_name(s->file_first_ns, last_ns, rotated, sizeof(rotated));
	if (renameat(s->dirfd, s->name, s->dirfd, rotated)) {
		pa_warn("%s/%s: cannot rotate it: %s; it stays as it is", s->cfg.dir, s->name,
			strerror(errno));
		return;
	}
	fsync_dir(s->dirfd);
	s->st.files_rotated++;
	retention(s);
}

static void drop_head(struct store *s)
{
	struct pending *p = s->head;

	s->head = p->next;
	if (!s->head)
		s->tail = NULL;
	s->st.pending_bytes -= p->len;
	free(p->data);
	free(p);
}

/* A write-failure episode ends: say what it cost. */
static void end_failing(struct store *s, uint64_t now)
{
	struct pa_store_event *ev = event_new(s, PA_STORE_WRITE_RESUMED);

	if (ev) {
		snprintf(ev->file, sizeof(ev->file), "%s", s->name);
		ev->records = s->lost_records;
		ev->bytes = s->lost_bytes;
		ev->first_seq = s->lost_first_seq;
		ev->last_seq = s->lost_last_seq;
		ev->since_ns = s->fail_since_ns;
		ev->until_ns = now;
		ev->error = s->last_errno;
	}
	pa_info("%s: writing works again; %llu records were lost meanwhile", s->cfg.dir,
		(unsigned long long)s->lost_records);
	s->failing = false;
	s->lost_records = s->lost_bytes = s->lost_first_seq = s->lost_last_seq = 0;
}

static void fail(struct store *s, int err, uint64_t now)
{
	s->st.write_errors++;
	s->last_errno = err;
	if (!s->failing) {
		s->failing = true;
		s->fail_since_ns = now;
		pa_warn("%s/%s: cannot write: %s; records are kept in memory (up to %llu MiB) and "
			"written when it works again", s->cfg.dir, s->name[0] ? s->name : "(new file)",
			strerror(err), (unsigned long long)(s->cfg.pending_max_bytes >> 20));
	}
	s->next_retry_ns = now + s->cfg.flush_interval_ms * NS_PER_MS;
}

/* Seal and write waiting members, oldest first. @last: this run's end. */
static void drain(struct store *s, bool last)
{
	while (s->head) {
		struct pending *p = s->head;
		struct pa_seal seal;
		uint64_t now = now_ns(s);
		int rc;

		if (s->fd < 0) {
			rc = open_active(s, p->first_ns);
			if (rc) {
				fail(s, -rc, now);
				return;
			}
		}
		memset(&seal, 0, sizeof(seal));
		seal.flags = (s->run_started ? 0 : PA_SEAL_RUN_START) |
			     (last && !p->next ? PA_SEAL_RUN_END : 0);
		seal.records = p->records;
		seal.first_seq = p->first_seq;
		seal.last_seq = p->last_seq;
		seal.time_ns = now;
		pa_sha256(p->data, p->len, seal.member_sha256);
		pa_chain_seal(&s->chain, &seal);
		pa_seal_member(&seal, p->data + p->len);
		rc = write_all(s, p->data, p->len + PA_SEAL_MEMBER_LEN, (off_t)s->file_size);
		if (!rc && s->cfg.io->fsync(s->cfg.io->ctx, s->fd))
			rc = -errno;
		if (rc) {
			/* Nothing half-written stays: cut back to the last seal. */
			if (ftruncate(s->fd, (off_t)s->file_size))
				pa_warn("%s/%s: cannot cut a failed write back: %s", s->cfg.dir,
					s->name, strerror(errno));
			fail(s, -rc, now);
			return;
		}
		s->file_size += p->len + PA_SEAL_MEMBER_LEN;
		s->st.bytes_written += p->len + PA_SEAL_MEMBER_LEN;
		s->st.members++;
		s->base.records += p->records;
		s->base.bytes += p->in_bytes;
		s->run_started = true;
		pa_chain_commit(&s->chain, &seal);
		rc = state_save(s->dirfd, &s->chain, seal.flags & PA_SEAL_RUN_END);
		if (rc)
			pa_warn("%s/%s: cannot save the chain state: %s (the next start recovers it "
				"from the log)", s->cfg.dir, PA_STORE_STATE_NAME, strerror(-rc));
		drop_head(s);
		if (s->failing)
			end_failing(s, now);
		if ((s->cfg.rotate_bytes && s->file_size >= s->cfg.rotate_bytes) ||
		    (s->cfg.rotate_age_s && now >= s->file_first_ns + s->cfg.rotate_age_s * NS_PER_S))
			rotate(s, now);
	}
}

/* Close the member being filled and queue it; drop the oldest waiting
 * members while writes fail beyond the memory limit (counted). */
static int close_member(struct store *s)
{
	struct pending *p;
	uint8_t *data, *grown;
	size_t len;
	int rc;

	if (!s->gz.open)
		return 0;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->in_bytes = s->gz.in_bytes;
	rc = pa_gzw_finish(&s->gz, &data, &len);
	if (rc) {
		free(p);
		return rc;
	}
	grown = realloc(data, len + PA_SEAL_MEMBER_LEN);
	if (!grown) {
		free(data);
		free(p);
		return -ENOMEM;
	}
	p->data = grown;
	p->len = len;
	p->records = s->m_records;
	p->first_seq = s->m_first_seq;
	p->last_seq = s->m_last_seq;
	p->first_ns = s->m_first_ns;
	s->m_records = 0;
	if (s->tail)
		s->tail->next = p;
	else
		s->head = p;
	s->tail = p;
	s->st.pending_bytes += len;
	while (s->head != s->tail && s->st.pending_bytes > s->cfg.pending_max_bytes) {
		struct pending *h = s->head;

		if (!s->lost_records)
			s->lost_first_seq = h->first_seq;
		s->lost_last_seq = h->last_seq;
		s->lost_records += h->records;
		s->lost_bytes += h->in_bytes;
		s->st.records_lost += h->records;
		s->base.write_errors += h->records;
		drop_head(s);
	}
	return 0;
}

static int store_write(struct pa_sink *sink, const char *buf, size_t len, uint64_t seq, int severity)
{
	struct store *s = (struct store *)sink;
	int rc;

	if (!s->gz.open) {
		s->m_first_ns = now_ns(s);
		s->m_first_seq = seq;
		s->m_records = 0;
	}
	rc = pa_gzw_add(&s->gz, buf, len);
	if (rc) {
		sink->write_errors++;
		sink->last_error = -rc;
		return rc;
	}
	s->m_records++;
	s->m_last_seq = seq;
	if (s->gz.in_bytes >= s->cfg.member_max_bytes) {
		rc = close_member(s);
		if (!rc && (!s->failing || now_ns(s) >= s->next_retry_ns))
			drain(s, false);
	}
	return rc;
}

static int store_flush(struct pa_sink *sink)
{
	struct store *s = (struct store *)sink;
	uint64_t now = now_ns(s);
	int rc = 0;

	if (s->gz.open && now >= s->m_first_ns + s->cfg.flush_interval_ms * NS_PER_MS)
		rc = close_member(s);
	if (s->head && (!s->failing || now >= s->next_retry_ns))
		drain(s, false);
	if (now >= s->next_retention_ns)
		retention(s);
	if (!rc && s->failing)
		rc = -s->last_errno;
	return rc;
}

static void store_close(struct pa_sink *sink)
{
	struct store *s = (struct store *)sink;

	/* The run's end is a seal flag: with everything already written, it
	 * goes on an empty member, or the next start would see a crash. */
	if (!s->gz.open && !s->head) {
		s->m_first_ns = now_ns(s);
		s->m_first_seq = s->m_last_seq = 0;
		s->m_records = 0;
		pa_gzw_add(&s->gz, "", 0);
	}
	close_member(s);
	drain(s, true);
	if (s->head) {
		uint64_t lost = 0;

		for (struct pending *p = s->head; p; p = p->next)
			lost += p->records;
		pa_warn("%s: %llu records could not be written before stopping (%s)", s->cfg.dir,
			(unsigned long long)lost, strerror(s->last_errno));
	}
	while (s->head)
		drop_head(s);
	if (s->fd >= 0)
		close(s->fd);
	pa_gzw_free(&s->gz);
	pa_wipe(&s->chain, sizeof(s->chain));
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s);
}

static const struct pa_sink_ops store_ops = {
	.write = store_write,
	.flush = store_flush,
	.close = store_close,
};

void pa_store_config_defaults(struct pa_store_config *c, const char *dir)
{
	memset(c, 0, sizeof(*c));
	c->dir = dir;
	c->gid = (gid_t)-1;
	c->flush_interval_ms = 1000;
	c->member_max_bytes = 8 << 20;
	c->rotate_bytes = 64ULL << 20;
	c->rotate_age_s = 86400;
	c->retain_age_s = 6ULL * 365 * 86400;
	c->retain_bytes = 0;
	c->pending_max_bytes = 64ULL << 20;
	c->level = 6;
}

struct pa_sink *pa_store_open(const struct pa_store_config *cfg, char *err, size_t errlen)
{
	struct store *s = calloc(1, sizeof(*s));
	char **names = NULL;
	size_t n = 0;
	bool clean;
	int rc;

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->cfg = *cfg;
	if (!s->cfg.io)
		s->cfg.io = &real_io;
	s->fd = -1;
	s->dirfd = -1;
	s->base.ops = &store_ops;
	s->base.name = cfg->dir;
	s->dirfd = open_dir(cfg->dir, cfg->gid, true, err, errlen);
	if (s->dirfd < 0)
		goto fail;
	/* One writer a log: a second would rotate the first's active file
	 * and fork the chain. Released when the store closes (or dies). */
	if (flock(s->dirfd, LOCK_EX | LOCK_NB)) {
		snprintf(err, errlen, "%s: %s", cfg->dir,
			 errno == EWOULDBLOCK ? "another phiauditd is writing this log"
					      : strerror(errno));
		goto fail;
	}
	rc = state_load(s->dirfd, cfg->dir, &s->chain, &clean, err, errlen);
	if (rc == -ENOENT) {
		snprintf(err, errlen,
			 "%s: no chain key. Run 'phiauditd --init-key --log-dir %s' once, and keep "
			 "the key it prints off this host: 'phiaudit verify' needs it",
			 cfg->dir, cfg->dir);
		goto fail;
	}
	if (rc)
		goto fail;
	if (pa_gzw_init(&s->gz, cfg->level)) {
		snprintf(err, errlen, "gzip level %d: not 1-9, or out of memory", cfg->level);
		goto fail;
	}
	if (pa_store_list(s->dirfd, &names, &n, NULL, NULL)) {
		snprintf(err, errlen, "%s: cannot list it: %s", cfg->dir, strerror(errno));
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t first, last;

		if (pa_store_parse_name(names[i], &first, &last) == 1 &&
		    recover_file(s, names[i], first, err, errlen))
			goto fail;
	}
	pa_store_free_names(names, n);
	names = NULL;
	/* A clean stop left nothing to recover: the recovery events above
	 * then only say a file was rotated. Say which it was. */
	if (clean) {
		struct pa_store_event *ev;

		for (unsigned i = 0; i < s->ev_count; i++) {
			ev = &s->events[(s->ev_head + i) % EVENTS_MAX];
			if (ev->kind == PA_STORE_RECOVERED && !ev->bytes && !ev->members)
				ev->kind = PA_STORE_RESUMED;
		}
		if (s->chain.index && !s->ev_count && (ev = event_new(s, PA_STORE_RESUMED)))
			ev->chain_index = s->chain.index;
	} else if (!s->ev_count) {
		struct pa_store_event *ev = event_new(s, PA_STORE_RECOVERED);

		if (ev)
			ev->chain_index = s->chain.index;
	}
	for (unsigned i = 0; i < s->ev_count; i++) {
		struct pa_store_event *ev = &s->events[(s->ev_head + i) % EVENTS_MAX];

		if (ev->kind == PA_STORE_RECOVERED || ev->kind == PA_STORE_RESUMED)
			ev->chain_index = s->chain.index;
	}
	/* From now on, until a clean stop, a restart is a crash. */
	rc = state_save(s->dirfd, &s->chain, false);
	if (rc) {
		snprintf(err, errlen, "%s/%s: cannot write: %s", cfg->dir, PA_STORE_STATE_NAME,
			 strerror(-rc));
		goto fail;
	}
	retention(s);
	return &s->base;
fail:
	pa_store_free_names(names, n);
	pa_gzw_free(&s->gz);
	pa_wipe(&s->chain, sizeof(s->chain));
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s);
	return NULL;
}
