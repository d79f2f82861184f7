/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Load generator for make bench: many source addresses (one UDP socket
 * each), requests sent with sendmmsg and answers read with recvmmsg,
 * closed loop: each round every source sends its batch and waits for the
 * answers. Prints one line per phase with the rate and reply latencies.
 *   pgbench -g GW -s FIRST_SRC -n SOURCES -k PORTS_PER_SOURCE [-o PORT_OFFSET]
 *           [-l LIFETIME] [-P udp|tcp|both] [-b BATCH] [-r REPEAT] [-p] PHASE_NAME
 *                                             -p: PCP MAP requests (60 bytes)
 *                                             instead of NAT-PMP's
 *   pgbench blast -g DST -p PORT -c COUNT     UDP packets as fast as it can,
 *                                             each from a new source port, so
 *                                             each is a new flow (NAT chains
 *                                             see only a flow's first packet)
 *   pgbench sink -p PORT -t SECONDS           counts UDP packets received
 *   pgbench pace -g GW -s FIRST_SRC -n N -k K -R RATE -T SECONDS
 *                                             open loop: renewals at RATE/s,
 *                                             latency of every answer */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "benchclock.h"

#define MAXB 64

struct source {
	int fd;
	int next;		/* next request index */
	int outstanding;
};

static int blast(const char *dst_addr, int port, long count)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	/* A raw UDP socket: we write the UDP header, so every packet can come
	 * from another source port (checksum 0 is allowed for UDP on IPv4). */
	int fd = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
	uint8_t pkt[MAXB][8 + 32];
	struct mmsghdr m[MAXB];
	struct iovec iov[MAXB];
	long sent = 0;
	unsigned sport = 1024;
	double start = now_us();

	inet_pton(AF_INET, dst_addr, &dst.sin_addr);
	if (fd < 0 || connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0)
		return 1;
	memset(m, 0, sizeof(m));
	memset(pkt, 'x', sizeof(pkt));
	for (int i = 0; i < MAXB; i++) {
		iov[i] = (struct iovec){ pkt[i], sizeof(pkt[i]) };
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
		pkt[i][2] = (uint8_t)(port >> 8);
		pkt[i][3] = (uint8_t)port;
		pkt[i][4] = 0;
		pkt[i][5] = sizeof(pkt[i]);
		pkt[i][6] = pkt[i][7] = 0;
	}
	while (sent < count) {
		int r;

		for (int i = 0; i < MAXB; i++) {
			pkt[i][0] = (uint8_t)(sport >> 8);
			pkt[i][1] = (uint8_t)sport;
			sport = sport == 65535 ? 1024 : sport + 1;
		}
		r = sendmmsg(fd, m, MAXB, 0);
		if (r > 0)
			sent += r;
	}
	printf("blast sent=%ld pps=%.0f\n", sent, (double)sent / ((now_us() - start) / 1e6));
	return 0;
}

/* Counts packets from the first one for SECONDS. */
static int sink(int port, double seconds)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), rcv = 8 << 20;
	uint8_t buf[MAXB][128];
	struct mmsghdr m[MAXB];
	struct iovec iov[MAXB];
	long got = 0;
	double first = 0, last = 0;
	struct timeval tv = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0)
		return 1;
	memset(m, 0, sizeof(m));
	for (int i = 0; i < MAXB; i++) {
		iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	printf("sink ready\n");
	fflush(stdout);
	for (;;) {
		int r = recvmmsg(fd, m, MAXB, 0, NULL);

		if (r > 0) {
			if (!got)
				first = now_us();
			got += r;
			last = now_us();
		}
		if (got && now_us() - first > seconds * 1e6)
			break;
		if (r < 0 && got)
			break;	/* a second of silence: the sender is done */
	}
	printf("sink received=%ld pps=%.0f\n", got,
	       got > 1 ? (double)got / ((last - first) / 1e6) : 0.0);
	return 0;
}

static int pace(const char *gw, const char *first, int n, int k, double rate,
		double seconds)
{
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(5351) };
	double *sent = calloc((size_t)n * (size_t)k, sizeof(double));
	long total = (long)(rate * seconds), nsent = 0, nlat = 0;
	double *lat = calloc((size_t)total + 1, sizeof(double));
	int *fds = calloc((size_t)n, sizeof(int)), ep = epoll_create1(0);
	double start, next;
	struct in_addr a;
	uint32_t base;

	inet_pton(AF_INET, gw, &dst.sin_addr);
	inet_pton(AF_INET, first, &a);
	base = ntohl(a.s_addr);
	for (int i = 0; i < n; i++) {
		struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(base + (uint32_t)i) };
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };

		fds[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (bind(fds[i], (struct sockaddr *)&me, sizeof(me)) < 0 ||
		    connect(fds[i], (struct sockaddr *)&dst, sizeof(dst)) < 0)
			return 1;
		epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
	}
	start = next = now_us();
	while (nsent < total || now_us() < next + 1e6) {
		struct epoll_event evs[64];
		double t = now_us();
		int ne, wait_ms;

		while (nsent < total && t >= next) {
			int src = (int)(nsent % n), port = (int)((nsent / n) % k);
			uint8_t pkt[12] = { 0, 1, 0, 0, (uint8_t)((1000 + port) >> 8),
					    (uint8_t)(1000 + port), 0, 0, 0, 0, 0x0e, 0x10 };

			sent[src * k + port] = now_us();
			send(fds[src], pkt, sizeof(pkt), 0);
			nsent++;
			next = start + (double)nsent * 1e6 / rate;
		}
		if (nsent >= total && nlat >= total)
			break;
		/* Behind schedule the wait is 0, never negative (= forever). */
		wait_ms = nsent < total ? (int)((next - now_us()) / 1000) : 100;
		ne = epoll_wait(ep, evs, 64, wait_ms > 0 ? wait_ms : 0);
		for (int e = 0; e < ne; e++) {
			int src = (int)evs[e].data.u32;
			uint8_t buf[32];

			while (recv(fds[src], buf, sizeof(buf), 0) == 16) {
				int port = (buf[8] << 8 | buf[9]) - 1000;

				if (port >= 0 && port < k && sent[src * k + port] > 0 &&
				    nlat < total)
					lat[nlat++] = now_us() - sent[src * k + port];
			}
		}
	}
	qsort(lat, (size_t)nlat, sizeof(*lat), cmp_double);
	printf("phase=pace rate=%.0f sent=%ld answered=%ld p50_us=%.0f p99_us=%.0f max_us=%.0f\n",
	       rate, nsent, nlat, nlat ? lat[nlat / 2] : 0, nlat ? lat[nlat * 99 / 100] : 0,
	       nlat ? lat[nlat - 1] : 0);
	return 0;
}

static void put32(uint8_t *p, unsigned long v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void natpmp_map(uint8_t *pkt, int tcp, unsigned iport, unsigned long lifetime)
{
	memset(pkt, 0, 12);
	pkt[1] = tcp ? 2 : 1;
	pkt[4] = (uint8_t)(iport >> 8);
	pkt[5] = (uint8_t)iport;
	put32(pkt + 8, lifetime);
}

/* As libtorrent sends it: the source as client address, a nonce, any
 * external address. */
static void pcp_map(uint8_t *pkt, uint32_t src, int tcp, unsigned iport,
		    unsigned long lifetime)
{
	memset(pkt, 0, 60);
	pkt[0] = 2;
	pkt[1] = 1;
	put32(pkt + 4, lifetime);
	pkt[18] = pkt[19] = 0xff;
	put32(pkt + 20, src);
	put32(pkt + 24, src ^ iport);			/* nonce */
	pkt[36] = tcp ? 6 : 17;
	pkt[40] = (uint8_t)(iport >> 8);
	pkt[41] = (uint8_t)iport;
	pkt[54] = pkt[55] = 0xff;
}

int main(int argc, char **argv)
{
	const char *gw = NULL, *first = NULL, *protos = "udp";
	int n = 1, k = 1, offset = 1000, batch = 1, opt, ep, pcp = 0;
	unsigned long lifetime = 3600;
	struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(5351) };
	struct source *src;
	double *lat, start, end;
	long total, done = 0, ok = 0, errors = 0, lost = 0, nlat = 0;
	uint32_t base;
	int repeat = 1, port = 0;
	long count = 0;
	double seconds = 5;

	if (argc > 1 && !strcmp(argv[1], "pace")) {
		double rate = 5000;

		optind = 2;
		while ((opt = getopt(argc, argv, "g:s:n:k:R:T:")) != -1) {
			if (opt == 'g') gw = optarg;
			else if (opt == 's') first = optarg;
			else if (opt == 'n') n = atoi(optarg);
			else if (opt == 'k') k = atoi(optarg);
			else if (opt == 'R') rate = atof(optarg);
			else if (opt == 'T') seconds = atof(optarg);
		}
		return pace(gw, first, n, k, rate, seconds);
	}
	if (argc > 1 && (!strcmp(argv[1], "blast") || !strcmp(argv[1], "sink"))) {
		const char *mode = argv[1];

		optind = 2;
		while ((opt = getopt(argc, argv, "g:p:c:t:")) != -1) {
			if (opt == 'g') gw = optarg;
			else if (opt == 'p') port = atoi(optarg);
			else if (opt == 'c') count = atol(optarg);
			else if (opt == 't') seconds = atof(optarg);
		}
		return !strcmp(mode, "blast") ? blast(gw, port, count) : sink(port, seconds);
	}
	while ((opt = getopt(argc, argv, "g:s:n:k:o:l:P:b:r:p")) != -1) {
		switch (opt) {
		case 'p': pcp = 1; break;
		case 'g': gw = optarg; break;
		case 's': first = optarg; break;
		case 'n': n = atoi(optarg); break;
		case 'k': k = atoi(optarg); break;
		case 'o': offset = atoi(optarg); break;
		case 'l': lifetime = strtoul(optarg, NULL, 10); break;
		case 'P': protos = optarg; break;
		case 'b': batch = atoi(optarg); break;
		case 'r': repeat = atoi(optarg); break;
		default: return 2;
		}
	}
	if (!gw || !first || optind >= argc || batch < 1 || batch > MAXB || k > 1000) {
		fprintf(stderr, "usage: pgbench -g GW -s FIRST_SRC -n N -k K ... PHASE\n");
		return 2;
	}
	inet_pton(AF_INET, gw, &dst.sin_addr);
	{
		struct in_addr a;

		inet_pton(AF_INET, first, &a);
		base = ntohl(a.s_addr);
	}
	/* Each request: (source, internal port, protocol). */
	int per_source = k * (strcmp(protos, "both") ? 1 : 2);

	total = (long)n * per_source * repeat;
	src = calloc((size_t)n, sizeof(*src));
	lat = calloc((size_t)total, sizeof(*lat));
	ep = epoll_create1(0);
	for (int i = 0; i < n; i++) {
		struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(base + (uint32_t)i) };
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
		int rcv = 1 << 20;

		src[i].fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		setsockopt(src[i].fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
		if (src[i].fd < 0 || bind(src[i].fd, (struct sockaddr *)&me, sizeof(me)) < 0 ||
		    connect(src[i].fd, (struct sockaddr *)&dst, sizeof(dst)) < 0) {
			perror("pgbench: socket");
			return 1;
		}
		epoll_ctl(ep, EPOLL_CTL_ADD, src[i].fd, &ev);
	}
	start = now_us();
	while (done < total) {
		long round_expect = 0;
		double round_start = now_us();

		/* Every source sends its next batch. */
		for (int i = 0; i < n; i++) {
			uint8_t pkt[MAXB][60];
			struct mmsghdr m[MAXB];
			struct iovec iov[MAXB];
			int c = 0;

			memset(m, 0, sizeof(m));
			while (c < batch && src[i].next < per_source * repeat) {
				int r = src[i].next++ % per_source;
				unsigned iport = (unsigned)(offset + (r % k));
				int tcp = !strcmp(protos, "tcp") || (!strcmp(protos, "both") && r >= k);

				if (pcp)
					pcp_map(pkt[c], base + (uint32_t)i, tcp, iport, lifetime);
				else
					natpmp_map(pkt[c], tcp, iport, lifetime);
				iov[c] = (struct iovec){ pkt[c], pcp ? 60 : 12 };
				m[c].msg_hdr.msg_iov = &iov[c];
				m[c].msg_hdr.msg_iovlen = 1;
				c++;
			}
			if (c && sendmmsg(src[i].fd, m, (unsigned)c, 0) == c) {
				src[i].outstanding = c;
				round_expect += c;
			} else {
				src[i].outstanding = 0;
			}
		}
		/* Collect the answers of this round, one second at most. */
		while (round_expect > 0) {
			struct epoll_event evs[256];
			double left = 1e6 - (now_us() - round_start);
			int ne;

			if (left <= 0)
				break;
			ne = epoll_wait(ep, evs, 256, (int)(left / 1000) + 1);
			for (int e = 0; e < ne; e++) {
				struct source *s = &src[evs[e].data.u32];
				uint8_t buf[MAXB][64];
				struct mmsghdr m[MAXB];
				struct iovec iov[MAXB];
				int got;

				memset(m, 0, sizeof(m));
				for (int c = 0; c < MAXB; c++) {
					iov[c] = (struct iovec){ buf[c], 64 };
					m[c].msg_hdr.msg_iov = &iov[c];
					m[c].msg_hdr.msg_iovlen = 1;
				}
				got = recvmmsg(s->fd, m, MAXB, MSG_DONTWAIT, NULL);
				for (int c = 0; c < got; c++) {
					double t = now_us() - round_start;

					if (m[c].msg_len == (pcp ? 60u : 16u) && buf[c][3] == 0)
						ok++;
					else
						errors++;
					lat[nlat++] = t;
					round_expect--;
					s->outstanding--;
				}
			}
		}
		lost += round_expect;
		done = 0;
		for (int i = 0; i < n; i++)
			done += src[i].next;
	}
	end = now_us();
	qsort(lat, (size_t)nlat, sizeof(*lat), cmp_double);
	printf("phase=%s requests=%ld ok=%ld errors=%ld lost=%ld seconds=%.3f rate=%.0f "
	       "p50_us=%.0f p99_us=%.0f\n", argv[optind], total, ok, errors, lost,
	       (end - start) / 1e6, (double)nlat / ((end - start) / 1e6),
	       nlat ? lat[nlat / 2] : 0, nlat ? lat[nlat * 99 / 100] : 0);
	return 0;
}
