/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One control request, parsed from the untrusted text of the control socket
 * (JSON; see commands.h) into what it asks. Pure: no gateway, no I/O. */
#ifndef PORTGATE_DAEMON_COMMAND_H
#define PORTGATE_DAEMON_COMMAND_H

#include <stdint.h>

#include "daemon/policy.h"
#include "natpmp/mapping.h"

#define COMMAND_PEER_MAX 128

enum command_kind {
	COMMAND_STATUS,
	COMMAND_LIST,
	COMMAND_PEERS,
	COMMAND_RELOAD,
	COMMAND_DROP_PEER,
	COMMAND_DROP_PORT,
	COMMAND_FORWARD_ADD,
	COMMAND_FORWARD_DEL,
	COMMAND_FORWARD_LIST,
};

struct command {
	enum command_kind kind;
	uint8_t peer[32];		/* COMMAND_DROP_PEER */
	enum mapping_proto proto;	/* COMMAND_DROP_PORT */
	uint16_t port;			/* COMMAND_FORWARD_DEL too */
	/* COMMAND_FORWARD_*: the peer as named (key or policy name; empty:
	 * every peer's, for list), the forward to add, the protocols of a
	 * delete. */
	char peer_id[COMMAND_PEER_MAX];
	struct policy_forward forward;
	unsigned protos;
};

/* 0, or -1 with the reason (for the client) in err. */
int command_parse(const char *text, struct command *cmd, char *err, size_t len);

#endif
