/* SPDX-License-Identifier: GPL-2.0-or-later */
/* NAT-PMP (RFC 6886) wire format: decoding requests and encoding replies.
 * Pure code: no sockets, no state. Every byte is read and written through a
 * bounds-checked cursor; the buffer is never cast to a struct. */
#ifndef PORTGATE_NATPMP_CODEC_H
#define PORTGATE_NATPMP_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NATPMP_SERVER_PORT 5351
#define NATPMP_CLIENT_PORT 5350

#define NATPMP_OP_EXTERNAL_ADDRESS 0
#define NATPMP_OP_MAP_UDP 1
#define NATPMP_OP_MAP_TCP 2
#define NATPMP_OP_RESPONSE 128

#define NATPMP_EXTERNAL_REQUEST_LEN 2
#define NATPMP_MAP_REQUEST_LEN 12
#define NATPMP_EXTERNAL_RESPONSE_LEN 12
#define NATPMP_MAP_RESPONSE_LEN 16
#define NATPMP_BAD_VERSION_RESPONSE_LEN 8
#define NATPMP_MAX_RESPONSE_LEN 16

enum natpmp_result {
	NATPMP_RESULT_SUCCESS = 0,
	NATPMP_RESULT_UNSUPPORTED_VERSION = 1,
	NATPMP_RESULT_NOT_AUTHORIZED = 2,
	NATPMP_RESULT_NETWORK_FAILURE = 3,
	NATPMP_RESULT_OUT_OF_RESOURCES = 4,
	NATPMP_RESULT_UNSUPPORTED_OPCODE = 5,
};

/* What the server should do with a datagram. */
enum natpmp_verdict {
	NATPMP_VERDICT_REQUEST,		/* a valid op 0/1/2 request: serve it */
	NATPMP_VERDICT_BAD_VERSION,	/* answer natpmp_encode_bad_version() */
	NATPMP_VERDICT_BAD_OPCODE,	/* answer natpmp_encode_bad_opcode() */
	NATPMP_VERDICT_IGNORE,		/* too short, or a response: stay silent */
};

struct natpmp_request {
	uint8_t version;
	uint8_t opcode;
	/* Only for opcodes 1 and 2. */
	uint16_t internal_port;
	uint16_t suggested_external_port;
	uint32_t lifetime;
};

enum natpmp_verdict natpmp_decode(const uint8_t *buf, size_t len,
				  struct natpmp_request *req);

/* Encoders return the number of bytes written, or 0 if out is too small. */
size_t natpmp_encode_external(uint8_t *out, size_t cap, uint16_t result,
			      uint32_t epoch, const uint8_t addr[4]);
size_t natpmp_encode_mapping(uint8_t *out, size_t cap, uint8_t opcode,
			     uint16_t result, uint32_t epoch,
			     uint16_t internal_port, uint16_t external_port,
			     uint32_t lifetime);
/* A full-size error reply for a decoded request (12 bytes for op 0, 16 for
 * mappings), echoing the internal port as clients require. */
size_t natpmp_encode_error(uint8_t *out, size_t cap,
			   const struct natpmp_request *req, uint16_t result,
			   uint32_t epoch);
/* [0, 128+op, 0, 1, epoch]: the 8-byte answer libtorrent's PCP probe needs. */
size_t natpmp_encode_bad_version(uint8_t *out, size_t cap, uint8_t opcode,
				 uint32_t epoch);
/* Result 5 at full mapping-reply size; bytes 8..15 echo the request's bytes
 * 4..11 where it had them. */
size_t natpmp_encode_bad_opcode(uint8_t *out, size_t cap, const uint8_t *req,
				size_t req_len, uint32_t epoch);

const char *natpmp_result_name(uint16_t result);

/* ---- the client's side (client.c) --------------------------------------- */

/* op 0 (2 bytes) or a mapping request (12 bytes); 0 if out is too small. */
size_t natpmp_encode_request(uint8_t *out, size_t cap, uint8_t opcode,
			     uint16_t internal_port, uint16_t suggested_port,
			     uint32_t lifetime);

struct natpmp_response {
	uint8_t opcode;			/* of the request it answers */
	uint16_t result;
	uint32_t epoch;
	uint32_t addr;			/* op 0, host byte order */
	uint16_t internal_port;		/* ops 1, 2 */
	uint16_t external_port;
	uint32_t lifetime;
};

/* A gateway's answer: false unless it is a version-0 response of the size
 * its opcode and result give (errors may come short, as RFC 6886 allows
 * only for result codes other than success). */
bool natpmp_decode_response(const uint8_t *buf, size_t len, struct natpmp_response *r);

#endif
