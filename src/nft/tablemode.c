/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The table modes' names (PORTGATE_TABLE_MODE), apart from the writer so
 * that the core's unit tests, which link a fake writer, have them too. */
#include "nft/nft.h"

#include <errno.h>
#include <string.h>

int nft_table_mode_parse(const char *s, enum nft_table_mode *mode)
{
	static const enum nft_table_mode modes[] = {
		NFT_MODE_AUTO, NFT_MODE_PERSISTENT, NFT_MODE_UNOWNED,
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(s, nft_table_mode_name(modes[i]))) {
			*mode = modes[i];
			return 0;
		}
	return -EINVAL;
}

const char *nft_table_mode_name(enum nft_table_mode mode)
{
	return mode == NFT_MODE_PERSISTENT ? "persistent"
	       : mode == NFT_MODE_UNOWNED ? "unowned" : "auto";
}
