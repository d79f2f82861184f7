/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The descriptions UPnP clients give their mappings (NewPortMappingDescription),
 * kept in memory only: the kernel comment has no room for them, and a
 * lease does not grow for a field only UPnP reads. Keyed by (protocol,
 * external port), at most UPNP_DESC_KEEP bytes each; only non-empty ones
 * take room. After a restart an adopted mapping has none (empty). */
#ifndef PORTGATE_DAEMON_UPNPDESC_H
#define PORTGATE_DAEMON_UPNPDESC_H

#include <stdint.h>

#include "natpmp/mapping.h"

#define UPNP_DESC_KEEP 64

struct upnp_descs;

/* NULL when memory is short. */
struct upnp_descs *upnp_descs_new(void);
void upnp_descs_free(struct upnp_descs *d);
/* desc cut to UPNP_DESC_KEEP bytes at a UTF-8 character's boundary; ""
 * forgets the port's. 0, or -ENOMEM (the port then has none). */
int upnp_descs_set(struct upnp_descs *d, enum mapping_proto proto, uint16_t port,
		   const char *desc);
/* The port's description, "" when none. Valid until the next set. */
const char *upnp_descs_get(const struct upnp_descs *d, enum mapping_proto proto,
			   uint16_t port);
/* How many are held (bench, tests). */
size_t upnp_descs_count(const struct upnp_descs *d);

#endif
