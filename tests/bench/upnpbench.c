/* SPDX-License-Identifier: GPL-2.0-or-later */
/* UPnP load generator for make bench: AddPortMapping or DeletePortMapping
 * SOAP calls over HTTP, one at a time (closed loop, each a connection of
 * its own, as miniupnpc makes them), from many source addresses (each a
 * peer's). Prints one line: the rate and the call latencies.
 *   upnpbench -g GW -P HTTP_PORT -s FIRST_SRC -n SOURCES -k PER_SOURCE
 *             -o EXT_BASE add|delete
 * Source i asks for external ports EXT_BASE + i * PER_SOURCE + j (TCP),
 * forwarded to its own address, internal port 10000 + j. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "benchclock.h"

#define URN "urn:schemas-upnp-org:service:WANIPConnection:2"

/* The SOAP body of one call. */
static int body_of(char *out, size_t cap, int add, unsigned ext, unsigned in, const char *src)
{
	if (add)
		return snprintf(out, cap,
			"<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
			"s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>"
			"<u:AddPortMapping xmlns:u=\"" URN "\"><NewRemoteHost></NewRemoteHost>"
			"<NewExternalPort>%u</NewExternalPort><NewProtocol>TCP</NewProtocol>"
			"<NewInternalPort>%u</NewInternalPort><NewInternalClient>%s</NewInternalClient>"
			"<NewEnabled>1</NewEnabled><NewPortMappingDescription>bench</NewPortMappingDescription>"
			"<NewLeaseDuration>3600</NewLeaseDuration></u:AddPortMapping></s:Body></s:Envelope>\r\n",
			ext, in, src);
	return snprintf(out, cap,
		"<?xml version=\"1.0\"?>\r\n<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" "
		"s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>"
		"<u:DeletePortMapping xmlns:u=\"" URN "\"><NewRemoteHost></NewRemoteHost>"
		"<NewExternalPort>%u</NewExternalPort><NewProtocol>TCP</NewProtocol>"
		"</u:DeletePortMapping></s:Body></s:Envelope>\r\n", ext);
}

/* One call from src: 1 when answered 200, 0 otherwise. */
static int call(const struct sockaddr_in *gw, const char *gws, struct in_addr src, int add,
		unsigned ext, unsigned in)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_addr = src };
	char s[INET_ADDRSTRLEN], body[2048], req[3072], resp[4096];
	int fd = socket(AF_INET, SOCK_STREAM, 0), n, len, got = 0, ok;

	inet_ntop(AF_INET, &src, s, sizeof(s));
	len = body_of(body, sizeof(body), add, ext, in, s);
	n = snprintf(req, sizeof(req),
		     "POST /ctl/IPConn HTTP/1.1\r\nHost: %s:%u\r\nContent-Type: text/xml; charset=\"utf-8\"\r\n"
		     "SOAPAction: \"" URN "#%s\"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		     gws, ntohs(gw->sin_port), add ? "AddPortMapping" : "DeletePortMapping", len, body);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) < 0 ||
	    connect(fd, (const struct sockaddr *)gw, sizeof(*gw)) < 0 ||
	    write(fd, req, (size_t)n) != n) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	while (got < (int)sizeof(resp) - 1 && (n = (int)read(fd, resp + got, sizeof(resp) - 1 - (size_t)got)) > 0)
		got += n;
	resp[got] = '\0';
	close(fd);
	ok = !strncmp(resp, "HTTP/1.1 200", 12);
	return ok;
}

int main(int argc, char **argv)
{
	struct sockaddr_in gw = { .sin_family = AF_INET };
	const char *gws = NULL, *first = NULL;
	unsigned nsrc = 1, k = 1, base = 30000, port = 5000;
	int opt, add, errors = 0;
	struct in_addr src0;
	double *lat, t0, t;
	size_t n = 0;

	while ((opt = getopt(argc, argv, "g:P:s:n:k:o:")) != -1) {
		switch (opt) {
		case 'g': gws = optarg; break;
		case 'P': port = (unsigned)atoi(optarg); break;
		case 's': first = optarg; break;
		case 'n': nsrc = (unsigned)atoi(optarg); break;
		case 'k': k = (unsigned)atoi(optarg); break;
		case 'o': base = (unsigned)atoi(optarg); break;
		default: return 2;
		}
	}
	if (!gws || !first || optind != argc - 1 || inet_pton(AF_INET, gws, &gw.sin_addr) != 1 ||
	    inet_pton(AF_INET, first, &src0) != 1 || !nsrc || !k || base + nsrc * k > 65536) {
		fprintf(stderr, "usage: upnpbench -g GW -P PORT -s FIRST_SRC -n SOURCES -k PER_SOURCE "
			"-o EXT_BASE add|delete\n");
		return 2;
	}
	add = !strcmp(argv[optind], "add");
	gw.sin_port = htons((uint16_t)port);
	lat = calloc((size_t)nsrc * k, sizeof(*lat));
	if (!lat)
		return 1;
	t0 = now_us();
	for (unsigned i = 0; i < nsrc; i++) {
		struct in_addr src = { htonl(ntohl(src0.s_addr) + i) };

		for (unsigned j = 0; j < k; j++) {
			t = now_us();
			if (!call(&gw, gws, src, add, base + i * k + j, 10000 + j))
				errors++;
			lat[n++] = now_us() - t;
		}
	}
	t = now_us() - t0;
	qsort(lat, n, sizeof(*lat), cmp_double);
	printf("phase=upnp-%s n=%zu rate=%.0f p50_us=%.0f p99_us=%.0f errors=%d\n", argv[optind], n,
	       (double)n * 1e6 / t, lat[n / 2], lat[n * 99 / 100], errors);
	free(lat);
	return 0;
}
