/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * User and group names for records, from NSS (getpwuid_r/getgrgid_r), once
 * per id: a lookup can reach LDAP or SSSD and must not happen per event.
 * Bounded (PA_NAMES_MAX ids of each kind; when full the table starts over),
 * and entries expire (PA_NAMES_TTL_NS) so a user added or renamed later is
 * named within minutes. An id with no name is remembered too.
 */
#ifndef PHIAUDIT_NAMES_H
#define PHIAUDIT_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PA_NAMES_MAX	1024
#define PA_NAMES_TTL_NS (300ULL * 1000000000ULL)
#define PA_NAME_LEN	64

enum pa_name_kind { PA_NAME_USER, PA_NAME_GROUP };

/* Look one id up: 1 and the name in @out, 0 when there is none. Tests
 * replace it; the default is NSS. */
typedef int (*pa_name_lookup_fn)(enum pa_name_kind kind, uint32_t id, char *out, size_t outlen);

struct pa_name_entry {
	uint32_t id;
	bool used, found;
	uint64_t expires_ns;
	char name[PA_NAME_LEN];
};

struct pa_names {
	struct pa_name_entry tab[2][PA_NAMES_MAX];
	size_t count[2];
	pa_name_lookup_fn lookup;
	uint64_t lookups, hits; /* for the Stop record and tests */
};

void pa_names_init(struct pa_names *n, pa_name_lookup_fn lookup /* NULL: NSS */);

/* The name of @id, or NULL when it has none; valid until the next call
 * that may look up (store it in the record at once). */
const char *pa_name_of(struct pa_names *n, enum pa_name_kind kind, uint32_t id, uint64_t now_ns);

#endif
