/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's side of the routes that are not opens and read accounts
 * (issue 8): changes (PA_EV_CHANGE), mmaps (PA_EV_MAP) and transfers
 * (PA_EV_XFER). Some records are made of several events, matched here by
 * sequence number:
 *
 *   rename/link   OLD part, then NEW part (pair_seq = OLD's seq)
 *   transfer run  DEST description, START (dest_seq), ... END (totals)
 *   clone         DEST description, ONCE (dest_seq)
 *
 * Events of other CPUs can come between them, so each waiting part is
 * kept in a small table: a part whose partner was lost is written alone
 * (saying what is unknown) once it has waited PA_ROUTES_WAIT_NS.
 */
#ifndef PHIAUDIT_ROUTES_H
#define PHIAUDIT_ROUTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inodes.h"
#include "phiaudit/abi.h"

#define PA_ROUTES_PENDING 64	       /* OLD halves and destination names waiting */
#define PA_ROUTES_RUNS	  4096	       /* transfer runs open at once */
#define PA_ROUTES_WAIT_NS 2000000000ull /* 2 s */

struct pa_routes_part {
	uint64_t seq;		/* 0: free slot */
	uint64_t arrived_ns;	/* BOOTTIME, the agent's clock */
	void *event;		/* a copy of the PA_EV_CHANGE event */
	size_t size;
};

struct pa_routes_run {
	uint64_t account_seq, run; /* 0: free slot */
	char *dst_path;		   /* file destinations; NULL: none or unknown */
	unsigned int dst_mode;
	bool dst_watched;
	struct pa_xfer_event start; /* for the socket's details */
};

struct pa_routes {
	struct pa_routes_part olds[PA_ROUTES_PENDING];
	struct pa_routes_part dests[PA_ROUTES_PENDING];
	struct pa_routes_run *runs; /* PA_ROUTES_RUNS slots, allocated at first use */
	struct pa_inodes inodes;
	void *scratch;		  /* two rendered paths (routes.c) */
	uint64_t changes, maps, transfers, clones; /* records written */
	uint64_t parts_alone;	  /* rename/link halves written without the other */
	uint64_t runs_untracked;  /* a run's END with no START kept (lost, table full) */
	uint64_t nomem;
};

struct pa_agent;

void pa_routes_on_change(struct pa_agent *a, const void *data, size_t size);
void pa_routes_on_map(struct pa_agent *a, const void *data, size_t size);
void pa_routes_on_xfer(struct pa_agent *a, const void *data, size_t size);
/* An account's final report: a run of it whose END was lost is forgotten. */
void pa_routes_account_ended(struct pa_agent *a, uint64_t account_seq);
/* Write halves that waited too long (all of them when @final). */
void pa_routes_tick(struct pa_agent *a, bool final);
/* The Stop record's "routes" object, into a->jw. */
void pa_routes_write_stats(struct pa_agent *a);
void pa_routes_free(struct pa_routes *r);

#endif
