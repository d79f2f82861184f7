/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: an HTTP API request as the network sends it, "METHOD
 * PATH\n" then the body: the route parser, the client id's resolution and
 * the JSON body of a forward. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "daemon/apiroute.h"
#include "daemon/forwardspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void route(const char *line)
{
	char method[16] = "";
	const char *sp = strchr(line, ' '), *why = NULL;
	struct policy p = { 0 };
	struct api_route r;
	uint8_t key[32];
	unsigned status;

	if (!sp || (size_t)(sp - line) >= sizeof(method))
		return;
	memcpy(method, line, (size_t)(sp - line));
	status = api_route_parse(method, sp + 1, &r, &why);
	if (status && (!why || !why[0]))
		abort();
	if (status)
		return;
	if (r.kind == API_CLIENT_DEL && (!r.port || !r.protos))
		abort();
	if ((r.kind == API_CLIENT_ADD || r.kind == API_CLIENT_DEL ||
	     r.kind == API_CLIENT_MAPPINGS) && !r.id[0])
		abort();
	peer_resolve(&p, r.id, key);
}

static void body(const char *text, size_t len)
{
	struct policy_forward f;
	json_error_t jerr;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	char err[256] = "";

	if (forward_from_json(o, false, &f, err, sizeof(err)) == 0) {
		if (!f.protos || !f.external_port || !f.internal_port || !f.runtime)
			abort();
		json_decref(forward_to_json(&f, true));
	} else if (!err[0]) {
		abort();
	}
	json_decref(o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char *nl;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	nl = memchr(text, '\n', size);
	if (nl) {
		*nl = '\0';
		route(text);
		body(nl + 1, size - (size_t)(nl + 1 - text));
	} else {
		route(text);
	}
	free(text);
	return 0;
}
