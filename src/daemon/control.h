/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The operator's control socket: a unix stream socket (root, or the given
 * group), one request line per connection, one answer. Connections are
 * served by the event loop without blocking it: each has a total deadline,
 * their number and the request size are capped. What a request means is
 * the owner's handler. */
#ifndef PORTGATE_DAEMON_CONTROL_H
#define PORTGATE_DAEMON_CONTROL_H

#define CONTROL_MAX_CONNECTIONS 8
#define CONTROL_REQUEST_MAX 4096
/* From accept to the last byte of the answer. */
#define CONTROL_DEADLINE_MS 2000

struct loop;
struct control;

/* Answers one request (a NUL-terminated line): malloc'd text, or NULL. */
typedef char *(*control_handler)(void *arg, const char *request);

/* NULL with the reason logged (a missing group, a path we cannot bind). */
struct control *control_open(struct loop *loop, const char *path, const char *group,
			     control_handler handler, void *arg);
void control_close(struct control *c);

#endif
