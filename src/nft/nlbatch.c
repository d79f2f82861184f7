/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nft/nlbatch.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#define ACK_BUF_LEN (32 * 1024)

int nl_batch_init(struct nl_batch *b, uint32_t seq)
{
	memset(b, 0, sizeof(*b));
	b->seq = seq;
	if (!nl_batch_room(b))
		return -ENOMEM;
	nftnl_batch_begin(b->buf, b->seq++);
	b->len = NLMSG_ALIGN(((struct nlmsghdr *)b->buf)->nlmsg_len);
	return 0;
}

void nl_batch_free(struct nl_batch *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

char *nl_batch_room(struct nl_batch *b)
{
	if (b->cap - b->len < NL_BATCH_MSG_MAX) {
		size_t cap = b->cap ? b->cap * 2 : 4 * NL_BATCH_MSG_MAX;
		char *n;

		while (cap - b->len < NL_BATCH_MSG_MAX)
			cap *= 2;
		n = realloc(b->buf, cap);
		if (!n)
			return NULL;
		b->buf = n;
		b->cap = cap;
	}
	/* No zeroing: libmnl writes every header and pads every attribute. */
	return b->buf + b->len;
}

void nl_batch_push(struct nl_batch *b)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(b->buf + b->len);

	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	b->msgs++;
	b->seq++;
}

uint32_t nl_batch_seq(const struct nl_batch *b)
{
	return b->seq;
}

static void ext_ack_message(const struct nlmsghdr *nlh, char *errmsg,
			    size_t errlen)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	size_t off = sizeof(*err);

	if (!errmsg || !errlen || errmsg[0])
		return;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += err->msg.nlmsg_len - sizeof(err->msg);
	mnl_attr_for_each(attr, nlh, off) {
		if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
			snprintf(errmsg, errlen, "%s", mnl_attr_get_str(attr));
			return;
		}
	}
}

/* Enough socket buffer for a whole batch in one sendmsg: the kernel takes a
 * batch only whole. FORCE needs CAP_NET_ADMIN, which we have. */
static void ensure_sndbuf(struct mnl_socket *nl, size_t len)
{
	int fd = mnl_socket_get_fd(nl), cur = 0;
	socklen_t sl = sizeof(cur);

	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &sl) == 0 &&
	    (size_t)cur >= len + 4096)
		return;
	cur = (int)(len + 65536);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &cur, sizeof(cur)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, sizeof(cur));
}

struct ack_ctx {
	uint32_t fence_seq;
	int first_error;
	char *errmsg;
	size_t errlen;
};

/* Every ack of the batch: keep the first error, go on to the fence. */
static int ack_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ack_ctx *ctx = data;
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return MNL_CB_ERROR;
	if (e->error && !ctx->first_error) {
		ctx->first_error = e->error;
		ext_ack_message(nlh, ctx->errmsg, ctx->errlen);
	}
	return nlh->nlmsg_seq == ctx->fence_seq ? MNL_CB_STOP : MNL_CB_OK;
}

static int noop_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(void)data;
	return MNL_CB_OK;
}

int nl_batch_commit(struct mnl_socket *nl, struct nl_batch *b, char *errmsg,
		    size_t errlen)
{
	static mnl_cb_t ctl_cb[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = noop_cb,
		[NLMSG_ERROR] = ack_cb,
		[NLMSG_DONE] = noop_cb,
		[NLMSG_OVERRUN] = noop_cb,
	};
	char fence[NLMSG_HDRLEN + 64];
	uint32_t portid = mnl_socket_get_portid(nl);
	/* Acks are small (NETLINK_CAP_ACK): no heap buffer per commit. */
	char rbuf[ACK_BUF_LEN];
	struct ack_ctx ctx = { .errmsg = errmsg, .errlen = errlen };
	int ret;

	if (errmsg && errlen)
		errmsg[0] = '\0';
	if (!nl_batch_room(b))
		return -ENOMEM;
	nftnl_batch_end(b->buf + b->len, b->seq++);
	b->len += NLMSG_ALIGN(((struct nlmsghdr *)(b->buf + b->len))->nlmsg_len);

	ensure_sndbuf(nl, b->len);
	if (mnl_socket_sendto(nl, b->buf, b->len) < 0)
		return -errno;
	/* Netlink requests are served in order on one socket: when the
	 * fence's ack arrives, every ack of the batch has arrived. */
	ctx.fence_seq = b->seq++;
	memset(fence, 0, sizeof(fence));
	nftnl_nlmsg_build_hdr(fence, NFT_MSG_GETGEN, AF_UNSPEC, NLM_F_ACK,
			      ctx.fence_seq);
	if (mnl_socket_sendto(nl, fence, ((struct nlmsghdr *)fence)->nlmsg_len) < 0)
		return -errno;

	/* Sequence 0: the acks carry the batch's many sequence numbers. The
	 * fence's own reply (NEWGEN) goes to noop_cb; its ack ends the run. */
	do {
		ssize_t n = mnl_socket_recvfrom(nl, rbuf, sizeof(rbuf));

		if (n < 0) {
			if (errno == EINTR) {
				ret = MNL_CB_OK;
				continue;
			}
			return ctx.first_error ? ctx.first_error : -errno;
		}
		ret = mnl_cb_run2(rbuf, (size_t)n, 0, portid, noop_cb, &ctx,
				  ctl_cb, NLMSG_MIN_TYPE);
		if (ret < 0)
			return ctx.first_error ? ctx.first_error : -errno;
	} while (ret == MNL_CB_OK);
	return ctx.first_error;
}
