// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * sinks: the memory sink keeps what is written; the JSONL sink creates its
 * file 0640, never follows a symlink, refuses what is not a regular file,
 * tightens loose permissions, appends, queues until flushed, and counts
 * the records a failed write lost (phiauditd(8), --jsonl and SECURITY).
 */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink.h"

struct fx {
	char dir[64];
	char path[128]; /* dir/out.jsonl, not created */
	char err[512];
	mode_t umask_was;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/pa-sink-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/out.jsonl", f->dir);
	f->umask_was = umask(0);
	*state = f;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int rc;

	umask(f->umask_was);
	rc = nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

static void make_file(const char *path, const char *content, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), strlen(content));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void assert_file(const char *path, const char *want)
{
	size_t len;
	char *got = unit_read_file(path, &len);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		print_error("'%s' not found in: %s\n", needle, hay);
		fail();
	}
}

static int put(struct pa_sink *s, const char *rec)
{
	return s->ops->write(s, rec, strlen(rec), 0, LOG_INFO);
}

/* ---- memory sink ---- */

static void test_memory_sink_starts_empty(void **state)
{
	struct pa_sink *s = pa_sink_memory_new();
	size_t len = 99;

	assert_non_null(s);
	assert_string_equal(pa_sink_memory_data(s, &len), "");
	assert_int_equal(len, 0);
	s->ops->close(s);
}

static void test_memory_sink_keeps_writes_in_order_and_counts_records(void **state)
{
	struct pa_sink *s = pa_sink_memory_new();
	size_t len;

	assert_non_null(s);
	assert_int_equal(put(s, "{\"a\":1}\n"), 0);
	assert_int_equal(put(s, "{\"b\":2}\n{\"c\":3}\n"), 0);
	assert_int_equal(s->ops->flush(s), 0);
	assert_string_equal(pa_sink_memory_data(s, &len), "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
	assert_int_equal(len, 24);
	assert_int_equal(s->records, 3);
	assert_int_equal(s->bytes, 24);
	assert_int_equal(s->write_errors, 0);
	s->ops->close(s);
}

/* ---- JSONL: opening ---- */

static void test_jsonl_creates_file_with_mode_0640(void **state)
{
	struct fx *f = *state;
	struct pa_sink *s = pa_sink_jsonl_open(f->path, f->err, sizeof(f->err));

	assert_non_null(s);
	assert_int_equal(mode_of(f->path), 0640);
	s->ops->close(s);
}

static void test_jsonl_new_file_mode_is_further_restricted_by_umask(void **state)
{
	struct fx *f = *state;
	struct pa_sink *s;

	umask(077);
	s = pa_sink_jsonl_open(f->path, f->err, sizeof(f->err));
	assert_non_null(s);
	assert_int_equal(mode_of(f->path), 0600);
	s->ops->close(s);
}

static void test_jsonl_refuses_symlink_naming_the_path(void **state)
{
	struct fx *f = *state;
	char target[160];

	snprintf(target, sizeof(target), "%s/target", f->dir);
	make_file(target, "", 0666);
	assert_int_equal(symlink(target, f->path), 0);
	assert_null(pa_sink_jsonl_open(f->path, f->err, sizeof(f->err)));
	assert_contains(f->err, f->path);
	assert_contains(f->err, "symbolic link");
	assert_int_equal(mode_of(target), 0666); /* not touched through it */
}

static void test_jsonl_refuses_directory_naming_the_path(void **state)
{
	struct fx *f = *state;

	assert_int_equal(mkdir(f->path, 0700), 0);
	assert_null(pa_sink_jsonl_open(f->path, f->err, sizeof(f->err)));
	assert_contains(f->err, f->path);
	assert_contains(f->err, "directory");
}

static void test_jsonl_refuses_character_device(void **state)
{
	struct fx *f = *state;

	assert_null(pa_sink_jsonl_open("/dev/full", f->err, sizeof(f->err)));
	assert_string_equal(f->err, "/dev/full: not a regular file");
}

static void test_jsonl_missing_directory_names_the_path(void **state)
{
	struct fx *f = *state;
	char path[160];

	snprintf(path, sizeof(path), "%s/no/such/out.jsonl", f->dir);
	assert_null(pa_sink_jsonl_open(path, f->err, sizeof(f->err)));
	assert_contains(f->err, path);
	assert_contains(f->err, strerror(ENOENT));
}

static void test_jsonl_tightens_world_writable_file_to_0640(void **state)
{
	struct fx *f = *state;
	struct pa_sink *s;

	make_file(f->path, "", 0666);
	s = pa_sink_jsonl_open(f->path, f->err, sizeof(f->err));
	assert_non_null(s);
	assert_int_equal(mode_of(f->path), 0640);
	s->ops->close(s);
}

static void test_jsonl_tightens_group_writable_file(void **state)
{
	struct fx *f = *state;
	struct pa_sink *s;

	make_file(f->path, "", 0660);
	s = pa_sink_jsonl_open(f->path, f->err, sizeof(f->err));
	assert_non_null(s);
	assert_int_equal(mode_of(f->path), 0640);
	s->ops->close(s);
}

static void test_jsonl_leaves_a_stricter_file_alone(void **state)
{
	struct fx *f = *state;
	struct pa_sink *s;

	make_file(f->path, "", 0600);
	s = pa_sink_jsonl_open(f->path, f->err, sizeof(f->err));
	assert_non_null(s);
	assert_int_equal(mode_of(f->path), 0600);
	s->ops->close(s);
}

static void test_jsonl_dash_is_stdout_and_close_keeps_it_open(void **state)
{
	struct fx *f = *state;
	struct pa_sink *s = pa_sink_jsonl_open("-", f->err, sizeof(f->err));

	assert_non_null(s);
	s->ops->close(s);
	assert_true(fcntl(STDOUT_FILENO, F_GETFD) >= 0);
}

/* ---- JSONL: writing ---- */

static void test_jsonl_queues_records_until_flush(void **state)
{
	struct fx *f = *state;
	struct pa_sink *s = pa_sink_jsonl_open(f->path, f->err, sizeof(f->err));

	assert_non_null(s);
	assert_int_equal(put(s, "{\"n\":1}\n{\"n\":2}\n"), 0);
	assert_file(f->path, "");
	assert_int_equal(s->records, 0);
	assert_int_equal(s->ops->flush(s), 0);
	assert_file(f->path, "{\"n\":1}\n{\"n\":2}\n");
	assert_int_equal(s->records, 2);
	assert_int_equal(s->bytes, 16);
	s->ops->close(s);
}

static void test_jsonl_appends_to_existing_content(void **state)
{
	struct fx *f = *state;
	struct pa_sink *s;

	make_file(f->path, "{\"old\":1}\n", 0640);
	s = pa_sink_jsonl_open(f->path, f->err, sizeof(f->err));
	assert_non_null(s);
	assert_int_equal(put(s, "{\"new\":2}\n"), 0);
	s->ops->close(s);
	assert_file(f->path, "{\"old\":1}\n{\"new\":2}\n");
}

static void test_jsonl_close_flushes_what_is_queued(void **state)
{
	struct fx *f = *state;
	struct pa_sink *s = pa_sink_jsonl_open(f->path, f->err, sizeof(f->err));

	assert_non_null(s);
	assert_int_equal(put(s, "{\"n\":1}\n"), 0);
	s->ops->close(s);
	assert_file(f->path, "{\"n\":1}\n");
}

static void test_jsonl_writes_by_itself_once_256k_are_queued(void **state)
{
	struct fx *f = *state;
	struct pa_sink *s = pa_sink_jsonl_open(f->path, f->err, sizeof(f->err));
	char rec[1024];
	struct stat st;

	assert_non_null(s);
	memset(rec, 'x', sizeof(rec) - 1);
	rec[sizeof(rec) - 1] = '\n';
	for (int i = 0; i < 256; i++)
		assert_int_equal(s->ops->write(s, rec, sizeof(rec), 0, LOG_INFO), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_size, 256 * 1024);
	assert_int_equal(s->records, 256);
	s->ops->close(s);
}

/*
 * A write that fails: the file is at RLIMIT_FSIZE (EFBIG). The limit is
 * lifted before anything is asserted, so cmocka's own output (perhaps to a
 * file) is never written under it.
 */
static void test_jsonl_counts_records_lost_to_a_failed_write(void **state)
{
	struct fx *f = *state;
	struct pa_sink *s;
	struct rlimit was, lim;
	void (*sig_was)(int);
	int wrc, frc;

	make_file(f->path, "0123456789\n", 0640);
	s = pa_sink_jsonl_open(f->path, f->err, sizeof(f->err));
	assert_non_null(s);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
	lim = was;
	lim.rlim_cur = 11; /* the file's size */
	sig_was = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	wrc = put(s, "{\"n\":1}\n{\"n\":2}\n");
	frc = s->ops->flush(s);
	setrlimit(RLIMIT_FSIZE, &was);
	signal(SIGXFSZ, sig_was);

	assert_int_equal(wrc, 0);
	assert_int_equal(frc, -EFBIG);
	assert_int_equal(s->write_errors, 2);
	assert_int_equal(s->last_error, EFBIG);
	assert_int_equal(s->records, 0);
	s->ops->close(s);
	assert_file(f->path, "0123456789\n");
}

static void test_jsonl_writes_again_after_a_failed_write(void **state)
{
	struct fx *f = *state;
	struct pa_sink *s;
	struct rlimit was, lim;
	void (*sig_was)(int);

	make_file(f->path, "", 0640);
	s = pa_sink_jsonl_open(f->path, f->err, sizeof(f->err));
	assert_non_null(s);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
	lim = was;
	lim.rlim_cur = 0;
	sig_was = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	put(s, "{\"lost\":1}\n");
	s->ops->flush(s);
	setrlimit(RLIMIT_FSIZE, &was);
	signal(SIGXFSZ, sig_was);

	assert_int_equal(put(s, "{\"n\":2}\n"), 0);
	assert_int_equal(s->ops->flush(s), 0);
	assert_int_equal(s->write_errors, 1);
	assert_int_equal(s->records, 1);
	s->ops->close(s);
	assert_file(f->path, "{\"n\":2}\n"); /* the lost record is not re-sent */
}

/*
 * A write cut short by the limit (ENOSPC behaves the same): the file is at
 * 0 bytes, the limit is 12, and two 8-byte records are queued, so the
 * first record and half of the second reach the file before EFBIG.
 */
static void flush_cut_after_12_bytes(struct fx *f, struct pa_sink **sp)
{
	struct pa_sink *s;
	struct rlimit was, lim;
	void (*sig_was)(int);

	make_file(f->path, "", 0640);
	s = pa_sink_jsonl_open(f->path, f->err, sizeof(f->err));
	assert_non_null(s);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &was), 0);
	lim = was;
	lim.rlim_cur = 12;
	sig_was = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	put(s, "{\"n\":1}\n{\"n\":2}\n");
	s->ops->flush(s);
	setrlimit(RLIMIT_FSIZE, &was);
	signal(SIGXFSZ, sig_was);
	*sp = s;
}

static void test_jsonl_record_after_a_cut_write_starts_on_its_own_line(void **state)
{
	struct fx *f = *state;
	struct pa_sink *s;
	char *got, *last;
	size_t len;

	flush_cut_after_12_bytes(f, &s);
	assert_int_equal(put(s, "{\"n\":3}\n"), 0);
	assert_int_equal(s->ops->flush(s), 0);
	s->ops->close(s);
	got = unit_read_file(f->path, &len);
	assert_non_null(got);
	got[len - 1] = '\0';
	last = strrchr(got, '\n');
	last = last ? last + 1 : got;
	if (strcmp(last, "{\"n\":3}") != 0) {
		print_error("last line is '%s'\n", last);
		free(got);
		fail();
	}
	free(got);
}

static void test_jsonl_record_written_before_a_cut_is_not_counted_lost(void **state)
{
	struct fx *f = *state;
	struct pa_sink *s;
	uint64_t records, errors;

	flush_cut_after_12_bytes(f, &s);
	records = s->records;
	errors = s->write_errors;
	s->ops->close(s);
	assert_int_equal(records, 1); /* {"n":1} is in the file */
	assert_int_equal(errors, 1);  /* {"n":2} is not */
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memory_sink_starts_empty),
		cmocka_unit_test(test_memory_sink_keeps_writes_in_order_and_counts_records),
		T(test_jsonl_creates_file_with_mode_0640),
		T(test_jsonl_new_file_mode_is_further_restricted_by_umask),
		T(test_jsonl_refuses_symlink_naming_the_path),
		T(test_jsonl_refuses_directory_naming_the_path),
		T(test_jsonl_refuses_character_device),
		T(test_jsonl_missing_directory_names_the_path),
		T(test_jsonl_tightens_world_writable_file_to_0640),
		T(test_jsonl_tightens_group_writable_file),
		T(test_jsonl_leaves_a_stricter_file_alone),
		T(test_jsonl_dash_is_stdout_and_close_keeps_it_open),
		T(test_jsonl_queues_records_until_flush),
		T(test_jsonl_appends_to_existing_content),
		T(test_jsonl_close_flushes_what_is_queued),
		T(test_jsonl_writes_by_itself_once_256k_are_queued),
		T(test_jsonl_counts_records_lost_to_a_failed_write),
		T(test_jsonl_writes_again_after_a_failed_write),
		T(test_jsonl_record_after_a_cut_write_starts_on_its_own_line),
		T(test_jsonl_record_written_before_a_cut_is_not_counted_lost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
