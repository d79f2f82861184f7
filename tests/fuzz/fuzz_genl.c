/* libFuzzer target: a generic-netlink WG_CMD_GET_DEVICE reply. The input is
 * the message's payload after the headers; the harness writes a header
 * whose length is the input's, as the receive path guarantees. Two
 * messages in a row, like a peer continued across a dump. */
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "wgpeer/wgpeer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t hdr = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct genlmsghdr));
	struct wg_device_info dev;
	struct nlmsghdr *nlh;
	size_t half = size / 2;
	char *buf;

	if (size > 65536)
		return 0;
	buf = calloc(1, hdr + size);
	if (!buf)
		return 0;
	nlh = (struct nlmsghdr *)buf;
	wg_device_init(&dev);
	/* The first half, then the second, as two messages. */
	memcpy(buf + hdr, data, half);
	nlh->nlmsg_len = (uint32_t)(hdr + half);
	if (wg_genl_parse(nlh, &dev) == 0) {
		memcpy(buf + hdr, data + half, size - half);
		nlh->nlmsg_len = (uint32_t)(hdr + size - half);
		wg_genl_parse(nlh, &dev);
	}
	wg_device_clear(&dev);
	free(buf);
	return 0;
}
