/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Least privilege: once the sockets are open the daemon keeps CAP_NET_ADMIN
 * alone, and with a user given, runs as that user. */
#ifndef PORTGATE_PRIVS_H
#define PORTGATE_PRIVS_H

#define PRIVS_DEFAULT_USER "portgate"

/* Who the daemon runs as after setup: the user asked for (-u), or, when
 * started as root without -u, PRIVS_DEFAULT_USER if it exists (a
 * capability-less root can still write root's files). "root" or NULL: stay. */
const char *privileges_user(const char *asked);
/* 0, or -1 with the reason logged. user may be NULL (stay who we are). */
int privileges_drop(const char *user);

#endif
