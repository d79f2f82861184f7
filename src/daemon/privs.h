/* Least privilege: once the sockets are open the daemon keeps CAP_NET_ADMIN
 * alone, and with a user given, runs as that user. */
#ifndef PORTGATE_PRIVS_H
#define PORTGATE_PRIVS_H

/* 0, or -1 with the reason logged. user may be NULL. */
int privileges_drop(const char *user);

#endif
