/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SSDP (UPnP Device Architecture 1.1 §1): parsing an M-SEARCH datagram,
 * deciding which of our device's types it asks for, and building the
 * unicast answers. Pure code: the caller owns the socket and the buffers,
 * and sends each answer to the asker only (the tunnel has no multicast). */
#ifndef PORTGATE_UPNP_SSDP_H
#define PORTGATE_UPNP_SSDP_H

#include <stddef.h>
#include <stdint.h>

#include "upnp/upnp.h"
#include "util/ipaddr.h"

#define SSDP_PORT 1900
#define SSDP_GROUP_V4 "239.255.255.250"
#define SSDP_MAX_LEN 2048		/* a longer datagram is malformed */
#define SSDP_MAX_LINE 512
#define SSDP_MAX_HEADERS 32
#define SSDP_ST_MAX 255
#define SSDP_USN_MAX (5 + UPNP_UUID_LEN + 2 + UPNP_URN_MAX)
#define SSDP_MX_MAX 5			/* UDA 1.1: larger values count as 5 */
/* ssdp:all on our tree: rootdevice, 3 UDNs, 3 device types, 2 services. */
#define SSDP_REPLIES_MAX 9
#define SSDP_RESPONSE_MAX 512		/* room for any one answer */
#define SSDP_CACHE_MAX_AGE 1800

enum ssdp_verdict {
	SSDP_SEARCH,		/* a well-formed M-SEARCH for ssdp:discover */
	SSDP_IGNORE,		/* NOTIFY, or another device's answer: not ours to answer */
	SSDP_MALFORMED,		/* anything else: stay silent, count it */
};

struct ssdp_search {
	char st[SSDP_ST_MAX + 1];
	int mx;			/* seconds, at most SSDP_MX_MAX; -1 without MX (unicast search) */
};

/* Strict and bounded: request line "M-SEARCH * HTTP/1.1", header lines
 * NAME ":" VALUE ended by CRLF (or LF), names case-insensitive, MAN
 * "ssdp:discover", one ST, at most one MX of 1-3 digits, a blank line
 * (or the datagram's end after a whole line). No NUL, no folding. */
enum ssdp_verdict ssdp_parse(const uint8_t *buf, size_t len, struct ssdp_search *out);

struct ssdp_reply {
	char st[SSDP_ST_MAX + 1];
	char usn[SSDP_USN_MAX + 1];
};

/* The answers st asks of dev's tree (UDA 1.1 §1.3.2): ssdp:all (every
 * device and service), upnp:rootdevice, uuid:UDN, a device or service type
 * of ours at a version we serve or an older one (echoed as asked). Returns
 * how many (0: none of ours), at most SSDP_REPLIES_MAX. */
size_t ssdp_match(const struct upnp_device *dev, const char *st,
		  struct ssdp_reply out[SSDP_REPLIES_MAX]);

/* One answer datagram: LOCATION http://ADDR:PORT/rootDesc.xml where addr is
 * the tunnel address the search arrived on.
 * Returns its length, or 0 if out is too small. */
size_t ssdp_encode(char *out, size_t cap, const struct upnp_device *dev,
		   const struct ssdp_reply *reply, const struct ip_addr *addr,
		   uint16_t http_port);

#endif
