/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What an HTTP API request asks, from its untrusted method and path. Pure:
 * no gateway, no I/O. The paths (docs: portgated(8), HTTP API):
 *   GET    /api/status
 *   GET    /api/portforwards                  every mapping
 *   GET    /api/peers                         WireGuard peers, with names
 *   GET    /api/forwards                      static forwards (policy, run time)
 *   GET    /api/clients/{id}/portforwards     one peer's mappings
 *   POST   /api/clients/{id}/portforwards     add a static forward
 *   DELETE /api/clients/{id}/portforwards/{protocol}/{external}
 * {id} is a public key (standard base64, percent-encoded or not, or
 * URL-safe) or a policy name; it may hold '/', so the path is read from
 * its right end. Web page assets are not routes (api.c serves them). */
#ifndef PORTGATE_DAEMON_APIROUTE_H
#define PORTGATE_DAEMON_APIROUTE_H

#include <stdint.h>

#define API_ID_MAX 128

enum api_route_kind {
	API_STATUS,
	API_MAPPINGS,
	API_PEERS,
	API_FORWARDS,
	API_CLIENT_MAPPINGS,
	API_CLIENT_ADD,
	API_CLIENT_DEL,
};

struct api_route {
	enum api_route_kind kind;
	char id[API_ID_MAX];	/* API_CLIENT_*: percent-decoded */
	unsigned protos;	/* API_CLIENT_DEL */
	uint16_t port;
};

/* 0, or the HTTP status to answer (404 no such path, 405 not this method,
 * 400 a bad {id}, protocol or port) with the reason in *why. */
unsigned api_route_parse(const char *method, const char *path, struct api_route *r,
			 const char **why);

#endif
