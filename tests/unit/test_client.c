/* SPDX-License-Identifier: GPL-2.0-or-later */
/* portgate-client's pure parts: the renewal state machine (port changes,
 * the epoch going back once or round after round, ports outside
 * accept_ports, failures, recovery and its cooldown), the configuration's
 * errors, the NAT-PMP answers it accepts, the port file against planted
 * symlinks, and the app clients against a scripted HTTP server
 * (Transmission's 409 session id, qBittorrent's login, its refusal and a
 * 403 re-login). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include "client/apps.h"
#include "client/clientconf.h"
#include "client/renew.h"
#include "client/route.h"
#include "natpmp/codec.h"

static const struct renew_config cfg = {
	.protos = RENEW_UDP | RENEW_TCP, .internal_port = 1, .lifetime = 60,
	.renew_after = 45, .retry_after = 15, .fail_limit = 3, .cooldown = 10,
};

static struct renew_round good(uint16_t port, uint32_t epoch)
{
	struct renew_answer m = { .answered = true, .epoch = epoch, .external_port = port,
				  .lifetime = 60 };
	struct renew_round r = { .op0 = { .answered = true, .epoch = epoch, .addr = 0xcb007101 },
				 .udp = m, .tcp = m };

	return r;
}

static void renewals_and_changes(void **state)
{
	struct renew_state s;
	struct renew_round r = good(24000, 100);

	(void)state;
	renew_init(&s, &cfg, 0);
	assert_int_equal(s.next_ms, 0);			/* ask at once */
	assert_int_equal(renew_round_done(&s, &r, 1000), RENEW_PORT_CHANGED);
	assert_int_equal(s.port, 24000);
	assert_int_equal(s.next_ms, 1000 + 45000);
	r = good(24000, 145);
	assert_int_equal(renew_round_done(&s, &r, 46000), 0);	/* a plain renewal */
	r = good(24001, 190);
	assert_int_equal(renew_round_done(&s, &r, 91000), RENEW_PORT_CHANGED);
	assert_int_equal(s.port_changes, 2);
	/* UDP and TCP differ: TCP's port is the one, and it is said. */
	r = good(24001, 235);
	r.udp.external_port = 25000;
	assert_int_equal(renew_round_done(&s, &r, 136000), RENEW_PROTOS_DIFFER);
	assert_int_equal(s.port, 24001);
	/* The external address moves. */
	r = good(24001, 280);
	r.op0.addr = 0xcb007102;
	assert_int_equal(renew_round_done(&s, &r, 181000), RENEW_ADDRESS_CHANGED);
}

static void lifetime_decides_the_next_renewal(void **state)
{
	struct renew_state s;
	struct renew_round r = good(24000, 5);

	(void)state;
	renew_init(&s, &cfg, 0);
	r.udp.lifetime = r.tcp.lifetime = 7200;	/* more than asked: at 3/4 */
	renew_round_done(&s, &r, 0);
	assert_int_equal(s.next_ms, 5400000);
	r = good(24000, 5405);
	r.udp.lifetime = r.tcp.lifetime = 40;	/* less: at 3/4 too */
	renew_round_done(&s, &r, 5400000);
	assert_int_equal(s.next_ms, 5400000 + 30000);
}

static void epoch_going_back_asks_again_at_once(void **state)
{
	struct renew_state s;
	struct renew_round r = good(24000, 1000);

	(void)state;
	renew_init(&s, &cfg, 0);
	renew_round_done(&s, &r, 0);
	/* 45 s later the epoch must have grown by about 45 s: 39 is within
	 * RFC 6886's slack (7/8 of the time, less 2 s), 30 is not. */
	r = good(24000, 1039);
	assert_false(renew_round_done(&s, &r, 45000) & RENEW_EPOCH_RESET);
	r = good(24000, 3);
	assert_true(renew_round_done(&s, &r, 90000) & RENEW_EPOCH_RESET);
	assert_int_equal(s.next_ms, 90000);
}

/* A broken or hostile gateway whose epoch goes back at every answer: one
 * round at once, then none closer than retry_every (each round also costs
 * an app sync), every reset counted; a sane round ends the streak. */
static void epoch_going_back_again_and_again_is_spaced(void **state)
{
	struct renew_state s;
	struct renew_round r = good(24000, 100000);
	int64_t now = 0;

	(void)state;
	renew_init(&s, &cfg, 0);
	renew_round_done(&s, &r, now);
	for (uint32_t i = 1; i <= 10; i++) {
		now = s.next_ms + 20;		/* a round takes a while */
		r = good(24000, 100000 - i * 1000);
		assert_true(renew_round_done(&s, &r, now) & RENEW_EPOCH_RESET);
		assert_int_equal(s.epoch_resets, i);
		if (i == 1)
			assert_int_equal(s.next_ms, now);
		else if (s.next_ms - now < 15000)
			fail_msg("reset %u: next round in %lld ms", i, (long long)(s.next_ms - now));
	}
	now = s.next_ms + 20;
	r = good(24000, 90000 + 16);
	assert_false(renew_round_done(&s, &r, now) & RENEW_EPOCH_RESET);
	assert_int_equal(s.next_ms, now + 45000);
	now = s.next_ms;
	r = good(24000, 5);
	assert_true(renew_round_done(&s, &r, now) & RENEW_EPOCH_RESET);
	assert_int_equal(s.next_ms, now);
	assert_int_equal(s.epoch_resets, 11);
	/* Spaced, but never past the renewal a short grant asks for. */
	r = good(24000, 1);
	r.udp.lifetime = r.tcp.lifetime = 8;
	assert_true(renew_round_done(&s, &r, now + 20) & RENEW_EPOCH_RESET);
	assert_int_equal(s.next_ms, now + 20 + 6000);
}

/* accept_ports 20000-30000: a grant outside is no usable port (said once
 * per port, counted), the mapping is still renewed on time, and a grant
 * inside is used again. */
static void port_outside_accept_ports_is_not_used(void **state)
{
	struct renew_config c = cfg;
	struct renew_state s;
	struct renew_round r = good(40000, 100);

	(void)state;
	c.accept_low = 20000;
	c.accept_high = 30000;
	renew_init(&s, &c, 0);
	assert_int_equal(renew_round_done(&s, &r, 0), RENEW_PORT_REFUSED);
	assert_int_equal(s.port, 0);
	assert_int_equal(s.refused_port, 40000);
	assert_int_equal(s.ports_refused, 1);
	assert_int_equal(s.next_ms, 45000);		/* renewed as usual */
	r = good(40000, 145);
	assert_int_equal(renew_round_done(&s, &r, 45000), 0);	/* said once */
	assert_int_equal(s.ports_refused, 1);
	r = good(24000, 190);
	assert_int_equal(renew_round_done(&s, &r, 90000), RENEW_PORT_CHANGED);
	assert_int_equal(s.port, 24000);
	assert_int_equal(s.refused_port, 0);
	/* A port in use, then one outside: no port any more. */
	r = good(40000, 235);
	assert_int_equal(renew_round_done(&s, &r, 135000), RENEW_PORT_REFUSED | RENEW_PORT_LOST);
	assert_int_equal(s.port, 0);
	assert_int_equal(s.ports_refused, 2);
	/* The bounds are inside. */
	assert_true(renew_port_accepted(&c, 20000));
	assert_true(renew_port_accepted(&c, 30000));
	assert_false(renew_port_accepted(&c, 19999));
	assert_false(renew_port_accepted(&c, 30001));
	assert_true(renew_port_accepted(&cfg, 1));		/* no range: any */
}

static void failures_lead_to_recovery_once_per_cooldown(void **state)
{
	struct renew_state s;
	struct renew_round silent = { 0 }, r = good(24000, 10);
	unsigned ev;

	(void)state;
	renew_init(&s, &cfg, 0);
	renew_round_done(&s, &r, 0);
	ev = renew_round_done(&s, &silent, 60000);
	assert_int_equal(ev, RENEW_FAILED);
	assert_int_equal(s.next_ms, 60000 + 15000);
	assert_int_equal(s.port, 24000);		/* one miss: still trusted */
	ev = renew_round_done(&s, &silent, 75000);
	assert_int_equal(ev, RENEW_FAILED | RENEW_PORT_LOST);
	assert_int_equal(s.port, 0);
	ev = renew_round_done(&s, &silent, 90000);
	assert_int_equal(ev, RENEW_FAILED | RENEW_RECOVER);
	assert_int_equal(s.next_ms, 90000 + 10000);	/* the cooldown */
	/* Three more failures inside the cooldown: no second recovery. */
	s.cfg.cooldown = 100;
	s.cooldown_until_ms = 90000 + 100000;
	for (int i = 1; i <= 3; i++)
		assert_false(renew_round_done(&s, &silent, 90000 + i * 15000) & RENEW_RECOVER);
	assert_true(renew_round_done(&s, &silent, 200000) & RENEW_RECOVER);
	assert_int_equal(s.recoveries, 2);
	/* A refusal is a failure too; a success resets the count. */
	r = good(24002, 300);
	r.tcp.result = NATPMP_RESULT_OUT_OF_RESOURCES;
	assert_true(renew_round_done(&s, &r, 300000) & RENEW_FAILED);
	r = good(24002, 310);
	assert_int_equal(renew_round_done(&s, &r, 310000), RENEW_PORT_CHANGED);
	assert_int_equal(s.failures, 0);
}

static void responses_accepted(void **state)
{
	static const uint8_t map_ok[16] = { 0, 130, 0, 0, 0, 0, 0, 9, 0, 1, 0x5d, 0xc0, 0, 0, 0, 60 };
	static const uint8_t op0_ok[12] = { 0, 128, 0, 0, 0, 0, 0, 9, 203, 0, 113, 1 };
	static const uint8_t refused[8] = { 0, 129, 0, 2, 0, 0, 0, 9 };
	static const uint8_t request[12] = { 0, 2 };
	struct natpmp_response r;

	(void)state;
	assert_true(natpmp_decode_response(map_ok, sizeof(map_ok), &r));
	assert_int_equal(r.opcode, 2);
	assert_int_equal(r.external_port, 24000);
	assert_int_equal(r.lifetime, 60);
	assert_int_equal(r.epoch, 9);
	assert_true(natpmp_decode_response(op0_ok, sizeof(op0_ok), &r));
	assert_int_equal(r.addr, 0xcb007101);
	assert_true(natpmp_decode_response(refused, sizeof(refused), &r));	/* short error */
	assert_int_equal(r.result, 2);
	assert_false(natpmp_decode_response(map_ok, 12, &r));	/* a short success */
	assert_false(natpmp_decode_response(request, sizeof(request), &r));
	assert_false(natpmp_decode_response(map_ok, 3, &r));
}

static void configuration_errors(void **state)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "lifetime: 60\n", "c.yaml:1:1: interface (the WireGuard interface) is required" },
		{ "interface: wg0\nprotocols: sctp\n", "c.yaml:2:12: protocols must be both, udp or tcp" },
		{ "interface: wg0\nrenew_every: 90\n", "c.yaml:1:1: renew_every (90) must be shorter than lifetime (60)" },
		{ "interface: wg0\nhook: notify.sh\n", "c.yaml:2:7: hook must be an absolute path" },
		{ "interface: wg0\ndown_hook: down.sh\n", "c.yaml:2:12: down_hook must be an absolute path" },
		{ "interface: wg0\nport_file: forwarded_port\n", "c.yaml:2:12: port_file must be an absolute path" },
		{ "interface: wg0\nqbittorrent: { url: \"http://x\", password_file: qb.pass }\n",
		  "c.yaml:2:48: password_file must be an absolute path or credential:NAME" },
		{ "interface: wg0\nqbittorrent: { url: \"http://x\", password_file: \"credential:../x\" }\n",
		  "c.yaml:2:48: password_file credential:NAME takes a file name" },
		{ "interface: wg0\nqbittorrent: { url: \"http://x\", password_file: \"credential:..\" }\n",
		  "c.yaml:2:48: password_file credential:NAME takes a file name" },
		{ "interface: wg0\nqbittorrent: { url: \"http://x\", password_file: \"credential:\" }\n",
		  "c.yaml:2:48: password_file credential:NAME takes a file name" },
		{ "interface: ..\n", "c.yaml:1:12: interface \"..\" cannot be . or .." },
		{ "interface: \"wg:0\"\n", "c.yaml:1:12: interface \"wg:0\" has no /, : or white space" },
		{ "interface: wg/0\n", "c.yaml:1:12: interface \"wg/0\" has no /, : or white space" },
		{ "interface: \"wg 0\"\n", "c.yaml:1:12: interface \"wg 0\" has no /, : or white space" },
		{ "interface: wireguard-tunnel0\n", "c.yaml:1:12: interface \"wireguard-tunnel0\" is 1 to 15 characters" },
		{ "interface: wg0\ntransmission: { username: a }\n", "c.yaml:2:15: transmission needs a url" },
		{ "interface: wg0\nqbittorrent: { url: ftp://x }\n", "c.yaml:2:21: url must start with http:// or https://" },
		{ "interface: wg0\nrecovery: { after: 3 }\n", "c.yaml:1:1: recovery.after needs recovery.command" },
		{ "interface: wg0\ngateway: 10.2.0\n", "c.yaml:2:10: gateway \"10.2.0\" is not an IPv4 address" },
		{ "interface: wg0\nqbitorrent: {}\n", "c.yaml:2:1: unknown key \"qbitorrent\"" },
		{ "interface: wg0\naccept_ports: 30000-20000\n", "c.yaml:2:15: accept_ports \"30000-20000\": LOW is above HIGH" },
		{ "interface: wg0\naccept_ports: 0-1000\n", "c.yaml:2:15: accept_ports \"0-1000\": ports are 1 to 65535" },
		{ "interface: wg0\naccept_ports: 1-65536\n", "c.yaml:2:15: accept_ports \"1-65536\": ports are 1 to 65535" },
		{ "interface: wg0\naccept_ports: 1-99999999999999999999999\n", "c.yaml:2:15: accept_ports \"1-99999999999999999999999\": ports are 1 to 65535" },
		{ "interface: wg0\naccept_ports: 24000\n", "c.yaml:2:15: accept_ports must be LOW-HIGH (e.g. 49152-65535), not \"24000\"" },
		{ "interface: wg0\naccept_ports: 2000 - 3000\n", "c.yaml:2:15: accept_ports must be LOW-HIGH" },
		{ "interface: wg0\naccept_ports: +2000-3000\n", "c.yaml:2:15: accept_ports must be LOW-HIGH" },
		{ "interface: wg0\naccept_ports: 2000-3000x\n", "c.yaml:2:15: accept_ports must be LOW-HIGH" },
		{ "interface: wg0\naccept_ports: [2000, 3000]\n", "c.yaml:2:15: accept_ports" },
		{ "interface: wg0\nmetrics_listen: localhost:9835\n", "c.yaml:2:17: metrics_listen must be ADDRESS:PORT" },
		{ "interface: wg0\nmetrics_listen: \"[::1]\"\n", "c.yaml:2:17: metrics_listen must be ADDRESS:PORT" },
	};
	struct client_config c;
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (client_config_load_string("c.yaml", cases[i].text, strlen(cases[i].text), &c,
					      err, sizeof(err)) == 0)
			fail_msg("case %zu was accepted", i);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)))
			fail_msg("case %zu: got \"%s\", want \"%s...\"", i, err, cases[i].want);
	}
	static const char ok[] = "interface: wg0\nrecovery: { command: systemctl restart "
				 "wg-quick@wg0 }\n";

	if (client_config_load_string("c.yaml", ok, strlen(ok), &c, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(c.renew.fail_limit, 3);		/* the seed's default */
	assert_int_equal(c.renew.internal_port, 1);
	assert_int_equal(c.renew.lifetime, 60);
	assert_int_equal(c.renew.renew_after, 45);
	assert_int_equal(c.renew.accept_high, 0);		/* no range: any port */

	static const char paths[] = "interface: wg0\nport_file: /run/p/port\nqbittorrent: "
				    "{ url: \"http://x\", password_file: \"credential:qb.pass\" }\n"
				    "transmission: { url: \"http://y\", password_file: /etc/tr.pass }\n";

	if (client_config_load_string("c.yaml", paths, strlen(paths), &c, err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(c.port_file, "/run/p/port");
	assert_string_equal(c.qbittorrent.password_file, "credential:qb.pass");
	assert_string_equal(c.transmission.password_file, "/etc/tr.pass");

	static const struct { const char *text; uint16_t low, high; } good_ranges[] = {
		{ "interface: wg0\naccept_ports: 49152-65535\n", 49152, 65535 },
		{ "interface: wg0\naccept_ports: 1-65535\n", 1, 65535 },
		{ "interface: wg0\naccept_ports: \"24000-24000\"\n", 24000, 24000 },
	};

	for (size_t i = 0; i < sizeof(good_ranges) / sizeof(good_ranges[0]); i++) {
		if (client_config_load_string("c.yaml", good_ranges[i].text,
					      strlen(good_ranges[i].text), &c, err, sizeof(err)))
			fail_msg("range %zu: %s", i, err);
		assert_int_equal(c.renew.accept_low, good_ranges[i].low);
		assert_int_equal(c.renew.accept_high, good_ranges[i].high);
	}
}

/* ---- the gateway the routes name ------------------------------------------------ */

/* An RTM_NEWROUTE as the kernel answers the lookup: family, table, and
 * either one next hop (oif, via; 0: none) or, with oif2, two. */
static struct nlmsghdr *route_msg(char *buf, int family, uint32_t table, uint32_t oif,
				  uint32_t via, uint32_t oif2, uint32_t via2)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	nlh->nlmsg_type = RTM_NEWROUTE;
	rtm->rtm_family = (uint8_t)family;
	rtm->rtm_table = RT_TABLE_COMPAT;
	mnl_attr_put_u32(nlh, RTA_TABLE, table);
	if (!oif2) {
		if (via)
			mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(via));
		mnl_attr_put_u32(nlh, RTA_OIF, oif);
		return nlh;
	}
	struct nlattr *mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
	uint32_t oifs[2] = { oif, oif2 }, vias[2] = { via, via2 };

	for (int i = 0; i < 2; i++) {
		struct rtnexthop *nh = (struct rtnexthop *)((char *)nlh + nlh->nlmsg_len);

		nlh->nlmsg_len += RTNH_ALIGN(sizeof(*nh));
		memset(nh, 0, sizeof(*nh));
		nh->rtnh_ifindex = (int)oifs[i];
		if (vias[i])
			mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(vias[i]));
		nh->rtnh_len = (unsigned short)((char *)nlh + nlh->nlmsg_len - (char *)nh);
	}
	mnl_attr_nest_end(nlh, mp);
	return nlh;
}

static void route_answers_name_the_gateway(void **state)
{
	char buf[512] __attribute__((aligned(4)));
	struct route_hop hop;

	(void)state;
	/* wg-quick's table with a via on our interface (index 2). */
	assert_int_equal(route_parse(route_msg(buf, AF_INET, 51820, 2, 0x0a420001, 0, 0), 2,
				     &hop), 0);
	assert_int_equal(hop.gateway, 0x0a420001);
	assert_int_equal(hop.table, 51820);
	/* A route without a via: found, but it names no gateway. */
	assert_int_equal(route_parse(route_msg(buf, AF_INET, 254, 2, 0, 0, 0), 2, &hop), 0);
	assert_int_equal(hop.gateway, 0);
	/* Another interface's route names nobody of ours. */
	assert_int_equal(route_parse(route_msg(buf, AF_INET, 254, 3, 0x0a420001, 0, 0), 2, &hop),
			 -ENOENT);
	/* Multipath: the next hop on our interface, not the first one. */
	assert_int_equal(route_parse(route_msg(buf, AF_INET, 51820, 3, 0x0a420007, 2, 0x0a420008),
				     2, &hop), 0);
	assert_int_equal(hop.gateway, 0x0a420008);
	assert_int_equal(route_parse(route_msg(buf, AF_INET, 51820, 3, 0x0a420007, 4, 0x0a420008),
				     2, &hop), -ENOENT);
	assert_int_equal(route_parse(route_msg(buf, AF_INET6, 254, 2, 0x0a420001, 0, 0), 2, &hop),
			 -EINVAL);
}

/* What the run would find unusable is refused when the file is read (so
 * by -n): a hook that is missing, a directory, or not executable. */
static void programs_must_be_executable_files(void **state)
{
	char dir[] = "/tmp/pgc-paths.XXXXXX", path[128], text[256], err[512];
	static const char *const keys[] = { "hook", "down_hook" };
	struct client_config c;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (size_t k = 0; k < 2; k++) {
		static const struct { const char *name; int mode; const char *want; } cases[] = {
			{ "missing", -1, "No such file or directory" },
			{ "plain", 0644, "is not an executable file" },
			{ "dir", 0, "is not an executable file" },
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			snprintf(path, sizeof(path), "%s/%s", dir, cases[i].name);
			if (cases[i].mode > 0) {
				fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, cases[i].mode);
				assert_true(fd >= 0);
				close(fd);
			} else if (cases[i].mode == 0) {
				mkdir(path, 0755);
			}
			snprintf(text, sizeof(text), "interface: wg0\n%s: %s\n", keys[k], path);
			if (!client_config_load_string("c.yaml", text, strlen(text), &c, err,
						       sizeof(err)))
				fail_msg("%s %s was accepted", keys[k], path);
			if (!strstr(err, cases[i].want) || strncmp(err, "c.yaml:2:", 9))
				fail_msg("%s %s: got \"%s\"", keys[k], path, err);
		}
		snprintf(path, sizeof(path), "%s/run", dir);
		fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0755);
		assert_true(fd >= 0);
		close(fd);
		snprintf(text, sizeof(text), "interface: wg0\n%s: %s\n", keys[k], path);
		if (client_config_load_string("c.yaml", text, strlen(text), &c, err, sizeof(err)))
			fail_msg("%s", err);
		assert_string_equal(k ? c.down_hook : c.hook, path);
	}
	static const char *const made[] = { "plain", "dir", "run" };

	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, made[i]);
		assert_int_equal(remove(path), 0);
	}
	assert_int_equal(rmdir(dir), 0);
}

static void example_configuration_is_valid(void **state)
{
	struct client_config c;
	char err[512];

	(void)state;
	if (client_config_load("conf/portgate-client.yaml", &c, err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_string_equal(c.interface, "wg0");
	assert_int_equal(c.renew.renew_after, 45);
	assert_int_equal(c.renew.lifetime, 60);
}

/* ---- the port file --------------------------------------------------------- */

static char *slurp(const char *path)
{
	static char buf[64];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Names in dir besides the ones the test made: a temporary left behind. */
static int strays(const char *dir, const char *const *known, size_t n_known)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		bool mine = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");

		for (size_t i = 0; i < n_known && !mine; i++)
			mine = !strcmp(e->d_name, known[i]);
		n += !mine;
	}
	closedir(d);
	return n;
}

/* Someone who may write in the port file's directory plants PATH.tmp (the
 * old fixed temporary name) as a symlink to a file of the client's user:
 * the write must neither follow it nor leave a temporary behind. */
static void port_file_ignores_planted_symlinks(void **state)
{
	static const char *const known[] = { "victim", "forwarded_port", "forwarded_port.tmp" };
	char dir[] = "/tmp/pg-portfile.XXXXXX", path[128], victim[128], planted[160], msg[256];
	struct stat st;
	mode_t mask;
	char *text;

	(void)state;
	umask(mask = umask(022));
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/forwarded_port", dir);
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(planted, sizeof(planted), "%s.tmp", path);
	FILE *f = fopen(victim, "w");

	assert_non_null(f);
	fputs("precious\n", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(symlink(victim, planted), 0);
	assert_int_equal(port_file_write(path, 24000, msg, sizeof(msg)), 0);
	text = slurp(victim);
	assert_non_null(text);
	assert_string_equal(text, "precious\n");
	text = slurp(path);
	assert_non_null(text);
	assert_string_equal(text, "24000\n");
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0644 & ~mask);	/* as before */
	assert_int_equal(lstat(planted, &st), 0);
	assert_true(S_ISLNK(st.st_mode));		/* left as found */
	assert_int_equal(strays(dir, known, 3), 0);
	/* The rename fails (PATH is a directory): an error, and the
	 * temporary is gone. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(port_file_write(path, 24001, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, path));
	assert_int_equal(strays(dir, known, 3), 0);
	assert_int_equal(rmdir(path), 0);
	assert_int_equal(unlink(planted), 0);
	assert_int_equal(unlink(victim), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* The child's gate: told a port outside accept_ports, apps_sync writes no
 * port file and runs no hook, and says why; inside, both happen (so the
 * probes can see them). */
static void port_outside_accept_ports_reaches_no_app(void **state)
{
	char dir[] = "/tmp/pg-accept.XXXXXX", marker[128], out[512];
	struct client_config c;
	int fds[2];
	ssize_t n;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	client_config_defaults(&c);
	c.renew.accept_low = 20000;
	c.renew.accept_high = 30000;
	snprintf(c.port_file, sizeof(c.port_file), "%s/forwarded_port", dir);
	snprintf(c.hook, sizeof(c.hook), "%s/hook", dir);
	snprintf(marker, sizeof(marker), "%s/hook-ran", dir);
	assert_non_null(f = fopen(c.hook, "w"));
	fprintf(f, "#!/bin/sh\necho \"$1\" > %s\n", marker);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(c.hook, 0755), 0);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(apps_sync(&c, 40000, true, fds[1]), 1);
	n = read(fds[0], out, sizeof(out) - 1);
	assert_true(n > 0);
	out[n] = '\0';
	assert_non_null(strstr(out, "40000 is outside accept_ports 20000-30000"));
	assert_int_equal(access(c.port_file, F_OK), -1);
	assert_int_equal(access(marker, F_OK), -1);
	assert_int_equal(apps_sync(&c, 24000, true, fds[1]), 0);
	assert_string_equal(slurp(c.port_file), "24000\n");
	assert_string_equal(slurp(marker), "24000\n");
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(unlink(marker), 0);
	assert_int_equal(unlink(c.port_file), 0);
	assert_int_equal(unlink(c.hook), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* The forward lost: the port file emptied (it existed with the port), the
 * down_hook run with the old port, one line each. */
static void lost_port_empties_file_and_runs_down_hook(void **state)
{
	char dir[] = "/tmp/pg-lost.XXXXXX", marker[128], out[512];
	struct client_config c;
	int fds[2];
	ssize_t n;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	client_config_defaults(&c);
	snprintf(c.port_file, sizeof(c.port_file), "%s/forwarded_port", dir);
	snprintf(c.down_hook, sizeof(c.down_hook), "%s/down", dir);
	snprintf(marker, sizeof(marker), "%s/down-ran", dir);
	assert_non_null(f = fopen(c.down_hook, "w"));
	fprintf(f, "#!/bin/sh\necho \"$1\" > %s\n", marker);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(c.down_hook, 0755), 0);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(apps_sync(&c, 24000, true, fds[1]), 0);
	assert_string_equal(slurp(c.port_file), "24000\n");
	assert_int_equal(access(marker, F_OK), -1);	/* not a down_hook's moment */
	assert_int_equal(apps_lost(&c, 24000, fds[1]), 0);
	assert_string_equal(slurp(c.port_file), "");
	assert_string_equal(slurp(marker), "24000\n");
	n = read(fds[0], out, sizeof(out) - 1);
	assert_true(n > 0);
	out[n] = '\0';
	assert_non_null(strstr(out, "port_file ok "));
	assert_non_null(strstr(out, "emptied\n"));
	assert_non_null(strstr(out, "down_hook ok "));
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(unlink(marker), 0);
	assert_int_equal(unlink(c.port_file), 0);
	assert_int_equal(unlink(c.down_hook), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- a scripted HTTP server ------------------------------------------------ */

struct fake_http {
	pid_t pid;
	uint16_t port;
	char log[64];		/* every request, as received */
};

/* Answers each connection with the next reply of the script (NULL ends),
 * appends the request to log. */
static void fake_http_start(struct fake_http *f, const char *const *script)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	snprintf(f->log, sizeof(f->log), "/tmp/pg-fakehttp.%d", (int)getpid());
	unlink(f->log);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 8), 0);
	getsockname(fd, (struct sockaddr *)&sin, &sl);
	f->port = ntohs(sin.sin_port);
	f->pid = fork();
	if (f->pid == 0) {
		for (size_t i = 0; script[i]; i++) {
			int c = accept(fd, NULL, NULL);
			char req[8192];
			ssize_t n = 0, got;
			FILE *log = fopen(f->log, "a");

			/* Headers, then the body its Content-Length gives. */
			while ((got = read(c, req + n, sizeof(req) - 1 - (size_t)n)) > 0) {
				char *end, *cl;

				n += got;
				req[n] = '\0';
				if (!(end = strstr(req, "\r\n\r\n")))
					continue;
				cl = strcasestr(req, "Content-Length:");
				if (!cl || end - req + 4 + atol(cl + 15) <= n)
					break;
			}
			if (log) {
				fprintf(log, "%s\n----\n", req);
				fclose(log);
			}
			if (write(c, script[i], strlen(script[i])) < 0)
				_exit(1);
			close(c);
		}
		_exit(0);
	}
	close(fd);
}

static char *fake_http_stop(struct fake_http *f)
{
	FILE *log;
	char *text = calloc(1, 65536);

	kill(f->pid, SIGTERM);
	waitpid(f->pid, NULL, 0);
	if ((log = fopen(f->log, "r"))) {
		if (fread(text, 1, 65535, log) == 0)
			text[0] = '\0';
		fclose(log);
	}
	unlink(f->log);
	return text;
}

static const char *reply_with(char *buf, size_t len, const char *status, const char *extra,
			      const char *body)
{
	snprintf(buf, len, "HTTP/1.1 %s\r\nConnection: close\r\n%sContent-Length: %zu\r\n\r\n%s",
		 status, extra, strlen(body), body);
	return buf;
}

static void transmission_session_id_handshake(void **state)
{
	char r[5][512], msg[256], pw[] = "/tmp/pg-trpass.XXXXXX", url[64];
	const char *script[6];
	struct client_app app = { .on = true, .username = "tr" };
	struct fake_http f;
	char *log;
	int fd = mkstemp(pw);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret\n", 7), 7);
	close(fd);
	script[0] = reply_with(r[0], sizeof(r[0]), "409 Conflict",
			       "X-Transmission-Session-Id: abc123\r\n", "");
	script[1] = reply_with(r[1], sizeof(r[1]), "200 OK", "",
			       "{\"arguments\":{\"peer-port\":51413},\"result\":\"success\"}");
	script[2] = reply_with(r[2], sizeof(r[2]), "200 OK", "", "{\"result\":\"success\"}");
	script[3] = reply_with(r[3], sizeof(r[3]), "200 OK", "",
			       "{\"arguments\":{\"peer-port\":24000},\"result\":\"success\"}");
	script[4] = NULL;
	fake_http_start(&f, script);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/transmission/rpc", f.port);
	snprintf(app.url, sizeof(app.url), "%s", url);
	snprintf(app.password_file, sizeof(app.password_file), "%s", pw);
	assert_int_equal(transmission_sync(&app, 24000, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "peer-port set to 24000");
	log = fake_http_stop(&f);
	unlink(pw);
	/* The second request carries the id the 409 gave; every one the
	 * credentials (tr:s3cret, base64 dHI6czNjcmV0). */
	assert_non_null(strstr(log, "X-Transmission-Session-Id: abc123"));
	assert_non_null(strstr(log, "Authorization: Basic dHI6czNjcmV0"));
	assert_non_null(strstr(log, "\"peer-port-random-on-start\":false"));
	free(log);
}

static void qbittorrent_login_refused_and_relogin(void **state)
{
	char r[6][512], msg[256];
	const char *script[7];
	struct client_app app = { .on = true, .username = "admin" };
	struct fake_http f;
	char *log;

	(void)state;
	/* A refused login is an error with the server's word. */
	script[0] = reply_with(r[0], sizeof(r[0]), "200 OK", "", "Fails.");
	script[1] = NULL;
	fake_http_start(&f, script);
	snprintf(app.url, sizeof(app.url), "http://127.0.0.1:%u", f.port);
	assert_int_equal(qbittorrent_sync(&app, 24000, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "login refused"));
	free(fake_http_stop(&f));

	/* The session ends between calls (403): one new login, then on. */
	script[0] = reply_with(r[0], sizeof(r[0]), "200 OK", "Set-Cookie: SID=one; path=/\r\n", "Ok.");
	script[1] = reply_with(r[1], sizeof(r[1]), "403 Forbidden", "", "Forbidden");
	script[2] = reply_with(r[2], sizeof(r[2]), "200 OK", "Set-Cookie: SID=two; path=/\r\n", "Ok.");
	script[3] = reply_with(r[3], sizeof(r[3]), "200 OK", "", "{\"listen_port\":6881}");
	script[4] = reply_with(r[4], sizeof(r[4]), "200 OK", "", "");
	script[5] = reply_with(r[5], sizeof(r[5]), "200 OK", "", "{\"listen_port\":24000}");
	script[6] = NULL;
	fake_http_start(&f, script);
	snprintf(app.url, sizeof(app.url), "http://127.0.0.1:%u/", f.port);
	assert_int_equal(qbittorrent_sync(&app, 24000, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "listen_port set to 24000");
	log = fake_http_stop(&f);
	assert_non_null(strstr(log, "Cookie: SID=two"));
	assert_non_null(strstr(log, "POST /api/v2/app/setPreferences"));
	assert_non_null(strstr(log, "%22random_port%22%3Afalse"));
	free(log);
}

static void unreachable_app_is_an_error(void **state)
{
	struct client_app app = { .on = true, .url = "http://127.0.0.1:1/transmission/rpc" };
	char msg[256];

	(void)state;
	assert_int_equal(transmission_sync(&app, 24000, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "127.0.0.1:1"));
}

/* An app that accepts and never answers: an error after its timeout, not
 * a hang (the daemon runs this in a child; the renewals go on). */
static void silent_app_times_out(void **state)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
	socklen_t sl = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct client_app app = { .on = true, .timeout = 1 };
	char msg[256];

	(void)state;
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(fd, 4), 0);	/* the kernel accepts; nobody reads */
	getsockname(fd, (struct sockaddr *)&sin, &sl);
	snprintf(app.url, sizeof(app.url), "http://127.0.0.1:%u", ntohs(sin.sin_port));
	assert_int_equal(qbittorrent_sync(&app, 24000, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "imeout"));
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(renewals_and_changes),
		cmocka_unit_test(lifetime_decides_the_next_renewal),
		cmocka_unit_test(epoch_going_back_asks_again_at_once),
		cmocka_unit_test(epoch_going_back_again_and_again_is_spaced),
		cmocka_unit_test(port_outside_accept_ports_is_not_used),
		cmocka_unit_test(failures_lead_to_recovery_once_per_cooldown),
		cmocka_unit_test(responses_accepted),
		cmocka_unit_test(configuration_errors),
		cmocka_unit_test(programs_must_be_executable_files),
		cmocka_unit_test(route_answers_name_the_gateway),
		cmocka_unit_test(example_configuration_is_valid),
		cmocka_unit_test(port_file_ignores_planted_symlinks),
		cmocka_unit_test(port_outside_accept_ports_reaches_no_app),
		cmocka_unit_test(lost_port_empties_file_and_runs_down_hook),
		cmocka_unit_test(transmission_session_id_handshake),
		cmocka_unit_test(qbittorrent_login_refused_and_relogin),
		cmocka_unit_test(unreachable_app_is_an_error),
		cmocka_unit_test(silent_app_times_out),
	};

	return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
