/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The gateway's own addresses: every address of every interface, both
 * families, the network and broadcast addresses of its IPv4 subnets and
 * the subnet-router anycast addresses of its IPv6 prefixes. A forward to
 * one of them would hand a service of the gateway itself (a tunnel-only
 * ssh, a panel on the LAN address) to the Internet: none may be a
 * forward's target, whatever a peer's allowed-ips cover. */
#ifndef PORTGATE_DAEMON_OWNADDRS_H
#define PORTGATE_DAEMON_OWNADDRS_H

#include <stdbool.h>
#include <stdint.h>

#include "util/ipaddr.h"

struct own_addrs;
struct rtnl_watch;

struct own_addrs *own_addrs_new(void);
void own_addrs_free(struct own_addrs *o);
/* Reads them again from the kernel (one dump): 1 when they changed, 0 when
 * not, -errno when they could not be read (the last set stays). */
int own_addrs_refresh(struct own_addrs *o, struct rtnl_watch *rtnl);
bool own_addrs_has(const struct own_addrs *o, const struct ip_addr *addr);
/* The last refresh failed: read them again at the next chance. */
bool own_addrs_stale(const struct own_addrs *o);

#endif
