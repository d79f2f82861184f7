/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The HTTP API's pure parts: routes from the untrusted path, the token
 * (its file's permissions, the constant-time compare), a forward's JSON,
 * peer names and keys, and the state file's round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "daemon/api.h"
#include "daemon/apiroute.h"
#include "daemon/forwardspec.h"
#include "daemon/forwardstore.h"

#define KEY_A "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo="

static unsigned route(const char *method, const char *path, struct api_route *r)
{
	const char *why = NULL;
	unsigned status = api_route_parse(method, path, r, &why);

	if (status)
		assert_non_null(why);
	return status;
}

static void routes(void **state)
{
	struct api_route r;

	(void)state;
	assert_int_equal(route("GET", "/api/status", &r), 0);
	assert_int_equal(r.kind, API_STATUS);
	assert_int_equal(route("GET", "/api/portforwards", &r), 0);
	assert_int_equal(r.kind, API_MAPPINGS);
	assert_int_equal(route("POST", "/api/portforwards", &r), 405);
	assert_int_equal(route("GET", "/api/nothing", &r), 404);
	assert_int_equal(route("GET", "/api/clients/alice/portforwards", &r), 0);
	assert_int_equal(r.kind, API_CLIENT_MAPPINGS);
	assert_string_equal(r.id, "alice");
	assert_int_equal(route("POST", "/api/clients/alice/portforwards", &r), 0);
	assert_int_equal(r.kind, API_CLIENT_ADD);
	assert_int_equal(route("PUT", "/api/clients/alice/portforwards", &r), 405);
	/* A key's '/' and '=' raw or percent-encoded: the same id. */
	assert_int_equal(route("GET", "/api/clients/ab/cd=/portforwards", &r), 0);
	assert_string_equal(r.id, "ab/cd=");
	assert_int_equal(route("GET", "/api/clients/ab%2Fcd%3d/portforwards", &r), 0);
	assert_string_equal(r.id, "ab/cd=");
	assert_int_equal(route("GET", "/api/clients/a%2/portforwards", &r), 400);
	assert_int_equal(route("GET", "/api/clients/a%00b/portforwards", &r), 400);
	assert_int_equal(route("GET", "/api/clients//portforwards", &r), 404);
	assert_int_equal(route("DELETE", "/api/clients/alice/portforwards/both/24000", &r), 0);
	assert_int_equal(r.kind, API_CLIENT_DEL);
	assert_int_equal(r.protos, 3);
	assert_int_equal(r.port, 24000);
	assert_string_equal(r.id, "alice");
	assert_int_equal(route("DELETE", "/api/clients/alice/portforwards/sctp/1", &r), 400);
	assert_int_equal(route("DELETE", "/api/clients/alice/portforwards/tcp/0", &r), 400);
	assert_int_equal(route("DELETE", "/api/clients/alice/portforwards/tcp/65536", &r), 400);
	assert_int_equal(route("DELETE", "/api/clients/alice/portforwards/tcp/+80", &r), 400);
	assert_int_equal(route("DELETE", "/api/clients/alice/portforwards", &r), 404);
}

static void token_compare(void **state)
{
	(void)state;
	assert_true(api_authorized("Bearer 0123456789abcdef", "0123456789abcdef"));
	assert_false(api_authorized("Bearer 0123456789abcdeF", "0123456789abcdef"));
	assert_false(api_authorized("Bearer 0123456789abcde", "0123456789abcdef"));
	assert_false(api_authorized("Bearer 0123456789abcdef0", "0123456789abcdef"));
	assert_false(api_authorized("Basic 0123456789abcdef", "0123456789abcdef"));
	assert_false(api_authorized("Bearer ", "0123456789abcdef"));
	assert_false(api_authorized(NULL, "0123456789abcdef"));
}

static void token_file(void **state)
{
	char dir[] = "/tmp/pgapi.XXXXXX", path[64], tok[API_TOKEN_MAX + 1], err[256];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("s3cret-s3cret-s3cret\n", f);
	fclose(f);
	chmod(path, 0644);
	assert_int_equal(api_read_token(path, tok, sizeof(tok), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "others may read"));
	chmod(path, 0600);
	assert_int_equal(api_read_token(path, tok, sizeof(tok), err, sizeof(err)), 0);
	assert_string_equal(tok, "s3cret-s3cret-s3cret");
	f = fopen(path, "w");
	fputs("short\n", f);
	fclose(f);
	assert_int_equal(api_read_token(path, tok, sizeof(tok), err, sizeof(err)), -1);
	unlink(path);
	assert_int_equal(api_read_token(path, tok, sizeof(tok), err, sizeof(err)), -1);
	rmdir(dir);
}

static int forward_of(const char *text, struct policy_forward *f, char *err, size_t len)
{
	json_error_t jerr;
	json_t *o = json_loads(text, 0, &jerr);
	int ret = forward_from_json(o, false, f, err, len);

	json_decref(o);
	return ret;
}

static void forward_json(void **state)
{
	struct policy_forward f;
	char err[256];

	(void)state;
	assert_int_equal(forward_of("{\"protocol\": \"both\", \"external\": 24000}", &f, err,
				    sizeof(err)), 0);
	assert_int_equal(f.protos, 3);
	assert_int_equal(f.internal_port, 24000);
	assert_true(f.runtime);
	assert_false(f.has_address);
	assert_int_equal(forward_of("{\"protocol\": \"tcp\", \"external\": 2222, \"internal\": 22, "
				    "\"address\": \"10.0.0.5\"}", &f, err, sizeof(err)), 0);
	assert_int_equal(f.address, 0x0a000005);
	assert_int_equal(forward_of("{\"protocol\": \"sctp\", \"external\": 1}", &f, err,
				    sizeof(err)), -1);
	assert_int_equal(forward_of("{\"protocol\": \"tcp\"}", &f, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "external"));
	assert_int_equal(forward_of("{\"protocol\": \"tcp\", \"external\": \"eighty\"}", &f, err,
				    sizeof(err)), -1);
	assert_int_equal(forward_of("{\"protocol\": \"tcp\", \"external\": 80, \"peer\": \""
				    KEY_A "\"}", &f, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown key"));
	assert_int_equal(forward_of("[1]", &f, err, sizeof(err)), -1);
	assert_int_equal(forward_from_json(NULL, false, &f, err, sizeof(err)), -1);
}

static void peers_by_name_and_key(void **state)
{
	struct policy_peer peer = { .name = "alice" };
	struct policy p = { .peers = &peer, .n_peers = 1 };
	uint8_t key[32];

	(void)state;
	memset(peer.key, 0xaa, 32);
	assert_true(peer_resolve(&p, "alice", key));
	assert_memory_equal(key, peer.key, 32);
	assert_true(peer_resolve(&p, KEY_A, key));
	/* URL-safe base64 of a key holding both '+' and '/'. */
	assert_true(peer_resolve(&p, "-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_8=", key));
	assert_int_equal(key[0], 0xfb);
	assert_false(peer_resolve(&p, "bob", key));
	assert_false(peer_resolve(&p, "", key));
}

static void state_file_round_trip(void **state)
{
	char dir[] = "/tmp/pgstate.XXXXXX", sub[64], path[96], err[256];
	struct policy_forward in[2] = {
		{ .protos = 2, .external_port = 2222, .internal_port = 22, .runtime = true },
		{ .protos = 3, .external_port = 24000, .internal_port = 24000, .has_address = true,
		  .address = 0x0a000009, .runtime = true },
	};
	struct policy_forward *out;
	size_t n;
	FILE *f;

	(void)state;
	memset(in[0].key, 0xaa, 32);
	memset(in[1].key, 0xbb, 32);
	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/state", dir);
	snprintf(path, sizeof(path), "%s/" FORWARD_STORE_FILE, sub);
	assert_int_equal(forward_store_load(sub, &out, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 0);		/* none yet: empty */
	free(out);
	assert_int_equal(forward_store_save(sub, in, 2, err, sizeof(err)), 0);
	assert_int_equal(forward_store_load(sub, &out, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < 2; i++) {
		assert_memory_equal(out[i].key, in[i].key, 32);
		assert_int_equal(out[i].protos, in[i].protos);
		assert_int_equal(out[i].external_port, in[i].external_port);
		assert_int_equal(out[i].internal_port, in[i].internal_port);
		assert_int_equal(out[i].has_address, in[i].has_address);
		assert_int_equal(out[i].address, in[i].address);
		assert_true(out[i].runtime);
	}
	free(out);
	f = fopen(path, "w");
	fputs("{\"forwards\": [{\"protocol\": \"tcp\"}]}", f);
	fclose(f);
	assert_int_equal(forward_store_load(sub, &out, &n, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "forward 1"));
	unlink(path);
	rmdir(sub);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(routes),
		cmocka_unit_test(token_compare),
		cmocka_unit_test(token_file),
		cmocka_unit_test(forward_json),
		cmocka_unit_test(peers_by_name_and_key),
		cmocka_unit_test(state_file_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
