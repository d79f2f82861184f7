/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Telling the apps behind the tunnel which port is forwarded: a port file,
 * a hook, the Transmission RPC and the qBittorrent WebUI API. Each sync
 * reads the app's port first and changes it only when it differs (an app
 * that restarted with its old port is found this way), then checks that
 * the change took. Blocking (HTTP): the daemon runs it in a child. */
#ifndef PORTGATE_CLIENT_APPS_H
#define PORTGATE_CLIENT_APPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/clientconf.h"

/* The apps, in the order apps_sync reports them; their names start its
 * lines and label the metrics. */
enum app_kind { APP_PORT_FILE, APP_TRANSMISSION, APP_QBITTORRENT, APP_HOOK, APP_DOWN_HOOK,
		APP_COUNT };
extern const char *const app_names[APP_COUNT];

/* Each: 0, or -1; a line for the log in msg either way. Port 0 empties
 * the port file (no port is forwarded). */
int port_file_write(const char *path, uint16_t port, char *msg, size_t len);
int hook_run(const char *hook, uint16_t port, char *msg, size_t len);
int transmission_sync(const struct client_app *a, uint16_t port, char *msg, size_t len);
int qbittorrent_sync(const struct client_app *a, uint16_t port, char *msg, size_t len);
/* The port the app says it listens on, changing nothing; -1 with the
 * reason in msg. */
long transmission_port(const struct client_app *a, char *msg, size_t len);
long qbittorrent_port(const struct client_app *a, char *msg, size_t len);

/* Every configured app; one line per app to fd: "NAME ok|error MESSAGE".
 * The port file and the hook only when changed (the port is new to them);
 * the apps' APIs are always asked. Returns how many failed. A port outside
 * accept_ports reaches none: one line "accept_ports error ...", 1. */
int apps_sync(const struct client_config *c, uint16_t port, bool changed, int fd);
/* The forward of old_port is lost: the port file emptied, then the
 * down_hook run as DOWN_HOOK OLD_PORT; lines and result as apps_sync. The
 * apps' APIs are left alone (there is no port to give them). */
int apps_lost(const struct client_config *c, uint16_t old_port, int fd);

#endif
