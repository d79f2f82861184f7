/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/commands.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "daemon/command.h"
#include "daemon/gateway.h"
#include "daemon/policy.h"
#include "util/base64.h"
#include "util/clock.h"
#include "wgpeer/wgpeer.h"

static const char *peer_name(const struct gateway *g, const uint8_t *key)
{
	const struct policy_peer *p = policy_peer_find(gateway_policy(g), key);

	return p && p->name[0] ? p->name : NULL;
}

static json_t *key_json(const uint8_t *key)
{
	char b64[KEY_B64_LEN + 1];

	key_to_base64(b64, key);
	return json_string(b64);
}

static json_t *addr_json(uint32_t addr)
{
	struct in_addr a = { htonl(addr) };

	return json_string(inet_ntoa(a));
}

static size_t dynamic_count(const struct mapping_table *t, enum mapping_proto proto)
{
	return mapping_table_count(t, proto) - mapping_table_count_static(t, proto);
}

static json_t *do_status(struct gateway *g)
{
	const struct wg_device_info *dev = gateway_peers(g);
	const struct policy *pol = gateway_policy(g);
	const struct mapping_table *t = gateway_mappings(g);
	uint32_t ext, matched;
	bool known = gateway_external(g, &ext);
	json_t *st;

	/* mappings: what clients asked for; static_forwards: the policy's. */
	st = json_pack("{s:s, s:I, s:I, s:o, s:s, s:s, s:I, s:{s:I, s:I}, s:{s:I, s:I}, "
		       "s:{s:s, s:I}}",
		"version", PORTGATE_VERSION,
		"uptime", (json_int_t)(time(NULL) - gateway_started(g)),
		"epoch", (json_int_t)gateway_epoch(g),
		"external_address", known ? addr_json(ext) : json_null(),
		"interface", pol->interface,
		"wireguard_backend", gateway_wg_backend(g),
		"peers", (json_int_t)dev->n_peers,
		"mappings", "udp", (json_int_t)dynamic_count(t, MAPPING_UDP),
			    "tcp", (json_int_t)dynamic_count(t, MAPPING_TCP),
		"static_forwards", "udp", (json_int_t)mapping_table_count_static(t, MAPPING_UDP),
				   "tcp", (json_int_t)mapping_table_count_static(t, MAPPING_TCP),
		"policy", "path", pol->path, "loaded_at", (json_int_t)pol->loaded_at);
	/* Where forwards arrive, when clients are told another address. */
	if (st && gateway_external_matched(g, &matched) && matched != ext)
		json_object_set_new(st, "matched_address", addr_json(matched));
	return st;
}

struct list_ctx {
	struct gateway *g;
	json_t *arr;
	int64_t now;
};

/* The internal address, unbracketed. */
static json_t *internal_json(const struct mapping_view *v)
{
	char a[INET6_ADDRSTRLEN];

	if (v->space == MAPPING_SPACE_IPV4)
		return addr_json(v->addr);
	return json_string(inet_ntop(AF_INET6, v->addr6, a, sizeof(a)));
}

static void list_one(const struct mapping_view *v, void *arg)
{
	struct list_ctx *ctx = arg;
	const char *name = peer_name(ctx->g, v->peer);
	int64_t left = (v->expires_ms - ctx->now + 999) / 1000;

	/* A static forward never expires: no lifetime, nothing remaining. */
	json_array_append_new(ctx->arr, json_pack(
		"{s:o, s:o, s:s, s:s, s:s, s:s, s:s, s:i, s:o, s:i, s:i, s:o, s:o}",
		"peer", key_json(v->peer),
		"peer_name", name ? json_string(name) : json_null(),
		"family", space_family(v->space),
		/* ipv4 and nat66: the gateway's external address; routed:
		 * the peer's own (a pinhole, no NAT). */
		"path", v->space == MAPPING_SPACE_ROUTED6 ? "routed" : "nat",
		"kind", v->is_static ? "static" : "dynamic",
		/* The protocol that made or last renewed it; the policy's own. */
		"via", v->is_static ? "policy" : v->via == MAPPING_VIA_PCP ? "pcp" : "natpmp",
		"protocol", proto_name(v->proto),
		"external_port", v->external_port,
		"internal_address", internal_json(v),
		"internal_port", v->target_port,
		"requested_internal_port", v->internal_port,
		"lifetime", v->is_static ? json_null() : json_integer(v->lifetime),
		"remaining", v->is_static ? json_null()
					  : json_integer(left > 0 ? left : 0)));
}

static json_t *do_list(struct gateway *g)
{
	struct list_ctx ctx = { g, json_array(), mono_now_ms() };

	mapping_table_foreach(gateway_mappings(g), list_one, &ctx);
	return json_pack("{s:o}", "mappings", ctx.arr);
}

static json_t *do_peers(struct gateway *g)
{
	const struct wg_device_info *dev = gateway_peers(g);
	json_t *arr = json_array();

	for (size_t i = 0; i < dev->n_peers; i++) {
		const struct wg_peer_info *p = &dev->peers[i];
		const char *name = peer_name(g, p->key);
		json_t *ips = json_array();

		for (size_t k = 0; k < p->n_ips; k++) {
			char a[INET6_ADDRSTRLEN], s[INET6_ADDRSTRLEN + 4];

			inet_ntop(p->ips[k].family, p->ips[k].addr, a, sizeof(a));
			snprintf(s, sizeof(s), "%s/%u", a, p->ips[k].cidr);
			json_array_append_new(ips, json_string(s));
		}
		json_array_append_new(arr, json_pack("{s:o, s:o, s:o, s:I, s:I, s:b}",
			"key", key_json(p->key),
			"name", name ? json_string(name) : json_null(),
			"allowed_ips", ips,
			"mappings", (json_int_t)mapping_table_peer_ports(gateway_mappings(g), p->key),
			"last_handshake", (json_int_t)p->last_handshake_sec,
			"denied", policy_denies(gateway_policy(g), p->key)));
	}
	return json_pack("{s:o}", "peers", arr);
}

static json_t *error_json(const char *msg)
{
	return json_pack("{s:s}", "error", msg);
}

static json_t *do_drop(struct gateway *g, const struct command *cmd)
{
	size_t n = 0;
	int ret = cmd->kind == COMMAND_DROP_PEER
		? gateway_drop_peer(g, cmd->peer, &n)
		: gateway_drop_port(g, cmd->proto, cmd->port, &n);

	if (ret == -EPERM)
		return error_json("a static forward of the policy; remove it there and "
				  "reload");
	if (ret < 0)
		return error_json("the kernel refused the change; nothing changed");
	return json_pack("{s:I}", "dropped", (json_int_t)n);
}

static json_t *handle(struct gateway *g, const char *text)
{
	struct command cmd;
	const char *why;
	char err[512];

	if (command_parse(text, &cmd, &why) < 0)
		return error_json(why);
	switch (cmd.kind) {
	case COMMAND_STATUS:
		return do_status(g);
	case COMMAND_LIST:
		return do_list(g);
	case COMMAND_PEERS:
		return do_peers(g);
	case COMMAND_RELOAD:
		return gateway_reload(g, err, sizeof(err)) == 0 ? json_pack("{s:b}", "ok", 1)
								: error_json(err);
	case COMMAND_DROP_PEER:
	case COMMAND_DROP_PORT:
		return do_drop(g, &cmd);
	}
	return error_json("unknown command");
}

char *gateway_command(void *arg, const char *request)
{
	json_t *answer = handle(arg, request);
	char *text;

	if (!answer)
		return NULL;
	text = json_dumps(answer, JSON_COMPACT);
	json_decref(answer);
	return text;
}
