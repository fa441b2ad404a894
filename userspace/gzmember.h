/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * gzip members, one at a time: the store compresses each flush interval's
 * records into one member; readers (verify, recovery, the CLI) walk a file
 * member by member, so a file cut short still reads up to its last whole
 * member, and each member's exact bytes can be hashed.
 */
#ifndef PHIAUDIT_GZMEMBER_H
#define PHIAUDIT_GZMEMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

#include "chain.h"

struct pa_gzw {
	z_stream z;
	bool ready;	   /* deflateInit2 done */
	bool open;	   /* a member is being written */
	uint8_t *out;	   /* the member so far */
	size_t len, cap;
	uint64_t in_bytes; /* uncompressed bytes in the member */
	int level;
};

/* 0, or -ENOMEM / -EINVAL (level not 1-9). */
int pa_gzw_init(struct pa_gzw *w, int level);
/* Add bytes to the member being written (one is begun if needed). 0 or -ENOMEM. */
int pa_gzw_add(struct pa_gzw *w, const void *buf, size_t len);
/* End the member: *member (malloc'd, the caller frees) and *len. 0 or -ENOMEM;
 * -ENODATA when no member was begun. */
int pa_gzw_finish(struct pa_gzw *w, uint8_t **member, size_t *len);
void pa_gzw_free(struct pa_gzw *w);

enum pa_gz_result {
	PA_GZ_MEMBER = 1,      /* *m describes a whole member */
	PA_GZ_END = 0,	       /* off == len: nothing more */
	PA_GZ_INCOMPLETE = -1, /* the bytes end inside a member */
	PA_GZ_CORRUPT = -2,    /* not gzip, bad deflate data, bad CRC or length */
	PA_GZ_BAD_SEAL = -3,   /* a seal's header with a malformed payload */
	PA_GZ_NOMEM = -4,
	PA_GZ_SINK = -5,       /* the output callback asked to stop */
};

struct pa_gz_member {
	size_t off, len;     /* the member's bytes in the buffer */
	bool is_seal;
	struct pa_seal seal; /* when is_seal */
	uint64_t out_bytes;  /* decompressed size */
};

/* Called with each piece of a member's decompressed bytes; non-zero stops. */
typedef int (*pa_gz_out_fn)(void *ctx, const void *buf, size_t len);

/*
 * Read the member that starts at @off of @buf[0..@len). @out (may be NULL)
 * receives its decompressed bytes. @err says what was wrong on failure.
 */
enum pa_gz_result pa_gz_member_read(const uint8_t *buf, size_t len, size_t off,
				    struct pa_gz_member *m, pa_gz_out_fn out, void *ctx,
				    char *err, size_t errlen);

#endif
