// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * phiaudit: the command line for the audit log, a table of subcommands:
 * search, report and timeline read the records (qcmd.h), verify checks
 * the hash chain, status reads the agent's runtime state (cli_status.h).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "ocsf.h"
#include "cli_status.h"
#include "qcmd.h"
#include "verify.h"

typedef int (*command_fn)(int argc, char **argv, const struct pa_cli_env *env);

static int cmd_verify(int argc, char **argv, const struct pa_cli_env *env);

static const struct command {
	const char *name;
	command_fn run;
	const char *summary;
} commands[] = {
	{ "search", pa_cmd_search, "the records that match, as a table, JSONL or CSV" },
	{ "report", pa_cmd_report, "accesses, files and bytes read per user, file, directory,\n"
				   "                 process, day or patient (table, CSV, JSONL)" },
	{ "timeline", pa_cmd_timeline, "processes, accesses, alerts and gaps in a window, in time\n"
				       "                 order, with the process tree (Timesketch JSONL, CSV)" },
	{ "verify", cmd_verify, "prove the log complete and unaltered (needs the chain key)" },
	{ "status", pa_cmd_status, "is the agent running, since when, what it watches, what it lost" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: phiaudit COMMAND [OPTION]...\n\nCommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-13s  %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\n"
		"  phiaudit COMMAND --help shows a command's options.\n"
		"\n"
		"EXAMPLES\n"
		"  phiaudit search -S yesterday --path /srv/phi/patients/1234\n"
		"  phiaudit report --by login -S this-month --format csv > access.csv\n"
		"  phiaudit timeline -S '2026-11-23 02:00' -U '2026-11-23 05:00' --pid 4366 --descendants\n"
		"  phiaudit verify -k /media/offline/phiaudit-db1.key\n"
		"  phiaudit status\n");
}

static void verify_usage(FILE *out)
{
	fprintf(out,
		"Usage: phiaudit verify --key-file FILE [DIR]\n"
		"\n"
		"Check every gzip member of the audit log in DIR (default /var/log/phiaudit)\n"
		"against its seal, from the chain key phiauditd --init-key printed: each member\n"
		"unaltered, none removed, reordered or cut short, and members missing at the\n"
		"start accounted for by a recorded retention deletion. The key is read from\n"
		"FILE (64 hex digits; # comments allowed), never from the command line.\n"
		"\n"
		"  -k, --key-file FILE   the initial chain key\n"
		"  -q, --quiet           print only the verdict\n"
		"  -h, --help            show this help\n"
		"\n"
		"Exit status: 0 complete and unaltered; 1 altered, removed, reordered or\n"
		"truncated (the first problem is named: file, byte, member); 2 could not be\n"
		"checked (no key, no files, I/O error); 3 unaltered, but the newest file ends\n"
		"in an unfinished member (the agent crashed or is writing it: the next start\n"
		"moves those bytes to NAME.partial and records it).\n"
		"\n"
		"A local chain cannot show that its newest members were cut off: compare the\n"
		"last member reported here with what the host shipped off-host.\n"
		"\n"
		"EXAMPLES\n"
		"  phiaudit verify -k /media/offline/phiaudit-db1.key /var/log/phiaudit\n"
		"  phiaudit verify -q -k /etc/phiaudit/keys/db1.key /srv/audit/db1\n");
}

static int cmd_verify(int argc, char **argv, const struct pa_cli_env *env)
{
	static const struct option opts[] = {
		{ "key-file", required_argument, NULL, 'k' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *key_file = NULL, *dir = "/var/log/phiaudit";
	uint8_t key[PA_CHAIN_KEY_LEN];
	struct pa_verify_result r;
	char err[512], when[40] = "-";
	bool quiet = false;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			key_file = optarg;
			break;
		case 'q':
			quiet = true;
			break;
		case 'h':
			verify_usage(stdout);
			return 0;
		case ':':
			fprintf(stderr, "phiaudit verify: %s needs a value (see --help)\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "phiaudit verify: unknown option '%s' (see --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc)
		dir = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "phiaudit verify: one directory at a time ('%s' is one too many)\n",
			argv[optind]);
		return 2;
	}
	if (!key_file) {
		fprintf(stderr, "phiaudit verify: --key-file FILE is required (the key "
				"phiauditd --init-key printed; never on the command line)\n");
		return 2;
	}
	if (pa_read_key_file(key_file, key, err, sizeof(err))) {
		fprintf(stderr, "phiaudit verify: --key-file %s\n", err);
		return 2;
	}
	pa_verify_dir(dir, key, quiet ? NULL : stdout, isatty(2) && !quiet ? stderr : NULL, &r);
	pa_wipe(key, sizeof(key));
	if (r.last_time_ns)
		pa_format_time(when, sizeof(when), r.last_time_ns);
	if (!quiet)
		printf("%s: %" PRIu64 " files, %" PRIu64 " members (%" PRIu64 " to %" PRIu64
		       "), %" PRIu64 " records, %" PRIu64 " bytes; %" PRIu64 " agent runs, %" PRIu64
		       " ended by a crash\n",
		       dir, r.files, r.members, r.first_index, r.last_index, r.records, r.bytes,
		       r.runs, r.crashes);
	switch (r.status) {
	case PA_VERIFY_OK:
		printf("OK: complete and unaltered up to member %" PRIu64 ", sealed %s\n",
		       r.last_index, when);
		break;
	case PA_VERIFY_CRASH:
		printf("CRASH: unaltered up to member %" PRIu64 ", sealed %s; %s\n", r.last_index,
		       when, r.problem);
		break;
	case PA_VERIFY_ALTERED:
		printf("ALTERED: %s\n", r.problem);
		break;
	case PA_VERIFY_ERROR:
		fprintf(stderr, "phiaudit verify: %s\n", r.problem);
		break;
	}
	return (int)r.status;
}

int main(int argc, char **argv)
{
	struct pa_cli_env env = { .out = stdout, .err = stderr };
	struct timespec now;

	pa_progname = "phiaudit";
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("phiaudit %s\n", PA_PRODUCT_VERSION);
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	env.now_ns = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
	env.out_tty = isatty(1);
	env.err_tty = isatty(2);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1, &env);
	fprintf(stderr, "phiaudit: unknown command '%s' (see phiaudit --help)\n", argv[1]);
	return 2;
}
