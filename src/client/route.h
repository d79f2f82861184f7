/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which gateway the kernel's routing names for the tunnel: the next hop of
 * the route that a packet from the tunnel's address, out of the tunnel, to
 * the Internet would take. One RTM_GETROUTE (RTM_F_FIB_MATCH: the route
 * itself) goes through every rule and table, so wg-quick's Table= and
 * other policy routing answer as they would for traffic. */
#ifndef PORTGATE_CLIENT_ROUTE_H
#define PORTGATE_CLIENT_ROUTE_H

#include <stdint.h>

/* The destination asked about: TEST-NET-1 (RFC 5737) is routed by no real
 * network, so the route that answers is the one the Internet takes. */
#define ROUTE_PROBE 0xc0000201u		/* 192.0.2.1 */

struct route_hop {
	uint32_t gateway;		/* host byte order; 0: the route has no via */
	uint32_t table;
	uint8_t dst_len;		/* the route's prefix length (0: default) */
};

/* The route from local (host byte order) out of ifindex to ROUTE_PROBE:
 * 0 with hop filled, or -errno (-EHOSTUNREACH: no route through ifindex). */
int route_lookup(int ifindex, uint32_t local, struct route_hop *hop);

struct nlmsghdr;
/* One RTM_NEWROUTE (the kernel's bytes; fuzzed): 0 with hop filled (the
 * gateway of its next hop on ifindex, 0 when it has none), -EINVAL when it
 * is no IPv4 route, -ENOENT when no next hop is on ifindex. */
int route_parse(const struct nlmsghdr *nlh, int ifindex, struct route_hop *hop);

#endif
