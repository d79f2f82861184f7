/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "natpmp/codec.h"
#include "natpmp/wire.h"

#include <stdbool.h>
#include <string.h>

enum natpmp_verdict natpmp_decode(const uint8_t *buf, size_t len,
				  struct natpmp_request *req)
{
	struct reader r = { .buf = buf, .len = len };
	uint16_t reserved;

	memset(req, 0, sizeof(*req));
	if (!read_u8(&r, &req->version) || !read_u8(&r, &req->opcode))
		return NATPMP_VERDICT_IGNORE;
	/* RFC 6886 §3.5: anything with the top bit set is a response; answering
	 * it could start a loop between two gateways. */
	if (req->opcode >= NATPMP_OP_RESPONSE)
		return NATPMP_VERDICT_IGNORE;
	if (req->version != 0)
		return NATPMP_VERDICT_BAD_VERSION;
	if (req->opcode == NATPMP_OP_EXTERNAL_ADDRESS)
		return NATPMP_VERDICT_REQUEST;
	if (req->opcode != NATPMP_OP_MAP_UDP && req->opcode != NATPMP_OP_MAP_TCP)
		return NATPMP_VERDICT_BAD_OPCODE;
	/* A truncated mapping request has no internal port to echo, and a
	 * reply without it is dropped by every client: stay silent. */
	if (!read_u16(&r, &reserved) || !read_u16(&r, &req->internal_port) ||
	    !read_u16(&r, &req->suggested_external_port) ||
	    !read_u32(&r, &req->lifetime))
		return NATPMP_VERDICT_IGNORE;
	return NATPMP_VERDICT_REQUEST;
}

size_t natpmp_encode_external(uint8_t *out, size_t cap, uint16_t result,
			      uint32_t epoch, const uint8_t addr[4])
{
	static const uint8_t zero[4];
	struct writer w = { .buf = out, .cap = cap };

	write_u8(&w, 0);
	write_u8(&w, NATPMP_OP_RESPONSE + NATPMP_OP_EXTERNAL_ADDRESS);
	write_u16(&w, result);
	write_u32(&w, epoch);
	write_bytes(&w, addr && result == NATPMP_RESULT_SUCCESS ? addr : zero, 4);
	return writer_done(&w);
}

size_t natpmp_encode_mapping(uint8_t *out, size_t cap, uint8_t opcode,
			     uint16_t result, uint32_t epoch,
			     uint16_t internal_port, uint16_t external_port,
			     uint32_t lifetime)
{
	struct writer w = { .buf = out, .cap = cap };

	write_u8(&w, 0);
	write_u8(&w, (uint8_t)(NATPMP_OP_RESPONSE + opcode));
	write_u16(&w, result);
	write_u32(&w, epoch);
	write_u16(&w, internal_port);
	write_u16(&w, external_port);
	write_u32(&w, lifetime);
	return writer_done(&w);
}

size_t natpmp_encode_error(uint8_t *out, size_t cap,
			   const struct natpmp_request *req, uint16_t result,
			   uint32_t epoch)
{
	if (req->opcode == NATPMP_OP_EXTERNAL_ADDRESS)
		return natpmp_encode_external(out, cap, result, epoch, NULL);
	/* RFC 6886 §3.3: on error the external port and lifetime are 0, but
	 * the internal port is the client's, so it can match the reply. */
	return natpmp_encode_mapping(out, cap, req->opcode, result, epoch,
				     req->internal_port, 0, 0);
}

size_t natpmp_encode_bad_version(uint8_t *out, size_t cap, uint8_t opcode,
				 uint32_t epoch)
{
	struct writer w = { .buf = out, .cap = cap };

	write_u8(&w, 0);
	write_u8(&w, (uint8_t)(NATPMP_OP_RESPONSE | opcode));
	write_u16(&w, NATPMP_RESULT_UNSUPPORTED_VERSION);
	write_u32(&w, epoch);
	return writer_done(&w);
}

size_t natpmp_encode_bad_opcode(uint8_t *out, size_t cap, const uint8_t *req,
				size_t req_len, uint32_t epoch)
{
	struct writer w = { .buf = out, .cap = cap };
	uint8_t opcode = req_len > 1 ? req[1] : 0;

	write_u8(&w, 0);
	write_u8(&w, (uint8_t)(NATPMP_OP_RESPONSE | opcode));
	write_u16(&w, NATPMP_RESULT_UNSUPPORTED_OPCODE);
	write_u32(&w, epoch);
	for (size_t i = 4; i < 12; i++)
		write_u8(&w, i < req_len ? req[i] : 0);
	return writer_done(&w);
}

const char *natpmp_result_name(uint16_t result)
{
	switch (result) {
	case NATPMP_RESULT_SUCCESS: return "success";
	case NATPMP_RESULT_UNSUPPORTED_VERSION: return "unsupported_version";
	case NATPMP_RESULT_NOT_AUTHORIZED: return "not_authorized";
	case NATPMP_RESULT_NETWORK_FAILURE: return "network_failure";
	case NATPMP_RESULT_OUT_OF_RESOURCES: return "out_of_resources";
	case NATPMP_RESULT_UNSUPPORTED_OPCODE: return "unsupported_opcode";
	}
	return "unknown";
}
