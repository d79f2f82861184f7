/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the gateway does when WireGuard peers, interfaces or addresses
 * change (the WireGuard watch's callbacks), and the reserved ports and the
 * external address that follow from them. */
#include "daemon/core.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "daemon/announce.h"
#include "daemon/ownaddrs.h"
#include "daemon/sockets.h"
#include "daemon/tableguard.h"
#include "daemon/upnp_server.h"
#include "daemon/wgwatch.h"
#include "natpmp/codec.h"
#include "nft/nft.h"
#include "util/base64.h"
#include "util/log.h"
#include "wgpeer/rtnl.h"

static void log_event(const struct gateway *g, const struct wg_event *e)
{
	char peer[9];

	key_to_short(peer, e->key);
	switch (e->type) {
	case WG_EVENT_PEER_ADDED:
		log_debug("wg: peer %s added", peer);
		break;
	case WG_EVENT_PEER_REMOVED:
		log_info("wg: peer %s is gone", peer);
		break;
	case WG_EVENT_HANDSHAKE_STALE:
		log_info("wg: peer %s has not completed a handshake for %u s",
			 peer, g->policy.stale_handshake);
		break;
	case WG_EVENT_ALLOWED_IPS_LOST:
		log_info("wg: peer %s lost %zu allowed-ips prefix(es)", peer, e->n_lost);
		break;
	case WG_EVENT_ALLOWED_IPS_GAINED:
		log_debug("wg: peer %s has new allowed-ips", peer);
		break;
	}
}

/* The mappings (of these kinds) of every peer an event of this type names
 * go in one transaction, for one reason. */
static void drop_peers(struct gateway *g, const struct wg_events *ev,
		       enum wg_event_type type, enum mapping_kinds kinds,
		       enum change_reason why, enum stat_counter counter)
{
	bool open = false;

	for (size_t i = 0; i < ev->n; i++) {
		if (ev->items[i].type != type)
			continue;
		if (!open && mapping_table_begin(g->mappings) < 0)
			return;
		open = true;
		if (mapping_table_drop_peer(g->mappings, ev->items[i].key, kinds))
			stats_count(&g->stats, counter, 1);
	}
	if (open && gateway_apply(g, why) < 0)
		g->sweep_needed = true;
}

/* Who owns which address changed: a lost prefix, and also a prefix that
 * appeared (a new peer's /32 inside another peer's routed /24 takes that
 * host's traffic from it). */
static bool owners_moved(const struct wg_event *e)
{
	return e->type == WG_EVENT_ALLOWED_IPS_LOST || e->type == WG_EVENT_ALLOWED_IPS_GAINED ||
	       e->type == WG_EVENT_PEER_ADDED;
}

static void handle_events(struct gateway *g, struct wg_events *ev, unsigned flags)
{
	bool moved = false;

	for (size_t i = 0; i < ev->n; i++) {
		log_event(g, &ev->items[i]);
		moved |= owners_moved(&ev->items[i]);
	}
	/* A peer that left the interface takes its static forwards along;
	 * a stale one is still there and keeps them. */
	drop_peers(g, ev, WG_EVENT_PEER_REMOVED, MAPPING_ANY,
		   wg_watch_present(g->wg) ? REASON_PEER_GONE : REASON_INTERFACE_GONE,
		   STAT_PEERS_VANISHED);
	drop_peers(g, ev, WG_EVENT_HANDSHAKE_STALE, MAPPING_DYNAMIC, REASON_PEER_STALE,
		   STAT_PEERS_STALE);
	/* Each mapping whose address is no longer its peer's goes; the
	 * others stay. (The first read sweeps everything anyway.) */
	if (moved && !(flags & WG_WATCH_FIRST_READ))
		gateway_sweep(g, REASON_ADDRESS_LOST);
}

void gateway_sync_reserved(struct gateway *g)
{
	const struct wg_device_info *dev = wg_tracker_device(wg_watch_tracker(g->wg));

	mapping_table_clear_reserved(g->mappings);
	for (size_t i = 0; i < g->policy.n_reserved; i++)
		mapping_table_reserve_port(g->mappings, g->policy.reserved[i], true);
	mapping_table_reserve_port(g->mappings, NATPMP_SERVER_PORT, true);
	mapping_table_reserve_port(g->mappings, NATPMP_CLIENT_PORT, true);
	if (dev->listen_port)
		mapping_table_reserve_port(g->mappings, dev->listen_port, true);
	/* Never handed out, also while their peer is away. */
	for (size_t i = 0; i < g->policy.n_forwards; i++)
		for (unsigned k = 0; k < forward_span(&g->policy.forwards[i]); k++)
			mapping_table_reserve_port(g->mappings, (uint16_t)(
				g->policy.forwards[i].external_port + k), true);
}

static void peers_changed(void *arg, struct wg_events *ev, unsigned flags)
{
	struct gateway *g = arg;

	if (flags & WG_WATCH_LISTEN_PORT) {
		gateway_sync_reserved(g);
		gateway_sweep(g, REASON_RESERVED);
	}
	handle_events(g, ev, flags);
	/* The tunnel came back (a link brought up, a primary taking over in
	 * an HA pair): the gateway starts serving again, as at a start, and
	 * says so (RFC 6886 §3.2.1). On WireGuard the announcement is also
	 * what starts a handshake with every peer, so clients find this box. */
	if ((flags & WG_WATCH_BACK) && !(flags & WG_WATCH_FIRST_READ) && g->external[IP_V4].known)
		announcer_start(g->announcer);
	/* A peer that came (back), or whose address did: its forwards. */
	gateway_sync_statics(g);
	if (flags & (WG_WATCH_LISTEN_PORT | WG_WATCH_FIRST_READ))
		gateway_warn_statics(g);
	if (mapping_table_count(g->mappings, MAPPING_UDP) +
	    mapping_table_count(g->mappings, MAPPING_TCP))
		gateway_sweep_local_services(g);
	if (g->tunnel.unbound)
		gateway_sync_sockets(g);
	if (own_addrs_stale(g->own))
		gateway_sync_own_addrs(g);
	/* After a restart, adopted mappings whose peer is not there go; after
	 * a refused drop, the same sweep catches up. */
	if (flags & WG_WATCH_FIRST_READ)
		gateway_sweep(g, REASON_PEER_ABSENT);
	else if (g->sweep_needed && wg_watch_present(g->wg))
		gateway_sweep(g, REASON_RETRY);
}

/* The kernel's guard (the input chains) drops UDP 5351 to these
 * addresses that did not come through the tunnel: kept whether or not we
 * listen. */
static void sync_tunnel_set(struct gateway *g, enum ip_family fam,
			    const struct ip_addr *addrs, size_t n)
{
	int ret;

	if (n == g->tunnel.n[fam] && !memcmp(addrs, g->tunnel.addrs[fam], n * sizeof(*addrs)))
		return;
	ret = nft_writer_set_tunnel(g->nft, fam, addrs, n);
	if (ret < 0) {
		log_warnx("nft: cannot set the tunnel's %s addresses: %s",
			  fam == IP_V4 ? "IPv4" : "IPv6", strerror(-ret));
		return;	/* tried again at the next change */
	}
	memcpy(g->tunnel.addrs[fam], addrs, n * sizeof(*addrs));
	g->tunnel.n[fam] = n;
}

/* UPnP's sockets follow the interface: opened when it is there, opened
 * again when it was made anew (a new index), closed while it is gone. */
static void sync_upnp(struct gateway *g)
{
	static const struct upnp_server_ops ops = { gateway_upnp_peer_ok, gateway_upnp_control };
	struct upnp_server_config cfg = {
		.ifname = g->policy.interface,
		.ifindex = g->tunnel.ifindex,
		.http_port = g->policy.upnp_port,
		.version = g->policy.upnp_version,
		.friendly_name = "portgate",
	};

	if (!g->policy.upnp || (g->upnp && upnp_server_ifindex(g->upnp) == g->tunnel.ifindex))
		return;
	upnp_server_close(g->upnp);
	g->upnp = NULL;
	if (!g->tunnel.ifindex)
		return;
	/* The UDNs stay across restarts: made from the interface's name. */
	memcpy(cfg.seed, g->policy.interface, strnlen(g->policy.interface, sizeof(cfg.seed)));
	g->upnp = upnp_server_open(&g->loop, &cfg, &ops, g, &g->stats);
	if (!g->upnp)
		g->tunnel.unbound++;	/* tried again at the next poll */
}

/* One socket per address of the WireGuard interface (the global IPv6
 * ones while the policy serves IPv6), and no other; the guard sets follow
 * them. */
int gateway_sync_sockets(struct gateway *g)
{
	struct rtnl_watch *rtnl = wg_watch_rtnl(g->wg);
	struct rtnl_link_state st;
	struct ip_addr addrs[PMP_SOCKETS_MAX];
	size_t n;

	if (rtnl_link_get(rtnl, g->policy.interface, &st) < 0)
		st.exists = false;
	g->tunnel.ifindex = st.exists ? st.ifindex : 0;
	g->tunnel.unbound = 0;
	for (enum ip_family fam = IP_V4; fam < IP_FAMILIES; fam++) {
		/* IPv4's addresses are read even when the link query failed
		 * (a transient error must not close its sockets); IPv6's only
		 * for an interface that is there. */
		if ((fam == IP_V6 && !st.exists) ||
		    rtnl_addrs(rtnl, g->policy.interface, fam, addrs, PMP_SOCKETS_MAX, &n) < 0)
			n = 0;
		sync_tunnel_set(g, fam, addrs, n);
		if (fam == IP_V6 && g->policy.ipv6_mode == POLICY_IPV6_OFF)
			n = 0;
		g->tunnel.unbound += pmp_sockets_sync(g->sockets, fam, addrs, n);
	}
	sync_upnp(g);
	return g->tunnel.unbound ? -EADDRINUSE : 0;
}

#define EXTERNAL_ADDRS_MAX 64

/* Of an interface's n addresses (the kernel's order), the one in use while
 * it is still there, else the first: an address added beside it (a
 * secondary, a VIP, an IPv6 privacy address, all listed first) changes
 * nothing, and one of narrower scope is never listed (rtnl_addrs). */
static const struct ip_addr *address_kept(const struct ip_addr *addrs, size_t n,
					  const struct ip_addr *in_use)
{
	for (size_t i = 0; in_use && i < n; i++)
		if (ip_addr_equal(&addrs[i], in_use))
			return in_use;
	return addrs;
}

static bool external_from_interface(struct gateway *g, enum ip_family fam,
				    const char *ifname, struct ip_addr *addr)
{
	struct ip_addr addrs[EXTERNAL_ADDRS_MAX];
	size_t n = 0;

	if (rtnl_addrs(wg_watch_rtnl(g->wg), ifname, fam, addrs, EXTERNAL_ADDRS_MAX, &n) < 0 || !n)
		return false;
	*addr = *address_kept(addrs, n, g->external[fam].known ? &g->external[fam].addr : NULL);
	return true;
}

/* The family's external address as the policy and the interfaces have it
 * now (IPv4: external.address or the interface's; IPv6: nat66's
 * interface's), and what clients are told (external.advertise(6)). */
static bool external_wanted(struct gateway *g, enum ip_family fam, struct ip_addr *addr,
			    struct ip_addr *told)
{
	const struct policy *p = &g->policy;
	bool known;

	memset(addr, 0, sizeof(*addr));
	if (fam == IP_V4 && p->has_external_address) {
		*addr = p->external_address;
		known = true;
	} else if (fam == IP_V4) {
		known = external_from_interface(g, fam, p->external_interface, addr);
	} else {
		known = p->ipv6_mode == POLICY_IPV6_NAT66 &&
			external_from_interface(g, fam, p->ipv6_external_interface, addr);
	}
	*told = p->has_advertise[fam] ? p->advertise[fam] : *addr;
	return known;
}

static void log_external(const struct gateway *g, enum ip_family fam)
{
	static const char *const label[IP_FAMILIES] = { "external address",
							"external IPv6 address" };
	const struct ip_addr *addr = &g->external[fam].addr, *told = &g->external[fam].told;
	bool advertised = !ip_addr_equal(addr, told);
	char at[IP_ADDR_TEXT_LEN], tt[IP_ADDR_TEXT_LEN];

	if (g->external[fam].known)
		log_info("%s %s%s%s%s", label[fam], ip_addr_text(addr, at),
			 fam == IP_V6 ? " (nat66)" : "", advertised ? ", advertised as " : "",
			 advertised ? ip_addr_text(told, tt) : "");
	else if (fam == IP_V4)
		log_warnx("external interface %s has no IPv4 address",
			  g->policy.external_interface);
	else if (g->policy.ipv6_mode == POLICY_IPV6_NAT66)
		log_warnx("ipv6.external interface %s has no global IPv6 address: IPv6 "
			  "requests get NETWORK_FAILURE", g->policy.ipv6_external_interface);
}

/* Announced on a change only (RFC 6886 §3.2.1: acquiring an external
 * address, or a new one; RFC 6887 §14.1.3 for IPv6, on the same
 * schedule); the tunnel coming back announces in peers_changed. */
static void sync_external(struct gateway *g, enum ip_family fam)
{
	struct ip_addr addr, told;
	bool known = external_wanted(g, fam, &addr, &told);
	bool moved = known != g->external[fam].known ||
		     (known && !ip_addr_equal(&addr, &g->external[fam].addr));
	int ret;

	if (!moved && (!known || ip_addr_equal(&told, &g->external[fam].told)))
		return;
	ret = moved ? nft_writer_set_external(g->nft, fam, &addr, known ? 1 : 0) : 0;
	if (ret < 0) {
		log_warnx("nft: cannot set the %s: %s", fam == IP_V4 ? "external address"
			  : "external IPv6 address", strerror(-ret));
		return;
	}
	/* Clients hear of a new address they are told, not of a new address
	 * behind the one advertised. */
	bool announce = known && (!g->external[fam].known ||
				  !ip_addr_equal(&told, &g->external[fam].told));

	g->external[fam].known = known;
	g->external[fam].addr = addr;
	g->external[fam].told = told;
	log_external(g, fam);
	if (announce)
		announcer_start(g->announcer);
}

void gateway_sync_external(struct gateway *g)
{
	for (enum ip_family fam = IP_V4; fam < IP_FAMILIES; fam++)
		sync_external(g, fam);
}

static void links_changed(void *arg)
{
	struct gateway *g = arg;

	gateway_sync_sockets(g);
	gateway_sync_external(g);
	gateway_sync_own_addrs(g);
}

static void poll_settled(void *arg)
{
	struct gateway *g = arg;

	table_guard_check(g->guard);
	gateway_requests_settled(g);
}

const struct wg_watch_ops gateway_wg_ops = {
	.peers = peers_changed,
	.links = links_changed,
	.settled = poll_settled,
};
