/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A scripted NAT-PMP client for the namespace tests. Like real clients it
 * uses a connected UDP socket, so a reply from any other address or port is
 * never seen.
 *   pmpclient [-b ADDR] [-p PORT] GATEWAY CMD [ARGS] [-- CMD ...]
 *     op0                         external address request
 *     map udp|tcp INT SUGG LIFE   mapping request
 *     pcp                         a PCP (version 2) MAP probe, all zeros
 *     pcpmap udp|tcp INT SUGG LIFE [prefer]
 *                                 a PCP MAP from this socket's address, a new
 *                                 random nonce each time (as Tailscale);
 *                                 prefer adds PREFER_FAILURE
 *     announce                    a PCP ANNOUNCE
 *     raw HEX                     any bytes
 *     listen SECONDS              print announcements received on :5350
 *     sweep [pcp]                 every length 0..1100 for several headers;
 *                                 checks which get an answer, of which size
 *                                 (pcp: the gateway serves PCP)
 *     flood N                     N datagrams of junk, no waiting
 * Each answer is printed on one line: size=N then the decoded fields. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A gateway written with a colon is IPv6 (PCP only). */
static int open_client6(const char *bind_addr, int bind_port, const char *gw)
{
	struct sockaddr_in6 local = { .sin6_family = AF_INET6 }, remote = { .sin6_family = AF_INET6 };
	int fd = socket(AF_INET6, SOCK_DGRAM, 0);

	if (fd < 0)
		return -1;
	local.sin6_port = htons((uint16_t)bind_port);
	if (bind_addr && inet_pton(AF_INET6, bind_addr, &local.sin6_addr) != 1)
		return -1;
	if ((bind_addr || bind_port) && bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0)
		return -1;
	remote.sin6_port = htons(5351);
	if (inet_pton(AF_INET6, gw, &remote.sin6_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&remote, sizeof(remote)) < 0)
		return -1;
	return fd;
}

static int open_client(const char *bind_addr, int bind_port, const char *gw)
{
	struct sockaddr_in local = { .sin_family = AF_INET }, remote = { .sin_family = AF_INET };
	int fd;

	if (strchr(gw, ':'))
		return open_client6(bind_addr, bind_port, gw);
	if ((fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		return -1;
	local.sin_port = htons((uint16_t)bind_port);
	if (bind_addr && inet_pton(AF_INET, bind_addr, &local.sin_addr) != 1)
		return -1;
	if ((bind_addr || bind_port) && bind(fd, (struct sockaddr *)&local, sizeof(local)) < 0)
		return -1;
	remote.sin_port = htons(5351);
	if (inet_pton(AF_INET, gw, &remote.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&remote, sizeof(remote)) < 0)
		return -1;
	return fd;
}

static unsigned get16(const uint8_t *p) { return (unsigned)p[0] << 8 | p[1]; }
static unsigned long get32(const uint8_t *p)
{
	return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/* The nonce of the last PCP MAP sent, to check the answer echoes it. */
static uint8_t last_nonce[12];

static void print_pcp(const uint8_t *r, ssize_t n)
{
	printf(" version=2 op=%u result=%u lifetime=%lu epoch=%lu", r[1], r[3], get32(r + 4),
	       get32(r + 8));
	if (n >= 60 && r[1] == 129) {
		char a[INET6_ADDRSTRLEN];

		if (memcmp(r + 44, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12))
			inet_ntop(AF_INET6, r + 44, a, sizeof(a));
		else
			inet_ntop(AF_INET, r + 56, a, sizeof(a));
		printf(" internal=%u external=%u extaddr=%s nonce=%s", get16(r + 40),
		       get16(r + 42), a, memcmp(r + 24, last_nonce, 12) ? "other" : "echoed");
	}
}

static void print_reply(const uint8_t *r, ssize_t n, long rtt_us)
{
	printf("size=%zd rtt_us=%ld", n, rtt_us);
	if (n >= 24 && r[0] == 2) {
		print_pcp(r, n);
		printf("\n");
		fflush(stdout);
		return;
	}
	if (n >= 4)
		printf(" version=%u op=%u result=%u", r[0], r[1], get16(r + 2));
	if (n >= 8)
		printf(" epoch=%lu", get32(r + 4));
	if (n == 12 && r[1] == 128)
		printf(" addr=%u.%u.%u.%u", r[8], r[9], r[10], r[11]);
	if (n == 16)
		printf(" internal=%u external=%u lifetime=%lu", get16(r + 8), get16(r + 10),
		       get32(r + 12));
	printf("\n");
	fflush(stdout);
}

/* -s: send each request once and do not wait (a spoofer hears nothing). */
static bool send_only;

/* RFC 6886 §3.1 retries: 250 ms, doubling, four tries here. */
static void exchange(int fd, const uint8_t *req, size_t len)
{
	uint8_t reply[1200];
	int wait = 250;
	long start = now_us();

	if (send_only) {
		printf(send(fd, req, len, 0) < 0 ? "error=%s\n" : "sent\n", strerror(errno));
		fflush(stdout);
		return;
	}
	for (int attempt = 0; attempt < 4; attempt++, wait *= 2) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (send(fd, req, len, 0) < 0) {
			printf("error=%s\n", strerror(errno));
			return;
		}
		if (poll(&pfd, 1, wait) > 0) {
			ssize_t n = recv(fd, reply, sizeof(reply), 0);

			if (n >= 0) {
				print_reply(reply, n, now_us() - start);
				return;
			}
		}
	}
	printf("timeout\n");
	fflush(stdout);
}

/* On :5350 of the gateway's family (IPv6: [::]:5350). */
static void listen_announcements(int seconds, int family)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(5350) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(5350) };
	int fd = socket(family, SOCK_DGRAM, 0), one = 1;
	uint8_t buf[64];

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || (family == AF_INET6 ? bind(fd, (struct sockaddr *)&sin6, sizeof(sin6))
					  : bind(fd, (struct sockaddr *)&sin, sizeof(sin))) < 0) {
		printf("error=%s\n", strerror(errno));
		return;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, seconds * 1000) <= 0)
			break;
		print_reply(buf, recv(fd, buf, sizeof(buf), 0), 0);
	}
	close(fd);
}

/* The answer size design.md §2 promises for a datagram, 0 for silence;
 * with PCP served, RFC 6887's: an error echoes the request (at least a
 * header), another version gets the header alone. */
static ssize_t expected_size(uint8_t version, uint8_t op, size_t len, bool pcp)
{
	if (len < 2 || op >= 128)
		return 0;
	if (version != 0 && pcp)
		return version != 2 || len < 24 ? 24 : (ssize_t)len;
	if (version != 0)
		return 8;
	if (op == 0)
		return 12;
	if (op <= 2)
		return len < 12 ? 0 : 16;
	return 16;
}

static int sweep(int fd, bool pcp)
{
	static const uint8_t heads[][2] = { {0, 0}, {0, 1}, {0, 2}, {0, 3}, {0, 127},
					    {0, 130}, {2, 1}, {1, 0}, {2, 129} };
	uint8_t pkt[1100], reply[1200];
	unsigned sent = 0, answered = 0;

	memset(pkt, 0, sizeof(pkt));
	for (size_t len = 0; len <= sizeof(pkt); len++) {
		for (size_t h = 0; h < sizeof(heads) / sizeof(heads[0]); h++) {
			ssize_t want = expected_size(heads[h][0], heads[h][1], len, pcp), n;
			struct pollfd pfd = { .fd = fd, .events = POLLIN };

			if (len > 0)
				pkt[0] = heads[h][0];
			if (len > 1)
				pkt[1] = heads[h][1];
			if (send(fd, pkt, len, 0) < 0)
				return printf("sweep error=%s\n", strerror(errno)), 1;
			sent++;
			if (!want)
				continue;
			if (poll(&pfd, 1, 1000) <= 0)
				return printf("sweep no answer len=%zu version=%u op=%u\n", len,
					      heads[h][0], heads[h][1]), 1;
			n = recv(fd, reply, sizeof(reply), 0);
			if (n != want || reply[1] != (heads[h][1] | 128))
				return printf("sweep wrong answer len=%zu version=%u op=%u: "
					      "size %zd op %u\n", len, heads[h][0], heads[h][1],
					      n, reply[1]), 1;
			answered++;
		}
	}
	/* Anything answered that should not have been arrives before this. */
	pkt[0] = 0;
	pkt[1] = 0;
	send(fd, pkt, 2, 0);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pfd, 1, 1000) <= 0)
			return printf("sweep no answer to the final op 0\n"), 1;
		n = recv(fd, reply, sizeof(reply), 0);
		if (n == 12 && reply[1] == 128)
			break;
		return printf("sweep unexpected answer of size %zd op %u\n", n, reply[1]), 1;
	}
	printf("sweep ok sent=%u answered=%u\n", sent, answered);
	return 0;
}

static void flood(int fd, long n)
{
	uint8_t pkt[64];
	unsigned seed = 12345;

	for (long i = 0; i < n; i++) {
		size_t len = (size_t)(rand_r(&seed) % 64);

		for (size_t k = 0; k < len; k++)
			pkt[k] = (uint8_t)rand_r(&seed);
		send(fd, pkt, len, MSG_DONTWAIT);
	}
	printf("flood sent=%ld\n", n);
}

/* UDP datagrams to ADDR:PORT, each from a new socket (a new source port,
 * so a new conntrack entry): a flow flood on a forwarded port. */
static void udp_flows(const char *addr, int port, long n)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	long sent = 0;

	inet_pton(AF_INET, addr, &to.sin_addr);
	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM, 0);

		if (fd < 0)
			break;
		sent += sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)) == 1;
		close(fd);
	}
	printf("flows sent=%ld\n", sent);
}

static void put32(uint8_t *p, unsigned long v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

/* The PCP request header, with this socket's own address as the client's. */
static size_t pcp_header(int fd, uint8_t *req, uint8_t op, unsigned long lifetime)
{
	struct sockaddr_in6 me;
	socklen_t sl = sizeof(me);

	memset(req, 0, 24);
	req[0] = 2;
	req[1] = op;
	put32(req + 4, lifetime);
	req[18] = req[19] = 0xff;
	if (getsockname(fd, (struct sockaddr *)&me, &sl) == 0) {
		if (me.sin6_family == AF_INET6)
			memcpy(req + 8, &me.sin6_addr, 16);
		else
			memcpy(req + 20, &((struct sockaddr_in *)&me)->sin_addr, 4);
	}
	return 24;
}

static size_t pcp_map(int fd, uint8_t *req, int argc, char **argv)
{
	unsigned in = (unsigned)atoi(argv[2]), sug = (unsigned)atoi(argv[3]);
	size_t len = pcp_header(fd, req, 1, strtoul(argv[4], NULL, 10));

	for (int i = 0; i < 12; i++)
		last_nonce[i] = (uint8_t)rand();
	memcpy(req + 24, last_nonce, 12);
	memset(req + 36, 0, 24);
	req[36] = !strcmp(argv[1], "tcp") ? 6 : 17;
	req[40] = (uint8_t)(in >> 8); req[41] = (uint8_t)in;
	req[42] = (uint8_t)(sug >> 8); req[43] = (uint8_t)sug;
	req[54] = req[55] = 0xff;		/* ::ffff:0.0.0.0, any address */
	len += 36;
	/* Options: "prefer" (PREFER_FAILURE), "third=ADDR" (THIRD_PARTY). */
	for (int i = 5; i < argc; i++) {
		memset(req + len, 0, 4);
		if (!strcmp(argv[i], "prefer")) {
			req[len] = 2;
			len += 4;
		} else if (!strncmp(argv[i], "third=", 6)) {
			req[len] = 1;
			req[len + 3] = 16;
			memset(req + len + 4, 0, 16);
			if (inet_pton(AF_INET, argv[i] + 6, req + len + 16) == 1)
				req[len + 14] = req[len + 15] = 0xff;
			else if (inet_pton(AF_INET6, argv[i] + 6, req + len + 4) != 1)
				return 0;
			len += 20;
		} else {
			return 0;
		}
	}
	return len;
}

static int run(int fd, int argc, char **argv)
{
	uint8_t req[1200];
	size_t len = 0;

	if (!strcmp(argv[0], "op0")) {
		req[0] = 0;
		req[1] = 0;
		len = 2;
	} else if (!strcmp(argv[0], "map") && argc == 5) {
		unsigned in = (unsigned)atoi(argv[2]), sug = (unsigned)atoi(argv[3]);
		unsigned long life = strtoul(argv[4], NULL, 10);

		memset(req, 0, 12);
		req[1] = !strcmp(argv[1], "tcp") ? 2 : 1;
		req[4] = (uint8_t)(in >> 8); req[5] = (uint8_t)in;
		req[6] = (uint8_t)(sug >> 8); req[7] = (uint8_t)sug;
		req[8] = (uint8_t)(life >> 24); req[9] = (uint8_t)(life >> 16);
		req[10] = (uint8_t)(life >> 8); req[11] = (uint8_t)life;
		len = 12;
	} else if (!strcmp(argv[0], "pcp")) {
		/* PCP MAP request header as libtorrent sends it first. */
		memset(req, 0, 60);
		req[0] = 2;
		req[1] = 1;
		req[7] = 60;
		len = 60;
	} else if (!strcmp(argv[0], "raw") && argc == 2) {
		for (const char *h = argv[1]; h[0] && h[1] && len < sizeof(req); h += 2) {
			unsigned b;

			sscanf(h, "%2x", &b);
			req[len++] = (uint8_t)b;
		}
	} else if (!strcmp(argv[0], "pcpmap") && argc >= 5 && argc <= 7) {
		len = pcp_map(fd, req, argc, argv);
		if (!len) {
			fprintf(stderr, "pmpclient: bad pcpmap option\n");
			return 2;
		}
	} else if (!strcmp(argv[0], "announce")) {
		len = pcp_header(fd, req, 0, 0);
	} else if (!strcmp(argv[0], "sweep")) {
		return sweep(fd, argc == 2 && !strcmp(argv[1], "pcp"));
	} else if (!strcmp(argv[0], "flows") && argc == 4) {
		udp_flows(argv[1], atoi(argv[2]), atol(argv[3]));
		return 0;
	} else if (!strcmp(argv[0], "flood") && argc == 2) {
		flood(fd, atol(argv[1]));
		return 0;
	} else if (!strcmp(argv[0], "listen") && argc == 2) {
		struct sockaddr_storage me;
		socklen_t sl = sizeof(me);

		getsockname(fd, (struct sockaddr *)&me, &sl);
		listen_announcements(atoi(argv[1]), me.ss_family);
		return 0;
	} else {
		fprintf(stderr, "pmpclient: bad command %s\n", argv[0]);
		return 2;
	}
	exchange(fd, req, len);
	return 0;
}

int main(int argc, char **argv)
{
	const char *bind_addr = NULL;
	int opt, bind_port = 0, fd;

	while ((opt = getopt(argc, argv, "+b:p:s")) != -1) {
		if (opt == 's')
			send_only = true;
		else if (opt == 'b')
			bind_addr = optarg;
		else if (opt == 'p')
			bind_port = atoi(optarg);
		else
			return 2;
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: pmpclient [-s] [-b ADDR] [-p PORT] GATEWAY CMD ...\n");
		return 2;
	}
	srand((unsigned)now_us());
	fd = open_client(bind_addr, bind_port, argv[optind]);
	if (fd < 0) {
		perror("pmpclient");
		return 1;
	}
	for (int i = optind + 1; i < argc;) {
		int j = i, ret;

		while (j < argc && strcmp(argv[j], "--"))
			j++;
		ret = run(fd, j - i, argv + i);
		if (ret)
			return ret;
		i = j + 1;
	}
	close(fd);
	return 0;
}
