/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The address an HTTP endpoint listens on, as the policy and the client's
 * configuration write it: one reading for the checks at load time and for
 * the socket itself. */
#ifndef PORTGATE_UTIL_LISTENADDR_H
#define PORTGATE_UTIL_LISTENADDR_H

#include <sys/socket.h>

/* A.B.C.D:PORT or [IPv6]:PORT ([::]:9834 for every address). 0, or -1 when
 * text is none of these (or the port is 0). */
int listen_addr_parse(const char *text, struct sockaddr_storage *out, socklen_t *len);

#endif
