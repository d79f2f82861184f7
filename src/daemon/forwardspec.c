/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/forwardspec.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "util/base64.h"

#define PROTO_BIT(p) (1u << (p))
#define BOTH_PROTOS (PROTO_BIT(MAPPING_UDP) | PROTO_BIT(MAPPING_TCP))

unsigned forward_protos(const char *name)
{
	if (!name)
		return 0;
	if (!strcmp(name, "tcp"))
		return PROTO_BIT(MAPPING_TCP);
	if (!strcmp(name, "udp"))
		return PROTO_BIT(MAPPING_UDP);
	if (!strcmp(name, "both"))
		return BOTH_PROTOS;
	return 0;
}

const char *forward_protos_name(unsigned protos)
{
	return protos == BOTH_PROTOS ? "both" : protos == PROTO_BIT(MAPPING_TCP) ? "tcp" : "udp";
}

/* A port number, or a range as text ("30000-30009"). */
static int ports_of(const json_t *v, const char *what, uint16_t *first, unsigned *count,
		    char *err, size_t len)
{
	json_int_t n = json_integer_value(v);

	if (json_is_string(v) && policy_port_range(json_string_value(v), first, count) == 0)
		return 0;
	if (!json_is_integer(v) || n < 1 || n > 65535) {
		snprintf(err, len, "%s must be a port number (1-65535) or a range "
			 "(\"30000-30009\")", what);
		return -1;
	}
	*first = (uint16_t)n;
	*count = 1;
	return 0;
}

/* What a forward's keys hold before its ports are set. */
struct spec_ports {
	uint16_t ext, in;
	unsigned n_ext, n_in;
};

static int one_field(const char *key, const json_t *v, bool with_peer,
		     struct policy_forward *f, struct spec_ports *sp, char *err, size_t len)
{
	const char *s = json_string_value(v);
	struct in_addr a;

	if (!strcmp(key, "protocol")) {
		if (!(f->protos = forward_protos(s))) {
			snprintf(err, len, "protocol must be tcp, udp or both");
			return -1;
		}
		return 0;
	}
	if (!strcmp(key, "external"))
		return ports_of(v, "external", &sp->ext, &sp->n_ext, err, len);
	if (!strcmp(key, "internal"))
		return ports_of(v, "internal", &sp->in, &sp->n_in, err, len);
	if (!strcmp(key, "address")) {
		if (json_is_null(v))
			return 0;
		if (!s || inet_pton(AF_INET, s, &a) != 1) {
			snprintf(err, len, "address must be an IPv4 address");
			return -1;
		}
		f->has_address = true;
		f->address = ntohl(a.s_addr);
		return 0;
	}
	if (with_peer && !strcmp(key, "peer")) {
		if (!s || !key_from_base64(f->key, s)) {
			snprintf(err, len, "peer must be a WireGuard public key (base64)");
			return -1;
		}
		return 0;
	}
	snprintf(err, len, "unknown key \"%.64s\" (a forward has protocol, external, "
		 "internal and address)", key);
	return -1;
}

int forward_from_json(const json_t *o, bool with_peer, struct policy_forward *f,
		      char *err, size_t len)
{
	struct spec_ports sp = { 0 };
	const char *key, *why;
	json_t *v;

	memset(f, 0, sizeof(*f));
	f->runtime = true;
	if (!json_is_object(o)) {
		snprintf(err, len, "a forward is a JSON object, e.g. "
			 "{\"protocol\": \"tcp\", \"external\": 2222, \"internal\": 22}");
		return -1;
	}
	json_object_foreach((json_t *)o, key, v)
		if (one_field(key, v, with_peer, f, &sp, err, len) < 0)
			return -1;
	if (!f->protos) {
		snprintf(err, len, "a forward needs protocol: tcp, udp or both");
		return -1;
	}
	if (!sp.n_ext) {
		snprintf(err, len, "a forward needs an external port");
		return -1;
	}
	if ((why = policy_forward_set_ports(f, sp.ext, sp.n_ext, sp.in, sp.n_in))) {
		snprintf(err, len, "%s", why);
		return -1;
	}
	if (with_peer && !json_object_get(o, "peer")) {
		snprintf(err, len, "a forward needs its peer");
		return -1;
	}
	return 0;
}

/* A port, or a range as text. */
static json_t *ports_json(uint16_t first, unsigned span)
{
	char buf[16];

	if (span == 1)
		return json_integer(first);
	snprintf(buf, sizeof(buf), "%u-%u", first, first + span - 1);
	return json_string(buf);
}

json_t *forward_to_json(const struct policy_forward *f, bool with_peer)
{
	struct in_addr a = { htonl(f->address) };
	char b64[KEY_B64_LEN + 1];
	json_t *o = json_pack("{s:s, s:o, s:o, s:o}",
			      "protocol", forward_protos_name(f->protos),
			      "external", ports_json(f->external_port, forward_span(f)),
			      "internal", ports_json(f->internal_port, forward_span(f)),
			      "address", f->has_address ? json_string(inet_ntoa(a)) : json_null());

	if (o && with_peer) {
		key_to_base64(b64, f->key);
		json_object_set_new(o, "peer", json_string(b64));
	}
	return o;
}

bool peer_resolve(const struct policy *p, const char *id, uint8_t key[32])
{
	char b64[KEY_B64_LEN + 1];
	size_t len = strlen(id);

	if (len == KEY_B64_LEN) {
		for (size_t i = 0; i <= len; i++)
			b64[i] = id[i] == '-' ? '+' : id[i] == '_' ? '/' : id[i];
		if (key_from_base64(key, b64))
			return true;
	}
	for (size_t i = 0; i < p->n_peers; i++)
		if (p->peers[i].name[0] && !strcmp(p->peers[i].name, id)) {
			memcpy(key, p->peers[i].key, 32);
			return true;
		}
	return false;
}
