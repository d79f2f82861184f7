/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Other programs' changes to the tables: a netlink socket in the nftables
 * notification group (NFNLGRP_NFTABLES) whose socket filter drops, in the
 * kernel, the notifications of the writer's own batches (they carry its
 * port), so that a large batch of ours never fills its buffer. Element
 * expiry makes no notification. Non-blocking: read it when readable. */
#ifndef PORTGATE_NFT_MONITOR_H
#define PORTGATE_NFT_MONITOR_H

#include <stddef.h>
#include <stdint.h>

struct nft_monitor;

/* table: the name of the ip and ip6 tables watched; writer_portid: see
 * nft_writer_portid. NULL with errno set. */
struct nft_monitor *nft_monitor_open(const char *table, uint32_t writer_portid);
void nft_monitor_close(struct nft_monitor *m);
int nft_monitor_fd(const struct nft_monitor *m);
/* Reads every queued notification: 1 when one was of another program's
 * change to table ip or ip6 TABLE, or some were lost (ENOBUFS), 0 when
 * none was, -errno on another failure. */
int nft_monitor_read(struct nft_monitor *m);
/* The same for one buffer of notifications as read (len bytes): 1 when one
 * is another port's change to table ip or ip6 TABLE, else 0. */
int nft_monitor_parse(const char *table, uint32_t writer_portid, const void *buf,
		      size_t len);

#endif
