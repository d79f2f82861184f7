/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: a control call, the SOAPACTION header's value up to the
 * first newline and the body after it, through the SOAP parser and the IGD
 * decoder of both device versions. A decoded call must encode an answer;
 * a refused one must have a fault of a code we define. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "upnp/igd.h"
#include "upnp/soap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char out[IGD_LIST_OVERHEAD + IGD_LIST_ENTRY_MAX];

static void check_fault(int code)
{
	if (strcmp(upnp_error_name(code), "Action Failed") == 0 && code != UPNP_ACTION_FAILED)
		abort();
	if (soap_encode_fault(out, sizeof(out), code) == 0)
		abort();
}

static void check_decode(const struct soap_request *s, unsigned version)
{
	static const uint8_t seed[16] = { 4, 5, 6 };
	struct igd_entry e = { .proto = 6, .external_port = 1, .internal_port = 1, .description = "d" };
	struct igd_result res = { .entries = &e, .nentries = 1, .entry = e };
	struct igd_request req;
	struct upnp_device d;
	int rc;

	if (!upnp_device_init(&d, version, seed, "fuzz"))
		abort();
	rc = igd_decode(&d, s, &req);
	if (rc != UPNP_OK) {
		check_fault(rc);
		return;
	}
	if (req.action >= IGD_ACTION_COUNT || req.version > version)
		abort();
	if (igd_encode(out, sizeof(out), &req, &res) == 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	char *hdr;
	struct soap_request s;
	const char *why;
	size_t hlen;
	int rc;

	if (!nl)
		return 0;
	hlen = (size_t)(nl - data);
	hdr = malloc(hlen + 1);
	if (!hdr)
		return 0;
	memcpy(hdr, data, hlen);
	hdr[hlen] = '\0';
	rc = soap_parse(hdr, (const char *)nl + 1, size - hlen - 1, &s, &why);
	free(hdr);
	if (rc != UPNP_OK) {
		if (!why || !why[0])
			abort();
		check_fault(rc);
		return 0;
	}
	if (s.nargs > SOAP_ARGS_MAX || !s.action[0])
		abort();
	for (size_t i = 0; i < s.nargs; i++)
		if (!s.args[i].name[0] || strlen(s.args[i].value) > SOAP_VALUE_MAX)
			abort();
	check_decode(&s, 1);
	check_decode(&s, 2);
	return 0;
}
