/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/sockets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "natpmp/codec.h"
#include "util/log.h"
#include "util/loop.h"

/* Bursts of thousands of clients renewing at once must not overflow the
 * receive queue. */
#define PMP_RCVBUF (8 << 20)

struct pmp_socket {
	struct loop_watch watch;	/* fd -1: a free slot */
	struct ip_addr addr;
	struct pmp_sockets *owner;
};

struct pmp_sockets {
	struct loop *loop;
	void (*readable)(void *arg, int fd);
	void *arg;
	/* Slots never move: epoll holds a pointer to each watch. */
	struct pmp_socket slots[PMP_SOCKETS_MAX];
};

static void socket_readable(struct loop_watch *w, uint32_t events)
{
	struct pmp_socket *s = w->arg;

	(void)events;
	s->owner->readable(s->owner->arg, w->fd);
}

struct pmp_sockets *pmp_sockets_open(struct loop *loop,
				      void (*readable)(void *arg, int fd), void *arg)
{
	struct pmp_sockets *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->loop = loop;
	s->readable = readable;
	s->arg = arg;
	for (size_t i = 0; i < PMP_SOCKETS_MAX; i++) {
		s->slots[i].watch.fd = -1;
		s->slots[i].owner = s;
	}
	return s;
}

static int open_socket(const struct ip_addr *addr)
{
	struct sockaddr_storage ss;
	socklen_t sslen = ip_addr_to_sockaddr(addr, NATPMP_SERVER_PORT, &ss);
	bool v6 = ss.ss_family == AF_INET6;
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rcvbuf = PMP_RCVBUF, one = 1;

	if (fd < 0)
		return -errno;
	/* The arrival interface of each datagram: only the tunnel speaks
	 * for a peer. Without it we could not tell, so it is required. */
	if ((v6 ? setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0 ||
		  setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one))
		: setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one))) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	/* FORCE (CAP_NET_ADMIN) goes past net.core.rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&ss, sslen) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

static void close_slot(struct pmp_sockets *s, struct pmp_socket *slot)
{
	char a[IP_ADDR_TEXT_LEN];

	loop_del(s->loop, &slot->watch);
	close(slot->watch.fd);
	slot->watch.fd = -1;
	log_info("natpmp: stopped listening on %s port %u", ip_addr_text(&slot->addr, a),
		 NATPMP_SERVER_PORT);
}

void pmp_sockets_close(struct pmp_sockets *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < PMP_SOCKETS_MAX; i++)
		if (s->slots[i].watch.fd >= 0)
			close_slot(s, &s->slots[i]);
	free(s);
}

static bool listed(const struct ip_addr *addrs, size_t n, const struct ip_addr *addr)
{
	for (size_t k = 0; k < n; k++)
		if (ip_addr_equal(&addrs[k], addr))
			return true;
	return false;
}

static struct pmp_socket *slot_for(struct pmp_sockets *s, const struct ip_addr *addr)
{
	for (size_t i = 0; i < PMP_SOCKETS_MAX; i++)
		if (s->slots[i].watch.fd >= 0 && ip_addr_equal(&s->slots[i].addr, addr))
			return &s->slots[i];
	return NULL;
}

static struct pmp_socket *free_slot(struct pmp_sockets *s)
{
	for (size_t i = 0; i < PMP_SOCKETS_MAX; i++)
		if (s->slots[i].watch.fd < 0)
			return &s->slots[i];
	return NULL;
}

/* 0, or -errno with the reason logged. */
static int listen_on(struct pmp_sockets *s, const struct ip_addr *addr)
{
	char a[IP_ADDR_TEXT_LEN];
	struct pmp_socket *slot = free_slot(s);
	int fd;

	ip_addr_text(addr, a);
	if (!slot) {
		log_warnx("natpmp: more than %d addresses; not listening on %s",
			  PMP_SOCKETS_MAX, a);
		return -ENOSPC;
	}
	fd = open_socket(addr);
	if (fd == -EADDRINUSE) {
		log_warnx("natpmp: %s port %u is taken by another process; not listening "
			  "there (`ss -ulpn 'sport = :%u'` names it)", a,
			  NATPMP_SERVER_PORT, NATPMP_SERVER_PORT);
		return fd;
	}
	if (fd < 0) {
		errno = -fd;
		log_warn("natpmp: cannot listen on %s port %u", a, NATPMP_SERVER_PORT);
		return fd;
	}
	slot->addr = *addr;
	slot->watch = (struct loop_watch){ fd, socket_readable, slot };
	if (loop_add(s->loop, &slot->watch) < 0) {
		log_warn("natpmp: event loop");
		close(fd);
		slot->watch.fd = -1;
		return -EIO;
	}
	log_info("natpmp: listening on %s port %u", a, NATPMP_SERVER_PORT);
	return 0;
}

size_t pmp_sockets_sync(struct pmp_sockets *s, enum ip_family fam,
			const struct ip_addr *addrs, size_t n)
{
	struct ip_addr want[PMP_SOCKETS_MAX];
	size_t failed = 0, m = 0;

	for (size_t k = 0; k < n && m < PMP_SOCKETS_MAX; k++)
		if (ip_addr_family(&addrs[k]) == fam)
			want[m++] = addrs[k];
	for (size_t i = 0; i < PMP_SOCKETS_MAX; i++)
		if (s->slots[i].watch.fd >= 0 && ip_addr_family(&s->slots[i].addr) == fam &&
		    !listed(want, m, &s->slots[i].addr))
			close_slot(s, &s->slots[i]);
	for (size_t k = 0; k < m; k++)
		if (!slot_for(s, &want[k]) && listen_on(s, &want[k]) < 0)
			failed++;
	return failed;
}

int pmp_sockets_any_fd(const struct pmp_sockets *s, enum ip_family fam)
{
	for (size_t i = 0; i < PMP_SOCKETS_MAX; i++)
		if (s->slots[i].watch.fd >= 0 && ip_addr_family(&s->slots[i].addr) == fam)
			return s->slots[i].watch.fd;
	return -1;
}
