/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "wgpeer/tracker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"

struct wg_tracker {
	char ifname[WG_IFNAME_MAX];
	char uapi_socket[108];
	uint32_t stale_after;
	struct wg_device_info dev;
	struct wg_lpm *lpm;
	const char *backend;
	double last_poll_ms;
	struct wg_uapi_read pending;	/* fd -1: no poll under way */
	int64_t pending_since;	/* µs */
};


struct wg_tracker *wg_tracker_new(const char *ifname, const char *uapi_socket,
				  uint32_t stale_after_sec)
{
	struct wg_tracker *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifname);
	snprintf(t->uapi_socket, sizeof(t->uapi_socket), "%s", uapi_socket ? uapi_socket : "");
	t->stale_after = stale_after_sec;
	t->backend = "none";
	t->pending.fd = -1;
	wg_device_init(&t->dev);
	t->lpm = wg_lpm_build(&t->dev);
	if (!t->lpm) {
		free(t);
		return NULL;
	}
	return t;
}

void wg_tracker_free(struct wg_tracker *t)
{
	if (!t)
		return;
	wg_uapi_abort(&t->pending);
	wg_device_clear(&t->dev);
	wg_lpm_free(t->lpm);
	free(t);
}

void wg_tracker_set_stale_after(struct wg_tracker *t, uint32_t stale_after_sec)
{
	t->stale_after = stale_after_sec;
}

/* Makes cur the current state; cur is emptied. */
static int adopt(struct wg_tracker *t, struct wg_device_info *cur)
{
	struct wg_lpm *lpm = wg_lpm_build(cur);

	if (!lpm)
		return -ENOMEM;
	wg_lpm_free(t->lpm);
	wg_device_clear(&t->dev);
	t->dev = *cur;
	t->lpm = lpm;
	wg_device_init(cur);
	return 0;
}

/* The end of every poll: what was read becomes the state, or not. */
static int poll_finish(struct wg_tracker *t, struct wg_device_info *cur, int ret,
		       int64_t now_sec, struct wg_events *out)
{
	t->last_poll_ms = (double)(mono_now_us() - t->pending_since) / 1000;
	if (ret == -ENODEV) {
		wg_device_clear(cur);
		ret = wg_tracker_forget_all(t, out);
		return ret ? ret : -ENODEV;
	}
	if (ret < 0) {
		wg_device_clear(cur);
		return ret;
	}
	wg_device_normalize(cur);
	ret = wg_device_diff(&t->dev, cur, now_sec, t->stale_after, out);
	if (ret == 0)
		ret = adopt(t, cur);
	wg_device_clear(cur);
	return ret;
}

int wg_tracker_poll_begin(struct wg_tracker *t, int64_t now_sec,
			  struct wg_events *out, int *wait_fd)
{
	const char *path = t->uapi_socket[0] ? t->uapi_socket : NULL;
	struct wg_device_info cur;
	int ret;

	*wait_fd = -1;
	wg_uapi_abort(&t->pending);
	t->pending_since = mono_now_us();
	ret = wg_uapi_begin(t->ifname, path, &t->pending);
	if (ret == 0) {
		t->backend = "uapi";
		*wait_fd = t->pending.fd;
		return 1;
	}
	wg_device_init(&cur);
	if (ret == -ENODEV) {
		/* No userspace socket: the kernel answers at once. */
		t->backend = "kernel";
		ret = wg_genl_get(t->ifname, &cur);
	}
	return poll_finish(t, &cur, ret, now_sec, out);
}

int wg_tracker_poll_continue(struct wg_tracker *t, int64_t now_sec,
			     struct wg_events *out)
{
	struct wg_device_info cur;
	int ret = wg_uapi_continue(&t->pending);

	if (ret == 1)
		return 1;
	wg_device_init(&cur);
	if (ret == 0)
		ret = wg_uapi_finish(&t->pending, t->ifname, &cur);
	else
		wg_uapi_abort(&t->pending);
	/* The socket answered, so the interface exists: a broken reply is a
	 * hiccup, not a vanished interface. */
	if (ret == -ENODEV)
		ret = -EIO;
	return poll_finish(t, &cur, ret, now_sec, out);
}

bool wg_tracker_poll_pending(const struct wg_tracker *t)
{
	return t->pending.fd >= 0;
}

void wg_tracker_poll_abort(struct wg_tracker *t)
{
	wg_uapi_abort(&t->pending);
}

int wg_tracker_poll(struct wg_tracker *t, int64_t now_sec, struct wg_events *out)
{
	int fd, ret = wg_tracker_poll_begin(t, now_sec, out, &fd);

	while (ret == 1) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, WG_TRACKER_POLL_TIMEOUT_MS) == 0) {
			wg_tracker_poll_abort(t);
			return -ETIMEDOUT;
		}
		ret = wg_tracker_poll_continue(t, now_sec, out);
	}
	return ret;
}

int wg_tracker_forget_all(struct wg_tracker *t, struct wg_events *out)
{
	struct wg_device_info empty;
	int ret;

	wg_device_init(&empty);
	ret = wg_device_diff(&t->dev, &empty, 0, 0, out);
	if (ret == 0)
		ret = adopt(t, &empty);
	return ret;
}

bool wg_tracker_lookup(const struct wg_tracker *t, uint32_t addr,
		       uint8_t key[WG_KEY_LEN], uint8_t *cidr)
{
	uint32_t be = htonl(addr);
	long i = wg_lpm_lookup(t->lpm, AF_INET, &be, cidr);

	if (i < 0)
		return false;
	memcpy(key, t->dev.peers[i].key, WG_KEY_LEN);
	return true;
}

bool wg_tracker_lookup6(const struct wg_tracker *t, const uint8_t addr[16],
			uint8_t key[WG_KEY_LEN], uint8_t *cidr)
{
	long i = wg_lpm_lookup(t->lpm, AF_INET6, addr, cidr);

	if (i < 0)
		return false;
	memcpy(key, t->dev.peers[i].key, WG_KEY_LEN);
	return true;
}

const struct wg_device_info *wg_tracker_device(const struct wg_tracker *t)
{
	return &t->dev;
}

const char *wg_tracker_backend(const struct wg_tracker *t)
{
	return t->backend;
}

double wg_tracker_last_poll_ms(const struct wg_tracker *t)
{
	return t->last_poll_ms;
}
