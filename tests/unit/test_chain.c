// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The tamper-evidence chain (chain.h), gzip members one at a time
 * (gzmember.h) and `phiaudit verify` (verify.h). Logs to verify are made
 * by the real store (store.h) under an injected clock, then altered the
 * way an intruder or a crash would: a byte flipped, a member or a file
 * removed, members swapped, a file cut short, a member slipped in.
 *
 * Verdicts: OK (complete and unaltered), ALTERED (anything else a person
 * did), CRASH (only the newest active file ends mid-member), ERROR.
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <zlib.h>

#include "chain.h"
#include "gzmember.h"
#include "jsonw.h"
#include "ocsf.h"
#include "store.h"
#include "verify.h"

#define NS_PER_MS 1000000ULL
#define NS_PER_S  1000000000ULL
#define T0_NS	  (1767225600ULL * NS_PER_S) /* 2026-01-01T00:00:00Z */
#define RECS	  3			     /* records in every data member */
#define MAX_FILES 16
#define MAX_MEMBERS 64

/* ---- fixture: a log directory with a fresh chain, a clock we move ---- */

struct fx {
	char dir[64];
	uint8_t key0[PA_CHAIN_KEY_LEN];
	struct pa_store_config cfg;
	uint64_t now; /* UTC ns, the store's clock */
	uint64_t seq; /* the last record sequence written */
	char err[512];
	char *report; /* verify's findings, one a line */
	size_t report_len;
	struct pa_verify_result res;
};

static uint64_t fake_now(void *ctx)
{
	return *(const uint64_t *)ctx;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char hex[2 * PA_CHAIN_KEY_LEN + 1];

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/pa-chain-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	if (pa_store_init_key(f->dir, (gid_t)-1, hex, f->err, sizeof(f->err))) {
		fprintf(stderr, "%s\n", f->err);
		return -1;
	}
	if (pa_unhex(hex, strlen(hex), f->key0, sizeof(f->key0)))
		return -1;
	pa_store_config_defaults(&f->cfg, f->dir);
	f->now = T0_NS;
	f->cfg.now_ns = fake_now;
	f->cfg.clock_ctx = &f->now;
	f->cfg.flush_interval_ms = 10;
	f->cfg.rotate_bytes = 0;
	f->cfg.rotate_age_s = 0;
	f->cfg.retain_age_s = 0;
	*state = f;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int rc = nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);

	free(f->report);
	free(f);
	return rc;
}

#define assert_has(hay, needle)                                                          \
	do {                                                                             \
		if (!strstr((hay), (needle))) {                                          \
			print_error("'%s' not found in: %s\n", (needle), (hay));         \
			fail();                                                          \
		}                                                                        \
	} while (0)

/* ---- driving the store ---- */

static struct pa_sink *store_open(struct fx *f)
{
	struct pa_sink *s = pa_store_open(&f->cfg, f->err, sizeof(f->err));

	if (!s)
		print_error("pa_store_open: %s\n", f->err);
	assert_non_null(s);
	return s;
}

static size_t record_line(uint64_t seq, char *buf, size_t cap)
{
	return (size_t)snprintf(buf, cap,
				"{\"metadata\":{\"sequence\":%llu},\"file\":{\"path\":"
				"\"/srv/phi/patient-%llu.pdf\"}}\n",
				(unsigned long long)seq, (unsigned long long)seq * 7919);
}

static void add_line(struct fx *f, struct pa_sink *s, const char *line, size_t len)
{
	assert_int_equal(s->ops->write(s, line, len, ++f->seq, LOG_INFO), 0);
}

static void add_records(struct fx *f, struct pa_sink *s, int n)
{
	char line[256];

	f->now += 100 * NS_PER_MS;
	for (int i = 0; i < n; i++) {
		uint64_t seq = f->seq + 1;

		add_line(f, s, line, record_line(seq, line, sizeof(line)));
	}
}

/* Past the flush interval: the member is closed, sealed and written. */
static void seal_member(struct fx *f, struct pa_sink *s)
{
	f->now += NS_PER_S;
	assert_int_equal(s->ops->flush(s), 0);
}

/* The compressed size of a typical data member (RECS records). */
static size_t data_member_len(const struct fx *f)
{
	struct pa_gzw w;
	uint8_t *m;
	size_t len;
	char line[256];

	assert_int_equal(pa_gzw_init(&w, f->cfg.level), 0);
	for (int i = 1; i <= RECS; i++)
		assert_int_equal(pa_gzw_add(&w, line, record_line(10 + i, line, sizeof(line))), 0);
	assert_int_equal(pa_gzw_finish(&w, &m, &len), 0);
	free(m);
	pa_gzw_free(&w);
	return len;
}

/*
 * One agent run writing @members members of RECS records, @per_file to a
 * file (0: never rotate), then stopping cleanly (the last member, written
 * at close, carries RUN_END).
 */
static void make_log(struct fx *f, int members, int per_file)
{
	struct pa_sink *s;

	if (per_file) {
		size_t pair = data_member_len(f) + PA_SEAL_MEMBER_LEN;

		/* half a pair of slack: members differ by a byte or two */
		f->cfg.rotate_bytes = per_file * pair - pair / 2;
	}
	s = store_open(f);
	for (int i = 0; i < members; i++) {
		add_records(f, s, RECS);
		if (i + 1 < members)
			seal_member(f, s);
	}
	f->now += NS_PER_S;
	s->ops->close(s);
}

/* ---- the directory and its files ---- */

static int cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* Log files (not .partial), sorted as verify reads them. */
static int list_logs(const struct fx *f, char names[MAX_FILES][128])
{
	DIR *d = opendir(f->dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		uint64_t a, b;

		if (!pa_store_parse_name(de->d_name, &a, &b))
			continue;
		assert_true(n < MAX_FILES);
		assert_true(strlen(de->d_name) < 128);
		memcpy(names[n++], de->d_name, strlen(de->d_name) + 1);
	}
	closedir(d);
	qsort(names, (size_t)n, 128, cmp_name);
	return n;
}

static void path_of(const struct fx *f, const char *name, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s/%s", f->dir, name);
}

static uint8_t *load(const struct fx *f, const char *name, size_t *len)
{
	char path[256];
	char *buf;

	path_of(f, name, path, sizeof(path));
	buf = unit_read_file(path, len);
	assert_non_null(buf);
	return (uint8_t *)buf;
}

static void store_bytes(const struct fx *f, const char *name, const void *buf, size_t len)
{
	char path[256];
	int fd;

	path_of(f, name, path, sizeof(path));
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

struct memb {
	size_t off, len;
	bool seal;
	struct pa_seal s;
};

/* Every member of a file, which must read whole. */
static int members_of(const uint8_t *buf, size_t len, struct memb out[MAX_MEMBERS])
{
	struct pa_gz_member m;
	char why[160];
	size_t off = 0;
	int n = 0;

	while (off < len) {
		assert_int_equal(pa_gz_member_read(buf, len, off, &m, NULL, NULL, why, sizeof(why)),
				 PA_GZ_MEMBER);
		assert_true(n < MAX_MEMBERS);
		out[n].off = m.off;
		out[n].len = m.len;
		out[n].seal = m.is_seal;
		out[n].s = m.seal;
		n++;
		off += m.len;
	}
	return n;
}

/* Replace bytes [off, off+cut) of a file with @ins (@n bytes). */
static void splice_file(const struct fx *f, const char *name, size_t off, size_t cut, const void *ins,
		   size_t n)
{
	size_t len;
	uint8_t *buf = load(f, name, &len), *out;

	assert_true(off + cut <= len);
	out = malloc(len - cut + n + 1);
	assert_non_null(out);
	memcpy(out, buf, off);
	if (n)
		memcpy(out + off, ins, n);
	memcpy(out + off + n, buf + off + cut, len - off - cut);
	store_bytes(f, name, out, len - cut + n);
	free(out);
	free(buf);
}

static void flip_byte(const struct fx *f, const char *name, size_t off)
{
	size_t len;
	uint8_t *buf = load(f, name, &len);

	assert_true(off < len);
	buf[off] ^= 0x20;
	store_bytes(f, name, buf, len);
	free(buf);
}

static void cut_file(const struct fx *f, const char *name, size_t len)
{
	char path[256];

	path_of(f, name, path, sizeof(path));
	assert_int_equal(truncate(path, (off_t)len), 0);
}

static void remove_file(const struct fx *f, const char *name)
{
	char path[256];

	path_of(f, name, path, sizeof(path));
	assert_int_equal(unlink(path), 0);
}

static enum pa_verify_status verify_key(struct fx *f, const uint8_t key[PA_CHAIN_KEY_LEN])
{
	FILE *out;
	enum pa_verify_status st;

	free(f->report);
	f->report = NULL;
	out = open_memstream(&f->report, &f->report_len);
	assert_non_null(out);
	st = pa_verify_dir(f->dir, key, out, NULL, &f->res);
	assert_int_equal(fclose(out), 0);
	assert_int_equal(st, f->res.status);
	return st;
}

static enum pa_verify_status verify(struct fx *f)
{
	return verify_key(f, f->key0);
}

/* ---- 1. the chain ---- */

static void sample_seal(struct pa_seal *s)
{
	memset(s, 0, sizeof(*s));
	s->version = PA_SEAL_VERSION;
	s->flags = PA_SEAL_RUN_START;
	s->index = 0x0102030405060708ULL;
	s->records = 42;
	s->first_seq = 1000;
	s->last_seq = 1041;
	s->time_ns = T0_NS + 123456789;
	for (int i = 0; i < PA_CHAIN_HASH_LEN; i++) {
		s->member_sha256[i] = (uint8_t)(0xa0 + i);
		s->prev_tag[i] = (uint8_t)(0x10 + i);
	}
}

static void test_commit_moves_the_key_to_its_sha256_and_the_tag_to_prev(void **state)
{
	struct pa_chain c;
	struct pa_seal s;
	uint8_t k0[PA_CHAIN_KEY_LEN], k1[PA_CHAIN_KEY_LEN], k2[PA_CHAIN_KEY_LEN];
	uint8_t tag[PA_CHAIN_HASH_LEN], zero[PA_CHAIN_HASH_LEN] = { 0 };

	for (int i = 0; i < PA_CHAIN_KEY_LEN; i++)
		k0[i] = (uint8_t)(3 * i + 1);
	memset(&c, 0, sizeof(c));
	memcpy(c.key, k0, sizeof(k0));
	sample_seal(&s);
	s.index = 99;		  /* overwritten from the chain */
	s.prev_tag[0] = 0xee;	  /* likewise */
	pa_chain_seal(&c, &s);
	assert_int_equal(s.version, PA_SEAL_VERSION);
	assert_int_equal(s.index, 0);
	assert_memory_equal(s.prev_tag, zero, PA_CHAIN_HASH_LEN);
	pa_seal_tag(k0, &s, tag);
	assert_memory_equal(s.tag, tag, PA_CHAIN_HASH_LEN);
	/* sealing does not move the chain: only commit does */
	assert_int_equal(c.index, 0);
	assert_memory_equal(c.key, k0, PA_CHAIN_KEY_LEN);

	pa_chain_commit(&c, &s);
	SHA256(k0, sizeof(k0), k1);
	assert_int_equal(c.index, 1);
	assert_memory_equal(c.key, k1, PA_CHAIN_KEY_LEN);
	assert_memory_equal(c.prev_tag, s.tag, PA_CHAIN_HASH_LEN);

	/* the next member: index 1, its prev_tag the first tag, under k1 */
	pa_chain_seal(&c, &s);
	assert_int_equal(s.index, 1);
	assert_memory_equal(s.prev_tag, tag, PA_CHAIN_HASH_LEN);
	pa_seal_tag(k1, &s, tag);
	assert_memory_equal(s.tag, tag, PA_CHAIN_HASH_LEN);
	pa_chain_commit(&c, &s);
	SHA256(k1, sizeof(k1), k2);
	assert_memory_equal(c.key, k2, PA_CHAIN_KEY_LEN);

	memcpy(k1, k0, sizeof(k0));
	pa_chain_next_key(k1);
	pa_chain_next_key(k1);
	assert_memory_equal(k1, k2, PA_CHAIN_KEY_LEN);
}

/* One field changed: the tag must change. */
#define ASSERT_TAG_CHANGES(mutation)                                                     \
	do {                                                                             \
		struct pa_seal m = base;                                                 \
		uint8_t mt[PA_CHAIN_HASH_LEN];                                           \
		mutation;                                                                \
		pa_seal_tag(key, &m, mt);                                                \
		if (pa_tag_equal(mt, t0)) {                                              \
			print_error("the tag does not cover: %s\n", #mutation);          \
			fail();                                                          \
		}                                                                        \
	} while (0)

static void test_seal_tag_covers_every_field_and_the_key(void **state)
{
	uint8_t key[PA_CHAIN_KEY_LEN] = { 7 }, key2[PA_CHAIN_KEY_LEN];
	uint8_t t0[PA_CHAIN_HASH_LEN], t[PA_CHAIN_HASH_LEN];
	struct pa_seal base, same;

	sample_seal(&base);
	pa_seal_tag(key, &base, t0);
	ASSERT_TAG_CHANGES(m.index++);
	ASSERT_TAG_CHANGES(m.index ^= 1ULL << 63);
	ASSERT_TAG_CHANGES(m.records++);
	ASSERT_TAG_CHANGES(m.first_seq++);
	ASSERT_TAG_CHANGES(m.last_seq--);
	ASSERT_TAG_CHANGES(m.time_ns++);
	ASSERT_TAG_CHANGES(m.member_sha256[31] ^= 1);
	ASSERT_TAG_CHANGES(m.member_sha256[0] ^= 0x80);
	ASSERT_TAG_CHANGES(m.prev_tag[0] ^= 1);
	ASSERT_TAG_CHANGES(m.prev_tag[31] ^= 0x80);
	ASSERT_TAG_CHANGES(m.flags ^= PA_SEAL_RUN_END);
	ASSERT_TAG_CHANGES(m.flags ^= PA_SEAL_RUN_START);
	ASSERT_TAG_CHANGES(m.version++);
	/* another key */
	memcpy(key2, key, sizeof(key));
	key2[31] ^= 1;
	pa_seal_tag(key2, &base, t);
	assert_false(pa_tag_equal(t, t0));

	/* the tag field itself is not input to the tag */
	same = base;
	memset(same.tag, 0x5a, sizeof(same.tag));
	pa_seal_tag(key, &same, t);
	assert_memory_equal(t, t0, PA_CHAIN_HASH_LEN);
}

/* The tag pinned independently: HMAC-SHA256(k, "phiaudit-seal-v1" || the
 * first 108 payload bytes), little-endian fields at fixed offsets. */
static void test_seal_tag_is_hmac_sha256_over_the_documented_layout(void **state)
{
	uint8_t key[PA_CHAIN_KEY_LEN], msg[16 + 108] = { 0 }, want[32], got[32];
	unsigned int wlen = sizeof(want);
	struct pa_seal s;
	uint8_t *p = msg + 16;

	for (int i = 0; i < PA_CHAIN_KEY_LEN; i++)
		key[i] = (uint8_t)(0xff - i);
	sample_seal(&s);
	s.flags = PA_SEAL_RUN_START | PA_SEAL_RUN_END;
	memcpy(msg, "phiaudit-seal-v1", 16);
	p[0] = PA_SEAL_VERSION;
	p[1] = PA_SEAL_RUN_START | PA_SEAL_RUN_END;
	for (int i = 0; i < 8; i++) {
		p[4 + i] = (uint8_t)(s.index >> (8 * i));
		p[12 + i] = (uint8_t)(s.records >> (8 * i));
		p[20 + i] = (uint8_t)(s.first_seq >> (8 * i));
		p[28 + i] = (uint8_t)(s.last_seq >> (8 * i));
		p[36 + i] = (uint8_t)(s.time_ns >> (8 * i));
	}
	memcpy(p + 44, s.member_sha256, 32);
	memcpy(p + 76, s.prev_tag, 32);
	assert_non_null(HMAC(EVP_sha256(), key, sizeof(key), msg, sizeof(msg), want, &wlen));
	pa_seal_tag(key, &s, got);
	assert_memory_equal(got, want, sizeof(want));
}

static void assert_seal_equal(const struct pa_seal *a, const struct pa_seal *b)
{
	assert_int_equal(a->version, b->version);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->index, b->index);
	assert_int_equal(a->records, b->records);
	assert_int_equal(a->first_seq, b->first_seq);
	assert_int_equal(a->last_seq, b->last_seq);
	assert_int_equal(a->time_ns, b->time_ns);
	assert_memory_equal(a->member_sha256, b->member_sha256, PA_CHAIN_HASH_LEN);
	assert_memory_equal(a->prev_tag, b->prev_tag, PA_CHAIN_HASH_LEN);
	assert_memory_equal(a->tag, b->tag, PA_CHAIN_HASH_LEN);
}

static void test_seal_member_layout_and_parse_round_trip(void **state)
{
	static const uint8_t head[16] = { 0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff,
					  144, 0, 'P', 'A', 140, 0 };
	uint8_t buf[PA_SEAL_MEMBER_LEN + 4], zero[8] = { 0 };
	uint8_t key[PA_CHAIN_KEY_LEN] = { 1, 2, 3 };
	struct pa_seal s, back;

	assert_int_equal(PA_SEAL_MEMBER_LEN, 166);
	sample_seal(&s);
	pa_seal_tag(key, &s, s.tag);
	memset(buf, 0xcc, sizeof(buf));
	pa_seal_member(&s, buf);
	assert_memory_equal(buf, head, sizeof(head));
	assert_int_equal(buf[16], PA_SEAL_VERSION);
	assert_memory_equal(buf + 16 + 108, s.tag, PA_CHAIN_HASH_LEN);
	assert_int_equal(buf[156], 0x03); /* empty final fixed-Huffman block */
	assert_int_equal(buf[157], 0x00);
	assert_memory_equal(buf + 158, zero, 8);
	assert_int_equal(buf[166], 0xcc); /* nothing written past the member */

	assert_int_equal(pa_seal_parse(buf, PA_SEAL_MEMBER_LEN, &back), 1);
	assert_seal_equal(&back, &s);
	/* bytes after the seal (the next member) do not matter */
	assert_int_equal(pa_seal_parse(buf, sizeof(buf), &back), 1);
	assert_seal_equal(&back, &s);
}

static void test_seal_parse_tells_data_from_malformed_seals(void **state)
{
	uint8_t good[PA_SEAL_MEMBER_LEN], bad[PA_SEAL_MEMBER_LEN], *data;
	struct pa_seal s;
	struct pa_gz_member m;
	struct pa_gzw w;
	size_t dlen;
	char why[160] = "";

	sample_seal(&s);
	pa_seal_member(&s, good);
	/* an ordinary gzip member is not a seal */
	assert_int_equal(pa_gzw_init(&w, 6), 0);
	assert_int_equal(pa_gzw_add(&w, "x\n", 2), 0);
	assert_int_equal(pa_gzw_finish(&w, &data, &dlen), 0);
	assert_int_equal(pa_seal_parse(data, dlen, &s), 0);
	free(data);
	pa_gzw_free(&w);
	/* a seal's header with a wrong version, payload length, flag byte */
	memcpy(bad, good, sizeof(bad));
	bad[16] = PA_SEAL_VERSION + 1;
	assert_int_equal(pa_seal_parse(bad, sizeof(bad), &s), -1);
	assert_int_equal(pa_gz_member_read(bad, sizeof(bad), 0, &m, NULL, NULL, why, sizeof(why)),
			 PA_GZ_BAD_SEAL);
	assert_has(why, "malformed");
	memcpy(bad, good, sizeof(bad));
	bad[14] = 139;
	assert_int_equal(pa_seal_parse(bad, sizeof(bad), &s), -1);
	memcpy(bad, good, sizeof(bad));
	bad[3] = 4 | 8; /* FEXTRA and FNAME */
	assert_int_equal(pa_seal_parse(bad, sizeof(bad), &s), -1);
	/* cut short: malformed to the parser, incomplete to the reader */
	assert_int_equal(pa_seal_parse(good, 100, &s), -1);
	assert_int_equal(pa_gz_member_read(good, 100, 0, &m, NULL, NULL, why, sizeof(why)),
			 PA_GZ_INCOMPLETE);
	assert_has(why, "ends inside a seal");
}

/* `gzip -t` and zcat accept the seal: an empty gzip member. */
static void test_seal_member_is_an_empty_gzip_member(void **state)
{
	uint8_t seal[PA_SEAL_MEMBER_LEN], out[16];
	struct pa_seal s;
	struct pa_gz_member m;
	char why[160];
	z_stream z;

	sample_seal(&s);
	pa_seal_member(&s, seal);
	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = seal;
	z.avail_in = sizeof(seal);
	z.next_out = out;
	z.avail_out = sizeof(out);
	assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
	assert_int_equal(z.total_out, 0);
	assert_int_equal(z.total_in, PA_SEAL_MEMBER_LEN);
	inflateEnd(&z);

	assert_int_equal(pa_gz_member_read(seal, sizeof(seal), 0, &m, NULL, NULL, why, sizeof(why)),
			 PA_GZ_MEMBER);
	assert_true(m.is_seal);
	assert_int_equal(m.len, PA_SEAL_MEMBER_LEN);
	assert_int_equal(m.out_bytes, 0);
	assert_int_equal(m.seal.index, s.index);
}

/* zlib's gzread (what zcat does) reads data+seal+data+seal as the data alone. */
static void test_zcat_reads_through_seals(void **state)
{
	struct fx *f = *state;
	static const char a[] = "first member\n", b[] = "second member\n";
	uint8_t seal[PA_SEAL_MEMBER_LEN], *m1, *m2;
	size_t l1, l2;
	struct pa_gzw w;
	struct pa_seal s;
	char path[256], got[64] = "";
	gzFile gz;
	FILE *fp;
	int n;

	sample_seal(&s);
	pa_seal_member(&s, seal);
	assert_int_equal(pa_gzw_init(&w, 6), 0);
	assert_int_equal(pa_gzw_add(&w, a, strlen(a)), 0);
	assert_int_equal(pa_gzw_finish(&w, &m1, &l1), 0);
	assert_int_equal(pa_gzw_add(&w, b, strlen(b)), 0);
	assert_int_equal(pa_gzw_finish(&w, &m2, &l2), 0);
	pa_gzw_free(&w);
	snprintf(path, sizeof(path), "%s/zcat.gz", f->dir);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	fwrite(m1, 1, l1, fp);
	fwrite(seal, 1, sizeof(seal), fp);
	fwrite(m2, 1, l2, fp);
	fwrite(seal, 1, sizeof(seal), fp);
	assert_int_equal(fclose(fp), 0);
	free(m1);
	free(m2);
	gz = gzopen(path, "rb");
	assert_non_null(gz);
	n = gzread(gz, got, sizeof(got) - 1);
	assert_int_equal(gzclose(gz), Z_OK);
	assert_int_equal(n, (int)(strlen(a) + strlen(b)));
	assert_string_equal(got, "first member\nsecond member\n");
}

static void test_hex_round_trip_and_bad_input(void **state)
{
	static const uint8_t bytes[4] = { 0x00, 0xab, 0x7f, 0xff };
	uint8_t back[4];
	char hex[9];

	pa_hex(bytes, sizeof(bytes), hex);
	assert_string_equal(hex, "00ab7fff");
	assert_int_equal(pa_unhex(hex, 8, back, 4), 0);
	assert_memory_equal(back, bytes, 4);
	assert_int_equal(pa_unhex("00AB7FFF", 8, back, 4), 0); /* upper case too */
	assert_memory_equal(back, bytes, 4);
	assert_int_equal(pa_unhex("00ab7ff", 7, back, 4), -1);	 /* too short */
	assert_int_equal(pa_unhex("00ab7fff00", 10, back, 4), -1); /* too long */
	assert_int_equal(pa_unhex("00ab7ffg", 8, back, 4), -1);	 /* not hex */
	assert_int_equal(pa_unhex("00ab 7ff", 8, back, 4), -1);
	assert_int_equal(pa_unhex("0xab7fff", 8, back, 4), -1);
	assert_int_equal(pa_unhex("", 0, back, 0), 0);
}

static void test_tag_equal_compares_all_32_bytes(void **state)
{
	uint8_t a[PA_CHAIN_HASH_LEN], b[PA_CHAIN_HASH_LEN];

	for (int i = 0; i < PA_CHAIN_HASH_LEN; i++)
		a[i] = (uint8_t)i;
	memcpy(b, a, sizeof(a));
	assert_true(pa_tag_equal(a, b));
	for (int i = 0; i < PA_CHAIN_HASH_LEN; i++) {
		b[i] ^= 1;
		assert_false(pa_tag_equal(a, b));
		b[i] ^= 1;
	}
	assert_true(pa_tag_equal(a, b));
}

/* ---- 2. gzip members ---- */

struct text {
	char *p;
	size_t len;
};

static int gather(void *ctx, const void *buf, size_t len)
{
	struct text *t = ctx;
	char *p = realloc(t->p, t->len + len + 1);

	if (!p)
		return -1;
	memcpy(p + t->len, buf, len);
	t->p = p;
	t->len += len;
	t->p[t->len] = '\0';
	return 0;
}

static uint8_t *gz_member(const void *text, size_t n, size_t *len)
{
	struct pa_gzw w;
	uint8_t *m;

	assert_int_equal(pa_gzw_init(&w, 6), 0);
	assert_int_equal(pa_gzw_add(&w, text, n), 0);
	assert_int_equal(w.in_bytes, n);
	assert_int_equal(pa_gzw_finish(&w, &m, len), 0);
	pa_gzw_free(&w);
	return m;
}

/* Text that does not compress away: > 64 KiB of output in several pieces. */
static char *big_text(size_t n)
{
	char *t = malloc(n);
	uint32_t x = 2463534242u;

	assert_non_null(t);
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		t[i] = (i % 80 == 79) ? '\n' : (char)('a' + x % 26);
	}
	return t;
}

static void test_gz_members_concatenated_read_back_one_by_one(void **state)
{
	const char *texts[3] = { "{\"a\":1}\n", "{\"b\":2}\n{\"c\":3}\n", NULL };
	size_t tlen[3] = { strlen(texts[0]), strlen(texts[1]), 300000 };
	uint8_t *m[3], *all;
	size_t mlen[3], total = 0, off = 0;
	char *big = big_text(tlen[2]), why[160];
	struct pa_gz_member gm;
	struct pa_gzw w;

	texts[2] = big;
	for (int i = 0; i < 3; i++) {
		m[i] = gz_member(texts[i], tlen[i], &mlen[i]);
		total += mlen[i];
	}
	all = malloc(total);
	assert_non_null(all);
	for (int i = 0; i < 3; i++) {
		memcpy(all + off, m[i], mlen[i]);
		off += mlen[i];
	}
	off = 0;
	for (int i = 0; i < 3; i++) {
		struct text t = { 0 };

		assert_int_equal(pa_gz_member_read(all, total, off, &gm, gather, &t, why, sizeof(why)),
				 PA_GZ_MEMBER);
		assert_int_equal(gm.off, off);
		assert_int_equal(gm.len, mlen[i]);
		assert_false(gm.is_seal);
		assert_int_equal(gm.out_bytes, tlen[i]);
		assert_int_equal(t.len, tlen[i]);
		assert_memory_equal(t.p, texts[i], tlen[i]);
		free(t.p);
		off += gm.len;
	}
	assert_int_equal(pa_gz_member_read(all, total, off, &gm, NULL, NULL, why, sizeof(why)),
			 PA_GZ_END);
	for (int i = 0; i < 3; i++)
		free(m[i]);
	free(all);
	free(big);

	/* no member begun, and a bad level */
	assert_int_equal(pa_gzw_init(&w, 6), 0);
	assert_int_equal(pa_gzw_finish(&w, &all, &total), -ENODATA);
	pa_gzw_free(&w);
	assert_int_equal(pa_gzw_init(&w, 0), -EINVAL);
	pa_gzw_free(&w);
	assert_int_equal(pa_gzw_init(&w, 10), -EINVAL);
	pa_gzw_free(&w);
}

/* A reader that stops says so. */
static int stop_reading(void *ctx, const void *buf, size_t len)
{
	return 1;
}

static void test_gz_reader_callback_can_stop(void **state)
{
	size_t len;
	uint8_t *m = gz_member("abc\n", 4, &len);
	struct pa_gz_member gm;
	char why[160];

	assert_int_equal(pa_gz_member_read(m, len, 0, &gm, stop_reading, NULL, why, sizeof(why)),
			 PA_GZ_SINK);
	assert_has(why, "stopped");
	free(m);
}

/* A member cut anywhere, alone or after another member, is incomplete:
 * never corrupt, never a crash. */
static void test_gz_member_cut_at_every_offset_is_incomplete(void **state)
{
	char *text = big_text(2000);
	size_t l1, l2;
	uint8_t *m1 = gz_member("{\"first\":true}\n", 15, &l1), *m2 = gz_member(text, 2000, &l2);
	uint8_t *buf = malloc(l1 + l2), seal[PA_SEAL_MEMBER_LEN];
	struct pa_gz_member gm;
	struct pa_seal s;
	char why[160];

	assert_non_null(buf);
	memcpy(buf, m1, l1);
	memcpy(buf + l1, m2, l2);
	for (size_t k = 1; k < l2; k++) {
		struct text t = { 0 };
		enum pa_gz_result r = pa_gz_member_read(buf, l1 + k, l1, &gm, gather, &t, why,
							sizeof(why));

		if (r != PA_GZ_INCOMPLETE) {
			print_error("cut at %zu of %zu: result %d (%s)\n", k, l2, r, why);
			fail();
		}
		assert_true(t.len <= 2000);
		if (t.len)
			assert_memory_equal(t.p, text, t.len); /* a prefix, never garbage */
		free(t.p);
	}
	for (size_t k = 1; k < l1; k++)
		assert_int_equal(pa_gz_member_read(m1, k, 0, &gm, NULL, NULL, why, sizeof(why)),
				 PA_GZ_INCOMPLETE);
	sample_seal(&s);
	pa_seal_member(&s, seal);
	for (size_t k = 1; k < PA_SEAL_MEMBER_LEN; k++)
		assert_int_equal(pa_gz_member_read(seal, k, 0, &gm, NULL, NULL, why, sizeof(why)),
				 PA_GZ_INCOMPLETE);
	free(buf);
	free(m1);
	free(m2);
	free(text);
}

/* A flipped byte: the reader refuses the member, or it reads as one whose
 * bytes (and so SHA-256) differ from what the seal holds. The CRC-32 and
 * length in the trailer catch any change of content. */
static void test_gz_flipped_byte_is_corrupt_or_changes_the_sha(void **state)
{
	static const char text[] = "{\"path\":\"/srv/phi/a.pdf\"}\n{\"path\":\"/srv/phi/b.pdf\"}\n";
	size_t len, corrupt = 0, whole = 0;
	uint8_t *m = gz_member(text, strlen(text), &len), *buf = malloc(len + PA_SEAL_MEMBER_LEN);
	uint8_t sha[32], sha2[32];
	struct pa_gz_member gm;
	struct pa_seal s;
	char why[160];

	assert_non_null(buf);
	pa_sha256(m, len, sha);
	sample_seal(&s);
	for (size_t i = 0; i < len; i++) {
		struct text t = { 0 };
		enum pa_gz_result r;

		memcpy(buf, m, len);
		pa_seal_member(&s, buf + len); /* a member follows, as in a file */
		buf[i] ^= 0x20;
		r = pa_gz_member_read(buf, len + PA_SEAL_MEMBER_LEN, 0, &gm, gather, &t, why,
				      sizeof(why));
		if (r == PA_GZ_MEMBER) {
			/* the header's mtime, XFL, OS, or the padding bits after
			 * the last block: the content is the same (the CRC says
			 * so), only the seal's SHA-256 of the bytes shows it */
			pa_sha256(buf, gm.len, sha2);
			assert_false(pa_tag_equal(sha, sha2));
			assert_int_equal(t.len, strlen(text));
			assert_memory_equal(t.p, text, t.len);
			whole++;
		} else {
			assert_true(r == PA_GZ_CORRUPT || r == PA_GZ_INCOMPLETE);
			corrupt += r == PA_GZ_CORRUPT;
			if (i >= len - 8) { /* the trailer: CRC-32, ISIZE */
				assert_int_equal(r, PA_GZ_CORRUPT);
				assert_has(why, "not a valid gzip member");
			}
		}
		free(t.p);
	}
	assert_true(corrupt > (len - 10) / 2);
	assert_true(whole >= 6 && whole <= 8); /* bytes 4-9, and maybe the last deflate byte */
	free(buf);
	free(m);
}

static void test_gz_garbage_is_corrupt(void **state)
{
	static const char text[] = "this is not gzip at all, just words\n";
	uint8_t zeros[64] = { 0 }, badmethod[32] = { 0x1f, 0x8b, 7, 0 };
	struct pa_gz_member gm;
	char why[160];

	assert_int_equal(pa_gz_member_read((const uint8_t *)text, strlen(text), 0, &gm, NULL, NULL,
					   why, sizeof(why)),
			 PA_GZ_CORRUPT);
	assert_has(why, "not a valid gzip member");
	assert_int_equal(pa_gz_member_read(zeros, sizeof(zeros), 0, &gm, NULL, NULL, why,
					   sizeof(why)),
			 PA_GZ_CORRUPT);
	assert_int_equal(pa_gz_member_read(badmethod, sizeof(badmethod), 0, &gm, NULL, NULL, why,
					   sizeof(why)),
			 PA_GZ_CORRUPT);
	assert_int_equal(pa_gz_member_read(zeros, sizeof(zeros), sizeof(zeros), &gm, NULL, NULL,
					   why, sizeof(why)),
			 PA_GZ_END);
}

/* ---- 3. a clean log ---- */

static void test_verify_clean_log_of_two_files_is_ok(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128];
	struct memb m[MAX_MEMBERS];
	uint64_t a, b;
	size_t len;
	uint8_t *buf;

	make_log(f, 5, 3);
	assert_int_equal(list_logs(f, names), 2);
	assert_int_equal(pa_store_parse_name(names[0], &a, &b), 2); /* rotated */
	assert_int_equal(pa_store_parse_name(names[1], &a, &b), 1); /* active */
	buf = load(f, names[0], &len);
	assert_int_equal(members_of(buf, len, m), 6);
	assert_true(m[5].seal);
	assert_int_equal(m[5].s.index, 2);
	free(buf);
	buf = load(f, names[1], &len);
	assert_int_equal(members_of(buf, len, m), 4);
	assert_int_equal(m[3].s.index, 4);
	assert_int_equal(m[3].s.flags, PA_SEAL_RUN_END);
	free(buf);

	assert_int_equal(verify(f), PA_VERIFY_OK);
	assert_int_equal(f->res.files, 2);
	assert_int_equal(f->res.members, 5);
	assert_int_equal(f->res.records, 5 * RECS);
	assert_int_equal(f->res.first_index, 0);
	assert_int_equal(f->res.last_index, 4);
	assert_int_equal(f->res.runs, 1);
	assert_int_equal(f->res.crashes, 0);
	assert_int_equal(f->res.partial_files, 0);
	assert_int_equal(f->res.retained_before, 0);
	assert_true(f->res.last_time_ns > T0_NS);
	assert_string_equal(f->res.problem, "");
	assert_int_equal(f->report_len, 0); /* nothing to say */
}

static void test_verify_empty_or_missing_dir_is_an_error(void **state)
{
	struct fx *f = *state;
	char missing[128];

	assert_int_equal(verify(f), PA_VERIFY_ERROR);
	assert_has(f->res.problem, "no log files");
	snprintf(missing, sizeof(missing), "%s/nope", f->dir);
	assert_int_equal(pa_verify_dir(missing, f->key0, NULL, NULL, &f->res), PA_VERIFY_ERROR);
	assert_has(f->res.problem, "No such file");
}

/* ---- 4-5. altered bytes ---- */

static void test_verify_flipped_byte_in_deflate_data_is_altered(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128];
	struct memb m[MAX_MEMBERS];
	size_t len;
	uint8_t *buf;

	make_log(f, 5, 3);
	assert_int_equal(list_logs(f, names), 2);
	buf = load(f, names[0], &len);
	assert_int_equal(members_of(buf, len, m), 6);
	free(buf);
	assert_false(m[2].seal); /* member 1's data, mid-file */
	flip_byte(f, names[0], m[2].off + m[2].len / 2);
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, names[0]);
	if (!strstr(f->res.problem, "altered") &&
	    !strstr(f->res.problem, "not a valid gzip member")) {
		print_error("problem: %s\n", f->res.problem);
		fail();
	}
}

/* The gzip header's mtime is outside deflate's checks: only the seal's
 * SHA-256 catches it. */
static void test_verify_flipped_header_byte_fails_the_member_sha(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128], want[64];
	struct memb m[MAX_MEMBERS];
	size_t len;
	uint8_t *buf;

	make_log(f, 5, 3);
	assert_int_equal(list_logs(f, names), 2);
	buf = load(f, names[0], &len);
	assert_int_equal(members_of(buf, len, m), 6);
	free(buf);
	flip_byte(f, names[0], m[2].off + 5); /* mtime */
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, names[0]);
	snprintf(want, sizeof(want), "byte %zu: member 1 (records 4-6) was altered", m[2].off);
	assert_has(f->res.problem, want);
	assert_int_equal(f->res.members, 5); /* the walk went on */
}

static void test_verify_flipped_byte_in_seal_tag_is_not_genuine(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128];
	struct memb m[MAX_MEMBERS];
	size_t len;
	uint8_t *buf;

	make_log(f, 5, 3);
	assert_int_equal(list_logs(f, names), 2);
	buf = load(f, names[0], &len);
	assert_int_equal(members_of(buf, len, m), 6);
	free(buf);
	assert_true(m[3].seal);
	flip_byte(f, names[0], m[3].off + 16 + 108 + 7); /* a byte of member 1's tag */
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, names[0]);
	assert_has(f->res.problem, "the seal of member 1 is not genuine");
	/* the member after it no longer follows */
	assert_has(f->report, "member 2 does not follow the member before it");
}

static void test_verify_flipped_byte_in_seal_fields_is_not_genuine(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128];
	struct memb m[MAX_MEMBERS];
	size_t len;
	uint8_t *buf;

	make_log(f, 5, 3);
	assert_int_equal(list_logs(f, names), 2);
	buf = load(f, names[0], &len);
	assert_int_equal(members_of(buf, len, m), 6);
	free(buf);
	flip_byte(f, names[0], m[3].off + 16 + 12); /* member 1's record count */
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, "the seal of member 1 is not genuine");
}

/* ---- 6-8. removed and reordered ---- */

static void test_verify_member_cut_out_of_a_file_is_missing(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128];
	struct memb m[MAX_MEMBERS];
	size_t len;
	uint8_t *buf;

	make_log(f, 5, 3);
	assert_int_equal(list_logs(f, names), 2);
	buf = load(f, names[0], &len);
	assert_int_equal(members_of(buf, len, m), 6);
	free(buf);
	splice_file(f, names[0], m[2].off, m[2].len + m[3].len, NULL, 0); /* member 1 */
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, names[0]);
	assert_has(f->res.problem, "members 1 to 1 are missing (removed)");
	assert_int_equal(f->res.members, 4);
}

static void test_verify_middle_file_removed_is_missing(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128];

	make_log(f, 9, 3);
	assert_int_equal(list_logs(f, names), 3);
	remove_file(f, names[1]);
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, names[2]);
	assert_has(f->res.problem, "members 3 to 5 are missing (removed)");
	assert_int_equal(f->res.files, 2);
}

static void test_verify_swapped_members_are_altered(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128];
	struct memb m[MAX_MEMBERS];
	size_t len;
	uint8_t *buf, *swapped;
	size_t p1, p2;

	make_log(f, 5, 3);
	assert_int_equal(list_logs(f, names), 2);
	buf = load(f, names[0], &len);
	assert_int_equal(members_of(buf, len, m), 6);
	/* pairs 1 and 2 (data+seal) change places */
	p1 = m[2].len + m[3].len;
	p2 = m[4].len + m[5].len;
	swapped = malloc(len);
	assert_non_null(swapped);
	memcpy(swapped, buf, m[2].off);
	memcpy(swapped + m[2].off, buf + m[4].off, p2);
	memcpy(swapped + m[2].off + p2, buf + m[2].off, p1);
	store_bytes(f, names[0], swapped, len);
	free(swapped);
	free(buf);
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, names[0]);
	assert_has(f->report, "member 1 comes after member 2: members were reordered");
}

/* ---- 9. truncation and crashes ---- */

static void test_verify_rotated_file_cut_at_a_member_boundary(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128];
	struct memb m[MAX_MEMBERS];
	size_t len;
	uint8_t *buf;

	make_log(f, 6, 3); /* two rotated files, the newest too */
	assert_int_equal(list_logs(f, names), 2);
	buf = load(f, names[1], &len);
	assert_int_equal(members_of(buf, len, m), 6);
	free(buf);
	cut_file(f, names[1], m[4].off); /* its last data+seal dropped */
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, names[1]);
	assert_has(f->res.problem, "cut off its end");
	assert_int_equal(f->res.last_index, 4);
}

static void test_verify_older_file_cut_at_a_member_boundary(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128];
	struct memb m[MAX_MEMBERS];
	size_t len;
	uint8_t *buf;

	make_log(f, 5, 3);
	assert_int_equal(list_logs(f, names), 2);
	buf = load(f, names[0], &len);
	assert_int_equal(members_of(buf, len, m), 6);
	free(buf);
	cut_file(f, names[0], m[4].off);
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, names[0]);
	assert_has(f->res.problem, "cut off its end");
}

static void test_verify_rotated_file_cut_mid_member_is_altered_not_crash(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128];
	struct memb m[MAX_MEMBERS];
	size_t len;
	uint8_t *buf;

	make_log(f, 6, 3);
	assert_int_equal(list_logs(f, names), 2);
	buf = load(f, names[1], &len);
	assert_int_equal(members_of(buf, len, m), 6);
	free(buf);
	cut_file(f, names[1], m[4].off + m[4].len / 2);
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, names[1]);
	assert_has(f->res.problem, "ends inside a gzip member");

	cut_file(f, names[1], m[5].off + 50); /* inside the last seal */
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, names[1]);
}

/* A local chain cannot see its newest members cut off at a boundary
 * (phiaudit verify --help says so): only the last member reported shows it. */
static void test_verify_cannot_see_newest_members_cut_at_a_boundary(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128];
	struct memb m[MAX_MEMBERS];
	size_t len;
	uint8_t *buf;

	make_log(f, 5, 3);
	assert_int_equal(list_logs(f, names), 2);
	buf = load(f, names[1], &len);
	assert_int_equal(members_of(buf, len, m), 4);
	free(buf);
	cut_file(f, names[1], m[2].off);
	assert_int_equal(verify(f), PA_VERIFY_OK);
	assert_int_equal(f->res.last_index, 3);
	assert_int_equal(f->res.members, 4);
}

/* Fault injection: a child process "crashes" (exits at once) inside the
 * n-th data write, after half of it, or right after the n-th write
 * before its fsync, so before the chain state is saved. */
struct crash_io {
	struct pa_store_io io;
	int writes_left;
	bool after_write;
};

static ssize_t crash_pwrite(void *ctx, int fd, const void *buf, size_t len, off_t off)
{
	struct crash_io *c = ctx;

	if (!c->after_write && --c->writes_left == 0) {
		ssize_t n = pwrite(fd, buf, (len - PA_SEAL_MEMBER_LEN) / 2, off);

		_exit(n > 0 ? 0 : 2);
	}
	return pwrite(fd, buf, len, off);
}

static int crash_fsync(void *ctx, int fd)
{
	struct crash_io *c = ctx;

	if (c->after_write && --c->writes_left == 0)
		_exit(0);
	return fsync(fd);
}

/* A run that crashes while writing member @at (0-based). */
static void crashing_run(struct fx *f, int at, bool after_write)
{
	struct crash_io c = { { crash_pwrite, crash_fsync, NULL }, at + 1, after_write };
	int status;
	pid_t pid;

	c.io.ctx = &c;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct pa_sink *s;

		f->cfg.io = &c.io;
		s = pa_store_open(&f->cfg, f->err, sizeof(f->err));
		if (!s)
			_exit(2);
		for (int i = 0; i <= at; i++) {
			char line[256];

			f->now += 100 * NS_PER_MS;
			for (int r = 0; r < RECS; r++) {
				f->seq++;
				if (s->ops->write(s, line, record_line(f->seq, line, sizeof(line)),
						  f->seq, LOG_INFO))
					_exit(2);
			}
			f->now += NS_PER_S;
			s->ops->flush(s);
		}
		_exit(3); /* never crashed */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* the parent's clock and sequence move past the child's */
	f->now += (uint64_t)(at + 2) * 2 * NS_PER_S;
	f->seq += (uint64_t)(at + 1) * RECS;
}

/* Power loss: the file system extended the file, the data never came. */
static void test_verify_zeros_after_the_newest_member_are_a_crash(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128];
	uint8_t zeros[4096] = { 0 };
	uint8_t *buf, *grown;
	size_t len;

	crashing_run(f, 2, true); /* members 0-2 written, no clean stop */
	assert_int_equal(list_logs(f, names), 1);
	buf = load(f, names[0], &len);
	grown = realloc(buf, len + sizeof(zeros));
	assert_non_null(grown);
	memcpy(grown + len, zeros, sizeof(zeros));
	store_bytes(f, names[0], grown, len + sizeof(zeros));
	free(grown);
	assert_int_equal(verify(f), PA_VERIFY_CRASH);
	assert_has(f->res.problem, names[0]);
	/* one byte that is not zero there is not a crash's leftover */
	flip_byte(f, names[0], len + 10);
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
}

static void test_verify_crash_mid_write_then_recovery(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128], partial[300], active[128];
	struct pa_store_event ev;
	struct pa_sink *s;
	struct stat st;
	uint64_t a, b;

	crashing_run(f, 3, false); /* members 0-2 written, 3 half */
	assert_int_equal(list_logs(f, names), 1);
	assert_int_equal(pa_store_parse_name(names[0], &a, &b), 1);
	snprintf(active, sizeof(active), "%s", names[0]);
	assert_int_equal(verify(f), PA_VERIFY_CRASH);
	assert_has(f->res.problem, active);
	assert_has(f->res.problem, "ends inside a gzip member");
	assert_int_equal(f->res.members, 3);
	assert_int_equal(f->res.last_index, 2);

	/* the next start cuts the tail off into NAME.partial and says so */
	s = store_open(f);
	assert_int_equal(pa_store_next_event(s, &ev), 1);
	assert_int_equal(ev.kind, PA_STORE_RECOVERED);
	assert_string_equal(ev.file, active);
	assert_true(ev.bytes > 0);
	snprintf(partial, sizeof(partial), "%s" PA_STORE_PARTIAL, active);
	assert_string_equal(ev.partial, partial);
	assert_int_equal(ev.members, 0);
	assert_int_equal(ev.chain_index, 3);
	assert_int_equal(pa_store_next_event(s, &ev), 0);
	snprintf(partial, sizeof(partial), "%s/%s" PA_STORE_PARTIAL, f->dir, active);
	assert_int_equal(stat(partial, &st), 0);
	assert_true(st.st_size > 0);
	assert_int_equal(list_logs(f, names), 1);
	assert_int_equal(pa_store_parse_name(names[0], &a, &b), 2); /* rotated */
	add_records(f, s, RECS);
	f->now += NS_PER_S;
	s->ops->close(s);

	assert_int_equal(verify(f), PA_VERIFY_OK);
	assert_int_equal(f->res.files, 2);
	assert_int_equal(f->res.members, 4);
	assert_int_equal(f->res.last_index, 3);
	assert_int_equal(f->res.runs, 2);
	assert_int_equal(f->res.crashes, 1);
	assert_int_equal(f->res.partial_files, 1);
	assert_has(f->report, "starts a run after a crash");
}

/* A crash after the member reached the file but before the chain state
 * was saved: the next start takes the member into the chain. */
static void test_verify_crash_before_state_saved_then_recovery(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128];
	struct pa_store_event ev;
	struct pa_sink *s;

	crashing_run(f, 2, true); /* members 0-2 on disk, the state knows 0-1 */
	assert_int_equal(list_logs(f, names), 1);
	assert_int_equal(verify(f), PA_VERIFY_OK); /* nothing unfinished in the file */
	assert_int_equal(f->res.members, 3);

	s = store_open(f);
	assert_int_equal(pa_store_next_event(s, &ev), 1);
	assert_int_equal(ev.kind, PA_STORE_RECOVERED);
	assert_int_equal(ev.bytes, 0);
	assert_int_equal(ev.members, 1);
	assert_int_equal(ev.chain_index, 3);
	add_records(f, s, RECS);
	f->now += NS_PER_S;
	s->ops->close(s);

	assert_int_equal(verify(f), PA_VERIFY_OK);
	assert_int_equal(f->res.members, 4);
	assert_int_equal(f->res.crashes, 1);
	assert_int_equal(f->res.partial_files, 0);
}

/* ---- 10. keys ---- */

static void test_verify_with_the_wrong_key_is_not_genuine(void **state)
{
	struct fx *f = *state;
	uint8_t key[PA_CHAIN_KEY_LEN];

	make_log(f, 3, 0);
	memcpy(key, f->key0, sizeof(key));
	key[0] ^= 1;
	assert_int_equal(verify_key(f, key), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, "the seal of member 0 is not genuine");
	/* the key the host holds after member 0 cannot vouch for member 0 */
	memcpy(key, f->key0, sizeof(key));
	pa_chain_next_key(key);
	assert_int_equal(verify_key(f, key), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, "not genuine");
	assert_int_equal(verify(f), PA_VERIFY_OK);
}

static void write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

static void test_read_key_file(void **state)
{
	struct fx *f = *state;
	char path[128], text[512], hex[2 * PA_CHAIN_KEY_LEN + 1], err[512];
	uint8_t key[PA_CHAIN_KEY_LEN];

	snprintf(path, sizeof(path), "%s/key", f->dir);
	pa_hex(f->key0, sizeof(f->key0), hex);

	snprintf(text, sizeof(text), "# phiaudit chain key\n\n   %s  \r\n# kept off-host\n\n", hex);
	write_text(path, text);
	memset(key, 0, sizeof(key));
	assert_int_equal(pa_read_key_file(path, key, err, sizeof(err)), 0);
	assert_memory_equal(key, f->key0, sizeof(key));

	snprintf(text, sizeof(text), "# comment\n\n%.63sz\n", hex);
	write_text(path, text);
	assert_int_equal(pa_read_key_file(path, key, err, sizeof(err)), -1);
	assert_has(err, path);
	assert_has(err, "line 3");
	assert_has(err, "not a key");

	snprintf(text, sizeof(text), "%.62s\n", hex); /* too short */
	write_text(path, text);
	assert_int_equal(pa_read_key_file(path, key, err, sizeof(err)), -1);
	assert_has(err, "line 1");

	snprintf(text, sizeof(text), "%s\n# another\n%s\n", hex, hex);
	write_text(path, text);
	assert_int_equal(pa_read_key_file(path, key, err, sizeof(err)), -1);
	assert_has(err, path);
	assert_has(err, "line 3");
	assert_has(err, "a second key");

	write_text(path, "");
	assert_int_equal(pa_read_key_file(path, key, err, sizeof(err)), -1);
	assert_has(err, "no key in it");
	write_text(path, "# only a comment\n\n");
	assert_int_equal(pa_read_key_file(path, key, err, sizeof(err)), -1);
	assert_has(err, "no key in it");

	snprintf(path, sizeof(path), "%s/no-such-key", f->dir);
	assert_int_equal(pa_read_key_file(path, key, err, sizeof(err)), -1);
	assert_has(err, path);
	assert_has(err, "No such file");
}

/* ---- 11. retention ---- */

/* A log file's records, as zcat shows them (the caller frees). */
static char *zcat(const struct fx *f, const char *name)
{
	char path[256], *text = calloc(1, 1 << 16);
	gzFile gz;

	assert_non_null(text);
	path_of(f, name, path, sizeof(path));
	gz = gzopen(path, "rb");
	assert_non_null(gz);
	assert_true(gzread(gz, text, (1 << 16) - 1) > 0);
	gzclose(gz);
	return text;
}

/* The agent's flow: store events become records in the log they describe. */
static int record_store_events(struct fx *f, struct pa_sink *s, struct pa_store_event *evs,
			       int max)
{
	struct pa_host_info h = { .hostname = "testhost" };
	struct pa_store_event ev;
	struct pa_jw jw;
	int n = 0;

	pa_jw_init(&jw);
	while (pa_store_next_event(s, &ev)) {
		pa_ocsf_store_event(&jw, &h, f->now, f->seq + 1, &ev);
		assert_false(pa_jw_failed(&jw));
		add_line(f, s, jw.buf, jw.len);
		pa_jw_reset(&jw);
		if (n < max)
			evs[n] = ev;
		n++;
	}
	pa_jw_free(&jw);
	return n;
}

/* Files 0-2 and 3-5 grow older than retain_age_s while 6-8 is written:
 * rotating 6-8 deletes them, and their records go into the log. */
static int make_log_with_retention(struct fx *f, struct pa_store_event evs[4])
{
	size_t pair = data_member_len(f) + PA_SEAL_MEMBER_LEN;
	struct pa_sink *s;
	int n;

	f->cfg.rotate_bytes = 3 * pair - pair / 2;
	f->cfg.retain_age_s = 1800;
	s = store_open(f);
	for (int i = 0; i < 9; i++) {
		if (i == 6)
			f->now += 3600 * NS_PER_S;
		add_records(f, s, RECS);
		seal_member(f, s);
	}
	n = record_store_events(f, s, evs, 4);
	add_records(f, s, RECS);
	f->now += NS_PER_S;
	s->ops->close(s);
	return n;
}

static void test_verify_accepts_deletions_recorded_by_retention(void **state)
{
	struct fx *f = *state;
	struct pa_store_event evs[4];
	char names[MAX_FILES][128], tag[2 * PA_CHAIN_HASH_LEN + 1], want[200], *text;
	struct memb m[MAX_MEMBERS];
	size_t len;
	uint8_t *buf;

	assert_int_equal(make_log_with_retention(f, evs), 2);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(evs[i].kind, PA_STORE_RETENTION);
		assert_true(evs[i].chain_known);
		assert_string_equal(evs[i].reason, "age");
		assert_int_equal(evs[i].chain_index, 2 + 3 * i);
	}
	assert_int_equal(list_logs(f, names), 2); /* 6-8 and the active 9 */
	buf = load(f, names[0], &len);
	assert_int_equal(members_of(buf, len, m), 6);
	assert_int_equal(m[1].s.index, 6);
	assert_memory_equal(m[1].s.prev_tag, evs[1].chain_tag, PA_CHAIN_HASH_LEN);
	free(buf);
	/* the record verify reads, as the agent writes it */
	pa_hex(evs[1].chain_tag, PA_CHAIN_HASH_LEN, tag);
	snprintf(want, sizeof(want), "\"chain_last_index\":5,\"chain_last_tag\":\"%s\"", tag);
	text = zcat(f, names[1]);
	assert_has(text, want);
	free(text);

	assert_int_equal(verify(f), PA_VERIFY_OK);
	assert_int_equal(f->res.retained_before, 6);
	assert_int_equal(f->res.first_index, 6);
	assert_int_equal(f->res.last_index, 9);
	assert_int_equal(f->res.members, 4);
	assert_int_equal(f->res.records, 4 * RECS + 2);
	assert_has(f->report, "members 0 to 5 were deleted by retention, as recorded");

	/* the oldest file left, deleted by hand: nothing records it */
	remove_file(f, names[0]);
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, "members 0 to 8 are missing");
	assert_has(f->res.problem, "no retention record accounts for them");
}

static void test_verify_oldest_file_deleted_by_hand_is_altered(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128];

	make_log(f, 9, 3);
	assert_int_equal(list_logs(f, names), 3);
	remove_file(f, names[0]);
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, "members 0 to 2 are missing (the oldest files were removed)");
	assert_has(f->res.problem, "no retention record");
	assert_int_equal(f->res.retained_before, 0);
	assert_int_equal(f->res.first_index, 3);
}

/* A retention record counts only inside a sealed member: anyone can append
 * an unsealed one to the active file, which would otherwise pass as a crash. */
static void test_verify_retention_record_in_an_unsealed_member_is_not_accepted(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128], tag[2 * PA_CHAIN_HASH_LEN + 1], line[256];
	struct memb m[MAX_MEMBERS];
	size_t len, glen;
	uint8_t *buf, *forged;
	int n;

	make_log(f, 7, 3);
	n = list_logs(f, names);
	assert_int_equal(n, 3);
	buf = load(f, names[0], &len);
	assert_int_equal(members_of(buf, len, m), 6);
	pa_hex(m[5].s.tag, PA_CHAIN_HASH_LEN, tag);
	free(buf);
	remove_file(f, names[0]);
	snprintf(line, sizeof(line), "{\"unmapped\":{\"retention\":{\"chain_last_index\":2,"
				     "\"chain_last_tag\":\"%s\"}}}\n", tag);
	forged = gz_member(line, strlen(line), &glen);
	buf = load(f, names[2], &len);
	splice_file(f, names[2], len, 0, forged, glen); /* appended to the active file */
	free(buf);
	free(forged);
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, "no retention record accounts for them");
	assert_int_equal(f->res.retained_before, 0);
}

/* ---- 12. members slipped in ---- */

static void test_verify_data_member_without_seal_is_altered(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128], want[64], line[128];
	struct memb m[MAX_MEMBERS];
	size_t len, glen;
	uint8_t *buf, *extra;

	make_log(f, 9, 3);
	assert_int_equal(list_logs(f, names), 3);
	buf = load(f, names[1], &len);
	assert_int_equal(members_of(buf, len, m), 6);
	free(buf);
	len = record_line(999, line, sizeof(line));
	extra = gz_member(line, len, &glen);
	splice_file(f, names[1], m[2].off, 0, extra, glen);
	free(extra);
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, names[1]);
	snprintf(want, sizeof(want), "byte %zu: a data member with no seal", m[2].off);
	assert_has(f->res.problem, want);
	assert_int_equal(f->res.members, 9);
}

static void test_verify_seal_without_data_is_altered(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128], want[80];
	struct memb m[MAX_MEMBERS];
	size_t len;
	uint8_t *buf;

	make_log(f, 9, 3);
	assert_int_equal(list_logs(f, names), 3);
	buf = load(f, names[1], &len);
	assert_int_equal(members_of(buf, len, m), 6);
	/* a copy of member 3's seal right after it */
	splice_file(f, names[1], m[2].off, 0, buf + m[1].off, m[1].len);
	free(buf);
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, names[1]);
	snprintf(want, sizeof(want), "byte %zu: a seal (member 3) with no data member before it",
		 m[2].off);
	assert_has(f->res.problem, want);
}

static void test_verify_data_member_dropped_leaving_its_seal_is_altered(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128];
	struct memb m[MAX_MEMBERS];
	size_t len;
	uint8_t *buf;

	make_log(f, 9, 3);
	assert_int_equal(list_logs(f, names), 3);
	buf = load(f, names[1], &len);
	assert_int_equal(members_of(buf, len, m), 6);
	free(buf);
	splice_file(f, names[1], m[2].off, m[2].len, NULL, 0);
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, "a seal (member 4) with no data member before it");
}

/* ---- hostile input and run accounting ---- */

static void patch_le64(const struct fx *f, const char *name, size_t off, uint64_t v)
{
	uint8_t le[8];

	for (int i = 0; i < 8; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	splice_file(f, name, off, sizeof(le), le, sizeof(le));
}

/* k[i] takes i hashes from k0: a seal claiming member 2^40 must be
 * refused at once, not make verify hash for days. */
static void test_verify_seal_with_a_far_forged_index_is_refused_at_once(void **state)
{
	struct fx *f = *state;
	char names[MAX_FILES][128];
	struct memb m[MAX_MEMBERS];
	size_t len;
	uint8_t *buf;

	make_log(f, 5, 3);
	assert_int_equal(list_logs(f, names), 2);
	buf = load(f, names[0], &len);
	assert_int_equal(members_of(buf, len, m), 6);
	free(buf);
	patch_le64(f, names[0], m[3].off + 16 + 4, 1ULL << 40); /* member 1, mid-chain */
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, "a seal whose member number (1099511627776) no chain reaches");
	patch_le64(f, names[0], m[1].off + 16 + 4, UINT64_MAX); /* member 0, the first */
	assert_int_equal(verify(f), PA_VERIFY_ALTERED);
	assert_has(f->res.problem, "(18446744073709551615) no chain reaches");
}

/* A run stopped when all its records were already written still ends
 * with a RUN_END seal: the next run does not count as after a crash. */
static void test_verify_run_stopped_right_after_a_flush_is_not_a_crash(void **state)
{
	struct fx *f = *state;
	struct pa_store_event ev;
	struct pa_sink *s;

	s = store_open(f);
	add_records(f, s, RECS);
	seal_member(f, s);
	f->now += NS_PER_S;
	s->ops->close(s); /* nothing pending */
	s = store_open(f);
	assert_int_equal(pa_store_next_event(s, &ev), 1);
	assert_int_equal(ev.kind, PA_STORE_RESUMED);
	add_records(f, s, RECS);
	f->now += NS_PER_S;
	s->ops->close(s);
	assert_int_equal(verify(f), PA_VERIFY_OK);
	assert_int_equal(f->res.runs, 2);
	assert_int_equal(f->res.crashes, 0);
	assert_int_equal(f->res.records, 2 * RECS);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_commit_moves_the_key_to_its_sha256_and_the_tag_to_prev),
		T(test_seal_tag_covers_every_field_and_the_key),
		T(test_seal_tag_is_hmac_sha256_over_the_documented_layout),
		T(test_seal_member_layout_and_parse_round_trip),
		T(test_seal_parse_tells_data_from_malformed_seals),
		T(test_seal_member_is_an_empty_gzip_member),
		T(test_zcat_reads_through_seals),
		T(test_hex_round_trip_and_bad_input),
		T(test_tag_equal_compares_all_32_bytes),
		T(test_gz_members_concatenated_read_back_one_by_one),
		T(test_gz_reader_callback_can_stop),
		T(test_gz_member_cut_at_every_offset_is_incomplete),
		T(test_gz_flipped_byte_is_corrupt_or_changes_the_sha),
		T(test_gz_garbage_is_corrupt),
		T(test_verify_clean_log_of_two_files_is_ok),
		T(test_verify_empty_or_missing_dir_is_an_error),
		T(test_verify_flipped_byte_in_deflate_data_is_altered),
		T(test_verify_flipped_header_byte_fails_the_member_sha),
		T(test_verify_flipped_byte_in_seal_tag_is_not_genuine),
		T(test_verify_flipped_byte_in_seal_fields_is_not_genuine),
		T(test_verify_member_cut_out_of_a_file_is_missing),
		T(test_verify_middle_file_removed_is_missing),
		T(test_verify_swapped_members_are_altered),
		T(test_verify_rotated_file_cut_at_a_member_boundary),
		T(test_verify_older_file_cut_at_a_member_boundary),
		T(test_verify_rotated_file_cut_mid_member_is_altered_not_crash),
		T(test_verify_cannot_see_newest_members_cut_at_a_boundary),
		T(test_verify_zeros_after_the_newest_member_are_a_crash),
		T(test_verify_crash_mid_write_then_recovery),
		T(test_verify_crash_before_state_saved_then_recovery),
		T(test_verify_with_the_wrong_key_is_not_genuine),
		T(test_read_key_file),
		T(test_verify_accepts_deletions_recorded_by_retention),
		T(test_verify_oldest_file_deleted_by_hand_is_altered),
		T(test_verify_retention_record_in_an_unsealed_member_is_not_accepted),
		T(test_verify_data_member_without_seal_is_altered),
		T(test_verify_seal_without_data_is_altered),
		T(test_verify_data_member_dropped_leaving_its_seal_is_altered),
		T(test_verify_seal_with_a_far_forged_index_is_refused_at_once),
		T(test_verify_run_stopped_right_after_a_flush_is_not_a_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
