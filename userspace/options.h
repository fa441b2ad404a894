/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Every option of the agent, in one table (options.c): name, type, range,
 * default, whether a reload may change it. The config file (later) and the
 * command line both fill struct pa_options through the same table.
 */
#ifndef PHIAUDIT_OPTIONS_H
#define PHIAUDIT_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PA_MAX_CLI_WATCHES 256

enum pa_hook_backend {
	PA_HOOK_AUTO = 0,
	PA_HOOK_TP_BTF,
	PA_HOOK_RAW_TP,
	PA_HOOK_TRACEPOINT,
};

/* A repeatable path option (--watch, --exclude). */
struct pa_pathlist {
	const char *v[PA_MAX_CLI_WATCHES];
	size_t n;
};

struct pa_options {
	struct pa_pathlist watch;   /* audited trees */
	struct pa_pathlist exclude; /* trees inside them left out */
	const char *jsonl;	  /* path, "-" for stdout, or NULL */
	const char *log_dir;	  /* the log store, or "none" */
	const char *log_group;	  /* NULL: root's */
	bool init_key;		  /* create the chain key and exit */
	uint64_t flush_interval_ms;
	uint64_t rotate_size_mb, rotate_age_h, retain_days, retain_size_mb;
	uint64_t compress_level;
	bool exit_on_write_error;
	uint64_t ring_buffer_mb;
	uint64_t stats_interval_s;
	uint64_t sweep_interval_s; /* read accounts: idle reports, missed closes */
	uint64_t max_open_files;   /* read accounting tables' capacity */
	uint64_t hook;		  /* enum pa_hook_backend */
	bool verbose;
	const char *config;	  /* the main config file */
	bool check_config;	  /* validate, print the effective config, exit */
	const char *run_dir;	  /* runtime state (status, metrics, pid lock), or "none" */
	uint64_t heartbeat_s;	  /* 0: none */
	uint64_t cli_set;	  /* bit i: pa_option_table[i] was given on the command line */
	/* bulk-read detection */
	const char *detect_config; /* a file with a "detection" object */
	bool detect_dry_run;	   /* findings logged, nobody alerted */
	bool no_detect;
	const char *alert_exec;	   /* absolute path, run per alert */
	uint64_t alert_exec_timeout_s;
	const char *alert_syslog;  /* syslog target for alerts, or "none" */
	/* shipping every record */
	const char *syslog;	   /* syslog target, or NULL */
	uint64_t syslog_max_message, syslog_queue_mb;
};

enum pa_opt_type {
	PA_OPT_PATH_LIST, /* repeatable path */
	PA_OPT_STRING,
	PA_OPT_UINT,
	PA_OPT_ENUM,
	PA_OPT_FLAG,
};

struct pa_option {
	const char *name;
	char short_name;
	enum pa_opt_type type;
	size_t offset;		  /* into struct pa_options */
	uint64_t min, max;	  /* PA_OPT_UINT */
	const char *const *choices; /* PA_OPT_ENUM, NULL-terminated */
	const char *def;	  /* default, as text (shown in --help) */
	bool reloadable;
	const char *arg;	  /* metavariable for --help */
	const char *help;
	bool cli_only;		  /* no config file key (--init-key, --config) */
};

extern const struct pa_option pa_option_table[];

/* Defaults from the table. */
void pa_options_defaults(struct pa_options *o);

/*
 * Set one option from text. Returns 0, or -1 with a message naming the
 * option and the value in err.
 */
int pa_option_set(struct pa_options *o, const struct pa_option *opt, const char *value,
		  char *err, size_t errlen);

/*
 * Parse argv. Returns 0 to run, 1 when --help/--version was handled (exit
 * 0), -1 on an error already printed (exit 2).
 */
int pa_options_parse(struct pa_options *o, int argc, char **argv);

/* What must hold of the effective options (after the config files):
 * 0, or -1 with the reason printed. */
int pa_options_check(const struct pa_options *o);

/* The table's index of an option, by name; -1 if none. */
int pa_option_index(const char *name);

void pa_options_usage(FILE *out);

#endif
