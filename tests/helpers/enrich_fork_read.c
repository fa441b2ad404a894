// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * enrich_fork_read FILE [ARG...]: forks a child that, without exec'ing,
 * opens FILE, reads it to the end and exits; waits for it and exits. The
 * child runs this program with these arguments, but never exec'd itself.
 */
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[4096];
	int status;
	pid_t pid;

	if (argc < 2)
		return 2;
	pid = fork();
	if (pid == 0) {
		int fd = open(argv[1], O_RDONLY);
		ssize_t n;

		if (fd < 0)
			_exit(1);
		do
			n = read(fd, buf, sizeof(buf));
		while (n > 0);
		_exit(n < 0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
