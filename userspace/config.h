/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The agent's effective settings: the option table's defaults, then the
 * config files (/etc/phiaudit/phiaudit.conf, then every conf.d/NAME.conf in
 * order, then --detect-config), then the command line. Each option of the
 * table (options.c) is a key of the same name with '_' for '-'
 * ("flush_interval_ms"); "watch" is an array and adds to --watch; the
 * "detection" object is detect_config.c's. Errors name file, line, column
 * and key (conffile.h).
 */
#ifndef PHIAUDIT_CONFIG_H
#define PHIAUDIT_CONFIG_H

#include <stdio.h>

#include "conffile.h"
#include "detect.h"
#include "options.h"

struct pa_config {
	struct pa_conf *conf;	     /* owns the strings opt points to */
	struct pa_options opt;
	struct pa_det_config det;
	char main_path[4096], dropin_dir[4096];
	bool main_found;	     /* the main file existed */
	struct pa_config *retired_next; /* the agent's list of replaced settings */
};

/*
 * Load the files @cli names (--config, --detect-config) and merge @cli over
 * them into @cfg. 0; or -errno with every problem in @err, one a line.
 * The default main file may be missing; one given with --config may not.
 */
int pa_config_load(struct pa_config *cfg, const struct pa_options *cli, char *err, size_t errlen);
void pa_config_free(struct pa_config *cfg);

/* The effective settings as JSON (--check-config), every option shown. */
void pa_config_print(FILE *out, const struct pa_config *cfg);

/* The config key of an option: its name with '_' for '-'. */
void pa_config_key(const struct pa_option *opt, char *key, size_t n);

#endif
