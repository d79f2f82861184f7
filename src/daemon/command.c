/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/command.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "daemon/forwardspec.h"
#include "util/base64.h"

static int parse_drop(json_t *req, struct command *cmd, char *err, size_t len)
{
	const char *peer = json_string_value(json_object_get(req, "peer"));
	const char *proto = json_string_value(json_object_get(req, "protocol"));
	json_t *port = json_object_get(req, "port");

	if (peer) {
		if (!key_from_base64(cmd->peer, peer)) {
			snprintf(err, len, "peer is not a WireGuard public key");
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
	snprintf(err, len, "drop needs \"peer\", or \"protocol\" (tcp/udp) and \"port\"");
	return -1;
}

/* {"command": "forward", "action": "add"|"del"|"list", "peer": ID, ...}:
 * add carries the forward's own keys, del "protocol" and "port". */
static int parse_forward(json_t *req, struct command *cmd, char *err, size_t len)
{
	const char *action = json_string_value(json_object_get(req, "action"));
	const char *peer = json_string_value(json_object_get(req, "peer"));
	json_t *port = json_object_get(req, "port"), *spec;
	int ret;

	if (peer && (!peer[0] || strlen(peer) >= sizeof(cmd->peer_id))) {
		snprintf(err, len, "peer must be a public key or a peer's name");
		return -1;
	}
	if (peer)
		snprintf(cmd->peer_id, sizeof(cmd->peer_id), "%s", peer);
	if (action && !strcmp(action, "list")) {
		cmd->kind = COMMAND_FORWARD_LIST;
		return 0;
	}
	if (!peer || !action || (strcmp(action, "add") && strcmp(action, "del"))) {
		snprintf(err, len, "forward needs \"action\" (add, del or list) and \"peer\"");
		return -1;
	}
	if (!strcmp(action, "del")) {
		cmd->kind = COMMAND_FORWARD_DEL;
		cmd->protos = forward_protos(json_string_value(json_object_get(req, "protocol")));
		if (!cmd->protos || !json_is_integer(port) || json_integer_value(port) < 1 ||
		    json_integer_value(port) > 65535) {
			snprintf(err, len, "forward del needs \"protocol\" (tcp, udp or both) "
				 "and \"port\"");
			return -1;
		}
		cmd->port = (uint16_t)json_integer_value(port);
		return 0;
	}
	cmd->kind = COMMAND_FORWARD_ADD;
	/* The forward's own keys: everything but the command's. */
	spec = json_deep_copy(req);
	json_object_del(spec, "command");
	json_object_del(spec, "action");
	json_object_del(spec, "peer");
	ret = forward_from_json(spec, false, &cmd->forward, err, len);
	json_decref(spec);
	return ret;
}

int command_parse(const char *text, struct command *cmd, char *err, size_t len)
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
	snprintf(err, len, "expected {\"command\": ...}");
	if (name) {
		snprintf(err, len, "unknown command");
		for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
			if (!strcmp(name, simple[i].name)) {
				cmd->kind = simple[i].kind;
				ret = 0;
			}
		if (!strcmp(name, "drop"))
			ret = parse_drop(req, cmd, err, len);
		if (!strcmp(name, "forward"))
			ret = parse_forward(req, cmd, err, len);
	}
	json_decref(req);
	return ret;
}
