/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCP (RFC 6887) on the request path: the same sockets, peers, policy,
 * quotas, rate limits and kernel transaction as NAT-PMP, and the same
 * mapping table: a port mapped through PCP is the forward NAT-PMP sees for
 * the same (peer, protocol, internal port), and the other way round.
 *
 * A mapping's identity is its peer and internal port, not PCP's nonce:
 * Tailscale sends a new nonce with every request, so a renewal or delete
 * under another nonce is served, not refused (RFC 6887 §11.3 would answer
 * NOT_AUTHORIZED; the WireGuard peer key already says who asks). */
#include "daemon/request.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "natpmp/pcp.h"
#include "util/addrclass.h"
#include "util/base64.h"
#include "util/log.h"

static enum stat_pcp_op op_label(const struct pcp_request *req)
{
	if (req->version != PCP_VERSION)
		return STAT_PCP_OTHER;
	return req->opcode == PCP_OP_MAP ? STAT_PCP_MAP
	       : req->opcode == PCP_OP_ANNOUNCE ? STAT_PCP_ANNOUNCE : STAT_PCP_OTHER;
}

static void answer_error(const struct serve_ctx *c, struct pending *p, uint16_t result)
{
	p->reply_len = pcp_encode_error(p->reply, sizeof(p->reply), &p->pcp, result,
					c->epoch);
	p->needs_commit = false;
	stats_pcp_request(c->stats, op_label(&p->pcp), result);
}

void pcp_settle(const struct serve_ctx *c, struct pending *p, bool committed)
{
	if (committed)
		stats_pcp_request(c->stats, op_label(&p->pcp), PCP_SUCCESS);
	else
		answer_error(c, p, PCP_NETWORK_FAILURE);
}

static uint16_t result_of(enum mapping_refusal why)
{
	switch (why) {
	case MAPPING_QUOTA:
		return PCP_USER_EX_QUOTA;
	case MAPPING_NOT_EXACT:
		return PCP_CANNOT_PROVIDE_EXTERNAL;
	default:
		return PCP_NO_RESOURCES;
	}
}

/* The internal address the mapping is for: the source, or a THIRD_PARTY
 * address of the same family (a host of the peer's routed subnet) that the
 * peer may name by the same rule as its source. false: refused. */
static bool internal_address(const struct serve_ctx *c, const struct pcp_request *req,
			     const uint8_t *peer, const struct ip_addr *src, struct ip_addr *out)
{
	*out = *src;
	if (!req->has_third_party)
		return true;
	if (ip_addr_is_v4(src) != ip_addr_is_v4(&req->third_party)) {
		char name[9];

		/* A lease is of one family: the source's. */
		stats_target_refused(c->stats, TARGET_NOT_OWNED);
		key_to_short(name, peer);
		log_warnx("pcp: peer %s asked for a THIRD_PARTY of the other family: refused",
			  name);
		return false;
	}
	if (!request_target_allowed(c, peer, &req->third_party))
		return false;
	*out = req->third_party;
	return true;
}

/* The address the mapping is reached at: ours (IPv4, NAT66) or, for a
 * routed pinhole, the peer's own. false: not known now. */
static bool external_address(const struct serve_ctx *c, enum mapping_space space,
			     const struct ip_addr *internal, struct ip_addr *out)
{
	const enum ip_family fam = mapping_space_family(space);

	if (space == MAPPING_SPACE_ROUTED6) {
		*out = *internal;
		return true;
	}
	*out = c->external[fam].addr;
	return c->external[fam].known;
}

/* Deletes of both protocols (protocol 0) are two requests. */
static void serve_delete_all(const struct serve_ctx *c, struct pending *p, struct mapping_request *mr,
			     const struct mapping_limits *lim, const struct ip_addr *ext)
{
	struct mapping_reply r;

	mr->proto = MAPPING_UDP;
	request_map(c, lim, mr, &r);
	mr->proto = MAPPING_TCP;
	request_map(c, lim, mr, &r);
	p->reply_len = pcp_encode_map(p->reply, sizeof(p->reply), &p->pcp,
				      c->epoch, 0, 0, ext);
	p->needs_commit = true;
}

static void serve_map(const struct serve_ctx *c, struct pending *p, const uint8_t *peer)
{
	const struct pcp_request *req = &p->pcp;
	struct mapping_limits lim;
	struct mapping_request mr = {
		.peer = peer,
		.via = MAPPING_VIA_PCP,
		.space = ip_addr_is_v4(&p->src) ? MAPPING_SPACE_IPV4 : c->space6,
		.internal_port = req->internal_port,
		.suggested_port = req->suggested_port,
		.exact_port = req->prefer_failure,
		.lifetime = req->lifetime,
	};
	struct mapping_reply r;
	struct ip_addr ext;

	if (!internal_address(c, req, peer, &p->src, &mr.addr)) {
		answer_error(c, p, PCP_NOT_AUTHORIZED);
		return;
	}
	if (!external_address(c, mr.space, &mr.addr, &ext)) {
		answer_error(c, p, PCP_NETWORK_FAILURE);
		return;
	}
	/* Another external address than ours can only be refused or ignored. */
	if (req->prefer_failure && !pcp_addr_any(&req->suggested_addr) &&
	    !ip_addr_equal(&req->suggested_addr, &ext)) {
		answer_error(c, p, PCP_CANNOT_PROVIDE_EXTERNAL);
		return;
	}
	policy_limits_for(c->policy, peer, &lim);
	if (req->protocol == 0 && req->lifetime == 0 && req->internal_port == 0) {
		serve_delete_all(c, p, &mr, &lim, &ext);
		return;
	}
	if (req->protocol != IPPROTO_TCP && req->protocol != IPPROTO_UDP) {
		answer_error(c, p, PCP_UNSUPP_PROTOCOL);
		return;
	}
	/* Internal port 0 asks for every port (§11.1): only a delete may. */
	if (req->internal_port == 0 && req->lifetime) {
		answer_error(c, p, PCP_MALFORMED_REQUEST);
		return;
	}
	mr.proto = req->protocol == IPPROTO_TCP ? MAPPING_TCP : MAPPING_UDP;
	request_map(c, &lim, &mr, &r);
	if (r.result != NATPMP_RESULT_SUCCESS) {
		answer_error(c, p, result_of(r.refusal));
		return;
	}
	p->reply_len = pcp_encode_map(p->reply, sizeof(p->reply), req, c->epoch,
				      r.lifetime, r.external_port, &ext);
	/* Stands or falls with the batch, as NAT-PMP's successes do. */
	p->needs_commit = true;
}

static const struct refusal_codes refusals = { PCP_NOT_AUTHORIZED, PCP_NO_RESOURCES };

bool pcp_serve(const struct serve_ctx *c, struct pending *p, const uint8_t *buf, size_t len)
{
	uint16_t result;
	enum pcp_verdict verdict = pcp_decode(buf, len, &p->pcp, &result);
	bool request = verdict == PCP_VERDICT_REQUEST;
	uint8_t peer[32];
	int answer;

	if (verdict == PCP_VERDICT_IGNORE) {
		stats_count(c->stats, STAT_IGNORED, 1);
		return false;
	}
	if (!request_authorize(c, p, buf, len, request, &refusals, peer, &answer)) {
		if (answer >= 0)
			answer_error(c, p, (uint16_t)answer);
		return answer >= 0;
	}
	if (!request) {
		answer_error(c, p, result);
		return true;
	}
	/* §8.3: the client's own idea of its address must be the source. */
	if (!ip_addr_equal(&p->pcp.client_addr, &p->src)) {
		answer_error(c, p, PCP_ADDRESS_MISMATCH);
		return true;
	}
	if (p->pcp.opcode == PCP_OP_ANNOUNCE) {
		p->reply_len = pcp_encode_announce(p->reply, sizeof(p->reply), c->epoch);
		stats_pcp_request(c->stats, STAT_PCP_ANNOUNCE, PCP_SUCCESS);
		return true;
	}
	serve_map(c, p, peer);
	return true;
}
