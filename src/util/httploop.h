/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A libmicrohttpd daemon (MHD_USE_EPOLL, no thread of its own) served by
 * the owner's event loop: its epoll fd joins the loop, and a 1 s timer
 * lets it time idle connections out. Shared by the metrics endpoint and
 * the operator's API. */
#ifndef PORTGATE_UTIL_HTTPLOOP_H
#define PORTGATE_UTIL_HTTPLOOP_H

#include "util/loop.h"

struct MHD_Daemon;

struct http_loop {
	struct loop *loop;
	struct MHD_Daemon *httpd;
	struct loop_watch watch, timer;
};

/* Takes over httpd (stopped by http_loop_close, also on failure). 0, or -1
 * with errno set. */
int http_loop_open(struct http_loop *h, struct loop *loop, struct MHD_Daemon *httpd);
void http_loop_close(struct http_loop *h);

#endif
