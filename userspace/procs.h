/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * What the agent knows of each process that touched a watched file: its
 * program, command line and ancestry, keyed by (tgid, start) so a reused
 * pid never borrows another's identity. Filled from the kernel's
 * PA_EV_PROC event (exec details kept in the kernel since the exec), or,
 * for a process that exec'd before the agent started, from /proc once,
 * checked against the start time. Bounded: the least recently used entry
 * goes when the table is full; an exiting process's entry goes at once.
 */
#ifndef PHIAUDIT_PROCS_H
#define PHIAUDIT_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phiaudit/abi.h"

#define PA_PROCS_MAX	   8192
#define PA_PROC_ARGS_MAX   4096 /* bytes of a command line kept (from /proc) */

struct pa_proc_info {
	uint32_t tgid;
	uint64_t start_ns;	/* CLOCK_BOOTTIME */
	char *exe;		/* NULL when unknown */
	size_t exe_len;
	char *args;		/* argv, NUL-separated; NULL when unknown */
	size_t args_len;
	bool args_truncated, exe_truncated;
	const char *source;	/* "exec" (the kernel saw it), "memory" (arguments read
				 * from the process by the kernel, no exec seen) or "proc" */
	uint16_t n_ancestors;
	struct pa_ancestor ancestors[PA_MAX_ANCESTORS];
	bool have_ancestors;
	bool proc_tried;	/* /proc was read (or found to be another process) */
	char tty[PA_TTY_LEN];	/* "" when none or unknown */
	/* table links */
	struct pa_proc_info *next;	    /* bucket chain */
	struct pa_proc_info *lru_prev, *lru_next;
};

struct pa_procs {
	struct pa_proc_info *buckets[PA_PROCS_MAX];
	struct pa_proc_info *lru_head, *lru_tail; /* head: most recent */
	size_t n;
	const char *proc_root;	/* "/proc"; tests point it elsewhere */
	uint64_t evicted, proc_reads, proc_misses;
};

void pa_procs_init(struct pa_procs *t, const char *proc_root);
void pa_procs_free(struct pa_procs *t);

/* Take in a PA_EV_PROC event (already checked by pa_decode_proc). What it
 * lacks is read from /proc at the first pa_procs_get with a comm.
 * 0, or -ENOMEM. */
int pa_procs_put_event(struct pa_procs *t, const struct pa_proc_event *ev);

/* The process, or NULL. With @comm (the task's name, as the event gave
 * it), what is missing is read from /proc once (an entry is made either
 * way), and only if /proc still shows a task of that name: an exec since
 * would show another program. */
const struct pa_proc_info *pa_procs_get(struct pa_procs *t, uint32_t tgid, uint64_t start_ns,
					const char *comm);

/* The process exited: forget it. */
void pa_procs_forget(struct pa_procs *t, uint32_t tgid, uint64_t start_ns);

#endif
