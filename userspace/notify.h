/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* systemd's notify protocol (Type=notify) without libsystemd: a datagram
 * to $NOTIFY_SOCKET. A no-op when the variable is unset. */
#ifndef PHIAUDIT_NOTIFY_H
#define PHIAUDIT_NOTIFY_H

/* 0 (sent or not asked for), or -errno. */
int pa_notify(const char *state);

#endif
