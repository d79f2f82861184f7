/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NAT-PMP (RFC 6886) on the request path: one datagram's answer, decided
 * inside the batch's mapping transaction (request.c reads, authorizes and
 * sends), and settled once the kernel answered the batch. */
#include "daemon/request.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "natpmp/codec.h"

static void answer_error(const struct serve_ctx *c, struct pending *p, uint16_t result)
{
	p->reply_len = natpmp_encode_error(p->reply, sizeof(p->reply), &p->req,
					   result, c->epoch);
	stats_request(c->stats, stats_opcode_of(p->req.opcode), result);
}

static void serve_mapping(const struct serve_ctx *c, struct pending *p, const uint8_t *peer,
			  uint32_t src)
{
	struct mapping_limits lim;
	struct mapping_request mr = {
		.peer = peer, .addr = ip_addr_from_v4(src),
		.proto = p->req.opcode == NATPMP_OP_MAP_TCP ? MAPPING_TCP : MAPPING_UDP,
		.internal_port = p->req.internal_port,
		.suggested_port = p->req.suggested_external_port,
		.lifetime = p->req.lifetime,
	};
	struct mapping_reply r;

	policy_limits_for(c->policy, peer, &lim);
	request_map(c, &lim, &mr, &r);
	p->reply_len = natpmp_encode_mapping(p->reply, sizeof(p->reply),
					     p->req.opcode, r.result, c->epoch,
					     p->req.internal_port, r.external_port,
					     r.lifetime);
	/* Every success of the batch (a renewal, a retransmit, the other
	 * protocol of a port created by the same batch) stands or falls
	 * with the batch: counted once the kernel has answered. */
	p->needs_commit = r.result == NATPMP_RESULT_SUCCESS;
	if (!p->needs_commit)
		stats_request(c->stats, stats_opcode_of(p->req.opcode), r.result);
}

static void serve_external(const struct serve_ctx *c, struct pending *p)
{
	size_t len;
	const uint8_t *be = ip_addr_bytes(&c->external[IP_V4].addr, &len);

	if (!c->external[IP_V4].known) {
		answer_error(c, p, NATPMP_RESULT_NETWORK_FAILURE);
		return;
	}
	p->reply_len = natpmp_encode_external(p->reply, sizeof(p->reply),
					      NATPMP_RESULT_SUCCESS, c->epoch,
					      be);
	stats_request(c->stats, STAT_OP_EXTERNAL_ADDRESS, NATPMP_RESULT_SUCCESS);
}

/* Version and opcode errors: answered to peers only, within their rate,
 * so that a short datagram never turns into a longer one toward anyone
 * else. */
static void answer_malformed(const struct serve_ctx *c, struct pending *p,
			     enum natpmp_verdict verdict, const uint8_t *buf, size_t len)
{
	if (verdict == NATPMP_VERDICT_BAD_VERSION) {
		/* libtorrent probes with PCP first and waits 2 hours on
		 * silence: this 8-byte answer sends it to NAT-PMP now. */
		p->reply_len = natpmp_encode_bad_version(p->reply, sizeof(p->reply),
							 p->req.opcode, c->epoch);
		stats_request(c->stats, STAT_OP_OTHER, NATPMP_RESULT_UNSUPPORTED_VERSION);
	} else {
		p->reply_len = natpmp_encode_bad_opcode(p->reply, sizeof(p->reply), buf,
							len, c->epoch);
		stats_request(c->stats, STAT_OP_OTHER, NATPMP_RESULT_UNSUPPORTED_OPCODE);
	}
}

static const struct refusal_codes refusals = {
	NATPMP_RESULT_NOT_AUTHORIZED, NATPMP_RESULT_OUT_OF_RESOURCES,
};

/* Decides the answer for one NAT-PMP datagram; false when it gets none. */
bool natpmp_serve(const struct serve_ctx *c, struct pending *p, const uint8_t *buf, size_t len)
{
	enum natpmp_verdict verdict = natpmp_decode(buf, len, &p->req);
	bool request = verdict == NATPMP_VERDICT_REQUEST;
	uint8_t peer[32];
	int answer;

	if (verdict == NATPMP_VERDICT_IGNORE) {
		stats_count(c->stats, STAT_IGNORED, 1);
		return false;
	}
	if (!request_authorize(c, p, buf, len, request, &refusals, peer, &answer)) {
		if (answer >= 0)
			answer_error(c, p, (uint16_t)answer);
		return answer >= 0;
	}
	if (!request)
		answer_malformed(c, p, verdict, buf, len);
	else if (p->req.opcode == NATPMP_OP_EXTERNAL_ADDRESS)
		serve_external(c, p);
	else
		serve_mapping(c, p, peer, ip_addr_v4(&p->src));
	return true;
}


void natpmp_settle(const struct serve_ctx *c, struct pending *p, bool committed)
{
	if (committed)
		stats_request(c->stats, stats_opcode_of(p->req.opcode), NATPMP_RESULT_SUCCESS);
	else
		answer_error(c, p, NATPMP_RESULT_NETWORK_FAILURE);
}
