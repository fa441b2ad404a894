// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "qcmd.h"

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "qfilter.h"
#include "qinput.h"
#include "qout.h"
#include "qreport.h"
#include "qscan.h"
#include "qtime.h"
#include "qtimeline.h"

#define MAX_SOURCES 64
#define MAX_GAP_NOTES 20
#define NS_PER_MS 1000000ULL

enum cmd_id { CMD_SEARCH, CMD_REPORT, CMD_TIMELINE };

/* Long-only options. */
enum {
	OPT_AUID = 256, OPT_DESCENDANTS, OPT_HOST, OPT_ALERTS, OPT_UTC, OPT_PATTERN,
};

static const struct option long_opts[] = {
	{ "since", required_argument, NULL, 'S' },
	{ "until", required_argument, NULL, 'U' },
	{ "utc", no_argument, NULL, OPT_UTC },
	{ "user", required_argument, NULL, 'u' },
	{ "auid", required_argument, NULL, OPT_AUID },
	{ "path", required_argument, NULL, 'f' },
	{ "process", required_argument, NULL, 'x' },
	{ "pid", required_argument, NULL, 'p' },
	{ "descendants", no_argument, NULL, OPT_DESCENDANTS },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "activity", required_argument, NULL, 'a' },
	{ "alerts", no_argument, NULL, OPT_ALERTS },
	{ "format", required_argument, NULL, 'F' },
	{ "log-dir", required_argument, NULL, 'd' },
	{ "input", required_argument, NULL, 'i' },
	{ "by", required_argument, NULL, 'b' },
	{ "patient-pattern", required_argument, NULL, OPT_PATTERN },
	{ "help", no_argument, NULL, 'h' },
	{ 0 },
};

struct query {
	enum cmd_id cmd;
	const char *prog; /* "phiaudit search" */
	const struct pa_cli_env *env;
	struct pa_qfilter filter;
	struct pa_qsource src[MAX_SOURCES];
	size_t n_src;
	const char *since, *until;
	bool utc, format_set, by_set;
	enum pa_qformat format;
	enum pa_qby by;
	const char *pattern;
};

static int usage_error(const struct query *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int usage_error(const struct query *q, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(q->env->err, "%s: ", q->prog);
	vfprintf(q->env->err, fmt, ap);
	fprintf(q->env->err, " (see %s --help)\n", q->prog);
	va_end(ap);
	return PA_EXIT_USAGE;
}

/* ---- help ---- */

static const char filter_help[] =
	"Which records (values of one option are alternatives; options all apply):\n"
	"  -S, --since TIME       from TIME (inclusive)\n"
	"  -U, --until TIME       to TIME (exclusive)\n"
	"      --utc              times without a zone are UTC, not local time\n"
	"  -u, --user USER        the process's user: a name or a uid\n"
	"      --auid USER        the login user (unchanged by sudo): a name or a number\n"
	"  -f, --path PATH        a file at or below PATH (/srv/phi/patients/1234), or a glob\n"
	"                         when PATH has * ? or [ (/srv/phi/patients/*/labs.csv);\n"
	"                         the bytes you type are matched, whatever their encoding\n"
	"  -x, --process NAME     a process by name (cat) or program path (/usr/bin/cat)\n"
	"  -p, --pid PID          a process id\n"
	"      --descendants      with --pid: that process and every process below it\n"
	"      --host HOST        device.hostname (a glob allowed)\n"
	"  -a, --activity WHAT    open, read, denied, start, stop, lifecycle, alert, an\n"
	"                         activity name (loss, log-recovered, ...) or an OCSF id\n"
	"      --alerts           only bulk-read alerts (Detection Finding records)\n"
	"Where from (default: --log-dir " PA_DEFAULT_LOG_DIR "):\n"
	"  -d, --log-dir DIR      the agent's log directory (rotated and active files;\n"
	"                         files whose names put them outside the range are not read)\n"
	"  -i, --input FILE       a JSONL file (*.gz: gzip), a directory of them, or - (stdin)\n"
	"  -h, --help             show this help\n"
	"\n"
	"TIME is ISO 8601 (2026-11-23T14:30:00Z, 2026-11-23 14:30, 2026-11-23; local time\n"
	"unless a zone or --utc is given), HH:MM[:SS] (today), @EPOCH or EPOCH seconds, or\n"
	"now, recent (10 minutes ago), today, yesterday, this-week (from Monday), week-ago,\n"
	"this-month, this-year. Times shown are UTC.\n"
	"\n"
	"Gaps in the log inside the range (agent stopped or crashed, events lost, records\n"
	"missing) are named on standard error.\n"
	"\n"
	"Exit status: 0 found; 1 nothing matched; 2 usage error or nothing could be read;\n"
	"3 damaged input (a corrupt or cut-short gzip member, a line that is not JSON): what\n"
	"could be read was used, and the answer may miss records.\n";

static void search_help(FILE *out)
{
	fprintf(out,
		"Usage: phiaudit search [OPTION]...\n"
		"\n"
		"Print the audit records that match, oldest first.\n"
		"\n"
		"  -F, --format FMT       table (the default on a terminal), jsonl (the default\n"
		"                         otherwise: the records exactly as written), or csv\n"
		"%s\n"
		"EXAMPLES\n"
		"  phiaudit search -S yesterday -U today --path /srv/phi/patients/1234\n"
		"  phiaudit search --auid drsmith -S this-week --format csv > drsmith.csv\n"
		"  phiaudit search --pid 4366 --descendants -S '2026-11-23 02:00' -U '2026-11-23 05:00'\n"
		"  phiaudit search --alerts -S recent\n"
		"  phiaudit search --input /var/log/remote/db1/phiaudit.log --path '/srv/phi/*/labs.csv'\n",
		filter_help);
}

static void report_help(FILE *out)
{
	fprintf(out,
		"Usage: phiaudit report [--by KEY] [OPTION]...\n"
		"\n"
		"Sum the file records that match per KEY: accesses (opens; of them, denied),\n"
		"distinct files, bytes read (each read account counted once), first and last time.\n"
		"\n"
		"  -b, --by KEY           user (default), login, file, directory, process, host,\n"
		"                         day (UTC) or patient\n"
		"      --patient-pattern PATTERN\n"
		"                         where the patient or record id is in a path, as {id}:\n"
		"                         '/srv/phi/patients/{id}/...' (implies --by patient)\n"
		"  -F, --format FMT       table (default), csv or jsonl\n"
		"%s\n"
		"EXAMPLES\n"
		"  phiaudit report --by login -S 2026-07-01 -U 2026-10-01 --path /srv/phi/patients/1234\n"
		"  phiaudit report --by file --format csv -S this-month > files.csv\n"
		"  phiaudit report --patient-pattern '/srv/phi/patients/{id}/...' -S this-year\n",
		filter_help);
}

static void timeline_help(FILE *out)
{
	fprintf(out,
		"Usage: phiaudit timeline [OPTION]...\n"
		"\n"
		"Everything in a window in time order: process starts, opens, reads, alerts, the\n"
		"agent's own records and gaps in the log, with the tree of the processes.\n"
		"\n"
		"  -F, --format FMT       table (default: the process tree, then the events),\n"
		"                         timesketch (JSONL: message, datetime, timestamp_desc)\n"
		"                         or csv\n"
		"%s\n"
		"EXAMPLES\n"
		"  phiaudit timeline -S '2026-11-23 02:00' -U '2026-11-23 05:00' --pid 4366 --descendants\n"
		"  phiaudit timeline -S yesterday --user drsmith --format timesketch > drsmith.jsonl\n",
		filter_help);
}

/* ---- options ---- */

static int add_filter(struct query *q, enum pa_qgroup_id g, const char *flag, const char *value,
		      bool commas)
{
	char err[512], *copy = strdup(value), *save = NULL;
	int rc = 0, added = 0;

	if (!copy)
		return usage_error(q, "out of memory");
	for (char *v = commas ? strtok_r(copy, ",", &save) : copy; v && !rc;
	     v = commas ? strtok_r(NULL, ",", &save) : NULL, added++)
		if (pa_qfilter_add(&q->filter, g, v, err, sizeof(err)))
			rc = usage_error(q, "%s: %s", flag, err);
	if (!rc && !added)
		rc = usage_error(q, "%s: an empty value", flag);
	free(copy);
	return rc;
}

static int add_source(struct query *q, const char *path, bool log_dir)
{
	if (q->n_src == MAX_SOURCES)
		return usage_error(q, "at most %d --log-dir and --input", MAX_SOURCES);
	q->src[q->n_src].path = path;
	q->src[q->n_src++].log_dir = log_dir;
	return 0;
}

static int set_format(struct query *q, const char *v)
{
	static const char *const allowed[] = { "table, jsonl or csv", "table, csv or jsonl",
					       "table, timesketch or csv" };
	bool ok = !pa_qformat_parse(v, &q->format) &&
		  (q->format != PA_QFMT_TIMESKETCH || q->cmd == CMD_TIMELINE);

	if (!ok)
		return usage_error(q, "--format: '%s' is not a format here: use %s", v,
				   allowed[q->cmd]);
	q->format_set = true;
	return 0;
}

/* Options only one command takes. */
static int for_report(struct query *q, const char *flag)
{
	return q->cmd == CMD_REPORT ? 0 : usage_error(q, "%s is for phiaudit report", flag);
}

static int one_option(struct query *q, int c, const char *arg)
{
	switch (c) {
	case 'S': q->since = arg; return 0;
	case 'U': q->until = arg; return 0;
	case OPT_UTC: q->utc = true; return 0;
	case 'u': return add_filter(q, PA_QF_USER, "--user", arg, false);
	case OPT_AUID: return add_filter(q, PA_QF_AUID, "--auid", arg, false);
	case 'f': return add_filter(q, PA_QF_PATH, "--path", arg, false);
	case 'x': return add_filter(q, PA_QF_PROCESS, "--process", arg, false);
	case 'p': return add_filter(q, PA_QF_PID, "--pid", arg, true);
	case OPT_DESCENDANTS: q->filter.descendants = true; return 0;
	case OPT_HOST: return add_filter(q, PA_QF_HOST, "--host", arg, false);
	case 'a': return add_filter(q, PA_QF_ACTIVITY, "--activity", arg, true);
	case OPT_ALERTS: q->filter.alerts = true; return 0;
	case 'F': return set_format(q, arg);
	case 'd': return add_source(q, arg, true);
	case 'i': return add_source(q, arg, false);
	case 'b':
		if (for_report(q, "--by"))
			return PA_EXIT_USAGE;
		q->by_set = true;
		if (pa_qby_parse(arg, &q->by))
			return usage_error(q, "--by: '%s' is not a key: use user, login, file, "
					   "directory, process, host, day or patient", arg);
		return 0;
	case OPT_PATTERN:
		q->pattern = arg;
		return for_report(q, "--patient-pattern");
	default:
		return -1;
	}
}

static int parse_time(struct query *q, const char *flag, const char *value, bool *has,
		      int64_t *ms)
{
	char err[512];
	uint64_t ns;

	if (!value)
		return 0;
	if (pa_qtime_parse(value, q->env->now_ns, q->utc, &ns, err, sizeof(err)))
		return usage_error(q, "%s: %s", flag, err);
	*has = true;
	*ms = (int64_t)(ns / NS_PER_MS);
	return 0;
}

/* What the options imply, once all are read. */
static int settle(struct query *q)
{
	struct pa_qfilter *f = &q->filter;

	if (parse_time(q, "--since", q->since, &f->has_since, &f->since_ms) ||
	    parse_time(q, "--until", q->until, &f->has_until, &f->until_ms))
		return PA_EXIT_USAGE;
	if (f->has_since && f->has_until && f->until_ms <= f->since_ms)
		return usage_error(q, "--until %s is not after --since %s", q->until, q->since);
	if (f->descendants && !f->g[PA_QF_PID].n)
		return usage_error(q, "--descendants needs --pid");
	if (q->pattern && q->by_set && q->by != PA_QBY_PATIENT)
		return usage_error(q, "--patient-pattern goes with --by patient");
	if (q->pattern)
		q->by = PA_QBY_PATIENT;
	if (q->by == PA_QBY_PATIENT && !q->pattern)
		return usage_error(q, "--by patient needs --patient-pattern");
	if (!q->format_set)
		q->format = q->cmd == CMD_SEARCH && !q->env->out_tty ? PA_QFMT_JSONL : PA_QFMT_TABLE;
	if (!q->n_src)
		add_source(q, PA_DEFAULT_LOG_DIR, true);
	return 0;
}

/* 0 to run, -1 when --help was shown, else an exit status. */
static int parse_args(struct query *q, int argc, char **argv)
{
	static void (*const help[])(FILE *) = { search_help, report_help, timeline_help };
	int c, rc;

	optind = 0; /* a fresh start: tests run commands in process */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":S:U:u:f:x:p:a:F:d:i:b:h", long_opts, NULL)) != -1) {
		if (c == 'h') {
			help[q->cmd](q->env->out);
			return -1;
		}
		if (c == ':')
			return usage_error(q, "%s needs a value", argv[optind - 1]);
		if (c == '?')
			return usage_error(q, "unknown option '%s'", argv[optind - 1]);
		rc = one_option(q, c, optarg);
		if (rc)
			return rc;
	}
	if (optind < argc)
		return usage_error(q, "unexpected argument '%s' (options only: a path goes with "
				   "--path, a directory with --log-dir)", argv[optind]);
	return settle(q);
}

/* ---- running ---- */

static int scan_all(struct query *q, struct pa_qscan *scan, struct pa_qinput *in, pa_qscan_fn fn,
		    void *ctx)
{
	memset(in, 0, sizeof(*in));
	in->src = q->src;
	in->n_src = q->n_src;
	in->has_since = q->filter.has_since;
	in->since_ms = q->filter.since_ms;
	in->has_until = q->filter.has_until;
	in->until_ms = q->filter.until_ms;
	in->prog = q->prog;
	in->err = q->env->err;
	in->progress = q->env->err_tty;
	scan->filter = &q->filter;
	scan->match = fn;
	scan->ctx = ctx;
	scan->prog = q->prog;
	scan->err = q->env->err;
	return pa_qscan_run(scan, in);
}

static int64_t since_or_open(const struct query *q)
{
	return q->filter.has_since ? q->filter.since_ms : -1;
}

static int64_t until_or_open(const struct query *q)
{
	return q->filter.has_until ? q->filter.until_ms : -1;
}

/* The exit status, and what the user should know about the answer. */
static int finish(struct query *q, const struct pa_qscan *scan, const struct pa_qinput *in,
		  int scan_rc, uint64_t found)
{
	FILE *err = q->env->err;

	if (q->cmd != CMD_TIMELINE)
		pa_qgaps_report(&scan->gaps, err, q->prog, since_or_open(q), until_or_open(q),
				MAX_GAP_NOTES);
	if (fflush(q->env->out) || ferror(q->env->out)) {
		fprintf(err, "%s: writing the output: %s\n", q->prog, strerror(errno));
		return PA_EXIT_USAGE;
	}
	if (scan_rc < 0)
		return PA_EXIT_USAGE;
	if (!found)
		fprintf(err, "%s: nothing matched (read %" PRIu64 " lines in %" PRIu64 " file(s); %"
			PRIu64 " file(s) outside the time range left unread)\n", q->prog, in->lines,
			in->files_read, in->files_skipped);
	if (in->damaged || in->failed || scan->bad_lines) {
		fprintf(err, "%s: the input is damaged (see above): the answer is made of what "
			"could be read and may miss records\n", q->prog);
		return PA_EXIT_PARTIAL;
	}
	return found ? PA_EXIT_OK : PA_EXIT_NONE;
}

static int search_match(void *ctx, const struct pa_qrec *r, const char *line, size_t len)
{
	return pa_qout_record(ctx, r, line, len);
}

int pa_cmd_search(int argc, char **argv, const struct pa_cli_env *env)
{
	struct query q = { .cmd = CMD_SEARCH, .prog = "phiaudit search", .env = env };
	struct pa_qscan scan = { 0 };
	struct pa_qinput in;
	struct pa_qout out;
	int rc = parse_args(&q, argc, argv);

	if (!rc) {
		pa_qout_init(&out, env->out, q.format);
		rc = scan_all(&q, &scan, &in, search_match, &out);
		rc = finish(&q, &scan, &in, rc, scan.matched);
		pa_qscan_free(&scan);
	}
	pa_qfilter_free(&q.filter);
	return rc < 0 ? PA_EXIT_OK : rc;
}

static int report_match(void *ctx, const struct pa_qrec *r, const char *line, size_t len)
{
	pa_qreport_add(ctx, r);
	return 0;
}

static int run_report(struct query *q, struct pa_qreport *rep)
{
	struct pa_qscan scan = { 0 };
	struct pa_qinput in;
	char err[512];
	size_t rows = 0;
	int rc = 0;

	rep->by = q->by;
	if (q->pattern && pa_qpattern_parse(&rep->pattern, q->pattern, err, sizeof(err)))
		return usage_error(q, "--patient-pattern: %s", err);
	rc = scan_all(q, &scan, &in, report_match, rep);
	if (rc == 0)
		rows = pa_qreport_write(rep, q->env->out, q->format);
	if (rep->unplaced)
		fprintf(q->env->err, "%s: %" PRIu64 " records left out: their paths do not fit "
			"--patient-pattern %s\n", q->prog, rep->unplaced, q->pattern);
	if (rep->failed)
		fprintf(q->env->err, "%s: out of memory: the report is incomplete\n", q->prog);
	rc = finish(q, &scan, &in, rc, rows);
	pa_qscan_free(&scan);
	return rep->failed && rc != PA_EXIT_USAGE ? PA_EXIT_PARTIAL : rc;
}

int pa_cmd_report(int argc, char **argv, const struct pa_cli_env *env)
{
	struct query q = { .cmd = CMD_REPORT, .prog = "phiaudit report", .env = env };
	struct pa_qreport rep = { 0 };
	int rc = parse_args(&q, argc, argv);

	if (!rc)
		rc = run_report(&q, &rep);
	pa_qreport_free(&rep);
	pa_qfilter_free(&q.filter);
	return rc < 0 ? PA_EXIT_OK : rc;
}

static int timeline_match(void *ctx, const struct pa_qrec *r, const char *line, size_t len)
{
	pa_qtimeline_add(ctx, r);
	return 0;
}

int pa_cmd_timeline(int argc, char **argv, const struct pa_cli_env *env)
{
	struct query q = { .cmd = CMD_TIMELINE, .prog = "phiaudit timeline", .env = env };
	struct pa_qtimeline tl = { 0 };
	struct pa_qscan scan = { 0 };
	struct pa_qinput in;
	size_t events = 0;
	int rc = parse_args(&q, argc, argv);

	if (!rc) {
		rc = scan_all(&q, &scan, &in, timeline_match, &tl);
		if (rc == 0) {
			pa_qtimeline_gaps(&tl, &scan.gaps, since_or_open(&q), until_or_open(&q));
			events = pa_qtimeline_write(&tl, env->out, q.format, since_or_open(&q),
						    until_or_open(&q));
		}
		if (tl.failed)
			fprintf(env->err, "%s: out of memory: the timeline is incomplete\n", q.prog);
		rc = finish(&q, &scan, &in, rc, events);
		if (tl.failed && rc != PA_EXIT_USAGE)
			rc = PA_EXIT_PARTIAL;
		pa_qscan_free(&scan);
	}
	pa_qtimeline_free(&tl);
	pa_qfilter_free(&q.filter);
	return rc < 0 ? PA_EXIT_OK : rc;
}
