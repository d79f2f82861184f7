/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The announcement schedule (announcer_*, which knows nothing of what it
 * sends), and the gateway's announcements: NAT-PMP's op 0 answer and PCP's
 * ANNOUNCE, unicast to every peer. */
#include "daemon/announce.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/core.h"
#include "daemon/request.h"
#include "daemon/sockets.h"
#include "daemon/wgwatch.h"
#include "natpmp/codec.h"
#include "natpmp/pcp.h"
#include "util/loop.h"

struct announcer {
	struct loop *loop;
	struct loop_watch timer;
	size_t (*send)(void *arg, size_t from);
	void *arg;
	int left;
	int64_t interval_ms;
	size_t next;	/* the round under way continues here; 0: none */
};

static void tick(struct loop_watch *w, uint32_t events)
{
	struct announcer *a = w->arg;

	(void)events;
	timer_ack(w->fd);
	if (a->left <= 0)
		return;
	/* A round goes out a slice at a time, ANNOUNCE_SLICE_GAP_MS apart,
	 * so that requests are answered in between however many peers there
	 * are (at 20,000 peers a round sent at once held the loop for most
	 * of a second). */
	a->next = a->send(a->arg, a->next);
	if (a->next) {
		timer_at(w->fd, mono_now_ms() + ANNOUNCE_SLICE_GAP_MS);
		return;
	}
	if (--a->left > 0) {
		timer_at(w->fd, mono_now_ms() + a->interval_ms);
		a->interval_ms *= 2;
	}
}

struct announcer *announcer_open(struct loop *loop, size_t (*send)(void *arg, size_t from),
				  void *arg)
{
	struct announcer *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->loop = loop;
	a->send = send;
	a->arg = arg;
	if (loop_timer_open(loop, &a->timer, tick, a) < 0) {
		free(a);
		return NULL;
	}
	return a;
}

void announcer_close(struct announcer *a)
{
	if (!a)
		return;
	loop_watch_close(a->loop, &a->timer);
	free(a);
}

void announcer_start(struct announcer *a)
{
	a->left = ANNOUNCE_COUNT;
	a->interval_ms = ANNOUNCE_FIRST_INTERVAL_MS;
	a->next = 0;
	timer_at(a->timer.fd, mono_now_ms());
}

/* ---- what the gateway announces, and to whom ---------------------------- */

/* Sends msg from fd to port 5350 of the host addresses of the family (an
 * allowed-ip of /32 or /128) of peers [from, end). */
static void send_to_peers(const struct wg_device_info *dev, size_t from, size_t end,
			  int fd, int family, const void *msg, size_t len)
{
	size_t alen = family == AF_INET ? 4 : 16;

	for (size_t i = from; fd >= 0 && len && i < end; i++) {
		for (size_t k = 0; k < dev->peers[i].n_ips; k++) {
			const struct wg_allowed_ip *ip = &dev->peers[i].ips[k];
			struct ip_addr host = wg_allowed_ip_addr(ip);
			struct sockaddr_storage to;
			socklen_t tolen;

			if (ip->family != family || ip->cidr != alen * 8)
				continue;
			tolen = ip_addr_to_sockaddr(&host, NATPMP_CLIENT_PORT, &to);
			sendto(fd, msg, len, MSG_DONTWAIT, (struct sockaddr *)&to, tolen);
		}
	}
}

/* Multicast reaches nobody on WireGuard: unicast to each peer's address.
 * RFC 6887 §14.1.3: PCP clients learn of a new epoch or address from an
 * unsolicited ANNOUNCE on the same port, on IPv6 too. */
size_t gateway_announce(void *arg, size_t from)
{
	struct gateway *g = arg;
	const struct wg_device_info *dev = wg_tracker_device(wg_watch_tracker(g->wg));
	uint8_t msg[NATPMP_EXTERNAL_RESPONSE_LEN], pcp[PCP_HEADER_LEN];
	size_t alen;
	const uint8_t *told = ip_addr_bytes(&g->external[IP_V4].told, &alen);
	size_t pcp_len = g->policy.pcp ? pcp_encode_announce(pcp, sizeof(pcp), gateway_epoch(g)) : 0;
	size_t to = from + ANNOUNCE_SLICE < dev->n_peers ? from + ANNOUNCE_SLICE : dev->n_peers;
	size_t len;

	/* The peers may have been read again since the round began: the
	 * round goes on by position. */
	if (from >= dev->n_peers)
		return 0;
	if (g->policy.ipv6_mode != POLICY_IPV6_OFF)
		send_to_peers(dev, from, to, pmp_sockets_any_fd(g->sockets, IP_V6), AF_INET6,
			      pcp, pcp_len);
	if (g->external[IP_V4].known) {
		len = natpmp_encode_external(msg, sizeof(msg), NATPMP_RESULT_SUCCESS,
					     gateway_epoch(g), told);
		send_to_peers(dev, from, to, pmp_sockets_any_fd(g->sockets, IP_V4), AF_INET, msg, len);
		send_to_peers(dev, from, to, pmp_sockets_any_fd(g->sockets, IP_V4), AF_INET, pcp, pcp_len);
	}
	return to < dev->n_peers ? to : 0;
}
