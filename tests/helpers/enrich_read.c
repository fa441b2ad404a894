// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * enrich_read FILE [ARG...]: opens FILE, reads it to the end and exits at
 * once, still holding it (its Read record is written after it is gone).
 * The extra arguments are only there to be seen in the command line.
 * Static and tiny: from exec to exit well under a millisecond.
 */
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char buf[4096];
	ssize_t n;
	int fd;

	if (argc < 2)
		return 2;
	fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		return 1;
	do
		n = read(fd, buf, sizeof(buf));
	while (n > 0);
	return n < 0 ? 1 : 0;
}
