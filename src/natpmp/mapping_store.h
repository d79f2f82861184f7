/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The lease store (mapping_store.c): storage, indexes, the transaction
 * journal and queries. The allocation rules (mapping_rules.c) build on it.
 * Not a public API: callers use natpmp/mapping.h. */
#ifndef PORTGATE_NATPMP_MAPPING_STORE_H
#define PORTGATE_NATPMP_MAPPING_STORE_H

#include "natpmp/expiry_heap.h"
#include "natpmp/mapping.h"
#include "natpmp/portset.h"

/* What a transaction snapshots and rollback restores. */
struct lease_data {
	uint8_t peer[MAPPING_PEER_KEY_LEN];
	enum mapping_space space;
	struct ip_addr addr;
	uint16_t internal_port;
	uint16_t external_port;
	uint16_t target_port;
	bool is_static;		/* the admin's: no expiry, no quota */
	uint8_t via;		/* enum mapping_via */
	/* 12 bytes each, not 16: the pair padded to 8 would cost a lease 8
	 * bytes (issue 22 §4). Nobody takes a member's address. */
	struct {
		int64_t expires_ms;
		uint32_t lifetime;	/* 0: this protocol is not mapped */
	} __attribute__((packed, aligned(4))) proto[MAPPING_PROTO_COUNT];
};

struct peer_record;

/* 128 bytes on x86-64 and arm64, glibc's 144-byte chunk (docs/
 * performance.md, 2026-12-06). */
struct lease {
	struct lease_data d;
	uint32_t journal_index;	/* 1-based position in the journal, 0: none */
	/* Each protocol's entry in the expiry heap, whose entries point here.
	 * The pair starts at an 8-byte boundary, so an entry's address tells
	 * its protocol (lease_of_slot). */
	_Alignas(8) uint32_t heap_index[MAPPING_PROTO_COUNT];
	struct lease *hash_next;
	struct lease *peer_prev, *peer_next;
	struct peer_record *owner;	/* NULL while unlinked */
};

struct peer_record {
	uint8_t key[MAPPING_PEER_KEY_LEN];
	uint32_t lease_count;
	uint32_t static_count;	/* of lease_count */
	struct lease *leases;
	struct peer_record *hash_next;
};

struct journal_entry {
	struct lease *lease;
	struct lease_data before;
	bool existed;
};

struct mapping_table {
	/* The port pools and indexes of the spaces that have one (IPv4,
	 * NAT66); reserved ports are reserved in both. */
	struct portset ports, ports6;
	struct lease **by_port, **by_port6;	/* 65536 slots each */
	struct lease **lease_buckets;
	size_t lease_bucket_count;
	size_t lease_count;
	struct peer_record **peer_buckets;
	size_t peer_bucket_count;
	size_t peer_count;
	struct expiry_heap expiries;
	size_t active_static[MAPPING_PROTO_COUNT];
	size_t active_space[MAPPING_SPACE_COUNT][MAPPING_PROTO_COUNT];
	struct journal_entry *journal;
	size_t journal_len, journal_cap;
	bool in_txn;
	bool (*port_busy)(void *arg, enum mapping_space space, uint16_t port);
	void *port_busy_arg;
};

/* Fixed-constant hash of a key and a port (buckets, preferred ports). */
uint64_t hash_key_port(const uint8_t *key, uint16_t port);
/* Allocates what linking one more lease of this peer may need. Call before
 * changing anything; -ENOMEM leaves the state as it was. */
int store_reserve(struct mapping_table *t, const uint8_t *peer);
void peer_release_if_empty(struct mapping_table *t, const uint8_t *peer);
/* The peer's dynamic lease of an internal port in the family of space
 * (static forwards are found by their external port). */
struct lease *lease_lookup(const struct mapping_table *t, enum mapping_space space,
			   const uint8_t *peer, uint16_t internal_port);
/* The port index and pool of a space; NULL for ROUTED6, which has none. */
struct lease **space_index(const struct mapping_table *t, enum mapping_space space);
struct portset *space_pool(struct mapping_table *t, enum mapping_space space);
bool same_family(enum mapping_space a, enum mapping_space b);
bool lease_active(const struct lease *l);
/* In the indexes (lease_link), or not (new, or unlinked to be changed or
 * freed). */
static inline bool lease_linked(const struct lease *l)
{
	return l->owner != NULL;
}
/* The lease and protocol whose heap_index[] slot is the given one. */
struct lease *lease_of_slot(uint32_t *slot, enum mapping_proto *proto);
void lease_link(struct mapping_table *t, struct lease *l);
void lease_unlink(struct mapping_table *t, struct lease *l);
/* Call before the first change of a lease in a transaction, after
 * store_reserve. */
void journal_touch(struct mapping_table *t, struct lease *l);
void view_of(const struct lease_data *d, enum mapping_proto proto,
	     struct mapping_view *v);
struct peer_record *peer_lookup(const struct mapping_table *t,
				const uint8_t *peer);

#endif
