/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/apiserve.h"

#include <errno.h>
#include <string.h>

#include <jansson.h>

#include "daemon/api.h"
#include "daemon/apiroute.h"
#include "daemon/commands.h"
#include "daemon/forwardspec.h"
#include "daemon/gateway.h"
#include "util/base64.h"

/* The HTTP status of a refused change. */
static unsigned status_of(int err)
{
	switch (err) {
	case 0: return 200;
	case -EINVAL: return 409;	/* a collision, the target rule, a held port */
	case -EPERM: return 409;	/* the policy file's forward */
	case -ENOENT: return 404;
	case -EAGAIN: return 503;	/* the kernel refused; try again */
	default: return 500;		/* the state file */
	}
}

/* One peer's view: its key and name beside its mappings. */
static json_t *client_json(struct gateway *g, const uint8_t key[32])
{
	const struct policy_peer *p = policy_peer_find(gateway_policy(g), key);
	char b64[KEY_B64_LEN + 1];
	json_t *o = gateway_mappings_json(g, key);

	key_to_base64(b64, key);
	json_object_set_new(o, "peer", json_string(b64));
	json_object_set_new(o, "name", p && p->name[0] ? json_string(p->name) : json_null());
	return o;
}

static json_t *add(struct gateway *g, const uint8_t key[32], const struct api_request *req,
		   unsigned *status)
{
	struct policy_forward f;
	json_error_t jerr;
	json_t *body = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	char why[256];
	json_t *answer;
	int err;

	if (forward_from_json(body, false, &f, why, sizeof(why)) < 0) {
		json_decref(body);
		*status = 400;
		return gateway_error_json(body ? why : "the body is not JSON");
	}
	json_decref(body);
	answer = gateway_forward_add_json(g, key, &f, &err);
	*status = err ? status_of(err) : 201;
	return answer;
}

static json_t *route(struct gateway *g, const struct api_request *req, unsigned *status)
{
	struct api_route r;
	const char *why;
	uint8_t key[32];
	int err;

	if ((*status = api_route_parse(req->method, req->path, &r, &why)))
		return gateway_error_json(why);
	*status = 200;
	switch (r.kind) {
	case API_STATUS:
		return gateway_status_json(g);
	case API_MAPPINGS:
		return gateway_mappings_json(g, NULL);
	case API_PEERS:
		return gateway_peers_json(g);
	case API_FORWARDS:
		return gateway_forwards_json(g, NULL);
	default:
		break;
	}
	if (!peer_resolve(gateway_policy(g), r.id, key)) {
		*status = 404;
		return gateway_error_json("no such client: give its public key or its policy name");
	}
	if (r.kind == API_CLIENT_MAPPINGS)
		return client_json(g, key);
	if (r.kind == API_CLIENT_ADD)
		return add(g, key, req, status);
	json_t *answer = gateway_forward_del_json(g, key, r.protos, r.port, &err);

	*status = status_of(err);
	return answer;
}

char *gateway_api_request(void *arg, const struct api_request *req, unsigned *status)
{
	return gateway_json_text(route(arg, req, status));
}
