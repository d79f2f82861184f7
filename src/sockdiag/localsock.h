/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The gateway's own services: a forward on the external address shadows
 * any local socket that new flows to that port would otherwise reach (a
 * TCP listener, a bound UDP socket: ssh on 2222, a web panel, another
 * WireGuard interface). Asked of the kernel (sock_diag), never of a list. */
#ifndef PORTGATE_SOCKDIAG_LOCALSOCK_H
#define PORTGATE_SOCKDIAG_LOCALSOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "util/ipaddr.h"

struct local_sockets;

/* The addresses forwards take new flows on: the external IPv4 address and
 * the external IPv6 address of NAT66; all zeros (::) when unknown or not
 * served. */
struct local_ports_of {
	struct ip_addr addr4;
	struct ip_addr addr6;
};

struct local_sockets *local_sockets_open(void);
void local_sockets_close(struct local_sockets *l);
/* Reads which ports a TCP listener or a bound UDP socket holds on those
 * addresses, in each family (four dumps: TCP and UDP of AF_INET and
 * AF_INET6): a snapshot that the queries below answer from. An AF_INET6
 * socket on :: that is not IPV6_V6ONLY (Go's, Node's, Java's ":8080")
 * takes IPv4 too, as does one on the IPv4-mapped external address.
 * 0 or -errno. */
int local_sockets_refresh(struct local_sockets *l, const struct local_ports_of *at);
/* As of the last refresh: a new flow of proto (IPPROTO_TCP/UDP) to the
 * port of the family's address (AF_INET, AF_INET6) would reach a local
 * socket. */
bool local_sockets_in_use(const struct local_sockets *l, int family, uint8_t proto,
			  uint16_t port);
/* Calls cb for every (family, proto, port) a local socket holds on those
 * addresses, as the snapshot counts them (a port may come more than once).
 * 0 or -errno. */
int local_sockets_each(struct local_sockets *l, const struct local_ports_of *at,
		       void (*cb)(int family, uint8_t proto, uint16_t port, void *arg),
		       void *arg);
/* One message of a dump of family's proto sockets (the kernel's bytes:
 * fuzzed): cb as above. */
struct nlmsghdr;
void local_sockets_parse(const struct nlmsghdr *nlh, int family, uint8_t proto,
			 const struct local_ports_of *at,
			 void (*cb)(int family, uint8_t proto, uint16_t port, void *arg),
			 void *arg);

#endif
