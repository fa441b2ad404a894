/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Where the CLI's records come from, line by line, oldest first:
 *
 *   a log directory  the store's files (store.h pa_store_list: name order
 *                    is time order), gzip member by member (gzmember.h);
 *                    seals are handed over apart (their sequence ranges
 *                    show records missing between members), and a file
 *                    whose name puts it wholly outside the time range is
 *                    skipped without being opened;
 *   an input file    plain JSONL (the agent's --jsonl output, what rsyslog
 *                    collected), or gzip when named *.gz; "-" is stdin;
 *   an input dir     its files in name order, each as an input file.
 *
 * Damage is reported (to @err, naming the file and byte offset) and read
 * past: a member cut short gives the whole lines before the cut, a corrupt
 * member is skipped (its bytes cannot be trusted) and reading goes on at
 * the next gzip header. Progress goes to @err when it is a terminal and a
 * scan has taken more than a second.
 */
#ifndef PHIAUDIT_QINPUT_H
#define PHIAUDIT_QINPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chain.h"

struct pa_qline {
	const char *file;   /* as given: DIR/NAME, or "-" */
	bool gz;
	uint64_t off;	    /* gzip: where the line's member begins; plain: the line's offset */
	uint64_t lineno;    /* plain: in the file; gzip: in the member; from 1 */
	const char *text;   /* without its newline */
	size_t len;
};

struct pa_qinput_ops {
	/* One line; non-zero stops the whole scan (the output went away). */
	int (*line)(void *ctx, const struct pa_qline *l);
	/* A seal between members of a gzip file. */
	void (*seal)(void *ctx, const char *file, const struct pa_seal *s);
	/* A file begins (@skipped: left out by its name's times; @new_source:
	 * the first of an --input or --log-dir). Records on either side of a
	 * skipped file, or of two sources, are not neighbours. */
	void (*file)(void *ctx, const char *file, bool skipped, bool new_source);
};

struct pa_qsource {
	const char *path;
	bool log_dir; /* --log-dir (the store's files only) or --input */
};

struct pa_qinput {
	const struct pa_qsource *src;
	size_t n_src;
	bool has_since, has_until; /* pick files by the times in their names */
	int64_t since_ms, until_ms;
	const char *prog; /* "phiaudit search": prefixes messages */
	FILE *err;
	bool progress;	  /* @err is a terminal */
	const struct pa_qinput_ops *ops;
	void *ctx;
	/* what happened */
	uint64_t files, files_skipped, files_read, bytes_in, lines;
	uint64_t damaged;  /* damaged members or files: results are partial */
	uint64_t failed;   /* sources or files that could not be read at all */
	bool stopped;	   /* ops->line asked to stop */
};

/* Read every source. 0, or -1 when nothing at all could be read. */
int pa_qinput_run(struct pa_qinput *in);

/* Does a file of the store, named with these times, hold records in the
 * range? (The range is widened by a minute at its end: a record's time
 * can be a little before the time its file was begun.) */
bool pa_qinput_name_in_range(const struct pa_qinput *in, const char *name);

#endif
