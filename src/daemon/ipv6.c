/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The IPv6 half of the policy (ipv6: in it): which space a peer's IPv6
 * mapping lives in, whether it is served. IPv6 is asked for with PCP only
 * (RFC 6886 is IPv4). The sockets and the kernel's address sets of both
 * families are peers.c's. */
#include "daemon/core.h"

const char *space_family(enum mapping_space space)
{
	return space == MAPPING_SPACE_IPV4 ? "ipv4" : "ipv6";
}

enum mapping_space gateway_space6(const struct gateway *g)
{
	return g->policy.ipv6_mode == POLICY_IPV6_NAT66 ? MAPPING_SPACE_NAT66
							: MAPPING_SPACE_ROUTED6;
}

bool gateway_serves_space(const struct gateway *g, enum mapping_space space)
{
	return g->policy.ipv6_mode != POLICY_IPV6_OFF && space == gateway_space6(g);
}
