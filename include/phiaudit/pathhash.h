/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The hash of a normalised relative path, computed the same way by the
 * agent (for the routes it installs) and by the BPF program (over the
 * string a denied open passed). FNV-1a, 64-bit, over the components joined
 * by single '/': "phi//./patients/" and "phi/patients" hash alike.
 * Callers feed a component's bytes with pa_hash_byte() and separate
 * components with pa_hash_sep(); empty and "." components are skipped by
 * the callers, ".." ends matching (no lexical guess across a symlink).
 */
#ifndef PHIAUDIT_PATHHASH_H
#define PHIAUDIT_PATHHASH_H

#ifndef __bpf__
#include <linux/types.h>
#endif

#define PA_FNV_OFFSET 0xcbf29ce484222325ULL
#define PA_FNV_PRIME 0x100000001b3ULL

static inline __u64 pa_hash_byte(__u64 h, unsigned char c)
{
	return (h ^ c) * PA_FNV_PRIME;
}

/* Called before every component but the first. */
static inline __u64 pa_hash_sep(__u64 h)
{
	return pa_hash_byte(h, '/');
}

#endif /* PHIAUDIT_PATHHASH_H */
