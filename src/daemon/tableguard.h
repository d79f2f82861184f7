/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The guard of un-owned tables (docs/operations.md, "Kernels"): without
 * persistent tables (before 6.9) the daemon's tables have no owner, so that
 * they outlive it, and any program can change them (`nft flush ruleset`,
 * Debian's nftables.service on restart, removes them). The guard marks
 * them stale on another program's change (nft_monitor, at once) or when a
 * look at both tables after a poll finds them gone or not ours, and then
 * has them rebuilt whole. In persistent mode only a stale table left by
 * the other mode is rebuilt. */
#ifndef PORTGATE_TABLEGUARD_H
#define PORTGATE_TABLEGUARD_H

#include <stdbool.h>

struct loop;
struct nft_writer;
struct table_guard;

/* rebuild(arg): the tables made again with every mapping of the state;
 * 0 when the kernel took it. NULL with errno set (start-up fails). */
struct table_guard *table_guard_open(struct loop *loop, struct nft_writer *w,
				     const char *table, int (*rebuild)(void *arg),
				     void *arg);
void table_guard_close(struct table_guard *tg);
/* After each poll and at start: looks at the tables (un-owned mode) and
 * rebuilds them when stale. */
void table_guard_check(struct table_guard *tg);

#endif
