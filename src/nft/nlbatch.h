/* SPDX-License-Identifier: GPL-2.0-or-later */
/* An nfnetlink batch in one growing buffer, sent as one sendmsg (one kernel
 * transaction), and the acks read back until a fence. */
#ifndef PORTGATE_NFT_NLBATCH_H
#define PORTGATE_NFT_NLBATCH_H

#include <stddef.h>
#include <stdint.h>

#include "util/nlutil.h"

struct mnl_socket;

/* The largest message we build: element messages are cut below this. */
#define NL_BATCH_MSG_MAX 65536

struct nl_batch {
	char *buf;
	size_t len;
	size_t cap;
	uint32_t seq;
	size_t msgs;	/* between begin and end */
};

int nl_batch_init(struct nl_batch *b, uint32_t seq);
void nl_batch_free(struct nl_batch *b);
/* Room for one message of up to NL_BATCH_MSG_MAX bytes; NULL on ENOMEM. */
char *nl_batch_room(struct nl_batch *b);
/* Takes the message just built at nl_batch_room(). */
void nl_batch_push(struct nl_batch *b);
uint32_t nl_batch_seq(const struct nl_batch *b);

/* Closes the batch, sends it and reads every reply up to a GETGEN fence.
 * 0 on success, else the first error (-errno) with the kernel's extended
 * ack message, if any, in errmsg. */
int nl_batch_commit(struct mnl_socket *nl, struct nl_batch *b, char *errmsg,
		    size_t errlen);

#endif
