/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An IPv4 or IPv6 address in one 16-byte form, network byte order: IPv6
 * as it is, IPv4 written IPv4-mapped (::ffff:a.b.c.d, as PCP and
 * util/addrclass.h write it). A sockaddr is made only where a socket
 * needs one. */
#ifndef PORTGATE_UTIL_IPADDR_H
#define PORTGATE_UTIL_IPADDR_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "util/addrclass.h"

struct ip_addr {
	uint8_t b[16];
};

/* An index for things kept once per family. */
enum ip_family {
	IP_V4 = 0,
	IP_V6 = 1,
};
#define IP_FAMILIES 2

static inline bool ip_addr_is_v4(const struct ip_addr *a)
{
	uint32_t v4;

	return addr_v4(a->b, &v4);
}

static inline enum ip_family ip_addr_family(const struct ip_addr *a)
{
	return ip_addr_is_v4(a) ? IP_V4 : IP_V6;
}

/* IPv4 in host byte order; 0 for an IPv6 address. */
static inline uint32_t ip_addr_v4(const struct ip_addr *a)
{
	uint32_t v4;

	return addr_v4(a->b, &v4) ? v4 : 0;
}

static inline struct ip_addr ip_addr_from_v4(uint32_t v4)
{
	struct ip_addr a;

	addr_from_v4(a.b, v4);
	return a;
}

/* An IPv6 address's 16 bytes. ::ffff:a.b.c.d then reads as IPv4: the one
 * form has no other way to write it (no host holds it; RFC 4291). */
static inline struct ip_addr ip_addr_from_v6(const uint8_t b[16])
{
	struct ip_addr a;

	memcpy(a.b, b, 16);
	return a;
}

static inline bool ip_addr_equal(const struct ip_addr *a, const struct ip_addr *b)
{
	return !memcmp(a->b, b->b, sizeof(a->b));
}

/* The address as the kernel keys it: 4 bytes (IPv4) or 16. */
static inline const uint8_t *ip_addr_bytes(const struct ip_addr *a, size_t *len)
{
	*len = ip_addr_is_v4(a) ? 4 : 16;
	return a->b + 16 - *len;
}

/* a and port as a sockaddr_in or sockaddr_in6; its length. */
socklen_t ip_addr_to_sockaddr(const struct ip_addr *a, uint16_t port,
			      struct sockaddr_storage *ss);
/* From an AF_INET or AF_INET6 sockaddr (port may be NULL); false for
 * another family, and for an IPv4-mapped IPv6 one (a source that would
 * pass for an IPv4 host). */
bool ip_addr_from_sockaddr(const struct sockaddr *sa, struct ip_addr *a, uint16_t *port);

/* "192.0.2.1" or "2001:db8::1" into buf. */
#define IP_ADDR_TEXT_LEN 46	/* INET6_ADDRSTRLEN */
const char *ip_addr_text(const struct ip_addr *a, char buf[IP_ADDR_TEXT_LEN]);
/* Either family's text form: 0, or -EINVAL (also for ::ffff:a.b.c.d,
 * which is written a.b.c.d). */
int ip_addr_parse(const char *s, struct ip_addr *a);

#endif
