/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/command.h"

#include <string.h>

#include <jansson.h>

#include "util/base64.h"

static int parse_drop(json_t *req, struct command *cmd, const char **err)
{
	const char *peer = json_string_value(json_object_get(req, "peer"));
	const char *proto = json_string_value(json_object_get(req, "protocol"));
	json_t *port = json_object_get(req, "port");

	if (peer) {
		if (!key_from_base64(cmd->peer, peer)) {
			*err = "peer is not a WireGuard public key";
			return -1;
		}
		cmd->kind = COMMAND_DROP_PEER;
		return 0;
	}
	if (proto && json_is_integer(port) && json_integer_value(port) > 0 &&
	    json_integer_value(port) < 65536 &&
	    (!strcmp(proto, "tcp") || !strcmp(proto, "udp"))) {
		cmd->kind = COMMAND_DROP_PORT;
		cmd->proto = !strcmp(proto, "tcp") ? MAPPING_TCP : MAPPING_UDP;
		cmd->port = (uint16_t)json_integer_value(port);
		return 0;
	}
	*err = "drop needs \"peer\", or \"protocol\" (tcp/udp) and \"port\"";
	return -1;
}

int command_parse(const char *text, struct command *cmd, const char **err)
{
	static const struct { const char *name; enum command_kind kind; } simple[] = {
		{ "status", COMMAND_STATUS }, { "list", COMMAND_LIST },
		{ "peers", COMMAND_PEERS }, { "reload", COMMAND_RELOAD },
	};
	json_error_t jerr;
	json_t *req = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	const char *name = json_string_value(json_object_get(req, "command"));
	int ret = -1;

	memset(cmd, 0, sizeof(*cmd));
	*err = "expected {\"command\": ...}";
	if (name) {
		*err = "unknown command";
		for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
			if (!strcmp(name, simple[i].name)) {
				cmd->kind = simple[i].kind;
				ret = 0;
			}
		if (!strcmp(name, "drop"))
			ret = parse_drop(req, cmd, err);
	}
	json_decref(req);
	return ret;
}
