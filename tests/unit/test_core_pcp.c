/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCP through the daemon core: the same peers, policy, quotas and kernel
 * transaction as NAT-PMP, one mapping table for both, and the result codes
 * a gateway gives real clients. */
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
#include "natpmp/pcp.h"
#include "util/addrclass.h"

enum { A, B, STRANGER };
static const uint32_t client_addr[3] = { 0x7f000002, 0x7f000003, 0x7f000009 };

struct map {
	uint8_t proto;
	uint16_t internal, suggested;
	uint32_t lifetime;
	uint8_t nonce;
	bool prefer_failure;
	const uint8_t *third_party;	/* 16 bytes, or NULL */
	uint32_t claimed;		/* the client-address field; 0: the source */
};

static void send_map(struct harness *h, int client, const struct map *m)
{
	uint8_t buf[100] = { 2, 1 };
	size_t n = 60;

	buf[4] = (uint8_t)(m->lifetime >> 24);
	buf[5] = (uint8_t)(m->lifetime >> 16);
	buf[6] = (uint8_t)(m->lifetime >> 8);
	buf[7] = (uint8_t)m->lifetime;
	addr_from_v4(buf + 8, m->claimed ? m->claimed : client_addr[client]);
	memset(buf + 24, m->nonce, 12);
	buf[36] = m->proto;
	buf[40] = (uint8_t)(m->internal >> 8);
	buf[41] = (uint8_t)m->internal;
	buf[42] = (uint8_t)(m->suggested >> 8);
	buf[43] = (uint8_t)m->suggested;
	addr_from_v4(buf + 44, 0);
	if (m->prefer_failure) {
		buf[n] = PCP_OPTION_PREFER_FAILURE;
		n += 4;
	}
	if (m->third_party) {
		buf[n] = PCP_OPTION_THIRD_PARTY;
		buf[n + 3] = 16;
		memcpy(buf + n + 4, m->third_party, 16);
		n += 20;
	}
	harness_send(h, client, buf, n);
}

struct answer {
	int len;
	uint8_t result;
	uint32_t lifetime;
	uint16_t external;
	uint8_t nonce;
};

static struct answer answer_of(struct harness *h, int client)
{
	uint8_t buf[PCP_MAX_LEN];
	struct answer a = { .len = harness_recv(h, client, buf, sizeof(buf)) };

	if (a.len >= 24) {
		a.result = buf[3];
		a.lifetime = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 |
			     (uint32_t)buf[6] << 8 | buf[7];
	}
	if (a.len >= 60) {
		a.external = (uint16_t)(buf[42] << 8 | buf[43]);
		a.nonce = buf[24];
	}
	return a;
}

static struct answer map(struct harness *h, int client, const struct map *m)
{
	send_map(h, client, m);
	harness_serve(h);
	return answer_of(h, client);
}

static void map_is_one_table_with_natpmp(void **state)
{
	struct harness *h = *state;
	struct map m = { .proto = IPPROTO_TCP, .internal = 6881, .suggested = 6881,
			 .lifetime = 3600, .nonce = 7 };
	struct answer a = map(h, A, &m);
	uint8_t buf[16];
	struct nft_element e;

	assert_int_equal(a.len, 60);			/* libtorrent's exact size */
	assert_int_equal(a.result, PCP_SUCCESS);
	assert_int_equal(a.lifetime, 3600);
	assert_int_equal(a.nonce, 7);
	assert_true(fake_nft_get(IPPROTO_TCP, a.external, &e));
	assert_int_equal(e.target_port, 6881);
	assert_int_equal(e.owner_tag, MAPPING_VIA_PCP);	/* kept for a restart */
	/* NAT-PMP asks for the same internal port: the same forward. */
	harness_map(h, A, NATPMP_OP_MAP_TCP, 6881, 0, 600);
	harness_serve(h);
	assert_int_equal(harness_recv(h, A, buf, sizeof(buf)), 16);
	assert_int_equal(buf[10] << 8 | buf[11], a.external);
	/* A renewal under a new nonce (Tailscale) is served, and a delete
	 * under yet another removes it. */
	m.nonce = 8;
	assert_int_equal(map(h, A, &m).external, a.external);
	/* Renewed by either protocol it is the same forward, not a moved
	 * one: its flows stay (a moved forward's conntrack entries go). */
	harness_settle_conntrack(h);
	assert_int_equal(fake_nft_flows_cut(), 0);
	m.nonce = 9;
	m.lifetime = 0;
	a = map(h, A, &m);
	assert_int_equal(a.result, PCP_SUCCESS);
	assert_int_equal(a.lifetime, 0);
	assert_false(fake_nft_get(IPPROTO_TCP, e.external_port, NULL));
	assert_int_equal(gateway_stats(h->g)->pcp_requests[STAT_PCP_MAP][PCP_SUCCESS], 3);
}

static void announce_is_answered(void **state)
{
	struct harness *h = *state;
	uint8_t req[24] = { 2, 0 }, buf[64];

	addr_from_v4(req + 8, client_addr[A]);
	harness_send(h, A, req, sizeof(req));
	harness_serve(h);
	assert_int_equal(harness_recv(h, A, buf, sizeof(buf)), 24);
	assert_int_equal(buf[1], 0x80);
	assert_int_equal(buf[3], PCP_SUCCESS);
}

static void result_codes(void **state)
{
	struct harness *h = *state;
	static const uint8_t b_addr[16] = { [10] = 0xff, [11] = 0xff, 127, 0, 0, 3 };
	static const uint8_t a_addr[16] = { [10] = 0xff, [11] = 0xff, 127, 0, 0, 2 };
	struct map m = { .proto = IPPROTO_UDP, .internal = 5000, .lifetime = 60 };
	struct answer a;
	unsigned commits;

	m.claimed = 0x7f000005;
	assert_int_equal(map(h, A, &m).result, PCP_ADDRESS_MISMATCH);
	m.claimed = 0;
	m.proto = 132;					/* SCTP */
	a = map(h, A, &m);
	assert_int_equal(a.result, PCP_UNSUPP_PROTOCOL);
	assert_int_equal(a.lifetime, PCP_LONG_ERROR_LIFETIME);
	m.proto = IPPROTO_UDP;
	m.internal = 0;					/* every port */
	assert_int_equal(map(h, A, &m).result, PCP_MALFORMED_REQUEST);
	m.internal = 5000;
	m.third_party = b_addr;				/* another peer's */
	assert_int_equal(map(h, A, &m).result, PCP_NOT_AUTHORIZED);
	m.third_party = a_addr;				/* its own */
	assert_int_equal(map(h, A, &m).result, PCP_SUCCESS);
	m.third_party = NULL;
	/* PREFER_FAILURE: B cannot have the port A holds. */
	a = map(h, A, &m);
	m.suggested = a.external;
	m.prefer_failure = true;
	commits = fake_nft_commits();
	a = map(h, B, &m);
	assert_int_equal(a.result, PCP_CANNOT_PROVIDE_EXTERNAL);
	assert_int_equal(a.lifetime, PCP_SHORT_ERROR_LIFETIME);
	assert_int_equal(fake_nft_commits(), commits);
	/* Without it, B gets another port. */
	m.prefer_failure = false;
	a = map(h, B, &m);
	assert_int_equal(a.result, PCP_SUCCESS);
	assert_int_not_equal(a.external, m.suggested);
	/* Not a peer: NOT_AUTHORIZED once the peers were read again. */
	send_map(h, STRANGER, &m);
	harness_serve(h);
	harness_run_until_readable(h, h->clients[STRANGER], 2000);
	assert_int_equal(answer_of(h, STRANGER).result, PCP_NOT_AUTHORIZED);
}

static void quota_and_refused_kernel(void **state)
{
	struct harness *h = *state;
	struct map m = { .proto = IPPROTO_TCP, .lifetime = 60 };
	struct answer a;

	for (uint16_t i = 0; i < 4; i++) {		/* per_peer is 4 */
		m.internal = (uint16_t)(7000 + i);
		assert_int_equal(map(h, B, &m).result, PCP_SUCCESS);
	}
	m.internal = 7004;
	assert_int_equal(map(h, B, &m).result, PCP_USER_EX_QUOTA);
	fake_nft_refuse_commits(1);
	a = map(h, A, &m);
	assert_int_equal(a.result, PCP_NETWORK_FAILURE);
	assert_int_equal(a.len, 60);
	assert_int_equal(gateway_stats(h->g)->pcp_requests[STAT_PCP_MAP][PCP_NETWORK_FAILURE], 1);
}

static void malformed_answered_to_peers_only(void **state)
{
	struct harness *h = *state;
	uint8_t v1[24] = { 1, 1 }, shortreq[8] = { 2, 1 }, buf[64];

	harness_send(h, A, v1, sizeof(v1));
	harness_send(h, A, shortreq, sizeof(shortreq));
	harness_send(h, STRANGER, shortreq, sizeof(shortreq));
	harness_serve(h);
	assert_int_equal(harness_recv(h, A, buf, sizeof(buf)), 24);
	assert_int_equal(buf[0], 2);			/* our version */
	assert_int_equal(buf[3], PCP_UNSUPP_VERSION);
	assert_int_equal(harness_recv(h, A, buf, sizeof(buf)), 24);
	assert_int_equal(buf[3], PCP_MALFORMED_REQUEST);
	assert_int_equal(harness_recv(h, STRANGER, buf, sizeof(buf)), -1);
}

/* The third peer of these tests speaks from the stranger's address. */
#define SITE_PEER "public_key=eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee\n" \
		  "allowed_ip=127.0.0.9/32\n"

static struct answer third_party_map(struct harness *h, uint32_t target)
{
	uint8_t tp[16];
	struct map m = { .proto = IPPROTO_TCP, .internal = 22, .lifetime = 60,
			 .third_party = tp };

	addr_from_v4(tp, target);
	return map(h, STRANGER, &m);
}

/* A site peer whose routed prefix holds the gateway's own address (here
 * 127.0.0.1, this host's; on a real gateway its tunnel address) may not
 * forward the Internet to it: the gateway's tunnel-only services stay so. */
static int setup_site_peer(void **state)
{
	static struct harness h;

	harness_up(&h, "", SITE_PEER "allowed_ip=127.0.0.0/24\n");
	*state = &h;
	return 0;
}

static void third_party_never_the_gateway(void **state)
{
	struct harness *h = *state;

	assert_int_equal(third_party_map(h, 0x7f000001).result, PCP_NOT_AUTHORIZED);
	assert_int_equal(fake_nft_count(), 0);
	assert_int_equal(gateway_stats(h->g)->target_refused[TARGET_GATEWAY], 1);
	/* A host of its subnet that is not the gateway's is the peer's to name. */
	assert_int_equal(third_party_map(h, 0x7f000007).result, PCP_SUCCESS);
	assert_int_equal(fake_nft_count(), 1);
}

static bool kernel_empty(void *arg)
{
	(void)arg;
	return fake_nft_count() == 0;
}

/* A host of the site peer's /24 given its own peer (a /32) is no longer
 * the site peer's: its forward goes at the next poll, though the site peer
 * lost no prefix. */
static void a_host_that_moves_to_another_peer_is_swept(void **state)
{
	struct harness *h = *state;

	assert_int_equal(third_party_map(h, 0x7f000007).result, PCP_SUCCESS);
	assert_int_equal(fake_nft_count(), 1);
	harness_set_peers(h, SITE_PEER "allowed_ip=127.0.0.0/24\n"
			  "public_key=ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n"
			  "allowed_ip=127.0.0.7/32\n");
	assert_true(harness_run_until(h, kernel_empty, NULL, 3000));
	assert_int_equal(gateway_stats(h->g)->dropped[REASON_ADDRESS_LOST], 1);
}

static int setup_catch_all(void **state)
{
	static struct harness h;

	harness_up(&h, "", SITE_PEER "allowed_ip=0.0.0.0/0\n");
	*state = &h;
	return 0;
}

/* THIRD_PARTY owned only through a catch-all allowed-ip is refused as a
 * source owned that way is, though the source itself has its own /32. */
static void third_party_catch_all_refused(void **state)
{
	struct harness *h = *state;

	assert_int_equal(third_party_map(h, 0xc6336407).result, PCP_NOT_AUTHORIZED);
	assert_int_equal(fake_nft_count(), 0);
	assert_int_equal(gateway_stats(h->g)->target_refused[TARGET_CATCH_ALL], 1);
}

/* Not even catch_all_peers makes multicast or broadcast a host. */
static int setup_catch_all_allowed(void **state)
{
	static struct harness h;

	harness_up(&h, "catch_all_peers: true\n", SITE_PEER "allowed_ip=0.0.0.0/0\n");
	*state = &h;
	return 0;
}

static void third_party_never_special(void **state)
{
	static const uint32_t special[] = { 0xe0000001, 0xffffffff, 0xa9fe0001, 0 };
	struct harness *h = *state;

	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
		assert_int_equal(third_party_map(h, special[i]).result, PCP_NOT_AUTHORIZED);
	assert_int_equal(fake_nft_count(), 0);
	assert_int_equal(gateway_stats(h->g)->target_refused[TARGET_SPECIAL], 4);
	/* What the policy allows otherwise still goes through. */
	assert_int_equal(third_party_map(h, 0xc6336407).result, PCP_SUCCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, harness_setup, harness_teardown)
		T(map_is_one_table_with_natpmp),
		T(announce_is_answered),
		T(result_codes),
		T(quota_and_refused_kernel),
		T(malformed_answered_to_peers_only),
#undef T
		cmocka_unit_test_setup_teardown(third_party_never_the_gateway, setup_site_peer,
						harness_teardown),
		cmocka_unit_test_setup_teardown(a_host_that_moves_to_another_peer_is_swept,
						setup_site_peer, harness_teardown),
		cmocka_unit_test_setup_teardown(third_party_catch_all_refused, setup_catch_all,
						harness_teardown),
		cmocka_unit_test_setup_teardown(third_party_never_special,
						setup_catch_all_allowed, harness_teardown),
	};

	return cmocka_run_group_tests_name("core: pcp", tests, NULL, NULL);
}
