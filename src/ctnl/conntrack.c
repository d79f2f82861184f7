/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/array.h"
#include "ctnl/conntrack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "util/log.h"
#include "util/nlutil.h"

/* The longest CT_DELETE message we build (headers and one tuple). */
#define CT_DELETE_MSG_MAX 128

struct conntrack {
	struct nl_sock *nl;
	bool no_filter;		/* the kernel refused CTA_FILTER once */
	size_t last_dump;
};

/* ctnetlink's filter flags (kernel ABI, nf_conntrack_netlink.c). */
#define CT_FILTER_F_IP_DST (1u << 1)

/* What the kernel may leave out of one family's dump. */
struct dump_filter {
	uint8_t family;
	bool by_dst;		/* only flows sent to dst (IPv4) */
	struct ip_addr dst;
	bool undnated;		/* only flows without DNAT (5.15+) */
};

struct ct_dump {
	const struct ct_flow *flows;	/* sorted by conntrack_sort_flows */
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
	if (ct->nl) {
		int one = 1;

		/* Acks without the request echoed: a slice's acks stay small. */
		mnl_socket_setsockopt(nl_sock_mnl(ct->nl), NETLINK_CAP_ACK, &one, sizeof(one));
	}
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

static bool is_v6(const struct ct_flow *f)
{
	return !ip_addr_is_v4(&f->internal_addr);
}

static int flow_cmp(const void *a, const void *b)
{
	const struct ct_flow *x = a, *y = b;

	if (is_v6(x) != is_v6(y))
		return (int)is_v6(x) - (int)is_v6(y);
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
	if (!pr[CTA_PROTO_NUM] || !pr[CTA_PROTO_SRC_PORT] || !pr[CTA_PROTO_DST_PORT] ||
	    mnl_attr_get_payload_len(pr[CTA_PROTO_SRC_PORT]) != 2 ||
	    mnl_attr_get_payload_len(pr[CTA_PROTO_DST_PORT]) != 2 ||
	    mnl_attr_get_payload_len(pr[CTA_PROTO_NUM]) != 1)
		return false;
	memset(t, 0, sizeof(*t));
	if (ip[CTA_IP_V4_SRC] && ip[CTA_IP_V4_DST] &&
	    mnl_attr_get_payload_len(ip[CTA_IP_V4_SRC]) == 4 &&
	    mnl_attr_get_payload_len(ip[CTA_IP_V4_DST]) == 4) {
		t->family = AF_INET;
		t->src = ip_addr_from_v4(ntohl(mnl_attr_get_u32(ip[CTA_IP_V4_SRC])));
		t->dst = ip_addr_from_v4(ntohl(mnl_attr_get_u32(ip[CTA_IP_V4_DST])));
	} else if (ip[CTA_IP_V6_SRC] && ip[CTA_IP_V6_DST] &&
		   mnl_attr_get_payload_len(ip[CTA_IP_V6_SRC]) == 16 &&
		   mnl_attr_get_payload_len(ip[CTA_IP_V6_DST]) == 16) {
		t->family = AF_INET6;
		t->src = ip_addr_from_v6(mnl_attr_get_payload(ip[CTA_IP_V6_SRC]));
		t->dst = ip_addr_from_v6(mnl_attr_get_payload(ip[CTA_IP_V6_DST]));
	} else {
		return false;
	}
	t->proto = mnl_attr_get_u8(pr[CTA_PROTO_NUM]);
	t->sport = mnl_attr_get_u16(pr[CTA_PROTO_SRC_PORT]);
	t->dport = mnl_attr_get_u16(pr[CTA_PROTO_DST_PORT]);
	return true;
}

bool conntrack_parse_entry(const struct nlmsghdr *nlh, struct ct_tuple *orig,
			   struct ct_tuple *reply)
{
	const struct nlattr *tb[CTA_MAX + 1] = { 0 };
	struct attr_table top = { tb, CTA_MAX };

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nfgenmsg)))
		return false;
	return mnl_attr_parse(nlh, sizeof(struct nfgenmsg), collect_attr, &top) >= 0 &&
	       tb[CTA_TUPLE_ORIG] && tb[CTA_TUPLE_REPLY] &&
	       parse_tuple(tb[CTA_TUPLE_ORIG], orig) &&
	       parse_tuple(tb[CTA_TUPLE_REPLY], reply);
}

void conntrack_sort_flows(struct ct_flow *flows, size_t n)
{
	if (n)
		qsort(flows, n, sizeof(*flows), flow_cmp);
}

static bool flow_matches(const struct ct_flow *f, const struct ct_tuple *orig,
			 const struct ct_tuple *reply)
{
	/* The reply comes from the forward's target: that is what tells a
	 * forwarded flow from any other flow to the same port number. Nothing
	 * NATed an un-NATed flow: its reply comes from where it was sent. */
	if (reply->family != orig->family || ntohs(reply->sport) != f->target_port)
		return false;
	return ip_addr_equal(&reply->src, &f->internal_addr) &&
	       (f->kind != CT_FLOW_UNNATED || ip_addr_equal(&orig->dst, &f->internal_addr));
}

bool conntrack_flows_match(const struct ct_flow *flows, size_t n,
			   const struct ct_tuple *orig, const struct ct_tuple *reply)
{
	struct ct_flow key;
	size_t lo = 0, hi = n;

	memset(&key, 0, sizeof(key));
	/* Of the tuple's family (flow_cmp's first key): :: or 0.0.0.0. */
	if (orig->family != AF_INET6)
		key.internal_addr = ip_addr_from_v4(0);
	key.proto = orig->proto;
	key.external_port = ntohs(orig->dport);
	/* The first flow with this key, then every other: a moved forward
	 * has two (its old target's flows and the un-NATed ones). */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (flow_cmp(&flows[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && flow_cmp(&flows[lo], &key) == 0; lo++)
		if (flow_matches(&flows[lo], orig, reply))
			return true;
	return false;
}

static int entry_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct ct_dump *d = arg;
	struct ct_tuple orig, reply;

	d->seen++;
	if (!conntrack_parse_entry(nlh, &orig, &reply) ||
	    !conntrack_flows_match(d->flows, d->n, &orig, &reply))
		return 0;
	if (!ARRAY_RESERVE(d->hits, d->nhits, d->cap))
		return -ENOMEM;
	d->hits[d->nhits++] = orig;
	return 0;
}

static struct nlmsghdr *put_ct_header(char *buf, uint16_t type, uint16_t flags,
				      uint32_t seq, uint8_t family)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	nlh = nl_msg_put(buf, (NFNL_SUBSYS_CTNETLINK << 8) | type, flags,
			 seq, sizeof(*nfg));
	nfg = mnl_nlmsg_get_payload(nlh);
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

static void put_delete(struct nlmsghdr *nlh, const struct ct_tuple *t)
{
	struct nlattr *tuple, *ip, *proto;

	tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	if (t->family == AF_INET6) {
		mnl_attr_put(nlh, CTA_IP_V6_SRC, 16, t->src.b);
		mnl_attr_put(nlh, CTA_IP_V6_DST, 16, t->dst.b);
	} else {
		mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, t->src.b + 12);	/* IPv4-mapped */
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, t->dst.b + 12);
	}
	mnl_attr_nest_end(nlh, ip);
	proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, t->sport);
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, t->dport);
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, tuple);
}

static void put_filter(struct nlmsghdr *nlh, const struct dump_filter *f)
{
	if (f->by_dst) {
		struct nlattr *nest = mnl_attr_nest_start(nlh, CTA_FILTER);
		struct nlattr *tuple, *ip;

		mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, CT_FILTER_F_IP_DST); /* host order */
		mnl_attr_put_u32(nlh, CTA_FILTER_REPLY_FLAGS, 0);
		mnl_attr_nest_end(nlh, nest);
		tuple = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
		ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
		mnl_attr_put(nlh, CTA_IP_V4_DST, 4, f->dst.b + 12);	/* IPv4-mapped */
		mnl_attr_nest_end(nlh, ip);
		mnl_attr_nest_end(nlh, tuple);
	}
	/* Entries whose status has no DST_NAT bit. A kernel before 5.15
	 * ignores it (entry_cb still matches). */
	if (f->undnated) {
		mnl_attr_put_u32(nlh, CTA_STATUS, htonl(0));
		mnl_attr_put_u32(nlh, CTA_STATUS_MASK, htonl(IPS_DST_NAT));
	}
}

/* The filter for one family of the flows; false when none of them is of
 * that family. Un-NATed flows alone: the kernel leaves out every DNATed
 * entry. IPv6 dumps are never filtered by address: the kernel's IPv6
 * address filter keeps every entry but the address asked for
 * (ctnetlink_filter_match_tuple tests !ipv6_addr_cmp; still so in 6.18). */
static bool family_filter(const struct ct_flow *flows, size_t n, bool v6,
			  const struct ip_addr *orig_dst,
			  struct dump_filter *f)
{
	bool any = false;

	memset(f, 0, sizeof(*f));
	f->family = v6 ? AF_INET6 : AF_INET;
	f->undnated = true;
	for (size_t i = 0; i < n; i++) {
		if (is_v6(&flows[i]) != v6)
			continue;
		any = true;
		if (flows[i].kind != CT_FLOW_UNNATED)
			f->undnated = false;
	}
	f->by_dst = !v6 && orig_dst && ip_addr_is_v4(orig_dst);
	if (f->by_dst)
		f->dst = *orig_dst;
	return any;
}

static int dump_family(struct conntrack *ct, struct ct_dump *d, const struct dump_filter *f)
{
	char buf[512];
	bool filtered = (f->by_dst || f->undnated) && !ct->no_filter;
	size_t nhits = d->nhits, seen = d->seen;
	struct nlmsghdr *nlh = put_ct_header(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP,
					     nl_sock_next_seq(ct->nl), f->family);
	int ret;

	if (filtered)
		put_filter(nlh, f);
	ret = nl_request(ct->nl, nlh, entry_cb, d);
	if ((ret == -EINVAL || ret == -EOPNOTSUPP) && filtered) {
		/* A kernel before 5.8: the whole table, matched here. */
		log_info("conntrack: this kernel filters no dumps (5.8+): each cleanup "
			 "reads the whole conntrack table and matches it here");
		ct->no_filter = true;
		d->nhits = nhits;
		d->seen = seen;
		nlh = put_ct_header(buf, IPCTNL_MSG_CT_GET, NLM_F_DUMP, nl_sock_next_seq(ct->nl),
				    f->family);
		ret = nl_request(ct->nl, nlh, entry_cb, d);
	}
	return ret;
}

size_t conntrack_last_dump_size(const struct conntrack *ct)
{
	return ct->last_dump;
}

struct ct_cleanup {
	struct conntrack *ct;
	struct ct_tuple *hits;
	size_t n, next;
};

struct ct_cleanup *conntrack_cleanup_begin(struct conntrack *ct, const struct ip_addr *orig_dst,
					   const struct ct_flow *flows, size_t n)
{
	struct ct_cleanup *c = calloc(1, sizeof(*c));
	struct ct_dump d = { 0 };
	struct dump_filter f;
	struct ct_flow *sorted = malloc((n ? n : 1) * sizeof(*sorted));
	int ret = 0;

	if (!c || !sorted) {
		free(c);
		free(sorted);
		errno = ENOMEM;
		return NULL;
	}
	if (n)
		memcpy(sorted, flows, n * sizeof(*sorted));
	conntrack_sort_flows(sorted, n);
	d.flows = sorted;
	d.n = n;
	/* One dump of each family that has any flows, all kinds together. */
	for (int v6 = 0; v6 <= 1 && ret == 0; v6++)
		if (family_filter(sorted, n, v6, orig_dst, &f))
			ret = dump_family(ct, &d, &f);
	free(sorted);
	ct->last_dump = d.seen;
	if (ret < 0) {
		free(d.hits);
		free(c);
		errno = -ret;
		return NULL;
	}
	c->ct = ct;
	c->hits = d.hits;
	c->n = d.nhits;
	return c;
}

size_t conntrack_cleanup_left(const struct ct_cleanup *c)
{
	return c->n - c->next;
}

struct acks {
	size_t expected, seen;
	int error;
};

static int ack_cb(const struct nlmsghdr *nlh, void *data)
{
	struct acks *a = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return MNL_CB_ERROR;
	/* Gone already (it timed out, or a retransmit raced us): fine. */
	if (e->error && e->error != -ENOENT && !a->error)
		a->error = e->error;
	return ++a->seen == a->expected ? MNL_CB_STOP : MNL_CB_OK;
}

static int no_data_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

/* Up to max deletes in one sendmsg, then their acks: one round trip. */
int conntrack_cleanup_step(struct ct_cleanup *c, size_t max, size_t *deleted)
{
	static mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = no_data_cb, [NLMSG_ERROR] = ack_cb,
		[NLMSG_DONE] = no_data_cb, [NLMSG_OVERRUN] = no_data_cb,
	};
	struct mnl_socket *nl = nl_sock_mnl(c->ct->nl);
	size_t count = c->n - c->next < max ? c->n - c->next : max;
	char *buf = malloc(count * CT_DELETE_MSG_MAX + 1);
	char rbuf[8192] __attribute__((aligned(8)));
	struct acks a = { .expected = count };
	size_t len = 0;
	int ret = MNL_CB_OK;

	if (!count) {
		free(buf);
		return 0;
	}
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		const struct ct_tuple *t = &c->hits[c->next + i];
		struct nlmsghdr *nlh = put_ct_header(buf + len, IPCTNL_MSG_CT_DELETE, NLM_F_ACK,
						     nl_sock_next_seq(c->ct->nl), t->family);

		put_delete(nlh, t);
		len += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	if (mnl_socket_sendto(nl, buf, len) < 0)
		ret = -errno;
	free(buf);
	while (ret == MNL_CB_OK) {
		ssize_t n = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			ret = -errno;
		else if (!nl_msgs_whole(rbuf, (size_t)n))
			ret = -EPROTO;
		else if ((ret = mnl_cb_run2(rbuf, (size_t)n, 0, mnl_socket_get_portid(nl),
					    no_data_cb, &a, ctl, NLMSG_MIN_TYPE)) < 0)
			ret = -errno;
	}
	if (ret < 0)
		return ret;
	c->next += count;
	*deleted += count;
	if (a.error)
		return a.error;
	return c->next < c->n;
}

void conntrack_cleanup_free(struct ct_cleanup *c)
{
	if (!c)
		return;
	free(c->hits);
	free(c);
}

