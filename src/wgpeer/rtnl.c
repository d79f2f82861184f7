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

#include "nlutil.h"

struct rtnl_watch {
	struct mnl_socket *nl;
};

struct rtnl_watch *rtnl_watch_open(void)
{
	struct rtnl_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->nl = nl_open(NETLINK_ROUTE, RTMGRP_LINK | RTMGRP_IPV4_IFADDR,
			SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!w->nl) {
		int saved = errno;

		free(w);
		errno = saved;
		return NULL;
	}
	return w;
}

void rtnl_watch_close(struct rtnl_watch *w)
{
	if (!w)
		return;
	mnl_socket_close(w->nl);
	free(w);
}

int rtnl_watch_fd(const struct rtnl_watch *w)
{
	return mnl_socket_get_fd(w->nl);
}

bool rtnl_watch_drain(struct rtnl_watch *w)
{
	char buf[16384];
	bool changed = false;

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(w->nl, buf, sizeof(buf));

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

static int link_cb(const void *msg, void *arg)
{
	const struct nlmsghdr *nlh = msg;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct rtnl_link_state *st = arg;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	st->exists = true;
	st->ifindex = ifi->ifi_index;
	st->up = ifi->ifi_flags & IFF_UP;
	return 0;
}

static struct mnl_socket *open_route(void)
{
	return nl_open(NETLINK_ROUTE, 0, SOCK_CLOEXEC);
}

int rtnl_link_get(const char *ifname, struct rtnl_link_state *state)
{
	char buf[512];
	struct mnl_socket *nl = open_route();
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	int ret;

	memset(state, 0, sizeof(*state));
	if (!nl)
		return -errno;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	ret = nl_request(nl, nlh, nlh->nlmsg_len, link_cb, state);
	mnl_socket_close(nl);
	if (ret == -ENODEV || ret == -ENOENT)
		return 0;	/* absent: state->exists stays false */
	return ret;
}

struct addr_ctx {
	int ifindex;
	uint32_t *addrs;
	size_t max, n;
};

static int addr_cb(const void *msg, void *arg)
{
	const struct nlmsghdr *nlh = msg;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct addr_ctx *ctx = arg;
	const struct nlattr *attr, *local = NULL, *address = NULL;

	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET ||
	    (int)ifa->ifa_index != ctx->ifindex)
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
		ctx->addrs[ctx->n++] = ntohl(mnl_attr_get_u32(attr));
	return 0;
}

int rtnl_ipv4_addrs(const char *ifname, uint32_t *addrs, size_t max, size_t *n)
{
	struct rtnl_link_state st;
	struct addr_ctx ctx = { 0 };
	char buf[512];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	int ret;

	*n = 0;
	if ((ret = rtnl_link_get(ifname, &st)) < 0)
		return ret;
	if (!st.exists)
		return -ENODEV;
	if (!(nl = open_route()))
		return -errno;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ctx.ifindex = st.ifindex;
	ctx.addrs = addrs;
	ctx.max = max;
	ret = nl_request(nl, nlh, nlh->nlmsg_len, addr_cb, &ctx);
	mnl_socket_close(nl);
	*n = ctx.n;
	return ret;
}
