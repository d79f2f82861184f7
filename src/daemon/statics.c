/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The admin's static forwards (policy `forwards:`): each stands in the
 * mapping table, and so in the kernel, while its peer is on the WireGuard
 * interface and owns the forward's address. They are staged into the same
 * transactions as everything else: a vanished peer's forwards go with its
 * other mappings, a reload changes them all at once. */
#include "daemon/core.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "daemon/wgwatch.h"
#include "util/addrclass.h"
#include "util/base64.h"
#include "util/log.h"
#include "wgpeer/device.h"

/* The peer's first IPv4 allowed-ip of one address. */
static bool peer_host_address(const struct wg_peer_info *peer, struct ip_addr *addr)
{
	for (size_t i = 0; i < peer->n_ips; i++) {
		const struct wg_allowed_ip *ip = &peer->ips[i];

		if (ip->family != AF_INET || ip->cidr != 32)
			continue;
		*addr = wg_allowed_ip_addr(ip);
		return true;
	}
	return false;
}

/* The forward's peer as the interface has it now, or NULL. */
static const struct wg_peer_info *peer_of(const struct gateway *g,
					  const struct policy_forward *f)
{
	if (!wg_watch_present(g->wg))
		return NULL;
	return wg_device_find(wg_tracker_device(wg_watch_tracker(g->wg)), f->key);
}

/* Where the forward goes now, and whether the target rule lets it: a
 * peer not on the interface, or without a single address, has none. */
static bool static_target(struct gateway *g, const struct policy_forward *f,
			  struct ip_addr *addr, enum target_verdict *verdict)
{
	const struct wg_peer_info *peer;

	*verdict = TARGET_NOT_OWNED;
	if (!(peer = peer_of(g, f)))
		return false;
	if (f->has_address)
		*addr = ip_addr_from_v4(f->address);
	else if (!peer_host_address(peer, addr))
		return false;
	*verdict = gateway_check_target(g, f->key, addr);
	return *verdict == TARGET_ALLOWED;
}

/* The WireGuard port is never forwarded away, whatever the policy says,
 * also not as one port of a range. */
static bool static_ports_usable(const struct gateway *g, const struct policy_forward *f)
{
	const struct wg_device_info *dev = wg_tracker_device(wg_watch_tracker(g->wg));

	return !forward_covers(f, dev->listen_port);
}

bool gateway_static_allowed(struct gateway *g, const struct mapping_view *v)
{
	const struct policy_forward *f = policy_forward_at(&g->policy, v->proto,
							   v->external_port);
	enum target_verdict verdict;
	struct ip_addr addr;

	return f && !memcmp(f->key, v->peer, 32) &&
	       forward_target(f, v->external_port) == v->target_port &&
	       static_ports_usable(g, f) && static_target(g, f, &addr, &verdict) &&
	       ip_addr_equal(&addr, &v->addr);
}

int gateway_stage_statics(struct gateway *g)
{
	for (size_t i = 0; i < g->policy.n_forwards; i++) {
		const struct policy_forward *f = &g->policy.forwards[i];
		struct mapping_view v = { .peer = f->key };
		enum target_verdict verdict;

		if (!static_ports_usable(g, f) || !static_target(g, f, &v.addr, &verdict))
			continue;
		/* A range: one mapping, so one kernel element, per port. */
		for (unsigned k = 0; k < forward_span(f); k++) {
			v.external_port = (uint16_t)(f->external_port + k);
			v.target_port = forward_target(f, v.external_port);
			for (int p = 0; p < MAPPING_PROTO_COUNT; p++) {
				int ret;

				if (!(f->protos & (1u << p)))
					continue;
				v.proto = (enum mapping_proto)p;
				if ((ret = mapping_table_put_static(g->mappings, &v)) < 0)
					return ret;
			}
		}
	}
	return 0;
}

void gateway_sync_statics(struct gateway *g)
{
	if (!g->policy.n_forwards || mapping_table_begin(g->mappings) < 0)
		return;
	if (gateway_stage_statics(g) < 0) {
		mapping_table_rollback(g->mappings);
		log_warnx("static forwards: out of memory; tried again at the next poll");
		return;
	}
	gateway_apply(g, REASON_POLICY);
}

const char *gateway_static_unusable(struct gateway *g, const struct policy_forward *f,
				    char *buf, size_t len)
{
	const struct wg_peer_info *peer;
	enum target_verdict verdict;
	char a[IP_ADDR_TEXT_LEN];
	struct ip_addr addr, host;

	if (!static_ports_usable(g, f))
		return "its external port is the WireGuard listen port";
	if (!(peer = peer_of(g, f)) || static_target(g, f, &addr, &verdict))
		return NULL;	/* absent (normal) or fine */
	if (!f->has_address && !peer_host_address(peer, &host))
		return "the peer has no single-address (/32) allowed-ip: give address:";
	snprintf(buf, len, "its address %s is %s", ip_addr_text(&addr, a),
		 target_verdict_text(verdict));
	return buf;
}

void gateway_warn_statics(struct gateway *g)
{
	for (size_t i = 0; i < g->policy.n_forwards; i++) {
		const struct policy_forward *f = &g->policy.forwards[i];
		char buf[160];
		const char *why = gateway_static_unusable(g, f, buf, sizeof(buf));

		if (why && f->runtime)
			log_warnx("the static forward of port %u added at run time is not "
				  "installed: %s", f->external_port, why);
		else if (why)
			log_warnx("%s:%u: the static forward of port %u is not installed: %s",
				  g->policy.path, f->line, f->external_port, why);
	}
}
