/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "upnp/ssdp.h"
#include "upnp/text.h"
#include "util/ipaddr.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#ifndef PORTGATE_VERSION
#define PORTGATE_VERSION "0"
#endif
/* UDA 1.1 §1.1.2: OS/version UPnP/1.1 product/version. */
#define SSDP_SERVER "Linux UPnP/1.1 portgate/" PORTGATE_VERSION

struct line {
	const char *p;
	size_t n;
};

/* The next line at *pos: false at the end of the datagram; a CR that is
 * not followed by LF, a NUL or a line longer than SSDP_MAX_LINE is
 * *bad. A last line without its line end is bad too. */
static bool next_line(const uint8_t *buf, size_t len, size_t *pos,
		      struct line *l, bool *bad)
{
	size_t start = *pos, i;

	if (start >= len)
		return false;
	for (i = start; i < len && buf[i] != '\n'; i++) {
		if (buf[i] == '\0' || (buf[i] == '\r' && (i + 1 >= len || buf[i + 1] != '\n')) ||
		    i - start >= SSDP_MAX_LINE) {
			*bad = true;
			return false;
		}
	}
	if (i == len) {
		*bad = true;
		return false;
	}
	l->p = (const char *)buf + start;
	l->n = i - start;
	if (l->n && l->p[l->n - 1] == '\r')
		l->n--;
	*pos = i + 1;
	return true;
}

static bool line_is(const struct line *l, const char *s)
{
	return l->n == strlen(s) && memcmp(l->p, s, l->n) == 0;
}

/* RFC 9110 token characters. */
static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

enum header { H_OTHER, H_MAN, H_ST, H_MX };

/* NAME ":" OWS VALUE OWS; false if the line is not a header. */
static bool split_header(const struct line *l, enum header *h, struct line *value)
{
	size_t i = 0, end = l->n;

	while (i < l->n && is_tchar(l->p[i]))
		i++;
	if (i == 0 || i == l->n || l->p[i] != ':')
		return false;
	*h = i == 3 && !strncasecmp(l->p, "MAN", 3) ? H_MAN
	   : i == 2 && !strncasecmp(l->p, "ST", 2) ? H_ST
	   : i == 2 && !strncasecmp(l->p, "MX", 2) ? H_MX : H_OTHER;
	for (i++; i < end && (l->p[i] == ' ' || l->p[i] == '\t'); i++)
		;
	while (end > i && (l->p[end - 1] == ' ' || l->p[end - 1] == '\t'))
		end--;
	for (size_t k = i; k < end; k++)
		if ((unsigned char)l->p[k] < 0x20 && l->p[k] != '\t')
			return false;
	value->p = l->p + i;
	value->n = end - i;
	return true;
}

static bool parse_mx(const struct line *v, int *mx)
{
	int n = 0;

	if (v->n == 0 || v->n > 3)
		return false;
	for (size_t i = 0; i < v->n; i++) {
		if (v->p[i] < '0' || v->p[i] > '9')
			return false;
		n = n * 10 + (v->p[i] - '0');
	}
	*mx = n > SSDP_MX_MAX ? SSDP_MX_MAX : n;
	return true;
}

static bool take_header(const struct line *l, struct ssdp_search *out,
			bool *man, bool *st)
{
	struct line v;
	enum header h;

	if (!split_header(l, &h, &v))
		return false;
	switch (h) {
	case H_MAN:
		/* UDA quotes it; a few clients do not. Either way, once. */
		if (*man || !(line_is(&v, "\"ssdp:discover\"") || line_is(&v, "ssdp:discover")))
			return false;
		*man = true;
		return true;
	case H_ST:
		if (*st || v.n == 0 || v.n > SSDP_ST_MAX)
			return false;
		memcpy(out->st, v.p, v.n);
		out->st[v.n] = '\0';
		*st = true;
		return true;
	case H_MX:
		return out->mx < 0 && parse_mx(&v, &out->mx);
	case H_OTHER:
		return true;
	}
	return false;
}

enum ssdp_verdict ssdp_parse(const uint8_t *buf, size_t len, struct ssdp_search *out)
{
	bool bad = false, man = false, st = false, ended = false;
	size_t pos = 0, headers = 0;
	struct line l;

	memset(out, 0, sizeof(*out));
	out->mx = -1;
	if (len > SSDP_MAX_LEN || !next_line(buf, len, &pos, &l, &bad))
		return SSDP_MALFORMED;
	if (!line_is(&l, "M-SEARCH * HTTP/1.1")) {
		/* Announcements and answers of other devices are not requests. */
		if ((l.n >= 7 && !memcmp(l.p, "NOTIFY ", 7)) || (l.n >= 9 && !memcmp(l.p, "HTTP/1.1 ", 9)))
			return SSDP_IGNORE;
		return SSDP_MALFORMED;
	}
	while (next_line(buf, len, &pos, &l, &bad)) {
		if (l.n == 0) {
			ended = true;
			break;
		}
		if (++headers > SSDP_MAX_HEADERS || !take_header(&l, out, &man, &st))
			return SSDP_MALFORMED;
	}
	/* After the blank line only more line ends may follow (libtorrent
	 * sends one): an M-SEARCH has no body. */
	for (; ended && pos < len; pos++)
		if (buf[pos] != '\r' && buf[pos] != '\n')
			return SSDP_MALFORMED;
	if (bad || !man || !st)
		return SSDP_MALFORMED;
	return SSDP_SEARCH;
}

/* "urn:schemas-upnp-org:KIND:" NAME ":" VERSION with VERSION at most ours:
 * the version asked, else 0. */
static unsigned type_asked(const char *st, const char *prefix, const char *name,
			   unsigned ours)
{
	size_t p = strlen(prefix), n = strlen(name);
	unsigned v = 0;
	const char *d;

	if (strncmp(st, prefix, p) || strncmp(st + p, name, n) || st[p + n] != ':')
		return 0;
	d = st + p + n + 1;
	if (*d < '1' || *d > '9')
		return 0;
	for (; *d >= '0' && *d <= '9' && v <= ours; d++)
		v = v * 10 + (unsigned)(*d - '0');
	return *d == '\0' && v <= ours ? v : 0;
}

static void add_reply(struct ssdp_reply *r, size_t *n, const char *st,
		      const char *uuid, bool usn_is_uuid)
{
	struct ssdp_reply *x = &r[(*n)++];

	snprintf(x->st, sizeof(x->st), "%s", st);
	if (usn_is_uuid)
		snprintf(x->usn, sizeof(x->usn), "uuid:%s", uuid);
	else
		snprintf(x->usn, sizeof(x->usn), "uuid:%s::%s", uuid, st);
}

/* Which device holds each service. */
static const enum upnp_node service_node[UPNP_SVC_COUNT] = {
	[UPNP_SVC_IPCONN] = UPNP_NODE_WANCONN,
	[UPNP_SVC_COMMON] = UPNP_NODE_WAN,
};

static void match_types(const struct upnp_device *dev, const char *st, bool all,
			struct ssdp_reply *out, size_t *n)
{
	char urn[UPNP_URN_MAX];

	for (unsigned k = 0; k < UPNP_NODE_COUNT; k++) {
		const char *name = upnp_node_name((enum upnp_node)k);
		unsigned v = all ? dev->version : type_asked(st, UPNP_URN_DEVICE, name, dev->version);

		if (all) {
			snprintf(urn, sizeof(urn), "uuid:%s", dev->uuid[k]);
			add_reply(out, n, urn, dev->uuid[k], true);
		}
		if (v) {
			snprintf(urn, sizeof(urn), UPNP_URN_DEVICE "%s:%u", name, v);
			add_reply(out, n, urn, dev->uuid[k], false);
		}
	}
	for (unsigned s = 0; s < UPNP_SVC_COUNT; s++) {
		const char *name = upnp_service_name((enum upnp_service)s);
		unsigned ours = upnp_service_version(dev, (enum upnp_service)s);
		unsigned v = all ? ours : type_asked(st, UPNP_URN_SERVICE, name, ours);

		if (v) {
			snprintf(urn, sizeof(urn), UPNP_URN_SERVICE "%s:%u", name, v);
			add_reply(out, n, urn, dev->uuid[service_node[s]], false);
		}
	}
}

size_t ssdp_match(const struct upnp_device *dev, const char *st,
		  struct ssdp_reply out[SSDP_REPLIES_MAX])
{
	bool all = strcmp(st, "ssdp:all") == 0;
	size_t n = 0;

	if (all || strcmp(st, "upnp:rootdevice") == 0)
		add_reply(out, &n, "upnp:rootdevice", dev->uuid[UPNP_NODE_ROOT], false);
	if (!strncmp(st, "uuid:", 5)) {
		for (unsigned k = 0; k < UPNP_NODE_COUNT; k++)
			if (!strcasecmp(st + 5, dev->uuid[k]))
				add_reply(out, &n, st, dev->uuid[k], true);
		return n;
	}
	match_types(dev, st, all, out, &n);
	return n;
}

size_t ssdp_encode(char *out, size_t cap, const struct upnp_device *dev,
		   const struct ssdp_reply *reply, const struct ip_addr *addr,
		   uint16_t http_port)
{
	struct text t = text_init(out, cap);
	char host[IP_ADDR_TEXT_LEN];
	bool is_v4 = ip_addr_is_v4(addr);

	ip_addr_text(addr, host);
	text_printf(&t, "HTTP/1.1 200 OK\r\n"
		    "CACHE-CONTROL: max-age=%u\r\n"
		    "EXT:\r\n"
		    "LOCATION: http://%s%s%s:%u" UPNP_PATH_ROOT "\r\n"
		    "SERVER: " SSDP_SERVER "\r\n"
		    "ST: %s\r\n"
		    "USN: %s\r\n"
		    "BOOTID.UPNP.ORG: %u\r\n"
		    "CONFIGID.UPNP.ORG: %u\r\n"
		    "\r\n",
		    SSDP_CACHE_MAX_AGE, is_v4 ? "" : "[", host, is_v4 ? "" : "]",
		    (unsigned)http_port, reply->st, reply->usn,
		    (unsigned)dev->boot_id, (unsigned)dev->config_id);
	return text_done(&t);
}
