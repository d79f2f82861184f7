#include "util/array.h"
#include "nft/conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "nft/nlbatch.h"
#include "util/nlutil.h"

struct conntrack {
	struct nl_sock *nl;
	bool no_filter;		/* the kernel refused CTA_FILTER once */
	size_t last_dump;
};

/* ctnetlink's filter flags (kernel ABI, nf_conntrack_netlink.c). */
#define CT_FILTER_F_IP_DST (1u << 1)

/* The orig tuple of an entry to delete. */
struct ct_tuple {
	uint32_t src, dst;	/* network byte order */
	uint16_t sport, dport;	/* network byte order */
	uint8_t proto;
};

struct ct_dump {
	const struct ct_flow *flows;	/* sorted by proto, external port */
	size_t n;
	size_t seen;
	struct ct_tuple *hits;
	size_t nhits, cap;
};

struct conntrack *conntrack_open(void)
{
	struct conntrack *ct = calloc(1, sizeof(*ct));

	if (!ct)
		return NULL;
	ct->nl = nl_sock_open(NETLINK_NETFILTER, 0, SOCK_CLOEXEC, false);
	if (!ct->nl) {
		int saved = errno;

		free(ct);
		errno = saved;
		return NULL;
	}
	return ct;
}

void conntrack_close(struct conntrack *ct)
{
	if (!ct)
		return;
	nl_sock_close(ct->nl);
	free(ct);
}

static int flow_cmp(const void *a, const void *b)
{
	const struct ct_flow *x = a, *y = b;

	if (x->proto != y->proto)
		return x->proto - y->proto;
	return (int)x->external_port - (int)y->external_port;
}

/* Collects attributes into a table of max + 1 slots; types the kernel adds
 * after our headers were written are skipped, never stored out of bounds. */
struct attr_table {
	const struct nlattr **tb;
	uint16_t max;
};

static int collect_attr(const struct nlattr *attr, void *data)
{
	const struct attr_table *t = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type <= t->max)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

static int parse_nested(const struct nlattr *nest, const struct nlattr **tb, uint16_t max)
{
	struct attr_table t = { tb, max };

	return mnl_attr_parse_nested(nest, collect_attr, &t);
}

/* Fills t from a CTA_TUPLE_* nest; false when a field is missing. */
static bool parse_tuple(const struct nlattr *nest, struct ct_tuple *t)
{
	const struct nlattr *tb[CTA_TUPLE_MAX + 1] = { 0 };
	const struct nlattr *ip[CTA_IP_MAX + 1] = { 0 };
	const struct nlattr *pr[CTA_PROTO_MAX + 1] = { 0 };

	if (parse_nested(nest, tb, CTA_TUPLE_MAX) < 0 ||
	    !tb[CTA_TUPLE_IP] || !tb[CTA_TUPLE_PROTO] ||
	    parse_nested(tb[CTA_TUPLE_IP], ip, CTA_IP_MAX) < 0 ||
	    parse_nested(tb[CTA_TUPLE_PROTO], pr, CTA_PROTO_MAX) < 0)
		return false;
	if (!ip[CTA_IP_V4_SRC] || !ip[CTA_IP_V4_DST] || !pr[CTA_PROTO_NUM] ||
	    !pr[CTA_PROTO_SRC_PORT] || !pr[CTA_PROTO_DST_PORT] ||
	    mnl_attr_get_payload_len(ip[CTA_IP_V4_SRC]) != 4 ||
	    mnl_attr_get_payload_len(ip[CTA_IP_V4_DST]) != 4 ||
	    mnl_attr_get_payload_len(pr[CTA_PROTO_SRC_PORT]) != 2 ||
	    mnl_attr_get_payload_len(pr[CTA_PROTO_DST_PORT]) != 2 ||
	    mnl_attr_get_payload_len(pr[CTA_PROTO_NUM]) != 1)
		return false;
	t->src = mnl_attr_get_u32(ip[CTA_IP_V4_SRC]);
	t->dst = mnl_attr_get_u32(ip[CTA_IP_V4_DST]);
	t->proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
	t->sport = mnl_attr_get_u16(pr[CTA_PROTO_SRC_PORT]);
	t->dport = mnl_attr_get_u16(pr[CTA_PROTO_DST_PORT]);
	return true;
}

static int entry_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct ct_dump *d = arg;
	const struct nlattr *tb[CTA_MAX + 1] = { 0 };
	struct attr_table top = { tb, CTA_MAX };
	struct ct_tuple orig, reply;
	struct ct_flow key;
	const struct ct_flow *f;

	d->seen++;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), collect_attr, &top) < 0 ||
	    !tb[CTA_TUPLE_ORIG] || !tb[CTA_TUPLE_REPLY] ||
	    !parse_tuple(tb[CTA_TUPLE_ORIG], &orig) ||
	    !parse_tuple(tb[CTA_TUPLE_REPLY], &reply))
		return 0;
	key.proto = orig.proto;
	key.external_port = ntohs(orig.dport);
	f = bsearch(&key, d->flows, d->n, sizeof(key), flow_cmp);
	/* The reply comes from the forward's target: that is what tells a
	 * forwarded flow from any other flow to the same port number. */
	if (!f || ntohl(reply.src) != f->internal_addr ||
	    ntohs(reply.sport) != f->target_port)
		return 0;
	if (!ARRAY_RESERVE(d->hits, d->nhits, d->cap))
		return -ENOMEM;
	d->hits[d->nhits++] = orig;
	return 0;
}

static struct nlmsghdr *put_ct_header(char *buf, uint16_t type, uint16_t flags,
				      uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

static int delete_entry(struct conntrack *ct, const struct ct_tuple *t)
{
	char buf[512];
	struct nlmsghdr *nlh = put_ct_header(buf, IPCTNL_MSG_CT_DELETE, NLM_F_ACK,
					     nl_sock_next_seq(ct->nl));
	struct nlattr *tuple, *ip, *proto;
	int ret;

	tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, t->src);
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, t->dst);
	mnl_attr_nest_end(nlh, ip);
	proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, t->sport);
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, t->dport);
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, tuple);
	ret = nl_request(ct->nl, nlh, NULL, NULL);
	/* Gone already (it timed out, or a retransmit raced us): fine. */
	return ret == -ENOENT ? 0 : ret;
}

static void put_dst_filter(struct nlmsghdr *nlh, uint32_t orig_dst)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, CTA_FILTER);
	struct nlattr *tuple, *ip;

	mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, CT_FILTER_F_IP_DST);	/* host order */
	mnl_attr_put_u32(nlh, CTA_FILTER_REPLY_FLAGS, 0);
	mnl_attr_nest_end(nlh, nest);
	tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, htonl(orig_dst));
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_nest_end(nlh, tuple);
}

size_t conntrack_last_dump_size(const struct conntrack *ct)
{
	return ct->last_dump;
}

int conntrack_delete_flows(struct conntrack *ct, uint32_t orig_dst,
			   const struct ct_flow *flows, size_t n, size_t *deleted)
{
	struct ct_dump d = { 0 };
	char buf[512];
	struct nlmsghdr *nlh;
	struct ct_flow *sorted;
	int ret;

	*deleted = 0;
	if (n == 0)
		return 0;
	sorted = malloc(n * sizeof(*sorted));
	if (!sorted)
		return -ENOMEM;
	memcpy(sorted, flows, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), flow_cmp);
	d.flows = sorted;
	d.n = n;
	nlh = put_ct_header(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, nl_sock_next_seq(ct->nl));
	if (orig_dst && !ct->no_filter)
		put_dst_filter(nlh, orig_dst);
	ret = nl_request(ct->nl, nlh, entry_cb, &d);
	if ((ret == -EINVAL || ret == -EOPNOTSUPP) && orig_dst && !ct->no_filter) {
		/* A kernel before 5.8: the whole table, matched here. */
		ct->no_filter = true;
		d.nhits = d.seen = 0;
		nlh = put_ct_header(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, nl_sock_next_seq(ct->nl));
		ret = nl_request(ct->nl, nlh, entry_cb, &d);
	}
	ct->last_dump = d.seen;
	for (size_t i = 0; ret == 0 && i < d.nhits; i++) {
		ret = delete_entry(ct, &d.hits[i]);
		if (ret == 0)
			(*deleted)++;
	}
	free(d.hits);
	free(sorted);
	return ret;
}
