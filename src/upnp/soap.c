/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "upnp/soap.h"
#include "upnp/text.h"

#include <expat.h>
#include <stdbool.h>
#include <string.h>

#define SOAP_ENV_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define SOAP_ENC_NS "http://schemas.xmlsoap.org/soap/encoding/"
/* expat joins a namespace URI and a local name with this. */
#define NS_SEP ' '

struct parse {
	XML_Parser xp;
	struct soap_request *req;
	char urn[UPNP_URN_MAX + 1];	/* the service's, from the header */
	unsigned depth;
	bool in_body, in_header, seen_body, seen_action;
	struct soap_arg *arg;		/* the argument whose text is read */
	size_t arg_len;
	int error;
	const char *why;
};

static void fail(struct parse *p, int code, const char *why)
{
	if (!p->error) {
		p->error = code;
		p->why = why;
	}
	XML_StopParser(p->xp, XML_FALSE);
}

/* name is "URI<sep>local" or "local"; true if its URI is uri (NULL: none). */
static bool name_is(const char *name, const char *uri, const char *local)
{
	const char *sep = strchr(name, NS_SEP);

	if (!uri)
		return !sep && strcmp(name, local) == 0;
	return sep && (size_t)(sep - name) == strlen(uri) &&
	       strncmp(name, uri, (size_t)(sep - name)) == 0 && strcmp(sep + 1, local) == 0;
}

static void start_arg(struct parse *p, const char *name)
{
	const char *sep = strchr(name, NS_SEP);
	const char *local = sep ? sep + 1 : name;
	struct soap_request *r = p->req;

	/* Arguments come unqualified; a few clients qualify them with the
	 * action's own namespace. */
	if (sep && ((size_t)(sep - name) != strlen(p->urn) || strncmp(name, p->urn, (size_t)(sep - name))))
		return fail(p, UPNP_INVALID_ARGS, "argument in a foreign namespace");
	if (strlen(local) > SOAP_NAME_MAX)
		return fail(p, UPNP_INVALID_ARGS, "argument name too long");
	if (r->nargs == SOAP_ARGS_MAX)
		return fail(p, UPNP_INVALID_ARGS, "too many arguments");
	for (size_t i = 0; i < r->nargs; i++)
		if (strcmp(r->args[i].name, local) == 0)
			return fail(p, UPNP_INVALID_ARGS, "argument given twice");
	p->arg = &r->args[r->nargs++];
	strcpy(p->arg->name, local);
	p->arg->value[0] = '\0';
	p->arg_len = 0;
}

static void start_action(struct parse *p, const char *name)
{
	size_t n = strlen(p->urn);

	if (p->seen_action)
		return fail(p, UPNP_INVALID_ACTION, "more than one action in the body");
	p->seen_action = true;
	if (strncmp(name, p->urn, n) || name[n] != NS_SEP)
		return fail(p, UPNP_INVALID_ACTION, "action's namespace is not SOAPACTION's service");
	if (strcmp(name + n + 1, p->req->action))
		return fail(p, UPNP_INVALID_ACTION, "action is not the one SOAPACTION names");
}

static void XMLCALL on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct parse *p = ud;

	(void)atts;
	if (++p->depth > SOAP_DEPTH_MAX)
		return fail(p, UPNP_INVALID_ACTION, "nested too deep");
	switch (p->depth) {
	case 1:
		if (!name_is(name, SOAP_ENV_NS, "Envelope"))
			fail(p, UPNP_INVALID_ACTION, "not a SOAP 1.1 envelope");
		return;
	case 2:
		if (name_is(name, SOAP_ENV_NS, "Header") && !p->seen_body) {
			p->in_header = true;
		} else if (name_is(name, SOAP_ENV_NS, "Body") && !p->seen_body) {
			p->in_body = p->seen_body = true;
		} else {
			fail(p, UPNP_INVALID_ACTION, "envelope holds something other than one Header and one Body");
		}
		return;
	}
	if (p->in_header)
		return;
	if (p->depth == 3)
		return start_action(p, name);
	if (p->depth == 4)
		return start_arg(p, name);
	fail(p, UPNP_INVALID_ARGS, "an argument is not a leaf element");
}

static void XMLCALL on_end(void *ud, const XML_Char *name)
{
	struct parse *p = ud;

	(void)name;
	if (p->depth == 4)
		p->arg = NULL;
	if (p->depth == 2)
		p->in_body = p->in_header = false;
	p->depth--;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct parse *p = ud;

	if (!p->arg || !p->in_body)
		return;
	if ((size_t)len > SOAP_VALUE_MAX - p->arg_len)
		return fail(p, UPNP_INVALID_ARGS, "argument value too long");
	memcpy(p->arg->value + p->arg_len, s, (size_t)len);
	p->arg_len += (size_t)len;
	p->arg->value[p->arg_len] = '\0';
}

/* No document type: no entity can be declared, so none expands. */
static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal_subset)
{
	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	fail(ud, UPNP_INVALID_ACTION, "DOCTYPE refused");
}

static bool is_action_name(const char *s, size_t n)
{
	if (n == 0 || n > SOAP_ACTION_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
			return false;
	return true;
}

/* "URN#Action", quoted or not, with optional blanks around. */
static bool parse_soapaction(const char *h, struct parse *p)
{
	size_t n = strlen(h), urn_len;
	const char *hash;

	while (n && (*h == ' ' || *h == '\t'))
		h++, n--;
	while (n && (h[n - 1] == ' ' || h[n - 1] == '\t'))
		n--;
	if (n >= 2 && h[0] == '"' && h[n - 1] == '"')
		h++, n -= 2;
	hash = memchr(h, '#', n);
	if (!hash)
		return false;
	urn_len = (size_t)(hash - h);
	if (urn_len > UPNP_URN_MAX || !is_action_name(hash + 1, n - urn_len - 1) ||
	    !upnp_service_parse(h, urn_len, &p->req->service, &p->req->version))
		return false;
	memcpy(p->urn, h, urn_len);
	p->urn[urn_len] = '\0';
	memcpy(p->req->action, hash + 1, n - urn_len - 1);
	p->req->action[n - urn_len - 1] = '\0';
	return true;
}

static int finish(struct parse *p, int code, const char *why, const char **why_out)
{
	if (code == UPNP_OK && p->error) {
		code = p->error;
		why = p->why;
	}
	*why_out = code == UPNP_OK ? NULL : why;
	return code;
}

int soap_parse(const char *soapaction, const char *body, size_t len,
	       struct soap_request *req, const char **why)
{
	struct parse p = { .req = req };
	enum XML_Status st;

	memset(req, 0, sizeof(*req));
	if (!soapaction || !parse_soapaction(soapaction, &p))
		return finish(&p, UPNP_INVALID_ACTION, "SOAPACTION is not URN#Action of a service of ours", why);
	if (len > SOAP_BODY_MAX)
		return finish(&p, UPNP_INVALID_ACTION, "body too long", why);
	p.xp = XML_ParserCreateNS(NULL, NS_SEP);
	if (!p.xp)
		return finish(&p, UPNP_ACTION_FAILED, "out of memory", why);
	XML_SetUserData(p.xp, &p);
	XML_SetElementHandler(p.xp, on_start, on_end);
	XML_SetCharacterDataHandler(p.xp, on_text);
	XML_SetStartDoctypeDeclHandler(p.xp, on_doctype);
	XML_SetParamEntityParsing(p.xp, XML_PARAM_ENTITY_PARSING_NEVER);
	st = XML_Parse(p.xp, body, (int)len, XML_TRUE);
	XML_ParserFree(p.xp);
	if (p.error)
		return finish(&p, p.error, p.why, why);
	if (st != XML_STATUS_OK)
		return finish(&p, UPNP_INVALID_ACTION, "not well-formed XML", why);
	if (!p.seen_action)
		return finish(&p, UPNP_INVALID_ACTION, "no action in the body", why);
	return finish(&p, UPNP_OK, NULL, why);
}

static void envelope_open(struct text *t)
{
	text_put(t, "<?xml version=\"1.0\"?>\r\n"
		 "<s:Envelope xmlns:s=\"" SOAP_ENV_NS "\" s:encodingStyle=\"" SOAP_ENC_NS "\">"
		 "<s:Body>");
}

static void envelope_close(struct text *t)
{
	text_put(t, "</s:Body></s:Envelope>\r\n");
}

void soap_response_open(struct text *t, enum upnp_service service,
			unsigned version, const char *action)
{
	envelope_open(t);
	text_printf(t, "<u:%sResponse xmlns:u=\"" UPNP_URN_SERVICE "%s:%u\">",
		    action, upnp_service_name(service), version);
}

void soap_put_arg(struct text *t, const char *name, const char *value)
{
	text_printf(t, "<%s>", name);
	text_xml(t, value);
	text_printf(t, "</%s>", name);
}

void soap_response_close(struct text *t, const char *action)
{
	text_printf(t, "</u:%sResponse>", action);
	envelope_close(t);
}

size_t soap_encode_fault(char *out, size_t cap, int code)
{
	struct text t = text_init(out, cap);

	envelope_open(&t);
	text_printf(&t, "<s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring>"
		    "<detail><UPnPError xmlns=\"urn:schemas-upnp-org:control-1-0\">"
		    "<errorCode>%d</errorCode><errorDescription>", code);
	text_xml(&t, upnp_error_name(code));
	text_put(&t, "</errorDescription></UPnPError></detail></s:Fault>");
	envelope_close(&t);
	return text_done(&t);
}

const char *upnp_error_name(int code)
{
	switch (code) {
	case UPNP_INVALID_ACTION: return "Invalid Action";
	case UPNP_INVALID_ARGS: return "Invalid Args";
	case UPNP_ACTION_FAILED: return "Action Failed";
	case UPNP_NOT_AUTHORIZED: return "Action not authorized";
	case UPNP_ARRAY_INDEX_INVALID: return "SpecifiedArrayIndexInvalid";
	case UPNP_NO_SUCH_ENTRY: return "NoSuchEntryInArray";
	case UPNP_WILDCARD_EXT_PORT: return "WildCardNotPermittedInExtPort";
	case UPNP_CONFLICT: return "ConflictInMappingEntry";
	case UPNP_SAME_PORT_REQUIRED: return "SamePortValuesRequired";
	case UPNP_ONLY_PERMANENT_LEASE: return "OnlyPermanentLeasesSupported";
	case UPNP_REMOTE_HOST_WILDCARD_ONLY: return "RemoteHostOnlySupportsWildcard";
	case UPNP_EXT_PORT_WILDCARD_ONLY: return "ExternalPortOnlySupportsWildcard";
	case UPNP_NO_PORT_MAPS_AVAILABLE: return "NoPortMapsAvailable";
	case UPNP_CONFLICT_OTHER_MECHANISM: return "ConflictWithOtherMechanisms";
	case UPNP_PORT_MAPPING_NOT_FOUND: return "PortMappingNotFound";
	case UPNP_READ_ONLY: return "ReadOnly";
	case UPNP_WILDCARD_INT_PORT: return "WildCardNotPermittedInIntPort";
	case UPNP_INCONSISTENT_PARAMETERS: return "InconsistentParameters";
	}
	return "Action Failed";
}
