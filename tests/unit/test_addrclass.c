/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Address classes: what can never be a peer's host, in both families. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/addrclass.h"

static enum addr_class class_of(const char *text)
{
	uint8_t a[16];
	struct in_addr v4;

	if (inet_pton(AF_INET, text, &v4) == 1)
		addr_from_v4(a, ntohl(v4.s_addr));
	else
		assert_int_equal(inet_pton(AF_INET6, text, a), 1);
	return addr_class_of(a);
}

static void ipv4_classes(void **state)
{
	(void)state;
	assert_int_equal(class_of("0.0.0.0"), ADDR_UNSPECIFIED);
	assert_int_equal(class_of("0.1.2.3"), ADDR_UNSPECIFIED);
	assert_int_equal(class_of("127.0.0.1"), ADDR_LOOPBACK);
	assert_int_equal(class_of("127.255.0.9"), ADDR_LOOPBACK);
	assert_int_equal(class_of("169.254.1.1"), ADDR_LINK_LOCAL);
	assert_int_equal(class_of("224.0.0.1"), ADDR_MULTICAST);
	assert_int_equal(class_of("239.255.255.250"), ADDR_MULTICAST);
	assert_int_equal(class_of("255.255.255.255"), ADDR_BROADCAST);
	assert_int_equal(class_of("240.0.0.1"), ADDR_RESERVED);
	assert_int_equal(class_of("10.2.0.2"), ADDR_UNICAST);
	assert_int_equal(class_of("198.51.100.7"), ADDR_UNICAST);
	assert_int_equal(class_of("223.255.255.255"), ADDR_UNICAST);
}

static void ipv6_classes(void **state)
{
	(void)state;
	assert_int_equal(class_of("::"), ADDR_UNSPECIFIED);
	assert_int_equal(class_of("::1"), ADDR_LOOPBACK);
	assert_int_equal(class_of("ff02::1"), ADDR_MULTICAST);
	assert_int_equal(class_of("fe80::1"), ADDR_LINK_LOCAL);
	assert_int_equal(class_of("febf::1"), ADDR_LINK_LOCAL);
	assert_int_equal(class_of("::10.2.0.2"), ADDR_RESERVED);	/* IPv4-compatible */
	assert_int_equal(class_of("64:ff9b::10.66.0.1"), ADDR_RESERVED);	/* NAT64 */
	assert_int_equal(class_of("64:ff9b:1::a42:1"), ADDR_RESERVED);
	assert_int_equal(class_of("::ffff:0:10.66.0.1"), ADDR_RESERVED);	/* SIIT */
	assert_int_equal(class_of("64:ff9c::1"), ADDR_UNICAST);
	assert_int_equal(class_of("fec0::1"), ADDR_UNICAST);
	assert_int_equal(class_of("2001:db8::7"), ADDR_UNICAST);
	assert_int_equal(class_of("fd00:2::2"), ADDR_UNICAST);
}

static void v4_mapped_round_trip(void **state)
{
	uint8_t a[16];
	uint32_t v4 = 0;

	(void)state;
	addr_from_v4(a, 0xc0000201);
	assert_true(addr_v4(a, &v4));
	assert_int_equal(v4, 0xc0000201);
	a[10] = 0;
	assert_false(addr_v4(a, &v4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ipv4_classes),
		cmocka_unit_test(ipv6_classes),
		cmocka_unit_test(v4_mapped_round_trip),
	};

	return cmocka_run_group_tests_name("address classes", tests, NULL, NULL);
}
