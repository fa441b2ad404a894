/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Bulk-read detection settings from the configuration's "detection"
 * object (detect_config.c shows the layout; docs/phiauditd.8 DETECTION
 * lists every key). Errors name the file, line and key (conffile.h).
 */
#ifndef PHIAUDIT_DETECT_CONFIG_H
#define PHIAUDIT_DETECT_CONFIG_H

#include <stddef.h>
#include <sys/types.h>

#include "conffile.h"
#include "detect.h"

/* Apply @root's "detection" (if any) over @out, which holds defaults or
 * earlier settings. 0, or -EINVAL with every error recorded in @c. */
int pa_det_config_read(struct pa_conf *c, struct json_object *root, struct pa_det_config *out);

/* Defaults, then the file at @path (a JSON object with a "detection"
 * member; files owned by @owner, not writable by others). 0, or -errno
 * with the messages, one a line, in @err; @out then holds the defaults. */
int pa_det_config_load(const char *path, uid_t owner, struct pa_det_config *out, char *err,
		       size_t errlen);

#endif
