// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * enrich_hold_exec [--wide] FILE PROGRAM [ARG...]: opens FILE close-on-
 * exec, reads it to the end and, still holding it, execs PROGRAM with the
 * arguments that follow (argv[0] included): the exec ends its reads of
 * FILE. With --wide the descriptor is also copied to fd 5000, so the fd
 * table is too wide for the kernel to check at the exec and the agent's
 * sweep ends the account, later.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define WIDE_FD 5000

int main(int argc, char **argv)
{
	struct rlimit rl = { WIDE_FD + 1, WIDE_FD + 1 };
	int wide = argc > 1 && !strcmp(argv[1], "--wide");
	char buf[4096];
	ssize_t n;
	int fd;

	argv += wide;
	argc -= wide;
	if (argc < 4)
		return 2;
	if (wide && setrlimit(RLIMIT_NOFILE, &rl))
		return 3;
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (wide && dup3(fd, WIDE_FD, O_CLOEXEC) != WIDE_FD))
		return 1;
	do
		n = read(fd, buf, sizeof(buf));
	while (n > 0);
	if (n < 0)
		return 1;
	execv(argv[2], argv + 3);
	return 127;
}
