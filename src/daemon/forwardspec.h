/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A static forward as JSON: the body of POST /api/clients/{id}/portforwards,
 * the control socket's "forward add" and an entry of the daemon's state
 * file. Pure: no gateway, no I/O. Keys are strict (an unknown one is an
 * error); the collision rules are policy_forward_conflict's. */
#ifndef PORTGATE_DAEMON_FORWARDSPEC_H
#define PORTGATE_DAEMON_FORWARDSPEC_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "daemon/policy.h"

/* {"protocol": "tcp"|"udp"|"both", "external": PORT, "internal": PORT?,
 * "address": "IPv4"?}, and "peer": base64 key when with_peer (the state
 * file). f is marked runtime. 0, or -1 with the reason in err. */
int forward_from_json(const json_t *o, bool with_peer, struct policy_forward *f,
		      char *err, size_t len);
/* The same fields back (address null when it is the peer's own). */
json_t *forward_to_json(const struct policy_forward *f, bool with_peer);
/* A peer as an operator names it: its public key in standard or URL-safe
 * base64 (-_ for +/), or its policy name (peers.KEY.name). */
bool peer_resolve(const struct policy *p, const char *id, uint8_t key[32]);
/* "tcp", "udp" or "both" as protocol bits; 0 for anything else. */
unsigned forward_protos(const char *name);
const char *forward_protos_name(unsigned protos);

#endif
