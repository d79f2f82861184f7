#include "nft/localsock.h"

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
	uint64_t in_use[2][65536 / 64];	/* [tcp?][port] as of the last refresh */
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

static struct nlmsghdr *put_request(struct local_sockets *l, char *buf, uint16_t flags,
				    uint8_t proto, struct inet_diag_req_v2 **out)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *req;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = nl_sock_next_seq(l->nl);
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = AF_INET;
	req->sdiag_protocol = proto;
	req->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	*out = req;
	return nlh;
}

struct each_ctx {
	uint8_t proto;
	uint32_t addr;		/* network order */
	void (*cb)(uint8_t proto, uint16_t port, void *arg);
	void *arg;
};

static int each_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	struct each_ctx *ctx = arg;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*m)) || m->idiag_family != AF_INET)
		return 0;
	/* Bound to the address or to all of them, not connected anywhere. */
	if ((m->id.idiag_src[0] == ctx->addr || m->id.idiag_src[0] == 0) &&
	    m->id.idiag_dport == 0)
		ctx->cb(ctx->proto, ntohs(m->id.idiag_sport), ctx->arg);
	return 0;
}

int local_sockets_each(struct local_sockets *l, uint32_t addr,
		       void (*cb)(uint8_t proto, uint16_t port, void *arg), void *arg)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP };
	struct each_ctx ctx = { .addr = htonl(addr), .cb = cb, .arg = arg };

	for (size_t i = 0; i < sizeof(protos); i++) {
		char buf[256];
		struct inet_diag_req_v2 *req;
		struct nlmsghdr *nlh = put_request(l, buf, NLM_F_DUMP, protos[i], &req);
		int ret;

		/* Listeners only for TCP; every UDP socket (they have no
		 * listen state), connected ones skipped in each_cb. */
		req->idiag_states = protos[i] == IPPROTO_TCP ? TCPF_LISTEN_ : ~0u;
		ctx.proto = protos[i];
		if ((ret = nl_request(l->nl, nlh, each_cb, &ctx)) < 0)
			return ret;
	}
	return 0;
}

static void mark(uint8_t proto, uint16_t port, void *arg)
{
	struct local_sockets *l = arg;

	l->in_use[proto == IPPROTO_TCP][port / 64] |= 1ull << (port % 64);
}

int local_sockets_refresh(struct local_sockets *l, uint32_t addr)
{
	memset(l->in_use, 0, sizeof(l->in_use));
	return local_sockets_each(l, addr, mark, l);
}

bool local_sockets_in_use(const struct local_sockets *l, uint8_t proto, uint16_t port)
{
	return l->in_use[proto == IPPROTO_TCP][port / 64] >> (port % 64) & 1;
}
