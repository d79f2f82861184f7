/* What a request, an expiry, a drop or an adoption does to the mapping state
 * (design.md §2.4-8). Storage and transactions live in mapping.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "natpmp/codec.h"
#include "natpmp/mapping_impl.h"

static void change_begin(struct mapping_table *t, struct lease *l)
{
	journal_touch(t, l);
	if (l->linked)
		lease_unlink(t, l);
}

/* A lease with no protocol left stays unlinked: commit frees it. */
static void change_end(struct mapping_table *t, struct lease *l)
{
	if (lease_active(l))
		lease_link(t, l);
}

static struct lease *lease_new(struct mapping_table *t)
{
	struct lease *l = calloc(1, sizeof(*l));

	if (!l)
		fatal("mapping table");
	l->heap_index[0] = l->heap_index[1] = EXPIRY_HEAP_NONE;
	journal_touch(t, l);
	return l;
}

static size_t lease_drop_proto(struct mapping_table *t, struct lease *l,
			       enum mapping_proto proto)
{
	if (!l->d.proto[proto].lifetime)
		return 0;
	change_begin(t, l);
	l->d.proto[proto].lifetime = 0;
	l->d.proto[proto].expires_ms = 0;
	change_end(t, l);
	return 1;
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

/* The client's suggestion first (Transmission asks for its listen port),
 * then the stable hashed port, then the next free one after it. */
static uint16_t choose_port(const struct mapping_table *t,
			    const struct mapping_limits *limits,
			    const struct mapping_request *req, uint16_t key_port)
{
	uint16_t lo = limits->port_min ? limits->port_min : 1;
	uint16_t hi = limits->port_max;
	uint16_t s = req->suggested_port;

	if (lo > hi)
		return 0;
	if (s >= lo && s <= hi && portset_is_available(&t->ports, s))
		return s;
	return portset_find_available(&t->ports, lo, hi,
				      mapping_preferred_port(req->peer, key_port,
							     lo, hi));
}

static size_t drop_peer_proto(struct mapping_table *t, const uint8_t *peer,
			      enum mapping_proto proto)
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
	 * still a success. */
	if (req->internal_port == 0) {
		drop_peer_proto(t, req->peer, req->proto);
	} else {
		struct lease *l = lease_lookup(t, req->peer, req->internal_port);

		if (l)
			lease_drop_proto(t, l, req->proto);
	}
	reply->result = NATPMP_RESULT_SUCCESS;
	reply->external_port = 0;
	reply->lifetime = 0;
}

void mapping_table_request(struct mapping_table *t,
			   const struct mapping_limits *limits,
			   const struct mapping_request *req, int64_t now_ms,
			   struct mapping_reply *reply)
{
	/* Internal 0 and 1 both mean "any port, forwarded to itself". */
	uint16_t key_port = req->internal_port ? req->internal_port : 1;
	uint32_t lifetime;
	struct lease *l;

	if (req->lifetime == 0) {
		serve_delete(t, req, reply);
		return;
	}
	lifetime = clamp_lifetime(limits, req->lifetime);
	l = lease_lookup(t, req->peer, key_port);
	if (l) {
		/* A renewal, a retransmit or the companion protocol: the
		 * port stays whatever the client suggests now. */
		change_begin(t, l);
		l->d.addr = req->addr;
	} else {
		uint16_t port;

		if (mapping_table_peer_ports(t, req->peer) >= limits->per_peer) {
			reply->result = NATPMP_RESULT_OUT_OF_RESOURCES;
			reply->external_port = 0;
			reply->lifetime = 0;
			return;
		}
		port = choose_port(t, limits, req, key_port);
		if (!port) {
			reply->result = NATPMP_RESULT_OUT_OF_RESOURCES;
			reply->external_port = 0;
			reply->lifetime = 0;
			return;
		}
		l = lease_new(t);
		memcpy(l->d.peer, req->peer, MAPPING_PEER_KEY_LEN);
		l->d.addr = req->addr;
		l->d.internal_port = key_port;
		l->d.external_port = port;
		l->d.target_port = (limits->same_port || key_port == 1) ? port
									 : key_port;
	}
	l->d.proto[req->proto].lifetime = lifetime;
	l->d.proto[req->proto].expires_ms = expiry_of(now_ms, lifetime);
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
		struct lease *l = top->owner;
		enum mapping_proto proto =
			top->slot == &l->heap_index[MAPPING_UDP] ? MAPPING_UDP
								 : MAPPING_TCP;

		n += lease_drop_proto(t, l, proto);
	}
	return n;
}

int64_t mapping_table_next_expiry(const struct mapping_table *t)
{
	const struct expiry_entry *top = expiry_heap_top(&t->expiries);

	return top ? top->deadline : INT64_MAX;
}

size_t mapping_table_drop_peer(struct mapping_table *t, const uint8_t *peer)
{
	return drop_peer_proto(t, peer, MAPPING_UDP) +
	       drop_peer_proto(t, peer, MAPPING_TCP);
}

size_t mapping_table_drop_port(struct mapping_table *t, enum mapping_proto proto,
			       uint16_t external_port)
{
	struct lease *l = t->by_port[external_port];

	return l ? lease_drop_proto(t, l, proto) : 0;
}

int mapping_table_adopt(struct mapping_table *t, const struct mapping_view *m)
{
	struct lease *l = lease_lookup(t, m->peer, m->internal_port);

	if (m->lifetime == 0 || m->external_port == 0)
		return -EINVAL;
	if (l) {
		/* The companion protocol of a lease already adopted. */
		if (l->d.external_port != m->external_port ||
		    l->d.proto[m->proto].lifetime)
			return -EEXIST;
		change_begin(t, l);
	} else {
		if (t->by_port[m->external_port])
			return -EEXIST;
		l = lease_new(t);
		memcpy(l->d.peer, m->peer, MAPPING_PEER_KEY_LEN);
		l->d.internal_port = m->internal_port;
		l->d.external_port = m->external_port;
	}
	l->d.addr = m->addr;
	l->d.target_port = m->target_port;
	l->d.proto[m->proto].lifetime = m->lifetime;
	l->d.proto[m->proto].expires_ms = m->expires_ms;
	change_end(t, l);
	return 0;
}

bool mapping_table_find(const struct mapping_table *t, const uint8_t *peer,
			enum mapping_proto proto, uint16_t internal_port,
			struct mapping_view *out)
{
	const struct lease *l = lease_lookup(t, peer, internal_port ? internal_port : 1);

	if (!l || !l->d.proto[proto].lifetime)
		return false;
	view_of(&l->d, proto, out);
	return true;
}

bool mapping_table_find_by_port(const struct mapping_table *t,
				enum mapping_proto proto, uint16_t external_port,
				struct mapping_view *out)
{
	const struct lease *l = t->by_port[external_port];

	if (!l || !l->d.proto[proto].lifetime)
		return false;
	view_of(&l->d, proto, out);
	return true;
}

size_t mapping_table_count(const struct mapping_table *t,
			   enum mapping_proto proto)
{
	return t->active[proto];
}

uint32_t mapping_table_peer_ports(const struct mapping_table *t,
				  const uint8_t *peer)
{
	const struct peer_record *p = peer_lookup(t, peer);

	return p ? p->lease_count : 0;
}

size_t mapping_table_peer_count(const struct mapping_table *t)
{
	size_t n = 0;

	/* Records of peers whose last lease went are freed at commit. */
	for (size_t i = 0; i < t->peer_bucket_count; i++)
		for (const struct peer_record *p = t->peer_buckets[i]; p;
		     p = p->hash_next)
			n += p->lease_count > 0;
	return n;
}

static void visit_lease(const struct lease *l,
			void (*cb)(const struct mapping_view *, void *), void *arg)
{
	for (int p = 0; p < MAPPING_PROTO_COUNT; p++) {
		struct mapping_view v;

		if (!l->d.proto[p].lifetime)
			continue;
		view_of(&l->d, p, &v);
		cb(&v, arg);
	}
}

void mapping_table_foreach(const struct mapping_table *t,
			   void (*cb)(const struct mapping_view *, void *),
			   void *arg)
{
	for (uint32_t port = 1; port < 65536; port++)
		if (t->by_port[port])
			visit_lease(t->by_port[port], cb, arg);
}

void mapping_table_foreach_peer_mapping(const struct mapping_table *t,
					const uint8_t *peer,
					void (*cb)(const struct mapping_view *, void *),
					void *arg)
{
	const struct peer_record *p = peer_lookup(t, peer);

	for (const struct lease *l = p ? p->leases : NULL; l; l = l->peer_next)
		visit_lease(l, cb, arg);
}
