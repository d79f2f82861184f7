/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The per-peer token bucket: bursts of 2 x rate, refill at rate per second,
 * peers independent, 0 = no limit, reset forgets. Time is passed in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/ratelimit.h"

static void key(uint8_t k[32], unsigned n)
{
	memset(k, 0, 32);
	memcpy(k, &n, sizeof(n));
	k[31] = 0x5a;
}

static unsigned allowed(struct ratelimit *rl, const uint8_t k[32], unsigned tries,
			int64_t now)
{
	unsigned n = 0;

	while (tries--)
		n += ratelimit_allow(rl, k, now);
	return n;
}

static void burst_then_refill(void **state)
{
	struct ratelimit *rl = ratelimit_new(5);
	uint8_t a[32];

	(void)state;
	assert_non_null(rl);
	key(a, 1);
	assert_int_equal(allowed(rl, a, 30, 1000), 10);	/* burst 2 x 5 */
	assert_int_equal(allowed(rl, a, 5, 1199), 0);		/* < 1 token */
	assert_int_equal(allowed(rl, a, 5, 1200), 1);		/* 5/s: one per 200 ms */
	assert_int_equal(allowed(rl, a, 30, 1200 + 1000), 5);
	assert_int_equal(allowed(rl, a, 30, 1000000), 10);	/* never above the burst */
	ratelimit_free(rl);
}

static void peers_are_independent(void **state)
{
	struct ratelimit *rl = ratelimit_new(1);
	uint8_t a[32], b[32];

	(void)state;
	key(a, 1);
	key(b, 2);
	assert_int_equal(allowed(rl, a, 10, 0), 2);
	assert_int_equal(allowed(rl, b, 10, 0), 2);
	ratelimit_free(rl);
}

static void zero_is_no_limit_and_reset_forgets(void **state)
{
	struct ratelimit *rl = ratelimit_new(0);
	uint8_t a[32];

	(void)state;
	key(a, 7);
	assert_int_equal(allowed(rl, a, 1000, 0), 1000);
	ratelimit_reset(rl, 2);
	assert_int_equal(allowed(rl, a, 10, 0), 4);
	ratelimit_reset(rl, 2);
	assert_int_equal(allowed(rl, a, 10, 0), 4);	/* a full bucket again */
	ratelimit_free(rl);
}

/* Many peers: the table grows and keeps every bucket. */
static void many_peers(void **state)
{
	struct ratelimit *rl = ratelimit_new(1);
	uint8_t k[32];

	(void)state;
	for (unsigned i = 0; i < 5000; i++) {
		key(k, i);
		assert_int_equal(allowed(rl, k, 3, 0), 2);
	}
	for (unsigned i = 0; i < 5000; i++) {
		key(k, i);
		assert_int_equal(allowed(rl, k, 1, 0), 0);	/* still empty */
	}
	ratelimit_free(rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(burst_then_refill),
		cmocka_unit_test(peers_are_independent),
		cmocka_unit_test(zero_is_no_limit_and_reset_forgets),
		cmocka_unit_test(many_peers),
	};

	return cmocka_run_group_tests_name("ratelimit", tests, NULL, NULL);
}
