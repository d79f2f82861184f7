/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The mapping state: allocation, pairing, renewals, deletes, quota, expiry,
 * stickiness, and rollback leaving the state exactly as it was. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "natpmp/codec.h"
#include "natpmp/mapping.h"
#include "natpmp/portset.h"

static const struct mapping_limits limits = {
	.port_min = 1024, .port_max = 65535, .per_peer = 8,
	.lifetime_min = 60, .lifetime_max = 7200,
};

static uint8_t peer_a[32] = { 'A' };
static uint8_t peer_b[32] = { 'B' };

struct fixture {
	struct mapping_table *t;
};

static int setup(void **state)
{
	static struct fixture f;

	f.t = mapping_table_new();
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	mapping_table_free(f->t);
	return 0;
}

static struct mapping_reply ask(struct mapping_table *t,
				const struct mapping_limits *lim, const uint8_t *peer,
				enum mapping_proto proto, uint16_t internal,
				uint16_t suggested, uint32_t lifetime, int64_t now)
{
	struct mapping_request req = {
		.peer = peer, .addr = ip_addr_from_v4(0x0a000002), .proto = proto,
		.internal_port = internal, .suggested_port = suggested,
		.lifetime = lifetime,
	};
	struct mapping_reply reply;

	mapping_table_begin(t);
	mapping_table_request(t, lim, &req, now, &reply);
	mapping_table_commit(t);
	return reply;
}

static void new_mapping_gets_suggested_port(void **state)
{
	struct fixture *f = *state;
	struct mapping_reply r = ask(f->t, &limits, peer_a, MAPPING_TCP, 51413, 51413, 3600, 0);
	struct mapping_view v;

	assert_int_equal(r.result, NATPMP_RESULT_SUCCESS);
	assert_int_equal(r.external_port, 51413);
	assert_int_equal(r.lifetime, 3600);
	assert_true(mapping_table_find_by_port(f->t, MAPPING_SPACE_IPV4, MAPPING_TCP, 51413, &v));
	assert_int_equal(v.target_port, 51413);
	assert_int_equal(ip_addr_v4(&v.addr), 0x0a000002);
	assert_false(mapping_table_find_by_port(f->t, MAPPING_SPACE_IPV4, MAPPING_UDP, 51413, &v));
}

/* When the port_busy predicate may be asked: a new forward only. */
static void only_a_new_forward_allocates(void **state)
{
	struct fixture *f = *state;
	struct mapping_request req = {
		.peer = peer_a, .addr = ip_addr_from_v4(0x0a000002), .proto = MAPPING_TCP,
		.internal_port = 6881, .lifetime = 3600,
	};

	assert_true(mapping_table_request_allocates(f->t, &req));
	assert_int_equal(ask(f->t, &limits, peer_a, MAPPING_TCP, 6881, 0, 3600, 0).result,
			 NATPMP_RESULT_SUCCESS);
	assert_false(mapping_table_request_allocates(f->t, &req));	/* a renewal */
	req.proto = MAPPING_UDP;
	assert_false(mapping_table_request_allocates(f->t, &req));	/* its companion */
	req.lifetime = 0;
	req.internal_port = 7000;
	assert_false(mapping_table_request_allocates(f->t, &req));	/* a delete */
	req.peer = peer_b;
	req.lifetime = 3600;
	assert_true(mapping_table_request_allocates(f->t, &req));
}

static void internal_zero_and_one_forward_to_external(void **state)
{
	struct fixture *f = *state;
	struct mapping_reply r1 = ask(f->t, &limits, peer_a, MAPPING_UDP, 1, 0, 60, 0);
	struct mapping_reply r0 = ask(f->t, &limits, peer_a, MAPPING_TCP, 0, 0, 60, 0);
	struct mapping_view v;

	assert_int_equal(r1.result, 0);
	assert_int_not_equal(r1.external_port, 0);
	/* internal 0 and 1 are one key: the TCP request pairs with the UDP one */
	assert_int_equal(r0.external_port, r1.external_port);
	assert_true(mapping_table_find_by_port(f->t, MAPPING_SPACE_IPV4, MAPPING_UDP, r1.external_port, &v));
	assert_int_equal(v.target_port, r1.external_port);
}

/* gluetun: "internal 0 / external 1" gets X, then renews as "internal X /
 * external X" for UDP and TCP. That is the same forward: X again, one
 * lease, now keyed by X. Another peer's X, or a forward elsewhere, is not. */
static void gluetun_renewal_is_the_same_forward(void **state)
{
	struct fixture *f = *state;
	struct mapping_reply first = ask(f->t, &limits, peer_a, MAPPING_UDP, 0, 1, 60, 0);
	uint16_t x = first.external_port;
	struct mapping_reply udp, tcp, other;
	struct mapping_view v;

	assert_int_equal(first.result, 0);
	udp = ask(f->t, &limits, peer_a, MAPPING_UDP, x, x, 60, 1000);
	tcp = ask(f->t, &limits, peer_a, MAPPING_TCP, x, x, 60, 1000);
	assert_int_equal(udp.result, 0);
	assert_int_equal(udp.external_port, x);
	assert_int_equal(tcp.external_port, x);
	assert_int_equal(mapping_table_peer_ports(f->t, peer_a), 1);	/* one lease */
	assert_int_equal(mapping_table_count(f->t, MAPPING_UDP), 1);
	assert_true(mapping_table_find_in(f->t, MAPPING_SPACE_IPV4, peer_a, MAPPING_UDP, x, &v));
	assert_int_equal(v.internal_port, x);	/* re-keyed */
	assert_int_equal(v.target_port, x);
	/* Renewing the old way still finds it... by its new key only. */
	assert_false(mapping_table_find_in(f->t, MAPPING_SPACE_IPV4, peer_a, MAPPING_UDP, 1, &v));
	/* Another peer asking for X's number gets its own lease. */
	other = ask(f->t, &limits, peer_b, MAPPING_UDP, x, x, 60, 1000);
	assert_int_equal(other.result, 0);
	assert_int_not_equal(other.external_port, x);
}

/* A forward of X to another internal port is not "the forward of X". */
static void renewal_rekey_needs_forward_to_itself(void **state)
{
	struct fixture *f = *state;
	struct mapping_reply a = ask(f->t, &limits, peer_a, MAPPING_TCP, 8080, 30000, 60, 0);
	struct mapping_reply b;

	assert_int_equal(a.external_port, 30000);	/* 30000 -> 8080 */
	b = ask(f->t, &limits, peer_a, MAPPING_TCP, 30000, 30000, 60, 0);
	assert_int_equal(b.result, 0);
	assert_int_not_equal(b.external_port, 30000);
	assert_int_equal(mapping_table_peer_ports(f->t, peer_a), 2);
}

static void tcp_and_udp_share_a_port_and_companion_is_reserved(void **state)
{
	struct fixture *f = *state;
	struct mapping_reply u = ask(f->t, &limits, peer_a, MAPPING_UDP, 6881, 40000, 3600, 0);
	struct mapping_reply b = ask(f->t, &limits, peer_b, MAPPING_TCP, 6881, 40000, 3600, 0);
	struct mapping_reply t = ask(f->t, &limits, peer_a, MAPPING_TCP, 6881, 0, 3600, 0);

	assert_int_equal(u.external_port, 40000);
	/* peer B may not take TCP 40000: it is A's companion port */
	assert_int_equal(b.result, 0);
	assert_int_not_equal(b.external_port, 40000);
	assert_int_equal(t.external_port, 40000);
}

static void renewal_keeps_port_whatever_is_suggested(void **state)
{
	struct fixture *f = *state;
	struct mapping_reply first = ask(f->t, &limits, peer_a, MAPPING_TCP, 8080, 0, 60, 0);
	struct mapping_reply zero = ask(f->t, &limits, peer_a, MAPPING_TCP, 8080, 0, 60, 1000);
	struct mapping_reply same = ask(f->t, &limits, peer_a, MAPPING_TCP, 8080,
					first.external_port, 60, 2000);
	struct mapping_reply other = ask(f->t, &limits, peer_a, MAPPING_TCP, 8080, 8080, 60, 3000);

	assert_int_equal(zero.external_port, first.external_port);
	assert_int_equal(same.external_port, first.external_port);
	assert_int_equal(other.external_port, first.external_port);
	assert_int_equal(mapping_table_count(f->t, MAPPING_TCP), 1);
}

static void retransmit_gets_identical_answer(void **state)
{
	struct fixture *f = *state;
	struct mapping_reply a = ask(f->t, &limits, peer_a, MAPPING_UDP, 5000, 5000, 100, 0);
	struct mapping_reply b = ask(f->t, &limits, peer_a, MAPPING_UDP, 5000, 5000, 100, 5);

	assert_int_equal(a.result, b.result);
	assert_int_equal(a.refusal, b.refusal);
	assert_int_equal(a.external_port, b.external_port);
	assert_int_equal(a.lifetime, b.lifetime);
}

static void lifetime_is_clamped_never_zero(void **state)
{
	struct fixture *f = *state;
	struct mapping_limits lim = limits;
	struct mapping_reply lo, hi, tiny;

	lo = ask(f->t, &lim, peer_a, MAPPING_UDP, 100, 0, 1, 0);
	hi = ask(f->t, &lim, peer_a, MAPPING_UDP, 101, 0, 0xffffffff, 0);
	lim.lifetime_min = 0;
	tiny = ask(f->t, &lim, peer_a, MAPPING_UDP, 102, 0, 1, 0);
	assert_int_equal(lo.lifetime, 60);
	assert_int_equal(hi.lifetime, 7200);
	assert_int_equal(tiny.lifetime, 1);
	assert_int_not_equal(tiny.external_port, 0);
}

static void delete_one_and_delete_all_of_one_protocol(void **state)
{
	struct fixture *f = *state;
	struct mapping_reply d;

	ask(f->t, &limits, peer_a, MAPPING_UDP, 1000, 0, 60, 0);
	ask(f->t, &limits, peer_a, MAPPING_UDP, 1001, 0, 60, 0);
	ask(f->t, &limits, peer_a, MAPPING_TCP, 1000, 0, 60, 0);
	ask(f->t, &limits, peer_b, MAPPING_UDP, 1000, 0, 60, 0);

	d = ask(f->t, &limits, peer_a, MAPPING_UDP, 1001, 9999, 0, 0);
	assert_int_equal(d.result, 0);
	assert_int_equal(d.external_port, 0);
	assert_int_equal(d.lifetime, 0);
	assert_int_equal(mapping_table_count(f->t, MAPPING_UDP), 2);

	d = ask(f->t, &limits, peer_a, MAPPING_UDP, 0, 0, 0, 0);
	assert_int_equal(d.result, 0);
	/* only A's UDP mappings went; A's TCP and B's UDP stay */
	assert_int_equal(mapping_table_count(f->t, MAPPING_UDP), 1);
	assert_int_equal(mapping_table_count(f->t, MAPPING_TCP), 1);
	/* deleting what is not there is still a success */
	d = ask(f->t, &limits, peer_a, MAPPING_UDP, 4242, 0, 0, 0);
	assert_int_equal(d.result, 0);
}

static void peers_cannot_touch_each_other(void **state)
{
	struct fixture *f = *state;
	struct mapping_reply a = ask(f->t, &limits, peer_a, MAPPING_TCP, 7000, 7000, 60, 0);
	struct mapping_reply b = ask(f->t, &limits, peer_b, MAPPING_TCP, 7000, 7000, 60, 0);
	struct mapping_view v;

	assert_int_not_equal(a.external_port, b.external_port);
	ask(f->t, &limits, peer_b, MAPPING_TCP, 7000, 0, 0, 0);
	assert_true(mapping_table_find_in(f->t, MAPPING_SPACE_IPV4, peer_a, MAPPING_TCP, 7000, &v));
	assert_int_equal(v.external_port, 7000);
	assert_false(mapping_table_find_in(f->t, MAPPING_SPACE_IPV4, peer_b, MAPPING_TCP, 7000, &v));
}

static void quota_counts_ports(void **state)
{
	struct fixture *f = *state;
	struct mapping_limits lim = limits;
	struct mapping_reply r;

	lim.per_peer = 2;
	assert_int_equal(ask(f->t, &lim, peer_a, MAPPING_TCP, 1, 0, 60, 0).result, 0);
	assert_int_equal(ask(f->t, &lim, peer_a, MAPPING_UDP, 1, 0, 60, 0).result, 0);
	assert_int_equal(ask(f->t, &lim, peer_a, MAPPING_TCP, 2, 0, 60, 0).result, 0);
	r = ask(f->t, &lim, peer_a, MAPPING_TCP, 3, 0, 60, 0);
	assert_int_equal(r.result, NATPMP_RESULT_OUT_OF_RESOURCES);
	assert_int_equal(r.external_port, 0);
	/* renewals still work at the quota */
	assert_int_equal(ask(f->t, &lim, peer_a, MAPPING_UDP, 2, 0, 60, 0).result, 0);
	/* and another peer is unaffected */
	assert_int_equal(ask(f->t, &lim, peer_b, MAPPING_TCP, 3, 0, 60, 0).result, 0);
	assert_int_equal(mapping_table_peer_ports(f->t, peer_a), 2);
}

static void exhaustion_and_reserved_ports(void **state)
{
	struct fixture *f = *state;
	struct mapping_limits lim = limits;
	struct mapping_reply r;

	lim.port_min = 3000;
	lim.port_max = 3003;
	lim.per_peer = 100;
	mapping_table_reserve_port(f->t, 3001, true);
	for (int i = 0; i < 3; i++) {
		r = ask(f->t, &lim, peer_a, MAPPING_TCP, (uint16_t)(10 + i), 3001, 60, 0);
		assert_int_equal(r.result, 0);
		assert_int_not_equal(r.external_port, 3001);
		assert_in_range(r.external_port, 3000, 3003);
	}
	r = ask(f->t, &lim, peer_a, MAPPING_TCP, 20, 0, 60, 0);
	assert_int_equal(r.result, NATPMP_RESULT_OUT_OF_RESOURCES);
	r = ask(f->t, &lim, peer_b, MAPPING_UDP, 20, 0, 60, 0);
	assert_int_equal(r.result, NATPMP_RESULT_OUT_OF_RESOURCES);
}

static void expiry_removes_and_port_is_sticky(void **state)
{
	struct fixture *f = *state;
	struct mapping_reply first, again;
	size_t n;

	first = ask(f->t, &limits, peer_a, MAPPING_TCP, 1, 0, 60, 0);
	ask(f->t, &limits, peer_a, MAPPING_UDP, 1, 0, 120, 0);
	assert_int_equal(mapping_table_next_expiry(f->t), 60000);
	mapping_table_begin(f->t);
	n = mapping_table_expire(f->t, 59999);
	mapping_table_commit(f->t);
	assert_int_equal(n, 0);
	mapping_table_begin(f->t);
	n = mapping_table_expire(f->t, 60000);
	mapping_table_commit(f->t);
	assert_int_equal(n, 1);
	assert_int_equal(mapping_table_count(f->t, MAPPING_TCP), 0);
	assert_int_equal(mapping_table_next_expiry(f->t), 120000);
	mapping_table_begin(f->t);
	mapping_table_expire(f->t, 200000);
	mapping_table_commit(f->t);
	assert_int_equal(mapping_table_count(f->t, MAPPING_UDP), 0);
	assert_int_equal(mapping_table_next_expiry(f->t), INT64_MAX);
	assert_int_equal(mapping_table_peer_count(f->t), 0);

	/* after the lapse, the same peer and internal port get the same port */
	again = ask(f->t, &limits, peer_a, MAPPING_TCP, 1, 0, 60, 300000);
	assert_int_equal(again.external_port, first.external_port);
	assert_int_equal(first.external_port,
			 mapping_preferred_port(peer_a, 1, 1024, 65535));
}

static void lost_state_gives_same_port(void **state)
{
	struct fixture *f = *state;
	struct mapping_table *fresh = mapping_table_new();
	struct mapping_reply a = ask(f->t, &limits, peer_b, MAPPING_UDP, 51820, 0, 60, 0);
	struct mapping_reply b = ask(fresh, &limits, peer_b, MAPPING_UDP, 51820, 0, 60, 0);

	assert_int_equal(a.external_port, b.external_port);
	mapping_table_free(fresh);
}

struct change_count { int adds, dels, updates; };

static void count_change(const struct mapping_change *c, void *arg)
{
	struct change_count *cc = arg;

	if (!c->was_active)
		cc->adds++;
	else if (!c->is_active)
		cc->dels++;
	else
		cc->updates++;
}

static void rollback_restores_everything(void **state)
{
	struct fixture *f = *state;
	struct mapping_request req = { .peer = peer_a, .addr = ip_addr_from_v4(1), .proto = MAPPING_TCP,
				       .internal_port = 80, .lifetime = 60 };
	struct mapping_reply r, keep = ask(f->t, &limits, peer_a, MAPPING_UDP, 80, 0, 60, 0);
	struct change_count cc = { 0 };
	struct mapping_view v;

	ask(f->t, &limits, peer_b, MAPPING_UDP, 4430, 4430, 60, 0);

	mapping_table_begin(f->t);
	mapping_table_request(f->t, &limits, &req, 10, &r);	/* companion */
	req.internal_port = 81;
	mapping_table_request(f->t, &limits, &req, 10, &r);	/* new */
	mapping_table_drop_peer(f->t, peer_b, MAPPING_ANY);
	req.peer = peer_b;
	req.internal_port = 9;
	req.suggested_port = 4430;	/* B's freed port, taken again */
	mapping_table_request(f->t, &limits, &req, 10, &r);
	assert_int_equal(r.external_port, 4430);
	mapping_table_foreach_change(f->t, count_change, &cc);
	assert_int_equal(cc.adds, 3);
	assert_int_equal(cc.dels, 1);
	mapping_table_rollback(f->t);

	assert_int_equal(mapping_table_count(f->t, MAPPING_TCP), 0);
	assert_int_equal(mapping_table_count(f->t, MAPPING_UDP), 2);
	assert_true(mapping_table_find_in(f->t, MAPPING_SPACE_IPV4, peer_a, MAPPING_UDP, 80, &v));
	assert_int_equal(v.external_port, keep.external_port);
	assert_true(mapping_table_find_by_port(f->t, MAPPING_SPACE_IPV4, MAPPING_UDP, 4430, &v));
	assert_memory_equal(v.peer, peer_b, 32);
	assert_int_equal(v.internal_port, 4430);
	assert_int_equal(mapping_table_next_expiry(f->t), 60000);
}

static void renewal_reports_update_change(void **state)
{
	struct fixture *f = *state;
	struct mapping_request req = { .peer = peer_a, .addr = ip_addr_from_v4(1), .proto = MAPPING_TCP,
				       .internal_port = 80, .lifetime = 60 };
	struct change_count cc = { 0 };
	struct mapping_reply r;

	ask(f->t, &limits, peer_a, MAPPING_TCP, 80, 0, 60, 0);
	mapping_table_begin(f->t);
	mapping_table_request(f->t, &limits, &req, 30000, &r);
	mapping_table_foreach_change(f->t, count_change, &cc);
	mapping_table_commit(f->t);
	assert_int_equal(cc.updates, 1);
	assert_int_equal(cc.adds + cc.dels, 0);
	assert_int_equal(mapping_table_next_expiry(f->t), 90000);
}

static void adopt_restores_ports(void **state)
{
	struct fixture *f = *state;
	struct mapping_view m = { .peer = peer_a, .addr = ip_addr_from_v4(7), .proto = MAPPING_TCP,
				  .internal_port = 1, .external_port = 45678,
				  .target_port = 45678, .lifetime = 60, .expires_ms = 5000 };
	struct mapping_reply r;

	mapping_table_begin(f->t);
	assert_int_equal(mapping_table_adopt(f->t, &m), 0);
	m.proto = MAPPING_UDP;
	assert_int_equal(mapping_table_adopt(f->t, &m), 0);
	m.peer = peer_b;
	assert_int_not_equal(mapping_table_adopt(f->t, &m), 0);
	mapping_table_commit(f->t);
	r = ask(f->t, &limits, peer_a, MAPPING_TCP, 1, 0, 60, 100);
	assert_int_equal(r.external_port, 45678);
	assert_int_equal(mapping_table_count(f->t, MAPPING_UDP), 1);
}

static void drop_peer_collects_all(void **state)
{
	struct fixture *f = *state;
	size_t n;

	for (uint16_t p = 1; p <= 5; p++) {
		ask(f->t, &limits, peer_a, MAPPING_TCP, p, 0, 60, 0);
		ask(f->t, &limits, peer_a, MAPPING_UDP, p, 0, 60, 0);
	}
	ask(f->t, &limits, peer_b, MAPPING_TCP, 1, 0, 60, 0);
	mapping_table_begin(f->t);
	n = mapping_table_drop_peer(f->t, peer_a, MAPPING_ANY);
	mapping_table_commit(f->t);
	assert_int_equal(n, 10);
	assert_int_equal(mapping_table_count(f->t, MAPPING_TCP), 1);
	assert_int_equal(mapping_table_peer_count(f->t), 1);
}

static void portset_finds_next_free_without_scanning(void **state)
{
	static struct portset ps;

	(void)state;
	portset_init(&ps);
	for (unsigned p = 1024; p < 65535; p++)
		portset_set_used(&ps, (uint16_t)p, true);
	assert_int_equal(portset_find_available(&ps, 1024, 65535, 30000), 65535);
	portset_set_used(&ps, 65535, true);
	portset_set_used(&ps, 2000, false);
	assert_int_equal(portset_find_available(&ps, 1024, 65535, 30000), 2000);
	assert_int_equal(portset_find_available(&ps, 1024, 1999, 1500), 0);
	assert_int_equal(portset_find_available(&ps, 2000, 2000, 7), 2000);
	portset_set_reserved(&ps, 2000, true);
	assert_int_equal(portset_find_available(&ps, 1024, 65535, 30000), 0);
	assert_int_equal(portset_find_available(&ps, 0, 10, 0), 1);
}

/* A peer's walk (UPnP's listing): its mappings, each protocol's once,
 * nobody else's, none after they went. */
struct peer_walk {
	const uint8_t *peer;
	size_t n, others;
};

static void count_walk(const struct mapping_view *v, void *arg)
{
	struct peer_walk *w = arg;

	w->n++;
	w->others += memcmp(v->peer, w->peer, 32) != 0;
}

static void peer_walk_sees_its_own(void **state)
{
	struct fixture *f = *state;
	struct peer_walk w = { peer_a, 0, 0 };

	ask(f->t, &limits, peer_a, MAPPING_TCP, 8080, 21000, 600, 0);
	ask(f->t, &limits, peer_a, MAPPING_UDP, 8080, 21000, 600, 0);
	ask(f->t, &limits, peer_a, MAPPING_UDP, 9000, 0, 600, 0);
	ask(f->t, &limits, peer_b, MAPPING_TCP, 7000, 0, 600, 0);
	mapping_table_peer_foreach(f->t, peer_a, count_walk, &w);
	assert_int_equal(w.n, 3);
	assert_int_equal(w.others, 0);
	ask(f->t, &limits, peer_a, MAPPING_UDP, 9000, 0, 0, 0);	/* deleted */
	w = (struct peer_walk){ peer_a, 0, 0 };
	mapping_table_peer_foreach(f->t, peer_a, count_walk, &w);
	assert_int_equal(w.n, 2);
	w = (struct peer_walk){ (const uint8_t *)"nobody", 0, 0 };
	mapping_table_peer_foreach(f->t, (const uint8_t *)"nobody-nobody-nobody-nobody-nob", count_walk,
				   &w);
	assert_int_equal(w.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(new_mapping_gets_suggested_port),
		T(only_a_new_forward_allocates),
		T(internal_zero_and_one_forward_to_external),
		T(gluetun_renewal_is_the_same_forward),
		T(renewal_rekey_needs_forward_to_itself),
		T(tcp_and_udp_share_a_port_and_companion_is_reserved),
		T(renewal_keeps_port_whatever_is_suggested),
		T(retransmit_gets_identical_answer),
		T(lifetime_is_clamped_never_zero),
		T(delete_one_and_delete_all_of_one_protocol),
		T(peers_cannot_touch_each_other),
		T(quota_counts_ports),
		T(exhaustion_and_reserved_ports),
		T(expiry_removes_and_port_is_sticky),
		T(lost_state_gives_same_port),
		T(rollback_restores_everything),
		T(renewal_reports_update_change),
		T(adopt_restores_ports),
		T(drop_peer_collects_all),
		T(peer_walk_sees_its_own),
		cmocka_unit_test(portset_finds_next_free_without_scanning),
#undef T
	};

	return cmocka_run_group_tests_name("mapping state", tests, NULL, NULL);
}
