/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The web page's files (web/ in the source tree), built into the daemon:
 * nothing to install beside it, nothing fetched at run time. */
#ifndef PORTGATE_DAEMON_WEBASSETS_H
#define PORTGATE_DAEMON_WEBASSETS_H

#include <stddef.h>

struct web_asset {
	const char *path;	/* as requested: "/", "/portgate.js", ... */
	const char *type;	/* Content-Type */
	const void *data;
	size_t len;
};

/* The file served at path, or NULL. */
const struct web_asset *web_asset_find(const char *path);

#endif
