/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NAT-PMP wire format: exact bytes in, exact bytes out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "natpmp/codec.h"

static void decode_external_address_request(void **state)
{
	const uint8_t pkt[] = { 0, 0 };
	struct natpmp_request req;

	(void)state;
	assert_int_equal(natpmp_decode(pkt, sizeof(pkt), &req), NATPMP_VERDICT_REQUEST);
	assert_int_equal(req.opcode, NATPMP_OP_EXTERNAL_ADDRESS);
}

static void decode_mapping_request(void **state)
{
	const uint8_t pkt[] = { 0, 2, 0, 0, 0x1f, 0x90, 0x9c, 0x40, 0, 0, 0x0e, 0x10 };
	struct natpmp_request req;

	(void)state;
	assert_int_equal(natpmp_decode(pkt, sizeof(pkt), &req), NATPMP_VERDICT_REQUEST);
	assert_int_equal(req.opcode, NATPMP_OP_MAP_TCP);
	assert_int_equal(req.internal_port, 8080);
	assert_int_equal(req.suggested_external_port, 40000);
	assert_int_equal(req.lifetime, 3600);
}

/* Every length from 0 to 1100 for every opcode class gets one defined verdict. */
static void decode_every_length(void **state)
{
	uint8_t pkt[1100];
	struct natpmp_request req;

	(void)state;
	memset(pkt, 0xab, sizeof(pkt));
	for (size_t len = 0; len <= sizeof(pkt); len++) {
		pkt[0] = 0;
		for (int op = 0; op < 256; op += 1) {
			enum natpmp_verdict v;

			if (len > 1)
				pkt[1] = (uint8_t)op;
			v = natpmp_decode(pkt, len, &req);
			if (len < 2) {
				assert_int_equal(v, NATPMP_VERDICT_IGNORE);
				break;
			}
			if (op >= 128)
				assert_int_equal(v, NATPMP_VERDICT_IGNORE);
			else if (op == 0)
				assert_int_equal(v, NATPMP_VERDICT_REQUEST);
			else if (op <= 2)
				assert_int_equal(v, len < 12 ? NATPMP_VERDICT_IGNORE
							     : NATPMP_VERDICT_REQUEST);
			else
				assert_int_equal(v, NATPMP_VERDICT_BAD_OPCODE);
		}
	}
}

static void decode_wrong_versions(void **state)
{
	uint8_t pkt[60] = { 2, 1 };	/* PCP version 2, MAP opcode */
	struct natpmp_request req;

	(void)state;
	for (int version = 1; version < 256; version++) {
		pkt[0] = (uint8_t)version;
		pkt[1] = 1;
		assert_int_equal(natpmp_decode(pkt, sizeof(pkt), &req),
				 NATPMP_VERDICT_BAD_VERSION);
		assert_int_equal(natpmp_decode(pkt, 2, &req), NATPMP_VERDICT_BAD_VERSION);
		pkt[1] = 129;	/* a response of another version: silence */
		assert_int_equal(natpmp_decode(pkt, sizeof(pkt), &req),
				 NATPMP_VERDICT_IGNORE);
	}
}

static void encode_external_address(void **state)
{
	const uint8_t addr[4] = { 198, 51, 100, 1 };
	const uint8_t want[] = { 0, 128, 0, 0, 0, 0, 0x01, 0x2c, 198, 51, 100, 1 };
	uint8_t out[16];

	(void)state;
	assert_int_equal(natpmp_encode_external(out, sizeof(out), 0, 300, addr), 12);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(natpmp_encode_external(out, 11, 0, 300, addr), 0);
}

static void encode_mapping_reply(void **state)
{
	const uint8_t want[] = { 0, 130, 0, 0, 0, 0, 0, 7, 0x1f, 0x90, 0x9c, 0x40,
				 0, 0, 0x0e, 0x10 };
	uint8_t out[16];

	(void)state;
	assert_int_equal(natpmp_encode_mapping(out, sizeof(out), 2, 0, 7, 8080,
					       40000, 3600), 16);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(natpmp_encode_mapping(out, 15, 2, 0, 7, 8080, 40000, 3600), 0);
}

static void encode_errors_full_size_with_internal_port(void **state)
{
	struct natpmp_request map = { .opcode = 1, .internal_port = 51413 };
	struct natpmp_request ext = { .opcode = 0 };
	const uint8_t want_map[] = { 0, 129, 0, 2, 0, 0, 0, 9, 0xc8, 0xd5, 0, 0,
				     0, 0, 0, 0 };
	const uint8_t want_ext[] = { 0, 128, 0, 3, 0, 0, 0, 9, 0, 0, 0, 0 };
	uint8_t out[16];

	(void)state;
	assert_int_equal(natpmp_encode_error(out, sizeof(out), &map, 2, 9), 16);
	assert_memory_equal(out, want_map, sizeof(want_map));
	assert_int_equal(natpmp_encode_error(out, sizeof(out), &ext, 3, 9), 12);
	assert_memory_equal(out, want_ext, sizeof(want_ext));
}

static void encode_bad_version_is_8_bytes(void **state)
{
	const uint8_t want[] = { 0, 129, 0, 1, 0, 0, 0x10, 0 };
	uint8_t out[16];

	(void)state;
	assert_int_equal(natpmp_encode_bad_version(out, sizeof(out), 1, 4096), 8);
	assert_memory_equal(out, want, sizeof(want));
}

static void encode_bad_opcode(void **state)
{
	const uint8_t req[] = { 0, 3, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	const uint8_t want[] = { 0, 131, 0, 5, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8 };
	const uint8_t short_req[] = { 0, 77 };
	const uint8_t want_short[] = { 0, 205, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0 };
	uint8_t out[16];

	(void)state;
	assert_int_equal(natpmp_encode_bad_opcode(out, sizeof(out), req, sizeof(req), 1), 16);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(natpmp_encode_bad_opcode(out, sizeof(out), short_req,
						  sizeof(short_req), 1), 16);
	assert_memory_equal(out, want_short, sizeof(want_short));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decode_external_address_request),
		cmocka_unit_test(decode_mapping_request),
		cmocka_unit_test(decode_every_length),
		cmocka_unit_test(decode_wrong_versions),
		cmocka_unit_test(encode_external_address),
		cmocka_unit_test(encode_mapping_reply),
		cmocka_unit_test(encode_errors_full_size_with_internal_port),
		cmocka_unit_test(encode_bad_version_is_8_bytes),
		cmocka_unit_test(encode_bad_opcode),
	};

	return cmocka_run_group_tests_name("natpmp codec", tests, NULL, NULL);
}
