/* SPDX-License-Identifier: GPL-2.0-or-later */
/* SOAP 1.1 control messages (UDA 1.1 §3): a request body parsed by expat
 * into a bounded struct (service, version, action, arguments), checked
 * against the SOAPACTION header; responses and UPnPError faults built with
 * XML escaping. Pure code: no sockets, caller-owned buffers. */
#ifndef PORTGATE_UPNP_SOAP_H
#define PORTGATE_UPNP_SOAP_H

#include <stddef.h>

#include "upnp/upnp.h"

#define SOAP_BODY_MAX 8192		/* a longer body is refused unread */
#define SOAP_ARGS_MAX 12		/* AddPortMapping has 8 */
#define SOAP_NAME_MAX 40		/* the longest argument name is 26 */
#define SOAP_VALUE_MAX 256		/* a description, at most */
#define SOAP_ACTION_MAX 40
#define SOAP_DEPTH_MAX 8		/* inside s:Header only; the Body is 4 deep */

/* UPnP error codes of the control layer (UDA 1.1 §3.2.2) and of the IGD
 * services (WANIPConnection:2 §2.5). */
enum upnp_error {
	UPNP_OK = 0,
	UPNP_INVALID_ACTION = 401,
	UPNP_INVALID_ARGS = 402,
	UPNP_ACTION_FAILED = 501,
	UPNP_NOT_AUTHORIZED = 606,
	UPNP_ARRAY_INDEX_INVALID = 713,
	UPNP_NO_SUCH_ENTRY = 714,
	UPNP_WILDCARD_EXT_PORT = 716,
	UPNP_CONFLICT = 718,
	UPNP_SAME_PORT_REQUIRED = 724,
	UPNP_ONLY_PERMANENT_LEASE = 725,
	UPNP_REMOTE_HOST_WILDCARD_ONLY = 726,
	UPNP_EXT_PORT_WILDCARD_ONLY = 727,
	UPNP_NO_PORT_MAPS_AVAILABLE = 728,
	UPNP_CONFLICT_OTHER_MECHANISM = 729,
	UPNP_PORT_MAPPING_NOT_FOUND = 730,
	UPNP_READ_ONLY = 731,
	UPNP_WILDCARD_INT_PORT = 732,
	UPNP_INCONSISTENT_PARAMETERS = 733,
};

/* "Invalid Args", "ConflictInMappingEntry", ...; "Action Failed" for a
 * code not listed. */
const char *upnp_error_name(int code);

struct soap_arg {
	char name[SOAP_NAME_MAX + 1];
	char value[SOAP_VALUE_MAX + 1];	/* UTF-8, entities resolved; no NUL inside */
};

struct soap_request {
	enum upnp_service service;
	unsigned version;		/* as the request named the service */
	char action[SOAP_ACTION_MAX + 1];
	struct soap_arg args[SOAP_ARGS_MAX];
	size_t nargs;
};

/* soapaction: the SOAPACTION header's value ("URN#Action", quoted or not);
 * body: the HTTP body, len bytes. The body must be one s:Envelope (SOAP 1.1
 * namespace) whose s:Body holds exactly one element, the action, in the
 * service's namespace, named as the header names it, whose children are
 * arguments: leaf elements of at most SOAP_VALUE_MAX bytes, at most
 * SOAP_ARGS_MAX of them, each name once. A DOCTYPE (so any entity
 * declaration) is refused. Returns UPNP_OK, UPNP_INVALID_ACTION (not a
 * SOAP call of ours: bad XML, header, envelope, service or action name) or
 * UPNP_INVALID_ARGS (arguments over the limits), with *why for the log. */
int soap_parse(const char *soapaction, const char *body, size_t len,
	       struct soap_request *req, const char **why);

/* An ActionResponse written piece by piece into t (text.h, internal to
 * src/upnp): open, one soap_put_arg per output argument (value escaped),
 * close. */
struct text;
void soap_response_open(struct text *t, enum upnp_service service,
			unsigned version, const char *action);
void soap_put_arg(struct text *t, const char *name, const char *value);
void soap_response_close(struct text *t, const char *action);
/* A s:Fault with UPnPError errorCode and errorDescription (HTTP 500). */
size_t soap_encode_fault(char *out, size_t cap, int code);

#endif
