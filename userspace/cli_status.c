// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * phiaudit status: the agent's health from its runtime directory
 * (runstate.h): running or not (by its lock, not by a pid that may have
 * been reused), since when, events and losses, the watched set, the log.
 *
 * Exit status: 0 running and healthy; 1 running with warnings (nothing
 * watched, losses, alerts undelivered) or not running; 2 cannot tell.
 */
#include "cli_status.h"

#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "runstate.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: phiaudit status [--run-dir DIR] [--format text|json]\n"
		"\n"
		"Is phiauditd running, since when, what does it watch, has it lost anything, how\n"
		"big is its log: from DIR/status.json (default /run/phiaudit), which the agent\n"
		"rewrites every 2 seconds. Running or not is decided by the agent's lock on\n"
		"DIR/phiauditd.pid, never by a pid alone.\n"
		"\n"
		"  -r, --run-dir DIR       the agent's --run-dir (default /run/phiaudit)\n"
		"  -f, --format FORMAT     text (default) or json (the status file as written,\n"
		"                          with \"running\" added)\n"
		"  -h, --help              show this help\n"
		"\n"
		"Exit status: 0 running, nothing to report; 1 running with warnings (nothing\n"
		"watched, events lost) or not running; 2 the state cannot be read.\n"
		"\n"
		"EXAMPLES\n"
		"  phiaudit status\n"
		"  phiaudit status --format json | jq .losses_total\n");
}

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "?";
}

static int64_t num(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

static void print_list(FILE *out, const char *label, struct json_object *o, const char *key)
{
	struct json_object *arr;

	if (!json_object_object_get_ex(o, key, &arr) || !json_object_array_length(arr))
		return;
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		fprintf(out, "%-14s %s\n", i ? "" : label,
			json_object_get_string(json_object_array_get_idx(arr, i)));
}

static void print_text(FILE *out, struct json_object *st, bool running, int pid)
{
	struct json_object *log = NULL, *chain = NULL;

	if (running)
		fprintf(out, "%-14s running (pid %d) since %s\n", "phiauditd:", pid,
			str(st, "started"));
	else
		fprintf(out, "%-14s NOT running (last state %s at %s)\n", "phiauditd:",
			str(st, "state"), str(st, "updated"));
	fprintf(out, "%-14s %s, hook %s, config %s\n", "version:", str(st, "version"),
		str(st, "hook"), str(st, "config"));
	print_list(out, "watching:", st, "watches");
	print_list(out, "excluded:", st, "excluded");
	print_list(out, "WARNING:", st, "warnings");
	fprintf(out, "%-14s %lld events, %lld records, %lld lost\n", "counts:",
		(long long)num(st, "events_received"), (long long)num(st, "records_written"),
		(long long)num(st, "losses_total"));
	fprintf(out, "%-14s %lld of %lld bytes in use; longest wait %lld ms\n", "ring buffer:",
		(long long)num(st, "ring_buffer_used_bytes"), (long long)num(st, "ring_buffer_bytes"),
		(long long)num(st, "lag_ms_max"));
	if (json_object_object_get_ex(st, "log", &log))
		fprintf(out, "%-14s %s: %lld files, %lld bytes\n", "log:", str(log, "dir"),
			(long long)num(log, "files"), (long long)num(log, "bytes"));
	if (json_object_object_get_ex(st, "chain", &chain))
		fprintf(out, "%-14s next member %lld, head %.16s..., last sealed record %lld\n",
			"chain:", (long long)num(chain, "next_index"), str(chain, "head_tag"),
			(long long)num(chain, "last_sealed_sequence"));
	fprintf(out, "%-14s %lld bulk-read alerts\n", "detection:", (long long)num(st, "alerts"));
	fprintf(out, "%-14s %s\n", "updated:", str(st, "updated"));
}

static int parse(int argc, char **argv, const char **dir, bool *json, FILE *err)
{
	static const struct option opts[] = {
		{ "run-dir", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":r:f:h", opts, NULL)) != -1) {
		if (c == 'r') {
			*dir = optarg;
		} else if (c == 'f' && (!strcmp(optarg, "text") || !strcmp(optarg, "json"))) {
			*json = !strcmp(optarg, "json");
		} else if (c == 'h') {
			usage(stdout);
			return 1;
		} else {
			fprintf(err, "phiaudit status: %s '%s' (see --help)\n",
				c == 'f' ? "--format must be text or json, not" : "bad option",
				c == 'f' ? optarg : argv[optind - 1]);
			return -1;
		}
	}
	return 0;
}

int pa_cmd_status(int argc, char **argv, const struct pa_cli_env *env)
{
	const char *dir = "/run/phiaudit";
	char path[4096];
	struct json_object *st;
	bool json = false;
	pid_t pid = 0;
	int running, rc = parse(argc, argv, &dir, &json, env->err);

	if (rc)
		return rc > 0 ? 0 : 2;
	running = pa_runstate_running(dir, &pid);
	snprintf(path, sizeof(path), "%s/%s", dir, PA_RUN_STATUS);
	st = json_object_from_file(path);
	if (running < 0 || !st) {
		fprintf(env->err, "phiaudit status: %s: %s: is phiauditd installed, with --run-dir %s?\n",
			running < 0 ? dir : path,
			running < 0 ? strerror(-running) : "cannot read it", dir);
		json_object_put(st);
		return running == -ENOENT || !st ? 1 : 2;
	}
	if (json) {
		json_object_object_add(st, "running", json_object_new_boolean(running));
		fprintf(env->out, "%s\n", json_object_to_json_string_ext(st, JSON_C_TO_STRING_PLAIN));
	} else {
		print_text(env->out, st, running, (int)pid);
	}
	rc = !running || num(st, "losses_total") || !strcmp(str(st, "state"), "stopped");
	{
		struct json_object *w;

		if (json_object_object_get_ex(st, "warnings", &w) && json_object_array_length(w))
			rc = 1;
	}
	json_object_put(st);
	return rc;
}
