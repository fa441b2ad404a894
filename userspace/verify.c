// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "verify.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gzmember.h"
#include "store.h"

#define NS_PER_MS 1000000ULL
#define MAX_INDEX_STEP (1ULL << 32) /* members a seal may jump ahead (see check_seal) */

/* What the walk knows so far. */
struct walk {
	const char *dir;
	FILE *out;
	struct pa_verify_result *res;
	uint8_t key[PA_CHAIN_KEY_LEN]; /* k[next] */
	uint64_t next;		       /* index expected next */
	bool started;		       /* a seal was seen */
	uint8_t prev_tag[PA_CHAIN_HASH_LEN];
	uint8_t first_prev_tag[PA_CHAIN_HASH_LEN];
	bool last_was_end;	       /* the last seal ended a run cleanly */
	/* the data member awaiting its seal */
	bool have_data;
	uint8_t data_sha[PA_CHAIN_HASH_LEN];
	uint64_t data_records;
	size_t data_off;
	/* decompressed bytes of that member, scanned for retention records */
	char *text;
	size_t tlen, tcap;
	/* a retention record in that member: trusted once its seal is */
	bool data_retention;
	uint64_t data_retention_index;
	uint8_t data_retention_tag[PA_CHAIN_HASH_LEN];
	/* the latest retention record: members up to this index deleted */
	bool retention_seen;
	uint64_t retention_index;
	uint8_t retention_tag[PA_CHAIN_HASH_LEN];
};

static void say(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct walk *w, const char *fmt, ...)
{
	va_list ap;

	if (!w->out)
		return;
	va_start(ap, fmt);
	vfprintf(w->out, fmt, ap);
	va_end(ap);
	fputc('\n', w->out);
}

static int rank(enum pa_verify_status st)
{
	return st == PA_VERIFY_ALTERED ? 3 : st == PA_VERIFY_CRASH ? 2 : st == PA_VERIFY_ERROR ? 1 : 0;
}

/* Every problem is listed; the worst decides the status. */
static void problem(struct walk *w, enum pa_verify_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void problem(struct walk *w, enum pa_verify_status st, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	say(w, "%s: %s", st == PA_VERIFY_CRASH ? "CRASH" : st == PA_VERIFY_ERROR ? "ERROR" : "ALTERED",
	    msg);
	/* The worst finding decides: ALTERED, then CRASH, then ERROR. */
	if (rank(st) > rank(w->res->status)) {
		w->res->status = st;
		snprintf(w->res->problem, sizeof(w->res->problem), "%s", msg);
	}
}

static int collect(void *ctx, const void *buf, size_t len)
{
	struct walk *w = ctx;

	if (w->tlen + len + 1 > w->tcap) {
		size_t cap = w->tcap ? w->tcap : 1 << 20;
		char *p;

		while (cap < w->tlen + len + 1)
			cap *= 2;
		p = realloc(w->text, cap);
		if (!p)
			return -1;
		w->text = p;
		w->tcap = cap;
	}
	memcpy(w->text + w->tlen, buf, len);
	w->tlen += len;
	w->text[w->tlen] = '\0';
	return 0;
}

/* Records in the member; a retention record noted for check_seal, which
 * trusts it only when the member's seal is genuine (anyone can append an
 * unsealed member). The agent writes them with its own encoder, so the
 * field text is exact. */
static void scan_text(struct walk *w)
{
	const char *p = w->text, *end = w->text + w->tlen;

	w->data_records = 0;
	w->data_retention = false;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *q, *e = nl ? nl : end;

		w->data_records++;
		q = memmem(p, (size_t)(e - p), "\"chain_last_index\":", 19);
		if (q) {
			const char *t = memmem(p, (size_t)(e - p), "\"chain_last_tag\":\"", 18);
			uint8_t tag[PA_CHAIN_HASH_LEN];
			uint64_t idx = strtoull(q + 19, NULL, 10);

			if (t && e - (t + 18) >= 64 && !pa_unhex(t + 18, 64, tag, sizeof(tag)) &&
			    (!w->data_retention || idx >= w->data_retention_index)) {
				w->data_retention = true;
				w->data_retention_index = idx;
				memcpy(w->data_retention_tag, tag, sizeof(tag));
			}
		}
		p = e + 1;
	}
}

static void check_seal(struct walk *w, const char *name, const struct pa_gz_member *m)
{
	const struct pa_seal *s = &m->seal;
	uint8_t tag[PA_CHAIN_HASH_LEN];
	uint64_t from;

	if (!w->have_data) {
		problem(w, PA_VERIFY_ALTERED, "%s: byte %zu: a seal (member %" PRIu64
			") with no data member before it", name, m->off, s->index);
		return;
	}
	w->have_data = false;
	/* k[i] is i hashes from k0: a forged index far ahead would stall the
	 * walk for ages. No real chain reaches 2^32 members (136 years at one
	 * a second), so such a seal is not genuine, and no key is derived. */
	from = w->started ? w->next : 0;
	if (s->index > from && s->index - from > MAX_INDEX_STEP) {
		problem(w, PA_VERIFY_ALTERED, "%s: byte %zu: a seal whose member number (%" PRIu64
			") no chain reaches: not genuine", name, m->off, s->index);
		return;
	}
	if (!w->started) {
		/* The chain present begins here: derive its key. */
		for (uint64_t i = 0; i < s->index; i++)
			pa_chain_next_key(w->key);
		w->next = s->index;
		w->started = true;
		w->res->first_index = s->index;
		memcpy(w->first_prev_tag, s->prev_tag, PA_CHAIN_HASH_LEN);
		memcpy(w->prev_tag, s->prev_tag, PA_CHAIN_HASH_LEN);
		if (s->index == 0 && !(s->flags & PA_SEAL_RUN_START))
			problem(w, PA_VERIFY_ALTERED, "%s: member 0 does not start a run", name);
	} else if (s->index < w->next) {
		problem(w, PA_VERIFY_ALTERED, "%s: byte %zu: member %" PRIu64
			" comes after member %" PRIu64 ": members were reordered or repeated",
			name, m->off, s->index, w->next - 1);
		return;
	} else if (s->index > w->next) {
		problem(w, PA_VERIFY_ALTERED, "%s: byte %zu: members %" PRIu64 " to %" PRIu64
			" are missing (removed)", name, m->off, w->next, s->index - 1);
		while (w->next < s->index) {
			pa_chain_next_key(w->key);
			w->next++;
		}
		memcpy(w->prev_tag, s->prev_tag, PA_CHAIN_HASH_LEN); /* go on checking */
	}
	if (!pa_tag_equal(s->prev_tag, w->prev_tag))
		problem(w, PA_VERIFY_ALTERED, "%s: byte %zu: member %" PRIu64
			" does not follow the member before it (the chain is broken)", name, m->off,
			s->index);
	pa_seal_tag(w->key, s, tag);
	if (!pa_tag_equal(tag, s->tag))
		problem(w, PA_VERIFY_ALTERED, "%s: byte %zu: the seal of member %" PRIu64
			" is not genuine (altered, or not made with this key)", name, m->off, s->index);
	else if (!pa_tag_equal(w->data_sha, s->member_sha256))
		problem(w, PA_VERIFY_ALTERED, "%s: byte %zu: member %" PRIu64
			" (records %" PRIu64 "-%" PRIu64 ") was altered: its bytes do not match "
			"its seal", name, w->data_off, s->index, s->first_seq, s->last_seq);
	else if (w->data_retention &&
		 (!w->retention_seen || w->data_retention_index >= w->retention_index)) {
		w->retention_seen = true;
		w->retention_index = w->data_retention_index;
		memcpy(w->retention_tag, w->data_retention_tag, PA_CHAIN_HASH_LEN);
	}
	if (s->flags & PA_SEAL_RUN_START) {
		w->res->runs++;
		if (s->index > w->res->first_index && !w->last_was_end) {
			w->res->crashes++;
			say(w, "note: %s: member %" PRIu64 " starts a run after a crash (the agent "
			       "recorded it at restart)", name, s->index);
		}
	}
	w->last_was_end = s->flags & PA_SEAL_RUN_END;
	memcpy(w->prev_tag, s->tag, PA_CHAIN_HASH_LEN);
	pa_chain_next_key(w->key);
	w->next = s->index + 1;
	w->res->members++;
	w->res->records += w->data_records;
	w->res->last_index = s->index;
	w->res->last_time_ns = s->time_ns;
}

static bool only_zeros(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* One file; @last: the newest file (its end may be a crash's). */
static void check_file(struct walk *w, const char *name, bool last)
{
	uint64_t first_ns = 0, last_ns = 0, last_seal_ns = 0;
	int kind = pa_store_parse_name(name, &first_ns, &last_ns);
	struct pa_gz_member m;
	struct stat st;
	uint8_t *map = NULL;
	size_t off = 0, len = 0;
	char why[160];
	int fd;

	w->res->files++;
	fd = openat(AT_FDCWD, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 || fstat(fd, &st)) {
		problem(w, PA_VERIFY_ERROR, "%s/%s: %s", w->dir, name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	len = (size_t)st.st_size;
	if (len) {
		map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (map == MAP_FAILED) {
			problem(w, PA_VERIFY_ERROR, "%s/%s: %s", w->dir, name, strerror(errno));
			close(fd);
			return;
		}
	}
	close(fd);
	w->res->bytes += len;
	w->have_data = false;
	for (;;) {
		enum pa_gz_result r;

		w->tlen = 0;
		r = pa_gz_member_read(map, len, off, &m, collect, w, why, sizeof(why));
		if (r == PA_GZ_END)
			break;
		if (r != PA_GZ_MEMBER) {
			/* The newest active file may end in a member cut short, or
			 * in zeros a file system wrote before the data (power loss). */
			bool crash = last && kind == 1 &&
				     (r == PA_GZ_INCOMPLETE || only_zeros(map + off, len - off));

			problem(w, crash ? PA_VERIFY_CRASH : PA_VERIFY_ALTERED,
				"%s: byte %zu: %s%s", name, off, why,
				crash ? " (the agent stopped mid-write; its restart moves these bytes "
					"to " PA_STORE_PARTIAL " and records it)"
				      : "");
			break;
		}
		if (m.is_seal) {
			check_seal(w, name, &m);
			last_seal_ns = m.seal.time_ns;
		} else {
			if (w->have_data)
				problem(w, PA_VERIFY_ALTERED, "%s: byte %zu: a data member with no seal",
					name, w->data_off);
			w->have_data = true;
			w->data_off = off;
			pa_sha256(map + off, m.len, w->data_sha);
			scan_text(w);
		}
		off += m.len;
	}
	if (off == len && w->have_data) {
		if (last && kind == 1)
			problem(w, PA_VERIFY_CRASH, "%s: byte %zu: the last data member has no seal "
				"(the agent stopped mid-write)", name, w->data_off);
		else
			problem(w, PA_VERIFY_ALTERED, "%s: byte %zu: the last data member has no seal",
				name, w->data_off);
	}
	w->have_data = false;
	/* A rotated file's name gives its last seal's time: members cut
	 * off its end at a member boundary show here. */
	if (kind == 2 && last_seal_ns / NS_PER_MS != last_ns / NS_PER_MS && off == len)
		problem(w, PA_VERIFY_ALTERED, "%s: its name says it ends at its member sealed at "
			"that time, but its last member is older: members were cut off its end", name);
	if (map)
		munmap(map, len);
}

enum pa_verify_status pa_verify_dir(const char *dir, const uint8_t key0[PA_CHAIN_KEY_LEN],
				    FILE *out, FILE *progress, struct pa_verify_result *res)
{
	struct walk w = { .dir = dir, .out = out, .res = res };
	char **names = NULL, **partials = NULL;
	size_t n = 0, np = 0;
	int dirfd, saved_cwd, rc;

	memset(res, 0, sizeof(*res));
	memcpy(w.key, key0, PA_CHAIN_KEY_LEN);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	saved_cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0 || fchdir(dirfd)) {
		problem(&w, PA_VERIFY_ERROR, "%s: %s", dir, strerror(errno));
		goto out;
	}
	rc = pa_store_list(dirfd, &names, &n, &partials, &np);
	if (rc) {
		problem(&w, PA_VERIFY_ERROR, "%s: %s", dir, strerror(-rc));
		goto out;
	}
	res->partial_files = np;
	for (size_t i = 0; i < np; i++)
		say(&w, "note: %s: bytes a crash left unfinished, moved aside at restart",
		    partials[i]);
	if (!n) {
		problem(&w, PA_VERIFY_ERROR, "%s: no log files (" PA_STORE_PREFIX "*" PA_STORE_SUFFIX
			") in it", dir);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (progress)
			fprintf(progress, "\rverify: file %zu of %zu", i + 1, n);
		check_file(&w, names[i], i + 1 == n);
	}
	if (progress)
		fputc('\n', progress);
	if (!w.started) {
		problem(&w, PA_VERIFY_ALTERED, "%s: no sealed member in any file", dir);
	} else if (res->first_index > 0) {
		if (w.retention_seen && w.retention_index + 1 == res->first_index &&
		    pa_tag_equal(w.retention_tag, w.first_prev_tag)) {
			res->retained_before = res->first_index;
			say(&w, "note: members 0 to %" PRIu64 " were deleted by retention, as recorded",
			    res->first_index - 1);
		} else {
			problem(&w, PA_VERIFY_ALTERED, "members 0 to %" PRIu64 " are missing (the "
				"oldest files were removed), and no retention record accounts for them",
				res->first_index - 1);
		}
	}
out:
	if (dirfd >= 0)
		close(dirfd);
	if (saved_cwd >= 0) {
		if (fchdir(saved_cwd)) {
			/* nothing depends on the directory afterwards */
		}
		close(saved_cwd);
	}
	pa_store_free_names(names, n);
	pa_store_free_names(partials, np);
	free(w.text);
	pa_wipe(w.key, sizeof(w.key));
	return res->status;
}

int pa_read_key_file(const char *path, uint8_t key[PA_CHAIN_KEY_LEN], char *err, size_t errlen)
{
	char line[512];
	FILE *f = fopen(path, "re");
	int lineno = 0, found = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *e;

		lineno++;
		while (*p == ' ' || *p == '\t')
			p++;
		e = p + strlen(p);
		while (e > p && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e == p || *p == '#')
			continue;
		if (found || pa_unhex(p, (size_t)(e - p), key, PA_CHAIN_KEY_LEN)) {
			snprintf(err, errlen, "%s: line %d: %s", path, lineno,
				 found ? "a second key (one key a file)"
				       : "not a key (64 hexadecimal digits, as phiauditd --init-key "
					 "printed it)");
			pa_wipe(line, sizeof(line));
			fclose(f);
			return -1;
		}
		found = 1;
	}
	pa_wipe(line, sizeof(line));
	fclose(f);
	if (!found) {
		snprintf(err, errlen, "%s: no key in it", path);
		return -1;
	}
	return 0;
}
