// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pa_progname = "phiauditd";
bool pa_verbose;

static void vlog(const char *level, const char *fmt, va_list ap, int err)
{
	fprintf(stderr, "%s: %s", pa_progname, level);
	vfprintf(stderr, fmt, ap);
	if (err)
		fprintf(stderr, ": %s", strerror(err));
	fputc('\n', stderr);
}

#define PA_LOG_BODY(level, err)                                                \
	do {                                                                   \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		vlog(level, fmt, ap, err);                                     \
		va_end(ap);                                                    \
	} while (0)

void pa_info(const char *fmt, ...) { PA_LOG_BODY("", 0); }
void pa_warn(const char *fmt, ...) { PA_LOG_BODY("warning: ", 0); }

void pa_debug(const char *fmt, ...)
{
	if (pa_verbose)
		PA_LOG_BODY("debug: ", 0);
}

void pa_warn_errno(const char *fmt, ...)
{
	int err = errno;

	PA_LOG_BODY("warning: ", err);
}

void pa_fatal(const char *fmt, ...)
{
	PA_LOG_BODY("error: ", 0);
	exit(1);
}
