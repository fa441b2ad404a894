// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * enrich_read_exec FILE PROGRAM [ARG...]: opens FILE, reads it to the end,
 * closes it, then execs PROGRAM with the arguments that follow (argv[0]
 * included) in the same pid: one process, two programs.
 */
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[4096];
	ssize_t n;
	int fd;

	if (argc < 4)
		return 2;
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 1;
	do
		n = read(fd, buf, sizeof(buf));
	while (n > 0);
	if (n < 0 || close(fd))
		return 1;
	execv(argv[2], argv + 3);
	return 127;
}
