/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the service manager is told about the gateway (util/sdnotify.h):
 * READY=1 once it serves and again after each reload, with STATUS= naming
 * the interface and the mapping count. */
#ifndef PORTGATE_DAEMON_NOTIFY_H
#define PORTGATE_DAEMON_NOTIFY_H

struct gateway;

void notify_ready(const struct gateway *g);

#endif
