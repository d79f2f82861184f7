/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/reason.h"

static const struct {
	const char *label, *text;
} reasons[REASON_COUNT] = {
	[REASON_CLIENT] = { "client", "deleted by client" },
	[REASON_EXPIRED] = { "expired", "expired" },
	[REASON_PEER_GONE] = { "peer_gone", "dropped (peer vanished)" },
	[REASON_PEER_STALE] = { "peer_stale", "dropped (peer's handshake is stale)" },
	[REASON_INTERFACE_GONE] = { "interface_gone", "dropped (interface gone)" },
	[REASON_ADDRESS_LOST] = { "address_lost", "dropped (address no longer the peer's)" },
	[REASON_PEER_ABSENT] = { "peer_absent", "dropped (peer not on the interface)" },
	[REASON_RETRY] = { "retry", "dropped (peer vanished, retried)" },
	[REASON_POLICY] = { "policy", "dropped (policy reload)" },
	[REASON_OPERATOR] = { "operator", "dropped by operator" },
	[REASON_LOCAL_SERVICE] = { "local_service",
				   "dropped (a local service uses the port)" },
	[REASON_RESERVED] = { "reserved", "dropped (the port is reserved now)" },
	[REASON_GATEWAY_ADDRESS] = { "gateway_address",
				     "dropped (its address is the gateway's own now)" },
};

const char *reason_label(enum change_reason r)
{
	return reasons[r].label;
}

const char *reason_text(enum change_reason r)
{
	return reasons[r].text;
}
