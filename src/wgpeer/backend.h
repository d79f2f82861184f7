/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The two ways to read a WireGuard device: the UAPI socket of userspace
 * WireGuard (wireguard-go, boringtun) and the kernel's generic netlink.
 * WireGuard sends no peer notifications, so the tracker polls one of
 * them; each fills a device.h device, parsed as it arrives. */
#ifndef PORTGATE_WGPEER_BACKEND_H
#define PORTGATE_WGPEER_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wgpeer/device.h"

/* Parsers, apart so that tests can feed them. Both return 0 or -errno
 * (-EPROTO for a malformed reply) and wipe the private key they see. */
int wg_uapi_parse(char *text, size_t len, struct wg_device_info *dev);
/* One WG_CMD_GET_DEVICE reply message; a peer continued from the previous
 * message (same key first) is merged. */
int wg_genl_parse(const void *nlh, struct wg_device_info *dev);

/* A UAPI reply parsed as it arrives, in slices cut anywhere. */
struct wg_uapi_parser {
	bool in_peer;		/* lines belong to dev's last peer */
	bool have_errno, ended;	/* ended: the empty line was read */
	int remote_errno;
};
void wg_uapi_parser_init(struct wg_uapi_parser *p);
/* Parses the complete lines at the start of text and wipes them: the
 * number of bytes used (the rest is an unfinished line, to be given again
 * with what follows it), or -errno. */
long wg_uapi_feed(struct wg_uapi_parser *p, char *text, size_t len,
		  struct wg_device_info *dev);
/* The same for a reader's buffer of *len bytes: the unfinished line moves
 * to the front (*len becomes its length) and nothing read stays behind
 * it. 0 or -errno. */
int wg_uapi_feed_buf(struct wg_uapi_parser *p, char *buf, size_t *len,
		     struct wg_device_info *dev);
/* After the last line: 0, or -errno (the reply's own errno, -EPROTO
 * without one). */
int wg_uapi_end(const struct wg_uapi_parser *p);

/* A kernel dump parsed as it arrives: one receive's worth of messages
 * (what mnl_cb_run checks: sequence, port, errors). 1: more to come, 0:
 * NLMSG_DONE, -EINTR: the dump changed under us (NLM_F_DUMP_INTR; read it
 * again from the start, never diff it), -errno. */
int wg_genl_feed(const void *buf, size_t len, uint32_t seq, uint32_t portid,
		 struct wg_device_info *dev);

/* Reads are cut into slices of at most this many bytes, so that one turn
 * of the event loop parses only a slice. */
#define WG_UAPI_SLICE 65536

/* Userspace WireGuard without blocking: begin connects and asks; continue
 * receives and parses one slice (1: more to come, 0: complete, -errno);
 * finish checks the end and closes. -ENODEV from begin: no such socket. */
struct wg_uapi_read {
	int fd;
	char *buf;		/* WG_UAPI_SLICE bytes; an unfinished line */
	size_t len;
	struct wg_uapi_parser parser;
};
int wg_uapi_begin(const char *ifname, const char *socket_path, struct wg_uapi_read *r);
int wg_uapi_continue(struct wg_uapi_read *r, struct wg_device_info *dev);
int wg_uapi_finish(struct wg_uapi_read *r, const char *ifname,
		   struct wg_device_info *dev);
void wg_uapi_abort(struct wg_uapi_read *r);

/* Kernel WireGuard the same way: begin resolves the family (one request
 * the kernel answers at once) and asks for the dump (-ENODEV: no such
 * interface, or no WireGuard in the kernel); continue receives and parses
 * one message batch, and starts the dump again by itself when the kernel
 * flags it inconsistent (a few times at most, then -EINTR). */
struct nl_sock;
struct wg_genl_read {
	struct nl_sock *nl;	/* NULL: nothing under way */
	char ifname[WG_IFNAME_MAX];
	uint16_t family;
	uint32_t seq;
	int restarts;
	char *buf;
};
int wg_genl_begin(const char *ifname, struct wg_genl_read *r);
int wg_genl_continue(struct wg_genl_read *r, struct wg_device_info *dev);
int wg_genl_fd(const struct wg_genl_read *r);
void wg_genl_abort(struct wg_genl_read *r);

/* The kernel backend at once (begin, continue until done): fills dev from
 * the live interface, -ENODEV when it (or WireGuard in the kernel) is
 * absent. */
int wg_genl_get(const char *ifname, struct wg_device_info *dev);

#endif
