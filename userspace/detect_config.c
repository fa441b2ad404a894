// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The "detection" section of the configuration (docs/phiauditd.8,
 * DETECTION), read through conffile.h so that every error names the file,
 * line and key:
 *
 *   "detection": {
 *     "enabled": true,
 *     "sample_paths": 20,
 *     "scopes": {
 *       "process": { "window": "60s", "files": 100, "bytes": "500MiB" },
 *       "user":    { "enabled": false }
 *     },
 *     "allow": [
 *       { "name": "nightly backup", "exe": "/usr/bin/tar", "user": "backup",
 *         "hours": "01:00-04:00", "scopes": ["process", "user", "session"] }
 *     ]
 *   }
 *
 * What is not set keeps its default (pa_det_config_defaults).
 */
#include "detect_config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000ull
#define MAX_WINDOW_S (7 * 24 * 3600ull)

static int read_scope(struct pa_conf *c, struct json_object *obj, enum pa_det_scope s,
		      struct pa_det_limits *l)
{
	static const char *const keys[] = { "enabled", "window", "files", "bytes", NULL };
	uint64_t window_s = l->window_ns / SEC;
	int64_t files = (int64_t)l->files;
	int rc = pa_conf_check_keys(c, obj, keys);

	if (pa_conf_bool(c, obj, "enabled", &l->enabled) < 0 ||
	    pa_conf_duration(c, obj, "window", 1, MAX_WINDOW_S, &window_s) < 0 ||
	    pa_conf_int(c, obj, "files", 0, 100000000, &files) < 0 ||
	    pa_conf_size(c, obj, "bytes", 0, UINT64_MAX / 2, &l->bytes) < 0)
		return -EINVAL;
	if (s == PA_DET_FILE && files)
		return pa_conf_error_key(c, obj, "files",
					 "the file scope counts bytes of one file only: "
					 "leave files out (or 0)");
	l->window_ns = window_s * SEC;
	l->files = (uint64_t)files;
	if (l->enabled && !l->files && !l->bytes)
		return pa_conf_error(c, obj, "no threshold: set files or bytes, or "
					     "\"enabled\": false");
	return rc;
}

static int read_scopes(struct pa_conf *c, struct json_object *det, struct pa_det_config *out)
{
	static const char *const names[] = { "process", "user", "session", "container", "file",
					     NULL };
	struct json_object *scopes = NULL;
	int rc;

	if (pa_conf_object(c, det, "scopes", &scopes) < 0)
		return -EINVAL;
	if (!scopes)
		return 0;
	rc = pa_conf_check_keys(c, scopes, names);
	for (int s = 0; s < PA_DET_NSCOPES; s++) {
		struct json_object *one = NULL;

		if (pa_conf_object(c, scopes, names[s], &one) < 0) {
			rc = -EINVAL;
			continue;
		}
		if (one && read_scope(c, one, s, &out->scope[s]) < 0)
			rc = -EINVAL;
	}
	return rc;
}

/* "01:00-04:00", local time; from == to: all day. */
static int parse_hours(const char *s, int *from, int *to)
{
	unsigned h1, m1, h2, m2;
	int n = 0;

	if (sscanf(s, "%2u:%2u-%2u:%2u%n", &h1, &m1, &h2, &m2, &n) != 4 || s[n] ||
	    h1 > 24 || h2 > 24 || m1 > 59 || m2 > 59 || (h1 == 24 && m1) || (h2 == 24 && m2))
		return -EINVAL;
	*from = (int)(h1 * 60 + m1) % 1440;
	*to = (int)(h2 * 60 + m2) % 1440;
	return 0;
}

static int read_allow_scopes(struct pa_conf *c, struct json_object *obj, unsigned *mask)
{
	struct json_object *arr = NULL;

	if (pa_conf_array(c, obj, "scopes", &arr) < 0)
		return -EINVAL;
	if (!arr)
		return 0;
	*mask = 0;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *el = json_object_array_get_idx(arr, i);
		const char *name = NULL;
		int s;

		if (pa_conf_string(c, el, NULL, &name) < 0)
			return -EINVAL;
		s = pa_det_scope_by_name(name);
		if (s < 0)
			return pa_conf_error(c, el, "unknown scope \"%s\" (process, user, session, "
						    "container, file)", name);
		*mask |= 1u << s;
	}
	if (!*mask)
		return pa_conf_error(c, arr, "an allowance for no scope allows nothing: "
					     "leave scopes out for all of them");
	return 0;
}

static int read_allowance(struct pa_conf *c, struct json_object *obj, struct pa_det_allow *a)
{
	static const char *const keys[] = { "name", "exe", "user", "hours", "scopes", NULL };
	const char *name = NULL, *exe = NULL, *user = NULL, *hours = NULL;

	if (pa_conf_check_keys(c, obj, keys) < 0 || pa_conf_string(c, obj, "name", &name) < 0 ||
	    pa_conf_string(c, obj, "exe", &exe) < 0 || pa_conf_string(c, obj, "user", &user) < 0 ||
	    pa_conf_string(c, obj, "hours", &hours) < 0 || read_allow_scopes(c, obj, &a->scopes) < 0)
		return -EINVAL;
	if (!name)
		return pa_conf_error_key(c, obj, "name", "missing: an allowance needs a name, "
					 "which its findings carry");
	/* An allowance by time alone, or by program alone, would let anyone
	 * copy everything at that hour, or with that program. */
	if (!exe)
		return pa_conf_error_key(c, obj, "exe", "missing: an allowance names the program "
					 "(its absolute path)");
	if (exe[0] != '/')
		return pa_conf_error_key(c, obj, "exe", "\"%s\" is not an absolute path", exe);
	if (!user)
		return pa_conf_error_key(c, obj, "user", "missing: an allowance names the user "
					 "(name or uid) the program runs as");
	if (hours && parse_hours(hours, &a->from_min, &a->to_min))
		return pa_conf_error_key(c, obj, "hours", "\"%s\" is not HH:MM-HH:MM (local time, "
					 "e.g. \"01:00-04:00\"; \"22:00-02:00\" wraps midnight)",
					 hours);
	a->name = strdup(name);
	a->exe = strdup(exe);
	a->user = strdup(user);
	return a->name && a->exe && a->user ? 0 : -ENOMEM;
}

static int read_allowances(struct pa_conf *c, struct json_object *det, struct pa_det_config *out)
{
	struct json_object *arr = NULL;
	size_t n;
	int rc = 0;

	if (pa_conf_array(c, det, "allow", &arr) < 0)
		return -EINVAL;
	if (!arr || !(n = json_object_array_length(arr)))
		return 0;
	out->allow = calloc(n, sizeof(*out->allow));
	if (!out->allow)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		struct json_object *el = json_object_array_get_idx(arr, i);
		struct pa_det_allow *a = &out->allow[out->n_allow++];

		a->scopes = (1u << PA_DET_NSCOPES) - 1;
		if (!json_object_is_type(el, json_type_object)) {
			rc = pa_conf_error(c, el, "an allowance is an object "
					   "({\"name\": ..., \"exe\": ..., \"user\": ...})");
			continue;
		}
		if (read_allowance(c, el, a) < 0)
			rc = -EINVAL;
	}
	return rc;
}

int pa_det_config_read(struct pa_conf *c, struct json_object *root, struct pa_det_config *out)
{
	static const char *const keys[] = { "enabled", "sample_paths", "max_subjects",
					    "max_files", "scopes", "allow", NULL };
	struct json_object *det = NULL;
	int64_t sample = out->sample_paths, subjects = (int64_t)out->max_subjects;
	int64_t files = (int64_t)out->max_files;
	int rc;

	if (pa_conf_object(c, root, "detection", &det) < 0)
		return -EINVAL;
	if (!det)
		return 0;
	rc = pa_conf_check_keys(c, det, keys);
	if (pa_conf_bool(c, det, "enabled", &out->enabled) < 0 ||
	    pa_conf_int(c, det, "sample_paths", 0, PA_DET_SAMPLE_MAX, &sample) < 0 ||
	    pa_conf_int(c, det, "max_subjects", 16, 1 << 24, &subjects) < 0 ||
	    pa_conf_int(c, det, "max_files", 1024, 1 << 28, &files) < 0)
		rc = -EINVAL;
	out->sample_paths = (unsigned)sample;
	out->max_subjects = (size_t)subjects;
	out->max_files = (size_t)files;
	if (read_scopes(c, det, out) < 0) /* and then the rest: every error at once */
		rc = -EINVAL;
	if (read_allowances(c, det, out) < 0)
		rc = -EINVAL;
	return rc;
}

int pa_det_config_load(const char *path, uid_t owner, struct pa_det_config *out, char *err,
		       size_t errlen)
{
	struct pa_conf *c = pa_conf_new(owner);
	const struct pa_conf_msgs *m;
	int rc;

	pa_det_config_defaults(out);
	if (!c)
		return -ENOMEM;
	rc = pa_conf_load(c, path, NULL, 0);
	if (!rc)
		rc = pa_det_config_read(c, pa_conf_root(c), out);
	m = pa_conf_errors(c);
	if (rc) {
		size_t len = 0;

		err[0] = '\0';
		for (size_t i = 0; i < m->n && len < errlen; i++)
			len += (size_t)snprintf(err + len, errlen - len, "%s%s", i ? "\n" : "",
						m->v[i]);
		if (!m->n)
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		pa_det_config_free(out);
		pa_det_config_defaults(out);
	}
	pa_conf_free(c);
	return rc;
}
