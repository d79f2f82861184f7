/* portgate-client: keeps a NAT-PMP port forward alive behind a WireGuard
 * tunnel (portgated, ProtonVPN's gateway, a home router) and tells the
 * apps that listen on it.
 *   portgate-client -c FILE [-f] [-d]    run (-f: foreground, logs to stderr)
 *   portgate-client -n -c FILE           check the configuration, exit 0/1
 *   portgate-client -c FILE check        diagnose: tunnel, gateway, mapping, apps */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "client/check.h"
#include "client/client.h"
#include "client/clientconf.h"
#include "util/log.h"

static void usage(void)
{
	fprintf(stderr, "usage: portgate-client [-f] [-d] [-n] -c FILE [check]\n"
		"  -c FILE  configuration (portgate-client.yaml(5))\n"
		"  -f       foreground, log to stderr\n"
		"  -d       debug logging\n"
		"  -n       check the configuration and exit\n"
		"  check    diagnose the tunnel, the gateway, the mapping and the apps\n");
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	bool foreground = false, debug = false, check = false, diagnose = false;
	struct client_config cfg;
	char err[512];
	int opt, ret;

	while ((opt = getopt(argc, argv, "c:fdnh")) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'f': foreground = true; break;
		case 'd': debug = true; break;
		case 'n': check = true; break;
		default: usage(); return 2;
		}
	}
	if (optind < argc && !strcmp(argv[optind], "check")) {
		diagnose = true;
		optind++;
	}
	if (!path || optind != argc) {
		usage();
		return 2;
	}
	log_init(foreground || check || diagnose, debug, "portgate-client");
	if (client_config_load(path, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check) {
		printf("%s: configuration OK\n", path);
		return 0;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = diagnose ? client_check(&cfg, stdout) : client_run(&cfg);
	curl_global_cleanup();
	return ret;
}
