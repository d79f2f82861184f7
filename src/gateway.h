/* The daemon core: wires the NAT-PMP state (src/natpmp), the kernel map
 * (src/nft) and the WireGuard peers (src/wgpeer) under one event loop.
 * Data flows one way: packet -> decode -> authorize (peer) -> policy ->
 * allocate -> nft batch -> reply. */
#ifndef PORTGATE_GATEWAY_H
#define PORTGATE_GATEWAY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "loop.h"
#include "natpmp/mapping.h"
#include "policy.h"

#define GATEWAY_MAX_SOCKETS 8
#define GATEWAY_TIMEOUT_GRACE_S 10

struct nft_writer;
struct conntrack;
struct ct_flow;
struct wg_tracker;
struct rtnl_watch;
struct ratelimit;
struct control;
struct metrics;

struct natpmp_socket {
	struct loop_watch watch;
	uint32_t addr;			/* host byte order */
	struct gateway *g;
};

/* What operators and metrics see. */
struct gateway_stats {
	uint64_t requests[4][6];	/* [op 0,1,2,other][result 0..5] */
	uint64_t ignored;		/* malformed or responses */
	uint64_t rate_limited;
	uint64_t nft_transactions;
	uint64_t nft_failures;
	uint64_t conntrack_deleted;
	uint64_t peers_vanished;
	uint64_t mappings_created, mappings_deleted, mappings_expired,
		 mappings_dropped;
	double last_poll_ms;
	double nft_latency_sum_ms;
	uint64_t nft_latency_buckets[8];	/* <=0.5,1,2,5,10,25,100,+Inf ms */
};

struct gateway {
	struct policy policy;
	struct loop loop;
	struct mapping_table *mappings;
	struct nft_writer *nft;
	struct conntrack *ct;
	struct wg_tracker *peers;
	struct rtnl_watch *rtnl;
	struct ratelimit *rate;
	struct control *control;
	struct metrics *metrics;

	uint64_t epoch_origin_ms;	/* CLOCK_BOOTTIME */
	time_t started;
	bool external_known;
	uint32_t external_addr;
	bool wg_present;
	bool peers_valid;		/* a poll has succeeded */
	bool sweep_needed;		/* a drop the kernel refused: retry */
	uint16_t wg_listen_port;

	struct natpmp_socket socks[GATEWAY_MAX_SOCKETS];
	size_t n_socks;

	struct loop_watch expiry_w, poll_w, rtnl_w, signal_w, announce_w, conntrack_w;
	struct loop_watch wgpoll_w;	/* a userspace WireGuard answer under way */
	int64_t poll_started_ms;
	/* Flows of removed mappings, cut together a moment later: one
	 * conntrack dump walks every bucket, so it is paid once per burst. */
	struct ct_flow *ct_pending;
	size_t n_ct_pending, cap_ct_pending;
	int announce_left;
	int64_t announce_interval_ms;
	struct gateway_stats stats;
};

/* Start-up: fatal errors are returned with a message already logged. */
int gateway_init(struct gateway *g, const struct policy *policy);
int gateway_run(struct gateway *g);
void gateway_shutdown(struct gateway *g);
/* SIGHUP: a bad file keeps the running policy. 0 or -1. */
int gateway_reload(struct gateway *g, char *err, size_t errlen);

uint32_t gateway_epoch(const struct gateway *g);

/* The open mapping transaction goes to the kernel: 0 when the kernel holds
 * it (state committed, changes logged, conntrack of removed mappings
 * deleted), -errno when it was refused (state rolled back). */
int gateway_apply(struct gateway *g, const char *why);
/* Drops, in one transaction, every mapping its peer no longer owns or the
 * policy no longer allows. */
void gateway_sweep(struct gateway *g, const char *why);
void gateway_rearm_expiry(struct gateway *g);
/* Drops a peer's mappings in one transaction; returns how many. */
size_t gateway_drop_peer(struct gateway *g, const uint8_t key[32], const char *why);

int gateway_adopt_kernel_state(struct gateway *g);
void gateway_conntrack_timer(struct loop_watch *w, uint32_t events);
void gateway_conntrack_flush(struct gateway *g);
void gateway_expiry_timer(struct loop_watch *w, uint32_t events);

/* request.c */
void gateway_natpmp_readable(struct loop_watch *w, uint32_t events);
void gateway_sync_sockets(struct gateway *g);
void gateway_close_sockets(struct gateway *g);
void gateway_announce_start(struct gateway *g);
void gateway_announce_tick(struct loop_watch *w, uint32_t events);

/* wgglue.c */
void gateway_poll_peers(struct gateway *g);
void gateway_poll_peers_now(struct gateway *g);
void gateway_poll_timer(struct loop_watch *w, uint32_t events);
void gateway_rtnl_event(struct loop_watch *w, uint32_t events);
void gateway_sync_external(struct gateway *g);
void gateway_sync_reserved(struct gateway *g);

const char *proto_name(enum mapping_proto proto);

#endif
