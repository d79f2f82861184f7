#include "array.h"
#include "gateway.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "base64.h"
#include "log.h"
#include "natpmp/codec.h"
#include "nft/conntrack.h"
#include "nft/nft.h"
#include "ratelimit.h"
#include "wgpeer/rtnl.h"
#include "wgpeer/tracker.h"

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
	const char *why;
	bool logging;
};

static void add_flow(struct apply_ctx *ctx, const struct mapping_view *v)
{
	if (!ARRAY_RESERVE(ctx->flows, ctx->n_flows, ctx->cap_flows)) {
		ctx->error = -ENOMEM;
		return;
	}
	ctx->flows[ctx->n_flows++] = (struct ct_flow){
		ip_proto(v->proto), v->external_port, v->addr, v->target_port,
	};
}

static void build_change(const struct mapping_change *c, void *arg)
{
	struct apply_ctx *ctx = arg;
	const struct mapping_view *a = &c->after;
	bool moved = c->was_active && c->is_active &&
		     (c->before.addr != a->addr || c->before.target_port != a->target_port);

	if (ctx->error)
		return;
	if (c->was_active && (!c->is_active || moved))
		add_flow(ctx, &c->before);
	if (!c->is_active) {
		ctx->error = nft_txn_delete(ctx->txn, ip_proto(c->before.proto),
					    c->before.external_port);
		return;
	}
	{
		int64_t left = a->expires_ms - ctx->now;
		struct nft_element e = {
			.proto = ip_proto(a->proto),
			.external_port = a->external_port,
			.addr = a->addr,
			.target_port = a->target_port,
			.lifetime_s = left > 0 ? (uint32_t)((left + 999) / 1000) : 1,
			.owner_port = a->internal_port,
			.granted_lifetime_s = a->lifetime,
		};

		memcpy(e.owner, a->peer, sizeof(e.owner));
		ctx->error = nft_txn_put(ctx->txn, &e, c->was_active);
	}
}

static void log_change(const struct mapping_change *c, void *arg)
{
	struct apply_ctx *ctx = arg;
	struct gateway_stats *st = &ctx->g->stats;
	const struct mapping_view *v = c->is_active ? &c->after : &c->before;
	struct in_addr a = { htonl(v->addr) };
	char peer[9];

	key_to_short(peer, v->peer);
	if (!c->was_active) {
		st->mappings_created++;
		log_info("mapping created: peer %s %s %u -> %s:%u (internal %u) for %u s",
			 peer, proto_name(v->proto), v->external_port, inet_ntoa(a),
			 v->target_port, v->internal_port, v->lifetime);
	} else if (!c->is_active) {
		if (!strcmp(ctx->why, "expired"))
			st->mappings_expired++;
		else if (!strcmp(ctx->why, "deleted by client"))
			st->mappings_deleted++;
		else
			st->mappings_dropped++;
		log_info("mapping %s: peer %s %s %u -> %s:%u",
			 ctx->why, peer, proto_name(v->proto), v->external_port,
			 inet_ntoa(a), v->target_port);
	} else {
		log_debug("mapping renewed: peer %s %s %u -> %s:%u for %u s", peer,
			  proto_name(v->proto), v->external_port, inet_ntoa(a),
			  v->target_port, v->lifetime);
	}
}

static void observe_latency(struct gateway_stats *st, double ms)
{
	static const double bounds[] = { 0.5, 1, 2, 5, 10, 25, 100 };
	size_t i = 0;

	while (i < 7 && ms > bounds[i])
		i++;
	st->nft_latency_buckets[i]++;
	st->nft_latency_sum_ms += ms;
}

#define CONNTRACK_DELAY_MS 20
#define CONNTRACK_BATCH_MAX 4096

void gateway_conntrack_flush(struct gateway *g)
{
	size_t deleted = 0;
	int ret;

	if (!g->n_ct_pending)
		return;
	if (g->ct) {
		ret = conntrack_delete_flows(g->ct, g->external_known ? g->external_addr : 0,
					     g->ct_pending, g->n_ct_pending, &deleted);
		if (ret < 0)
			log_warnx("conntrack: cleanup of %zu flows failed: %s",
				  g->n_ct_pending, strerror(-ret));
		g->stats.conntrack_deleted += deleted;
	}
	g->n_ct_pending = 0;
}

void gateway_conntrack_timer(struct loop_watch *w, uint32_t events)
{
	(void)events;
	timer_ack(w->fd);
	gateway_conntrack_flush(w->arg);
}

/* The flows of removed mappings are cut within CONNTRACK_DELAY_MS, after the
 * replies went out, in one dump for the whole burst. */
static void queue_conntrack(struct gateway *g, const struct ct_flow *flows, size_t n)
{
	if (!n)
		return;
	if (g->n_ct_pending + n > g->cap_ct_pending) {
		size_t cap = (g->n_ct_pending + n) * 2;
		struct ct_flow *p = realloc(g->ct_pending, cap * sizeof(*p));

		if (!p) {
			log_warnx("conntrack: out of memory, %zu flows not cut", n);
			return;
		}
		g->ct_pending = p;
		g->cap_ct_pending = cap;
	}
	if (!g->n_ct_pending)
		timer_at(g->conntrack_w.fd, mono_now_ms() + CONNTRACK_DELAY_MS);
	memcpy(g->ct_pending + g->n_ct_pending, flows, n * sizeof(*flows));
	g->n_ct_pending += n;
	if (g->n_ct_pending >= CONNTRACK_BATCH_MAX)
		gateway_conntrack_flush(g);
}

int gateway_apply(struct gateway *g, const char *why)
{
	struct apply_ctx ctx = { .g = g, .now = mono_now_ms(), .why = why };
	int64_t start;
	int ret;

	if (mapping_table_change_count(g->mappings) == 0) {
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
	start = mono_now_ms();
	ret = nft_txn_size(ctx.txn) ? nft_txn_commit(ctx.txn) : (nft_txn_abort(ctx.txn), 0);
	g->stats.nft_transactions++;
	observe_latency(&g->stats, (double)(mono_now_ms() - start));
	if (ret < 0) {
		g->stats.nft_failures++;
		log_warnx("nft: transaction refused (%s%s%s); nothing changed",
			  strerror(-ret), nft_writer_last_error(g->nft)[0] ? ": " : "",
			  nft_writer_last_error(g->nft));
		mapping_table_rollback(g->mappings);
		free(ctx.flows);
		return ret;
	}
	mapping_table_foreach_change(g->mappings, log_change, &ctx);
	mapping_table_commit(g->mappings);
	queue_conntrack(g, ctx.flows, ctx.n_flows);
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
	mapping_table_begin(g->mappings);
	mapping_table_expire(g->mappings, mono_now_ms());
	if (gateway_apply(g, "expired") < 0)
		/* The kernel's own timeout is the safety net; try again. */
		timer_at(w->fd, mono_now_ms() + 1000);
}

/* ---- sweeps and drops --------------------------------------------------- */

struct sweep_ctx {
	struct gateway *g;
	struct { enum mapping_proto proto; uint16_t port; } *victims;
	size_t n, cap;
};

static bool mapping_allowed(struct gateway *g, const struct mapping_view *v)
{
	struct mapping_limits lim;
	uint8_t owner[32];

	if (g->peers_valid && (!wg_tracker_lookup(g->peers, v->addr, owner) ||
			       memcmp(owner, v->peer, 32)))
		return false;
	if (policy_denies(&g->policy, v->peer))
		return false;
	policy_limits_for(&g->policy, v->peer, &lim);
	if (v->external_port < lim.port_min || v->external_port > lim.port_max)
		return false;
	return !policy_is_reserved(&g->policy, v->external_port);
}

static void sweep_visit(const struct mapping_view *v, void *arg)
{
	struct sweep_ctx *ctx = arg;

	if (mapping_allowed(ctx->g, v))
		return;
	if (!ARRAY_RESERVE(ctx->victims, ctx->n, ctx->cap))
		return;
	/* Dropped after the walk, by port: a view dies with its mapping. */
	ctx->victims[ctx->n].proto = v->proto;
	ctx->victims[ctx->n].port = v->external_port;
	ctx->n++;
}

void gateway_sweep(struct gateway *g, const char *why)
{
	struct sweep_ctx ctx = { .g = g };

	g->sweep_needed = false;
	mapping_table_foreach(g->mappings, sweep_visit, &ctx);
	if (!ctx.n) {
		free(ctx.victims);
		return;
	}
	mapping_table_begin(g->mappings);
	for (size_t i = 0; i < ctx.n; i++)
		mapping_table_drop_port(g->mappings, ctx.victims[i].proto,
					ctx.victims[i].port);
	/* Refused by the kernel: the next poll sweeps again rather than
	 * leaving a vanished peer's forwards in place until they expire. */
	g->sweep_needed = gateway_apply(g, why) < 0;
	free(ctx.victims);
}

size_t gateway_drop_peer(struct gateway *g, const uint8_t key[32], const char *why)
{
	size_t n;

	mapping_table_begin(g->mappings);
	n = mapping_table_drop_peer(g->mappings, key);
	if (gateway_apply(g, why) < 0)
		return 0;
	return n;
}

/* ---- restart: take back what the kernel kept ---------------------------- */

struct adopt_ctx {
	struct gateway *g;
	int64_t now;
	size_t adopted;
	struct { uint8_t proto; uint16_t port; } *stray;
	size_t n_stray, cap_stray;
};

static int adopt_element(const struct nft_element *e, void *arg)
{
	struct adopt_ctx *ctx = arg;
	struct mapping_view v = {
		.peer = e->owner,
		.addr = e->addr,
		.proto = e->proto == IPPROTO_TCP ? MAPPING_TCP : MAPPING_UDP,
		.internal_port = e->owner_port,
		.external_port = e->external_port,
		.target_port = e->target_port,
		.lifetime = e->granted_lifetime_s,
		.expires_ms = ctx->now + (int64_t)e->remaining_ms,
	};
	bool ours = (e->proto == IPPROTO_TCP || e->proto == IPPROTO_UDP) &&
		    e->owner_port && e->granted_lifetime_s && e->remaining_ms;

	if (ours && mapping_table_adopt(ctx->g->mappings, &v) == 0) {
		ctx->adopted++;
		return 0;
	}
	if (!ARRAY_RESERVE(ctx->stray, ctx->n_stray, ctx->cap_stray))
		return -ENOMEM;
	ctx->stray[ctx->n_stray].proto = e->proto;
	ctx->stray[ctx->n_stray].port = e->external_port;
	ctx->n_stray++;
	return 0;
}

int gateway_adopt_kernel_state(struct gateway *g)
{
	struct adopt_ctx ctx = { .g = g, .now = mono_now_ms() };
	int64_t start = ctx.now;
	int ret;

	mapping_table_begin(g->mappings);
	ret = nft_writer_dump(g->nft, adopt_element, &ctx);
	if (ret < 0) {
		mapping_table_rollback(g->mappings);
		free(ctx.stray);
		log_warnx("nft: cannot read the map back: %s", strerror(-ret));
		return ret;
	}
	/* Adoption changes the state only: the kernel already holds it. */
	mapping_table_commit(g->mappings);
	if (ctx.n_stray) {
		struct nft_txn *txn = nft_txn_begin(g->nft);

		for (size_t i = 0; txn && i < ctx.n_stray; i++)
			nft_txn_delete(txn, ctx.stray[i].proto, ctx.stray[i].port);
		if (txn && nft_txn_commit(txn) < 0)
			log_warnx("nft: cannot remove %zu elements that are not ours",
				  ctx.n_stray);
		log_info("removed %zu map elements without a valid owner", ctx.n_stray);
	}
	free(ctx.stray);
	log_info("adopted %zu mappings from the kernel in %lld ms; epoch %u",
		 ctx.adopted, (long long)(mono_now_ms() - start), gateway_epoch(g));
	return 0;
}
