/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where a peer's forward may point: the one rule for every way of naming
 * an internal address (a request's source, PCP's THIRD_PARTY, a static
 * forward's address:, and later the HTTP API and UPnP's
 * NewInternalClient), applied when a forward is granted and at every
 * sweep. */
#ifndef PORTGATE_DAEMON_TARGET_H
#define PORTGATE_DAEMON_TARGET_H

enum target_verdict {
	TARGET_ALLOWED = 0,
	TARGET_SPECIAL,		/* loopback, multicast, broadcast, link-local, ... */
	TARGET_GATEWAY,		/* an address of the gateway itself */
	TARGET_NOT_OWNED,	/* not in this peer's allowed-ips */
	TARGET_CATCH_ALL,	/* only through a catch-all prefix (catch_all_peers) */
};
#define TARGET_VERDICT_COUNT 5

/* Metric label ("special", "gateway", ...) and log text. */
const char *target_verdict_label(enum target_verdict v);
const char *target_verdict_text(enum target_verdict v);

#endif
