/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The operator's HTTP API and web page (libmicrohttpd, served by the
 * owner's event loop: no threads, never blocking). Every /api/ request
 * needs "Authorization: Bearer TOKEN" (compared in constant time); the
 * web page's static files are served without it (they hold no data).
 * Connections are capped in all and per address, each has a timeout, and a
 * request body is at most API_BODY_MAX bytes. What a request means is the
 * owner's handler. */
#ifndef PORTGATE_DAEMON_API_H
#define PORTGATE_DAEMON_API_H

#include <stdbool.h>
#include <stddef.h>

#define API_TIMEOUT_S 10u
#define API_MAX_CONNECTIONS 32u
#define API_MAX_PER_ADDRESS 8u
#define API_BODY_MAX 16384u
#define API_TOKEN_MIN 16u
#define API_TOKEN_MAX 256u

struct loop;
struct api;

struct api_config {
	const char *listen;		/* as listen_addr_parse reads it */
	const char *token_file;		/* not readable by others */
	const char *tls_cert, *tls_key;	/* PEM files, or NULL: plain HTTP */
};

struct api_request {
	const char *method;
	const char *path;		/* as sent, not unescaped */
	const char *body;		/* NUL-terminated */
	size_t body_len;
};

/* Sets *status (an HTTP status) and returns the JSON answer (malloc'd),
 * or NULL when memory is short. */
typedef char *(*api_handler)(void *arg, const struct api_request *req, unsigned *status);

/* NULL with the reason logged (the token file readable by others, or too
 * short; a TLS file unreadable; the address taken). */
struct api *api_open(struct loop *loop, const struct api_config *c, api_handler handler,
		     void *arg);
void api_close(struct api *a);

/* Whether the header value is "Bearer TOKEN": the time taken depends on
 * the token's length only. */
bool api_authorized(const char *header, const char *token);
/* The token: the file's first line, API_TOKEN_MIN to API_TOKEN_MAX
 * characters; a file that others may read or write is refused. 0, or -1
 * with the reason in err. */
int api_read_token(const char *path, char *out, size_t outlen, char *err, size_t errlen);

#endif
