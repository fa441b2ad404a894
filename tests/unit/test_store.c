// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The log store (store.h): the chain key is made once and kept 0600; one
 * gzip member per flush interval, each followed by its seal, in order and
 * read back exactly; rotation by size and age; retention by age and size
 * that never touches the active file and says what it deleted; failed
 * writes kept in memory, cut back on disk and written once they work; a
 * crash's leftovers recovered. The clock and the file writes are injected.
 */
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chain.h"
#include "gzmember.h"
#include "store.h"
#include "verify.h"

#define NS_S	  1000000000ULL
#define NS_MS	  1000000ULL
#define HOUR	  (3600 * NS_S)
/* 2026-11-23T10:15:00.123456789Z: not on a millisecond, to see names cut to it */
#define T0	  (1795428900ULL * NS_S + 123456789ULL)
#define NAME_LEN  128
#define MAX_FILES 64

/* ---- file writes that fail on demand ---- */

struct fio {
	unsigned calls;		/* pwrite calls so far */
	unsigned fail_at;	/* fail call number fail_at (1-based; 0: none) ... */
	unsigned fail_count;	/* ... and the fail_count - 1 calls after it */
	bool fail_all;		/* fail every call */
	int fail_err;
	size_t short_max;	/* write at most this much per call (0: all) */
	unsigned short_writes;	/* calls that wrote less than asked */
	unsigned fsync_fails;	/* fail this many fsyncs with EIO */
};

static ssize_t fio_pwrite(void *ctx, int fd, const void *buf, size_t len, off_t off)
{
	struct fio *io = ctx;
	unsigned n = ++io->calls;

	if (io->fail_all || (io->fail_at && n >= io->fail_at && n - io->fail_at < io->fail_count)) {
		errno = io->fail_err;
		return -1;
	}
	if (io->short_max && len > io->short_max) {
		len = io->short_max;
		io->short_writes++;
	}
	return pwrite(fd, buf, len, off);
}

static int fio_fsync(void *ctx, int fd)
{
	struct fio *io = ctx;

	if (io->fsync_fails) {
		io->fsync_fails--;
		errno = EIO;
		return -1;
	}
	return fsync(fd);
}

/* ---- fixture ---- */

struct fx {
	char root[64];	/* mkdtemp */
	char dir[96];	/* root/logs: the store (made by init-key) */
	char err[512];
	char key[2 * PA_CHAIN_KEY_LEN + 1];
	uint64_t now;	/* the injected clock */
	mode_t umask_was;
	struct fio fio;
	struct pa_store_io io;
	struct pa_store_config cfg;
};

static uint64_t fx_clock(void *ctx)
{
	return ((struct fx *)ctx)->now;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->root, sizeof(f->root), "/tmp/pa-store-XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/logs", f->root);
	f->umask_was = umask(022);
	f->now = T0;
	f->io = (struct pa_store_io){ fio_pwrite, fio_fsync, &f->fio };
	pa_store_config_defaults(&f->cfg, f->dir);
	f->cfg.now_ns = fx_clock;
	f->cfg.clock_ctx = f;
	f->cfg.io = &f->io;
	f->cfg.rotate_bytes = 0;
	f->cfg.rotate_age_s = 0;
	f->cfg.retain_age_s = 0;
	*state = f;
	return 0;
}

/* The same, with the chain key made. */
static int setup_key(void **state)
{
	struct fx *f;

	if (setup(state))
		return -1;
	f = *state;
	return pa_store_init_key(f->dir, (gid_t)-1, f->key, f->err, sizeof(f->err));
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int rc;

	umask(f->umask_was);
	rc = nftw(f->root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

/* ---- helpers ---- */

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		print_error("'%s' not found in: %s\n", needle, hay);
		fail();
	}
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static uint64_t size_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return (uint64_t)st.st_size;
}

static void path_in(const struct fx *f, const char *name, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s", f->dir, name);
}

static void write_file(const char *path, const void *buf, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

/* Record @seq: one JSON line. */
static size_t record(uint64_t seq, char *out, size_t outlen)
{
	return (size_t)snprintf(out, outlen,
				"{\"metadata\":{\"sequence\":%llu},\"message\":\"record %06llu\"}\n",
				(unsigned long long)seq, (unsigned long long)seq);
}

static void put(struct pa_sink *s, uint64_t seq)
{
	char buf[128];
	size_t n = record(seq, buf, sizeof(buf));

	assert_int_equal(s->ops->write(s, buf, n, seq, LOG_INFO), 0);
}

static void put_range(struct pa_sink *s, uint64_t first, uint64_t last)
{
	for (uint64_t q = first; q <= last; q++)
		put(s, q);
}

/* Records first..last, as a reader of the files must see them. Caller frees. */
static char *records_text(uint64_t first, uint64_t last, size_t *len)
{
	char *out = calloc(1, (size_t)(last - first + 2) * 128);

	assert_non_null(out);
	*len = 0;
	for (uint64_t q = first; q <= last; q++)
		*len += record(q, out + *len, 128);
	return out;
}

static struct pa_sink *open_store(struct fx *f)
{
	struct pa_sink *s = pa_store_open(&f->cfg, f->err, sizeof(f->err));

	if (!s) {
		print_error("pa_store_open: %s\n", f->err);
		fail();
	}
	return s;
}

static int flush_at(struct fx *f, struct pa_sink *s, uint64_t now)
{
	f->now = now;
	return s->ops->flush(s);
}

static struct pa_store_stats stats(struct pa_sink *s)
{
	struct pa_store_stats st;

	pa_store_get_stats(s, &st);
	return st;
}

static void expect_no_event(struct pa_sink *s)
{
	struct pa_store_event ev;

	if (pa_store_next_event(s, &ev)) {
		print_error("unexpected event kind %d file %s\n", ev.kind, ev.file);
		fail();
	}
}

static void next_event(struct pa_sink *s, enum pa_store_event_kind kind, struct pa_store_event *ev)
{
	assert_int_equal(pa_store_next_event(s, ev), 1);
	assert_int_equal(ev->kind, kind);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* The store's files (names it parses), in name order. */
static size_t list_ours(const struct fx *f, char names[][NAME_LEN])
{
	DIR *d = opendir(f->dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		uint64_t a, b;

		if (!pa_store_parse_name(de->d_name, &a, &b))
			continue;
		assert_true(n < MAX_FILES);
		assert_true(strlen(de->d_name) < NAME_LEN);
		memcpy(names[n++], de->d_name, strlen(de->d_name) + 1);
	}
	closedir(d);
	qsort(names, n, NAME_LEN, cmp_name);
	return n;
}

/* The one active file: 0 when there is none. */
static int active_file(const struct fx *f, char *out)
{
	char names[MAX_FILES][NAME_LEN];
	size_t n = list_ours(f, names);
	int found = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t a, b;

		if (pa_store_parse_name(names[i], &a, &b) == 1) {
			assert_null(strstr(names[i], "--"));
			snprintf(out, NAME_LEN, "%s", names[i]);
			found++;
		}
	}
	assert_true(found <= 1);
	return found;
}

/* A file read member by member, as zcat and verify read it. */
struct seen {
	char *text; /* the data members' decompressed bytes, in order */
	size_t len, cap;
	struct pa_seal *seal;
	size_t n;
	uint64_t size;
};

static int seen_out(void *ctx, const void *buf, size_t len)
{
	struct seen *sn = ctx;

	if (sn->len + len + 1 > sn->cap) {
		sn->cap = (sn->len + len + 1) * 2;
		sn->text = realloc(sn->text, sn->cap);
		if (!sn->text)
			return 1;
	}
	memcpy(sn->text + sn->len, buf, len);
	sn->len += len;
	sn->text[sn->len] = '\0';
	return 0;
}

/*
 * Read @name whole: every member must read to the file's end (no partial
 * bytes), data and seal members alternate, and each seal carries its data
 * member's SHA-256.
 */
static void seen_read(const struct fx *f, const char *name, struct seen *sn)
{
	char path[256], why[160];
	uint8_t sha[PA_CHAIN_HASH_LEN];
	size_t flen, off = 0;
	bool want_seal = false;
	uint8_t *raw;

	memset(sn, 0, sizeof(*sn));
	path_in(f, name, path, sizeof(path));
	raw = (uint8_t *)unit_read_file(path, &flen);
	assert_non_null(raw);
	sn->size = flen;
	for (;;) {
		struct pa_gz_member m;
		enum pa_gz_result r = pa_gz_member_read(raw, flen, off, &m, seen_out, sn, why,
							 sizeof(why));

		if (r == PA_GZ_END)
			break;
		if (r != PA_GZ_MEMBER) {
			print_error("%s: byte %zu of %zu: %s\n", name, off, flen, why);
			fail();
		}
		assert_int_equal(m.is_seal, want_seal);
		if (m.is_seal) {
			assert_memory_equal(m.seal.member_sha256, sha, PA_CHAIN_HASH_LEN);
			sn->seal = realloc(sn->seal, (sn->n + 1) * sizeof(*sn->seal));
			assert_non_null(sn->seal);
			sn->seal[sn->n++] = m.seal;
		} else {
			pa_sha256(raw + off, m.len, sha);
		}
		want_seal = !want_seal;
		off += m.len;
	}
	assert_false(want_seal); /* no data member without its seal */
	free(raw);
}

static void seen_free(struct seen *sn)
{
	free(sn->text);
	free(sn->seal);
}

/* The decompressed text of every file, in name order, must be records
 * @first..@last, then the ones of a second range (0, 0: none). */
static void expect_records(const struct fx *f, uint64_t first, uint64_t last, uint64_t first2,
			   uint64_t last2)
{
	char names[MAX_FILES][NAME_LEN];
	size_t n = list_ours(f, names), want_len, want2_len = 0, got_len = 0;
	char *want = records_text(first, last, &want_len), *want2 = NULL, *got = NULL;

	if (first2)
		want2 = records_text(first2, last2, &want2_len);
	for (size_t i = 0; i < n; i++) {
		struct seen sn;

		seen_read(f, names[i], &sn);
		got = realloc(got, got_len + sn.len + 1);
		assert_non_null(got);
		if (sn.len)
			memcpy(got + got_len, sn.text, sn.len);
		got_len += sn.len;
		seen_free(&sn);
	}
	want = realloc(want, want_len + want2_len + 1);
	assert_non_null(want);
	if (want2_len)
		memcpy(want + want_len, want2, want2_len);
	want[want_len + want2_len] = '\0';
	assert_non_null(got);
	got[got_len] = '\0';
	assert_string_equal(got, want);
	free(got);
	free(want);
	free(want2);
}

/*
 * Every seal in the directory, in name order: indexes consecutive from
 * @first (no gap, no repeat), each following the one before it, each tag
 * genuine under the initial key moved forward. Returns the next index.
 */
static uint64_t check_chain(const struct fx *f, uint64_t first)
{
	char names[MAX_FILES][NAME_LEN];
	size_t n = list_ours(f, names);
	uint8_t key[PA_CHAIN_KEY_LEN], prev[PA_CHAIN_HASH_LEN], tag[PA_CHAIN_HASH_LEN];
	uint64_t next = first;
	bool check_prev = first == 0;

	assert_int_equal(pa_unhex(f->key, strlen(f->key), key, sizeof(key)), 0);
	for (uint64_t i = 0; i < first; i++)
		pa_chain_next_key(key);
	memset(prev, 0, sizeof(prev));
	for (size_t i = 0; i < n; i++) {
		struct seen sn;

		seen_read(f, names[i], &sn);
		for (size_t j = 0; j < sn.n; j++) {
			const struct pa_seal *s = &sn.seal[j];

			assert_int_equal(s->index, next);
			if (check_prev)
				assert_memory_equal(s->prev_tag, prev, PA_CHAIN_HASH_LEN);
			pa_seal_tag(key, s, tag);
			assert_memory_equal(tag, s->tag, PA_CHAIN_HASH_LEN);
			memcpy(prev, s->tag, PA_CHAIN_HASH_LEN);
			check_prev = true;
			pa_chain_next_key(key);
			next++;
		}
		seen_free(&sn);
	}
	return next;
}

/* The .chain file's text. Caller frees. */
static char *chain_text(const struct fx *f)
{
	char path[256];
	size_t len;
	char *t;

	path_in(f, PA_STORE_STATE_NAME, path, sizeof(path));
	t = unit_read_file(path, &len);
	assert_non_null(t);
	return t;
}

static void expect_chain_state(const struct fx *f, const char *line)
{
	char *t = chain_text(f);

	assert_contains(t, line);
	free(t);
}

/* What `phiaudit verify` makes of the directory, as a second opinion. */
static struct pa_verify_result verify(const struct fx *f)
{
	uint8_t key[PA_CHAIN_KEY_LEN];
	struct pa_verify_result r;

	memset(&r, 0, sizeof(r));
	assert_int_equal(pa_unhex(f->key, strlen(f->key), key, sizeof(key)), 0);
	pa_verify_dir(f->dir, key, NULL, NULL, &r);
	return r;
}

static void expect_verify_ok(const struct fx *f, uint64_t runs, uint64_t crashes)
{
	struct pa_verify_result r = verify(f);

	if (r.status != PA_VERIFY_OK) {
		print_error("verify: status %d: %s\n", r.status, r.problem);
		fail();
	}
	assert_int_equal(r.runs, runs);
	assert_int_equal(r.crashes, crashes);
}

static uint64_t to_ms(uint64_t ns)
{
	return ns / NS_MS * NS_MS;
}

/*
 * Run @fn in a child that ends with _exit, without closing the store: as
 * far as the files can tell, a crash. @fn returns 0 when all went well.
 */
static void crash_run(struct fx *f, int (*fn)(struct fx *f))
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn(f));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* In a child: no cmocka asserts, only an exit code. */
static int child_put(struct pa_sink *s, uint64_t first, uint64_t last)
{
	char buf[128];

	for (uint64_t q = first; q <= last; q++) {
		size_t n = record(q, buf, sizeof(buf));

		if (s->ops->write(s, buf, n, q, LOG_INFO))
			return 1;
	}
	return 0;
}

/* ---- 1. the chain key ---- */

static void test_init_key_creates_dir_0750_and_chain_0600_with_a_fresh_key(void **state)
{
	struct fx *f = *state;
	char path[256], line[128];
	char *t;

	assert_int_equal(mode_of(f->dir), 0750);
	path_in(f, PA_STORE_STATE_NAME, path, sizeof(path));
	assert_int_equal(mode_of(path), 0600);
	assert_int_equal(strlen(f->key), 64);
	assert_int_equal(strspn(f->key, "0123456789abcdef"), 64);
	t = chain_text(f);
	snprintf(line, sizeof(line), "\nkey %s\n", f->key);
	assert_contains(t, line);
	assert_contains(t, "\nindex 0\n");
	free(t);
}

static void test_init_key_ignores_a_strict_umask(void **state)
{
	struct fx *f = *state;
	char key[2 * PA_CHAIN_KEY_LEN + 1], name[NAME_LEN], path[256];
	struct pa_sink *s;

	/* The group named by --log-group must still read the logs. */
	umask(077);
	assert_int_equal(pa_store_init_key(f->dir, (gid_t)-1, key, f->err, sizeof(f->err)), 0);
	assert_int_equal(mode_of(f->dir), 0750);
	s = open_store(f);
	put(s, 1);
	s->ops->close(s);
	assert_int_equal(active_file(f, name), 1);
	path_in(f, name, path, sizeof(path));
	assert_int_equal(mode_of(path), 0640);
}

static void test_init_key_refuses_when_a_chain_exists(void **state)
{
	struct fx *f = *state;
	char key[2 * PA_CHAIN_KEY_LEN + 1], line[128];
	char *t;

	assert_int_equal(pa_store_init_key(f->dir, (gid_t)-1, key, f->err, sizeof(f->err)), -1);
	assert_contains(f->err, f->dir);
	assert_contains(f->err, PA_STORE_STATE_NAME);
	t = chain_text(f); /* the first key stays */
	snprintf(line, sizeof(line), "\nkey %s\n", f->key);
	assert_contains(t, line);
	free(t);
}

/* .chain lost but the files kept: a new key must not start a chain the
 * old files would then seem to break. */
static void test_init_key_refuses_old_log_files_without_a_chain(void **state)
{
	struct fx *f = *state;
	char key[2 * PA_CHAIN_KEY_LEN + 1], path[256];

	path_in(f, PA_STORE_STATE_NAME, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
	path_in(f, "phiaudit-20261123T101500.123Z--20261123T111500.456Z.json.gz", path,
		sizeof(path));
	write_file(path, "x", 1, 0640);
	assert_int_equal(pa_store_init_key(f->dir, (gid_t)-1, key, f->err, sizeof(f->err)), -1);
	assert_contains(f->err, "earlier chain");
	assert_contains(f->err, f->dir);
	assert_false(exists((path_in(f, PA_STORE_STATE_NAME, path, sizeof(path)), path)));
}

/* Two agents on one log would fork the chain: the second is refused. */
static void test_a_second_writer_is_refused(void **state)
{
	struct fx *f = *state;
	struct pa_sink *s = open_store(f), *again;
	char key[2 * PA_CHAIN_KEY_LEN + 1];

	again = pa_store_open(&f->cfg, f->err, sizeof(f->err));
	assert_null(again);
	assert_contains(f->err, "another phiauditd is writing this log");
	assert_contains(f->err, f->dir);
	assert_int_equal(pa_store_init_key(f->dir, (gid_t)-1, key, f->err, sizeof(f->err)), -1);
	assert_contains(f->err, "writing this log");
	s->ops->close(s);
	/* released with the store */
	s = open_store(f);
	s->ops->close(s);
}

static void test_open_without_key_says_to_run_init_key(void **state)
{
	struct fx *f = *state;

	assert_int_equal(mkdir(f->dir, 0750), 0);
	assert_null(pa_store_open(&f->cfg, f->err, sizeof(f->err)));
	assert_contains(f->err, "--init-key");
	assert_contains(f->err, f->dir);
}

static void corrupt_chain_fails_naming(struct fx *f, const char *text, const char *what)
{
	char path[256];

	path_in(f, PA_STORE_STATE_NAME, path, sizeof(path));
	write_file(path, text, strlen(text), 0600);
	assert_null(pa_store_open(&f->cfg, f->err, sizeof(f->err)));
	assert_contains(f->err, PA_STORE_STATE_NAME);
	assert_contains(f->err, what);
}

static void test_open_with_corrupt_chain_names_the_line(void **state)
{
	struct fx *f = *state;
	char good_key[80], good_prev[80], text[512], path[256];
	struct pa_sink *s;

	snprintf(good_key, sizeof(good_key), "key %s", f->key);
	snprintf(good_prev, sizeof(good_prev), "prev %064d", 0);
	snprintf(text, sizeof(text), "phiaudit chain state 1\nindex 0\nkey nothex\n%s\nclean 1\n",
		 good_prev);
	corrupt_chain_fails_naming(f, text, "line 3");
	snprintf(text, sizeof(text), "phiaudit chain state 2\nindex 0\n%s\n%s\nclean 1\n",
		 good_key, good_prev);
	corrupt_chain_fails_naming(f, text, "line 1");
	snprintf(text, sizeof(text), "phiaudit chain state 1\nindex -1\n%s\n%s\nclean 1\n",
		 good_key, good_prev);
	corrupt_chain_fails_naming(f, text, "line 2");
	snprintf(text, sizeof(text), "phiaudit chain state 1\nindex 0\n%s\n%s\nclean yes\n",
		 good_key, good_prev);
	corrupt_chain_fails_naming(f, text, "line 5");
	snprintf(text, sizeof(text), "phiaudit chain state 1\nindex 0\n%s\n%s\nclean 1\nextra 1\n",
		 good_key, good_prev);
	corrupt_chain_fails_naming(f, text, "line 6");
	/* a blank line is a line: the count must not skip it */
	snprintf(text, sizeof(text), "phiaudit chain state 1\n\nindex x\n%s\n%s\nclean 1\n",
		 good_key, good_prev);
	corrupt_chain_fails_naming(f, text, "line 3");
	snprintf(text, sizeof(text), "phiaudit chain state 1\nindex 0\n%s\n", good_key);
	corrupt_chain_fails_naming(f, text, "incomplete");
	/* and a whole one opens */
	snprintf(text, sizeof(text), "phiaudit chain state 1\nindex 0\n%s\n%s\nclean 1\n",
		 good_key, good_prev);
	path_in(f, PA_STORE_STATE_NAME, path, sizeof(path));
	write_file(path, text, strlen(text), 0600);
	s = open_store(f);
	s->ops->close(s);
}

static void test_open_fixes_chain_mode_0644_to_0600(void **state)
{
	struct fx *f = *state;
	char path[256];
	struct pa_sink *s;

	path_in(f, PA_STORE_STATE_NAME, path, sizeof(path));
	assert_int_equal(chmod(path, 0644), 0);
	s = open_store(f);
	assert_int_equal(mode_of(path), 0600);
	s->ops->close(s);
	assert_int_equal(mode_of(path), 0600);
}

/* ---- 2, 3. members ---- */

static void test_one_member_per_flush_interval_read_back_exactly(void **state)
{
	struct fx *f = *state;
	char name[NAME_LEN], path[256], want[NAME_LEN], t[32];
	struct pa_sink *s = open_store(f);
	struct seen sn;
	static const uint64_t recs[4] = { 3, 2, 2, 1 }, firsts[4] = { 1, 4, 6, 8 };

	expect_no_event(s); /* a new chain: nothing to recover */
	put_range(s, 1, 3);
	assert_int_equal(flush_at(f, s, T0 + 500 * NS_MS), 0); /* the interval is not over */
	assert_int_equal(active_file(f, name), 0);
	assert_int_equal(f->fio.calls, 0);
	assert_int_equal(flush_at(f, s, T0 + NS_S), 0);
	assert_int_equal(active_file(f, name), 1);
	put_range(s, 4, 5);
	assert_int_equal(flush_at(f, s, T0 + 2 * NS_S), 0);
	put_range(s, 6, 7);
	assert_int_equal(flush_at(f, s, T0 + 3 * NS_S), 0);
	put(s, 8);
	assert_int_equal(stats(s).members, 3);
	assert_int_equal(stats(s).chain_index, 3);
	assert_int_equal(s->records, 7);
	f->now = T0 + 3 * NS_S + 200 * NS_MS;
	s->ops->close(s);

	pa_store_format_time(T0, t, sizeof(t));
	snprintf(want, sizeof(want), "phiaudit-%s.json.gz", t);
	assert_int_equal(active_file(f, name), 1);
	assert_string_equal(name, want);
	path_in(f, name, path, sizeof(path));
	assert_int_equal(mode_of(path), 0640);
	expect_records(f, 1, 8, 0, 0);
	seen_read(f, name, &sn);
	assert_int_equal(sn.n, 4);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(sn.seal[i].index, i);
		assert_int_equal(sn.seal[i].records, recs[i]);
		assert_int_equal(sn.seal[i].first_seq, firsts[i]);
		assert_int_equal(sn.seal[i].last_seq, firsts[i] + recs[i] - 1);
		assert_int_equal(sn.seal[i].flags,
				 (i == 0 ? PA_SEAL_RUN_START : 0) | (i == 3 ? PA_SEAL_RUN_END : 0));
	}
	assert_int_equal(sn.seal[0].time_ns, T0 + NS_S);
	assert_int_equal(sn.seal[3].time_ns, T0 + 3 * NS_S + 200 * NS_MS);
	seen_free(&sn);
	assert_int_equal(check_chain(f, 0), 4);
	expect_verify_ok(f, 1, 0);
	expect_chain_state(f, "\nindex 4\n");
	expect_chain_state(f, "\nclean 1\n");
	expect_chain_state(f, "\nseq 8\n"); /* the next run numbers on from 9 */
	s = open_store(f);
	assert_int_equal(stats(s).last_seq, 8);
	{
		/* the log's id, made with the key, is kept */
		uint8_t id[16];
		char hex[33], line[48];

		memcpy(id, stats(s).log_id, sizeof(id));
		pa_hex(id, sizeof(id), hex);
		snprintf(line, sizeof(line), "\nid %s\n", hex);
		expect_chain_state(f, line);
		assert_false(id[0] == 0 && !memcmp(id, id + 1, sizeof(id) - 1)); /* not all zero */
	}
	s->ops->close(s);
}

static void test_close_with_everything_written_still_ends_the_run(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][NAME_LEN];
	struct pa_store_event ev;
	struct pa_sink *s = open_store(f);
	struct seen sn;

	put_range(s, 1, 2);
	assert_int_equal(flush_at(f, s, T0 + NS_S), 0);
	s->ops->close(s); /* nothing open, nothing waiting */
	assert_int_equal(list_ours(f, names), 1);
	seen_read(f, names[0], &sn);
	assert_true(sn.n >= 1);
	assert_true(sn.seal[sn.n - 1].flags & PA_SEAL_RUN_END);
	assert_int_equal(sn.seal[0].flags & PA_SEAL_RUN_END, sn.n == 1 ? PA_SEAL_RUN_END : 0);
	seen_free(&sn);
	expect_chain_state(f, "\nclean 1\n");
	expect_records(f, 1, 2, 0, 0);

	f->now = T0 + 10 * NS_S;
	s = open_store(f);
	next_event(s, PA_STORE_RESUMED, &ev);
	assert_int_equal(ev.chain_index, check_chain(f, 0));
	expect_no_event(s);
	s->ops->close(s); /* a run with no records still ends in a seal */
	expect_verify_ok(f, 2, 0);
}

static void test_member_closes_at_member_max_bytes_without_clock(void **state)
{
	struct fx *f = *state;
	char buf[128], name[NAME_LEN];
	struct pa_sink *s;
	struct seen sn;
	size_t n = 0;

	for (uint64_t q = 1; q <= 3; q++)
		n += record(q, buf, sizeof(buf));
	f->cfg.member_max_bytes = n; /* three records' worth */
	s = open_store(f);
	put_range(s, 1, 2);
	assert_int_equal(active_file(f, name), 0);
	put(s, 3); /* reaches it: written at once, the clock never moved */
	assert_int_equal(f->now, T0);
	assert_int_equal(active_file(f, name), 1);
	assert_int_equal(stats(s).members, 1);
	seen_read(f, name, &sn);
	assert_int_equal(sn.n, 1);
	assert_int_equal(sn.seal[0].records, 3);
	assert_int_equal(sn.seal[0].first_seq, 1);
	assert_int_equal(sn.seal[0].last_seq, 3);
	assert_int_equal(sn.len, n);
	seen_free(&sn);
	put(s, 4); /* a new member begins */
	assert_int_equal(stats(s).members, 1);
	s->ops->close(s);
	expect_records(f, 1, 4, 0, 0);
	assert_int_equal(check_chain(f, 0), 2);
}

/* ---- 4. rotation ---- */

/* Each rotated file: parsed as rotated, <first> its first record's time
 * and <last> its last seal's, to the millisecond. */
static void check_rotated_names(const struct fx *f, size_t *rotated, size_t *active)
{
	char names[MAX_FILES][NAME_LEN];
	size_t n = list_ours(f, names);

	*rotated = *active = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t first, last;
		int kind = pa_store_parse_name(names[i], &first, &last);
		struct seen sn;

		if (kind == 1) {
			assert_null(strstr(names[i], "--"));
			(*active)++;
			continue;
		}
		assert_int_equal(kind, 2);
		seen_read(f, names[i], &sn);
		assert_true(sn.n > 0);
		assert_int_equal(last, to_ms(sn.seal[sn.n - 1].time_ns));
		assert_true(first <= last);
		seen_free(&sn);
		(*rotated)++;
	}
	assert_true(*active <= 1);
}

static void test_rotation_by_size_names_files_by_last_seal(void **state)
{
	struct fx *f = *state;
	size_t rotated, active;
	struct pa_sink *s;

	f->cfg.rotate_bytes = 1; /* every member fills a file */
	s = open_store(f);
	for (uint64_t i = 0; i < 3; i++) {
		put_range(s, 2 * i + 1, 2 * i + 2);
		assert_int_equal(flush_at(f, s, T0 + (i + 1) * NS_S + 7 * NS_MS + 777), 0);
		check_rotated_names(f, &rotated, &active);
		assert_int_equal(rotated, i + 1);
		assert_int_equal(active, 0);
	}
	assert_int_equal(stats(s).files_rotated, 3);
	s->ops->close(s);
	check_rotated_names(f, &rotated, &active);
	expect_records(f, 1, 6, 0, 0);
	check_chain(f, 0);
	{
		char names[MAX_FILES][NAME_LEN];
		uint64_t first, last;

		assert_true(list_ours(f, names) >= 3);
		assert_int_equal(pa_store_parse_name(names[0], &first, &last), 2);
		assert_int_equal(first, to_ms(T0));
		assert_int_equal(last, to_ms(T0 + NS_S + 7 * NS_MS));
	}
}

static void test_name_clash_moves_the_new_file_on_a_millisecond(void **state)
{
	struct fx *f = *state;
	char t[32], taken[NAME_LEN], path[256], names[MAX_FILES][NAME_LEN];
	uint64_t first, last;
	struct pa_sink *s;

	f->cfg.rotate_bytes = 1;
	s = open_store(f);
	pa_store_format_time(T0, t, sizeof(t));
	snprintf(taken, sizeof(taken), "phiaudit-%s.json.gz", t);
	path_in(f, taken, path, sizeof(path));
	write_file(path, "", 0, 0640); /* someone has the name already */
	put(s, 1);
	assert_int_equal(flush_at(f, s, T0 + NS_S), 0);
	assert_int_equal(list_ours(f, names), 2);
	assert_string_equal(names[0], taken);
	assert_int_equal(pa_store_parse_name(names[1], &first, &last), 2);
	assert_int_equal(first, to_ms(T0) + NS_MS);
	assert_int_equal(last, to_ms(T0 + NS_S));
	assert_int_equal(unlink(path), 0);
	s->ops->close(s);
	expect_records(f, 1, 1, 0, 0);
}

static void test_rotation_by_age_uses_the_clock(void **state)
{
	struct fx *f = *state;
	char name[NAME_LEN], names[MAX_FILES][NAME_LEN];
	size_t rotated, active;
	uint64_t first, last;
	struct pa_sink *s;

	f->cfg.rotate_age_s = 10;
	s = open_store(f);
	for (uint64_t i = 0; i < 15; i++) {
		put(s, i + 1);
		assert_int_equal(flush_at(f, s, T0 + (i + 1) * NS_S), 0);
		check_rotated_names(f, &rotated, &active);
		assert_int_equal(rotated, i + 1 >= 10 ? 1 : 0);
		assert_int_equal(active, i + 1 == 10 ? 0 : 1);
	}
	assert_int_equal(list_ours(f, names), 2);
	assert_int_equal(pa_store_parse_name(names[0], &first, &last), 2);
	assert_int_equal(first, to_ms(T0));
	assert_int_equal(last, to_ms(T0 + 10 * NS_S));
	assert_int_equal(active_file(f, name), 1);
	assert_int_equal(pa_store_parse_name(name, &first, &last), 1);
	assert_int_equal(first, to_ms(T0 + 10 * NS_S));
	assert_int_equal(last, 0);
	s->ops->close(s);
	expect_records(f, 1, 15, 0, 0);
	check_chain(f, 0);
}

/* ---- 5. retention ---- */

/* One run: open at @at, record @seq, close half a second later. */
static void short_run(struct fx *f, uint64_t at, uint64_t seq, enum pa_store_event_kind want)
{
	struct pa_store_event ev;
	struct pa_sink *s;

	f->now = at;
	s = open_store(f);
	if (seq > 1)
		next_event(s, want, &ev);
	expect_no_event(s);
	put(s, seq);
	f->now = at + 500 * NS_MS;
	s->ops->close(s);
}

static void last_seal(const struct fx *f, const char *name, struct pa_seal *seal)
{
	struct seen sn;

	seen_read(f, name, &sn);
	assert_true(sn.n > 0);
	*seal = sn.seal[sn.n - 1];
	seen_free(&sn);
}

static void expect_retention(struct pa_sink *s, const char *reason, const char *file,
			     uint64_t bytes, const struct pa_seal *seal)
{
	struct pa_store_event ev;
	uint64_t first, last;

	next_event(s, PA_STORE_RETENTION, &ev);
	assert_string_equal(ev.reason, reason);
	assert_string_equal(ev.file, file);
	assert_int_equal(ev.bytes, bytes);
	assert_true(ev.chain_known);
	assert_int_equal(ev.chain_index, seal->index);
	assert_memory_equal(ev.chain_tag, seal->tag, PA_CHAIN_HASH_LEN);
	assert_int_equal(pa_store_parse_name(file, &first, &last), 2);
	assert_int_equal(ev.since_ns, first);
	assert_int_equal(ev.until_ns, last);
}

static void test_retention_by_age_deletes_old_rotated_files_only(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][NAME_LEN], f1[NAME_LEN], f2[NAME_LEN], f3[NAME_LEN], path[256];
	struct pa_seal s1, s2;
	uint64_t z1, z2;
	struct pa_sink *s;

	f->cfg.retain_age_s = 86400;
	short_run(f, T0, 1, PA_STORE_RESUMED);			/* F1: T0 .. T0+0.5s */
	short_run(f, T0 + 20 * HOUR, 2, PA_STORE_RESUMED);	/* F2, and F1 rotated */
	f->now = T0 + 22 * HOUR;
	s = open_store(f); /* F2 rotated; F1 is 22 h old: kept */
	assert_int_equal(stats(s).files_deleted, 0);
	assert_int_equal(list_ours(f, names), 2);
	snprintf(f1, sizeof(f1), "%s", names[0]);
	snprintf(f2, sizeof(f2), "%s", names[1]);
	last_seal(f, f1, &s1);
	last_seal(f, f2, &s2);
	assert_int_equal(s1.index, 0);
	assert_true(s2.index >= 1);
	path_in(f, f1, path, sizeof(path));
	z1 = size_of(path);
	path_in(f, f2, path, sizeof(path));
	z2 = size_of(path);
	{
		struct pa_store_event ev;

		next_event(s, PA_STORE_RESUMED, &ev);
		expect_no_event(s);
	}
	put(s, 3);
	assert_int_equal(flush_at(f, s, T0 + 22 * HOUR + NS_S), 0);
	assert_int_equal(active_file(f, f3), 1);

	/* 30 h: F1 ended more than a day ago, F2 not yet */
	put(s, 4);
	assert_int_equal(flush_at(f, s, T0 + 30 * HOUR), 0);
	expect_retention(s, "age", f1, z1, &s1);
	expect_no_event(s);
	path_in(f, f1, path, sizeof(path));
	assert_false(exists(path));
	path_in(f, f2, path, sizeof(path));
	assert_true(exists(path));

	/* 50 h: F2 goes; the active file, begun 28 h ago, stays and goes on */
	assert_int_equal(flush_at(f, s, T0 + 50 * HOUR), 0);
	expect_retention(s, "age", f2, z2, &s2);
	expect_no_event(s);
	assert_false(exists(path));
	path_in(f, f3, path, sizeof(path));
	assert_true(exists(path));
	assert_int_equal(stats(s).files_deleted, 2);
	put(s, 5);
	assert_int_equal(flush_at(f, s, T0 + 51 * HOUR), 0);
	s->ops->close(s);
	assert_int_equal(list_ours(f, names), 1);
	assert_string_equal(names[0], f3);
	expect_records(f, 3, 5, 0, 0);
	check_chain(f, s2.index + 1);
	{
		struct pa_seal s3;
		struct seen sn;

		seen_read(f, f3, &sn);
		s3 = sn.seal[0];
		seen_free(&sn);
		assert_memory_equal(s3.prev_tag, s2.tag, PA_CHAIN_HASH_LEN);
	}
}

static void test_retention_by_size_deletes_oldest_first(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][NAME_LEN], path[256], name[NAME_LEN];
	uint64_t size[MAX_FILES], limit = 0;
	struct pa_seal seal[MAX_FILES];
	struct pa_store_event ev;
	struct pa_sink *s;
	size_t n;

	f->cfg.rotate_bytes = 1; /* a file per member */
	s = open_store(f);
	for (uint64_t i = 0; i < 6; i++) {
		put_range(s, 3 * i + 1, 3 * i + 3);
		assert_int_equal(flush_at(f, s, T0 + (i + 1) * NS_S), 0);
	}
	s->ops->close(s);
	n = list_ours(f, names);
	assert_true(n >= 6);
	for (size_t i = 0; i < n; i++) {
		path_in(f, names[i], path, sizeof(path));
		size[i] = size_of(path);
		last_seal(f, names[i], &seal[i]);
		assert_int_equal(seal[i].index, i);
		if (i >= 3)
			limit += size[i];
	}

	/* Keep what the newest n-3 hold: the three oldest go, in order. */
	f->cfg.rotate_bytes = 0;
	f->cfg.retain_bytes = limit;
	f->now = T0 + 10 * NS_S;
	s = open_store(f);
	next_event(s, PA_STORE_RESUMED, &ev);
	for (size_t i = 0; i < 3; i++)
		expect_retention(s, "size", names[i], size[i], &seal[i]);
	expect_no_event(s);
	assert_int_equal(stats(s).files_deleted, 3);
	for (size_t i = 0; i < n; i++) {
		path_in(f, names[i], path, sizeof(path));
		assert_int_equal(exists(path), i >= 3);
	}
	s->ops->close(s);
	expect_records(f, 10, 18, 0, 0);
	check_chain(f, 3);

	/* Under a limit nothing meets, the active file still stays. */
	f->cfg.retain_bytes = 1;
	f->now = T0 + 20 * NS_S;
	s = open_store(f); /* deletes every rotated file */
	while (pa_store_next_event(s, &ev))
		if (ev.kind == PA_STORE_RETENTION)
			assert_string_equal(ev.reason, "size");
	put(s, 100);
	assert_int_equal(flush_at(f, s, T0 + 21 * NS_S), 0);
	assert_int_equal(active_file(f, name), 1);
	assert_int_equal(flush_at(f, s, T0 + 21 * NS_S + 2 * HOUR), 0); /* retention runs */
	expect_no_event(s);
	assert_int_equal(list_ours(f, names), 1);
	assert_string_equal(names[0], name);
	s->ops->close(s);
	assert_int_equal(active_file(f, name), 1);
	expect_records(f, 100, 100, 0, 0);
}

/* ---- 6, 7. write errors ---- */

static void test_enospc_keeps_member_pending_cuts_file_back_and_writes_later(void **state)
{
	struct fx *f = *state;
	char name[NAME_LEN], path[256];
	struct pa_store_event ev;
	struct pa_sink *s = open_store(f);
	uint64_t size0;
	struct seen sn;
	unsigned calls;

	put_range(s, 1, 2);
	assert_int_equal(flush_at(f, s, T0 + NS_S), 0);
	assert_int_equal(active_file(f, name), 1);
	path_in(f, name, path, sizeof(path));
	size0 = size_of(path);

	/* 10 bytes reach the file, then the disk is full */
	put_range(s, 3, 4);
	f->fio.short_max = 10;
	f->fio.fail_at = f->fio.calls + 2;
	f->fio.fail_count = 1000;
	f->fio.fail_err = ENOSPC;
	assert_int_equal(flush_at(f, s, T0 + 2 * NS_S), -ENOSPC);
	assert_int_equal(f->fio.short_writes, 1);
	assert_true(stats(s).pending_bytes > 0);
	assert_int_equal(stats(s).write_errors, 1);
	assert_int_equal(stats(s).members, 1);
	assert_int_equal(size_of(path), size0); /* no partial bytes */
	seen_read(f, name, &sn);
	assert_int_equal(sn.n, 1);
	seen_free(&sn);
	expect_no_event(s);

	/* no retry before an interval has passed */
	put_range(s, 5, 6);
	calls = f->fio.calls;
	assert_int_equal(flush_at(f, s, T0 + 2 * NS_S + 500 * NS_MS), -ENOSPC);
	assert_int_equal(f->fio.calls, calls);
	assert_int_equal(flush_at(f, s, T0 + 3 * NS_S), -ENOSPC); /* retried, failed */
	assert_int_equal(f->fio.calls, calls + 1);
	assert_int_equal(stats(s).write_errors, 2);
	assert_int_equal(size_of(path), size0);

	/* space again, in short writes */
	f->fio.fail_at = 0;
	f->fio.short_max = 7;
	assert_int_equal(flush_at(f, s, T0 + 3 * NS_S + 500 * NS_MS), -ENOSPC);
	assert_int_equal(flush_at(f, s, T0 + 4 * NS_S), 0);
	assert_true(f->fio.short_writes > 2);
	assert_int_equal(stats(s).pending_bytes, 0);
	assert_int_equal(stats(s).members, 3);
	assert_int_equal(stats(s).records_lost, 0);
	assert_int_equal(s->write_errors, 0);
	next_event(s, PA_STORE_WRITE_RESUMED, &ev);
	assert_int_equal(ev.records, 0);
	assert_int_equal(ev.bytes, 0);
	assert_int_equal(ev.error, ENOSPC);
	assert_int_equal(ev.since_ns, T0 + 2 * NS_S);
	assert_int_equal(ev.until_ns, T0 + 4 * NS_S);
	expect_no_event(s);
	assert_int_equal(flush_at(f, s, T0 + 5 * NS_S), 0);
	seen_read(f, name, &sn);
	assert_int_equal(sn.n, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(sn.seal[i].records, 2);
		assert_int_equal(sn.seal[i].first_seq, 2 * i + 1);
		assert_int_equal(sn.seal[i].last_seq, 2 * i + 2);
	}
	seen_free(&sn);
	s->ops->close(s);
	expect_records(f, 1, 6, 0, 0);
	check_chain(f, 0);
}

static void test_enospc_on_a_new_file_leaves_it_empty(void **state)
{
	struct fx *f = *state;
	char name[NAME_LEN], path[256];
	struct pa_store_event ev;
	struct pa_sink *s = open_store(f);

	f->fio.fail_at = 1;
	f->fio.fail_count = 1;
	f->fio.fail_err = EIO;
	put(s, 1);
	assert_int_equal(flush_at(f, s, T0 + NS_S), -EIO);
	assert_int_equal(active_file(f, name), 1);
	path_in(f, name, path, sizeof(path));
	assert_int_equal(size_of(path), 0);
	assert_int_equal(flush_at(f, s, T0 + 2 * NS_S), 0);
	next_event(s, PA_STORE_WRITE_RESUMED, &ev);
	assert_int_equal(ev.error, EIO);
	assert_int_equal(ev.records, 0);
	s->ops->close(s);
	expect_records(f, 1, 1, 0, 0);
	check_chain(f, 0);
}

static void test_fsync_failure_is_a_failed_write(void **state)
{
	struct fx *f = *state;
	char name[NAME_LEN], path[256];
	struct pa_store_event ev;
	struct pa_sink *s = open_store(f);
	uint64_t size0;

	put_range(s, 1, 2);
	assert_int_equal(flush_at(f, s, T0 + NS_S), 0);
	assert_int_equal(active_file(f, name), 1);
	path_in(f, name, path, sizeof(path));
	size0 = size_of(path);
	put_range(s, 3, 4);
	f->fio.fsync_fails = 1;
	assert_int_equal(flush_at(f, s, T0 + 2 * NS_S), -EIO);
	assert_int_equal(stats(s).write_errors, 1);
	assert_true(stats(s).pending_bytes > 0);
	assert_int_equal(stats(s).chain_index, 1); /* the chain did not move on */
	assert_int_equal(size_of(path), size0);
	assert_int_equal(flush_at(f, s, T0 + 3 * NS_S), 0);
	next_event(s, PA_STORE_WRITE_RESUMED, &ev);
	assert_int_equal(ev.error, EIO);
	assert_int_equal(ev.records, 0);
	assert_int_equal(stats(s).chain_index, 2);
	s->ops->close(s);
	expect_records(f, 1, 4, 0, 0); /* once each */
	check_chain(f, 0);
}

static void test_short_writes_are_continued(void **state)
{
	struct fx *f = *state;
	struct pa_sink *s = open_store(f);

	f->fio.short_max = 3;
	put_range(s, 1, 5);
	assert_int_equal(flush_at(f, s, T0 + NS_S), 0);
	put_range(s, 6, 9);
	s->ops->close(s);
	assert_true(f->fio.short_writes > 20);
	assert_int_equal(f->fio.calls, f->fio.short_writes + 2); /* each write's tail fits */
	expect_records(f, 1, 9, 0, 0);
	assert_int_equal(check_chain(f, 0), 2);
}

static void test_pending_limit_drops_oldest_members_and_says_which(void **state)
{
	struct fx *f = *state;
	char name[NAME_LEN], buf[128];
	struct pa_store_event ev;
	struct pa_sink *s;
	struct seen sn;
	uint64_t lost_bytes = 0;

	for (uint64_t q = 4; q <= 9; q++)
		lost_bytes += record(q, buf, sizeof(buf));
	f->cfg.pending_max_bytes = 1;
	s = open_store(f);
	put_range(s, 1, 3);
	assert_int_equal(flush_at(f, s, T0 + NS_S), 0);

	f->fio.fail_all = true;
	f->fio.fail_err = ENOSPC;
	put_range(s, 4, 6);
	assert_int_equal(flush_at(f, s, T0 + 2 * NS_S), -ENOSPC);
	assert_int_equal(stats(s).records_lost, 0);
	put_range(s, 7, 9);
	assert_int_equal(flush_at(f, s, T0 + 3 * NS_S), -ENOSPC); /* 4-6 dropped */
	assert_int_equal(stats(s).records_lost, 3);
	put_range(s, 10, 12);
	assert_int_equal(flush_at(f, s, T0 + 4 * NS_S), -ENOSPC); /* 7-9 dropped */
	assert_int_equal(stats(s).records_lost, 6);
	assert_int_equal(s->write_errors, 6);
	assert_int_equal(stats(s).write_errors, 3);

	f->fio.fail_all = false;
	assert_int_equal(flush_at(f, s, T0 + 5 * NS_S), 0); /* 10-12 written */
	next_event(s, PA_STORE_WRITE_RESUMED, &ev);
	assert_int_equal(ev.records, 6);
	assert_int_equal(ev.first_seq, 4);
	assert_int_equal(ev.last_seq, 9);
	assert_int_equal(ev.bytes, lost_bytes);
	assert_int_equal(ev.error, ENOSPC);
	assert_int_equal(ev.since_ns, T0 + 2 * NS_S);
	assert_int_equal(ev.until_ns, T0 + 5 * NS_S);
	expect_no_event(s);
	assert_int_equal(stats(s).pending_bytes, 0);
	assert_int_equal(s->records, 6);
	s->ops->close(s);
	expect_records(f, 1, 3, 10, 12);
	assert_int_equal(active_file(f, name), 1);
	seen_read(f, name, &sn);
	assert_true(sn.n >= 2);
	assert_int_equal(sn.seal[1].first_seq, 10);
	assert_int_equal(sn.seal[1].last_seq, 12);
	seen_free(&sn);
	assert_int_equal(check_chain(f, 0), sn.n); /* no gap where 4-9 were */
}

/* ---- 8. recovery ---- */

/* A run that writes two members and dies. */
static int crash_two_members(struct fx *f)
{
	struct pa_sink *s = pa_store_open(&f->cfg, f->err, sizeof(f->err));

	if (!s || child_put(s, 1, 2))
		return 1;
	f->now += NS_S;
	if (s->ops->flush(s) || child_put(s, 3, 4))
		return 2;
	f->now += NS_S;
	if (s->ops->flush(s))
		return 3;
	return 0;
}

/* The same, keeping a copy of .chain as it was before the second member. */
static int crash_before_state_saved(struct fx *f)
{
	struct pa_sink *s = pa_store_open(&f->cfg, f->err, sizeof(f->err));
	char from[256], to[256];
	size_t len;
	char *t;

	if (!s || child_put(s, 1, 2))
		return 1;
	f->now += NS_S;
	if (s->ops->flush(s) || child_put(s, 3, 4))
		return 2;
	snprintf(from, sizeof(from), "%s/%s", f->dir, PA_STORE_STATE_NAME);
	snprintf(to, sizeof(to), "%s/chain.saved", f->root);
	t = unit_read_file(from, &len);
	if (!t)
		return 3;
	{
		int fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0 || write(fd, t, len) != (ssize_t)len)
			return 4;
		close(fd);
	}
	f->now += NS_S;
	if (s->ops->flush(s))
		return 5;
	return 0;
}

static void test_crash_partial_member_is_kept_aside_and_the_chain_goes_on(void **state)
{
	struct fx *f = *state;
	char name[NAME_LEN], path[256], partial[256], rotated[NAME_LEN], names[MAX_FILES][NAME_LEN];
	struct pa_store_event ev;
	struct pa_gzw w;
	struct pa_seal last;
	struct pa_sink *s;
	uint8_t *member;
	size_t mlen, half, plen;
	char *pdata, big[4096];
	uint64_t first, last_ns;
	int fd;

	crash_run(f, crash_two_members);
	assert_int_equal(active_file(f, name), 1);
	last_seal(f, name, &last);
	assert_int_equal(last.index, 1);

	/* the first half of a third member reached the disk */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)('a' + (i * 7919) % 26);
	assert_int_equal(pa_gzw_init(&w, 6), 0);
	assert_int_equal(pa_gzw_add(&w, big, sizeof(big)), 0);
	assert_int_equal(pa_gzw_finish(&w, &member, &mlen), 0);
	pa_gzw_free(&w);
	half = mlen / 2;
	path_in(f, name, path, sizeof(path));
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, member, half), (ssize_t)half);
	close(fd);

	f->now = T0 + 10 * NS_S;
	s = open_store(f);
	next_event(s, PA_STORE_RECOVERED, &ev);
	assert_string_equal(ev.file, name);
	snprintf(partial, sizeof(partial), "%s" PA_STORE_PARTIAL, name);
	assert_string_equal(ev.partial, partial);
	assert_int_equal(ev.bytes, half);
	assert_int_equal(ev.members, 0);
	assert_int_equal(ev.chain_index, 2);
	assert_int_equal(ev.since_ns, last.time_ns);
	expect_no_event(s);
	assert_int_equal(stats(s).chain_index, 2);

	/* the cut-off bytes, exactly */
	path_in(f, partial, path, sizeof(path));
	pdata = unit_read_file(path, &plen);
	assert_non_null(pdata);
	assert_int_equal(plen, half);
	assert_memory_equal(pdata, member, half);
	free(pdata);
	free(member);

	/* the active file was rotated, whole members only */
	path_in(f, name, path, sizeof(path));
	assert_false(exists(path));
	assert_int_equal(list_ours(f, names), 1);
	assert_int_equal(pa_store_parse_name(names[0], &first, &last_ns), 2);
	assert_int_equal(last_ns, to_ms(last.time_ns));
	snprintf(rotated, sizeof(rotated), "%s", names[0]);
	expect_records(f, 1, 4, 0, 0);

	put(s, 5);
	assert_int_equal(flush_at(f, s, T0 + 11 * NS_S), 0);
	assert_int_equal(active_file(f, name), 1);
	last_seal(f, name, &last);
	assert_int_equal(last.index, 2);
	assert_true(last.flags & PA_SEAL_RUN_START);
	s->ops->close(s);
	expect_records(f, 1, 5, 0, 0);
	check_chain(f, 0);
	expect_verify_ok(f, 2, 1);
	assert_int_equal(verify(f).partial_files, 1);
}

static void test_crash_before_state_saved_takes_the_member_into_the_chain(void **state)
{
	struct fx *f = *state;
	char path[256], saved[256], name[NAME_LEN];
	struct pa_store_event ev;
	struct pa_seal last;
	struct pa_sink *s;

	crash_run(f, crash_before_state_saved);
	path_in(f, PA_STORE_STATE_NAME, path, sizeof(path));
	snprintf(saved, sizeof(saved), "%s/chain.saved", f->root);
	assert_int_equal(rename(saved, path), 0);
	expect_chain_state(f, "\nindex 1\n");

	f->now = T0 + 10 * NS_S;
	s = open_store(f);
	next_event(s, PA_STORE_RECOVERED, &ev);
	assert_int_equal(ev.members, 1);
	assert_int_equal(ev.bytes, 0);
	assert_string_equal(ev.partial, "");
	assert_int_equal(ev.chain_index, 2);
	expect_no_event(s);
	assert_int_equal(stats(s).chain_index, 2);
	expect_chain_state(f, "\nindex 2\n");
	put(s, 5);
	assert_int_equal(flush_at(f, s, T0 + 11 * NS_S), 0);
	assert_int_equal(active_file(f, name), 1);
	last_seal(f, name, &last);
	assert_int_equal(last.index, 2);
	s->ops->close(s);
	expect_records(f, 1, 5, 0, 0);
	check_chain(f, 0);
}

static void test_crash_with_a_seal_the_key_rejects_is_unverified(void **state)
{
	struct fx *f = *state;
	char path[256], saved[256], name[NAME_LEN];
	struct pa_store_event ev;
	uint8_t *raw;
	size_t len;
	int fd;

	crash_run(f, crash_before_state_saved);
	path_in(f, PA_STORE_STATE_NAME, path, sizeof(path));
	snprintf(saved, sizeof(saved), "%s/chain.saved", f->root);
	assert_int_equal(rename(saved, path), 0);
	/* the member .chain has not seen: its seal's tag altered */
	assert_int_equal(active_file(f, name), 1);
	path_in(f, name, path, sizeof(path));
	raw = (uint8_t *)unit_read_file(path, &len);
	assert_non_null(raw);
	raw[len - 8 - 2 - 1] ^= 1; /* the tag's last byte */
	fd = open(path, O_WRONLY);
	assert_int_equal(pwrite(fd, raw, len, 0), (ssize_t)len);
	close(fd);
	free(raw);

	f->now = T0 + 10 * NS_S;
	{
		struct pa_sink *s = open_store(f);

		next_event(s, PA_STORE_UNVERIFIED, &ev);
		assert_string_equal(ev.file, name);
		next_event(s, PA_STORE_RECOVERED, &ev);
		assert_int_equal(ev.members, 0);
		assert_int_equal(ev.bytes, 0); /* kept: it is a whole member */
		assert_int_equal(ev.chain_index, 1);
		expect_no_event(s);
		s->ops->close(s);
	}
	assert_int_equal(verify(f).status, PA_VERIFY_ALTERED);
}

static void test_crash_with_no_leftovers_is_still_recovered(void **state)
{
	struct fx *f = *state;
	struct pa_store_event ev;
	struct pa_sink *s;

	crash_run(f, crash_two_members);
	f->now = T0 + 10 * NS_S;
	s = open_store(f);
	next_event(s, PA_STORE_RECOVERED, &ev);
	assert_int_equal(ev.bytes, 0);
	assert_int_equal(ev.members, 0);
	assert_int_equal(ev.chain_index, 2);
	expect_no_event(s);
	s->ops->close(s);
	check_chain(f, 0);
}

static void test_clean_close_then_reopen_is_resumed(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][NAME_LEN];
	struct pa_store_event ev;
	struct pa_sink *s = open_store(f);
	uint64_t next;

	put_range(s, 1, 2);
	assert_int_equal(flush_at(f, s, T0 + NS_S), 0);
	put(s, 3);
	s->ops->close(s);
	next = check_chain(f, 0);
	assert_int_equal(next, 2);

	f->now = T0 + 10 * NS_S;
	s = open_store(f);
	next_event(s, PA_STORE_RESUMED, &ev);
	assert_int_equal(ev.chain_index, 2);
	assert_int_equal(ev.bytes, 0);
	expect_no_event(s);
	assert_int_equal(list_ours(f, names), 1); /* rotated */
	assert_non_null(strstr(names[0], "--"));
	expect_chain_state(f, "\nclean 0\n"); /* running: a stop now would be a crash */
	put(s, 4);
	s->ops->close(s);
	expect_records(f, 1, 4, 0, 0);
	assert_int_equal(check_chain(f, 0), 3);
	expect_verify_ok(f, 2, 0);
}

/* ---- 9. names ---- */

static void test_format_and_parse_names_round_trip(void **state)
{
	static const uint64_t times[] = { T0, 0, 999 * NS_MS, 4102444799ULL * NS_S + 999999999ULL };
	static const char *const not_ours[] = {
		"phiaudit-x.json.gz",
		".chain",
		"foo.json.gz.partial",
		"phiaudit-20261123T101500.123Z.json.gz.partial",
		"phiaudit-20261123T101500.123Z.json",
		"phiaudit-20261123T101500.123.json.gz",
		"phiaudit-20261123T101500.123Z-20261123T101501.000Z.json.gz",
		"phiaudit-20261123T101500.123Z--.json.gz",
		"phiaudit-20261123T101500.123Z--20261123T101501.000Zx.json.gz",
		"phiaudit-+0261123T101500.123Z.json.gz",
		"phiaudit-20261123T101500.-12Z.json.gz",
		"phiaudit-2026112 T101500.123Z.json.gz",
		"audit-20261123T101500.123Z.json.gz",
		"",
	};
	char t[32], u[32], name[NAME_LEN];
	uint64_t first, last;

	assert_int_equal(pa_store_format_time(T0, t, sizeof(t)), 0);
	assert_string_equal(t, "20261123T101500.123Z");
	assert_int_equal(pa_store_format_time(T0, t, 20), -1); /* no room for the NUL */
	for (size_t i = 0; i < ARRAY_LEN(times); i++) {
		uint64_t later = times[i] + 86400 * NS_S + 1;

		assert_int_equal(pa_store_format_time(times[i], t, sizeof(t)), 0);
		assert_int_equal(pa_store_format_time(later, u, sizeof(u)), 0);
		snprintf(name, sizeof(name), "phiaudit-%s.json.gz", t);
		assert_int_equal(pa_store_parse_name(name, &first, &last), 1);
		assert_int_equal(first, to_ms(times[i]));
		assert_int_equal(last, 0);
		snprintf(name, sizeof(name), "phiaudit-%s--%s.json.gz", t, u);
		assert_int_equal(pa_store_parse_name(name, &first, &last), 2);
		assert_int_equal(first, to_ms(times[i]));
		assert_int_equal(last, to_ms(later));
	}
	for (size_t i = 0; i < ARRAY_LEN(not_ours); i++) {
		if (pa_store_parse_name(not_ours[i], &first, &last)) {
			print_error("'%s' parsed as a store file\n", not_ours[i]);
			fail();
		}
	}
}

/* ---- 10. symlinks ---- */

static void test_symlink_for_the_directory_is_refused(void **state)
{
	struct fx *f = *state;
	char link[128], key[2 * PA_CHAIN_KEY_LEN + 1];

	snprintf(link, sizeof(link), "%s/link", f->root);
	assert_int_equal(symlink(f->dir, link), 0);
	f->cfg.dir = link;
	assert_null(pa_store_open(&f->cfg, f->err, sizeof(f->err)));
	assert_contains(f->err, link);
	assert_contains(f->err, "symbolic link");
	assert_int_equal(pa_store_init_key(link, (gid_t)-1, key, f->err, sizeof(f->err)), -1);
	assert_contains(f->err, link);
	{
		char names[MAX_FILES][NAME_LEN];

		assert_int_equal(list_ours(f, names), 0); /* nothing written through it */
	}
}

#define T(fn)  cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define TK(fn) cmocka_unit_test_setup_teardown(fn, setup_key, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TK(test_init_key_creates_dir_0750_and_chain_0600_with_a_fresh_key),
		T(test_init_key_ignores_a_strict_umask),
		TK(test_init_key_refuses_when_a_chain_exists),
	TK(test_init_key_refuses_old_log_files_without_a_chain),
	TK(test_a_second_writer_is_refused),
		T(test_open_without_key_says_to_run_init_key),
		TK(test_open_with_corrupt_chain_names_the_line),
		TK(test_open_fixes_chain_mode_0644_to_0600),
		TK(test_one_member_per_flush_interval_read_back_exactly),
		TK(test_close_with_everything_written_still_ends_the_run),
		TK(test_member_closes_at_member_max_bytes_without_clock),
		TK(test_rotation_by_size_names_files_by_last_seal),
		TK(test_name_clash_moves_the_new_file_on_a_millisecond),
		TK(test_rotation_by_age_uses_the_clock),
		TK(test_retention_by_age_deletes_old_rotated_files_only),
		TK(test_retention_by_size_deletes_oldest_first),
		TK(test_enospc_keeps_member_pending_cuts_file_back_and_writes_later),
		TK(test_enospc_on_a_new_file_leaves_it_empty),
		TK(test_fsync_failure_is_a_failed_write),
		TK(test_short_writes_are_continued),
		TK(test_pending_limit_drops_oldest_members_and_says_which),
		TK(test_crash_partial_member_is_kept_aside_and_the_chain_goes_on),
		TK(test_crash_before_state_saved_takes_the_member_into_the_chain),
		TK(test_crash_with_a_seal_the_key_rejects_is_unverified),
		TK(test_crash_with_no_leftovers_is_still_recovered),
		TK(test_clean_close_then_reopen_is_resumed),
		T(test_format_and_parse_names_round_trip),
		TK(test_symlink_for_the_directory_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
