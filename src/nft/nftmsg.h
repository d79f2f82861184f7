/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Builders of nf_tables messages (tables, sets, chains, rules) and rule
 * expressions, for the family given. Internal to src/nft: the shapes of the
 * ip table (ruleset.c) and the ip6 table (ruleset6.c) are made of these. */
#ifndef PORTGATE_NFT_NFTMSG_H
#define PORTGATE_NFT_NFTMSG_H

#include <stdbool.h>
#include <stdint.h>

#include "util/nlutil.h"

struct nftnl_expr;
struct nftnl_rule;

/* nft's datatype numbers, so that `nft list` prints our types. */
#define TYPE_IPV4_ADDR 7
#define TYPE_IPV6_ADDR 8
#define TYPE_INET_PROTO 12
#define TYPE_INET_SERVICE 13
#define TYPE_CONCAT(a, b) ((a) << 6 | (b))

/* flags NFT_TABLE_FLAGS_KEEP: none sent, so an existing table keeps its
 * own (a change of owner or persist flags is refused) and a new one has
 * none. */
#define NFT_TABLE_FLAGS_KEEP UINT32_MAX
int msg_put_table(struct nl_batch *b, uint32_t family, const char *table, uint32_t flags,
		  const char *comment);
int msg_del_table(struct nl_batch *b, uint32_t family, const char *table);
/* The ids rules use to name the sets of their own batch. */
enum { SET_ID_EXTERNAL = 1, SET_ID_FORWARDS = 2, SET_ID_TUNNEL = 3, SET_ID_PINHOLES = 4 };

/* The sets both tables have: external and tunnel addresses of the family,
 * and the forwards map (proto . port : address . port, timeouts). */
int msg_put_family_sets(struct nl_batch *b, uint32_t family, const char *table);
int msg_put_set(struct nl_batch *b, uint32_t family, const char *table, const char *name,
		uint32_t id, uint32_t flags, uint32_t key_type, uint32_t key_len,
		uint32_t data_type, uint32_t data_len);
/* The three chains of either table: prerouting (nat, dstnat), forward
 * (filter, at forward_prio) and input (filter - 1, the guard's). */
int msg_put_base_chains(struct nl_batch *b, uint32_t family, const char *table,
			int32_t forward_prio);
struct nftnl_rule *msg_rule_new(uint32_t family, const char *table, const char *chain);
/* Appends r to its chain. */
int msg_put_rule(struct nl_batch *b, uint32_t family, struct nftnl_rule *r);

/* The trust boundary in the kernel, in the input chain of either family:
 * ip[6] daddr @tunnel PROTO dport PORT iifname != "wg0" counter drop
 * (udp 5351 for NAT-PMP/PCP; tcp and UPnP's HTTP port). */
int msg_put_guard_rule(struct nl_batch *b, uint32_t family, const char *table,
		       const char *inner_ifname, uint8_t proto, uint16_t port);

/* Adds e to r; false when e is NULL (out of memory). */
bool rule_add(struct nftnl_rule *r, struct nftnl_expr *e);
struct nftnl_expr *expr_payload(uint32_t base, uint32_t offset, uint32_t len, uint32_t dreg);
/* dreg < 0: a set lookup, no data. */
struct nftnl_expr *expr_lookup(const char *set, uint32_t id, uint32_t sreg, int dreg);
struct nftnl_expr *expr_meta(uint32_t key, uint32_t dreg);
/* meta KEY set from sreg */
struct nftnl_expr *expr_meta_set(uint32_t key, uint32_t sreg);
/* reg = (reg & mask) ^ xor, 4 bytes */
struct nftnl_expr *expr_bitwise(uint32_t reg, uint32_t mask, uint32_t xor);
struct nftnl_expr *expr_cmp(uint32_t op, const void *data, uint32_t len);
struct nftnl_expr *expr_dnat(uint32_t family, uint32_t addr_reg, uint32_t proto_reg);
struct nftnl_expr *expr_ct_status_dnat(void);
struct nftnl_expr *expr_ct_load(uint32_t key);
struct nftnl_expr *expr_verdict(int v);
struct nftnl_expr *expr_counter(void);

#endif
