/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "wgpeer/rtnl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "util/addrclass.h"
#include "util/nlutil.h"

/* Two sockets for the life of the daemon: one joined to the link and
 * address groups (events), one for queries (a multicast event arriving in
 * the middle of a reply would not be ours). */
struct rtnl_watch {
	struct nl_sock *events;
	struct nl_sock *query;
};

struct rtnl_watch *rtnl_watch_open(void)
{
	struct rtnl_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->events = nl_sock_open(NETLINK_ROUTE, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
				 SOCK_NONBLOCK | SOCK_CLOEXEC, false);
	w->query = nl_sock_open(NETLINK_ROUTE, 0, SOCK_CLOEXEC, false);
	if (!w->events || !w->query) {
		int saved = errno;

		rtnl_watch_close(w);
		errno = saved;
		return NULL;
	}
	return w;
}

void rtnl_watch_close(struct rtnl_watch *w)
{
	if (!w)
		return;
	nl_sock_close(w->events);
	nl_sock_close(w->query);
	free(w);
}

int rtnl_watch_fd(const struct rtnl_watch *w)
{
	return mnl_socket_get_fd(nl_sock_mnl(w->events));
}

bool rtnl_watch_drain(struct rtnl_watch *w)
{
	char buf[16384];
	bool changed = false;

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl_sock_mnl(w->events), buf, sizeof(buf));

		if (n > 0) {
			changed = true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* ENOBUFS: events were dropped; the caller re-reads. */
		if (n < 0 && errno == ENOBUFS)
			changed = true;
		return changed;
	}
}

static int link_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct rtnl_link_state *st = arg;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	st->exists = true;
	st->ifindex = ifi->ifi_index;
	st->up = ifi->ifi_flags & IFF_UP;
	return 0;
}

int rtnl_link_get(struct rtnl_watch *w, const char *ifname,
		  struct rtnl_link_state *state)
{
	char buf[512];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int ret;

	memset(state, 0, sizeof(*state));
	nlh = nl_msg_put(buf, RTM_GETLINK, 0, nl_sock_next_seq(w->query), sizeof(*ifi));
	ifi = mnl_nlmsg_get_payload(nlh);
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	ret = nl_request(w->query, nlh, link_cb, state);
	if (ret == -ENODEV || ret == -ENOENT)
		return 0;	/* absent: state->exists stays false */
	return ret;
}

struct addr_ctx {
	int ifindex;
	struct ip_addr *addrs;
	size_t max, n;
};

static int addr_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct addr_ctx *ctx = arg;
	const struct nlattr *attr, *local = NULL, *address = NULL;

	/* Global ones only: a link- or host-scope address (169.254.x, one
	 * added by hand) is listed first and is nobody's way in. */
	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET ||
	    (int)ifa->ifa_index != ctx->ifindex || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
		return 0;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_type(attr) == IFA_LOCAL)
			local = attr;
		else if (mnl_attr_get_type(attr) == IFA_ADDRESS)
			address = attr;
	}
	/* On point-to-point links IFA_ADDRESS is the peer: IFA_LOCAL wins. */
	attr = local ? local : address;
	if (attr && mnl_attr_get_payload_len(attr) == 4 && ctx->n < ctx->max)
		ctx->addrs[ctx->n++] = ip_addr_from_v4(ntohl(mnl_attr_get_u32(attr)));
	return 0;
}

/* Global, usable (not tentative, not failed DAD) IPv6 addresses. */
static int addr6_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct addr_ctx *ctx = arg;
	const struct nlattr *attr, *address = NULL;
	uint32_t flags = ifa->ifa_flags;
	struct ip_addr a;

	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET6 ||
	    (int)ifa->ifa_index != ctx->ifindex || ifa->ifa_scope != RT_SCOPE_UNIVERSE)
		return 0;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_type(attr) == IFA_FLAGS)
			flags = mnl_attr_get_u32(attr);
		else if (mnl_attr_get_type(attr) == IFA_LOCAL ||
			 (mnl_attr_get_type(attr) == IFA_ADDRESS && !address))
			address = attr;
	}
	if (flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))
		return 0;
	if (!address || mnl_attr_get_payload_len(address) != 16 || ctx->n == ctx->max)
		return 0;
	a = ip_addr_from_v6(mnl_attr_get_payload(address));
	/* ::ffff:a.b.c.d is IPv4 in the one form (util/ipaddr.h): as an
	 * interface's IPv6 address it is nobody's (RFC 4291 §2.5.5.2). */
	if (!ip_addr_is_v4(&a))
		ctx->addrs[ctx->n++] = a;
	return 0;
}

static int dump_addrs(struct rtnl_watch *w, const char *ifname, uint8_t family,
		      struct addr_ctx *ctx)
{
	struct rtnl_link_state st;
	char buf[512];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int ret;

	if ((ret = rtnl_link_get(w, ifname, &st)) < 0)
		return ret;
	if (!st.exists)
		return -ENODEV;
	nlh = nl_msg_put(buf, RTM_GETADDR, NLM_F_DUMP,
			 nl_sock_next_seq(w->query), sizeof(*ifa));
	ifa = mnl_nlmsg_get_payload(nlh);
	ifa->ifa_family = family;
	ctx->ifindex = st.ifindex;
	return nl_request(w->query, nlh, family == AF_INET ? addr_cb : addr6_cb, ctx);
}

int rtnl_addrs(struct rtnl_watch *w, const char *ifname, enum ip_family fam,
	       struct ip_addr *addrs, size_t max, size_t *n)
{
	struct addr_ctx ctx = { .addrs = addrs, .max = max };
	int ret = dump_addrs(w, ifname, fam == IP_V4 ? AF_INET : AF_INET6, &ctx);

	*n = ctx.n;
	return ret;
}

struct all_ctx {
	void (*cb)(const struct ip_addr *addr, uint8_t prefixlen, void *arg);
	void *arg;
};

static void report_v4(const struct all_ctx *ctx, const struct nlattr *attr, uint8_t prefixlen)
{
	struct ip_addr a;

	if (!attr || mnl_attr_get_payload_len(attr) != 4)
		return;
	a = ip_addr_from_v4(ntohl(mnl_attr_get_u32(attr)));
	ctx->cb(&a, prefixlen, ctx->arg);
}

static int all_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct all_ctx *ctx = arg;
	const struct nlattr *attr, *local = NULL, *address = NULL, *brd = NULL;

	if (nlh->nlmsg_type != RTM_NEWADDR || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
		return 0;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
		switch (mnl_attr_get_type(attr)) {
		case IFA_LOCAL: local = attr; break;
		case IFA_ADDRESS: address = attr; break;
		case IFA_BROADCAST: brd = attr; break;
		}
	}
	/* On point-to-point links IFA_ADDRESS is the far end: IFA_LOCAL is ours. */
	attr = local ? local : address;
	if (ifa->ifa_family == AF_INET) {
		report_v4(ctx, attr, ifa->ifa_prefixlen);
		report_v4(ctx, brd, 32);
	} else if (ifa->ifa_family == AF_INET6 && attr &&
		   mnl_attr_get_payload_len(attr) == 16) {
		struct ip_addr a = ip_addr_from_v6(mnl_attr_get_payload(attr));

		ctx->cb(&a, ifa->ifa_prefixlen, ctx->arg);
	}
	return 0;
}

void rtnl_parse_addr(const struct nlmsghdr *nlh,
		     void (*cb)(const struct ip_addr *addr, uint8_t prefixlen, void *arg),
		     void *arg)
{
	struct all_ctx ctx = { cb, arg };

	all_cb(nlh, &ctx);
}

int rtnl_all_addrs(struct rtnl_watch *w,
		   void (*cb)(const struct ip_addr *addr, uint8_t prefixlen, void *arg),
		   void *arg)
{
	struct all_ctx ctx = { cb, arg };
	char buf[512];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	nlh = nl_msg_put(buf, RTM_GETADDR, NLM_F_DUMP,
			 nl_sock_next_seq(w->query), sizeof(*ifa));
	ifa = mnl_nlmsg_get_payload(nlh);
	ifa->ifa_family = AF_UNSPEC;
	return nl_request(w->query, nlh, all_cb, &ctx);
}
