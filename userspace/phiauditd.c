// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * phiauditd: the agent. Checks what it needs before touching the kernel,
 * so an operator gets one clear sentence instead of a libbpf trace.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "agent.h"
#include "config.h"
#include "log.h"
#include "options.h"
#include "store.h"

static volatile sig_atomic_t stop_requested, hup_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		hup_requested = 1;
	else
		stop_requested = 1;
}

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* No SA_RESTART: the poll returns EINTR and the loop sees the flag. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int has_cap(const struct __user_cap_data_struct d[2], int cap)
{
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

static void check_privileges(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) != 0)
		return; /* let the kernel decide at load time */
	if (has_cap(d, CAP_SYS_ADMIN) || (has_cap(d, 39 /* CAP_BPF */) &&
					  has_cap(d, 38 /* CAP_PERFMON */)))
		return;
	pa_fatal("needs root, or the capabilities CAP_BPF and CAP_PERFMON (plus "
		 "CAP_DAC_READ_SEARCH, CAP_SYS_PTRACE; and CAP_SYS_RESOURCE before Linux 5.11); "
		 "run it with sudo, or as the phiauditd service");
}

static void check_btf(void)
{
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		return;
	pa_fatal("this kernel has no BTF (/sys/kernel/btf/vmlinux: %s); phiaudit needs a kernel "
		 "built with CONFIG_DEBUG_INFO_BTF=y (every major distribution since 2020)",
		 strerror(errno));
}

/* --init-key: the key on stdout alone (so it can be redirected to a file
 * or a removable disk), what to do with it on stderr. */
static int init_key(const struct pa_options *opt)
{
	char hex[2 * PA_CHAIN_KEY_LEN + 1], err[1024];

	if (pa_store_init_key(opt->log_dir, (gid_t)-1, hex, err, sizeof(err))) {
		fprintf(stderr, "%s: --init-key: %s\n", pa_progname, err);
		return 1;
	}
	printf("%s\n", hex);
	fflush(stdout);
	pa_wipe(hex, sizeof(hex));
	fprintf(stderr,
		"%s: the chain key for %s is the line above, shown this once. Keep it off this\n"
		"host (a password safe, or paper in a locked drawer): 'phiaudit verify --key-file\n"
		"FILE %s' needs it to prove the log complete and unaltered. The host keeps only\n"
		"keys derived from it, which cannot re-seal older records.\n",
		pa_progname, opt->log_dir, opt->log_dir);
	return 0;
}

/* Defaults, the config files, the command line: exits 2 on a mistake. */
static void load_config(struct pa_config *cfg, const struct pa_options *cli)
{
	char err[8192];

	if (pa_config_load(cfg, cli, err, sizeof(err))) {
		fprintf(stderr, "%s: error: %s\n", pa_progname, err);
		exit(2);
	}
	if (pa_options_check(&cfg->opt))
		exit(2);
}

int main(int argc, char **argv)
{
	static struct pa_options cli;
	struct pa_config *cfg;
	struct pa_agent *agent;
	int rc;

	pa_options_defaults(&cli);
	rc = pa_options_parse(&cli, argc, argv);
	if (rc)
		return rc > 0 ? 0 : 2;
	if (cli.init_key)
		return pa_options_check(&cli) ? 2 : init_key(&cli);
	cfg = calloc(1, sizeof(*cfg)); /* a reload retires it */
	if (!cfg)
		pa_fatal("out of memory");
	load_config(cfg, &cli);
	if (cfg->opt.check_config) {
		pa_config_print(stdout, cfg);
		pa_config_free(cfg);
		free(cfg);
		return 0;
	}
	check_privileges();
	check_btf();
	install_signals();
	agent = calloc(1, sizeof(*agent));
	if (!agent)
		pa_fatal("out of memory");
	pa_agent_start(agent, cfg, &cli);
	rc = pa_agent_run(agent, &stop_requested, &hup_requested);
	cfg = agent->config; /* the one in force, after any reloads */
	pa_agent_free(agent);
	free(agent);
	pa_config_free(cfg);
	free(cfg);
	pa_info(rc ? "stopped after an error" : "stopped");
	return rc;
}
