/* A scripted NAT-PMP client for the namespace tests. Like real clients it
 * uses a connected UDP socket, so a reply from any other address or port is
 * never seen.
 *   pmpclient [-b ADDR] [-p PORT] GATEWAY CMD [ARGS] [-- CMD ...]
 *     op0                         external address request
 *     map udp|tcp INT SUGG LIFE   mapping request
 *     pcp                         a PCP (version 2) MAP probe
 *     raw HEX                     any bytes
 *     listen SECONDS              print announcements received on :5350
 * Each answer is printed on one line: size=N then the decoded fields. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int open_client(const char *bind_addr, int bind_port, const char *gw)
{
	struct sockaddr_in local = { .sin_family = AF_INET }, remote = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	if (fd < 0)
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

static void print_reply(const uint8_t *r, ssize_t n)
{
	printf("size=%zd", n);
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

/* RFC 6886 §3.1 retries: 250 ms, doubling, four tries here. */
static void exchange(int fd, const uint8_t *req, size_t len)
{
	uint8_t reply[1200];
	int wait = 250;

	for (int attempt = 0; attempt < 4; attempt++, wait *= 2) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (send(fd, req, len, 0) < 0) {
			printf("error=%s\n", strerror(errno));
			return;
		}
		if (poll(&pfd, 1, wait) > 0) {
			ssize_t n = recv(fd, reply, sizeof(reply), 0);

			if (n >= 0) {
				print_reply(reply, n);
				return;
			}
		}
	}
	printf("timeout\n");
	fflush(stdout);
}

static void listen_announcements(int seconds)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(5350) };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
	uint8_t buf[64];

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		printf("error=%s\n", strerror(errno));
		return;
	}
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, seconds * 1000) <= 0)
			break;
		print_reply(buf, recv(fd, buf, sizeof(buf), 0));
	}
	close(fd);
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
	} else if (!strcmp(argv[0], "listen") && argc == 2) {
		listen_announcements(atoi(argv[1]));
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

	while ((opt = getopt(argc, argv, "+b:p:")) != -1) {
		if (opt == 'b')
			bind_addr = optarg;
		else if (opt == 'p')
			bind_port = atoi(optarg);
		else
			return 2;
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: pmpclient [-b ADDR] [-p PORT] GATEWAY CMD ...\n");
		return 2;
	}
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
