/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "upnp/igd.h"
#include "upnp/text.h"
#include "util/ipaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define IN(n, v) { n, false, v }
#define OUT(n, v) { n, true, v }
#define IPC UPNP_SVC_IPCONN
#define CIC UPNP_SVC_COMMON
/* Argument runs several actions share. */
#define KEY_IN IN("NewRemoteHost", "RemoteHost"), IN("NewExternalPort", "ExternalPort"), \
	IN("NewProtocol", "PortMappingProtocol")
#define ADD_IN KEY_IN, IN("NewInternalPort", "InternalPort"), \
	IN("NewInternalClient", "InternalClient"), IN("NewEnabled", "PortMappingEnabled"), \
	IN("NewPortMappingDescription", "PortMappingDescription"), \
	IN("NewLeaseDuration", "PortMappingLeaseDuration")
#define ENTRY_OUT OUT("NewInternalPort", "InternalPort"), \
	OUT("NewInternalClient", "InternalClient"), OUT("NewEnabled", "PortMappingEnabled"), \
	OUT("NewPortMappingDescription", "PortMappingDescription"), \
	OUT("NewLeaseDuration", "PortMappingLeaseDuration")
#define RANGE_IN IN("NewStartPort", "ExternalPort"), IN("NewEndPort", "ExternalPort"), \
	IN("NewProtocol", "PortMappingProtocol"), IN("NewManage", "A_ARG_TYPE_Manage")

/* WANIPConnection:2 §2.4 and WANCommonInterfaceConfig:1 §2.4, arguments in
 * the specs' order. */
static const struct igd_action_def actions[IGD_ACTION_COUNT] = {
	[IGD_GET_EXTERNAL_IP_ADDRESS] = { "GetExternalIPAddress", IPC, 1, {
		OUT("NewExternalIPAddress", "ExternalIPAddress") } },
	[IGD_GET_STATUS_INFO] = { "GetStatusInfo", IPC, 1, {
		OUT("NewConnectionStatus", "ConnectionStatus"),
		OUT("NewLastConnectionError", "LastConnectionError"),
		OUT("NewUptime", "Uptime") } },
	[IGD_GET_CONNECTION_TYPE_INFO] = { "GetConnectionTypeInfo", IPC, 1, {
		OUT("NewConnectionType", "ConnectionType"),
		OUT("NewPossibleConnectionTypes", "PossibleConnectionTypes") } },
	[IGD_ADD_PORT_MAPPING] = { "AddPortMapping", IPC, 1, { ADD_IN } },
	[IGD_ADD_ANY_PORT_MAPPING] = { "AddAnyPortMapping", IPC, 2, {
		ADD_IN, OUT("NewReservedPort", "ExternalPort") } },
	[IGD_DELETE_PORT_MAPPING] = { "DeletePortMapping", IPC, 1, { KEY_IN } },
	[IGD_DELETE_PORT_MAPPING_RANGE] = { "DeletePortMappingRange", IPC, 2, { RANGE_IN } },
	[IGD_GET_SPECIFIC_PORT_MAPPING_ENTRY] = { "GetSpecificPortMappingEntry", IPC, 1, {
		KEY_IN, ENTRY_OUT } },
	[IGD_GET_GENERIC_PORT_MAPPING_ENTRY] = { "GetGenericPortMappingEntry", IPC, 1, {
		IN("NewPortMappingIndex", "PortMappingNumberOfEntries"),
		OUT("NewRemoteHost", "RemoteHost"),
		OUT("NewExternalPort", "ExternalPort"),
		OUT("NewProtocol", "PortMappingProtocol"),
		ENTRY_OUT } },
	[IGD_GET_LIST_OF_PORT_MAPPINGS] = { "GetListOfPortMappings", IPC, 2, {
		RANGE_IN,
		IN("NewNumberOfPorts", "PortMappingNumberOfEntries"),
		OUT("NewPortListing", "A_ARG_TYPE_PortListing") } },
	[IGD_GET_COMMON_LINK_PROPERTIES] = { "GetCommonLinkProperties", CIC, 1, {
		OUT("NewWANAccessType", "WANAccessType"),
		OUT("NewLayer1UpstreamMaxBitRate", "Layer1UpstreamMaxBitRate"),
		OUT("NewLayer1DownstreamMaxBitRate", "Layer1DownstreamMaxBitRate"),
		OUT("NewPhysicalLinkStatus", "PhysicalLinkStatus") } },
	[IGD_GET_TOTAL_BYTES_SENT] = { "GetTotalBytesSent", CIC, 1, {
		OUT("NewTotalBytesSent", "TotalBytesSent") } },
	[IGD_GET_TOTAL_BYTES_RECEIVED] = { "GetTotalBytesReceived", CIC, 1, {
		OUT("NewTotalBytesReceived", "TotalBytesReceived") } },
	[IGD_GET_TOTAL_PACKETS_SENT] = { "GetTotalPacketsSent", CIC, 1, {
		OUT("NewTotalPacketsSent", "TotalPacketsSent") } },
	[IGD_GET_TOTAL_PACKETS_RECEIVED] = { "GetTotalPacketsReceived", CIC, 1, {
		OUT("NewTotalPacketsReceived", "TotalPacketsReceived") } },
};

static const struct igd_var_def vars[] = {
	{ "ConnectionType", "string", false, IPC, 1, { "IP_Routed" }, 0, 0, 0 },
	{ "PossibleConnectionTypes", "string", true, IPC, 1,
	  { "Unconfigured", "IP_Routed", "IP_Bridged" }, 0, 0, 0 },
	{ "ConnectionStatus", "string", true, IPC, 1,
	  { "Unconfigured", "Connecting", "Connected", "PendingDisconnect",
	    "Disconnecting", "Disconnected" }, 0, 0, 0 },
	{ "Uptime", "ui4", false, IPC, 1, { NULL }, 0, 0, 0 },
	{ "LastConnectionError", "string", false, IPC, 1, { "ERROR_NONE" }, 0, 0, 0 },
	{ "ExternalIPAddress", "string", true, IPC, 1, { NULL }, 0, 0, 0 },
	{ "PortMappingNumberOfEntries", "ui2", true, IPC, 1, { NULL }, 0, 0, 0 },
	{ "PortMappingEnabled", "boolean", false, IPC, 1, { NULL }, 0, 0, 0 },
	{ "PortMappingLeaseDuration", "ui4", false, IPC, 1, { NULL }, 0, IGD_LEASE_MAX_V2, 2 },
	{ "RemoteHost", "string", false, IPC, 1, { NULL }, 0, 0, 0 },
	{ "ExternalPort", "ui2", false, IPC, 1, { NULL }, 0, 0, 0 },
	{ "InternalPort", "ui2", false, IPC, 1, { NULL }, 1, 65535, 2 },
	{ "PortMappingProtocol", "string", false, IPC, 1, { "TCP", "UDP" }, 0, 0, 0 },
	{ "InternalClient", "string", false, IPC, 1, { NULL }, 0, 0, 0 },
	{ "PortMappingDescription", "string", false, IPC, 1, { NULL }, 0, 0, 0 },
	{ "A_ARG_TYPE_Manage", "boolean", false, IPC, 2, { NULL }, 0, 0, 0 },
	{ "A_ARG_TYPE_PortListing", "string", false, IPC, 2, { NULL }, 0, 0, 0 },
	{ "WANAccessType", "string", false, CIC, 1, { "DSL", "POTS", "Cable", "Ethernet" }, 0, 0, 0 },
	{ "Layer1UpstreamMaxBitRate", "ui4", false, CIC, 1, { NULL }, 0, 0, 0 },
	{ "Layer1DownstreamMaxBitRate", "ui4", false, CIC, 1, { NULL }, 0, 0, 0 },
	{ "PhysicalLinkStatus", "string", true, CIC, 1, { "Up", "Down" }, 0, 0, 0 },
	{ "TotalBytesSent", "ui4", false, CIC, 1, { NULL }, 0, 0, 0 },
	{ "TotalBytesReceived", "ui4", false, CIC, 1, { NULL }, 0, 0, 0 },
	{ "TotalPacketsSent", "ui4", false, CIC, 1, { NULL }, 0, 0, 0 },
	{ "TotalPacketsReceived", "ui4", false, CIC, 1, { NULL }, 0, 0, 0 },
};

const struct igd_action_def *igd_action_def(enum igd_action a)
{
	return a < IGD_ACTION_COUNT ? &actions[a] : NULL;
}

const struct igd_var_def *igd_vars(size_t *n)
{
	*n = sizeof(vars) / sizeof(vars[0]);
	return vars;
}

/* ---- decoding ------------------------------------------------------------ */

/* The value of the input argument name; the table guarantees it is there. */
static const char *arg(const struct soap_request *s, const char *name)
{
	for (size_t i = 0; i < s->nargs; i++)
		if (!strcmp(s->args[i].name, name))
			return s->args[i].value;
	return "";
}

/* Exactly the action's input arguments, each once (soap_parse refused
 * duplicates already). */
static bool args_match(const struct igd_action_def *d, const struct soap_request *s)
{
	size_t want = 0;

	for (const struct igd_arg_def *a = d->args; a < d->args + IGD_ARGS_MAX && a->name; a++) {
		bool found = false;

		if (a->out)
			continue;
		want++;
		for (size_t i = 0; i < s->nargs && !found; i++)
			found = !strcmp(s->args[i].name, a->name);
		if (!found)
			return false;
	}
	return want == s->nargs;
}

/* UDA's ui2/ui4: decimal digits only, no sign, no blanks. */
static bool parse_uint(const char *s, uint32_t max, uint32_t *v)
{
	uint64_t n = 0;

	if (!*s || strlen(s) > 10)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		n = n * 10 + (uint64_t)(*s - '0');
	}
	if (n > max)
		return false;
	*v = (uint32_t)n;
	return true;
}

static bool parse_port(const char *s, uint16_t *port)
{
	uint32_t v;

	if (!parse_uint(s, 65535, &v))
		return false;
	*port = (uint16_t)v;
	return true;
}

static bool parse_bool(const char *s, bool *b)
{
	if (!strcmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "yes"))
		*b = true;
	else if (!strcmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "no"))
		*b = false;
	else
		return false;
	return true;
}

/* "TCP" or "UDP" (the specs' values; clients' case varies). */
static bool parse_proto(const char *s, uint8_t *proto)
{
	if (!strcasecmp(s, "TCP"))
		*proto = IPPROTO_TCP;
	else if (!strcasecmp(s, "UDP"))
		*proto = IPPROTO_UDP;
	else
		return false;
	return true;
}

static bool parse_client(const char *s, struct ip_addr *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*addr = ip_addr_from_v4(ntohl(a.s_addr));
	return true;
}

/* Printable: it lands in logs, the list and the kernel's comment. */
static bool parse_description(const char *s, char *out)
{
	size_t n = strlen(s);

	if (n > IGD_DESC_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	memcpy(out, s, n + 1);
	return true;
}

static int decode_add(const struct soap_request *s, bool any, unsigned version,
		      struct igd_add *add)
{
	if (!parse_port(arg(s, "NewExternalPort"), &add->external_port) ||
	    !parse_proto(arg(s, "NewProtocol"), &add->proto) ||
	    !parse_port(arg(s, "NewInternalPort"), &add->internal_port) ||
	    !parse_client(arg(s, "NewInternalClient"), &add->internal_client) ||
	    !parse_bool(arg(s, "NewEnabled"), &add->enabled) ||
	    !parse_description(arg(s, "NewPortMappingDescription"), add->description) ||
	    !parse_uint(arg(s, "NewLeaseDuration"), UINT32_MAX, &add->lease))
		return UPNP_INVALID_ARGS;
	if (arg(s, "NewRemoteHost")[0])
		return UPNP_REMOTE_HOST_WILDCARD_ONLY;
	if (add->external_port == 0 && !any)
		return UPNP_WILDCARD_EXT_PORT;
	if (add->internal_port == 0)
		return version >= 2 ? UPNP_WILDCARD_INT_PORT : UPNP_INVALID_ARGS;
	return UPNP_OK;
}

static int decode_key(const struct soap_request *s, struct igd_key *key)
{
	if (!parse_port(arg(s, "NewExternalPort"), &key->external_port) ||
	    !parse_proto(arg(s, "NewProtocol"), &key->proto) || key->external_port == 0)
		return UPNP_INVALID_ARGS;
	/* Every entry of ours is for any remote host. */
	if (arg(s, "NewRemoteHost")[0])
		return UPNP_NO_SUCH_ENTRY;
	return UPNP_OK;
}

static int decode_range(const struct soap_request *s, bool list, struct igd_range *r)
{
	if (!parse_port(arg(s, "NewStartPort"), &r->start_port) ||
	    !parse_port(arg(s, "NewEndPort"), &r->end_port) ||
	    !parse_proto(arg(s, "NewProtocol"), &r->proto) ||
	    !parse_bool(arg(s, "NewManage"), &r->manage) ||
	    (list && !parse_port(arg(s, "NewNumberOfPorts"), &r->max_entries)))
		return UPNP_INVALID_ARGS;
	if (r->start_port > r->end_port)
		return UPNP_INCONSISTENT_PARAMETERS;
	return UPNP_OK;
}

static int decode_args(const struct soap_request *s, struct igd_request *req)
{
	switch (req->action) {
	case IGD_ADD_PORT_MAPPING:
	case IGD_ADD_ANY_PORT_MAPPING:
		return decode_add(s, req->action == IGD_ADD_ANY_PORT_MAPPING, req->version, &req->add);
	case IGD_DELETE_PORT_MAPPING:
	case IGD_GET_SPECIFIC_PORT_MAPPING_ENTRY:
		return decode_key(s, &req->key);
	case IGD_DELETE_PORT_MAPPING_RANGE:
	case IGD_GET_LIST_OF_PORT_MAPPINGS:
		return decode_range(s, req->action == IGD_GET_LIST_OF_PORT_MAPPINGS, &req->range);
	case IGD_GET_GENERIC_PORT_MAPPING_ENTRY:
		return parse_port(arg(s, "NewPortMappingIndex"), &req->index) ? UPNP_OK : UPNP_INVALID_ARGS;
	default:
		return UPNP_OK;		/* no input arguments */
	}
}

int igd_decode(const struct upnp_device *dev, const struct soap_request *soap,
	       struct igd_request *req)
{
	const struct igd_action_def *d = NULL;
	unsigned a;

	memset(req, 0, sizeof(*req));
	for (a = 0; a < IGD_ACTION_COUNT; a++) {
		if (actions[a].service == soap->service && !strcmp(actions[a].name, soap->action)) {
			d = &actions[a];
			break;
		}
	}
	if (!d || soap->version > upnp_service_version(dev, soap->service) ||
	    soap->version < d->min_version)
		return UPNP_INVALID_ACTION;
	req->action = (enum igd_action)a;
	req->service = soap->service;
	req->version = soap->version;
	if (!args_match(d, soap))
		return UPNP_INVALID_ARGS;
	return decode_args(soap, req);
}

/* ---- encoding ------------------------------------------------------------ */

static const char *proto_name(uint8_t proto)
{
	return proto == IPPROTO_UDP ? "UDP" : "TCP";
}

static void format_v4(const struct ip_addr *a, char out[INET_ADDRSTRLEN])
{
	size_t len;
	const uint8_t *b = ip_addr_bytes(a, &len);

	out[0] = '\0';
	if (len == 4 && ip_addr_v4(a) != 0)
		inet_ntop(AF_INET, b, out, INET_ADDRSTRLEN);
}

static void put_uint(struct text *t, const char *name, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	soap_put_arg(t, name, num);
}

/* The entry's fields after the key, as both Get*PortMappingEntry give them. */
static void put_entry_tail(struct text *t, const struct igd_entry *e)
{
	char client[INET_ADDRSTRLEN];

	format_v4(&e->internal_client, client);
	put_uint(t, "NewInternalPort", e->internal_port);
	soap_put_arg(t, "NewInternalClient", client);
	soap_put_arg(t, "NewEnabled", e->enabled ? "1" : "0");
	soap_put_arg(t, "NewPortMappingDescription", e->description ? e->description : "");
	put_uint(t, "NewLeaseDuration", e->lease_remaining);
}

/* One element of the listing. */
static void list_field(struct text *t, const char *name, const char *value)
{
	text_printf(t, "<p:%s>", name);
	text_xml(t, value);
	text_printf(t, "</p:%s>", name);
}

static void list_uint(struct text *t, const char *name, uint32_t v)
{
	char num[12];

	snprintf(num, sizeof(num), "%u", (unsigned)v);
	list_field(t, name, num);
}

/* WANIPConnection:2 §2.4.16: the PortMappingList document, as a string in
 * a CDATA section: miniupnpc does not decode entities in it (upnpc -L
 * listed nothing from an escaped one). The listing's own escaping turns
 * every '>' into "&gt;", so "]]>" cannot occur inside. */
static void put_listing(struct text *t, const struct igd_result *res)
{
	text_put(t, "<NewPortListing><![CDATA[<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
		 "<p:PortMappingList xmlns:p=\"urn:schemas-upnp-org:gw:WANIPConnection\" "
		 "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
		 "xsi:schemaLocation=\"urn:schemas-upnp-org:gw:WANIPConnection "
		 "http://www.upnp.org/schemas/gw/WANIPConnection-v2.xsd\">");
	for (size_t i = 0; i < res->nentries; i++) {
		const struct igd_entry *e = &res->entries[i];
		char client[INET_ADDRSTRLEN];

		format_v4(&e->internal_client, client);
		text_put(t, "<p:PortMappingEntry>");
		list_field(t, "NewRemoteHost", "");
		list_uint(t, "NewExternalPort", e->external_port);
		list_field(t, "NewProtocol", proto_name(e->proto));
		list_uint(t, "NewInternalPort", e->internal_port);
		list_field(t, "NewInternalClient", client);
		list_field(t, "NewEnabled", e->enabled ? "1" : "0");
		list_field(t, "NewDescription", e->description ? e->description : "");
		list_uint(t, "NewLeaseTime", e->lease_remaining);
		text_put(t, "</p:PortMappingEntry>");
	}
	text_put(t, "</p:PortMappingList>]]></NewPortListing>");
}

static void put_results(struct text *t, const struct igd_request *req,
			const struct igd_result *res)
{
	const struct igd_entry *e = &res->entry;
	char ip[INET_ADDRSTRLEN];

	switch (req->action) {
	case IGD_GET_EXTERNAL_IP_ADDRESS:
		format_v4(&res->external_ip, ip);
		soap_put_arg(t, "NewExternalIPAddress", ip);
		break;
	case IGD_GET_STATUS_INFO:
		soap_put_arg(t, "NewConnectionStatus", res->connected ? "Connected" : "Disconnected");
		soap_put_arg(t, "NewLastConnectionError", "ERROR_NONE");
		put_uint(t, "NewUptime", res->uptime);
		break;
	case IGD_GET_CONNECTION_TYPE_INFO:
		soap_put_arg(t, "NewConnectionType", "IP_Routed");
		soap_put_arg(t, "NewPossibleConnectionTypes", "IP_Routed");
		break;
	case IGD_ADD_ANY_PORT_MAPPING:
		put_uint(t, "NewReservedPort", res->reserved_port);
		break;
	case IGD_GET_SPECIFIC_PORT_MAPPING_ENTRY:
		put_entry_tail(t, e);
		break;
	case IGD_GET_GENERIC_PORT_MAPPING_ENTRY:
		soap_put_arg(t, "NewRemoteHost", "");
		put_uint(t, "NewExternalPort", e->external_port);
		soap_put_arg(t, "NewProtocol", proto_name(e->proto));
		put_entry_tail(t, e);
		break;
	case IGD_GET_LIST_OF_PORT_MAPPINGS:
		put_listing(t, res);
		break;
	case IGD_GET_COMMON_LINK_PROPERTIES:
		soap_put_arg(t, "NewWANAccessType", "Ethernet");
		put_uint(t, "NewLayer1UpstreamMaxBitRate", res->up_bps);
		put_uint(t, "NewLayer1DownstreamMaxBitRate", res->down_bps);
		soap_put_arg(t, "NewPhysicalLinkStatus", res->connected ? "Up" : "Down");
		break;
	case IGD_GET_TOTAL_BYTES_SENT:
	case IGD_GET_TOTAL_BYTES_RECEIVED:
	case IGD_GET_TOTAL_PACKETS_SENT:
	case IGD_GET_TOTAL_PACKETS_RECEIVED:
		/* ui4: the spec's counters wrap. */
		put_uint(t, actions[req->action].args[0].name, (uint32_t)res->counter);
		break;
	default:
		break;		/* AddPortMapping, the deletes: no output */
	}
}

size_t igd_encode(char *out, size_t cap, const struct igd_request *req,
		  const struct igd_result *res)
{
	struct text t = text_init(out, cap);
	const char *name = actions[req->action].name;

	soap_response_open(&t, req->service, req->version, name);
	put_results(&t, req, res);
	soap_response_close(&t, name);
	return text_done(&t);
}
