/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mapping state when memory runs out: every allocation of a request is
 * made to fail in turn. The request is refused with result 4 (out of
 * resources) or served, the state is whole either way, and nothing aborts.
 * Linked with --wrap=malloc,calloc,realloc (see the Makefile). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "natpmp/codec.h"
#include "natpmp/mapping.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

/* The allocation (counted from 1) that fails; 0: none. */
static unsigned fail_at, seen;

static bool fail_now(void)
{
	return fail_at && ++seen == fail_at;
}

void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t s) { return fail_now() ? NULL : __real_calloc(n, s); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }

static const struct mapping_limits limits = {
	.port_min = 1024, .port_max = 65535, .per_peer = 64,
	.lifetime_min = 60, .lifetime_max = 7200,
};

static struct mapping_reply ask(struct mapping_table *t, uint8_t peer_byte,
				enum mapping_proto proto, uint16_t internal)
{
	uint8_t peer[32] = { peer_byte };
	struct mapping_request req = {
		.peer = peer, .addr = ip_addr_from_v4(0x0a000002), .proto = proto,
		.internal_port = internal, .lifetime = 60,
	};
	struct mapping_reply r;

	assert_int_equal(mapping_table_begin(t), 0);
	mapping_table_request(t, &limits, &req, 0, &r);
	mapping_table_commit(t);
	return r;
}

/* Fills a table with enough leases and peers that the next ones grow the
 * hash tables, the heap and the journal. */
static struct mapping_table *populated(void)
{
	struct mapping_table *t = mapping_table_new();

	assert_non_null(t);
	for (unsigned i = 0; i < 255; i++)
		assert_int_equal(ask(t, (uint8_t)(i + 1), MAPPING_UDP, 1000).result,
				 NATPMP_RESULT_SUCCESS);
	return t;
}

static void every_failing_allocation_is_survived(void **state)
{
	unsigned refused = 0;

	(void)state;
	for (unsigned n = 1; n <= 40; n++) {
		struct mapping_table *t = populated();
		size_t before = mapping_table_count(t, MAPPING_UDP);
		struct mapping_reply r;
		uint8_t peer[32] = { 200 };
		struct mapping_view v;

		seen = 0;
		fail_at = n;
		r = ask(t, 200, MAPPING_UDP, 2000);	/* a new lease of a known peer */
		fail_at = 0;
		if (r.result == NATPMP_RESULT_SUCCESS) {
			assert_int_equal(mapping_table_count(t, MAPPING_UDP), before + 1);
			assert_true(mapping_table_find_in(t, MAPPING_SPACE_IPV4, peer, MAPPING_UDP, 2000, &v));
		} else {
			refused++;
			assert_int_equal(r.result, NATPMP_RESULT_OUT_OF_RESOURCES);
			assert_int_equal(r.external_port, 0);
			assert_int_equal(mapping_table_count(t, MAPPING_UDP), before);
			assert_false(mapping_table_find_in(t, MAPPING_SPACE_IPV4, peer, MAPPING_UDP, 2000, &v));
		}
		/* Whole either way: the next request is served. */
		assert_int_equal(ask(t, 201, MAPPING_TCP, 3000).result, NATPMP_RESULT_SUCCESS);
		mapping_table_free(t);
	}
	/* The table grows its buckets, heap and a lease here: each of those
	 * allocations was made to fail once. */
	assert_true(refused >= 3);
}

/* A failure in a transaction that already changed other leases: rollback
 * restores them (it allocates nothing). */
static void rollback_after_a_refusal(void **state)
{
	struct mapping_table *t = populated();
	uint8_t peer[32] = { 7 };
	struct mapping_request req = {
		.peer = peer, .addr = ip_addr_from_v4(0x0a000002), .proto = MAPPING_TCP,
		.internal_port = 4000, .lifetime = 60,
	};
	struct mapping_reply r;

	(void)state;
	assert_int_equal(mapping_table_begin(t), 0);
	mapping_table_request(t, &limits, &req, 0, &r);
	assert_int_equal(r.result, NATPMP_RESULT_SUCCESS);
	seen = 0;
	fail_at = 1;
	req.internal_port = 4001;
	mapping_table_request(t, &limits, &req, 0, &r);
	fail_at = 0;
	assert_int_equal(r.result, NATPMP_RESULT_OUT_OF_RESOURCES);
	mapping_table_rollback(t);
	assert_int_equal(mapping_table_count(t, MAPPING_TCP), 0);
	assert_int_equal(mapping_table_count(t, MAPPING_UDP), 255);
	mapping_table_free(t);
}

/* Each allocation a new table makes, failed in turn: NULL every time, with
 * what was allocated before it freed (ASan's leak check, SANITIZE=1). */
static void a_new_table_without_memory_is_null(void **state)
{
	struct mapping_table *t;
	unsigned allocations;

	(void)state;
	seen = 0;
	fail_at = UINT_MAX;		/* counts, fails none */
	t = mapping_table_new();
	allocations = seen;
	fail_at = 0;
	assert_non_null(t);
	mapping_table_free(t);
	assert_true(allocations >= 2);
	for (unsigned n = 1; n <= allocations; n++) {
		seen = 0;
		fail_at = n;
		t = mapping_table_new();
		fail_at = 0;
		assert_null(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_failing_allocation_is_survived),
		cmocka_unit_test(rollback_after_a_refusal),
		cmocka_unit_test(a_new_table_without_memory_is_null),
	};

	return cmocka_run_group_tests_name("mapping: out of memory", tests, NULL, NULL);
}
