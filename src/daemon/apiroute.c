/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/apiroute.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/forwardspec.h"
#include "util/base64.h"

#define CLIENTS "/api/clients/"
#define PORTFORWARDS "/portforwards"

/* Percent-decodes len bytes of s into out: false on a bad escape, a NUL,
 * or more than fits. */
static bool decode(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= len || hex_digit(s[i + 1]) < 0 || hex_digit(s[i + 2]) < 0)
				return false;
			c = hex_digit(s[i + 1]) << 4 | hex_digit(s[i + 2]);
			i += 2;
		}
		if (!c || o + 1 >= cap)
			return false;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return o > 0;
}

static bool ends_with(const char *s, size_t len, const char *tail, size_t *head)
{
	size_t n = strlen(tail);

	if (len < n || memcmp(s + len - n, tail, n))
		return false;
	*head = len - n;
	return true;
}

/* The last segment of s[0..*len): its start; *len becomes what is before
 * its '/'. NULL when there is none. */
static const char *last_segment(const char *s, size_t *len, size_t *seg_len)
{
	const char *slash = memrchr(s, '/', *len);

	if (!slash || slash == s + *len - 1)
		return NULL;
	*seg_len = *len - (size_t)(slash + 1 - s);
	*len = (size_t)(slash - s);
	return slash + 1;
}

static unsigned parse_del_tail(const char *path, size_t *len, struct api_route *r,
			       const char **why)
{
	const char *port_s, *proto_s;
	size_t port_len, proto_len;
	char proto[8], port[8], *end;
	unsigned long n;

	port_s = last_segment(path, len, &port_len);
	proto_s = port_s ? last_segment(path, len, &proto_len) : NULL;
	*why = "no such path";
	if (!proto_s || proto_len >= sizeof(proto) || port_len >= sizeof(port))
		return 404;
	memcpy(proto, proto_s, proto_len);
	proto[proto_len] = '\0';
	memcpy(port, port_s, port_len);
	port[port_len] = '\0';
	r->protos = forward_protos(proto);
	n = strtoul(port, &end, 10);
	*why = "expected .../portforwards/PROTOCOL/PORT (tcp, udp or both; 1-65535)";
	if (!r->protos || *end || port[0] < '0' || port[0] > '9' || n < 1 || n > 65535)
		return 400;
	r->port = (uint16_t)n;
	return 0;
}

static unsigned parse_client(const char *method, const char *path, struct api_route *r,
			     const char **why)
{
	size_t len = strlen(path), head;
	const char *id = path + strlen(CLIENTS);
	bool del = !strcmp(method, "DELETE");
	unsigned status;

	if (del && (status = parse_del_tail(path, &len, r, why)))
		return status;
	*why = "no such path";
	if (!ends_with(path, len, PORTFORWARDS, &head) || head <= strlen(CLIENTS))
		return 404;
	*why = "the client's id is not a key or a name";
	if (!decode(id, (size_t)(path + head - id), r->id, sizeof(r->id)))
		return 400;
	if (del) {
		r->kind = API_CLIENT_DEL;
		return 0;
	}
	if (len != head + strlen(PORTFORWARDS))
		return 404;
	r->kind = !strcmp(method, "POST") ? API_CLIENT_ADD : API_CLIENT_MAPPINGS;
	*why = "use GET or POST here";
	return strcmp(method, "POST") && strcmp(method, "GET") ? 405 : 0;
}

unsigned api_route_parse(const char *method, const char *path, struct api_route *r,
			 const char **why)
{
	static const struct { const char *path; enum api_route_kind kind; } plain[] = {
		{ "/api/status", API_STATUS }, { "/api/portforwards", API_MAPPINGS },
		{ "/api/peers", API_PEERS }, { "/api/forwards", API_FORWARDS },
	};

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (strcmp(path, plain[i].path))
			continue;
		r->kind = plain[i].kind;
		*why = "use GET here";
		return strcmp(method, "GET") ? 405 : 0;
	}
	*why = "no such path";
	if (strncmp(path, CLIENTS, strlen(CLIENTS)))
		return 404;
	return parse_client(method, path, r, why);
}
