/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The UPnP IGD layer's shared contract: the device we present (one tree,
 * IGD v1 or v2), its services, URNs and URL paths. Everything in src/upnp
 * is pure code: no sockets, no clock, caller-owned buffers. */
#ifndef PORTGATE_UPNP_UPNP_H
#define PORTGATE_UPNP_UPNP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UPNP_URN_DEVICE "urn:schemas-upnp-org:device:"
#define UPNP_URN_SERVICE "urn:schemas-upnp-org:service:"
#define UPNP_URN_MAX 128		/* the longest service or device URN we take */

/* The URL paths of the HTTP server (relative in the description). */
#define UPNP_PATH_ROOT "/rootDesc.xml"
#define UPNP_PATH_SCPD_IPCONN "/WANIPCn.xml"
#define UPNP_PATH_SCPD_COMMON "/WANCfg.xml"
#define UPNP_PATH_CTL_IPCONN "/ctl/IPConn"
#define UPNP_PATH_CTL_COMMON "/ctl/CmnIfCfg"
#define UPNP_PATH_EVT_IPCONN "/evt/IPConn"
#define UPNP_PATH_EVT_COMMON "/evt/CmnIfCfg"

#define UPNP_UUID_LEN 36		/* 8-4-4-4-12 hex digits */
#define UPNP_NAME_MAX 64

enum upnp_service {
	UPNP_SVC_IPCONN,		/* WANIPConnection:1 or :2 */
	UPNP_SVC_COMMON,		/* WANCommonInterfaceConfig:1 */
	UPNP_SVC_COUNT,
};

/* The devices of the tree, in order: each has its own UDN. */
enum upnp_node {
	UPNP_NODE_ROOT,			/* InternetGatewayDevice */
	UPNP_NODE_WAN,			/* WANDevice, holds WANCommonInterfaceConfig */
	UPNP_NODE_WANCONN,		/* WANConnectionDevice, holds WANIPConnection */
	UPNP_NODE_COUNT,
};

struct upnp_device {
	unsigned version;		/* 1 or 2: of IGD, WANDevice, WANConnectionDevice, WANIPConnection */
	char uuid[UPNP_NODE_COUNT][UPNP_UUID_LEN + 1];
	char friendly_name[UPNP_NAME_MAX + 1];
	uint32_t boot_id;		/* BOOTID.UPNP.ORG: changes when the daemon restarts */
	uint32_t config_id;		/* CONFIGID.UPNP.ORG: changes with the description */
};

/* Fills dev: the three UUIDs from seed (the same seed gives the same UDNs
 * across restarts), a friendly name of at most UPNP_NAME_MAX bytes of
 * well-formed UTF-8 without control characters. False, dev untouched, on a
 * bad version or name. */
bool upnp_device_init(struct upnp_device *dev, unsigned version,
		      const uint8_t seed[16], const char *friendly_name);

/* "WANIPConnection", "WANCommonInterfaceConfig". */
const char *upnp_service_name(enum upnp_service svc);
/* The version of svc that dev serves. */
unsigned upnp_service_version(const struct upnp_device *dev, enum upnp_service svc);
/* "InternetGatewayDevice", "WANDevice", "WANConnectionDevice". */
const char *upnp_node_name(enum upnp_node node);
/* Parses "urn:schemas-upnp-org:service:NAME:V" (exactly len bytes) into a
 * service we know and its version (1-9). */
bool upnp_service_parse(const char *urn, size_t len, enum upnp_service *svc,
			unsigned *version);

#endif
