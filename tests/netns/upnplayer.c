/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A test tool, not the daemon: src/upnp on real sockets, so that real
 * clients (upnpc, libtorrent) judge the layer's answers before the daemon
 * serves them. SSDP on 1900 (the group joined on IFNAME), HTTP on
 * ADDR:PORT, and a list of mappings in memory (no kernel, no peers, no
 * policy). One connection at a time with a receive timeout: a test's
 * clients wait their turn. Each action served is one line on stdout.
 *   upnplayer ADDR PORT IFNAME VERSION */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "upnp/describe.h"
#include "upnp/igd.h"
#include "upnp/ssdp.h"
#include "util/addrclass.h"

#define MAPS_MAX 64
#define REQ_MAX (SOAP_BODY_MAX + 4096)

static struct upnp_device dev;
static struct ip_addr self;
static uint16_t http_port;
static struct igd_entry maps[MAPS_MAX];
static char descs[MAPS_MAX][IGD_DESC_MAX + 1];
static size_t nmaps;
static char out[IGD_LIST_OVERHEAD + MAPS_MAX * IGD_LIST_ENTRY_MAX];

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void serve_ssdp(int fd)
{
	uint8_t buf[SSDP_MAX_LEN + 1];
	struct sockaddr_in src;
	socklen_t sl = sizeof(src);
	struct ssdp_search s;
	struct ssdp_reply r[SSDP_REPLIES_MAX];
	char ans[SSDP_RESPONSE_MAX];
	ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&src, &sl);
	size_t k;

	if (n < 0 || ssdp_parse(buf, (size_t)n, &s) != SSDP_SEARCH)
		return;
	k = ssdp_match(&dev, s.st, r);
	printf("search %s: %zu answers\n", s.st, k);
	for (size_t i = 0; i < k; i++) {
		size_t len = ssdp_encode(ans, sizeof(ans), &dev, &r[i], &self, http_port);

		if (len)
			sendto(fd, ans, len, 0, (struct sockaddr *)&src, sl);
	}
}

static struct igd_entry *find(uint8_t proto, uint16_t port)
{
	for (size_t i = 0; i < nmaps; i++)
		if (maps[i].proto == proto && maps[i].external_port == port)
			return &maps[i];
	return NULL;
}

static void drop(struct igd_entry *e)
{
	size_t i = (size_t)(e - maps);

	maps[i] = maps[--nmaps];
	memcpy(descs[i], descs[nmaps], sizeof(descs[i]));
	maps[i].description = descs[i];
}

static int add(struct igd_add *a, bool any, uint16_t *port)
{
	struct igd_entry *e = a->external_port ? find(a->proto, a->external_port) : NULL;

	if (e && !ip_addr_equal(&e->internal_client, &a->internal_client)) {
		if (!any)
			return UPNP_CONFLICT;
		e = NULL;
		a->external_port = 0;
	}
	for (uint16_t p = 40000; !a->external_port && p < 41000; p++)
		if (!find(a->proto, p))
			a->external_port = p;
	if (!e) {
		if (nmaps == MAPS_MAX || !a->external_port)
			return UPNP_NO_PORT_MAPS_AVAILABLE;
		e = &maps[nmaps];
		e->description = descs[nmaps++];
	}
	e->proto = a->proto;
	e->external_port = a->external_port;
	e->internal_port = a->internal_port;
	e->internal_client = a->internal_client;
	e->enabled = true;
	/* Lease 0: the "policy maximum" of this tool is a week. */
	e->lease_remaining = a->lease ? a->lease : IGD_LEASE_MAX_V2;
	memcpy(descs[e - maps], a->description, sizeof(descs[0]));
	*port = a->external_port;
	return UPNP_OK;
}

static int range_delete(const struct igd_range *r)
{
	size_t before = nmaps;

	for (size_t i = nmaps; i-- > 0;)
		if (maps[i].proto == r->proto && maps[i].external_port >= r->start_port &&
		    maps[i].external_port <= r->end_port)
			drop(&maps[i]);
	return nmaps < before ? UPNP_OK : UPNP_PORT_MAPPING_NOT_FOUND;
}

static int act(struct igd_request *q, struct igd_result *res, struct igd_entry *list)
{
	struct igd_entry *e;

	switch (q->action) {
	case IGD_ADD_PORT_MAPPING:
	case IGD_ADD_ANY_PORT_MAPPING:
		return add(&q->add, q->action == IGD_ADD_ANY_PORT_MAPPING, &res->reserved_port);
	case IGD_DELETE_PORT_MAPPING:
	case IGD_GET_SPECIFIC_PORT_MAPPING_ENTRY:
		e = find(q->key.proto, q->key.external_port);
		if (!e)
			return UPNP_NO_SUCH_ENTRY;
		if (q->action == IGD_DELETE_PORT_MAPPING)
			drop(e);
		else
			res->entry = *e;
		return UPNP_OK;
	case IGD_DELETE_PORT_MAPPING_RANGE:
		return range_delete(&q->range);
	case IGD_GET_GENERIC_PORT_MAPPING_ENTRY:
		if (q->index >= nmaps)
			return UPNP_ARRAY_INDEX_INVALID;
		res->entry = maps[q->index];
		return UPNP_OK;
	case IGD_GET_LIST_OF_PORT_MAPPINGS:
		res->entries = list;
		for (size_t i = 0; i < nmaps; i++)
			if (maps[i].proto == q->range.proto && maps[i].external_port >= q->range.start_port &&
			    maps[i].external_port <= q->range.end_port)
				list[res->nentries++] = maps[i];
		return res->nentries ? UPNP_OK : UPNP_NO_SUCH_ENTRY;
	default:
		res->external_ip = ip_addr_from_v4(0xcb007107);	/* 203.0.113.7 */
		res->connected = true;
		res->uptime = 60;
		res->up_bps = res->down_bps = 1000000000;
		return UPNP_OK;
	}
}

static void reply(int fd, const char *status, const char *body, size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof(head), "HTTP/1.1 %s\r\nContent-Type: text/xml; charset=\"utf-8\"\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n", status, len);

	if (write(fd, head, (size_t)n) < 0 || (len && write(fd, body, len) < 0))
		perror("write");
}

static void control(int fd, enum upnp_service svc, const char *soapaction, const char *body, size_t len)
{
	static struct igd_entry list[MAPS_MAX];
	struct igd_result res = { 0 };
	struct soap_request s;
	struct igd_request q;
	const char *why = NULL;
	int rc = soap_parse(soapaction, body, len, &s, &why);
	size_t n;

	if (rc == UPNP_OK && s.service != svc)
		rc = UPNP_INVALID_ACTION;
	if (rc == UPNP_OK)
		rc = igd_decode(&dev, &s, &q);
	if (rc == UPNP_OK)
		rc = act(&q, &res, list);
	printf("%s: %d %s\n", s.action[0] ? s.action : "?", rc, why ? why : "");
	if (rc == UPNP_OK && (n = igd_encode(out, sizeof(out), &q, &res)))
		return reply(fd, "200 OK", out, n);
	n = soap_encode_fault(out, sizeof(out), rc ? rc : UPNP_ACTION_FAILED);
	reply(fd, "500 Internal Server Error", out, n);
}

/* The value of header name in head (up to its blank line), copied to
 * val; false if there is none. */
static bool header(const char *head, const char *name, char *val, size_t cap)
{
	size_t n = strlen(name);
	const char *stop = strstr(head, "\r\n\r\n");

	for (const char *l = strstr(head, "\r\n"); l && l < stop; l = strstr(l + 2, "\r\n")) {
		if (!strncasecmp(l + 2, name, n) && l[2 + n] == ':') {
			const char *v = l + 3 + n, *end = strstr(v, "\r\n");

			while (*v == ' ')
				v++;
			snprintf(val, cap, "%.*s", (int)(end - v), v);
			return true;
		}
	}
	return false;
}

static void serve_http(int lfd)
{
	static char req[REQ_MAX + 1];
	struct timeval tv = { .tv_sec = 2 };
	char method[8], path[128], cl[16], sa[256], *end;
	size_t got = 0, body_len = 0;
	enum upnp_service svc;
	enum upnp_doc doc;
	int fd = accept(lfd, NULL, NULL);
	ssize_t n;

	if (fd < 0)
		return;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (got < REQ_MAX && (n = read(fd, req + got, REQ_MAX - got)) > 0) {
		got += (size_t)n;
		req[got] = '\0';
		end = strstr(req, "\r\n\r\n");
		if (!end)
			continue;
		body_len = header(req, "Content-Length", cl, sizeof(cl)) ? strtoul(cl, NULL, 10) : 0;
		if (got >= (size_t)(end + 4 - req) + body_len)
			break;
	}
	end = strstr(req, "\r\n\r\n");
	if (!end || sscanf(req, "%7s %127s", method, path) != 2) {
		close(fd);
		return;
	}
	if (!strcmp(method, "GET") && (doc = upnp_doc_for_path(path)) != UPNP_DOC_NONE) {
		printf("get %s\n", path);
		reply(fd, "200 OK", out, upnp_describe(out, sizeof(out), &dev, doc));
	} else if (!strcmp(method, "POST") && upnp_control_for_path(path, &svc) &&
		   header(req, "SOAPAction", sa, sizeof(sa))) {
		control(fd, svc, sa, end + 4, got - (size_t)(end + 4 - req));
	} else {
		printf("refused %s %s\n", method, path);
		reply(fd, "404 Not Found", "", 0);
	}
	fflush(stdout);
	close(fd);
}

static int ssdp_socket(const char *ifname)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(SSDP_PORT) };
	struct ip_mreqn m = { .imr_ifindex = (int)if_nametoindex(ifname) };
	int one = 1, fd = socket(AF_INET, SOCK_DGRAM, 0);

	inet_pton(AF_INET, SSDP_GROUP_V4, &m.imr_multiaddr);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof(m)))
		die("ssdp socket");
	return fd;
}

static int http_socket(const char *addr)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(http_port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || inet_pton(AF_INET, addr, &a.sin_addr) != 1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 16))
		die("http socket");
	return fd;
}

int main(int argc, char **argv)
{
	static const uint8_t seed[16] = { 0x70, 0x67 };
	struct in_addr a;
	struct pollfd p[2];

	if (argc != 5 || inet_pton(AF_INET, argv[1], &a) != 1 ||
	    !upnp_device_init(&dev, (unsigned)atoi(argv[4]), seed, "portgate test")) {
		fprintf(stderr, "usage: upnplayer ADDR PORT IFNAME VERSION(1|2)\n");
		return 2;
	}
	self = ip_addr_from_v4(ntohl(a.s_addr));
	http_port = (uint16_t)atoi(argv[2]);
	p[0] = (struct pollfd){ .fd = ssdp_socket(argv[3]), .events = POLLIN };
	p[1] = (struct pollfd){ .fd = http_socket(argv[1]), .events = POLLIN };
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			die("poll");
		if (p[0].revents & POLLIN)
			serve_ssdp(p[0].fd);
		if (p[1].revents & POLLIN)
			serve_http(p[1].fd);
		fflush(stdout);
	}
}
