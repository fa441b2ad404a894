/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The kernel <-> agent contract: every record that crosses the ring buffer,
 * every counter the programs bump, and the limits both sides rely on.
 * Defined once, here; bpf/ and userspace/ both include this file.
 *
 * Only fixed-width __u* types and fixed arrays, explicit padding, and a
 * _Static_assert on every size, so a layout change cannot slip through.
 */
#ifndef PHIAUDIT_ABI_H
#define PHIAUDIT_ABI_H

#ifdef __bpf__
/* vmlinux.h already defines the __u* types. */
#else
#include <linux/types.h>
#endif

#define PA_COMM_LEN 16

/*
 * Path names travel as NUL-separated components, leaf first:
 *
 *   data: "a.txt\0patients\0phi\0srv\0"   ->  /srv/phi/patients/a.txt
 *
 * Appending forward (instead of prepending) keeps the verifier happy; the
 * agent reverses. PA_NAME_MAX is one component with its NUL (NAME_MAX + 1).
 * PA_DATA_MAX bounds one event's data area; it must be a power of two
 * because the programs mask offsets with it.
 */
#define PA_NAME_MAX 256
#define PA_DATA_MAX 8192
#define PA_USER_PATH_MAX 4096 /* PATH_MAX, the user-supplied string */

/* Levels a walk may climb (directories plus mount crossings). */
#define PA_WALK_MAX_DEPTH 96

/* Watched directories the kernel can hold at once. */
#define PA_MAX_WATCHES 1024
/* (ancestor dentry, relative-path hash) routes for denied opens. */
#define PA_MAX_ROUTES 16384

/*
 * Read accounting tables (pa_files, pa_fds, pa_holds): default capacity.
 * The agent sizes them before load (--max-open-files); entries are
 * allocated as needed, so an idle table costs nothing.
 */
#define PA_MAX_OPEN_FILES 131072
/* Processes holding a tracked file, for the exit hint. */
#define PA_MAX_HOLDERS 65536

/* A read account reports progress after this many bytes or this long. */
#define PA_PROGRESS_BYTES (64ull << 20)
#define PA_PROGRESS_NS (10ull * 1000000000ull)

/* Wake the agent once this much is queued; it also polls every 100 ms. */
#define PA_WAKEUP_BYTES (64 << 10)

enum pa_event_type {
	PA_EV_OPEN = 1,	   /* struct pa_open_event */
	PA_EV_READ = 2,	   /* struct pa_read_event: a read account, progress or final */
	PA_EV_HINT = 3,	   /* struct pa_hint_event: a holder exited, exec'd, close_range'd */
	PA_EV_FILE_GONE = 4, /* struct pa_file_gone_event: a tracked open file was released */
	PA_EV_PROC = 5,	   /* struct pa_proc_event: a process's exec details and ancestry,
			    * once, before its first audited open */
	PA_EV_CHANGE = 6,  /* struct pa_open_event: a change by path or fd (unlink,
			    * rename, link, chmod, chown, truncate, xattr), or
			    * the destination of a transfer (role PA_ROLE_DEST) */
	PA_EV_MAP = 7,	   /* struct pa_map_event: an mmap of a tracked file */
	PA_EV_XFER = 8,	   /* struct pa_xfer_event: data moved or cloned out of a
			    * tracked file to another file, a pipe or a socket */
};

/* Every record begins with this header. */
struct pa_event_hdr {
	__u16 type;	  /* enum pa_event_type */
	__u16 size;	  /* bytes in this record, header included */
	__u32 cpu;	  /* CPU that emitted it */
	__u64 seq;	  /* kernel event sequence: a gap is a loss */
	__u64 ktime_ns;	  /* CLOCK_BOOTTIME, nanoseconds */
};
_Static_assert(sizeof(struct pa_event_hdr) == 24, "pa_event_hdr layout");

/* Who did it: read from the task at the hook. */
struct pa_proc {
	__u32 tgid;	  /* process id */
	__u32 tid;	  /* thread id */
	__u32 ppid;	  /* real parent's process id */
	__u32 uid;
	__u32 gid;
	__u32 euid;
	__u32 egid;
	__u32 auid;	  /* login uid; 4294967295 when unset */
	__u32 sessionid;  /* audit session; 4294967295 when unset */
	__u32 mnt_ns;	  /* mount namespace inode number */
	__u64 start_ns;	  /* group leader start, CLOCK_BOOTTIME */
	__u64 cgroup_id;
	char comm[PA_COMM_LEN];
};
_Static_assert(sizeof(struct pa_proc) == 72, "pa_proc layout");

/* Syscalls the programs decode; the same op for native and compat. */
enum pa_syscall {
	PA_SYS_NONE = 0,
	PA_SYS_OPEN,
	PA_SYS_CREAT,
	PA_SYS_OPENAT,
	PA_SYS_OPENAT2,
	PA_SYS_OPEN_BY_HANDLE_AT,
	/* reads, accounted to the open file */
	PA_SYS_READ,
	PA_SYS_PREAD64,
	PA_SYS_READV,
	PA_SYS_PREADV,
	PA_SYS_PREADV2,
	/* descriptor bookkeeping: which fds of which process hold the file */
	PA_SYS_CLOSE,
	PA_SYS_CLOSE_RANGE,
	PA_SYS_DUP,
	PA_SYS_DUP2,
	PA_SYS_DUP3,
	PA_SYS_FCNTL,
	/* writes, accounted to the open file like reads */
	PA_SYS_WRITE,
	PA_SYS_PWRITE64,
	PA_SYS_WRITEV,
	PA_SYS_PWRITEV,
	PA_SYS_PWRITEV2,
	/* transfers: out of a tracked file counts as read, into one as write */
	PA_SYS_SENDFILE,
	PA_SYS_SPLICE,
	PA_SYS_COPY_FILE_RANGE,
	PA_SYS_MMAP,
	PA_SYS_MMAP2,	/* i386: offset in pages */
	PA_SYS_IOCTL,	/* FICLONE, FICLONERANGE, FIDEDUPERANGE only */
	/* changes by path or by fd (PA_EV_CHANGE) */
	PA_SYS_TRUNCATE,
	PA_SYS_FTRUNCATE,
	PA_SYS_UNLINK,
	PA_SYS_UNLINKAT,
	PA_SYS_RMDIR,
	PA_SYS_RENAME,
	PA_SYS_RENAMEAT,
	PA_SYS_RENAMEAT2,
	PA_SYS_LINK,
	PA_SYS_LINKAT,
	PA_SYS_CHMOD,
	PA_SYS_FCHMOD,
	PA_SYS_FCHMODAT,
	PA_SYS_FCHMODAT2,
	PA_SYS_CHOWN,
	PA_SYS_LCHOWN,
	PA_SYS_FCHOWN,
	PA_SYS_FCHOWNAT,
	PA_SYS_SETXATTR,
	PA_SYS_LSETXATTR,
	PA_SYS_FSETXATTR,
	PA_SYS_REMOVEXATTR,
	PA_SYS_LREMOVEXATTR,
	PA_SYS_FREMOVEXATTR,
	PA_SYS_SETXATTRAT,	/* 6.13 */
	PA_SYS_REMOVEXATTRAT,
	/* io_uring requests, named like their syscall twins */
	PA_SYS_URING_OPENAT,
	PA_SYS_URING_OPENAT2,
	PA_SYS_URING_READ,
	PA_SYS_URING_SPLICE,
	PA_SYS_MAX
};

/* How far the kernel could place the file relative to the watch set. */
enum pa_scope {
	PA_SCOPE_OUT = 0,	 /* not below any watched directory */
	PA_SCOPE_IN = 1,	 /* below watched directory watch_id */
	PA_SCOPE_UNRESOLVED = 2, /* no ancestry (disconnected dentry, too deep)
				  * on a filesystem that holds a watch */
};

/* pa_open_event.path_flags */
#define PA_PATH_REL_TRUNCATED	(1u << 0) /* names below the watch didn't fit */
#define PA_PATH_VIEW_TRUNCATED	(1u << 1) /* process-view path didn't fit */
#define PA_PATH_USER_TRUNCATED	(1u << 2) /* user-supplied string didn't fit */
#define PA_PATH_FROM_USER	(1u << 3) /* no kernel object: user string */
#define PA_PATH_VIEW_UNREACHABLE (1u << 4) /* file outside the process root */
#define PA_PATH_DISCONNECTED	(1u << 5) /* dentry with no ancestry */
#define PA_PATH_VIA_ROUTE	(1u << 6) /* denied open placed by a route from
					   * an ancestor, not by its start dir */
#define PA_PATH_VIA_INODE	(1u << 7) /* outside every watched tree, but the
					   * inode is a watched file's (a hard
					   * link, a file moved out): rel names
					   * run to the root */
#define PA_PATH_CREATED		(1u << 8) /* the open created the file */
#define PA_PATH_FIXED_SLOT	(1u << 9) /* an io_uring open into the ring's fixed
					   * file table: ret is no fd */

/* pa_open_event.role: what the path is to the record */
enum pa_role {
	PA_ROLE_FILE = 0, /* the file opened or changed */
	PA_ROLE_OLD = 1,  /* rename/link: the existing name (first of two) */
	PA_ROLE_NEW = 2,  /* rename/link: the new name (pair_seq: the first) */
	PA_ROLE_DEST = 3, /* a transfer's destination file (pa_xfer_event.dest_seq) */
};

/*
 * One open (or denied open) under a watched directory.
 *
 *   data: [user path: user_len][rel names: rel_len][view names: view_len]
 *
 * user: the string the process passed (with its NUL), for denied opens
 *       only; relative to the view path when it does not start with '/'.
 * rel:  components from the file up to (not including) the watched
 *       directory, leaf first. Host path = the watch's path + reversed rel.
 * view: components from the file up to the process's root, leaf first:
 *       the path the process itself would see (chroot, mount namespace).
 *       For a denied open: the view of its start directory (cwd or dirfd).
 */
struct pa_open_event {
	struct pa_event_hdr hdr;
	struct pa_proc proc;
	__u64 flags;	  /* open flags (openat2's how.flags is 64-bit) */
	__u64 file_ino;	  /* 0 when no file was opened */
	__u32 file_dev;	  /* kernel dev_t (major << 20 | minor) */
	__u32 file_mode;  /* i_mode: type and permission bits */
	__u32 mode;	  /* creation mode argument */
	__s32 ret;	  /* fd, or -errno */
	__s32 dirfd;	  /* dirfd argument; -100 is AT_FDCWD */
	__u32 watch_id;	  /* valid when scope == PA_SCOPE_IN */
	__u16 syscall;	  /* enum pa_syscall */
	__u8 compat;	  /* 1: 32-bit (ia32) syscall */
	__u8 scope;	  /* enum pa_scope */
	__u16 path_flags; /* PA_PATH_* */
	__u16 rel_len;
	__u16 view_len;
	__u16 user_len;
	__u32 route_depth; /* PA_PATH_VIA_ROUTE: components in the path of the
			    * watch's ancestor the string started from */
	__u32 track;	   /* PA_TRACK_*: will reads of this open be counted */
	__u32 file_uid;	   /* the file's owner (inode), when a file was opened */
	__u32 file_gid;
	__u32 pad;
	__u64 file_size;   /* i_size at the open */
	/* PA_EV_CHANGE only (0 in opens): */
	__u64 arg;	   /* truncate: length; chown: uid << 32 | gid (-1: unchanged) */
	__u64 pair_seq;	   /* PA_ROLE_NEW: hdr.seq of its PA_ROLE_OLD part */
	__u16 role;	   /* enum pa_role */
	__u16 name_len;	   /* xattr name (with NUL), after the view names */
	__u16 user_skip;   /* leading "../" the kernel resolved from the start
			    * directory: the string's path starts after them */
	__u16 pad2;
	/* followed by user_len + rel_len + view_len (+ name_len) bytes of data */
};
_Static_assert(sizeof(struct pa_open_event) == 200, "pa_open_event layout");

/* pa_open_event.track */
#define PA_TRACK_READS	    (1u << 0) /* in the file table: reads are counted */
#define PA_TRACK_FULL	    (1u << 1) /* file table full: reads NOT counted */
#define PA_TRACK_DISCOVERED (1u << 2) /* open before the agent started: found
				       * by the task-file iterator; hdr.ktime_ns
				       * is the discovery, not the open */

/* Why a read account was reported. */
enum pa_read_reason {
	PA_READ_PROGRESS = 0,	/* still open: cumulative so far */
	PA_READ_CLOSE = 1,	/* the process closed its last fd on the file */
	PA_READ_EXIT = 2,	/* the process exited (or exec'd) holding it */
	PA_READ_REPLACED = 3,	/* dup2/dup3 put another file on its last fd */
	PA_READ_MISSED_CLOSE = 4, /* the sweep found the fds gone (close_range,
				   * close-on-exec, io_uring close) */
	PA_READ_AGENT_STOP = 5, /* the agent stopped while it was open */
};

/*
 * One read account: the reads one process (tgid) made through one open
 * file, however its descriptors were duplicated, inherited or passed.
 * Counts are cumulative since the account began, in progress reports
 * too; final == 1 is the last report of the account.
 */
struct pa_read_event {
	struct pa_event_hdr hdr;
	struct pa_proc proc;  /* the reader, when it first held the file */
	__u64 file;	      /* struct file * (with open_seq: which open) */
	__u64 open_seq;	      /* hdr.seq of the open (or discovery) event */
	__u64 account_seq;    /* this account; unique per agent run */
	__u64 bytes;	      /* bytes the read syscalls returned */
	__u64 calls;	      /* read syscalls that succeeded (EOF included) */
	__u64 first_ns;	      /* first and last successful read, BOOTTIME; */
	__u64 last_ns;	      /* 0 when there was none */
	__u64 file_ino;
	__u32 file_dev;
	__u32 watch_id;
	__u8 reason;	      /* enum pa_read_reason */
	__u8 final;
	__u8 pad[6];
	/* Other routes, cumulative like bytes and calls: */
	__u64 sent_bytes;     /* of bytes: moved out by sendfile, splice,
			       * copy_file_range (pa_xfer_event: where to) */
	__u64 sent_calls;     /* of calls */
	__u64 ring_calls;     /* of calls: io_uring read requests */
	__u64 unknown_calls;  /* io_uring reads completed unseen
			       * (IOSQE_CQE_SKIP_SUCCESS): not in calls */
	__u64 unknown_bytes;  /* what those requested: an upper bound */
	__u64 write_bytes;    /* written into the file: write syscalls and */
	__u64 write_calls;    /* transfers in */
};
_Static_assert(sizeof(struct pa_read_event) == 232, "pa_read_event layout");

/*
 * One mmap of a tracked file. Touched pages are not observable from a
 * syscall hook, so this is what the mapping made readable, kept apart from
 * bytes read: a database mapping its whole file is not a bulk read.
 */
struct pa_map_event {
	struct pa_event_hdr hdr;
	struct pa_proc proc;
	__u64 file;	    /* struct file * */
	__u64 open_seq;
	__u64 addr;	    /* the mapping's address (the syscall's result) */
	__u64 length;	    /* as asked */
	__u64 offset;	    /* in bytes (mmap2's pages converted) */
	__u64 file_size;    /* i_size at the mmap */
	__u64 bytes_mapped; /* length clamped to the file: min(length, size - offset) */
	__u64 file_ino;
	__u32 file_dev;
	__u32 watch_id;
	__u32 prot;	    /* PROT_* */
	__u32 flags;	    /* MAP_* */
	__u16 syscall;	    /* enum pa_syscall */
	__u8 compat;
	__u8 pad[5];
};
_Static_assert(sizeof(struct pa_map_event) == 184, "pa_map_event layout");

/* pa_xfer_event.phase */
enum pa_xfer_phase {
	PA_XFER_START = 1, /* a run of transfers to one destination began */
	PA_XFER_END = 2,   /* ...and ended: totals (the destination changed, or
			    * the account ended) */
	PA_XFER_ONCE = 3,  /* a clone or dedupe: one event, no run */
};

/* pa_xfer_event.dst_kind */
enum pa_dst_kind {
	PA_DST_UNKNOWN = 0,
	PA_DST_FILE = 1,   /* described by the PA_ROLE_DEST event dest_seq names */
	PA_DST_PIPE = 2,
	PA_DST_SOCKET = 3,
	PA_DST_OTHER = 4,  /* a device, an eventfd, ... (dst_mode says) */
};

/*
 * Data moved (sendfile, splice, copy_file_range) or cloned (FICLONE,
 * FICLONERANGE, FIDEDUPERANGE) out of a tracked file. Transfers are kept
 * as runs: consecutive calls of one process from one open file to one
 * destination make one run, sent as START (with the first call) and END
 * (totals), so a splice loop is two events, not one per 64 KiB. The bytes
 * are in the source's read account too (sent_bytes).
 */
struct pa_xfer_event {
	struct pa_event_hdr hdr;
	struct pa_proc proc;
	__u64 file;	    /* the source: struct file * */
	__u64 open_seq;	    /* the source's open */
	__u64 account_seq;  /* the source's read account (0: clones) */
	__u64 run;	    /* the run, numbered within the account */
	__u64 dest_seq;	    /* PA_DST_FILE: hdr.seq of the PA_ROLE_DEST event */
	__u64 dst_file;	    /* struct file *: START and END of a run agree */
	__u64 bytes;	    /* START: the first call's; END: the run's total */
	__u64 calls;
	__u64 first_ns;	    /* BOOTTIME */
	__u64 last_ns;
	__u64 offset;	    /* clones: source offset asked */
	__u64 length;	    /* clones: length asked (0: to the end) */
	__u64 file_ino;	    /* the source */
	__u64 dst_ino;
	__u32 file_dev;
	__u32 watch_id;
	__u32 dst_dev;
	__u32 dst_mode;	    /* i_mode of the destination */
	__u16 syscall;	    /* enum pa_syscall (of the run's first call) */
	__u8 phase;	    /* enum pa_xfer_phase */
	__u8 dst_kind;	    /* enum pa_dst_kind */
	__u16 family;	    /* sockets: AF_INET, AF_INET6, AF_UNIX, ... */
	__u16 protocol;	    /* IPPROTO_TCP, ... */
	__u16 sport;	    /* host byte order */
	__u16 dport;
	__u32 cmd;	    /* clones: the ioctl command (FICLONE, ...) */
	__u8 saddr[16];	    /* IPv4 in the first 4 bytes */
	__u8 daddr[16];
};
_Static_assert(sizeof(struct pa_xfer_event) == 272, "pa_xfer_event layout");

/* The kernel's hint that a holder's descriptors changed wholesale. */
enum pa_hint {
	PA_HINT_EXIT = 1,	 /* the last thread exited */
	PA_HINT_EXEC = 2,	 /* close-on-exec fds are gone */
	PA_HINT_CLOSE_RANGE = 3, /* a range of fds is gone */
	PA_HINT_RESCAN = 4,	 /* a file may have been opened unseen (an io_uring
				  * open whose completion is skipped): look for
				  * files open under the watches again */
};

struct pa_hint_event {
	struct pa_event_hdr hdr;
	__u32 tgid;
	__u32 hint; /* enum pa_hint */
	__u64 start_ns;
};
_Static_assert(sizeof(struct pa_hint_event) == 40, "pa_hint_event layout");

/* The sweep found a tracked struct file released: forget that open. */
struct pa_file_gone_event {
	struct pa_event_hdr hdr;
	__u64 file;
	__u64 open_seq;
};
_Static_assert(sizeof(struct pa_file_gone_event) == 40, "pa_file_gone_event layout");

/*
 * Per-CPU counters of everything that was not delivered or not exact.
 * Never reset by the kernel; the agent reports increases.
 */
enum pa_counter {
	PA_CNT_RINGBUF_FULL = 0,  /* event dropped: ring buffer reserve failed */
	PA_CNT_FD_LOOKUP_FAILED,  /* opened fd had no file at exit (raced) */
	PA_CNT_WALK_TOO_DEEP,	  /* ancestry longer than PA_WALK_MAX_DEPTH */
	PA_CNT_PATH_TRUNCATED,	  /* a path did not fit its event */
	PA_CNT_USER_PATH_FAULT,	  /* could not read a user-supplied path */
	PA_CNT_SCOPE_UNRESOLVED,  /* open recorded without ancestry */
	PA_CNT_EVENTS,		  /* events emitted */
	PA_CNT_FILES_FULL,	  /* open not tracked: file table full */
	PA_CNT_FDS_FULL,	  /* descriptor not tracked: fd table full */
	PA_CNT_ACCOUNTS_FULL,	  /* reads not counted: account table full */
	PA_CNT_FILE_REUSED,	  /* a tracked struct file was reused: dropped */
	PA_CNT_READS,		  /* read syscalls counted */
	PA_CNT_EXECS_FULL,	  /* an exec's details not kept: exec table full */
	PA_CNT_WRITES,		  /* write syscalls (and transfers in) counted */
	PA_CNT_XFERS,		  /* transfers and clones out of a tracked file */
	PA_CNT_MAPS,		  /* mmaps of a tracked file */
	PA_CNT_CHANGES,		  /* changes recorded (unlink, rename, chmod, ...) */
	PA_CNT_RING_UNSEEN,	  /* io_uring reads whose result was not seen */
	PA_CNT_RING_NO_FILE,	  /* io_uring opens into a fixed slot: no fd to follow */
	PA_CNT_CLONE_ARG_FAULT,	  /* a clone/dedupe ioctl's argument unreadable */
	PA_CNT_MAX
};

/* Names for the counters, in the agent's records. */
#define PA_COUNTER_NAMES                                                    \
	{ "ringbuf_full", "fd_lookup_failed", "walk_too_deep",              \
	  "path_truncated", "user_path_fault", "scope_unresolved", "events", \
	  "files_full", "fds_full", "accounts_full", "file_reused", "reads", \
	  "execs_full", "writes", "transfers", "maps", "changes",            \
	  "ring_reads_unseen", "ring_opens_no_file", "clone_arg_fault" }

/*
 * Exec details without the cost (DESIGN.md): every exec's program and
 * arguments are kept in the kernel (pa_execs, by tgid) and sent once, with
 * the process's ancestry, just before its first audited open. Processes
 * that never touch a watched file cost one map update at exec and one
 * delete at exit, and nothing reaches userspace about them.
 */
#define PA_EXE_LEN	 256 /* the exec'd file name, as given to execve */
#define PA_ARGS_LEN	 512 /* argv, NUL-separated, as in /proc/PID/cmdline */
#define PA_MAX_ANCESTORS 8
#define PA_TTY_LEN	 16

/* pa_execs value */
struct pa_exec_val {
	__u64 start_ns;	 /* the process's start (identity with the tgid) */
	__u64 exec_ns;	 /* CLOCK_BOOTTIME of the exec */
	__u16 exe_len;	 /* bytes in exe, NUL excluded */
	__u16 args_len;	 /* bytes in args */
	__u32 flags;	 /* PA_PROC_* */
	char exe[PA_EXE_LEN];
	char args[PA_ARGS_LEN];
};

struct pa_ancestor {
	__u32 pid;
	__u32 pad;
	__u64 start_ns;	 /* CLOCK_BOOTTIME */
	char comm[PA_COMM_LEN];
};
_Static_assert(sizeof(struct pa_ancestor) == 32, "pa_ancestor layout");

/* pa_proc_event.flags, pa_exec_val.flags */
#define PA_PROC_EXEC_SEEN      (1u << 0) /* exe and args are from its exec */
#define PA_PROC_ARGS_TRUNCATED (1u << 1) /* argv was longer than PA_ARGS_LEN */
#define PA_PROC_EXE_TRUNCATED  (1u << 2)
#define PA_PROC_ARGS_FROM_MM   (1u << 4) /* no exec seen: args read from the
					  * process's memory at its open */
#define PA_PROC_ANCESTOR_ONLY  (1u << 3) /* an ancestor's exec details, sent with a
					  * descendant's: no ancestry of its own */

struct pa_proc_event {
	struct pa_event_hdr hdr;
	__u32 tgid;
	__u32 flags;	       /* PA_PROC_* */
	__u64 start_ns;	       /* with tgid: which process */
	__u64 exec_ns;	       /* when it exec'd (PA_PROC_EXEC_SEEN) */
	__u16 exe_len;
	__u16 args_len;
	__u16 n_ancestors;     /* parent first, up to PA_MAX_ANCESTORS */
	__u16 pad;
	struct pa_ancestor ancestors[PA_MAX_ANCESTORS];
	char tty[PA_TTY_LEN];  /* controlling terminal ("pts3"); "" for none */
	char exe[PA_EXE_LEN];
	char args[PA_ARGS_LEN];
};
_Static_assert(sizeof(struct pa_proc_event) == 56 + 256 + PA_TTY_LEN + PA_EXE_LEN + PA_ARGS_LEN,
	       "pa_proc_event layout");

/* pa_watches: value for a watched directory's dentry. */
struct pa_watch_val {
	__u32 watch_id;
	__u32 flags;	/* PA_WATCH_* */
};

/* An exclusion: a directory below a watch whose tree is not audited. The
 * walk stops at the innermost entry it meets: this one says "out". */
#define PA_WATCH_EXCLUDED (1u << 0)

/*
 * pa_routes key: a directory that is an ancestor of a watched directory,
 * and the FNV-1a hash of the normalised relative path from it down to the
 * watch (see pa_path_hash in pathhash.h). A denied open whose start
 * directory and user string walk one of these routes is in scope.
 */
struct pa_route_key {
	__u64 dentry;
	__u64 hash;
};

struct pa_route_val {
	__u32 watch_id;
	__u32 depth; /* components in the ancestor's path: "/" 0, "/srv" 1 */
};

/*
 * Read accounting tables. pa_files: a tracked open file (key: struct file *)
 * and what identifies it, checked on every hit since freed files are reused.
 */
struct pa_file_val {
	__u64 dentry;	/* struct dentry * */
	__u64 inode;	/* struct inode * */
	__u64 open_seq;
	__u64 ino;
	__u32 dev;
	__u32 watch_id;
};

/* pa_fds: which descriptor of which process refers to a tracked file. */
struct pa_fd_key {
	__u32 tgid;
	__s32 fd;
};

struct pa_fd_val {
	__u64 file;
	__u64 open_seq;
	__u64 start_ns; /* the process's start: a reused pid is another */
};

/* pa_holds: one read account per (open file, process). */
struct pa_hold_key {
	__u64 file;
	__u32 tgid;
	__u32 pad;
};

struct pa_hold_val {
	struct pa_proc proc;
	__u64 open_seq;
	__u64 account_seq;
	__u64 bytes;
	__u64 calls;
	__u64 write_bytes;    /* see pa_read_event; beside bytes: the progress
			       * check of every counted call reads both */
	__u64 write_calls;
	__u64 first_ns;
	__u64 last_ns;
	__u64 reported_calls; /* as of the last progress report */
	__u64 reported_bytes;
	__u64 reported_ns;
	__u64 file_ino;
	__u32 file_dev;
	__u32 watch_id;
	__s64 fds;	      /* descriptors of the process known to hold it;
			       * 64-bit: BPF v1 atomics return only those */
	__s32 last_fd;	      /* the fd the last read came through, known to
			       * pa_fds: its lookup is skipped; -1 none */
	__u32 xfer_run;	      /* runs so far (pa_xfer_event.run) */
	__u64 sent_bytes;     /* see pa_read_event */
	__u64 sent_calls;
	__u64 ring_calls;
	__u64 unknown_calls;
	__u64 unknown_bytes;
	/* The current transfer run (xfer_calls == 0: none) */
	__u64 xfer_dst;	      /* destination struct file * */
	__u64 xfer_bytes;
	__u64 xfer_calls;
	__u64 xfer_first_ns;
	__u64 xfer_last_ns;
	__u64 xfer_dst_ino;
	__u32 xfer_dst_dev;
	__u32 xfer_dst_mode;
	__u16 xfer_syscall;
	__u8 xfer_dst_kind;
	__u8 pad2[5];
};

/*
 * pa_inodes: watched files reachable outside every watched tree (a hard
 * link made from one, a file moved out), by the kernel's dev_t and inode
 * number. Seeded at start with the watched files that have more than one
 * link; the agent adds to it on link and rename.
 */
struct pa_inode_key {
	__u64 ino;
	__u32 dev;
	__u32 pad;
};

struct pa_inode_val {
	__u32 watch_id;
	__u32 flags;
};

#define PA_MAX_INODES 65536

/*
 * What the identity iterator reports for each of the agent's own open
 * files: the kernel objects behind an O_PATH descriptor on a watched dir.
 */
struct pa_ident {
	__u32 fd;
	__u32 dev;	  /* kernel dev_t of the superblock */
	__u64 ino;
	__u64 dentry;	  /* struct dentry *, pinned while the fd is open */
	__u64 sb;	  /* struct super_block * */
};
_Static_assert(sizeof(struct pa_ident) == 32, "pa_ident layout");

#endif /* PHIAUDIT_ABI_H */
