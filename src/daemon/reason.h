/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Why mappings changed: each mapping transaction is applied for one
 * reason, which the statistics count, the log says and the notifications
 * carry. */
#ifndef PORTGATE_DAEMON_REASON_H
#define PORTGATE_DAEMON_REASON_H

enum change_reason {
	REASON_CLIENT,		/* requests: created, renewed, deleted */
	REASON_EXPIRED,
	REASON_PEER_GONE,
	REASON_PEER_STALE,
	REASON_INTERFACE_GONE,
	REASON_ADDRESS_LOST,	/* the peer no longer owns the address */
	REASON_PEER_ABSENT,	/* adopted after a restart, peer not there */
	REASON_RETRY,		/* a drop the kernel refused, done again */
	REASON_POLICY,		/* a reload forbids it */
	REASON_OPERATOR,	/* portgatectl drop */
	REASON_LOCAL_SERVICE,	/* a service of the gateway's own took the port */
	REASON_RESERVED,	/* the port became reserved (e.g. the WireGuard port) */
	REASON_GATEWAY_ADDRESS,	/* its address became one of the gateway's own */
	REASON_COUNT
};

/* The metric label and the notifications' "reason": "peer_gone". */
const char *reason_label(enum change_reason r);
/* How the log says a mapping went: "expired", "dropped (peer vanished)". */
const char *reason_text(enum change_reason r);

#endif
