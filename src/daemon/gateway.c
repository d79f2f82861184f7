/* SPDX-License-Identifier: GPL-2.0-or-later */
/* State -> kernel: every change of the mappings goes through one mapping
 * transaction and one nftables batch here (gateway_apply). Also the sweeps,
 * expiry and adoption after a restart. */
#include "daemon/core.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/ctqueue.h"
#include "daemon/events.h"
#include "daemon/wgwatch.h"
#include "ctnl/conntrack.h"
#include "sockdiag/localsock.h"
#include "nft/nft.h"
#include "util/addrclass.h"
#include "util/array.h"
#include "util/base64.h"
#include "util/log.h"

const char *proto_name(enum mapping_proto proto)
{
	return proto == MAPPING_TCP ? "tcp" : "udp";
}

static uint8_t ip_proto(enum mapping_proto proto)
{
	return proto == MAPPING_TCP ? IPPROTO_TCP : IPPROTO_UDP;
}

uint32_t gateway_epoch(const struct gateway *g)
{
	int64_t ms = boot_now_ms() - (int64_t)g->epoch_origin_ms;

	return ms > 0 ? (uint32_t)(ms / 1000) : 0;
}

/* ---- state -> kernel --------------------------------------------------- */

struct apply_ctx {
	struct gateway *g;
	struct nft_txn *txn;
	int64_t now;
	int error;
	struct ct_flow *flows;
	size_t n_flows, cap_flows;
	enum change_reason why;
};

/* Conntrack entries to cut once the kernel holds the change (one queue,
 * one dump per burst): CT_FLOW_FORWARDED, the flows a removed or moved
 * forward let in; CT_FLOW_UNNATED, those that reached a new or moved
 * forward's external address and port before it and that nothing NATed.
 * The DNAT rule is consulted for a flow's first packet only: without the
 * cut, an outsider who was already sending (a DHT or uTP peer, a game
 * retrying) keeps its entry alive and never reaches the forward. */
static void add_flow(struct apply_ctx *ctx, const struct mapping_view *v, enum ct_flow_kind kind)
{
	const struct gateway *g = ctx->g;
	struct ct_flow f = {
		.proto = ip_proto(v->proto), .external_port = v->external_port,
		.internal_addr = v->addr, .target_port = v->target_port, .kind = kind,
	};

	if (kind == CT_FLOW_UNNATED) {
		/* A pinhole NATs nothing: a flow the admin's filter dropped
		 * before it opened left no entry (conntrack confirms an entry
		 * only when its packet gets through), one the filter let
		 * through needs no help. */
		if (v->space == MAPPING_SPACE_ROUTED6)
			return;
		f.target_port = v->external_port;
		if (!g->external[mapping_space_family(v->space)].known)
			return;		/* no address: the DNAT rule matches nothing */
		f.internal_addr = g->external[mapping_space_family(v->space)].addr;
	}
	if (!ARRAY_RESERVE(ctx->flows, ctx->n_flows, ctx->cap_flows)) {
		ctx->error = -ENOMEM;
		return;
	}
	ctx->flows[ctx->n_flows++] = f;
}

/* The mapping state's spaces and the kernel's sets, one to one. */
static uint8_t nft_space_of(enum mapping_space space)
{
	return space == MAPPING_SPACE_IPV4 ? NFT_SPACE_IPV4
	       : space == MAPPING_SPACE_NAT66 ? NFT_SPACE_NAT66 : NFT_SPACE_PINHOLE;
}

static enum mapping_space mapping_space_of(enum nft_space space)
{
	return space == NFT_SPACE_IPV4 ? MAPPING_SPACE_IPV4
	       : space == NFT_SPACE_NAT66 ? MAPPING_SPACE_NAT66 : MAPPING_SPACE_ROUTED6;
}

/* The kernel element's key and target for a mapping. */
static void element_of(const struct mapping_view *v, struct nft_element *e)
{
	memset(e, 0, sizeof(*e));
	e->space = nft_space_of(v->space);
	e->proto = ip_proto(v->proto);
	e->external_port = v->external_port;
	e->addr = v->addr;
	e->target_port = v->target_port;
}

/* The whole element a mapping is in the kernel: its target, what remains
 * of its lifetime, and the owner a restarted daemon reads back. */
static void element_put_of(const struct mapping_view *v, int64_t now, struct nft_element *e)
{
	int64_t left = v->expires_ms - now;

	element_of(v, e);
	e->lifetime_s = left > 0 ? (uint32_t)((left + 999) / 1000) : 1;
	e->owner_port = v->internal_port;
	e->granted_lifetime_s = v->lifetime;
	e->owner_tag = (uint8_t)v->via;
	if (v->is_static)
		e->lifetime_s = e->granted_lifetime_s = 0;	/* no timeout */
	memcpy(e->owner, v->peer, sizeof(e->owner));
}

/* A pinhole's key holds its address: a renewal from another address of
 * the peer is another element. */
static bool same_key(const struct mapping_view *a, const struct mapping_view *b)
{
	return a->space == b->space && a->external_port == b->external_port &&
	       (a->space != MAPPING_SPACE_ROUTED6 || ip_addr_equal(&a->addr, &b->addr));
}

static void build_change(const struct mapping_change *c, void *arg)
{
	struct apply_ctx *ctx = arg;
	const struct mapping_view *a = &c->after;
	bool moved = c->was_active && c->is_active &&
		     (!ip_addr_equal(&c->before.addr, &a->addr) ||
		      c->before.target_port != a->target_port);
	bool rekeyed = c->was_active && c->is_active && !same_key(&c->before, a);
	struct nft_element e;

	if (ctx->error)
		return;
	if (c->was_active && (!c->is_active || moved || rekeyed))
		add_flow(ctx, &c->before, CT_FLOW_FORWARDED);
	/* A new element, or a new target: not a renewal. */
	if (c->is_active && (!c->was_active || moved || rekeyed))
		add_flow(ctx, a, CT_FLOW_UNNATED);
	if (ctx->error)
		return;
	if (!c->is_active || rekeyed) {
		element_of(&c->before, &e);
		ctx->error = nft_txn_delete_element(ctx->txn, &e);
		if (!c->is_active || ctx->error)
			return;
	}
	element_put_of(a, ctx->now, &e);
	ctx->error = nft_txn_put(ctx->txn, &e, c->was_active && !rekeyed);
}

/* The events program hears of the change (events.h), with the external
 * address as clients are told it. */
static void notify(const struct gateway *g, const struct mapping_change *c,
		   const struct mapping_view *v, enum change_reason why)
{
	const struct policy_peer *pp = policy_peer_find(&g->policy, v->peer);
	int kind = event_kind_of(c, why);
	struct event ev = { .v = v, .why = why, .when = time(NULL),
			    .peer_name = pp && pp->name[0] ? pp->name : NULL };

	if (kind < 0)
		return;
	ev.kind = (enum event_kind)kind;
	if (v->space != MAPPING_SPACE_ROUTED6) {
		if (g->external[mapping_space_family(v->space)].known)
			ev.external = &g->external[mapping_space_family(v->space)].told;
	} else {
		ev.external = &v->addr;	/* a pinhole: the peer's own */
	}
	events_push(g->events, &ev);
}

/* A mapping's internal address as the log writes it before ":port":
 * 10.0.0.2 or [2001:db8::2]. */
static void mapping_addr_text(const struct mapping_view *v, char *buf, size_t len)
{
	char a[IP_ADDR_TEXT_LEN];

	snprintf(buf, len, ip_addr_is_v4(&v->addr) ? "%s" : "[%s]", ip_addr_text(&v->addr, a));
}

static void log_change(const struct mapping_change *c, void *arg)
{
	struct apply_ctx *ctx = arg;
	const struct mapping_view *v = c->is_active ? &c->after : &c->before;
	char peer[9], a[INET6_ADDRSTRLEN + 2];

	notify(ctx->g, c, v, ctx->why);

	/* A renewal is only logged when debugging: nothing to format. */
	if (c->was_active && c->is_active && !v->is_static && !log_debugging())
		return;
	key_to_short(peer, v->peer);
	mapping_addr_text(v, a, sizeof(a));
	if (v->is_static && c->was_active != c->is_active) {
		log_info("static forward %s: peer %s %s %u -> %s:%u",
			 c->is_active ? "installed" : reason_text(ctx->why), peer,
			 proto_name(v->proto), v->external_port, a,
			 v->target_port);
	} else if (v->is_static) {
		log_info("static forward moved: peer %s %s %u -> %s:%u", peer,
			 proto_name(v->proto), v->external_port, a,
			 v->target_port);
	} else if (!c->was_active) {
		stats_mapping(&ctx->g->stats, true, ctx->why);
		log_info("mapping created: peer %s %s %u -> %s:%u (internal %u) for %u s",
			 peer, proto_name(v->proto), v->external_port, a,
			 v->target_port, v->internal_port, v->lifetime);
	} else if (!c->is_active) {
		stats_mapping(&ctx->g->stats, false, ctx->why);
		log_info("mapping %s: peer %s %s %u -> %s:%u",
			 reason_text(ctx->why), peer, proto_name(v->proto),
			 v->external_port, a, v->target_port);
	} else {
		log_debug("mapping renewed: peer %s %s %u -> %s:%u for %u s", peer,
			  proto_name(v->proto), v->external_port, a,
			  v->target_port, v->lifetime);
	}
}

static int commit_txn(struct gateway *g, struct nft_txn *txn)
{
	int64_t start = mono_now_us();
	int ret;

	if (!nft_txn_size(txn)) {
		nft_txn_abort(txn);
		return 0;
	}
	ret = nft_txn_commit(txn);
	stats_count(&g->stats, STAT_NFT_TRANSACTIONS, 1);
	stats_nft_latency(&g->stats, (double)(mono_now_us() - start) / 1000);
	if (ret < 0) {
		stats_count(&g->stats, STAT_NFT_FAILURES, 1);
		log_warnx("nft: transaction refused (%s%s%s); nothing changed",
			  strerror(-ret), nft_writer_last_error(g->nft)[0] ? ": " : "",
			  nft_writer_last_error(g->nft));
	}
	return ret;
}

int gateway_apply(struct gateway *g, enum change_reason why)
{
	struct apply_ctx ctx = { .g = g, .now = mono_now_ms(), .why = why };
	int ret;

	if (mapping_table_leases_touched(g->mappings) == 0) {
		mapping_table_commit(g->mappings);
		return 0;
	}
	ctx.txn = nft_txn_begin(g->nft);
	if (!ctx.txn) {
		mapping_table_rollback(g->mappings);
		return -ENOMEM;
	}
	mapping_table_foreach_change(g->mappings, build_change, &ctx);
	if (ctx.error) {
		nft_txn_abort(ctx.txn);
		mapping_table_rollback(g->mappings);
		free(ctx.flows);
		return ctx.error;
	}
	ret = commit_txn(g, ctx.txn);
	if (ret < 0) {
		mapping_table_rollback(g->mappings);
		free(ctx.flows);
		return ret;
	}
	mapping_table_foreach_change(g->mappings, log_change, &ctx);
	mapping_table_commit(g->mappings);
	ct_queue_push(g->ctq, ctx.flows, ctx.n_flows,
		      g->external[IP_V4].known ? &g->external[IP_V4].addr : NULL);
	free(ctx.flows);
	gateway_rearm_expiry(g);
	return 0;
}

void gateway_rearm_expiry(struct gateway *g)
{
	timer_at(g->expiry_w.fd, mapping_table_next_expiry(g->mappings));
}

void gateway_expiry_timer(struct loop_watch *w, uint32_t events)
{
	struct gateway *g = w->arg;

	(void)events;
	timer_ack(w->fd);
	if (mapping_table_begin(g->mappings) < 0)
		return;
	mapping_table_expire(g->mappings, mono_now_ms());
	if (gateway_apply(g, REASON_EXPIRED) < 0)
		/* The kernel's own timeout is the safety net; try again. */
		timer_at(w->fd, mono_now_ms() + GATEWAY_EXPIRY_RETRY_MS);
}

/* ---- sweeps and drops --------------------------------------------------- */

struct victim {
	enum mapping_space space;
	enum mapping_proto proto;
	uint16_t port, internal_port;
	uint8_t peer[32];
};

struct sweep_ctx {
	struct gateway *g;
	struct victim *victims;
	size_t n, cap;
	bool short_of_memory;
};

static bool mapping_allowed(struct gateway *g, const struct mapping_view *v)
{
	struct mapping_limits lim;

	if (v->space != MAPPING_SPACE_IPV4 && !gateway_serves_space(g, v->space))
		return false;
	if (gateway_check_target(g, v->peer, &v->addr) != TARGET_ALLOWED)
		return false;
	if (policy_denies(&g->policy, v->peer))
		return false;
	/* A pinhole is on the peer's own address: every port is its own. */
	if (v->space == MAPPING_SPACE_ROUTED6)
		return true;
	policy_limits_for(&g->policy, v->peer, &lim);
	if (v->external_port < lim.port_min || v->external_port > lim.port_max)
		return false;
	/* The table's reserved ports: the policy's, 5350, 5351 and the
	 * WireGuard listen port, wherever it moved. */
	return !mapping_table_port_reserved(g->mappings, v->external_port);
}

static void sweep_visit(const struct mapping_view *v, void *arg)
{
	struct sweep_ctx *ctx = arg;

	if (v->is_static ? gateway_static_allowed(ctx->g, v) : mapping_allowed(ctx->g, v))
		return;
	if (!ARRAY_RESERVE(ctx->victims, ctx->n, ctx->cap)) {
		ctx->short_of_memory = true;
		return;
	}
	/* Dropped after the walk: a view dies with its mapping. */
	ctx->victims[ctx->n] = (struct victim){ v->space, v->proto, v->external_port,
						v->internal_port, { 0 } };
	memcpy(ctx->victims[ctx->n].peer, v->peer, 32);
	ctx->n++;
}

void gateway_sweep(struct gateway *g, enum change_reason why)
{
	struct sweep_ctx ctx = { .g = g };

	g->sweep_needed = false;
	mapping_table_foreach(g->mappings, sweep_visit, &ctx);
	/* What could not be listed is swept at the next poll. */
	g->sweep_needed = ctx.short_of_memory;
	if (!ctx.n && !g->policy.n_forwards) {
		free(ctx.victims);
		return;
	}
	if (mapping_table_begin(g->mappings) < 0) {
		g->sweep_needed = true;		/* not now: at the next poll */
		free(ctx.victims);
		return;
	}
	for (size_t i = 0; i < ctx.n; i++) {
		const struct victim *x = &ctx.victims[i];

		if (x->space == MAPPING_SPACE_IPV4)
			mapping_table_drop_port(g->mappings, MAPPING_SPACE_IPV4, x->proto, x->port);
		else
			mapping_table_drop_mapping(g->mappings, x->space, x->peer, x->proto,
						   x->internal_port);
	}
	/* The static forwards the policy and the peers want now, in the same
	 * transaction: a reload changes them all at once. */
	if (gateway_stage_statics(g) < 0) {
		mapping_table_rollback(g->mappings);
		g->sweep_needed = true;
		free(ctx.victims);
		return;
	}
	/* Refused by the kernel: the next poll sweeps again rather than
	 * leaving a vanished peer's forwards in place until they expire. */
	if (gateway_apply(g, why) < 0)
		g->sweep_needed = true;
	free(ctx.victims);
}

/* An operator's drop: n mappings went in the open transaction. */
static int apply_drop(struct gateway *g, size_t n, size_t *dropped)
{
	int ret = gateway_apply(g, REASON_OPERATOR);

	*dropped = ret < 0 ? 0 : n;
	return ret;
}

/* ---- the gateway's own services ----------------------------------------- */

/* Where new flows to a forward of each family arrive. */
static struct local_ports_of external_of(const struct gateway *g)
{
	struct local_ports_of at = { { { 0 } }, { { 0 } } };

	if (g->external[IP_V4].known)
		at.addr4 = g->external[IP_V4].addr;
	if (g->external[IP_V6].known && gateway_serves_space(g, MAPPING_SPACE_NAT66))
		at.addr6 = g->external[IP_V6].addr;
	return at;
}

/* The kernel is asked once per batch of requests, at the first request
 * that takes a new port (request.c marks the snapshot stale). */
void gateway_local_refresh(struct gateway *g)
{
	struct local_ports_of at = external_of(g);
	int ret;

	if (!g->local || !g->local_stale)
		return;
	ret = local_sockets_refresh(g->local, &at);
	if (ret < 0) {
		/* Not knowing must not stop every mapping: said once. */
		log_warnx("sock_diag: cannot ask the kernel about local sockets: %s; "
			  "ports of local services are no longer checked", strerror(-ret));
		local_sockets_close(g->local);
		g->local = NULL;
		return;
	}
	g->local_stale = false;
}

bool gateway_port_busy(void *arg, enum mapping_space space, uint16_t port)
{
	const struct gateway *g = arg;
	int family = space == MAPPING_SPACE_IPV4 ? AF_INET : AF_INET6;

	return g->local && (local_sockets_in_use(g->local, family, IPPROTO_TCP, port) ||
			    local_sockets_in_use(g->local, family, IPPROTO_UDP, port));
}

struct local_ctx {
	struct gateway *g;
	bool open;
};

static void local_service(int family, uint8_t proto, uint16_t port, void *arg)
{
	struct local_ctx *ctx = arg;
	enum mapping_proto p = proto == IPPROTO_TCP ? MAPPING_TCP : MAPPING_UDP;
	enum mapping_space space = family == AF_INET ? MAPPING_SPACE_IPV4 : MAPPING_SPACE_NAT66;
	struct mapping_view v;

	/* The admin's static forward stands: the policy says so. */
	if (!mapping_table_find_by_port(ctx->g->mappings, space, p, port, &v) || v.is_static)
		return;
	if (!ctx->open && mapping_table_begin(ctx->g->mappings) < 0)
		return;
	ctx->open = true;
	log_warnx("a local service now uses %s port %u%s: its forward would take that "
		  "service's new connections", proto_name(p), port,
		  family == AF_INET ? "" : " (IPv6)");
	mapping_table_drop_port(ctx->g->mappings, space, p, port);
}

void gateway_sweep_local_services(struct gateway *g)
{
	struct local_ctx ctx = { .g = g };
	struct local_ports_of at = external_of(g);
	int ret;

	if (!g->local)
		return;
	ret = local_sockets_each(g->local, &at, local_service, &ctx);
	if (ret < 0)
		log_warnx("sock_diag: cannot list local sockets: %s", strerror(-ret));
	if (ctx.open && gateway_apply(g, REASON_LOCAL_SERVICE) < 0)
		g->sweep_needed = true;
}

int gateway_drop_peer(struct gateway *g, const uint8_t key[32], size_t *dropped)
{
	int ret = mapping_table_begin(g->mappings);

	*dropped = 0;
	if (ret < 0)
		return ret;
	/* Static forwards are the policy's: they stay. */
	return apply_drop(g, mapping_table_drop_peer(g->mappings, key, MAPPING_DYNAMIC),
			  dropped);
}

int gateway_drop_port(struct gateway *g, enum mapping_proto proto, uint16_t port,
		      size_t *dropped)
{
	struct mapping_view v;
	int ret;

	*dropped = 0;
	if (mapping_table_find_by_port(g->mappings, MAPPING_SPACE_IPV4, proto, port, &v) && v.is_static)
		return -EPERM;	/* the policy's: change it there */
	if ((ret = mapping_table_begin(g->mappings)) < 0)
		return ret;
	return apply_drop(g, mapping_table_drop_port(g->mappings, MAPPING_SPACE_IPV4, proto, port), dropped);
}

/* ---- restart: take back what the kernel kept ---------------------------- */

struct adopt_ctx {
	struct gateway *g;
	int64_t now;
	size_t adopted;
	struct nft_element *stray;
	size_t n_stray, cap_stray;
};

static int adopt_element(const struct nft_element *e, void *arg)
{
	struct adopt_ctx *ctx = arg;
	struct mapping_view v = {
		.peer = e->owner,
		.space = mapping_space_of(e->space),
		.addr = e->addr,
		.proto = e->proto == IPPROTO_TCP ? MAPPING_TCP : MAPPING_UDP,
		.internal_port = e->owner_port,
		.external_port = e->external_port,
		.target_port = e->target_port,
		.lifetime = e->granted_lifetime_s,
		.expires_ms = ctx->now + (int64_t)e->remaining_ms,
		.via = e->owner_tag < MAPPING_VIA_COUNT ? (enum mapping_via)e->owner_tag
						   : MAPPING_VIA_NATPMP,
	};
	/* A static forward is written without a timeout. */
	bool fixed = !e->lifetime_s && !e->granted_lifetime_s;
	bool ours = (e->proto == IPPROTO_TCP || e->proto == IPPROTO_UDP) &&
		    e->owner_port && (fixed || (e->granted_lifetime_s && e->remaining_ms));

	if (fixed) {
		v.is_static = true;
		v.lifetime = MAPPING_STATIC_LIFETIME;
		v.expires_ms = INT64_MAX;
	}
	int ret = ours ? mapping_table_adopt(ctx->g->mappings, &v) : -EINVAL;

	if (ret == 0) {
		ctx->adopted++;
		return 0;
	}
	if (ret == -ENOMEM)
		return ret;
	if (!ARRAY_RESERVE(ctx->stray, ctx->n_stray, ctx->cap_stray))
		return -ENOMEM;
	ctx->stray[ctx->n_stray++] = *e;
	return 0;
}

/* Elements without a valid owner (another writer's, or unreadable) go in
 * one transaction. */
static void remove_stray(struct gateway *g, struct adopt_ctx *ctx)
{
	struct nft_txn *txn = nft_txn_begin(g->nft);
	int ret = txn ? 0 : -ENOMEM;

	for (size_t i = 0; ret == 0 && i < ctx->n_stray; i++)
		ret = nft_txn_delete_element(txn, &ctx->stray[i]);
	if (ret == 0)
		ret = commit_txn(g, txn);
	else if (txn)
		nft_txn_abort(txn);
	if (ret < 0)
		log_warnx("nft: cannot remove %zu elements that are not ours: %s",
			  ctx->n_stray, strerror(-ret));
	else
		log_info("removed %zu map elements without a valid owner", ctx->n_stray);
}

int gateway_adopt_kernel_state(struct gateway *g)
{
	struct adopt_ctx ctx = { .g = g, .now = mono_now_ms() };
	int64_t start = ctx.now;
	int ret = mapping_table_begin(g->mappings);

	if (ret == 0)
		ret = nft_writer_dump(g->nft, adopt_element, &ctx);
	if (ret < 0) {
		mapping_table_rollback(g->mappings);
		free(ctx.stray);
		log_warnx("nft: cannot read the map back: %s", strerror(-ret));
		return ret;
	}
	/* Adoption changes the state only: the kernel already holds it. */
	mapping_table_commit(g->mappings);
	if (ctx.n_stray)
		remove_stray(g, &ctx);
	free(ctx.stray);
	log_info("adopted %zu mappings from the kernel in %lld ms; epoch %u",
		 ctx.adopted, (long long)(mono_now_ms() - start), gateway_epoch(g));
	return 0;
}

/* ---- the tables made again from the state -------------------------------- */

struct rebuild_ctx {
	struct nft_txn *txn;
	int64_t now;
	size_t n;
	int error;
};

static void rebuild_visit(const struct mapping_view *v, void *arg)
{
	struct rebuild_ctx *ctx = arg;
	struct nft_element e;

	if (ctx->error)
		return;
	element_put_of(v, ctx->now, &e);
	ctx->error = nft_txn_put(ctx->txn, &e, false);
	ctx->n++;
}

/* The state does not change: the kernel is made to hold it again, in one
 * batch (no mapping transaction is open between events). */
int gateway_rebuild_tables(void *arg)
{
	struct gateway *g = arg;
	struct rebuild_ctx ctx = { .txn = nft_txn_begin_rebuild(g->nft), .now = mono_now_ms() };
	int64_t start = mono_now_ms();
	int ret;

	if (!ctx.txn)
		return -ENOMEM;
	mapping_table_foreach(g->mappings, rebuild_visit, &ctx);
	if (ctx.error) {
		nft_txn_abort(ctx.txn);
		log_warnx("nft: cannot rebuild the tables: %s", strerror(-ctx.error));
		return ctx.error;
	}
	if ((ret = commit_txn(g, ctx.txn)) < 0)
		return ret;
	stats_count(&g->stats, STAT_NFT_REBUILDS, 1);
	log_info("nft: tables re-created with %zu mappings in %lld ms", ctx.n,
		 (long long)(mono_now_ms() - start));
	return 0;
}

/* ---- what operators see ------------------------------------------------ */

bool gateway_external(const struct gateway *g, struct ip_addr *addr)
{
	*addr = g->external[IP_V4].told;
	return g->external[IP_V4].known;
}

bool gateway_external_matched(const struct gateway *g, struct ip_addr *addr)
{
	*addr = g->external[IP_V4].addr;
	return g->external[IP_V4].known;
}

time_t gateway_started(const struct gateway *g)
{
	return g->started;
}

const struct policy *gateway_policy(const struct gateway *g)
{
	return &g->policy;
}

const struct mapping_table *gateway_mappings(const struct gateway *g)
{
	return g->mappings;
}

const struct wg_tracker *gateway_tracker(const struct gateway *g)
{
	return wg_watch_tracker(g->wg);
}

const struct stats *gateway_stats(const struct gateway *g)
{
	return &g->stats;
}
