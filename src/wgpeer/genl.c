/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Kernel WireGuard over generic netlink (family "wireguard"). Not reachable
 * on a kernel without the module: tests feed wg_genl_parse() with messages
 * they build. */
#include "wgpeer/backend.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>

#include "util/nlutil.h"

#define ATTR_MAX 16

/* Fills tb[0..ATTR_MAX] from the attributes in [p, p+len). libmnl's own
 * walkers stop quietly at a truncated attribute; here it is an error. */
static int parse_attrs(const void *p, size_t len, const struct nlattr **tb)
{
	const char *pos = p, *end = pos + len;

	while (end - pos >= (long)sizeof(struct nlattr)) {
		const struct nlattr *attr = (const struct nlattr *)pos;
		uint16_t type = mnl_attr_get_type(attr);

		if (attr->nla_len < sizeof(*attr) || attr->nla_len > end - pos)
			return -EPROTO;
		/* Unknown attributes are for newer readers: skip them. */
		if (type <= ATTR_MAX)
			tb[type] = attr;
		pos += MNL_ALIGN(attr->nla_len);
	}
	return pos >= end ? 0 : -EPROTO;
}

static int parse_nested(const struct nlattr *nest, const struct nlattr **tb)
{
	return parse_attrs(mnl_attr_get_payload(nest),
			   mnl_attr_get_payload_len(nest), tb);
}

/* Calls fn for every element of a nested list, which must be well formed. */
static int each_nested(const struct nlattr *nest,
		       int (*fn)(const struct nlattr *, void *), void *arg)
{
	const struct nlattr *tb[ATTR_MAX + 1], *item;

	if (parse_nested(nest, tb) < 0)
		return -EPROTO;
	mnl_attr_for_each_nested(item, nest) {
		int ret = fn(item, arg);

		if (ret)
			return ret;
	}
	return 0;
}

static int parse_allowed_ip(const struct nlattr *nest, void *arg)
{
	struct wg_peer_info *peer = arg;
	const struct nlattr *tb[ATTR_MAX + 1] = { 0 };
	uint16_t family;
	size_t len;

	if (parse_nested(nest, tb) < 0 ||
	    !tb[WGALLOWEDIP_A_FAMILY] || !tb[WGALLOWEDIP_A_IPADDR] ||
	    !tb[WGALLOWEDIP_A_CIDR_MASK] ||
	    mnl_attr_validate(tb[WGALLOWEDIP_A_FAMILY], MNL_TYPE_U16) < 0 ||
	    mnl_attr_validate(tb[WGALLOWEDIP_A_CIDR_MASK], MNL_TYPE_U8) < 0)
		return -EPROTO;
	family = mnl_attr_get_u16(tb[WGALLOWEDIP_A_FAMILY]);
	len = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
	if (!len || mnl_attr_get_payload_len(tb[WGALLOWEDIP_A_IPADDR]) < len)
		return -EPROTO;
	return wg_peer_add_ip(peer, (uint8_t)family,
			      mnl_attr_get_payload(tb[WGALLOWEDIP_A_IPADDR]),
			      mnl_attr_get_u8(tb[WGALLOWEDIP_A_CIDR_MASK])) ? -EPROTO : 0;
}

static int parse_peer(const struct nlattr *nest, void *arg)
{
	struct wg_device_info *dev = arg;
	const struct nlattr *tb[ATTR_MAX + 1] = { 0 };
	struct wg_peer_info *peer;

	if (parse_nested(nest, tb) < 0 ||
	    !tb[WGPEER_A_PUBLIC_KEY] ||
	    mnl_attr_get_payload_len(tb[WGPEER_A_PUBLIC_KEY]) != WG_KEY_LEN)
		return -EPROTO;
	peer = wg_device_peer(dev, mnl_attr_get_payload(tb[WGPEER_A_PUBLIC_KEY]), true);
	if (!peer)
		return -ENOMEM;
	if (tb[WGPEER_A_LAST_HANDSHAKE_TIME]) {
		struct __kernel_timespec ts;

		if (mnl_attr_get_payload_len(tb[WGPEER_A_LAST_HANDSHAKE_TIME]) != sizeof(ts))
			return -EPROTO;
		memcpy(&ts, mnl_attr_get_payload(tb[WGPEER_A_LAST_HANDSHAKE_TIME]), sizeof(ts));
		peer->last_handshake_sec = ts.tv_sec;
	}
	return tb[WGPEER_A_ALLOWEDIPS]
		? each_nested(tb[WGPEER_A_ALLOWEDIPS], parse_allowed_ip, peer) : 0;
}

int wg_genl_parse(const void *msg, struct wg_device_info *dev)
{
	const struct nlmsghdr *nlh = msg;
	const struct nlattr *tb[ATTR_MAX + 1] = { 0 };
	size_t hdr = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct genlmsghdr));

	if (nlh->nlmsg_len < hdr ||
	    parse_attrs((const char *)nlh + hdr, nlh->nlmsg_len - hdr, tb) < 0)
		return -EPROTO;
	if (tb[WGDEVICE_A_IFNAME]) {
		if (mnl_attr_validate(tb[WGDEVICE_A_IFNAME], MNL_TYPE_NUL_STRING) < 0)
			return -EPROTO;
		snprintf(dev->ifname, sizeof(dev->ifname), "%s",
			 mnl_attr_get_str(tb[WGDEVICE_A_IFNAME]));
	}
	if (tb[WGDEVICE_A_LISTEN_PORT]) {
		if (mnl_attr_validate(tb[WGDEVICE_A_LISTEN_PORT], MNL_TYPE_U16) < 0)
			return -EPROTO;
		dev->listen_port = mnl_attr_get_u16(tb[WGDEVICE_A_LISTEN_PORT]);
	}
	return tb[WGDEVICE_A_PEERS] ? each_nested(tb[WGDEVICE_A_PEERS], parse_peer, dev) : 0;
}

struct family_ctx {
	uint16_t id;
};

static int family_cb(const struct nlmsghdr *msg, void *arg)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = { 0 };
	struct family_ctx *ctx = arg;
	const struct nlattr *attr;

	mnl_attr_for_each(attr, (const struct nlmsghdr *)msg, sizeof(struct genlmsghdr))
		if (mnl_attr_get_type(attr) <= CTRL_ATTR_MAX)
			tb[mnl_attr_get_type(attr)] = attr;
	if (tb[CTRL_ATTR_FAMILY_ID] &&
	    mnl_attr_validate(tb[CTRL_ATTR_FAMILY_ID], MNL_TYPE_U16) == 0)
		ctx->id = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	return 0;
}

static struct nlmsghdr *put_genl(char *buf, uint16_t type, uint16_t flags,
				 uint8_t cmd, uint8_t version, uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	nlh = nl_msg_put(buf, type, flags, seq, sizeof(*g));
	g = mnl_nlmsg_get_payload(nlh);
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

static int device_cb(const struct nlmsghdr *msg, void *arg)
{
	int ret = wg_genl_parse(msg, arg);

	if (ret < 0)
		errno = -ret;
	return ret < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int wg_genl_feed(const void *buf, size_t len, uint32_t seq, uint32_t portid,
		 struct wg_device_info *dev)
{
	const struct nlmsghdr *nlh;
	size_t pos = 0;

	/* Every message whole before libmnl walks them (nl_msg_next says
	 * why); a flagged message makes the whole dump void, whatever else
	 * the batch holds. */
	while ((nlh = nl_msg_next(buf, len, &pos)))
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			return -EINTR;
	if (!nl_msgs_whole(buf, len))
		return -EPROTO;
	switch (mnl_cb_run(buf, len, seq, portid, device_cb, dev)) {
	case MNL_CB_OK:
		return 1;
	case MNL_CB_STOP:
		return 0;
	default:
		/* The kernel's answer for an interface that is not there. */
		if (errno == ENOENT || errno == ENODEV || errno == EINVAL)
			return -ENODEV;
		return errno ? -errno : -EPROTO;
	}
}

/* The kernel fills a dump's datagrams up to 32 KiB. */
#define GENL_RECV_LEN 32768

/* The dump's request, sent again after an inconsistent dump. */
static int dump_request(struct wg_genl_read *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	r->seq = nl_sock_next_seq(r->nl);
	nlh = put_genl(buf, r->family, NLM_F_DUMP, WG_CMD_GET_DEVICE, WG_GENL_VERSION, r->seq);
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, r->ifname);
	return mnl_socket_sendto(nl_sock_mnl(r->nl), nlh, nlh->nlmsg_len) < 0 ? -errno : 0;
}

void wg_genl_abort(struct wg_genl_read *r)
{
	if (r->buf) {
		explicit_bzero(r->buf, GENL_RECV_LEN);
		free(r->buf);
	}
	r->buf = NULL;
	nl_sock_close(r->nl);
	r->nl = NULL;
}

int wg_genl_begin(const char *ifname, struct wg_genl_read *r)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct family_ctx fam = { 0 };
	struct nlmsghdr *nlh;
	int ret;

	memset(r, 0, sizeof(*r));
	snprintf(r->ifname, sizeof(r->ifname), "%s", ifname);
	/* Replies carry the device's private key: the buffers are wiped. */
	r->nl = nl_sock_open(NETLINK_GENERIC, 0, SOCK_CLOEXEC, true);
	r->buf = malloc(GENL_RECV_LEN);
	if (!r->nl || !r->buf) {
		ret = r->nl ? -ENOMEM : -errno;
		goto fail;
	}
	nlh = put_genl(buf, GENL_ID_CTRL, NLM_F_ACK, CTRL_CMD_GETFAMILY, 1,
		       nl_sock_next_seq(r->nl));
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	ret = nl_request(r->nl, nlh, family_cb, &fam);
	if (ret == -ENOENT || (!ret && !fam.id))
		ret = -ENODEV;	/* no WireGuard in this kernel */
	if (ret)
		goto fail;
	r->family = fam.id;
	if ((ret = dump_request(r)) == 0)
		return 0;
fail:
	wg_genl_abort(r);
	return ret;
}

int wg_genl_fd(const struct wg_genl_read *r)
{
	return mnl_socket_get_fd(nl_sock_mnl(r->nl));
}

int wg_genl_continue(struct wg_genl_read *r, struct wg_device_info *dev)
{
	struct mnl_socket *nl = nl_sock_mnl(r->nl);
	ssize_t n;
	int ret;

	do
		n = recv(mnl_socket_get_fd(nl), r->buf, GENL_RECV_LEN, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : -errno;
	if (n == 0)
		return -EPROTO;
	ret = wg_genl_feed(r->buf, (size_t)n, r->seq, mnl_socket_get_portid(nl), dev);
	explicit_bzero(r->buf, (size_t)n);
	if (ret != -EINTR || ++r->restarts > 4)
		return ret;
	/* The peers changed during the dump: what was read is no snapshot.
	 * A new socket leaves the old dump's rest unread behind. */
	nl_sock_close(r->nl);
	wg_device_clear(dev);
	r->nl = nl_sock_open(NETLINK_GENERIC, 0, SOCK_CLOEXEC, true);
	if (!r->nl)
		return -errno;
	return (ret = dump_request(r)) < 0 ? ret : 1;
}

int wg_genl_get(const char *ifname, struct wg_device_info *dev)
{
	struct wg_genl_read r;
	int ret = wg_genl_begin(ifname, &r);

	if (ret < 0)
		return ret;
	while ((ret = wg_genl_continue(&r, dev)) == 1) {
		struct pollfd p = { .fd = wg_genl_fd(&r), .events = POLLIN };

		/* The kernel writes the next batch as the last is read. */
		if (poll(&p, 1, 1000) == 0) {
			ret = -ETIMEDOUT;
			break;
		}
	}
	wg_genl_abort(&r);
	return ret;
}
