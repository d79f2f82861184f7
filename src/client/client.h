/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portgate-client's runtime: one event loop that renews the mapping, tells
 * the apps (in a child, so HTTP never blocks a renewal), runs the recovery
 * command and serves metrics. */
#ifndef PORTGATE_CLIENT_CLIENT_H
#define PORTGATE_CLIENT_CLIENT_H

#include <stdint.h>

#include "client/clientconf.h"

struct client_addrs {
	uint32_t local, gateway;	/* host byte order */
	char source[96];		/* where the gateway came from, for people */
};

/* The tunnel's own IPv4 address and the gateway: the configuration's, else
 * the via of the route from the tunnel's address out of the tunnel
 * (route.h: every rule and table), else the tunnel network's first
 * address. 0, or -1 with the reason in err. */
int client_addresses(const struct client_config *c, struct client_addrs *out, char *err,
		     size_t errlen);
/* Runs until SIGTERM or SIGINT: 0, or 1 after a start-up failure (logged). */
int client_run(const struct client_config *c);

#endif
