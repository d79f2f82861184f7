/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The YAML policy (design.md §1 names its keys: add keys, never rename).
 * Loading is all or nothing: a bad file yields "FILE:LINE:COL: reason" and
 * leaves the caller's running policy untouched. */
#ifndef PORTGATE_POLICY_H
#define PORTGATE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "natpmp/mapping.h"
#include "util/ipaddr.h"

#define POLICY_IFNAME_MAX 16
#define POLICY_NAME_MAX 64
/* Allowed-ips shorter than these own "most of the Internet": IPv4 below
 * /8 (0.0.0.0/0, wg-quick's 0.0.0.0/1 halves); IPv6 below /32, more than
 * a whole ISP's allocation (::/0, 2000::/3, ::/1), where a site routes a
 * /48 or /56. */
#define POLICY_CATCH_ALL_PREFIX 8
#define POLICY_CATCH_ALL_PREFIX6 32

struct policy_peer {
	uint8_t key[32];
	char name[POLICY_NAME_MAX];
	bool deny;
	bool has_per_peer;
	uint32_t per_peer;
	bool has_ports;
	uint16_t port_min, port_max;
};

/* An admin-set forward (a peer's `forwards:`): present while the peer is
 * on the interface, never expires, never handed to anyone else. */
struct policy_forward {
	uint8_t key[32];		/* the peer */
	unsigned protos;		/* bits 1 << enum mapping_proto */
	uint16_t external_port;		/* a range's first port */
	uint16_t internal_port;		/* where external_port goes */
	/* A range (external: 30000-30009): this many ports from each, port
	 * by port; one entry here, one kernel element per port. 0 or 1:
	 * one port. */
	uint16_t n_ports;
	bool has_address;
	uint32_t address;		/* host byte order; default: the peer's /32 */
	uint32_t line;			/* where it is written, for messages */
	/* Added at run time (the HTTP API, portgatectl forward add): kept
	 * in the daemon's state file, never in the policy file. */
	bool runtime;
};

/* A range of static forwards is at most this many ports. */
#define POLICY_FORWARD_RANGE_MAX 1000

/* How many ports the forward spans (1 for one port). */
static inline unsigned forward_span(const struct policy_forward *f)
{
	return f->n_ports ? f->n_ports : 1;
}

/* Whether the forward's external ports include port. */
static inline bool forward_covers(const struct policy_forward *f, uint16_t port)
{
	return port >= f->external_port && port - f->external_port < (int)forward_span(f);
}

/* The internal port external port goes to (port inside the forward). */
static inline uint16_t forward_target(const struct policy_forward *f, uint16_t port)
{
	return (uint16_t)(f->internal_port + (port - f->external_port));
}

/* ipv6.mode: how peers' IPv6 addresses get mappings (through PCP). */
enum policy_ipv6 {
	POLICY_IPV6_OFF = 0,	/* no ipv6 section: IPv6 requests are not heard */
	POLICY_IPV6_ROUTED,	/* global addresses: pinholes, no NAT */
	POLICY_IPV6_NAT66,	/* addresses behind masquerade: DNAT like IPv4 */
};
#define POLICY_IPV6_MARK_DEFAULT 0x08000000u
#define POLICY_UPNP_PORT_DEFAULT 5000	/* what OpenWrt's miniupnpd uses */

struct policy {
	char path[4096];
	/* A key that loads but should be changed (FILE:LINE:COL: why), or "". */
	char warning[512];
	time_t loaded_at;
	char interface[POLICY_IFNAME_MAX];
	char uapi_socket[108];		/* "" : /var/run/wireguard/IFNAME.sock */
	char external_interface[POLICY_IFNAME_MAX];
	bool has_external_address;
	struct ip_addr external_address;	/* IPv4 */
	/* external.advertise (IPv4) and ipv6.external.advertise (nat66), by
	 * enum ip_family: the address told to clients (NAT-PMP, PCP,
	 * announcements, status) while forwards match the external one. */
	bool has_advertise[IP_FAMILIES];
	struct ip_addr advertise[IP_FAMILIES];
	uint16_t port_min, port_max;
	uint16_t *reserved;
	size_t n_reserved;
	uint32_t lifetime_min, lifetime_max;
	uint32_t per_peer;
	uint32_t rate;			/* requests per second per peer; 0: off */
	struct policy_peer *peers;	/* sorted by key */
	size_t n_peers;
	struct policy_forward *forwards;	/* sorted by external port */
	size_t n_forwards;
	uint32_t poll_interval;		/* seconds */
	uint32_t stale_handshake;	/* seconds; 0: off */
	/* A peer whose allowed-ip covering the address is shorter than
	 * POLICY_CATCH_ALL_PREFIX(6) owns most of the address space (0.0.0.0/0
	 * owns every source): its requests are refused unless this is set. */
	bool catch_all_peers;
	/* Answer PCP (RFC 6887) MAP and ANNOUNCE; false: every version but
	 * NAT-PMP's gets NAT-PMP's "unsupported version". */
	bool pcp;
	enum policy_ipv6 ipv6_mode;
	/* nat66: the interface whose global IPv6 address is external;
	 * default: external.interface. */
	char ipv6_external_interface[POLICY_IFNAME_MAX];
	/* Set on what the ip6 table's forward chain accepts; the admin's
	 * filter accepts it with one rule. Read at start. */
	uint32_t ipv6_mark;
	char nft_table[32];
	bool nft_remove_on_exit;
	char control_socket[108];
	char control_group[32];
	char metrics_listen[64];	/* "" when off */
	/* events.exec: run with one JSON line per event (events.h); "" off. */
	char events_exec[1024];
	uint32_t events_timeout;	/* seconds */
	/* api: the operator's HTTP API and web page ("" listen: off). The
	 * token and the TLS files are read at start. */
	char api_listen[64];
	char api_token_file[256];
	char api_tls_cert[256];		/* "": plain HTTP */
	char api_tls_key[256];
	/* upnp: UPnP IGD (SSDP on 1900/udp and HTTP on upnp_port/tcp, both
	 * on the WireGuard interface only), presented as IGD upnp_version.
	 * Read at start. */
	bool upnp;
	uint16_t upnp_port;
	uint8_t upnp_version;
	/* Where the daemon keeps its own state (forwards.json). */
	char state_dir[256];
};

/* The policy portgated and portgatectl read when -c is not given. */
#ifndef PORTGATE_SYSCONFDIR
#define PORTGATE_SYSCONFDIR "/etc"
#endif
#define POLICY_DEFAULT_PATH PORTGATE_SYSCONFDIR "/portgate/portgate.yaml"

/* 0 on success; otherwise -1 with the reason in err. */
int policy_load(const char *path, struct policy *out, char *err, size_t errlen);
/* The same from memory; name stands for the file in messages. */
int policy_load_string(const char *name, const char *text, size_t len,
		       struct policy *out, char *err, size_t errlen);
void policy_free(struct policy *p);
const struct policy_peer *policy_peer_find(const struct policy *p,
					   const uint8_t key[32]);
/* A peer that owns an address (of this family) only through an allowed-ip
 * of this length may not own mappings (catch_all_peers). */
bool policy_refuses_prefix(const struct policy *p, bool ipv6, uint8_t cidr);
/* The limits a peer's requests get, overrides applied. */
void policy_limits_for(const struct policy *p, const uint8_t key[32],
		       struct mapping_limits *out);
bool policy_denies(const struct policy *p, const uint8_t key[32]);
bool policy_is_reserved(const struct policy *p, uint16_t port);
/* "PORT" or "LOW-HIGH" (1-65535, LOW <= HIGH): 0 with the first port and
 * how many, or -1. */
int policy_port_range(const char *text, uint16_t *first, unsigned *count);
/* Sets f's ports from an external range and an internal one (n_in 0:
 * the external ports themselves; 1: a start port; else as many as the
 * external range): NULL, or why not (a range over
 * POLICY_FORWARD_RANGE_MAX, lengths that differ, past 65535). */
const char *policy_forward_set_ports(struct policy_forward *f, uint16_t ext, unsigned n_ext,
				     uint16_t in, unsigned n_in);
/* Why forward f cannot stand beside the policy and the n forwards of
 * others (a collision, a reserved or NAT-PMP port, another peer's range, a
 * denied peer): the reason in buf, or NULL when it can. The one rule for
 * the policy's forwards and those added at run time. */
const char *policy_forward_conflict(const struct policy *p, const struct policy_forward *f,
				    const struct policy_forward *others, size_t n,
				    char *buf, size_t len);
/* Sorts the forwards by external port, as policy_forward_at needs. */
void policy_forwards_sort(struct policy *p);
/* The static forward on this external port and protocol (a range
 * covering it), or NULL. */
const struct policy_forward *policy_forward_at(const struct policy *p,
					       enum mapping_proto proto, uint16_t port);

#endif
