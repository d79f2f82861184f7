/* SPDX-License-Identifier: GPL-2.0-or-later */
/* IPv6 through the daemon core: PCP from a peer's IPv6 address (::1 over
 * loopback, standing for the tunnel) opens a routed pinhole or a NAT66
 * forward in the ip6 table, with the answers RFC 6887 asks for; NAT-PMP is
 * not heard on IPv6, nor is anything while the policy does not serve IPv6. */
#include <netinet/in.h>
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
#include "natpmp/pcp.h"
#include "util/addrclass.h"

/* Peer C owns ::1, the IPv6 client's address. */
#define PEER_C "public_key=cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\n" \
	       "allowed_ip=::1/128\n"
static const uint8_t loopback6[16] = { [15] = 1 };
static const uint8_t key_c[32] = {
	0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
	0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc, 0xcc,
	0xcc, 0xcc, 0xcc, 0xcc,
};

struct answer {
	int len;
	uint8_t result;
	uint16_t external;
	uint8_t external_addr[16];
};

/* Fixtures, one per policy: a failed assertion still tears the harness
 * (and its fake WireGuard) down. */
struct fixture {
	struct harness h;
	bool has_ipv6;		/* this host has an IPv6 loopback */
};

static int up_with(void **state, const char *yaml, const char *peers)
{
	static struct fixture f;

	harness_up(&f.h, yaml, peers);
	f.has_ipv6 = harness_up6(&f.h);
	*state = &f;
	return 0;
}

static int up(void **state, const char *yaml)
{
	return up_with(state, yaml, PEER_C);
}

/* Peer C also routes a site's /48, and a /16: more than any site. */
static int up_routed_wide(void **state)
{
	return up_with(state, "ipv6: { mode: routed }\n",
		       PEER_C "allowed_ip=2001:db8:1::/48\nallowed_ip=2001::/16\n");
}

static int up_routed(void **state) { return up(state, "ipv6: { mode: routed }\n"); }
static int up_nat66(void **state)
{
	return up(state, "ipv6: { mode: nat66, external: { interface: lo } }\n");
}
static int up_off(void **state) { return up(state, ""); }
static int up_nat66_nowhere(void **state)
{
	/* The unit host has no such interface: no external IPv6 address. */
	return up(state, "ipv6: { mode: nat66, external: { interface: pgunit-none } }\n");
}

static int down(void **state)
{
	harness_down(&((struct fixture *)*state)->h);
	return 0;
}

/* The fixture's harness, or a reported skip without IPv6. */
static struct harness *harness_of(void **state)
{
	struct fixture *f = *state;

	if (!f->has_ipv6)
		skip();
	return &f->h;
}

/* A PCP MAP from ::1; claimed: the client-address field (NULL: ::1). */
static void send_map6(struct harness *h, uint8_t proto, uint16_t internal, uint32_t lifetime,
		      const uint8_t *claimed, const uint8_t *third_party)
{
	uint8_t buf[100] = { 2, 1 };
	size_t n = 60;

	buf[4] = (uint8_t)(lifetime >> 24);
	buf[5] = (uint8_t)(lifetime >> 16);
	buf[6] = (uint8_t)(lifetime >> 8);
	buf[7] = (uint8_t)lifetime;
	memcpy(buf + 8, claimed ? claimed : loopback6, 16);
	memset(buf + 24, 7, 12);
	buf[36] = proto;
	buf[40] = (uint8_t)(internal >> 8);
	buf[41] = (uint8_t)internal;
	if (third_party) {
		buf[n] = PCP_OPTION_THIRD_PARTY;
		buf[n + 3] = 16;
		memcpy(buf + n + 4, third_party, 16);
		n += 20;
	}
	harness_send6(h, buf, n);
	harness_serve6(h);
}

static struct answer answer6(struct harness *h)
{
	uint8_t buf[PCP_MAX_LEN];
	struct answer a = { .len = harness_recv6(h, buf, sizeof(buf)) };

	if (a.len >= 24)
		a.result = buf[3];
	if (a.len >= 60) {
		a.external = (uint16_t)(buf[42] << 8 | buf[43]);
		memcpy(a.external_addr, buf + 44, 16);
	}
	return a;
}

static void routed_map_opens_a_pinhole(void **state)
{
	struct harness *h = harness_of(state);
	struct nft_element e;
	struct answer a;
	size_t dropped;

	send_map6(h, IPPROTO_TCP, 6881, 3600, NULL, NULL);
	a = answer6(h);
	assert_int_equal(a.len, 60);
	assert_int_equal(a.result, PCP_SUCCESS);
	/* No NAT: the peer's own port at the peer's own address. */
	assert_int_equal(a.external, 6881);
	assert_memory_equal(a.external_addr, loopback6, 16);
	assert_true(fake_nft_get6(NFT_SPACE_PINHOLE, IPPROTO_TCP, 6881, &e));
	assert_memory_equal(e.addr.b, loopback6, 16);
	assert_memory_equal(e.owner, key_c, 32);
	assert_false(fake_nft_get(IPPROTO_TCP, 6881, NULL));
	harness_says(h, "{\"command\": \"list\"}", "\"family\":\"ipv6\"");
	/* A peer's drop takes its pinholes, in one transaction. */
	assert_int_equal(gateway_drop_peer(h->g, key_c, &dropped), 0);
	assert_int_equal(dropped, 1);
	assert_false(fake_nft_get6(NFT_SPACE_PINHOLE, IPPROTO_TCP, 6881, NULL));
	/* Its flows' conntrack entries go too, a moment later. */
	harness_settle_conntrack(h);
	assert_int_equal(fake_nft_flows_cut(), 1);
}

static void nat66_needs_its_external_address(void **state)
{
	struct harness *h = harness_of(state);
	struct answer a;

	send_map6(h, IPPROTO_UDP, 5000, 600, NULL, NULL);
	a = answer6(h);
	assert_int_equal(a.len, 60);
	assert_int_equal(a.result, PCP_NETWORK_FAILURE);
	assert_int_equal(fake_nft_count(), 0);
}

static void nat66_forward_from_the_external_address(void **state)
{
	static const uint8_t ext6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0xe };
	struct harness *h = harness_of(state);
	struct nft_element e;
	struct answer a;

	h->g->external[IP_V6].known = true;	/* as rtnetlink would have said */
	h->g->external[IP_V6].addr = h->g->external[IP_V6].told = ip_addr_from_v6(ext6);
	send_map6(h, IPPROTO_UDP, 5000, 600, NULL, NULL);
	a = answer6(h);
	assert_int_equal(a.result, PCP_SUCCESS);
	assert_in_range(a.external, 20000, 29999);
	assert_memory_equal(a.external_addr, ext6, 16);
	assert_true(fake_nft_get6(NFT_SPACE_NAT66, IPPROTO_UDP, a.external, &e));
	assert_memory_equal(e.addr.b, loopback6, 16);
	assert_int_equal(e.target_port, 5000);
}

/* A service of the gateway's on the external IPv6 address keeps its port
 * from NAT66: one that starts on a mapped port takes it back at the
 * sweep, and the port is passed over when asked for again. */
static void nat66_leaves_local_services_alone(void **state)
{
	static const uint8_t ext6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0xe };
	struct harness *h = harness_of(state);
	struct answer a;

	h->g->external[IP_V6].known = true;
	h->g->external[IP_V6].addr = h->g->external[IP_V6].told = ip_addr_from_v6(ext6);
	send_map6(h, IPPROTO_UDP, 5000, 600, NULL, NULL);
	a = answer6(h);
	assert_int_equal(a.result, PCP_SUCCESS);
	fake_local_socket(AF_INET6, IPPROTO_UDP, a.external);
	gateway_sweep_local_services(h->g);
	assert_false(fake_nft_get6(NFT_SPACE_NAT66, IPPROTO_UDP, a.external, NULL));
	assert_int_equal(gateway_stats(h->g)->dropped[REASON_LOCAL_SERVICE], 1);
	send_map6(h, IPPROTO_UDP, 5000, 600, NULL, NULL);
	assert_int_not_equal(answer6(h).external, a.external);
}

static void natpmp_is_not_heard_on_ipv6(void **state)
{
	static const uint8_t op0[2] = { 0, 0 };
	struct harness *h = harness_of(state);

	harness_send6(h, op0, sizeof(op0));
	harness_serve6(h);
	assert_int_equal(answer6(h).len, -1);
}

static void ipv6_off_hears_nothing(void **state)
{
	struct harness *h = harness_of(state);

	send_map6(h, IPPROTO_TCP, 6881, 3600, NULL, NULL);
	assert_int_equal(answer6(h).len, -1);
	assert_int_equal(fake_nft_count(), 0);
}

static void the_source_must_be_the_client_address(void **state)
{
	static const uint8_t other[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 };
	struct harness *h = harness_of(state);
	uint8_t v4[16];

	send_map6(h, IPPROTO_TCP, 6881, 3600, other, NULL);
	assert_int_equal(answer6(h).result, PCP_ADDRESS_MISMATCH);
	/* A THIRD_PARTY of the other family is not the peer's to ask for. */
	addr_from_v4(v4, 0x7f000002);
	send_map6(h, IPPROTO_TCP, 6881, 3600, NULL, v4);
	assert_int_equal(answer6(h).result, PCP_NOT_AUTHORIZED);
	assert_int_equal(fake_nft_count(), 0);
}

/* IPv6's catch-all line is /32: a THIRD_PARTY the peer owns only through
 * its /16 is refused, a host of its /48 is not. */
static void ipv6_catch_all_prefix(void **state)
{
	static const uint8_t site_host[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 7 };
	static const uint8_t wide_host[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 7 };
	struct harness *h = harness_of(state);

	send_map6(h, IPPROTO_TCP, 6881, 3600, NULL, wide_host);
	assert_int_equal(answer6(h).result, PCP_NOT_AUTHORIZED);
	assert_int_equal(gateway_stats(h->g)->target_refused[TARGET_CATCH_ALL], 1);
	assert_int_equal(fake_nft_count(), 0);
	send_map6(h, IPPROTO_TCP, 6881, 3600, NULL, site_host);
	assert_int_equal(answer6(h).result, PCP_SUCCESS);
	assert_int_equal(fake_nft_count(), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(routed_map_opens_a_pinhole, up_routed, down),
		cmocka_unit_test_setup_teardown(nat66_needs_its_external_address,
						up_nat66_nowhere, down),
		cmocka_unit_test_setup_teardown(nat66_forward_from_the_external_address,
						up_nat66, down),
		cmocka_unit_test_setup_teardown(nat66_leaves_local_services_alone, up_nat66, down),
		cmocka_unit_test_setup_teardown(natpmp_is_not_heard_on_ipv6, up_routed, down),
		cmocka_unit_test_setup_teardown(ipv6_off_hears_nothing, up_off, down),
		cmocka_unit_test_setup_teardown(the_source_must_be_the_client_address,
						up_routed, down),
		cmocka_unit_test_setup_teardown(ipv6_catch_all_prefix, up_routed_wide, down),
	};

	return cmocka_run_group_tests_name("core ipv6", tests, NULL, NULL);
}
