/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/ipaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

socklen_t ip_addr_to_sockaddr(const struct ip_addr *a, uint16_t port,
			      struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (ip_addr_is_v4(a)) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, a->b + 12, 4);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	memcpy(&sin6->sin6_addr, a->b, 16);
	return sizeof(*sin6);
}

bool ip_addr_from_sockaddr(const struct sockaddr *sa, struct ip_addr *a, uint16_t *port)
{
	uint16_t be;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		*a = ip_addr_from_v4(ntohl(sin->sin_addr.s_addr));
		be = sin->sin_port;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		/* ::ffff:a.b.c.d would read as the IPv4 host a.b.c.d, a peer
		 * it may not be: Linux drops such sources on the wire (since
		 * 5.3), and they are refused here whatever the kernel did. */
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			return false;
		*a = ip_addr_from_v6(sin6->sin6_addr.s6_addr);
		be = sin6->sin6_port;
	} else {
		return false;
	}
	if (port)
		*port = ntohs(be);
	return true;
}

const char *ip_addr_text(const struct ip_addr *a, char buf[IP_ADDR_TEXT_LEN])
{
	if (ip_addr_is_v4(a))
		return inet_ntop(AF_INET, a->b + 12, buf, IP_ADDR_TEXT_LEN);
	return inet_ntop(AF_INET6, a->b, buf, IP_ADDR_TEXT_LEN);
}

int ip_addr_parse(const char *s, struct ip_addr *a)
{
	struct in_addr v4;

	if (inet_pton(AF_INET, s, &v4) == 1) {
		*a = ip_addr_from_v4(ntohl(v4.s_addr));
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->b) != 1 || IN6_IS_ADDR_V4MAPPED((struct in6_addr *)a->b))
		return -EINVAL;
	return 0;
}
