/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mapping state: which peer holds which external port, for which
 * protocol, until when. Pure state: no sockets, no kernel, no clock (callers
 * pass "now" in milliseconds of a monotonic clock).
 *
 * An external port is held by a lease keyed by (peer, internal port). A lease
 * carries a UDP and a TCP mapping, each with its own lifetime, so one peer's
 * UDP and TCP mappings of one internal port always share one external port and
 * nobody else can take the companion port (design.md §2.6).
 *
 * A static lease is the admin's forward (policy `forwards:`): it never
 * expires, does not count against the peer's quota, is never found by an
 * internal port (a client's request never renews or deletes it) and its
 * port is never handed out while it stands.
 *
 * Every change happens inside a transaction: mapping_table_begin(), any number
 * of requests, expiries and drops, then mapping_table_commit() once the kernel
 * holds the result, or mapping_table_rollback() to restore the state exactly
 * as it was. mapping_table_foreach_change() lists what the kernel must do. */
#ifndef PORTGATE_NATPMP_MAPPING_H
#define PORTGATE_NATPMP_MAPPING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ipaddr.h"

#define MAPPING_PEER_KEY_LEN 32

enum mapping_proto {
	MAPPING_UDP = 0,
	MAPPING_TCP = 1,
};
#define MAPPING_PROTO_COUNT 2

struct mapping_limits {
	uint16_t port_min;
	uint16_t port_max;
	uint32_t per_peer;	/* external ports one peer may hold */
	uint32_t lifetime_min;
	uint32_t lifetime_max;
};

/* Where a mapping's external port lives (design.md §7). */
enum mapping_space {
	MAPPING_SPACE_IPV4 = 0,		/* the external IPv4 address: DNAT */
	MAPPING_SPACE_NAT66 = 1,	/* the external IPv6 address: DNAT */
	/* The peer's own IPv6 address (ipv6.mode: routed): a pinhole, no
	 * NAT. The external port is the internal port, and one peer's port
	 * never stands in another's way: no port pool, no port index. */
	MAPPING_SPACE_ROUTED6 = 2,
};
#define MAPPING_SPACE_COUNT 3

/* The protocol a mapping was last asked for through. */
enum mapping_via {
	MAPPING_VIA_NATPMP = 0,
	MAPPING_VIA_PCP = 1,
	MAPPING_VIA_UPNP = 2,		/* UPnP IGD (src/daemon/upnp_serve.c) */
};
#define MAPPING_VIA_COUNT 3

/* The family of a space's addresses. */
static inline enum ip_family mapping_space_family(enum mapping_space space)
{
	return space == MAPPING_SPACE_IPV4 ? IP_V4 : IP_V6;
}

/* "natpmp", "pcp", "upnp": the label of list, API, events and metrics. */
static inline const char *mapping_via_label(enum mapping_via via)
{
	return via == MAPPING_VIA_PCP ? "pcp" : via == MAPPING_VIA_UPNP ? "upnp" : "natpmp";
}

struct mapping_request {
	const uint8_t *peer;	/* MAPPING_PEER_KEY_LEN bytes */
	enum mapping_via via;
	/* A peer holds one lease per internal port in each family: IPv4,
	 * and IPv6 (NAT66 or ROUTED6). */
	enum mapping_space space;
	struct ip_addr addr;	/* the internal address, of the space's family */
	enum mapping_proto proto;
	uint16_t internal_port;
	uint16_t suggested_port;
	/* The suggested port or nothing (PCP's PREFER_FAILURE). */
	bool exact_port;
	uint32_t lifetime;
};

/* Why a request got no port (result 4 in RFC 6886 terms; PCP tells them
 * apart). */
enum mapping_refusal {
	MAPPING_GRANTED = 0,
	MAPPING_QUOTA,		/* the peer holds its per_peer ports */
	MAPPING_NO_PORT,	/* none free in its range */
	MAPPING_NOT_EXACT,	/* exact_port, and the suggested port cannot be had */
	MAPPING_NO_MEMORY,
};

struct mapping_reply {
	uint16_t result;	/* an RFC 6886 result code */
	enum mapping_refusal refusal;
	uint16_t external_port;
	uint32_t lifetime;
};

/* The lifetime a static mapping shows; it never expires. */
#define MAPPING_STATIC_LIFETIME UINT32_MAX

enum mapping_kinds {
	MAPPING_DYNAMIC = 1,	/* asked for by a client */
	MAPPING_STATIC = 2,	/* set by the admin */
	MAPPING_ANY = 3,
};

/* One mapping as callers see it. peer points into the table: valid until the
 * next change. */
struct mapping_view {
	const uint8_t *peer;
	enum mapping_space space;
	struct ip_addr addr;	/* the internal address, of the space's family */
	enum mapping_proto proto;
	uint16_t internal_port;	/* the key: 1 stands for "0 or 1" */
	uint16_t external_port;
	uint16_t target_port;	/* where the kernel forwards to */
	bool is_static;
	enum mapping_via via;	/* of the last request that made or renewed it */
	uint32_t lifetime;	/* as granted; static: MAPPING_STATIC_LIFETIME */
	int64_t expires_ms;	/* static: INT64_MAX */
};

struct mapping_change {
	bool was_active;
	bool is_active;
	struct mapping_view before;
	struct mapping_view after;
};

struct mapping_table;

/* NULL when memory is short. */
struct mapping_table *mapping_table_new(void);
void mapping_table_free(struct mapping_table *t);

/* Reserved ports are never handed out. Set outside a transaction. */
void mapping_table_reserve_port(struct mapping_table *t, uint16_t port,
				bool reserved);
void mapping_table_clear_reserved(struct mapping_table *t);
bool mapping_table_port_reserved(const struct mapping_table *t, uint16_t port);
/* Asked of every candidate port for a new lease in a space with a port
 * pool (IPv4, NAT66), after the table's own rules: true when something
 * outside the table uses it there (a local service), and the next
 * candidate is tried (at most MAPPING_BUSY_TRIES). A predicate only: it
 * answers from what its owner already knows, and the owner brings that up
 * to date before a request that mapping_table_request_allocates. */
#define MAPPING_BUSY_TRIES 16
void mapping_table_set_port_busy(struct mapping_table *t,
				 bool (*busy)(void *arg, enum mapping_space space, uint16_t port),
				 void *arg);

/* -EBUSY when a transaction is already open (a caller's bug). */
int mapping_table_begin(struct mapping_table *t);
void mapping_table_commit(struct mapping_table *t);
void mapping_table_rollback(struct mapping_table *t);
/* Leases the open transaction has touched so far (0: nothing to apply). */
size_t mapping_table_leases_touched(const struct mapping_table *t);
void mapping_table_foreach_change(const struct mapping_table *t,
				  void (*cb)(const struct mapping_change *, void *),
				  void *arg);

/* Whether serving req would choose a new port (a mapping request whose
 * forward the table does not hold yet): when the port_busy predicate may be
 * asked. Changes nothing. */
bool mapping_table_request_allocates(const struct mapping_table *t,
				     const struct mapping_request *req);

/* Serves an RFC 6886 op 1/2 request (design.md §2.4-8). Inside a
 * transaction. Out of memory: result 4 (out of resources), state as it was. */
void mapping_table_request(struct mapping_table *t,
			   const struct mapping_limits *limits,
			   const struct mapping_request *req, int64_t now_ms,
			   struct mapping_reply *reply);
/* Removes every mapping whose lifetime ended at or before now; returns how
 * many. Inside a transaction. */
size_t mapping_table_expire(struct mapping_table *t, int64_t now_ms);
/* Earliest expiry, or INT64_MAX when there is no mapping. O(1). */
int64_t mapping_table_next_expiry(const struct mapping_table *t);
/* Inside a transaction; each returns how many mappings went. A peer's
 * mappings of the kinds asked for, in every space; the port's mapping
 * whatever its kind, in a space with a port of ours (IPv4, NAT66; none in
 * ROUTED6). */
size_t mapping_table_drop_peer(struct mapping_table *t, const uint8_t *peer,
			       enum mapping_kinds kinds);
size_t mapping_table_drop_port(struct mapping_table *t, enum mapping_space space,
			       enum mapping_proto proto, uint16_t external_port);
/* A peer's dynamic mapping of an internal port, in space's family. */
size_t mapping_table_drop_mapping(struct mapping_table *t, enum mapping_space space,
				  const uint8_t *peer, enum mapping_proto proto,
				  uint16_t internal_port);
/* Sets a static mapping: m's peer, addr, proto, external and target port
 * (internal_port is shown as the target). A dynamic lease on that port
 * goes first, for both protocols; a static one of another peer or with
 * another target is replaced. Inside a transaction. 0; -EINVAL for port 0;
 * -ENOMEM, after which the transaction must be rolled back. */
int mapping_table_put_static(struct mapping_table *t, const struct mapping_view *m);
/* Takes back a mapping found in the kernel after a restart, with its ports
 * unchanged (a static one when m->is_static). Inside a transaction. -EINVAL
 * for an address not of the space's family; -EEXIST when the port or key is taken,
 * -ENOMEM when memory is short. */
int mapping_table_adopt(struct mapping_table *t, const struct mapping_view *m);

/* A peer's dynamic mapping of an internal port in the given space. */
bool mapping_table_find_in(const struct mapping_table *t, enum mapping_space space,
			   const uint8_t *peer, enum mapping_proto proto,
			   uint16_t internal_port, struct mapping_view *out);
bool mapping_table_find_by_port(const struct mapping_table *t, enum mapping_space space,
				enum mapping_proto proto, uint16_t external_port,
				struct mapping_view *out);
/* Mappings of either kind in every space, and the static ones among
 * them; then those of one space. */
size_t mapping_table_count(const struct mapping_table *t,
			   enum mapping_proto proto);
size_t mapping_table_count_static(const struct mapping_table *t,
				  enum mapping_proto proto);
size_t mapping_table_count_space(const struct mapping_table *t,
				 enum mapping_space space, enum mapping_proto proto);
/* External ports (leases) the peer holds dynamically: its quota's use. */
uint32_t mapping_table_peer_ports(const struct mapping_table *t,
				  const uint8_t *peer);
size_t mapping_table_peer_count(const struct mapping_table *t);
void mapping_table_foreach(const struct mapping_table *t,
			   void (*cb)(const struct mapping_view *, void *),
			   void *arg);
/* One peer's mappings, of every space and kind, in the store's order of
 * its leases (the same while nothing changes); O(the peer's mappings). */
void mapping_table_peer_foreach(const struct mapping_table *t, const uint8_t *peer,
				void (*cb)(const struct mapping_view *, void *), void *arg);

/* The port a peer gets for an internal port when it is free: a stable hash,
 * so the port survives lapses and lost state. */
uint16_t mapping_preferred_port(const uint8_t *peer, uint16_t internal_port,
				uint16_t port_min, uint16_t port_max);

#endif
