/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The request path's shared parts: request.c reads, authorizes, batches
 * and answers; natpmp_serve.c, pcp_serve.c and upnp_serve.c decide each
 * protocol's answers. Private to those four. */
#ifndef PORTGATE_DAEMON_REQUEST_H
#define PORTGATE_DAEMON_REQUEST_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/policy.h"
#include "daemon/stats.h"
#include "natpmp/codec.h"
#include "natpmp/mapping.h"
#include "natpmp/pcp.h"
#include "upnp/igd.h"
#include "util/ipaddr.h"

struct request_batch;
struct upnp_descs;

/* What a protocol's serve module sees of the gateway, filled by the
 * request path once per batch: the serve modules never see struct
 * gateway, and a third protocol plugs in the same way. */
struct serve_ctx {
	struct request_batch *batch;	/* request.c's, for the calls below */
	struct mapping_table *mappings;	/* inside the batch's transaction */
	const struct policy *policy;
	struct stats *stats;
	uint32_t epoch;
	int64_t now_ms;
	/* The external address of each family (enum ip_family; IPv6:
	 * nat66's) as clients are told it (advertise). */
	struct {
		bool known;
		struct ip_addr addr;
	} external[IP_FAMILIES];
	enum mapping_space space6;	/* where a peer's IPv6 mapping lives */
	struct upnp_descs *upnp_descs;	/* UPnP mappings' descriptions */
	uint32_t uptime_s;		/* UPnP's GetStatusInfo */
};

/* A datagram's source as the socket API writes it: the reply goes back
 * to it as it came (an IPv6 scope included). */
union source_addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

/* One datagram of a batch and its answer. */
struct pending {
	int fd;				/* the socket it came in on */
	bool heard;			/* came through the tunnel */
	bool is_pcp;			/* version 1 and up, with pcp: true */
	union source_addr from;		/* IPv4 or IPv6, for the reply */
	struct ip_addr src;		/* from's address: what everything else reads */
	struct natpmp_request req;
	struct pcp_request pcp;
	uint8_t reply[PCP_MAX_LEN];
	size_t reply_len;
	bool needs_commit;	/* a success that holds only if the kernel commits */
};

/* A protocol's result codes for the two refusals of the peer check. */
struct refusal_codes {
	uint16_t not_authorized;
	uint16_t rate_limited;
};
/* Who asks, for both protocols: true for a peer the policy serves within
 * its rate (peer filled). false otherwise, with *answer the protocol's
 * code to answer, or -1 for no answer at all (held until the peers are
 * read again, or not a valid request from someone it would be refused to:
 * an error answer goes to peers within their rate only). request: the
 * datagram is a valid request. */
bool request_authorize(const struct serve_ctx *c, struct pending *p, const uint8_t *buf,
		       size_t len, bool request, const struct refusal_codes *codes,
		       uint8_t peer[32], int *answer);

/* mapping_table_request, for every mapping request of the batch: one that
 * takes a new port first has the gateway's own services read for this
 * batch, so that the allocator's port_busy predicate only looks. */
void request_map(const struct serve_ctx *c, const struct mapping_limits *lim,
		 const struct mapping_request *mr, struct mapping_reply *r);

/* Whether peer may have a forward to addr: gateway_check_target's rule;
 * a refusal is logged and counted. */
bool request_target_allowed(const struct serve_ctx *c, const uint8_t *peer,
			    const struct ip_addr *addr);

/* One serve module per protocol (natpmp_serve.c, pcp_serve.c), the same
 * two calls each: serve decides the answer for a datagram inside the
 * batch's mapping transaction (false: it gets none), and a success that
 * needs the kernel (needs_commit) is settled once the batch committed or
 * was refused (it becomes the protocol's "network failure"). */
bool natpmp_serve(const struct serve_ctx *c, struct pending *p, const uint8_t *buf,
		  size_t len);
void natpmp_settle(const struct serve_ctx *c, struct pending *p, bool committed);
bool pcp_serve(const struct serve_ctx *c, struct pending *p, const uint8_t *buf, size_t len);
void pcp_settle(const struct serve_ctx *c, struct pending *p, bool committed);

/* UPnP (upnp_serve.c): a control call over HTTP, one peer's, answered
 * after its batch (one call, one transaction) committed. */
struct upnp_call {
	const uint8_t *peer;
	struct igd_request *req;
	struct igd_result *res;
	struct igd_entry *list;		/* room for the range calls' entries */
	size_t list_cap;
	size_t nlisted;			/* DeletePortMappingRange: deleted, in list */
	bool needs_commit;		/* a success that holds only if the kernel commits */
};
/* UPNP_OK with u->res filled, or the UPnP error code to answer. */
int upnp_serve(const struct serve_ctx *c, struct upnp_call *u);
/* The code to answer once the batch was committed or refused (501). */
int upnp_settle(const struct serve_ctx *c, const struct upnp_call *u, int code,
		bool committed);

#endif
