/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/wgwatch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "util/loop.h"
#include "wgpeer/rtnl.h"
#include "wgpeer/tracker.h"

struct wg_watch {
	struct loop *loop;
	char ifname[WG_IFNAME_MAX];
	const struct wg_watch_ops *ops;
	void *arg;
	struct wg_tracker *tracker;
	struct rtnl_watch *rtnl;
	struct loop_watch timer, rtnl_w, soon;
	int64_t soon_ms;		/* when the last on-demand poll was asked */
	struct loop_watch answer;	/* the socket of a poll's answer, while read */
	struct loop_watch step;		/* the next step of a poll's work, this turn */
	int64_t poll_started_ms;
	uint32_t interval_s;
	bool started;
	bool present;
	bool valid;
	uint16_t listen_port;
};

static void deliver(struct wg_watch *w, struct wg_events *ev, unsigned flags)
{
	w->ops->peers(w->arg, ev, flags);
	wg_events_clear(ev);
}

static void settled(struct wg_watch *w)
{
	if (w->ops->settled)
		w->ops->settled(w->arg);
}

static bool link_down(struct wg_watch *w)
{
	struct rtnl_link_state st;

	return rtnl_link_get(w->rtnl, w->ifname, &st) == 0 && st.exists && !st.up;
}

/* What a finished poll means. */
static void poll_done(struct wg_watch *w, int ret, struct wg_events *ev)
{
	const struct wg_device_info *dev = wg_tracker_device(w->tracker);
	unsigned flags = 0;

	if (ret == -ENODEV) {
		if (w->present)
			log_warnx("wg: interface %s is gone: dropping every mapping",
				  w->ifname);
		w->present = false;
		deliver(w, ev, 0);
		settled(w);
		return;
	}
	if (ret < 0) {
		/* A hiccup is not a vanished peer: keep everything. */
		log_warnx("wg: cannot read %s: %s", w->ifname, strerror(-ret));
		wg_events_clear(ev);
		settled(w);
		return;
	}
	if (!w->present && link_down(w)) {
		/* Readable but down (the backup of an HA pair): it serves
		 * nobody until it is up, and rtnetlink says when. */
		wg_events_clear(ev);
		settled(w);
		return;
	}
	if (!w->present) {
		log_info("wg: reading %s through %s: %zu peers", w->ifname,
			 wg_tracker_backend(w->tracker), dev->n_peers);
		flags |= WG_WATCH_BACK;
	}
	w->present = true;
	if (!w->valid)
		flags |= WG_WATCH_FIRST_READ;
	w->valid = true;
	if (dev->listen_port != w->listen_port) {
		w->listen_port = dev->listen_port;
		flags |= WG_WATCH_LISTEN_PORT;
	}
	deliver(w, ev, flags);
	settled(w);
}

static void answer_readable(struct loop_watch *lw, uint32_t events);

/* Stops waiting on the answer's socket (closed by the tracker, maybe
 * already). */
static void unwatch_answer(struct wg_watch *w)
{
	if (w->answer.fd >= 0)
		loop_del(w->loop, &w->answer);
	w->answer.fd = -1;
}

/* What the poll waits for next: its socket (a new one after the kernel
 * restarted an inconsistent dump), or the next turn of the loop for a
 * step of sorting, diffing or indexing, so that requests are answered in
 * between. false when the loop cannot watch it. */
static bool wait_next(struct wg_watch *w)
{
	int fd = wg_tracker_poll_fd(w->tracker);

	if (fd < 0) {
		unwatch_answer(w);
		return timer_at(w->step.fd, mono_now_ms()) == 0;
	}
	if (fd == w->answer.fd)
		return true;
	unwatch_answer(w);
	w->answer = (struct loop_watch){ fd, answer_readable, w };
	if (loop_add(w->loop, &w->answer) == 0)
		return true;
	w->answer.fd = -1;
	return false;
}

/* One slice of the poll under way. */
static void advance(struct wg_watch *w)
{
	struct wg_events ev = { 0 };
	int ret = wg_tracker_poll_continue(w->tracker, time(NULL), &ev);

	if (ret == 1 && wait_next(w))
		return;
	unwatch_answer(w);
	if (ret == 1) {
		wg_tracker_poll_abort(w->tracker);
		ret = -EIO;
	}
	poll_done(w, ret, &ev);
}

static void answer_readable(struct loop_watch *lw, uint32_t events)
{
	(void)events;
	advance(lw->arg);
}

static void step_fired(struct loop_watch *lw, uint32_t events)
{
	struct wg_watch *w = lw->arg;

	(void)events;
	timer_ack(lw->fd);
	/* A stale expiry after the poll ended or was given up. */
	if (wg_tracker_poll_pending(w->tracker) && wg_tracker_poll_fd(w->tracker) < 0)
		advance(w);
}

/* Gives up the poll under way; true when there was one. */
static bool poll_cancel(struct wg_watch *w)
{
	bool pending = wg_tracker_poll_pending(w->tracker);

	unwatch_answer(w);
	timer_at(w->step.fd, INT64_MAX);
	wg_tracker_poll_abort(w->tracker);
	return pending;
}

static void poll_start(struct wg_watch *w)
{
	struct wg_events ev = { 0 };
	int fd, ret;

	if (wg_tracker_poll_pending(w->tracker)) {
		if (mono_now_ms() - w->poll_started_ms < WG_TRACKER_POLL_TIMEOUT_MS)
			return;	/* the last answer is still coming */
		log_warnx("wg: %s did not answer within %d ms", w->ifname,
			  WG_TRACKER_POLL_TIMEOUT_MS);
		poll_cancel(w);
	}
	w->poll_started_ms = mono_now_ms();
	ret = wg_tracker_poll_begin(w->tracker, time(NULL), &ev, &fd);
	if (ret == 1) {
		if (wait_next(w))
			return;
		poll_cancel(w);
		ret = -EIO;
	}
	poll_done(w, ret, &ev);
}

static void timer_fired(struct loop_watch *lw, uint32_t events)
{
	(void)events;
	timer_ack(lw->fd);
	poll_start(lw->arg);
}

static void soon_fired(struct loop_watch *lw, uint32_t events)
{
	(void)events;
	timer_ack(lw->fd);
	poll_start(lw->arg);
}

bool wg_watch_poll_soon(struct wg_watch *w)
{
	int64_t now = mono_now_ms();

	if (wg_tracker_poll_pending(w->tracker))
		return true;
	if (w->soon_ms && now - w->soon_ms < WG_WATCH_SOON_MIN_MS)
		return false;
	w->soon_ms = now;
	return timer_at(w->soon.fd, now) == 0;
}

static void rtnl_readable(struct loop_watch *lw, uint32_t events)
{
	struct wg_watch *w = lw->arg;
	struct rtnl_link_state st;

	(void)events;
	if (!rtnl_watch_drain(w->rtnl))
		return;
	if (rtnl_link_get(w->rtnl, w->ifname, &st) == 0) {
		if ((!st.exists || !st.up) && w->present) {
			struct wg_events ev = { 0 };

			bool pending = poll_cancel(w);

			log_warnx("wg: interface %s is %s: dropping every mapping",
				  w->ifname, st.exists ? "down" : "gone");
			w->present = false;
			wg_tracker_forget_all(w->tracker, &ev);
			deliver(w, &ev, 0);
			/* Whoever waited on the poll given up hears it ended. */
			if (pending)
				settled(w);
		} else if (st.exists && st.up && !w->present) {
			poll_start(w);
		}
	}
	w->ops->links(w->arg);
}

struct wg_watch *wg_watch_open(struct loop *loop, const struct wg_watch_config *cfg,
			       const struct wg_watch_ops *ops, void *arg)
{
	struct wg_watch *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->loop = loop;
	w->ops = ops;
	w->arg = arg;
	w->timer.fd = w->rtnl_w.fd = w->answer.fd = w->soon.fd = w->step.fd = -1;
	snprintf(w->ifname, sizeof(w->ifname), "%s", cfg->ifname);
	w->tracker = wg_tracker_new(cfg->ifname, cfg->uapi_socket, cfg->stale_after_s);
	w->rtnl = rtnl_watch_open();
	if (!w->tracker || !w->rtnl)
		goto fail;
	w->rtnl_w = (struct loop_watch){ rtnl_watch_fd(w->rtnl), rtnl_readable, w };
	if (loop_add(loop, &w->rtnl_w) < 0) {
		w->rtnl_w.fd = -1;
		goto fail;
	}
	if (loop_timer_open(loop, &w->timer, timer_fired, w) < 0 ||
	    loop_timer_open(loop, &w->soon, soon_fired, w) < 0 ||
	    loop_timer_open(loop, &w->step, step_fired, w) < 0)
		goto fail;
	w->interval_s = cfg->poll_interval_s;
	return w;
fail:
	wg_watch_close(w);
	return NULL;
}

void wg_watch_close(struct wg_watch *w)
{
	if (!w)
		return;
	/* The answer's socket is the tracker's, the rtnetlink one the
	 * watch's: both are closed by their owners below. */
	unwatch_answer(w);
	if (w->rtnl_w.fd >= 0)
		loop_del(w->loop, &w->rtnl_w);
	loop_watch_close(w->loop, &w->timer);
	loop_watch_close(w->loop, &w->soon);
	loop_watch_close(w->loop, &w->step);
	wg_tracker_free(w->tracker);	/* closes a pending answer's socket */
	rtnl_watch_close(w->rtnl);
	free(w);
}

void wg_watch_start(struct wg_watch *w)
{
	w->started = true;
	timer_every(w->timer.fd, (int64_t)w->interval_s * 1000);
}

/* Re-armed only when it changed: each re-arm postpones the next poll by a
 * whole interval, and frequent reloads would starve it. */
void wg_watch_set_interval(struct wg_watch *w, uint32_t poll_interval_s)
{
	if (poll_interval_s == w->interval_s)
		return;
	w->interval_s = poll_interval_s;
	if (w->started)
		timer_every(w->timer.fd, (int64_t)poll_interval_s * 1000);
}

void wg_watch_poll_blocking(struct wg_watch *w)
{
	struct wg_events ev = { 0 };

	poll_done(w, wg_tracker_poll(w->tracker, time(NULL), &ev), &ev);
}

bool wg_watch_present(const struct wg_watch *w)
{
	return w->present;
}

bool wg_watch_valid(const struct wg_watch *w)
{
	return w->valid;
}

struct wg_tracker *wg_watch_tracker(const struct wg_watch *w)
{
	return w->tracker;
}

struct rtnl_watch *wg_watch_rtnl(struct wg_watch *w)
{
	return w->rtnl;
}
