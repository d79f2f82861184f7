/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The few HTTP requests the app clients make, over libcurl, with short
 * timeouts. */
#ifndef PORTGATE_CLIENT_HTTP_H
#define PORTGATE_CLIENT_HTTP_H

#include <stddef.h>

#define HTTP_BODY_MAX 16384

struct http_reply {
	long status;			/* 0: no answer */
	char body[HTTP_BODY_MAX];
	size_t len;
	char session_id[128];		/* X-Transmission-Session-Id, when sent */
};

struct http_request {
	const char *url;
	const char *body;		/* NULL: GET */
	const char *content_type;
	const char *header;		/* one extra "Name: value", or NULL */
	const char *user, *password;	/* basic auth when user is set */
	long timeout_s;			/* the whole request; 0: 5 s */
};

struct http;
struct http *http_new(void);		/* keeps cookies between requests */
void http_free(struct http *h);
/* 0 with r filled, or -1 with the reason in err. */
int http_do(struct http *h, const struct http_request *req, struct http_reply *r,
	    char *err, size_t errlen);
/* The first line of a file (a password), without its newline;
 * "credential:NAME" reads $CREDENTIALS_DIRECTORY/NAME (systemd). */
int read_secret(const char *path, char *out, size_t cap, char *err, size_t errlen);

#endif
