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
 *       ip daddr @tunnel udp dport 5351 iifname != "wg0" counter drop }
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

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_nat.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>

/* nft's datatype numbers, so that `nft list` prints our types. */
#define TYPE_IPV4_ADDR 7
#define TYPE_INET_PROTO 12
#define TYPE_INET_SERVICE 13
#define TYPE_CONCAT(a, b) ((a) << 6 | (b))

int ruleset_put_table(struct nl_batch *b, const char *table, uint32_t flags,
		      const char *comment)
{
	struct nftnl_table *t = nftnl_table_alloc();
	struct nftnl_udata_buf *ud = nftnl_udata_buf_alloc(NFTNL_UDATA_COMMENT_MAXLEN + 8);
	char *room = nl_batch_room(b);
	struct nlmsghdr *nlh;
	int ret = -ENOMEM;

	if (!t || !ud || !room)
		goto out;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_IPV4);
	nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, flags);
	if (comment) {
		nftnl_udata_put_strz(ud, NFTNL_UDATA_TABLE_COMMENT, comment);
		nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(ud),
				     nftnl_udata_buf_len(ud));
	}
	nlh = nftnl_table_nlmsg_build_hdr(room, NFT_MSG_NEWTABLE, NFPROTO_IPV4,
					  NLM_F_CREATE | NLM_F_ACK,
					  nl_batch_seq(b));
	nftnl_table_nlmsg_build_payload(nlh, t);
	nl_batch_push(b);
	ret = 0;
out:
	nftnl_udata_buf_free(ud);
	nftnl_table_free(t);
	return ret;
}

int ruleset_del_table(struct nl_batch *b, const char *table)
{
	struct nftnl_table *t = nftnl_table_alloc();
	char *room = nl_batch_room(b);
	struct nlmsghdr *nlh;

	if (!t || !room) {
		nftnl_table_free(t);
		return -ENOMEM;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nlh = nftnl_table_nlmsg_build_hdr(room, NFT_MSG_DELTABLE, NFPROTO_IPV4,
					  NLM_F_ACK, nl_batch_seq(b));
	nftnl_table_nlmsg_build_payload(nlh, t);
	nl_batch_push(b);
	nftnl_table_free(t);
	return 0;
}

static int put_set(struct nl_batch *b, const char *table, const char *name,
		   uint32_t id, uint32_t flags, uint32_t key_type, uint32_t key_len,
		   uint32_t data_type, uint32_t data_len)
{
	struct nftnl_set *s = nftnl_set_alloc();
	char *room = nl_batch_room(b);
	struct nlmsghdr *nlh;

	if (!s || !room) {
		nftnl_set_free(s);
		return -ENOMEM;
	}
	nftnl_set_set_str(s, NFTNL_SET_TABLE, table);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_IPV4);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
	if (flags & NFT_SET_MAP) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, data_type);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, data_len);
	}
	nlh = nftnl_set_nlmsg_build_hdr(room, NFT_MSG_NEWSET, NFPROTO_IPV4,
					NLM_F_CREATE | NLM_F_ACK, nl_batch_seq(b));
	nftnl_set_nlmsg_build_payload(nlh, s);
	nl_batch_push(b);
	nftnl_set_free(s);
	return 0;
}

static int put_chain(struct nl_batch *b, const char *table, const char *name,
		     const char *type, uint32_t hook, int32_t prio)
{
	struct nftnl_chain *c = nftnl_chain_alloc();
	char *room = nl_batch_room(b);
	struct nlmsghdr *nlh;

	if (!c || !room) {
		nftnl_chain_free(c);
		return -ENOMEM;
	}
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, type);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, prio);
	nlh = nftnl_chain_nlmsg_build_hdr(room, NFT_MSG_NEWCHAIN, NFPROTO_IPV4,
					  NLM_F_CREATE | NLM_F_ACK, nl_batch_seq(b));
	nftnl_chain_nlmsg_build_payload(nlh, c);
	nl_batch_push(b);

	/* Flush it: the rules that follow are the whole chain. */
	room = nl_batch_room(b);
	if (!room) {
		nftnl_chain_free(c);
		return -ENOMEM;
	}
	{
		struct nftnl_rule *r = nftnl_rule_alloc();

		if (!r) {
			nftnl_chain_free(c);
			return -ENOMEM;
		}
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, name);
		nlh = nftnl_rule_nlmsg_build_hdr(room, NFT_MSG_DELRULE, NFPROTO_IPV4,
						 NLM_F_ACK, nl_batch_seq(b));
		nftnl_rule_nlmsg_build_payload(nlh, r);
		nl_batch_push(b);
		nftnl_rule_free(r);
	}
	nftnl_chain_free(c);
	return 0;
}

static bool add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (!e)
		return false;
	nftnl_rule_add_expr(r, e);
	return true;
}

static struct nftnl_expr *payload(uint32_t base, uint32_t offset, uint32_t len,
				  uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("payload");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
		nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, dreg);
	}
	return e;
}

static struct nftnl_expr *lookup(const char *set, uint32_t id, uint32_t sreg,
				 int dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("lookup");

	if (e) {
		nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, id);
		nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, sreg);
		if (dreg >= 0)
			nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_DREG, (uint32_t)dreg);
	}
	return e;
}

static struct nftnl_expr *meta(uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	}
	return e;
}

static struct nftnl_expr *cmp(uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return e;
}

static struct nftnl_expr *dnat_from_registers(void)
{
	struct nftnl_expr *e = nftnl_expr_alloc("nat");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG32_01);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS,
				   NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED);
	}
	return e;
}

static struct nftnl_expr *ct_status_dnat(void)
{
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");
	uint32_t mask = IPS_DST_NAT, zero = 0;

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
	}
	return e;
}

static struct nftnl_expr *ct_load(uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	}
	return e;
}

static struct nftnl_expr *verdict(int v)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)v);
	}
	return e;
}

static int put_rule(struct nl_batch *b, struct nftnl_rule *r)
{
	char *room = nl_batch_room(b);
	struct nlmsghdr *nlh;

	if (!room)
		return -ENOMEM;
	nlh = nftnl_rule_nlmsg_build_hdr(room, NFT_MSG_NEWRULE, NFPROTO_IPV4,
					 NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK,
					 nl_batch_seq(b));
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nl_batch_push(b);
	return 0;
}

static struct nftnl_rule *rule_new(const char *table, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (r) {
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
		nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
	}
	return r;
}

enum { SET_ID_EXTERNAL = 1, SET_ID_FORWARDS = 2, SET_ID_TUNNEL = 3 };

static struct nftnl_expr *counter(void)
{
	return nftnl_expr_alloc("counter");
}

static int put_dnat_rule(struct nl_batch *b, const char *table)
{
	struct nftnl_rule *r = rule_new(table, NFT_CHAIN_PREROUTING);
	int ret = -ENOMEM;

	if (!r)
		return ret;
	/* ip daddr @external */
	if (!add_expr(r, payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG_1)) ||
	    !add_expr(r, lookup(NFT_SET_EXTERNAL, SET_ID_EXTERNAL, NFT_REG_1, -1)) ||
	    /* meta l4proto . th dport, each padded to a 32-bit register */
	    !add_expr(r, meta(NFT_META_L4PROTO, NFT_REG_1)) ||
	    !add_expr(r, payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG32_01)) ||
	    !add_expr(r, lookup(NFT_MAP_FORWARDS, SET_ID_FORWARDS, NFT_REG_1, NFT_REG_1)) ||
	    !add_expr(r, dnat_from_registers()))
		goto out;
	ret = put_rule(b, r);
out:
	nftnl_rule_free(r);
	return ret;
}

static int put_forward_rule(struct nl_batch *b, const char *table,
			    const char *inner_ifname)
{
	struct nftnl_rule *r = rule_new(table, NFT_CHAIN_FORWARD);
	char ifname[IFNAMSIZ] = { 0 };
	uint32_t zero = 0;
	int ret = -ENOMEM;

	if (!r)
		return ret;
	strncpy(ifname, inner_ifname, IFNAMSIZ - 1);
	if (!add_expr(r, ct_load(NFT_CT_STATUS)) ||
	    !add_expr(r, ct_status_dnat()) ||
	    !add_expr(r, cmp(NFT_CMP_NEQ, &zero, sizeof(zero))) ||
	    !add_expr(r, meta(NFT_META_OIFNAME, NFT_REG_1)) ||
	    !add_expr(r, cmp(NFT_CMP_EQ, ifname, strlen(ifname) + 1)) ||
	    !add_expr(r, verdict(NF_ACCEPT)))
		goto out;
	ret = put_rule(b, r);
out:
	nftnl_rule_free(r);
	return ret;
}

/* ip daddr @tunnel udp dport 5351 iifname != "wg0" counter drop */
static int put_guard_rule(struct nl_batch *b, const char *table,
			  const char *inner_ifname)
{
	struct nftnl_rule *r = rule_new(table, NFT_CHAIN_INPUT);
	char ifname[IFNAMSIZ] = { 0 };
	uint16_t port = htons(NFT_GUARDED_PORT);
	uint8_t udp = IPPROTO_UDP;
	int ret = -ENOMEM;

	if (!r)
		return ret;
	strncpy(ifname, inner_ifname, IFNAMSIZ - 1);
	if (!add_expr(r, payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG_1)) ||
	    !add_expr(r, lookup(NFT_SET_TUNNEL, SET_ID_TUNNEL, NFT_REG_1, -1)) ||
	    !add_expr(r, meta(NFT_META_L4PROTO, NFT_REG_1)) ||
	    !add_expr(r, cmp(NFT_CMP_EQ, &udp, sizeof(udp))) ||
	    !add_expr(r, payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1)) ||
	    !add_expr(r, cmp(NFT_CMP_EQ, &port, sizeof(port))) ||
	    !add_expr(r, meta(NFT_META_IIFNAME, NFT_REG_1)) ||
	    !add_expr(r, cmp(NFT_CMP_NEQ, ifname, strlen(ifname) + 1)) ||
	    !add_expr(r, counter()) ||
	    !add_expr(r, verdict(NF_DROP)))
		goto out;
	ret = put_rule(b, r);
out:
	nftnl_rule_free(r);
	return ret;
}

int ruleset_put_shape(struct nl_batch *b, const char *table,
		      const char *inner_ifname)
{
	int ret;

	if ((ret = put_set(b, table, NFT_SET_EXTERNAL, SET_ID_EXTERNAL, 0,
			   TYPE_IPV4_ADDR, 4, 0, 0)) ||
	    (ret = put_set(b, table, NFT_SET_TUNNEL, SET_ID_TUNNEL, 0,
			   TYPE_IPV4_ADDR, 4, 0, 0)) ||
	    (ret = put_set(b, table, NFT_MAP_FORWARDS, SET_ID_FORWARDS,
			   NFT_SET_MAP | NFT_SET_TIMEOUT,
			   TYPE_CONCAT(TYPE_INET_PROTO, TYPE_INET_SERVICE), 8,
			   TYPE_CONCAT(TYPE_IPV4_ADDR, TYPE_INET_SERVICE), 8)) ||
	    (ret = put_chain(b, table, NFT_CHAIN_PREROUTING, "nat",
			     NF_INET_PRE_ROUTING, -100)) ||
	    (ret = put_chain(b, table, NFT_CHAIN_FORWARD, "filter",
			     NF_INET_FORWARD, 0)) ||
	    (ret = put_chain(b, table, NFT_CHAIN_INPUT, "filter",
			     NF_INET_LOCAL_IN, -1)) ||
	    (ret = put_dnat_rule(b, table)) ||
	    (ret = put_forward_rule(b, table, inner_ifname)) ||
	    (ret = put_guard_rule(b, table, inner_ifname)))
		return ret;
	return 0;
}
