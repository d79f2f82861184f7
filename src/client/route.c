/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "client/route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "util/nlutil.h"

/* An RTA_GATEWAY of four bytes, in host order; 0 when absent or odd. */
static uint32_t gateway_of(const struct nlattr *a)
{
	uint32_t g;

	if (!a || mnl_attr_get_payload_len(a) != sizeof(g))
		return 0;
	memcpy(&g, mnl_attr_get_payload(a), sizeof(g));
	return ntohl(g);
}

/* RTA_MULTIPATH: the gateway of the first next hop on ifindex. */
static int multipath(const struct nlattr *mp, int ifindex, uint32_t *gateway)
{
	const char *p = mnl_attr_get_payload(mp);
	size_t left = mnl_attr_get_payload_len(mp);

	while (left >= sizeof(struct rtnexthop)) {
		struct rtnexthop nh;
		const struct nlattr *a = NULL;
		size_t off;

		memcpy(&nh, p, sizeof(nh));
		if (nh.rtnh_len < sizeof(nh) || nh.rtnh_len > left)
			return -EINVAL;
		if (nh.rtnh_ifindex == ifindex) {
			*gateway = 0;
			/* Its attributes follow it, aligned as netlink's are. */
			for (off = RTNH_ALIGN(sizeof(nh)); off + sizeof(struct nlattr) <= nh.rtnh_len;
			     off += MNL_ALIGN(a->nla_len)) {
				a = (const struct nlattr *)(p + off);
				if (a->nla_len < sizeof(*a) || off + a->nla_len > nh.rtnh_len)
					return -EINVAL;
				if ((a->nla_type & NLA_TYPE_MASK) == RTA_GATEWAY)
					*gateway = gateway_of(a);
			}
			return 0;
		}
		off = RTNH_ALIGN(nh.rtnh_len);
		if (off >= left)
			break;
		p += off;
		left -= off;
	}
	return -ENOENT;
}

int route_parse(const struct nlmsghdr *nlh, int ifindex, struct route_hop *hop)
{
	const struct nlattr *a, *gw = NULL, *mp = NULL;
	const struct rtmsg *rtm;
	int oif = 0;

	if (nlh->nlmsg_type != RTM_NEWROUTE || nlh->nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(*rtm))
		return -EINVAL;
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family != AF_INET)
		return -EINVAL;
	memset(hop, 0, sizeof(*hop));
	hop->dst_len = rtm->rtm_dst_len;
	hop->table = rtm->rtm_table;
	mnl_attr_for_each(a, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(a)) {
		case RTA_TABLE:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				hop->table = mnl_attr_get_u32(a);
			break;
		case RTA_OIF:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				oif = (int)mnl_attr_get_u32(a);
			break;
		case RTA_GATEWAY:
			gw = a;
			break;
		case RTA_MULTIPATH:
			mp = a;
			break;
		}
	}
	if (mp && !oif)
		return multipath(mp, ifindex, &hop->gateway);
	if (oif != ifindex)
		return -ENOENT;
	hop->gateway = gateway_of(gw);
	return 0;
}

struct lookup_ctx {
	int ifindex, ret;
	struct route_hop *hop;
};

static int lookup_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct lookup_ctx *ctx = arg;

	ctx->ret = route_parse(nlh, ctx->ifindex, ctx->hop);
	return 0;
}

int route_lookup(int ifindex, uint32_t local, struct route_hop *hop)
{
	struct lookup_ctx ctx = { ifindex, -ENOENT, hop };
	struct nl_sock *s = nl_sock_open(NETLINK_ROUTE, 0, SOCK_CLOEXEC, false);
	char buf[256];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int ret;

	if (!s)
		return -errno;
	nlh = nl_msg_put(buf, RTM_GETROUTE, 0, nl_sock_next_seq(s), sizeof(*rtm));
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	rtm->rtm_src_len = 32;
	/* The route entry that matched, not the resolved destination: its
	 * prefix and its via as written; and the table it was found in
	 * (without LOOKUP_TABLE the kernel says main whatever the table). */
	rtm->rtm_flags = RTM_F_FIB_MATCH | RTM_F_LOOKUP_TABLE;
	mnl_attr_put_u32(nlh, RTA_DST, htonl(ROUTE_PROBE));
	mnl_attr_put_u32(nlh, RTA_SRC, htonl(local));
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	ret = nl_request(s, nlh, lookup_cb, &ctx);
	nl_sock_close(s);
	return ret < 0 ? ret : ctx.ret;
}
