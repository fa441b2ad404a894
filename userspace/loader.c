// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "loader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "phiaudit.skel.h"

const char *pa_hook_name(enum pa_hook_backend b)
{
	switch (b) {
	case PA_HOOK_TP_BTF: return "tp_btf";
	case PA_HOOK_RAW_TP: return "raw_tp";
	case PA_HOOK_TRACEPOINT: return "tracepoint";
	default: return "auto";
	}
}

/* libbpf's messages: all in --verbose, else the last few kept for errors. */
static char libbpf_tail[2048];

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];
	size_t keep, len;
	va_list full;

	if (level == LIBBPF_DEBUG && !pa_verbose)
		return 0;
	va_copy(full, ap);
	vsnprintf(line, sizeof(line), fmt, ap);
	if (pa_verbose) { /* whole: a verifier log is one long message */
		fprintf(stderr, "libbpf: ");
		vfprintf(stderr, fmt, full);
	}
	va_end(full);
	len = strlen(line);
	keep = strlen(libbpf_tail);
	if (keep + len >= sizeof(libbpf_tail)) {
		memmove(libbpf_tail, libbpf_tail + keep / 2, keep - keep / 2 + 1);
		keep = strlen(libbpf_tail);
	}
	if (len < sizeof(libbpf_tail) - keep)
		memcpy(libbpf_tail + keep, line, len + 1);
	return 0;
}

/* The programs of one backend: the syscall hook(s), then exit and exec. */
static struct bpf_program *const *backend_progs(struct phiaudit_bpf *s, enum pa_hook_backend b,
						size_t *n)
{
	static struct bpf_program *progs[PA_MAX_LINKS];

	switch (b) {
	case PA_HOOK_TP_BTF:
		progs[0] = s->progs.pa_sys_exit_btf;
		progs[1] = s->progs.pa_exit_btf;
		progs[2] = s->progs.pa_exec_btf;
		*n = 3;
		/* io_uring's tracepoints, where the kernel has them (ring_probe) */
		if (bpf_program__autoload(s->progs.pa_ring_complete_btf)) {
			progs[3] = s->progs.pa_ring_submit_btf;
			progs[4] = s->progs.pa_ring_file_get_btf;
			progs[5] = s->progs.pa_ring_complete_btf;
			*n = 6;
		}
		break;
	case PA_HOOK_RAW_TP:
		progs[0] = s->progs.pa_sys_exit_raw;
		progs[1] = s->progs.pa_exit_raw;
		progs[2] = s->progs.pa_exec_raw;
		*n = 3;
		break;
	default: {
		/* Every per-syscall tracepoint, and the exit and exec ones. */
		struct bpf_program *p;

		*n = 0;
		bpf_object__for_each_program(p, s->obj) {
			if (strncmp(bpf_program__name(p), "pa_tp_", 6) || *n == PA_MAX_LINKS)
				continue;
			progs[(*n)++] = p;
		}
	}
	}
	return progs;
}

/* Iterators: loaded whatever the backend. */
static bool is_iterator(struct phiaudit_bpf *s, struct bpf_program *p)
{
	return p == s->progs.pa_iter_ident || p == s->progs.pa_iter_discover ||
	       p == s->progs.pa_sweep_fds || p == s->progs.pa_sweep_holds ||
	       p == s->progs.pa_sweep_files;
}

/* A REQ_F_*_BIT value from the kernel's BTF (an anonymous enum, which
 * CO-RE cannot name); -1 when missing. */
static long btf_enum_value(const struct btf *btf, const char *name)
{
	for (unsigned int i = 1; i < btf__type_cnt(btf); i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const struct btf_enum *e;

		if (!btf_is_enum(t))
			continue;
		e = btf_enum(t);
		for (unsigned int j = 0; j < btf_vlen(t); j++)
			if (!strcmp(btf__name_by_offset(btf, e[j].name_off), name))
				return e[j].val;
	}
	return -1;
}

/*
 * Does this kernel have the io_uring tracepoints and the request flags
 * the ring programs read? Sets their bits; false: io_uring unaudited.
 */
static bool ring_probe(struct phiaudit_bpf *s)
{
	struct btf *btf = btf__load_vmlinux_btf();
	long fixed, skip, skip_link;
	bool ok;

	if (!btf)
		return false;
	fixed = btf_enum_value(btf, "REQ_F_FIXED_FILE_BIT");
	skip = btf_enum_value(btf, "REQ_F_CQE_SKIP_BIT");
	skip_link = btf_enum_value(btf, "REQ_F_SKIP_LINK_CQES_BIT");
	ok = fixed >= 0 && skip >= 0 &&
	     btf__find_by_name_kind(btf, "btf_trace_io_uring_complete", BTF_KIND_TYPEDEF) > 0 &&
	     btf__find_by_name_kind(btf, "btf_trace_io_uring_file_get", BTF_KIND_TYPEDEF) > 0 &&
	     btf__find_by_name_kind(btf, "btf_trace_io_uring_submit_req", BTF_KIND_TYPEDEF) > 0;
	if (ok) {
		s->rodata->pa_req_bit_fixed = (uint32_t)fixed;
		s->rodata->pa_req_bit_skip = (uint32_t)skip;
		/* missing: no short skip reads to correct; a bit never set */
		s->rodata->pa_req_bit_skip_link = skip_link >= 0 ? (uint32_t)skip_link : 63;
	}
	btf__free(btf);
	return ok;
}

static bool is_ring_prog(struct phiaudit_bpf *s, struct bpf_program *p)
{
	return p == s->progs.pa_ring_submit_btf || p == s->progs.pa_ring_file_get_btf ||
	       p == s->progs.pa_ring_complete_btf;
}

static void set_autoload(struct phiaudit_bpf *s, enum pa_hook_backend want)
{
	struct bpf_program *prog;
	size_t n;
	struct bpf_program *const *mine = backend_progs(s, want, &n);

	bpf_object__for_each_program(prog, s->obj) {
		bool on = is_iterator(s, prog);

		for (size_t i = 0; i < n; i++)
			on |= prog == mine[i];
		bpf_program__set_autoload(prog, on);
	}
}

/* Before set_autoload: the ring programs go with tp_btf, if the kernel has them. */
static void ring_autoload(struct pa_bpf *b, enum pa_hook_backend want)
{
	struct phiaudit_bpf *s = b->skel;
	bool on = want == PA_HOOK_TP_BTF && ring_probe(s);
	struct bpf_program *prog;

	b->ring_audited = on;
	bpf_object__for_each_program(prog, s->obj)
		if (is_ring_prog(s, prog))
			bpf_program__set_autoload(prog, on);
}

static int attach_backend(struct pa_bpf *b)
{
	size_t n;
	struct bpf_program *const *progs = backend_progs(b->skel, b->backend, &n);

	for (size_t i = 0; i < n; i++) {
		struct bpf_link *l = bpf_program__attach(progs[i]);

		if (!l) {
			int err = -errno;

			/* A per-syscall tracepoint this kernel lacks (openat2 before
			 * 5.6) leaves that syscall unaudited: say so, go on. */
			if (b->backend == PA_HOOK_TRACEPOINT) {
				size_t len = strlen(b->missing);

				const char *name = bpf_program__name(progs[i]);

				if (!strncmp(name, "pa_tp_exit_", 11))
					name += 11;
				snprintf(b->missing + len, sizeof(b->missing) - len, "%s%s",
					 len ? "," : "", name);
				continue;
			}
			return err;
		}
		b->links[b->n_links++] = l;
	}
	return b->n_links ? 0 : -ENOENT;
}

static struct bpf_link *attach_map_iter(struct bpf_program *prog, struct bpf_map *map)
{
	union bpf_iter_link_info info = { .map.map_fd = (uint32_t)bpf_map__fd(map) };
	LIBBPF_OPTS(bpf_iter_attach_opts, opts, .link_info = &info, .link_info_len = sizeof(info));

	return bpf_program__attach_iter(prog, &opts);
}

static int attach_iterators(struct pa_bpf *b)
{
	struct phiaudit_bpf *s = b->skel;

	b->ident_link = bpf_program__attach_iter(s->progs.pa_iter_ident, NULL);
	b->discover_link = bpf_program__attach_iter(s->progs.pa_iter_discover, NULL);
	/* In the order a sweep runs them: fds, then accounts, then files. */
	b->sweep_links[0] = attach_map_iter(s->progs.pa_sweep_fds, s->maps.pa_fds);
	b->sweep_links[1] = attach_map_iter(s->progs.pa_sweep_holds, s->maps.pa_holds);
	b->sweep_links[2] = attach_map_iter(s->progs.pa_sweep_files, s->maps.pa_files);
	if (!b->ident_link || !b->discover_link || !b->sweep_links[0] || !b->sweep_links[1] ||
	    !b->sweep_links[2])
		return -errno ? -errno : -ENOENT;
	return 0;
}

static int try_backend(struct pa_bpf *b, const struct pa_options *o, enum pa_hook_backend kind)
{
	int err;

	b->backend = kind;
	b->skel = phiaudit_bpf__open();
	if (!b->skel)
		return -errno;
	ring_autoload(b, kind);
	set_autoload(b->skel, kind);
	bpf_map__set_max_entries(b->skel->maps.pa_events, (uint32_t)o->ring_buffer_mb << 20);
	bpf_map__set_max_entries(b->skel->maps.pa_files, (uint32_t)o->max_open_files);
	bpf_map__set_max_entries(b->skel->maps.pa_fds, (uint32_t)o->max_open_files);
	bpf_map__set_max_entries(b->skel->maps.pa_holds, (uint32_t)o->max_open_files);
	b->skel->rodata->pa_agent_tgid = (uint32_t)getpid();
	b->skel->rodata->pa_have_bpf_loop = b->have_bpf_loop;
	err = phiaudit_bpf__load(b->skel);
	if (!err)
		err = attach_backend(b);
	if (!err)
		err = attach_iterators(b);
	if (err)
		pa_bpf_stop(b);
	return err;
}

static void explain(int err, char *msg, size_t len)
{
	if (err == -EPERM || err == -EACCES)
		snprintf(msg, len,
			 "the kernel refused to load the BPF programs (%s): run as root, or with "
			 "CAP_BPF, CAP_PERFMON and CAP_SYS_RESOURCE; a kernel in lockdown "
			 "'confidentiality' mode refuses them too",
			 strerror(-err));
	else
		snprintf(msg, len, "no syscall hook could be loaded (%s)%s; last libbpf messages:\n%s",
			 strerror(-err),
			 err == -ENOENT ? " (for --hook tracepoint: is tracefs mounted at "
					  "/sys/kernel/tracing?)" : "",
			 libbpf_tail[0] ? libbpf_tail : "(none)\n");
}

int pa_bpf_start(struct pa_bpf *b, const struct pa_options *o, char *err, size_t errlen)
{
	static const enum pa_hook_backend order[] = { PA_HOOK_TP_BTF, PA_HOOK_RAW_TP,
						      PA_HOOK_TRACEPOINT };
	int rc = -ENOENT;

	memset(b, 0, sizeof(*b));
	libbpf_set_print(libbpf_print);
	b->have_bpf_loop = libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_FUNC_loop,
						   NULL) == 1;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (o->hook != PA_HOOK_AUTO && o->hook != order[i])
			continue;
		rc = try_backend(b, o, order[i]);
		if (!rc) {
			b->sees_compat = order[i] != PA_HOOK_TRACEPOINT;
			return 0;
		}
		pa_debug("hook %s unavailable: %s", pa_hook_name(order[i]), strerror(-rc));
		if (rc == -EPERM)
			break; /* privileges, not the hook: no point going on */
	}
	explain(rc, err, errlen);
	return rc;
}

void pa_bpf_stop(struct pa_bpf *b)
{
	for (size_t i = 0; i < b->n_links; i++)
		bpf_link__destroy(b->links[i]);
	b->n_links = 0;
	bpf_link__destroy(b->ident_link);
	b->ident_link = NULL;
	bpf_link__destroy(b->discover_link);
	b->discover_link = NULL;
	for (size_t i = 0; i < 3; i++) {
		bpf_link__destroy(b->sweep_links[i]);
		b->sweep_links[i] = NULL;
	}
	phiaudit_bpf__destroy(b->skel);
	b->skel = NULL;
}

int pa_bpf_idents(struct pa_bpf *b, struct pa_idents *t)
{
	int fd;

	t->n = 0;
	t->v = calloc(PA_IDENT_MAX, sizeof(*t->v));
	if (!t->v)
		return -ENOMEM;
	b->skel->bss->pa_ident_tgid = (uint32_t)getpid();
	fd = bpf_iter_create(bpf_link__fd(b->ident_link));
	if (fd < 0)
		return -errno;
	for (;;) {
		struct pa_ident id;
		ssize_t r = read(fd, &id, sizeof(id));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (r == sizeof(id) && t->n < PA_IDENT_MAX)
			t->v[t->n++] = id;
	}
	close(fd);
	return 0;
}

const struct pa_ident *pa_idents_find(const struct pa_idents *t, int fd)
{
	for (int i = 0; i < t->n; i++)
		if ((int)t->v[i].fd == fd)
			return &t->v[i];
	return NULL;
}

void pa_idents_free(struct pa_idents *t)
{
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

/*
 * Run an iterator that emits events: each event it emits writes a marker
 * to the iterator's output, so reading it in small slices returns to us
 * every PA_ITER_SLICE events and we drain the ring buffer in between. A
 * sweep that ends ten thousand accounts must not overflow the buffer.
 */
#define PA_ITER_SLICE 256

static int run_iter(struct bpf_link *link, void (*drain)(void *), void *ctx, uint64_t *marks)
{
	char buf[PA_ITER_SLICE * 8];
	int fd = bpf_iter_create(bpf_link__fd(link));
	ssize_t r;

	if (fd < 0)
		return -errno;
	for (;;) {
		r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		*marks += (uint64_t)r / 8;
		drain(ctx);
	}
	close(fd);
	drain(ctx);
	return r < 0 ? -errno : 0;
}

int pa_bpf_discover(struct pa_bpf *b, void (*drain)(void *), void *ctx, uint64_t *events)
{
	*events = 0;
	return run_iter(b->discover_link, drain, ctx, events);
}

int pa_bpf_sweep(struct pa_bpf *b, void (*drain)(void *), void *ctx, uint64_t *events)
{
	int err = 0;

	*events = 0;
	for (size_t i = 0; i < 3 && !err; i++)
		err = run_iter(b->sweep_links[i], drain, ctx, events);
	return err;
}

int pa_bpf_each_account(struct pa_bpf *b,
			void (*fn)(void *, const struct pa_hold_key *, const struct pa_hold_val *),
			void *ctx)
{
	int fd = bpf_map__fd(b->skel->maps.pa_holds);
	struct pa_hold_key key, next;
	struct pa_hold_val val;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		if (bpf_map_lookup_elem(fd, &next, &val) == 0)
			fn(ctx, &next, &val);
		key = next;
		prev = &key;
	}
	return errno == ENOENT ? 0 : -errno;
}

void pa_bpf_detach_hooks(struct pa_bpf *b)
{
	b->skel->bss->pa_stopping = 1;
	for (size_t i = 0; i < b->n_links; i++)
		bpf_link__destroy(b->links[i]);
	b->n_links = 0;
}

int pa_bpf_counters(struct pa_bpf *b, uint64_t out[PA_CNT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(b->skel->maps.pa_counters);
	uint64_t *vals;

	if (ncpu <= 0)
		return ncpu;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (uint32_t k = 0; k < PA_CNT_MAX; k++) {
		out[k] = 0;
		if (bpf_map_lookup_elem(fd, &k, vals) == 0)
			for (int c = 0; c < ncpu; c++)
				out[k] += vals[c];
	}
	free(vals);
	return 0;
}

uint64_t pa_bpf_kernel_seq(struct pa_bpf *b)
{
	return __atomic_load_n(&b->skel->bss->pa_event_seq, __ATOMIC_ACQUIRE);
}

int pa_bpf_events_fd(struct pa_bpf *b)
{
	return bpf_map__fd(b->skel->maps.pa_events);
}

int pa_bpf_map_fd(struct pa_bpf *b, const char *which)
{
	if (!strcmp(which, "watches"))
		return bpf_map__fd(b->skel->maps.pa_watches);
	if (!strcmp(which, "sbs"))
		return bpf_map__fd(b->skel->maps.pa_watch_sbs);
	return bpf_map__fd(b->skel->maps.pa_routes);
}
