/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Static forwards through the daemon core: installed without a timeout
 * while their peer is on the interface, gone with the peer's other
 * mappings in one transaction, back when it returns; shown as static,
 * never dropped by an operator's port drop, never handed out. */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core_harness.h"
#include "daemon/commands.h"
#include "daemon/core.h"
#include "fake_nft.h"
#include "natpmp/codec.h"

/* The fake WireGuard's third peer, dd..dd, at the stranger's address. */
#define PEER_D_UAPI "public_key=dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\n" \
		    "allowed_ip=127.0.0.9/32\n"
#define PEER_D_KEY "3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d3d0="

static const char policy[] =
	"peers:\n"
	"  \"" PEER_D_KEY "\":\n"
	"    forwards:\n"
	"      - { protocol: tcp, external: 2222, internal: 22 }\n"
	"      - { protocol: both, external: 24000 }\n";

static uint16_t map_one(struct harness *h, uint8_t op, uint16_t internal,
			uint16_t suggested)
{
	uint8_t buf[16];

	harness_map(h, 2, op, internal, suggested, 600);
	harness_serve(h);
	assert_int_equal(harness_recv(h, 2, buf, sizeof(buf)), 16);
	assert_int_equal(buf[3], 0);
	return (uint16_t)(buf[10] << 8 | buf[11]);
}

static void installed_while_peer_is_there(void **state)
{
	struct nft_element e;

	(void)state;
	assert_true(fake_nft_get(IPPROTO_TCP, 2222, &e));
	assert_int_equal(ip_addr_v4(&e.addr), 0x7f000009);
	assert_int_equal(e.target_port, 22);
	assert_int_equal(e.lifetime_s, 0);		/* no kernel timeout */
	assert_int_equal(e.granted_lifetime_s, 0);
	assert_false(fake_nft_get(IPPROTO_UDP, 2222, NULL));
	assert_true(fake_nft_get(IPPROTO_UDP, 24000, &e));
	assert_int_equal(e.target_port, 24000);
	assert_true(fake_nft_get(IPPROTO_TCP, 24000, NULL));
}

/* The next poll read the peers: the static forward followed its peer. */
static bool forward_gone(void *arg)
{
	(void)arg;
	return !fake_nft_get(IPPROTO_TCP, 2222, NULL);
}

static bool forward_back(void *arg)
{
	(void)arg;
	return fake_nft_get(IPPROTO_TCP, 2222, NULL);
}

static void gone_with_the_peer_and_back_with_it(void **state)
{
	struct harness *h = *state;
	unsigned commits;
	uint16_t dynamic;

	dynamic = map_one(h, NATPMP_OP_MAP_UDP, 5000, 0);
	commits = fake_nft_commits();
	harness_set_peers(h, "");
	assert_true(harness_run_until(h, forward_gone, NULL, 3000));
	assert_false(fake_nft_get(IPPROTO_TCP, 2222, NULL));
	assert_false(fake_nft_get(IPPROTO_UDP, 24000, NULL));
	assert_false(fake_nft_get(IPPROTO_UDP, dynamic, NULL));
	/* Everything of the peer went in one transaction. */
	assert_int_equal(fake_nft_commits(), commits + 1);
	harness_set_peers(h, PEER_D_UAPI);
	assert_true(harness_run_until(h, forward_back, NULL, 3000));
	assert_true(fake_nft_get(IPPROTO_TCP, 2222, NULL));
	assert_true(fake_nft_get(IPPROTO_TCP, 24000, NULL));
}

static void never_handed_out_never_in_the_quota(void **state)
{
	struct harness *h = *state;

	/* The owner suggests its own static port: it gets another one. */
	assert_int_not_equal(map_one(h, NATPMP_OP_MAP_UDP, 2222, 2222), 2222);
	/* per_peer is 4: the two static ports do not count, four dynamic
	 * ones fit. */
	map_one(h, NATPMP_OP_MAP_UDP, 5001, 0);
	map_one(h, NATPMP_OP_MAP_UDP, 5002, 0);
	map_one(h, NATPMP_OP_MAP_UDP, 5003, 0);
	harness_says(h, "{\"command\": \"status\"}", "\"static_forwards\":{\"udp\":1,\"tcp\":2}");
	harness_says(h, "{\"command\": \"status\"}", "\"mappings\":{\"udp\":4,\"tcp\":0}");
}

static void operators_see_them_and_cannot_drop_them(void **state)
{
	struct harness *h = *state;

	harness_says(h, "{\"command\": \"list\"}", "\"kind\":\"static\"");
	harness_says(h, "{\"command\": \"list\"}", "\"lifetime\":null");
	harness_says(h, "{\"command\": \"drop\", \"protocol\": \"tcp\", \"port\": 2222}",
	     "a static forward of the policy");
	assert_true(fake_nft_get(IPPROTO_TCP, 2222, NULL));
	harness_says(h, "{\"command\": \"drop\", \"peer\": \"" PEER_D_KEY "\"}", "\"dropped\":0");
	assert_true(fake_nft_get(IPPROTO_TCP, 2222, NULL));
}

/* A client's delete-all of its TCP mappings leaves the admin's alone. */
static void clients_cannot_delete_them(void **state)
{
	struct harness *h = *state;
	uint8_t buf[16];

	harness_map(h, 2, NATPMP_OP_MAP_TCP, 0, 0, 0);
	harness_serve(h);
	assert_int_equal(harness_recv(h, 2, buf, sizeof(buf)), 16);
	assert_int_equal(buf[3], 0);
	assert_true(fake_nft_get(IPPROTO_TCP, 2222, NULL));
}

/* A forward whose peer is there but has no single address is not
 * installed, and the log says where and why. */
static void unusable_forwards_are_not_installed(void **state)
{
	(void)state;
	assert_false(fake_nft_get(IPPROTO_TCP, 2222, NULL));
	assert_false(fake_nft_get(IPPROTO_TCP, 2223, NULL));	/* peer A's address */
	assert_false(fake_nft_get(IPPROTO_TCP, 51820, NULL));	/* the WireGuard port */
	assert_int_equal(fake_nft_count(), 0);
}

/* A forward's address is held to the rule every request is: never the
 * gateway's own (127.0.0.1 here, inside the peer's /24). */
static void never_to_the_gateway(void **state)
{
	(void)state;
	assert_false(fake_nft_get(IPPROTO_TCP, 2224, NULL));
	assert_true(fake_nft_get(IPPROTO_TCP, 2225, NULL));	/* a host of its /24 */
	assert_int_equal(fake_nft_count(), 1);
}

static int setup_site(void **state)
{
	static struct harness h;

	harness_up(&h, "peers:\n  \"" PEER_D_KEY "\":\n    forwards:\n"
		       "      - { protocol: tcp, external: 2224, address: 127.0.0.1 }\n"
		       "      - { protocol: tcp, external: 2225, address: 127.0.0.7 }\n",
		   PEER_D_UAPI "allowed_ip=127.0.0.0/24\n");
	*state = &h;
	return 0;
}

static int setup(void **state)
{
	static struct harness h;

	harness_up(&h, policy, PEER_D_UAPI);
	*state = &h;
	return 0;
}

/* A peer with no single address, a forward to another peer's address, and
 * a forward of the WireGuard listen port. */
static int setup_unusable(void **state)
{
	static struct harness h;

	harness_up(&h, "peers:\n  \"" PEER_D_KEY "\":\n    forwards:\n"
		       "      - { protocol: tcp, external: 2222 }\n"
		       "      - { protocol: tcp, external: 2223, address: 127.0.0.2 }\n"
		       /* Peer A has its /32: only the WireGuard port stops it. */
		       "  \"qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo=\":\n    forwards:\n"
		       "      - { protocol: tcp, external: 51820 }\n",
		   "public_key=dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd\n"
		   "allowed_ip=127.0.0.8/31\n");
	*state = &h;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, harness_teardown)
		T(installed_while_peer_is_there),
		T(gone_with_the_peer_and_back_with_it),
		T(never_handed_out_never_in_the_quota),
		T(operators_see_them_and_cannot_drop_them),
		T(clients_cannot_delete_them),
		cmocka_unit_test_setup_teardown(unusable_forwards_are_not_installed, setup_unusable,
						harness_teardown),
		cmocka_unit_test_setup_teardown(never_to_the_gateway, setup_site, harness_teardown),
#undef T
	};

	return cmocka_run_group_tests_name("core: static forwards", tests, NULL, NULL);
}
