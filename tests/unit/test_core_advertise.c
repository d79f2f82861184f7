/* SPDX-License-Identifier: GPL-2.0-or-later */
/* external.advertise through the daemon core: clients are told the
 * advertised address (NAT-PMP op 0, PCP MAP and ANNOUNCE's answers, the
 * status), while the kernel's rule keeps matching the external address. */
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

#define MATCHED 0xc0000201u	/* 192.0.2.1: external.address */
#define ADVERTISED 0xc6336407u	/* 198.51.100.7 */

static int up_advertised(void **state)
{
	static struct harness h;

	harness_up(&h, "external: { address: 192.0.2.1, advertise: 198.51.100.7 }\n", "");
	*state = &h;
	return 0;
}

static int down(void **state)
{
	harness_down(*state);
	return 0;
}

static void op0_tells_the_advertised_address(void **state)
{
	struct harness *h = *state;
	uint8_t op0[2] = { 0, 0 }, buf[16];

	harness_send(h, A, op0, sizeof(op0));
	harness_serve(h);
	assert_int_equal(harness_recv(h, A, buf, sizeof(buf)), 12);
	assert_int_equal(buf[3], NATPMP_RESULT_SUCCESS);
	assert_memory_equal(buf + 8, "\xc6\x33\x64\x07", 4);
}

/* The kernel's rule matches the external address, not the advertised one. */
static void forwards_match_the_external_address(void **state)
{
	struct harness *h = *state;

	assert_int_equal(fake_nft_external(), MATCHED);
	harness_says(h, "{\"command\": \"status\"}", "\"external_address\":\"198.51.100.7\"");
	harness_says(h, "{\"command\": \"status\"}", "\"matched_address\":\"192.0.2.1\"");
}

static void pcp_map_tells_the_advertised_address(void **state)
{
	struct harness *h = *state;
	uint8_t req[60] = { 2, 1 }, buf[PCP_MAX_LEN], want[16];

	req[7] = 60;				/* lifetime */
	addr_from_v4(req + 8, 0x7f000002);	/* the source: peer A */
	memset(req + 24, 5, 12);		/* nonce */
	req[36] = IPPROTO_TCP;
	req[40] = 0x1a;				/* internal port 6881 */
	req[41] = 0xe1;
	harness_send(h, A, req, sizeof(req));
	harness_serve(h);
	assert_int_equal(harness_recv(h, A, buf, sizeof(buf)), 60);
	assert_int_equal(buf[3], PCP_SUCCESS);
	addr_from_v4(want, ADVERTISED);
	assert_memory_equal(buf + 44, want, 16);
	assert_true(fake_nft_get(IPPROTO_TCP, (uint16_t)(buf[42] << 8 | buf[43]), NULL));
}

/* A client suggesting the address it was told, with PREFER_FAILURE, is not
 * asking for another one (which would be CANNOT_PROVIDE_EXTERNAL). */
static void pcp_suggesting_the_advertised_address_is_served(void **state)
{
	struct harness *h = *state;
	uint8_t req[64] = { 2, 1 }, buf[PCP_MAX_LEN];

	req[7] = 60;
	addr_from_v4(req + 8, 0x7f000002);
	memset(req + 24, 6, 12);
	req[36] = IPPROTO_UDP;
	req[40] = 0x1a;
	req[41] = 0xe1;
	addr_from_v4(req + 44, ADVERTISED);
	req[60] = PCP_OPTION_PREFER_FAILURE;
	harness_send(h, A, req, sizeof(req));
	harness_serve(h);
	assert_int_equal(harness_recv(h, A, buf, sizeof(buf)), 64);	/* the option echoed */
	assert_int_equal(buf[3], PCP_SUCCESS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(op0_tells_the_advertised_address, up_advertised, down),
		cmocka_unit_test_setup_teardown(forwards_match_the_external_address, up_advertised,
						down),
		cmocka_unit_test_setup_teardown(pcp_map_tells_the_advertised_address, up_advertised,
						down),
		cmocka_unit_test_setup_teardown(pcp_suggesting_the_advertised_address_is_served,
						up_advertised, down),
	};

	return cmocka_run_group_tests_name("core: advertised address", tests, NULL, NULL);
}
