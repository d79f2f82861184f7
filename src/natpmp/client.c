/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NAT-PMP (RFC 6886) as a client speaks it: requests out, responses in. */
#include "natpmp/codec.h"
#include "natpmp/wire.h"

#include <string.h>

size_t natpmp_encode_request(uint8_t *out, size_t cap, uint8_t opcode,
			     uint16_t internal_port, uint16_t suggested_port,
			     uint32_t lifetime)
{
	struct writer w = { .buf = out, .cap = cap };

	write_u8(&w, 0);
	write_u8(&w, opcode);
	if (opcode != NATPMP_OP_EXTERNAL_ADDRESS) {
		write_u16(&w, 0);
		write_u16(&w, internal_port);
		write_u16(&w, suggested_port);
		write_u32(&w, lifetime);
	}
	return writer_done(&w);
}

bool natpmp_decode_response(const uint8_t *buf, size_t len, struct natpmp_response *r)
{
	struct reader rd = { buf, len, 0 };
	uint8_t version, op;

	memset(r, 0, sizeof(*r));
	if (!read_u8(&rd, &version) || !read_u8(&rd, &op) || version != 0 ||
	    !(op & NATPMP_OP_RESPONSE) || !read_u16(&rd, &r->result) ||
	    !read_u32(&rd, &r->epoch))
		return false;
	r->opcode = (uint8_t)(op & ~NATPMP_OP_RESPONSE);
	if (r->opcode == NATPMP_OP_EXTERNAL_ADDRESS) {
		if (!read_u32(&rd, &r->addr))
			return r->result != NATPMP_RESULT_SUCCESS;
		return true;
	}
	if (r->opcode != NATPMP_OP_MAP_UDP && r->opcode != NATPMP_OP_MAP_TCP)
		return r->result != NATPMP_RESULT_SUCCESS;
	if (!read_u16(&rd, &r->internal_port) || !read_u16(&rd, &r->external_port) ||
	    !read_u32(&rd, &r->lifetime))
		return r->result != NATPMP_RESULT_SUCCESS;
	return true;
}
