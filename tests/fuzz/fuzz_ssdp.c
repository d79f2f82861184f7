/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: a datagram on UDP 1900 through the SSDP parser; a
 * search is matched against both device versions and every answer must fit
 * SSDP_RESPONSE_MAX. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "upnp/ssdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t seed[16] = { 1, 2, 3 };
	/* The longest address text there is (39 characters). */
	static const struct ip_addr addr = { { 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
						0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	struct ssdp_reply r[SSDP_REPLIES_MAX];
	char out[SSDP_RESPONSE_MAX];
	struct ssdp_search s;
	struct upnp_device d;

	if (ssdp_parse(data, size, &s) != SSDP_SEARCH)
		return 0;
	if (!s.st[0] || strlen(s.st) > SSDP_ST_MAX || s.mx > SSDP_MX_MAX)
		abort();
	for (unsigned v = 1; v <= 2; v++) {
		size_t n;

		if (!upnp_device_init(&d, v, seed, "fuzz"))
			abort();
		n = ssdp_match(&d, s.st, r);
		if (n > SSDP_REPLIES_MAX)
			abort();
		for (size_t i = 0; i < n; i++)
			if (ssdp_encode(out, sizeof(out), &d, &r[i], &addr, 65535) == 0)
				abort();
	}
	return 0;
}
