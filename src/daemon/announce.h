/* SPDX-License-Identifier: GPL-2.0-or-later */
/* RFC 6886 §3.2.1: when the external address changes (and at start), tell
 * the clients ANNOUNCE_COUNT times, the first at once, then at intervals
 * doubling from ANNOUNCE_FIRST_INTERVAL_MS (each counted from the end of
 * the round before). What is sent, and to whom, is
 * the owner's callback. */
#ifndef PORTGATE_DAEMON_ANNOUNCE_H
#define PORTGATE_DAEMON_ANNOUNCE_H

#include <stddef.h>

#define ANNOUNCE_COUNT 10
#define ANNOUNCE_FIRST_INTERVAL_MS 250

struct loop;
struct announcer;

/* A round is sent ANNOUNCE_SLICE peers at a time (up to three datagrams
 * each), slices ANNOUNCE_SLICE_GAP_MS apart: 16,000 peers a second, a
 * fraction of a millisecond of the loop per slice. */
#define ANNOUNCE_SLICE 16
#define ANNOUNCE_SLICE_GAP_MS 1

/* send(arg, from) sends one round's slice beginning at peer from, and
 * returns where the next slice begins, 0 when the round is done. */
struct announcer *announcer_open(struct loop *loop, size_t (*send)(void *arg, size_t from),
				 void *arg);
void announcer_close(struct announcer *a);
/* Starts the schedule again from the beginning. */
void announcer_start(struct announcer *a);

#endif
