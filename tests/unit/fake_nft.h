/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A data plane for unit tests of the daemon core: implements src/nft's
 * interface (nft.h, conntrack.h) in memory. Linked instead of src/nft. */
#ifndef PORTGATE_TESTS_FAKE_NFT_H
#define PORTGATE_TESTS_FAKE_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nft/nft.h"

/* The next n commits are refused (-ENOBUFS), changing nothing. */
void fake_nft_refuse_commits(unsigned n);
/* Elements the "kernel" holds now. */
size_t fake_nft_count(void);
bool fake_nft_get(uint8_t proto, uint16_t port, struct nft_element *out);
/* The ip6 table: the element of this space, protocol and port (a pinhole's
 * port on any address). */
#define FAKE_NFT_V6_MAX 64
bool fake_nft_get6(enum nft_space space, uint8_t proto, uint16_t port, struct nft_element *out);
struct ct_flow;
/* Commits tried (refused ones included), and conntrack deletions asked:
 * the flows of removed or moved forwards, and the cuts of un-NATed flows
 * to a new or moved forward's external address and port (the last one in
 * *last unless NULL). */
unsigned fake_nft_commits(void);
unsigned fake_nft_flows_cut(void);
unsigned fake_nft_unnated_cut(struct ct_flow *last);
/* Cleanups begun (each is one conntrack dump per family). */
unsigned fake_nft_ct_dumps(void);
/* The external IPv4 address the rule matches (host order; 0: none). */
uint32_t fake_nft_external(void);
/* Elements a previous run left: the next setup adopts them. */
void fake_nft_preload(const struct nft_element *e);
void fake_nft_reset(void);
/* A local service on the gateway: proto (IPPROTO_TCP/UDP) port in use on
 * the family's external address (AF_INET, AF_INET6). */
void fake_local_socket(int family, uint8_t proto, uint16_t port);
/* Snapshots of the local services read (local_sockets_refresh). */
unsigned fake_local_refreshes(void);

#endif
