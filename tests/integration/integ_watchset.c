// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Kernel test of the watch set changing while the programs run: add and
 * remove directories through the maps, never reloading or re-attaching.
 * Drives the agent's own loader and watch code in this process.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "decode.h"
#include "harness.h"
#include "loader.h"
#include "phiaudit.skel.h"
#include "watch.h"

#define MAX_SEEN 64

struct seen {
	size_t n;
	uint32_t tgid[MAX_SEEN], watch_id[MAX_SEEN];
};

static int on_event(void *ctx, void *data, size_t size)
{
	struct seen *s = ctx;
	struct pa_open_view v;

	if (pa_decode_open(data, size, &v) == 0 && s->n < MAX_SEEN) {
		s->tgid[s->n] = v.ev->proc.tgid;
		s->watch_id[s->n++] = v.ev->watch_id;
	}
	return 0;
}

static char dir_a[PATH_MAX], dir_b[PATH_MAX], file_a[PATH_MAX], file_b[PATH_MAX];

static int open_path(void *arg)
{
	int fd = open(arg, O_RDONLY);

	return fd < 0;
}

/* Events from the child that opened @path, after draining the ring. */
static size_t opens_seen(struct ring_buffer *rb, struct seen *s, const char *path,
			 uint32_t *watch_id)
{
	pid_t pid = h_child(open_path, (void *)path);
	size_t hits = 0;

	for (int i = 0; i < 10; i++) {
		ring_buffer__poll(rb, 50);
		ring_buffer__consume(rb);
	}
	for (size_t i = 0; i < s->n; i++) {
		if (s->tgid[i] == (uint32_t)pid) {
			hits++;
			*watch_id = s->watch_id[i];
		}
	}
	return hits;
}

static uint32_t prog_id(struct pa_bpf *b)
{
	struct bpf_prog_info info = { 0 };
	uint32_t len = sizeof(info);

	bpf_obj_get_info_by_fd(bpf_program__fd(b->skel->progs.pa_sys_exit_btf), &info, &len);
	return info.id;
}

static void test_watches_are_added_and_removed_without_reloading(void **state)
{
	struct harness h;
	struct pa_options o;
	struct pa_bpf b;
	struct pa_watchset ws = { 0 };
	struct seen s = { 0 };
	struct ring_buffer *rb;
	char err[4096];
	uint32_t id = 0, wid, prog;
	char dup_name[PATH_MAX];

	h_init(&h);
	h_path(dir_a, h.root, "a");
	h_path(dir_b, h.root, "b");
	h_mkdirs(dir_a);
	h_mkdirs(dir_b);
	h_path(file_a, dir_a, "fa");
	h_path(file_b, dir_b, "fb");
	h_write_file(file_a, "a", 0644);
	h_write_file(file_b, "b", 0644);

	pa_options_defaults(&o);
	assert_int_equal(pa_bpf_start(&b, &o, err, sizeof(err)), 0);
	assert_int_equal(b.backend, PA_HOOK_TP_BTF);
	prog = prog_id(&b);
	rb = ring_buffer__new(pa_bpf_events_fd(&b), on_event, &s, NULL);
	assert_non_null(rb);

	/* nothing watched: nothing seen */
	assert_int_equal(opens_seen(rb, &s, file_a, &id), 0);

	assert_int_equal(pa_watch_add(&ws, &b, dir_a, err, sizeof(err)), 0);
	wid = ws.w[0]->id;
	assert_int_equal(opens_seen(rb, &s, file_a, &id), 1);
	assert_int_equal(id, wid);
	/* the same directory again, by another name: a no-op */
	h_path(dup_name, h.root, "b/../a/.");
	assert_int_equal(pa_watch_add(&ws, &b, dup_name, err, sizeof(err)), 1);

	assert_int_equal(pa_watch_add(&ws, &b, dir_b, err, sizeof(err)), 0);
	assert_int_equal(pa_watch_remove(&ws, &b, dir_a), 0);
	assert_int_equal(opens_seen(rb, &s, file_a, &id), 0);
	assert_int_equal(opens_seen(rb, &s, file_b, &id), 1);
	assert_int_equal(id, ws.w[0]->id);
	assert_int_equal(pa_watch_remove(&ws, &b, dir_a), -ENOENT);

	/* the same program served every change */
	assert_int_equal(prog_id(&b), prog);

	ring_buffer__free(rb);
	pa_watch_clear(&ws, &b);
	pa_bpf_stop(&b);
	h_cleanup(&h);
}

static void test_watch_errors_name_the_path(void **state)
{
	struct pa_options o;
	struct pa_bpf b;
	struct pa_watchset ws = { 0 };
	char err[4096];

	pa_options_defaults(&o);
	assert_int_equal(pa_bpf_start(&b, &o, err, sizeof(err)), 0);
	assert_true(pa_watch_add(&ws, &b, "/nonexistent/phi", err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "/nonexistent/phi"));
	assert_true(pa_watch_add(&ws, &b, "/etc/hostname", err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "not a directory"));
	assert_int_equal(ws.n, 0);
	pa_bpf_stop(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_watches_are_added_and_removed_without_reloading),
		cmocka_unit_test(test_watch_errors_name_the_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
