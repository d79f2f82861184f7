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
#include <sys/socket.h>
#include <time.h>

#include "util/base64.h"
#include "util/log.h"
#include "wgpeer/rtnl.h"
#include "wgpeer/backend.h"
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
	struct ip_addr a;

	if (!t || ip_addr_parse(addr, &a) < 0 || !ip_addr_is_v4(&a))
		return 2;
	if (wg_tracker_poll(t, time(NULL), &ev) < 0)
		fatalx("cannot read %s", ifname);
	wg_events_clear(&ev);
	if (!wg_tracker_lookup(t, &a, key, NULL)) {
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

/* The daemon's in-loop share of a poll, without wireguard-go's: parse
 * (in slices of WG_UAPI_SLICE), normalize, diff and index one captured
 * reply in steps of WG_TRACKER_STEP, ROUNDS times; the total of each phase
 * and its longest single step (what one turn of the loop can cost). */
struct phase_time {
	double total, max;
};

static void timed(struct phase_time *p, double t0)
{
	double d = mono_ms() - t0;

	p->total += d;
	if (d > p->max)
		p->max = d;
}

static void parse_slices(struct phase_time *pt, char *buf, size_t len,
			 struct wg_device_info *cur)
{
	struct wg_uapi_parser p;
	size_t pos = 0;

	wg_uapi_parser_init(&p);
	while (pos < len) {
		size_t n = len - pos < WG_UAPI_SLICE ? len - pos : WG_UAPI_SLICE;
		double t0 = mono_ms();
		long used = wg_uapi_feed(&p, buf + pos, n, cur);

		timed(pt, t0);
		if (used <= 0)
			break;
		pos += (size_t)used;
	}
}

static int parsebench(const char *ifname, int rounds)
{
	struct wg_uapi_read r;
	struct wg_device_info prev, cur;
	struct phase_time parse = { 0 }, sort = { 0 }, diff = { 0 }, index = { 0 };
	char *copy;
	size_t len = 0, cap = 1 << 20;

	if (wg_uapi_begin(ifname, NULL, &r) < 0)
		return 1;
	copy = malloc(cap);
	for (;;) {	/* the raw text, for parsing again and again */
		struct pollfd pfd = { .fd = r.fd, .events = POLLIN };
		ssize_t n;

		if (len == cap && !(copy = realloc(copy, cap *= 2)))
			return 2;
		poll(&pfd, 1, 2000);
		n = recv(r.fd, copy + len, cap - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len >= 2 && copy[len - 1] == '\n' && copy[len - 2] == '\n')
			break;
	}
	wg_uapi_abort(&r);
	wg_device_init(&prev);
	for (int i = 0; i < rounds; i++) {
		struct wg_events ev = { 0 };
		struct wg_diff_pos pos = { 0, 0 };
		struct wg_sort st;
		struct wg_lpm *lpm;
		char *buf = malloc(len);
		double t0;
		int more;

		memcpy(buf, copy, len);
		wg_device_init(&cur);
		parse_slices(&parse, buf, len, &cur);
		wg_sort_init(&st);
		do {
			t0 = mono_ms();
			more = wg_device_normalize_step(&cur, &st, WG_TRACKER_STEP);
			timed(&sort, t0);
		} while (more == 1);
		do {
			t0 = mono_ms();
			more = wg_device_diff_step(&prev, &cur, time(NULL), 0, &ev, &pos,
						   WG_TRACKER_STEP);
			timed(&diff, t0);
		} while (more == 1);
		t0 = mono_ms();
		lpm = wg_lpm_new(&cur, NULL);
		for (size_t k = 0; k < cur.n_peers; k++) {
			wg_lpm_add(lpm, &cur, k);
			if (k % (WG_TRACKER_STEP / 2) == WG_TRACKER_STEP / 2 - 1) {
				timed(&index, t0);
				t0 = mono_ms();
			}
		}
		wg_lpm_seal(lpm);
		timed(&index, t0);
		wg_lpm_free(lpm);
		wg_events_clear(&ev);
		wg_device_clear(&prev);
		prev = cur;
		free(buf);
	}
	printf("parsebench peers=%zu bytes=%zu parse_ms=%.2f sort_ms=%.2f diff_ms=%.2f index_ms=%.2f"
	       " max_step_ms=%.3f/%.3f/%.3f/%.3f\n",
	       prev.n_peers, len, parse.total / rounds, sort.total / rounds,
	       diff.total / rounds, index.total / rounds, parse.max, sort.max, diff.max, index.max);
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
