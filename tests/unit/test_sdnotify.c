/* SPDX-License-Identifier: GPL-2.0-or-later */
/* sd_notify without libsystemd: each message arrives as one datagram on the
 * socket $NOTIFY_SOCKET names, a path or an abstract name ('@'); nothing is
 * sent, and nothing fails, without it; a name systemd would not give is
 * refused. A datagram sent on an AF_UNIX socket is queued before sendto
 * returns, so each check reads it without waiting. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/clock.h"
#include "util/sdnotify.h"

struct listener {
	int fd;
	char name[108];	/* as $NOTIFY_SOCKET says it */
	char dir[64];
};

static void listen_at(struct listener *l, bool abstract)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	socklen_t len;

	l->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	assert_true(l->fd >= 0);
	l->dir[0] = '\0';
	if (abstract) {
		snprintf(l->name, sizeof(l->name), "@portgate-test-notify-%d", (int)getpid());
		memcpy(sun.sun_path + 1, l->name + 1, strlen(l->name) - 1);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(l->name));
	} else {
		snprintf(l->dir, sizeof(l->dir), "/tmp/pg-notify-XXXXXX");
		assert_non_null(mkdtemp(l->dir));
		snprintf(l->name, sizeof(l->name), "%s/notify", l->dir);
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", l->name);
		len = sizeof(sun);
	}
	assert_int_equal(bind(l->fd, (struct sockaddr *)&sun, len), 0);
	setenv("NOTIFY_SOCKET", l->name, 1);
}

static void listener_close(struct listener *l)
{
	close(l->fd);
	if (l->dir[0]) {
		unlink(l->name);
		rmdir(l->dir);
	}
	unsetenv("NOTIFY_SOCKET");
}

/* The one datagram waiting, as a string; "" when none is. */
static const char *received(struct listener *l)
{
	static char buf[600];
	ssize_t n = recv(l->fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void path_socket_gets_each_message(void **state)
{
	struct listener l;

	(void)state;
	listen_at(&l, false);
	assert_int_equal(sdnotify("READY=1\nSTATUS=serving wg0: %d mappings", 3), 0);
	assert_string_equal(received(&l), "READY=1\nSTATUS=serving wg0: 3 mappings");
	assert_int_equal(sdnotify("STOPPING=1"), 0);
	assert_string_equal(received(&l), "STOPPING=1");
	assert_string_equal(received(&l), "");
	listener_close(&l);
}

static void abstract_socket_gets_the_message(void **state)
{
	struct listener l;

	(void)state;
	listen_at(&l, true);
	assert_int_equal(sdnotify("READY=1"), 0);
	assert_string_equal(received(&l), "READY=1");
	listener_close(&l);
}

static void reloading_carries_the_monotonic_time(void **state)
{
	struct listener l;
	long long before, after, stamp = -1;

	(void)state;
	listen_at(&l, false);
	before = (long long)mono_now_us();
	assert_int_equal(sdnotify_reloading(), 0);
	after = (long long)mono_now_us();
	assert_int_equal(sscanf(received(&l), "RELOADING=1\nMONOTONIC_USEC=%lld", &stamp), 1);
	assert_true(stamp >= before);
	assert_true(stamp <= after);
	listener_close(&l);
}

static void without_notify_socket_nothing_is_sent(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(sdnotify("READY=1"), 0);
}

static void a_relative_name_is_refused(void **state)
{
	(void)state;
	setenv("NOTIFY_SOCKET", "run/notify", 1);
	assert_true(sdnotify("READY=1") < 0);
	unsetenv("NOTIFY_SOCKET");
}

static void a_socket_nobody_listens_on_is_an_error(void **state)
{
	(void)state;
	setenv("NOTIFY_SOCKET", "/nonexistent/portgate/notify", 1);
	assert_true(sdnotify("READY=1") < 0);
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(path_socket_gets_each_message),
		cmocka_unit_test(abstract_socket_gets_the_message),
		cmocka_unit_test(reloading_carries_the_monotonic_time),
		cmocka_unit_test(without_notify_socket_nothing_is_sent),
		cmocka_unit_test(a_relative_name_is_refused),
		cmocka_unit_test(a_socket_nobody_listens_on_is_an_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
