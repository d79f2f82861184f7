/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Netlink request/response over libmnl, shared by every module that talks
 * to the kernel: a socket with its own receive buffer, allocated once. */
#ifndef PORTGATE_NLUTIL_H
#define PORTGATE_NLUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mnl_socket;
struct nlmsghdr;
struct nl_sock;

/* A bound netlink socket of that bus, joined to groups (0: none); flags as
 * for socket(2) (SOCK_NONBLOCK, SOCK_CLOEXEC). secret: replies may hold
 * keys, so the receive buffer is wiped after each request. NULL with errno
 * set. */
struct nl_sock *nl_sock_open(int bus, unsigned groups, int flags, bool secret);
void nl_sock_close(struct nl_sock *s);
struct mnl_socket *nl_sock_mnl(struct nl_sock *s);
uint32_t nl_sock_next_seq(struct nl_sock *s);

/* Sends one request (a dump, a get, a change; non-dumps are acked) and
 * calls cb for each reply message until NLMSG_DONE or the ack. 0, -EINTR
 * when the kernel flagged the dump as inconsistent (read it again), or
 * -errno. */
int nl_request(struct nl_sock *s, struct nlmsghdr *msg,
	       int (*cb)(const struct nlmsghdr *nlh, void *arg), void *arg);

#endif
