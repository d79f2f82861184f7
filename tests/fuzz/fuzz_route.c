/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the kernel's answer to portgate-client's route lookup
 * (route.h), which names the gateway it asks for a port. The input is the
 * RTM_NEWROUTE message's payload, struct rtmsg included; the interface
 * looked for is index 2. */
#include <stdint.h>
#include <stdlib.h>

#include <linux/rtnetlink.h>

#include "nlmsg.h"
#include "client/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint32_t seen;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct route_hop hop;
	char *buf;
	struct nlmsghdr *nlh = nlmsg_wrap(data, size, 0, &buf);

	if (!nlh)
		return 0;
	nlh->nlmsg_type = RTM_NEWROUTE;
	if (route_parse(nlh, 2, &hop) == 0)
		seen += hop.gateway + hop.table + hop.dst_len;	/* every field read */
	free(buf);
	return 0;
}
