/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SOAP: the control calls upnpc and libtorrent sent (tests/unit/data/upnp)
 * through expat, every refusal one change from a good call, the limits, and
 * faults read back as XML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "upnp/soap.h"
#include "upnp/text.h"
#include "upnp_testlib.h"

#define IPC1 "urn:schemas-upnp-org:service:WANIPConnection:1"
#define ENV_OPEN "<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" " \
		 "s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>"
#define ENV_CLOSE "</s:Body></s:Envelope>\r\n"
#define CALL(args) ENV_OPEN "<u:DeletePortMapping xmlns:u=\"" IPC1 "\">" args "</u:DeletePortMapping>" ENV_CLOSE
#define GOOD_ARGS "<NewRemoteHost></NewRemoteHost><NewExternalPort>40000</NewExternalPort><NewProtocol>TCP</NewProtocol>"
#define HDR "\"" IPC1 "#DeletePortMapping\""

static int parse(const char *hdr, const char *body, struct soap_request *req, const char **why)
{
	return soap_parse(hdr, body, strlen(body), req, why);
}

static void recorded_calls_parse(void **state)
{
	struct vector v[VECTORS_MAX];
	size_t n = vectors_load_calls(v), calls = 0;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		struct soap_request req;
		const char *why;
		bool v2 = strstr(v[i].name, "-v2-") != NULL;
		int rc;

		rc = soap_parse(v[i].soapaction, v[i].body, v[i].body_len, &req, &why);
		if (rc != UPNP_OK)
			fail_msg("%s: %d %s", v[i].name, rc, why);
		assert_string_equal(req.action, v[i].what);
		if (!strncmp(v[i].what, "GetTotal", 8) || !strcmp(v[i].what, "GetCommonLinkProperties")) {
			assert_int_equal(req.service, UPNP_SVC_COMMON);
			assert_int_equal(req.version, 1);
		} else {
			assert_int_equal(req.service, UPNP_SVC_IPCONN);
			assert_int_equal(req.version, v2 ? 2 : 1);
		}
		calls++;
	}
	assert_true(calls >= 40);
	vectors_free(v, n);
}

static void unescaped_description_refused(void **state)
{
	struct vector v;
	struct soap_request req;
	const char *why;

	(void)state;
	assert_true(vector_load_one(UNESCAPED_VECTOR, &v));
	/* expat meets <app> first: an element inside an argument. */
	assert_int_equal(soap_parse(v.soapaction, v.body, v.body_len, &req, &why), UPNP_INVALID_ARGS);
	assert_string_equal(why, "an argument is not a leaf element");
	free(v.data);
}

static void libtorrent_add_arguments(void **state)
{
	static const char *const want[][2] = {
		{ "NewRemoteHost", "" }, { "NewExternalPort", "6881" }, { "NewProtocol", "TCP" },
		{ "NewInternalPort", "6881" }, { "NewInternalClient", "192.0.2.2" }, { "NewEnabled", "1" },
		{ "NewPortMappingDescription", "libtorrent/2.0.8.0" }, { "NewLeaseDuration", "3600" },
	};
	struct vector v;
	struct soap_request req;
	const char *why;

	(void)state;
	assert_true(vector_load_one("libtorrent-05-AddPortMapping.http", &v));
	/* libtorrent spells the header "Soapaction". */
	assert_int_equal(soap_parse(v.soapaction, v.body, v.body_len, &req, &why), UPNP_OK);
	assert_int_equal(req.nargs, 8);
	for (size_t i = 0; i < 8; i++) {
		assert_string_equal(req.args[i].name, want[i][0]);
		assert_string_equal(req.args[i].value, want[i][1]);
	}
	free(v.data);
}

static void good_call(void **state)
{
	struct soap_request req;
	const char *why;

	(void)state;
	assert_int_equal(parse(HDR, CALL(GOOD_ARGS), &req, &why), UPNP_OK);
	assert_null(why);
	assert_int_equal(req.nargs, 3);
	/* Unquoted header, a Header element, entities and arguments in the
	 * action's namespace are all fine. */
	assert_int_equal(parse(" " IPC1 "#DeletePortMapping ",
			       ENV_OPEN "<u:DeletePortMapping xmlns:u=\"" IPC1 "\"><u:NewProtocol>a&amp;&lt;b</u:NewProtocol>"
			       "</u:DeletePortMapping>" ENV_CLOSE, &req, &why), UPNP_OK);
	assert_string_equal(req.args[0].value, "a&<b");
	assert_int_equal(parse(HDR, "<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\"><s:Header><x><y/></x>"
			       "</s:Header><s:Body><u:DeletePortMapping xmlns:u=\"" IPC1 "\"/></s:Body></s:Envelope>",
			       &req, &why), UPNP_OK);
	assert_int_equal(req.nargs, 0);
}

struct bad {
	const char *hdr, *body;
	int code;
	const char *why;
};

static void refusals(void **state)
{
	static const struct bad bad[] = {
		{ NULL, CALL(GOOD_ARGS), 401, "SOAPACTION is not URN#Action of a service of ours" },
		{ "\"" IPC1 "\"", CALL(GOOD_ARGS), 401, "SOAPACTION is not URN#Action of a service of ours" },
		{ "\"urn:schemas-upnp-org:service:WANPPPConnection:1#DeletePortMapping\"", CALL(GOOD_ARGS), 401,
		  "SOAPACTION is not URN#Action of a service of ours" },
		{ "\"" IPC1 "#Delete-PortMapping\"", CALL(GOOD_ARGS), 401,
		  "SOAPACTION is not URN#Action of a service of ours" },
		{ "\"" IPC1 "#AddPortMapping\"", CALL(GOOD_ARGS), 401, "action is not the one SOAPACTION names" },
		{ "\"urn:schemas-upnp-org:service:WANIPConnection:2#DeletePortMapping\"", CALL(GOOD_ARGS), 401,
		  "action's namespace is not SOAPACTION's service" },
		{ HDR, "<!DOCTYPE s [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>" CALL(GOOD_ARGS),
		  401, "DOCTYPE refused" },
		{ HDR, "<!DOCTYPE s SYSTEM \"file:///etc/passwd\">" CALL(GOOD_ARGS), 401, "DOCTYPE refused" },
		{ HDR, "<Envelope><Body/></Envelope>", 401, "not a SOAP 1.1 envelope" },
		{ HDR, "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body/></s:Envelope>", 401,
		  "not a SOAP 1.1 envelope" },
		{ HDR, ENV_OPEN ENV_CLOSE, 401, "no action in the body" },
		{ HDR, CALL(GOOD_ARGS "</u:DeletePortMapping><u:DeletePortMapping xmlns:u=\"" IPC1 "\">"), 401,
		  "more than one action in the body" },
		{ HDR, ENV_OPEN "</s:Body><s:Body>" ENV_CLOSE, 401,
		  "envelope holds something other than one Header and one Body" },
		{ HDR, CALL("<NewProtocol>TCP</NewProtocol"), 401, "not well-formed XML" },
		{ HDR, CALL("<NewProtocol>T & C</NewProtocol>"), 401, "not well-formed XML" },
		{ HDR, CALL("<NewProtocol><b>TCP</b></NewProtocol>"), 402, "an argument is not a leaf element" },
		{ HDR, CALL("<NewProtocol>TCP</NewProtocol><NewProtocol>UDP</NewProtocol>"), 402, "argument given twice" },
		{ HDR, CALL("<x:NewProtocol xmlns:x=\"urn:other\">TCP</x:NewProtocol>"), 402,
		  "argument in a foreign namespace" },
		{ HDR, CALL("<NewProtocolNewProtocolNewProtocolNewProtoc>1</NewProtocolNewProtocolNewProtocolNewProtoc>"),
		  402, "argument name too long" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct soap_request req;
		const char *why = NULL;
		int rc = parse(bad[i].hdr, bad[i].body, &req, &why);

		if (rc != bad[i].code || !why || strcmp(why, bad[i].why))
			fail_msg("case %zu: %d %s", i, rc, why ? why : "(none)");
	}
}

static void argument_limits(void **state)
{
	char args[4096], body[SOAP_BODY_MAX + 64];
	struct soap_request req;
	const char *why;
	size_t n = 0;

	(void)state;
	/* SOAP_ARGS_MAX arguments pass, one more does not. */
	for (int i = 0; i < SOAP_ARGS_MAX; i++)
		n += (size_t)snprintf(args + n, sizeof(args) - n, "<A%d>1</A%d>", i, i);
	snprintf(body, sizeof(body), CALL("%s"), args);
	assert_int_equal(parse(HDR, body, &req, &why), UPNP_OK);
	assert_int_equal(req.nargs, SOAP_ARGS_MAX);
	snprintf(args + n, sizeof(args) - n, "<Z>1</Z>");
	snprintf(body, sizeof(body), CALL("%s"), args);
	assert_int_equal(parse(HDR, body, &req, &why), UPNP_INVALID_ARGS);
	assert_string_equal(why, "too many arguments");
	/* A value of SOAP_VALUE_MAX bytes passes, one more does not. */
	snprintf(body, sizeof(body), CALL("<A>%0*d</A>"), SOAP_VALUE_MAX, 0);
	assert_int_equal(parse(HDR, body, &req, &why), UPNP_OK);
	assert_int_equal(strlen(req.args[0].value), SOAP_VALUE_MAX);
	snprintf(body, sizeof(body), CALL("<A>%0*d</A>"), SOAP_VALUE_MAX + 1, 0);
	assert_int_equal(parse(HDR, body, &req, &why), UPNP_INVALID_ARGS);
	assert_string_equal(why, "argument value too long");
	/* A body of SOAP_BODY_MAX bytes is read, one more is not. */
	n = (size_t)snprintf(body, sizeof(body), CALL(GOOD_ARGS));
	memset(body + n, ' ', sizeof(body) - n);
	assert_int_equal(soap_parse(HDR, body, SOAP_BODY_MAX, &req, &why), UPNP_OK);
	assert_int_equal(soap_parse(HDR, body, SOAP_BODY_MAX + 1, &req, &why), UPNP_INVALID_ACTION);
	assert_string_equal(why, "body too long");
}

static void fault_reads_back(void **state)
{
	char out[1024], text_[64];
	size_t n;

	(void)state;
	n = soap_encode_fault(out, sizeof(out), UPNP_CONFLICT);
	assert_true(n > 0);
	assert_true(doc_first(out, n, "errorCode", text_, sizeof(text_)));
	assert_string_equal(text_, "718");
	assert_true(doc_first(out, n, "errorDescription", text_, sizeof(text_)));
	assert_string_equal(text_, "ConflictInMappingEntry");
	assert_true(doc_first(out, n, "faultstring", text_, sizeof(text_)));
	assert_string_equal(text_, "UPnPError");
	for (size_t cap = 0; cap <= n; cap++)
		assert_int_equal(soap_encode_fault(out, cap, UPNP_CONFLICT), 0);
	assert_string_equal(upnp_error_name(999), "Action Failed");
}

static void response_escapes(void **state)
{
	char out[1024], value[64];
	struct text t = text_init(out, sizeof(out));
	size_t n;

	(void)state;
	soap_response_open(&t, UPNP_SVC_IPCONN, 2, "X");
	soap_put_arg(&t, "V", "<a href=\"x\">&'</a>");
	soap_response_close(&t, "X");
	n = text_done(&t);
	assert_true(n > 0);
	assert_true(doc_first(out, n, "V", value, sizeof(value)));
	assert_string_equal(value, "<a href=\"x\">&'</a>");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(recorded_calls_parse),
		cmocka_unit_test(unescaped_description_refused),
		cmocka_unit_test(libtorrent_add_arguments),
		cmocka_unit_test(good_call),
		cmocka_unit_test(refusals),
		cmocka_unit_test(argument_limits),
		cmocka_unit_test(fault_reads_back),
		cmocka_unit_test(response_escapes),
	};

	return cmocka_run_group_tests_name("upnp soap", tests, NULL, NULL);
}
