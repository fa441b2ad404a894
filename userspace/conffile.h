/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The configuration file reader: JSON with comments, parsed by json-c, with
 * the file, line, column and key path of every value kept so that each
 * error reads
 *
 *   /etc/phiaudit/conf.d/10-site.conf:14:5: detection.scopes.process.window_s: must be ...
 *
 * This is the generic layer; the option table and the detector's config sit
 * on it. Nothing here prints, exits or keeps global state: errors (and notes
 * such as skipped drop-in names) are collected in the struct pa_conf, and
 * functions return a negative errno.
 *
 * The format is strict JSON (RFC 8259) plus // and block comments. Refused,
 * with a position: a top level that is not an object (an empty config is
 * written {}), duplicate keys in one object, null (remove the key to get
 * the default), NaN/Infinity and other numbers json-c tolerates but JSON
 * does not, integers outside [INT64_MIN, UINT64_MAX], single-quoted strings,
 * raw control characters in strings, "\u0000", unpaired surrogates, invalid
 * UTF-8 anywhere, NUL bytes, files over PA_CONF_MAX_SIZE. Lines and columns
 * start at 1; a column counts characters (a tab is one).
 *
 * Files: the main file, then every name in the drop-in directory that ends
 * in ".conf" and does not start with '.', in strcmp order (so "10-a.conf"
 * sorts before "9-b.conf": use two digits). Each later file is merged onto
 * the result: objects merge key by key, recursively; anything else (a
 * scalar, an array, or a value whose type changes) is replaced whole. A
 * value's position is where the file that supplied it set it.
 *
 * Security: the config decides what is audited, so every file read, the
 * directory holding the main file and the drop-in directory must be owned
 * by the expected owner (root in production) and not writable by group or
 * others, checked with fstat on the descriptor that is then read (no window
 * between check and read). Symlinks are followed and the target is what is
 * checked. Ancestors above those directories are not checked.
 *
 * Reloading: build a new pa_conf, validate, and swap; on any error keep the
 * running configuration.
 */
#ifndef PHIAUDIT_CONFFILE_H
#define PHIAUDIT_CONFFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct json_object;
struct pa_conf;

#define PA_CONF_MAIN	   "/etc/phiaudit/phiaudit.conf"
#define PA_CONF_DROPIN_DIR "/etc/phiaudit/conf.d"
#define PA_CONF_MAX_SIZE   (1u << 20) /* bytes a file */
#define PA_CONF_MAX_DEPTH  32	      /* nesting of objects and arrays */
#define PA_CONF_MAX_MSGS   64	      /* messages kept; more are only counted */

/* pa_conf_load() flags */
#define PA_CONF_OPTIONAL (1u << 0) /* a missing main file or drop-in dir is no error */

/* Messages, oldest first: v[0..n), total counts also those not kept. */
struct pa_conf_msgs {
	char *v[PA_CONF_MAX_MSGS];
	size_t n, total;
};

struct pa_conf_pos {
	const char *file; /* owned by the pa_conf */
	unsigned int line, col;
};

/* A context whose files must be owned by uid owner (0 in production). */
struct pa_conf *pa_conf_new(uid_t owner);
void pa_conf_free(struct pa_conf *c);

/*
 * Read main_path, then the drop-ins of dropin_dir; either may be NULL.
 * Every file is tried, so one run reports every broken file; a file with
 * an error is not merged. Returns 0 or the first error (-EPERM refused by
 * the permission check, -EINVAL not valid, -EFBIG too large, -ENOMEM, or
 * the open error); after an error the tree is incomplete: do not use it.
 */
int pa_conf_load(struct pa_conf *c, const char *main_path, const char *dropin_dir,
		 unsigned int flags);

/* Parse len bytes as a file called name and merge them; no permission
 * check (tests, and configs piped to `phiaudit config check -`). */
int pa_conf_load_buffer(struct pa_conf *c, const char *name, const char *text, size_t len);

/* The merged tree: an empty object until a file is loaded. Owned by c. */
struct json_object *pa_conf_root(const struct pa_conf *c);

const struct pa_conf_msgs *pa_conf_errors(const struct pa_conf *c);
const struct pa_conf_msgs *pa_conf_notes(const struct pa_conf *c); /* skipped names */

/*
 * Where v (a value of the tree) was set, and its key path, e.g.
 * "detection.allow[2].exe" ("" for a top level; keys that are not
 * [A-Za-z0-9_-]+ are written ["like.this"]). Returns 0, or -ENOENT when v
 * did not come from a file.
 */
int pa_conf_where(const struct pa_conf *c, const struct json_object *v, struct pa_conf_pos *pos,
		  char *path, size_t pathlen);

/*
 * Record "file:line:col: key.path: message" for the value at (or NULL:
 * no position), and return -EINVAL so a validator can `return
 * pa_conf_error(...)`. pa_conf_error_key() names obj's member key: where
 * it is set, or, when absent, obj's position with the path of the missing
 * key ("missing" errors).
 */
int pa_conf_error(struct pa_conf *c, const struct json_object *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int pa_conf_error_key(struct pa_conf *c, const struct json_object *obj, const char *key,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Typed getters for validators. Each reads member key of obj (or, when key
 * is NULL, obj itself, e.g. an array element). Returns 1 when read (*out
 * set), 0 when absent (obj NULL or no such key: *out keeps the default),
 * -EINVAL when wrong, with a positioned error recorded.
 *
 * Sizes: a whole number of bytes, or a string: a whole number, optional
 * spaces, and a unit, all powers of 1024: B (or none), k K KiB, M MiB,
 * G GiB, T TiB. "500MB" and other SI spellings are refused as ambiguous.
 * Durations: a whole number of seconds, or a string with a unit: s, m, h, d.
 */
int pa_conf_int(struct pa_conf *c, struct json_object *obj, const char *key, int64_t min,
		int64_t max, int64_t *out);
int pa_conf_bool(struct pa_conf *c, struct json_object *obj, const char *key, bool *out);
int pa_conf_string(struct pa_conf *c, struct json_object *obj, const char *key,
		   const char **out); /* non-empty; lives as long as c */
int pa_conf_size(struct pa_conf *c, struct json_object *obj, const char *key, uint64_t min,
		 uint64_t max, uint64_t *out);
int pa_conf_duration(struct pa_conf *c, struct json_object *obj, const char *key, uint64_t min_s,
		     uint64_t max_s, uint64_t *out_s);
int pa_conf_object(struct pa_conf *c, struct json_object *obj, const char *key,
		   struct json_object **out);
int pa_conf_array(struct pa_conf *c, struct json_object *obj, const char *key,
		  struct json_object **out);

/*
 * Report every key of obj not in known (NULL-terminated), as
 * 'unknown key "windw_s" in detection.scopes.process (did you mean
 * "window_s"?)', the suggestion being the closest known key within a
 * small edit distance. Returns 0 or -EINVAL.
 */
int pa_conf_check_keys(struct pa_conf *c, struct json_object *obj, const char *const *known);

/* The string forms above, for the command line too: 0, -EINVAL not of the
 * form, -ERANGE beyond 64 bits. */
int pa_parse_size(const char *s, uint64_t *out);
int pa_parse_duration(const char *s, uint64_t *out_s);

#endif
