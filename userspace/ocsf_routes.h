/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Records of the routes to a file's content other than read syscalls:
 * mmap, transfers (sendfile, splice, copy_file_range) and clones
 * (FICLONE, FICLONERANGE, FIDEDUPERANGE). Pure, like ocsf.h.
 */
#ifndef PHIAUDIT_OCSF_ROUTES_H
#define PHIAUDIT_OCSF_ROUTES_H

#include "ocsf.h"

/* What every route record says of its source file and its actor. */
struct pa_route_common {
	uint64_t time_ns;	/* UTC */
	uint64_t proc_start_ns; /* UTC */
	uint64_t record_seq;
	const char *path;	/* the source's host path; NULL when its open was lost */
	size_t path_len;
	unsigned int file_mode;
	const char *watch_path; /* NULL when unknown */
	const struct pa_identity *who;
	const struct pa_process_details *details;
};

struct pa_map_record {
	struct pa_route_common c;
	const struct pa_map_event *ev;
};

void pa_ocsf_map(struct pa_jw *w, const struct pa_host_info *h, const struct pa_map_record *r);

struct pa_xfer_record {
	struct pa_route_common c;
	const struct pa_xfer_event *ev;	    /* END (with totals) or ONCE */
	uint64_t first_ns, last_ns;	    /* UTC, the run's first and last call */
	const struct pa_path *dst_path;	    /* a file destination's host path; NULL: none */
	unsigned int dst_mode;
	bool dst_watched;		    /* the destination is itself in scope */
	bool has_socket;		    /* socket details known (from START) */
	const struct pa_xfer_event *socket; /* the event holding them; NULL: ev */
};

void pa_ocsf_xfer(struct pa_jw *w, const struct pa_host_info *h, const struct pa_xfer_record *r);

#endif
