/* Prometheus metrics over HTTP (libmicrohttpd), served from the daemon's
 * own event loop: no threads. */
#ifndef PORTGATE_METRICS_H
#define PORTGATE_METRICS_H

#include <stddef.h>

struct gateway;
struct metrics;

struct metrics *metrics_open(struct gateway *g, const char *listen_addr);
void metrics_close(struct metrics *m);
/* Lets libmicrohttpd time out idle connections; call now and then. */
void metrics_tick(struct metrics *m);
/* The exposition text; the caller frees it. */
char *metrics_render(const struct gateway *g, size_t *len);

#endif
