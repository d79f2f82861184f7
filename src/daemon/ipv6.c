/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The IPv6 half of the gateway (ipv6: in the policy): sockets on the
 * tunnel's global IPv6 addresses, the kernel's guard and external sets of
 * the ip6 table, which space a peer's IPv6 mapping lives in, whether it
 * is served. IPv6 is asked for with PCP only (RFC 6886 is IPv4). */
#include "daemon/core.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "daemon/announce.h"
#include "daemon/wgwatch.h"
#include "nft/nft.h"
#include "util/log.h"
#include "wgpeer/rtnl.h"

const char *space_family(enum mapping_space space)
{
	return space == MAPPING_SPACE_IPV4 ? "ipv4" : "ipv6";
}

enum mapping_space gateway_space6(const struct gateway *g)
{
	return g->policy.ipv6_mode == POLICY_IPV6_NAT66 ? MAPPING_SPACE_NAT66
							: MAPPING_SPACE_ROUTED6;
}

/* The kernel's guard (ip6 input chain) drops UDP 5351 to these addresses
 * that did not come through the tunnel: kept whether or not we listen. */
static void sync_tunnel_set6(struct gateway *g, const uint8_t *addrs, size_t n)
{
	int ret;

	if (n == g->tunnel.n6 && !memcmp(addrs, g->tunnel.addrs6, n * 16))
		return;
	ret = nft_writer_set_tunnel6(g->nft, addrs, n);
	if (ret < 0) {
		log_warnx("nft: cannot set the tunnel's IPv6 addresses: %s", strerror(-ret));
		return;	/* tried again at the next change */
	}
	memcpy(g->tunnel.addrs6, addrs, n * 16);
	g->tunnel.n6 = n;
}

size_t gateway_sync_sockets6(struct gateway *g, bool present)
{
	uint8_t addrs[PMP_SOCKETS_MAX][16];
	size_t n = 0;

	if (!present || rtnl_ipv6_addrs(wg_watch_rtnl(g->wg), g->policy.interface,
					   &addrs[0][0], PMP_SOCKETS_MAX, &n) < 0)
		n = 0;
	sync_tunnel_set6(g, &addrs[0][0], n);
	if (g->policy.ipv6_mode == POLICY_IPV6_OFF)
		n = 0;
	return pmp_sockets_sync6(g->sockets, &addrs[0][0], n);
}

#define EXTERNAL6_ADDRS_MAX 32

/* The external interface's first global IPv6 address, or the one in use
 * while the interface still has it: the kernel lists a new address first
 * (a privacy address, one added by hand), and that changes nothing. */
static bool external6_from_interface(struct gateway *g, uint8_t addr[16])
{
	uint8_t addrs[EXTERNAL6_ADDRS_MAX][16];
	size_t n = 0;

	if (rtnl_ipv6_addrs(wg_watch_rtnl(g->wg), g->policy.ipv6_external_interface,
			    &addrs[0][0], EXTERNAL6_ADDRS_MAX, &n) < 0 || !n)
		return false;
	memcpy(addr, gateway_address_kept(addrs, n, 16, g->external6.known
					  ? g->external6.addr : NULL), 16);
	return true;
}

/* A new external IPv6 address is announced (RFC 6887 §14.1.3), as the
 * IPv4 one is: the schedule is shared. */
void gateway_sync_external6(struct gateway *g)
{
	uint8_t addr[16] = { 0 };
	const uint8_t *told;
	bool known = false, moved, announce;
	char text[INET6_ADDRSTRLEN], text6[INET6_ADDRSTRLEN];
	int ret;

	if (g->policy.ipv6_mode == POLICY_IPV6_NAT66)
		known = external6_from_interface(g, addr);
	told = g->policy.has_advertise6 ? g->policy.advertise6 : addr;
	moved = known != g->external6.known || (known && memcmp(addr, g->external6.addr, 16));
	if (!moved && (!known || !memcmp(told, g->external6.told, 16)))
		return;
	ret = moved ? nft_writer_set_external6(g->nft, addr, known ? 1 : 0) : 0;
	if (ret < 0) {
		log_warnx("nft: cannot set the external IPv6 address: %s", strerror(-ret));
		return;
	}
	announce = known && (!g->external6.known || memcmp(told, g->external6.told, 16));
	g->external6.known = known;
	memcpy(g->external6.addr, addr, 16);
	memcpy(g->external6.told, told, 16);
	if (known) {
		log_info("external IPv6 address %s (nat66)%s%s",
			 inet_ntop(AF_INET6, addr, text, sizeof(text)),
			 told != addr ? ", advertised as " : "",
			 told != addr ? inet_ntop(AF_INET6, told, text6, sizeof(text6)) : "");
		if (announce)
			announcer_start(g->announcer);
	} else if (g->policy.ipv6_mode == POLICY_IPV6_NAT66)
		log_warnx("ipv6.external interface %s has no global IPv6 address: IPv6 "
			  "requests get NETWORK_FAILURE", g->policy.ipv6_external_interface);
}

bool gateway_serves_space(const struct gateway *g, enum mapping_space space)
{
	return g->policy.ipv6_mode != POLICY_IPV6_OFF && space == gateway_space6(g);
}
