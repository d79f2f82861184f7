#include "daemon/sockets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
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
	uint32_t addr;			/* host byte order */
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

static int open_socket(uint32_t addr)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(NATPMP_SERVER_PORT),
		.sin_addr.s_addr = htonl(addr),
	};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int rcvbuf = PMP_RCVBUF, one = 1;

	if (fd < 0)
		return -errno;
	/* The arrival interface of each datagram: only the tunnel speaks
	 * for a peer. Without it we could not tell, so it is required. */
	if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	/* FORCE (CAP_NET_ADMIN) goes past net.core.rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int err = errno;

		close(fd);
		return -err;
	}
	return fd;
}

static void close_slot(struct pmp_sockets *s, struct pmp_socket *slot)
{
	struct in_addr a = { htonl(slot->addr) };

	loop_del(s->loop, &slot->watch);
	close(slot->watch.fd);
	slot->watch.fd = -1;
	log_info("natpmp: stopped listening on %s:%u", inet_ntoa(a), NATPMP_SERVER_PORT);
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

static bool listed(const uint32_t *addrs, size_t n, uint32_t addr)
{
	for (size_t k = 0; k < n; k++)
		if (addrs[k] == addr)
			return true;
	return false;
}

static struct pmp_socket *slot_for(struct pmp_sockets *s, uint32_t addr)
{
	for (size_t i = 0; i < PMP_SOCKETS_MAX; i++)
		if (s->slots[i].watch.fd >= 0 && s->slots[i].addr == addr)
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
static int listen_on(struct pmp_sockets *s, uint32_t addr)
{
	struct in_addr a = { htonl(addr) };
	struct pmp_socket *slot = free_slot(s);
	int fd;

	if (!slot) {
		log_warnx("natpmp: more than %d addresses; not listening on %s",
			  PMP_SOCKETS_MAX, inet_ntoa(a));
		return -ENOSPC;
	}
	fd = open_socket(addr);
	if (fd == -EADDRINUSE) {
		log_warnx("natpmp: %s:%u is taken by another process; not listening "
			  "there (`ss -ulpn 'sport = :%u'` names it)", inet_ntoa(a),
			  NATPMP_SERVER_PORT, NATPMP_SERVER_PORT);
		return fd;
	}
	if (fd < 0) {
		errno = -fd;
		log_warn("natpmp: cannot listen on %s:%u", inet_ntoa(a), NATPMP_SERVER_PORT);
		return fd;
	}
	slot->addr = addr;
	slot->watch = (struct loop_watch){ fd, socket_readable, slot };
	if (loop_add(s->loop, &slot->watch) < 0) {
		log_warn("natpmp: event loop");
		close(fd);
		slot->watch.fd = -1;
		return -EIO;
	}
	log_info("natpmp: listening on %s:%u", inet_ntoa(a), NATPMP_SERVER_PORT);
	return 0;
}

size_t pmp_sockets_sync(struct pmp_sockets *s, const uint32_t *addrs, size_t n)
{
	size_t failed = 0;

	for (size_t i = 0; i < PMP_SOCKETS_MAX; i++)
		if (s->slots[i].watch.fd >= 0 && !listed(addrs, n, s->slots[i].addr))
			close_slot(s, &s->slots[i]);
	for (size_t k = 0; k < n; k++)
		if (!slot_for(s, addrs[k]) && listen_on(s, addrs[k]) < 0)
			failed++;
	return failed;
}

int pmp_sockets_any_fd(const struct pmp_sockets *s)
{
	for (size_t i = 0; i < PMP_SOCKETS_MAX; i++)
		if (s->slots[i].watch.fd >= 0)
			return s->slots[i].watch.fd;
	return -1;
}
