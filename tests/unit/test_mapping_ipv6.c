/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mapping state's IPv6 spaces: a peer's IPv4 and IPv6 mappings of one
 * internal port are two leases; NAT66 ports come from a pool of their own;
 * a routed pinhole is the peer's own port on its own address, so two peers
 * may both open 6881; deletes stay in their family; drops, rollback and
 * adoption cover every space. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>

#include "natpmp/codec.h"
#include "natpmp/mapping.h"

static const struct mapping_limits limits = {
	.port_min = 20000, .port_max = 20009, .per_peer = 8,
	.lifetime_min = 60, .lifetime_max = 7200,
};

static uint8_t peer_a[32] = { 'A' };
static uint8_t peer_b[32] = { 'B' };
static const uint8_t addr_a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0xa };
static const uint8_t addr_a2[16] = { 0x20, 0x01, 0x0d, 0xb8, [14] = 1, [15] = 0xa };
static const uint8_t addr_b[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0xb };

static int setup(void **state)
{
	*state = mapping_table_new();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	mapping_table_free(*state);
	return 0;
}

static struct mapping_reply ask_in(struct mapping_table *t, enum mapping_space space,
				   const uint8_t *peer, const uint8_t *addr6,
				   enum mapping_proto proto, uint16_t internal,
				   uint16_t suggested, uint32_t lifetime)
{
	struct mapping_request req = {
		.peer = peer, .space = space, .addr = ip_addr_from_v4(0x0a420002), .proto = proto,
		.internal_port = internal, .suggested_port = suggested,
		.lifetime = lifetime,
	};
	struct mapping_reply reply;

	if (addr6)
		memcpy(req.addr.b, addr6, 16);
	assert_int_equal(mapping_table_begin(t), 0);
	mapping_table_request(t, &limits, &req, 1000, &reply);
	mapping_table_commit(t);
	return reply;
}

static void routed_pinholes_are_the_peers_own_port(void **state)
{
	struct mapping_table *t = *state;
	struct mapping_reply a = ask_in(t, MAPPING_SPACE_ROUTED6, peer_a, addr_a,
					MAPPING_TCP, 6881, 6881, 3600);
	struct mapping_reply b = ask_in(t, MAPPING_SPACE_ROUTED6, peer_b, addr_b,
					MAPPING_TCP, 6881, 0, 3600);
	struct mapping_view v;

	assert_int_equal(a.result, NATPMP_RESULT_SUCCESS);
	assert_int_equal(a.external_port, 6881);
	/* Outside the policy's range and taken by peer A: still B's own. */
	assert_int_equal(b.result, NATPMP_RESULT_SUCCESS);
	assert_int_equal(b.external_port, 6881);
	assert_true(mapping_table_find_in(t, MAPPING_SPACE_ROUTED6, peer_b, MAPPING_TCP, 6881, &v));
	assert_int_equal(v.space, MAPPING_SPACE_ROUTED6);
	assert_memory_equal(v.addr.b, addr_b, 16);
	assert_int_equal(v.target_port, 6881);
	assert_int_equal(mapping_table_count_space(t, MAPPING_SPACE_ROUTED6, MAPPING_TCP), 2);
	/* Nothing of the IPv4 space was touched. */
	assert_false(mapping_table_find_by_port(t, MAPPING_SPACE_IPV4, MAPPING_TCP, 6881, &v));
	assert_int_equal(mapping_table_count_space(t, MAPPING_SPACE_IPV4, MAPPING_TCP), 0);
}

static void families_are_separate_leases(void **state)
{
	struct mapping_table *t = *state;
	struct mapping_reply v4 = ask_in(t, MAPPING_SPACE_IPV4, peer_a, NULL,
					 MAPPING_TCP, 6881, 20003, 3600);
	struct mapping_reply v6 = ask_in(t, MAPPING_SPACE_NAT66, peer_a, addr_a,
					 MAPPING_TCP, 6881, 20003, 3600);
	struct mapping_view v;

	assert_int_equal(v4.result, NATPMP_RESULT_SUCCESS);
	assert_int_equal(v6.result, NATPMP_RESULT_SUCCESS);
	/* Two addresses, two pools: the same port in each. */
	assert_int_equal(v4.external_port, 20003);
	assert_int_equal(v6.external_port, 20003);
	assert_int_equal(mapping_table_peer_ports(t, peer_a), 2);
	assert_true(mapping_table_find_in(t, MAPPING_SPACE_IPV4, peer_a, MAPPING_TCP, 6881, &v));
	assert_int_equal(v.space, MAPPING_SPACE_IPV4);
	assert_true(mapping_table_find_in(t, MAPPING_SPACE_NAT66, peer_a, MAPPING_TCP, 6881, &v));
	assert_int_equal(v.space, MAPPING_SPACE_NAT66);
	assert_memory_equal(v.addr.b, addr_a, 16);
	/* Another peer's NAT66 request for that port gets another one. */
	v6 = ask_in(t, MAPPING_SPACE_NAT66, peer_b, addr_b, MAPPING_TCP, 6881, 20003, 3600);
	assert_int_equal(v6.result, NATPMP_RESULT_SUCCESS);
	assert_int_not_equal(v6.external_port, 20003);
}

static void nat66_honours_reserved_ports(void **state)
{
	struct mapping_table *t = *state;
	struct mapping_reply r;

	mapping_table_reserve_port(t, 20005, true);
	r = ask_in(t, MAPPING_SPACE_NAT66, peer_a, addr_a, MAPPING_UDP, 5000, 20005, 3600);
	assert_int_equal(r.result, NATPMP_RESULT_SUCCESS);
	assert_int_not_equal(r.external_port, 20005);
}

static void a_delete_stays_in_its_family(void **state)
{
	struct mapping_table *t = *state;
	struct mapping_view v;

	ask_in(t, MAPPING_SPACE_IPV4, peer_a, NULL, MAPPING_UDP, 6881, 0, 3600);
	ask_in(t, MAPPING_SPACE_ROUTED6, peer_a, addr_a, MAPPING_UDP, 6881, 0, 3600);
	/* NAT-PMP's delete-all (internal 0, lifetime 0) on IPv4. */
	ask_in(t, MAPPING_SPACE_IPV4, peer_a, NULL, MAPPING_UDP, 0, 0, 0);
	assert_false(mapping_table_find_in(t, MAPPING_SPACE_IPV4, peer_a, MAPPING_UDP, 6881, &v));
	assert_true(mapping_table_find_in(t, MAPPING_SPACE_ROUTED6, peer_a, MAPPING_UDP, 6881, &v));
	/* A PCP delete of the IPv6 one. */
	ask_in(t, MAPPING_SPACE_ROUTED6, peer_a, addr_a, MAPPING_UDP, 6881, 0, 0);
	assert_false(mapping_table_find_in(t, MAPPING_SPACE_ROUTED6, peer_a, MAPPING_UDP, 6881, &v));
}

static void a_peer_drop_takes_every_space(void **state)
{
	struct mapping_table *t = *state;

	ask_in(t, MAPPING_SPACE_IPV4, peer_a, NULL, MAPPING_TCP, 6881, 0, 3600);
	ask_in(t, MAPPING_SPACE_NAT66, peer_a, addr_a, MAPPING_TCP, 6882, 0, 3600);
	ask_in(t, MAPPING_SPACE_ROUTED6, peer_a, addr_a, MAPPING_TCP, 6883, 0, 3600);
	ask_in(t, MAPPING_SPACE_ROUTED6, peer_b, addr_b, MAPPING_TCP, 6883, 0, 3600);
	assert_int_equal(mapping_table_begin(t), 0);
	assert_int_equal(mapping_table_drop_peer(t, peer_a, MAPPING_ANY), 3);
	mapping_table_commit(t);
	assert_int_equal(mapping_table_peer_ports(t, peer_a), 0);
	assert_int_equal(mapping_table_count(t, MAPPING_TCP), 1);
	assert_int_equal(mapping_table_count_space(t, MAPPING_SPACE_ROUTED6, MAPPING_TCP), 1);
}

struct seen {
	size_t routed, nat66, ipv4;
};

static void count_view(const struct mapping_view *v, void *arg)
{
	struct seen *s = arg;

	s->routed += v->space == MAPPING_SPACE_ROUTED6;
	s->nat66 += v->space == MAPPING_SPACE_NAT66;
	s->ipv4 += v->space == MAPPING_SPACE_IPV4;
}

static void rollback_restores_and_foreach_lists_all(void **state)
{
	struct mapping_table *t = *state;
	struct mapping_request req = {
		.peer = peer_a, .space = MAPPING_SPACE_ROUTED6, .proto = MAPPING_UDP,
		.internal_port = 6881, .lifetime = 3600,
	};
	struct mapping_reply r;
	struct seen s = { 0 };
	struct mapping_view v;

	ask_in(t, MAPPING_SPACE_IPV4, peer_a, NULL, MAPPING_UDP, 6881, 0, 3600);
	ask_in(t, MAPPING_SPACE_NAT66, peer_b, addr_b, MAPPING_UDP, 6881, 0, 3600);
	ask_in(t, MAPPING_SPACE_ROUTED6, peer_a, addr_a, MAPPING_UDP, 6881, 0, 3600);
	/* A renewal from another address of the peer moves the pinhole;
	 * rolled back, it is where it was. */
	memcpy(req.addr.b, addr_a2, 16);
	assert_int_equal(mapping_table_begin(t), 0);
	mapping_table_request(t, &limits, &req, 2000, &r);
	assert_int_equal(r.result, NATPMP_RESULT_SUCCESS);
	mapping_table_rollback(t);
	assert_true(mapping_table_find_in(t, MAPPING_SPACE_ROUTED6, peer_a, MAPPING_UDP, 6881, &v));
	assert_memory_equal(v.addr.b, addr_a, 16);
	mapping_table_foreach(t, count_view, &s);
	assert_int_equal(s.ipv4, 1);
	assert_int_equal(s.nat66, 1);
	assert_int_equal(s.routed, 1);
}

static void adoption_takes_back_pinholes(void **state)
{
	struct mapping_table *t = *state;
	struct mapping_view m = {
		.peer = peer_a, .space = MAPPING_SPACE_ROUTED6, .proto = MAPPING_TCP,
		.internal_port = 6881, .external_port = 6881, .target_port = 6881,
		.lifetime = 3600, .expires_ms = 5000,
	}, v;

	memcpy(m.addr.b, addr_a, 16);
	assert_int_equal(mapping_table_begin(t), 0);
	assert_int_equal(mapping_table_adopt(t, &m), 0);
	m.peer = peer_b;
	memcpy(m.addr.b, addr_b, 16);
	assert_int_equal(mapping_table_adopt(t, &m), 0);
	/* A static forward is the admin's, IPv4 only. */
	m.is_static = true;
	assert_int_equal(mapping_table_adopt(t, &m), -EINVAL);
	mapping_table_commit(t);
	assert_true(mapping_table_find_in(t, MAPPING_SPACE_ROUTED6, peer_b, MAPPING_TCP, 6881, &v));
	assert_memory_equal(v.addr.b, addr_b, 16);
	assert_int_equal(mapping_table_next_expiry(t), 5000);
}

/* An element whose address is of the other family is not adopted: its
 * flows would be looked for in the wrong conntrack table. */
static void adoption_refuses_the_other_family(void **state)
{
	struct mapping_table *t = *state;
	struct mapping_view m = {
		.peer = peer_a, .space = MAPPING_SPACE_NAT66, .proto = MAPPING_TCP,
		.internal_port = 8080, .external_port = 40000, .target_port = 8080,
		.lifetime = 3600, .expires_ms = 5000,
		.addr = ip_addr_from_v4(0x0a420002),
	};

	assert_int_equal(mapping_table_begin(t), 0);
	assert_int_equal(mapping_table_adopt(t, &m), -EINVAL);
	m.space = MAPPING_SPACE_IPV4;
	memcpy(m.addr.b, addr_a, 16);
	assert_int_equal(mapping_table_adopt(t, &m), -EINVAL);
	mapping_table_commit(t);
	assert_int_equal(mapping_table_count(t, MAPPING_TCP), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(routed_pinholes_are_the_peers_own_port),
		T(families_are_separate_leases),
		T(nat66_honours_reserved_ports),
		T(a_delete_stays_in_its_family),
		T(a_peer_drop_takes_every_space),
		T(rollback_restores_and_foreach_lists_all),
		T(adoption_takes_back_pinholes),
		T(adoption_refuses_the_other_family),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
