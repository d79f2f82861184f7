/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The one address type: each family in and out of its 16-byte form. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/ipaddr.h"

static void ipv4_is_written_mapped(void **state)
{
	static const uint8_t want[16] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 1 };
	struct ip_addr a = ip_addr_from_v4(0xc0000201);
	size_t len;

	(void)state;
	assert_memory_equal(a.b, want, 16);
	assert_true(ip_addr_is_v4(&a));
	assert_int_equal(ip_addr_family(&a), IP_V4);
	assert_int_equal(ip_addr_v4(&a), 0xc0000201);
	assert_memory_equal(ip_addr_bytes(&a, &len), want + 12, 4);
	assert_int_equal(len, 4);
}

static void ipv6_is_as_it_is(void **state)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };
	struct ip_addr a = ip_addr_from_v6(v6);
	size_t len;

	(void)state;
	assert_false(ip_addr_is_v4(&a));
	assert_int_equal(ip_addr_family(&a), IP_V6);
	assert_int_equal(ip_addr_v4(&a), 0);
	assert_memory_equal(ip_addr_bytes(&a, &len), v6, 16);
	assert_int_equal(len, 16);
}

/* The unspecified IPv6 address is not 0.0.0.0. */
static void zero_is_ipv6(void **state)
{
	struct ip_addr zero = { { 0 } }, any4 = ip_addr_from_v4(0);

	(void)state;
	assert_false(ip_addr_is_v4(&zero));
	assert_true(ip_addr_is_v4(&any4));
	assert_false(ip_addr_equal(&zero, &any4));
}

static void sockaddrs_round_trip(void **state)
{
	struct sockaddr_storage ss;
	struct ip_addr a = ip_addr_from_v4(0xc6336407), b, c;
	uint16_t port = 0;

	(void)state;
	assert_int_equal(ip_addr_to_sockaddr(&a, 5351, &ss), sizeof(struct sockaddr_in));
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(((struct sockaddr_in *)&ss)->sin_addr.s_addr, htonl(0xc6336407));
	assert_true(ip_addr_from_sockaddr((struct sockaddr *)&ss, &b, &port));
	assert_true(ip_addr_equal(&a, &b));
	assert_int_equal(port, 5351);

	assert_int_equal(ip_addr_parse("2001:db8::1", &c), 0);
	assert_int_equal(ip_addr_to_sockaddr(&c, 80, &ss), sizeof(struct sockaddr_in6));
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_true(ip_addr_from_sockaddr((struct sockaddr *)&ss, &b, NULL));
	assert_true(ip_addr_equal(&c, &b));

	ss.ss_family = AF_UNIX;
	assert_false(ip_addr_from_sockaddr((struct sockaddr *)&ss, &b, NULL));
}

/* An IPv6 source ::ffff:198.51.100.7 must not pass for the IPv4 host
 * 198.51.100.7 (a peer it may not be). */
static void a_mapped_ipv6_source_is_refused(void **state)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(5351) };
	struct ip_addr b;

	(void)state;
	assert_int_equal(inet_pton(AF_INET6, "::ffff:198.51.100.7", &sin6.sin6_addr), 1);
	assert_false(ip_addr_from_sockaddr((struct sockaddr *)&sin6, &b, NULL));
	assert_int_equal(ip_addr_parse("::ffff:198.51.100.7", &b), -EINVAL);
}

static void text_both_ways(void **state)
{
	char buf[IP_ADDR_TEXT_LEN];
	struct ip_addr a;

	(void)state;
	assert_int_equal(ip_addr_parse("203.0.113.9", &a), 0);
	assert_int_equal(ip_addr_v4(&a), 0xcb007109);
	assert_string_equal(ip_addr_text(&a, buf), "203.0.113.9");
	assert_int_equal(ip_addr_parse("2001:db8::66", &a), 0);
	assert_string_equal(ip_addr_text(&a, buf), "2001:db8::66");
	assert_int_equal(ip_addr_parse("300.1.1.1", &a), -EINVAL);
	assert_int_equal(ip_addr_parse("", &a), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4_is_written_mapped),
		cmocka_unit_test(ipv6_is_as_it_is),
		cmocka_unit_test(zero_is_ipv6),
		cmocka_unit_test(sockaddrs_round_trip),
		cmocka_unit_test(a_mapped_ipv6_source_is_refused),
		cmocka_unit_test(text_both_ways),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
