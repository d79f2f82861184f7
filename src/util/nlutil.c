/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Netlink over libmnl: mnl_cb_run does the reading of replies, acks and
 * errors, once nl_msgs_whole has checked the lengths it would trust; this
 * file owns the buffer, the flags and the sequence numbers. Plain libmnl
 * and the kernel's headers only (no libnftnl): portgate-client links it. */
#include "util/nlutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
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

struct nlmsghdr *nl_msg_put(char *buf, uint16_t type, uint16_t flags, uint32_t seq,
			    size_t extra_len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	mnl_nlmsg_put_extra_header(nlh, extra_len);
	return nlh;
}

/* ---- walking a buffer's messages --------------------------------------- */

const struct nlmsghdr *nl_msg_next(const void *buf, size_t len, size_t *pos)
{
	const struct nlmsghdr *nlh;
	size_t left;

	if (*pos >= len || len - *pos < sizeof(*nlh))
		return NULL;
	left = len - *pos;
	nlh = (const struct nlmsghdr *)((const char *)buf + *pos);
	if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > left)
		return NULL;
	/* The last message's padding may be cut off. */
	*pos += NLMSG_ALIGN(nlh->nlmsg_len) < left ? NLMSG_ALIGN(nlh->nlmsg_len) : left;
	return nlh;
}

bool nl_msgs_whole(const void *buf, size_t len)
{
	size_t pos = 0;

	while (nl_msg_next(buf, len, &pos))
		;
	return len - pos < sizeof(struct nlmsghdr);
}

/* ---- a request and its replies ----------------------------------------- */

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
	const struct nlmsghdr *nlh;
	size_t pos = 0;
	bool seen = false;

	while ((nlh = nl_msg_next(buf, len, &pos))) {
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
			((struct nlmsghdr *)nlh)->nlmsg_flags &= (uint16_t)~NLM_F_DUMP_INTR;
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
		if (!nl_msgs_whole(s->buf, (size_t)n)) {
			ret = -EPROTO;
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

/* ---- an nf_tables batch ------------------------------------------------ */

/* One nfnetlink header: what libnftnl's nftnl_batch_begin and
 * nftnl_nlmsg_build_hdr write, in libmnl's words. */
static struct nlmsghdr *put_nfnl_header(char *buf, uint16_t type, uint16_t flags,
					uint32_t seq, uint16_t res_id)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	nlh = nl_msg_put(buf, type, flags, seq, sizeof(*nfg));
	nfg = mnl_nlmsg_get_payload(nlh);
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(res_id);
	return nlh;
}

/* Closes the batch with begin's or end's message. */
static void put_batch_mark(struct nl_batch *b, uint16_t type)
{
	struct nlmsghdr *nlh = put_nfnl_header(b->buf + b->len, type, 0,
					       nl_sock_next_seq(b->sock),
					       NFNL_SUBSYS_NFTABLES);

	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

int nl_batch_init(struct nl_batch *b, struct nl_sock *s)
{
	memset(b, 0, sizeof(*b));
	b->sock = s;
	if (!nl_batch_room(b))
		return -ENOMEM;
	put_batch_mark(b, NFNL_MSG_BATCH_BEGIN);
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

uint32_t nl_batch_seq(const struct nl_batch *b)
{
	return b->sock->seq;
}

void nl_batch_push(struct nl_batch *b)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)(b->buf + b->len);

	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
	b->msgs++;
	nl_sock_next_seq(b->sock);
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

/* Sends the fence: netlink requests are served in order on one socket, so
 * when the fence's ack arrives, every ack of the batch has arrived. */
static int send_fence(struct nl_sock *s, uint32_t *seq)
{
	char fence[NLMSG_HDRLEN + 64];
	struct nlmsghdr *nlh;

	*seq = nl_sock_next_seq(s);
	memset(fence, 0, sizeof(fence));
	nlh = put_nfnl_header(fence, (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETGEN,
			      NLM_F_ACK, *seq, 0);
	return mnl_socket_sendto(s->nl, nlh, nlh->nlmsg_len) < 0 ? -errno : 0;
}

int nl_batch_commit(struct nl_batch *b, char *errmsg, size_t errlen)
{
	static mnl_cb_t ctl_cb[NLMSG_MIN_TYPE] = {
		[NLMSG_NOOP] = noop_cb,
		[NLMSG_ERROR] = ack_cb,
		[NLMSG_DONE] = noop_cb,
		[NLMSG_OVERRUN] = noop_cb,
	};
	struct nl_sock *s = b->sock;
	uint32_t portid = mnl_socket_get_portid(s->nl);
	struct ack_ctx ctx = { .errmsg = errmsg, .errlen = errlen };
	int ret;

	if (errmsg && errlen)
		errmsg[0] = '\0';
	if (!nl_batch_room(b))
		return -ENOMEM;
	put_batch_mark(b, NFNL_MSG_BATCH_END);

	ensure_sndbuf(s->nl, b->len);
	if (mnl_socket_sendto(s->nl, b->buf, b->len) < 0)
		return -errno;
	if ((ret = send_fence(s, &ctx.fence_seq)) < 0)
		return ret;

	/* Sequence 0: the acks carry the batch's many sequence numbers. The
	 * fence's own reply (NEWGEN) goes to noop_cb; its ack ends the run. */
	do {
		ssize_t n = mnl_socket_recvfrom(s->nl, s->buf, sizeof(s->buf));

		if (n < 0) {
			if (errno == EINTR) {
				ret = MNL_CB_OK;
				continue;
			}
			return ctx.first_error ? ctx.first_error : -errno;
		}
		if (!nl_msgs_whole(s->buf, (size_t)n))
			return ctx.first_error ? ctx.first_error : -EPROTO;
		ret = mnl_cb_run2(s->buf, (size_t)n, 0, portid, noop_cb, &ctx,
				  ctl_cb, NLMSG_MIN_TYPE);
		if (ret < 0)
			return ctx.first_error ? ctx.first_error : -errno;
	} while (ret == MNL_CB_OK);
	return ctx.first_error;
}
