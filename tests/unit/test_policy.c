/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The YAML policy: defaults, every key, and FILE:LINE:COL for bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "util/base64.h"
#include "daemon/policy.h"

#define KEY_A "WKAuaVuhdyscyTCXVfBDJR6nf9zxD75jmJzq6Ce8ilo="
#define KEY_B "Zi4U/VlFVvUiYEcDNANRJYkDtk81VTdj8ZQmqypRXFg="

static int load(const char *text, struct policy *p, char *err)
{
	return policy_load_string("t.yaml", text, strlen(text), p, err, 512);
}

static void minimal_policy_gets_defaults(void **state)
{
	struct policy p;
	char err[512];

	(void)state;
	assert_int_equal(load("interface: wg0\nexternal: { interface: eth0 }\n", &p, err), 0);
	assert_string_equal(p.interface, "wg0");
	assert_string_equal(p.external_interface, "eth0");
	assert_int_equal(p.port_min, 1024);
	assert_int_equal(p.port_max, 65535);
	assert_int_equal(p.lifetime_min, 60);
	assert_int_equal(p.lifetime_max, 7200);
	assert_int_equal(p.per_peer, 8);
	assert_int_equal(p.rate, 10);
	assert_int_equal(p.poll_interval, 1);
	assert_string_equal(p.warning, "");
	assert_string_equal(p.nft_table, "portgate");
	assert_string_equal(p.metrics_listen, "");
	policy_free(&p);
}

static void full_policy(void **state)
{
	static const char text[] =
		"interface: wg0\n"
		"external:\n  address: 198.51.100.1\n"
		"ports:\n  range: 40000-49999\n  reserved: [40022, 45000]\n"
		"lifetime: { min: 30, max: 3600 }\n"
		"mapping: { mode: same-port }\n"
		"limits: { per_peer: 4, rate: 0 }\n"
		"peers:\n"
		"  \"" KEY_A "\": { per_peer: 64, ports: 41000-41999, name: seedbox }\n"
		"  \"" KEY_B "\": { deny: true }\n"
		"poll_interval: 2\nstale_handshake: 300\n"
		"nftables: { table: pg, remove_on_exit: true }\n"
		"control: { socket: /tmp/x.sock, group: portgate }\n"
		"metrics: { listen: 127.0.0.1:9834 }\n";
	struct mapping_limits lim;
	const struct policy_peer *peer;
	struct policy p;
	char err[512];
	uint8_t key[32];

	(void)state;
	assert_int_equal(load(text, &p, err), 0);
	assert_true(p.has_external_address);
	assert_int_equal(ip_addr_v4(&p.external_address), 0xc6336401);
	assert_int_equal(p.n_reserved, 2);
	assert_true(policy_is_reserved(&p, 45000));
	assert_false(policy_is_reserved(&p, 45001));
	/* same-port is retired: it loads, works as rfc, and says so. */
	assert_non_null(strstr(p.warning, "t.yaml:8:18: mapping.mode same-port is retired"));
	assert_int_equal(p.rate, 0);
	assert_int_equal(p.n_peers, 2);

	/* Each peer looked up by its own key: the order they are stored in
	 * does not decide which branch is tested. */
	assert_true(key_from_base64(key, KEY_A));
	peer = policy_peer_find(&p, key);
	assert_non_null(peer);
	assert_false(peer->deny);
	assert_false(policy_denies(&p, key));
	assert_string_equal(peer->name, "seedbox");
	policy_limits_for(&p, key, &lim);
	assert_int_equal(lim.per_peer, 64);
	assert_int_equal(lim.port_min, 41000);
	assert_int_equal(lim.port_max, 41999);
	assert_int_equal(lim.lifetime_min, 30);
	assert_int_equal(lim.lifetime_max, 3600);

	assert_true(key_from_base64(key, KEY_B));
	peer = policy_peer_find(&p, key);
	assert_non_null(peer);
	assert_true(peer->deny);
	assert_true(policy_denies(&p, key));

	/* A peer the policy does not name gets the global limits. */
	memset(key, 0x5a, sizeof(key));
	assert_null(policy_peer_find(&p, key));
	assert_false(policy_denies(&p, key));
	policy_limits_for(&p, key, &lim);
	assert_int_equal(lim.per_peer, 4);
	assert_int_equal(lim.port_min, 40000);
	assert_int_equal(lim.port_max, 49999);
	assert_int_equal(p.poll_interval, 2);
	assert_int_equal(p.stale_handshake, 300);
	assert_string_equal(p.nft_table, "pg");
	assert_string_equal(p.control_socket, "/tmp/x.sock");
	assert_string_equal(p.control_group, "portgate");
	assert_true(p.nft_remove_on_exit);
	assert_string_equal(p.metrics_listen, "127.0.0.1:9834");
	policy_free(&p);
}

struct bad_case {
	const char *text, *want;
};

/* Each text is refused with a message that starts with want. */
/* metrics.listen takes IPv6 in brackets. */
static void metrics_listen_ipv6(void **state)
{
	static const char text[] = "interface: wg0\nexternal: { interface: eth0 }\n"
				   "metrics: { listen: \"[::]:9834\" }\n";
	struct policy p;
	char err[512];

	(void)state;
	if (policy_load_string("t.yaml", text, strlen(text), &p, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_string_equal(p.metrics_listen, "[::]:9834");
	policy_free(&p);
}

static void refused_as(const struct bad_case *cases, size_t n)
{
	char err[512];

	for (size_t i = 0; i < n; i++) {
		struct policy p;

		memset(err, 0, sizeof(err));
		if (load(cases[i].text, &p, err) == 0)
			fail_msg("case %zu was accepted", i);
		/* SHOW_ERRORS=1 prints every message; the assertion holds either way. */
		if (getenv("SHOW_ERRORS"))
			print_message("%s\n", err);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)))
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i, err, cases[i].want);
	}
}

/* Each bad file names the place and the reason. */
static void bad_policies(void **state)
{
	static const struct bad_case cases[] = {
		{ "interface: wg0\nexternal: { interface: eth0 }\nbogus: 1\n",
		  "t.yaml:3:1: unknown key \"bogus\" in the policy" },
		{ "interface: wg0\nexternal: { interface: eth0 }\nlimits: { per_peer: -3 }\n",
		  "t.yaml:3:21: limits.per_peer must be a whole number" },
		{ "interface: wg0\nexternal: { interface: eth0 }\nlimits: { per_peer: 0 }\n",
		  "t.yaml:3:21: limits.per_peer must be between 1 and 65535" },
		{ "interface: wg0\nexternal: { interface: eth0 }\nports: { range: 3000-2000 }\n",
		  "t.yaml:3:17: ports.range must look like" },
		{ "interface: wg0\nexternal: { interface: eth0 }\nports:\n  range: 2000-3000\n  reserved: [22]\n",
		  "t.yaml:5:14: reserved port 22 is outside ports.range 2000-3000" },
		{ "interface: wg0\nexternal: { interface: eth0 }\npeers:\n  \"nope\": { deny: true }\n",
		  "t.yaml:4:3: \"nope\" is not a WireGuard public key" },
		{ "interface: wg0\nexternal: { interface: eth0 }\npeers:\n  \"" KEY_A "\": { deny: maybe }\n",
		  "t.yaml:4:59: deny must be true or false" },
		{ "interface: wg0\nexternal: { interface: eth0 }\nmapping: { mode: fancy }\n",
		  "t.yaml:3:18: mapping.mode must be rfc, not \"fancy\"" },
		{ "interface: wg0\nexternal: { interface: eth0 }\nlifetime: { min: 100, max: 10 }\n",
		  "t.yaml:3:11: lifetime.min 100 is above lifetime.max 10" },
		{ "interface: wg0\n", "t.yaml:1:1: external.interface or external.address is required" },
		{ "external: { interface: eth0 }\n", "t.yaml:1:1: interface (the WireGuard interface) is required" },
		{ "interface: wg0\nexternal: { address: 300.1.1.1 }\n",
		  "t.yaml:2:22: external.address \"300.1.1.1\" is not an IPv4 address" },
		{ "interface: wg0\ninterface: wg1\nexternal: { interface: eth0 }\n",
		  "t.yaml:2:1: interface appears twice in the policy" },
		{ "interface: [wg0]\n", "t.yaml:1:12: interface must be a single value" },
		{ "interface: wg0\nexternal: { interface: eth0\n", "t.yaml:3:1: did not find expected" },
		{ "", "t.yaml:1:1: the policy is empty" },
		{ "interface: wg0\nexternal: { interface: eth0 }\nmetrics: { listen: localhost }\n",
		  "t.yaml:3:20: metrics.listen must be ADDRESS:PORT" },
		{ "interface: wg0\nexternal: { interface: eth0 }\nmetrics: { listen: \"::1:9834\" }\n",
		  "t.yaml:3:20: metrics.listen must be ADDRESS:PORT" },
		{ "interface: wg0\nexternal: { interface: eth0 }\nmetrics: { listen: \"[::1]:0\" }\n",
		  "t.yaml:3:20: metrics.listen must be ADDRESS:PORT" },
		{ "interface: wg0\nexternal: { interface: eth0 }\nmetrics: { listen: \"[::1]:9834x\" }\n",
		  "t.yaml:3:20: metrics.listen must be ADDRESS:PORT" },
	};

	(void)state;
	refused_as(cases, sizeof(cases) / sizeof(cases[0]));
}

#define HEAD4 "interface: wg0\nexternal: { interface: eth0 }\n"

/* ipv6: off unless asked; routed; nat66 on external.interface or its own. */
static void ipv6_section(void **state)
{
	char err[512] = "";
	struct policy p;

	(void)state;
	assert_int_equal(load(HEAD4, &p, err), 0);
	assert_int_equal(p.ipv6_mode, POLICY_IPV6_OFF);
	assert_int_equal(p.ipv6_mark, POLICY_IPV6_MARK_DEFAULT);
	policy_free(&p);
	assert_int_equal(load(HEAD4 "ipv6: { mode: routed, mark: 0x100 }\n", &p, err), 0);
	assert_int_equal(p.ipv6_mode, POLICY_IPV6_ROUTED);
	assert_int_equal(p.ipv6_mark, 0x100);
	policy_free(&p);
	assert_int_equal(load(HEAD4 "ipv6: { mode: nat66 }\n", &p, err), 0);
	assert_int_equal(p.ipv6_mode, POLICY_IPV6_NAT66);
	assert_string_equal(p.ipv6_external_interface, "eth0");
	policy_free(&p);
	assert_int_equal(load(HEAD4 "ipv6: { mode: nat66, external: { interface: eth1 } }\n",
			      &p, err), 0);
	assert_string_equal(p.ipv6_external_interface, "eth1");
	policy_free(&p);
}

static void bad_ipv6(void **state)
{
	static const struct bad_case cases[] = {
		{ HEAD4 "ipv6: { mode: bridged }\n",
		  "t.yaml:3:15: ipv6.mode must be routed or nat66, not \"bridged\"" },
		{ HEAD4 "ipv6: { mark: 0x10 }\n", "t.yaml:3:7: ipv6.mode (routed or nat66) is required" },
		{ HEAD4 "ipv6: { mode: routed, mark: 0 }\n", "t.yaml:3:29: ipv6.mark must be a non-zero" },
		{ HEAD4 "ipv6: { mode: routed, mark: 0x1ffffffff }\n", "t.yaml:3:29: ipv6.mark must be" },
		{ HEAD4 "ipv6: { mode: routed, nat: yes }\n", "t.yaml:3:23: unknown key \"nat\" in ipv6" },
		{ HEAD4 "pcp: false\nipv6: { mode: routed }\n", "t.yaml:4:7: ipv6 needs pcp: true" },
		{ "interface: wg0\nexternal: { address: 203.0.113.1 }\nipv6: { mode: nat66 }\n",
		  "t.yaml:3:7: ipv6.mode nat66 needs ipv6.external.interface" },
	};

	(void)state;
	refused_as(cases, sizeof(cases) / sizeof(cases[0]));
}

/* external.advertise with either external key; ipv6.external.advertise with
 * nat66; both refused for addresses no client could reach. */
static void advertise(void **state)
{
	static const struct bad_case cases[] = {
		{ "interface: wg0\nexternal: { interface: eth0, advertise: 2001:db8::1 }\n",
		  "t.yaml:2:41: external.advertise \"2001:db8::1\" is not an IPv4 address" },
		{ "interface: wg0\nexternal: { interface: eth0, advertise: 224.0.0.1 }\n",
		  "t.yaml:2:41: external.advertise \"224.0.0.1\" is a multicast address" },
		{ "interface: wg0\nexternal: { interface: eth0, address: 192.0.2.1 }\n",
		  "t.yaml:1:1: give external.interface or external.address, not both" },
		{ HEAD4 "ipv6: { mode: routed, external: { advertise: \"2001:db8::7\" } }\n",
		  "t.yaml:3:7: ipv6.external.advertise needs ipv6.mode nat66" },
		{ HEAD4 "ipv6: { mode: nat66, external: { advertise: \"::ffff:198.51.100.7\" } }\n",
		  "t.yaml:3:45: ipv6.external.advertise \"::ffff:198.51.100.7\" is a reserved" },
	};
	static const uint8_t want6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 7 };
	char err[512] = "";
	struct policy p;

	(void)state;
	assert_int_equal(load("interface: wg0\nexternal: { interface: eth0, "
			      "advertise: 198.51.100.7 }\n", &p, err), 0);
	assert_true(p.has_advertise[IP_V4]);
	assert_int_equal(ip_addr_v4(&p.advertise[IP_V4]), 0xc6336407);
	assert_string_equal(p.external_interface, "eth0");
	policy_free(&p);
	assert_int_equal(load("interface: wg0\nexternal: { address: 192.0.2.1, "
			      "advertise: 198.51.100.7 }\n", &p, err), 0);
	assert_int_equal(ip_addr_v4(&p.external_address), 0xc0000201);
	assert_int_equal(ip_addr_v4(&p.advertise[IP_V4]), 0xc6336407);
	policy_free(&p);
	assert_int_equal(load(HEAD4 "ipv6: { mode: nat66, external: { advertise: "
			      "\"2001:db8::7\" } }\n", &p, err), 0);
	assert_true(p.has_advertise[IP_V6]);
	assert_memory_equal(p.advertise[IP_V6].b, want6, 16);
	policy_free(&p);
	refused_as(cases, sizeof(cases) / sizeof(cases[0]));
}

/* events.exec: an absolute path to an executable file, checked at load. */
static void events_section(void **state)
{
	static const struct bad_case cases[] = {
		{ HEAD4 "events: { exec: portgate-event }\n",
		  "t.yaml:3:17: events.exec \"portgate-event\" must be an absolute path" },
		{ HEAD4 "events: { exec: /nonexistent/portgate-event }\n",
		  "t.yaml:3:17: events.exec \"/nonexistent/portgate-event\": No such file" },
		{ HEAD4 "events: { exec: /dev/null }\n",
		  "t.yaml:3:17: events.exec \"/dev/null\" is not an executable file" },
		{ HEAD4 "events: { exec: /bin }\n",
		  "t.yaml:3:17: events.exec \"/bin\" is not an executable file" },
		{ HEAD4 "events: { exec: /bin/true, timeout: 0 }\n",
		  "t.yaml:3:37: events.timeout must be between 1 and 3600" },
		{ HEAD4 "events: { timeout: 5 }\n", "t.yaml:3:9: events needs exec" },
		{ HEAD4 "events: { exec: /bin/true, shell: yes }\n",
		  "t.yaml:3:28: unknown key \"shell\" in events" },
	};
	char err[512] = "", path[] = "/tmp/pgpolicy.XXXXXX", text[256], want[160];
	struct policy p;
	int fd;

	(void)state;
	assert_int_equal(load(HEAD4, &p, err), 0);
	assert_string_equal(p.events_exec, "");
	policy_free(&p);
	assert_int_equal(load(HEAD4 "events: { exec: /bin/true, timeout: 30 }\n", &p, err), 0);
	assert_string_equal(p.events_exec, "/bin/true");
	assert_int_equal(p.events_timeout, 30);
	policy_free(&p);
	refused_as(cases, sizeof(cases) / sizeof(cases[0]));
	/* A regular file without an execute bit. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	snprintf(text, sizeof(text), HEAD4 "events: { exec: %s }\n", path);
	snprintf(want, sizeof(want), "t.yaml:3:17: events.exec \"%s\" is not an executable file",
		 path);
	assert_int_equal(load(text, &p, err), -1);
	unlink(path);
	assert_string_equal(err, want);
}

#define HEAD "interface: wg0\nexternal: { interface: eth0 }\nports: { range: 20000-30000, reserved: [25000] }\npeers:\n"

static void static_forwards(void **state)
{
	const char *text = HEAD
		"  \"" KEY_A "\":\n"
		"    forwards:\n"
		"      - { protocol: tcp, external: 2222, internal: 22 }\n"
		"      - { protocol: both, external: 24000 }\n"
		"      - { protocol: udp, external: 2222, internal: 22 }\n"
		"      - { protocol: udp, external: 9000, address: 10.0.0.9 }\n";
	const struct policy_forward *f;
	struct policy p;
	char err[512];

	(void)state;
	if (load(text, &p, err) < 0)
		fail_msg("%s", err);
	assert_int_equal(p.n_forwards, 4);
	f = policy_forward_at(&p, MAPPING_TCP, 2222);
	assert_non_null(f);
	assert_int_equal(f->internal_port, 22);
	assert_int_equal(f->line, 7);
	f = policy_forward_at(&p, MAPPING_UDP, 2222);
	assert_non_null(f);
	assert_int_equal(f->line, 9);
	f = policy_forward_at(&p, MAPPING_UDP, 24000);
	assert_non_null(f);
	assert_int_equal(f->internal_port, 24000);		/* defaults to external */
	assert_non_null(policy_forward_at(&p, MAPPING_TCP, 24000));
	f = policy_forward_at(&p, MAPPING_UDP, 9000);
	assert_non_null(f);
	assert_true(f->has_address);
	assert_int_equal(f->address, 0x0a000009);
	assert_null(policy_forward_at(&p, MAPPING_TCP, 9000));
	assert_null(policy_forward_at(&p, MAPPING_TCP, 2223));
	policy_free(&p);
}

/* A range is one entry: each of its ports found, each to its own target. */
static void static_ranges(void **state)
{
	const char *text = HEAD
		"  \"" KEY_A "\":\n"
		"    forwards:\n"
		"      - { protocol: tcp, external: 30000-30009, internal: 40000-40009 }\n"
		"      - { protocol: udp, external: 30005-30014, internal: 40005 }\n"
		"      - { protocol: both, external: 31000-31999 }\n";
	const struct policy_forward *f;
	struct policy p;
	char err[512];

	(void)state;
	if (load(text, &p, err) < 0)
		fail_msg("%s", err);
	assert_int_equal(p.n_forwards, 3);
	f = policy_forward_at(&p, MAPPING_TCP, 30007);
	assert_non_null(f);
	assert_int_equal(forward_span(f), 10);
	assert_int_equal(forward_target(f, 30007), 40007);
	f = policy_forward_at(&p, MAPPING_UDP, 30014);
	assert_non_null(f);
	assert_int_equal(forward_target(f, 30014), 40014);
	assert_null(policy_forward_at(&p, MAPPING_UDP, 30004));
	assert_null(policy_forward_at(&p, MAPPING_TCP, 30010));
	assert_non_null(policy_forward_at(&p, MAPPING_UDP, 31999));
	assert_null(policy_forward_at(&p, MAPPING_UDP, 32000));
	policy_free(&p);
}

/* ports.reserved takes ranges; one outside ports.range is named. */
static void reserved_ranges(void **state)
{
	const char *text = "interface: wg0\nexternal: { interface: eth0 }\n"
			   "ports: { range: 20000-30000, reserved: [22000-22009, 21000] }\n";
	struct policy p;
	char err[512];

	(void)state;
	if (load(text, &p, err) < 0)
		fail_msg("%s", err);
	assert_int_equal(p.n_reserved, 11);
	assert_true(policy_is_reserved(&p, 22000));
	assert_true(policy_is_reserved(&p, 22009));
	assert_true(policy_is_reserved(&p, 21000));
	assert_false(policy_is_reserved(&p, 22010));
	assert_false(policy_is_reserved(&p, 21999));
	policy_free(&p);
	assert_int_equal(load("interface: wg0\nexternal: { interface: eth0 }\n"
			      "ports: { range: 20000-30000, reserved: [29990-30010] }\n",
			      &p, err), -1);
	assert_non_null(strstr(err, "reserved port 29990-30010 is outside ports.range"));
	assert_int_equal(load("interface: wg0\nexternal: { interface: eth0 }\n"
			      "ports: { reserved: [80-70] }\n", &p, err), -1);
	assert_non_null(strstr(err, "a reserved port must be a port or a range"));
}

/* Collisions and bad forwards name the forward's place. */
static void bad_forwards(void **state)
{
	static const struct bad_case cases[] = {
		{ HEAD "  \"" KEY_A "\": { forwards: [{ protocol: tcp, external: 2222 }] }\n"
		  "  \"" KEY_B "\": { forwards: [{ protocol: both, external: 2222 }] }\n",
		  "t.yaml:6:64: external port 2222 is already forwarded to peer " KEY_A " (line 5)" },
		{ HEAD "  \"" KEY_A "\": { forwards: [{ protocol: tcp, external: 2222 }, "
		  "{ protocol: both, external: 2222 }] }\n",
		  "t.yaml:5:99: tcp 2222 is already forwarded (line 5)" },
		{ HEAD "  \"" KEY_A "\": { forwards: [{ protocol: tcp, external: 2222 }, "
		  "{ protocol: udp, external: 2222, internal: 22 }] }\n",
		  "t.yaml:5:99: external port 2222 already forwards to internal port 2222" },
		{ HEAD "  \"" KEY_A "\": { forwards: [{ protocol: tcp, external: 25000 }] }\n",
		  "t.yaml:5:64: external port 25000 is reserved (ports.reserved)" },
		{ HEAD "  \"" KEY_A "\": { forwards: [{ protocol: udp, external: 5351 }] }\n",
		  "t.yaml:5:64: external port 5351 is the gateway's own (NAT-PMP)" },
		{ HEAD "  \"" KEY_A "\": { forwards: [{ protocol: tcp, external: 26000 }] }\n"
		  "  \"" KEY_B "\": { name: bob, ports: 25500-26500 }\n",
		  "t.yaml:5:64: external port 26000 is in the port range 25500-26500 of peer bob" },
		{ HEAD "  \"" KEY_A "\": { deny: true, forwards: [{ protocol: tcp, external: 2 }] }\n",
		  "t.yaml:5:76: the peer is denied (deny: true) and cannot have forwards" },
		{ HEAD "  \"" KEY_A "\": { forwards: [{ protocol: sctp, external: 2 }] }\n",
		  "t.yaml:5:76: protocol must be tcp, udp or both, not \"sctp\"" },
		{ HEAD "  \"" KEY_A "\": { forwards: [{ protocol: tcp }] }\n",
		  "t.yaml:5:64: a forward needs an external port" },
		{ HEAD "  \"" KEY_A "\": { forwards: [{ external: 80 }] }\n",
		  "t.yaml:5:64: a forward needs protocol: tcp, udp or both" },
		{ HEAD "  \"" KEY_A "\": { forwards: [{ protocol: tcp, external: 70000 }] }\n",
		  "t.yaml:5:91: external must be a port or a range of ports" },
		{ HEAD "  \"" KEY_A "\": { forwards: [{ protocol: tcp, external: 3000-4000 }] }\n",
		  "t.yaml:5:91: a range of static forwards is at most 1000 ports" },
		{ HEAD "  \"" KEY_A "\": { forwards: [{ protocol: tcp, external: 3000-3009, internal: 4000-4004 }] }\n",
		  "t.yaml:5:91: the internal range must have as many ports as the external one" },
		{ HEAD "  \"" KEY_A "\": { forwards: [{ protocol: tcp, external: 3009-3000 }] }\n",
		  "t.yaml:5:91: external must be a port or a range of ports" },
		{ HEAD "  \"" KEY_A "\": { forwards: [{ protocol: tcp, external: 65530-65535, internal: 65534 }] }\n",
		  "t.yaml:5:91: the internal ports run past 65535" },
		{ HEAD "  \"" KEY_A "\": { forwards: [{ protocol: tcp, external: 24990-25009 }] }\n",
		  "t.yaml:5:64: external port 25000 is reserved (ports.reserved)" },
		{ HEAD "  \"" KEY_A "\": { forwards: [{ protocol: udp, external: 5340-5359 }] }\n",
		  "t.yaml:5:64: external port 5350 is the gateway's own (NAT-PMP)" },
		{ HEAD "  \"" KEY_A "\": { forwards: [{ protocol: tcp, external: 3000-3009 }] }\n"
		  "  \"" KEY_B "\": { name: bob, forwards: [{ protocol: tcp, external: 3009 }] }\n",
		  "t.yaml:6:75: external port 3009 is already forwarded to peer" },
		{ HEAD "  \"" KEY_A "\": { forwards: [{ protocol: tcp, external: 3000-3009 },\n"
		  "    { protocol: udp, external: 3005-3006, internal: 4005 }] }\n",
		  "t.yaml:6:5: external port 3005 already forwards to internal port 3005" },
		{ HEAD "  \"" KEY_A "\": { forwards: [{ protocol: tcp, external: 80, to: 1 }] }\n",
		  "t.yaml:5:95: unknown key \"to\" in a forward" },
		{ HEAD "  \"" KEY_A "\": { forwards: { protocol: tcp } }\n",
		  "t.yaml:5:63: forwards must be a list" },
		{ HEAD "  \"" KEY_A "\": { forwards: [{ protocol: tcp, external: 80, address: x }] }\n",
		  "t.yaml:5:104: address \"x\" is not an IPv4 address" },
	};

	(void)state;
	refused_as(cases, sizeof(cases) / sizeof(cases[0]));
}

static void example_policy_is_valid(void **state)
{
	struct policy p;
	char err[512];

	(void)state;
	if (policy_load("conf/portgate.yaml", &p, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_string_equal(p.interface, "wg0");
	policy_free(&p);
}

/* The example's commented peers block, uncommented, is a valid policy with
 * the static forwards it shows. */
static void example_peers_block_is_valid(void **state)
{
	FILE *f = fopen("conf/portgate.yaml", "r");
	char line[512], text[8192] = "";
	bool in_peers = false;
	struct policy p;
	char err[512];

	(void)state;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		const char *keep = line;

		if (!strcmp(line, "# peers:\n")) {
			in_peers = true;
			keep = "peers:\n";
		} else if (in_peers && line[0] != '#') {
			in_peers = false;
		} else if (in_peers) {
			keep = line + 1;
		}
		strncat(text, keep, sizeof(text) - strlen(text) - 1);
	}
	fclose(f);
	if (policy_load_string("uncommented.yaml", text, strlen(text), &p, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(p.n_peers, 3);
	assert_int_equal(p.n_forwards, 2);
	assert_non_null(policy_forward_at(&p, MAPPING_TCP, 2222));
	policy_free(&p);
}

/* upnp: off by default; true takes the defaults (port 5000, IGD:2); a
 * mapping turns it on with its keys; strict keys, FILE:LINE:COL errors. */
static void upnp_section(void **state)
{
	static const struct bad_case cases[] = {
		{ HEAD4 "upnp: maybe\n", "t.yaml:3:7: upnp must be true or false, not \"maybe\"" },
		{ HEAD4 "upnp: { port: 80 }\n",
		  "t.yaml:3:15: upnp.port must be between 1024 and 65535, not 80" },
		{ HEAD4 "upnp: { version: 3 }\n",
		  "t.yaml:3:18: upnp.version must be between 1 and 2, not 3" },
		{ HEAD4 "upnp: { ports: 5000 }\n", "t.yaml:3:9: unknown key \"ports\" in upnp" },
	};
	char err[512] = "";
	struct policy p;

	(void)state;
	assert_int_equal(load(HEAD4, &p, err), 0);
	assert_false(p.upnp);
	policy_free(&p);
	assert_int_equal(load(HEAD4 "upnp: true\n", &p, err), 0);
	assert_true(p.upnp);
	assert_int_equal(p.upnp_port, 5000);
	assert_int_equal(p.upnp_version, 2);
	policy_free(&p);
	assert_int_equal(load(HEAD4 "upnp: { port: 5555, version: 1 }\n", &p, err), 0);
	assert_true(p.upnp);
	assert_int_equal(p.upnp_port, 5555);
	assert_int_equal(p.upnp_version, 1);
	policy_free(&p);
	refused_as(cases, sizeof(cases) / sizeof(cases[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(metrics_listen_ipv6),
		cmocka_unit_test(minimal_policy_gets_defaults),
		cmocka_unit_test(full_policy),
		cmocka_unit_test(bad_policies),
		cmocka_unit_test(ipv6_section),
		cmocka_unit_test(bad_ipv6),
		cmocka_unit_test(advertise),
		cmocka_unit_test(events_section),
		cmocka_unit_test(upnp_section),
		cmocka_unit_test(static_forwards),
		cmocka_unit_test(static_ranges),
		cmocka_unit_test(reserved_ranges),
		cmocka_unit_test(bad_forwards),
		cmocka_unit_test(example_policy_is_valid),
		cmocka_unit_test(example_peers_block_is_valid),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
