/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: the input is a datagram for the decoders (NAT-PMP and
 * PCP requests, NAT-PMP responses as the client reads them), then a script of
 * requests, expiries, drops, static forwards and rollbacks for the mapping
 * state. After every
 * step the state's own invariants are checked. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "natpmp/codec.h"
#include "natpmp/mapping.h"
#include "natpmp/pcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_decode(const uint8_t *data, size_t size)
{
	struct natpmp_request req;
	uint8_t out[NATPMP_MAX_RESPONSE_LEN];
	size_t n = 0;

	switch (natpmp_decode(data, size, &req)) {
	case NATPMP_VERDICT_REQUEST:
		n = natpmp_encode_error(out, sizeof(out), &req, 2, 1);
		if (n != (req.opcode ? 16u : 12u))
			abort();
		break;
	case NATPMP_VERDICT_BAD_VERSION:
		n = natpmp_encode_bad_version(out, sizeof(out), req.opcode, 1);
		if (n != 8)
			abort();
		break;
	case NATPMP_VERDICT_BAD_OPCODE:
		n = natpmp_encode_bad_opcode(out, sizeof(out), data, size, 1);
		if (n != 16)
			abort();
		break;
	case NATPMP_VERDICT_IGNORE:
		break;
	}
}

/* PCP: every verdict's answer has the size the RFC gives it. */
static void check_pcp(const uint8_t *data, size_t size)
{
	static uint8_t out[PCP_MAX_LEN];
	struct pcp_request req;
	uint16_t result;
	size_t n;

	switch (pcp_decode(data, size, &req, &result)) {
	case PCP_VERDICT_REQUEST:
		n = req.opcode == PCP_OP_ANNOUNCE
			? pcp_encode_announce(out, sizeof(out), 1)
			: pcp_encode_map(out, sizeof(out), &req, 1, 60, 2000, &req.client_addr);
		if (n < PCP_HEADER_LEN || n % 4 || (req.opcode == PCP_OP_MAP && n < PCP_MAP_LEN))
			abort();
		/* fall through: an error answer is possible for any request */
	case PCP_VERDICT_ERROR:
		n = pcp_encode_error(out, sizeof(out), &req, result, 1);
		if (n < PCP_HEADER_LEN || n > PCP_MAX_LEN ||
		    (req.version == PCP_VERSION && req.raw_len > PCP_HEADER_LEN &&
		     n != req.raw_len))
			abort();
		break;
	case PCP_VERDICT_IGNORE:
		break;
	}
}

/* The client's side: a gateway's answer, as portgate-client reads it. */
static void check_response(const uint8_t *data, size_t size)
{
	struct natpmp_response r;

	if (natpmp_decode_response(data, size, &r) && r.result == NATPMP_RESULT_SUCCESS &&
	    size < (r.opcode == NATPMP_OP_EXTERNAL_ADDRESS ? 12u : 16u) &&
	    r.opcode <= NATPMP_OP_MAP_TCP)
		abort();	/* a success is never short */
}

struct counter {
	const struct mapping_table *t;
	size_t n[2], statics[2];
};

/* Every dynamic mapping is found again by both of its keys; a static one
 * by its port only, never by a client's key, and it never expires. */
static void count_view(const struct mapping_view *v, void *arg)
{
	struct counter *c = arg;
	struct mapping_view by_port, by_key;
	bool keyed = mapping_table_find_in(c->t, MAPPING_SPACE_IPV4, v->peer, v->proto, v->internal_port, &by_key);

	if (!v->external_port || !v->lifetime)
		abort();
	if (!mapping_table_find_by_port(c->t, MAPPING_SPACE_IPV4, v->proto, v->external_port, &by_port) ||
	    memcmp(by_port.peer, v->peer, MAPPING_PEER_KEY_LEN))
		abort();
	if (v->is_static) {
		if ((keyed && by_key.external_port == v->external_port) ||
		    v->expires_ms != INT64_MAX)
			abort();
		c->statics[v->proto]++;
	} else if (v->external_port == 2003 || !keyed ||
		   by_key.external_port != v->external_port) {
		abort();
	}
	c->n[v->proto]++;
}

static void check_invariants(struct mapping_table *t)
{
	struct counter c = { t, { 0, 0 }, { 0, 0 } };

	mapping_table_foreach(t, count_view, &c);
	if (c.n[0] != mapping_table_count(t, MAPPING_UDP) ||
	    c.n[1] != mapping_table_count(t, MAPPING_TCP) ||
	    c.statics[0] != mapping_table_count_static(t, MAPPING_UDP) ||
	    c.statics[1] != mapping_table_count_static(t, MAPPING_TCP))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t peers[3][32] = { { 1 }, { 2 }, { 3 } };
	struct mapping_limits limits = {
		.port_min = 2000, .port_max = 2015, .per_peer = 6,
		.lifetime_min = 2, .lifetime_max = 50,
	};
	struct mapping_table *t;
	int64_t now = 0;

	check_decode(data, size);
	check_pcp(data, size);
	check_response(data, size);
	t = mapping_table_new();
	mapping_table_reserve_port(t, 2003, true);
	for (size_t i = 0; i + 4 <= size; i += 4) {
		const uint8_t *op = data + i;
		struct mapping_request req = {
			.peer = peers[op[0] % 3], .addr = ip_addr_from_v4(op[0]),
			.proto = (op[1] & 1) ? MAPPING_TCP : MAPPING_UDP,
			.internal_port = op[2] % 8,
			.suggested_port = (uint16_t)(1995 + op[3] % 25),
			.lifetime = (op[1] >> 1) % 4 == 0 ? 0 : op[3] % 64,
		};
		struct mapping_reply reply;
		struct mapping_view fixed = {
			.peer = req.peer, .addr = req.addr, .proto = req.proto,
			.external_port = req.suggested_port,
			.target_port = (uint16_t)(req.internal_port + 1),
		};
		struct mapping_view held;

		mapping_table_begin(t);
		switch (op[0] >> 4) {
		case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
			mapping_table_request(t, &limits, &req, now, &reply);
			if (reply.result == 0 && req.lifetime &&
			    (!reply.external_port || !reply.lifetime ||
			     reply.external_port == 2003))
				abort();
			/* A static port is never the answer. */
			if (reply.result == 0 && req.lifetime &&
			    mapping_table_find_by_port(t, MAPPING_SPACE_IPV4, req.proto, reply.external_port, &held) &&
			    held.is_static)
				abort();
			break;
		case 8: case 9:
			now += op[3] * 100;
			mapping_table_expire(t, now);
			break;
		case 10:
			mapping_table_drop_peer(t, req.peer, (op[3] & 1) ? MAPPING_ANY
								       : MAPPING_DYNAMIC);
			break;
		case 11:
			if (mapping_table_put_static(t, &fixed) == -ENOMEM) {
				mapping_table_rollback(t);	/* as the contract asks */
				continue;
			}
			break;
		default:
			mapping_table_drop_port(t, MAPPING_SPACE_IPV4, req.proto, req.suggested_port);
			break;
		}
		if (op[1] & 0x80)
			mapping_table_rollback(t);
		else
			mapping_table_commit(t);
		/* The full walk is 65,536 slots: now and then, and at the end. */
		if ((i / 4) % 16 == 15)
			check_invariants(t);
	}
	check_invariants(t);
	mapping_table_free(t);
	return 0;
}
