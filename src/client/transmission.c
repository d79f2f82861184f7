/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Transmission's RPC: every call first answers 409 with the session id to
 * repeat it with (its CSRF guard); the port is read with session-get, set
 * with session-set (peer-port-random-on-start off, so a restart keeps it),
 * and read again. */
#include "client/apps.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "client/http.h"

struct rpc {
	struct http *h;
	const struct client_app *app;
	char password[256];
	char session_id[128];
};

static int call(struct rpc *c, const char *body, struct http_reply *r, char *err,
		size_t errlen)
{
	char header[192];

	for (int attempt = 0; attempt < 2; attempt++) {
		struct http_request req = {
			.url = c->app->url, .body = body, .content_type = "application/json",
			.header = header,
			.user = c->app->username[0] ? c->app->username : NULL,
			.password = c->password,
			.timeout_s = (long)c->app->timeout,
		};

		snprintf(header, sizeof(header), "X-Transmission-Session-Id: %s", c->session_id);
		if (http_do(c->h, &req, r, err, errlen))
			return -1;
		if (r->status != 409)
			break;
		snprintf(c->session_id, sizeof(c->session_id), "%s", r->session_id);
	}
	if (r->status == 401) {
		snprintf(err, errlen, "RPC refused the credentials (401)");
		return -1;
	}
	if (r->status != 200) {
		snprintf(err, errlen, "RPC answered HTTP %ld", r->status);
		return -1;
	}
	return 0;
}

/* The peer-port session-get reports, or -1. */
static long peer_port(struct rpc *c, char *err, size_t errlen)
{
	struct http_reply *r = calloc(1, sizeof(*r));
	json_t *root = NULL, *port;
	long value = -1;

	if (!r || call(c, "{\"method\":\"session-get\",\"arguments\":{\"fields\":[\"peer-port\"]}}",
		       r, err, errlen))
		goto out;
	root = json_loads(r->body, 0, NULL);
	port = json_object_get(json_object_get(root, "arguments"), "peer-port");
	if (!json_is_integer(port))
		snprintf(err, errlen, "session-get did not say peer-port");
	else
		value = (long)json_integer_value(port);
out:
	json_decref(root);
	free(r);
	return value;
}

long transmission_port(const struct client_app *a, char *msg, size_t len)
{
	struct rpc c = { .app = a };
	long now = -1;

	if (a->password_file[0] && read_secret(a->password_file, c.password,
					       sizeof(c.password), msg, len))
		return -1;
	if ((c.h = http_new()))
		now = peer_port(&c, msg, len);
	else
		snprintf(msg, len, "out of memory");
	memset(c.password, 0, sizeof(c.password));
	http_free(c.h);
	return now;
}

int transmission_sync(const struct client_app *a, uint16_t port, char *msg, size_t len)
{
	struct rpc c = { .app = a };
	struct http_reply *r = NULL;
	char body[256];
	long now;
	int ret = -1;

	if (a->password_file[0] && read_secret(a->password_file, c.password,
					       sizeof(c.password), msg, len))
		return -1;
	if (!(c.h = http_new()) || !(r = calloc(1, sizeof(*r)))) {
		snprintf(msg, len, "out of memory");
		goto out;
	}
	if ((now = peer_port(&c, msg, len)) < 0)
		goto out;
	if (now == port) {
		snprintf(msg, len, "peer-port is %u already", port);
		ret = 0;
		goto out;
	}
	snprintf(body, sizeof(body), "{\"method\":\"session-set\",\"arguments\":"
		 "{\"peer-port\":%u,\"peer-port-random-on-start\":false}}", port);
	if (call(&c, body, r, msg, len))
		goto out;
	if ((now = peer_port(&c, msg, len)) < 0)
		goto out;
	if (now != port) {
		snprintf(msg, len, "set peer-port %u, but it says %ld", port, now);
		goto out;
	}
	snprintf(msg, len, "peer-port set to %u", port);
	ret = 0;
out:
	memset(c.password, 0, sizeof(c.password));
	free(r);
	http_free(c.h);
	return ret;
}
