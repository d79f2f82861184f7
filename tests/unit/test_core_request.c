/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The request path of the daemon core, against the fake data plane: the
 * answer goes out after the kernel acked, a refused batch turns every
 * success of that batch into result 3 and changes nothing, peers are told
 * apart by source address, and the rate limit holds. */
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "core_harness.h"
#include "daemon/core.h"
#include "fake_nft.h"
#include "natpmp/codec.h"

enum { A, B, STRANGER };

struct answer {
	int len;
	uint8_t op, result_lo;
	uint16_t result, internal, external;
	uint32_t lifetime;
};

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static struct answer answer_of(struct harness *h, int client)
{
	uint8_t buf[64];
	struct answer a = { 0 };

	a.len = harness_recv(h, client, buf, sizeof(buf));
	if (a.len >= 4) {
		a.op = buf[1];
		a.result = be16(buf + 2);
	}
	if (a.len == 16) {
		a.internal = be16(buf + 8);
		a.external = be16(buf + 10);
		a.lifetime = be32(buf + 12);
	}
	return a;
}

static void success_is_in_the_kernel(void **state)
{
	struct harness *h = *state;
	struct nft_element e;
	struct answer a;

	harness_map(h, A, NATPMP_OP_MAP_TCP, 8080, 24000, 60);
	harness_serve(h);
	a = answer_of(h, A);
	assert_int_equal(a.len, 16);
	assert_int_equal(a.op, 128 + NATPMP_OP_MAP_TCP);
	assert_int_equal(a.result, NATPMP_RESULT_SUCCESS);
	assert_int_equal(a.internal, 8080);
	assert_int_equal(a.external, 24000);
	assert_int_equal(a.lifetime, 60);
	assert_true(fake_nft_get(IPPROTO_TCP, 24000, &e));
	assert_int_equal(ip_addr_v4(&e.addr), 0x7f000002);
	assert_int_equal(e.target_port, 8080);
	assert_int_equal(fake_nft_count(), 1);
	assert_int_equal(gateway_stats(h->g)->requests[STAT_OP_MAP_TCP][0], 1);
}

/* UDP and TCP for one internal port and a retransmit, all in one batch the
 * kernel refuses: every one of them hears result 3, nothing exists. */
static void refused_batch_answers_3_and_changes_nothing(void **state)
{
	struct harness *h = *state;
	const struct stats *st = gateway_stats(h->g);

	fake_nft_refuse_commits(1);
	harness_map(h, A, NATPMP_OP_MAP_UDP, 5000, 0, 60);
	harness_map(h, A, NATPMP_OP_MAP_TCP, 5000, 0, 60);
	harness_map(h, A, NATPMP_OP_MAP_TCP, 5000, 0, 60);
	harness_serve(h);
	for (int i = 0; i < 3; i++) {
		struct answer a = answer_of(h, A);

		assert_int_equal(a.len, 16);
		assert_int_equal(a.result, NATPMP_RESULT_NETWORK_FAILURE);
		assert_int_equal(a.external, 0);
		assert_int_equal(a.lifetime, 0);
	}
	assert_int_equal(fake_nft_count(), 0);
	assert_int_equal(mapping_table_count(gateway_mappings(h->g), MAPPING_UDP), 0);
	assert_int_equal(mapping_table_count(gateway_mappings(h->g), MAPPING_TCP), 0);
	assert_int_equal(st->requests[STAT_OP_MAP_UDP][NATPMP_RESULT_NETWORK_FAILURE], 1);
	assert_int_equal(st->requests[STAT_OP_MAP_TCP][NATPMP_RESULT_NETWORK_FAILURE], 2);
	assert_int_equal(st->requests[STAT_OP_MAP_TCP][NATPMP_RESULT_SUCCESS], 0);
	assert_int_equal(st->counters[STAT_NFT_FAILURES], 1);

	/* The client's retry is served. */
	harness_map(h, A, NATPMP_OP_MAP_TCP, 5000, 0, 60);
	harness_serve(h);
	assert_int_equal(answer_of(h, A).result, NATPMP_RESULT_SUCCESS);
	assert_int_equal(fake_nft_count(), 1);
}

/* A refused renewal leaves the mapping as it was, in state and kernel. */
static void refused_renewal_keeps_the_mapping(void **state)
{
	struct harness *h = *state;
	struct mapping_view v;
	struct answer a;

	harness_map(h, A, NATPMP_OP_MAP_UDP, 7000, 0, 60);
	harness_serve(h);
	a = answer_of(h, A);
	assert_int_equal(a.result, NATPMP_RESULT_SUCCESS);
	fake_nft_refuse_commits(1);
	harness_map(h, A, NATPMP_OP_MAP_UDP, 7000, 0, 3000);
	harness_serve(h);
	assert_int_equal(answer_of(h, A).result, NATPMP_RESULT_NETWORK_FAILURE);
	assert_true(mapping_table_find_in(gateway_mappings(h->g), MAPPING_SPACE_IPV4,
					  (const uint8_t *)
					  "\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa"
					  "\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa\xaa",
					  MAPPING_UDP, 7000, &v));
	assert_int_equal(v.lifetime, 60);
	assert_int_equal(v.external_port, a.external);
	assert_true(fake_nft_get(IPPROTO_UDP, a.external, NULL));
}

/* An address no peer owns: the peers are read again first (a peer added a
 * moment ago must not be refused), then result 2. */
static void strangers_are_not_authorized(void **state)
{
	struct harness *h = *state;
	uint8_t buf[16];
	struct answer a;

	harness_map(h, STRANGER, NATPMP_OP_MAP_TCP, 22, 22, 60);
	harness_serve(h);
	assert_int_equal(harness_recv(h, STRANGER, buf, sizeof(buf)), -1);	/* not yet */
	harness_run_until_readable(h, h->clients[STRANGER], 2000);
	a = answer_of(h, STRANGER);
	assert_int_equal(a.len, 16);
	assert_int_equal(a.result, NATPMP_RESULT_NOT_AUTHORIZED);
	assert_int_equal(fake_nft_count(), 0);
	assert_int_equal(fake_nft_commits(), 0);
}

/* One batch with two peers: each is answered for itself. */
static void peers_in_one_batch(void **state)
{
	struct harness *h = *state;
	struct answer a, b;

	harness_map(h, A, NATPMP_OP_MAP_TCP, 6881, 26881, 60);
	harness_map(h, B, NATPMP_OP_MAP_TCP, 6881, 26881, 60);
	harness_serve(h);
	a = answer_of(h, A);
	b = answer_of(h, B);
	assert_int_equal(a.result, NATPMP_RESULT_SUCCESS);
	assert_int_equal(b.result, NATPMP_RESULT_SUCCESS);
	assert_int_equal(a.external, 26881);
	assert_int_not_equal(b.external, 26881);
	assert_int_equal(fake_nft_commits(), 1);	/* one batch, one transaction */
	assert_int_equal(fake_nft_count(), 2);
}

static void delete_removes_the_element(void **state)
{
	struct harness *h = *state;
	struct answer a;

	harness_map(h, B, NATPMP_OP_MAP_UDP, 9000, 0, 60);
	harness_serve(h);
	a = answer_of(h, B);
	assert_true(fake_nft_get(IPPROTO_UDP, a.external, NULL));
	harness_map(h, B, NATPMP_OP_MAP_UDP, 9000, 0, 0);
	harness_serve(h);
	assert_int_equal(answer_of(h, B).result, NATPMP_RESULT_SUCCESS);
	assert_false(fake_nft_get(IPPROTO_UDP, a.external, NULL));
	assert_int_equal(fake_nft_flows_cut(), 0);	/* queued, cut 20 ms later */
	assert_int_equal(gateway_stats(h->g)->events[EVENT_DELETED], 1);
}

/* With pcp: false, a PCP probe gets NAT-PMP's 8-byte "unsupported
 * version", as before PCP was served. */
static int setup_pcp_off(void **state)
{
	static struct harness h;

	harness_up(&h, "pcp: false\n", "");
	*state = &h;
	return 0;
}

static void external_address_and_junk(void **state)
{
	struct harness *h = *state;
	uint8_t op0[2] = { 0, 0 }, pcp[8] = { 2, 1 }, junk[1] = { 0 }, buf[16];

	harness_send(h, A, op0, sizeof(op0));
	harness_send(h, A, pcp, sizeof(pcp));
	harness_send(h, A, junk, sizeof(junk));
	harness_serve(h);
	assert_int_equal(harness_recv(h, A, buf, sizeof(buf)), 12);
	assert_memory_equal(buf + 8, "\xc0\x00\x02\x01", 4);
	assert_int_equal(harness_recv(h, A, buf, sizeof(buf)), 8);
	assert_int_equal(be16(buf + 2), NATPMP_RESULT_UNSUPPORTED_VERSION);
	assert_int_equal(harness_recv(h, A, buf, sizeof(buf)), -1);	/* junk: silence */
	assert_int_equal(gateway_stats(h->g)->counters[STAT_IGNORED], 1);
}

/* A peer added after the last poll asks at once: served, with a port. */
static void a_new_peer_is_served_at_once(void **state)
{
	struct harness *h = *state;
	struct answer a;

	harness_set_peers(h, "public_key=dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\n"
			     "allowed_ip=127.0.0.9/32\n");
	harness_map(h, STRANGER, NATPMP_OP_MAP_UDP, 4000, 0, 60);
	harness_serve(h);
	harness_run_until_readable(h, h->clients[STRANGER], 2000);
	a = answer_of(h, STRANGER);
	assert_int_equal(a.result, NATPMP_RESULT_SUCCESS);
	assert_true(fake_nft_get(IPPROTO_UDP, a.external, NULL));
}

/* A deferred request is served for its own source when it is replayed,
 * not for the datagram that last sat in its slot of the batch (here a
 * known peer's, first in the batch the stranger's came in). */
static void a_deferred_request_keeps_its_source(void **state)
{
	struct harness *h = *state;
	struct nft_element e;
	struct answer a;

	harness_set_peers(h, "public_key=dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\n"
			     "allowed_ip=127.0.0.9/32\n");
	harness_map(h, A, NATPMP_OP_MAP_UDP, 5000, 0, 60);
	harness_map(h, STRANGER, NATPMP_OP_MAP_UDP, 4000, 0, 60);
	harness_serve(h);
	harness_run_until_readable(h, h->clients[STRANGER], 2000);
	a = answer_of(h, STRANGER);
	assert_int_equal(a.result, NATPMP_RESULT_SUCCESS);
	assert_true(fake_nft_get(IPPROTO_UDP, a.external, &e));
	assert_int_equal(ip_addr_v4(&e.addr), 0x7f000009);	/* STRANGER_ADDR */
}

/* Unknown sources cannot make the daemon poll in a loop: one re-read per
 * WG_WATCH_SOON_MIN_MS, the rest answered 2 at once. */
struct tally {
	struct harness *h;
	unsigned answers, twos;
};

/* Takes the stranger's answers that are there: true once it has 20. */
static bool twenty_answers(void *arg)
{
	struct tally *t = arg;
	struct pollfd pfd = { .fd = t->h->clients[STRANGER], .events = POLLIN };

	while (t->answers < 20 && poll(&pfd, 1, 0) == 1) {
		t->answers++;
		t->twos += answer_of(t->h, STRANGER).result == NATPMP_RESULT_NOT_AUTHORIZED;
	}
	return t->answers == 20;
}

static void unknown_sources_are_all_answered(void **state)
{
	struct harness *h = *state;
	struct tally t = { .h = h };

	/* Each served on its own: the first asks for a re-read, the others
	 * come within WG_WATCH_SOON_MIN_MS of it. */
	for (int i = 0; i < 20; i++) {
		harness_map(h, STRANGER, NATPMP_OP_MAP_UDP, (uint16_t)(4000 + i), 0, 60);
		harness_serve(h);
	}
	assert_true(harness_run_until(h, twenty_answers, &t, 2000));
	assert_int_equal(t.twos, 20);
}

/* Only the tunnel speaks for a peer: a peer's own address arriving on
 * another interface is dropped without an answer, and counted. */
static void other_interfaces_are_not_heard(void **state)
{
	struct harness *h = *state;
	uint8_t op0[2] = { 0, 0 }, pcp[8] = { 2, 1 }, buf[16];

	h->g->tunnel.ifindex = 9999;	/* the tunnel is some other interface */
	harness_map(h, A, NATPMP_OP_MAP_TCP, 22, 22, 60);
	harness_map(h, A, NATPMP_OP_MAP_UDP, 0, 0, 0);	/* delete all */
	harness_send(h, A, op0, sizeof(op0));
	harness_send(h, A, pcp, sizeof(pcp));
	harness_serve(h);
	assert_int_equal(harness_recv(h, A, buf, sizeof(buf)), -1);
	assert_int_equal(fake_nft_commits(), 0);
	assert_int_equal(gateway_stats(h->g)->counters[STAT_WRONG_INTERFACE], 4);
}

/* Version and opcode errors go to peers only, never to other sources. */
static void strangers_get_no_error_answers(void **state)
{
	struct harness *h = *state;
	uint8_t pcp[8] = { 2, 1 }, badop[12] = { 0, 99 }, buf[16];

	harness_send(h, STRANGER, pcp, sizeof(pcp));
	harness_send(h, STRANGER, badop, sizeof(badop));
	harness_serve(h);
	assert_int_equal(harness_recv(h, STRANGER, buf, sizeof(buf)), -1);
	harness_send(h, A, badop, sizeof(badop));
	harness_serve(h);
	assert_int_equal(harness_recv(h, A, buf, sizeof(buf)), 16);
	assert_int_equal(be16(buf + 2), NATPMP_RESULT_UNSUPPORTED_OPCODE);
}

/* The gateway's own services are never handed out: a TCP listener and a
 * UDP socket on ports a peer suggests exactly. */
static void local_services_are_not_granted(void **state)
{
	struct harness *h = *state;
	struct answer a, b;

	fake_local_socket(AF_INET, IPPROTO_TCP, 24000);
	fake_local_socket(AF_INET, IPPROTO_UDP, 24001);
	harness_map(h, A, NATPMP_OP_MAP_TCP, 7001, 24000, 60);
	harness_map(h, A, NATPMP_OP_MAP_TCP, 7002, 24001, 60);
	harness_serve(h);
	a = answer_of(h, A);
	b = answer_of(h, A);
	assert_int_equal(a.result, NATPMP_RESULT_SUCCESS);
	assert_int_equal(b.result, NATPMP_RESULT_SUCCESS);
	assert_int_not_equal(a.external, 24000);
	assert_int_not_equal(b.external, 24001);	/* the lease holds both protocols */
	assert_false(fake_nft_get(IPPROTO_TCP, 24000, NULL));
}

/* The allocator only looks at a snapshot of the local services: it is
 * read once per batch, at the first request that takes a new port, and
 * never for renewals or deletes. */
static void local_services_are_read_once_per_batch_of_new_ports(void **state)
{
	struct harness *h = *state;
	unsigned before = fake_local_refreshes();

	harness_map(h, A, NATPMP_OP_MAP_TCP, 7001, 0, 60);
	harness_map(h, A, NATPMP_OP_MAP_TCP, 7002, 0, 60);
	harness_serve(h);
	assert_int_equal(answer_of(h, A).result, NATPMP_RESULT_SUCCESS);
	assert_int_equal(answer_of(h, A).result, NATPMP_RESULT_SUCCESS);
	assert_int_equal(fake_local_refreshes(), before + 1);
	harness_map(h, A, NATPMP_OP_MAP_TCP, 7001, 0, 60);
	harness_serve(h);
	assert_int_equal(answer_of(h, A).result, NATPMP_RESULT_SUCCESS);
	harness_map(h, A, NATPMP_OP_MAP_TCP, 7002, 0, 0);
	harness_serve(h);
	assert_int_equal(answer_of(h, A).result, NATPMP_RESULT_SUCCESS);
	assert_int_equal(fake_local_refreshes(), before + 1);
}

/* A service that starts later on a mapped port: the next sweep drops the
 * mapping, with its reason counted. */
static void a_later_service_takes_its_port_back(void **state)
{
	struct harness *h = *state;
	struct answer a;

	harness_map(h, A, NATPMP_OP_MAP_TCP, 8443, 25000, 60);
	harness_serve(h);
	a = answer_of(h, A);
	assert_int_equal(a.external, 25000);
	fake_local_socket(AF_INET, IPPROTO_TCP, 25000);
	gateway_sweep_local_services(h->g);
	assert_false(fake_nft_get(IPPROTO_TCP, 25000, NULL));
	assert_int_equal(gateway_stats(h->g)->dropped[REASON_LOCAL_SERVICE], 1);
}

/* A peer with allowed-ips 0.0.0.0/0 owns every source address: refused
 * unless the policy says catch_all_peers. */
static const char catch_all_peer[] =
	"public_key=cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\n"
	"allowed_ip=0.0.0.0/0\n";

static void catch_all_peer_refused(void **state)
{
	struct harness h;
	struct answer a;

	(void)state;
	harness_up(&h, "", catch_all_peer);
	harness_map(&h, STRANGER, NATPMP_OP_MAP_TCP, 22, 22, 60);
	harness_serve(&h);
	a = answer_of(&h, STRANGER);
	assert_int_equal(a.result, NATPMP_RESULT_NOT_AUTHORIZED);
	assert_int_equal(fake_nft_count(), 0);
	/* The peers with their own /32 are served as before. */
	harness_map(&h, A, NATPMP_OP_MAP_TCP, 22, 22, 60);
	harness_serve(&h);
	assert_int_equal(answer_of(&h, A).result, NATPMP_RESULT_SUCCESS);
	harness_down(&h);
}

static void catch_all_peer_allowed_by_policy(void **state)
{
	struct harness h;

	(void)state;
	harness_up(&h, "catch_all_peers: true\n", catch_all_peer);
	harness_map(&h, STRANGER, NATPMP_OP_MAP_TCP, 22, 22, 60);
	harness_serve(&h);
	assert_int_equal(answer_of(&h, STRANGER).result, NATPMP_RESULT_SUCCESS);
	harness_down(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(success_is_in_the_kernel, harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(refused_batch_answers_3_and_changes_nothing,
						harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(refused_renewal_keeps_the_mapping, harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(strangers_are_not_authorized, harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(peers_in_one_batch, harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(delete_removes_the_element, harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(external_address_and_junk, setup_pcp_off,
						harness_teardown),
		cmocka_unit_test_setup_teardown(other_interfaces_are_not_heard, harness_setup,
						harness_teardown),
		cmocka_unit_test_setup_teardown(strangers_get_no_error_answers, harness_setup,
						harness_teardown),
		cmocka_unit_test_setup_teardown(local_services_are_not_granted, harness_setup,
						harness_teardown),
		cmocka_unit_test_setup_teardown(local_services_are_read_once_per_batch_of_new_ports,
						harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(a_later_service_takes_its_port_back, harness_setup,
						harness_teardown),
		cmocka_unit_test_setup_teardown(a_new_peer_is_served_at_once, harness_setup,
						harness_teardown),
		cmocka_unit_test_setup_teardown(a_deferred_request_keeps_its_source,
						harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(unknown_sources_are_all_answered,
						harness_setup, harness_teardown),
		cmocka_unit_test(catch_all_peer_refused),
		cmocka_unit_test(catch_all_peer_allowed_by_policy),
	};

	return cmocka_run_group_tests_name("core: request path", tests, NULL, NULL);
}
