/* SPDX-License-Identifier: GPL-2.0-or-later */
/* WireGuard peer parsing (UAPI text and generic netlink messages built here,
 * since this kernel has no WireGuard), longest-prefix lookup and diffs. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <linux/wireguard.h>

#include "wgpeer/backend.h"

#define KEY_A_HEX "58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceae827bc8a5a"
#define KEY_B_HEX "662e14fd594556f522604703340351258903b64f35553763f19426ab2a515c58"

static const char realistic[] =
	"private_key=e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a\n"
	"listen_port=51820\n"
	"fwmark=0\n"
	"public_key=" KEY_A_HEX "\n"
	"preshared_key=0000000000000000000000000000000000000000000000000000000000000000\n"
	"protocol_version=1\n"
	"endpoint=192.0.2.7:41414\n"
	"last_handshake_time_sec=1700000000\n"
	"last_handshake_time_nsec=5\n"
	"tx_bytes=1\n"
	"rx_bytes=2\n"
	"persistent_keepalive_interval=25\n"
	"allowed_ip=10.9.0.2/32\n"
	"allowed_ip=fd00::2/128\n"
	"public_key=" KEY_B_HEX "\n"
	"allowed_ip=10.9.1.0/24\n"
	"allowed_ip=10.9.1.77/32\n"
	"errno=0\n"
	"\n";

static void uapi_realistic_reply(void **state)
{
	char buf[sizeof(realistic)];
	struct wg_device_info dev;

	(void)state;
	memcpy(buf, realistic, sizeof(buf));
	wg_device_init(&dev);
	assert_int_equal(wg_uapi_parse(buf, sizeof(buf) - 1, &dev), 0);
	assert_int_equal(dev.listen_port, 51820);
	assert_int_equal(dev.n_peers, 2);
	assert_int_equal(dev.peers[0].key[0], 0x58);
	assert_int_equal(dev.peers[0].n_ips, 2);
	assert_int_equal(dev.peers[0].last_handshake_sec, 1700000000);
	assert_int_equal(dev.peers[1].n_ips, 2);
	assert_int_equal(dev.peers[1].ips[0].cidr, 24);
	/* the private key is gone from the buffer */
	assert_null(strstr(buf, "e84b5a6d"));
	wg_device_clear(&dev);
}

static int parse_text(const char *text)
{
	char *buf = strdup(text);
	struct wg_device_info dev;
	int ret;

	wg_device_init(&dev);
	ret = wg_uapi_parse(buf, strlen(buf), &dev);
	wg_device_clear(&dev);
	free(buf);
	return ret;
}

static void uapi_rejects_garbage(void **state)
{
	(void)state;
	assert_int_equal(parse_text("listen_port=1\nerrno=0\n\n"), 0);
	assert_int_equal(parse_text("listen_port=1\n\n"), -EPROTO);	/* no errno= */
	assert_int_equal(parse_text(""), -EPROTO);
	assert_int_equal(parse_text("garbage line\nerrno=0\n\n"), -EPROTO);
	assert_int_equal(parse_text("listen_port=99999\nerrno=0\n\n"), -EPROTO);
	assert_int_equal(parse_text("public_key=zz\nerrno=0\n\n"), -EPROTO);
	assert_int_equal(parse_text("public_key=" KEY_A_HEX "\nallowed_ip=10.0.0.0/33\nerrno=0\n\n"), -EPROTO);
	assert_int_equal(parse_text("public_key=" KEY_A_HEX "\nallowed_ip=10.0.0.300/32\nerrno=0\n\n"), -EPROTO);
	assert_int_equal(parse_text("public_key=" KEY_A_HEX "\nallowed_ip=10.0.0.1\nerrno=0\n\n"), -EPROTO);
	assert_int_equal(parse_text("errno=19\n\n"), -19);
	/* unknown keys are someone else's business */
	assert_int_equal(parse_text("future_key=1\nerrno=0\n\n"), 0);
	/* a line cut short (no newline) */
	assert_int_equal(parse_text("listen_port=1\nerrno=0"), -EPROTO);
}

/* ---- generic netlink messages ------------------------------------------ */

static struct nlmsghdr *genl_msg(char *buf, const char *ifname)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	nlh->nlmsg_type = 0x20;
	g->cmd = WG_CMD_GET_DEVICE;
	g->version = WG_GENL_VERSION;
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
	return nlh;
}

static void put_peer(struct nlmsghdr *nlh, uint8_t key_byte, const char *ip,
		     uint8_t cidr, int64_t handshake)
{
	struct nlattr *peer = mnl_attr_nest_start(nlh, 0);
	uint8_t key[WG_KEY_LEN];
	struct in_addr a;

	memset(key, key_byte, sizeof(key));
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, sizeof(key), key);
	if (handshake) {
		struct __kernel_timespec ts = { .tv_sec = handshake };

		mnl_attr_put(nlh, WGPEER_A_LAST_HANDSHAKE_TIME, sizeof(ts), &ts);
	}
	mnl_attr_put_u32(nlh, 99, 1);	/* an attribute from the future */
	if (ip) {
		struct nlattr *ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
		struct nlattr *one = mnl_attr_nest_start(nlh, 0);

		inet_pton(AF_INET, ip, &a);
		mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, AF_INET);
		mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, 4, &a);
		mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, cidr);
		mnl_attr_nest_end(nlh, one);
		mnl_attr_nest_end(nlh, ips);
	}
	mnl_attr_nest_end(nlh, peer);
}

static void genl_peers_spanning_messages(void **state)
{
	char buf1[4096], buf2[4096];
	struct wg_device_info dev;
	struct nlmsghdr *m1 = genl_msg(buf1, "wg0"), *m2;
	struct nlattr *peers;

	(void)state;
	mnl_attr_put_u16(m1, WGDEVICE_A_LISTEN_PORT, 51820);
	peers = mnl_attr_nest_start(m1, WGDEVICE_A_PEERS);
	put_peer(m1, 0xaa, "10.9.0.2", 32, 1700000000);
	put_peer(m1, 0xbb, "10.9.0.3", 32, 0);
	mnl_attr_nest_end(m1, peers);
	/* The second message continues peer 0xbb with more allowed-ips. */
	m2 = genl_msg(buf2, "wg0");
	peers = mnl_attr_nest_start(m2, WGDEVICE_A_PEERS);
	put_peer(m2, 0xbb, "10.9.5.0", 24, 0);
	put_peer(m2, 0xcc, "10.9.0.4", 32, 0);
	mnl_attr_nest_end(m2, peers);

	wg_device_init(&dev);
	assert_int_equal(wg_genl_parse(m1, &dev), 0);
	assert_int_equal(wg_genl_parse(m2, &dev), 0);
	assert_string_equal(dev.ifname, "wg0");
	assert_int_equal(dev.listen_port, 51820);
	assert_int_equal(dev.n_peers, 3);
	assert_int_equal(dev.peers[0].last_handshake_sec, 1700000000);
	assert_int_equal(dev.peers[1].key[0], 0xbb);
	assert_int_equal(dev.peers[1].n_ips, 2);
	assert_int_equal(dev.peers[1].ips[1].cidr, 24);
	wg_device_clear(&dev);
}

static void genl_truncated_attributes(void **state)
{
	char buf[4096];
	struct wg_device_info dev;
	struct nlmsghdr *m = genl_msg(buf, "wg0");
	struct nlattr *peers = mnl_attr_nest_start(m, WGDEVICE_A_PEERS);
	struct nlattr *peer = mnl_attr_nest_start(m, 0);
	uint8_t short_key[16] = { 1 };

	(void)state;
	mnl_attr_put(m, WGPEER_A_PUBLIC_KEY, sizeof(short_key), short_key);
	mnl_attr_nest_end(m, peer);
	mnl_attr_nest_end(m, peers);
	wg_device_init(&dev);
	assert_int_equal(wg_genl_parse(m, &dev), -EPROTO);
	wg_device_clear(&dev);

	/* An attribute whose length runs past the message. */
	m = genl_msg(buf, "wg0");
	peers = mnl_attr_nest_start(m, WGDEVICE_A_PEERS);
	put_peer(m, 0xaa, "10.9.0.2", 32, 0);
	mnl_attr_nest_end(m, peers);
	peers->nla_len += 40;	/* the nest claims more than the message has */
	wg_device_init(&dev);
	assert_int_not_equal(wg_genl_parse(m, &dev), 0);
	wg_device_clear(&dev);

	/* A bad allowed-ip family. */
	m = genl_msg(buf, "wg0");
	peers = mnl_attr_nest_start(m, WGDEVICE_A_PEERS);
	peer = mnl_attr_nest_start(m, 0);
	{
		uint8_t key[WG_KEY_LEN] = { 3 };
		struct nlattr *ips, *one;

		mnl_attr_put(m, WGPEER_A_PUBLIC_KEY, sizeof(key), key);
		ips = mnl_attr_nest_start(m, WGPEER_A_ALLOWEDIPS);
		one = mnl_attr_nest_start(m, 0);
		mnl_attr_put_u16(m, WGALLOWEDIP_A_FAMILY, 77);
		mnl_attr_put_u32(m, WGALLOWEDIP_A_IPADDR, 0);
		mnl_attr_put_u8(m, WGALLOWEDIP_A_CIDR_MASK, 32);
		mnl_attr_nest_end(m, one);
		mnl_attr_nest_end(m, ips);
	}
	mnl_attr_nest_end(m, peer);
	mnl_attr_nest_end(m, peers);
	wg_device_init(&dev);
	assert_int_equal(wg_genl_parse(m, &dev), -EPROTO);
	wg_device_clear(&dev);
}

/* ---- lookup and diff ---------------------------------------------------- */

static void add_peer(struct wg_device_info *dev, uint8_t key_byte,
		     const char *ip, uint8_t cidr, int64_t handshake)
{
	uint8_t key[WG_KEY_LEN];
	struct wg_peer_info *p;
	struct in_addr a;

	memset(key, key_byte, sizeof(key));
	p = wg_device_peer(dev, key, true);
	p->last_handshake_sec = handshake;
	if (ip) {
		inet_pton(AF_INET, ip, &a);
		wg_peer_add_ip(p, AF_INET, &a, cidr);
	}
}

static long who(const struct wg_lpm *lpm, const char *ip)
{
	struct in_addr a;

	inet_pton(AF_INET, ip, &a);
	return wg_lpm_lookup(lpm, AF_INET, &a, NULL);
}

static void lpm_longest_prefix_wins(void **state)
{
	struct wg_device_info dev;
	struct wg_lpm *lpm;

	(void)state;
	wg_device_init(&dev);
	add_peer(&dev, 1, "10.9.0.0", 16, 0);
	add_peer(&dev, 2, "10.9.3.0", 24, 0);
	add_peer(&dev, 3, "10.9.3.7", 32, 0);
	lpm = wg_lpm_build(&dev);
	assert_int_equal(who(lpm, "10.9.3.7"), 2);
	assert_int_equal(who(lpm, "10.9.3.8"), 1);
	assert_int_equal(who(lpm, "10.9.200.1"), 0);
	assert_int_equal(who(lpm, "10.10.0.1"), -1);
	assert_int_equal(who(lpm, "192.0.2.1"), -1);
	wg_lpm_free(lpm);
	wg_device_clear(&dev);
}

static void lpm_ten_thousand_peers(void **state)
{
	struct wg_device_info dev;
	struct wg_lpm *lpm;
	char ip[32];

	(void)state;
	wg_device_init(&dev);
	for (int i = 0; i < 10000; i++) {
		uint8_t key[WG_KEY_LEN] = { 0 };
		struct wg_peer_info *p;
		struct in_addr a;

		memcpy(key, &i, sizeof(i));
		p = wg_device_peer(&dev, key, true);
		snprintf(ip, sizeof(ip), "10.%d.%d.2", 10 + i / 256, i % 256);
		inet_pton(AF_INET, ip, &a);
		wg_peer_add_ip(p, AF_INET, &a, 32);
		snprintf(ip, sizeof(ip), "10.%d.%d.0", 100 + i / 256, i % 256);
		inet_pton(AF_INET, ip, &a);
		wg_peer_add_ip(p, AF_INET, &a, 24);
	}
	lpm = wg_lpm_build(&dev);
	for (int i = 0; i < 10000; i += 97) {
		snprintf(ip, sizeof(ip), "10.%d.%d.2", 10 + i / 256, i % 256);
		assert_int_equal(who(lpm, ip), i);
		snprintf(ip, sizeof(ip), "10.%d.%d.99", 100 + i / 256, i % 256);
		assert_int_equal(who(lpm, ip), i);
	}
	assert_int_equal(who(lpm, "10.10.0.3"), -1);
	wg_lpm_free(lpm);
	wg_device_clear(&dev);
}

static void diff_reports_every_change(void **state)
{
	struct wg_device_info old, cur;
	struct wg_events ev = { 0 };

	(void)state;
	wg_device_init(&old);
	wg_device_init(&cur);
	add_peer(&old, 1, "10.9.0.2", 32, 1000);
	add_peer(&old, 2, "10.9.0.3", 32, 1000);
	add_peer(&old, 3, "10.9.0.4", 32, 1000);
	add_peer(&old, 4, "10.9.0.5", 32, 1000);
	add_peer(&cur, 1, "10.9.0.2", 32, 1000);	/* unchanged */
	add_peer(&cur, 3, "10.9.7.4", 32, 1000);	/* allowed-ips changed */
	add_peer(&cur, 4, "10.9.0.5", 32, 800);		/* handshake now stale */
	add_peer(&cur, 5, "10.9.0.6", 32, 1000);	/* new */
	wg_device_normalize(&old);
	wg_device_normalize(&cur);
	assert_int_equal(wg_device_diff(&old, &cur, 1100, 200, &ev), 0);
	assert_int_equal(ev.n, 5);
	assert_int_equal(ev.items[0].type, WG_EVENT_PEER_REMOVED);
	assert_int_equal(ev.items[0].key[0], 2);
	assert_int_equal(ev.items[1].type, WG_EVENT_ALLOWED_IPS_LOST);
	assert_int_equal(ev.items[1].key[0], 3);
	assert_int_equal(ev.items[1].n_lost, 1);
	assert_int_equal(ev.items[1].lost[0].addr[2], 0);
	assert_int_equal(ev.items[2].type, WG_EVENT_ALLOWED_IPS_GAINED);
	assert_int_equal(ev.items[2].key[0], 3);
	assert_int_equal(ev.items[3].type, WG_EVENT_HANDSHAKE_STALE);
	assert_int_equal(ev.items[3].key[0], 4);
	assert_int_equal(ev.items[4].type, WG_EVENT_PEER_ADDED);
	wg_events_clear(&ev);
	/* stale is reported once, when it turns stale */
	assert_int_equal(wg_device_diff(&cur, &cur, 1200, 200, &ev), 0);
	assert_int_equal(ev.n, 0);
	wg_device_clear(&old);
	wg_device_clear(&cur);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uapi_realistic_reply),
		cmocka_unit_test(uapi_rejects_garbage),
		cmocka_unit_test(genl_peers_spanning_messages),
		cmocka_unit_test(genl_truncated_attributes),
		cmocka_unit_test(lpm_longest_prefix_wins),
		cmocka_unit_test(lpm_ten_thousand_peers),
		cmocka_unit_test(diff_reports_every_change),
	};

	return cmocka_run_group_tests_name("wgpeer", tests, NULL, NULL);
}
