// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * decode: a ring-buffer record is trusted only when its sizes agree with
 * its header and its lengths with its data; pa_open_paths then builds the
 * host path (watch + names, or the user's string) and the process's view.
 * The fixed-size records (read accounts, hints, released files) must be
 * exactly their size, and a read account must make sense: a known reason,
 * final 0 or 1, only progress before the final report, no bytes without
 * a read.
 */
#include "unit.h"

#include <errno.h>

#include "decode.h"
#include "events.h"

struct fx {
	struct unit_event e;
	struct pa_open_event t; /* template the test edits */
	struct pa_open_view v;
	struct pa_path host, view;
	union { /* a fixed-size record, with room for a header claiming more */
		struct pa_read_event rd;
		struct pa_hint_event hint;
		struct pa_file_gone_event gone;
		unsigned char fixed[sizeof(struct pa_read_event) + 8];
	};
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	unit_event_defaults(&f->t);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* Decode f->e (must succeed) and build both paths. */
static bool paths(struct fx *f, const char *watch_path)
{
	assert_int_equal(pa_decode_open(f->e.raw, f->e.size, &f->v), 0);
	return pa_open_paths(&f->v, watch_path, &f->host, &f->view);
}

/* ---- record validation ---- */

static void test_decode_accepts_well_formed_open(void **state)
{
	struct fx *f = *state;
	const char *data = (const char *)f->e.raw + sizeof(struct pa_open_event);

	f->t.path_flags = PA_PATH_FROM_USER;
	unit_event_build(&f->e, &f->t, UNIT_USER("u"), UNIT_NAMES("r\0"), UNIT_NAMES("v\0"));
	assert_int_equal(pa_decode_open(f->e.raw, f->e.size, &f->v), 0);
	assert_ptr_equal(f->v.ev, &f->e.ev);
	assert_ptr_equal(f->v.user, data);
	assert_ptr_equal(f->v.rel, data + 2);
	assert_ptr_equal(f->v.view, data + 4);
}

static void test_decode_type_returns_type_of_valid_header(void **state)
{
	struct fx *f = *state;

	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NO_NAMES, UNIT_NO_NAMES);
	assert_int_equal(pa_decode_type(f->e.raw, f->e.size), PA_EV_OPEN);
}

static void test_decode_type_rejects_buffer_smaller_than_header(void **state)
{
	struct fx *f = *state;

	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NO_NAMES, UNIT_NO_NAMES);
	f->e.ev.hdr.size = sizeof(struct pa_event_hdr) - 1;
	assert_int_equal(pa_decode_type(f->e.raw, sizeof(struct pa_event_hdr) - 1), -EINVAL);
}

static void test_decode_type_rejects_header_size_beyond_buffer(void **state)
{
	struct fx *f = *state;

	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NO_NAMES, UNIT_NO_NAMES);
	assert_int_equal(pa_decode_type(f->e.raw, f->e.size - 1), -EINVAL);
}

static void test_decode_type_rejects_header_size_below_header(void **state)
{
	struct fx *f = *state;

	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NO_NAMES, UNIT_NO_NAMES);
	f->e.ev.hdr.size = 8;
	assert_int_equal(pa_decode_type(f->e.raw, f->e.size), -EINVAL);
}

static void test_decode_open_rejects_buffer_smaller_than_event(void **state)
{
	struct fx *f = *state;

	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NO_NAMES, UNIT_NO_NAMES);
	f->e.ev.hdr.size = sizeof(struct pa_open_event) - 1;
	assert_int_equal(pa_decode_open(f->e.raw, sizeof(struct pa_open_event) - 1, &f->v),
			 -EINVAL);
}

static void test_decode_open_rejects_header_size_beyond_buffer(void **state)
{
	struct fx *f = *state;

	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NAMES("a\0"), UNIT_NO_NAMES);
	assert_int_equal(pa_decode_open(f->e.raw, f->e.size - 1, &f->v), -EINVAL);
}

static void test_decode_open_rejects_lengths_longer_than_data(void **state)
{
	struct fx *f = *state;

	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NAMES("a\0"), UNIT_NAMES("b\0"));
	f->e.ev.view_len++;
	assert_int_equal(pa_decode_open(f->e.raw, f->e.size, &f->v), -EINVAL);
}

static void test_decode_open_rejects_lengths_shorter_than_data(void **state)
{
	struct fx *f = *state;

	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NAMES("a\0"), UNIT_NAMES("b\0"));
	f->e.ev.rel_len--;
	assert_int_equal(pa_decode_open(f->e.raw, f->e.size, &f->v), -EINVAL);
}

static void test_decode_open_rejects_user_string_without_nul(void **state)
{
	struct fx *f = *state;

	f->t.path_flags = PA_PATH_FROM_USER;
	unit_event_build(&f->e, &f->t, UNIT_NAMES("abc"), UNIT_NO_NAMES, UNIT_NO_NAMES);
	assert_int_equal(pa_decode_open(f->e.raw, f->e.size, &f->v), -EINVAL);
}

static void test_decode_open_rejects_other_record_type(void **state)
{
	struct fx *f = *state;

	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NO_NAMES, UNIT_NO_NAMES);
	f->e.ev.hdr.type = PA_EV_OPEN + 1;
	assert_int_equal(pa_decode_open(f->e.raw, f->e.size, &f->v), -EINVAL);
}

static void test_decode_open_rejects_user_path_flag_without_user_string(void **state)
{
	/* pa_open_paths reads the user string of a PA_PATH_FROM_USER record;
	 * without one it would read the names, or past the record. */
	struct fx *f = *state;

	f->t.path_flags = PA_PATH_FROM_USER;
	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NO_NAMES, UNIT_NO_NAMES);
	assert_int_equal(pa_decode_open(f->e.raw, f->e.size, &f->v), -EINVAL);
}

/* ---- read accounts ---- */

/* The default account with reason and final changed: decoded or not? */
static bool read_decodes(struct fx *f, unsigned int reason, unsigned int final)
{
	unit_read_defaults(&f->rd);
	f->rd.reason = (__u8)reason;
	f->rd.final = (__u8)final;
	return pa_decode_read(&f->rd, sizeof(f->rd)) != NULL;
}

static void test_decode_read_accepts_final_account(void **state)
{
	struct fx *f = *state;

	unit_read_defaults(&f->rd);
	assert_ptr_equal(pa_decode_read(&f->rd, sizeof(f->rd)), &f->rd);
}

static void test_decode_read_accepts_progress_report(void **state)
{
	assert_true(read_decodes(*state, PA_READ_PROGRESS, 0));
}

static void test_decode_read_accepts_final_report_of_each_end_reason(void **state)
{
	for (unsigned int r = PA_READ_CLOSE; r <= PA_READ_AGENT_STOP; r++)
		assert_true(read_decodes(*state, r, 1));
}

static void test_decode_read_accepts_reads_that_returned_no_bytes(void **state)
{
	/* read(2) at end of file succeeds and returns 0: a call, no bytes. */
	struct fx *f = *state;

	unit_read_defaults(&f->rd);
	f->rd.bytes = 0;
	f->rd.calls = 3;
	assert_non_null(pa_decode_read(&f->rd, sizeof(f->rd)));
}

static void test_decode_read_accepts_account_without_reads(void **state)
{
	struct fx *f = *state;

	unit_read_defaults(&f->rd);
	f->rd.bytes = 0;
	f->rd.calls = 0;
	f->rd.first_ns = f->rd.last_ns = 0;
	assert_non_null(pa_decode_read(&f->rd, sizeof(f->rd)));
}

static void test_decode_type_of_read_account_is_read(void **state)
{
	struct fx *f = *state;

	unit_read_defaults(&f->rd);
	assert_int_equal(pa_decode_type(&f->rd, sizeof(f->rd)), PA_EV_READ);
}

static void test_decode_read_rejects_header_size_below_record(void **state)
{
	struct fx *f = *state;

	unit_read_defaults(&f->rd);
	f->rd.hdr.size = sizeof(f->rd) - 1;
	assert_null(pa_decode_read(&f->rd, sizeof(f->rd)));
}

static void test_decode_read_rejects_header_size_above_record(void **state)
{
	/* Even when the buffer holds that much: a fixed record is its size. */
	struct fx *f = *state;

	unit_read_defaults(&f->rd);
	f->rd.hdr.size = sizeof(f->rd) + 8;
	assert_null(pa_decode_read(f->fixed, sizeof(f->rd) + 8));
}

static void test_decode_read_rejects_buffer_shorter_than_record(void **state)
{
	struct fx *f = *state;

	unit_read_defaults(&f->rd);
	assert_null(pa_decode_read(&f->rd, sizeof(f->rd) - 1));
	assert_null(pa_decode_read(&f->rd, sizeof(struct pa_event_hdr)));
}

static void test_decode_read_rejects_other_record_type(void **state)
{
	struct fx *f = *state;

	unit_read_defaults(&f->rd);
	f->rd.hdr.type = PA_EV_OPEN;
	assert_null(pa_decode_read(&f->rd, sizeof(f->rd)));
	f->rd.hdr.type = PA_EV_HINT;
	assert_null(pa_decode_read(&f->rd, sizeof(f->rd)));
}

static void test_decode_read_rejects_reason_out_of_range(void **state)
{
	assert_false(read_decodes(*state, PA_READ_AGENT_STOP + 1, 1));
	assert_false(read_decodes(*state, 255, 1));
}

static void test_decode_read_rejects_final_other_than_0_or_1(void **state)
{
	assert_false(read_decodes(*state, PA_READ_CLOSE, 2));
	assert_false(read_decodes(*state, PA_READ_PROGRESS, 2));
}

static void test_decode_read_rejects_progress_report_with_end_reason(void **state)
{
	/* Only the final report says why the account ended. */
	for (unsigned int r = PA_READ_CLOSE; r <= PA_READ_AGENT_STOP; r++)
		assert_false(read_decodes(*state, r, 0));
}

static void test_decode_read_rejects_bytes_without_calls(void **state)
{
	struct fx *f = *state;

	unit_read_defaults(&f->rd);
	f->rd.bytes = 4096;
	f->rd.calls = 0;
	assert_null(pa_decode_read(&f->rd, sizeof(f->rd)));
}

/* ---- hints and released files ---- */

static void hint_defaults(struct pa_hint_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->hdr.type = PA_EV_HINT;
	ev->hdr.size = sizeof(*ev);
	ev->hdr.seq = 92;
	ev->hdr.ktime_ns = 7000000000ULL;
	ev->tgid = 4242;
	ev->hint = PA_HINT_EXIT;
	ev->start_ns = 1000000000ULL;
}

static void gone_defaults(struct pa_file_gone_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->hdr.type = PA_EV_FILE_GONE;
	ev->hdr.size = sizeof(*ev);
	ev->hdr.seq = 93;
	ev->hdr.ktime_ns = 8000000000ULL;
	ev->file = 0xffff888012345600ULL;
	ev->open_seq = 77;
}

static void test_decode_hint_accepts_well_formed_hint(void **state)
{
	struct fx *f = *state;

	hint_defaults(&f->hint);
	assert_ptr_equal(pa_decode_hint(&f->hint, sizeof(f->hint)), &f->hint);
}

static void test_decode_hint_rejects_wrong_header_size(void **state)
{
	struct fx *f = *state;

	hint_defaults(&f->hint);
	f->hint.hdr.size = sizeof(f->hint) - 1;
	assert_null(pa_decode_hint(&f->hint, sizeof(f->hint)));
	f->hint.hdr.size = sizeof(f->hint) + 8;
	assert_null(pa_decode_hint(f->fixed, sizeof(f->hint) + 8));
}

static void test_decode_hint_rejects_buffer_shorter_than_record(void **state)
{
	struct fx *f = *state;

	hint_defaults(&f->hint);
	assert_null(pa_decode_hint(&f->hint, sizeof(f->hint) - 1));
}

static void test_decode_hint_rejects_other_record_type(void **state)
{
	/* A released-file record is the same size as a hint. */
	struct fx *f = *state;

	hint_defaults(&f->hint);
	f->hint.hdr.type = PA_EV_FILE_GONE;
	assert_null(pa_decode_hint(&f->hint, sizeof(f->hint)));
}

static void test_decode_file_gone_accepts_well_formed_record(void **state)
{
	struct fx *f = *state;

	gone_defaults(&f->gone);
	assert_ptr_equal(pa_decode_file_gone(&f->gone, sizeof(f->gone)), &f->gone);
}

static void test_decode_file_gone_rejects_wrong_header_size(void **state)
{
	struct fx *f = *state;

	gone_defaults(&f->gone);
	f->gone.hdr.size = sizeof(f->gone) - 1;
	assert_null(pa_decode_file_gone(&f->gone, sizeof(f->gone)));
	f->gone.hdr.size = sizeof(f->gone) + 8;
	assert_null(pa_decode_file_gone(f->fixed, sizeof(f->gone) + 8));
}

static void test_decode_file_gone_rejects_buffer_shorter_than_record(void **state)
{
	struct fx *f = *state;

	gone_defaults(&f->gone);
	assert_null(pa_decode_file_gone(&f->gone, sizeof(f->gone) - 1));
}

static void test_decode_file_gone_rejects_other_record_type(void **state)
{
	struct fx *f = *state;

	gone_defaults(&f->gone);
	f->gone.hdr.type = PA_EV_HINT;
	assert_null(pa_decode_file_gone(&f->gone, sizeof(f->gone)));
}

/* ---- host and view paths ---- */

static void test_paths_in_scope_open_is_watch_plus_names(void **state)
{
	struct fx *f = *state;

	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NAMES("chart.txt\0" "1234\0" "patients\0"),
			 UNIT_NAMES("chart.txt\0" "1234\0" "patients\0" "phi\0" "srv\0"));
	assert_false(paths(f, "/srv/phi"));
	assert_string_equal(f->host.s, "/srv/phi/patients/1234/chart.txt");
	assert_string_equal(f->view.s, "/srv/phi/patients/1234/chart.txt");
}

static void test_paths_watch_on_root_has_no_double_slash(void **state)
{
	struct fx *f = *state;

	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NAMES("chart.txt\0" "phi\0"),
			 UNIT_NAMES("chart.txt\0" "phi\0"));
	assert_false(paths(f, "/"));
	assert_string_equal(f->host.s, "/phi/chart.txt");
}

static void test_paths_watched_dir_itself_is_the_watch_path(void **state)
{
	struct fx *f = *state;

	f->t.file_mode = 040750;
	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NO_NAMES, UNIT_NAMES("phi\0" "srv\0"));
	assert_false(paths(f, "/srv/phi"));
	assert_string_equal(f->host.s, "/srv/phi");
	assert_string_equal(f->view.s, "/srv/phi");
}

static void test_paths_root_watch_opened_itself_is_slash(void **state)
{
	struct fx *f = *state;

	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NO_NAMES, UNIT_NO_NAMES);
	assert_false(paths(f, "/"));
	assert_string_equal(f->host.s, "/");
	assert_string_equal(f->view.s, "/");
}

static void test_paths_bind_mount_view_differs_from_host(void **state)
{
	struct fx *f = *state;

	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NAMES("chart.txt\0" "patients\0"),
			 UNIT_NAMES("chart.txt\0" "patients\0" "data\0" "mnt\0"));
	assert_true(paths(f, "/srv/phi"));
	assert_string_equal(f->host.s, "/srv/phi/patients/chart.txt");
	assert_string_equal(f->view.s, "/mnt/data/patients/chart.txt");
}

static void test_paths_chrooted_process_sees_path_from_its_root(void **state)
{
	struct fx *f = *state;

	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NAMES("chart.txt\0"),
			 UNIT_NAMES("chart.txt\0" "phi\0"));
	assert_true(paths(f, "/srv/jail/phi"));
	assert_string_equal(f->host.s, "/srv/jail/phi/chart.txt");
	assert_string_equal(f->view.s, "/phi/chart.txt");
}

static void test_paths_denied_relative_open_from_start_dir_in_scope(void **state)
{
	/* cwd /srv/phi/patients, open("1234/chart.txt") -> EACCES */
	struct fx *f = *state;

	f->t.ret = -EACCES;
	f->t.file_ino = 0;
	f->t.file_mode = 0;
	f->t.path_flags = PA_PATH_FROM_USER;
	unit_event_build(&f->e, &f->t, UNIT_USER("1234/chart.txt"), UNIT_NAMES("patients\0"),
			 UNIT_NAMES("patients\0" "phi\0" "srv\0"));
	assert_false(paths(f, "/srv/phi"));
	assert_string_equal(f->host.s, "/srv/phi/patients/1234/chart.txt");
	assert_string_equal(f->view.s, "/srv/phi/patients/1234/chart.txt");
}

static void test_paths_denied_relative_open_with_dotdot_is_resolved(void **state)
{
	struct fx *f = *state;

	f->t.ret = -EACCES;
	f->t.path_flags = PA_PATH_FROM_USER;
	unit_event_build(&f->e, &f->t, UNIT_USER("../other/./../patients//1234/chart.txt"),
			 UNIT_NAMES("patients\0"), UNIT_NAMES("patients\0" "phi\0" "srv\0"));
	paths(f, "/srv/phi");
	assert_string_equal(f->host.s, "/srv/phi/patients/1234/chart.txt");
	assert_string_equal(f->view.s, "/srv/phi/patients/1234/chart.txt");
}

static void test_paths_denied_absolute_open_in_scope_is_the_user_string(void **state)
{
	struct fx *f = *state;

	f->t.ret = -EACCES;
	f->t.path_flags = PA_PATH_FROM_USER;
	unit_event_build(&f->e, &f->t, UNIT_USER("/srv//phi/./patients/x.txt"), UNIT_NO_NAMES,
			 UNIT_NAMES("phi\0" "srv\0"));
	assert_false(paths(f, "/srv/phi"));
	assert_string_equal(f->host.s, "/srv/phi/patients/x.txt");
}

static void test_paths_denied_absolute_open_via_route(void **state)
{
	/* cwd /, open("/srv/phi/patients/x.txt"): placed by a route from "/". */
	struct fx *f = *state;

	f->t.ret = -EACCES;
	f->t.path_flags = PA_PATH_FROM_USER | PA_PATH_VIA_ROUTE;
	unit_event_build(&f->e, &f->t, UNIT_USER("/srv/phi/patients/x.txt"), UNIT_NO_NAMES,
			 UNIT_NO_NAMES);
	assert_false(paths(f, "/srv/phi"));
	assert_string_equal(f->host.s, "/srv/phi/patients/x.txt");
	assert_string_equal(f->view.s, "/srv/phi/patients/x.txt");
}

static void test_paths_denied_relative_open_via_route_from_ancestor(void **state)
{
	/* cwd /srv, open("phi//./patients/x.txt"). */
	struct fx *f = *state;

	f->t.ret = -EACCES;
	f->t.path_flags = PA_PATH_FROM_USER | PA_PATH_VIA_ROUTE;
	f->t.route_depth = 1; /* matched from the ancestor "/srv" */
	unit_event_build(&f->e, &f->t, UNIT_USER("phi//./patients/x.txt"), UNIT_NO_NAMES,
			 UNIT_NAMES("srv\0"));
	assert_false(paths(f, "/srv/phi"));
	assert_string_equal(f->host.s, "/srv/phi/patients/x.txt");
}

static void test_paths_denied_in_chroot_via_route_uses_the_host_ancestor(void **state)
{
	/* chrooted at /srv, open("/phi/x.txt"): the route from its root, the
	 * ancestor "/srv" (depth 1), places it; the host path is /srv/... */
	struct fx *f = *state;

	f->t.ret = -EACCES;
	f->t.path_flags = PA_PATH_FROM_USER | PA_PATH_VIA_ROUTE;
	f->t.route_depth = 1;
	unit_event_build(&f->e, &f->t, UNIT_USER("/phi/x.txt"), UNIT_NO_NAMES, UNIT_NO_NAMES);
	assert_true(paths(f, "/srv/phi"));
	assert_string_equal(f->host.s, "/srv/phi/x.txt");
	assert_string_equal(f->view.s, "/phi/x.txt");
}

static void test_paths_unresolved_scope_gives_relative_names(void **state)
{
	struct fx *f = *state;

	f->t.scope = PA_SCOPE_UNRESOLVED;
	f->t.path_flags = PA_PATH_DISCONNECTED;
	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NAMES("chart.txt\0" "1234\0"),
			 UNIT_NO_NAMES);
	/* No ancestry: no separate process view, and nothing absolute. */
	assert_false(paths(f, NULL));
	assert_string_equal(f->host.s, "1234/chart.txt");
	assert_int_equal(f->host.len, strlen("1234/chart.txt"));
	assert_string_equal(f->view.s, "1234/chart.txt");
}

static void test_paths_unresolved_scope_ignores_a_watch_path(void **state)
{
	struct fx *f = *state;

	f->t.scope = PA_SCOPE_UNRESOLVED;
	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NAMES("chart.txt\0"), UNIT_NO_NAMES);
	paths(f, "/srv/phi");
	assert_string_equal(f->host.s, "chart.txt");
}

static void test_paths_names_cut_below_watch_show_cut_mark(void **state)
{
	struct fx *f = *state;

	f->t.path_flags = PA_PATH_REL_TRUNCATED;
	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NAMES("x.txt\0" "1234\0"),
			 UNIT_NO_NAMES);
	paths(f, "/srv/phi");
	assert_string_equal(f->host.s, "/srv/phi/\xe2\x80\xa6/1234/x.txt");
}

static void test_paths_names_cut_below_root_watch_show_cut_mark(void **state)
{
	struct fx *f = *state;

	f->t.path_flags = PA_PATH_REL_TRUNCATED;
	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NAMES("x.txt\0"), UNIT_NO_NAMES);
	paths(f, "/");
	assert_string_equal(f->host.s, "/\xe2\x80\xa6/x.txt");
}

static void test_paths_cut_view_starts_with_cut_mark(void **state)
{
	struct fx *f = *state;

	f->t.path_flags = PA_PATH_VIEW_TRUNCATED;
	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NAMES("x.txt\0"),
			 UNIT_NAMES("x.txt\0" "phi\0"));
	assert_true(paths(f, "/srv/phi"));
	assert_string_equal(f->view.s, "/\xe2\x80\xa6/phi/x.txt");
}

static void test_paths_cut_unresolved_names_start_with_cut_mark(void **state)
{
	struct fx *f = *state;

	f->t.scope = PA_SCOPE_UNRESOLVED;
	f->t.path_flags = PA_PATH_REL_TRUNCATED;
	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NAMES("x.txt\0" "1234\0"),
			 UNIT_NO_NAMES);
	paths(f, NULL);
	assert_string_equal(f->host.s, "\xe2\x80\xa6/1234/x.txt");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_decode_accepts_well_formed_open),
		T(test_decode_type_returns_type_of_valid_header),
		T(test_decode_type_rejects_buffer_smaller_than_header),
		T(test_decode_type_rejects_header_size_beyond_buffer),
		T(test_decode_type_rejects_header_size_below_header),
		T(test_decode_open_rejects_buffer_smaller_than_event),
		T(test_decode_open_rejects_header_size_beyond_buffer),
		T(test_decode_open_rejects_lengths_longer_than_data),
		T(test_decode_open_rejects_lengths_shorter_than_data),
		T(test_decode_open_rejects_user_string_without_nul),
		T(test_decode_open_rejects_other_record_type),
		T(test_decode_open_rejects_user_path_flag_without_user_string),
		T(test_decode_read_accepts_final_account),
		T(test_decode_read_accepts_progress_report),
		T(test_decode_read_accepts_final_report_of_each_end_reason),
		T(test_decode_read_accepts_reads_that_returned_no_bytes),
		T(test_decode_read_accepts_account_without_reads),
		T(test_decode_type_of_read_account_is_read),
		T(test_decode_read_rejects_header_size_below_record),
		T(test_decode_read_rejects_header_size_above_record),
		T(test_decode_read_rejects_buffer_shorter_than_record),
		T(test_decode_read_rejects_other_record_type),
		T(test_decode_read_rejects_reason_out_of_range),
		T(test_decode_read_rejects_final_other_than_0_or_1),
		T(test_decode_read_rejects_progress_report_with_end_reason),
		T(test_decode_read_rejects_bytes_without_calls),
		T(test_decode_hint_accepts_well_formed_hint),
		T(test_decode_hint_rejects_wrong_header_size),
		T(test_decode_hint_rejects_buffer_shorter_than_record),
		T(test_decode_hint_rejects_other_record_type),
		T(test_decode_file_gone_accepts_well_formed_record),
		T(test_decode_file_gone_rejects_wrong_header_size),
		T(test_decode_file_gone_rejects_buffer_shorter_than_record),
		T(test_decode_file_gone_rejects_other_record_type),
		T(test_paths_in_scope_open_is_watch_plus_names),
		T(test_paths_watch_on_root_has_no_double_slash),
		T(test_paths_watched_dir_itself_is_the_watch_path),
		T(test_paths_root_watch_opened_itself_is_slash),
		T(test_paths_bind_mount_view_differs_from_host),
		T(test_paths_chrooted_process_sees_path_from_its_root),
		T(test_paths_denied_relative_open_from_start_dir_in_scope),
		T(test_paths_denied_relative_open_with_dotdot_is_resolved),
		T(test_paths_denied_absolute_open_in_scope_is_the_user_string),
		T(test_paths_denied_absolute_open_via_route),
		T(test_paths_denied_relative_open_via_route_from_ancestor),
		T(test_paths_denied_in_chroot_via_route_uses_the_host_ancestor),
		T(test_paths_unresolved_scope_gives_relative_names),
		T(test_paths_unresolved_scope_ignores_a_watch_path),
		T(test_paths_names_cut_below_watch_show_cut_mark),
		T(test_paths_names_cut_below_root_watch_show_cut_mark),
		T(test_paths_cut_view_starts_with_cut_mark),
		T(test_paths_cut_unresolved_names_start_with_cut_mark),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
