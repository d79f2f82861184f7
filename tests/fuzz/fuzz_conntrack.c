/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: one ctnetlink message of a conntrack dump (the input is
 * everything after the nfgenmsg header), parsed and matched against flows
 * of both kinds, with several flows on one key (a moved forward's). */
#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "ctnl/conntrack.h"
#include "nlmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ct_flow flows[] = {
	{ .proto = IPPROTO_UDP, .external_port = 6881,
	  .internal_addr = { { [10] = 0xff, [11] = 0xff, 10, 66, 0, 2 } }, .target_port = 6881 },
	{ .proto = IPPROTO_UDP, .external_port = 6881,
	  .internal_addr = { { [10] = 0xff, [11] = 0xff, 203, 0, 113, 1 } },
	  .target_port = 6881, .kind = CT_FLOW_UNNATED },
	{ .proto = IPPROTO_TCP, .external_port = 1,
	  .internal_addr = { { [10] = 0xff, [11] = 0xff, 203, 0, 113, 1 } },
	  .target_port = 1, .kind = CT_FLOW_UNNATED },
	{ .proto = IPPROTO_TCP, .external_port = 65535, .target_port = 80,
	  .internal_addr = { { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 } } },
	{ .proto = IPPROTO_UDP, .external_port = 6881, .target_port = 6881,
	  .internal_addr = { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } },
	  .kind = CT_FLOW_UNNATED },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int sorted;
	struct ct_tuple orig, reply;
	char *buf;
	struct nlmsghdr *nlh = nlmsg_wrap(data, size, sizeof(struct nfgenmsg), &buf);
	size_t n = sizeof(flows) / sizeof(flows[0]);

	if (!sorted++)
		conntrack_sort_flows(flows, n);
	/* ASan/UBSan judge; every prefix of the table, the empty one too. */
	if (nlh && conntrack_parse_entry(nlh, &orig, &reply))
		for (size_t k = 0; k <= n; k++)
			(void)conntrack_flows_match(flows, k, &orig, &reply);
	free(buf);
	return 0;
}
