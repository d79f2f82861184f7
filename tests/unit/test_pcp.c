/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The PCP codec: requests as real clients send them, every result code the
 * decoder gives, and replies byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "natpmp/pcp.h"
#include "util/addrclass.h"

/* libtorrent's MAP: TCP 6881, suggested ::ffff:0.0.0.0 port 6881, 3600 s,
 * from 10.66.0.2, no options: 60 bytes. */
static const uint8_t lt_map[60] = {
	2, 1, 0, 0, 0, 0, 0x0e, 0x10,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 66, 0, 2,
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,		/* nonce */
	6, 0, 0, 0, 0x1a, 0xe1, 0x1a, 0xe1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0,
};

static enum pcp_verdict decode(const uint8_t *buf, size_t len, struct pcp_request *req,
			       uint16_t *result)
{
	return pcp_decode(buf, len, req, result);
}

static void libtorrent_map_decodes(void **state)
{
	struct pcp_request req;
	uint16_t result = 99;
	uint32_t v4;

	(void)state;
	assert_int_equal(decode(lt_map, sizeof(lt_map), &req, &result), PCP_VERDICT_REQUEST);
	assert_int_equal(result, PCP_SUCCESS);
	assert_int_equal(req.opcode, PCP_OP_MAP);
	assert_int_equal(req.lifetime, 3600);
	assert_true(addr_v4(req.client_addr.b, &v4));
	assert_int_equal(v4, 0x0a420002);
	assert_int_equal(req.protocol, 6);
	assert_int_equal(req.internal_port, 6881);
	assert_int_equal(req.suggested_port, 6881);
	assert_true(pcp_addr_any(&req.suggested_addr));
	assert_memory_equal(req.nonce, lt_map + 24, 12);
	assert_false(req.prefer_failure);
	assert_false(req.has_third_party);
}

/* A request with one option appended (code, length, data padded). */
static size_t with_option(uint8_t *out, uint8_t code, const uint8_t *data, uint16_t len)
{
	size_t n = sizeof(lt_map);

	memcpy(out, lt_map, n);
	out[n] = code;
	out[n + 1] = 0;
	out[n + 2] = (uint8_t)(len >> 8);
	out[n + 3] = (uint8_t)len;
	memset(out + n + 4, 0, (size_t)((len + 3) & ~3));
	if (len)
		memcpy(out + n + 4, data, len);
	return n + 4 + (size_t)((len + 3) & ~3);
}

static void options(void **state)
{
	static const uint8_t third[16] = { [10] = 0xff, [11] = 0xff, 10, 66, 0, 9 };
	uint8_t filter[20] = { 0 }, buf[200];
	struct pcp_request req;
	uint16_t result;
	size_t n;

	(void)state;
	n = with_option(buf, PCP_OPTION_PREFER_FAILURE, NULL, 0);
	assert_int_equal(decode(buf, n, &req, &result), PCP_VERDICT_REQUEST);
	assert_true(req.prefer_failure);
	n = with_option(buf, PCP_OPTION_THIRD_PARTY, third, 16);
	assert_int_equal(decode(buf, n, &req, &result), PCP_VERDICT_REQUEST);
	assert_true(req.has_third_party);
	assert_memory_equal(req.third_party.b, third, 16);
	/* FILTER: "no filter" (prefix 0) is honoured; a real filter is not. */
	n = with_option(buf, PCP_OPTION_FILTER, filter, 20);
	assert_int_equal(decode(buf, n, &req, &result), PCP_VERDICT_REQUEST);
	assert_true(req.has_filter);
	filter[1] = 24;
	n = with_option(buf, PCP_OPTION_FILTER, filter, 20);
	assert_int_equal(decode(buf, n, &req, &result), PCP_VERDICT_ERROR);
	assert_int_equal(result, PCP_UNSUPP_OPTION);
	/* Unknown: mandatory (below 128) refused, optional ignored. */
	n = with_option(buf, 99, NULL, 0);
	assert_int_equal(decode(buf, n, &req, &result), PCP_VERDICT_ERROR);
	assert_int_equal(result, PCP_UNSUPP_OPTION);
	n = with_option(buf, 200, third, 4);
	assert_int_equal(decode(buf, n, &req, &result), PCP_VERDICT_REQUEST);
	/* Wrong length, and an option running past the end. */
	n = with_option(buf, PCP_OPTION_THIRD_PARTY, third, 8);
	assert_int_equal(decode(buf, n, &req, &result), PCP_VERDICT_ERROR);
	assert_int_equal(result, PCP_MALFORMED_OPTION);
	n = with_option(buf, PCP_OPTION_THIRD_PARTY, third, 16);
	buf[62] = 0;
	buf[63] = 40;
	assert_int_equal(decode(buf, n, &req, &result), PCP_VERDICT_ERROR);
	assert_int_equal(result, PCP_MALFORMED_OPTION);
	/* Twice. */
	n = with_option(buf, PCP_OPTION_PREFER_FAILURE, NULL, 0);
	memcpy(buf + n, buf + n - 4, 4);
	assert_int_equal(decode(buf, n + 4, &req, &result), PCP_VERDICT_ERROR);
	assert_int_equal(result, PCP_MALFORMED_OPTION);
}

static void errors_the_decoder_gives(void **state)
{
	uint8_t buf[1200] = { 0 };
	struct pcp_request req;
	uint16_t result;

	(void)state;
	memcpy(buf, lt_map, sizeof(lt_map));
	assert_int_equal(decode(buf, 1, &req, &result), PCP_VERDICT_IGNORE);
	buf[1] = 0x81;					/* a response */
	assert_int_equal(decode(buf, 60, &req, &result), PCP_VERDICT_IGNORE);
	buf[1] = 1;
	buf[0] = 1;					/* the pre-RFC version */
	assert_int_equal(decode(buf, 60, &req, &result), PCP_VERDICT_ERROR);
	assert_int_equal(result, PCP_UNSUPP_VERSION);
	buf[0] = 3;
	assert_int_equal(decode(buf, 60, &req, &result), PCP_VERDICT_ERROR);
	assert_int_equal(result, PCP_UNSUPP_VERSION);
	buf[0] = 2;
	assert_int_equal(decode(buf, 20, &req, &result), PCP_VERDICT_ERROR);
	assert_int_equal(result, PCP_MALFORMED_REQUEST);
	assert_int_equal(decode(buf, 58, &req, &result), PCP_VERDICT_ERROR);
	assert_int_equal(result, PCP_MALFORMED_REQUEST);	/* not a multiple of 4 */
	assert_int_equal(decode(buf, 56, &req, &result), PCP_VERDICT_ERROR);
	assert_int_equal(result, PCP_MALFORMED_REQUEST);	/* MAP cut short */
	assert_int_equal(decode(buf, 1104, &req, &result), PCP_VERDICT_ERROR);
	assert_int_equal(result, PCP_MALFORMED_REQUEST);	/* over 1100 */
	buf[1] = PCP_OP_PEER;
	assert_int_equal(decode(buf, 60, &req, &result), PCP_VERDICT_ERROR);
	assert_int_equal(result, PCP_UNSUPP_OPCODE);
	buf[1] = PCP_OP_ANNOUNCE;
	assert_int_equal(decode(buf, 24, &req, &result), PCP_VERDICT_REQUEST);
}

static void map_reply_is_exactly_60_bytes(void **state)
{
	static const uint8_t want[60] = {
		2, 0x81, 0, 0, 0, 0, 0x0e, 0x10, 0, 0, 0, 42,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
		6, 0, 0, 0, 0x1a, 0xe1, 0x5d, 0xc0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 1,
	};
	uint8_t out[PCP_MAX_LEN];
	struct ip_addr ext = ip_addr_from_v4(0xcb007101);
	struct pcp_request req;
	uint16_t result;

	(void)state;
	decode(lt_map, sizeof(lt_map), &req, &result);
	assert_int_equal(pcp_encode_map(out, sizeof(out), &req, 42, 3600, 24000, &ext), 60);
	assert_memory_equal(out, want, 60);
	assert_int_equal(pcp_encode_map(out, 59, &req, 42, 3600, 24000, &ext), 0);
}

static void honoured_options_come_back(void **state)
{
	uint8_t buf[200], out[PCP_MAX_LEN];
	struct pcp_request req;
	uint16_t result;
	size_t n = with_option(buf, PCP_OPTION_PREFER_FAILURE, NULL, 0);

	(void)state;
	decode(buf, n, &req, &result);
	assert_int_equal(pcp_encode_map(out, sizeof(out), &req, 1, 60, 24000, &req.client_addr), 64);
	assert_memory_equal(out + 60, "\x02\x00\x00\x00", 4);
	n = with_option(buf, 200, buf, 4);		/* ignored: not echoed */
	decode(buf, n, &req, &result);
	assert_int_equal(pcp_encode_map(out, sizeof(out), &req, 1, 60, 24000, &req.client_addr), 60);
}

static void error_reply_echoes_the_request(void **state)
{
	uint8_t out[PCP_MAX_LEN], buf[64];
	struct pcp_request req;
	uint16_t result;

	(void)state;
	decode(lt_map, sizeof(lt_map), &req, &result);
	assert_int_equal(pcp_encode_error(out, sizeof(out), &req, PCP_ADDRESS_MISMATCH, 7), 60);
	assert_memory_equal(out, "\x02\x81\x00\x0c\x00\x00\x07\x08\x00\x00\x00\x07", 12);
	assert_memory_equal(out + 24, lt_map + 24, 36);
	/* Short-lived: the gateway's own trouble. */
	assert_int_equal(pcp_encode_error(out, sizeof(out), &req, PCP_NO_RESOURCES, 7), 60);
	assert_memory_equal(out + 4, "\x00\x00\x00\x1e", 4);
	/* Another version: the header alone, with ours. */
	memcpy(buf, lt_map, sizeof(lt_map));
	buf[0] = 1;
	assert_int_equal(decode(buf, 60, &req, &result), PCP_VERDICT_ERROR);
	assert_int_equal(pcp_encode_error(out, sizeof(out), &req, result, 7), 24);
	assert_memory_equal(out, "\x02\x81\x00\x01", 4);
}

static void announce_reply(void **state)
{
	static const uint8_t want[24] = { 2, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2 };
	uint8_t out[24];

	(void)state;
	assert_int_equal(pcp_encode_announce(out, sizeof(out), 258), 24);
	assert_memory_equal(out, want, 24);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(libtorrent_map_decodes),
		cmocka_unit_test(options),
		cmocka_unit_test(errors_the_decoder_gives),
		cmocka_unit_test(map_reply_is_exactly_60_bytes),
		cmocka_unit_test(honoured_options_come_back),
		cmocka_unit_test(error_reply_echoes_the_request),
		cmocka_unit_test(announce_reply),
	};

	return cmocka_run_group_tests_name("pcp codec", tests, NULL, NULL);
}
