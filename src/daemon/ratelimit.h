/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Per-peer token buckets: rate requests per second, bursts of 2 x rate. */
#ifndef PORTGATE_RATELIMIT_H
#define PORTGATE_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit;

/* NULL when memory is short. */
struct ratelimit *ratelimit_new(uint32_t rate);
void ratelimit_free(struct ratelimit *rl);
/* Forgets every bucket and takes a new rate (0: no limit). */
void ratelimit_reset(struct ratelimit *rl, uint32_t rate);
/* true when the peer may make one more request at now_ms. */
bool ratelimit_allow(struct ratelimit *rl, const uint8_t key[32], int64_t now_ms);

#endif
