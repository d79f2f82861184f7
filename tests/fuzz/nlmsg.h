/* SPDX-License-Identifier: GPL-2.0-or-later */
/* For the netlink fuzz targets: the input as the payload of one message
 * after a family header of extra bytes, with the length the receive path
 * guarantees (header and payload, no more). The buffer is padded to the
 * netlink alignment, as a receive buffer always is: libmnl's attribute
 * walk ends at the aligned tail. The caller frees *buf. */
#ifndef PORTGATE_FUZZ_NLMSG_H
#define PORTGATE_FUZZ_NLMSG_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

static inline struct nlmsghdr *nlmsg_wrap(const uint8_t *data, size_t size, size_t extra,
					  char **buf)
{
	size_t hdr = MNL_NLMSG_HDRLEN + MNL_ALIGN(extra);
	struct nlmsghdr *nlh;

	*buf = size <= 65536 ? calloc(1, MNL_ALIGN(hdr + size)) : NULL;
	if (!*buf)
		return NULL;
	nlh = (struct nlmsghdr *)*buf;
	memcpy(*buf + hdr, data, size);
	nlh->nlmsg_len = (uint32_t)(hdr + size);
	return nlh;
}

#endif
