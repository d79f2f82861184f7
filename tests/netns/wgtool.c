/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Drives src/wgpeer from the namespace tests.
 *   wgtool watch IFNAME POLL_MS [STALE_S]  print events until killed
 *   wgtool who IFNAME ADDR                 print the owning peer, or none
 *   wgtool bench IFNAME ROUNDS             median poll time */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/base64.h"
#include "util/log.h"
#include "wgpeer/rtnl.h"
#include "wgpeer/tracker.h"

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6;
}

static void print_events(struct wg_events *ev, const char *why)
{
	static const char *names[] = { "added", "removed", "lost", "stale" };

	for (size_t i = 0; i < ev->n; i++) {
		char key[KEY_B64_LEN + 1];

		key_to_base64(key, ev->items[i].key);
		printf("EVENT %s %s (%s)", names[ev->items[i].type], key, why);
		for (size_t k = 0; k < ev->items[i].n_lost; k++) {
			char a[INET6_ADDRSTRLEN];

			inet_ntop(ev->items[i].lost[k].family, ev->items[i].lost[k].addr, a, sizeof(a));
			printf(" %s/%u", a, ev->items[i].lost[k].cidr);
		}
		printf("\n");
	}
	fflush(stdout);
	wg_events_clear(ev);
}

static int watch(const char *ifname, int poll_ms, uint32_t stale)
{
	struct wg_tracker *t = wg_tracker_new(ifname, NULL, stale);
	struct rtnl_watch *rw = rtnl_watch_open();
	struct wg_events ev = { 0 };
	bool present = true;
	double next = 0;

	if (!t || !rw)
		fatal("watch");
	for (;;) {
		struct pollfd pfd = { .fd = rtnl_watch_fd(rw), .events = POLLIN };
		double now = mono_ms();
		int wait = next > now ? (int)(next - now) : 0;

		if (poll(&pfd, 1, wait) > 0 && rtnl_watch_drain(rw)) {
			struct rtnl_link_state st;

			if (rtnl_link_get(rw, ifname, &st) == 0) {
				if ((!st.exists || !st.up) && present) {
					present = false;
					wg_tracker_forget_all(t, &ev);
					printf("EVENT gone (rtnl)\n");
					print_events(&ev, "rtnl");
				} else if (st.exists && st.up && !present) {
					present = true;
					printf("EVENT back (rtnl)\n");
					fflush(stdout);
					next = 0;	/* read the peers now */
				}
			}
		}
		if (mono_ms() >= next) {
			int ret = wg_tracker_poll(t, time(NULL), &ev);

			if (ret == -ENODEV && present) {
				present = false;
				printf("EVENT gone (poll)\n");
				fflush(stdout);
			} else if (ret == 0 && !present) {
				present = true;
				printf("EVENT back (poll)\n");
			}
			print_events(&ev, "poll");
			next = mono_ms() + poll_ms;
		}
	}
}

static int who(const char *ifname, const char *addr)
{
	struct wg_tracker *t = wg_tracker_new(ifname, NULL, 0);
	struct wg_events ev = { 0 };
	uint8_t key[WG_KEY_LEN];
	char b64[KEY_B64_LEN + 1];
	struct in_addr a;

	if (!t || inet_pton(AF_INET, addr, &a) != 1)
		return 2;
	if (wg_tracker_poll(t, time(NULL), &ev) < 0)
		fatalx("cannot read %s", ifname);
	wg_events_clear(&ev);
	if (!wg_tracker_lookup(t, ntohl(a.s_addr), key, NULL)) {
		printf("none\n");
	} else {
		key_to_base64(b64, key);
		printf("%s\n", b64);
	}
	printf("backend=%s peers=%zu\n", wg_tracker_backend(t),
	       wg_tracker_device(t)->n_peers);
	wg_tracker_free(t);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int bench(const char *ifname, int rounds)
{
	struct wg_tracker *t = wg_tracker_new(ifname, NULL, 0);
	double *ms = calloc((size_t)rounds, sizeof(*ms));
	struct wg_events ev = { 0 };

	if (!t || !ms)
		return 2;
	for (int i = 0; i < rounds; i++) {
		double start = mono_ms();

		if (wg_tracker_poll(t, time(NULL), &ev) < 0)
			fatalx("poll failed");
		wg_events_clear(&ev);
		ms[i] = mono_ms() - start;
	}
	qsort(ms, (size_t)rounds, sizeof(*ms), cmp_double);
	printf("poll peers=%zu median_ms=%.2f max_ms=%.2f backend=%s\n",
	       wg_tracker_device(t)->n_peers, ms[rounds / 2], ms[rounds - 1],
	       wg_tracker_backend(t));
	free(ms);
	wg_tracker_free(t);
	return 0;
}

/* The daemon's in-loop share of a poll, without wireguard-go's: parse,
 * normalize, diff and index one captured reply, ROUNDS times. */
static int parsebench(const char *ifname, int rounds)
{
	struct wg_uapi_read r;
	struct wg_device_info prev, cur;
	double parse = 0, sort = 0, diff = 0, index = 0;
	char *copy;
	size_t len;

	if (wg_uapi_begin(ifname, NULL, &r) < 0)
		return 1;
	while (wg_uapi_continue(&r) == 1)
		;
	len = r.len;
	copy = malloc(len);
	memcpy(copy, r.buf, len);
	wg_uapi_abort(&r);
	wg_device_init(&prev);
	for (int i = 0; i < rounds; i++) {
		struct wg_events ev = { 0 };
		struct wg_lpm *lpm;
		char *buf = malloc(len);
		double t0, t1, t2, t3;

		memcpy(buf, copy, len);
		wg_device_init(&cur);
		t0 = mono_ms();
		wg_uapi_parse(buf, len, &cur);
		t1 = mono_ms();
		wg_device_normalize(&cur);
		t2 = mono_ms();
		wg_device_diff(&prev, &cur, time(NULL), 0, &ev);
		t3 = mono_ms();
		lpm = wg_lpm_build(&cur);
		index += mono_ms() - t3;
		parse += t1 - t0;
		sort += t2 - t1;
		diff += t3 - t2;
		wg_lpm_free(lpm);
		wg_events_clear(&ev);
		wg_device_clear(&prev);
		prev = cur;
		free(buf);
	}
	printf("parsebench peers=%zu bytes=%zu parse_ms=%.2f sort_ms=%.2f diff_ms=%.2f index_ms=%.2f\n",
	       prev.n_peers, len, parse / rounds, sort / rounds, diff / rounds, index / rounds);
	wg_device_clear(&prev);
	free(copy);
	return 0;
}

int main(int argc, char **argv)
{
	log_init(true, false, "wgtool");
	if (argc >= 4 && !strcmp(argv[1], "watch"))
		return watch(argv[2], atoi(argv[3]), argc > 4 ? (uint32_t)atoi(argv[4]) : 0);
	if (argc == 4 && !strcmp(argv[1], "who"))
		return who(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "parsebench"))
		return parsebench(argv[2], atoi(argv[3]));
	if (argc == 4 && !strcmp(argv[1], "bench"))
		return bench(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: wgtool watch|who|bench ...\n");
	return 2;
}
