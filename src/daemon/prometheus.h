/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The gateway's metrics in the Prometheus text format (docs/operations.md
 * lists them). */
#ifndef PORTGATE_DAEMON_PROMETHEUS_H
#define PORTGATE_DAEMON_PROMETHEUS_H

#include <stddef.h>

/* A metrics_render_fn: arg is the struct gateway. NULL when memory is
 * short. */
char *gateway_render_metrics(void *arg, size_t *len);

#endif
