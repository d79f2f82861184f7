/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the gateway counts, counted in one place. Operators read it through
 * portgatectl and the metrics; the names of reasons and opcodes are the
 * metric labels. */
#ifndef PORTGATE_DAEMON_STATS_H
#define PORTGATE_DAEMON_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/reason.h"

#include "daemon/target.h"

enum stat_counter {
	STAT_IGNORED,		/* datagrams left unanswered */
	STAT_WRONG_INTERFACE,	/* arrived elsewhere than through the tunnel */
	STAT_NOT_PEER_IGNORED,	/* malformed, from an address no peer owns */
	STAT_RATE_LIMITED,
	STAT_NFT_TRANSACTIONS,
	STAT_NFT_FAILURES,
	STAT_NFT_REBUILDS,	/* un-owned tables re-created after a change */
	STAT_CONNTRACK_DELETED,
	STAT_PEERS_VANISHED,	/* removed from the interface */
	STAT_PEERS_STALE,	/* handshake older than stale_handshake */
	STAT_EVENT_RUNS,	/* runs of the events program (events.h) */
	STAT_EVENT_FAILURES,	/* runs that could not start or did not exit 0 */
	STAT_EVENT_TIMEOUTS,	/* runs killed at their timeout */
	STAT_EVENTS_SENT,	/* events handed to a run */
	STAT_EVENTS_LOST,	/* events that found the queue full */
	STAT_UPNP_SEARCHES_ANSWERED,	/* SSDP searches for our device, answered */
	STAT_UPNP_SEARCHES_IGNORED,	/* not through the tunnel, not a peer's, malformed, not ours */
	STAT_UPNP_HTTP_REFUSED,	/* HTTP connections and calls not of a peer */
	STAT_COUNTER_COUNT
};

/* Request opcodes as metrics label them. */
enum stat_opcode {
	STAT_OP_EXTERNAL_ADDRESS,
	STAT_OP_MAP_UDP,
	STAT_OP_MAP_TCP,
	STAT_OP_OTHER,
	STAT_OP_COUNT
};
#define STAT_RESULT_COUNT 6	/* RFC 6886 result codes 0..5 */

/* PCP requests as metrics label them. */
enum stat_pcp_op {
	STAT_PCP_ANNOUNCE,
	STAT_PCP_MAP,
	STAT_PCP_OTHER,		/* other opcodes, versions, malformed */
	STAT_PCP_OP_COUNT
};
#define STAT_PCP_RESULT_COUNT 14	/* RFC 6887 result codes 0..13 */

enum mapping_event {
	EVENT_CREATED,
	EVENT_DELETED,		/* by the client */
	EVENT_EXPIRED,
	EVENT_DROPPED,		/* by the gateway, for a reason */
	EVENT_COUNT
};

/* nftables transaction latency: bucket i counts batches of at most
 * stats_latency_bounds_ms[i]; the last bucket is +Inf. */
#define STATS_LATENCY_BUCKETS 8
extern const double stats_latency_bounds_ms[STATS_LATENCY_BUCKETS - 1];

/* UPnP control calls as metrics label their results: 0 (success) and the
 * UPnP error codes answered (soap.h). */
#define STAT_UPNP_RESULT_COUNT 18
extern const int stats_upnp_results[STAT_UPNP_RESULT_COUNT];

struct stats {
	uint64_t counters[STAT_COUNTER_COUNT];
	uint64_t requests[STAT_OP_COUNT][STAT_RESULT_COUNT];
	uint64_t pcp_requests[STAT_PCP_OP_COUNT][STAT_PCP_RESULT_COUNT];
	uint64_t upnp_actions[STAT_UPNP_RESULT_COUNT];
	uint64_t events[EVENT_COUNT];
	uint64_t dropped[REASON_COUNT];
	/* Requests refused for the address a forward would point at. */
	uint64_t target_refused[TARGET_VERDICT_COUNT];
	uint64_t nft_latency[STATS_LATENCY_BUCKETS];
	double nft_latency_sum_ms;
};

void stats_count(struct stats *s, enum stat_counter c, uint64_t n);
/* A NAT-PMP request's opcode as counted (version and opcode errors are
 * counted as STAT_OP_OTHER by their callers). */
enum stat_opcode stats_opcode_of(uint8_t natpmp_opcode);
void stats_request(struct stats *s, enum stat_opcode op, uint16_t result);
void stats_pcp_request(struct stats *s, enum stat_pcp_op op, uint16_t result);
/* A UPnP control call answered with code (a code not listed counts as 501). */
void stats_upnp_action(struct stats *s, int code);
const char *stats_pcp_op_label(enum stat_pcp_op op);
/* A mapping created (created) or removed for a reason. */
void stats_mapping(struct stats *s, bool created, enum change_reason why);
void stats_nft_latency(struct stats *s, double ms);
void stats_target_refused(struct stats *s, enum target_verdict v);

const char *stats_opcode_label(enum stat_opcode op);
const char *stats_event_label(enum mapping_event e);

#endif
