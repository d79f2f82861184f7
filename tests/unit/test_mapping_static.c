/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Static mappings (the admin's forwards) in the mapping state: they never
 * expire, never count against the quota, are never handed out, never
 * touched by a client's request, and go with their peer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "natpmp/codec.h"
#include "natpmp/mapping.h"

static const struct mapping_limits limits = {
	.port_min = 1024, .port_max = 65535, .per_peer = 1,
	.lifetime_min = 60, .lifetime_max = 7200,
};

static uint8_t peer_a[32] = { 'A' };
static uint8_t peer_b[32] = { 'B' };

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

static struct mapping_reply ask(struct mapping_table *t, const uint8_t *peer,
				enum mapping_proto proto, uint16_t internal,
				uint16_t suggested, uint32_t lifetime, int64_t now)
{
	struct mapping_request req = {
		.peer = peer, .addr = ip_addr_from_v4(0x0a000002), .proto = proto,
		.internal_port = internal, .suggested_port = suggested,
		.lifetime = lifetime,
	};
	struct mapping_reply reply;

	assert_int_equal(mapping_table_begin(t), 0);
	mapping_table_request(t, &limits, &req, now, &reply);
	mapping_table_commit(t);
	return reply;
}

static void put(struct mapping_table *t, const uint8_t *peer, enum mapping_proto proto,
		uint16_t external, uint16_t target)
{
	struct mapping_view v = {
		.peer = peer, .addr = ip_addr_from_v4(0x0a000002), .proto = proto,
		.external_port = external, .target_port = target,
	};

	assert_int_equal(mapping_table_begin(t), 0);
	assert_int_equal(mapping_table_put_static(t, &v), 0);
	mapping_table_commit(t);
}

static void static_never_expires_and_is_not_quota(void **state)
{
	struct mapping_table *t = *state;
	struct mapping_view v;
	struct mapping_reply r;

	put(t, peer_a, MAPPING_TCP, 2222, 22);
	assert_true(mapping_table_find_by_port(t, MAPPING_SPACE_IPV4, MAPPING_TCP, 2222, &v));
	assert_true(v.is_static);
	assert_int_equal(v.target_port, 22);
	assert_int_equal(mapping_table_next_expiry(t), INT64_MAX);
	assert_int_equal(mapping_table_peer_ports(t, peer_a), 0);
	/* per_peer is 1: the static forward leaves room for one request. */
	r = ask(t, peer_a, MAPPING_UDP, 5000, 0, 60, 0);
	assert_int_equal(r.result, NATPMP_RESULT_SUCCESS);
	assert_int_equal(mapping_table_begin(t), 0);
	assert_int_equal(mapping_table_expire(t, INT64_MAX - 1), 1);	/* only the dynamic */
	mapping_table_commit(t);
	assert_true(mapping_table_find_by_port(t, MAPPING_SPACE_IPV4, MAPPING_TCP, 2222, &v));
	assert_int_equal(mapping_table_count_static(t, MAPPING_TCP), 1);
	assert_int_equal(mapping_table_count(t, MAPPING_UDP), 0);
}

static void static_port_is_never_handed_out(void **state)
{
	struct mapping_table *t = *state;
	struct mapping_reply r;

	put(t, peer_a, MAPPING_TCP, 2222, 22);
	/* Not to its owner's suggestion, not to anyone else's, not for the
	 * protocol the forward does not use. */
	r = ask(t, peer_a, MAPPING_UDP, 7000, 2222, 60, 0);
	assert_int_not_equal(r.external_port, 2222);
	r = ask(t, peer_b, MAPPING_TCP, 7000, 2222, 60, 0);
	assert_int_not_equal(r.external_port, 2222);
}

static void client_requests_never_touch_it(void **state)
{
	struct mapping_table *t = *state;
	struct mapping_view v;
	struct mapping_reply r;

	put(t, peer_a, MAPPING_TCP, 22, 22);
	/* Internal 22 and external 22 is gluetun's renewal shape: still a
	 * mapping of its own, the static one stays as it was. */
	r = ask(t, peer_a, MAPPING_TCP, 22, 22, 60, 0);
	assert_int_equal(r.result, NATPMP_RESULT_SUCCESS);
	assert_int_not_equal(r.external_port, 22);
	r = ask(t, peer_a, MAPPING_TCP, 0, 0, 0, 0);	/* delete all TCP */
	assert_int_equal(r.result, NATPMP_RESULT_SUCCESS);
	assert_true(mapping_table_find_by_port(t, MAPPING_SPACE_IPV4, MAPPING_TCP, 22, &v));
	assert_true(v.is_static);
	assert_int_equal(mapping_table_count(t, MAPPING_TCP), 1);
}

static void it_goes_with_its_peer_only(void **state)
{
	struct mapping_table *t = *state;
	struct mapping_view v;

	put(t, peer_a, MAPPING_TCP, 2222, 22);
	put(t, peer_a, MAPPING_UDP, 2222, 22);
	ask(t, peer_a, MAPPING_UDP, 5000, 0, 60, 0);
	assert_int_equal(mapping_table_begin(t), 0);
	assert_int_equal(mapping_table_drop_peer(t, peer_a, MAPPING_DYNAMIC), 1);
	mapping_table_commit(t);
	assert_true(mapping_table_find_by_port(t, MAPPING_SPACE_IPV4, MAPPING_UDP, 2222, &v));
	assert_int_equal(mapping_table_begin(t), 0);
	assert_int_equal(mapping_table_drop_peer(t, peer_a, MAPPING_ANY), 2);
	mapping_table_commit(t);
	assert_false(mapping_table_find_by_port(t, MAPPING_SPACE_IPV4, MAPPING_TCP, 2222, &v));
	assert_int_equal(mapping_table_peer_count(t), 0);
}

struct changes {
	size_t n, statics;
};

static void count_change(const struct mapping_change *c, void *arg)
{
	struct changes *ch = arg;

	ch->n++;
	ch->statics += c->is_active && c->after.is_static;
}

static void put_again_changes_nothing(void **state)
{
	struct mapping_table *t = *state;
	struct mapping_view v = {
		.peer = peer_a, .addr = ip_addr_from_v4(0x0a000002), .proto = MAPPING_TCP,
		.external_port = 2222, .target_port = 22,
	};
	struct changes ch = { 0 };

	put(t, peer_a, MAPPING_TCP, 2222, 22);
	assert_int_equal(mapping_table_begin(t), 0);
	assert_int_equal(mapping_table_put_static(t, &v), 0);
	mapping_table_foreach_change(t, count_change, &ch);
	assert_int_equal(ch.n, 0);
	/* The peer's address moved: one change, to the new address. */
	v.addr = ip_addr_from_v4(0x0a000009);
	assert_int_equal(mapping_table_put_static(t, &v), 0);
	mapping_table_foreach_change(t, count_change, &ch);
	mapping_table_commit(t);
	assert_int_equal(ch.statics, 1);
	assert_true(mapping_table_find_by_port(t, MAPPING_SPACE_IPV4, MAPPING_TCP, 2222, &v));
	assert_int_equal(ip_addr_v4(&v.addr), 0x0a000009);
}

static void it_displaces_a_dynamic_mapping_and_rollback_restores(void **state)
{
	struct mapping_table *t = *state;
	struct mapping_view v = {
		.peer = peer_a, .addr = ip_addr_from_v4(0x0a000002), .proto = MAPPING_TCP,
		.external_port = 0, .target_port = 22,
	};
	struct mapping_reply r = ask(t, peer_b, MAPPING_UDP, 6000, 30000, 60, 0);

	ask(t, peer_b, MAPPING_TCP, 6000, 30000, 60, 0);
	assert_int_equal(r.external_port, 30000);
	v.external_port = 30000;
	assert_int_equal(mapping_table_begin(t), 0);
	assert_int_equal(mapping_table_put_static(t, &v), 0);
	mapping_table_rollback(t);
	assert_true(mapping_table_find_by_port(t, MAPPING_SPACE_IPV4, MAPPING_UDP, 30000, &v));
	assert_false(v.is_static);
	assert_int_equal(mapping_table_peer_ports(t, peer_b), 1);

	v = (struct mapping_view){ .peer = peer_a, .addr = ip_addr_from_v4(0x0a000002),
				   .proto = MAPPING_TCP, .external_port = 30000,
				   .target_port = 22 };
	put(t, peer_a, MAPPING_TCP, 30000, 22);
	/* Both of peer b's protocols went: they shared the port. */
	assert_false(mapping_table_find_by_port(t, MAPPING_SPACE_IPV4, MAPPING_UDP, 30000, &v));
	assert_true(mapping_table_find_by_port(t, MAPPING_SPACE_IPV4, MAPPING_TCP, 30000, &v));
	assert_true(v.is_static);
	assert_int_equal(mapping_table_peer_ports(t, peer_b), 0);
}

static void adopt_takes_a_static_back(void **state)
{
	struct mapping_table *t = *state;
	struct mapping_view v = {
		.peer = peer_a, .addr = ip_addr_from_v4(0x0a000002), .proto = MAPPING_TCP,
		.internal_port = 22, .external_port = 2222, .target_port = 22,
		.is_static = true, .lifetime = MAPPING_STATIC_LIFETIME,
		.expires_ms = INT64_MAX,
	};

	assert_int_equal(mapping_table_begin(t), 0);
	assert_int_equal(mapping_table_adopt(t, &v), 0);
	v.proto = MAPPING_UDP;
	assert_int_equal(mapping_table_adopt(t, &v), 0);
	assert_int_equal(mapping_table_adopt(t, &v), -EEXIST);
	mapping_table_commit(t);
	assert_int_equal(mapping_table_count_static(t, MAPPING_UDP), 1);
	assert_int_equal(mapping_table_count_static(t, MAPPING_TCP), 1);
	assert_int_equal(mapping_table_next_expiry(t), INT64_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(static_never_expires_and_is_not_quota),
		T(static_port_is_never_handed_out),
		T(client_requests_never_touch_it),
		T(it_goes_with_its_peer_only),
		T(put_again_changes_nothing),
		T(it_displaces_a_dynamic_mapping_and_rollback_restores),
		T(adopt_takes_a_static_back),
#undef T
	};

	return cmocka_run_group_tests_name("static mappings", tests, NULL, NULL);
}
