/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "upnp/upnp.h"

#include <stdio.h>
#include <string.h>

static const char *const service_names[UPNP_SVC_COUNT] = {
	[UPNP_SVC_IPCONN] = "WANIPConnection",
	[UPNP_SVC_COMMON] = "WANCommonInterfaceConfig",
};

static const char *const node_names[UPNP_NODE_COUNT] = {
	[UPNP_NODE_ROOT] = "InternetGatewayDevice",
	[UPNP_NODE_WAN] = "WANDevice",
	[UPNP_NODE_WANCONN] = "WANConnectionDevice",
};

/* Well-formed UTF-8 without control characters: the name goes into XML as
 * text, where a stray byte would make the whole description unreadable. */
static bool name_ok(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t len = s[i] < 0x80 ? 1 : (s[i] & 0xe0) == 0xc0 ? 2 : (s[i] & 0xf0) == 0xe0 ? 3
			   : (s[i] & 0xf8) == 0xf0 ? 4 : 0;
		uint32_t cp;

		if (len == 0 || len > n - i)
			return false;
		cp = len == 1 ? s[i] : (uint32_t)(s[i] & (0x7f >> len));
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates, past U+10FFFF, controls. */
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return false;
		i += len;
	}
	return true;
}

bool upnp_device_init(struct upnp_device *dev, unsigned version,
		      const uint8_t seed[16], const char *friendly_name)
{
	struct upnp_device d = { .version = version };
	size_t n = strlen(friendly_name);

	if ((version != 1 && version != 2) || n == 0 || n > UPNP_NAME_MAX ||
	    !name_ok((const unsigned char *)friendly_name, n))
		return false;
	memcpy(d.friendly_name, friendly_name, n + 1);
	/* One UDN per device (UDA 1.1 §2.3): the seed's last byte tells them
	 * apart, as a version-4-shaped UUID so that clients that check accept it. */
	for (unsigned k = 0; k < UPNP_NODE_COUNT; k++) {
		uint8_t u[16];

		memcpy(u, seed, sizeof(u));
		u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
		u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
		u[15] = (uint8_t)(u[15] + k);
		snprintf(d.uuid[k], sizeof(d.uuid[k]),
			 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
			 u[10], u[11], u[12], u[13], u[14], u[15]);
	}
	*dev = d;
	return true;
}

const char *upnp_service_name(enum upnp_service svc)
{
	return svc < UPNP_SVC_COUNT ? service_names[svc] : "";
}

unsigned upnp_service_version(const struct upnp_device *dev, enum upnp_service svc)
{
	return svc == UPNP_SVC_IPCONN ? dev->version : 1;
}

const char *upnp_node_name(enum upnp_node node)
{
	return node < UPNP_NODE_COUNT ? node_names[node] : "";
}

bool upnp_service_parse(const char *urn, size_t len, enum upnp_service *svc,
			unsigned *version)
{
	const size_t plen = sizeof(UPNP_URN_SERVICE) - 1;

	if (len < plen + 3 || strncmp(urn, UPNP_URN_SERVICE, plen) != 0)
		return false;
	/* NAME ":" one digit, nothing after. */
	if (urn[len - 2] != ':' || urn[len - 1] < '1' || urn[len - 1] > '9')
		return false;
	for (unsigned s = 0; s < UPNP_SVC_COUNT; s++) {
		size_t n = strlen(service_names[s]);

		if (plen + n + 2 == len && strncmp(urn + plen, service_names[s], n) == 0) {
			*svc = (enum upnp_service)s;
			*version = (unsigned)(urn[len - 1] - '0');
			return true;
		}
	}
	return false;
}
