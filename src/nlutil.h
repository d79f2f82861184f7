#ifndef PORTGATE_NLUTIL_H
#define PORTGATE_NLUTIL_H

#include <stddef.h>

struct mnl_socket;

/* A bound netlink socket of that bus, joined to groups (0: none); flags as
 * for socket(2) (SOCK_NONBLOCK, SOCK_CLOEXEC). NULL with errno set. */
struct mnl_socket *nl_open(int bus, unsigned groups, int flags);

/* Sends one request (a dump, a get) and calls cb for each reply message
 * until NLMSG_DONE or the ack. 0 or -errno. */
int nl_request(struct mnl_socket *nl, const void *msg, size_t len,
	       int (*cb)(const void *nlh, void *arg), void *arg);

#endif
