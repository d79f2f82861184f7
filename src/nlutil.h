#ifndef PORTGATE_NLUTIL_H
#define PORTGATE_NLUTIL_H

#include <stddef.h>

struct mnl_socket;

/* Sends one request (a dump, a get) and calls cb for each reply message
 * until NLMSG_DONE or the ack. 0 or -errno. */
int nl_request(struct mnl_socket *nl, const void *msg, size_t len,
	       int (*cb)(const void *nlh, void *arg), void *arg);

#endif
