/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/listenaddr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

int listen_addr_parse(const char *text, struct sockaddr_storage *out, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)out;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
	char host[INET6_ADDRSTRLEN], tail;
	unsigned port;

	memset(out, 0, sizeof(*out));
	if (sscanf(text, "[%45[0-9a-fA-F:.]]:%u%c", host, &port, &tail) == 2) {
		sin6->sin6_family = AF_INET6;
		if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
	} else if (sscanf(text, "%15[0-9.]:%u%c", host, &port, &tail) == 2) {
		sin->sin_family = AF_INET;
		if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
			return -1;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
	} else {
		return -1;
	}
	return port >= 1 && port <= 65535 ? 0 : -1;
}
