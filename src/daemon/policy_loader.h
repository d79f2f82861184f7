/* What the parts of the policy loader share (policy.c, policy_forwards.c).
 * Not a public API: everyone else uses daemon/policy.h. Every helper fails
 * with "FILE:LINE:COL: reason" in the loader's err and returns -1. */
#ifndef PORTGATE_DAEMON_POLICY_LOADER_H
#define PORTGATE_DAEMON_POLICY_LOADER_H

#include <yaml.h>

#include "daemon/policy.h"

struct loader {
	const char *name;
	yaml_document_t *doc;
	struct policy *p;
	char *err;
	size_t errlen;
	/* Where each of p->forwards was written, for messages. */
	const yaml_node_t **forward_nodes;
	size_t cap_forwards;
};

int fail_at(struct loader *l, const yaml_node_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
const char *scalar(const yaml_node_t *n);
int want_scalar(struct loader *l, const yaml_node_t *n, const char *what,
		const char **out);
int get_uint(struct loader *l, const yaml_node_t *n, const char *what,
	     unsigned long min, unsigned long max, uint32_t *out);
/* Calls fn for every key/value of a mapping node, rejecting duplicates. */
typedef int (*pair_fn)(struct loader *, const char *key, yaml_node_t *key_node,
		       yaml_node_t *value, void *arg);
int each_pair(struct loader *l, yaml_node_t *map, const char *what, pair_fn fn,
	      void *arg);
int unknown(struct loader *l, yaml_node_t *k, const char *key, const char *where);

/* policy_forwards.c: a peer's `forwards:` list, appended to p->forwards. */
int forwards_parse(struct loader *l, const struct policy_peer *peer,
		   yaml_node_t *list);
/* Once every peer is read: collisions with each other, reserved ports and
 * other peers' port ranges; then sorted by external port. */
int forwards_check(struct loader *l);

#endif
