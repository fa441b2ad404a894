/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Everything a record says about who acted beyond what the kernel event
 * carries: user and group names (names.h), the program, command line and
 * ancestry (procs.h), the cgroup with its container and unit (cgroups.h).
 * One place, used by the agent and by the pipeline benchmark alike.
 */
#ifndef PHIAUDIT_ENRICH_H
#define PHIAUDIT_ENRICH_H

#include <stdint.h>

#include "cgroups.h"
#include "decode.h"
#include "names.h"
#include "ocsf.h"
#include "procs.h"

struct pa_enrich {
	struct pa_names names;
	struct pa_procs procs;
	struct pa_cgroups cgroups;
	const int64_t *clock_offset; /* the agent's, kept current by its clock checks */
	/* scratch for the record being written */
	char anc_names[PA_MAX_ANCESTORS][PA_COMM_LEN];
	char tty[PA_TTY_LEN];
};

/* Names for a record's ids, copied out of the cache. */
struct pa_who {
	struct pa_identity id;
	char user[PA_NAME_LEN], group[PA_NAME_LEN], login[PA_NAME_LEN];
};

/* NULL roots and lookup: the real /proc, cgroup mount and NSS. */
void pa_enrich_init(struct pa_enrich *e, const int64_t *clock_offset, const char *proc_root,
		    const char *cgroup_root, pa_name_lookup_fn lookup);
void pa_enrich_free(struct pa_enrich *e);

/* The host's machine id and this boot's id into @h (buffers the caller
 * keeps); left NULL when a file is missing. */
void pa_host_read_ids(struct pa_host_info *h, char machine_id[64], char boot_id[64]);

const struct pa_identity *pa_enrich_who(struct pa_enrich *e, const struct pa_proc *p,
					struct pa_who *w);
/* Valid until the next call (it points into @e's scratch and tables). */
const struct pa_process_details *pa_enrich_describe(struct pa_enrich *e, const struct pa_proc *p,
						    struct pa_process_details *d);

/* Process details that outlive the tables they point into (a bulk-read
 * episode's end names the process of its alert, long gone by then). */
struct pa_kept_details {
	struct pa_process_details d;
	char *buf; /* every string of d, in one allocation */
};

/* 0, or -ENOMEM (then @k holds no details). */
int pa_enrich_keep(const struct pa_process_details *src, struct pa_kept_details *k);
void pa_enrich_kept_free(struct pa_kept_details *k);

/*
 * The records themselves, as the agent writes them (and the pipeline
 * benchmark measures them): times converted, names and details attached,
 * encoded into @jw. @path: the open's host path; @process_path: the path
 * the process saw when it differs (else NULL); @watch_path: NULL when
 * unknown. A Read's @o is its open (NULL when that record was lost);
 * @update: the account's writes (an Update record), not its reads.
 */
struct pa_open_info;
/* An open-layout record's fields, for encoders other than the Open
 * record's (a change): @who and @d hold what it points into. */
void pa_enrich_open_fill(struct pa_enrich *e, struct pa_open_record *r, uint64_t record_seq,
			 const struct pa_open_view *v, const struct pa_path *path,
			 const struct pa_path *process_path, const char *watch_path,
			 struct pa_who *who, struct pa_process_details *d);
void pa_enrich_open_record(struct pa_enrich *e, struct pa_jw *jw, const struct pa_host_info *host,
			   uint64_t record_seq, const struct pa_open_view *v,
			   const struct pa_path *path, const struct pa_path *process_path,
			   const char *watch_path);
void pa_enrich_read_record(struct pa_enrich *e, struct pa_jw *jw, const struct pa_host_info *host,
			   uint64_t record_seq, const struct pa_read_event *ev,
			   const struct pa_open_info *o, const char *watch_path, bool update);

#endif
