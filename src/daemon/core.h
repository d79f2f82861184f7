/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The gateway's wiring: each field a module that owns its state, and the
 * few facts the core itself keeps. Private to the core (gateway.c,
 * request.c, announce.c, peers.c, statics.c, runforwards.c, ipv6.c,
 * target.c, lifecycle.c) and the core's unit tests; everyone else uses gateway.h,
 * and the protocols' serve modules see a struct serve_ctx (request.h). */
#ifndef PORTGATE_DAEMON_CORE_H
#define PORTGATE_DAEMON_CORE_H

#include "daemon/gateway.h"
#include "daemon/policy.h"
#include "daemon/sockets.h"
#include "daemon/stats.h"
#include "daemon/target.h"
#include "upnp/igd.h"
#include "util/ipaddr.h"
#include "util/loop.h"

#include <netinet/in.h>

/* How long a map element outlives its lifetime in the kernel: the daemon
 * deletes it on time; the kernel's timeout is the safety net. */
#define GATEWAY_TIMEOUT_GRACE_S 10
/* A refused expiry is tried again this much later. */
#define GATEWAY_EXPIRY_RETRY_MS 1000

struct announcer;
struct api;
struct local_sockets;
struct control;
struct ct_queue;
struct events;
struct metrics;
struct nft_writer;
struct own_addrs;
struct pmp_sockets;
struct ratelimit;
struct request_batch;
struct table_guard;
struct upnp_descs;
struct upnp_server;
struct wg_watch;

struct gateway {
	struct policy policy;
	struct loop loop;
	struct mapping_table *mappings;
	struct nft_writer *nft;
	struct table_guard *guard;	/* rebuilds tables others changed */
	struct ratelimit *rate;
	struct stats stats;
	struct pmp_sockets *sockets;
	struct request_batch *batch;
	struct announcer *announcer;
	struct ct_queue *ctq;
	struct events *events;		/* the policy's events.exec */
	struct wg_watch *wg;
	struct local_sockets *local;	/* NULL: sock_diag unavailable */
	struct own_addrs *own;		/* no forward points at these */
	unsigned refused_classes;	/* enum addr_class: nor at these */
	bool local_stale;		/* ask the kernel again before using it */
	struct control *control;
	struct metrics *metrics;
	struct api *api;		/* NULL: api is off */
	struct upnp_server *upnp;	/* NULL: upnp off, or no interface yet */
	struct upnp_descs *upnp_descs;	/* UPnP mappings' descriptions */
	struct loop_watch expiry_w, signal_w;
	/* By family (enum ip_family); IPv6: nat66's, the external
	 * interface's global IPv6 address. addr: where forwards arrive (the
	 * kernel's external set); told: what clients and operators are told,
	 * external.advertise(6) or addr. */
	struct {
		bool known;
		struct ip_addr addr;
		struct ip_addr told;
	} external[IP_FAMILIES];
	/* The WireGuard interface as the request path checks it. */
	struct {
		int ifindex;		/* 0: not there */
		/* Its addresses by family (IPv6: the global ones), as the
		 * kernel's guard sets hold them. */
		struct ip_addr addrs[IP_FAMILIES][PMP_SOCKETS_MAX];
		size_t n[IP_FAMILIES];
		size_t unbound;		/* addresses we could not listen on */
	} tunnel;
	uint64_t epoch_origin_ms;	/* CLOCK_BOOTTIME */
	time_t started;
	bool sweep_needed;		/* a drop the kernel refused: retry */
	/* The state file's forwards (added at run time), as the file holds
	 * them; those that fit the policy are also in policy.forwards. */
	struct policy_forward *stored;
	size_t n_stored;
};

/* gateway.c: the open mapping transaction goes to the kernel: 0 when the
 * kernel holds it (state committed, changes logged and counted, conntrack
 * of removed mappings and the un-NATed flows to new ones queued), -errno
 * when it was refused (rolled back). */
int gateway_apply(struct gateway *g, enum change_reason why);
/* Drops, in one transaction, every mapping its peer no longer owns or the
 * policy no longer allows. */
void gateway_sweep(struct gateway *g, enum change_reason why);
void gateway_rearm_expiry(struct gateway *g);
/* Drops, in one transaction, every mapping whose port a local service now
 * uses (asked of the kernel: one dump of listeners and UDP sockets). */
void gateway_sweep_local_services(struct gateway *g);
/* mapping_table's port_busy: a local socket new flows to the space's
 * external address and port would reach, for either protocol, as of the
 * last refresh: the snapshot read again when stale (sock_diag I/O). */
bool gateway_port_busy(void *arg, enum mapping_space space, uint16_t port);
void gateway_local_refresh(struct gateway *g);
void gateway_expiry_timer(struct loop_watch *w, uint32_t events);

/* statics.c: the policy's static forwards. Stage puts, inside the open
 * transaction, every forward whose peer is on the interface now (0, or
 * -ENOMEM: roll back); sync does that in a transaction of its own (each
 * poll: a peer that came back gets its forwards). allowed: whether a static
 * mapping in the table still matches the policy and the peer. */
int gateway_stage_statics(struct gateway *g);
void gateway_sync_statics(struct gateway *g);
bool gateway_static_allowed(struct gateway *g, const struct mapping_view *v);
/* Logs, with FILE:LINE, the forwards whose peer is there but which cannot
 * stand (the WireGuard listen port, no address). */
void gateway_warn_statics(struct gateway *g);
/* Why a forward whose peer is on the interface cannot stand (the reason in
 * buf), or NULL: its peer is absent, or it can. */
const char *gateway_static_unusable(struct gateway *g, const struct policy_forward *f,
				    char *buf, size_t len);
int gateway_adopt_kernel_state(struct gateway *g);
/* The tables made again from nothing with every mapping of the state, in
 * one batch (table_guard's rebuild; arg is the gateway). */
int gateway_rebuild_tables(void *arg);

/* runforwards.c: the forwards added at run time join the policy's: at
 * start (read from the state file: -1 with the reason logged) and after
 * every reload. One that no longer fits the policy is logged and left
 * out, and stays in the file. */
int gateway_load_stored(struct gateway *g);
void gateway_merge_stored(struct gateway *g);

/* target.c: whether peer may have a forward to addr; see target.h. */
enum target_verdict gateway_check_target(const struct gateway *g, const uint8_t *peer,
					 const struct ip_addr *addr);
/* The same rule for an address whose owner is already known, through an
 * allowed-ip of cidr (a request's source: the lookup that found the peer
 * is not made twice on the request path). */
enum target_verdict gateway_check_owned_target(const struct gateway *g,
					       const struct ip_addr *addr, uint8_t cidr);
/* Reads the gateway's own addresses again; sweeps when they changed. 0 or
 * -errno (logged; the last ones read still apply). */
int gateway_sync_own_addrs(struct gateway *g);

/* request.c: the request path, both protocols (natpmp_serve.c and
 * pcp_serve.c decide the answers from a struct serve_ctx; request.h) */
struct request_batch *request_batch_new(struct gateway *g);
void request_batch_free(struct request_batch *b);
void gateway_requests_readable(void *arg, int fd);
/* A poll of the peers ended: requests that waited for it are served. */
void gateway_requests_settled(struct gateway *g);

/* request.c: UPnP's way in (upnp_server.h's ops): whether a source is a
 * peer's that may be answered (rated: within its rate), and a control
 * call served in a transaction of its own, answered once it committed. */
bool gateway_upnp_peer_ok(void *arg, const struct sockaddr_in *from, bool rated);
int gateway_upnp_control(void *arg, const struct sockaddr_in *from, struct igd_request *req,
			 struct igd_result *res, struct igd_entry *list, size_t cap);

/* announce.c: what the announcer sends (NAT-PMP op 0 and PCP ANNOUNCE to
 * every peer's host address), ANNOUNCE_SLICE peers from peer from; where
 * the next slice begins, 0 after the last. */
size_t gateway_announce(void *arg, size_t from);

/* peers.c */
extern const struct wg_watch_ops gateway_wg_ops;
/* Listens on the tunnel's addresses and records its ifindex: -EADDRINUSE
 * when an address could not be had (it is tried again at every poll). */
int gateway_sync_sockets(struct gateway *g);
/* The external address of each family: set in the kernel when it moved,
 * announced when what clients are told changed. */
void gateway_sync_external(struct gateway *g);
void gateway_sync_reserved(struct gateway *g);

/* ipv6.c: the IPv6 half of the policy. The space a peer's IPv6 mapping lives in under the policy now. */
enum mapping_space gateway_space6(const struct gateway *g);
/* Whether the policy serves this IPv6 space now (ipv6.mode). */
bool gateway_serves_space(const struct gateway *g, enum mapping_space space);

#endif
