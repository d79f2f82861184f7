/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portgated: the NAT-PMP and PCP port-forward gateway daemon. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/gateway.h"
#include "daemon/notify.h"
#include "daemon/policy.h"
#include "daemon/privs.h"
#include "util/log.h"
#include "util/sdnotify.h"

/* --help on stdout, exit 0; a usage error on stderr, exit 2. */
static void usage(FILE *out, int status)
{
	fprintf(out,
		"usage: portgated [-e] [-d] [-n] [-u USER] [-c FILE]\n"
		"       portgated --help | --version\n"
		"  -c FILE  the policy (YAML; default " POLICY_DEFAULT_PATH ")\n"
		"  -e       log to stderr instead of syslog (-f is its old name); when\n"
		"           stderr is the journal (systemd) it is used without -e\n"
		"  -d       debug logging (renewals too)\n"
		"  -n       check the policy and exit: 0 good, 1 bad\n"
		"  -u USER  after setup run as USER, keeping CAP_NET_ADMIN only (default:\n"
		"           user " PRIVS_DEFAULT_USER " when started as root and it exists;\n"
		"           -u root keeps root, with CAP_NET_ADMIN only)\n"
		"portgated never forks: systemd, procd or a container keeps it.\n");
	exit(status);
}

/* Serves until a signal stops it, telling the service manager (sd_notify)
 * when it is ready and when it stops. */
static int serve(struct gateway *g, const char *user)
{
	int ret;

	if (privileges_drop(privileges_user(user)) < 0)
		return -1;
	notify_ready(g);
	ret = gateway_run(g);
	sdnotify("STOPPING=1");
	return ret;
}

int main(int argc, char **argv)
{
	const char *config = POLICY_DEFAULT_PATH, *user = NULL;
	bool to_stderr = false, debug = false, check = false;
	struct policy policy;
	struct gateway *g;
	char err[512];
	static const struct option opts[] = {
		{ "stderr", no_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "c:efdnu:hV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': config = optarg; break;
		case 'e': /* fall through: -f, "foreground", is the old name */
		case 'f': to_stderr = true; break;
		case 'd': debug = true; break;
		case 'n': check = true; break;
		case 'u': user = optarg; break;
		case 'h': usage(stdout, 0); break;
		case 'V': printf("portgated %s\n", PORTGATE_VERSION); return 0;
		default: usage(stderr, 2);
		}
	}
	if (optind != argc)
		usage(stderr, 2);
	log_init(to_stderr || check, debug, "portgated");
	if (policy_load(config, &policy, err, sizeof(err)) < 0) {
		if (check)
			fprintf(stderr, "%s\n", err);
		else
			log_warnx("%s", err);
		return 1;
	}
	if (policy.warning[0]) {
		if (check)
			fprintf(stderr, "warning: %s\n", policy.warning);
		else
			log_warnx("%s", policy.warning);
	}
	if (check) {
		printf("%s: policy OK\n", config);
		policy_free(&policy);
		return 0;
	}
	g = gateway_new(&policy);	/* owns the policy from here on */
	if (!g)
		return 1;
	ret = serve(g, user);
	gateway_free(g);
	return ret < 0 ? 1 : 0;
}
