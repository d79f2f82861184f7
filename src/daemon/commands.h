/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The control socket's commands over the gateway (JSON, one request per
 * connection):
 *   {"command": "status" | "list" | "peers" | "reload"}
 *   {"command": "drop", "peer": KEY}
 *   {"command": "drop", "protocol": "tcp" | "udp", "port": N}
 * Answers are JSON objects; failures are {"error": "..."}. */
#ifndef PORTGATE_DAEMON_COMMANDS_H
#define PORTGATE_DAEMON_COMMANDS_H

/* A control_handler: arg is the struct gateway. */
char *gateway_command(void *arg, const char *request);

#endif
