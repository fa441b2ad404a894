/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* phiaudit status: the agent's health, from its runtime directory. */
#ifndef PHIAUDIT_CLI_STATUS_H
#define PHIAUDIT_CLI_STATUS_H

#include "qcmd.h"

int pa_cmd_status(int argc, char **argv, const struct pa_cli_env *env);

#endif
