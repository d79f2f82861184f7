/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The peers of one WireGuard interface as the gateway sees them now, and
 * the events that turn one look into the next. */
#ifndef PORTGATE_WGPEER_TRACKER_H
#define PORTGATE_WGPEER_TRACKER_H

#include <stdbool.h>
#include <stdint.h>

#include "util/ipaddr.h"
#include "wgpeer/device.h"

/* How long a userspace WireGuard answer may take before a poll is given
 * up (and the next one starts afresh). */
#define WG_TRACKER_POLL_TIMEOUT_MS 2000

struct wg_tracker;

/* uapi_socket NULL: userspace WireGuard's usual /var/run/wireguard/IFNAME.sock */
struct wg_tracker *wg_tracker_new(const char *ifname, const char *uapi_socket,
				  uint32_t stale_after_sec);
void wg_tracker_free(struct wg_tracker *t);
void wg_tracker_set_stale_after(struct wg_tracker *t, uint32_t stale_after_sec);
/* Work done per step of a poll (peers, prefixes, moves): small enough
 * that a step takes a fraction of a millisecond at any device size. */
#define WG_TRACKER_STEP 2048

/* Reads the device and appends what changed to out. When the interface is
 * gone every peer is reported removed and -ENODEV returned; on any other
 * read error nothing changes (a hiccup must not drop anyone's mappings).
 * Blocks until done (start-up, tools). */
int wg_tracker_poll(struct wg_tracker *t, int64_t now_sec, struct wg_events *out);
/* The same as steps of an event loop, none of which blocks or does more
 * than a slice of the work: begin returns 1 and the fd to wait on (UAPI
 * socket or genl dump), or the poll's result when it ended at once (no
 * such interface). Then call continue while it returns 1: when
 * wg_tracker_poll_fd gives an fd, once it is readable; when it gives -1
 * (sorting, diffing, indexing what was read), in the next turn of the
 * loop. Events are appended to out only by the call that returns the end;
 * lookups answer from the previous read until then, and a read that fails
 * or is cut short changes nothing. */
int wg_tracker_poll_begin(struct wg_tracker *t, int64_t now_sec,
			  struct wg_events *out, int *wait_fd);
int wg_tracker_poll_continue(struct wg_tracker *t, int64_t now_sec,
			     struct wg_events *out);
int wg_tracker_poll_fd(const struct wg_tracker *t);
bool wg_tracker_poll_pending(const struct wg_tracker *t);
void wg_tracker_poll_abort(struct wg_tracker *t);
/* The interface went away or down: every peer is removed (and a poll
 * under way abandoned). */
int wg_tracker_forget_all(struct wg_tracker *t, struct wg_events *out);
/* The peer whose allowed-ips hold addr (either family); with cidr, the
 * length of the allowed-ip that matched. */
bool wg_tracker_lookup(const struct wg_tracker *t, const struct ip_addr *addr,
		       uint8_t key[WG_KEY_LEN], uint8_t *cidr);
const struct wg_device_info *wg_tracker_device(const struct wg_tracker *t);
const char *wg_tracker_backend(const struct wg_tracker *t);
/* Milliseconds the last poll took. */
double wg_tracker_last_poll_ms(const struct wg_tracker *t);

#endif
