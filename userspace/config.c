// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "config.h"

#include <errno.h>
#include <json-c/json.h>
#include <libgen.h>
#include <string.h>
#include <unistd.h>

#include "detect_config.h"

#define SEC 1000000000ull

void pa_config_key(const struct pa_option *opt, char *key, size_t n)
{
	size_t i = 0;

	for (; opt->name[i] && i + 1 < n; i++)
		key[i] = opt->name[i] == '-' ? '_' : opt->name[i];
	key[i] = '\0';
}

static void *field(struct pa_options *o, const struct pa_option *opt)
{
	return (char *)o + opt->offset;
}

static int read_paths(struct pa_conf *c, struct json_object *root, const char *key,
		      struct pa_pathlist *l)
{
	struct json_object *arr = NULL;

	if (pa_conf_array(c, root, key, &arr) < 0)
		return -EINVAL;
	for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
		struct json_object *el = json_object_array_get_idx(arr, i);
		const char *path = NULL;

		if (pa_conf_string(c, el, NULL, &path) < 0)
			return -EINVAL;
		if (path[0] != '/')
			return pa_conf_error(c, el, "\"%s\" is not an absolute path", path);
		if (l->n >= PA_MAX_CLI_WATCHES)
			return pa_conf_error(c, el, "at most %d directories", PA_MAX_CLI_WATCHES);
		l->v[l->n++] = path;
	}
	return 0;
}

/* An enum is written by name; the table's own check gives the message. */
static int read_enum(struct pa_conf *c, struct json_object *root, const char *key,
		     const struct pa_option *opt, struct pa_options *o)
{
	struct json_object *v = NULL;
	const char *name = NULL;
	char msg[256];
	int rc = pa_conf_string(c, root, key, &name);

	if (rc <= 0)
		return rc;
	if (pa_option_set(o, opt, name, msg, sizeof(msg)) == 0)
		return 0;
	json_object_object_get_ex(root, key, &v);
	return pa_conf_error(c, v, "%s", strstr(msg, ": ") ? strstr(msg, ": ") + 2 : msg);
}

static int read_option(struct pa_conf *c, struct json_object *root, const struct pa_option *opt,
		       struct pa_options *o)
{
	char key[64];
	int64_t v;
	int rc;

	pa_config_key(opt, key, sizeof(key));
	switch (opt->type) {
	case PA_OPT_PATH_LIST:
		return read_paths(c, root, key, (struct pa_pathlist *)field(o, opt));
	case PA_OPT_STRING:
		rc = pa_conf_string(c, root, key, (const char **)field(o, opt));
		return rc < 0 ? rc : 0;
	case PA_OPT_FLAG:
		rc = pa_conf_bool(c, root, key, (bool *)field(o, opt));
		return rc < 0 ? rc : 0;
	case PA_OPT_ENUM:
		return read_enum(c, root, key, opt, o);
	case PA_OPT_UINT:
		v = (int64_t)*(uint64_t *)field(o, opt);
		rc = pa_conf_int(c, root, key, (int64_t)opt->min,
				 opt->max > INT64_MAX ? INT64_MAX : (int64_t)opt->max, &v);
		if (rc > 0)
			*(uint64_t *)field(o, opt) = (uint64_t)v;
		return rc < 0 ? rc : 0;
	}
	return 0;
}

/* Every key the top level may have: the options that are not command-line
 * only, and "detection". */
static int check_top_keys(struct pa_conf *c, struct json_object *root)
{
	static char keys[64][64];
	const char *known[66];
	size_t n = 0;

	for (const struct pa_option *opt = pa_option_table; opt->name && n < 64; opt++) {
		if (opt->cli_only)
			continue;
		pa_config_key(opt, keys[n], sizeof(keys[n]));
		known[n] = keys[n];
		n++;
	}
	known[n++] = "detection";
	known[n] = NULL;
	return pa_conf_check_keys(c, root, known);
}

static int read_file_options(struct pa_conf *c, struct pa_config *cfg)
{
	struct json_object *root = pa_conf_root(c);
	int rc = check_top_keys(c, root);

	for (const struct pa_option *opt = pa_option_table; opt->name; opt++)
		if (!opt->cli_only && read_option(c, root, opt, &cfg->opt) < 0)
			rc = -EINVAL;
	if (pa_det_config_read(c, root, &cfg->det) < 0)
		rc = -EINVAL;
	return rc;
}

/* The command line over the files; its --watch adds to theirs. */
static void apply_cli(struct pa_options *o, const struct pa_options *cli)
{
	for (int i = 0; pa_option_table[i].name; i++) {
		const struct pa_option *opt = &pa_option_table[i];

		if (!(cli->cli_set & (1ull << i)))
			continue;
		switch (opt->type) {
		case PA_OPT_PATH_LIST: {
			struct pa_pathlist *l = field(o, opt);
			const struct pa_pathlist *from =
				(const void *)((const char *)cli + opt->offset);

			for (size_t w = 0; w < from->n && l->n < PA_MAX_CLI_WATCHES; w++)
				l->v[l->n++] = from->v[w];
			break;
		}
		case PA_OPT_STRING:
			*(const char **)field(o, opt) = *(const char *const *)((const char *)cli +
									opt->offset);
			break;
		case PA_OPT_FLAG:
			*(bool *)field(o, opt) = *(const bool *)((const char *)cli + opt->offset);
			break;
		case PA_OPT_UINT:
		case PA_OPT_ENUM:
			*(uint64_t *)field(o, opt) =
				*(const uint64_t *)((const char *)cli + opt->offset);
			break;
		}
	}
	o->cli_set = cli->cli_set;
}

/* Flags that switch detection settings. */
static void apply_detect_flags(struct pa_config *cfg)
{
	if (cfg->opt.no_detect)
		cfg->det.enabled = false;
}

static void collect_errors(struct pa_conf *c, int rc, const char *path, char *err, size_t errlen)
{
	const struct pa_conf_msgs *m = pa_conf_errors(c);
	size_t len = 0;

	err[0] = '\0';
	for (size_t i = 0; i < m->n && len < errlen; i++)
		len += (size_t)snprintf(err + len, errlen - len, "%s%s", i ? "\n" : "", m->v[i]);
	if (m->total > m->n && len < errlen)
		snprintf(err + len, errlen - len, "\n(and %zu more)", m->total - m->n);
	if (!m->n)
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
}

static int load_files(struct pa_config *cfg, const struct pa_options *cli)
{
	bool given = cli->cli_set & (1ull << pa_option_index("config"));
	char dir[4096];
	int rc;

	snprintf(cfg->main_path, sizeof(cfg->main_path), "%s", cli->config);
	snprintf(dir, sizeof(dir), "%s", cli->config);
	snprintf(cfg->dropin_dir, sizeof(cfg->dropin_dir), "%s/conf.d", dirname(dir));
	cfg->main_found = access(cfg->main_path, F_OK) == 0;
	/* conf.d is optional even beside a --config file that must exist */
	rc = pa_conf_load(cfg->conf, cfg->main_path,
			  access(cfg->dropin_dir, F_OK) == 0 || errno != ENOENT ? cfg->dropin_dir : NULL,
			  given ? 0 : PA_CONF_OPTIONAL);
	if (rc == 0 && given && !cfg->main_found)
		rc = -ENOENT;
	if (rc == 0 && cli->detect_config)
		rc = pa_conf_load(cfg->conf, cli->detect_config, NULL, 0);
	return rc;
}

int pa_config_load(struct pa_config *cfg, const struct pa_options *cli, char *err, size_t errlen)
{
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	pa_options_defaults(&cfg->opt);
	pa_det_config_defaults(&cfg->det);
	cfg->conf = pa_conf_new(0);
	if (!cfg->conf) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	rc = load_files(cfg, cli);
	if (rc == 0)
		rc = read_file_options(cfg->conf, cfg);
	if (rc) {
		collect_errors(cfg->conf, rc, rc == -ENOENT && cli->detect_config &&
			       cfg->main_found ? cli->detect_config : cfg->main_path, err, errlen);
		return rc;
	}
	apply_cli(&cfg->opt, cli);
	apply_detect_flags(cfg);
	return 0;
}

void pa_config_free(struct pa_config *cfg)
{
	pa_det_config_free(&cfg->det);
	pa_conf_free(cfg->conf);
	cfg->conf = NULL;
}

/* ---- --check-config */

static struct json_object *option_json(const struct pa_options *o, const struct pa_option *opt)
{
	const void *f = (const char *)o + opt->offset;
	struct json_object *arr;

	switch (opt->type) {
	case PA_OPT_PATH_LIST: {
		const struct pa_pathlist *l = f;

		arr = json_object_new_array();
		for (size_t i = 0; i < l->n; i++)
			json_object_array_add(arr, json_object_new_string(l->v[i]));
		return arr;
	}
	case PA_OPT_STRING:
		return *(const char *const *)f ? json_object_new_string(*(const char *const *)f)
					       : NULL;
	case PA_OPT_FLAG:
		return json_object_new_boolean(*(const bool *)f);
	case PA_OPT_ENUM:
		return json_object_new_string(opt->choices[*(const uint64_t *)f]);
	case PA_OPT_UINT:
		return json_object_new_uint64(*(const uint64_t *)f);
	}
	return NULL;
}

static struct json_object *detection_json(const struct pa_det_config *d)
{
	struct json_object *det = json_object_new_object(), *scopes = json_object_new_object();
	struct json_object *allow = json_object_new_array();

	json_object_object_add(det, "enabled", json_object_new_boolean(d->enabled));
	json_object_object_add(det, "sample_paths", json_object_new_int(d->sample_paths));
	json_object_object_add(det, "max_subjects", json_object_new_uint64(d->max_subjects));
	json_object_object_add(det, "max_files", json_object_new_uint64(d->max_files));
	for (int s = 0; s < PA_DET_NSCOPES; s++) {
		struct json_object *one = json_object_new_object();

		json_object_object_add(one, "enabled", json_object_new_boolean(d->scope[s].enabled));
		json_object_object_add(one, "window", json_object_new_uint64(d->scope[s].window_ns / SEC));
		if (s != PA_DET_FILE)
			json_object_object_add(one, "files", json_object_new_uint64(d->scope[s].files));
		json_object_object_add(one, "bytes", json_object_new_uint64(d->scope[s].bytes));
		json_object_object_add(scopes, pa_det_scope_name(s), one);
	}
	json_object_object_add(det, "scopes", scopes);
	for (size_t i = 0; i < d->n_allow; i++) {
		struct json_object *a = json_object_new_object(), *sc = json_object_new_array();
		char hours[48];

		json_object_object_add(a, "name", json_object_new_string(d->allow[i].name));
		json_object_object_add(a, "exe", json_object_new_string(d->allow[i].exe));
		json_object_object_add(a, "user", json_object_new_string(d->allow[i].user));
		snprintf(hours, sizeof(hours), "%02d:%02d-%02d:%02d", d->allow[i].from_min / 60,
			 d->allow[i].from_min % 60, d->allow[i].to_min / 60, d->allow[i].to_min % 60);
		json_object_object_add(a, "hours", json_object_new_string(hours));
		for (int s = 0; s < PA_DET_NSCOPES; s++)
			if (d->allow[i].scopes & (1u << s))
				json_object_array_add(sc, json_object_new_string(pa_det_scope_name(s)));
		json_object_object_add(a, "scopes", sc);
		json_object_array_add(allow, a);
	}
	json_object_object_add(det, "allow", allow);
	return det;
}

void pa_config_print(FILE *out, const struct pa_config *cfg)
{
	struct json_object *root = json_object_new_object();

	for (const struct pa_option *opt = pa_option_table; opt->name; opt++) {
		struct json_object *v;
		char key[64];

		if (opt->cli_only)
			continue;
		v = option_json(&cfg->opt, opt); /* NULL: unset, shown as null */
		pa_config_key(opt, key, sizeof(key));
		json_object_object_add(root, key, v);
	}
	json_object_object_add(root, "detection", detection_json(&cfg->det));
	fprintf(out, "// phiauditd --check-config: the effective settings (defaults, %s%s, "
		"%s/*.conf, the command line)\n%s\n",
		cfg->main_path, cfg->main_found ? "" : " (absent)", cfg->dropin_dir,
		json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
							     JSON_C_TO_STRING_SPACED |
							     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(root);
}
