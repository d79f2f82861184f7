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
#include "daemon/forwardspec.h"
#include "daemon/gateway.h"
#include "daemon/policy.h"
#include "util/base64.h"
#include "util/clock.h"
#include "wgpeer/tracker.h"

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

json_t *ip_addr_json(const struct ip_addr *a)
{
	char text[IP_ADDR_TEXT_LEN];

	return json_string(ip_addr_text(a, text));
}

static size_t dynamic_count(const struct mapping_table *t, enum mapping_proto proto)
{
	return mapping_table_count(t, proto) - mapping_table_count_static(t, proto);
}

json_t *gateway_status_json(struct gateway *g)
{
	const struct wg_device_info *dev = wg_tracker_device(gateway_tracker(g));
	const struct policy *pol = gateway_policy(g);
	const struct mapping_table *t = gateway_mappings(g);
	struct ip_addr ext, matched;
	bool known = gateway_external(g, &ext);
	json_t *st;

	/* mappings: what clients asked for; static_forwards: the policy's. */
	st = json_pack("{s:s, s:I, s:I, s:o, s:s, s:s, s:I, s:{s:I, s:I}, s:{s:I, s:I}, "
		       "s:{s:s, s:I}}",
		"version", PORTGATE_VERSION,
		"uptime", (json_int_t)(time(NULL) - gateway_started(g)),
		"epoch", (json_int_t)gateway_epoch(g),
		"external_address", known ? ip_addr_json(&ext) : json_null(),
		"interface", pol->interface,
		"wireguard_backend", wg_tracker_backend(gateway_tracker(g)),
		"peers", (json_int_t)dev->n_peers,
		"mappings", "udp", (json_int_t)dynamic_count(t, MAPPING_UDP),
			    "tcp", (json_int_t)dynamic_count(t, MAPPING_TCP),
		"static_forwards", "udp", (json_int_t)mapping_table_count_static(t, MAPPING_UDP),
				   "tcp", (json_int_t)mapping_table_count_static(t, MAPPING_TCP),
		"policy", "path", pol->path, "loaded_at", (json_int_t)pol->loaded_at);
	/* Where forwards arrive, when clients are told another address. */
	if (st && gateway_external_matched(g, &matched) && !ip_addr_equal(&matched, &ext))
		json_object_set_new(st, "matched_address", ip_addr_json(&matched));
	return st;
}

struct list_ctx {
	struct gateway *g;
	json_t *arr;
	int64_t now;
	const uint8_t *peer;	/* NULL: every peer's */
};


static void list_one(const struct mapping_view *v, void *arg)
{
	struct list_ctx *ctx = arg;
	const char *name = peer_name(ctx->g, v->peer);
	int64_t left = (v->expires_ms - ctx->now + 999) / 1000;

	if (ctx->peer && memcmp(ctx->peer, v->peer, 32))
		return;
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
		"via", v->is_static ? "policy" : mapping_via_label(v->via),
		"protocol", proto_name(v->proto),
		"external_port", v->external_port,
		"internal_address", ip_addr_json(&v->addr),
		"internal_port", v->target_port,
		"requested_internal_port", v->internal_port,
		"lifetime", v->is_static ? json_null() : json_integer(v->lifetime),
		"remaining", v->is_static ? json_null()
					  : json_integer(left > 0 ? left : 0)));
}

json_t *gateway_mappings_json(struct gateway *g, const uint8_t *peer)
{
	struct list_ctx ctx = { g, json_array(), mono_now_ms(), peer };

	mapping_table_foreach(gateway_mappings(g), list_one, &ctx);
	return json_pack("{s:o}", "mappings", ctx.arr);
}

json_t *gateway_peers_json(struct gateway *g)
{
	const struct wg_device_info *dev = wg_tracker_device(gateway_tracker(g));
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

json_t *gateway_error_json(const char *msg)
{
	return json_pack("{s:s}", "error", msg);
}

char *gateway_json_text(json_t *answer)
{
	char *text;

	if (!answer)
		return NULL;
	text = json_dumps(answer, JSON_COMPACT);
	json_decref(answer);
	return text;
}

/* Static forwards as entries (one per forward as written, not per
 * protocol), with whose they are and whether the kernel holds them. */
json_t *gateway_forwards_json(struct gateway *g, const uint8_t *peer)
{
	const struct policy *pol = gateway_policy(g);
	json_t *arr = json_array();

	for (size_t i = 0; i < pol->n_forwards; i++) {
		const struct policy_forward *f = &pol->forwards[i];
		const char *name = peer_name(g, f->key);
		enum mapping_proto first = f->protos & (1u << MAPPING_UDP) ? MAPPING_UDP
									    : MAPPING_TCP;
		json_t *o;

		if (peer && memcmp(peer, f->key, 32))
			continue;
		o = forward_to_json(f, false);
		json_object_set_new(o, "peer", key_json(f->key));
		json_object_set_new(o, "peer_name", name ? json_string(name) : json_null());
		json_object_set_new(o, "origin", json_string(f->runtime ? "runtime" : "policy"));
		json_object_set_new(o, "installed",
				    json_boolean(gateway_forward_installed(g, first,
									   f->external_port)));
		json_array_append_new(arr, o);
	}
	return json_pack("{s:o}", "forwards", arr);
}

json_t *gateway_forward_add_json(struct gateway *g, const uint8_t key[32],
				 const struct policy_forward *spec, int *status)
{
	struct policy_forward f = *spec;
	enum mapping_proto first = f.protos & (1u << MAPPING_UDP) ? MAPPING_UDP : MAPPING_TCP;
	char err[512];

	memcpy(f.key, key, 32);
	f.runtime = true;
	*status = gateway_forward_add(g, &f, err, sizeof(err));
	if (*status < 0)
		return gateway_error_json(err);
	/* Not installed: its peer is not on the interface now. */
	return json_pack("{s:b, s:b}", "ok", 1, "installed",
			 gateway_forward_installed(g, first, f.external_port));
}

json_t *gateway_forward_del_json(struct gateway *g, const uint8_t key[32], unsigned protos,
				 uint16_t port, int *status)
{
	size_t n = 0;
	char err[512];

	*status = gateway_forward_del(g, key, protos, port, &n, err, sizeof(err));
	if (*status < 0)
		return gateway_error_json(err);
	return json_pack("{s:b, s:I}", "ok", 1, "removed", (json_int_t)n);
}

static json_t *do_forward(struct gateway *g, const struct command *cmd)
{
	uint8_t key[32];
	int status;

	if (cmd->peer_id[0] && !peer_resolve(gateway_policy(g), cmd->peer_id, key))
		return gateway_error_json("no such peer: give its public key or its policy name");
	if (cmd->kind == COMMAND_FORWARD_LIST)
		return gateway_forwards_json(g, cmd->peer_id[0] ? key : NULL);
	if (cmd->kind == COMMAND_FORWARD_ADD)
		return gateway_forward_add_json(g, key, &cmd->forward, &status);
	return gateway_forward_del_json(g, key, cmd->protos, cmd->port, &status);
}

static json_t *do_drop(struct gateway *g, const struct command *cmd)
{
	size_t n = 0;
	int ret = cmd->kind == COMMAND_DROP_PEER
		? gateway_drop_peer(g, cmd->peer, &n)
		: gateway_drop_port(g, cmd->proto, cmd->port, &n);

	if (ret == -EPERM)
		return gateway_error_json("a static forward of the policy; remove it there and "
				  "reload");
	if (ret < 0)
		return gateway_error_json("the kernel refused the change; nothing changed");
	return json_pack("{s:I}", "dropped", (json_int_t)n);
}

static json_t *handle(struct gateway *g, const char *text)
{
	struct command cmd;
	char err[512];

	if (command_parse(text, &cmd, err, sizeof(err)) < 0)
		return gateway_error_json(err);
	switch (cmd.kind) {
	case COMMAND_STATUS:
		return gateway_status_json(g);
	case COMMAND_LIST:
		return gateway_mappings_json(g, NULL);
	case COMMAND_PEERS:
		return gateway_peers_json(g);
	case COMMAND_RELOAD:
		return gateway_reload(g, err, sizeof(err)) == 0 ? json_pack("{s:b}", "ok", 1)
								: gateway_error_json(err);
	case COMMAND_DROP_PEER:
	case COMMAND_DROP_PORT:
		return do_drop(g, &cmd);
	case COMMAND_FORWARD_ADD:
	case COMMAND_FORWARD_DEL:
	case COMMAND_FORWARD_LIST:
		return do_forward(g, &cmd);
	}
	return gateway_error_json("unknown command");
}

char *gateway_command(void *arg, const char *request)
{
	return gateway_json_text(handle(arg, request));
}
