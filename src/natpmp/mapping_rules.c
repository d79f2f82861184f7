/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The allocation rules: what a request, an expiry, a drop or an adoption
 * does to the mapping state (design.md §2.4-8). Storage, indexes,
 * transactions and queries are the lease store's (mapping_store.c); these
 * rules call into it, never the other way round. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "natpmp/codec.h"
#include "natpmp/mapping_store.h"

/* Reserves first: a change that could not be finished is not begun. */
static int change_begin(struct mapping_table *t, struct lease *l)
{
	int ret = store_reserve(t, l->d.peer);

	if (ret < 0)
		return ret;
	journal_touch(t, l);
	if (lease_linked(l))
		lease_unlink(t, l);
	return 0;
}

/* A lease with no protocol left stays unlinked: commit frees it. */
static void change_end(struct mapping_table *t, struct lease *l)
{
	if (lease_active(l))
		lease_link(t, l);
}

static struct lease *lease_new(struct mapping_table *t, const uint8_t *peer)
{
	struct lease *l;

	if (store_reserve(t, peer) < 0)
		return NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	memcpy(l->d.peer, peer, MAPPING_PEER_KEY_LEN);
	l->heap_index[0] = l->heap_index[1] = EXPIRY_HEAP_NONE;
	journal_touch(t, l);
	return l;
}

static size_t lease_drop_proto(struct mapping_table *t, struct lease *l,
			       enum mapping_proto proto)
{
	if (!l->d.proto[proto].lifetime)
		return 0;
	if (change_begin(t, l) < 0)
		return 0;
	l->d.proto[proto].lifetime = 0;
	l->d.proto[proto].expires_ms = 0;
	change_end(t, l);
	return 1;
}

static void refuse(struct mapping_reply *reply, enum mapping_refusal why)
{
	reply->result = NATPMP_RESULT_OUT_OF_RESOURCES;
	reply->refusal = why;
	reply->external_port = 0;
	reply->lifetime = 0;
}

static uint32_t clamp_lifetime(const struct mapping_limits *limits,
			       uint32_t lifetime)
{
	if (limits->lifetime_min && lifetime < limits->lifetime_min)
		lifetime = limits->lifetime_min;
	if (limits->lifetime_max && lifetime > limits->lifetime_max)
		lifetime = limits->lifetime_max;
	/* Success never carries lifetime 0 (design.md §2.8). */
	return lifetime ? lifetime : 1;
}

static int64_t expiry_of(int64_t now_ms, uint32_t lifetime)
{
	return now_ms + (int64_t)lifetime * 1000;
}

static bool busy(const struct mapping_table *t, enum mapping_space space, uint16_t port)
{
	return t->port_busy && t->port_busy(t->port_busy_arg, space, port);
}

/* The client's suggestion first (Transmission asks for its listen port),
 * then the stable hashed port, then the next free one after it; a port
 * something outside the table uses is passed over. */
static uint16_t choose_port(const struct mapping_table *t,
			    const struct mapping_limits *limits,
			    const struct mapping_request *req, uint16_t key_port)
{
	uint16_t lo = limits->port_min ? limits->port_min : 1;
	uint16_t hi = limits->port_max;
	uint16_t s = req->suggested_port, port;
	const struct portset *pool = space_pool((struct mapping_table *)t, req->space);

	/* A pinhole opens the port the peer listens on, on its own
	 * address: there is nothing to choose. */
	if (!pool)
		return key_port;
	if (lo > hi)
		return 0;
	if (s >= lo && s <= hi && portset_is_available(pool, s) && !busy(t, req->space, s))
		return s;
	port = portset_find_available(pool, lo, hi,
				      mapping_preferred_port(req->peer, key_port, lo, hi));
	for (int tries = 1; port && busy(t, req->space, port); tries++) {
		if (tries == MAPPING_BUSY_TRIES)
			return 0;
		port = portset_find_available(pool, lo, hi, port == hi ? lo : port + 1);
	}
	return port;
}

static bool of_kind(const struct lease *l, enum mapping_kinds kinds)
{
	return kinds & (l->d.is_static ? MAPPING_STATIC : MAPPING_DYNAMIC);
}

/* family: a space whose family is dropped, or NULL for every space. */
static size_t drop_peer_proto(struct mapping_table *t, const uint8_t *peer,
			      enum mapping_proto proto, enum mapping_kinds kinds,
			      const enum mapping_space *family)
{
	struct peer_record *p = peer_lookup(t, peer);
	struct lease *l, *next;
	size_t n = 0;

	if (!p)
		return 0;
	/* A lease whose last protocol goes is unlinked from this list, so
	 * the successor is taken first. */
	for (l = p->leases; l; l = next) {
		next = l->peer_next;
		if (of_kind(l, kinds) && (!family || same_family(l->d.space, *family)))
			n += lease_drop_proto(t, l, proto);
	}
	return n;
}

static void serve_delete(struct mapping_table *t,
			 const struct mapping_request *req,
			 struct mapping_reply *reply)
{
	/* RFC 6886 §3.4: internal port 0 with lifetime 0 removes all of this
	 * client's mappings of that protocol; deleting what is not there is
	 * still a success. The admin's static forwards are not the
	 * client's to delete, nor are its mappings of the other family. */
	if (req->internal_port == 0) {
		drop_peer_proto(t, req->peer, req->proto, MAPPING_DYNAMIC, &req->space);
	} else {
		struct lease *l = lease_lookup(t, req->space, req->peer,
					       req->internal_port);

		if (l)
			lease_drop_proto(t, l, req->proto);
	}
	reply->result = NATPMP_RESULT_SUCCESS;
	reply->external_port = 0;
	reply->lifetime = 0;
}

/* The lease of this peer whose external port is the request's internal
 * port and which forwards to that same port number, or NULL. */
static struct lease *same_forward(const struct mapping_table *t,
				  const struct mapping_request *req)
{
	struct lease **index = space_index(t, req->space);
	struct lease *l = index ? index[req->internal_port] : NULL;

	if (!req->internal_port || !l || l->d.is_static ||
	    l->d.target_port != req->internal_port || memcmp(l->d.peer, req->peer, MAPPING_PEER_KEY_LEN))
		return NULL;
	return l;
}

/* Internal 0 and 1 both mean "any port, forwarded to itself". */
static uint16_t key_port_of(const struct mapping_request *req)
{
	return req->internal_port ? req->internal_port : 1;
}

/* The forward a mapping request renews, or NULL for a new one. */
static struct lease *forward_of(const struct mapping_table *t,
				const struct mapping_request *req)
{
	struct lease *l = lease_lookup(t, req->space, req->peer, key_port_of(req));

	return l ? l : same_forward(t, req);
}

bool mapping_table_request_allocates(const struct mapping_table *t,
				     const struct mapping_request *req)
{
	return req->lifetime && !forward_of(t, req);
}

/* PCP's PREFER_FAILURE: the suggested port or nothing. */
static bool not_as_asked(const struct mapping_request *req, uint16_t port)
{
	return req->exact_port && req->suggested_port && port != req->suggested_port;
}

void mapping_table_request(struct mapping_table *t,
			   const struct mapping_limits *limits,
			   const struct mapping_request *req, int64_t now_ms,
			   struct mapping_reply *reply)
{
	uint16_t key_port = key_port_of(req);
	uint32_t lifetime;
	struct lease *l;

	reply->refusal = MAPPING_GRANTED;
	if (req->lifetime == 0) {
		serve_delete(t, req, reply);
		return;
	}
	lifetime = clamp_lifetime(limits, req->lifetime);
	l = forward_of(t, req);
	/* The family's other space (the IPv6 mode changed): not this one. */
	if (l && l->d.space != req->space) {
		refuse(reply, MAPPING_NO_PORT);
		return;
	}
	if (l && not_as_asked(req, l->d.external_port)) {
		refuse(reply, MAPPING_NOT_EXACT);
		return;
	}
	if (l && l->d.internal_port != key_port) {
		/* gluetun asks "any port" (internal 0), gets X, then renews
		 * as internal X: the peer's forward of X to its own port X is
		 * that same forward. One lease, keyed by what it asks now. */
		if (change_begin(t, l) < 0) {
			refuse(reply, MAPPING_NO_MEMORY);
			return;
		}
		l->d.internal_port = key_port;
		l->d.addr = req->addr;
	} else if (l) {
		/* A renewal, a retransmit or the companion protocol: the
		 * port stays whatever the client suggests now. NAT-PMP and
		 * PCP write an IPv4 address alike (IPv4-mapped): a renewal
		 * by the other protocol is the same forward, not a moved one. */
		if (change_begin(t, l) < 0) {
			refuse(reply, MAPPING_NO_MEMORY);
			return;
		}
		l->d.addr = req->addr;
	} else {
		uint16_t port;

		if (mapping_table_peer_ports(t, req->peer) >= limits->per_peer) {
			refuse(reply, MAPPING_QUOTA);
			return;
		}
		port = choose_port(t, limits, req, key_port);
		if (!port || not_as_asked(req, port)) {
			refuse(reply, port ? MAPPING_NOT_EXACT : MAPPING_NO_PORT);
			return;
		}
		/* No memory for the lease: the state is as it was. */
		if (!(l = lease_new(t, req->peer))) {
			refuse(reply, MAPPING_NO_MEMORY);
			return;
		}
		l->d.space = req->space;
		l->d.addr = req->addr;
		l->d.internal_port = key_port;
		l->d.external_port = port;
		/* Internal 0/1 (key 1): "any port, forwarded to itself"
		 * (ProtonVPN); any other internal port is honoured. */
		l->d.target_port = key_port == 1 ? port : key_port;
	}
	l->d.proto[req->proto].lifetime = lifetime;
	l->d.proto[req->proto].expires_ms = expiry_of(now_ms, lifetime);
	l->d.via = (uint8_t)req->via;
	change_end(t, l);
	reply->result = NATPMP_RESULT_SUCCESS;
	reply->external_port = l->d.external_port;
	reply->lifetime = lifetime;
}

size_t mapping_table_expire(struct mapping_table *t, int64_t now_ms)
{
	const struct expiry_entry *top;
	size_t n = 0;

	while ((top = expiry_heap_top(&t->expiries)) && top->deadline <= now_ms) {
		enum mapping_proto proto;
		struct lease *l = lease_of_slot(top->slot, &proto);

		n += lease_drop_proto(t, l, proto);
	}
	return n;
}

size_t mapping_table_drop_peer(struct mapping_table *t, const uint8_t *peer,
			       enum mapping_kinds kinds)
{
	return drop_peer_proto(t, peer, MAPPING_UDP, kinds, NULL) +
	       drop_peer_proto(t, peer, MAPPING_TCP, kinds, NULL);
}

size_t mapping_table_drop_port(struct mapping_table *t, enum mapping_space space,
			       enum mapping_proto proto, uint16_t external_port)
{
	struct lease **index = space_index(t, space);
	struct lease *l = index ? index[external_port] : NULL;

	return l ? lease_drop_proto(t, l, proto) : 0;
}

size_t mapping_table_drop_mapping(struct mapping_table *t, enum mapping_space space,
				  const uint8_t *peer, enum mapping_proto proto,
				  uint16_t internal_port)
{
	struct lease *l = lease_lookup(t, space, peer, internal_port);

	return l ? lease_drop_proto(t, l, proto) : 0;
}

/* The static lease on m's port, when it is the same forward. */
static struct lease *same_static(const struct mapping_table *t,
				 const struct mapping_view *m)
{
	struct lease *l = t->by_port[m->external_port];

	if (!l || !l->d.is_static || !ip_addr_equal(&l->d.addr, &m->addr) ||
	    l->d.target_port != m->target_port ||
	    memcmp(l->d.peer, m->peer, MAPPING_PEER_KEY_LEN))
		return NULL;
	return l;
}

static void make_static(struct lease *l, const struct mapping_view *m)
{
	l->d.is_static = true;
	l->d.addr = m->addr;
	l->d.internal_port = m->target_port;
	l->d.external_port = m->external_port;
	l->d.target_port = m->target_port;
	l->d.proto[m->proto].lifetime = MAPPING_STATIC_LIFETIME;
	l->d.proto[m->proto].expires_ms = INT64_MAX;
}

int mapping_table_put_static(struct mapping_table *t, const struct mapping_view *m)
{
	struct lease *l = same_static(t, m), *other = t->by_port[m->external_port];

	if (m->external_port == 0 || m->target_port == 0 || m->space != MAPPING_SPACE_IPV4)
		return -EINVAL;
	if (l && l->d.proto[m->proto].lifetime)
		return 0;	/* already there: nothing to write */
	if (l) {
		if (change_begin(t, l) < 0)
			return -ENOMEM;
	} else {
		/* Whatever holds the port goes, both protocols: a lease's
		 * protocols share one port and one target. */
		if (other && change_begin(t, other) < 0)
			return -ENOMEM;
		if (other) {
			other->d.proto[MAPPING_UDP].lifetime = 0;
			other->d.proto[MAPPING_TCP].lifetime = 0;
		}
		if (!(l = lease_new(t, m->peer)))
			return -ENOMEM;
	}
	make_static(l, m);
	change_end(t, l);
	return 0;
}

int mapping_table_adopt(struct mapping_table *t, const struct mapping_view *m)
{
	struct lease *l = m->is_static ? same_static(t, m)
				       : lease_lookup(t, m->space, m->peer, m->internal_port);
	struct lease **index = space_index(t, m->space);

	if (m->lifetime == 0 || m->external_port == 0 || m->space >= MAPPING_SPACE_COUNT)
		return -EINVAL;
	/* An element whose address is of the other family (written by hand,
	 * or data cut short) is not ours to keep: its flows would be looked
	 * for in the wrong conntrack table. */
	if (ip_addr_family(&m->addr) != mapping_space_family(m->space))
		return -EINVAL;
	if (m->is_static && m->space != MAPPING_SPACE_IPV4)
		return -EINVAL;
	if (m->is_static) {
		if (!l && t->by_port[m->external_port])
			return -EEXIST;
		if (l && l->d.proto[m->proto].lifetime)
			return -EEXIST;
		if (!l && !(l = lease_new(t, m->peer)))
			return -ENOMEM;
		if (lease_linked(l) && change_begin(t, l) < 0)
			return -ENOMEM;
		make_static(l, m);
		change_end(t, l);
		return 0;
	}
	if (l) {
		/* The companion protocol of a lease already adopted. */
		if (l->d.external_port != m->external_port || l->d.space != m->space ||
		    l->d.proto[m->proto].lifetime)
			return -EEXIST;
		if (change_begin(t, l) < 0)
			return -ENOMEM;
	} else {
		if (index && index[m->external_port])
			return -EEXIST;
		l = lease_new(t, m->peer);
		if (!l)
			return -ENOMEM;
		l->d.space = m->space;
		l->d.addr = m->addr;
		l->d.internal_port = m->internal_port;
		l->d.external_port = m->external_port;
	}
	/* An IPv4 companion's target is the lease's; an IPv6 lease keeps
	 * its first element's address. */
	if (m->space == MAPPING_SPACE_IPV4)
		l->d.addr = m->addr;
	l->d.target_port = m->target_port;
	l->d.via = (uint8_t)m->via;
	l->d.proto[m->proto].lifetime = m->lifetime;
	l->d.proto[m->proto].expires_ms = m->expires_ms;
	change_end(t, l);
	return 0;
}

uint16_t mapping_preferred_port(const uint8_t *peer, uint16_t internal_port,
				uint16_t port_min, uint16_t port_max)
{
	uint32_t span;

	if (port_min == 0)
		port_min = 1;
	if (port_max < port_min)
		return 0;
	span = (uint32_t)port_max - port_min + 1;
	return (uint16_t)(port_min + hash_key_port(peer, internal_port) % span);
}
