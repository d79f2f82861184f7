/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The policy's `upnp:` key: true or false (UPnP IGD off by default), or a
 * mapping that turns it on and configures it: the HTTP port of the
 * descriptions and control URLs on the tunnel address (1024 and up: the
 * socket may be opened again after privileges were dropped), and the IGD
 * version presented (2, or 1 for old clients). */
#include "daemon/policy_loader.h"

#include <string.h>

static int upnp_pair(struct yconf *l, const char *key, yaml_node_t *k, yaml_node_t *v,
		     void *arg)
{
	struct policy *p = P(l);
	uint32_t n;

	(void)arg;
	if (!strcmp(key, "port")) {
		if (get_uint(l, v, "upnp.port", 1024, 65535, &n))
			return -1;
		p->upnp_port = (uint16_t)n;
		return 0;
	}
	if (!strcmp(key, "version")) {
		if (get_uint(l, v, "upnp.version", 1, 2, &n))
			return -1;
		p->upnp_version = (uint8_t)n;
		return 0;
	}
	return unknown(l, k, key, "upnp");
}

int upnp_parse(struct yconf *l, yaml_node_t *v)
{
	struct policy *p = P(l);

	if (v && v->type == YAML_MAPPING_NODE) {
		p->upnp = true;
		return each_pair(l, v, "upnp", upnp_pair, NULL);
	}
	return get_bool(l, v, "upnp", &p->upnp);
}
