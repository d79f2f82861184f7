/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Builders for the messages that give the table its shape. Internal to
 * src/nft. */
#ifndef PORTGATE_NFT_RULESET_H
#define PORTGATE_NFT_RULESET_H

#include <stdint.h>

#include "util/nlutil.h"

#define NFT_MAP_FORWARDS "forwards"
#define NFT_SET_EXTERNAL "external"
#define NFT_SET_TUNNEL "tunnel"
#define NFT_CHAIN_PREROUTING "prerouting"
#define NFT_CHAIN_FORWARD "forward"
#define NFT_CHAIN_INPUT "input"
#define NFT_GUARDED_PORT 5351	/* NAT-PMP / PCP server port */

#ifndef NFT_TABLE_F_PERSIST
#define NFT_TABLE_F_PERSIST 0x4
#endif
#define NFT_MSG_DESTROYSETELEM_ 30	/* kernel 6.3+; not in older headers */

#define NFT_SET_PINHOLES "pinholes"	/* ip6 only */

/* Sets, chains and rules; rules replace whatever the chains held. The ip
 * table (ruleset.c), and the ip6 table (ruleset6.c) whose forward chain
 * sets mark on what it accepts. */
/* guard_tcp_port: a TCP port the input chain guards beside 5351 (UPnP's
 * HTTP port), 0 for none. */
int ruleset_put_shape(struct nl_batch *b, const char *table,
		      const char *inner_ifname, uint16_t guard_tcp_port);
int ruleset6_put_shape(struct nl_batch *b, const char *table,
		       const char *inner_ifname, uint32_t mark);

#endif
