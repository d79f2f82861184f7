/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portgate-client: keeps a NAT-PMP port forward alive behind a WireGuard
 * tunnel (portgated, ProtonVPN's gateway, a home router) and tells the
 * apps that listen on it.
 *   portgate-client -c FILE [-f] [-d]    run (-f: foreground, logs to stderr)
 *   portgate-client -i IFACE [-g GATEWAY] [-o PORT_FILE] [-x HOOK]
 *                   [-X DOWN_HOOK] [-m ADDRESS:PORT] [-f] [-d]
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
#include "util/listenaddr.h"
#include "util/log.h"

/* --help on stdout; a usage error on stderr. */
static void usage(FILE *out)
{
	fprintf(out, "usage: portgate-client [-f] [-d] [-n] -c FILE [check]\n"
		"       portgate-client [-f] [-d] [-n] -i IFACE [-g GATEWAY] [-o PORT_FILE] "
		"[-x HOOK]\n"
		"                       [-X DOWN_HOOK] [-m ADDRESS:PORT] [check]\n"
		"       portgate-client --help | --version\n"
		"  -c FILE  configuration (portgate-client.yaml(5))\n"
		"  -i, -g, -o, -x, -X, -m  interface, gateway, port_file, hook, down_hook\n"
		"           and metrics_listen without a file\n"
		"  -f       foreground, log to stderr\n"
		"  -d       debug logging\n"
		"  -n       check the configuration and exit\n"
		"  check    diagnose the tunnel, the gateway, the mapping and the apps\n");
}

/* The settings the flags give (NULL: not given). */
struct flags {
	const char *ifname, *gateway, *port_file, *hook, *down_hook, *metrics;
};

/* A path flag: copied when it passes the rule the configuration's key does. */
static int flag_path(char opt, const char *value, enum client_path kind, char *out,
		     size_t max, char *err, size_t errlen)
{
	char buf[CLIENT_PATH_MAX + 64];
	const char *why;

	if (!value)
		return 0;
	if (strlen(value) >= max) {
		snprintf(err, errlen, "-%c %s: too long", opt, value);
		return -1;
	}
	if ((why = client_path_problem(kind, value, buf, sizeof(buf)))) {
		snprintf(err, errlen, "-%c %s: %s", opt, value, why);
		return -1;
	}
	snprintf(out, max, "%s", value);
	return 0;
}

/* -i IFACE and the rest: the defaults otherwise, and the same refusals as
 * the configuration's keys. */
static int from_flags(struct client_config *c, const struct flags *f, char *err,
		      size_t errlen)
{
	struct sockaddr_storage ss;
	struct in_addr a;
	const char *why;
	socklen_t sl;

	client_config_defaults(c);
	if ((why = client_ifname_problem(f->ifname))) {
		snprintf(err, errlen, "-i %s: an interface name %s", f->ifname, why);
		return -1;
	}
	memcpy(c->interface, f->ifname, strlen(f->ifname) + 1);	/* < IF_NAMESIZE */
	if (f->gateway) {
		if (inet_pton(AF_INET, f->gateway, &a) != 1) {
			snprintf(err, errlen, "-g %s: not an IPv4 address", f->gateway);
			return -1;
		}
		c->has_gateway = true;
		c->gateway = ntohl(a.s_addr);
	}
	if (f->metrics) {
		if (strlen(f->metrics) >= sizeof(c->metrics_listen) ||
		    listen_addr_parse(f->metrics, &ss, &sl) < 0) {
			snprintf(err, errlen, "-m %s: must be ADDRESS:PORT, e.g. 127.0.0.1:9835 "
				 "or [::1]:9835", f->metrics);
			return -1;
		}
		snprintf(c->metrics_listen, sizeof(c->metrics_listen), "%s", f->metrics);
	}
	return flag_path('o', f->port_file, CLIENT_PATH_WRITTEN, c->port_file,
			 sizeof(c->port_file), err, errlen) ||
	       flag_path('x', f->hook, CLIENT_PATH_PROGRAM, c->hook, sizeof(c->hook), err,
			 errlen) ||
	       flag_path('X', f->down_hook, CLIENT_PATH_PROGRAM, c->down_hook,
			 sizeof(c->down_hook), err, errlen) ? -1 : 0;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	struct flags fl = { 0 };
	bool foreground = false, debug = false, check = false, diagnose = false;
	struct client_config cfg;
	char err[512];
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "c:fdnhVi:g:o:x:X:m:", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'i': fl.ifname = optarg; break;
		case 'g': fl.gateway = optarg; break;
		case 'o': fl.port_file = optarg; break;
		case 'x': fl.hook = optarg; break;
		case 'X': fl.down_hook = optarg; break;
		case 'm': fl.metrics = optarg; break;
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
	if (!path == !fl.ifname || optind != argc ||
	    (path && (fl.gateway || fl.port_file || fl.hook || fl.down_hook || fl.metrics))) {
		usage(stderr);
		return 2;
	}
	log_init(foreground || check || diagnose, debug, "portgate-client");
	if (path ? client_config_load(path, &cfg, err, sizeof(err)) < 0
		 : from_flags(&cfg, &fl, err, sizeof(err)) < 0) {
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
