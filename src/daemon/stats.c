/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/stats.h"

#include <stdbool.h>

#include "natpmp/codec.h"

const double stats_latency_bounds_ms[STATS_LATENCY_BUCKETS - 1] = {
	0.5, 1, 2, 5, 10, 25, 100,
};

void stats_count(struct stats *s, enum stat_counter c, uint64_t n)
{
	s->counters[c] += n;
}

enum stat_opcode stats_opcode_of(uint8_t op)
{
	switch (op) {
	case NATPMP_OP_EXTERNAL_ADDRESS: return STAT_OP_EXTERNAL_ADDRESS;
	case NATPMP_OP_MAP_UDP: return STAT_OP_MAP_UDP;
	case NATPMP_OP_MAP_TCP: return STAT_OP_MAP_TCP;
	default: return STAT_OP_OTHER;
	}
}

void stats_request(struct stats *s, enum stat_opcode op, uint16_t result)
{
	if (result < STAT_RESULT_COUNT)
		s->requests[op][result]++;
}

void stats_pcp_request(struct stats *s, enum stat_pcp_op op, uint16_t result)
{
	if (result < STAT_PCP_RESULT_COUNT)
		s->pcp_requests[op][result]++;
}

const char *stats_pcp_op_label(enum stat_pcp_op op)
{
	static const char *const labels[STAT_PCP_OP_COUNT] = { "announce", "map", "other" };

	return labels[op];
}

void stats_mapping(struct stats *s, bool created, enum change_reason why)
{
	if (created)
		s->events[EVENT_CREATED]++;
	else if (why == REASON_CLIENT)
		s->events[EVENT_DELETED]++;
	else if (why == REASON_EXPIRED)
		s->events[EVENT_EXPIRED]++;
	else {
		s->events[EVENT_DROPPED]++;
		s->dropped[why]++;
	}
}

const int stats_upnp_results[STAT_UPNP_RESULT_COUNT] = {
	0, 401, 402, 501, 606, 713, 714, 716, 718, 724, 725, 726, 727, 728, 729, 730, 732, 733,
};

void stats_upnp_action(struct stats *s, int code)
{
	size_t other = 3;	/* 501 */

	for (size_t i = 0; i < STAT_UPNP_RESULT_COUNT; i++)
		if (stats_upnp_results[i] == code) {
			s->upnp_actions[i]++;
			return;
		}
	s->upnp_actions[other]++;
}

void stats_target_refused(struct stats *s, enum target_verdict v)
{
	s->target_refused[v]++;
}

void stats_nft_latency(struct stats *s, double ms)
{
	size_t i = 0;

	while (i < STATS_LATENCY_BUCKETS - 1 && ms > stats_latency_bounds_ms[i])
		i++;
	s->nft_latency[i]++;
	s->nft_latency_sum_ms += ms;
}

const char *stats_opcode_label(enum stat_opcode op)
{
	static const char *labels[STAT_OP_COUNT] = { "0", "1", "2", "other" };

	return labels[op];
}

const char *stats_event_label(enum mapping_event e)
{
	static const char *labels[EVENT_COUNT] = {
		"created", "deleted", "expired", "dropped",
	};

	return labels[e];
}
