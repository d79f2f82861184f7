/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The daemon core: wires the NAT-PMP state (src/natpmp), the kernel map
 * (src/nft) and the WireGuard peers (src/wgpeer) under one event loop.
 * Data flows one way: packet -> decode -> authorize (peer) -> policy ->
 * allocate -> nft batch -> reply. This header is what the daemon's entry
 * point and its operator interfaces (commands, metrics) see. */
#ifndef PORTGATE_DAEMON_GATEWAY_H
#define PORTGATE_DAEMON_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "natpmp/mapping.h"

struct gateway;
struct policy;
struct stats;
struct wg_device_info;

/* Start-up: NULL on a fatal error, with the reason logged. Takes over the
 * policy's allocations. */
struct gateway *gateway_new(const struct policy *policy);
int gateway_run(struct gateway *g);
/* Leaves the table (forwards keep working) unless the policy says not. */
void gateway_free(struct gateway *g);
/* Re-reads the policy file. A bad file keeps the running policy: -1 with
 * the reason in err. */
int gateway_reload(struct gateway *g, char *err, size_t errlen);

/* Operator actions, each one kernel transaction: 0 with how many mappings
 * went, or -errno when the kernel refused (nothing changed). */
int gateway_drop_peer(struct gateway *g, const uint8_t key[32], size_t *dropped);
int gateway_drop_port(struct gateway *g, enum mapping_proto proto, uint16_t port,
		      size_t *dropped);

/* Static forwards added at run time (the HTTP API, portgatectl forward):
 * checked as the policy's forwards are, and against the mappings clients
 * hold; kept in the daemon's state file, then applied in one kernel
 * transaction. 0; -EINVAL (the reason in err), -EIO (the state file,
 * nothing changed), -EAGAIN (the kernel refused, nothing changed). */
struct policy_forward;
int gateway_forward_add(struct gateway *g, const struct policy_forward *f,
			char *err, size_t len);
/* Removes a peer's forward at protocols/port: its run-time static forward,
 * or its dynamic mapping there. -ENOENT (nothing of that peer there),
 * -EPERM (a static forward of the policy file), -EIO, -EAGAIN; 0 with how
 * many mappings went. */
int gateway_forward_del(struct gateway *g, const uint8_t key[32], unsigned protos,
			uint16_t port, size_t *removed, char *err, size_t len);
/* Whether a static forward of this protocol and port stands in the
 * kernel now (its peer on the interface). */
bool gateway_forward_installed(const struct gateway *g, enum mapping_proto proto,
			       uint16_t port);

/* What operators see. */
uint32_t gateway_epoch(const struct gateway *g);
/* The external IPv4 address as clients are told it (external.advertise
 * when set), and the one forwards match; false while there is none. */
bool gateway_external(const struct gateway *g, struct ip_addr *addr);
bool gateway_external_matched(const struct gateway *g, struct ip_addr *addr);
time_t gateway_started(const struct gateway *g);
const struct policy *gateway_policy(const struct gateway *g);
const struct mapping_table *gateway_mappings(const struct gateway *g);
/* The WireGuard peers as last read, the backend, the last poll's
 * duration: tracker.h's. */
const struct wg_tracker *gateway_tracker(const struct gateway *g);
const struct stats *gateway_stats(const struct gateway *g);

const char *proto_name(enum mapping_proto proto);
/* "ipv4" or "ipv6". */
const char *space_family(enum mapping_space space);

#endif
