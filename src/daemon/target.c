/* SPDX-License-Identifier: GPL-2.0-or-later */
/* See target.h. The address is refused by its class first (no peer's host
 * is ever loopback or multicast), then if it is the gateway's own, then
 * unless the peer owns it through an allowed-ip the policy accepts. */
#include "daemon/core.h"

#include <string.h>

#include "daemon/ownaddrs.h"
#include "daemon/wgwatch.h"
#include "util/addrclass.h"
#include "util/log.h"

static const struct {
	const char *label, *text;
} verdicts[TARGET_VERDICT_COUNT] = {
	[TARGET_ALLOWED] = { "allowed", "allowed" },
	[TARGET_SPECIAL] = { "special", "not a host address (loopback, multicast, "
					 "broadcast, link-local, unspecified)" },
	[TARGET_GATEWAY] = { "gateway", "an address of the gateway itself" },
	[TARGET_NOT_OWNED] = { "not_owned", "not in the peer's allowed-ips" },
	[TARGET_CATCH_ALL] = { "catch_all", "the peer's only through a catch-all "
					    "allowed-ip (catch_all_peers: false)" },
};

const char *target_verdict_label(enum target_verdict v)
{
	return verdicts[v].label;
}

const char *target_verdict_text(enum target_verdict v)
{
	return verdicts[v].text;
}

/* What the address is, whoever owns it: never a host, or the gateway's. */
static enum target_verdict class_verdict(const struct gateway *g, const struct ip_addr *addr)
{
	if (addr_class_of(addr->b) & g->refused_classes)
		return TARGET_SPECIAL;
	if (own_addrs_has(g->own, addr))
		return TARGET_GATEWAY;
	return TARGET_ALLOWED;
}

static enum target_verdict prefix_verdict(const struct gateway *g, const struct ip_addr *addr,
					  uint8_t cidr)
{
	return policy_refuses_prefix(&g->policy, !ip_addr_is_v4(addr), cidr) ? TARGET_CATCH_ALL
									     : TARGET_ALLOWED;
}

enum target_verdict gateway_check_target(const struct gateway *g, const uint8_t *peer,
					 const struct ip_addr *addr)
{
	enum target_verdict v = class_verdict(g, addr);
	uint8_t owner[32], cidr = 0;

	if (v != TARGET_ALLOWED)
		return v;
	/* Before the first read of the peers nobody is known: adopted
	 * mappings wait for it rather than being dropped. */
	if (!wg_watch_valid(g->wg))
		return TARGET_ALLOWED;
	if (!wg_tracker_lookup(wg_watch_tracker(g->wg), addr, owner, &cidr) ||
	    memcmp(owner, peer, 32))
		return TARGET_NOT_OWNED;
	return prefix_verdict(g, addr, cidr);
}

enum target_verdict gateway_check_owned_target(const struct gateway *g,
					       const struct ip_addr *addr, uint8_t cidr)
{
	enum target_verdict v = class_verdict(g, addr);

	return v != TARGET_ALLOWED ? v : prefix_verdict(g, addr, cidr);
}

int gateway_sync_own_addrs(struct gateway *g)
{
	int ret = own_addrs_refresh(g->own, wg_watch_rtnl(g->wg));

	if (ret < 0) {
		log_warnx("rtnetlink: cannot read the gateway's own addresses: %s; "
			  "the last ones read still apply", strerror(-ret));
		return ret;
	}
	/* A forward to an address the gateway has just taken goes now. */
	if (ret > 0 && mapping_table_count(g->mappings, MAPPING_UDP) +
			       mapping_table_count(g->mappings, MAPPING_TCP))
		gateway_sweep(g, REASON_GATEWAY_ADDRESS);
	return 0;
}
