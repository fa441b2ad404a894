/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The pieces every OCSF record shares (ocsf.c), for the encoders of other
 * record classes (finding.c): one writer per piece, so a field is written
 * the same way in every record.
 */
#ifndef PHIAUDIT_OCSF_PARTS_H
#define PHIAUDIT_OCSF_PARTS_H

#include "ocsf.h"

void pa_ocsfw_class(struct pa_jw *w, int class_uid, const char *class_name, int category,
		    const char *category_name, int activity, const char *activity_name);
void pa_ocsfw_time(struct pa_jw *w, uint64_t utc_ns);		    /* time, time_dt */
void pa_ocsfw_metadata(struct pa_jw *w, const struct pa_host_info *h, uint64_t record_seq);
void pa_ocsfw_device(struct pa_jw *w, const struct pa_host_info *h);
void pa_ocsfw_actor(struct pa_jw *w, const struct pa_proc *p, uint64_t start_ns,
		    const struct pa_identity *who, const struct pa_process_details *d);
/* unmapped: auid, auid_name, gid, group_name */
void pa_ocsfw_ids(struct pa_jw *w, const struct pa_proc *p, const struct pa_identity *who);
/* unmapped: cgroup, container, unit, tty, exe source, ancestors */
void pa_ocsfw_ancestry(struct pa_jw *w, const struct pa_process_details *d);
/* status_id, status; on failure (-errno) status_code and status_detail */
void pa_ocsfw_status(struct pa_jw *w, int ret);
/* An OCSF file object under @key ("file", "file_result"). */
void pa_ocsfw_file(struct pa_jw *w, const char *key, unsigned int file_mode, const char *path,
		   size_t len);
/* "inode" and "dev" ("major:minor" of a kernel dev_t) */
void pa_ocsfw_inode_dev(struct pa_jw *w, uint64_t ino, uint32_t dev);
/* "openat", "unlinkat", ... (enum pa_syscall) */
const char *pa_syscall_name(unsigned int op);

#endif
