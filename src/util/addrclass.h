/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Addresses by class: which ones can never be a peer's host, whatever the
 * allowed-ips say. IPv4 is written IPv4-mapped (::ffff:a.b.c.d), as PCP
 * writes it, so one 16-byte form serves both families. */
#ifndef PORTGATE_UTIL_ADDRCLASS_H
#define PORTGATE_UTIL_ADDRCLASS_H

#include <stdbool.h>
#include <stdint.h>

enum addr_class {
	ADDR_UNICAST = 0,		/* an ordinary host address */
	ADDR_UNSPECIFIED = 1u << 0,	/* 0.0.0.0/8, :: */
	ADDR_LOOPBACK = 1u << 1,	/* 127.0.0.0/8, ::1 */
	ADDR_MULTICAST = 1u << 2,	/* 224.0.0.0/4, ff00::/8 */
	ADDR_BROADCAST = 1u << 3,	/* 255.255.255.255 */
	ADDR_LINK_LOCAL = 1u << 4,	/* 169.254.0.0/16, fe80::/10 */
	/* 240.0.0.0/4; IPv6 forms that stand for IPv4 (::/96, ::ffff:0:0:0/96,
	 * NAT64's 64:ff9b::/96 and 64:ff9b:1::/48): a translator on the
	 * gateway would take them to any IPv4 host, the gateway's own too. */
	ADDR_RESERVED = 1u << 5,
};
#define ADDR_CLASS_ALL 0x3fu

enum addr_class addr_class_of(const uint8_t a[16]);
/* "loopback", "multicast", ...; "unicast" for ADDR_UNICAST. */
const char *addr_class_name(enum addr_class c);
/* Whether a is IPv4 written IPv4-mapped; *v4 in host byte order. */
bool addr_v4(const uint8_t a[16], uint32_t *v4);
void addr_from_v4(uint8_t a[16], uint32_t v4);

#endif
