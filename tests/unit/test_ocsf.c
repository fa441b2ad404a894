// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * ocsf: the exact bytes of each kind of record are pinned by golden files
 * (tests/unit/golden/NAME.jsonl; PA_UPDATE_GOLDEN=1 rewrites them); the
 * OCSF facts a consumer relies on are also asserted field by field, so a
 * golden update cannot silently change them.
 */
#include "unit.h"

#include "store.h"

#include <errno.h>
#include <fcntl.h>

#include "decode.h"
#include "events.h"
#include "ocsf.h"
#include "pathenc.h"

#define T_EVENT 1795431221178001760ULL /* 2026-11-23T10:53:41.178001760Z */
#define T_START 1795431200000000000ULL /* the process started 21 s before */
/* Read records convert kernel (boot) times like the agent: the default
 * account's last read, 5.9 s after boot, is T_EVENT. */
#define T_BOOT_UTC (T_EVENT - 5900000000ULL)
#define T_FIRST_READ 1795431220378001760ULL /* 2026-11-23T10:53:40.378001760Z */

static const struct pa_host_info host1 = { .hostname = "host1" };

struct fx {
	struct unit_event e;
	struct pa_open_event t;
	struct pa_open_view v;
	struct pa_path host, view;
	struct pa_read_event rd; /* a read account report the test edits */
	struct pa_jw w;
	struct json_object *rec; /* the parsed record, freed by teardown */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	unit_event_defaults(&f->t);
	unit_read_defaults(&f->rd);
	pa_jw_init(&f->w);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pa_jw_free(&f->w);
	json_object_put(f->rec);
	free(f);
	return 0;
}

/* Names the agent would attach (names.h); NULL in most tests. */
static const struct pa_identity *test_who;
static const struct pa_process_details *test_details;
static const struct pa_host_info *test_host = &host1;

/* What the agent does per event (agent.c on_open), with fixed clocks. */
static void write_open(struct fx *f, const char *watch_path)
{
	struct pa_open_record r = { .v = &f->v, .who = test_who, .details = test_details };
	bool differs;

	assert_int_equal(pa_decode_open(f->e.raw, f->e.size, &f->v), 0);
	differs = pa_open_paths(&f->v, watch_path, &f->host, &f->view);
	r.time_ns = T_EVENT;
	r.proc_start_ns = T_START;
	r.record_seq = 12;
	r.path = &f->host;
	r.process_path = differs ? &f->view : NULL;
	r.watch_path = watch_path;
	pa_ocsf_open(&f->w, test_host, &r);
	assert_false(pa_jw_failed(&f->w));
}

/* The path the default open showed; a read account names it by open_seq. */
static const char read_path[] = "/srv/phi/patients/1234/chart.txt";

/*
 * What the agent does per read account (agent.c write_read), with a fixed
 * clock: path is the open's host path from the opens table, NULL when the
 * open is unknown (its record was lost, or it came before the agent).
 */
static void write_read(struct fx *f, const char *path)
{
	const struct pa_read_event *ev = pa_decode_read(&f->rd, sizeof(f->rd));
	struct pa_read_record r = { .ev = ev, .who = test_who, .details = test_details };

	assert_non_null(ev); /* only what the agent would accept */
	r.time_ns = T_BOOT_UTC + (ev->last_ns ? ev->last_ns : ev->hdr.ktime_ns);
	if (ev->first_ns) {
		r.first_ns = T_BOOT_UTC + ev->first_ns;
		r.last_ns = T_BOOT_UTC + ev->last_ns;
	}
	r.proc_start_ns = T_BOOT_UTC + ev->proc.start_ns;
	r.record_seq = 13;
	if (path) {
		r.path = path;
		r.path_len = strlen(path);
		r.file_mode = 0100640;
		r.watch_path = "/srv/phi";
	}
	pa_ocsf_read(&f->w, test_host, &r);
	assert_false(pa_jw_failed(&f->w));
}

/* The record just written, parsed (one line); the fixture owns it. */
static struct json_object *record(struct fx *f)
{
	assert_int_equal(f->w.buf[f->w.len - 1], '\n');
	assert_null(memchr(f->w.buf, '\n', f->w.len - 1));
	json_object_put(f->rec);
	f->rec = unit_json_parse(f->w.buf, f->w.len);
	return f->rec;
}

static void build_success(struct fx *f)
{
	unit_event_build(&f->e, &f->t, UNIT_NO_USER,
			 UNIT_NAMES("chart.txt\0" "1234\0" "patients\0"),
			 UNIT_NAMES("chart.txt\0" "1234\0" "patients\0" "phi\0" "srv\0"));
	write_open(f, "/srv/phi");
}

/* cwd /srv/phi/patients; openat(5, "1234/new.txt", O_WRONLY|O_CREAT|O_TRUNC,
 * 0600) by uid 1001 -> EACCES */
static void build_denied(struct fx *f)
{
	f->t.proc.uid = f->t.proc.euid = 1001;
	f->t.flags = O_WRONLY | O_CREAT | O_TRUNC;
	f->t.mode = 0600;
	f->t.ret = -EACCES;
	f->t.dirfd = 5;
	f->t.file_ino = 0;
	f->t.file_dev = 0;
	f->t.file_mode = 0;
	f->t.path_flags = PA_PATH_FROM_USER;
	unit_event_build(&f->e, &f->t, UNIT_USER("1234/new.txt"), UNIT_NAMES("patients\0"),
			 UNIT_NAMES("patients\0" "phi\0" "srv\0"));
	write_open(f, "/srv/phi");
}

/* A disconnected dentry on a watched filesystem; no login session. */
static void build_unresolved(struct fx *f)
{
	f->t.scope = PA_SCOPE_UNRESOLVED;
	f->t.path_flags = PA_PATH_DISCONNECTED;
	f->t.proc.auid = UINT32_MAX;
	f->t.proc.sessionid = UINT32_MAX;
	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NAMES("chart.txt\0" "1234\0"),
			 UNIT_NAMES("chart.txt\0" "1234\0"));
	write_open(f, NULL);
}

/* A 32-bit open(2) through a bind mount at /mnt/data. */
static void build_process_path(struct fx *f)
{
	memcpy(f->t.proc.comm, "python3", 8);
	f->t.syscall = PA_SYS_OPEN;
	f->t.compat = 1;
	f->t.flags = O_RDWR | O_CLOEXEC;
	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NAMES("chart.txt\0" "patients\0"),
			 UNIT_NAMES("chart.txt\0" "patients\0" "data\0" "mnt\0"));
	write_open(f, "/srv/phi");
}

/* Names below the watch cut by the kernel, a file outside the process's
 * root (its view then runs up to the namespace root), a Latin-1 name with
 * quotes, and a comm that is not UTF-8. */
static void build_path_flags(struct fx *f)
{
	memcpy(f->t.proc.comm, "r\xe9" "ader", 7);
	f->t.path_flags = PA_PATH_REL_TRUNCATED | PA_PATH_VIEW_UNREACHABLE;
	unit_event_build(&f->e, &f->t, UNIT_NO_USER,
			 UNIT_NAMES("caf\xe9 \"x\".txt\0" "1234\0"),
			 UNIT_NAMES("caf\xe9 \"x\".txt\0" "1234\0" "deep\0" "patients\0" "phi\0"
				    "srv\0"));
	write_open(f, "/srv/phi");
}

/* An open the agent found already open at start, by the task-file
 * iterator: no syscall, and its time is the discovery. */
static void build_discovered(struct fx *f)
{
	f->t.syscall = PA_SYS_NONE;
	f->t.track = PA_TRACK_READS | PA_TRACK_DISCOVERED;
	build_success(f);
}

/* A progress report: 64 MiB read so far, still open. */
static void build_read_progress(struct fx *f)
{
	f->rd.hdr.seq = 88;
	f->rd.reason = PA_READ_PROGRESS;
	f->rd.final = 0;
	f->rd.bytes = PA_PROGRESS_BYTES;
	f->rd.calls = 16384;
	write_read(f, read_path);
}

/* The reads of an open whose record never reached the agent. */
static void build_read_unknown_open(struct fx *f)
{
	f->rd.open_seq = 12;
	write_read(f, NULL);
}

/* At stop the agent reports the accounts still open from the maps: its
 * own event, with no kernel header beyond type and size (agent.c
 * report_open_account). */
static void build_read_agent_stop(struct fx *f)
{
	memset(&f->rd.hdr, 0, sizeof(f->rd.hdr));
	f->rd.hdr.type = PA_EV_READ;
	f->rd.hdr.size = sizeof(f->rd);
	f->rd.reason = PA_READ_AGENT_STOP;
	f->rd.final = 1;
	write_read(f, read_path);
}

static void check_golden(struct fx *f, const char *name)
{
	record(f);
	unit_golden(name, f->w.buf, f->w.len);
}

/* ---- golden files ---- */

static void test_golden_successful_open(void **state)
{
	build_success(*state);
	check_golden(*state, "open_success.jsonl");
}

static void test_golden_denied_open(void **state)
{
	build_denied(*state);
	check_golden(*state, "open_denied.jsonl");
}

static void test_golden_unresolved_scope_open(void **state)
{
	build_unresolved(*state);
	check_golden(*state, "open_unresolved.jsonl");
}

static void test_golden_open_with_process_path(void **state)
{
	build_process_path(*state);
	check_golden(*state, "open_process_path.jsonl");
}

static void test_golden_open_with_path_flags(void **state)
{
	build_path_flags(*state);
	check_golden(*state, "open_path_flags.jsonl");
}

static void test_golden_discovered_open(void **state)
{
	build_discovered(*state);
	check_golden(*state, "open_discovered.jsonl");
}

static void test_golden_final_read(void **state)
{
	write_read(*state, read_path);
	check_golden(*state, "read_final.jsonl");
}

static void test_golden_progress_read(void **state)
{
	build_read_progress(*state);
	check_golden(*state, "read_progress.jsonl");
}

static void test_golden_read_of_unknown_open(void **state)
{
	build_read_unknown_open(*state);
	check_golden(*state, "read_unknown_open.jsonl");
}

static void test_golden_read_at_agent_stop(void **state)
{
	build_read_agent_stop(*state);
	check_golden(*state, "read_agent_stop.jsonl");
}

/* Every record the log store makes, as the agent writes it. */
static void test_golden_log_store_records(void **state)
{
	struct fx *f = *state;
	struct pa_store_event ev[5];

	memset(ev, 0, sizeof(ev));
	ev[0].kind = PA_STORE_RECOVERED;
	snprintf(ev[0].file, sizeof(ev[0].file), "phiaudit-20261123T101500.123Z.json.gz");
	snprintf(ev[0].partial, sizeof(ev[0].partial),
		 "phiaudit-20261123T101500.123Z.json.gz.partial");
	ev[0].bytes = 4096;
	ev[0].members = 1;
	ev[0].since_ns = T_EVENT - 3000000000ULL;
	ev[0].chain_index = 42;
	ev[1].kind = PA_STORE_RESUMED;
	snprintf(ev[1].file, sizeof(ev[1].file), "phiaudit-20261123T101500.123Z.json.gz");
	ev[1].chain_index = 43;
	ev[2].kind = PA_STORE_RETENTION;
	snprintf(ev[2].file, sizeof(ev[2].file),
		 "phiaudit-20201123T101500.123Z--20201124T101500.456Z.json.gz");
	ev[2].reason = "age";
	ev[2].bytes = 1 << 20;
	ev[2].since_ns = 1606126500123000000ULL;
	ev[2].until_ns = 1606212900456000000ULL;
	ev[2].chain_known = true;
	ev[2].chain_index = 9;
	memset(ev[2].chain_tag, 0xab, sizeof(ev[2].chain_tag));
	ev[3].kind = PA_STORE_WRITE_RESUMED;
	ev[3].records = 6;
	ev[3].bytes = 7000;
	ev[3].first_seq = 100;
	ev[3].last_seq = 105;
	ev[3].since_ns = T_EVENT - 60000000000ULL;
	ev[3].until_ns = T_EVENT;
	ev[3].error = 28; /* ENOSPC */
	ev[4].kind = PA_STORE_UNVERIFIED;
	snprintf(ev[4].file, sizeof(ev[4].file), "phiaudit-20261123T101500.123Z.json.gz");
	for (int i = 0; i < 5; i++)
		pa_ocsf_store_event(&f->w, &host1, T_EVENT, 20 + (uint64_t)i, &ev[i]);
	assert_false(pa_jw_failed(&f->w));
	for (const char *line = f->w.buf; *line;) {
		const char *nl = strchr(line, '\n');

		assert_non_null(nl);
		json_object_put(unit_json_parse(line, (size_t)(nl - line + 1)));
		line = nl + 1;
	}
	/* verify reads these two exactly as written */
	assert_non_null(strstr(f->w.buf, "\"chain_last_index\":9,\"chain_last_tag\":\"abab"));
	unit_golden("log_store.jsonl", f->w.buf, f->w.len);
}

static void test_golden_agent_start_loss_stop(void **state)
{
	struct fx *f = *state;

	pa_ocsf_agent_begin(&f->w, &host1, T_EVENT, 1, PA_AGENT_START, "Start",
			    "phiauditd started");
	pa_jw_arr_open(&f->w, "watches");
	pa_jw_obj_open(&f->w, NULL);
	pa_jw_u64(&f->w, "id", 1);
	pa_jw_str(&f->w, "path", "/srv/phi");
	pa_jw_obj_close(&f->w);
	pa_jw_arr_close(&f->w);
	pa_ocsf_agent_end(&f->w);
	pa_ocsf_agent_begin(&f->w, &host1, T_EVENT + 1000000000ULL, 2, PA_AGENT_OTHER, "Loss",
			    "events were lost in the kernel");
	pa_jw_u64(&f->w, "ringbuf_full", 12);
	pa_ocsf_agent_end(&f->w);
	pa_ocsf_agent_begin(&f->w, &host1, T_EVENT + 2000000000ULL, 3, PA_AGENT_STOP, "Stop",
			    NULL);
	pa_ocsf_agent_end(&f->w);
	assert_false(pa_jw_failed(&f->w));
	for (const char *line = f->w.buf; *line;) {
		const char *nl = strchr(line, '\n');

		assert_non_null(nl);
		json_object_put(unit_json_parse(line, (size_t)(nl - line + 1)));
		line = nl + 1;
	}
	unit_golden("agent_lifecycle.jsonl", f->w.buf, f->w.len);
}

/* ---- the OCSF facts, field by field ---- */

static void test_open_is_file_system_activity_open(void **state)
{
	struct json_object *r;

	build_success(*state);
	r = record(*state);
	assert_int_equal(unit_json_int(r, "class_uid"), 1001);
	assert_int_equal(unit_json_int(r, "category_uid"), 1);
	assert_int_equal(unit_json_int(r, "activity_id"), 14);
	assert_string_equal(unit_json_str(r, "activity_name"), "Open");
	assert_int_equal(unit_json_int(r, "type_uid"), 100114);
}

static void test_open_time_is_ms_and_iso8601_with_nanoseconds(void **state)
{
	struct json_object *r;

	build_success(*state);
	r = record(*state);
	assert_int_equal(unit_json_int(r, "time"), 1795431221178);
	assert_string_equal(unit_json_str(r, "time_dt"), "2026-11-23T10:53:41.178001760Z");
	assert_int_equal(unit_json_int(r, "actor.process.created_time"), 1795431200000);
}

static void test_successful_open_has_status_success_and_fd(void **state)
{
	struct json_object *r;

	build_success(*state);
	r = record(*state);
	assert_int_equal(unit_json_int(r, "status_id"), 1);
	assert_string_equal(unit_json_str(r, "status"), "Success");
	assert_false(unit_json_has(r, "status_code"));
	assert_int_equal(unit_json_int(r, "unmapped.fd"), 3);
}

static void test_denied_open_has_status_failure_eacces(void **state)
{
	struct json_object *r;

	build_denied(*state);
	r = record(*state);
	assert_int_equal(unit_json_int(r, "status_id"), 2);
	assert_string_equal(unit_json_str(r, "status"), "Failure");
	assert_string_equal(unit_json_str(r, "status_code"), "EACCES");
	assert_string_equal(unit_json_str(r, "status_detail"), "Permission denied");
	assert_false(unit_json_has(r, "unmapped.fd"));
}

static void test_denied_open_shows_user_path_source_mode_and_dirfd(void **state)
{
	struct json_object *r;

	build_denied(*state);
	r = record(*state);
	assert_string_equal(unit_json_str(r, "file.path"), "/srv/phi/patients/1234/new.txt");
	assert_string_equal(unit_json_str(r, "unmapped.path_source"), "user");
	assert_string_equal(unit_json_str(r, "unmapped.create_mode"), "0600");
	assert_int_equal(unit_json_int(r, "unmapped.dirfd"), 5);
	assert_false(unit_json_has(r, "unmapped.inode"));
}

static void test_denied_open_with_eperm_names_eperm(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	f->t.ret = -EPERM;
	f->t.path_flags = PA_PATH_FROM_USER;
	unit_event_build(&f->e, &f->t, UNIT_USER("x.txt"), UNIT_NO_NAMES, UNIT_NO_NAMES);
	write_open(f, "/srv/phi");
	r = record(f);
	assert_string_equal(unit_json_str(r, "status_code"), "EPERM");
	assert_string_equal(unit_json_str(r, "status_detail"), "Operation not permitted");
}

static void test_create_mode_shown_only_when_the_open_creates(void **state)
{
	struct fx *f = *state;

	f->t.mode = 0644; /* passed, but O_CREAT is not set: ignored by open */
	build_success(f);
	assert_false(unit_json_has(record(f), "unmapped.create_mode"));
}

static void test_tmpfile_open_shows_create_mode(void **state)
{
	/* open(2): the mode applies with O_CREAT or O_TMPFILE. */
	struct fx *f = *state;

	f->t.flags = O_RDWR | O_TMPFILE;
	f->t.mode = 0600;
	build_success(f);
	assert_string_equal(unit_json_str(record(f), "unmapped.create_mode"), "0600");
}

static void test_file_name_and_parent_folder_split_the_path(void **state)
{
	struct json_object *r;

	build_success(*state);
	r = record(*state);
	assert_string_equal(unit_json_str(r, "file.name"), "chart.txt");
	assert_string_equal(unit_json_str(r, "file.parent_folder"), "/srv/phi/patients/1234");
	assert_int_equal(unit_json_int(r, "file.type_id"), 1);
}

static void test_unresolved_open_has_relative_path_and_no_watch(void **state)
{
	struct json_object *r;

	build_unresolved(*state);
	r = record(*state);
	assert_string_equal(unit_json_str(r, "file.path"), "1234/chart.txt");
	assert_string_equal(unit_json_str(r, "unmapped.scope"), "unresolved");
	assert_false(unit_json_has(r, "unmapped.watch"));
	assert_false(unit_json_has(r, "unmapped.auid"));
	assert_false(unit_json_has(r, "actor.session"));
}

static void test_process_path_shown_only_when_view_differs(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	build_process_path(f);
	r = record(f);
	assert_string_equal(unit_json_str(r, "unmapped.process_path"),
			    "/mnt/data/patients/chart.txt");
	pa_jw_reset(&f->w);
	build_success(f);
	r = record(f);
	assert_false(unit_json_has(r, "unmapped.process_path"));
}

static void test_non_utf8_names_decode_to_their_bytes(void **state)
{
	struct json_object *r;
	char out[64];
	const char *s;
	long n;

	build_path_flags(*state);
	r = record(*state);
	s = unit_json_str(r, "file.name");
	n = pa_bytes_decode(out, sizeof(out), s, strlen(s));
	assert_int_equal(n, strlen("caf\xe9 \"x\".txt"));
	assert_memory_equal(out, "caf\xe9 \"x\".txt", (size_t)n);
	assert_string_equal(unit_json_str(r, "actor.process.name"), "r\\xe9ader");
}

static void test_path_flags_listed_by_name(void **state)
{
	struct json_object *r, *a;

	build_path_flags(*state);
	r = record(*state);
	a = unit_json_get(r, "unmapped.path_flags");
	assert_int_equal(json_object_array_length(a), 2);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 0)), "truncated");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 1)),
			    "outside_process_root");
}

static void test_path_flags_absent_when_nothing_to_flag(void **state)
{
	struct json_object *r;

	build_success(*state);
	r = record(*state);
	assert_false(unit_json_has(r, "unmapped.path_flags"));
}

static void test_path_that_overflowed_in_the_agent_is_flagged_truncated(void **state)
{
	struct fx *f = *state;
	struct pa_open_record r = { .v = &f->v, .path = &f->host, .watch_path = "/srv/phi" };
	struct json_object *a;

	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NAMES("x\0"), UNIT_NO_NAMES);
	assert_int_equal(pa_decode_open(f->e.raw, f->e.size, &f->v), 0);
	pa_path_set(&f->host, "/srv/phi/x", 10);
	f->host.overflow = true;
	pa_ocsf_open(&f->w, &host1, &r);
	a = unit_json_get(record(f), "unmapped.path_flags");
	assert_int_equal(json_object_array_length(a), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(a, 0)), "truncated");
}

static void test_path_flags_name_truncated_once_when_both_sides_cut(void **state)
{
	/* The kernel cut the names and the agent's buffer overflowed too. */
	struct fx *f = *state;
	struct pa_open_record r = { .v = &f->v, .path = &f->host, .watch_path = "/srv/phi" };
	struct json_object *o;

	f->t.path_flags = PA_PATH_REL_TRUNCATED;
	unit_event_build(&f->e, &f->t, UNIT_NO_USER, UNIT_NAMES("x\0"), UNIT_NO_NAMES);
	assert_int_equal(pa_decode_open(f->e.raw, f->e.size, &f->v), 0);
	pa_path_set(&f->host, "/srv/phi/x", 10);
	f->host.overflow = true;
	pa_ocsf_open(&f->w, &host1, &r);
	o = record(f);
	assert_int_equal(json_object_array_length(unit_json_get(o, "unmapped.path_flags")), 1);
}

static void test_discovered_open_says_so_and_has_no_syscall(void **state)
{
	struct json_object *r;

	build_discovered(*state);
	r = record(*state);
	assert_true(unit_json_bool(r, "unmapped.discovered"));
	assert_false(unit_json_has(r, "unmapped.syscall"));
	assert_false(unit_json_has(r, "unmapped.compat"));
}

static void test_open_seen_at_its_syscall_is_not_discovered(void **state)
{
	struct json_object *r;

	build_success(*state);
	r = record(*state);
	assert_false(unit_json_has(r, "unmapped.discovered"));
	assert_string_equal(unit_json_str(r, "unmapped.syscall"), "openat");
	assert_false(unit_json_bool(r, "unmapped.compat"));
}

static void test_tracked_open_shows_reads_tracked_true(void **state)
{
	build_success(*state);
	assert_true(unit_json_bool(record(*state), "unmapped.reads_tracked"));
}

static void test_untracked_open_shows_reads_tracked_false(void **state)
{
	struct fx *f = *state;

	f->t.track = 0;
	build_success(f);
	assert_false(unit_json_bool(record(f), "unmapped.reads_tracked"));
}

static void test_open_with_file_table_full_shows_reads_tracked_false(void **state)
{
	struct fx *f = *state;

	f->t.track = PA_TRACK_FULL;
	build_success(f);
	assert_false(unit_json_bool(record(f), "unmapped.reads_tracked"));
}

static void test_failed_open_has_no_reads_tracked(void **state)
{
	/* No file was opened: there is nothing to track or not track. */
	build_denied(*state);
	assert_false(unit_json_has(record(*state), "unmapped.reads_tracked"));
}

static void test_read_is_file_system_activity_read(void **state)
{
	struct json_object *r;

	write_read(*state, read_path);
	r = record(*state);
	assert_int_equal(unit_json_int(r, "class_uid"), 1001);
	assert_int_equal(unit_json_int(r, "category_uid"), 1);
	assert_int_equal(unit_json_int(r, "activity_id"), 2);
	assert_string_equal(unit_json_str(r, "activity_name"), "Read");
	assert_int_equal(unit_json_int(r, "type_uid"), 100102);
	assert_string_equal(unit_json_str(r, "type_name"), "File System Activity: Read");
	assert_int_equal(unit_json_int(r, "status_id"), 1);
}

static void test_read_count_is_the_read_calls(void **state)
{
	struct json_object *r;

	write_read(*state, read_path);
	r = record(*state);
	assert_int_equal(unit_json_int(r, "count"), 256);
	assert_int_equal(unit_json_int(r, "unmapped.read_calls"), 256);
}

static void test_read_span_is_first_and_last_read_in_ms_and_iso8601(void **state)
{
	struct json_object *r;

	write_read(*state, read_path);
	r = record(*state);
	assert_int_equal(unit_json_int(r, "start_time"), T_FIRST_READ / 1000000);
	assert_string_equal(unit_json_str(r, "start_time_dt"), "2026-11-23T10:53:40.378001760Z");
	assert_int_equal(unit_json_int(r, "end_time"), T_EVENT / 1000000);
	assert_string_equal(unit_json_str(r, "end_time_dt"), "2026-11-23T10:53:41.178001760Z");
}

static void test_read_time_is_its_last_read(void **state)
{
	struct json_object *r;

	write_read(*state, read_path);
	r = record(*state);
	assert_int_equal(unit_json_int(r, "time"), unit_json_int(r, "end_time"));
	assert_string_equal(unit_json_str(r, "time_dt"), "2026-11-23T10:53:41.178001760Z");
}

static void test_read_without_calls_has_no_start_or_end_time(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	f->rd.bytes = 0;
	f->rd.calls = 0;
	f->rd.first_ns = f->rd.last_ns = 0;
	write_read(f, read_path);
	r = record(f);
	assert_int_equal(unit_json_int(r, "count"), 0);
	assert_false(unit_json_has(r, "start_time"));
	assert_false(unit_json_has(r, "start_time_dt"));
	assert_false(unit_json_has(r, "end_time"));
	assert_false(unit_json_has(r, "end_time_dt"));
}

static void test_read_without_calls_has_no_span_even_with_read_times(void **state)
{
	/* The decoder lets such a report through; no span without a read. */
	struct fx *f = *state;
	struct json_object *r;

	f->rd.bytes = 0;
	f->rd.calls = 0;
	write_read(f, read_path);
	r = record(f);
	assert_false(unit_json_has(r, "start_time"));
	assert_false(unit_json_has(r, "end_time"));
}

static void test_read_shows_bytes_read_and_final(void **state)
{
	struct json_object *r;

	write_read(*state, read_path);
	r = record(*state);
	assert_int_equal(unit_json_int(r, "unmapped.bytes_read"), 1048576);
	assert_true(unit_json_bool(r, "unmapped.final"));
	assert_string_equal(unit_json_str(r, "unmapped.reason"), "close");
}

static void test_progress_read_is_not_final(void **state)
{
	struct json_object *r;

	build_read_progress(*state);
	r = record(*state);
	assert_false(unit_json_bool(r, "unmapped.final"));
	assert_string_equal(unit_json_str(r, "unmapped.reason"), "progress");
	assert_int_equal(unit_json_int(r, "unmapped.bytes_read"), 64 << 20);
}

static void test_read_reason_named_for_every_reason(void **state)
{
	static const char *const want[] = {
		[PA_READ_PROGRESS] = "progress",	 [PA_READ_CLOSE] = "close",
		[PA_READ_EXIT] = "exit",		 [PA_READ_REPLACED] = "replaced",
		[PA_READ_MISSED_CLOSE] = "missed_close", [PA_READ_AGENT_STOP] = "agent_stop",
	};
	struct fx *f = *state;

	_Static_assert(ARRAY_LEN(want) == PA_READ_AGENT_STOP + 1, "a name per reason");
	for (unsigned int reason = 0; reason < ARRAY_LEN(want); reason++) {
		pa_jw_reset(&f->w);
		f->rd.reason = (__u8)reason;
		f->rd.final = reason != PA_READ_PROGRESS;
		write_read(f, read_path);
		assert_string_equal(unit_json_str(record(f), "unmapped.reason"), want[reason]);
	}
}

static void test_read_names_its_event_open_and_account(void **state)
{
	struct json_object *r;

	write_read(*state, read_path);
	r = record(*state);
	assert_int_equal(unit_json_int(r, "unmapped.event_seq"), 91);
	assert_int_equal(unit_json_int(r, "unmapped.open_event_seq"), 77);
	assert_int_equal(unit_json_int(r, "unmapped.account_seq"), 5);
	assert_int_equal(unit_json_int(r, "metadata.sequence"), 13);
}

static void test_read_actor_is_the_reader(void **state)
{
	struct json_object *r;

	write_read(*state, read_path);
	r = record(*state);
	assert_int_equal(unit_json_int(r, "actor.process.pid"), 4242);
	assert_string_equal(unit_json_str(r, "actor.process.name"), "cat");
	assert_int_equal(unit_json_int(r, "actor.process.created_time"),
			 (T_BOOT_UTC + 1000000000ULL) / 1000000);
	assert_string_equal(unit_json_str(r, "actor.user.uid"), "1000");
}

static void test_read_of_known_open_shows_its_file_and_watch(void **state)
{
	struct json_object *r;

	write_read(*state, read_path);
	r = record(*state);
	assert_string_equal(unit_json_str(r, "file.path"), read_path);
	assert_string_equal(unit_json_str(r, "file.name"), "chart.txt");
	assert_string_equal(unit_json_str(r, "file.parent_folder"), "/srv/phi/patients/1234");
	assert_int_equal(unit_json_int(r, "file.type_id"), 1);
	assert_string_equal(unit_json_str(r, "unmapped.watch"), "/srv/phi");
	assert_false(unit_json_has(r, "unmapped.path_unknown"));
}

static void test_read_of_unknown_open_has_no_file_and_says_path_unknown(void **state)
{
	struct json_object *r;

	build_read_unknown_open(*state);
	r = record(*state);
	assert_false(unit_json_has(r, "file"));
	assert_true(unit_json_bool(r, "unmapped.path_unknown"));
	assert_false(unit_json_has(r, "unmapped.watch"));
	assert_int_equal(unit_json_int(r, "unmapped.open_event_seq"), 12);
	assert_int_equal(unit_json_int(r, "unmapped.inode"), 131075); /* still identifies it */
}

static void test_read_at_agent_stop_has_no_event_seq(void **state)
{
	struct json_object *r;

	build_read_agent_stop(*state);
	r = record(*state);
	assert_false(unit_json_has(r, "unmapped.event_seq"));
	assert_string_equal(unit_json_str(r, "unmapped.reason"), "agent_stop");
	assert_true(unit_json_bool(r, "unmapped.final"));
	assert_int_equal(unit_json_int(r, "unmapped.open_event_seq"), 77);
}

static void test_agent_record_is_application_lifecycle(void **state)
{
	struct fx *f = *state;
	struct json_object *r;

	pa_ocsf_agent_begin(&f->w, &host1, T_EVENT, 1, PA_AGENT_STOP, "Stop", NULL);
	pa_ocsf_agent_end(&f->w);
	r = record(f);
	assert_int_equal(unit_json_int(r, "class_uid"), 6002);
	assert_int_equal(unit_json_int(r, "activity_id"), 4);
	assert_int_equal(unit_json_int(r, "type_uid"), 600204);
	assert_false(unit_json_has(r, "message"));
	assert_true(unit_json_has(r, "unmapped"));
}

/* ---- helpers ---- */

static void test_format_time_is_utc_iso8601_with_nanoseconds(void **state)
{
	char buf[48];

	pa_format_time(buf, sizeof(buf), T_EVENT);
	assert_string_equal(buf, "2026-11-23T10:53:41.178001760Z");
	pa_format_time(buf, sizeof(buf), 0);
	assert_string_equal(buf, "1970-01-01T00:00:00.000000000Z");
}

static void test_format_time_pads_nanoseconds_to_nine_digits(void **state)
{
	char buf[48];

	pa_format_time(buf, sizeof(buf), 1000000001ULL);
	assert_string_equal(buf, "1970-01-01T00:00:01.000000001Z");
	pa_format_time(buf, sizeof(buf), 951782400999999999ULL);
	assert_string_equal(buf, "2000-02-29T00:00:00.999999999Z");
}

static void test_format_time_truncates_within_small_buffer(void **state)
{
	char buf[11];

	pa_format_time(buf, sizeof(buf), T_EVENT);
	assert_string_equal(buf, "2026-11-23");
}

static void assert_flags(uint64_t flags, const char *want)
{
	char buf[256];

	pa_format_open_flags(buf, sizeof(buf), flags);
	assert_string_equal(buf, want);
}

static void test_format_flags_rdonly(void **state)
{
	assert_flags(O_RDONLY, "O_RDONLY");
}

static void test_format_flags_wronly_creat_trunc(void **state)
{
	assert_flags(O_WRONLY | O_CREAT | O_TRUNC, "O_WRONLY|O_CREAT|O_TRUNC");
}

static void test_format_flags_rdwr_cloexec(void **state)
{
	assert_flags(O_RDWR | O_CLOEXEC, "O_RDWR|O_CLOEXEC");
}

static void test_format_flags_sync_is_not_shown_as_dsync(void **state)
{
	assert_flags(04010000, "O_RDONLY|O_SYNC");
	assert_flags(O_DSYNC, "O_RDONLY|O_DSYNC");
}

static void test_format_flags_tmpfile_is_not_shown_as_directory(void **state)
{
	assert_flags(O_RDWR | O_TMPFILE, "O_RDWR|O_TMPFILE");
	assert_flags(O_DIRECTORY, "O_RDONLY|O_DIRECTORY");
}

static void test_format_flags_unknown_bits_in_hex(void **state)
{
	assert_flags(O_RDONLY | 040000000, "O_RDONLY|0x800000");
	assert_flags(O_WRONLY | O_APPEND | (1ULL << 40), "O_WRONLY|O_APPEND|0x10000000000");
}

static void test_format_flags_accmode_3(void **state)
{
	assert_flags(3, "O_ACCMODE");
}

static void test_format_flags_truncates_within_small_buffer(void **state)
{
	char buf[12];

	pa_format_open_flags(buf, sizeof(buf), O_WRONLY | O_CREAT | O_TRUNC);
	assert_string_equal(buf, "O_WRONLY|O_");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* ---- enrichment: names and host ids ---- */

static void test_names_and_host_ids_in_open_and_read(void **state)
{
	struct fx *f = *state;
	const struct pa_identity who = { .user = "alice", .group = "clinic", .login = "drbob" };
	const struct pa_host_info host = { .hostname = "ehr-db1",
					   .machine_id = "3d1219c7c4c5404aaa1f6d2a48adfda4",
					   .boot_id = "e53f9637-eb36-4cbf-9aa8-bcc900023565",
					   .log_id = "00112233445566778899aabbccddeeff" };
	struct json_object *rec;

	test_who = &who;
	test_host = &host;
	build_success(f);
	rec = record(f);
	assert_string_equal(unit_json_str(rec, "actor.user.name"), "alice");
	assert_string_equal(unit_json_str(rec, "unmapped.group_name"), "clinic");
	assert_int_equal(unit_json_int(rec, "unmapped.auid"), 1000);
	assert_string_equal(unit_json_str(rec, "unmapped.auid_name"), "drbob");
	assert_string_equal(unit_json_str(rec, "device.uid"), host.machine_id);
	assert_string_equal(unit_json_str(rec, "device.boot_uid"), host.boot_id);
	assert_string_equal(unit_json_str(rec, "metadata.uid"),
			    "00112233445566778899aabbccddeeff-12");
	pa_jw_reset(&f->w);
	write_read(f, read_path);
	rec = record(f);
	assert_string_equal(unit_json_str(rec, "actor.user.name"), "alice");
	assert_string_equal(unit_json_str(rec, "unmapped.auid_name"), "drbob");
	assert_string_equal(unit_json_str(rec, "unmapped.group_name"), "clinic");
	assert_string_equal(unit_json_str(rec, "device.uid"), host.machine_id);
	test_who = NULL;
	test_host = &host1;
}

/* Names come from NSS (LDAP, files anyone with root edited): hostile
 * bytes must still make valid JSON that says what they were. */
static void test_hostile_user_names_stay_valid_json(void **state)
{
	struct fx *f = *state;
	const struct pa_identity who = { .user = "a\"b\\c\n\x01", .group = "\xff\xfe",
					 .login = "x\"}, \"evil\": 1" };
	struct json_object *rec;

	test_who = &who;
	build_success(f);
	rec = record(f);
	/* the schema's reversible byte encoding (pathenc.h): a backslash
	 * doubles, control bytes are escaped, quotes stay themselves */
	assert_non_null(strstr(unit_json_str(rec, "actor.user.name"), "a\"b\\\\c"));
	assert_string_equal(unit_json_str(rec, "unmapped.auid_name"), "x\"}, \"evil\": 1");
	assert_false(unit_json_has(rec, "evil"));
	assert_true(unit_valid_utf8((const unsigned char *)f->w.buf, f->w.len));
	test_who = NULL;
}

/* The program, its command line and the chain above it. */
static void test_process_details_in_open_and_read(void **state)
{
	struct fx *f = *state;
	static const char args[] = "tar\0cf\0/tmp/out.tar\0/srv/phi\0";
	static const char pargs[] = "bash\0-c\0tar cf /tmp/out.tar /srv/phi\0";
	struct pa_process_details d = {
		.exe = "/usr/bin/tar", .exe_len = 12, .args = args, .args_len = sizeof(args) - 1,
		.source = "exec", .n_ancestors = 2,
	};
	struct json_object *rec, *anc;

	d.anc[0] = (struct pa_ancestor_info){ .pid = 4096, .start_ns = T_START - 1000000000,
					      .name = "bash", .exe = "/bin/bash", .exe_len = 9,
					      .args = pargs, .args_len = sizeof(pargs) - 1 };
	d.anc[1] = (struct pa_ancestor_info){ .pid = 1, .start_ns = 1000000, .name = "systemd" };
	f->t.proc.ppid = 4096;
	test_details = &d;
	build_success(f);
	rec = record(f);
	assert_string_equal(unit_json_str(rec, "actor.process.file.path"), "/usr/bin/tar");
	assert_string_equal(unit_json_str(rec, "actor.process.file.name"), "tar");
	assert_string_equal(unit_json_str(rec, "actor.process.cmd_line"),
			    "tar cf /tmp/out.tar /srv/phi");
	assert_int_equal(unit_json_int(rec, "actor.process.parent_process.pid"), 4096);
	assert_string_equal(unit_json_str(rec, "actor.process.parent_process.name"), "bash");
	assert_string_equal(unit_json_str(rec, "actor.process.parent_process.file.path"),
			    "/bin/bash");
	assert_string_equal(unit_json_str(rec, "actor.process.parent_process.cmd_line"),
			    "bash -c tar cf /tmp/out.tar /srv/phi");
	assert_string_equal(unit_json_str(rec, "unmapped.exe_source"), "exec");
	anc = unit_json_get(rec, "unmapped.ancestors");
	assert_non_null(anc);
	assert_int_equal(json_object_array_length(anc), 2);
	assert_string_equal(json_object_get_string(json_object_object_get(
				    json_object_array_get_idx(anc, 1), "name")),
			    "systemd");
	assert_null(json_object_object_get(json_object_array_get_idx(anc, 1), "exe"));
	pa_jw_reset(&f->w);
	write_read(f, read_path);
	rec = record(f);
	assert_string_equal(unit_json_str(rec, "actor.process.cmd_line"),
			    "tar cf /tmp/out.tar /srv/phi");
	assert_int_equal(json_object_array_length(unit_json_get(rec, "unmapped.ancestors")), 2);
	test_details = NULL;
}

/* A parent that is not the first ancestor (reparented since) is not
 * named from the chain. */
static void test_parent_named_only_when_it_is_the_first_ancestor(void **state)
{
	struct fx *f = *state;
	struct pa_process_details d = { .n_ancestors = 1 };
	struct json_object *rec;

	d.anc[0] = (struct pa_ancestor_info){ .pid = 4096, .name = "bash" };
	f->t.proc.ppid = 1;
	test_details = &d;
	build_success(f);
	rec = record(f);
	assert_int_equal(unit_json_int(rec, "actor.process.parent_process.pid"), 1);
	assert_false(unit_json_has(rec, "actor.process.parent_process.name"));
	test_details = NULL;
}

/* No names known: the ids alone, no empty fields. */
static void test_no_names_means_no_name_fields(void **state)
{
	struct fx *f = *state;
	const struct pa_identity who = { 0 };
	struct json_object *rec;

	test_who = &who;
	build_success(f);
	rec = record(f);
	assert_false(unit_json_has(rec, "actor.user.name"));
	assert_false(unit_json_has(rec, "unmapped.auid_name"));
	assert_false(unit_json_has(rec, "unmapped.group_name"));
	assert_false(unit_json_has(rec, "device.uid"));
	test_who = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_golden_successful_open),
		T(test_names_and_host_ids_in_open_and_read),
		T(test_hostile_user_names_stay_valid_json),
		T(test_no_names_means_no_name_fields),
		T(test_process_details_in_open_and_read),
		T(test_parent_named_only_when_it_is_the_first_ancestor),
		T(test_golden_denied_open),
		T(test_golden_unresolved_scope_open),
		T(test_golden_open_with_process_path),
		T(test_golden_open_with_path_flags),
		T(test_golden_agent_start_loss_stop),
		T(test_golden_log_store_records),
		T(test_golden_discovered_open),
		T(test_golden_final_read),
		T(test_golden_progress_read),
		T(test_golden_read_of_unknown_open),
		T(test_golden_read_at_agent_stop),
		T(test_open_is_file_system_activity_open),
		T(test_open_time_is_ms_and_iso8601_with_nanoseconds),
		T(test_successful_open_has_status_success_and_fd),
		T(test_denied_open_has_status_failure_eacces),
		T(test_denied_open_shows_user_path_source_mode_and_dirfd),
		T(test_denied_open_with_eperm_names_eperm),
		T(test_create_mode_shown_only_when_the_open_creates),
		T(test_tmpfile_open_shows_create_mode),
		T(test_file_name_and_parent_folder_split_the_path),
		T(test_unresolved_open_has_relative_path_and_no_watch),
		T(test_process_path_shown_only_when_view_differs),
		T(test_non_utf8_names_decode_to_their_bytes),
		T(test_path_flags_listed_by_name),
		T(test_path_flags_absent_when_nothing_to_flag),
		T(test_path_that_overflowed_in_the_agent_is_flagged_truncated),
		T(test_path_flags_name_truncated_once_when_both_sides_cut),
		T(test_discovered_open_says_so_and_has_no_syscall),
		T(test_open_seen_at_its_syscall_is_not_discovered),
		T(test_tracked_open_shows_reads_tracked_true),
		T(test_untracked_open_shows_reads_tracked_false),
		T(test_open_with_file_table_full_shows_reads_tracked_false),
		T(test_failed_open_has_no_reads_tracked),
		T(test_read_is_file_system_activity_read),
		T(test_read_count_is_the_read_calls),
		T(test_read_span_is_first_and_last_read_in_ms_and_iso8601),
		T(test_read_time_is_its_last_read),
		T(test_read_without_calls_has_no_start_or_end_time),
		T(test_read_without_calls_has_no_span_even_with_read_times),
		T(test_read_shows_bytes_read_and_final),
		T(test_progress_read_is_not_final),
		T(test_read_reason_named_for_every_reason),
		T(test_read_names_its_event_open_and_account),
		T(test_read_actor_is_the_reader),
		T(test_read_of_known_open_shows_its_file_and_watch),
		T(test_read_of_unknown_open_has_no_file_and_says_path_unknown),
		T(test_read_at_agent_stop_has_no_event_seq),
		T(test_agent_record_is_application_lifecycle),
		cmocka_unit_test(test_format_time_is_utc_iso8601_with_nanoseconds),
		cmocka_unit_test(test_format_time_pads_nanoseconds_to_nine_digits),
		cmocka_unit_test(test_format_time_truncates_within_small_buffer),
		cmocka_unit_test(test_format_flags_rdonly),
		cmocka_unit_test(test_format_flags_wronly_creat_trunc),
		cmocka_unit_test(test_format_flags_rdwr_cloexec),
		cmocka_unit_test(test_format_flags_sync_is_not_shown_as_dsync),
		cmocka_unit_test(test_format_flags_tmpfile_is_not_shown_as_directory),
		cmocka_unit_test(test_format_flags_unknown_bits_in_hex),
		cmocka_unit_test(test_format_flags_accmode_3),
		cmocka_unit_test(test_format_flags_truncates_within_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
