/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One control request, parsed from the untrusted text of the control socket
 * (JSON; see commands.h) into what it asks. Pure: no gateway, no I/O. */
#ifndef PORTGATE_DAEMON_COMMAND_H
#define PORTGATE_DAEMON_COMMAND_H

#include <stdint.h>

#include "natpmp/mapping.h"

enum command_kind {
	COMMAND_STATUS,
	COMMAND_LIST,
	COMMAND_PEERS,
	COMMAND_RELOAD,
	COMMAND_DROP_PEER,
	COMMAND_DROP_PORT,
};

struct command {
	enum command_kind kind;
	uint8_t peer[32];		/* COMMAND_DROP_PEER */
	enum mapping_proto proto;	/* COMMAND_DROP_PORT */
	uint16_t port;
};

/* 0, or -1 with the reason (for the client) in *err. */
int command_parse(const char *text, struct command *cmd, const char **err);

#endif
