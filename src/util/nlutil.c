/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Plain netlink request/response over libmnl: mnl_cb_run does the reading
 * of replies, acks and errors; this file owns the buffer and the flags. */
#include "util/nlutil.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

/* The kernel fills a dump's datagrams up to 32 KiB (and never more than
 * the reader's buffer it has seen): twice that leaves room. */
#define RECV_BUF_LEN (64 * 1024)

struct nl_sock {
	struct mnl_socket *nl;
	uint32_t seq;
	bool secret;
	char buf[RECV_BUF_LEN] __attribute__((aligned(8)));	/* headers are read in place */
};

struct nl_sock *nl_sock_open(int bus, unsigned groups, int flags, bool secret)
{
	struct nl_sock *s = calloc(1, sizeof(*s));
	int saved;

	if (!s)
		return NULL;
	s->secret = secret;
	s->seq = 1;
	s->nl = mnl_socket_open2(bus, flags);
	if (s->nl && mnl_socket_bind(s->nl, groups, MNL_SOCKET_AUTOPID) == 0)
		return s;
	saved = errno;
	if (s->nl)
		mnl_socket_close(s->nl);
	free(s);
	errno = saved;
	return NULL;
}

void nl_sock_close(struct nl_sock *s)
{
	if (!s)
		return;
	mnl_socket_close(s->nl);
	free(s);
}

struct mnl_socket *nl_sock_mnl(struct nl_sock *s)
{
	return s->nl;
}

uint32_t nl_sock_next_seq(struct nl_sock *s)
{
	return s->seq++;
}

struct reply_ctx {
	int (*cb)(const struct nlmsghdr *nlh, void *arg);
	void *arg;
	int error;
};

/* A callback's error is kept, and the rest of the replies still read, so
 * that none is left in the socket for the next request. */
static int reply_cb(const struct nlmsghdr *nlh, void *data)
{
	struct reply_ctx *ctx = data;
	int ret;

	if (!ctx->cb || ctx->error)
		return MNL_CB_OK;
	ret = ctx->cb(nlh, ctx->arg);
	if (ret < 0)
		ctx->error = ret;
	return MNL_CB_OK;
}

/* libmnl stops at a message flagged NLM_F_DUMP_INTR, the rest of the dump
 * still unread: note the flag, clear it, and read to the end. */
static bool clear_dump_intr(char *buf, size_t len)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	int left = (int)len;
	bool seen = false;

	for (; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
			nlh->nlmsg_flags &= (uint16_t)~NLM_F_DUMP_INTR;
			seen = true;
		}
	}
	return seen;
}

int nl_request(struct nl_sock *s, struct nlmsghdr *msg,
	       int (*cb)(const struct nlmsghdr *nlh, void *arg), void *arg)
{
	struct reply_ctx ctx = { cb, arg, 0 };
	uint32_t portid = mnl_socket_get_portid(s->nl);
	bool interrupted = false;
	ssize_t n;
	int ret;

	if (!(msg->nlmsg_flags & NLM_F_DUMP))
		msg->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(s->nl, msg, msg->nlmsg_len) < 0)
		return -errno;
	do {
		n = mnl_socket_recvfrom(s->nl, s->buf, sizeof(s->buf));
		if (n < 0) {
			if (errno == EINTR) {
				ret = MNL_CB_OK;
				continue;
			}
			ret = -errno;
			break;
		}
		interrupted |= clear_dump_intr(s->buf, (size_t)n);
		ret = mnl_cb_run(s->buf, (size_t)n, msg->nlmsg_seq, portid, reply_cb, &ctx);
		if (ret < 0)
			ret = -errno;
	} while (ret == MNL_CB_OK);
	if (s->secret)
		explicit_bzero(s->buf, sizeof(s->buf));
	if (ret < 0)
		return ret;
	if (ctx.error)
		return ctx.error;
	return interrupted ? -EINTR : 0;
}
