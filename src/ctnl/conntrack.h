/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Removing a forward must also stop the flows it let in: without this, an
 * established connection keeps being forwarded by its conntrack entry long
 * after the map element is gone. */
#ifndef PORTGATE_CTNL_CONNTRACK_H
#define PORTGATE_CTNL_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ipaddr.h"

/* Which entries a ct_flow stands for. */
enum ct_flow_kind {
	/* The flows of one forward (removed or moved): original direction
	 * proto/dport = the external side, reply source = the internal target
	 * (a pinhole's is its own address and port). */
	CT_FLOW_FORWARDED = 0,
	/* The flows sent to an external address and port that nothing NATed
	 * (a new forward's: they began before it and would never meet its
	 * DNAT rule): the address fields hold that external address and
	 * target_port = external_port, because the reply of a flow without
	 * DNAT comes from where it was sent. The original destination must be
	 * that address too. */
	CT_FLOW_UNNATED = 1,
};

struct ct_flow {
	uint8_t proto;
	uint16_t external_port;
	struct ip_addr internal_addr;	/* its family is the flow's */
	uint16_t target_port;
	uint8_t kind;			/* enum ct_flow_kind */
};

/* A conntrack tuple as the kernel reports it (ports in network byte
 * order). family is the table's: an IPv6 entry's address may be written
 * IPv4-mapped and is still IPv6. */
struct ct_tuple {
	struct ip_addr src, dst;
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t family;			/* AF_INET or AF_INET6 */
};

struct conntrack;
struct nlmsghdr;

struct conntrack *conntrack_open(void);
void conntrack_close(struct conntrack *ct);
/* Deletes sent in one netlink round trip. */
#define CT_CLEANUP_SLICE 256

/* One cleanup that the caller can spread over its event loop: the dump at
 * begin (of the IPv4 conntrack table, and of the IPv6 table when an IPv6
 * flow is asked for), the deletes of every matching entry a slice at a
 * time. Flows of both kinds share the dump: one per family, whatever
 * their number. With orig_dst (an IPv4 address; NULL: any) the kernel
 * filters the IPv4 dump to flows sent to that address (5.8+), so that the NATed traffic
 * of a busy VPN server is not read back on every removal. A family whose
 * flows are all CT_FLOW_UNNATED is dumped without the DNATed entries
 * (5.15+). NULL with errno set. */
struct ct_cleanup;
struct ct_cleanup *conntrack_cleanup_begin(struct conntrack *ct,
					   const struct ip_addr *orig_dst,
					   const struct ct_flow *flows, size_t n);
/* Deletes up to max of the entries found, in one round trip, adding them
 * to *deleted: 1 while entries are left, 0 when done, -errno. */
int conntrack_cleanup_step(struct ct_cleanup *c, size_t max, size_t *deleted);
size_t conntrack_cleanup_left(const struct ct_cleanup *c);
void conntrack_cleanup_free(struct ct_cleanup *c);

/* The original and reply tuples of one conntrack message: false when it
 * lacks them or they are malformed. Apart so that the fuzzer feeds it. */
bool conntrack_parse_entry(const struct nlmsghdr *nlh, struct ct_tuple *orig,
			   struct ct_tuple *reply);
/* Whether an entry is one of flows (n of them, sorted by
 * conntrack_sort_flows): apart so that the fuzzer feeds it. */
void conntrack_sort_flows(struct ct_flow *flows, size_t n);
bool conntrack_flows_match(const struct ct_flow *flows, size_t n,
			   const struct ct_tuple *orig, const struct ct_tuple *reply);
/* Entries the last dump read: how the namespace tests see the kernel's
 * filters at work (nfttool). */
size_t conntrack_last_dump_size(const struct conntrack *ct);

#endif
