/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/addrclass.h"

#include <string.h>

static const uint8_t v4_mapped[12] = { [10] = 0xff, [11] = 0xff };

bool addr_v4(const uint8_t a[16], uint32_t *v4)
{
	if (memcmp(a, v4_mapped, sizeof(v4_mapped)))
		return false;
	*v4 = (uint32_t)a[12] << 24 | (uint32_t)a[13] << 16 | (uint32_t)a[14] << 8 | a[15];
	return true;
}

void addr_from_v4(uint8_t a[16], uint32_t v4)
{
	memcpy(a, v4_mapped, sizeof(v4_mapped));
	a[12] = (uint8_t)(v4 >> 24);
	a[13] = (uint8_t)(v4 >> 16);
	a[14] = (uint8_t)(v4 >> 8);
	a[15] = (uint8_t)v4;
}

static enum addr_class class_of_v4(uint32_t a)
{
	if (a >> 24 == 0)
		return ADDR_UNSPECIFIED;
	if (a >> 24 == 127)
		return ADDR_LOOPBACK;
	if (a >> 16 == 0xa9fe)
		return ADDR_LINK_LOCAL;
	if (a >> 28 == 0xe)
		return ADDR_MULTICAST;
	if (a == 0xffffffff)
		return ADDR_BROADCAST;
	if (a >> 28 == 0xf)
		return ADDR_RESERVED;
	return ADDR_UNICAST;
}

enum addr_class addr_class_of(const uint8_t a[16])
{
	static const uint8_t zero[16];
	static const uint8_t siit[12] = { [8] = 0xff, [9] = 0xff };	/* ::ffff:0:0:0/96 */
	static const uint8_t nat64[12] = { 0, 0x64, 0xff, 0x9b };	/* 64:ff9b::/96 */
	static const uint8_t nat64_local[6] = { 0, 0x64, 0xff, 0x9b, 0, 1 };	/* 64:ff9b:1::/48 */
	uint32_t v4;

	if (addr_v4(a, &v4))
		return class_of_v4(v4);
	if (a[0] == 0xff)
		return ADDR_MULTICAST;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return ADDR_LINK_LOCAL;
	/* ::/96 holds ::, ::1 and the old IPv4-compatible form: no host of
	 * a peer's is written there. */
	if (!memcmp(a, zero, 12)) {
		if (!memcmp(a + 12, zero + 12, 3) && a[15] <= 1)
			return a[15] ? ADDR_LOOPBACK : ADDR_UNSPECIFIED;
		return ADDR_RESERVED;
	}
	if (!memcmp(a, siit, sizeof(siit)) || !memcmp(a, nat64, sizeof(nat64)) ||
	    !memcmp(a, nat64_local, sizeof(nat64_local)))
		return ADDR_RESERVED;
	return ADDR_UNICAST;
}

const char *addr_class_name(enum addr_class c)
{
	switch (c) {
	case ADDR_UNICAST: return "unicast";
	case ADDR_UNSPECIFIED: return "unspecified";
	case ADDR_LOOPBACK: return "loopback";
	case ADDR_MULTICAST: return "multicast";
	case ADDR_BROADCAST: return "broadcast";
	case ADDR_LINK_LOCAL: return "link-local";
	case ADDR_RESERVED: return "reserved";
	}
	return "?";
}
