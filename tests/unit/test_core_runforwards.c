/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Static forwards added at run time (control socket and HTTP API share
 * gateway_forward_add/del): installed in one kernel transaction, written to
 * the daemon's state file, refused for the policy's reasons and for a port
 * a client holds, and when the kernel refuses, nothing changes: neither
 * the map nor the state file. */
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
#include "daemon/core.h"
#include "fake_nft.h"
#include "util/yconf.h"

#define KEY_A "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo="
#define KEY_B "u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7u7s="

static const char policy[] =
	"peers:\n"
	"  \"" KEY_A "\":\n"
	"    name: alice\n"
	"    forwards:\n"
	"      - { protocol: tcp, external: 2222, internal: 22 }\n";

static char *state_file(struct harness *h)
{
	char path[128], err[256];
	size_t len;
	char *text;

	snprintf(path, sizeof(path), "%s/state/forwards.json", h->dir);
	text = yconf_read_file(path, &len, err, sizeof(err));
	return text ? text : strdup("");
}

static bool state_has(struct harness *h, const char *want)
{
	char *text = state_file(h);
	bool has = strstr(text, want) != NULL;

	free(text);
	return has;
}

static void add_installs_and_keeps(void **state)
{
	struct harness *h = *state;
	struct nft_element e;

	harness_says(h, "{\"command\": \"forward\", \"action\": \"add\", \"peer\": \"alice\", "
		     "\"protocol\": \"tcp\", \"external\": 2300, \"internal\": 22}",
		     "\"installed\":true");
	assert_true(fake_nft_get(IPPROTO_TCP, 2300, &e));
	assert_int_equal(ip_addr_v4(&e.addr), 0x7f000002);
	assert_int_equal(e.target_port, 22);
	assert_int_equal(e.lifetime_s, 0);	/* static: no kernel timeout */
	assert_false(fake_nft_get(IPPROTO_UDP, 2300, NULL));
	assert_true(state_has(h, "\"external\": 2300"));
	harness_says(h, "{\"command\": \"forward\", \"action\": \"list\"}",
		     "\"external\":2300,\"internal\":22,\"address\":null,\"peer\":\"" KEY_A
		     "\",\"peer_name\":\"alice\",\"origin\":\"runtime\",\"installed\":true");
	harness_says(h, "{\"command\": \"forward\", \"action\": \"del\", \"peer\": \"" KEY_A "\", "
		     "\"protocol\": \"tcp\", \"port\": 2300}", "\"removed\":1");
	assert_false(fake_nft_get(IPPROTO_TCP, 2300, NULL));
	assert_false(state_has(h, "2300"));
}

static void kernel_refusal_changes_nothing(void **state)
{
	struct harness *h = *state;

	fake_nft_refuse_commits(1);
	harness_says(h, "{\"command\": \"forward\", \"action\": \"add\", \"peer\": \"alice\", "
		     "\"protocol\": \"udp\", \"external\": 2301}", "the kernel refused");
	assert_false(fake_nft_get(IPPROTO_UDP, 2301, NULL));
	assert_false(state_has(h, "2301"));
	harness_says(h, "{\"command\": \"forward\", \"action\": \"list\"}",
		     "\"forwards\":[{\"protocol\":\"tcp\",\"external\":2222");
	/* The next try, which the kernel takes, stands. */
	harness_says(h, "{\"command\": \"forward\", \"action\": \"add\", \"peer\": \"alice\", "
		     "\"protocol\": \"udp\", \"external\": 2301}", "\"installed\":true");
	assert_true(fake_nft_get(IPPROTO_UDP, 2301, NULL));
	/* ... and a refused removal leaves it, in the map and the file. */
	fake_nft_refuse_commits(1);
	harness_says(h, "{\"command\": \"forward\", \"action\": \"del\", \"peer\": \"alice\", "
		     "\"protocol\": \"udp\", \"port\": 2301}", "the kernel refused");
	assert_true(fake_nft_get(IPPROTO_UDP, 2301, NULL));
	assert_true(state_has(h, "\"external\": 2301"));
}

static void refusals(void **state)
{
	struct harness *h = *state;
	uint8_t buf[16];
	uint16_t held;

	harness_says(h, "{\"command\": \"forward\", \"action\": \"add\", \"peer\": \"" KEY_B "\", "
		     "\"protocol\": \"tcp\", \"external\": 2222}",
		     "external port 2222 is already forwarded to peer alice (line 13)");
	harness_says(h, "{\"command\": \"forward\", \"action\": \"add\", \"peer\": \"alice\", "
		     "\"protocol\": \"tcp\", \"external\": 2310, \"address\": \"127.0.0.3\"}",
		     "not");
	assert_false(fake_nft_get(IPPROTO_TCP, 2310, NULL));
	harness_says(h, "{\"command\": \"forward\", \"action\": \"del\", \"peer\": \"alice\", "
		     "\"protocol\": \"tcp\", \"port\": 2222}", "of the policy file");
	assert_true(fake_nft_get(IPPROTO_TCP, 2222, NULL));
	/* Peer A's client holds a port: B cannot have it as a forward. */
	harness_map(h, 0, 1, 6881, 0, 600);
	harness_serve(h);
	assert_int_equal(harness_recv(h, 0, buf, sizeof(buf)), 16);
	held = (uint16_t)(buf[10] << 8 | buf[11]);
	char req[256];

	snprintf(req, sizeof(req), "{\"command\": \"forward\", \"action\": \"add\", "
		 "\"peer\": \"" KEY_B "\", \"protocol\": \"udp\", \"external\": %u}", held);
	harness_says(h, req, "held by a mapping of peer qqqqqqqq");
	harness_says(h, "{\"command\": \"forward\", \"action\": \"add\", \"peer\": \"carol\", "
		     "\"protocol\": \"udp\", \"external\": 2311}", "no such peer");
	/* A's own dynamic mapping is dropped by a delete at its port. */
	snprintf(req, sizeof(req), "{\"command\": \"forward\", \"action\": \"del\", "
		 "\"peer\": \"alice\", \"protocol\": \"udp\", \"port\": %u}", held);
	harness_says(h, req, "\"removed\":1");
	assert_false(fake_nft_get(IPPROTO_UDP, held, NULL));
}

/* A range: one entry, ten elements, added and removed in one commit each. */
static void range_in_one_transaction(void **state)
{
	struct harness *h = *state;
	unsigned commits = fake_nft_commits();
	struct nft_element e;

	harness_says(h, "{\"command\": \"forward\", \"action\": \"add\", \"peer\": \"alice\", "
		     "\"protocol\": \"both\", \"external\": \"30000-30009\", "
		     "\"internal\": 40000}", "\"installed\":true");
	assert_int_equal(fake_nft_commits(), commits + 1);
	for (uint16_t port = 30000; port <= 30009; port++) {
		assert_true(fake_nft_get(IPPROTO_TCP, port, &e));
		assert_int_equal(e.target_port, 40000 + (port - 30000));
		assert_true(fake_nft_get(IPPROTO_UDP, port, NULL));
	}
	assert_false(fake_nft_get(IPPROTO_TCP, 30010, NULL));
	assert_true(state_has(h, "\"external\": \"30000-30009\""));
	harness_says(h, "{\"command\": \"forward\", \"action\": \"del\", \"peer\": \"alice\", "
		     "\"protocol\": \"both\", \"port\": 30004}", "\"removed\":20");
	assert_int_equal(fake_nft_commits(), commits + 2);
	for (uint16_t port = 30000; port <= 30009; port++)
		assert_false(fake_nft_get(IPPROTO_TCP, port, NULL));
	assert_false(state_has(h, "30000"));
}

static int setup(void **state)
{
	static struct harness h;

	harness_up(&h, policy, "");
	*state = &h;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(add_installs_and_keeps, setup, harness_teardown),
		cmocka_unit_test_setup_teardown(kernel_refusal_changes_nothing, setup,
						harness_teardown),
		cmocka_unit_test_setup_teardown(refusals, setup, harness_teardown),
		cmocka_unit_test_setup_teardown(range_in_one_transaction, setup, harness_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
