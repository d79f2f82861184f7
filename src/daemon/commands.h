/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket's commands over the gateway (JSON, one request per
 * connection):
 *   {"command": "status" | "list" | "peers" | "reload"}
 *   {"command": "drop", "peer": KEY}
 *   {"command": "drop", "protocol": "tcp" | "udp", "port": N}
 *   {"command": "forward", "action": "list", "peer"?: ID}
 *   {"command": "forward", "action": "add", "peer": ID, "protocol": ...,
 *    "external": N, "internal"?: N, "address"?: A}
 *   {"command": "forward", "action": "del", "peer": ID, "protocol": ...,
 *    "port": N}
 * (ID: a public key or a peer's policy name.) Answers are JSON objects; failures are {"error": "..."}. */
#ifndef PORTGATE_DAEMON_COMMANDS_H
#define PORTGATE_DAEMON_COMMANDS_H

#include <stdint.h>

#include <jansson.h>

#include "util/ipaddr.h"

struct gateway;
struct policy_forward;

/* A control_handler: arg is the struct gateway. */
char *gateway_command(void *arg, const char *request);

/* The answers, shared with the HTTP API (apiserve.c). peer: one peer's
 * only, or NULL for every one. */
json_t *gateway_status_json(struct gateway *g);
/* An address as list, status and events write it: dotted IPv4, or IPv6. */
json_t *ip_addr_json(const struct ip_addr *a);
/* {"error": msg} */
json_t *gateway_error_json(const char *msg);
/* The answer as compact text (malloc'd; NULL when memory is short), and
 * the answer released. */
char *gateway_json_text(json_t *answer);
json_t *gateway_mappings_json(struct gateway *g, const uint8_t *peer);
json_t *gateway_peers_json(struct gateway *g);
json_t *gateway_forwards_json(struct gateway *g, const uint8_t *peer);
/* {"ok": true, "installed": BOOL} or {"error": ...}; *status is 0, or
 * the gateway's -errno. */
json_t *gateway_forward_add_json(struct gateway *g, const uint8_t key[32],
				 const struct policy_forward *f, int *status);
json_t *gateway_forward_del_json(struct gateway *g, const uint8_t key[32], unsigned protos,
				 uint16_t port, int *status);

#endif
