/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/ratelimit.h"

#include <stdlib.h>
#include <string.h>


/* Open addressing keyed by the peer's public key. Only authorized peers
 * reach the limiter, so the table is bounded by the WireGuard peer count. */
struct bucket {
	uint8_t key[32];
	bool used;
	double tokens;
	int64_t last_ms;
};

struct ratelimit {
	uint32_t rate;
	struct bucket *slots;
	size_t mask, used;
};

struct ratelimit *ratelimit_new(uint32_t rate)
{
	struct ratelimit *rl = calloc(1, sizeof(*rl));

	if (!rl)
		return NULL;
	rl->rate = rate;
	rl->mask = 63;
	rl->slots = calloc(rl->mask + 1, sizeof(*rl->slots));
	if (!rl->slots) {
		free(rl);
		return NULL;
	}
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	free(rl->slots);
	free(rl);
}

void ratelimit_reset(struct ratelimit *rl, uint32_t rate)
{
	memset(rl->slots, 0, (rl->mask + 1) * sizeof(*rl->slots));
	rl->used = 0;
	rl->rate = rate;
}

static size_t slot_of(const struct ratelimit *rl, const uint8_t key[32])
{
	uint64_t h;

	/* Public keys are uniformly random: their bytes are a fine hash. */
	memcpy(&h, key, sizeof(h));
	return (size_t)h & rl->mask;
}

static struct bucket *find(struct ratelimit *rl, const uint8_t key[32])
{
	size_t s = slot_of(rl, key);

	while (rl->slots[s].used && memcmp(rl->slots[s].key, key, 32))
		s = (s + 1) & rl->mask;
	return &rl->slots[s];
}

static bool grow(struct ratelimit *rl)
{
	struct bucket *old = rl->slots;
	size_t n = rl->mask + 1;
	struct bucket *grown = calloc(n * 2, sizeof(*grown));

	if (!grown)
		return false;
	rl->mask = n * 2 - 1;
	rl->slots = grown;
	for (size_t i = 0; i < n; i++)
		if (old[i].used)
			*find(rl, old[i].key) = old[i];
	free(old);
	return true;
}

bool ratelimit_allow(struct ratelimit *rl, const uint8_t key[32], int64_t now_ms)
{
	double burst = 2.0 * rl->rate;
	struct bucket *b;

	if (!rl->rate)
		return true;
	/* Grown at half full; without memory to grow, a new peer is
	 * refused (result 4) until the table has room, never an overflow. */
	if ((rl->used + 1) * 2 > rl->mask + 1 && !grow(rl) &&
	    (rl->used + 1) * 4 > (rl->mask + 1) * 3)
		return false;
	b = find(rl, key);
	if (!b->used) {
		b->used = true;
		memcpy(b->key, key, 32);
		b->tokens = burst;
		b->last_ms = now_ms;
		rl->used++;
	}
	b->tokens += (double)(now_ms - b->last_ms) * rl->rate / 1000.0;
	if (b->tokens > burst)
		b->tokens = burst;
	b->last_ms = now_ms;
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}
