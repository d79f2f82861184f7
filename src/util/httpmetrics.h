/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Prometheus metrics over HTTP (libmicrohttpd), served from the owner's
 * own event loop: no threads. GET /metrics answers the owner's render
 * callback, and a few more paths the owner adds (metrics_route). One slow scraper cannot hold every connection: each has a
 * timeout, and connections are capped in all and per address. */
#ifndef PORTGATE_UTIL_HTTPMETRICS_H
#define PORTGATE_UTIL_HTTPMETRICS_H

#include <stddef.h>

#define METRICS_TIMEOUT_S 5u
#define METRICS_MAX_CONNECTIONS 16u
#define METRICS_MAX_PER_ADDRESS 4u
#define METRICS_MAX_ROUTES 4u

struct loop;
struct metrics;

/* The exposition text (malloc'd), or NULL when memory is short. */
typedef char *(*metrics_render_fn)(void *arg, size_t *len);

/* listen_addr as listen_addr_parse reads it (IPv4 or [IPv6], with the
 * port). NULL with the reason logged. */
struct metrics *metrics_open(struct loop *loop, const char *listen_addr,
			     metrics_render_fn render, void *arg);
/* GET path (exact, e.g. /v1/openvpn/portforwarded) answers render's text
 * as content_type; path and content_type must outlive m. 0, or -1 when
 * METRICS_MAX_ROUTES are taken. */
int metrics_route(struct metrics *m, const char *path, const char *content_type,
		  metrics_render_fn render, void *arg);
void metrics_close(struct metrics *m);

#endif
