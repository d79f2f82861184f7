/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The NAT-PMP/PCP sockets: one UDP socket on port 5351 for each IPv4
 * address of the WireGuard interface, and for each global IPv6 one when
 * the policy serves IPv6, and no other. Readable sockets are handed to the
 * owner's callback. */
#ifndef PORTGATE_DAEMON_SOCKETS_H
#define PORTGATE_DAEMON_SOCKETS_H

#include <stddef.h>
#include <stdint.h>

#include "util/ipaddr.h"

#define PMP_SOCKETS_MAX 8

struct loop;
struct pmp_sockets;

struct pmp_sockets *pmp_sockets_open(struct loop *loop,
				      void (*readable)(void *arg, int fd), void *arg);
void pmp_sockets_close(struct pmp_sockets *s);
/* Listens on exactly these addresses of family fam (the other family's
 * sockets are left alone), at most PMP_SOCKETS_MAX: new ones opened,
 * vanished ones closed; an address of the other family is skipped. Returns
 * how many could not be opened (each logged; call again to retry). No
 * socket takes SO_REUSEADDR: while we hold address:5351 nobody else can
 * bind it, and an address:5351 someone else holds is a failure, not a
 * shared port. Each datagram comes with the interface it arrived on
 * (IP_PKTINFO, IPV6_PKTINFO); IPv6 sockets are IPV6_V6ONLY. */
size_t pmp_sockets_sync(struct pmp_sockets *s, enum ip_family fam,
			const struct ip_addr *addrs, size_t n);
/* Any open socket of the family (to send announcements from), or -1. */
int pmp_sockets_any_fd(const struct pmp_sockets *s, enum ip_family fam);

#endif
