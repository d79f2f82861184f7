/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The request path, whatever the protocol: read every pending datagram of
 * a socket, keep what did not come through the tunnel unanswered,
 * authorize the peer, let each protocol's serve module decide its answer,
 * all in one mapping transaction sent to the kernel as one batch, and only
 * then answer each client (design.md §2.1). A batch the kernel refused
 * changes nothing, and every success it would have answered becomes the
 * protocol's network failure. */
#include "daemon/core.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "daemon/ratelimit.h"
#include "daemon/request.h"
#include "daemon/sockets.h"
#include "daemon/upnp_server.h"
#include "daemon/wgwatch.h"
#include "natpmp/codec.h"
#include "util/addrclass.h"
#include "util/base64.h"
#include "util/log.h"

/* Datagrams read (and answered) per wake-up. */
#define REQUEST_BATCH 64
/* Requests from addresses no known peer owns, waiting for the peers to be
 * read again (a peer added a moment ago is served at once, not refused). */
#define REQUEST_DEFER_MAX REQUEST_BATCH
/* Longer than any request: the codec sees the true length of junk. */
#define REQUEST_DGRAM_MAX 1100

/* Room for the IP_PKTINFO or IPV6_PKTINFO of each datagram. */
#define REQUEST_CMSG_LEN CMSG_SPACE(sizeof(struct in6_pktinfo))

/* Long enough for a PCP MAP with its options; longer ones are not held. */
#define REQUEST_DEFER_LEN 128

struct deferred {
	int fd;
	union source_addr from;
	uint8_t buf[REQUEST_DEFER_LEN];
	uint8_t len;
};

struct request_batch {
	struct gateway *g;
	struct loop *loop;
	struct loop_watch replay;	/* serves the deferred in a turn of their own */
	struct deferred deferred[REQUEST_DEFER_MAX];
	size_t n_deferred;
	bool replaying;
	uint8_t bufs[REQUEST_BATCH][REQUEST_DGRAM_MAX];
	uint8_t cmsg[REQUEST_BATCH][REQUEST_CMSG_LEN] __attribute__((aligned(8)));
	struct pending pend[REQUEST_BATCH];
	struct mmsghdr in[REQUEST_BATCH], out[REQUEST_BATCH];
	struct iovec iov_in[REQUEST_BATCH], iov_out[REQUEST_BATCH];
};

static void replay_fired(struct loop_watch *w, uint32_t events);

struct request_batch *request_batch_new(struct gateway *g)
{
	struct request_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return NULL;
	b->g = g;
	b->loop = &g->loop;
	if (loop_timer_open(&g->loop, &b->replay, replay_fired, g) < 0) {
		free(b);
		return NULL;
	}
	return b;
}

void request_batch_free(struct request_batch *b)
{
	if (!b)
		return;
	loop_watch_close(b->loop, &b->replay);
	free(b);
}

/* Holds a request from an unknown address until the peers are read again;
 * false when it cannot wait (full, or a re-read was asked a moment ago). */
static bool defer(struct gateway *g, const struct pending *p, const uint8_t *buf,
		  size_t len)
{
	struct request_batch *b = g->batch;
	struct deferred *d;

	if (b->replaying || b->n_deferred == REQUEST_DEFER_MAX || len > sizeof(d->buf) ||
	    !wg_watch_poll_soon(g->wg))
		return false;
	d = &b->deferred[b->n_deferred++];
	d->fd = p->fd;
	d->from = p->from;
	memcpy(d->buf, buf, len);
	d->len = (uint8_t)len;
	return true;
}

/* The source in the one form the rest reads: converted here, once per
 * datagram; false for a family we never listen on or an IPv4-mapped IPv6
 * source (no answer, as for the wrong interface). */
static bool read_source(struct pending *p)
{
	return ip_addr_from_sockaddr(&p->from.sa, &p->src, NULL);
}

static bool owner_of(struct gateway *g, const struct pending *p, uint8_t peer[32],
		     uint8_t *cidr)
{
	return wg_tracker_lookup(wg_watch_tracker(g->wg), &p->src, peer, cidr);
}

/* Logged per request: the peer's rate limit bounds it. */
static void log_refused_target(struct gateway *g, const uint8_t *peer,
			       const struct ip_addr *addr, enum target_verdict v)
{
	char name[9], a[IP_ADDR_TEXT_LEN];

	stats_target_refused(&g->stats, v);
	key_to_short(name, peer);
	log_warnx("natpmp: peer %s asked for a forward to %s, which is %s: refused",
		  name, ip_addr_text(addr, a), target_verdict_text(v));
}

/* A verdict of the target rule, a refusal logged and counted. */
static bool target_allowed(struct gateway *g, const uint8_t *peer, const struct ip_addr *addr,
			   enum target_verdict v)
{
	if (v == TARGET_ALLOWED)
		return true;
	log_refused_target(g, peer, addr, v);
	return false;
}

void request_map(const struct serve_ctx *c, const struct mapping_limits *lim,
		 const struct mapping_request *mr, struct mapping_reply *r)
{
	if (mapping_table_request_allocates(c->mappings, mr))
		gateway_local_refresh(c->batch->g);
	mapping_table_request(c->mappings, lim, mr, c->now_ms, r);
}

bool request_target_allowed(const struct serve_ctx *c, const uint8_t *peer,
			    const struct ip_addr *addr)
{
	struct gateway *g = c->batch->g;

	return target_allowed(g, peer, addr, gateway_check_target(g, peer, addr));
}

/* Who asks, as the request path decides it for both protocols. */
enum authz {
	AUTHZ_PEER,		/* a peer the policy serves, within its rate */
	AUTHZ_SILENT,		/* no answer at all */
	AUTHZ_DEFERRED,		/* answered once the peers are read again */
	AUTHZ_REFUSED,		/* not authorized */
	AUTHZ_RATE_LIMITED,
};

static enum authz who_asks(const struct serve_ctx *c, struct pending *p, const uint8_t *buf,
			   size_t len, bool request, uint8_t peer[32])
{
	struct gateway *g = c->batch->g;
	uint8_t cidr = 0;

	if (!owner_of(g, p, peer, &cidr)) {
		if (!request) {
			stats_count(&g->stats, STAT_NOT_PEER_IGNORED, 1);
			return AUTHZ_SILENT;
		}
		/* WireGuard has no peer notifications: a peer added after the
		 * last poll asks before we know it. Read again, then answer. */
		return defer(g, p, buf, len) ? AUTHZ_DEFERRED : AUTHZ_REFUSED;
	}
	if (policy_denies(&g->policy, peer))
		return request ? AUTHZ_REFUSED : AUTHZ_SILENT;
	if (!ratelimit_allow(g->rate, peer, c->now_ms)) {
		stats_count(&g->stats, STAT_RATE_LIMITED, 1);
		return request ? AUTHZ_RATE_LIMITED : AUTHZ_SILENT;
	}
	/* The source is the forward's address unless PCP names another,
	 * which pcp_serve.c checks by the same rule. Its owner is known. */
	if (request && !target_allowed(g, peer, &p->src,
					gateway_check_owned_target(g, &p->src, cidr)))
		return AUTHZ_REFUSED;
	return AUTHZ_PEER;
}

bool request_authorize(const struct serve_ctx *c, struct pending *p, const uint8_t *buf,
		       size_t len, bool request, const struct refusal_codes *codes,
		       uint8_t peer[32], int *answer)
{
	switch (who_asks(c, p, buf, len, request, peer)) {
	case AUTHZ_PEER:
		return true;
	case AUTHZ_REFUSED:
		*answer = codes->not_authorized;
		return false;
	case AUTHZ_RATE_LIMITED:
		*answer = codes->rate_limited;
		return false;
	default:
		*answer = -1;
		return false;
	}
}

/* Version 0 is NAT-PMP; PCP is every other version, when the policy
 * serves it (pcp: false answers them as NAT-PMP's "unsupported version"). */
static bool serve(const struct serve_ctx *c, struct pending *p, const uint8_t *buf, size_t len)
{
	p->is_pcp = len >= 1 && buf[0] != 0 && c->policy->pcp;
	/* NAT-PMP is IPv4 only (RFC 6886): on IPv6, only PCP is heard, and
	 * only while the policy serves IPv6. */
	if (!ip_addr_is_v4(&p->src) && (!p->is_pcp || c->policy->ipv6_mode == POLICY_IPV6_OFF)) {
		stats_count(c->stats, STAT_IGNORED, 1);
		return false;
	}
	return p->is_pcp ? pcp_serve(c, p, buf, len) : natpmp_serve(c, p, buf, len);
}

/* What the serve modules see of the gateway for this batch. */
static void context_of(struct gateway *g, struct request_batch *b, struct serve_ctx *c)
{
	*c = (struct serve_ctx){
		.batch = b,
		.mappings = g->mappings,
		.policy = &g->policy,
		.stats = &g->stats,
		.epoch = gateway_epoch(g),
		.now_ms = mono_now_ms(),
		.space6 = gateway_space6(g),
	};
	for (enum ip_family fam = IP_V4; fam < IP_FAMILIES; fam++) {
		c->external[fam].known = g->external[fam].known;
		c->external[fam].addr = g->external[fam].told;
	}
	c->upnp_descs = g->upnp_descs;
	c->uptime_s = (uint32_t)(time(NULL) - g->started);
}

static int receive(struct request_batch *b, int fd)
{
	memset(b->in, 0, sizeof(b->in));
	for (int i = 0; i < REQUEST_BATCH; i++) {
		b->iov_in[i] = (struct iovec){ b->bufs[i], REQUEST_DGRAM_MAX };
		b->in[i].msg_hdr.msg_iov = &b->iov_in[i];
		b->in[i].msg_hdr.msg_iovlen = 1;
		b->in[i].msg_hdr.msg_name = &b->pend[i].from;
		b->in[i].msg_hdr.msg_namelen = sizeof(b->pend[i].from);
		b->in[i].msg_hdr.msg_control = b->cmsg[i];
		b->in[i].msg_hdr.msg_controllen = REQUEST_CMSG_LEN;
	}
	return recvmmsg(fd, b->in, REQUEST_BATCH, MSG_DONTWAIT, NULL);
}

/* The interface a datagram arrived on; 0 when the kernel did not say. */
static int arrival_ifindex(struct msghdr *m)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			return pi.ipi_ifindex;
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			return (int)pi.ipi6_ifindex;
		}
	}
	return 0;
}

/* Sends what is in out[0..n), all from one socket. */
static void send_run(struct request_batch *b, unsigned first, unsigned n, int fd)
{
	if (n && sendmmsg(fd, b->out + first, n, MSG_DONTWAIT) < 0)
		log_warn("natpmp: send");
}

/* The kernel has answered: successes are counted, or become result 3.
 * Replies leave from the socket each request came in on. */
static void reply_all(const struct serve_ctx *c, struct request_batch *b, int n,
		      bool committed)
{
	unsigned n_out = 0, run = 0;
	int run_fd = -1;

	memset(b->out, 0, sizeof(b->out));
	for (int i = 0; i < n; i++) {
		struct pending *p = &b->pend[i];

		if (!p->reply_len)
			continue;
		if (p->needs_commit)
			(p->is_pcp ? pcp_settle : natpmp_settle)(c, p, committed);
		if (p->fd != run_fd) {
			send_run(b, run, n_out - run, run_fd);
			run = n_out;
			run_fd = p->fd;
		}
		b->iov_out[n_out] = (struct iovec){ p->reply, p->reply_len };
		b->out[n_out].msg_hdr.msg_iov = &b->iov_out[n_out];
		b->out[n_out].msg_hdr.msg_iovlen = 1;
		b->out[n_out].msg_hdr.msg_name = &p->from;
		b->out[n_out].msg_hdr.msg_namelen = ip_addr_is_v4(&p->src) ? sizeof(p->from.v4)
									   : sizeof(p->from.v6);
		n_out++;
	}
	send_run(b, run, n_out - run, run_fd);
}

/* pend[0..n) with bufs and lengths filled (heard false: no answer at all):
 * one transaction, one kernel batch, the answers. */
static void serve_batch(struct gateway *g, struct request_batch *b, int n,
			const size_t *lens)
{
	struct serve_ctx c;
	bool committed;

	if (mapping_table_begin(g->mappings) < 0) {
		log_warnx("natpmp: a mapping transaction is already open; %d requests dropped", n);
		return;
	}
	g->local_stale = true;	/* local services: asked afresh for this batch */
	context_of(g, b, &c);
	for (int i = 0; i < n; i++) {
		struct pending *p = &b->pend[i];

		p->needs_commit = false;
		p->reply_len = 0;
		if (p->heard)
			serve(&c, p, b->bufs[i], lens[i]);
	}
	committed = gateway_apply(g, REASON_CLIENT) == 0;
	reply_all(&c, b, n, committed);
}

void gateway_requests_readable(void *arg, int fd)
{
	struct gateway *g = arg;
	struct request_batch *b = g->batch;
	size_t lens[REQUEST_BATCH];
	int n = receive(b, fd);

	if (n <= 0) {
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			log_warn("natpmp: receive");
		return;
	}
	for (int i = 0; i < n; i++) {
		b->pend[i].fd = fd;
		lens[i] = b->in[i].msg_len;
		/* Linux takes a datagram for the tunnel address on any
		 * interface: only what came through the tunnel speaks for a
		 * peer. The rest gets no answer at all. */
		b->pend[i].heard = read_source(&b->pend[i]) && g->tunnel.ifindex &&
				   arrival_ifindex(&b->in[i].msg_hdr) == g->tunnel.ifindex;
		if (!b->pend[i].heard)
			stats_count(&g->stats, STAT_WRONG_INTERFACE, 1);
	}
	serve_batch(g, b, n, lens);
}

/* The peers were read again: the deferred requests are served now, and an
 * address still nobody's gets result 2. */
static void replay_fired(struct loop_watch *w, uint32_t events)
{
	struct gateway *g = w->arg;
	struct request_batch *b = g->batch;
	size_t lens[REQUEST_DEFER_MAX];
	int n = (int)b->n_deferred;

	(void)events;
	timer_ack(w->fd);
	for (int i = 0; i < n; i++) {
		const struct deferred *d = &b->deferred[i];

		b->pend[i].fd = d->fd;
		b->pend[i].from = d->from;
		b->pend[i].heard = read_source(&b->pend[i]);	/* it was, when deferred */
		memcpy(b->bufs[i], d->buf, d->len);
		lens[i] = d->len;
	}
	b->n_deferred = 0;
	b->replaying = true;
	serve_batch(g, b, n, lens);
	b->replaying = false;
}

void gateway_requests_settled(struct gateway *g)
{
	if (g->batch->n_deferred)
		timer_at(g->batch->replay.fd, mono_now_ms());
}

/* UPnP's way in: SSDP searches and HTTP connections are answered for a
 * peer's source only (the peer lookup, deny and, for what costs, the
 * peer's rate, as for a datagram); a control call is one transaction and
 * one kernel batch, and its answer is made after the batch committed. */
static const struct refusal_codes upnp_refusals = { 0, 0 };

bool gateway_upnp_peer_ok(void *arg, const struct sockaddr_in *from, bool rated)
{
	struct gateway *g = arg;
	struct pending p = { .fd = -1, .heard = true };
	struct serve_ctx c;
	uint8_t peer[32], cidr;
	int answer;

	p.from.v4 = *from;
	if (!read_source(&p))
		return false;
	if (!rated)
		return owner_of(g, &p, peer, &cidr) && !policy_denies(&g->policy, peer);
	context_of(g, g->batch, &c);
	return request_authorize(&c, &p, NULL, 0, false, &upnp_refusals, peer, &answer);
}

int gateway_upnp_control(void *arg, const struct sockaddr_in *from, struct igd_request *req,
			 struct igd_result *res, struct igd_entry *list, size_t cap)
{
	struct gateway *g = arg;
	struct pending p = { .fd = -1, .heard = true };
	struct upnp_call u = { .req = req, .res = res, .list = list, .list_cap = cap };
	struct serve_ctx c;
	uint8_t peer[32];
	bool committed;
	int answer, code;

	p.from.v4 = *from;
	if (!read_source(&p))
		return -1;
	if (mapping_table_begin(g->mappings) < 0) {
		log_warnx("upnp: a mapping transaction is already open; call refused");
		return UPNP_ACTION_FAILED;
	}
	g->local_stale = true;
	context_of(g, g->batch, &c);
	if (!request_authorize(&c, &p, NULL, 0, false, &upnp_refusals, peer, &answer)) {
		mapping_table_rollback(g->mappings);
		return -1;
	}
	u.peer = peer;
	code = upnp_serve(&c, &u);
	committed = gateway_apply(g, REASON_CLIENT) == 0;
	return upnp_settle(&c, &u, code, committed);
}
