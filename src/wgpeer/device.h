/* SPDX-License-Identifier: GPL-2.0-or-later */
/* WireGuard peers of one interface as data: a device's peers and their
 * allowed IPs, sorted for diffing, the longest-prefix index from a source
 * address to its peer, and what changed between two looks. No I/O: the
 * backends that fill a device are backend.h's (as wireguard-tools keeps
 * containers.h apart from ipc.h). */
#ifndef PORTGATE_WGPEER_DEVICE_H
#define PORTGATE_WGPEER_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "util/ipaddr.h"

#define WG_KEY_LEN 32
#define WG_IFNAME_MAX 16

struct wg_allowed_ip {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t cidr;
	uint8_t addr[16];	/* network byte order, masked */
};

/* The allowed-ip's address in the one form (util/ipaddr.h). The struct
 * keeps the kernel's layout (IPv4 in the first 4 bytes): the parsers, the
 * sort and the longest-prefix index work on it as it comes. */
static inline struct ip_addr wg_allowed_ip_addr(const struct wg_allowed_ip *ip)
{
	struct ip_addr a = { { [10] = 0xff, [11] = 0xff } };

	if (ip->family != AF_INET)
		return ip_addr_from_v6(ip->addr);
	memcpy(a.b + 12, ip->addr, 4);
	return a;
}

struct wg_peer_info {
	uint8_t key[WG_KEY_LEN];
	struct wg_allowed_ip *ips;
	size_t n_ips, cap_ips;
	int64_t last_handshake_sec;	/* 0: never */
};

/* One look at a device. */
struct wg_device_info {
	char ifname[WG_IFNAME_MAX];
	uint16_t listen_port;
	struct wg_peer_info *peers;
	size_t n_peers, cap_peers;
};

void wg_device_init(struct wg_device_info *dev);
void wg_device_clear(struct wg_device_info *dev);
/* The peer with this key, adding it when add is set (NULL on ENOMEM). */
struct wg_peer_info *wg_device_peer(struct wg_device_info *dev,
				    const uint8_t key[WG_KEY_LEN], bool add);
/* The peer with this key in a normalized device, or NULL. */
const struct wg_peer_info *wg_device_find(const struct wg_device_info *dev,
					  const uint8_t key[WG_KEY_LEN]);
int wg_peer_add_ip(struct wg_peer_info *peer, uint8_t family,
		   const void *addr, uint8_t cidr);
/* Sorts peers by key and each peer's prefixes: what diffing expects.
 * 0 or -ENOMEM. */
int wg_device_normalize(struct wg_device_info *dev);

/* The same a slice at a time (a merge sort that can stop anywhere): each
 * step does about budget units of work (a peer, a prefix, a move), and
 * returns 1 while there is more, 0 when dev is normalized, -ENOMEM. dev
 * must not change in between. */
struct wg_sort {
	size_t k;			/* next peer (runs) or output position (merges) */
	size_t width, lo, a, b;		/* merges: run length, pair start, cursors */
	struct wg_peer_info *tmp;	/* merges: the other buffer */
};
void wg_sort_init(struct wg_sort *s);
void wg_sort_clear(struct wg_sort *s);
int wg_device_normalize_step(struct wg_device_info *dev, struct wg_sort *s, size_t budget);

/* Longest-prefix lookup from an address to its peer. */
struct wg_lpm;
struct wg_lpm *wg_lpm_build(const struct wg_device_info *dev);
/* The same a peer at a time: new sizes the table for dev's prefixes (NULL
 * on ENOMEM), taking reuse (an index no longer used, or NULL) and its
 * memory when it is of that size; add indexes one peer (dev must not
 * change until sealed); seal readies it for lookups. */
struct wg_lpm *wg_lpm_new(const struct wg_device_info *dev, struct wg_lpm *reuse);
void wg_lpm_add(struct wg_lpm *lpm, const struct wg_device_info *dev, size_t peer);
void wg_lpm_seal(struct wg_lpm *lpm);
void wg_lpm_free(struct wg_lpm *lpm);
/* The index in dev->peers of the peer whose prefix holds addr (network
 * order; the longest prefix wins), or -1; with cidr, that prefix's length. */
long wg_lpm_lookup(const struct wg_lpm *lpm, uint8_t family, const void *addr,
		   uint8_t *cidr);

/* ---- change tracking ---------------------------------------------------- */

enum wg_event_type {
	WG_EVENT_PEER_ADDED,
	WG_EVENT_PEER_REMOVED,
	WG_EVENT_ALLOWED_IPS_LOST,	/* lost[] names the prefixes */
	WG_EVENT_ALLOWED_IPS_GAINED,	/* a peer kept before has new prefixes */
	WG_EVENT_HANDSHAKE_STALE,
};

struct wg_event {
	enum wg_event_type type;
	uint8_t key[WG_KEY_LEN];
	struct wg_allowed_ip *lost;
	size_t n_lost, cap_lost;
};

struct wg_events {
	struct wg_event *items;
	size_t n, cap;
};

void wg_events_clear(struct wg_events *ev);

/* Appends to out what changed from old to cur (both normalized). Stale:
 * handshake older than stale_after_sec at now_sec (0 disables), reported
 * when a peer turns stale. */
int wg_device_diff(const struct wg_device_info *old,
		   const struct wg_device_info *cur, int64_t now_sec,
		   uint32_t stale_after_sec, struct wg_events *out);
/* The same a slice at a time: about budget peers and prefixes per step,
 * resumed at pos (zeroed to start); 1 while there is more, 0, -ENOMEM. */
struct wg_diff_pos {
	size_t i, j;	/* next peer of old, of cur */
};
int wg_device_diff_step(const struct wg_device_info *old,
			const struct wg_device_info *cur, int64_t now_sec,
			uint32_t stale_after_sec, struct wg_events *out,
			struct wg_diff_pos *pos, size_t budget);

#endif
