/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/array.h"
#include "natpmp/mapping.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "natpmp/codec.h"
#include "natpmp/mapping_store.h"


static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* FNV-1a over the key and port, then a finaliser. Fixed constants on purpose:
 * the preferred port must be the same after a restart or on another host. */
uint64_t hash_key_port(const uint8_t *key, uint16_t port)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < MAPPING_PEER_KEY_LEN; i++)
		h = (h ^ key[i]) * 0x100000001b3ULL;
	h = (h ^ (port >> 8)) * 0x100000001b3ULL;
	h = (h ^ (port & 0xff)) * 0x100000001b3ULL;
	return mix64(h);
}

struct mapping_table *mapping_table_new(void)
{
	struct mapping_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	portset_init(&t->ports);
	portset_init(&t->ports6);
	expiry_heap_init(&t->expiries);
	t->lease_bucket_count = 256;
	t->peer_bucket_count = 64;
	t->by_port = calloc(65536, sizeof(*t->by_port));
	t->by_port6 = calloc(65536, sizeof(*t->by_port6));
	t->lease_buckets = calloc(t->lease_bucket_count, sizeof(struct lease *));
	t->peer_buckets = calloc(t->peer_bucket_count, sizeof(struct peer_record *));
	if (!t->by_port || !t->by_port6 || !t->lease_buckets || !t->peer_buckets) {
		mapping_table_free(t);
		return NULL;
	}
	return t;
}

void mapping_table_free(struct mapping_table *t)
{
	if (!t)
		return;
	if (t->in_txn)
		mapping_table_rollback(t);
	for (size_t i = 0; t->lease_buckets && i < t->lease_bucket_count; i++) {
		struct lease *l = t->lease_buckets[i], *next;

		for (; l; l = next) {
			next = l->hash_next;
			free(l);
		}
	}
	for (size_t i = 0; t->peer_buckets && i < t->peer_bucket_count; i++) {
		struct peer_record *p = t->peer_buckets[i], *next;

		for (; p; p = next) {
			next = p->hash_next;
			free(p);
		}
	}
	free(t->lease_buckets);
	free(t->peer_buckets);
	free(t->by_port);
	free(t->by_port6);
	free(t->journal);
	expiry_heap_free(&t->expiries);
	free(t);
}

void mapping_table_reserve_port(struct mapping_table *t, uint16_t port,
				bool reserved)
{
	portset_set_reserved(&t->ports, port, reserved);
	portset_set_reserved(&t->ports6, port, reserved);
}

void mapping_table_clear_reserved(struct mapping_table *t)
{
	portset_clear_reserved(&t->ports);
	portset_clear_reserved(&t->ports6);
}

bool mapping_table_port_reserved(const struct mapping_table *t, uint16_t port)
{
	return portset_is_reserved(&t->ports, port);
}

void mapping_table_set_port_busy(struct mapping_table *t,
				 bool (*busy)(void *arg, enum mapping_space space, uint16_t port),
				 void *arg)
{
	t->port_busy = busy;
	t->port_busy_arg = arg;
}

/* ---- indexes ---------------------------------------------------------- */

static size_t lease_bucket(const struct mapping_table *t, const uint8_t *peer,
			   uint16_t internal_port)
{
	return hash_key_port(peer, internal_port) & (t->lease_bucket_count - 1);
}

static size_t peer_bucket(const struct mapping_table *t, const uint8_t *peer)
{
	return hash_key_port(peer, 0) & (t->peer_bucket_count - 1);
}

bool same_family(enum mapping_space a, enum mapping_space b)
{
	return (a == MAPPING_SPACE_IPV4) == (b == MAPPING_SPACE_IPV4);
}

struct lease *lease_lookup(const struct mapping_table *t, enum mapping_space space,
			   const uint8_t *peer, uint16_t internal_port)
{
	struct lease *l = t->lease_buckets[lease_bucket(t, peer, internal_port)];

	for (; l; l = l->hash_next)
		if (l->d.internal_port == internal_port && !l->d.is_static &&
		    same_family(l->d.space, space) &&
		    !memcmp(l->d.peer, peer, MAPPING_PEER_KEY_LEN))
			return l;
	return NULL;
}

struct lease **space_index(const struct mapping_table *t, enum mapping_space space)
{
	return space == MAPPING_SPACE_IPV4 ? t->by_port
	       : space == MAPPING_SPACE_NAT66 ? t->by_port6 : NULL;
}

struct portset *space_pool(struct mapping_table *t, enum mapping_space space)
{
	return space == MAPPING_SPACE_IPV4 ? &t->ports
	       : space == MAPPING_SPACE_NAT66 ? &t->ports6 : NULL;
}

struct peer_record *peer_lookup(const struct mapping_table *t,
				       const uint8_t *peer)
{
	struct peer_record *p = t->peer_buckets[peer_bucket(t, peer)];

	for (; p; p = p->hash_next)
		if (!memcmp(p->key, peer, MAPPING_PEER_KEY_LEN))
			return p;
	return NULL;
}

static int grow_lease_buckets(struct mapping_table *t)
{
	size_t old_count = t->lease_bucket_count;
	struct lease **old = t->lease_buckets;
	struct lease **grown = calloc(old_count * 2, sizeof(*old));

	if (!grown)
		return -ENOMEM;
	t->lease_bucket_count *= 2;
	t->lease_buckets = grown;
	for (size_t i = 0; i < old_count; i++) {
		struct lease *l = old[i], *next;

		for (; l; l = next) {
			size_t b = lease_bucket(t, l->d.peer, l->d.internal_port);

			next = l->hash_next;
			l->hash_next = t->lease_buckets[b];
			t->lease_buckets[b] = l;
		}
	}
	free(old);
	return 0;
}

static int grow_peer_buckets(struct mapping_table *t)
{
	size_t old_count = t->peer_bucket_count;
	struct peer_record **old = t->peer_buckets;
	struct peer_record **grown = calloc(old_count * 2, sizeof(*old));

	if (!grown)
		return -ENOMEM;
	t->peer_bucket_count *= 2;
	t->peer_buckets = grown;
	for (size_t i = 0; i < old_count; i++) {
		struct peer_record *p = old[i], *next;

		for (; p; p = next) {
			size_t b = peer_bucket(t, p->key);

			next = p->hash_next;
			p->hash_next = t->peer_buckets[b];
			t->peer_buckets[b] = p;
		}
	}
	free(old);
	return 0;
}

static struct peer_record *peer_get(struct mapping_table *t, const uint8_t *peer)
{
	struct peer_record *p = peer_lookup(t, peer);
	size_t b;

	if (p)
		return p;
	if (t->peer_count >= t->peer_bucket_count && grow_peer_buckets(t) < 0)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	memcpy(p->key, peer, MAPPING_PEER_KEY_LEN);
	b = peer_bucket(t, peer);
	p->hash_next = t->peer_buckets[b];
	t->peer_buckets[b] = p;
	t->peer_count++;
	return p;
}

void peer_release_if_empty(struct mapping_table *t, const uint8_t *peer)
{
	struct peer_record **pp = &t->peer_buckets[peer_bucket(t, peer)];

	for (; *pp; pp = &(*pp)->hash_next) {
		struct peer_record *p = *pp;

		if (memcmp(p->key, peer, MAPPING_PEER_KEY_LEN))
			continue;
		if (p->lease_count == 0) {
			*pp = p->hash_next;
			free(p);
			t->peer_count--;
		}
		return;
	}
}

bool lease_active(const struct lease *l)
{
	return l->d.proto[MAPPING_UDP].lifetime || l->d.proto[MAPPING_TCP].lifetime;
}

/* Everything lease_link may need, allocated before anything changes: a
 * change then never fails half-way, and a rollback never allocates. */
int store_reserve(struct mapping_table *t, const uint8_t *peer)
{
	if (t->lease_count + 1 >= t->lease_bucket_count && grow_lease_buckets(t) < 0)
		return -ENOMEM;
	if (!peer_get(t, peer))
		return -ENOMEM;
	if (expiry_heap_reserve(&t->expiries, MAPPING_PROTO_COUNT) < 0)
		return -ENOMEM;
	if (!ARRAY_RESERVE(t->journal, t->journal_len, t->journal_cap))
		return -ENOMEM;
	return 0;
}

void lease_link(struct mapping_table *t, struct lease *l)
{
	size_t b;

	b = lease_bucket(t, l->d.peer, l->d.internal_port);
	l->hash_next = t->lease_buckets[b];
	t->lease_buckets[b] = l;
	t->lease_count++;

	if (space_index(t, l->d.space)) {
		space_index(t, l->d.space)[l->d.external_port] = l;
		portset_set_used(space_pool(t, l->d.space), l->d.external_port, true);
	}

	l->owner = peer_lookup(t, l->d.peer);	/* store_reserve made it */
	l->peer_prev = NULL;
	l->peer_next = l->owner->leases;
	if (l->peer_next)
		l->peer_next->peer_prev = l;
	l->owner->leases = l;
	l->owner->lease_count++;
	l->owner->static_count += l->d.is_static;

	for (int p = 0; p < MAPPING_PROTO_COUNT; p++) {
		l->heap_index[p] = EXPIRY_HEAP_NONE;
		if (!l->d.proto[p].lifetime)
			continue;
		t->active_space[l->d.space][p]++;
		t->active_static[p] += l->d.is_static;
		if (l->d.is_static)
			continue;	/* never expires */
		/* Cannot fail: store_reserve (or the state before a rollback)
		 * left room. */
		expiry_heap_push(&t->expiries, l->d.proto[p].expires_ms,
				 &l->heap_index[p]);
	}
}

void lease_unlink(struct mapping_table *t, struct lease *l)
{
	struct lease **pp = &t->lease_buckets[lease_bucket(t, l->d.peer,
							   l->d.internal_port)];

	while (*pp != l)
		pp = &(*pp)->hash_next;
	*pp = l->hash_next;
	t->lease_count--;

	if (space_index(t, l->d.space)) {
		space_index(t, l->d.space)[l->d.external_port] = NULL;
		portset_set_used(space_pool(t, l->d.space), l->d.external_port, false);
	}

	if (l->peer_prev)
		l->peer_prev->peer_next = l->peer_next;
	else
		l->owner->leases = l->peer_next;
	if (l->peer_next)
		l->peer_next->peer_prev = l->peer_prev;
	l->owner->lease_count--;
	l->owner->static_count -= l->d.is_static;

	for (int p = 0; p < MAPPING_PROTO_COUNT; p++) {
		if (l->heap_index[p] != EXPIRY_HEAP_NONE)
			expiry_heap_remove(&t->expiries, l->heap_index[p]);
		if (!l->d.proto[p].lifetime)
			continue;
		t->active_space[l->d.space][p]--;
		t->active_static[p] -= l->d.is_static;
	}
	l->owner = NULL;	/* unlinked */
}

_Static_assert(offsetof(struct lease, heap_index) % 8 == 0 &&
	       _Alignof(struct lease) >= 8 && MAPPING_PROTO_COUNT == 2,
	       "lease_of_slot reads the protocol from bit 2 of a slot's address");

struct lease *lease_of_slot(uint32_t *slot, enum mapping_proto *proto)
{
	*proto = ((uintptr_t)slot & 4) ? MAPPING_TCP : MAPPING_UDP;
	return (struct lease *)((char *)(slot - *proto) -
				offsetof(struct lease, heap_index));
}

/* ---- transactions ----------------------------------------------------- */

int mapping_table_begin(struct mapping_table *t)
{
	if (t->in_txn)
		return -EBUSY;
	t->in_txn = true;
	t->journal_len = 0;
	return 0;
}

void journal_touch(struct mapping_table *t, struct lease *l)
{
	struct journal_entry *e;

	/* store_reserve made room. */
	if (l->journal_index)
		return;
	e = &t->journal[t->journal_len++];
	e->lease = l;
	e->before = l->d;
	e->existed = lease_linked(l);
	l->journal_index = (uint32_t)t->journal_len;
}

void mapping_table_commit(struct mapping_table *t)
{
	for (size_t i = 0; i < t->journal_len; i++) {
		struct lease *l = t->journal[i].lease;

		l->journal_index = 0;
		if (!lease_linked(l)) {
			peer_release_if_empty(t, l->d.peer);
			free(l);
		}
	}
	t->journal_len = 0;
	t->in_txn = false;
}

void mapping_table_rollback(struct mapping_table *t)
{
	/* Unlink everything first: a port freed and taken again in this
	 * transaction must be free before its first owner returns. */
	for (size_t i = t->journal_len; i-- > 0;)
		if (lease_linked(t->journal[i].lease))
			lease_unlink(t, t->journal[i].lease);
	for (size_t i = 0; i < t->journal_len; i++) {
		struct journal_entry *e = &t->journal[i];

		e->lease->journal_index = 0;
		if (e->existed) {
			e->lease->d = e->before;
			lease_link(t, e->lease);
		} else {
			peer_release_if_empty(t, e->lease->d.peer);
			free(e->lease);
		}
	}
	t->journal_len = 0;
	t->in_txn = false;
}

size_t mapping_table_leases_touched(const struct mapping_table *t)
{
	return t->journal_len;
}

void view_of(const struct lease_data *d, enum mapping_proto proto,
		    struct mapping_view *v)
{
	v->peer = d->peer;
	v->space = d->space;
	v->addr = d->addr;
	v->proto = proto;
	v->internal_port = d->internal_port;
	v->external_port = d->external_port;
	v->target_port = d->target_port;
	v->is_static = d->is_static;
	v->via = (enum mapping_via)d->via;
	v->lifetime = d->proto[proto].lifetime;
	v->expires_ms = d->proto[proto].expires_ms;
}

static bool views_equal(const struct mapping_view *a,
			const struct mapping_view *b)
{
	return a->space == b->space && ip_addr_equal(&a->addr, &b->addr) &&
	       a->external_port == b->external_port &&
	       a->internal_port == b->internal_port && a->is_static == b->is_static &&
	       a->via == b->via &&
	       a->target_port == b->target_port && a->lifetime == b->lifetime &&
	       a->expires_ms == b->expires_ms;
}

void mapping_table_foreach_change(const struct mapping_table *t,
				  void (*cb)(const struct mapping_change *, void *),
				  void *arg)
{
	for (size_t i = 0; i < t->journal_len; i++) {
		const struct journal_entry *e = &t->journal[i];
		const struct lease *l = e->lease;

		for (int p = 0; p < MAPPING_PROTO_COUNT; p++) {
			struct mapping_change c;

			c.was_active = e->existed && e->before.proto[p].lifetime;
			c.is_active = lease_linked(l) && l->d.proto[p].lifetime;
			if (!c.was_active && !c.is_active)
				continue;
			view_of(&e->before, p, &c.before);
			view_of(&l->d, p, &c.after);
			if (c.was_active && c.is_active &&
			    views_equal(&c.before, &c.after))
				continue;
			cb(&c, arg);
		}
	}
}

/* ---- queries ------------------------------------------------------- */

int64_t mapping_table_next_expiry(const struct mapping_table *t)
{
	const struct expiry_entry *top = expiry_heap_top(&t->expiries);

	return top ? top->deadline : INT64_MAX;
}

bool mapping_table_find_in(const struct mapping_table *t, enum mapping_space space,
			   const uint8_t *peer, enum mapping_proto proto,
			   uint16_t internal_port, struct mapping_view *out)
{
	const struct lease *l = lease_lookup(t, space, peer,
					     internal_port ? internal_port : 1);

	if (!l || !l->d.proto[proto].lifetime)
		return false;
	view_of(&l->d, proto, out);
	return true;
}

bool mapping_table_find_by_port(const struct mapping_table *t, enum mapping_space space,
				enum mapping_proto proto, uint16_t external_port,
				struct mapping_view *out)
{
	struct lease **index = space_index(t, space);
	const struct lease *l = index ? index[external_port] : NULL;

	if (!l || !l->d.proto[proto].lifetime)
		return false;
	view_of(&l->d, proto, out);
	return true;
}

size_t mapping_table_count(const struct mapping_table *t,
			   enum mapping_proto proto)
{
	size_t n = 0;

	for (int sp = 0; sp < MAPPING_SPACE_COUNT; sp++)
		n += t->active_space[sp][proto];
	return n;
}

size_t mapping_table_count_space(const struct mapping_table *t,
				 enum mapping_space space, enum mapping_proto proto)
{
	return t->active_space[space][proto];
}

size_t mapping_table_count_static(const struct mapping_table *t,
				  enum mapping_proto proto)
{
	return t->active_static[proto];
}

uint32_t mapping_table_peer_ports(const struct mapping_table *t,
				  const uint8_t *peer)
{
	const struct peer_record *p = peer_lookup(t, peer);

	return p ? p->lease_count - p->static_count : 0;
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

void mapping_table_peer_foreach(const struct mapping_table *t, const uint8_t *peer,
				void (*cb)(const struct mapping_view *, void *), void *arg)
{
	const struct peer_record *p = peer_lookup(t, peer);

	for (const struct lease *l = p ? p->leases : NULL; l; l = l->peer_next)
		visit_lease(l, cb, arg);
}

void mapping_table_foreach(const struct mapping_table *t,
			   void (*cb)(const struct mapping_view *, void *),
			   void *arg)
{
	for (uint32_t port = 1; port < 65536; port++)
		if (t->by_port[port])
			visit_lease(t->by_port[port], cb, arg);
	for (uint32_t port = 1; port < 65536; port++)
		if (t->by_port6[port])
			visit_lease(t->by_port6[port], cb, arg);
	/* Pinholes have no port index: by peer. */
	if (!t->active_space[MAPPING_SPACE_ROUTED6][MAPPING_UDP] &&
	    !t->active_space[MAPPING_SPACE_ROUTED6][MAPPING_TCP])
		return;
	for (size_t i = 0; i < t->peer_bucket_count; i++)
		for (const struct peer_record *p = t->peer_buckets[i]; p; p = p->hash_next)
			for (const struct lease *l = p->leases; l; l = l->peer_next)
				if (l->d.space == MAPPING_SPACE_ROUTED6)
					visit_lease(l, cb, arg);
}
