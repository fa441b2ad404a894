/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's own diagnostics, on stderr (journald picks them up under
 * systemd). pa_warn_errno() appends strerror(errno); pa_fatal() never
 * returns and is for start-up only.
 */
#ifndef PHIAUDIT_LOG_H
#define PHIAUDIT_LOG_H

#include <stdbool.h>

extern const char *pa_progname;
extern bool pa_verbose;

void pa_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pa_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pa_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pa_warn_errno(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pa_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
