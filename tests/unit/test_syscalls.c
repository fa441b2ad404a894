// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * syscalls.h: which syscall ids are opens, in the native x86-64 ABI and in
 * the i386 (compat) ABI, and where each operation keeps its arguments.
 * The numbers below are the kernel's (arch/x86/entry/syscalls/syscall_{64,32}.tbl).
 */
#include "unit.h"

#include <fcntl.h>
#include <stdbool.h>

/* Only the i386 table: the native one defines the same names. */
#include <asm/unistd_32.h>

#include "phiaudit/syscalls.h"

struct nr_case {
	long nr;
	enum pa_syscall op;
};

static const struct nr_case native_opens[] = {
	{ 2, PA_SYS_OPEN },   { 85, PA_SYS_CREAT },	{ 257, PA_SYS_OPENAT },
	{ 437, PA_SYS_OPENAT2 }, { 304, PA_SYS_OPEN_BY_HANDLE_AT },
	/* reads and the descriptor bookkeeping */
	{ 0, PA_SYS_READ },    { 17, PA_SYS_PREAD64 },	{ 19, PA_SYS_READV },
	{ 295, PA_SYS_PREADV }, { 327, PA_SYS_PREADV2 }, { 3, PA_SYS_CLOSE },
	{ 436, PA_SYS_CLOSE_RANGE }, { 32, PA_SYS_DUP },	{ 33, PA_SYS_DUP2 },
	{ 292, PA_SYS_DUP3 },	{ 72, PA_SYS_FCNTL },
	/* writes, transfers, mmap, reflink ioctls */
	{ 1, PA_SYS_WRITE }, { 18, PA_SYS_PWRITE64 }, { 20, PA_SYS_WRITEV },
	{ 296, PA_SYS_PWRITEV }, { 328, PA_SYS_PWRITEV2 }, { 40, PA_SYS_SENDFILE },
	{ 275, PA_SYS_SPLICE }, { 326, PA_SYS_COPY_FILE_RANGE }, { 9, PA_SYS_MMAP },
	{ 16, PA_SYS_IOCTL },
	/* changes */
	{ 76, PA_SYS_TRUNCATE }, { 77, PA_SYS_FTRUNCATE }, { 87, PA_SYS_UNLINK },
	{ 263, PA_SYS_UNLINKAT }, { 84, PA_SYS_RMDIR }, { 82, PA_SYS_RENAME },
	{ 264, PA_SYS_RENAMEAT }, { 316, PA_SYS_RENAMEAT2 }, { 86, PA_SYS_LINK },
	{ 265, PA_SYS_LINKAT }, { 90, PA_SYS_CHMOD }, { 91, PA_SYS_FCHMOD },
	{ 268, PA_SYS_FCHMODAT }, { 452, PA_SYS_FCHMODAT2 }, { 92, PA_SYS_CHOWN },
	{ 93, PA_SYS_FCHOWN }, { 94, PA_SYS_LCHOWN }, { 260, PA_SYS_FCHOWNAT },
	{ 188, PA_SYS_SETXATTR }, { 189, PA_SYS_LSETXATTR }, { 190, PA_SYS_FSETXATTR },
	{ 197, PA_SYS_REMOVEXATTR }, { 198, PA_SYS_LREMOVEXATTR }, { 199, PA_SYS_FREMOVEXATTR },
	{ 463, PA_SYS_SETXATTRAT }, { 466, PA_SYS_REMOVEXATTRAT },
};

/* The i386 numbers straight from the system's <asm/unistd_32.h>. */
static const struct nr_case i386_opens[] = {
	{ 5, PA_SYS_OPEN },   { 8, PA_SYS_CREAT },	{ 295, PA_SYS_OPENAT },
	{ 437, PA_SYS_OPENAT2 }, { 342, PA_SYS_OPEN_BY_HANDLE_AT },
	{ __NR_read, PA_SYS_READ },	  { __NR_pread64, PA_SYS_PREAD64 },
	{ __NR_readv, PA_SYS_READV },	  { __NR_preadv, PA_SYS_PREADV },
	{ __NR_preadv2, PA_SYS_PREADV2 }, { __NR_close, PA_SYS_CLOSE },
	{ __NR_close_range, PA_SYS_CLOSE_RANGE }, { __NR_dup, PA_SYS_DUP },
	{ __NR_dup2, PA_SYS_DUP2 },	  { __NR_dup3, PA_SYS_DUP3 },
	{ __NR_fcntl, PA_SYS_FCNTL },	  { __NR_fcntl64, PA_SYS_FCNTL },
	{ __NR_write, PA_SYS_WRITE }, { __NR_pwrite64, PA_SYS_PWRITE64 },
	{ __NR_writev, PA_SYS_WRITEV }, { __NR_pwritev, PA_SYS_PWRITEV },
	{ __NR_pwritev2, PA_SYS_PWRITEV2 }, { __NR_sendfile, PA_SYS_SENDFILE },
	{ __NR_sendfile64, PA_SYS_SENDFILE }, { __NR_splice, PA_SYS_SPLICE },
	{ __NR_copy_file_range, PA_SYS_COPY_FILE_RANGE }, { __NR_mmap2, PA_SYS_MMAP2 },
	{ __NR_ioctl, PA_SYS_IOCTL }, { __NR_truncate, PA_SYS_TRUNCATE },
	{ __NR_truncate64, PA_SYS_TRUNCATE }, { __NR_ftruncate, PA_SYS_FTRUNCATE },
	{ __NR_ftruncate64, PA_SYS_FTRUNCATE }, { __NR_unlink, PA_SYS_UNLINK },
	{ __NR_unlinkat, PA_SYS_UNLINKAT }, { __NR_rmdir, PA_SYS_RMDIR },
	{ __NR_rename, PA_SYS_RENAME }, { __NR_renameat, PA_SYS_RENAMEAT },
	{ __NR_renameat2, PA_SYS_RENAMEAT2 }, { __NR_link, PA_SYS_LINK },
	{ __NR_linkat, PA_SYS_LINKAT }, { __NR_chmod, PA_SYS_CHMOD },
	{ __NR_fchmod, PA_SYS_FCHMOD }, { __NR_fchmodat, PA_SYS_FCHMODAT },
	{ 452 /* fchmodat2: newer than these headers */, PA_SYS_FCHMODAT2 },
	{ __NR_chown, PA_SYS_CHOWN },
	{ __NR_chown32, PA_SYS_CHOWN }, { __NR_lchown, PA_SYS_LCHOWN },
	{ __NR_lchown32, PA_SYS_LCHOWN }, { __NR_fchown, PA_SYS_FCHOWN },
	{ __NR_fchown32, PA_SYS_FCHOWN }, { __NR_fchownat, PA_SYS_FCHOWNAT },
	{ __NR_setxattr, PA_SYS_SETXATTR }, { __NR_lsetxattr, PA_SYS_LSETXATTR },
	{ __NR_fsetxattr, PA_SYS_FSETXATTR }, { __NR_removexattr, PA_SYS_REMOVEXATTR },
	{ __NR_lremovexattr, PA_SYS_LREMOVEXATTR },
	{ __NR_fremovexattr, PA_SYS_FREMOVEXATTR },
	{ 463 /* setxattrat, 6.13: newer than these headers */, PA_SYS_SETXATTRAT },
	{ 466 /* removexattrat */, PA_SYS_REMOVEXATTRAT },
};

static void test_candidate_accepts_every_native_open(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(native_opens); i++)
		assert_true(pa_syscall_candidate(native_opens[i].nr));
}

static void test_candidate_accepts_every_i386_open(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(i386_opens); i++)
		assert_true(pa_syscall_candidate(i386_opens[i].nr));
}

static void test_candidate_rejects_common_other_syscalls(void **state)
{
	/* execve, exit_group, getppid, pidfd_getfd, futex, epoll_wait, ... */
	static const long others[] = { 59, 231, 110, 438, 202, 232, 270, -1, 100000 };

	for (size_t i = 0; i < ARRAY_LEN(others); i++)
		assert_false(pa_syscall_candidate(others[i]));
}

static void test_classify_native_opens(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(native_opens); i++)
		assert_int_equal(pa_syscall_classify(native_opens[i].nr, 0), native_opens[i].op);
}

static void test_classify_i386_opens(void **state)
{
	for (size_t i = 0; i < ARRAY_LEN(i386_opens); i++)
		assert_int_equal(pa_syscall_classify(i386_opens[i].nr, 1), i386_opens[i].op);
}

static void test_i386_numbers_match_kernel_uapi_header(void **state)
{
	assert_int_equal(pa_syscall_classify(__NR_open, 1), PA_SYS_OPEN);
	assert_int_equal(pa_syscall_classify(__NR_creat, 1), PA_SYS_CREAT);
	assert_int_equal(pa_syscall_classify(__NR_openat, 1), PA_SYS_OPENAT);
	assert_int_equal(pa_syscall_classify(__NR_openat2, 1), PA_SYS_OPENAT2);
	assert_int_equal(pa_syscall_classify(__NR_open_by_handle_at, 1),
			 PA_SYS_OPEN_BY_HANDLE_AT);
}

static void test_native_5_is_fstat_not_open(void **state)
{
	assert_int_equal(pa_syscall_classify(5, 0), PA_SYS_NONE);
}

static void test_native_8_is_lseek_not_creat(void **state)
{
	assert_int_equal(pa_syscall_classify(8, 0), PA_SYS_NONE);
}

static void test_compat_2_is_fork_not_open(void **state)
{
	assert_int_equal(pa_syscall_classify(2, 1), PA_SYS_NONE);
}

static void test_compat_85_is_readlink_not_creat(void **state)
{
	assert_int_equal(pa_syscall_classify(85, 1), PA_SYS_NONE);
}

static void test_native_257_is_openat_but_compat_257_is_not(void **state)
{
	assert_int_equal(pa_syscall_classify(257, 0), PA_SYS_OPENAT);
	assert_int_equal(pa_syscall_classify(257, 1), PA_SYS_NONE);
}

static void test_295_is_preadv_natively_openat_in_compat(void **state)
{
	assert_int_equal(pa_syscall_classify(295, 0), PA_SYS_PREADV);
	assert_int_equal(pa_syscall_classify(295, 1), PA_SYS_OPENAT);
}

static void test_3_is_close_natively_read_in_compat(void **state)
{
	/* The ABI decides: a 32-bit read must not end an account. */
	assert_int_equal(pa_syscall_classify(3, 0), PA_SYS_CLOSE);
	assert_int_equal(pa_syscall_classify(3, 1), PA_SYS_READ);
}

static void test_read_ops_are_reads_and_nothing_else_is(void **state)
{
	for (int op = PA_SYS_NONE; op <= PA_SYS_FCNTL; op++) {
		bool read = op == PA_SYS_READ || op == PA_SYS_PREAD64 || op == PA_SYS_READV ||
			    op == PA_SYS_PREADV || op == PA_SYS_PREADV2;

		assert_int_equal(pa_syscall_is_read((enum pa_syscall)op), read);
		assert_int_equal(pa_syscall_is_open((enum pa_syscall)op),
				 op >= PA_SYS_OPEN && op <= PA_SYS_OPEN_BY_HANDLE_AT);
	}
}

static void test_compat_304_and_native_342_are_not_open_by_handle_at(void **state)
{
	assert_int_equal(pa_syscall_classify(304, 1), PA_SYS_NONE);
	assert_int_equal(pa_syscall_classify(342, 0), PA_SYS_NONE);
	/* native stat (4) is i386 write: only in a compat syscall */
	assert_int_equal(pa_syscall_classify(4, 0), PA_SYS_NONE);
}

static void test_every_classified_id_passes_the_candidate_filter(void **state)
{
	/* The kernel drops non-candidates first: none may be lost there. */
	for (long nr = -1; nr < 1024; nr++)
		for (int compat = 0; compat <= 1; compat++)
			if (pa_syscall_classify(nr, compat) != PA_SYS_NONE)
				assert_true(pa_syscall_candidate(nr));
}

static void test_only_the_listed_ids_classify(void **state)
{
	int found = 0;

	for (long nr = -1; nr < 1024; nr++)
		for (int compat = 0; compat <= 1; compat++)
			found += pa_syscall_classify(nr, compat) != PA_SYS_NONE;
	assert_int_equal(found, ARRAY_LEN(native_opens) + ARRAY_LEN(i386_opens));
}

static void assert_layout(enum pa_syscall op, int dirfd, int path, int flags, int mode, int how)
{
	struct pa_open_args_layout l = pa_open_layout(op);

	assert_int_equal(l.dirfd, dirfd);
	assert_int_equal(l.path, path);
	assert_int_equal(l.flags, flags);
	assert_int_equal(l.mode, mode);
	assert_int_equal(l.how, how);
}

static void test_layout_open_is_path_flags_mode(void **state)
{
	assert_layout(PA_SYS_OPEN, -1, 0, 1, 2, -1);
}

static void test_layout_creat_is_path_mode_with_implied_flags(void **state)
{
	assert_layout(PA_SYS_CREAT, -1, 0, -1, 1, -1);
	assert_int_equal(PA_CREAT_FLAGS, O_CREAT | O_WRONLY | O_TRUNC);
}

static void test_layout_openat_is_dirfd_path_flags_mode(void **state)
{
	assert_layout(PA_SYS_OPENAT, 0, 1, 2, 3, -1);
}

static void test_layout_openat2_is_dirfd_path_how(void **state)
{
	assert_layout(PA_SYS_OPENAT2, 0, 1, -1, -1, 2);
}

static void test_layout_open_by_handle_at_is_mountfd_handle_flags(void **state)
{
	assert_layout(PA_SYS_OPEN_BY_HANDLE_AT, 0, -1, 2, -1, -1);
}

static void test_layout_none_has_no_arguments(void **state)
{
	assert_layout(PA_SYS_NONE, -1, -1, -1, -1, -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_candidate_accepts_every_native_open),
		cmocka_unit_test(test_candidate_accepts_every_i386_open),
		cmocka_unit_test(test_candidate_rejects_common_other_syscalls),
		cmocka_unit_test(test_classify_native_opens),
		cmocka_unit_test(test_classify_i386_opens),
		cmocka_unit_test(test_i386_numbers_match_kernel_uapi_header),
		cmocka_unit_test(test_native_5_is_fstat_not_open),
		cmocka_unit_test(test_native_8_is_lseek_not_creat),
		cmocka_unit_test(test_compat_2_is_fork_not_open),
		cmocka_unit_test(test_compat_85_is_readlink_not_creat),
		cmocka_unit_test(test_native_257_is_openat_but_compat_257_is_not),
		cmocka_unit_test(test_295_is_preadv_natively_openat_in_compat),
		cmocka_unit_test(test_3_is_close_natively_read_in_compat),
		cmocka_unit_test(test_read_ops_are_reads_and_nothing_else_is),
		cmocka_unit_test(test_compat_304_and_native_342_are_not_open_by_handle_at),
		cmocka_unit_test(test_every_classified_id_passes_the_candidate_filter),
		cmocka_unit_test(test_only_the_listed_ids_classify),
		cmocka_unit_test(test_layout_open_is_path_flags_mode),
		cmocka_unit_test(test_layout_creat_is_path_mode_with_implied_flags),
		cmocka_unit_test(test_layout_openat_is_dirfd_path_flags_mode),
		cmocka_unit_test(test_layout_openat2_is_dirfd_path_how),
		cmocka_unit_test(test_layout_open_by_handle_at_is_mountfd_handle_flags),
		cmocka_unit_test(test_layout_none_has_no_arguments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
