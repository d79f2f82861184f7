/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/prometheus.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/gateway.h"
#include "daemon/stats.h"
#include "natpmp/codec.h"
#include "natpmp/pcp.h"
#include "wgpeer/tracker.h"

struct text {
	char *buf;
	size_t len, cap;
	bool failed;	/* out of memory: the whole text is dropped */
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	while (!t->failed) {
		char *grown;

		va_start(ap, fmt);
		n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (t->buf && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		grown = realloc(t->buf, (t->cap + (size_t)n + 1) * 2);
		if (!grown) {
			t->failed = true;
			return;
		}
		t->buf = grown;
		t->cap = (t->cap + (size_t)n + 1) * 2;
	}
}

static void head(struct text *t, const char *name, const char *type, const char *help)
{
	add(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A metric of one unlabelled sample. */
static void single(struct text *t, const char *name, const char *type,
		   const char *help, double value)
{
	head(t, name, type, help);
	add(t, "%s %.17g\n", name, value);
}

static void requests(struct text *t, const struct stats *s)
{
	head(t, "portgate_requests_total", "counter",
	     "NAT-PMP requests answered, by opcode and result.");
	for (int op = 0; op < STAT_OP_COUNT; op++)
		for (int r = 0; r < STAT_RESULT_COUNT; r++)
			if (s->requests[op][r])
				add(t, "portgate_requests_total{opcode=\"%s\",result=\"%s\"} %llu\n",
				    stats_opcode_label((enum stat_opcode)op),
				    natpmp_result_name((uint16_t)r),
				    (unsigned long long)s->requests[op][r]);
	head(t, "portgate_pcp_requests_total", "counter",
	     "PCP requests answered, by opcode and result.");
	for (int op = 0; op < STAT_PCP_OP_COUNT; op++)
		for (int r = 0; r < STAT_PCP_RESULT_COUNT; r++)
			if (s->pcp_requests[op][r])
				add(t, "portgate_pcp_requests_total{opcode=\"%s\",result=\"%s\"} %llu\n",
				    stats_pcp_op_label((enum stat_pcp_op)op),
				    pcp_result_name((uint16_t)r),
				    (unsigned long long)s->pcp_requests[op][r]);
}

static void mapping_events(struct text *t, const struct stats *s)
{
	head(t, "portgate_mapping_events_total", "counter",
	     "Mappings created and removed, by event.");
	for (int e = 0; e < EVENT_COUNT; e++)
		add(t, "portgate_mapping_events_total{event=\"%s\"} %llu\n",
		    stats_event_label((enum mapping_event)e),
		    (unsigned long long)s->events[e]);
	head(t, "portgate_mappings_dropped_total", "counter",
	     "Mappings the gateway removed, by reason.");
	for (int r = 0; r < REASON_COUNT; r++)
		if (s->dropped[r])
			add(t, "portgate_mappings_dropped_total{reason=\"%s\"} %llu\n",
			    reason_label((enum change_reason)r),
			    (unsigned long long)s->dropped[r]);
}

static void nft_latency(struct text *t, const struct stats *s)
{
	uint64_t cumulative = 0;

	head(t, "portgate_nft_transaction_seconds", "histogram",
	     "Time from sending a batch to its last ack.");
	for (int i = 0; i < STATS_LATENCY_BUCKETS; i++) {
		cumulative += s->nft_latency[i];
		if (i < STATS_LATENCY_BUCKETS - 1)
			add(t, "portgate_nft_transaction_seconds_bucket{le=\"%g\"} %llu\n",
			    stats_latency_bounds_ms[i] / 1000, (unsigned long long)cumulative);
		else
			add(t, "portgate_nft_transaction_seconds_bucket{le=\"+Inf\"} %llu\n",
			    (unsigned long long)cumulative);
	}
	add(t, "portgate_nft_transaction_seconds_sum %.6f\n", s->nft_latency_sum_ms / 1000);
	add(t, "portgate_nft_transaction_seconds_count %llu\n", (unsigned long long)cumulative);
}

/* Client mappings by [space][via][proto]: one walk of the table. */
struct breakdown {
	size_t n[MAPPING_SPACE_COUNT][MAPPING_VIA_COUNT][MAPPING_PROTO_COUNT];
};

static void count_one(const struct mapping_view *v, void *arg)
{
	struct breakdown *b = arg;

	if (!v->is_static)
		b->n[v->space][v->via < MAPPING_VIA_COUNT ? v->via : 0][v->proto]++;
}

static void breakdown(struct text *t, const struct mapping_table *m)
{
	static const char *const path[] = { "nat", "nat", "routed" };
	struct breakdown b = { 0 };

	mapping_table_foreach(m, count_one, &b);
	head(t, "portgate_client_mappings", "gauge",
	     "Mappings clients asked for, by family, path (nat: DNAT at our external address; "
	     "routed: a pinhole to the peer's own), the protocol that made or renewed them, "
	     "and transport protocol.");
	for (enum mapping_space sp = MAPPING_SPACE_IPV4; sp < MAPPING_SPACE_COUNT; sp++)
		for (int via = 0; via < MAPPING_VIA_COUNT; via++)
			for (int p = 0; p < MAPPING_PROTO_COUNT; p++)
				add(t, "portgate_client_mappings{family=\"%s\",path=\"%s\","
				    "via=\"%s\",protocol=\"%s\"} %zu\n",
				    space_family(sp), path[sp],
				    mapping_via_label((enum mapping_via)via), proto_name(p), b.n[sp][via][p]);
}

static void target_refusals(struct text *t, const struct stats *s)
{
	head(t, "portgate_requests_refused_target_total", "counter",
	     "Requests refused for the address the forward would go to, by reason.");
	for (int v = TARGET_ALLOWED + 1; v < TARGET_VERDICT_COUNT; v++)
		add(t, "portgate_requests_refused_target_total{reason=\"%s\"} %llu\n",
		    target_verdict_label(v), (unsigned long long)s->target_refused[v]);
}

/* UPnP IGD: control calls by result, searches answered and ignored. */
static void upnp(struct text *t, const struct stats *s)
{
	const uint64_t *c = s->counters;

	head(t, "portgate_upnp_actions_total", "counter",
	     "UPnP control calls answered, by result (0: success, else the UPnP error code).");
	for (int i = 0; i < STAT_UPNP_RESULT_COUNT; i++)
		add(t, "portgate_upnp_actions_total{result=\"%d\"} %llu\n", stats_upnp_results[i],
		    (unsigned long long)s->upnp_actions[i]);
	head(t, "portgate_upnp_searches_total", "counter",
	     "SSDP searches: answered (a peer's, for our device) or ignored (anything else).");
	add(t, "portgate_upnp_searches_total{result=\"answered\"} %llu\n",
	    (unsigned long long)c[STAT_UPNP_SEARCHES_ANSWERED]);
	add(t, "portgate_upnp_searches_total{result=\"ignored\"} %llu\n",
	    (unsigned long long)c[STAT_UPNP_SEARCHES_IGNORED]);
	single(t, "portgate_upnp_http_refused_total", "counter",
	       "UPnP HTTP connections and calls refused: not from a peer's address.",
	       (double)c[STAT_UPNP_HTTP_REFUSED]);
}

/* The events program (policy events.exec). */
static void notifications(struct text *t, const struct stats *s)
{
	const uint64_t *c = s->counters;

	single(t, "portgate_event_runs_total", "counter",
	       "Runs of the events program started.", (double)c[STAT_EVENT_RUNS]);
	single(t, "portgate_event_failures_total", "counter",
	       "Runs of the events program that could not start or did not exit 0 "
	       "(timeouts apart).", (double)c[STAT_EVENT_FAILURES]);
	single(t, "portgate_event_timeouts_total", "counter",
	       "Runs of the events program killed at events.timeout.",
	       (double)c[STAT_EVENT_TIMEOUTS]);
	single(t, "portgate_events_sent_total", "counter",
	       "Events handed to the events program.", (double)c[STAT_EVENTS_SENT]);
	single(t, "portgate_events_lost_total", "counter",
	       "Events lost: the queue for the events program was full.",
	       (double)c[STAT_EVENTS_LOST]);
}

char *gateway_render_metrics(void *arg, size_t *len)
{
	const struct gateway *g = arg;
	const struct stats *s = gateway_stats(g);
	const struct mapping_table *m = gateway_mappings(g);
	struct text t = { 0 };

	head(&t, "portgate_mappings", "gauge",
	     "Mappings clients asked for, in force, by protocol.");
	for (int p = 0; p < MAPPING_PROTO_COUNT; p++)
		add(&t, "portgate_mappings{protocol=\"%s\"} %zu\n", proto_name(p),
		    mapping_table_count(m, p) - mapping_table_count_static(m, p));
	breakdown(&t, m);
	head(&t, "portgate_static_forwards", "gauge",
	     "The policy's static forwards installed (their peer is on the interface).");
	for (int p = 0; p < MAPPING_PROTO_COUNT; p++)
		add(&t, "portgate_static_forwards{protocol=\"%s\"} %zu\n", proto_name(p),
		    mapping_table_count_static(m, p));
	requests(&t, s);
	single(&t, "portgate_requests_ignored_total", "counter",
	       "Datagrams left unanswered: too short, responses, or malformed from a non-peer.",
	       (double)(s->counters[STAT_IGNORED] + s->counters[STAT_NOT_PEER_IGNORED]));
	single(&t, "portgate_requests_wrong_interface_total", "counter",
	       "Datagrams dropped because they did not arrive through the WireGuard interface.",
	       (double)s->counters[STAT_WRONG_INTERFACE]);
	single(&t, "portgate_requests_rate_limited_total", "counter",
	       "Requests refused by the per-peer rate limit.",
	       (double)s->counters[STAT_RATE_LIMITED]);
	target_refusals(&t, s);
	upnp(&t, s);
	mapping_events(&t, s);
	single(&t, "portgate_nft_transactions_total", "counter",
	       "nftables batches sent.", (double)s->counters[STAT_NFT_TRANSACTIONS]);
	single(&t, "portgate_nft_transaction_failures_total", "counter",
	       "nftables batches the kernel refused (nothing changed).",
	       (double)s->counters[STAT_NFT_FAILURES]);
	single(&t, "portgate_nft_rebuilds_total", "counter",
	       "Times the tables were re-created with every mapping after another program changed them (un-owned tables).",
	       (double)s->counters[STAT_NFT_REBUILDS]);
	nft_latency(&t, s);
	single(&t, "portgate_peers", "gauge",
	       "WireGuard peers on the interface.", (double)wg_tracker_device(gateway_tracker(g))->n_peers);
	single(&t, "portgate_peers_vanished_total", "counter",
	       "Peers whose mappings were dropped because they left the interface.",
	       (double)s->counters[STAT_PEERS_VANISHED]);
	single(&t, "portgate_peers_stale_total", "counter",
	       "Peers whose mappings were dropped because their handshake was stale.",
	       (double)s->counters[STAT_PEERS_STALE]);
	single(&t, "portgate_conntrack_deleted_total", "counter",
	       "Conntrack entries deleted with their mappings.",
	       (double)s->counters[STAT_CONNTRACK_DELETED]);
	notifications(&t, s);
	single(&t, "portgate_poll_duration_seconds", "gauge",
	       "Duration of the last WireGuard peer poll.", wg_tracker_last_poll_ms(gateway_tracker(g)) / 1000);
	single(&t, "portgate_epoch_seconds", "gauge",
	       "The NAT-PMP epoch: seconds since the mapping state began.",
	       (double)gateway_epoch(g));
	if (t.failed) {
		free(t.buf);
		return NULL;
	}
	*len = t.len;
	return t.buf;
}
