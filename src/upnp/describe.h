/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The documents the HTTP server gives out: the device description (IGD v1
 * or v2 by dev->version) and the two SCPDs, made from igd.c's table of
 * actions and state variables. Configurable text (friendly name, UDNs) is
 * XML-escaped. Pure code: caller-owned buffers. */
#ifndef PORTGATE_UPNP_DESCRIBE_H
#define PORTGATE_UPNP_DESCRIBE_H

#include <stdbool.h>
#include <stddef.h>

#include "upnp/upnp.h"

#define UPNP_DOC_MAX 16384		/* room for any of the documents */

enum upnp_doc {
	UPNP_DOC_NONE,
	UPNP_DOC_ROOT,			/* UPNP_PATH_ROOT */
	UPNP_DOC_SCPD_IPCONN,		/* UPNP_PATH_SCPD_IPCONN */
	UPNP_DOC_SCPD_COMMON,		/* UPNP_PATH_SCPD_COMMON */
};

/* The document an HTTP GET of path asks for (exact match); UPNP_DOC_NONE. */
enum upnp_doc upnp_doc_for_path(const char *path);
/* The service whose control URL path is; false if none. */
bool upnp_control_for_path(const char *path, enum upnp_service *svc);
/* The document (text/xml; charset="utf-8"); 0 if out is too small or doc
 * is UPNP_DOC_NONE. */
size_t upnp_describe(char *out, size_t cap, const struct upnp_device *dev,
		     enum upnp_doc doc);

#endif
