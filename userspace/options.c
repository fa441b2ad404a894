// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ocsf.h"

static const char *const hook_choices[] = { "auto", "tp_btf", "raw_tp", "tracepoint", NULL };

#define OFF(field) offsetof(struct pa_options, field)

/* name, short, type, offset, min, max, choices, default, reloadable, arg, help */
const struct pa_option pa_option_table[] = {
	{ "watch", 'w', PA_OPT_PATH_LIST, OFF(watch), 0, 0, NULL, NULL, true, "DIR",
	  "audit every open below DIR (any depth); repeat for more directories", false },
	{ "exclude", 'x', PA_OPT_PATH_LIST, OFF(exclude), 0, 0, NULL, NULL, true, "DIR",
	  "leave out the tree of DIR, a directory below a --watch (scratch space, caches): its "
	  "opens and reads are not audited; repeat for more", false },
	{ "log-dir", 'd', PA_OPT_STRING, OFF(log_dir), 0, 0, NULL, "/var/log/phiaudit", false, "DIR",
	  "the audit log: gzip files, one member a flush interval, sealed in a hash chain "
	  "(run --init-key once first); 'none' for no log store (then --jsonl is needed)", false },
	{ "init-key", 0, PA_OPT_FLAG, OFF(init_key), 0, 0, NULL, NULL, false, NULL,
	  "create the log directory's chain key, print it once on stdout (keep it off this host: "
	  "phiaudit verify needs it) and exit", true },
	{ "config", 'c', PA_OPT_STRING, OFF(config), 0, 0, NULL, "/etc/phiaudit/phiaudit.conf", false,
	  "FILE",
	  "the config file (JSON with comments), then FILE's directory's conf.d/*.conf in order; "
	  "a missing default file is no error; flags given here override it", true },
	{ "check-config", 0, PA_OPT_FLAG, OFF(check_config), 0, 0, NULL, NULL, false, NULL,
	  "check the config files and the flags, print the effective settings as JSON, and exit "
	  "(0 valid, 2 not)", true },
	{ "run-dir", 0, PA_OPT_STRING, OFF(run_dir), 0, 0, NULL, "/run/phiaudit", false, "DIR",
	  "runtime state: status.json (what 'phiaudit status' reads), metrics.prom (Prometheus "
	  "text format) and the lock that keeps a second agent out; 'none' for none", false },
	{ "heartbeat-interval", 0, PA_OPT_UINT, OFF(heartbeat_s), 0, 86400, NULL, "60", true,
	  "SECONDS",
	  "write a Heartbeat record (record sequence, chain head) this often, also to syslog, so a "
	  "collector off the host notices silence or a cut tail (0: none)", false },
	{ "log-group", 0, PA_OPT_STRING, OFF(log_group), 0, 0, NULL, NULL, false, "GROUP",
	  "group that may read the log (directory 0750, files 0640); default: root's", false },
	{ "flush-interval-ms", 0, PA_OPT_UINT, OFF(flush_interval_ms), 10, 60000, NULL, "1000",
	  false, "MS",
	  "close, fsync and seal a gzip member at least this often: what a crash can lose (10-60000)", false },
	{ "rotate-size-mb", 0, PA_OPT_UINT, OFF(rotate_size_mb), 0, 1048576, NULL, "64", false, "MB",
	  "start a new log file when the active one reaches this size (0: never)", false },
	{ "rotate-age-hours", 0, PA_OPT_UINT, OFF(rotate_age_h), 0, 87600, NULL, "24", false, "HOURS",
	  "... or this age (0: never)", false },
	{ "retain-days", 0, PA_OPT_UINT, OFF(retain_days), 0, 36500, NULL, "2190", false, "DAYS",
	  "delete rotated log files whose last record is older (0: never; default 6 years)", false },
	{ "retain-size-mb", 0, PA_OPT_UINT, OFF(retain_size_mb), 0, UINT64_MAX >> 20, NULL, "0", false,
	  "MB", "delete the oldest rotated files while the log holds more (0: no limit)", false },
	{ "compress-level", 0, PA_OPT_UINT, OFF(compress_level), 1, 9, NULL, "6", false, "N",
	  "gzip level, 1 (fastest) to 9 (smallest)", false },
	{ "exit-on-write-error", 0, PA_OPT_FLAG, OFF(exit_on_write_error), 0, 0, NULL, NULL, false,
	  NULL,
	  "stop (exit 1) when the log cannot be written, instead of keeping records in memory "
	  "and retrying", false },
	{ "jsonl", 'o', PA_OPT_STRING, OFF(jsonl), 0, 0, NULL, NULL, false, "FILE",
	  "also write records as JSON lines to FILE (mode 0640, appended), or - for stdout: "
	  "for shippers that cannot read gzip", false },
	{ "ring-buffer-mb", 0, PA_OPT_UINT, OFF(ring_buffer_mb), 1, 1024, NULL, "16", false, "MB",
	  "kernel ring buffer size in MiB, a power of two (1-1024)", false },
	{ "stats-interval", 0, PA_OPT_UINT, OFF(stats_interval_s), 1, 3600, NULL, "1", true, "SECONDS",
	  "how often losses are checked and recorded (1-3600)", false },
	{ "sweep-interval", 0, PA_OPT_UINT, OFF(sweep_interval_s), 1, 3600, NULL, "5", true,
	  "SECONDS",
	  "how often open files' read counts are reported while idle, and closes the hooks "
	  "cannot see (close_range, close-on-exec) are found (1-3600)", false },
	{ "max-open-files", 0, PA_OPT_UINT, OFF(max_open_files), 1024, 4194304, NULL, "131072",
	  false, "N",
	  "open files under the watches whose reads are counted at once (1024-4194304); "
	  "beyond it, opens are recorded with reads_tracked false and counted as files_full", false },
	{ "hook", 0, PA_OPT_ENUM, OFF(hook), 0, 0, hook_choices, "auto", false, "KIND",
	  "syscall hook: auto (probe tp_btf, raw_tp, tracepoint in turn), tp_btf, raw_tp, "
	  "tracepoint (per-syscall; cannot see 32-bit syscalls)", false },
	{ "detect-config", 0, PA_OPT_STRING, OFF(detect_config), 0, 0, NULL, NULL, true, "FILE",
	  "bulk-read thresholds, windows and allowances: a JSON file (comments allowed) with a "
	  "\"detection\" object, owned by root and not writable by others (phiauditd(8) DETECTION); "
	  "read after the config files, so its settings win", true },
	{ "detect-dry-run", 0, PA_OPT_FLAG, OFF(detect_dry_run), 0, 0, NULL, NULL, true, NULL,
	  "log what the thresholds flag as Detection Findings with status Suppressed, but send no "
	  "alert (syslog, --alert-exec): to tune thresholds first", false },
	{ "no-detect", 0, PA_OPT_FLAG, OFF(no_detect), 0, 0, NULL, NULL, true, NULL,
	  "no bulk-read detection", false },
	{ "alert-exec", 0, PA_OPT_STRING, OFF(alert_exec), 0, 0, NULL, NULL, true, "PROGRAM",
	  "run PROGRAM (absolute path, owned by root, no shell, no arguments) for each alert, "
	  "with the alert's JSON record on its standard input", false },
	{ "alert-exec-timeout", 0, PA_OPT_UINT, OFF(alert_exec_timeout_s), 1, 3600, NULL, "30", true,
	  "SECONDS", "kill an --alert-exec program (its whole session) still running after this", false },
	{ "alert-syslog", 0, PA_OPT_STRING, OFF(alert_syslog), 0, 0, NULL, "unix:/dev/log", false,
	  "TARGET",
	  "where alerts go as syslog messages at LOG_ALERT (facility authpriv): unix:PATH, "
	  "unix-stream:PATH, tcp:HOST:PORT, udp:HOST:PORT, or none", false },
	{ "syslog", 0, PA_OPT_STRING, OFF(syslog), 0, 0, NULL, NULL, false, "TARGET",
	  "also send every record to syslog (facility authpriv; RFC 5424, syslog(3)'s format on "
	  "unix:PATH): unix:PATH, "
	  "unix-stream:PATH, tcp:HOST:PORT, udp:HOST:PORT; never stalls the agent (bounded queue, "
	  "what overflows is counted and recorded)", false },
	{ "syslog-max-message", 0, PA_OPT_UINT, OFF(syslog_max_message), 480, 1048576, NULL, "8096",
	  false, "BYTES",
	  "longest syslog message; longer records are cut and counted (raise rsyslog's "
	  "maxMessageSize to match)", false },
	{ "syslog-queue-mb", 0, PA_OPT_UINT, OFF(syslog_queue_mb), 1, 4096, NULL, "64", false, "MB",
	  "records kept for --syslog while the receiver is slow or down", false },
	{ "verbose", 'v', PA_OPT_FLAG, OFF(verbose), 0, 0, NULL, NULL, true, NULL,
	  "log more about start-up and the kernel programs", false },
	{ 0 },
};

static int set_uint(uint64_t *dst, const struct pa_option *opt, const char *value, char *err,
		    size_t errlen)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(value, &end, 10);
	if (!*value || *end || errno || value[0] == '-') {
		snprintf(err, errlen, "--%s: '%s' is not a whole number", opt->name, value);
		return -1;
	}
	if (v < opt->min || v > opt->max) {
		snprintf(err, errlen, "--%s: %llu is out of range (%" PRIu64 "-%" PRIu64 ")",
			 opt->name, v, opt->min, opt->max);
		return -1;
	}
	*dst = v;
	return 0;
}

static int set_enum(uint64_t *dst, const struct pa_option *opt, const char *value, char *err,
		    size_t errlen)
{
	size_t len = 0;

	for (size_t i = 0; opt->choices[i]; i++) {
		if (!strcmp(opt->choices[i], value)) {
			*dst = i;
			return 0;
		}
	}
	len = (size_t)snprintf(err, errlen, "--%s: '%s' is not one of:", opt->name, value);
	for (size_t i = 0; opt->choices[i] && len < errlen; i++)
		len += (size_t)snprintf(err + len, errlen - len, " %s", opt->choices[i]);
	return -1;
}

int pa_option_set(struct pa_options *o, const struct pa_option *opt, const char *value,
		  char *err, size_t errlen)
{
	char *base = (char *)o + opt->offset;

	switch (opt->type) {
	case PA_OPT_PATH_LIST: {
		struct pa_pathlist *l = (struct pa_pathlist *)base;

		if (l->n >= PA_MAX_CLI_WATCHES) {
			snprintf(err, errlen, "--%s: at most %d directories", opt->name,
				 PA_MAX_CLI_WATCHES);
			return -1;
		}
		if (!*value) {
			snprintf(err, errlen, "--%s: empty path", opt->name);
			return -1;
		}
		l->v[l->n++] = value;
		return 0;
	}
	case PA_OPT_STRING:
		if (!*value) {
			snprintf(err, errlen, "--%s: empty value", opt->name);
			return -1;
		}
		*(const char **)base = value;
		return 0;
	case PA_OPT_UINT:
		return set_uint((uint64_t *)base, opt, value, err, errlen);
	case PA_OPT_ENUM:
		return set_enum((uint64_t *)base, opt, value, err, errlen);
	case PA_OPT_FLAG:
		*(bool *)base = true;
		return 0;
	}
	return -1;
}

void pa_options_defaults(struct pa_options *o)
{
	char err[256];

	memset(o, 0, sizeof(*o));
	for (const struct pa_option *opt = pa_option_table; opt->name; opt++)
		if (opt->def && pa_option_set(o, opt, opt->def, err, sizeof(err)))
			pa_fatal("built-in default: %s", err); /* a bug in the table */
}

void pa_options_usage(FILE *out)
{
	fprintf(out,
		"Usage: phiauditd [--watch DIR]... [OPTION]...\n"
		"\n"
		"Audit every process that opens or reads a file below the watched directories,\n"
		"from the kernel (eBPF): one OCSF JSON record per open, and one per open file\n"
		"and process that read it, with the exact bytes and read calls.\n"
		"\n"
		"Options:\n");
	for (const struct pa_option *opt = pa_option_table; opt->name; opt++) {
		char left[64];

		snprintf(left, sizeof(left), "%c%c%s--%s%s%s", opt->short_name ? '-' : ' ',
			 opt->short_name ? opt->short_name : ' ', opt->short_name ? ", " : "  ",
			 opt->name, opt->arg ? " " : "", opt->arg ? opt->arg : "");
		fprintf(out, "  %-28s %s", left, opt->help);
		if (opt->def && opt->type != PA_OPT_FLAG)
			fprintf(out, " [default: %s]", opt->def);
		fputc('\n', out);
	}
	fprintf(out,
		"  -h, --help                   show this help and exit\n"
		"      --version                show the version and exit\n"
		"\n"
		"Runs as root (or with CAP_BPF, CAP_PERFMON, CAP_DAC_READ_SEARCH and\n"
		"CAP_SYS_PTRACE) on a kernel with BTF. It prints\n"
		"\"phiauditd: ready\" on stderr (and READY=1 to $NOTIFY_SOCKET) once every\n"
		"watch is in force; SIGINT or SIGTERM drains pending events and exits 0.\n"
		"\n"
		"Examples:\n"
		"  Once, before the first start: create the chain key, keep it off the host:\n"
		"    sudo phiauditd --init-key > /media/offline/phiaudit.key\n"
		"  Watch two trees into /var/log/phiaudit:\n"
		"    sudo phiauditd -w /srv/phi -w /var/lib/ehr/exports\n"
		"  Follow who opens patient files, as they do (and keep the log):\n"
		"    sudo phiauditd -w /srv/phi --jsonl - | jq -c '{t: .time_dt, who: .actor.process.name, file: .file.path}'\n"
		"  Check the log is complete and unaltered:\n"
		"    phiaudit verify --key-file /media/offline/phiaudit.key /var/log/phiaudit\n"
		"\n"
		"See phiauditd(8) and docs/records.md for the record layout.\n");
}

int pa_options_parse(struct pa_options *o, int argc, char **argv)
{
	struct option longopts[64];
	char shortopts[64] = ":h";
	size_t n = 0, sl = 2;
	char err[512];
	int c;

	for (const struct pa_option *opt = pa_option_table; opt->name; opt++, n++) {
		longopts[n] = (struct option){ opt->name,
					       opt->type == PA_OPT_FLAG ? no_argument
									: required_argument,
					       NULL, 1000 + (int)n };
		if (opt->short_name) {
			shortopts[sl++] = opt->short_name;
			if (opt->type != PA_OPT_FLAG)
				shortopts[sl++] = ':';
		}
	}
	longopts[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[n++] = (struct option){ "version", no_argument, NULL, 999 };
	longopts[n] = (struct option){ 0 };
	shortopts[sl] = '\0';

	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		const struct pa_option *opt = NULL;

		if (c == 'h') {
			pa_options_usage(stdout);
			return 1;
		}
		if (c == 999) {
			printf("phiauditd %s\n", PA_PRODUCT_VERSION);
			return 1;
		}
		if (c == '?' || c == ':') {
			const char *what = argv[optind - 1];

			/* For long options glibc sets optopt to the option's val
			 * (ours are >= 999): name it from argv instead. */
			if (optopt > 0 && optopt < 256)
				fprintf(stderr, "%s: %s option -%c%s\n", pa_progname,
					c == ':' ? "missing value for" : "unknown", optopt,
					c == ':' ? "" : " (see --help)");
			else
				fprintf(stderr, "%s: %s '%s' (see --help)\n", pa_progname,
					c == ':' ? "missing value for" : "unknown option", what);
			return -1;
		}
		if (c >= 1000)
			opt = &pa_option_table[c - 1000];
		else
			for (const struct pa_option *p = pa_option_table; p->name; p++)
				if (p->short_name == c)
					opt = p;
		if (!opt || pa_option_set(o, opt, optarg ? optarg : "", err, sizeof(err))) {
			fprintf(stderr, "%s: %s\n", pa_progname, opt ? err : "internal option error");
			return -1;
		}
		o->cli_set |= 1ull << (opt - pa_option_table);
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (directories go after --watch)\n",
			pa_progname, argv[optind]);
		return -1;
	}
	pa_verbose = o->verbose;
	return 0;
}

int pa_option_index(const char *name)
{
	for (int i = 0; pa_option_table[i].name; i++)
		if (!strcmp(pa_option_table[i].name, name))
			return i;
	return -1;
}

int pa_options_check(const struct pa_options *o)
{
	if (o->ring_buffer_mb & (o->ring_buffer_mb - 1)) {
		fprintf(stderr, "%s: --ring-buffer-mb: %llu is not a power of two\n", pa_progname,
			(unsigned long long)o->ring_buffer_mb);
		return -1;
	}
	if (!o->init_key && !strcmp(o->log_dir, "none") && !o->jsonl) {
		fprintf(stderr, "%s: no output: --log-dir none needs --jsonl FILE\n", pa_progname);
		return -1;
	}
	if (o->init_key && !strcmp(o->log_dir, "none")) {
		fprintf(stderr, "%s: --init-key needs a --log-dir\n", pa_progname);
		return -1;
	}
	pa_verbose = o->verbose;
	return 0;
}
