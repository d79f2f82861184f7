/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Builders of nf_tables messages and expressions for any family, shared by
 * the shapes of the ip and ip6 tables. Internal to src/nft. */
#include "nft/nftmsg.h"
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

int msg_put_table(struct nl_batch *b, uint32_t family, const char *table, uint32_t flags,
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
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, family);
	if (flags != NFT_TABLE_FLAGS_KEEP)
		nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, flags);
	if (comment) {
		nftnl_udata_put_strz(ud, NFTNL_UDATA_TABLE_COMMENT, comment);
		nftnl_table_set_data(t, NFTNL_TABLE_USERDATA, nftnl_udata_buf_data(ud),
				     nftnl_udata_buf_len(ud));
	}
	nlh = nftnl_table_nlmsg_build_hdr(room, NFT_MSG_NEWTABLE, family,
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

int msg_del_table(struct nl_batch *b, uint32_t family, const char *table)
{
	struct nftnl_table *t = nftnl_table_alloc();
	char *room = nl_batch_room(b);
	struct nlmsghdr *nlh;

	if (!t || !room) {
		nftnl_table_free(t);
		return -ENOMEM;
	}
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, table);
	nlh = nftnl_table_nlmsg_build_hdr(room, NFT_MSG_DELTABLE, family,
					  NLM_F_ACK, nl_batch_seq(b));
	nftnl_table_nlmsg_build_payload(nlh, t);
	nl_batch_push(b);
	nftnl_table_free(t);
	return 0;
}

int msg_put_set(struct nl_batch *b, uint32_t family, const char *table, const char *name,
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
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, family);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, key_type);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, key_len);
	if (flags & NFT_SET_MAP) {
		nftnl_set_set_u32(s, NFTNL_SET_DATA_TYPE, data_type);
		nftnl_set_set_u32(s, NFTNL_SET_DATA_LEN, data_len);
	}
	nlh = nftnl_set_nlmsg_build_hdr(room, NFT_MSG_NEWSET, family,
					NLM_F_CREATE | NLM_F_ACK, nl_batch_seq(b));
	nftnl_set_nlmsg_build_payload(nlh, s);
	nl_batch_push(b);
	nftnl_set_free(s);
	return 0;
}

/* A base chain, flushed: the rules that follow are the whole chain. */
static int put_chain(struct nl_batch *b, uint32_t family, const char *table,
		     const char *name, const char *type, uint32_t hook, int32_t prio)
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
	nlh = nftnl_chain_nlmsg_build_hdr(room, NFT_MSG_NEWCHAIN, family,
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
		nlh = nftnl_rule_nlmsg_build_hdr(room, NFT_MSG_DELRULE, family,
						 NLM_F_ACK, nl_batch_seq(b));
		nftnl_rule_nlmsg_build_payload(nlh, r);
		nl_batch_push(b);
		nftnl_rule_free(r);
	}
	nftnl_chain_free(c);
	return 0;
}

bool rule_add(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (!e)
		return false;
	nftnl_rule_add_expr(r, e);
	return true;
}

struct nftnl_expr *expr_payload(uint32_t base, uint32_t offset, uint32_t len,
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

struct nftnl_expr *expr_lookup(const char *set, uint32_t id, uint32_t sreg,
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

struct nftnl_expr *expr_meta(uint32_t key, uint32_t dreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, dreg);
	}
	return e;
}

struct nftnl_expr *expr_cmp(uint32_t op, const void *data, uint32_t len)
{
	struct nftnl_expr *e = nftnl_expr_alloc("cmp");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
		nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	}
	return e;
}

struct nftnl_expr *expr_dnat(uint32_t family, uint32_t addr_reg, uint32_t proto_reg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("nat");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, family);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, addr_reg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, proto_reg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FLAGS,
				   NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED);
	}
	return e;
}

struct nftnl_expr *expr_ct_status_dnat(void)
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

struct nftnl_expr *expr_ct_load(uint32_t key)
{
	struct nftnl_expr *e = nftnl_expr_alloc("ct");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_CT_DREG, NFT_REG_1);
	}
	return e;
}

struct nftnl_expr *expr_verdict(int v)
{
	struct nftnl_expr *e = nftnl_expr_alloc("immediate");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
		nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, (uint32_t)v);
	}
	return e;
}

int msg_put_rule(struct nl_batch *b, uint32_t family, struct nftnl_rule *r)
{
	char *room = nl_batch_room(b);
	struct nlmsghdr *nlh;

	if (!room)
		return -ENOMEM;
	nlh = nftnl_rule_nlmsg_build_hdr(room, NFT_MSG_NEWRULE, family,
					 NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK,
					 nl_batch_seq(b));
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nl_batch_push(b);
	return 0;
}

int msg_put_family_sets(struct nl_batch *b, uint32_t family, const char *table)
{
	bool v6 = family == NFPROTO_IPV6;
	uint32_t addr_type = v6 ? TYPE_IPV6_ADDR : TYPE_IPV4_ADDR, addr_len = v6 ? 16 : 4;
	int ret;

	/* The map's data: the address, then the port padded to a word. */
	if ((ret = msg_put_set(b, family, table, NFT_SET_EXTERNAL, SET_ID_EXTERNAL, 0,
			       addr_type, addr_len, 0, 0)) ||
	    (ret = msg_put_set(b, family, table, NFT_SET_TUNNEL, SET_ID_TUNNEL, 0,
			       addr_type, addr_len, 0, 0)) ||
	    (ret = msg_put_set(b, family, table, NFT_MAP_FORWARDS, SET_ID_FORWARDS,
			       NFT_SET_MAP | NFT_SET_TIMEOUT,
			       TYPE_CONCAT(TYPE_INET_PROTO, TYPE_INET_SERVICE), 8,
			       TYPE_CONCAT(addr_type, TYPE_INET_SERVICE), addr_len + 4)))
		return ret;
	return 0;
}

int msg_put_base_chains(struct nl_batch *b, uint32_t family, const char *table,
			int32_t forward_prio)
{
	int ret;

	if ((ret = put_chain(b, family, table, NFT_CHAIN_PREROUTING, "nat",
				 NF_INET_PRE_ROUTING, -100)) ||
	    (ret = put_chain(b, family, table, NFT_CHAIN_FORWARD, "filter",
				 NF_INET_FORWARD, forward_prio)) ||
	    (ret = put_chain(b, family, table, NFT_CHAIN_INPUT, "filter",
				 NF_INET_LOCAL_IN, -1)))
		return ret;
	return 0;
}

struct nftnl_rule *msg_rule_new(uint32_t family, const char *table, const char *chain)
{
	struct nftnl_rule *r = nftnl_rule_alloc();

	if (r) {
		nftnl_rule_set_str(r, NFTNL_RULE_TABLE, table);
		nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, chain);
		nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, family);
	}
	return r;
}

struct nftnl_expr *expr_counter(void)
{
	return nftnl_expr_alloc("counter");
}


struct nftnl_expr *expr_meta_set(uint32_t key, uint32_t sreg)
{
	struct nftnl_expr *e = nftnl_expr_alloc("meta");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
		nftnl_expr_set_u32(e, NFTNL_EXPR_META_SREG, sreg);
	}
	return e;
}

struct nftnl_expr *expr_bitwise(uint32_t reg, uint32_t mask, uint32_t xor)
{
	struct nftnl_expr *e = nftnl_expr_alloc("bitwise");

	if (e) {
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, reg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, reg);
		nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
		nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, &xor, sizeof(xor));
	}
	return e;
}

int msg_put_guard_rule(struct nl_batch *b, uint32_t family, const char *table,
		       const char *inner_ifname, uint8_t proto, uint16_t guarded_port)
{
	struct nftnl_rule *r = msg_rule_new(family, table, NFT_CHAIN_INPUT);
	bool v6 = family == NFPROTO_IPV6;
	char ifname[IFNAMSIZ] = { 0 };
	uint16_t port = htons(guarded_port);
	int ret = -ENOMEM;

	if (!r)
		return ret;
	strncpy(ifname, inner_ifname, IFNAMSIZ - 1);
	/* The destination address: at 16 (4 bytes) in IPv4, 24 (16) in IPv6. */
	if (rule_add(r, expr_payload(NFT_PAYLOAD_NETWORK_HEADER, v6 ? 24 : 16, v6 ? 16 : 4,
				     NFT_REG_1)) &&
	    rule_add(r, expr_lookup(NFT_SET_TUNNEL, SET_ID_TUNNEL, NFT_REG_1, -1)) &&
	    rule_add(r, expr_meta(NFT_META_L4PROTO, NFT_REG_1)) &&
	    rule_add(r, expr_cmp(NFT_CMP_EQ, &proto, sizeof(proto))) &&
	    rule_add(r, expr_payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1)) &&
	    rule_add(r, expr_cmp(NFT_CMP_EQ, &port, sizeof(port))) &&
	    rule_add(r, expr_meta(NFT_META_IIFNAME, NFT_REG_1)) &&
	    rule_add(r, expr_cmp(NFT_CMP_NEQ, ifname, strlen(ifname) + 1)) &&
	    rule_add(r, expr_counter()) &&
	    rule_add(r, expr_verdict(NF_DROP)))
		ret = msg_put_rule(b, family, r);
	nftnl_rule_free(r);
	return ret;
}
