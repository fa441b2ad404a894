// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "names.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int nss_lookup(enum pa_name_kind kind, uint32_t id, char *out, size_t outlen)
{
	char buf[16384];
	int rc;

	if (kind == PA_NAME_USER) {
		struct passwd pw, *res = NULL;

		rc = getpwuid_r((uid_t)id, &pw, buf, sizeof(buf), &res);
		if (rc || !res || !res->pw_name)
			return 0;
		snprintf(out, outlen, "%s", res->pw_name);
	} else {
		struct group gr, *res = NULL;

		rc = getgrgid_r((gid_t)id, &gr, buf, sizeof(buf), &res);
		if (rc || !res || !res->gr_name)
			return 0;
		snprintf(out, outlen, "%s", res->gr_name);
	}
	return 1;
}

void pa_names_init(struct pa_names *n, pa_name_lookup_fn lookup)
{
	memset(n, 0, sizeof(*n));
	n->lookup = lookup ? lookup : nss_lookup;
}

static size_t slot_of(uint32_t id)
{
	return (size_t)((id * 2654435761u) % PA_NAMES_MAX);
}

const char *pa_name_of(struct pa_names *n, enum pa_name_kind kind, uint32_t id, uint64_t now_ns)
{
	struct pa_name_entry *tab = n->tab[kind], *e;
	size_t i = slot_of(id);

	/* Open addressing, linear probing; never more than 3/4 full. */
	for (;; i = (i + 1) % PA_NAMES_MAX) {
		e = &tab[i];
		if (!e->used || e->id == id)
			break;
	}
	if (e->used && now_ns < e->expires_ns) {
		n->hits++;
		return e->found ? e->name : NULL;
	}
	if (!e->used) {
		if (n->count[kind] + 1 > PA_NAMES_MAX * 3 / 4) {
			/* Full: start over rather than grow (bounded memory). */
			memset(tab, 0, sizeof(n->tab[kind]));
			n->count[kind] = 0;
			e = &tab[slot_of(id)];
		}
		n->count[kind]++;
	}
	e->used = true;
	e->id = id;
	e->expires_ns = now_ns + PA_NAMES_TTL_NS;
	n->lookups++;
	e->found = n->lookup(kind, id, e->name, sizeof(e->name)) == 1;
	if (!e->found)
		e->name[0] = '\0';
	return e->found ? e->name : NULL;
}
