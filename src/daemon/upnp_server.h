/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UPnP IGD's two sockets, on the WireGuard interface only (SO_BINDTODEVICE):
 * SSDP on 1900/udp (the group 239.255.255.250 joined there; searches
 * answered by unicast to the asker) and HTTP on the policy's port/tcp
 * (libmicrohttpd in the event loop: descriptions and SOAP control). Knows
 * HTTP, SSDP and SOAP, not mappings: who asks and what a call does are the
 * owner's (ops). */
#ifndef PORTGATE_DAEMON_UPNP_SERVER_H
#define PORTGATE_DAEMON_UPNP_SERVER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "upnp/igd.h"

struct loop;
struct stats;
struct upnp_server;

/* Control calls whose answer lists entries get room for this many. */
#define UPNP_LIST_MAX 64

struct upnp_server_ops {
	/* Whether from is a peer's source that may be answered; rated: it
	 * also spends one of the peer's requests of its rate. */
	bool (*peer_ok)(void *arg, const struct sockaddr_in *from, bool rated);
	/* A decoded control call of from: UPNP_OK with res filled, a UPnP
	 * error code, or -1: not a peer's (refused, HTTP 403). list has room
	 * for cap entries (res->entries may point into it). */
	int (*control)(void *arg, const struct sockaddr_in *from, struct igd_request *req,
		       struct igd_result *res, struct igd_entry *list, size_t cap);
};

struct upnp_server_config {
	const char *ifname;		/* the WireGuard interface */
	int ifindex;			/* its index now */
	uint16_t http_port;
	unsigned version;		/* IGD 1 or 2 */
	uint8_t seed[16];		/* the UDNs: the same seed, the same UDNs */
	const char *friendly_name;
};

/* NULL with errno set (each failure logged). */
struct upnp_server *upnp_server_open(struct loop *loop, const struct upnp_server_config *cfg,
				     const struct upnp_server_ops *ops, void *arg,
				     struct stats *stats);
void upnp_server_close(struct upnp_server *s);
/* The interface index its sockets are bound to. */
int upnp_server_ifindex(const struct upnp_server *s);

#endif
