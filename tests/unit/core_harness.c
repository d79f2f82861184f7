/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core_harness.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/core.h"
#include "daemon/commands.h"
#include "daemon/ctqueue.h"
#include "daemon/ownaddrs.h"
#include "daemon/policy.h"
#include "fake_nft.h"
#include "util/addrclass.h"

/* Two peers, as userspace WireGuard lists them, then the test's own. */
static const char uapi_peers[] =
	"listen_port=51820\n"
	"public_key=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
	"allowed_ip=127.0.0.2/32\n"
	"public_key=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n"
	"allowed_ip=127.0.0.3/32\n";

/* Answers every UAPI get with the file's content, read afresh each time:
 * a test adds a peer by rewriting it. */
static void serve_uapi(int listener, const char *path)
{
	for (;;) {
		char req[64], reply[8192];
		int fd = accept(listener, NULL, NULL);
		FILE *f;
		size_t n = 0;

		if (fd < 0)
			_exit(0);
		if ((f = fopen(path, "r"))) {
			n = fread(reply, 1, sizeof(reply), f);
			fclose(f);
		}
		if (read(fd, req, sizeof(req)) > 0 && write(fd, reply, n) < 0)
			_exit(1);
		close(fd);
	}
}

static void write_peers(struct harness *h, const char *extra_peers)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/uapi.reply", h->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s%serrno=0\n\n", uapi_peers, extra_peers);
	fclose(f);
}

void harness_set_peers(struct harness *h, const char *extra_peers)
{
	write_peers(h, extra_peers);
}

static int start_uapi(struct harness *h, const char *extra_peers)
{
	char reply[128];

	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	pid_t pid, parent;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/uapi.sock", h->dir);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 8), 0);
	write_peers(h, extra_peers);
	snprintf(reply, sizeof(reply), "%s/uapi.reply", h->dir);
	parent = getpid();
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* A failed assertion skips the teardown that kills us: die
		 * with the test, or an orphan in accept() holds the test's
		 * output pipe open and whoever reads it (make | tee) waits
		 * for ever. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
			_exit(1);
		serve_uapi(fd, reply);
	}
	close(fd);
	return pid;
}

static int udp_socket(const char *addr, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, addr, &sin.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

void harness_up(struct harness *h, const char *extra_yaml, const char *extra_peers)
{
	static const char *client_addrs[3] = { PEER_A_ADDR, PEER_B_ADDR, STRANGER_ADDR };
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	struct policy p;
	char text[2048], err[512];
	int one = 1;

	memset(h, 0, sizeof(*h));
	fake_nft_reset();
	snprintf(h->dir, sizeof(h->dir), "/tmp/pgunit.XXXXXX");
	assert_non_null(mkdtemp(h->dir));
	h->uapi_pid = start_uapi(h, extra_peers);
	snprintf(text, sizeof(text),
		 "interface: pgunit0\n"
		 "uapi_socket: %s/uapi.sock\n"
		 "%s"
		 "ports: { range: 20000-29999 }\n"
		 "lifetime: { min: 2, max: 3600 }\n"
		 "limits: { per_peer: 4, rate: 100 }\n"
		 "control: { socket: %s/control.sock }\n"
		 "state_dir: %s/state\n"
		 "%s",
		 h->dir,
		 /* A test that gives its own external block. */
		 strncmp(extra_yaml, "external:", 9) ? "external: { address: 192.0.2.1 }\n" : "",
		 h->dir, h->dir, extra_yaml);
	if (policy_load_string("unit.yaml", text, strlen(text), &p, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	h->g = gateway_new(&p);
	assert_non_null(h->g);
	/* The test's datagrams come over loopback: for the request path,
	 * loopback is the tunnel (pgunit0 does not exist). */
	h->g->tunnel.ifindex = (int)if_nametoindex("lo");
	assert_true(h->g->tunnel.ifindex > 0);
	/* ... and its peers' loopback addresses are their hosts. 127.0.0.1,
	 * an address of this host, stays refused like any of the gateway's. */
	h->g->refused_classes &= ~ADDR_LOOPBACK;
	/* Static forwards to them, refused at the start, stand now. */
	gateway_sync_statics(h->g);
	h->server_fd = udp_socket("127.0.0.1", 0);
	/* As the daemon's own sockets: each datagram with its interface. */
	assert_int_equal(setsockopt(h->server_fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)), 0);
	assert_int_equal(getsockname(h->server_fd, (struct sockaddr *)&sin, &sl), 0);
	h->server_port = ntohs(sin.sin_port);
	for (int i = 0; i < 3; i++)
		h->clients[i] = udp_socket(client_addrs[i], 0);
	h->server6_fd = h->client6 = -1;
}

static int udp6_socket(void)
{
	struct sockaddr_in6 sin = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

bool harness_up6(struct harness *h)
{
	struct sockaddr_in6 sin;
	socklen_t sl = sizeof(sin);
	int one = 1;

	/* The IPv6 peer is ::1, which is also this host's own address, and
	 * there is no second IPv6 loopback address to send from: the IPv6
	 * core tests run with no own addresses (test_e2e_boundary.sh checks
	 * them on real interfaces). */
	own_addrs_free(h->g->own);
	h->g->own = own_addrs_new();
	assert_non_null(h->g->own);
	h->server6_fd = udp6_socket();
	h->client6 = udp6_socket();
	if (h->server6_fd < 0 || h->client6 < 0)
		return false;
	assert_int_equal(setsockopt(h->server6_fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
				    sizeof(one)), 0);
	assert_int_equal(getsockname(h->server6_fd, (struct sockaddr *)&sin, &sl), 0);
	h->server6_port = ntohs(sin.sin6_port);
	return true;
}

void harness_send6(struct harness *h, const void *buf, size_t len)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6, .sin6_port = htons(h->server6_port),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };

	assert_int_equal(sendto(h->client6, buf, len, 0, (struct sockaddr *)&to, sizeof(to)),
			 (ssize_t)len);
}

void harness_serve6(struct harness *h)
{
	struct pollfd pfd = { .fd = h->server6_fd, .events = POLLIN };

	assert_int_equal(poll(&pfd, 1, 1000), 1);
	gateway_requests_readable(h->g, h->server6_fd);
}

int harness_recv6(struct harness *h, uint8_t *buf, size_t cap)
{
	struct pollfd pfd = { .fd = h->client6, .events = POLLIN };

	if (poll(&pfd, 1, 300) != 1)
		return -1;
	return (int)recv(h->client6, buf, cap, 0);
}

int harness_setup(void **state)
{
	static struct harness h;

	harness_up(&h, "", "");
	*state = &h;
	return 0;
}

int harness_teardown(void **state)
{
	harness_down(*state);
	return 0;
}

void harness_down(struct harness *h)
{
	char path[128];
	int status;

	gateway_free(h->g);
	close(h->server_fd);
	for (int i = 0; i < 3; i++)
		close(h->clients[i]);
	if (h->server6_fd >= 0)
		close(h->server6_fd);
	if (h->client6 >= 0)
		close(h->client6);
	kill(h->uapi_pid, SIGKILL);
	waitpid(h->uapi_pid, &status, 0);
	snprintf(path, sizeof(path), "%s/uapi.sock", h->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/control.sock", h->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/uapi.reply", h->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state/forwards.json", h->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/state", h->dir);
	rmdir(path);
	rmdir(h->dir);
}

static void stop_loop(struct loop_watch *w, uint32_t events)
{
	(void)events;
	((struct loop *)w->arg)->stop = true;
}

void harness_run(struct harness *h, int ms)
{
	struct loop_watch w = { timer_new(), stop_loop, &h->g->loop };

	assert_true(w.fd >= 0);
	assert_int_equal(loop_add(&h->g->loop, &w), 0);
	timer_at(w.fd, mono_now_ms() + ms);
	h->g->loop.stop = false;
	assert_int_equal(loop_run(&h->g->loop), 0);
	loop_del(&h->g->loop, &w);
	close(w.fd);
}

bool harness_run_until(struct harness *h, bool (*done)(void *arg), void *arg,
		       int deadline_ms)
{
	int64_t end = mono_now_ms() + deadline_ms;

	while (!done(arg)) {
		if (mono_now_ms() >= end)
			return false;
		harness_run(h, 20);
	}
	return true;
}

static bool conntrack_idle(void *arg)
{
	return ct_queue_idle(((struct harness *)arg)->g->ctq);
}

void harness_settle_conntrack(struct harness *h)
{
	assert_true(harness_run_until(h, conntrack_idle, h, 2000));
}

static bool readable(void *arg)
{
	struct pollfd pfd = { .fd = *(int *)arg, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

void harness_run_until_readable(struct harness *h, int fd, int deadline_ms)
{
	assert_true(harness_run_until(h, readable, &fd, deadline_ms));
}

void harness_send(struct harness *h, int client, const void *buf, size_t len)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(h->server_port) };

	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	assert_int_equal(sendto(h->clients[client], buf, len, 0, (struct sockaddr *)&to,
				sizeof(to)), (ssize_t)len);
}

void harness_serve(struct harness *h)
{
	struct pollfd pfd = { .fd = h->server_fd, .events = POLLIN };

	assert_int_equal(poll(&pfd, 1, 1000), 1);
	gateway_requests_readable(h->g, h->server_fd);
}

int harness_recv(struct harness *h, int client, uint8_t *buf, size_t cap)
{
	struct pollfd pfd = { .fd = h->clients[client], .events = POLLIN };

	if (poll(&pfd, 1, 1000) != 1)
		return -1;
	return (int)recv(h->clients[client], buf, cap, 0);
}

void harness_map(struct harness *h, int client, uint8_t op, uint16_t internal,
		 uint16_t suggested, uint32_t lifetime)
{
	uint8_t req[12] = { 0, op, 0, 0,
			    (uint8_t)(internal >> 8), (uint8_t)internal,
			    (uint8_t)(suggested >> 8), (uint8_t)suggested,
			    (uint8_t)(lifetime >> 24), (uint8_t)(lifetime >> 16),
			    (uint8_t)(lifetime >> 8), (uint8_t)lifetime };

	harness_send(h, client, req, sizeof(req));
}

void harness_says(struct harness *h, const char *request, const char *want)
{
	char *answer = gateway_command(h->g, request);

	assert_non_null(answer);
	if (!strstr(answer, want))
		fail_msg("%s -> %s, wanted %s", request, answer, want);
	free(answer);
}
