/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The IGD actions (WANIPConnection:1/:2, WANCommonInterfaceConfig:1): the
 * one table of actions, arguments and state variables (the SCPDs are made
 * from it), a decoder from a parsed SOAP call to a typed, validated request,
 * and the encoder of each action's response. What a request means for the
 * mapping table (who owns what, policy, allocation) is the daemon's: the
 * decoder only checks what the specs make a property of the bytes. */
#ifndef PORTGATE_UPNP_IGD_H
#define PORTGATE_UPNP_IGD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "upnp/soap.h"
#include "upnp/upnp.h"
#include "util/ipaddr.h"

#define IGD_DESC_MAX SOAP_VALUE_MAX
#define IGD_ARGS_MAX 9			/* GetGenericPortMappingEntry: 1 in, 8 out */
#define IGD_LEASE_MAX_V2 604800		/* WANIPConnection:2's range */
/* The most an entry adds to GetListOfPortMappings' listing (a '"' of the
 * description becomes 6 bytes): size the answer's buffer with it times the
 * entries offered, plus the overhead. */
#define IGD_LIST_ENTRY_MAX (IGD_DESC_MAX * 6 + 400)
#define IGD_LIST_OVERHEAD 1200

enum igd_action {
	IGD_GET_EXTERNAL_IP_ADDRESS,
	IGD_GET_STATUS_INFO,
	IGD_GET_CONNECTION_TYPE_INFO,
	IGD_ADD_PORT_MAPPING,
	IGD_ADD_ANY_PORT_MAPPING,		/* v2 */
	IGD_DELETE_PORT_MAPPING,
	IGD_DELETE_PORT_MAPPING_RANGE,		/* v2 */
	IGD_GET_SPECIFIC_PORT_MAPPING_ENTRY,
	IGD_GET_GENERIC_PORT_MAPPING_ENTRY,
	IGD_GET_LIST_OF_PORT_MAPPINGS,		/* v2 */
	IGD_GET_COMMON_LINK_PROPERTIES,
	IGD_GET_TOTAL_BYTES_SENT,
	IGD_GET_TOTAL_BYTES_RECEIVED,
	IGD_GET_TOTAL_PACKETS_SENT,
	IGD_GET_TOTAL_PACKETS_RECEIVED,
	IGD_ACTION_COUNT,
};

struct igd_arg_def {
	const char *name;
	bool out;
	const char *var;		/* relatedStateVariable */
};

struct igd_action_def {
	const char *name;
	enum upnp_service service;
	unsigned min_version;
	struct igd_arg_def args[IGD_ARGS_MAX];	/* in order; ends at a NULL name */
};

struct igd_var_def {
	const char *name;
	const char *type;		/* string, ui2, ui4, boolean */
	bool evented;
	enum upnp_service service;
	unsigned min_version;
	const char *allowed[7];		/* allowedValueList; ends at NULL */
	uint32_t min, max;		/* allowedValueRange when max != 0 */
	unsigned range_version;		/* the version from which the range holds */
};

const struct igd_action_def *igd_action_def(enum igd_action a);
/* The state variables in table order; *n gets their number. */
const struct igd_var_def *igd_vars(size_t *n);

/* AddPortMapping and AddAnyPortMapping. */
struct igd_add {
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t external_port;		/* AddAnyPortMapping: 0 = any */
	uint16_t internal_port;		/* 1-65535 */
	struct ip_addr internal_client;	/* IPv4; the daemon checks the peer owns it */
	bool enabled;
	uint32_t lease;			/* seconds as asked; 0: the policy's maximum */
	char description[IGD_DESC_MAX + 1];	/* no control characters */
};

/* DeletePortMapping, GetSpecificPortMappingEntry: the remote host was the
 * wildcard (any other cannot name an entry of ours: 714). */
struct igd_key {
	uint8_t proto;
	uint16_t external_port;		/* 1-65535 */
};

/* DeletePortMappingRange, GetListOfPortMappings. */
struct igd_range {
	uint8_t proto;
	uint16_t start_port, end_port;	/* start <= end */
	bool manage;
	uint16_t max_entries;		/* GetListOfPortMappings' NewNumberOfPorts; 0: all */
};

struct igd_request {
	enum igd_action action;
	enum upnp_service service;
	unsigned version;		/* of the service as the request named it */
	union {
		struct igd_add add;
		struct igd_key key;
		struct igd_range range;
		uint16_t index;		/* GetGenericPortMappingEntry */
	};
};

/* Validates soap against the action table and dev (the service versions
 * served): UPNP_OK and *req, or the error to answer with — 401 (an action
 * we do not have, a service version we do not serve, a v2 action named
 * through :1), 402 (an argument missing, unknown, twice, or not of its
 * type), 716 (AddPortMapping's external port 0), 726 (AddPortMapping's
 * remote host not the wildcard), 714 (Delete/GetSpecific for a remote host
 * not the wildcard), 732 (internal port 0, v2), 733 (a range whose start
 * is past its end). */
int igd_decode(const struct upnp_device *dev, const struct soap_request *soap,
	       struct igd_request *req);

/* One mapping as the daemon reports it. */
struct igd_entry {
	uint8_t proto;
	uint16_t external_port;
	uint16_t internal_port;
	struct ip_addr internal_client;	/* IPv4 */
	bool enabled;
	uint32_t lease_remaining;	/* seconds; 0 for a static forward */
	const char *description;	/* NULL: empty */
};

/* What the daemon found; each action reads only its own fields. */
struct igd_result {
	struct ip_addr external_ip;	/* IPv4; all zero: none (empty string) */
	bool connected;			/* GetStatusInfo, GetCommonLinkProperties */
	uint32_t uptime;
	uint16_t reserved_port;		/* AddAnyPortMapping */
	struct igd_entry entry;		/* GetSpecific/GetGenericPortMappingEntry */
	const struct igd_entry *entries;	/* GetListOfPortMappings */
	size_t nentries;
	uint64_t counter;		/* GetTotal*: sent as ui4, modulo 2^32 */
	uint32_t up_bps, down_bps;	/* GetCommonLinkProperties */
};

/* The success response to req; 0 if out is too small. */
size_t igd_encode(char *out, size_t cap, const struct igd_request *req,
		  const struct igd_result *res);

#endif
