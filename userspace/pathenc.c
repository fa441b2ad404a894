// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "pathenc.h"

#include <string.h>

size_t pa_utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned int lo = 0x80, hi = 0xbf; /* allowed range of 2nd byte */

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* no overlongs */
		else if (c == 0xed)
			hi = 0x9f; /* no UTF-16 surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f; /* nothing above U+10FFFF */
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/* One input step: how many source bytes it eats and what it writes. */
size_t pa_bytes_encode_step(const unsigned char *s, size_t n, char out[4], size_t *outlen)
{
	static const char hex[] = "0123456789abcdef";
	size_t k = pa_utf8_seq_len(s, n);

	if (k == 1 && s[0] == '\\') {
		out[0] = out[1] = '\\';
		*outlen = 2;
	} else if (k == 0) {
		out[0] = '\\';
		out[1] = 'x';
		out[2] = hex[s[0] >> 4];
		out[3] = hex[s[0] & 15];
		*outlen = 4;
		k = 1;
	} else {
		memcpy(out, s, k);
		*outlen = k;
	}
	return k;
}

size_t pa_bytes_encoded_len(const void *src, size_t n)
{
	const unsigned char *s = src;
	size_t len = 0, i = 0, l;
	char tmp[4];

	while (i < n) {
		i += pa_bytes_encode_step(s + i, n - i, tmp, &l);
		len += l;
	}
	return len;
}

size_t pa_bytes_encode(char *dst, const void *src, size_t n)
{
	const unsigned char *s = src;
	size_t len = 0, i = 0, l;

	while (i < n) {
		i += pa_bytes_encode_step(s + i, n - i, dst + len, &l);
		len += l;
	}
	dst[len] = '\0';
	return len;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

long pa_bytes_decode(void *dst, size_t dstsz, const char *src, size_t n)
{
	unsigned char *d = dst;
	size_t out = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)src[i];

		if (c == '\\') {
			if (i + 1 < n && src[i + 1] == '\\') {
				i++;
			} else if (i + 3 < n && src[i + 1] == 'x' && hexval(src[i + 2]) >= 0 &&
				   hexval(src[i + 3]) >= 0) {
				c = hexval(src[i + 2]) << 4 | hexval(src[i + 3]);
				i += 3;
			} else
				return -1;
		}
		if (out >= dstsz)
			return -1;
		d[out++] = (unsigned char)c;
	}
	return (long)out;
}
