/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Which syscalls phiaudit decodes, native x86-64 and 32-bit (ia32 compat).
 * Pure C shared by the BPF programs and the unit tests: the hot path in
 * the kernel rejects any other syscall id with pa_syscall_candidate()
 * before it touches the task.
 *
 * The i386 numbers matter because a raw sys_exit hook sees compat syscalls
 * with their i386 ids (open is 5 there, fstat is 5 natively).
 */
#ifndef PHIAUDIT_SYSCALLS_H
#define PHIAUDIT_SYSCALLS_H

#include "abi.h"

/* x86-64 */
#define PA_NR64_OPEN 2
#define PA_NR64_CREAT 85
#define PA_NR64_OPENAT 257
#define PA_NR64_OPEN_BY_HANDLE_AT 304
#define PA_NR64_OPENAT2 437
/* i386 */
#define PA_NR32_OPEN 5
#define PA_NR32_CREAT 8
#define PA_NR32_OPENAT 295
#define PA_NR32_OPEN_BY_HANDLE_AT 342
#define PA_NR32_OPENAT2 437

/* Could this id be one we decode, in either ABI? Cheap first filter. */
static inline int pa_syscall_candidate(long nr)
{
	switch (nr) {
	case PA_NR64_OPEN:
	case PA_NR64_CREAT:
	case PA_NR64_OPENAT:
	case PA_NR64_OPEN_BY_HANDLE_AT:
	case PA_NR64_OPENAT2:
	case PA_NR32_OPEN:
	case PA_NR32_CREAT:
	case PA_NR32_OPENAT:
	case PA_NR32_OPEN_BY_HANDLE_AT:
		return 1;
	default:
		return 0;
	}
}

/* The operation behind a syscall id, given the ABI it was made in. */
static inline enum pa_syscall pa_syscall_classify(long nr, int compat)
{
	if (compat) {
		switch (nr) {
		case PA_NR32_OPEN: return PA_SYS_OPEN;
		case PA_NR32_CREAT: return PA_SYS_CREAT;
		case PA_NR32_OPENAT: return PA_SYS_OPENAT;
		case PA_NR32_OPENAT2: return PA_SYS_OPENAT2;
		case PA_NR32_OPEN_BY_HANDLE_AT: return PA_SYS_OPEN_BY_HANDLE_AT;
		default: return PA_SYS_NONE;
		}
	}
	switch (nr) {
	case PA_NR64_OPEN: return PA_SYS_OPEN;
	case PA_NR64_CREAT: return PA_SYS_CREAT;
	case PA_NR64_OPENAT: return PA_SYS_OPENAT;
	case PA_NR64_OPENAT2: return PA_SYS_OPENAT2;
	case PA_NR64_OPEN_BY_HANDLE_AT: return PA_SYS_OPEN_BY_HANDLE_AT;
	default: return PA_SYS_NONE;
	}
}

/*
 * Argument positions. Native: rdi rsi rdx r10 r8 r9. Compat (i386):
 * ebx ecx edx esi edi ebp. Index into the six for each operation.
 */
struct pa_open_args_layout {
	signed char dirfd; /* -1: implicit AT_FDCWD */
	signed char path;  /* -1: no path (open_by_handle_at) */
	signed char flags; /* -1: implied (creat) */
	signed char mode;  /* -1: none */
	signed char how;   /* openat2's struct open_how *, else -1 */
};

static inline struct pa_open_args_layout pa_open_layout(enum pa_syscall op)
{
	struct pa_open_args_layout l = { -1, -1, -1, -1, -1 };

	switch (op) {
	case PA_SYS_OPEN: l.path = 0; l.flags = 1; l.mode = 2; break;
	case PA_SYS_CREAT: l.path = 0; l.mode = 1; break;
	case PA_SYS_OPENAT: l.dirfd = 0; l.path = 1; l.flags = 2; l.mode = 3; break;
	case PA_SYS_OPENAT2: l.dirfd = 0; l.path = 1; l.how = 2; break;
	case PA_SYS_OPEN_BY_HANDLE_AT: l.dirfd = 0; l.flags = 2; break;
	default: break;
	}
	return l;
}

/* creat(path, mode) is open(path, O_CREAT|O_WRONLY|O_TRUNC, mode). */
#define PA_CREAT_FLAGS (01 | 0100 | 01000)

#endif /* PHIAUDIT_SYSCALLS_H */
