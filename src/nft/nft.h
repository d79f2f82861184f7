/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The gateway's data plane: an nftables table owned by the daemon, holding a
 * map (proto . external port) → (address . port) with per-element timeouts,
 * one DNAT rule that looks it up, and a forward accept for DNATed flows;
 * and its IPv6 twin (table ip6 of the same name): the same map for NAT66,
 * and a set of pinholes (address . proto . port) for peers with routed
 * addresses. One transaction may touch both tables.
 * Everything goes through libnftnl + libmnl on the writer's own socket; one
 * transaction is one netlink batch. This module knows nothing of NAT-PMP:
 * an element's owner is an opaque key, a port and a lifetime it keeps as
 * userdata so that a restarted daemon can rebuild its state. */
#ifndef PORTGATE_NFT_H
#define PORTGATE_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ipaddr.h"

#define NFT_OWNER_KEY_LEN 32

/* How the tables outlive the daemon (docs/operations.md, "Kernels"). */
enum nft_table_mode {
	NFT_MODE_AUTO = 0,	/* persistent where the kernel can, else un-owned */
	/* NFT_TABLE_F_OWNER | NFT_TABLE_F_PERSIST (6.9+): nobody else can
	 * change the tables while the daemon runs; orphaned, not removed,
	 * when it stops, and taken back by the next one. */
	NFT_MODE_PERSISTENT,
	/* No flags (any kernel): the tables outlive the daemon, but any
	 * program may change them; the daemon watches (nft_monitor) and
	 * re-creates them whole (nft_txn_begin_rebuild). */
	NFT_MODE_UNOWNED,
};

/* "auto", "persistent" or "unowned" (PORTGATE_TABLE_MODE, for tests):
 * 0, or -EINVAL for anything else. */
int nft_table_mode_parse(const char *s, enum nft_table_mode *mode);
const char *nft_table_mode_name(enum nft_table_mode mode);

struct nft_config {
	const char *table;		/* e.g. "portgate" */
	const char *inner_ifname;	/* the WireGuard interface */
	/* How long an element outlives its lifetime in the kernel: the
	 * daemon deletes it on time; the kernel timeout is the safety net. */
	uint32_t timeout_grace_s;
	/* Set on what the ip6 table's forward chain accepts (never 0). */
	uint32_t mark;
	enum nft_table_mode mode;
	/* A TCP port the input chain also guards (UPnP's HTTP port), 0:
	 * none; the table's shape, set at start. */
	uint16_t guard_tcp_port;
};

/* Which set an element lives in. */
enum nft_space {
	NFT_SPACE_IPV4 = 0,	/* ip forwards: proto . port → addr . port */
	NFT_SPACE_NAT66 = 1,	/* ip6 forwards: proto . port → addr6 . port */
	NFT_SPACE_PINHOLE = 2,	/* ip6 pinholes: addr6 . proto . port */
};

struct nft_element {
	enum nft_space space;
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t external_port;		/* PINHOLE: the port opened */
	/* IPV4, NAT66: the target; PINHOLE: the address. Of the space's
	 * family: the kernel keys 4 bytes or 16 (nft_encode_key/data). */
	struct ip_addr addr;
	uint16_t target_port;
	uint32_t lifetime_s;		/* kernel timeout = lifetime + grace;
					 * 0: no timeout, the element stays */
	/* Filled by a dump: what remains of the lifetime, grace excluded. */
	uint64_t remaining_ms;
	/* Userdata */
	uint8_t owner[NFT_OWNER_KEY_LEN];
	uint16_t owner_port;
	uint32_t granted_lifetime_s;
	uint8_t owner_tag;		/* a small number of the owner's (0..255) */
};

struct nft_features {
	enum nft_table_mode mode;	/* never AUTO once set up */
	bool owner;		/* the tables carry NFT_TABLE_F_OWNER */
	bool persist;		/* ... and NFT_TABLE_F_PERSIST (6.9+) */
	bool kernel_persist;	/* the kernel has persistent tables */
	bool destroy;		/* NFT_MSG_DESTROYSETELEM (6.3+) */
};

struct nft_writer;
struct nft_txn;

/* Opens the netlink socket. NULL with errno set on failure. */
struct nft_writer *nft_writer_open(const struct nft_config *cfg);
void nft_writer_close(struct nft_writer *w);

/* Creates the table, or adopts the one a previous run left, and makes its
 * shape ours. *adopted tells whether elements survived; *epoch_origin_ms is
 * the CLOCK_BOOTTIME instant the mapping state began (kept in the table).
 * A table left by a run in the other mode is adopted as it is and marked
 * stale: the caller reads its elements back, then rebuilds it. */
int nft_writer_setup(struct nft_writer *w, bool *adopted,
		     uint64_t *epoch_origin_ms);
const struct nft_features *nft_writer_features(const struct nft_writer *w);
/* Replaces the external addresses the DNAT rule matches, in the table of
 * family fam (ip or ip6; n may be 0): -EINVAL when an address is of the
 * other family. */
int nft_writer_set_external(struct nft_writer *w, enum ip_family fam,
			    const struct ip_addr *addrs, size_t n);
/* Replaces the WireGuard interface's own addresses of family fam: UDP
 * 5351 to them is dropped unless it arrived on that interface. */
int nft_writer_set_tunnel(struct nft_writer *w, enum ip_family fam,
			  const struct ip_addr *addrs, size_t n);
/* Calls cb for every element of the maps and the pinhole set. */
int nft_writer_dump(struct nft_writer *w,
		    int (*cb)(const struct nft_element *, void *), void *arg);
int nft_writer_remove_table(struct nft_writer *w);
/* Whether the kernel's tables may not be what the writer made: left by a
 * run in the other mode, or changed by another program (nft_writer_verify,
 * nft_monitor). A rebuild that commits clears it. */
bool nft_writer_stale(const struct nft_writer *w);
void nft_writer_set_stale(struct nft_writer *w);
/* Reads both tables' heads back (two requests): 0 when they are there
 * with this run's flags and epoch comment, 1 when not (now stale), or
 * -errno. Elements are not compared: nft_monitor sees those changes. */
int nft_writer_verify(struct nft_writer *w);
/* The netlink port of the writer's socket: its changes' notifications
 * carry it. */
uint32_t nft_writer_portid(const struct nft_writer *w);

struct nft_txn *nft_txn_begin(struct nft_writer *w);
/* A transaction that deletes both tables and makes them again, with their
 * shape, the address sets as last set, and exactly the elements put into
 * it (puts only): one batch, so forwarding never stops in between. */
struct nft_txn *nft_txn_begin_rebuild(struct nft_writer *w);
/* Adds, or replaces an element with the same key (DEL+NEW in the batch). */
int nft_txn_put(struct nft_txn *txn, const struct nft_element *e, bool replace);
/* Deletes the element with e's key, in e's space. */
int nft_txn_delete_element(struct nft_txn *txn, const struct nft_element *e);
size_t nft_txn_size(const struct nft_txn *txn);
/* Sends the batch and reads every ack: 0 when all of it is in the kernel,
 * -errno when none of it is. Frees txn either way. */
int nft_txn_commit(struct nft_txn *txn);
void nft_txn_abort(struct nft_txn *txn);
/* The kernel's message for the last failed commit, or "". */
const char *nft_writer_last_error(const struct nft_writer *w);

#endif
