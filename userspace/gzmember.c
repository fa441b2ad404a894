// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "gzmember.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* windowBits 15 + 16: a gzip wrapper, not zlib's. */
#define GZIP_WBITS (15 + 16)

static int grow(struct pa_gzw *w, size_t need)
{
	size_t cap = w->cap ? w->cap : 64 << 10;
	uint8_t *p;

	while (cap < need)
		cap *= 2;
	if (cap == w->cap)
		return 0;
	p = realloc(w->out, cap);
	if (!p)
		return -ENOMEM;
	w->out = p;
	w->cap = cap;
	return 0;
}

int pa_gzw_init(struct pa_gzw *w, int level)
{
	memset(w, 0, sizeof(*w));
	if (level < 1 || level > 9)
		return -EINVAL;
	w->level = level;
	if (deflateInit2(&w->z, level, Z_DEFLATED, GZIP_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	w->ready = true;
	return 0;
}

/* Run deflate over the input with @flush, growing the output as needed. */
static int pump(struct pa_gzw *w, int flush)
{
	for (;;) {
		int rc;

		if (w->cap - w->len < 4096 && grow(w, w->len + (w->len / 2) + 65536))
			return -ENOMEM;
		w->z.next_out = w->out + w->len;
		w->z.avail_out = (uInt)(w->cap - w->len);
		rc = deflate(&w->z, flush);
		w->len = w->cap - w->z.avail_out;
		if (rc == Z_STREAM_END)
			return 0;
		if (rc != Z_OK && rc != Z_BUF_ERROR)
			return -EIO;
		if (flush == Z_NO_FLUSH && w->z.avail_in == 0)
			return 0;
		/* Z_FINISH: loop until Z_STREAM_END (more room was needed). */
	}
}

int pa_gzw_add(struct pa_gzw *w, const void *buf, size_t len)
{
	if (!w->ready)
		return -EINVAL;
	if (!w->open) {
		w->len = 0;
		w->in_bytes = 0;
		w->open = true;
	}
	while (len) {
		/* avail_in is 32 bits wide: feed huge buffers in pieces */
		size_t piece = len > (1u << 30) ? (1u << 30) : len;
		int rc;

		w->z.next_in = (Bytef *)(uintptr_t)buf;
		w->z.avail_in = (uInt)piece;
		rc = pump(w, Z_NO_FLUSH);
		if (rc)
			return rc;
		w->in_bytes += piece;
		buf = (const uint8_t *)buf + piece;
		len -= piece;
	}
	return 0;
}

int pa_gzw_finish(struct pa_gzw *w, uint8_t **member, size_t *len)
{
	int rc;

	if (!w->ready || !w->open)
		return -ENODATA;
	w->z.next_in = NULL;
	w->z.avail_in = 0;
	rc = pump(w, Z_FINISH);
	if (rc)
		return rc;
	*member = w->out;
	*len = w->len;
	w->out = NULL;
	w->len = w->cap = 0;
	w->open = false;
	deflateReset(&w->z);
	return 0;
}

void pa_gzw_free(struct pa_gzw *w)
{
	if (w->ready)
		deflateEnd(&w->z);
	free(w->out);
	memset(w, 0, sizeof(*w));
}

enum pa_gz_result pa_gz_member_read(const uint8_t *buf, size_t len, size_t off,
				    struct pa_gz_member *m, pa_gz_out_fn out, void *ctx,
				    char *err, size_t errlen)
{
	uint8_t chunk[64 << 10];
	z_stream z;
	enum pa_gz_result res;
	int rc;

	memset(m, 0, sizeof(*m));
	m->off = off;
	if (off >= len)
		return PA_GZ_END;
	rc = pa_seal_parse(buf + off, len - off, &m->seal);
	if (rc < 0) {
		/* A seal cut short is incomplete, not malformed. */
		if (len - off < PA_SEAL_MEMBER_LEN) {
			snprintf(err, errlen, "the file ends inside a seal");
			return PA_GZ_INCOMPLETE;
		}
		snprintf(err, errlen, "a seal whose header or payload is malformed");
		return PA_GZ_BAD_SEAL;
	}
	m->is_seal = rc == 1;
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, GZIP_WBITS) != Z_OK) {
		snprintf(err, errlen, "out of memory");
		return PA_GZ_NOMEM;
	}
	z.next_in = (Bytef *)(uintptr_t)(buf + off);
	z.avail_in = 0;
	res = PA_GZ_MEMBER;
	for (;;) {
		size_t left = (size_t)((buf + len) - (const uint8_t *)z.next_in), n;

		if (z.avail_in == 0) /* avail_in is 32 bits: refill in pieces */
			z.avail_in = (uInt)(left > (1u << 30) ? (1u << 30) : left);
		z.next_out = chunk;
		z.avail_out = sizeof(chunk);
		rc = inflate(&z, Z_NO_FLUSH);
		n = sizeof(chunk) - z.avail_out;
		m->out_bytes += n;
		if (n && out && out(ctx, chunk, n)) {
			snprintf(err, errlen, "stopped by the reader");
			res = PA_GZ_SINK;
			break;
		}
		if (rc == Z_STREAM_END)
			break;
		if (rc == Z_OK)
			continue;
		if (rc == Z_BUF_ERROR && (const uint8_t *)z.next_in == buf + len) {
			snprintf(err, errlen, "the file ends inside a gzip member");
			res = PA_GZ_INCOMPLETE;
			break;
		}
		if (rc == Z_BUF_ERROR)
			continue;
		snprintf(err, errlen, "not a valid gzip member (%s)", z.msg ? z.msg : "zlib error");
		res = rc == Z_MEM_ERROR ? PA_GZ_NOMEM : PA_GZ_CORRUPT;
		break;
	}
	m->len = (size_t)((const uint8_t *)z.next_in - (buf + off));
	inflateEnd(&z);
	if (res == PA_GZ_MEMBER && m->is_seal && m->out_bytes != 0) {
		snprintf(err, errlen, "a seal that is not empty");
		return PA_GZ_BAD_SEAL;
	}
	return res;
}
