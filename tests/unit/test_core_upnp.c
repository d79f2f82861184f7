/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UPnP control calls through the daemon core (request.c's
 * gateway_upnp_control, upnp_serve.c): the same peers, policy and kernel
 * transaction as NAT-PMP, a peer's own mappings only, and an answer that
 * holds only once the kernel committed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core_harness.h"
#include "daemon/core.h"
#include "daemon/upnpdesc.h"
#include "fake_nft.h"
#include "upnp/igd.h"
#include "util/addrclass.h"

static const char *const source[] = { PEER_A_ADDR, PEER_B_ADDR, STRANGER_ADDR };
enum { A, B, STRANGER };

static int call(struct harness *h, int who, struct igd_request *q, struct igd_result *res)
{
	static struct igd_entry list[8];
	struct sockaddr_in from = { .sin_family = AF_INET };

	inet_pton(AF_INET, source[who], &from.sin_addr);
	memset(res, 0, sizeof(*res));
	return gateway_upnp_control(h->g, &from, q, res, list, 8);
}

static struct igd_request add_req(const char *client, uint16_t ext, uint16_t in, uint32_t lease,
				  const char *desc)
{
	struct igd_request q = { .action = IGD_ADD_PORT_MAPPING, .version = 2 };
	struct in_addr a;

	inet_pton(AF_INET, client, &a);
	q.add = (struct igd_add){ .proto = IPPROTO_TCP, .external_port = ext, .internal_port = in,
				  .enabled = true, .lease = lease };
	q.add.internal_client = ip_addr_from_v4(ntohl(a.s_addr));
	snprintf(q.add.description, sizeof(q.add.description), "%s", desc);
	return q;
}

static struct igd_request key_req(enum igd_action a, uint16_t ext)
{
	struct igd_request q = { .action = a, .version = 2 };

	q.key = (struct igd_key){ IPPROTO_TCP, ext };
	return q;
}

static void add_get_delete(void **state)
{
	struct harness *h = *state;
	struct igd_request q = add_req(PEER_A_ADDR, 21000, 8080, 0, "web");
	struct igd_result res;
	struct nft_element e;

	assert_int_equal(call(h, A, &q, &res), UPNP_OK);
	assert_int_equal(res.reserved_port, 21000);
	assert_true(fake_nft_get(IPPROTO_TCP, 21000, &e));
	assert_int_equal(e.target_port, 8080);
	assert_int_equal(e.owner_tag, MAPPING_VIA_UPNP);	/* a restart adopts it as UPnP */
	q = key_req(IGD_GET_SPECIFIC_PORT_MAPPING_ENTRY, 21000);
	assert_int_equal(call(h, A, &q, &res), UPNP_OK);
	assert_string_equal(res.entry.description, "web");
	/* Lease 0: the policy's maximum (the harness's is 3600 s). */
	assert_in_range(res.entry.lease_remaining, 3599, 3600);
	q = key_req(IGD_DELETE_PORT_MAPPING, 21000);
	assert_int_equal(call(h, A, &q, &res), UPNP_OK);
	assert_false(fake_nft_get(IPPROTO_TCP, 21000, &e));
	assert_string_equal(upnp_descs_get(h->g->upnp_descs, MAPPING_TCP, 21000), "");
}

static void others_are_not_there(void **state)
{
	struct harness *h = *state;
	struct igd_request q = add_req(PEER_A_ADDR, 21000, 8080, 600, "a");
	struct igd_result res;
	struct nft_element e;

	assert_int_equal(call(h, A, &q, &res), UPNP_OK);
	q = key_req(IGD_GET_SPECIFIC_PORT_MAPPING_ENTRY, 21000);
	assert_int_equal(call(h, B, &q, &res), UPNP_NO_SUCH_ENTRY);
	q = key_req(IGD_DELETE_PORT_MAPPING, 21000);
	assert_int_equal(call(h, B, &q, &res), UPNP_NO_SUCH_ENTRY);
	assert_true(fake_nft_get(IPPROTO_TCP, 21000, &e));
	q = (struct igd_request){ .action = IGD_GET_GENERIC_PORT_MAPPING_ENTRY, .version = 2 };
	assert_int_equal(call(h, B, &q, &res), UPNP_ARRAY_INDEX_INVALID);
	assert_int_equal(call(h, A, &q, &res), UPNP_OK);
	assert_int_equal(res.entry.external_port, 21000);
	/* B's add of A's port, and of a mapping to A's address. */
	q = add_req(PEER_B_ADDR, 21000, 9090, 600, "");
	assert_int_equal(call(h, B, &q, &res), UPNP_CONFLICT);
	q = add_req(PEER_A_ADDR, 21001, 9090, 600, "");
	assert_int_equal(call(h, B, &q, &res), UPNP_NOT_AUTHORIZED);
	assert_false(fake_nft_get(IPPROTO_TCP, 21001, &e));
	/* An address no peer owns gets nothing at all. */
	q = key_req(IGD_GET_SPECIFIC_PORT_MAPPING_ENTRY, 21000);
	assert_int_equal(call(h, STRANGER, &q, &res), -1);
}

/* The kernel refuses the batch: the client is told 501, the table and the
 * descriptions are as they were. */
static void refused_batch_is_501(void **state)
{
	struct harness *h = *state;
	struct igd_request q = add_req(PEER_A_ADDR, 21000, 8080, 600, "lost");
	struct igd_result res;
	struct nft_element e;

	fake_nft_refuse_commits(1);
	assert_int_equal(call(h, A, &q, &res), UPNP_ACTION_FAILED);
	assert_false(fake_nft_get(IPPROTO_TCP, 21000, &e));
	assert_string_equal(upnp_descs_get(h->g->upnp_descs, MAPPING_TCP, 21000), "");
	q = key_req(IGD_GET_SPECIFIC_PORT_MAPPING_ENTRY, 21000);
	assert_int_equal(call(h, A, &q, &res), UPNP_NO_SUCH_ENTRY);
	q = add_req(PEER_A_ADDR, 21000, 8080, 600, "kept");
	assert_int_equal(call(h, A, &q, &res), UPNP_OK);
	assert_string_equal(upnp_descs_get(h->g->upnp_descs, MAPPING_TCP, 21000), "kept");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(add_get_delete, harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(others_are_not_there, harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(refused_batch_is_501, harness_setup, harness_teardown),
	};

	return cmocka_run_group_tests_name("core_upnp", tests, NULL, NULL);
}
