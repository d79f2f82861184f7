/* SPDX-License-Identifier: GPL-2.0-or-later */
/* PCP (RFC 6887) wire format: decoding requests and encoding replies, for
 * the MAP and ANNOUNCE opcodes a gateway serves. Pure code: no sockets, no
 * state. Every byte goes through a bounds-checked cursor. */
#ifndef PORTGATE_NATPMP_PCP_H
#define PORTGATE_NATPMP_PCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/ipaddr.h"

#define PCP_VERSION 2
#define PCP_HEADER_LEN 24
#define PCP_MAP_LEN 60			/* header + MAP, no options */
#define PCP_MAX_LEN 1100		/* the longest request or reply */
#define PCP_NONCE_LEN 12

#define PCP_OP_ANNOUNCE 0
#define PCP_OP_MAP 1
#define PCP_OP_PEER 2
#define PCP_RESPONSE 0x80

#define PCP_OPTION_THIRD_PARTY 1
#define PCP_OPTION_PREFER_FAILURE 2
#define PCP_OPTION_FILTER 3

/* Long-lived errors tell a client not to ask again soon; short-lived
 * ones (the gateway's own trouble, quotas) invite a retry. */
#define PCP_LONG_ERROR_LIFETIME 1800
#define PCP_SHORT_ERROR_LIFETIME 30

enum pcp_result {
	PCP_SUCCESS = 0,
	PCP_UNSUPP_VERSION = 1,
	PCP_NOT_AUTHORIZED = 2,
	PCP_MALFORMED_REQUEST = 3,
	PCP_UNSUPP_OPCODE = 4,
	PCP_UNSUPP_OPTION = 5,
	PCP_MALFORMED_OPTION = 6,
	PCP_NETWORK_FAILURE = 7,
	PCP_NO_RESOURCES = 8,
	PCP_UNSUPP_PROTOCOL = 9,
	PCP_USER_EX_QUOTA = 10,
	PCP_CANNOT_PROVIDE_EXTERNAL = 11,
	PCP_ADDRESS_MISMATCH = 12,
	PCP_EXCESSIVE_REMOTE_PEERS = 13,
};
#define PCP_RESULT_COUNT 14

struct pcp_request {
	uint8_t version;
	uint8_t opcode;
	uint32_t lifetime;
	/* Addresses as PCP writes them, which is struct ip_addr's form
	 * (IPv4-mapped for IPv4). */
	struct ip_addr client_addr;
	/* MAP */
	uint8_t nonce[PCP_NONCE_LEN];
	uint8_t protocol;		/* IANA number; 0: all */
	uint16_t internal_port;
	uint16_t suggested_port;
	struct ip_addr suggested_addr;
	bool prefer_failure;
	bool has_third_party;
	struct ip_addr third_party;
	bool has_filter;		/* only "no filter" (prefix 0) is accepted */
	uint8_t filter[20];
	/* The request as it came (for error replies), at most PCP_MAX_LEN. */
	const uint8_t *raw;
	size_t raw_len;
};

enum pcp_verdict {
	PCP_VERDICT_REQUEST,	/* a valid ANNOUNCE or MAP: serve it */
	PCP_VERDICT_ERROR,	/* answer pcp_encode_error() with *result */
	PCP_VERDICT_IGNORE,	/* too short, or a response: stay silent */
};

/* A datagram whose first byte is not 0 (NAT-PMP). */
enum pcp_verdict pcp_decode(const uint8_t *buf, size_t len, struct pcp_request *req,
			    uint16_t *result);

/* Encoders return the number of bytes written, or 0 if out is too small. */
/* An error reply: the request's own bytes after the header, echoed (up to
 * PCP_MAX_LEN), with the lifetime RFC 6887 gives that result. */
size_t pcp_encode_error(uint8_t *out, size_t cap, const struct pcp_request *req,
			uint16_t result, uint32_t epoch);
/* The ANNOUNCE reply (also the unsolicited one): 24 bytes. */
size_t pcp_encode_announce(uint8_t *out, size_t cap, uint32_t epoch);
/* A MAP success: the request's nonce, protocol and internal port, the
 * granted port at the external address,
 * the options that were honoured (THIRD_PARTY, PREFER_FAILURE, FILTER) and
 * nothing else. */
size_t pcp_encode_map(uint8_t *out, size_t cap, const struct pcp_request *req,
		      uint32_t epoch, uint32_t lifetime, uint16_t external_port,
		      const struct ip_addr *external_addr);
/* The lifetime an error reply carries. */
uint32_t pcp_error_lifetime(uint16_t result);
const char *pcp_result_name(uint16_t result);

/* :: or ::ffff:0.0.0.0, "any address". */
bool pcp_addr_any(const struct ip_addr *addr);

#endif
