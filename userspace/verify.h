/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * `phiaudit verify`: walk a log directory's files in order, member by
 * member, and check the chain (chain.h) from the initial key: every data
 * member matches its seal, every seal's tag is right, indexes run on
 * without a gap or a step back across files, rotated files end where
 * their names say. Members missing at the start must be accounted for by
 * a retention record that is itself in the chain.
 */
#ifndef PHIAUDIT_VERIFY_H
#define PHIAUDIT_VERIFY_H

#include <stdint.h>
#include <stdio.h>

#include "chain.h"

enum pa_verify_status {
	PA_VERIFY_OK = 0,	/* complete and unaltered */
	PA_VERIFY_ALTERED = 1,	/* altered, removed, reordered or cut short */
	PA_VERIFY_ERROR = 2,	/* could not be checked (I/O, no files) */
	PA_VERIFY_CRASH = 3,	/* unaltered; the active file ends in an unfinished member */
};

struct pa_verify_result {
	enum pa_verify_status status;
	uint64_t files, members, records, bytes;
	uint64_t first_index, last_index;   /* the chain present */
	uint64_t last_time_ns;		    /* the last seal's */
	uint64_t runs, crashes;		    /* agent runs seen; of them, ended by a crash */
	uint64_t partial_files;		    /* NAME.partial files left by recovery */
	uint64_t retained_before;	    /* members deleted by recorded retention */
	char problem[512];		    /* the first problem found, one sentence */
};

/* Check @dir with the initial key @key0. Findings, one a line, go to @out
 * (NULL: none); progress to @progress (NULL: none). */
enum pa_verify_status pa_verify_dir(const char *dir, const uint8_t key0[PA_CHAIN_KEY_LEN],
				    FILE *out, FILE *progress, struct pa_verify_result *res);

/* Read a key file: 64 hex digits, blank lines and # comments allowed.
 * 0, or -1 with err naming the file and line. */
int pa_read_key_file(const char *path, uint8_t key[PA_CHAIN_KEY_LEN], char *err, size_t errlen);

#endif
