/* The NAT-PMP request path: read every pending datagram, serve them all in
 * one mapping transaction, commit once, then answer each from the address and
 * port it was sent to (design.md §2.1). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base64.h"
#include "gateway.h"
#include "log.h"
#include "natpmp/codec.h"
#include "ratelimit.h"
#include "wgpeer/rtnl.h"
#include "wgpeer/tracker.h"

#define BATCH 64
#define DGRAM_MAX 1100

struct pending {
	struct sockaddr_in from;
	struct natpmp_request req;
	uint8_t reply[NATPMP_MAX_RESPONSE_LEN];
	size_t reply_len;
	bool needs_commit;	/* success that holds only if the kernel commits */
};

static int op_index(uint8_t op)
{
	return op <= 2 ? op : 3;
}

static void count(struct gateway *g, uint8_t op, uint16_t result)
{
	if (result <= 5)
		g->stats.requests[op_index(op)][result]++;
}

static void answer_error(struct gateway *g, struct pending *p, uint16_t result)
{
	p->reply_len = natpmp_encode_error(p->reply, sizeof(p->reply), &p->req,
					   result, gateway_epoch(g));
	count(g, p->req.opcode, result);
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
	size_t before = mapping_table_change_count(g->mappings);

	policy_limits_for(&g->policy, peer, &lim);
	mapping_table_request(g->mappings, &lim, &mr, mono_now_ms(), &r);
	p->reply_len = natpmp_encode_mapping(p->reply, sizeof(p->reply),
					     p->req.opcode, r.result, gateway_epoch(g),
					     p->req.internal_port, r.external_port,
					     r.lifetime);
	p->needs_commit = r.result == NATPMP_RESULT_SUCCESS &&
			  mapping_table_change_count(g->mappings) != before;
	if (!p->needs_commit)
		count(g, p->req.opcode, r.result);
}

/* Decides the answer for one datagram; false when it gets none. */
static bool serve(struct gateway *g, struct pending *p, const uint8_t *buf, size_t len)
{
	uint32_t src = ntohl(p->from.sin_addr.s_addr);
	uint8_t peer[32];

	switch (natpmp_decode(buf, len, &p->req)) {
	case NATPMP_VERDICT_IGNORE:
		g->stats.ignored++;
		return false;
	case NATPMP_VERDICT_BAD_VERSION:
		/* libtorrent probes with PCP first and waits 2 hours on
		 * silence: this 8-byte answer sends it to NAT-PMP now. */
		p->reply_len = natpmp_encode_bad_version(p->reply, sizeof(p->reply),
							 p->req.opcode, gateway_epoch(g));
		count(g, 3, NATPMP_RESULT_UNSUPPORTED_VERSION);
		return true;
	case NATPMP_VERDICT_BAD_OPCODE:
		p->reply_len = natpmp_encode_bad_opcode(p->reply, sizeof(p->reply), buf,
							len, gateway_epoch(g));
		count(g, 3, NATPMP_RESULT_UNSUPPORTED_OPCODE);
		return true;
	case NATPMP_VERDICT_REQUEST:
		break;
	}
	if (!wg_tracker_lookup(g->peers, src, peer) || policy_denies(&g->policy, peer)) {
		answer_error(g, p, NATPMP_RESULT_NOT_AUTHORIZED);
		return true;
	}
	if (!ratelimit_allow(g->rate, peer, mono_now_ms())) {
		g->stats.rate_limited++;
		answer_error(g, p, NATPMP_RESULT_OUT_OF_RESOURCES);
		return true;
	}
	if (p->req.opcode == NATPMP_OP_EXTERNAL_ADDRESS) {
		uint32_t be = htonl(g->external_addr);

		if (!g->external_known) {
			answer_error(g, p, NATPMP_RESULT_NETWORK_FAILURE);
			return true;
		}
		p->reply_len = natpmp_encode_external(p->reply, sizeof(p->reply),
						      NATPMP_RESULT_SUCCESS,
						      gateway_epoch(g), (uint8_t *)&be);
		count(g, 0, NATPMP_RESULT_SUCCESS);
		return true;
	}
	serve_mapping(g, p, peer, src);
	return true;
}

void gateway_natpmp_readable(struct loop_watch *w, uint32_t events)
{
	struct natpmp_socket *s = w->arg;
	struct gateway *g = s->g;
	static uint8_t bufs[BATCH][DGRAM_MAX];
	static struct pending pend[BATCH];
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec iov_in[BATCH], iov_out[BATCH];
	int n, n_out = 0;
	bool committed = true;

	(void)events;
	memset(in, 0, sizeof(in));
	for (int i = 0; i < BATCH; i++) {
		iov_in[i] = (struct iovec){ bufs[i], DGRAM_MAX };
		in[i].msg_hdr.msg_iov = &iov_in[i];
		in[i].msg_hdr.msg_iovlen = 1;
		in[i].msg_hdr.msg_name = &pend[i].from;
		in[i].msg_hdr.msg_namelen = sizeof(pend[i].from);
	}
	n = recvmmsg(w->fd, in, BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0) {
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			log_warn("natpmp: receive");
		return;
	}
	mapping_table_begin(g->mappings);
	for (int i = 0; i < n; i++) {
		pend[i].reply_len = 0;
		pend[i].needs_commit = false;
		if (!serve(g, &pend[i], bufs[i], in[i].msg_len))
			pend[i].reply_len = 0;
	}
	if (mapping_table_change_count(g->mappings))
		committed = gateway_apply(g, "deleted by client") == 0;
	else
		mapping_table_commit(g->mappings);

	memset(out, 0, sizeof(out));
	for (int i = 0; i < n; i++) {
		struct pending *p = &pend[i];

		if (!p->reply_len)
			continue;
		if (p->needs_commit) {
			if (committed)
				count(g, p->req.opcode, NATPMP_RESULT_SUCCESS);
			else
				answer_error(g, p, NATPMP_RESULT_NETWORK_FAILURE);
		}
		iov_out[n_out] = (struct iovec){ p->reply, p->reply_len };
		out[n_out].msg_hdr.msg_iov = &iov_out[n_out];
		out[n_out].msg_hdr.msg_iovlen = 1;
		out[n_out].msg_hdr.msg_name = &p->from;
		out[n_out].msg_hdr.msg_namelen = sizeof(p->from);
		n_out++;
	}
	if (n_out && sendmmsg(w->fd, out, (unsigned)n_out, MSG_DONTWAIT) < 0)
		log_warn("natpmp: send");
}

/* ---- sockets on the WireGuard addresses -------------------------------- */

static int open_socket(uint32_t addr)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(NATPMP_SERVER_PORT),
		.sin_addr.s_addr = htonl(addr),
	};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1, rcvbuf = 8 << 20;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* Bursts of thousands of clients renewing at once must not overflow
	 * the queue: FORCE (CAP_NET_ADMIN) goes past net.core.rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

/* Slots never move: epoll holds a pointer to each watch. fd -1 is free. */
static void close_socket(struct gateway *g, struct natpmp_socket *s)
{
	struct in_addr a = { htonl(s->addr) };

	loop_del(&g->loop, &s->watch);
	close(s->watch.fd);
	s->watch.fd = -1;
	g->n_socks--;
	log_info("natpmp: stopped listening on %s:%u", inet_ntoa(a), NATPMP_SERVER_PORT);
}

void gateway_close_sockets(struct gateway *g)
{
	for (size_t i = 0; i < GATEWAY_MAX_SOCKETS; i++)
		if (g->socks[i].watch.fd >= 0)
			close_socket(g, &g->socks[i]);
}

static struct natpmp_socket *socket_for(struct gateway *g, uint32_t addr)
{
	for (size_t i = 0; i < GATEWAY_MAX_SOCKETS; i++)
		if (g->socks[i].watch.fd >= 0 && g->socks[i].addr == addr)
			return &g->socks[i];
	return NULL;
}

/* One socket per IPv4 address of the WireGuard interface, and no other. */
void gateway_sync_sockets(struct gateway *g)
{
	uint32_t addrs[GATEWAY_MAX_SOCKETS];
	size_t n = 0;

	if (rtnl_ipv4_addrs(g->policy.interface, addrs, GATEWAY_MAX_SOCKETS, &n) < 0)
		n = 0;
	for (size_t i = 0; i < GATEWAY_MAX_SOCKETS; i++) {
		bool keep = false;

		if (g->socks[i].watch.fd < 0)
			continue;
		for (size_t k = 0; k < n; k++)
			keep |= addrs[k] == g->socks[i].addr;
		if (!keep)
			close_socket(g, &g->socks[i]);
	}
	for (size_t k = 0; k < n; k++) {
		struct in_addr a = { htonl(addrs[k]) };
		struct natpmp_socket *s = NULL;
		int fd;

		if (socket_for(g, addrs[k]))
			continue;
		for (size_t i = 0; i < GATEWAY_MAX_SOCKETS && !s; i++)
			if (g->socks[i].watch.fd < 0)
				s = &g->socks[i];
		if (!s)
			break;
		fd = open_socket(addrs[k]);
		if (fd < 0) {
			errno = -fd;
			log_warn("natpmp: cannot listen on %s:%u", inet_ntoa(a),
				 NATPMP_SERVER_PORT);
			continue;
		}
		s->addr = addrs[k];
		s->g = g;
		s->watch = (struct loop_watch){ fd, gateway_natpmp_readable, s };
		loop_add(&g->loop, &s->watch);
		g->n_socks++;
		log_info("natpmp: listening on %s:%u", inet_ntoa(a), NATPMP_SERVER_PORT);
	}
}

/* ---- announcements (RFC 6886 §3.2.1) ------------------------------------ */

void gateway_announce_start(struct gateway *g)
{
	g->announce_left = 10;
	g->announce_interval_ms = 250;
	timer_at(g->announce_w.fd, mono_now_ms() + 1);
}

/* Multicast reaches nobody on WireGuard: unicast to each peer's address. */
void gateway_announce_tick(struct loop_watch *w, uint32_t events)
{
	struct gateway *g = w->arg;
	const struct wg_device_info *dev = wg_tracker_device(g->peers);
	uint8_t msg[NATPMP_EXTERNAL_RESPONSE_LEN];
	uint32_t be = htonl(g->external_addr);
	size_t len;

	(void)events;
	timer_ack(w->fd);
	int fd = -1;

	for (size_t i = 0; i < GATEWAY_MAX_SOCKETS && fd < 0; i++)
		fd = g->socks[i].watch.fd;
	if (g->announce_left <= 0 || fd < 0 || !g->external_known)
		return;
	len = natpmp_encode_external(msg, sizeof(msg), NATPMP_RESULT_SUCCESS,
				     gateway_epoch(g), (uint8_t *)&be);
	for (size_t i = 0; i < dev->n_peers; i++) {
		for (size_t k = 0; k < dev->peers[i].n_ips; k++) {
			const struct wg_allowed_ip *ip = &dev->peers[i].ips[k];
			struct sockaddr_in to = { .sin_family = AF_INET,
						  .sin_port = htons(NATPMP_CLIENT_PORT) };

			if (ip->family != AF_INET || ip->cidr != 32)
				continue;
			memcpy(&to.sin_addr, ip->addr, 4);
			sendto(fd, msg, len, MSG_DONTWAIT,
			       (struct sockaddr *)&to, sizeof(to));
		}
	}
	if (--g->announce_left > 0) {
		timer_at(w->fd, mono_now_ms() + g->announce_interval_ms);
		g->announce_interval_ms *= 2;
	}
}
