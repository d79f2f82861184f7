/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the kernel's answers about the gateway's own addresses
 * and sockets, which decide where forwards may never point and which
 * ports are never handed out. The first byte picks the parser: an
 * RTM_NEWADDR message (every address of every interface), or a sock_diag
 * message of one of the four dumps (TCP/UDP, AF_INET/AF_INET6); the rest
 * is the message's payload, family header included. */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>

#include "nlmsg.h"
#include "sockdiag/localsock.h"
#include "wgpeer/rtnl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t seen;

static void addr_seen(const struct ip_addr *addr, uint8_t prefixlen, void *arg)
{
	(void)arg;
	seen += addr->b[15] + prefixlen;
}

static void port_seen(int family, uint8_t proto, uint16_t port, void *arg)
{
	(void)arg;
	seen += (size_t)family + proto + port;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct local_ports_of at = {
		{ { [10] = 0xff, [11] = 0xff, 203, 0, 113, 1 } },
		{ { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } },
	};
	struct nlmsghdr *nlh;
	char *buf;
	uint8_t pick;

	if (size < 1)
		return 0;
	pick = data[0] % 5;
	nlh = nlmsg_wrap(data + 1, size - 1, 0, &buf);
	if (!nlh)
		return 0;
	if (pick == 0) {
		nlh->nlmsg_type = RTM_NEWADDR;
		rtnl_parse_addr(nlh, addr_seen, NULL);
	} else {
		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		local_sockets_parse(nlh, pick <= 2 ? AF_INET : AF_INET6,
				    pick % 2 ? IPPROTO_TCP : IPPROTO_UDP, &at, port_seen, NULL);
	}
	free(buf);
	return 0;
}
