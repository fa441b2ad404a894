/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The tamper-evidence chain of the log store. Every gzip member of data is
 * followed by a seal: a second, empty gzip member whose header carries the
 * data member's SHA-256, its place in the chain and an HMAC-SHA256 tag over
 * all of that and the previous tag, under a key that moves forward after
 * every member (k[i+1] = SHA-256(k[i]); k[i] is erased). Whoever takes the
 * host later holds only the current key: the members already sealed cannot
 * be rewritten without the initial key, which is kept off the host.
 *
 * zcat skips a seal (it decompresses to nothing), so the logs stay plain
 * gzip. The layout is defined here once; docs/records.md describes it.
 */
#ifndef PHIAUDIT_CHAIN_H
#define PHIAUDIT_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PA_CHAIN_KEY_LEN 32
#define PA_CHAIN_HASH_LEN 32

/* Seal flags. */
#define PA_SEAL_RUN_START 0x01 /* first member written by an agent run */
#define PA_SEAL_RUN_END	  0x02 /* last member of a run that stopped cleanly */

/* The seal payload: in the gzip FEXTRA subfield 'P','A', little-endian. */
#define PA_SEAL_VERSION	    1
#define PA_SEAL_PAYLOAD_LEN 140
/* The whole seal member: header, XLEN, subfield, empty deflate, trailer. */
#define PA_SEAL_MEMBER_LEN (10 + 2 + 4 + PA_SEAL_PAYLOAD_LEN + 2 + 8)

struct pa_seal {
	uint8_t version;
	uint8_t flags;		/* PA_SEAL_* */
	uint64_t index;		/* member number in the chain, from 0 */
	uint64_t records;	/* records in the data member */
	uint64_t first_seq;	/* their metadata.sequence range (0: unknown) */
	uint64_t last_seq;
	uint64_t time_ns;	/* UTC, when sealed */
	uint8_t member_sha256[PA_CHAIN_HASH_LEN];
	uint8_t prev_tag[PA_CHAIN_HASH_LEN]; /* zeros for member 0 */
	uint8_t tag[PA_CHAIN_HASH_LEN];
};

/* Where the writer stands: the next member's index, its key, the last tag. */
struct pa_chain {
	uint64_t index;
	uint8_t key[PA_CHAIN_KEY_LEN];
	uint8_t prev_tag[PA_CHAIN_HASH_LEN];
	uint64_t last_seq; /* the highest record sequence sealed: the next
			    * run numbers its records on from it */
	uint8_t id[16];	   /* random, made with the key: names this log in
			    * metadata.uid (not secret) */
};

/* SHA-256 of a buffer (the data member's bytes, as stored). */
void pa_sha256(const void *buf, size_t len, uint8_t out[PA_CHAIN_HASH_LEN]);

/* The tag of @s (every field but the tag itself) under @key. */
void pa_seal_tag(const uint8_t key[PA_CHAIN_KEY_LEN], const struct pa_seal *s,
		 uint8_t out[PA_CHAIN_HASH_LEN]);

/* Fill @s's index, prev_tag and tag from @c (the caller sets the rest).
 * Does not move @c: pa_chain_commit does, once the member is on disk. */
void pa_chain_seal(const struct pa_chain *c, struct pa_seal *s);

/* The member sealed by @s is durable: move to the next key, erasing this one. */
void pa_chain_commit(struct pa_chain *c, const struct pa_seal *s);

/* k <- SHA-256(k), in place; the old value is cleansed. */
void pa_chain_next_key(uint8_t key[PA_CHAIN_KEY_LEN]);

/* Compare tags in constant time. */
bool pa_tag_equal(const uint8_t a[PA_CHAIN_HASH_LEN], const uint8_t b[PA_CHAIN_HASH_LEN]);

/* The seal member's bytes (PA_SEAL_MEMBER_LEN of them). */
void pa_seal_member(const struct pa_seal *s, uint8_t out[PA_SEAL_MEMBER_LEN]);

/* Decode a seal from a gzip member that begins at @buf (@len bytes
 * available). 1: a seal, *s filled; 0: not a seal (an ordinary member);
 * -1: a seal header with a malformed payload. */
int pa_seal_parse(const uint8_t *buf, size_t len, struct pa_seal *s);

/* Hex helpers for keys and tags (lower case; 2*n characters + NUL). */
void pa_hex(const uint8_t *buf, size_t n, char *out);
/* 0, or -1 when @text is not exactly 2*n hex digits. */
int pa_unhex(const char *text, size_t tlen, uint8_t *out, size_t n);

/* Wipe secrets (OPENSSL_cleanse: not optimised away). */
void pa_wipe(void *p, size_t n);

#endif
