/* libFuzzer target: one ctnetlink message of a conntrack dump (the input is
 * everything after the nfgenmsg header). */
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "nft/conntrack.h"
#include "nlmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_tuple orig, reply;
	char *buf;
	struct nlmsghdr *nlh = nlmsg_wrap(data, size, sizeof(struct nfgenmsg), &buf);

	if (nlh)
		(void)conntrack_parse_entry(nlh, &orig, &reply);	/* ASan/UBSan judge */
	free(buf);
	return 0;
}
