/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The IGD actions: every recorded call decodes to its typed request, each
 * spec error code from one change of a good call, and every response read
 * back with expat (GetListOfPortMappings' listing, then the listing). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "upnp/igd.h"
#include "util/addrclass.h"
#include "upnp_testlib.h"

static const uint8_t seed[16] = { 9 };

static struct upnp_device device(unsigned version)
{
	struct upnp_device d;

	assert_true(upnp_device_init(&d, version, seed, "gw"));
	return d;
}

static int decode_vector(const char *file, struct igd_request *req)
{
	struct upnp_device d = device(strstr(file, "-v2-") ? 2 : 1);
	struct soap_request s;
	struct vector v;
	const char *why;
	int rc;

	assert_true(vector_load_one(file, &v));
	rc = soap_parse(v.soapaction, v.body, v.body_len, &s, &why);
	if (rc == UPNP_OK)
		rc = igd_decode(&d, &s, req);
	free(v.data);
	return rc;
}

static void recorded_calls_decode(void **state)
{
	struct vector v[VECTORS_MAX];
	size_t n = vectors_load_calls(v), calls = 0;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		struct igd_request req;
		int rc;

		rc = decode_vector(v[i].name, &req);
		if (rc != UPNP_OK)
			fail_msg("%s: %d", v[i].name, rc);
		assert_string_equal(igd_action_def(req.action)->name, v[i].what);
		calls++;
	}
	assert_true(calls >= 40);
	vectors_free(v, n);
}

static void v4(struct ip_addr *a, const char *s)
{
	struct in_addr in;

	assert_int_equal(inet_pton(AF_INET, s, &in), 1);
	*a = ip_addr_from_v4(ntohl(in.s_addr));
}

static void recorded_adds(void **state)
{
	struct igd_request req;
	struct ip_addr client;

	(void)state;
	v4(&client, "192.0.2.2");
	/* upnpc -a 192.0.2.2 8081 40001 UDP: lease 0, its own description. */
	assert_int_equal(decode_vector("upnpc-v1-35-AddPortMapping.http", &req), UPNP_OK);
	assert_int_equal(req.add.proto, IPPROTO_UDP);
	assert_int_equal(req.add.external_port, 40001);
	assert_int_equal(req.add.internal_port, 8081);
	assert_memory_equal(req.add.internal_client.b, client.b, 16);
	assert_true(req.add.enabled);
	assert_int_equal(req.add.lease, 0);
	assert_string_equal(req.add.description, "libminiupnpc");
	/* libtorrent: TCP 6881 for an hour. */
	assert_int_equal(decode_vector("libtorrent-05-AddPortMapping.http", &req), UPNP_OK);
	assert_int_equal(req.add.proto, IPPROTO_TCP);
	assert_int_equal(req.add.external_port, 6881);
	assert_int_equal(req.add.lease, 3600);
	assert_string_equal(req.add.description, "libtorrent/2.0.8.0");
	/* upnpc -n (IGD:2): AddAnyPortMapping. */
	assert_int_equal(decode_vector("upnpc-v2-12-AddAnyPortMapping.http", &req), UPNP_OK);
	assert_int_equal(req.action, IGD_ADD_ANY_PORT_MAPPING);
	assert_int_equal(req.version, 2);
	assert_int_equal(req.add.external_port, 40000);
	assert_int_equal(req.add.internal_port, 8080);
}

static void recorded_queries(void **state)
{
	struct igd_request req;

	(void)state;
	assert_int_equal(decode_vector("upnpc-v1-41-DeletePortMapping.http", &req), UPNP_OK);
	assert_int_equal(req.key.proto, IPPROTO_TCP);
	assert_int_equal(req.key.external_port, 40000);
	assert_int_equal(decode_vector("upnpc-v1-22-GetGenericPortMappingEntry.http", &req), UPNP_OK);
	assert_int_equal(req.index, 1);
	assert_int_equal(decode_vector("upnpc-v2-05-GetListOfPortMappings.http", &req), UPNP_OK);
	assert_int_equal(req.range.start_port, 0);
	assert_int_equal(req.range.end_port, 65535);
	assert_true(req.range.manage);
	assert_int_equal(req.range.max_entries, 1000);
	assert_int_equal(decode_vector("upnpc-v2-18-DeletePortMappingRange.http", &req), UPNP_OK);
	assert_int_equal(req.range.start_port, 40000);
	assert_int_equal(req.range.end_port, 40010);
}

/* A call built directly: "Name=value" pairs. */
static int call(unsigned dev_version, enum upnp_service svc, unsigned version,
		const char *action, const char *const *args, struct igd_request *req)
{
	struct upnp_device d = device(dev_version);
	struct soap_request s = { .service = svc, .version = version };

	snprintf(s.action, sizeof(s.action), "%s", action);
	for (; args && *args; args++, s.nargs++) {
		const char *eq = strchr(*args, '=');

		snprintf(s.args[s.nargs].name, sizeof(s.args[0].name), "%.*s", (int)(eq - *args), *args);
		snprintf(s.args[s.nargs].value, sizeof(s.args[0].value), "%s", eq + 1);
	}
	return igd_decode(&d, &s, req);
}

#define ADD_ARGS(rh, ep, pr, ip, ic, en, de, le) \
	((const char *const[]){ "NewRemoteHost=" rh, "NewExternalPort=" ep, "NewProtocol=" pr, \
		"NewInternalPort=" ip, "NewInternalClient=" ic, "NewEnabled=" en, \
		"NewPortMappingDescription=" de, "NewLeaseDuration=" le, NULL })

struct add_case {
	unsigned version;
	const char *const *args;
	int code;
};

static void add_errors(void **state)
{
	const struct add_case cases[] = {
		{ 1, ADD_ARGS("", "40000", "TCP", "8080", "10.66.0.2", "1", "x", "0"), UPNP_OK },
		{ 2, ADD_ARGS("", "40000", "udp", "8080", "10.66.0.2", "true", "", "604800"), UPNP_OK },
		{ 1, ADD_ARGS("198.51.100.1", "40000", "TCP", "8080", "10.66.0.2", "1", "x", "0"),
		  UPNP_REMOTE_HOST_WILDCARD_ONLY },
		{ 1, ADD_ARGS("", "0", "TCP", "8080", "10.66.0.2", "1", "x", "0"), UPNP_WILDCARD_EXT_PORT },
		{ 1, ADD_ARGS("", "40000", "TCP", "0", "10.66.0.2", "1", "x", "0"), UPNP_INVALID_ARGS },
		{ 2, ADD_ARGS("", "40000", "TCP", "0", "10.66.0.2", "1", "x", "0"), UPNP_WILDCARD_INT_PORT },
		{ 1, ADD_ARGS("", "65536", "TCP", "8080", "10.66.0.2", "1", "x", "0"), UPNP_INVALID_ARGS },
		{ 1, ADD_ARGS("", " 4000", "TCP", "8080", "10.66.0.2", "1", "x", "0"), UPNP_INVALID_ARGS },
		{ 1, ADD_ARGS("", "-1", "TCP", "8080", "10.66.0.2", "1", "x", "0"), UPNP_INVALID_ARGS },
		{ 1, ADD_ARGS("", "40000", "ICMP", "8080", "10.66.0.2", "1", "x", "0"), UPNP_INVALID_ARGS },
		{ 1, ADD_ARGS("", "40000", "TCP", "8080", "", "1", "x", "0"), UPNP_INVALID_ARGS },
		{ 1, ADD_ARGS("", "40000", "TCP", "8080", "10.66.0", "1", "x", "0"), UPNP_INVALID_ARGS },
		{ 1, ADD_ARGS("", "40000", "TCP", "8080", "fd00::2", "1", "x", "0"), UPNP_INVALID_ARGS },
		{ 1, ADD_ARGS("", "40000", "TCP", "8080", "10.66.0.2", "2", "x", "0"), UPNP_INVALID_ARGS },
		{ 1, ADD_ARGS("", "40000", "TCP", "8080", "10.66.0.2", "1", "a\nb", "0"), UPNP_INVALID_ARGS },
		{ 1, ADD_ARGS("", "40000", "TCP", "8080", "10.66.0.2", "1", "x", "4294967296"), UPNP_INVALID_ARGS },
		{ 1, ADD_ARGS("", "40000", "TCP", "8080", "10.66.0.2", "1", "x", "1h"), UPNP_INVALID_ARGS },
		/* One argument missing; one unknown added. */
		{ 1, ((const char *const[]){ "NewRemoteHost=", "NewExternalPort=1", "NewProtocol=TCP",
			"NewInternalPort=1", "NewInternalClient=10.66.0.2", "NewEnabled=1",
			"NewPortMappingDescription=", NULL }), UPNP_INVALID_ARGS },
		{ 1, ((const char *const[]){ "NewRemoteHost=", "NewExternalPort=1", "NewProtocol=TCP",
			"NewInternalPort=1", "NewInternalClient=10.66.0.2", "NewEnabled=1",
			"NewPortMappingDescription=", "NewLeaseDuration=0", "NewX=1", NULL }), UPNP_INVALID_ARGS },
	};
	struct igd_request req;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = call(cases[i].version, UPNP_SVC_IPCONN, cases[i].version, "AddPortMapping",
			      cases[i].args, &req);

		if (rc != cases[i].code)
			fail_msg("case %zu: %d, want %d", i, rc, cases[i].code);
	}
	/* AddAnyPortMapping takes external port 0: any. */
	assert_int_equal(call(2, UPNP_SVC_IPCONN, 2, "AddAnyPortMapping",
			      ADD_ARGS("", "0", "TCP", "8080", "10.66.0.2", "1", "x", "0"), &req), UPNP_OK);
	assert_int_equal(req.add.external_port, 0);
}

static void action_errors(void **state)
{
	static const char *const del[] = { "NewRemoteHost=", "NewExternalPort=40000", "NewProtocol=TCP", NULL };
	static const char *const del_rh[] = { "NewRemoteHost=198.51.100.1", "NewExternalPort=40000",
					      "NewProtocol=TCP", NULL };
	static const char *const del_0[] = { "NewRemoteHost=", "NewExternalPort=0", "NewProtocol=TCP", NULL };
	static const char *const range[] = { "NewStartPort=40010", "NewEndPort=40000", "NewProtocol=TCP",
					     "NewManage=1", NULL };
	static const char *const idx[] = { "NewPortMappingIndex=x", NULL };
	struct igd_request req;

	(void)state;
	assert_int_equal(call(1, UPNP_SVC_IPCONN, 1, "DeletePortMapping", del, &req), UPNP_OK);
	assert_int_equal(call(1, UPNP_SVC_IPCONN, 1, "DeletePortMapping", del_rh, &req), UPNP_NO_SUCH_ENTRY);
	assert_int_equal(call(1, UPNP_SVC_IPCONN, 1, "GetSpecificPortMappingEntry", del_rh, &req),
			 UPNP_NO_SUCH_ENTRY);
	assert_int_equal(call(1, UPNP_SVC_IPCONN, 1, "DeletePortMapping", del_0, &req), UPNP_INVALID_ARGS);
	assert_int_equal(call(2, UPNP_SVC_IPCONN, 2, "DeletePortMappingRange", range, &req),
			 UPNP_INCONSISTENT_PARAMETERS);
	assert_int_equal(call(1, UPNP_SVC_IPCONN, 1, "GetGenericPortMappingEntry", idx, &req), UPNP_INVALID_ARGS);
	/* Actions: not ours, v2 through :1, :2 of a v1 device, on the wrong service. */
	assert_int_equal(call(1, UPNP_SVC_IPCONN, 1, "ForceTermination", NULL, &req), UPNP_INVALID_ACTION);
	assert_int_equal(call(2, UPNP_SVC_IPCONN, 1, "DeletePortMappingRange", range, &req), UPNP_INVALID_ACTION);
	assert_int_equal(call(1, UPNP_SVC_IPCONN, 2, "GetExternalIPAddress", NULL, &req), UPNP_INVALID_ACTION);
	assert_int_equal(call(1, UPNP_SVC_IPCONN, 1, "GetTotalBytesSent", NULL, &req), UPNP_INVALID_ACTION);
	assert_int_equal(call(1, UPNP_SVC_COMMON, 1, "GetTotalBytesSent", NULL, &req), UPNP_OK);
	assert_int_equal(call(2, UPNP_SVC_COMMON, 2, "GetTotalBytesSent", NULL, &req), UPNP_INVALID_ACTION);
	/* An argument to an action that takes none. */
	assert_int_equal(call(1, UPNP_SVC_IPCONN, 1, "GetExternalIPAddress", idx, &req), UPNP_INVALID_ARGS);
}

static size_t encode(enum igd_action a, unsigned version, const struct igd_result *res, char *out, size_t cap)
{
	struct igd_request req = { .action = a, .service = igd_action_def(a)->service, .version = version };

	return igd_encode(out, cap, &req, res);
}

/* The listing is a CDATA section (miniupnpc decodes no entities there). */
static void listing_is_cdata(void **state)
{
	struct igd_entry e = { .proto = IPPROTO_TCP, .external_port = 1, .internal_port = 1,
			       .description = "]]>" };
	struct igd_result res = { .entries = &e, .nentries = 1 };
	char out[IGD_LIST_OVERHEAD + IGD_LIST_ENTRY_MAX], listing[2048];
	size_t n;

	(void)state;
	n = encode(IGD_GET_LIST_OF_PORT_MAPPINGS, 2, &res, out, sizeof(out));
	assert_non_null(strstr(out, "<NewPortListing><![CDATA[<?xml"));
	/* A description holding the CDATA end still reads back whole. */
	assert_true(doc_first(out, n, "NewPortListing", listing, sizeof(listing)));
	assert_true(doc_first(listing, strlen(listing), "NewDescription", out, sizeof(out)));
	assert_string_equal(out, "]]>");
}

/* Every action's response holds each output argument of the table, once. */
static void responses_follow_the_table(void **state)
{
	struct igd_result res;
	char out[4096];

	(void)state;
	memset(&res, 0, sizeof(res));
	for (unsigned a = 0; a < IGD_ACTION_COUNT; a++) {
		const struct igd_action_def *d = igd_action_def((enum igd_action)a);
		size_t n = encode((enum igd_action)a, d->min_version, &res, out, sizeof(out));

		assert_true(n > 0);
		for (const struct igd_arg_def *g = d->args; g < d->args + IGD_ARGS_MAX && g->name; g++) {
			struct doc doc;

			if (!g->out)
				continue;
			assert_true(doc_read(out, n, g->name, &doc));
			if (doc.n != 1)
				fail_msg("%s: %s %zu times", d->name, g->name, doc.n);
			doc_free(&doc);
		}
	}
}

static void entry_responses(void **state)
{
	struct igd_result res;
	char out[4096], val[512];
	size_t n;

	(void)state;
	memset(&res, 0, sizeof(res));
	v4(&res.external_ip, "203.0.113.7");
	n = encode(IGD_GET_EXTERNAL_IP_ADDRESS, 1, &res, out, sizeof(out));
	assert_true(doc_first(out, n, "NewExternalIPAddress", val, sizeof(val)));
	assert_string_equal(val, "203.0.113.7");
	/* No external address: the empty string. */
	memset(&res.external_ip, 0, sizeof(res.external_ip));
	n = encode(IGD_GET_EXTERNAL_IP_ADDRESS, 1, &res, out, sizeof(out));
	assert_true(doc_first(out, n, "NewExternalIPAddress", val, sizeof(val)));
	assert_string_equal(val, "");

	res.entry = (struct igd_entry){ .proto = IPPROTO_UDP, .external_port = 40001, .internal_port = 8081,
					.enabled = true, .lease_remaining = 3599, .description = "a <b> & \"c\"" };
	v4(&res.entry.internal_client, "10.66.0.2");
	n = encode(IGD_GET_GENERIC_PORT_MAPPING_ENTRY, 1, &res, out, sizeof(out));
	assert_true(doc_first(out, n, "NewProtocol", val, sizeof(val)));
	assert_string_equal(val, "UDP");
	assert_true(doc_first(out, n, "NewExternalPort", val, sizeof(val)));
	assert_string_equal(val, "40001");
	assert_true(doc_first(out, n, "NewInternalClient", val, sizeof(val)));
	assert_string_equal(val, "10.66.0.2");
	assert_true(doc_first(out, n, "NewPortMappingDescription", val, sizeof(val)));
	assert_string_equal(val, "a <b> & \"c\"");
	assert_true(doc_first(out, n, "NewLeaseDuration", val, sizeof(val)));
	assert_string_equal(val, "3599");
	/* ui4 counters wrap. */
	res.counter = (1ull << 32) + 5;
	n = encode(IGD_GET_TOTAL_BYTES_RECEIVED, 1, &res, out, sizeof(out));
	assert_true(doc_first(out, n, "NewTotalBytesReceived", val, sizeof(val)));
	assert_string_equal(val, "5");
	for (size_t cap = 0; cap <= n; cap++)
		assert_int_equal(encode(IGD_GET_TOTAL_BYTES_RECEIVED, 1, &res, out, cap), 0);
}

static void listing_reads_back(void **state)
{
	struct igd_entry e[2] = {
		{ .proto = IPPROTO_TCP, .external_port = 40000, .internal_port = 8080, .enabled = true,
		  .lease_remaining = 100, .description = "x<y>&z" },
		{ .proto = IPPROTO_UDP, .external_port = 40001, .internal_port = 8081, .enabled = true },
	};
	struct igd_result res = { .entries = e, .nentries = 2 };
	char out[IGD_LIST_OVERHEAD + 2 * IGD_LIST_ENTRY_MAX], listing[4096];
	struct doc ports, descs;
	size_t n;

	(void)state;
	v4(&e[0].internal_client, "10.66.0.2");
	v4(&e[1].internal_client, "10.66.0.3");
	n = encode(IGD_GET_LIST_OF_PORT_MAPPINGS, 2, &res, out, sizeof(out));
	assert_true(n > 0);
	assert_true(doc_first(out, n, "NewPortListing", listing, sizeof(listing)));
	assert_true(doc_read(listing, strlen(listing), "NewExternalPort", &ports));
	assert_int_equal(ports.n, 2);
	assert_string_equal(ports.texts[1], "40001");
	doc_free(&ports);
	assert_true(doc_read(listing, strlen(listing), "NewDescription", &descs));
	assert_int_equal(descs.n, 2);
	assert_string_equal(descs.texts[0], "x<y>&z");
	assert_string_equal(descs.texts[1], "");
	doc_free(&descs);
}

/* The size bound the header promises: an entry with the longest description
 * of characters that escape the most fits IGD_LIST_ENTRY_MAX. */
static void listing_entry_bound(void **state)
{
	char desc[IGD_DESC_MAX + 1], out[IGD_LIST_OVERHEAD + IGD_LIST_ENTRY_MAX];
	struct igd_entry e = { .proto = IPPROTO_UDP, .external_port = 65535, .internal_port = 65535,
			       .enabled = true, .lease_remaining = UINT32_MAX, .description = desc };
	struct igd_result res = { .entries = &e, .nentries = 1 };

	(void)state;
	memset(desc, '"', IGD_DESC_MAX);
	desc[IGD_DESC_MAX] = '\0';
	v4(&e.internal_client, "255.255.255.255");
	assert_true(encode(IGD_GET_LIST_OF_PORT_MAPPINGS, 2, &res, out, sizeof(out)) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(recorded_calls_decode),
		cmocka_unit_test(recorded_adds),
		cmocka_unit_test(recorded_queries),
		cmocka_unit_test(add_errors),
		cmocka_unit_test(action_errors),
		cmocka_unit_test(responses_follow_the_table),
		cmocka_unit_test(entry_responses),
		cmocka_unit_test(listing_reads_back),
		cmocka_unit_test(listing_entry_bound),
		cmocka_unit_test(listing_is_cdata),
	};

	return cmocka_run_group_tests_name("upnp igd", tests, NULL, NULL);
}
