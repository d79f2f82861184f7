/* libFuzzer target: one ctnetlink message of a conntrack dump (the input is
 * everything after the nfgenmsg header). */
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "nft/conntrack.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t hdr = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg));
	struct ct_tuple orig, reply;
	struct nlmsghdr *nlh;
	char *buf;

	if (size > 65536)
		return 0;
	buf = calloc(1, hdr + size);
	if (!buf)
		return 0;
	nlh = (struct nlmsghdr *)buf;
	memcpy(buf + hdr, data, size);
	nlh->nlmsg_len = (uint32_t)(hdr + size);
	if (conntrack_parse_entry(nlh, &orig, &reply) && !orig.proto && orig.dport > 65535u)
		abort();	/* unreachable: keeps the results used */
	free(buf);
	return 0;
}
