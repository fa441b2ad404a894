/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * File names are bytes, not UTF-8. phiaudit's one reversible encoding for
 * putting bytes into JSON strings (docs/records.md, "Byte strings"):
 *
 *   - bytes that form valid UTF-8 are kept as they are;
 *   - a backslash becomes two backslashes:     a\b     -> a\\b
 *   - a byte that is not valid UTF-8 becomes \xHH (lowercase hex):
 *                                              caf\xe9 (Latin-1 "café")
 *
 * The result is valid UTF-8 (then JSON-escaped as usual), and decodes back
 * to the exact bytes. Readers (search, report) encode a user's query the
 * same way before matching.
 */
#ifndef PHIAUDIT_PATHENC_H
#define PHIAUDIT_PATHENC_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
size_t pa_utf8_seq_len(const unsigned char *s, size_t n);

/* Bytes pa_bytes_encode() writes for these n bytes (no NUL counted). */
size_t pa_bytes_encoded_len(const void *src, size_t n);

/* Encode n bytes; dst must hold pa_bytes_encoded_len() + 1. Returns length. */
size_t pa_bytes_encode(char *dst, const void *src, size_t n);

/*
 * One step of the encoding: consumes 1-4 bytes of src (n > 0), writes 1-4
 * bytes to out (*outlen). For writers that encode and escape in one pass.
 */
size_t pa_bytes_encode_step(const unsigned char *src, size_t n, char out[4], size_t *outlen);

/* Decode back to bytes. Returns length, or -1 on a malformed escape. */
long pa_bytes_decode(void *dst, size_t dstsz, const char *src, size_t n);

#endif
