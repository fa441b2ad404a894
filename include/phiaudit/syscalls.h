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
#define PA_NR64_WRITE 1
#define PA_NR64_PWRITE64 18
#define PA_NR64_WRITEV 20
#define PA_NR64_PWRITEV 296
#define PA_NR64_PWRITEV2 328
#define PA_NR64_SENDFILE 40
#define PA_NR64_SPLICE 275
#define PA_NR64_COPY_FILE_RANGE 326
#define PA_NR64_MMAP 9
#define PA_NR64_IOCTL 16
#define PA_NR64_TRUNCATE 76
#define PA_NR64_FTRUNCATE 77
#define PA_NR64_UNLINK 87
#define PA_NR64_UNLINKAT 263
#define PA_NR64_RMDIR 84
#define PA_NR64_RENAME 82
#define PA_NR64_RENAMEAT 264
#define PA_NR64_RENAMEAT2 316
#define PA_NR64_LINK 86
#define PA_NR64_LINKAT 265
#define PA_NR64_CHMOD 90
#define PA_NR64_FCHMOD 91
#define PA_NR64_FCHMODAT 268
#define PA_NR64_FCHMODAT2 452
#define PA_NR64_CHOWN 92
#define PA_NR64_FCHOWN 93
#define PA_NR64_LCHOWN 94
#define PA_NR64_FCHOWNAT 260
#define PA_NR64_SETXATTR 188
#define PA_NR64_LSETXATTR 189
#define PA_NR64_FSETXATTR 190
#define PA_NR64_REMOVEXATTR 197
#define PA_NR64_LREMOVEXATTR 198
#define PA_NR64_FREMOVEXATTR 199
#define PA_NR64_SETXATTRAT 463
#define PA_NR64_REMOVEXATTRAT 466
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
#define PA_NR32_WRITE 4
#define PA_NR32_PWRITE64 181
#define PA_NR32_WRITEV 146
#define PA_NR32_PWRITEV 334
#define PA_NR32_PWRITEV2 379
#define PA_NR32_SENDFILE 187
#define PA_NR32_SENDFILE64 239
#define PA_NR32_SPLICE 313
#define PA_NR32_COPY_FILE_RANGE 377
#define PA_NR32_MMAP2 192 /* (old_mmap, 90, takes a struct: not decoded) */
#define PA_NR32_IOCTL 54
#define PA_NR32_TRUNCATE 92
#define PA_NR32_FTRUNCATE 93
#define PA_NR32_TRUNCATE64 193
#define PA_NR32_FTRUNCATE64 194
#define PA_NR32_UNLINK 10
#define PA_NR32_UNLINKAT 301
#define PA_NR32_RMDIR 40
#define PA_NR32_RENAME 38
#define PA_NR32_RENAMEAT 302
#define PA_NR32_RENAMEAT2 353
#define PA_NR32_LINK 9
#define PA_NR32_LINKAT 303
#define PA_NR32_CHMOD 15
#define PA_NR32_FCHMOD 94
#define PA_NR32_FCHMODAT 306
#define PA_NR32_FCHMODAT2 452
#define PA_NR32_LCHOWN16 16
#define PA_NR32_FCHOWN16 95
#define PA_NR32_CHOWN16 182
#define PA_NR32_LCHOWN 198
#define PA_NR32_FCHOWN 207
#define PA_NR32_CHOWN 212
#define PA_NR32_FCHOWNAT 298
#define PA_NR32_SETXATTR 226
#define PA_NR32_LSETXATTR 227
#define PA_NR32_FSETXATTR 228
#define PA_NR32_REMOVEXATTR 235
#define PA_NR32_LREMOVEXATTR 236
#define PA_NR32_FREMOVEXATTR 237
#define PA_NR32_SETXATTRAT 463
#define PA_NR32_REMOVEXATTRAT 466

/* fcntl commands that duplicate a descriptor */
#define PA_F_DUPFD 0
#define PA_F_DUPFD_CLOEXEC 1030

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
		case PA_NR32_WRITE: return PA_SYS_WRITE;
		case PA_NR32_PWRITE64: return PA_SYS_PWRITE64;
		case PA_NR32_WRITEV: return PA_SYS_WRITEV;
		case PA_NR32_PWRITEV: return PA_SYS_PWRITEV;
		case PA_NR32_PWRITEV2: return PA_SYS_PWRITEV2;
		case PA_NR32_SENDFILE: return PA_SYS_SENDFILE;
		case PA_NR32_SENDFILE64: return PA_SYS_SENDFILE;
		case PA_NR32_SPLICE: return PA_SYS_SPLICE;
		case PA_NR32_COPY_FILE_RANGE: return PA_SYS_COPY_FILE_RANGE;
		case PA_NR32_MMAP2: return PA_SYS_MMAP2;
		case PA_NR32_IOCTL: return PA_SYS_IOCTL;
		case PA_NR32_TRUNCATE: return PA_SYS_TRUNCATE;
		case PA_NR32_TRUNCATE64: return PA_SYS_TRUNCATE;
		case PA_NR32_FTRUNCATE: return PA_SYS_FTRUNCATE;
		case PA_NR32_FTRUNCATE64: return PA_SYS_FTRUNCATE;
		case PA_NR32_UNLINK: return PA_SYS_UNLINK;
		case PA_NR32_UNLINKAT: return PA_SYS_UNLINKAT;
		case PA_NR32_RMDIR: return PA_SYS_RMDIR;
		case PA_NR32_RENAME: return PA_SYS_RENAME;
		case PA_NR32_RENAMEAT: return PA_SYS_RENAMEAT;
		case PA_NR32_RENAMEAT2: return PA_SYS_RENAMEAT2;
		case PA_NR32_LINK: return PA_SYS_LINK;
		case PA_NR32_LINKAT: return PA_SYS_LINKAT;
		case PA_NR32_CHMOD: return PA_SYS_CHMOD;
		case PA_NR32_FCHMOD: return PA_SYS_FCHMOD;
		case PA_NR32_FCHMODAT: return PA_SYS_FCHMODAT;
		case PA_NR32_FCHMODAT2: return PA_SYS_FCHMODAT2;
		case PA_NR32_CHOWN16: return PA_SYS_CHOWN;
		case PA_NR32_CHOWN: return PA_SYS_CHOWN;
		case PA_NR32_LCHOWN16: return PA_SYS_LCHOWN;
		case PA_NR32_LCHOWN: return PA_SYS_LCHOWN;
		case PA_NR32_FCHOWN16: return PA_SYS_FCHOWN;
		case PA_NR32_FCHOWN: return PA_SYS_FCHOWN;
		case PA_NR32_FCHOWNAT: return PA_SYS_FCHOWNAT;
		case PA_NR32_SETXATTR: return PA_SYS_SETXATTR;
		case PA_NR32_LSETXATTR: return PA_SYS_LSETXATTR;
		case PA_NR32_FSETXATTR: return PA_SYS_FSETXATTR;
		case PA_NR32_REMOVEXATTR: return PA_SYS_REMOVEXATTR;
		case PA_NR32_LREMOVEXATTR: return PA_SYS_LREMOVEXATTR;
		case PA_NR32_FREMOVEXATTR: return PA_SYS_FREMOVEXATTR;
		case PA_NR32_SETXATTRAT: return PA_SYS_SETXATTRAT;
		case PA_NR32_REMOVEXATTRAT: return PA_SYS_REMOVEXATTRAT;
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
	case PA_NR64_WRITE: return PA_SYS_WRITE;
	case PA_NR64_PWRITE64: return PA_SYS_PWRITE64;
	case PA_NR64_WRITEV: return PA_SYS_WRITEV;
	case PA_NR64_PWRITEV: return PA_SYS_PWRITEV;
	case PA_NR64_PWRITEV2: return PA_SYS_PWRITEV2;
	case PA_NR64_SENDFILE: return PA_SYS_SENDFILE;
	case PA_NR64_SPLICE: return PA_SYS_SPLICE;
	case PA_NR64_COPY_FILE_RANGE: return PA_SYS_COPY_FILE_RANGE;
	case PA_NR64_MMAP: return PA_SYS_MMAP;
	case PA_NR64_IOCTL: return PA_SYS_IOCTL;
	case PA_NR64_TRUNCATE: return PA_SYS_TRUNCATE;
	case PA_NR64_FTRUNCATE: return PA_SYS_FTRUNCATE;
	case PA_NR64_UNLINK: return PA_SYS_UNLINK;
	case PA_NR64_UNLINKAT: return PA_SYS_UNLINKAT;
	case PA_NR64_RMDIR: return PA_SYS_RMDIR;
	case PA_NR64_RENAME: return PA_SYS_RENAME;
	case PA_NR64_RENAMEAT: return PA_SYS_RENAMEAT;
	case PA_NR64_RENAMEAT2: return PA_SYS_RENAMEAT2;
	case PA_NR64_LINK: return PA_SYS_LINK;
	case PA_NR64_LINKAT: return PA_SYS_LINKAT;
	case PA_NR64_CHMOD: return PA_SYS_CHMOD;
	case PA_NR64_FCHMOD: return PA_SYS_FCHMOD;
	case PA_NR64_FCHMODAT: return PA_SYS_FCHMODAT;
	case PA_NR64_FCHMODAT2: return PA_SYS_FCHMODAT2;
	case PA_NR64_CHOWN: return PA_SYS_CHOWN;
	case PA_NR64_FCHOWN: return PA_SYS_FCHOWN;
	case PA_NR64_LCHOWN: return PA_SYS_LCHOWN;
	case PA_NR64_FCHOWNAT: return PA_SYS_FCHOWNAT;
	case PA_NR64_SETXATTR: return PA_SYS_SETXATTR;
	case PA_NR64_LSETXATTR: return PA_SYS_LSETXATTR;
	case PA_NR64_FSETXATTR: return PA_SYS_FSETXATTR;
	case PA_NR64_REMOVEXATTR: return PA_SYS_REMOVEXATTR;
	case PA_NR64_LREMOVEXATTR: return PA_SYS_LREMOVEXATTR;
	case PA_NR64_FREMOVEXATTR: return PA_SYS_FREMOVEXATTR;
	case PA_NR64_SETXATTRAT: return PA_SYS_SETXATTRAT;
	case PA_NR64_REMOVEXATTRAT: return PA_SYS_REMOVEXATTRAT;
	default: return PA_SYS_NONE;
	}
}

/* Could this id be one we decode, in either ABI? The hot path's first
 * filter, before it reads the task; the two ABIs' ids overlap. */
static inline int pa_syscall_candidate(long nr)
{
	return pa_syscall_classify(nr, 0) != PA_SYS_NONE ||
	       pa_syscall_classify(nr, 1) != PA_SYS_NONE;
}

static inline int pa_syscall_is_open(enum pa_syscall op)
{
	return op >= PA_SYS_OPEN && op <= PA_SYS_OPEN_BY_HANDLE_AT;
}

static inline int pa_syscall_is_read(enum pa_syscall op)
{
	return op >= PA_SYS_READ && op <= PA_SYS_PREADV2;
}

static inline int pa_syscall_is_write(enum pa_syscall op)
{
	return op >= PA_SYS_WRITE && op <= PA_SYS_PWRITEV2;
}

static inline int pa_syscall_is_link(enum pa_syscall op)
{
	return op == PA_SYS_LINK || op == PA_SYS_LINKAT;
}

/* Changes that name their file by path (or by fd: pa_change_layout). */
static inline int pa_syscall_is_change(enum pa_syscall op)
{
	return op >= PA_SYS_TRUNCATE && op <= PA_SYS_REMOVEXATTRAT;
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

/*
 * Changes: where their arguments are. A call with a path names its file
 * by (dirfd, path); one with only fd by the open file; the *at calls with
 * AT_EMPTY_PATH and an empty string also by fd (the program checks).
 * rename and link name a second path (newdirfd, newpath).
 */
struct pa_change_args_layout {
	signed char fd;	      /* the file's fd (f* calls), else -1 */
	signed char dirfd;    /* -1: implicit AT_FDCWD */
	signed char path;     /* -1: none */
	signed char newdirfd; /* -1: implicit AT_FDCWD */
	signed char newpath;  /* -1: none */
	signed char flags;    /* AT_*, RENAME_* */
	signed char mode;     /* chmod */
	signed char uid;      /* chown (gid is the next argument) */
	signed char length;   /* truncate */
	signed char name;     /* xattr name */
};

static inline struct pa_change_args_layout pa_change_layout(enum pa_syscall op)
{
	struct pa_change_args_layout l = { -1, -1, -1, -1, -1, -1, -1, -1, -1, -1 };

	switch (op) {
	case PA_SYS_TRUNCATE: l.path = 0; l.length = 1; break;
	case PA_SYS_FTRUNCATE: l.fd = 0; l.length = 1; break;
	case PA_SYS_UNLINK: case PA_SYS_RMDIR: l.path = 0; break;
	case PA_SYS_UNLINKAT: l.dirfd = 0; l.path = 1; l.flags = 2; break;
	case PA_SYS_RENAME: case PA_SYS_LINK: l.path = 0; l.newpath = 1; break;
	case PA_SYS_RENAMEAT:
		l.dirfd = 0; l.path = 1; l.newdirfd = 2; l.newpath = 3; break;
	case PA_SYS_RENAMEAT2: case PA_SYS_LINKAT:
		l.dirfd = 0; l.path = 1; l.newdirfd = 2; l.newpath = 3; l.flags = 4; break;
	case PA_SYS_CHMOD: l.path = 0; l.mode = 1; break;
	case PA_SYS_FCHMOD: l.fd = 0; l.mode = 1; break;
	case PA_SYS_FCHMODAT: l.dirfd = 0; l.path = 1; l.mode = 2; break;
	case PA_SYS_FCHMODAT2: l.dirfd = 0; l.path = 1; l.mode = 2; l.flags = 3; break;
	case PA_SYS_CHOWN: case PA_SYS_LCHOWN: l.path = 0; l.uid = 1; break;
	case PA_SYS_FCHOWN: l.fd = 0; l.uid = 1; break;
	case PA_SYS_FCHOWNAT: l.dirfd = 0; l.path = 1; l.uid = 2; l.flags = 4; break;
	case PA_SYS_SETXATTR: case PA_SYS_LSETXATTR:
	case PA_SYS_REMOVEXATTR: case PA_SYS_LREMOVEXATTR: l.path = 0; l.name = 1; break;
	case PA_SYS_FSETXATTR: case PA_SYS_FREMOVEXATTR: l.fd = 0; l.name = 1; break;
	case PA_SYS_SETXATTRAT: case PA_SYS_REMOVEXATTRAT:
		l.dirfd = 0; l.path = 1; l.flags = 2; l.name = 3; break;
	default: break;
	}
	return l;
}

/* AT_EMPTY_PATH: the *at call acts on dirfd itself when path is "". */
#define PA_AT_EMPTY_PATH 0x1000

/* creat(path, mode) is open(path, O_CREAT|O_WRONLY|O_TRUNC, mode). */
#define PA_CREAT_FLAGS (01 | 0100 | 01000)

#endif /* PHIAUDIT_SYSCALLS_H */
