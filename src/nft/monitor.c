/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "nft/monitor.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/filter.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include "util/nlutil.h"

/* Every nf_tables object message (table, chain, rule, set, element,
 * object, flowtable) names its table in attribute 1. */
#define NFTA_ANY_TABLE 1

struct nft_monitor {
	struct nl_sock *sock;
	char table[NFT_TABLE_MAXNAMELEN];
	uint32_t writer_portid;
	char buf[64 * 1024];
};

/* Drops every message whose (first) header carries the writer's port: a
 * transaction's notifications share one sender, and the kernel queues
 * them in skbs of their own. */
static int drop_own(int fd, uint32_t portid)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct nlmsghdr, nlmsg_pid)),
		/* BPF loads in network order: compare with the same. */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, htonl(portid), 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_K, 0xffffffff),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };

	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

struct nft_monitor *nft_monitor_open(const char *table, uint32_t writer_portid)
{
	struct nft_monitor *m = calloc(1, sizeof(*m));
	int saved, rcvbuf = 1 << 20;

	if (!m)
		return NULL;
	snprintf(m->table, sizeof(m->table), "%s", table);
	m->writer_portid = writer_portid;
	m->sock = nl_sock_open(NETLINK_NETFILTER, 1u << (NFNLGRP_NFTABLES - 1),
			       SOCK_NONBLOCK | SOCK_CLOEXEC, false);
	if (!m->sock)
		goto fail;
	if (drop_own(nft_monitor_fd(m), writer_portid) < 0)
		goto fail;
	/* Room for an admin's whole ruleset load; lost notifications are
	 * read as a change anyway. */
	if (setsockopt(nft_monitor_fd(m), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		setsockopt(nft_monitor_fd(m), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return m;
fail:
	saved = errno;
	nft_monitor_close(m);
	errno = saved;
	return NULL;
}

void nft_monitor_close(struct nft_monitor *m)
{
	if (!m)
		return;
	nl_sock_close(m->sock);
	free(m);
}

int nft_monitor_fd(const struct nft_monitor *m)
{
	return mnl_socket_get_fd(nl_sock_mnl(m->sock));
}

static int table_attr_cb(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == NFTA_ANY_TABLE &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		*(const char **)data = mnl_attr_get_str(attr);
	return MNL_CB_OK;
}

/* Whether one notification is another program's change to our tables. */
static bool foreign_change(const char *ours, uint32_t writer_portid,
			   const struct nlmsghdr *nlh)
{
	const struct nfgenmsg *nfg;
	const char *table = NULL;

	if (nlh->nlmsg_type >> 8 != NFNL_SUBSYS_NFTABLES ||
	    (nlh->nlmsg_type & 0xff) == NFT_MSG_NEWGEN ||
	    nlh->nlmsg_pid == writer_portid ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*nfg)))
		return false;
	nfg = mnl_nlmsg_get_payload(nlh);
	if (nfg->nfgen_family != NFPROTO_IPV4 && nfg->nfgen_family != NFPROTO_IPV6)
		return false;
	mnl_attr_parse(nlh, sizeof(*nfg), table_attr_cb, &table);
	return table && !strcmp(table, ours);
}

int nft_monitor_parse(const char *table, uint32_t writer_portid, const void *buf,
		      size_t len)
{
	const struct nlmsghdr *nlh;
	size_t pos = 0;

	while ((nlh = nl_msg_next(buf, len, &pos)))
		if (foreign_change(table, writer_portid, nlh))
			return 1;
	return 0;
}

int nft_monitor_read(struct nft_monitor *m)
{
	struct mnl_socket *nl = nl_sock_mnl(m->sock);
	int changed = 0;

	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, m->buf, sizeof(m->buf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				return changed;
			if (errno == ENOBUFS) {
				changed = 1;	/* lost: assume the worst */
				continue;
			}
			return -errno;
		}
		if (nft_monitor_parse(m->table, m->writer_portid, m->buf, (size_t)n))
			changed = 1;
	}
}
