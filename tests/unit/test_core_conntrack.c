/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The conntrack jobs gateway_apply queues, against the fake data plane: a
 * new forward (or one moved to another target) cuts the entries that
 * reached its external address and port before it and that nothing NATed
 * (issue 21 §4: the DNAT rule only sees a flow's first packet); a renewal
 * cuts nothing; a removal cuts the forward's own flows; a burst of new
 * forwards is one cleanup (one dump), not one per forward. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core_harness.h"
#include "daemon/core.h"
#include "fake_nft.h"
#include "natpmp/codec.h"
#include "natpmp/mapping.h"
#include "ctnl/conntrack.h"

enum { A, B };

#define EXTERNAL_ADDR 0xc0000201	/* 192.0.2.1, the harness's policy */

/* One mapping request answered with success: its external port. */
static uint16_t map(struct harness *h, int client, uint8_t op, uint16_t internal,
		    uint16_t suggested, uint32_t lifetime)
{
	uint8_t buf[16];

	harness_map(h, client, op, internal, suggested, lifetime);
	harness_serve(h);
	assert_int_equal(harness_recv(h, client, buf, sizeof(buf)), 16);
	assert_int_equal(buf[3], NATPMP_RESULT_SUCCESS);
	return (uint16_t)(buf[10] << 8 | buf[11]);
}

static void a_new_forward_cuts_what_was_already_arriving(void **state)
{
	struct harness *h = *state;
	struct ct_flow f;

	assert_int_equal(map(h, A, NATPMP_OP_MAP_UDP, 9000, 25000, 60), 25000);
	/* Queued: cut once the answer is out, CT_QUEUE_DELAY_MS later. */
	assert_int_equal(fake_nft_unnated_cut(NULL), 0);
	harness_settle_conntrack(h);
	assert_int_equal(fake_nft_unnated_cut(&f), 1);
	assert_int_equal(f.kind, CT_FLOW_UNNATED);
	assert_true(ip_addr_is_v4(&f.internal_addr));
	assert_int_equal(f.proto, IPPROTO_UDP);
	assert_int_equal(f.external_port, 25000);
	/* Entries sent to the external address and port whose reply comes
	 * from there too: nothing NATed them. */
	assert_int_equal(ip_addr_v4(&f.internal_addr), EXTERNAL_ADDR);
	assert_int_equal(f.target_port, 25000);
	assert_int_equal(fake_nft_flows_cut(), 0);
	/* The other protocol of the same lease is a new element too. */
	assert_int_equal(map(h, A, NATPMP_OP_MAP_TCP, 9000, 0, 60), 25000);
	harness_settle_conntrack(h);
	assert_int_equal(fake_nft_unnated_cut(&f), 2);
	assert_int_equal(f.proto, IPPROTO_TCP);
}

static void a_renewal_cuts_nothing(void **state)
{
	struct harness *h = *state;

	assert_int_equal(map(h, A, NATPMP_OP_MAP_UDP, 9000, 25000, 60), 25000);
	harness_settle_conntrack(h);
	assert_int_equal(fake_nft_unnated_cut(NULL), 1);
	/* Renewed: the flows it NATs meanwhile are its own; none is cut. */
	assert_int_equal(map(h, A, NATPMP_OP_MAP_UDP, 9000, 25000, 120), 25000);
	assert_int_equal(map(h, A, NATPMP_OP_MAP_UDP, 9000, 0, 60), 25000);
	harness_settle_conntrack(h);
	assert_int_equal(fake_nft_unnated_cut(NULL), 1);
	assert_int_equal(fake_nft_flows_cut(), 0);
	/* Deleted: its own flows go, nothing else. */
	map(h, A, NATPMP_OP_MAP_UDP, 9000, 0, 0);
	harness_settle_conntrack(h);
	assert_int_equal(fake_nft_flows_cut(), 1);
	assert_int_equal(fake_nft_unnated_cut(NULL), 1);
}

/* Two peers' new forwards in one batch: one cleanup, one dump. */
static void a_burst_is_one_cleanup(void **state)
{
	struct harness *h = *state;
	unsigned dumps = fake_nft_ct_dumps();

	harness_map(h, A, NATPMP_OP_MAP_UDP, 6881, 0, 60);
	harness_map(h, B, NATPMP_OP_MAP_UDP, 6881, 0, 60);
	harness_serve(h);
	harness_settle_conntrack(h);
	assert_int_equal(fake_nft_unnated_cut(NULL), 2);
	assert_int_equal(fake_nft_ct_dumps(), dumps + 1);
}

/* A forward moved to another target (here a static forward the policy
 * points elsewhere): the old target's flows go, and so do the un-NATed
 * ones to its port, in one cleanup. */
static void a_moved_forward_cuts_both(void **state)
{
	struct harness *h = *state;
	static const uint8_t peer[32] = { 0xdd };
	struct mapping_view v = { .peer = peer, .addr = ip_addr_from_v4(0x7f000002), .proto = MAPPING_TCP,
				  .external_port = 2222, .target_port = 22 };
	struct ct_flow f;
	unsigned dumps;

	assert_int_equal(mapping_table_begin(h->g->mappings), 0);
	assert_int_equal(mapping_table_put_static(h->g->mappings, &v), 0);
	assert_int_equal(gateway_apply(h->g, REASON_POLICY), 0);
	harness_settle_conntrack(h);
	assert_int_equal(fake_nft_unnated_cut(NULL), 1);
	assert_int_equal(fake_nft_flows_cut(), 0);
	dumps = fake_nft_ct_dumps();
	v.target_port = 2200;
	assert_int_equal(mapping_table_begin(h->g->mappings), 0);
	assert_int_equal(mapping_table_put_static(h->g->mappings, &v), 0);
	assert_int_equal(gateway_apply(h->g, REASON_POLICY), 0);
	harness_settle_conntrack(h);
	assert_int_equal(fake_nft_flows_cut(), 1);
	assert_int_equal(fake_nft_unnated_cut(&f), 2);
	assert_int_equal(f.external_port, 2222);
	assert_int_equal(f.target_port, 2222);
	assert_int_equal(ip_addr_v4(&f.internal_addr), EXTERNAL_ADDR);
	assert_int_equal(fake_nft_ct_dumps(), dumps + 1);
}

/* A refused batch changed nothing in the kernel: nothing to cut. */
static void a_refused_forward_cuts_nothing(void **state)
{
	struct harness *h = *state;
	uint8_t buf[16];

	fake_nft_refuse_commits(1);
	harness_map(h, A, NATPMP_OP_MAP_UDP, 9000, 25000, 60);
	harness_serve(h);
	assert_int_equal(harness_recv(h, A, buf, sizeof(buf)), 16);
	assert_int_equal(buf[3], NATPMP_RESULT_NETWORK_FAILURE);
	harness_settle_conntrack(h);
	assert_int_equal(fake_nft_unnated_cut(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, harness_setup, harness_teardown)
		T(a_new_forward_cuts_what_was_already_arriving),
		T(a_renewal_cuts_nothing),
		T(a_burst_is_one_cleanup),
		T(a_moved_forward_cuts_both),
		T(a_refused_forward_cuts_nothing),
#undef T
	};

	return cmocka_run_group_tests_name("core: conntrack of new forwards", tests, NULL, NULL);
}
