/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Building the paths a record shows from what the kernel sent: leaf-first
 * NUL-separated names (see include/phiaudit/abi.h), a watched directory's
 * path, and for denied opens the user's string. Pure functions.
 */
#ifndef PHIAUDIT_PATHS_H
#define PHIAUDIT_PATHS_H

#include <stdbool.h>
#include <stddef.h>

/* Large enough for a watch path, every kernel name and a user string. */
#define PA_PATH_BUF 20480

struct pa_path {
	size_t len;
	bool overflow; /* something did not fit: the record flags it */
	char s[PA_PATH_BUF];
};

void pa_path_set(struct pa_path *p, const char *s, size_t n);
/* Append "/name" for each name, last name first (root-first order). */
void pa_path_append_names(struct pa_path *p, const char *names, size_t len);
/* Append "/" + a relative string as given (n bytes). */
void pa_path_append_rel(struct pa_path *p, const char *rel, size_t n);
/* Lexical clean-up: "//" and "/./" collapse, ".." removes a component
 * (never above "/"); "" becomes "/". For user-supplied strings only:
 * kernel names never need it. */
void pa_path_normalize(struct pa_path *p);
/* Length of the first @depth components of an absolute path: 0 for depth
 * 0 ("/" contributes no characters), strlen("/srv") for depth 1 of
 * "/srv/phi", the whole length when it has fewer components. */
size_t pa_prefix_len(const char *path, unsigned int depth);
/* Offset of the last component (after the last '/'). */
size_t pa_path_base_off(const struct pa_path *p);



#include <stdint.h>

/*
 * The route hash of a relative path, the same arithmetic as the kernel's
 * (include/phiaudit/pathhash.h): components joined by one '/', empty and
 * "." components skipped. Used for canonical paths (no "..").
 */
uint64_t pa_path_hash(const char *rel, size_t n);

/* Is the normalised path p equal to dir or below it (component-wise)?
 * "/srv/phi2" is not below "/srv/phi"; everything is below "/". */
bool pa_path_within(const struct pa_path *p, const char *dir);
#endif
