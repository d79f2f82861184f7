/* SPDX-License-Identifier: GPL-2.0-or-later */
/* systemd's readiness protocol (sd_notify(3)) without libsystemd: one
 * datagram of KEY=VALUE lines to the AF_UNIX socket named by $NOTIFY_SOCKET
 * (a path, or '@' for the abstract namespace). Stateless: each call opens,
 * sends and closes, so nothing is kept between calls. */
#ifndef PORTGATE_UTIL_SDNOTIFY_H
#define PORTGATE_UTIL_SDNOTIFY_H

/* Sends the formatted text as one datagram. 0 when sent or when
 * $NOTIFY_SOCKET is unset (not started by systemd), -errno otherwise. */
int sdnotify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "RELOADING=1" with MONOTONIC_USEC= now, as Type=notify-reload wants. */
int sdnotify_reloading(void);

#endif
