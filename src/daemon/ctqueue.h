/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The conntrack cleanup queue: flows of removed mappings, and the un-NATed
 * flows to the port of a new one (enum ct_flow_kind), are cut together
 * CT_QUEUE_DELAY_MS after the first of a burst (the replies go out first),
 * with one conntrack dump per family for the whole burst, then the deletes
 * a slice of CT_CLEANUP_SLICE per turn of the event loop: tens of thousands
 * of flows an outsider opened to a forwarded port do not hold up NAT-PMP
 * answers. */
#ifndef PORTGATE_DAEMON_CTQUEUE_H
#define PORTGATE_DAEMON_CTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ipaddr.h"

#define CT_QUEUE_DELAY_MS 20

struct loop;
struct stats;
struct ct_flow;
struct ct_queue;

/* Without conntrack (no socket) flows are dropped from the queue, and the
 * start-up log says so once. */
struct ct_queue *ct_queue_open(struct loop *loop, struct stats *stats);
void ct_queue_close(struct ct_queue *q);
/* external_addr: the current external IPv4 address (NULL: unknown). */
void ct_queue_push(struct ct_queue *q, const struct ct_flow *flows, size_t n,
		   const struct ip_addr *external_addr);
/* Cuts everything queued, now (shutdown). */
void ct_queue_flush(struct ct_queue *q);
/* Nothing queued and no cleanup between slices: every flow pushed so far
 * has been cut (what a test waits for before it counts). */
bool ct_queue_idle(const struct ct_queue *q);

#endif
