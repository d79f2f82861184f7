/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A peer's static forwards (policy `forwards:`), and the rules that keep
 * them from colliding: one external port and protocol has one owner, never
 * a reserved port, never inside another peer's port range. */
#include "daemon/policy_loader.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "natpmp/codec.h"
#include "util/base64.h"

#define PROTO_BIT(p) (1u << (p))
#define BOTH_PROTOS (PROTO_BIT(MAPPING_UDP) | PROTO_BIT(MAPPING_TCP))

struct forward_seen {
	struct policy_forward *f;
	const yaml_node_t *external;
	uint16_t ext, in;
	unsigned n_ext, n_in;	/* 0: not given */
};

static int get_protos(struct yconf *l, yaml_node_t *v, unsigned *out)
{
	const char *s;

	if (want_scalar(l, v, "protocol", &s))
		return -1;
	if (!strcmp(s, "tcp"))
		*out = PROTO_BIT(MAPPING_TCP);
	else if (!strcmp(s, "udp"))
		*out = PROTO_BIT(MAPPING_UDP);
	else if (!strcmp(s, "both"))
		*out = BOTH_PROTOS;
	else
		return fail_at(l, v, "protocol must be tcp, udp or both, not \"%s\"", s);
	return 0;
}

static int forward_pair(struct yconf *l, const char *key, yaml_node_t *k,
			yaml_node_t *v, void *arg)
{
	struct forward_seen *seen = arg;
	struct policy_forward *f = seen->f;
	struct in_addr a;
	const char *s;

	if (!strcmp(key, "protocol"))
		return get_protos(l, v, &f->protos);
	if (!strcmp(key, "external") || !strcmp(key, "internal")) {
		bool ext = key[0] == 'e';

		if (want_scalar(l, v, key, &s))
			return -1;
		if (policy_port_range(s, ext ? &seen->ext : &seen->in,
				      ext ? &seen->n_ext : &seen->n_in) < 0)
			return fail_at(l, v, "%s must be a port or a range of ports, e.g. "
				       "2222 or 30000-30009, not \"%s\"", key, s);
		if (ext)
			seen->external = v;
		return 0;
	}
	if (!strcmp(key, "address")) {
		if (want_scalar(l, v, "address", &s))
			return -1;
		if (inet_pton(AF_INET, s, &a) != 1)
			return fail_at(l, v, "address \"%s\" is not an IPv4 address", s);
		f->has_address = true;
		f->address = ntohl(a.s_addr);
		return 0;
	}
	return unknown(l, k, key, "a forward");
}

static int append(struct yconf *l, const yaml_node_t *node)
{
	struct policy *p = P(l);
	struct forward_nodes *fn = l->ctx;

	if (p->n_forwards == fn->cap) {
		size_t cap = fn->cap ? fn->cap * 2 : 8;
		struct policy_forward *f = realloc(p->forwards, cap * sizeof(*f));
		const yaml_node_t **nodes;

		if (!f)
			return fail_at(l, node, "out of memory");
		p->forwards = f;
		nodes = realloc(fn->nodes, cap * sizeof(*nodes));
		if (!nodes)
			return fail_at(l, node, "out of memory");
		fn->nodes = nodes;
		fn->cap = cap;
	}
	memset(&p->forwards[p->n_forwards], 0, sizeof(*p->forwards));
	fn->nodes[p->n_forwards] = node;
	return 0;
}

int forwards_parse(struct yconf *l, const struct policy_peer *peer,
		   yaml_node_t *list)
{
	if (list->type != YAML_SEQUENCE_NODE)
		return fail_at(l, list, "forwards must be a list, e.g. "
			       "[{ protocol: tcp, external: 2222, internal: 22 }]");
	for (yaml_node_item_t *i = list->data.sequence.items.start;
	     i < list->data.sequence.items.top; i++) {
		yaml_node_t *item = yaml_document_get_node(l->doc, *i);
		struct forward_seen seen = { 0 };
		const char *why;

		if (append(l, item))
			return -1;
		seen.f = &P(l)->forwards[P(l)->n_forwards];
		if (each_pair(l, item, "a forward", forward_pair, &seen))
			return -1;
		if (!seen.f->protos)
			return fail_at(l, item, "a forward needs protocol: tcp, udp or both");
		if (!seen.n_ext)
			return fail_at(l, item, "a forward needs an external port");
		why = policy_forward_set_ports(seen.f, seen.ext, seen.n_ext, seen.in, seen.n_in);
		if (why)
			return fail_at(l, seen.external, "%s", why);
		memcpy(seen.f->key, peer->key, sizeof(seen.f->key));
		seen.f->line = (uint32_t)item->start_mark.line + 1;
		P(l)->n_forwards++;
	}
	return 0;
}

static const char *peer_label(const struct policy *p, const uint8_t key[32],
			      char *buf, size_t len)
{
	const struct policy_peer *peer = policy_peer_find(p, key);
	char b64[KEY_B64_LEN + 1];

	if (peer && peer->name[0])
		return peer->name;
	key_to_base64(b64, key);
	snprintf(buf, len, "%s", b64);
	return buf;
}

static const char *protos_text(unsigned protos)
{
	return protos == BOTH_PROTOS ? "tcp and udp"
	       : protos == PROTO_BIT(MAPPING_TCP) ? "tcp" : "udp";
}

/* Where another forward was written, for messages. */
static const char *where(const struct policy_forward *g, char *buf, size_t len)
{
	if (g->runtime)
		return "added at run time";
	snprintf(buf, len, "line %u", g->line);
	return buf;
}

/* f against one forward g beside it: on the ports both cover. */
static const char *pair_conflict(const struct policy *p, const struct policy_forward *f,
				 const struct policy_forward *g, char *buf, size_t len)
{
	unsigned f_end = f->external_port + forward_span(f);
	unsigned g_end = g->external_port + forward_span(g);
	uint16_t port = f->external_port > g->external_port ? f->external_port
							     : g->external_port;
	char label[64], at[32];

	if (port >= f_end || port >= g_end)
		return NULL;
	if (memcmp(f->key, g->key, 32))
		snprintf(buf, len, "external port %u is already forwarded to peer %s (%s)",
			 port, peer_label(p, g->key, label, sizeof(label)),
			 where(g, at, sizeof(at)));
	else if (f->protos & g->protos)
		snprintf(buf, len, "%s %u is already forwarded (%s)",
			 protos_text(f->protos & g->protos), port, where(g, at, sizeof(at)));
	else if (forward_target(f, port) != forward_target(g, port) ||
		 f->has_address != g->has_address || f->address != g->address)
		snprintf(buf, len, "external port %u already forwards to internal port %u "
			 "(%s): one external port goes to one address and port for both "
			 "protocols", port, forward_target(g, port), where(g, at, sizeof(at)));
	else
		return NULL;
	return buf;
}

/* A port of the forward the policy keeps for itself. */
static const char *own_port_conflict(const struct policy *p, const struct policy_forward *f,
				     char *buf, size_t len)
{
	for (unsigned i = 0; i < forward_span(f); i++) {
		uint16_t port = (uint16_t)(f->external_port + i);

		if (port == NATPMP_SERVER_PORT || port == NATPMP_CLIENT_PORT)
			snprintf(buf, len, "external port %u is the gateway's own (NAT-PMP)", port);
		else if (policy_is_reserved(p, port))
			snprintf(buf, len, "external port %u is reserved (ports.reserved)", port);
		else
			continue;
		return buf;
	}
	return NULL;
}

const char *policy_forward_conflict(const struct policy *p, const struct policy_forward *f,
				    const struct policy_forward *others, size_t n,
				    char *buf, size_t len)
{
	const struct policy_peer *owner = policy_peer_find(p, f->key);
	unsigned last = f->external_port + forward_span(f) - 1;
	char label[64];

	if (owner && owner->deny) {
		snprintf(buf, len, "the peer is denied (deny: true) and cannot have forwards");
		return buf;
	}
	if (own_port_conflict(p, f, buf, len))
		return buf;
	for (size_t k = 0; k < p->n_peers; k++) {
		const struct policy_peer *q = &p->peers[k];

		if (q == owner || !q->has_ports || last < q->port_min ||
		    f->external_port > q->port_max)
			continue;
		snprintf(buf, len, "external port %u is in the port range %u-%u of peer %s",
			 f->external_port > q->port_min ? f->external_port : q->port_min,
			 q->port_min, q->port_max, peer_label(p, q->key, label, sizeof(label)));
		return buf;
	}
	for (size_t j = 0; j < n; j++)
		if (&others[j] != f && pair_conflict(p, f, &others[j], buf, len))
			return buf;
	return NULL;
}

static int by_external_port(const void *a, const void *b)
{
	const struct policy_forward *x = a, *y = b;

	if (x->external_port != y->external_port)
		return x->external_port < y->external_port ? -1 : 1;
	return x->protos < y->protos ? -1 : x->protos > y->protos;
}

void policy_forwards_sort(struct policy *p)
{
	if (p->n_forwards)
		qsort(p->forwards, p->n_forwards, sizeof(*p->forwards), by_external_port);
}

int forwards_check(struct yconf *l)
{
	struct policy *p = P(l);
	char why[256];

	/* Each against the ones written before it. */
	for (size_t i = 0; i < p->n_forwards; i++)
		if (policy_forward_conflict(p, &p->forwards[i], p->forwards, i, why, sizeof(why)))
			return fail_at(l, ((struct forward_nodes *)l->ctx)->nodes[i], "%s", why);
	policy_forwards_sort(p);
	return 0;
}

const struct policy_forward *policy_forward_at(const struct policy *p,
					       enum mapping_proto proto, uint16_t port)
{
	size_t lo = 0, hi = p->n_forwards;

	/* The first forward starting above port; those that may cover it
	 * start at most a range's length below it. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->forwards[mid].external_port <= port)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo-- > 0 && p->forwards[lo].external_port + POLICY_FORWARD_RANGE_MAX > port) {
		const struct policy_forward *f = &p->forwards[lo];

		if (forward_covers(f, port) && (f->protos & PROTO_BIT(proto)))
			return f;
	}
	return NULL;
}
