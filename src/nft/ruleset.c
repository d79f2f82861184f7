/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The table's shape, as `nft list table ip portgate` shows it:
 *
 *   set external { type ipv4_addr }
 *   set tunnel { type ipv4_addr }            (the WireGuard interface's own)
 *   map forwards { type inet_proto . inet_service : ipv4_addr . inet_service
 *                  flags timeout }
 *   chain prerouting { type nat hook prerouting priority dstnat;
 *       ip daddr @external dnat ip to meta l4proto . th dport map @forwards }
 *   chain forward { type filter hook forward priority filter;
 *       ct status dnat oifname "wg0" accept }
 *   chain input { type filter hook input priority filter - 1;
 *       ip daddr @tunnel udp dport 5351 iifname != "wg0" counter drop
 *       ip daddr @tunnel tcp dport 5000 iifname != "wg0" counter drop }
 *                                  (UPnP's HTTP port, with upnp on)
 *
 * The input rule is the trust boundary in the kernel: Linux takes a datagram
 * for the tunnel address on any interface (weak host model), and only what
 * came through the tunnel speaks for a peer. It holds while the daemon is
 * down, since the table persists. The daemon checks the arrival interface
 * too (IP_PKTINFO).
 *
 * The DNAT rule matches the external addresses only: the WireGuard side's own
 * outbound traffic to some port elsewhere is never redirected, and a client
 * reaching a forwarded port on the external address (hairpin) is. */
#include "nft/ruleset.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>

#include "nft/nftmsg.h"


static int put_dnat_rule(struct nl_batch *b, const char *table)
{
	struct nftnl_rule *r = msg_rule_new(NFPROTO_IPV4, table, NFT_CHAIN_PREROUTING);
	int ret = -ENOMEM;

	if (!r)
		return ret;
	/* ip daddr @external */
	if (!rule_add(r, expr_payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG_1)) ||
	    !rule_add(r, expr_lookup(NFT_SET_EXTERNAL, SET_ID_EXTERNAL, NFT_REG_1, -1)) ||
	    /* meta l4proto . th dport, each padded to a 32-bit register */
	    !rule_add(r, expr_meta(NFT_META_L4PROTO, NFT_REG_1)) ||
	    !rule_add(r, expr_payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01)) ||
	    !rule_add(r, expr_lookup(NFT_MAP_FORWARDS, SET_ID_FORWARDS, NFT_REG_1, NFT_REG_1)) ||
	    !rule_add(r, expr_dnat(NFPROTO_IPV4, NFT_REG_1, NFT_REG32_01)))
		goto out;
	ret = msg_put_rule(b, NFPROTO_IPV4, r);
out:
	nftnl_rule_free(r);
	return ret;
}

static int put_forward_rule(struct nl_batch *b, const char *table,
			    const char *inner_ifname)
{
	struct nftnl_rule *r = msg_rule_new(NFPROTO_IPV4, table, NFT_CHAIN_FORWARD);
	char ifname[IFNAMSIZ] = { 0 };
	uint32_t zero = 0;
	int ret = -ENOMEM;

	if (!r)
		return ret;
	strncpy(ifname, inner_ifname, IFNAMSIZ - 1);
	if (!rule_add(r, expr_ct_load(NFT_CT_STATUS)) ||
	    !rule_add(r, expr_ct_status_dnat()) ||
	    !rule_add(r, expr_cmp(NFT_CMP_NEQ, &zero, sizeof(zero))) ||
	    !rule_add(r, expr_meta(NFT_META_OIFNAME, NFT_REG_1)) ||
	    !rule_add(r, expr_cmp(NFT_CMP_EQ, ifname, strlen(ifname) + 1)) ||
	    !rule_add(r, expr_verdict(NF_ACCEPT)))
		goto out;
	ret = msg_put_rule(b, NFPROTO_IPV4, r);
out:
	nftnl_rule_free(r);
	return ret;
}

int ruleset_put_shape(struct nl_batch *b, const char *table,
		      const char *inner_ifname, uint16_t guard_tcp_port)
{
	int ret;

	if ((ret = msg_put_family_sets(b, NFPROTO_IPV4, table)) ||
	    (ret = msg_put_base_chains(b, NFPROTO_IPV4, table, 0)) ||
	    (ret = put_dnat_rule(b, table)) ||
	    (ret = put_forward_rule(b, table, inner_ifname)) ||
	    (ret = msg_put_guard_rule(b, NFPROTO_IPV4, table, inner_ifname, IPPROTO_UDP,
				      NFT_GUARDED_PORT)))
		return ret;
	if (guard_tcp_port)
		return msg_put_guard_rule(b, NFPROTO_IPV4, table, inner_ifname, IPPROTO_TCP,
					  guard_tcp_port);
	return 0;
}
