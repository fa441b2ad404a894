/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's health (status.c): the runtime directory's status.json and
 * metrics.prom, and the Heartbeat record.
 */
#ifndef PHIAUDIT_STATUS_H
#define PHIAUDIT_STATUS_H

#include "agent.h"

/* Take the runtime directory's lock (exits if another agent holds it). */
void pa_status_start(struct pa_agent *a);
/* The agent is auditing: first state files; heartbeats from now on. */
void pa_status_ready(struct pa_agent *a);
/* Every loop turn: state every 2 s, heartbeat when due. */
void pa_status_tick(struct pa_agent *a, uint64_t now_ns);
/* Stopping: state says "stopped", the lock is released. */
void pa_status_stop(struct pa_agent *a);

#endif
