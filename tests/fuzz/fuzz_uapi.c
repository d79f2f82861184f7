/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: a userspace WireGuard UAPI reply (untrusted bytes from
 * a socket) through the parser, then the device it built through
 * normalize and the prefix lookup. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wgpeer/wgpeer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_device_info dev;
	char *text = malloc(size + 1);
	uint32_t probe = htonl(0x0a000002);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	wg_device_init(&dev);
	if (wg_uapi_parse(text, size, &dev) == 0) {
		struct wg_lpm *lpm;

		wg_device_normalize(&dev);
		lpm = wg_lpm_build(&dev);
		if (lpm) {
			long i = wg_lpm_lookup(lpm, AF_INET, &probe, NULL);

			if (i >= (long)dev.n_peers)
				abort();
			wg_lpm_free(lpm);
		}
	}
	wg_device_clear(&dev);
	free(text);
	return 0;
}
