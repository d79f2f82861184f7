/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portgate-client check: interface, handshake, route, gateway, mapping and
 * each app, one line each with a verdict; 0 when all is well, else 1. */
#ifndef PORTGATE_CLIENT_CHECK_H
#define PORTGATE_CLIENT_CHECK_H

#include <stdio.h>

#include "client/clientconf.h"

int client_check(const struct client_config *c, FILE *out);

#endif
