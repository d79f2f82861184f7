/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: a generic-netlink WG_CMD_GET_DEVICE reply. The input is
 * the message's payload after the headers; the harness writes a header
 * whose length is the input's, as the receive path guarantees. Two
 * messages in a row, like a peer continued across a dump; then the input
 * raw, as one receive of a dump for wg_genl_feed (headers and all). */
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "nlmsg.h"
#include "wgpeer/backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t half = size / 2;
	struct wg_device_info dev;
	struct nlmsghdr *nlh;
	char *first, *second;

	/* The first half, then the second, as two messages. */
	wg_device_init(&dev);
	nlh = nlmsg_wrap(data, half, sizeof(struct genlmsghdr), &first);
	if (nlh && wg_genl_parse(nlh, &dev) == 0) {
		nlh = nlmsg_wrap(data + half, size - half, sizeof(struct genlmsghdr), &second);
		if (nlh)
			wg_genl_parse(nlh, &dev);
		free(second);
	}
	free(first);
	wg_device_clear(&dev);

	/* The whole input as one receive of a dump (messages back to back,
	 * as the reader hands them to wg_genl_feed). */
	if (size) {
		char *buf = aligned_alloc(8, (size + 7) & ~(size_t)7);

		if (buf) {
			memcpy(buf, data, size);
			wg_device_init(&dev);
			wg_genl_feed(buf, size, 0, 0, &dev);
			wg_device_clear(&dev);
			free(buf);
		}
	}
	return 0;
}
