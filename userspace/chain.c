// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "chain.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

/* Domain separation: a tag can never be mistaken for another protocol's. */
static const char seal_context[16] = "phiaudit-seal-v1";

/* Payload offsets (see chain.h). */
enum {
	OFF_VERSION = 0,
	OFF_FLAGS = 1,
	OFF_INDEX = 4,
	OFF_RECORDS = 12,
	OFF_FIRST_SEQ = 20,
	OFF_LAST_SEQ = 28,
	OFF_TIME = 36,
	OFF_SHA = 44,
	OFF_PREV = 76,
	OFF_TAG = 108,
};

/* Where the payload sits in the seal member. */
#define SEAL_HDR_LEN 16

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void encode_payload(const struct pa_seal *s, uint8_t p[PA_SEAL_PAYLOAD_LEN])
{
	memset(p, 0, PA_SEAL_PAYLOAD_LEN);
	p[OFF_VERSION] = s->version;
	p[OFF_FLAGS] = s->flags;
	put_le64(p + OFF_INDEX, s->index);
	put_le64(p + OFF_RECORDS, s->records);
	put_le64(p + OFF_FIRST_SEQ, s->first_seq);
	put_le64(p + OFF_LAST_SEQ, s->last_seq);
	put_le64(p + OFF_TIME, s->time_ns);
	memcpy(p + OFF_SHA, s->member_sha256, PA_CHAIN_HASH_LEN);
	memcpy(p + OFF_PREV, s->prev_tag, PA_CHAIN_HASH_LEN);
	memcpy(p + OFF_TAG, s->tag, PA_CHAIN_HASH_LEN);
}

void pa_sha256(const void *buf, size_t len, uint8_t out[PA_CHAIN_HASH_LEN])
{
	SHA256(buf, len, out);
}

void pa_seal_tag(const uint8_t key[PA_CHAIN_KEY_LEN], const struct pa_seal *s,
		 uint8_t out[PA_CHAIN_HASH_LEN])
{
	uint8_t msg[sizeof(seal_context) + OFF_TAG];
	uint8_t p[PA_SEAL_PAYLOAD_LEN];
	unsigned int len = PA_CHAIN_HASH_LEN;

	encode_payload(s, p);
	memcpy(msg, seal_context, sizeof(seal_context));
	memcpy(msg + sizeof(seal_context), p, OFF_TAG);
	if (!HMAC(EVP_sha256(), key, PA_CHAIN_KEY_LEN, msg, sizeof(msg), out, &len))
		memset(out, 0, PA_CHAIN_HASH_LEN); /* matches no real tag: verify fails */
}

void pa_chain_seal(const struct pa_chain *c, struct pa_seal *s)
{
	s->version = PA_SEAL_VERSION;
	s->index = c->index;
	memcpy(s->prev_tag, c->prev_tag, PA_CHAIN_HASH_LEN);
	pa_seal_tag(c->key, s, s->tag);
}

void pa_chain_next_key(uint8_t key[PA_CHAIN_KEY_LEN])
{
	uint8_t next[PA_CHAIN_KEY_LEN];

	SHA256(key, PA_CHAIN_KEY_LEN, next);
	memcpy(key, next, PA_CHAIN_KEY_LEN);
	OPENSSL_cleanse(next, sizeof(next));
}

void pa_chain_commit(struct pa_chain *c, const struct pa_seal *s)
{
	pa_chain_next_key(c->key);
	memcpy(c->prev_tag, s->tag, PA_CHAIN_HASH_LEN);
	c->index = s->index + 1;
	if (s->last_seq > c->last_seq)
		c->last_seq = s->last_seq;
}

bool pa_tag_equal(const uint8_t a[PA_CHAIN_HASH_LEN], const uint8_t b[PA_CHAIN_HASH_LEN])
{
	return CRYPTO_memcmp(a, b, PA_CHAIN_HASH_LEN) == 0;
}

void pa_seal_member(const struct pa_seal *s, uint8_t out[PA_SEAL_MEMBER_LEN])
{
	/* gzip header: magic, deflate, FEXTRA, no mtime, OS unknown */
	static const uint8_t head[10] = { 0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff };
	uint8_t *p = out;

	memcpy(p, head, sizeof(head));
	p += sizeof(head);
	*p++ = (4 + PA_SEAL_PAYLOAD_LEN) & 0xff; /* XLEN */
	*p++ = (4 + PA_SEAL_PAYLOAD_LEN) >> 8;
	*p++ = 'P';
	*p++ = 'A';
	*p++ = PA_SEAL_PAYLOAD_LEN & 0xff;
	*p++ = PA_SEAL_PAYLOAD_LEN >> 8;
	encode_payload(s, p);
	p += PA_SEAL_PAYLOAD_LEN;
	*p++ = 0x03; /* an empty, final, fixed-Huffman deflate block */
	*p++ = 0x00;
	memset(p, 0, 8); /* CRC-32 and length of nothing */
}

int pa_seal_parse(const uint8_t *buf, size_t len, struct pa_seal *s)
{
	const uint8_t *p = buf + SEAL_HDR_LEN;

	if (len < SEAL_HDR_LEN || buf[0] != 0x1f || buf[1] != 0x8b || buf[2] != 8 ||
	    !(buf[3] & 4) || buf[12] != 'P' || buf[13] != 'A')
		return 0;
	if (len < PA_SEAL_MEMBER_LEN || buf[3] != 4 ||
	    (buf[10] | buf[11] << 8) != 4 + PA_SEAL_PAYLOAD_LEN ||
	    (buf[14] | buf[15] << 8) != PA_SEAL_PAYLOAD_LEN || p[OFF_VERSION] != PA_SEAL_VERSION)
		return -1;
	memset(s, 0, sizeof(*s));
	s->version = p[OFF_VERSION];
	s->flags = p[OFF_FLAGS];
	s->index = get_le64(p + OFF_INDEX);
	s->records = get_le64(p + OFF_RECORDS);
	s->first_seq = get_le64(p + OFF_FIRST_SEQ);
	s->last_seq = get_le64(p + OFF_LAST_SEQ);
	s->time_ns = get_le64(p + OFF_TIME);
	memcpy(s->member_sha256, p + OFF_SHA, PA_CHAIN_HASH_LEN);
	memcpy(s->prev_tag, p + OFF_PREV, PA_CHAIN_HASH_LEN);
	memcpy(s->tag, p + OFF_TAG, PA_CHAIN_HASH_LEN);
	return 1;
}

void pa_hex(const uint8_t *buf, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[buf[i] >> 4];
		out[2 * i + 1] = digits[buf[i] & 15];
	}
	out[2 * n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int pa_unhex(const char *text, size_t tlen, uint8_t *out, size_t n)
{
	if (tlen != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(text[2 * i]), lo = hexval(text[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

void pa_wipe(void *p, size_t n)
{
	OPENSSL_cleanse(p, n);
}
