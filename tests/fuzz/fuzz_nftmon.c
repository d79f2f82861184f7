/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: one buffer of nftables notifications as the monitor
 * reads it (src/nft/monitor.c), asked whether another port changed table
 * "portgate". */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nft/monitor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of its own size, aligned as a socket's buffer is: reads past
	 * it are ASan's to see. */
	void *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	nft_monitor_parse("portgate", 4242, buf, size);
	free(buf);
	return 0;
}
