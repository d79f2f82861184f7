/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "sockdiag/localsock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "util/nlutil.h"

/* TCP_LISTEN in the kernel's state numbering. */
#define TCPF_LISTEN_ (1u << 10)

struct local_sockets {
	struct nl_sock *nl;
	/* [ipv6?][tcp?][port] as of the last refresh */
	uint64_t in_use[2][2][65536 / 64];
};

struct local_sockets *local_sockets_open(void)
{
	struct local_sockets *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->nl = nl_sock_open(NETLINK_SOCK_DIAG, 0, SOCK_CLOEXEC, false);
	if (!l->nl) {
		int saved = errno;

		free(l);
		errno = saved;
		return NULL;
	}
	return l;
}

void local_sockets_close(struct local_sockets *l)
{
	if (!l)
		return;
	nl_sock_close(l->nl);
	free(l);
}

static struct nlmsghdr *put_request(struct local_sockets *l, char *buf, uint8_t family,
				    uint8_t proto, struct inet_diag_req_v2 **out)
{
	struct nlmsghdr *nlh;
	struct inet_diag_req_v2 *req;

	nlh = nl_msg_put(buf, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP,
			 nl_sock_next_seq(l->nl), sizeof(*req));
	req = mnl_nlmsg_get_payload(nlh);
	req->sdiag_family = family;
	req->sdiag_protocol = proto;
	req->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	*out = req;
	return nlh;
}

struct each_ctx {
	uint8_t proto;
	uint8_t family;		/* of the dump */
	struct local_ports_of at;
	void (*cb)(int family, uint8_t proto, uint16_t port, void *arg);
	void *arg;
};

static const struct ip_addr any6, any4 = { { [10] = 0xff, [11] = 0xff } };

/* Without the attribute (an old kernel), a socket on :: is taken to hold
 * IPv4 too: it may, and the cost is a port not handed out. */
static bool v6only(const struct nlmsghdr *nlh, const struct inet_diag_msg *m)
{
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(*m))
		if (mnl_attr_get_type(attr) == INET_DIAG_SKV6ONLY &&
		    mnl_attr_get_payload_len(attr) >= 1)
			return *(const uint8_t *)mnl_attr_get_payload(attr) != 0;
	return false;
}

static int each_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct each_ctx *ctx = arg;
	uint16_t port;
	struct ip_addr src = any4;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*m)) || m->idiag_family != ctx->family)
		return 0;
	/* Connected sockets take no new flows. */
	if (m->id.idiag_dport != 0)
		return 0;
	port = ntohs(m->id.idiag_sport);
	if (ctx->family == AF_INET) {
		memcpy(src.b + 12, m->id.idiag_src, 4);
		if (ip_addr_equal(&src, &ctx->at.addr4) || ip_addr_equal(&src, &any4))
			ctx->cb(AF_INET, ctx->proto, port, ctx->arg);
		return 0;
	}
	memcpy(src.b, m->id.idiag_src, 16);
	if (ip_addr_equal(&src, &any6)) {
		ctx->cb(AF_INET6, ctx->proto, port, ctx->arg);
		if (!v6only(nlh, m))
			ctx->cb(AF_INET, ctx->proto, port, ctx->arg);
	} else if (ip_addr_equal(&src, &ctx->at.addr4) || ip_addr_equal(&src, &any4)) {
		ctx->cb(AF_INET, ctx->proto, port, ctx->arg);
	} else if (!ip_addr_equal(&ctx->at.addr6, &any6) && ip_addr_equal(&src, &ctx->at.addr6)) {
		ctx->cb(AF_INET6, ctx->proto, port, ctx->arg);
	}
	return 0;
}

static void each_init(struct each_ctx *ctx, const struct local_ports_of *at,
		      void (*cb)(int family, uint8_t proto, uint16_t port, void *arg),
		      void *arg)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->cb = cb;
	ctx->arg = arg;
	ctx->at = *at;
}

void local_sockets_parse(const struct nlmsghdr *nlh, int family, uint8_t proto,
			 const struct local_ports_of *at,
			 void (*cb)(int family, uint8_t proto, uint16_t port, void *arg),
			 void *arg)
{
	struct each_ctx ctx;

	each_init(&ctx, at, cb, arg);
	ctx.family = (uint8_t)family;
	ctx.proto = proto;
	each_cb(nlh, &ctx);
}

int local_sockets_each(struct local_sockets *l, const struct local_ports_of *at,
		       void (*cb)(int family, uint8_t proto, uint16_t port, void *arg),
		       void *arg)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	static const uint8_t families[] = { AF_INET, AF_INET6 };
	struct each_ctx ctx;

	each_init(&ctx, at, cb, arg);
	for (size_t f = 0; f < sizeof(families); f++) {
		for (size_t i = 0; i < sizeof(protos); i++) {
			char buf[256];
			struct inet_diag_req_v2 *req;
			struct nlmsghdr *nlh = put_request(l, buf, families[f], protos[i], &req);
			int ret;

			/* Listeners only for TCP; every UDP socket (they have
			 * no listen state), connected ones skipped in each_cb. */
			req->idiag_states = protos[i] == IPPROTO_TCP ? TCPF_LISTEN_ : ~0u;
			ctx.proto = protos[i];
			ctx.family = families[f];
			if ((ret = nl_request(l->nl, nlh, each_cb, &ctx)) < 0)
				return ret;
		}
	}
	return 0;
}

static void mark(int family, uint8_t proto, uint16_t port, void *arg)
{
	struct local_sockets *l = arg;

	l->in_use[family == AF_INET6][proto == IPPROTO_TCP][port / 64] |= 1ull << (port % 64);
}

int local_sockets_refresh(struct local_sockets *l, const struct local_ports_of *at)
{
	memset(l->in_use, 0, sizeof(l->in_use));
	return local_sockets_each(l, at, mark, l);
}

bool local_sockets_in_use(const struct local_sockets *l, int family, uint8_t proto,
			  uint16_t port)
{
	return l->in_use[family == AF_INET6][proto == IPPROTO_TCP][port / 64] >> (port % 64) & 1;
}
