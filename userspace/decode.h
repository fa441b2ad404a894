/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Checking what arrives from the ring buffer before anything trusts it:
 * sizes agree with the header, lengths with the data. Pure.
 */
#ifndef PHIAUDIT_DECODE_H
#define PHIAUDIT_DECODE_H

#include <stddef.h>

#include "phiaudit/abi.h"

struct pa_open_view {
	const struct pa_open_event *ev;
	const char *user, *rel, *view; /* into the event's data area */
	const char *name;	       /* PA_EV_CHANGE: xattr name; NULL: none */
};

/* An open, or a change in the open layout (PA_EV_CHANGE).
 * 0, or -EINVAL when the record is malformed (the agent counts it). */
int pa_decode_open(const void *data, size_t size, struct pa_open_view *out);

/* Fixed-size records: the record, or NULL when malformed. */
const struct pa_read_event *pa_decode_read(const void *data, size_t size);
const struct pa_hint_event *pa_decode_hint(const void *data, size_t size);
const struct pa_file_gone_event *pa_decode_file_gone(const void *data, size_t size);
const struct pa_map_event *pa_decode_map(const void *data, size_t size);
const struct pa_xfer_event *pa_decode_xfer(const void *data, size_t size);
/* Also checks exe_len < PA_EXE_LEN, args_len, n_ancestors. */
const struct pa_proc_event *pa_decode_proc(const void *data, size_t size);

/* The type of any record, or -EINVAL if it has no valid header. */
int pa_decode_type(const void *data, size_t size);


#include <stdbool.h>
#include "paths.h"

/*
 * The two paths a record shows for an open:
 *   host: the watched directory's path + the names below it; for a denied
 *         open, built from the user's string (path_source "user");
 *   view: the path the process saw (its root, its mount namespace).
 * watch_path is NULL when the watch is unknown (scope unresolved): host is
 * then the names as far as the kernel could go, without a leading '/'.
 * Returns true when view differs from host (the record then shows both).
 */
bool pa_open_paths(const struct pa_open_view *v, const char *watch_path, struct pa_path *host,
		   struct pa_path *view);
#endif
