/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The WireGuard watch: polls the interface's peers every poll_interval
 * (userspace WireGuard answered through the event loop, never blocking it)
 * and wakes on rtnetlink link and address changes. What changed goes to the
 * owner's callbacks; the owner decides what it means for the mappings. */
#ifndef PORTGATE_DAEMON_WGWATCH_H
#define PORTGATE_DAEMON_WGWATCH_H

#include <stdbool.h>
#include <stdint.h>

#include "wgpeer/tracker.h"

struct loop;
struct rtnl_watch;
struct wg_watch;

struct wg_watch_config {
	const char *ifname;
	const char *uapi_socket;	/* NULL: /var/run/wireguard/IFNAME.sock */
	uint32_t poll_interval_s;
	uint32_t stale_after_s;
};

enum {
	WG_WATCH_FIRST_READ = 1 << 0,	/* the first successful read since start */
	WG_WATCH_LISTEN_PORT = 1 << 1,	/* the interface's listen port changed */
	WG_WATCH_BACK = 1 << 2,		/* the interface is there (again) */
};

struct wg_watch_ops {
	/* Peers changed (ev may be empty: a plain successful read), or the
	 * interface went away or down and every peer is reported removed. */
	void (*peers)(void *arg, struct wg_events *ev, unsigned flags);
	/* Links or addresses changed: the owner re-reads what it cares about. */
	void (*links)(void *arg);
	/* A poll ended, read or not (after peers, when it was read). */
	void (*settled)(void *arg);
};

/* On-demand polls (wg_watch_poll_soon) start at most this often. */
#define WG_WATCH_SOON_MIN_MS 100

struct wg_watch *wg_watch_open(struct loop *loop, const struct wg_watch_config *cfg,
			       const struct wg_watch_ops *ops, void *arg);
void wg_watch_close(struct wg_watch *w);
/* Starts the poll timer. */
void wg_watch_start(struct wg_watch *w);
/* Reads the peers now and waits for the answer (start-up only). */
void wg_watch_poll_blocking(struct wg_watch *w);
void wg_watch_set_interval(struct wg_watch *w, uint32_t poll_interval_s);
/* Someone unknown asked: read the peers again soon (in a later turn of the
 * loop, never now). true when a poll is under way or scheduled, and the
 * settled callback will follow; false when one started less than
 * WG_WATCH_SOON_MIN_MS ago (a flood of unknown sources cannot make the
 * daemon poll in a loop). */
bool wg_watch_poll_soon(struct wg_watch *w);

/* The interface is there and up. */
bool wg_watch_present(const struct wg_watch *w);
/* A read has succeeded since start: lookups speak for the interface. */
bool wg_watch_valid(const struct wg_watch *w);
/* The tracker the watch drives: who owns an address, the device as last
 * read, the backend, the last poll's duration are asked of it directly
 * (tracker.h). */
struct wg_tracker *wg_watch_tracker(const struct wg_watch *w);
/* The rtnetlink handle, for address queries. */
struct rtnl_watch *wg_watch_rtnl(struct wg_watch *w);

#endif
