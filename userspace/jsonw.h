/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * A small streaming JSON writer for records. Records are written on the
 * hot path, so no object tree is built (json-c takes ~13 us for a 1.3 KB
 * record here); the unit tests parse everything it writes back with
 * json-c. Byte strings (paths, comm) go through the reversible encoding in
 * pathenc.h, so the output is always valid UTF-8 and valid JSON.
 *
 * Errors are sticky: after an allocation failure every call is a no-op
 * and pa_jw_failed() says so.
 */
#ifndef PHIAUDIT_JSONW_H
#define PHIAUDIT_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PA_JW_MAX_DEPTH 16

struct pa_jw {
	char *buf;
	size_t len, cap;
	int depth;
	bool first[PA_JW_MAX_DEPTH]; /* next member is the first at depth */
	bool failed;
};

void pa_jw_init(struct pa_jw *w);
void pa_jw_reset(struct pa_jw *w); /* keep the buffer, drop the content */
void pa_jw_free(struct pa_jw *w);
static inline bool pa_jw_failed(const struct pa_jw *w) { return w->failed; }

/* key is NULL for array elements and the top level. */
void pa_jw_obj_open(struct pa_jw *w, const char *key);
void pa_jw_obj_close(struct pa_jw *w);
void pa_jw_arr_open(struct pa_jw *w, const char *key);
void pa_jw_arr_close(struct pa_jw *w);

void pa_jw_str(struct pa_jw *w, const char *key, const char *s); /* UTF-8 */
void pa_jw_bytes(struct pa_jw *w, const char *key, const void *b, size_t n);
void pa_jw_u64(struct pa_jw *w, const char *key, uint64_t v);
void pa_jw_i64(struct pa_jw *w, const char *key, int64_t v);
void pa_jw_bool(struct pa_jw *w, const char *key, bool v);
void pa_jw_null(struct pa_jw *w, const char *key);
/* Append a raw newline (records are one per line). */
void pa_jw_newline(struct pa_jw *w);

#endif
