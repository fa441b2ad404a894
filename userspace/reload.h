/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* SIGHUP: the config files again, applied without detaching a program. */
#ifndef PHIAUDIT_RELOAD_H
#define PHIAUDIT_RELOAD_H

#include "agent.h"

/* Apply the config files as they are now, or keep the running settings
 * if they have errors; records which, as "Config Reloaded" or "Config
 * Reload Failed". */
void pa_agent_reload(struct pa_agent *a);

#endif
