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
#define PA_NR64_READ 0
#define PA_NR64_PREAD64 17
#define PA_NR64_READV 19
#define PA_NR64_PREADV 295
#define PA_NR64_PREADV2 327
#define PA_NR64_CLOSE 3
#define PA_NR64_CLOSE_RANGE 436
#define PA_NR64_DUP 32
#define PA_NR64_DUP2 33
#define PA_NR64_DUP3 292
#define PA_NR64_FCNTL 72
/* i386 */
#define PA_NR32_OPEN 5
#define PA_NR32_CREAT 8
#define PA_NR32_OPENAT 295
#define PA_NR32_OPEN_BY_HANDLE_AT 342
#define PA_NR32_OPENAT2 437
#define PA_NR32_READ 3
#define PA_NR32_PREAD64 180
#define PA_NR32_READV 145
#define PA_NR32_PREADV 333
#define PA_NR32_PREADV2 378
#define PA_NR32_CLOSE 6
#define PA_NR32_CLOSE_RANGE 436
#define PA_NR32_DUP 41
#define PA_NR32_DUP2 63
#define PA_NR32_DUP3 330
#define PA_NR32_FCNTL 55
#define PA_NR32_FCNTL64 221

/* fcntl commands that duplicate a descriptor */
#define PA_F_DUPFD 0
#define PA_F_DUPFD_CLOEXEC 1030

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
	case PA_NR64_READ: /* == PA_NR32_READ and friends: ids overlap */
	case PA_NR64_PREAD64:
	case PA_NR64_READV:
	case PA_NR64_PREADV2:
	case PA_NR64_CLOSE:
	case PA_NR64_CLOSE_RANGE:
	case PA_NR64_DUP:
	case PA_NR64_DUP2:
	case PA_NR64_DUP3:
	case PA_NR64_FCNTL:
	case PA_NR32_PREAD64:
	case PA_NR32_READV:
	case PA_NR32_PREADV:
	case PA_NR32_PREADV2:
	case PA_NR32_CLOSE:
	case PA_NR32_DUP:
	case PA_NR32_DUP2:
	case PA_NR32_DUP3:
	case PA_NR32_FCNTL:
	case PA_NR32_FCNTL64:
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
		case PA_NR32_READ: return PA_SYS_READ;
		case PA_NR32_PREAD64: return PA_SYS_PREAD64;
		case PA_NR32_READV: return PA_SYS_READV;
		case PA_NR32_PREADV: return PA_SYS_PREADV;
		case PA_NR32_PREADV2: return PA_SYS_PREADV2;
		case PA_NR32_CLOSE: return PA_SYS_CLOSE;
		case PA_NR32_CLOSE_RANGE: return PA_SYS_CLOSE_RANGE;
		case PA_NR32_DUP: return PA_SYS_DUP;
		case PA_NR32_DUP2: return PA_SYS_DUP2;
		case PA_NR32_DUP3: return PA_SYS_DUP3;
		case PA_NR32_FCNTL: return PA_SYS_FCNTL;
		case PA_NR32_FCNTL64: return PA_SYS_FCNTL;
		default: return PA_SYS_NONE;
		}
	}
	switch (nr) {
	case PA_NR64_OPEN: return PA_SYS_OPEN;
	case PA_NR64_CREAT: return PA_SYS_CREAT;
	case PA_NR64_OPENAT: return PA_SYS_OPENAT;
	case PA_NR64_OPENAT2: return PA_SYS_OPENAT2;
	case PA_NR64_OPEN_BY_HANDLE_AT: return PA_SYS_OPEN_BY_HANDLE_AT;
	case PA_NR64_READ: return PA_SYS_READ;
	case PA_NR64_PREAD64: return PA_SYS_PREAD64;
	case PA_NR64_READV: return PA_SYS_READV;
	case PA_NR64_PREADV: return PA_SYS_PREADV;
	case PA_NR64_PREADV2: return PA_SYS_PREADV2;
	case PA_NR64_CLOSE: return PA_SYS_CLOSE;
	case PA_NR64_CLOSE_RANGE: return PA_SYS_CLOSE_RANGE;
	case PA_NR64_DUP: return PA_SYS_DUP;
	case PA_NR64_DUP2: return PA_SYS_DUP2;
	case PA_NR64_DUP3: return PA_SYS_DUP3;
	case PA_NR64_FCNTL: return PA_SYS_FCNTL;
	default: return PA_SYS_NONE;
	}
}

static inline int pa_syscall_is_open(enum pa_syscall op)
{
	return op >= PA_SYS_OPEN && op <= PA_SYS_OPEN_BY_HANDLE_AT;
}

static inline int pa_syscall_is_read(enum pa_syscall op)
{
	return op >= PA_SYS_READ && op <= PA_SYS_PREADV2;
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
