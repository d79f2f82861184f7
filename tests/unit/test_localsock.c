/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The gateway's own services as the kernel reports them (sock_diag, real
 * sockets on this host's loopback): which family's external port a socket
 * holds. An AF_INET6 socket on :: without IPV6_V6ONLY takes IPv4 too. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "sockdiag/localsock.h"

/* 127.0.0.1 as the external IPv4 address, 2001:db8::e as NAT66's. */
static const struct local_ports_of at = {
	{ { [10] = 0xff, [11] = 0xff, 127, 0, 0, 1 } },
	{ { 0x20, 0x01, 0x0d, 0xb8, [15] = 0xe } },
};

/* A TCP listener or UDP socket of the family on addr (NULL: any), with
 * IPV6_V6ONLY as asked; its port in *port. -1: no IPv6 here. */
static int open_socket(int family, int type, const char *addr, int v6only, uint16_t *port)
{
	struct sockaddr_storage ss = { .ss_family = (sa_family_t)family };
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl = family == AF_INET ? sizeof(*sin) : sizeof(*sin6);
	int fd = socket(family, type, 0), saved;

	if (fd < 0)
		return -1;
	if (family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
		goto fail;
	if (addr && inet_pton(family, addr, family == AF_INET ? (void *)&sin->sin_addr
							      : (void *)&sin6->sin6_addr) != 1)
		goto fail;
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 1) < 0) ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		goto fail;
	*port = ntohs(family == AF_INET ? sin->sin_port : sin6->sin6_port);
	return fd;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

struct probe {
	struct local_sockets *l;
	uint16_t port;
	int fd;
};

/* Opens the socket and takes a snapshot; skips the test on a host without
 * IPv6 (an IPv4 socket that cannot be had is a failure). */
static void probe(struct probe *p, int family, int type, const char *addr, int v6only)
{
	p->fd = open_socket(family, type, addr, v6only, &p->port);
	if (p->fd < 0 && family == AF_INET6 && errno == EAFNOSUPPORT)
		skip();
	assert_true(p->fd >= 0);
	p->l = local_sockets_open();
	assert_non_null(p->l);
	assert_int_equal(local_sockets_refresh(p->l, &at), 0);
}

static void unprobe(struct probe *p)
{
	local_sockets_close(p->l);
	close(p->fd);
}

static void ipv4_wildcard_holds_ipv4(void **state)
{
	struct probe p;

	(void)state;
	probe(&p, AF_INET, SOCK_STREAM, NULL, 0);
	assert_true(local_sockets_in_use(p.l, AF_INET, IPPROTO_TCP, p.port));
	assert_false(local_sockets_in_use(p.l, AF_INET6, IPPROTO_TCP, p.port));
	unprobe(&p);
}

static void dual_stack_holds_both(void **state)
{
	struct probe p;

	(void)state;
	probe(&p, AF_INET6, SOCK_STREAM, NULL, 0);
	assert_true(local_sockets_in_use(p.l, AF_INET, IPPROTO_TCP, p.port));
	assert_true(local_sockets_in_use(p.l, AF_INET6, IPPROTO_TCP, p.port));
	unprobe(&p);
}

static void v6only_holds_ipv6_alone(void **state)
{
	struct probe p;

	(void)state;
	probe(&p, AF_INET6, SOCK_STREAM, NULL, 1);
	assert_false(local_sockets_in_use(p.l, AF_INET, IPPROTO_TCP, p.port));
	assert_true(local_sockets_in_use(p.l, AF_INET6, IPPROTO_TCP, p.port));
	unprobe(&p);
}

static void dual_stack_udp_holds_ipv4(void **state)
{
	struct probe p;

	(void)state;
	probe(&p, AF_INET6, SOCK_DGRAM, NULL, 0);
	assert_true(local_sockets_in_use(p.l, AF_INET, IPPROTO_UDP, p.port));
	assert_false(local_sockets_in_use(p.l, AF_INET, IPPROTO_TCP, p.port));
	unprobe(&p);
}

static void ipv4_mapped_external_holds_ipv4(void **state)
{
	struct probe p;

	(void)state;
	probe(&p, AF_INET6, SOCK_DGRAM, "::ffff:127.0.0.1", 0);
	assert_true(local_sockets_in_use(p.l, AF_INET, IPPROTO_UDP, p.port));
	unprobe(&p);
}

/* ::1 is neither external address: its port is free to forward. */
static void other_addresses_hold_nothing(void **state)
{
	struct probe p;

	(void)state;
	probe(&p, AF_INET6, SOCK_STREAM, "::1", 1);
	assert_false(local_sockets_in_use(p.l, AF_INET, IPPROTO_TCP, p.port));
	assert_false(local_sockets_in_use(p.l, AF_INET6, IPPROTO_TCP, p.port));
	unprobe(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4_wildcard_holds_ipv4),
		cmocka_unit_test(dual_stack_holds_both),
		cmocka_unit_test(v6only_holds_ipv6_alone),
		cmocka_unit_test(dual_stack_udp_holds_ipv4),
		cmocka_unit_test(ipv4_mapped_external_holds_ipv4),
		cmocka_unit_test(other_addresses_hold_nothing),
	};

	return cmocka_run_group_tests_name("local sockets (sock_diag)", tests, NULL, NULL);
}
