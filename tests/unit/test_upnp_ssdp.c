/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SSDP: the M-SEARCHes real clients sent (tests/unit/data/upnp), each way a
 * datagram is refused, which search targets we answer, and the answer's
 * bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "upnp/ssdp.h"
#include "util/addrclass.h"
#include "upnp_testlib.h"

#define IGD1 "urn:schemas-upnp-org:device:InternetGatewayDevice:1"
#define IGD2 "urn:schemas-upnp-org:device:InternetGatewayDevice:2"

static const uint8_t seed[16] = { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
				  1, 2, 3, 4, 5, 6, 7, 8 };

static struct upnp_device device(unsigned version)
{
	struct upnp_device d;

	assert_true(upnp_device_init(&d, version, seed, "portgate"));
	d.boot_id = 7;
	d.config_id = 1;
	return d;
}

static enum ssdp_verdict parse(const char *s, struct ssdp_search *out)
{
	return ssdp_parse((const uint8_t *)s, strlen(s), out);
}

/* upnpc asks for IGD:1 (MX 2), libtorrent for upnp:rootdevice (MX 3, no
 * blank after the colons, one line end too many). */
static void recorded_searches_parse(void **state)
{
	struct vector v[VECTORS_MAX];
	size_t n = vectors_load(".udp", v);
	struct upnp_device d1 = device(1), d2 = device(2);

	(void)state;
	assert_true(n >= 3);
	for (size_t i = 0; i < n; i++) {
		struct ssdp_search s;
		struct ssdp_reply r[SSDP_REPLIES_MAX];
		bool lt = !strncmp(v[i].name, "libtorrent", 10);

		assert_int_equal(ssdp_parse((const uint8_t *)v[i].data, v[i].len, &s), SSDP_SEARCH);
		assert_string_equal(s.st, lt ? "upnp:rootdevice" : IGD1);
		assert_int_equal(s.mx, lt ? 3 : 2);
		/* Both versions of our device answer every one of them. */
		assert_int_equal(ssdp_match(&d1, s.st, r), 1);
		assert_int_equal(ssdp_match(&d2, s.st, r), 1);
	}
	vectors_free(v, n);
}

#define GOOD "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nST: ssdp:all\r\n" \
	     "MAN: \"ssdp:discover\"\r\nMX: 1\r\n\r\n"

static void good_base_parses(void **state)
{
	struct ssdp_search s;

	(void)state;
	assert_int_equal(parse(GOOD, &s), SSDP_SEARCH);
	assert_string_equal(s.st, "ssdp:all");
	assert_int_equal(s.mx, 1);
}

/* Each case changes one thing of GOOD. */
static void malformed_searches(void **state)
{
	static const char *const bad[] = {
		"M-SEARCH * HTTP/1.0\r\nST: ssdp:all\r\nMAN: \"ssdp:discover\"\r\n\r\n",
		"m-search * HTTP/1.1\r\nST: ssdp:all\r\nMAN: \"ssdp:discover\"\r\n\r\n",
		"M-SEARCH /x HTTP/1.1\r\nST: ssdp:all\r\nMAN: \"ssdp:discover\"\r\n\r\n",
		"M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\n\r\n",				/* no MAN */
		"M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\nMAN: \"ssdp:alive\"\r\n\r\n",
		"M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\n\r\n",		/* no ST */
		"M-SEARCH * HTTP/1.1\r\nST:\r\nMAN: \"ssdp:discover\"\r\n\r\n",		/* empty ST */
		"M-SEARCH * HTTP/1.1\r\nST: a\r\nST: b\r\nMAN: \"ssdp:discover\"\r\n\r\n",
		"M-SEARCH * HTTP/1.1\r\nST: a\r\nMAN: \"ssdp:discover\"\r\nMAN: \"ssdp:discover\"\r\n\r\n",
		"M-SEARCH * HTTP/1.1\r\nST: a\r\nMAN: \"ssdp:discover\"\r\nMX: x\r\n\r\n",
		"M-SEARCH * HTTP/1.1\r\nST: a\r\nMAN: \"ssdp:discover\"\r\nMX: 1000\r\n\r\n",
		"M-SEARCH * HTTP/1.1\r\nST: a\r\nMAN: \"ssdp:discover\"\r\nMX: 1\r\nMX: 1\r\n\r\n",
		"M-SEARCH * HTTP/1.1\r\nST: a\r\nMAN: \"ssdp:discover\"\r\nNOCOLON\r\n\r\n",
		"M-SEARCH * HTTP/1.1\r\nST: a\r\n folded\r\nMAN: \"ssdp:discover\"\r\n\r\n",
		"M-SEARCH * HTTP/1.1\r\nST: a\rMAN: \"ssdp:discover\"\r\n\r\n",		/* bare CR */
		"M-SEARCH * HTTP/1.1\r\nST: a\r\nMAN: \"ssdp:discover\"\r\n\r\nbody",
		"M-SEARCH * HTTP/1.1\r\nST: a\r\nMAN: \"ssdp:discover\"",		/* cut */
		"M-SEARCH * HTTP/1.1\r\nST: a\x01\r\nMAN: \"ssdp:discover\"\r\n\r\n",
		"",
	};
	struct ssdp_search s;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum ssdp_verdict v = parse(bad[i], &s);

		if (v != SSDP_MALFORMED)
			fail_msg("case %zu parsed as %d", i, v);
	}
}

static void nul_inside_is_malformed(void **state)
{
	char buf[] = GOOD;
	struct ssdp_search s;

	(void)state;
	buf[30] = '\0';		/* inside the HOST line */
	assert_int_equal(ssdp_parse((const uint8_t *)buf, sizeof(buf) - 1, &s), SSDP_MALFORMED);
}

static void limits(void **state)
{
	char buf[SSDP_MAX_LEN + 64];
	struct ssdp_search s;
	size_t n;

	(void)state;
	/* An ST of SSDP_ST_MAX bytes passes, one more does not. */
	n = (size_t)snprintf(buf, sizeof(buf), "M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nST: %0*d\r\n\r\n",
			     SSDP_ST_MAX, 0);
	assert_int_equal(ssdp_parse((const uint8_t *)buf, n, &s), SSDP_SEARCH);
	n = (size_t)snprintf(buf, sizeof(buf), "M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nST: %0*d\r\n\r\n",
			     SSDP_ST_MAX + 1, 0);
	assert_int_equal(ssdp_parse((const uint8_t *)buf, n, &s), SSDP_MALFORMED);
	/* SSDP_MAX_HEADERS header lines pass, one more does not. */
	n = (size_t)snprintf(buf, sizeof(buf), "M-SEARCH * HTTP/1.1\r\nMAN: \"ssdp:discover\"\r\nST: a\r\n");
	for (int i = 2; i < SSDP_MAX_HEADERS; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "X: 1\r\n");
	memcpy(buf + n, "\r\n", 3);
	assert_int_equal(ssdp_parse((const uint8_t *)buf, n + 2, &s), SSDP_SEARCH);
	memcpy(buf + n, "X: 1\r\n\r\n", 9);
	assert_int_equal(ssdp_parse((const uint8_t *)buf, n + 8, &s), SSDP_MALFORMED);
	/* A datagram over SSDP_MAX_LEN, even one that would parse. */
	memset(buf, '\n', sizeof(buf));
	memcpy(buf, GOOD, strlen(GOOD));
	assert_int_equal(ssdp_parse((const uint8_t *)buf, SSDP_MAX_LEN, &s), SSDP_SEARCH);
	assert_int_equal(ssdp_parse((const uint8_t *)buf, SSDP_MAX_LEN + 1, &s), SSDP_MALFORMED);
}

static void lenient_where_clients_differ(void **state)
{
	struct ssdp_search s;

	(void)state;
	/* Header names in any case, MAN unquoted, LF line ends, no MX
	 * (a unicast search), MX over 5 counted as 5, no blank line at the end. */
	assert_int_equal(parse("M-SEARCH * HTTP/1.1\nst: a\nman: ssdp:discover\n\n", &s), SSDP_SEARCH);
	assert_int_equal(s.mx, -1);
	assert_int_equal(parse("M-SEARCH * HTTP/1.1\r\nSt: a\r\nMan: \"ssdp:discover\"\r\nMx: 120\r\n", &s),
			 SSDP_SEARCH);
	assert_int_equal(s.mx, SSDP_MX_MAX);
}

static void others_traffic_is_ignored(void **state)
{
	struct ssdp_search s;

	(void)state;
	assert_int_equal(parse("NOTIFY * HTTP/1.1\r\nNT: upnp:rootdevice\r\n\r\n", &s), SSDP_IGNORE);
	assert_int_equal(parse("HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\n\r\n", &s), SSDP_IGNORE);
}

static size_t match(unsigned version, const char *st, struct ssdp_reply *r)
{
	struct upnp_device d = device(version);

	return ssdp_match(&d, st, r);
}

static void targets_answered(void **state)
{
	struct ssdp_reply r[SSDP_REPLIES_MAX];
	struct upnp_device d = device(2);
	char st[128];

	(void)state;
	assert_int_equal(match(2, "ssdp:all", r), SSDP_REPLIES_MAX);
	assert_int_equal(match(1, "upnp:rootdevice", r), 1);
	assert_string_equal(r[0].st, "upnp:rootdevice");
	assert_int_equal(match(1, IGD1, r), 1);
	assert_int_equal(match(2, IGD2, r), 1);
	assert_int_equal(match(2, "urn:schemas-upnp-org:device:WANDevice:2", r), 1);
	assert_int_equal(match(1, "urn:schemas-upnp-org:device:WANConnectionDevice:1", r), 1);
	assert_int_equal(match(1, "urn:schemas-upnp-org:service:WANIPConnection:1", r), 1);
	assert_int_equal(match(2, "urn:schemas-upnp-org:service:WANIPConnection:2", r), 1);
	assert_int_equal(match(2, "urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1", r), 1);
	snprintf(st, sizeof(st), "uuid:%s", d.uuid[UPNP_NODE_WAN]);
	assert_int_equal(ssdp_match(&d, st, r), 1);
	assert_string_equal(r[0].usn, st);
}

static void targets_not_answered(void **state)
{
	static const char *const none[] = {
		IGD2 "x", "urn:schemas-upnp-org:device:InternetGatewayDevice:",
		"urn:schemas-upnp-org:device:InternetGatewayDevice:0",
		"urn:schemas-upnp-org:device:InternetGatewayDevice:3",
		"urn:schemas-upnp-org:service:WANCommonInterfaceConfig:2",
		"urn:schemas-upnp-org:service:WANPPPConnection:1",
		"urn:schemas-upnp-org:device:MediaServer:1", "uuid:00000000-0000-0000-0000-000000000000",
		"upnp:rootdevicex", "ssdp:al",
	};
	struct ssdp_reply r[SSDP_REPLIES_MAX];

	(void)state;
	/* A v1 device serves neither IGD:2 nor WANIPConnection:2. */
	assert_int_equal(match(1, IGD2, r), 0);
	assert_int_equal(match(1, "urn:schemas-upnp-org:service:WANIPConnection:2", r), 0);
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		if (match(2, none[i], r) != 0)
			fail_msg("answered %s", none[i]);
}

/* UDA 1.1 §1.3.2: a v2 device asked for v1 answers as v1. */
static void older_version_echoed(void **state)
{
	struct ssdp_reply r[SSDP_REPLIES_MAX];
	struct upnp_device d = device(2);
	char usn[256];

	(void)state;
	assert_int_equal(ssdp_match(&d, IGD1, r), 1);
	assert_string_equal(r[0].st, IGD1);
	snprintf(usn, sizeof(usn), "uuid:%s::" IGD1, d.uuid[UPNP_NODE_ROOT]);
	assert_string_equal(r[0].usn, usn);
}

static void answer_bytes(void **state)
{
	struct upnp_device d = device(1);
	struct ssdp_reply r[SSDP_REPLIES_MAX];
	struct ip_addr addr = ip_addr_from_v4(0x0a420001);	/* 10.66.0.1 */
	char out[SSDP_RESPONSE_MAX], want[SSDP_RESPONSE_MAX];
	size_t n;

	(void)state;
	assert_int_equal(ssdp_match(&d, "upnp:rootdevice", r), 1);
	n = ssdp_encode(out, sizeof(out), &d, &r[0], &addr, 5000);
	snprintf(want, sizeof(want),
		 "HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=1800\r\nEXT:\r\n"
		 "LOCATION: http://10.66.0.1:5000/rootDesc.xml\r\n"
		 "SERVER: Linux UPnP/1.1 portgate/" PORTGATE_VERSION "\r\n"
		 "ST: upnp:rootdevice\r\nUSN: uuid:%s::upnp:rootdevice\r\n"
		 "BOOTID.UPNP.ORG: 7\r\nCONFIGID.UPNP.ORG: 1\r\n\r\n", d.uuid[0]);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	/* Every shorter buffer: nothing. */
	for (size_t cap = 0; cap <= n; cap++)
		assert_int_equal(ssdp_encode(out, cap, &d, &r[0], &addr, 5000), 0);
}

static void answer_ipv6_location(void **state)
{
	struct upnp_device d = device(2);
	struct ssdp_reply r[SSDP_REPLIES_MAX];
	struct ip_addr addr = { { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } };
	char out[SSDP_RESPONSE_MAX];

	(void)state;
	assert_int_equal(ssdp_match(&d, "ssdp:all", r), SSDP_REPLIES_MAX);
	for (size_t i = 0; i < SSDP_REPLIES_MAX; i++)
		assert_true(ssdp_encode(out, sizeof(out), &d, &r[i], &addr, 5000) > 0);
	assert_non_null(strstr(out, "\r\nLOCATION: http://[fd00::1]:5000/rootDesc.xml\r\n"));
}

static void device_init_refuses(void **state)
{
	struct upnp_device d;
	char longname[UPNP_NAME_MAX + 2];

	(void)state;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	assert_false(upnp_device_init(&d, 3, seed, "x"));
	assert_false(upnp_device_init(&d, 1, seed, ""));
	assert_false(upnp_device_init(&d, 1, seed, "a\nb"));
	assert_false(upnp_device_init(&d, 1, seed, "a\x7f"));
	assert_false(upnp_device_init(&d, 1, seed, "caf\xe9"));		/* Latin-1, not UTF-8 */
	assert_false(upnp_device_init(&d, 1, seed, "\xc0\xae"));		/* overlong '.' */
	assert_false(upnp_device_init(&d, 1, seed, "\xed\xa0\x80"));	/* a surrogate */
	assert_false(upnp_device_init(&d, 1, seed, "\xc2\x85"));		/* C1 control NEL */
	assert_true(upnp_device_init(&d, 1, seed, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	assert_false(upnp_device_init(&d, 1, seed, longname));
	longname[UPNP_NAME_MAX] = '\0';
	assert_true(upnp_device_init(&d, 1, seed, longname));
	/* Three distinct UDNs. */
	assert_string_not_equal(d.uuid[0], d.uuid[1]);
	assert_string_not_equal(d.uuid[1], d.uuid[2]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(recorded_searches_parse),
		cmocka_unit_test(good_base_parses),
		cmocka_unit_test(malformed_searches),
		cmocka_unit_test(nul_inside_is_malformed),
		cmocka_unit_test(limits),
		cmocka_unit_test(lenient_where_clients_differ),
		cmocka_unit_test(others_traffic_is_ignored),
		cmocka_unit_test(targets_answered),
		cmocka_unit_test(targets_not_answered),
		cmocka_unit_test(older_version_echoed),
		cmocka_unit_test(answer_bytes),
		cmocka_unit_test(answer_ipv6_location),
		cmocka_unit_test(device_init_refuses),
	};

	return cmocka_run_group_tests_name("upnp ssdp", tests, NULL, NULL);
}
