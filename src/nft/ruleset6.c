/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The ip6 table's shape, as `nft list table ip6 portgate` shows it:
 *
 *   set external { type ipv6_addr }          (nat66: the external address)
 *   set tunnel { type ipv6_addr }            (the WireGuard interface's own)
 *   map forwards { type inet_proto . inet_service : ipv6_addr . inet_service
 *                  flags timeout }           (nat66)
 *   set pinholes { type ipv6_addr . inet_proto . inet_service
 *                  flags timeout }           (routed)
 *   chain prerouting { type nat hook prerouting priority dstnat;
 *       ip6 daddr @external dnat ip6 to meta l4proto . th dport map @forwards }
 *   chain forward { type filter hook forward priority filter - 1;
 *       ct status dnat oifname "wg0" meta mark set mark | MARK accept
 *       oifname "wg0" ip6 daddr . meta l4proto . th dport @pinholes
 *           meta mark set mark | MARK accept }
 *   chain input { type filter hook input priority filter - 1;
 *       ip6 daddr @tunnel udp dport 5351 iifname != "wg0" counter drop }
 *
 * An accept here does not override a drop in the admin's own forward
 * chain: every base chain on the hook has its say. So what this chain
 * accepts also carries MARK (ipv6.mark), and it runs before the usual
 * filter priority so that the admin's one rule
 *   meta mark & MARK == MARK accept
 * sees it. The mark's other bits are kept. */
#include "nft/ruleset.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>

#include "nft/nftmsg.h"

#define F NFPROTO_IPV6
#define IP6_DADDR_OFFSET 24


static void ifname_of(char out[IFNAMSIZ], const char *name)
{
	memset(out, 0, IFNAMSIZ);
	strncpy(out, name, IFNAMSIZ - 1);
}

static int put(struct nl_batch *b, struct nftnl_rule *r, bool built)
{
	int ret = built ? msg_put_rule(b, F, r) : -ENOMEM;

	nftnl_rule_free(r);
	return ret;
}

static int put_dnat_rule(struct nl_batch *b, const char *table)
{
	struct nftnl_rule *r = msg_rule_new(F, table, NFT_CHAIN_PREROUTING);

	if (!r)
		return -ENOMEM;
	/* The map's data is 20 bytes from register 1: the address fills it,
	 * the port is the first word of register 2. */
	return put(b, r,
		   rule_add(r, expr_payload(NFT_PAYLOAD_NETWORK_HEADER, IP6_DADDR_OFFSET, 16, NFT_REG_1)) &&
		   rule_add(r, expr_lookup(NFT_SET_EXTERNAL, SET_ID_EXTERNAL, NFT_REG_1, -1)) &&
		   rule_add(r, expr_meta(NFT_META_L4PROTO, NFT_REG_1)) &&
		   rule_add(r, expr_payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01)) &&
		   rule_add(r, expr_lookup(NFT_MAP_FORWARDS, SET_ID_FORWARDS, NFT_REG_1, NFT_REG_1)) &&
		   rule_add(r, expr_dnat(F, NFT_REG_1, NFT_REG_2)));
}

/* meta mark set mark | MARK accept */
static bool mark_and_accept(struct nftnl_rule *r, uint32_t mark)
{
	return rule_add(r, expr_meta(NFT_META_MARK, NFT_REG_1)) &&
	       rule_add(r, expr_bitwise(NFT_REG_1, ~mark, mark)) &&
	       rule_add(r, expr_meta_set(NFT_META_MARK, NFT_REG_1)) &&
	       rule_add(r, expr_verdict(NF_ACCEPT));
}

static int put_dnat_accept_rule(struct nl_batch *b, const char *table,
				const char *inner_ifname, uint32_t mark)
{
	struct nftnl_rule *r = msg_rule_new(F, table, NFT_CHAIN_FORWARD);
	char ifname[IFNAMSIZ];
	uint32_t zero = 0;

	if (!r)
		return -ENOMEM;
	ifname_of(ifname, inner_ifname);
	return put(b, r,
		   rule_add(r, expr_ct_load(NFT_CT_STATUS)) &&
		   rule_add(r, expr_ct_status_dnat()) &&
		   rule_add(r, expr_cmp(NFT_CMP_NEQ, &zero, sizeof(zero))) &&
		   rule_add(r, expr_meta(NFT_META_OIFNAME, NFT_REG_1)) &&
		   rule_add(r, expr_cmp(NFT_CMP_EQ, ifname, strlen(ifname) + 1)) &&
		   mark_and_accept(r, mark));
}

static int put_pinhole_rule(struct nl_batch *b, const char *table,
			    const char *inner_ifname, uint32_t mark)
{
	struct nftnl_rule *r = msg_rule_new(F, table, NFT_CHAIN_FORWARD);
	char ifname[IFNAMSIZ];

	if (!r)
		return -ENOMEM;
	ifname_of(ifname, inner_ifname);
	/* The key: 16 bytes of address in register 1, then the protocol and
	 * the port each padded to a word. */
	return put(b, r,
		   rule_add(r, expr_meta(NFT_META_OIFNAME, NFT_REG_1)) &&
		   rule_add(r, expr_cmp(NFT_CMP_EQ, ifname, strlen(ifname) + 1)) &&
		   rule_add(r, expr_payload(NFT_PAYLOAD_NETWORK_HEADER, IP6_DADDR_OFFSET, 16, NFT_REG_1)) &&
		   rule_add(r, expr_meta(NFT_META_L4PROTO, NFT_REG32_04)) &&
		   rule_add(r, expr_payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_05)) &&
		   rule_add(r, expr_lookup(NFT_SET_PINHOLES, SET_ID_PINHOLES, NFT_REG_1, -1)) &&
		   mark_and_accept(r, mark));
}

int ruleset6_put_shape(struct nl_batch *b, const char *table,
		       const char *inner_ifname, uint32_t mark)
{
	const uint32_t key_pinhole = TYPE_CONCAT(TYPE_CONCAT(TYPE_IPV6_ADDR, TYPE_INET_PROTO),
						 TYPE_INET_SERVICE);
	int ret;

	if ((ret = msg_put_family_sets(b, F, table)) ||
	    (ret = msg_put_set(b, F, table, NFT_SET_PINHOLES, SET_ID_PINHOLES,
			       NFT_SET_TIMEOUT, key_pinhole, 24, 0, 0)) ||
	    (ret = msg_put_base_chains(b, F, table, -1)) ||
	    (ret = put_dnat_rule(b, table)) ||
	    (ret = put_dnat_accept_rule(b, table, inner_ifname, mark)) ||
	    (ret = put_pinhole_rule(b, table, inner_ifname, mark)) ||
	    (ret = msg_put_guard_rule(b, F, table, inner_ifname, IPPROTO_UDP,
					      NFT_GUARDED_PORT)))
		return ret;
	return 0;
}
