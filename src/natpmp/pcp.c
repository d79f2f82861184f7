/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCP (RFC 6887) requests in, replies out (§7 header, §11 MAP, §14
 * ANNOUNCE, §7.3 options). */
#include "natpmp/pcp.h"

#include <string.h>

#include "natpmp/wire.h"

#define MAP_BODY_LEN 36
#define OPTION_HEADER_LEN 4
#define THIRD_PARTY_LEN 16
#define FILTER_LEN 20

bool pcp_addr_any(const struct ip_addr *addr)
{
	static const struct ip_addr zero, zero4 = { { [10] = 0xff, [11] = 0xff } };

	return ip_addr_equal(addr, &zero) || ip_addr_equal(addr, &zero4);
}

/* One option; its code decides what is checked. 0, or a result code. */
static uint16_t read_option(struct reader *r, struct pcp_request *req)
{
	uint8_t code, reserved, prefix;
	uint16_t len;
	size_t start;

	if (!read_u8(r, &code) || !read_u8(r, &reserved) || !read_u16(r, &len) ||
	    r->len - r->pos < (size_t)((len + 3) & ~3u))
		return PCP_MALFORMED_OPTION;
	start = r->pos;
	r->pos += (size_t)((len + 3) & ~3u);	/* padded to 4 */
	switch (code) {
	case PCP_OPTION_THIRD_PARTY:
		if (req->opcode != PCP_OP_MAP || len != THIRD_PARTY_LEN || req->has_third_party)
			return PCP_MALFORMED_OPTION;
		req->has_third_party = true;
		memcpy(req->third_party.b, r->buf + start, THIRD_PARTY_LEN);
		return 0;
	case PCP_OPTION_PREFER_FAILURE:
		if (req->opcode != PCP_OP_MAP || len != 0 || req->prefer_failure)
			return PCP_MALFORMED_OPTION;
		req->prefer_failure = true;
		return 0;
	case PCP_OPTION_FILTER:
		if (req->opcode != PCP_OP_MAP || len != FILTER_LEN)
			return PCP_MALFORMED_OPTION;
		/* Filters are not kept: only "remove all filters" (prefix
		 * length 0) can be honoured as asked. */
		prefix = r->buf[start + 1];
		if (prefix != 0 || req->has_filter)
			return prefix ? PCP_UNSUPP_OPTION : PCP_MALFORMED_OPTION;
		req->has_filter = true;
		memcpy(req->filter, r->buf + start, FILTER_LEN);
		return 0;
	default:
		/* 128 and above may be ignored; below is mandatory. */
		return code < 128 ? PCP_UNSUPP_OPTION : 0;
	}
}

static uint16_t read_map(struct reader *r, struct pcp_request *req)
{
	uint8_t reserved[3];

	if (!read_bytes(r, req->nonce, PCP_NONCE_LEN) || !read_u8(r, &req->protocol) ||
	    !read_bytes(r, reserved, sizeof(reserved)) || !read_u16(r, &req->internal_port) ||
	    !read_u16(r, &req->suggested_port) || !read_bytes(r, req->suggested_addr.b, 16))
		return PCP_MALFORMED_REQUEST;
	return 0;
}

enum pcp_verdict pcp_decode(const uint8_t *buf, size_t len, struct pcp_request *req,
			    uint16_t *result)
{
	struct reader r = { buf, len < PCP_MAX_LEN ? len : PCP_MAX_LEN, 0 };
	uint8_t op;
	uint16_t reserved;

	memset(req, 0, sizeof(*req));
	*result = PCP_SUCCESS;
	/* §8.3: shorter than 2 octets, or a response: silently dropped. */
	if (len < 2 || (buf[1] & PCP_RESPONSE))
		return PCP_VERDICT_IGNORE;
	req->version = buf[0];
	req->opcode = buf[1];
	req->raw = buf;
	req->raw_len = r.len;
	if (req->version != PCP_VERSION) {
		*result = PCP_UNSUPP_VERSION;
		return PCP_VERDICT_ERROR;
	}
	r.pos = 2;
	if (len > PCP_MAX_LEN || len % 4 || !read_u16(&r, &reserved) ||
	    !read_u32(&r, &req->lifetime) || !read_bytes(&r, req->client_addr.b, 16)) {
		*result = PCP_MALFORMED_REQUEST;
		return PCP_VERDICT_ERROR;
	}
	op = req->opcode;
	if (op != PCP_OP_ANNOUNCE && op != PCP_OP_MAP) {
		*result = PCP_UNSUPP_OPCODE;
		return PCP_VERDICT_ERROR;
	}
	if (op == PCP_OP_MAP && (*result = read_map(&r, req)) != 0)
		return PCP_VERDICT_ERROR;
	while (r.pos < r.len)
		if ((*result = read_option(&r, req)) != 0)
			return PCP_VERDICT_ERROR;
	return PCP_VERDICT_REQUEST;
}

uint32_t pcp_error_lifetime(uint16_t result)
{
	switch (result) {
	case PCP_NETWORK_FAILURE:
	case PCP_NO_RESOURCES:
	case PCP_USER_EX_QUOTA:
	case PCP_CANNOT_PROVIDE_EXTERNAL:
	case PCP_EXCESSIVE_REMOTE_PEERS:
		return PCP_SHORT_ERROR_LIFETIME;
	default:
		return PCP_LONG_ERROR_LIFETIME;
	}
}

static void write_header(struct writer *w, uint8_t opcode, uint16_t result,
			 uint32_t lifetime, uint32_t epoch)
{
	write_u8(w, PCP_VERSION);
	write_u8(w, (uint8_t)(PCP_RESPONSE | opcode));
	write_u8(w, 0);
	write_u8(w, (uint8_t)result);
	write_u32(w, lifetime);
	write_u32(w, epoch);
	write_zeros(w, 12);
}

size_t pcp_encode_error(uint8_t *out, size_t cap, const struct pcp_request *req,
			uint16_t result, uint32_t epoch)
{
	struct writer w = { out, cap, 0, false };

	write_header(&w, req->opcode & 0x7f, result, pcp_error_lifetime(result), epoch);
	/* §8.3: what follows the header is the request's own, echoed. */
	if (req->version == PCP_VERSION && req->raw_len > PCP_HEADER_LEN)
		write_bytes(&w, req->raw + PCP_HEADER_LEN, req->raw_len - PCP_HEADER_LEN);
	return writer_done(&w);
}

size_t pcp_encode_announce(uint8_t *out, size_t cap, uint32_t epoch)
{
	struct writer w = { out, cap, 0, false };

	write_header(&w, PCP_OP_ANNOUNCE, PCP_SUCCESS, 0, epoch);
	return writer_done(&w);
}

size_t pcp_encode_map(uint8_t *out, size_t cap, const struct pcp_request *req,
		      uint32_t epoch, uint32_t lifetime, uint16_t external_port,
		      const struct ip_addr *external_addr)
{
	struct writer w = { out, cap, 0, false };

	write_header(&w, PCP_OP_MAP, PCP_SUCCESS, lifetime, epoch);
	write_bytes(&w, req->nonce, PCP_NONCE_LEN);
	write_u8(&w, req->protocol);
	write_zeros(&w, 3);
	write_u16(&w, req->internal_port);
	write_u16(&w, external_port);
	write_bytes(&w, external_addr->b, 16);
	if (req->has_third_party) {
		write_u8(&w, PCP_OPTION_THIRD_PARTY);
		write_u8(&w, 0);
		write_u16(&w, THIRD_PARTY_LEN);
		write_bytes(&w, req->third_party.b, THIRD_PARTY_LEN);
	}
	if (req->prefer_failure) {
		write_u8(&w, PCP_OPTION_PREFER_FAILURE);
		write_u8(&w, 0);
		write_u16(&w, 0);
	}
	if (req->has_filter) {
		write_u8(&w, PCP_OPTION_FILTER);
		write_u8(&w, 0);
		write_u16(&w, FILTER_LEN);
		write_bytes(&w, req->filter, FILTER_LEN);
	}
	return writer_done(&w);
}

const char *pcp_result_name(uint16_t result)
{
	static const char *const names[PCP_RESULT_COUNT] = {
		"success", "unsupp_version", "not_authorized", "malformed_request",
		"unsupp_opcode", "unsupp_option", "malformed_option", "network_failure",
		"no_resources", "unsupp_protocol", "user_ex_quota",
		"cannot_provide_external", "address_mismatch", "excessive_remote_peers",
	};

	return result < PCP_RESULT_COUNT ? names[result] : "unknown";
}
