/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the parts of the policy loader share (policy.c, policy_forwards.c),
 * on top of the strict YAML helpers of util/yconf.h. Not a public API:
 * everyone else uses daemon/policy.h. */
#ifndef PORTGATE_DAEMON_POLICY_LOADER_H
#define PORTGATE_DAEMON_POLICY_LOADER_H

#include "daemon/policy.h"
#include "util/yconf.h"

/* The policy being filled. */
#define P(l) ((struct policy *)(l)->out)

/* The loader's ctx: where each of the policy's forwards was written. */
struct forward_nodes {
	const yaml_node_t **nodes;
	size_t cap;
};

/* policy_forwards.c: a peer's `forwards:` list, appended to forwards. */
int forwards_parse(struct yconf *l, const struct policy_peer *peer, yaml_node_t *list);
/* Once every peer is read: collisions with each other, reserved ports and
 * other peers' port ranges; then sorted by external port. */
int forwards_check(struct yconf *l);

/* policy_api.c: the `api:` section. */
int api_parse(struct yconf *l, yaml_node_t *v);

/* policy_upnp.c: the `upnp:` key, a boolean or a mapping (port, version). */
int upnp_parse(struct yconf *l, yaml_node_t *v);

#endif
