/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The netlink plumbing every module that talks to the kernel shares: a
 * socket with its own receive buffer and its one sequence counter, a
 * request and its replies, an nf_tables batch and its acks, and the one
 * walk of a buffer's messages that checks their lengths. */
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
/* The socket's sequence counter: every message sent on it takes the next
 * number, requests and batches alike. */
uint32_t nl_sock_next_seq(struct nl_sock *s);

/* A request at buf: its header (type, NLM_F_REQUEST | flags, seq) and a
 * zeroed protocol header of extra_len bytes (mnl_nlmsg_get_payload's),
 * attributes to follow. Every message this project sends starts here. */
struct nlmsghdr *nl_msg_put(char *buf, uint16_t type, uint16_t flags, uint32_t seq,
			    size_t extra_len);

/* Sends one request (a dump, a get, a change; non-dumps are acked) and
 * calls cb for each reply message until NLMSG_DONE or the ack. 0, -EINTR
 * when the kernel flagged the dump as inconsistent (read it again),
 * -EPROTO when a reply's lengths do not add up, or -errno. */
int nl_request(struct nl_sock *s, struct nlmsghdr *msg,
	       int (*cb)(const struct nlmsghdr *nlh, void *arg), void *arg);

/* The message at *pos of buf (len bytes), *pos moved past it: NULL at the
 * end, or at a message whose length is less than its header or more than
 * what is left. libmnl's walk (mnl_nlmsg_ok) compares lengths as int, so a
 * length of 2^31 or more would pass it and walk off the buffer: every walk
 * of bytes the kernel (or a fuzzer) wrote goes through here instead. */
const struct nlmsghdr *nl_msg_next(const void *buf, size_t len, size_t *pos);
/* Whether buf holds whole messages only (a tail shorter than a header
 * aside): then libmnl may walk it. */
bool nl_msgs_whole(const void *buf, size_t len);

/* The largest message we build: element messages are cut below this. */
#define NL_BATCH_MSG_MAX 65536

/* An nf_tables batch in one growing buffer, sent as one sendmsg (one kernel
 * transaction); its messages take their sequence numbers from the socket. */
struct nl_batch {
	struct nl_sock *sock;
	char *buf;
	size_t len;
	size_t cap;
	size_t msgs;	/* between begin and end */
};

int nl_batch_init(struct nl_batch *b, struct nl_sock *s);
void nl_batch_free(struct nl_batch *b);
/* Room for one message of up to NL_BATCH_MSG_MAX bytes; NULL on ENOMEM. */
char *nl_batch_room(struct nl_batch *b);
/* The sequence number of the message being built at nl_batch_room(). */
uint32_t nl_batch_seq(const struct nl_batch *b);
/* Takes the message just built at nl_batch_room(). */
void nl_batch_push(struct nl_batch *b);

/* Closes the batch, sends it and reads every reply up to a GETGEN fence.
 * 0 on success, else the first error (-errno) with the kernel's extended
 * ack message, if any, in errmsg. */
int nl_batch_commit(struct nl_batch *b, char *errmsg, size_t errlen);

#endif
