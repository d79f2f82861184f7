/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portgate-client's runtime: one event loop that renews the mapping, tells
 * the apps (in a child, so HTTP never blocks a renewal), runs the recovery
 * command and serves metrics. */
#ifndef PORTGATE_CLIENT_CLIENT_H
#define PORTGATE_CLIENT_CLIENT_H

#include <stdint.h>

#include "client/clientconf.h"

/* The tunnel's own IPv4 address and the gateway (config, else the default
 * route's via on the interface, else the tunnel network's first address).
 * 0, or -1 with the reason in err. */
int client_addresses(const struct client_config *c, uint32_t *local, uint32_t *gateway,
		     char *err, size_t errlen);
/* Runs until SIGTERM or SIGINT: 0, or 1 after a start-up failure (logged). */
int client_run(const struct client_config *c);

#endif
