/* SPDX-License-Identifier: GPL-2.0-or-later */
/* WireGuard peers of one interface: who owns a source address, and what
 * changed since the last look. WireGuard sends no peer notifications, so the
 * tracker polls (UAPI socket of wireguard-go/boringtun, else the kernel's
 * generic netlink) and diffs by public key. */
#ifndef PORTGATE_WGPEER_H
#define PORTGATE_WGPEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define WG_KEY_LEN 32
#define WG_IFNAME_MAX 16

struct wg_allowed_ip {
	uint8_t family;		/* AF_INET or AF_INET6 */
	uint8_t cidr;
	uint8_t addr[16];	/* network byte order, masked */
};

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
/* Sorts peers by key and each peer's prefixes: what diffing expects. */
void wg_device_normalize(struct wg_device_info *dev);

/* Parsers, apart so that tests can feed them. Both return 0 or -errno
 * (-EPROTO for a malformed reply) and wipe the private key they see. */
int wg_uapi_parse(char *text, size_t len, struct wg_device_info *dev);
/* One WG_CMD_GET_DEVICE reply message; a peer continued from the previous
 * message (same key first) is merged. */
int wg_genl_parse(const void *nlh, struct wg_device_info *dev);

/* Userspace WireGuard without blocking: begin connects and asks; continue
 * reads what has arrived (1: more to come, 0: complete, -errno); finish
 * parses, wipes and closes. -ENODEV from begin: no such socket. */
struct wg_uapi_read {
	int fd;
	char *buf;
	size_t len, cap;
};
int wg_uapi_begin(const char *ifname, const char *socket_path, struct wg_uapi_read *r);
int wg_uapi_continue(struct wg_uapi_read *r);
int wg_uapi_finish(struct wg_uapi_read *r, const char *ifname,
		   struct wg_device_info *dev);
void wg_uapi_abort(struct wg_uapi_read *r);

/* The kernel backend: fills dev from the live interface, -ENODEV when it
 * (or WireGuard in the kernel) is absent. */
int wg_genl_get(const char *ifname, struct wg_device_info *dev);
/* Longest-prefix lookup from an address to its peer. */
struct wg_lpm;
struct wg_lpm *wg_lpm_build(const struct wg_device_info *dev);
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

#endif
