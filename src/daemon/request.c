/* The NAT-PMP request path: read every pending datagram of a socket, serve
 * them all in one mapping transaction, send it to the kernel as one batch,
 * and only then answer each client (design.md §2.1). A batch the kernel
 * refused changes nothing, and every success it would have answered
 * becomes result 3. */
#include "daemon/core.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/ratelimit.h"
#include "daemon/request.h"
#include "daemon/sockets.h"
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

static void answer_error(struct gateway *g, struct pending *p, uint16_t result)
{
	p->reply_len = natpmp_encode_error(p->reply, sizeof(p->reply), &p->req,
					   result, gateway_epoch(g));
	stats_request(&g->stats, stats_opcode_of(p->req.opcode), result);
}

static void serve_mapping(struct gateway *g, struct pending *p, const uint8_t *peer,
			  uint32_t src)
{
	struct mapping_limits lim;
	struct mapping_request mr = {
		.peer = peer, .addr = src,
		.proto = p->req.opcode == NATPMP_OP_MAP_TCP ? MAPPING_TCP : MAPPING_UDP,
		.internal_port = p->req.internal_port,
		.suggested_port = p->req.suggested_external_port,
		.lifetime = p->req.lifetime,
	};
	struct mapping_reply r;

	policy_limits_for(&g->policy, peer, &lim);
	mapping_table_request(g->mappings, &lim, &mr, mono_now_ms(), &r);
	p->reply_len = natpmp_encode_mapping(p->reply, sizeof(p->reply),
					     p->req.opcode, r.result, gateway_epoch(g),
					     p->req.internal_port, r.external_port,
					     r.lifetime);
	/* Every success of the batch (a renewal, a retransmit, the other
	 * protocol of a port created by the same batch) stands or falls
	 * with the batch: counted once the kernel has answered. */
	p->needs_commit = r.result == NATPMP_RESULT_SUCCESS;
	if (!p->needs_commit)
		stats_request(&g->stats, stats_opcode_of(p->req.opcode), r.result);
}

static void serve_external(struct gateway *g, struct pending *p)
{
	uint32_t be = htonl(g->external.addr);

	if (!g->external.known) {
		answer_error(g, p, NATPMP_RESULT_NETWORK_FAILURE);
		return;
	}
	p->reply_len = natpmp_encode_external(p->reply, sizeof(p->reply),
					      NATPMP_RESULT_SUCCESS, gateway_epoch(g),
					      (uint8_t *)&be);
	stats_request(&g->stats, STAT_OP_EXTERNAL_ADDRESS, NATPMP_RESULT_SUCCESS);
}

/* Version and opcode errors: answered to peers only, within their rate,
 * so that a short datagram never turns into a longer one toward anyone
 * else. */
static void answer_malformed(struct gateway *g, struct pending *p,
			     enum natpmp_verdict verdict, const uint8_t *buf, size_t len)
{
	if (verdict == NATPMP_VERDICT_BAD_VERSION) {
		/* libtorrent probes with PCP first and waits 2 hours on
		 * silence: this 8-byte answer sends it to NAT-PMP now. */
		p->reply_len = natpmp_encode_bad_version(p->reply, sizeof(p->reply),
							 p->req.opcode, gateway_epoch(g));
		stats_request(&g->stats, STAT_OP_OTHER, NATPMP_RESULT_UNSUPPORTED_VERSION);
	} else {
		p->reply_len = natpmp_encode_bad_opcode(p->reply, sizeof(p->reply), buf,
							len, gateway_epoch(g));
		stats_request(&g->stats, STAT_OP_OTHER, NATPMP_RESULT_UNSUPPORTED_OPCODE);
	}
}

void pending_source(const struct pending *p, uint8_t out[16])
{
	if (pending_is_v6(p))
		memcpy(out, &p->from.v6.sin6_addr, 16);
	else
		addr_from_v4(out, ntohl(p->from.v4.sin_addr.s_addr));
}

static bool owner_of(struct gateway *g, const struct pending *p, uint8_t peer[32])
{
	if (pending_is_v6(p))
		return wg_watch_lookup6(g->wg, p->from.v6.sin6_addr.s6_addr, peer, NULL);
	return wg_watch_lookup(g->wg, ntohl(p->from.v4.sin_addr.s_addr), peer, NULL);
}

/* Logged per request: the peer's rate limit bounds it. */
static void log_refused_target(struct gateway *g, const uint8_t *peer, const uint8_t addr[16],
			       enum target_verdict v)
{
	char name[9], a[INET6_ADDRSTRLEN];
	uint32_t v4;

	stats_target_refused(&g->stats, v);
	key_to_short(name, peer);
	if (addr_v4(addr, &v4)) {
		struct in_addr in = { htonl(v4) };

		inet_ntop(AF_INET, &in, a, sizeof(a));
	} else {
		inet_ntop(AF_INET6, addr, a, sizeof(a));
	}
	log_warnx("natpmp: peer %s asked for a forward to %s, which is %s: refused",
		  name, a, target_verdict_text(v));
}

bool request_target_allowed(struct gateway *g, const uint8_t *peer, const uint8_t addr[16])
{
	enum target_verdict v = gateway_check_target(g, peer, addr);

	if (v == TARGET_ALLOWED)
		return true;
	log_refused_target(g, peer, addr, v);
	return false;
}

enum authz request_authorize(struct gateway *g, struct pending *p, const uint8_t *buf,
			     size_t len, bool request, uint8_t peer[32])
{
	uint8_t src[16];

	if (!owner_of(g, p, peer)) {
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
	if (!ratelimit_allow(g->rate, peer, mono_now_ms())) {
		stats_count(&g->stats, STAT_RATE_LIMITED, 1);
		return request ? AUTHZ_RATE_LIMITED : AUTHZ_SILENT;
	}
	/* The source is the forward's address unless PCP names another,
	 * which pcp_serve.c checks by the same rule. */
	pending_source(p, src);
	if (request && !request_target_allowed(g, peer, src))
		return AUTHZ_REFUSED;
	return AUTHZ_PEER;
}

/* Decides the answer for one NAT-PMP datagram; false when it gets none. */
static bool serve_natpmp(struct gateway *g, struct pending *p, const uint8_t *buf,
			 size_t len)
{
	enum natpmp_verdict verdict = natpmp_decode(buf, len, &p->req);
	bool request = verdict == NATPMP_VERDICT_REQUEST;
	uint8_t peer[32];

	if (verdict == NATPMP_VERDICT_IGNORE) {
		stats_count(&g->stats, STAT_IGNORED, 1);
		return false;
	}
	switch (request_authorize(g, p, buf, len, request, peer)) {
	case AUTHZ_SILENT:
	case AUTHZ_DEFERRED:
		return false;
	case AUTHZ_REFUSED:
		answer_error(g, p, NATPMP_RESULT_NOT_AUTHORIZED);
		return true;
	case AUTHZ_RATE_LIMITED:
		answer_error(g, p, NATPMP_RESULT_OUT_OF_RESOURCES);
		return true;
	case AUTHZ_PEER:
		break;
	}
	if (!request)
		answer_malformed(g, p, verdict, buf, len);
	else if (p->req.opcode == NATPMP_OP_EXTERNAL_ADDRESS)
		serve_external(g, p);
	else
		serve_mapping(g, p, peer, ntohl(p->from.v4.sin_addr.s_addr));
	return true;
}

/* Version 0 is NAT-PMP; PCP is every other version, when the policy
 * serves it (pcp: false answers them as NAT-PMP's "unsupported version"). */
static bool serve(struct gateway *g, struct pending *p, const uint8_t *buf, size_t len)
{
	p->is_pcp = len >= 1 && buf[0] != 0 && g->policy.pcp;
	/* NAT-PMP is IPv4 only (RFC 6886): on IPv6, only PCP is heard, and
	 * only while the policy serves IPv6. */
	if (pending_is_v6(p) && (!p->is_pcp || g->policy.ipv6_mode == POLICY_IPV6_OFF)) {
		stats_count(&g->stats, STAT_IGNORED, 1);
		return false;
	}
	return p->is_pcp ? pcp_serve(g, p, buf, len) : serve_natpmp(g, p, buf, len);
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
static void reply_all(struct gateway *g, struct request_batch *b, int n, bool committed)
{
	unsigned n_out = 0, run = 0;
	int run_fd = -1;

	memset(b->out, 0, sizeof(b->out));
	for (int i = 0; i < n; i++) {
		struct pending *p = &b->pend[i];

		if (!p->reply_len)
			continue;
		if (p->needs_commit && p->is_pcp) {
			if (committed)
				pcp_count_success(g, p);
			else
				pcp_answer_refused(g, p);
		} else if (p->needs_commit) {
			if (committed)
				stats_request(&g->stats, stats_opcode_of(p->req.opcode),
					      NATPMP_RESULT_SUCCESS);
			else
				answer_error(g, p, NATPMP_RESULT_NETWORK_FAILURE);
		}
		if (p->fd != run_fd) {
			send_run(b, run, n_out - run, run_fd);
			run = n_out;
			run_fd = p->fd;
		}
		b->iov_out[n_out] = (struct iovec){ p->reply, p->reply_len };
		b->out[n_out].msg_hdr.msg_iov = &b->iov_out[n_out];
		b->out[n_out].msg_hdr.msg_iovlen = 1;
		b->out[n_out].msg_hdr.msg_name = &p->from;
		b->out[n_out].msg_hdr.msg_namelen = pending_is_v6(p) ? sizeof(p->from.v6)
								     : sizeof(p->from.v4);
		n_out++;
	}
	send_run(b, run, n_out - run, run_fd);
}

/* pend[0..n) with bufs and lengths filled (heard false: no answer at all):
 * one transaction, one kernel batch, the answers. */
static void serve_batch(struct gateway *g, struct request_batch *b, int n,
			const size_t *lens)
{
	bool committed;

	if (mapping_table_begin(g->mappings) < 0) {
		log_warnx("natpmp: a mapping transaction is already open; %d requests dropped", n);
		return;
	}
	g->local_stale = true;	/* local services: asked afresh for this batch */
	for (int i = 0; i < n; i++) {
		struct pending *p = &b->pend[i];

		p->needs_commit = false;
		p->reply_len = 0;
		if (p->heard)
			serve(g, p, b->bufs[i], lens[i]);
	}
	committed = gateway_apply(g, REASON_CLIENT) == 0;
	reply_all(g, b, n, committed);
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
		b->pend[i].heard = g->tunnel.ifindex &&
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
		b->pend[i].heard = true;
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

/* ---- announcements (RFC 6886 §3.2.1, RFC 6887 §14.1.3) ----------------- */

/* Sends msg from fd to port 5350 of every peer's host address of the
 * family (an allowed-ip of /32 or /128). */
static void send_to_peers(const struct wg_device_info *dev, int fd, int family,
			  const void *msg, size_t len)
{
	size_t alen = family == AF_INET ? 4 : 16;

	for (size_t i = 0; fd >= 0 && len && i < dev->n_peers; i++) {
		for (size_t k = 0; k < dev->peers[i].n_ips; k++) {
			const struct wg_allowed_ip *ip = &dev->peers[i].ips[k];
			union source_addr to = { 0 };

			if (ip->family != family || ip->cidr != alen * 8)
				continue;
			if (family == AF_INET) {
				to.v4.sin_family = AF_INET;
				to.v4.sin_port = htons(NATPMP_CLIENT_PORT);
				memcpy(&to.v4.sin_addr, ip->addr, 4);
			} else {
				to.v6.sin6_family = AF_INET6;
				to.v6.sin6_port = htons(NATPMP_CLIENT_PORT);
				memcpy(&to.v6.sin6_addr, ip->addr, 16);
			}
			sendto(fd, msg, len, MSG_DONTWAIT, &to.sa,
			       family == AF_INET ? sizeof(to.v4) : sizeof(to.v6));
		}
	}
}

/* Multicast reaches nobody on WireGuard: unicast to each peer's address.
 * RFC 6887 §14.1.3: PCP clients learn of a new epoch or address from an
 * unsolicited ANNOUNCE on the same port, on IPv6 too. */
void gateway_announce(void *arg)
{
	struct gateway *g = arg;
	const struct wg_device_info *dev = wg_watch_device(g->wg);
	uint8_t msg[NATPMP_EXTERNAL_RESPONSE_LEN], pcp[PCP_HEADER_LEN];
	uint32_t be = htonl(g->external.addr);
	size_t pcp_len = g->policy.pcp ? pcp_encode_announce(pcp, sizeof(pcp), gateway_epoch(g)) : 0;
	size_t len;

	if (g->policy.ipv6_mode != POLICY_IPV6_OFF)
		send_to_peers(dev, pmp_sockets_any_fd6(g->sockets), AF_INET6, pcp, pcp_len);
	if (!g->external.known)
		return;
	len = natpmp_encode_external(msg, sizeof(msg), NATPMP_RESULT_SUCCESS,
				     gateway_epoch(g), (uint8_t *)&be);
	send_to_peers(dev, pmp_sockets_any_fd(g->sockets), AF_INET, msg, len);
	send_to_peers(dev, pmp_sockets_any_fd(g->sockets), AF_INET, pcp, pcp_len);
}
