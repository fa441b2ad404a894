/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Loading the kernel programs: choose a sys_exit backend by trying each in
 * turn (load and attach: a probe that cannot lie), size the ring buffer,
 * and give the rest of the agent the maps it needs.
 */
#ifndef PHIAUDIT_LOADER_H
#define PHIAUDIT_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"
#include "phiaudit/abi.h"

struct phiaudit_bpf;
struct bpf_link;

#define PA_MAX_LINKS 72

struct pa_bpf {
	struct phiaudit_bpf *skel;
	struct bpf_link *links[PA_MAX_LINKS];
	bool ring_audited;	/* io_uring's tracepoints attached (tp_btf only) */
	size_t n_links;
	struct bpf_link *ident_link;
	struct bpf_link *discover_link;
	struct bpf_link *sweep_links[3]; /* fds, accounts, files */
	enum pa_hook_backend backend;
	bool have_bpf_loop;	 /* denied opens matched by route */
	bool sees_compat;	 /* the backend sees 32-bit syscalls */
	char missing[128];	 /* per-syscall tracepoints that did not attach */
};

const char *pa_hook_name(enum pa_hook_backend b);

/* 0, or -errno with a message for the operator in err. */
int pa_bpf_start(struct pa_bpf *b, const struct pa_options *o, char *err, size_t errlen);
void pa_bpf_stop(struct pa_bpf *b);

/* The agent's own open files as the kernel sees them (see pa_iter_ident). */
struct pa_idents {
	struct pa_ident *v;
	int n;
};

/* Every descriptor of the agent's, up to PA_IDENT_MAX. 0, or -errno. */
#define PA_IDENT_MAX 4096
int pa_bpf_idents(struct pa_bpf *b, struct pa_idents *t);
/* The identity behind @fd, or NULL when the kernel did not report it. */
const struct pa_ident *pa_idents_find(const struct pa_idents *t, int fd);
void pa_idents_free(struct pa_idents *t);

/*
 * Iterators that emit events to the ring buffer; drain(ctx) is called
 * between slices so the buffer never fills. *events counts the events the
 * iterator emitted. 0, or -errno.
 *   discover: files already open under a watch become tracked opens;
 *   sweep:    missed closes, dead processes, idle reports, released files.
 */
int pa_bpf_discover(struct pa_bpf *b, void (*drain)(void *), void *ctx, uint64_t *events);
int pa_bpf_sweep(struct pa_bpf *b, void (*drain)(void *), void *ctx, uint64_t *events);

/* Every read account still open (the agent's stop). 0, or -errno. */
int pa_bpf_each_account(struct pa_bpf *b,
			void (*fn)(void *, const struct pa_hold_key *, const struct pa_hold_val *),
			void *ctx);

/* Detach the syscall, exit and exec hooks (iterators stay): the accounts
 * stop changing, so the stop can report them exactly; the sweeps from now
 * on end accounts but send no progress reports. */
void pa_bpf_detach_hooks(struct pa_bpf *b);

/* Sum of each per-CPU counter. 0, or -errno. */
int pa_bpf_counters(struct pa_bpf *b, uint64_t out[PA_CNT_MAX]);

/* The last event sequence number the kernel handed out (emitted or not):
 * a loss at the very tail leaves no gap among the events received. */
uint64_t pa_bpf_kernel_seq(struct pa_bpf *b);

int pa_bpf_events_fd(struct pa_bpf *b);
int pa_bpf_map_fd(struct pa_bpf *b, const char *which); /* "watches", "sbs", "routes" */

#endif
