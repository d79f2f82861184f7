/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The operator's interfaces of the daemon core: the control protocol
 * (JSON commands) over the real gateway and fake data plane, and the
 * control socket served by the event loop without blocking it. */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "core_harness.h"
#include "daemon/commands.h"
#include "daemon/control.h"
#include "daemon/core.h"
#include "fake_nft.h"
#include "natpmp/codec.h"

static uint16_t map_one(struct harness *h, uint8_t op, uint16_t internal)
{
	uint8_t buf[16];

	harness_map(h, 0, op, internal, 0, 600);
	harness_serve(h);
	assert_int_equal(harness_recv(h, 0, buf, sizeof(buf)), 16);
	assert_int_equal(buf[3], 0);
	return (uint16_t)(buf[10] << 8 | buf[11]);
}

static void commands(void **state)
{
	struct harness *h = *state;
	uint16_t port = map_one(h, NATPMP_OP_MAP_TCP, 8080);
	char req[128];

	harness_says(h, "{\"command\": \"status\"}", "\"external_address\":\"192.0.2.1\"");
	harness_says(h, "{\"command\": \"status\"}", "\"tcp\":1");
	harness_says(h, "{\"command\": \"list\"}", "\"internal_address\":\"127.0.0.2\"");
	harness_says(h, "{\"command\": \"peers\"}", "\"allowed_ips\":[\"127.0.0.3/32\"]");
	harness_says(h, "not json", "\"error\"");
	harness_says(h, "{\"command\": \"fly\"}", "unknown command");
	harness_says(h, "{\"command\": \"drop\"}", "drop needs");
	harness_says(h, "{\"command\": \"drop\", \"peer\": \"nope\"}", "not a WireGuard public key");
	harness_says(h, "{\"command\": \"drop\", \"protocol\": \"tcp\", \"port\": 70000}", "drop needs");

	/* The kernel refuses: the operator hears it and the mapping stays. */
	fake_nft_refuse_commits(1);
	snprintf(req, sizeof(req),
		 "{\"command\": \"drop\", \"protocol\": \"tcp\", \"port\": %u}", port);
	harness_says(h, req, "the kernel refused");
	assert_true(fake_nft_get(IPPROTO_TCP, port, NULL));
	harness_says(h, req, "\"dropped\":1");
	assert_false(fake_nft_get(IPPROTO_TCP, port, NULL));
	assert_int_equal(gateway_stats(h->g)->dropped[REASON_OPERATOR], 1);
}

static void drop_peer(void **state)
{
	struct harness *h = *state;

	map_one(h, NATPMP_OP_MAP_TCP, 1000);
	map_one(h, NATPMP_OP_MAP_UDP, 1001);
	/* Peer A's key, 0xaa repeated, in base64. */
	harness_says(h, "{\"command\": \"drop\", \"peer\": "
		"\"qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo=\"}", "\"dropped\":2");
	assert_int_equal(fake_nft_count(), 0);
}

/* ---- the socket ---------------------------------------------------------- */

static int connect_control(struct harness *h)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/control.sock", h->dir);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	return fd;
}

/* What the server sent, or "" after EOF; NULL when nothing is there yet. */
static char *read_now(int fd)
{
	static char buf[8192];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	if (poll(&pfd, 1, 0) != 1)
		return NULL;
	n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* A client that trickles its request does not hold up anyone, and is cut
 * at the deadline. */
static void trickling_client(void **state)
{
	struct harness *h = *state;
	int slow = connect_control(h), fast;
	char *got;

	assert_int_equal(send(slow, "{\"comm", 6, 0), 6);
	fast = connect_control(h);
	assert_int_equal(send(fast, "{\"command\": \"status\"}\n", 22, 0), 22);
	harness_run_until_readable(h, fast, 1000);
	got = read_now(fast);
	assert_non_null(got);
	assert_non_null(strstr(got, "\"version\""));
	assert_null(read_now(slow));		/* still waiting, not answered */
	harness_run_until_readable(h, slow, CONTROL_DEADLINE_MS + 1000);
	got = read_now(slow);
	assert_non_null(got);
	assert_string_equal(got, "");		/* closed at the deadline */
	close(slow);
	close(fast);
}

/* More connections than the cap: the extra one is closed at once, the
 * others stay served. */
static void connection_cap(void **state)
{
	struct harness *h = *state;
	int fds[CONTROL_MAX_CONNECTIONS + 1];
	char *got;

	/* Accepted in the order they came: the last is one too many. */
	for (int i = 0; i <= CONTROL_MAX_CONNECTIONS; i++)
		fds[i] = connect_control(h);
	harness_run_until_readable(h, fds[CONTROL_MAX_CONNECTIONS], 1000);
	got = read_now(fds[CONTROL_MAX_CONNECTIONS]);
	assert_non_null(got);
	assert_string_equal(got, "");
	assert_int_equal(send(fds[0], "{\"command\": \"list\"}\n", 20, 0), 20);
	harness_run_until_readable(h, fds[0], 1000);
	got = read_now(fds[0]);
	assert_non_null(got);
	assert_non_null(strstr(got, "\"mappings\""));
	for (int i = 0; i <= CONTROL_MAX_CONNECTIONS; i++)
		close(fds[i]);
}

/* A request larger than the cap is answered (as bad JSON), not buffered
 * without end. */
static void oversized_request(void **state)
{
	struct harness *h = *state;
	static char big[CONTROL_REQUEST_MAX + 100];
	int fd = connect_control(h);
	char *got;

	memset(big, ' ', sizeof(big));
	assert_int_equal(send(fd, big, sizeof(big), 0), (ssize_t)sizeof(big));
	harness_run_until_readable(h, fd, 1000);
	got = read_now(fd);
	assert_non_null(got);
	assert_non_null(strstr(got, "\"error\""));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(commands, harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(drop_peer, harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(trickling_client, harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(connection_cap, harness_setup, harness_teardown),
		cmocka_unit_test_setup_teardown(oversized_request, harness_setup, harness_teardown),
	};

	return cmocka_run_group_tests_name("core: control", tests, NULL, NULL);
}
