/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A poll of the peers in slices: UAPI text and genl dumps delivered cut
 * anywhere parse to what they parse whole, sorting and diffing in steps
 * give what they give at once, and the tracker's state changes only when
 * a read is whole (never for one cut short). */
#include <errno.h>
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

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/wireguard.h>

#include "wgpeer/backend.h"
#include "wgpeer/tracker.h"

#define KEY_A_HEX "58402e695ba1772b1cc9309755f043251ea77fdcf10fbe63989ceae827bc8a5a"
#define KEY_B_HEX "662e14fd594556f522604703340351258903b64f35553763f19426ab2a515c58"
#define PRIV_HEX "e84b5a6d2717c1003a13b431570353dbaca9146cf150c5f8575680feba52027a"

static const char reply[] =
	"private_key=" PRIV_HEX "\n"
	"listen_port=51820\n"
	"public_key=" KEY_A_HEX "\n"
	"last_handshake_time_sec=1700000000\n"
	"allowed_ip=10.9.0.2/32\n"
	"allowed_ip=fd00::2/128\n"
	"public_key=" KEY_B_HEX "\n"
	"allowed_ip=10.9.1.0/24\n"
	"allowed_ip=10.9.1.77/32\n"
	"errno=0\n"
	"\n";

static void assert_same_device(const struct wg_device_info *a, const struct wg_device_info *b)
{
	assert_int_equal(a->listen_port, b->listen_port);
	assert_int_equal(a->n_peers, b->n_peers);
	for (size_t i = 0; i < a->n_peers; i++) {
		assert_memory_equal(a->peers[i].key, b->peers[i].key, WG_KEY_LEN);
		assert_int_equal(a->peers[i].last_handshake_sec, b->peers[i].last_handshake_sec);
		assert_int_equal(a->peers[i].n_ips, b->peers[i].n_ips);
		assert_memory_equal(a->peers[i].ips, b->peers[i].ips,
				    a->peers[i].n_ips * sizeof(*a->peers[i].ips));
	}
}

/* Feeds text as a reader does: what arrived so far, the unfinished line
 * kept in front of what follows. */
static int feed_cut(const char *text, size_t len, size_t slice, struct wg_device_info *dev)
{
	struct wg_uapi_parser p;
	char *buf = malloc(len);
	size_t have = 0, next = 0;

	wg_uapi_parser_init(&p);
	while (next < len) {
		size_t n = len - next < slice ? len - next : slice, before;
		int ret;

		memcpy(buf + have, text + next, n);
		have += n;
		next += n;
		before = have;
		ret = wg_uapi_feed_buf(&p, buf, &have, dev);
		if (ret < 0) {
			free(buf);
			return ret;
		}
		/* What was used is wiped: the private key is nowhere. */
		for (size_t i = have; i < before; i++)
			assert_int_equal(buf[i], 0);
	}
	free(buf);
	assert_true(p.ended);
	return wg_uapi_end(&p);
}

static void uapi_cut_anywhere(void **state)
{
	char whole_text[sizeof(reply)];
	struct wg_device_info whole, cut;

	(void)state;
	memcpy(whole_text, reply, sizeof(reply));
	wg_device_init(&whole);
	assert_int_equal(wg_uapi_parse(whole_text, sizeof(reply) - 1, &whole), 0);
	assert_int_equal(whole.n_peers, 2);
	for (size_t slice = 1; slice < sizeof(reply); slice++) {
		wg_device_init(&cut);
		assert_int_equal(feed_cut(reply, sizeof(reply) - 1, slice, &cut), 0);
		assert_same_device(&whole, &cut);
		wg_device_clear(&cut);
	}
	wg_device_clear(&whole);
}

static void uapi_unfinished_is_not_whole(void **state)
{
	char text[sizeof(reply)];
	struct wg_uapi_parser p;
	struct wg_device_info dev;
	/* Everything up to the errno line, which has not arrived. */
	size_t len = (size_t)(strstr(reply, "errno=") - reply);

	(void)state;
	memcpy(text, reply, sizeof(reply));
	wg_uapi_parser_init(&p);
	wg_device_init(&dev);
	assert_int_equal(wg_uapi_feed(&p, text, len, &dev), (long)len);
	assert_false(p.ended);
	assert_int_equal(wg_uapi_end(&p), -EPROTO);
	wg_device_clear(&dev);
}

/* ---- a genl dump, as the kernel sends it --------------------------------- */

#define SEQ 7
#define PORTID 4242

static struct nlmsghdr *dump_msg(char *at, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	nlh->nlmsg_type = 0x20;
	nlh->nlmsg_flags = NLM_F_MULTI | flags;
	nlh->nlmsg_seq = SEQ;
	nlh->nlmsg_pid = PORTID;
	g->cmd = WG_CMD_GET_DEVICE;
	g->version = WG_GENL_VERSION;
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, "wg0");
	return nlh;
}

static void put_peer(struct nlmsghdr *nlh, unsigned id, unsigned n_ips)
{
	struct nlattr *peer = mnl_attr_nest_start(nlh, 0), *ips;
	uint8_t key[WG_KEY_LEN] = { 0 };

	memcpy(key, &id, sizeof(id));
	mnl_attr_put(nlh, WGPEER_A_PUBLIC_KEY, sizeof(key), key);
	ips = mnl_attr_nest_start(nlh, WGPEER_A_ALLOWEDIPS);
	for (unsigned k = 0; k < n_ips; k++) {
		struct nlattr *one = mnl_attr_nest_start(nlh, 0);
		uint32_t a = htonl(0x0a000000u | id << 8 | k);

		mnl_attr_put_u16(nlh, WGALLOWEDIP_A_FAMILY, AF_INET);
		mnl_attr_put(nlh, WGALLOWEDIP_A_IPADDR, 4, &a);
		mnl_attr_put_u8(nlh, WGALLOWEDIP_A_CIDR_MASK, 32);
		mnl_attr_nest_end(nlh, one);
	}
	mnl_attr_nest_end(nlh, ips);
	mnl_attr_nest_end(nlh, peer);
}

/* Four messages of peers (peer 3 continued from the first into the
 * second, as the kernel splits a peer with many allowed-ips), then DONE.
 * Returns the length; ends[] where each message ends. */
static size_t record_dump(char *buf, size_t ends[5], uint16_t flags_of_third)
{
	size_t len = 0;
	unsigned id = 1;

	for (int m = 0; m < 4; m++) {
		struct nlmsghdr *nlh = dump_msg(buf + len, m == 2 ? flags_of_third : 0);
		struct nlattr *peers = mnl_attr_nest_start(nlh, WGDEVICE_A_PEERS);

		if (m == 1)
			put_peer(nlh, id - 1, 3);	/* the rest of the last one */
		for (int k = 0; k < 3; k++)
			put_peer(nlh, id++, 2);
		mnl_attr_nest_end(nlh, peers);
		len += nlh->nlmsg_len;
		ends[m] = len;
	}
	{
		struct nlmsghdr *done = mnl_nlmsg_put_header(buf + len);
		int zero = 0;

		done->nlmsg_type = NLMSG_DONE;
		done->nlmsg_flags = NLM_F_MULTI;
		done->nlmsg_seq = SEQ;
		done->nlmsg_pid = PORTID;
		mnl_nlmsg_put_extra_header(done, sizeof(zero));
		len += done->nlmsg_len;
		ends[4] = len;
	}
	return len;
}

static void genl_dump_in_batches(void **state)
{
	static char buf[16384] __attribute__((aligned(8)));
	struct wg_device_info dev;
	size_t ends[5];

	(void)state;
	record_dump(buf, ends, 0);
	/* One batch per receive: two messages, two, then DONE. */
	wg_device_init(&dev);
	assert_int_equal(wg_genl_feed(buf, ends[1], SEQ, PORTID, &dev), 1);
	assert_int_equal(wg_genl_feed(buf + ends[1], ends[3] - ends[1], SEQ, PORTID, &dev), 1);
	assert_int_equal(wg_genl_feed(buf + ends[3], ends[4] - ends[3], SEQ, PORTID, &dev), 0);
	assert_int_equal(dev.n_peers, 12);
	assert_int_equal(dev.peers[2].n_ips, 5);	/* 2 + 3 in the next message */
	assert_string_equal(dev.ifname, "wg0");
	wg_device_clear(&dev);
	/* A length past the batch, or one libmnl would take as negative
	 * (found by fuzz_genl), is malformed, not walked. */
	wg_device_init(&dev);
	((struct nlmsghdr *)buf)->nlmsg_len = 0xffffff9a;
	assert_int_equal(wg_genl_feed(buf, ends[1], SEQ, PORTID, &dev), -EPROTO);
	((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)ends[1] + 8;
	assert_int_equal(wg_genl_feed(buf, ends[1], SEQ, PORTID, &dev), -EPROTO);
	wg_device_clear(&dev);
	record_dump(buf, ends, 0);
	/* Another sequence number is someone else's answer (libmnl: EPROTO). */
	wg_device_init(&dev);
	assert_int_equal(wg_genl_feed(buf, ends[1], SEQ + 1, PORTID, &dev), -EPROTO);
	wg_device_clear(&dev);
}

static void genl_inconsistent_dump_is_not_diffed(void **state)
{
	static char buf[16384] __attribute__((aligned(8)));
	struct wg_device_info dev;
	size_t ends[5];

	(void)state;
	record_dump(buf, ends, NLM_F_DUMP_INTR);
	wg_device_init(&dev);
	assert_int_equal(wg_genl_feed(buf, ends[1], SEQ, PORTID, &dev), 1);
	assert_int_equal(wg_genl_feed(buf + ends[1], ends[3] - ends[1], SEQ, PORTID, &dev),
			 -EINTR);
	wg_device_clear(&dev);
}

static void genl_error_names_the_cause(void **state)
{
	char buf[256] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *err;
	struct wg_device_info dev;

	(void)state;
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = SEQ;
	nlh->nlmsg_pid = PORTID;
	err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
	err->error = -ENODEV;
	wg_device_init(&dev);
	assert_int_equal(wg_genl_feed(buf, nlh->nlmsg_len, SEQ, PORTID, &dev), -ENODEV);
	err->error = -EPERM;
	assert_int_equal(wg_genl_feed(buf, nlh->nlmsg_len, SEQ, PORTID, &dev), -EPERM);
	wg_device_clear(&dev);
}

/* ---- sorting and diffing in steps ---------------------------------------- */

static void random_device(struct wg_device_info *dev, unsigned n, unsigned seed, unsigned skip)
{
	srand(seed);
	for (unsigned i = 0; i < n; i++) {
		uint8_t key[WG_KEY_LEN];
		struct wg_peer_info *p;
		unsigned n_ips = 1 + (unsigned)rand() % 4;

		/* Keys from the index, scrambled: the same peer in both devices. */
		for (size_t b = 0; b < sizeof(key); b++)
			key[b] = (uint8_t)((i * 2654435761u) >> (b % 4 * 8)) ^ (uint8_t)b;
		memcpy(key + 28, &i, sizeof(i));
		if (skip && i % skip == 0)
			continue;
		p = wg_device_peer(dev, key, true);
		for (unsigned k = 0; k < n_ips; k++) {
			uint32_t a = htonl(0x0a000000u | (unsigned)rand() % 0xffffff);

			assert_int_equal(wg_peer_add_ip(p, AF_INET, &a, (uint8_t)(24 + rand() % 9)), 0);
		}
	}
}

static void normalize_in_steps(void **state)
{
	static const size_t budgets[] = { 1, 7, 300, WG_TRACKER_STEP };

	(void)state;
	for (size_t b = 0; b < sizeof(budgets) / sizeof(*budgets); b++) {
		struct wg_device_info whole, steps;
		struct wg_sort s;
		int ret, n_steps = 0;

		wg_device_init(&whole);
		wg_device_init(&steps);
		random_device(&whole, 3000, 1, 0);
		random_device(&steps, 3000, 1, 0);
		assert_int_equal(wg_device_normalize(&whole), 0);
		wg_sort_init(&s);
		while ((ret = wg_device_normalize_step(&steps, &s, budgets[b])) == 1)
			n_steps++;
		assert_int_equal(ret, 0);
		assert_same_device(&whole, &steps);
		for (size_t i = 1; i < whole.n_peers; i++)
			assert_true(memcmp(whole.peers[i - 1].key, whole.peers[i].key, WG_KEY_LEN) < 0);
		/* The work was cut: more steps for a smaller budget. */
		assert_true(n_steps >= (int)(3000 / budgets[b]) - 1);
		wg_sort_clear(&s);
		wg_device_clear(&whole);
		wg_device_clear(&steps);
	}
}

static void diff_in_steps(void **state)
{
	struct wg_device_info old, cur;
	struct wg_events whole = { 0 }, steps = { 0 };
	struct wg_diff_pos pos = { 0, 0 };
	int ret, n_steps = 0;

	(void)state;
	wg_device_init(&old);
	wg_device_init(&cur);
	random_device(&old, 2000, 1, 7);	/* every 7th peer is new in cur */
	random_device(&cur, 2000, 2, 11);	/* every 11th is gone; new prefixes */
	assert_int_equal(wg_device_normalize(&old), 0);
	assert_int_equal(wg_device_normalize(&cur), 0);
	assert_int_equal(wg_device_diff(&old, &cur, 0, 0, &whole), 0);
	while ((ret = wg_device_diff_step(&old, &cur, 0, 0, &steps, &pos, 5)) == 1)
		n_steps++;
	assert_int_equal(ret, 0);
	assert_true(n_steps > 100);
	assert_true(whole.n > 0);
	assert_int_equal(whole.n, steps.n);
	for (size_t i = 0; i < whole.n; i++) {
		assert_int_equal(whole.items[i].type, steps.items[i].type);
		assert_memory_equal(whole.items[i].key, steps.items[i].key, WG_KEY_LEN);
		assert_int_equal(whole.items[i].n_lost, steps.items[i].n_lost);
	}
	wg_events_clear(&whole);
	wg_events_clear(&steps);
	wg_device_clear(&old);
	wg_device_clear(&cur);
}

/* ---- the tracker against a UAPI socket served here ------------------------ */

struct uapi_server {
	char dir[64], path[108];
	int listen_fd, conn;
};

static void server_open(struct uapi_server *s)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	snprintf(s->dir, sizeof(s->dir), "/tmp/pgsteps.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof(s->path), "%s/wg.sock", s->dir);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s->path);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->listen_fd >= 0);
	assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(s->listen_fd, 4), 0);
	s->conn = -1;
}

static void server_close(struct uapi_server *s)
{
	if (s->conn >= 0)
		close(s->conn);
	close(s->listen_fd);
	unlink(s->path);
	rmdir(s->dir);
}

/* Takes the tracker's connection and its request. */
static void server_accept(struct uapi_server *s)
{
	char req[16];

	if (s->conn >= 0)
		close(s->conn);
	s->conn = accept(s->listen_fd, NULL, NULL);
	assert_true(s->conn >= 0);
	assert_int_equal(recv(s->conn, req, sizeof(req), 0), 7);
	assert_memory_equal(req, "get=1\n\n", 7);
}

static void server_send(struct uapi_server *s, const char *text, size_t len)
{
	assert_int_equal(send(s->conn, text, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* Steps the poll while it has something to do without more bytes: 1 when
 * it waits for its socket, else the poll's end. */
static int run_poll(struct wg_tracker *t, struct wg_events *ev)
{
	int ret = 1;

	while (ret == 1) {
		int fd = wg_tracker_poll_fd(t);

		if (fd >= 0) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			if (poll(&p, 1, 0) == 0)
				return 1;
		}
		ret = wg_tracker_poll_continue(t, 0, ev);
	}
	return ret;
}

static bool owner_is(const struct wg_tracker *t, const char *ip, const char *key_hex)
{
	uint8_t key[WG_KEY_LEN], want[WG_KEY_LEN];
	struct ip_addr a;

	if (ip_addr_parse(ip, &a) < 0 || !wg_tracker_lookup(t, &a, key, NULL))
		return key_hex == NULL;
	for (size_t i = 0; key_hex && i < WG_KEY_LEN; i++)
		sscanf(key_hex + 2 * i, "%2hhx", &want[i]);
	return key_hex && !memcmp(key, want, WG_KEY_LEN);
}

/* A poll whose answer is text and then the socket's end. */
static void cut_short(struct wg_tracker *t, struct uapi_server *s, const char *text)
{
	struct wg_events ev = { 0 };
	int fd;

	assert_int_equal(wg_tracker_poll_begin(t, 0, &ev, &fd), 1);
	server_accept(s);
	server_send(s, text, strlen(text));
	close(s->conn);
	s->conn = -1;
	assert_int_equal(run_poll(t, &ev), -EPROTO);
	assert_int_equal(ev.n, 0);
	assert_true(owner_is(t, "10.9.0.2", KEY_A_HEX));
	assert_true(owner_is(t, "10.9.1.5", NULL));
}

static void tracker_changes_only_when_whole(void **state)
{
	static const char only_a[] =
		"listen_port=51820\n"
		"public_key=" KEY_A_HEX "\n"
		"allowed_ip=10.9.0.2/32\n"
		"allowed_ip=fd00::2/128\n"
		"errno=0\n"
		"\n";
	struct uapi_server s;
	struct wg_tracker *t;
	struct wg_events ev = { 0 };
	size_t half = sizeof(only_a) / 2;
	int fd;

	(void)state;
	server_open(&s);
	t = wg_tracker_new("wgtest0", s.path, 0);
	assert_non_null(t);

	/* The first read: both peers. */
	assert_int_equal(wg_tracker_poll_begin(t, 0, &ev, &fd), 1);
	assert_true(fd >= 0);
	server_accept(&s);
	server_send(&s, reply, sizeof(reply) - 1);
	assert_int_equal(run_poll(t, &ev), 0);
	assert_int_equal(ev.n, 2);
	assert_true(owner_is(t, "10.9.1.5", KEY_B_HEX));
	wg_events_clear(&ev);

	/* B is removed, and half of the answer has arrived: nothing changed
	 * yet, and nothing is reported. */
	assert_int_equal(wg_tracker_poll_begin(t, 0, &ev, &fd), 1);
	server_accept(&s);
	server_send(&s, only_a, half);
	assert_int_equal(run_poll(t, &ev), 1);
	assert_true(wg_tracker_poll_pending(t));
	assert_int_equal(ev.n, 0);
	assert_true(owner_is(t, "10.9.1.5", KEY_B_HEX));
	/* The rest: B is gone, in one event. */
	server_send(&s, only_a + half, sizeof(only_a) - 1 - half);
	assert_int_equal(run_poll(t, &ev), 0);
	assert_false(wg_tracker_poll_pending(t));
	assert_int_equal(ev.n, 1);
	assert_int_equal(ev.items[0].type, WG_EVENT_PEER_REMOVED);
	assert_true(owner_is(t, "10.9.1.5", NULL));
	assert_true(owner_is(t, "10.9.0.2", KEY_A_HEX));
	wg_events_clear(&ev);

	/* An answer cut short (the socket closes within a line), or one
	 * without its errno line (closed between lines), is a hiccup: A
	 * stays, and nothing is reported. */
	cut_short(t, &s, "listen_port=51820\npublic_k");
	cut_short(t, &s, "listen_port=51820\n");
	wg_tracker_free(t);
	server_close(&s);
}

/* A large answer is worked through in many steps that need no socket:
 * the loop answers requests between them. */
static void tracker_works_in_steps(void **state)
{
	struct uapi_server s;
	struct wg_tracker *t;
	struct wg_events ev = { 0 };
	char *text = malloc(5000 * 128 + 64);
	size_t len = 0;
	int fd, ret, compute_steps = 0;

	(void)state;
	for (unsigned i = 1; i <= 5000; i++)
		len += (size_t)sprintf(text + len, "public_key=%064x\nallowed_ip=10.%u.%u.%u/32\n",
				       i * 2654435761u, i >> 16, (i >> 8) & 255, i & 255);
	len += (size_t)sprintf(text + len, "errno=0\n\n");
	server_open(&s);
	t = wg_tracker_new("wgtest0", s.path, 0);
	assert_int_equal(wg_tracker_poll_begin(t, 0, &ev, &fd), 1);
	server_accept(&s);
	/* All of it at once: still read a slice per readable socket. */
	for (size_t sent = 0; sent < len;) {
		ssize_t n = send(s.conn, text + sent, len - sent, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0)
			sent += (size_t)n;
		else	/* the socket is full: the tracker reads a slice */
			assert_int_equal(wg_tracker_poll_continue(t, 0, &ev), 1);
	}
	do {
		struct pollfd p = { .fd = wg_tracker_poll_fd(t), .events = POLLIN };

		if (p.fd >= 0)
			assert_int_equal(poll(&p, 1, 2000), 1);
		else
			compute_steps++;
		ret = wg_tracker_poll_continue(t, 0, &ev);
		assert_int_equal(ev.n, ret == 0 ? 5000 : 0);
	} while (ret == 1);
	assert_int_equal(ret, 0);
	assert_int_equal(wg_tracker_device(t)->n_peers, 5000);
	/* Sorting 5,000 peers, diffing and indexing them: many steps. */
	assert_true(compute_steps >= 5);
	wg_events_clear(&ev);
	wg_tracker_free(t);
	server_close(&s);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uapi_cut_anywhere),
		cmocka_unit_test(uapi_unfinished_is_not_whole),
		cmocka_unit_test(genl_dump_in_batches),
		cmocka_unit_test(genl_inconsistent_dump_is_not_diffed),
		cmocka_unit_test(genl_error_names_the_cause),
		cmocka_unit_test(normalize_in_steps),
		cmocka_unit_test(diff_in_steps),
		cmocka_unit_test(tracker_changes_only_when_whole),
		cmocka_unit_test(tracker_works_in_steps),
	};

	return cmocka_run_group_tests_name("wgpeer_steps", tests, NULL, NULL);
}
