/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portgate-client: keeps a NAT-PMP port forward alive behind a WireGuard
 * tunnel (portgated, ProtonVPN's gateway, a home router) and tells the
 * apps that listen on it.
 *   portgate-client -c FILE [-f] [-d]    run (-f: foreground, logs to stderr)
 *   portgate-client -i IFACE [-g GATEWAY] [-o PORT_FILE] [-x HOOK] [-f] [-d]
 *                                        the common case without a file
 *   portgate-client -n -c FILE           check the configuration, exit 0/1
 *   portgate-client -c FILE check        diagnose: tunnel, gateway, mapping, apps */
#include <arpa/inet.h>
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

/* --help on stdout; a usage error on stderr. */
static void usage(FILE *out)
{
	fprintf(out, "usage: portgate-client [-f] [-d] [-n] -c FILE [check]\n"
		"       portgate-client [-f] [-d] -i IFACE [-g GATEWAY] [-o PORT_FILE] "
		"[-x HOOK] [check]\n"
		"       portgate-client --help | --version\n"
		"  -c FILE  configuration (portgate-client.yaml(5))\n"
		"  -i, -g, -o, -x  interface, gateway, port_file and hook without a file\n"
		"  -f       foreground, log to stderr\n"
		"  -d       debug logging\n"
		"  -n       check the configuration and exit\n"
		"  check    diagnose the tunnel, the gateway, the mapping and the apps\n");
}

/* -i IFACE [-g GATEWAY] [-o PORT_FILE] [-x HOOK]: the defaults otherwise. */
static int from_flags(struct client_config *c, const char *ifname, const char *gateway,
		      const char *port_file, const char *hook, char *err, size_t errlen)
{
	struct in_addr a;

	client_config_defaults(c);
	if (strlen(ifname) >= sizeof(c->interface)) {
		snprintf(err, errlen, "-i %s: not an interface name", ifname);
		return -1;
	}
	snprintf(c->interface, sizeof(c->interface), "%s", ifname);
	if (gateway) {
		if (inet_pton(AF_INET, gateway, &a) != 1) {
			snprintf(err, errlen, "-g %s: not an IPv4 address", gateway);
			return -1;
		}
		c->has_gateway = true;
		c->gateway = ntohl(a.s_addr);
	}
	if (port_file)
		snprintf(c->port_file, sizeof(c->port_file), "%s", port_file);
	if (hook && hook[0] != '/') {
		snprintf(err, errlen, "-x %s: the hook must be an absolute path", hook);
		return -1;
	}
	if (hook)
		snprintf(c->hook, sizeof(c->hook), "%s", hook);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL, *ifname = NULL, *gateway = NULL, *port_file = NULL,
		   *hook = NULL;
	bool foreground = false, debug = false, check = false, diagnose = false;
	struct client_config cfg;
	char err[512];
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "c:fdnhVi:g:o:x:", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'i': ifname = optarg; break;
		case 'g': gateway = optarg; break;
		case 'o': port_file = optarg; break;
		case 'x': hook = optarg; break;
		case 'f': foreground = true; break;
		case 'd': debug = true; break;
		case 'n': check = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("portgate-client %s\n", PORTGATE_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc && !strcmp(argv[optind], "check")) {
		diagnose = true;
		optind++;
	}
	if (!path == !ifname || optind != argc ||
	    (path && (gateway || port_file || hook))) {
		usage(stderr);
		return 2;
	}
	log_init(foreground || check || diagnose, debug, "portgate-client");
	if (path ? client_config_load(path, &cfg, err, sizeof(err)) < 0
		 : from_flags(&cfg, ifname, gateway, port_file, hook, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	if (check) {
		printf("%s: configuration OK\n", path ? path : "flags");
		return 0;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = diagnose ? client_check(&cfg, stdout) : client_run(&cfg);
	curl_global_cleanup();
	return ret;
}
