/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/api.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>

#include "daemon/webassets.h"
#include "util/httploop.h"
#include "util/listenaddr.h"
#include "util/log.h"

struct api {
	api_handler handler;
	void *arg;
	char token[API_TOKEN_MAX + 1];
	char *tls_cert, *tls_key;	/* PEM text, kept while the daemon runs */
	struct http_loop http;
};

/* One request's body as it arrives. */
struct upload {
	char buf[API_BODY_MAX + 1];
	size_t len;
};

bool api_authorized(const char *header, const char *token)
{
	static const char scheme[] = "Bearer ";
	size_t tlen = strlen(token), glen;
	unsigned char diff;

	if (!header || strncmp(header, scheme, sizeof(scheme) - 1))
		return false;
	header += sizeof(scheme) - 1;
	glen = strlen(header);
	/* Every byte of the token is compared, whatever the header holds. */
	diff = glen != tlen;
	for (size_t i = 0; i < tlen; i++)
		diff |= (unsigned char)(token[i] ^ (i < glen ? header[i] : 0));
	return diff == 0;
}

int api_read_token(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
	char buf[API_TOKEN_MAX + 2];
	struct stat st;
	ssize_t n;
	size_t len;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		close(fd);
		snprintf(err, errlen, "%s: others may read or write it; chmod 600 (or 640 "
			 "with the daemon's group)", path);
		return -1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	len = strcspn(buf, "\r\n");
	buf[len] = '\0';
	if (len < API_TOKEN_MIN || len > API_TOKEN_MAX || len >= outlen ||
	    strpbrk(buf, " \t")) {
		snprintf(err, errlen, "%s: the token must be %u to %u characters on the first "
			 "line, without spaces (e.g. head -c 32 /dev/urandom | base64)", path,
			 API_TOKEN_MIN, API_TOKEN_MAX);
		return -1;
	}
	memcpy(out, buf, len + 1);
	return 0;
}

static enum MHD_Result send_answer(struct MHD_Connection *conn, unsigned status,
				   const char *type, const void *data, size_t len,
				   enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)data, mode);
	enum MHD_Result ret;

	if (!resp) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free((void *)data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", type);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Content-Security-Policy",
				"default-src 'none'; script-src 'self'; style-src 'self'; "
				"connect-src 'self'; img-src 'self'; frame-ancestors 'none'");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"portgate\"");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status,
				  const char *why)
{
	char *body = malloc(strlen(why) + 32);

	if (!body)
		return MHD_NO;
	/* why is ours, never the request's: no escaping needed. */
	sprintf(body, "{\"error\": \"%s\"}\n", why);
	return send_answer(conn, status, "application/json", body, strlen(body),
			   MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result serve_asset(struct MHD_Connection *conn, const char *method,
				   const struct web_asset *w)
{
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET here");
	return send_answer(conn, MHD_HTTP_OK, w->type, w->data, w->len,
			   MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result call_handler(struct api *a, struct MHD_Connection *conn,
				    const char *method, const char *url, struct upload *up)
{
	struct api_request req = { method, url, up ? up->buf : "", up ? up->len : 0 };
	unsigned status = MHD_HTTP_INTERNAL_SERVER_ERROR;
	char *body = a->handler(a->arg, &req, &status);

	if (!body)
		return send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	return send_answer(conn, status, "application/json", body, strlen(body),
			   MHD_RESPMEM_MUST_FREE);
}

/* libmicrohttpd calls this for the headers (*state NULL), then for each
 * piece of the body, then once more with none. */
static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version,
			      const char *upload, size_t *upload_len, void **state)
{
	struct api *a = cls;
	struct upload *up = *state;
	const struct web_asset *asset = web_asset_find(url);
	const char *clen;

	(void)version;
	if (asset)
		return serve_asset(conn, method, asset);
	if (strncmp(url, "/api/", 5))
		return send_error(conn, MHD_HTTP_NOT_FOUND, "no such path (the API is under /api/)");
	if (!up) {
		if (!api_authorized(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							       MHD_HTTP_HEADER_AUTHORIZATION),
				    a->token))
			return send_error(conn, MHD_HTTP_UNAUTHORIZED,
					  "a valid Authorization: Bearer token is required");
		clen = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						   MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (clen && strtoull(clen, NULL, 10) > API_BODY_MAX)
			return send_error(conn, MHD_HTTP_CONTENT_TOO_LARGE, "the body is too large");
		if (!(up = calloc(1, sizeof(*up))))
			return MHD_NO;
		*state = up;
		return MHD_YES;
	}
	if (*upload_len) {
		/* A chunked body that outgrows the limit: the connection goes. */
		if (up->len + *upload_len > API_BODY_MAX)
			return MHD_NO;
		memcpy(up->buf + up->len, upload, *upload_len);
		up->len += *upload_len;
		up->buf[up->len] = '\0';
		*upload_len = 0;
		return MHD_YES;
	}
	return call_handler(a, conn, method, url, up);
}

static void request_done(void *cls, struct MHD_Connection *conn, void **state,
			 enum MHD_RequestTerminationCode why)
{
	(void)cls; (void)conn; (void)why;
	free(*state);
	*state = NULL;
}

/* The path as sent: {id} is percent-decoded by apiroute.c alone, once. */
static size_t keep_escaped(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls; (void)conn;
	return strlen(s);
}

static char *read_pem(const char *path)
{
	char err[256];
	size_t len;
	char *text = NULL;
	FILE *f = fopen(path, "re");

	if (f) {
		text = calloc(1, 1 << 20);
		len = text ? fread(text, 1, (1 << 20) - 1, f) : 0;
		if (text && (!len || ferror(f))) {
			free(text);
			text = NULL;
		}
		fclose(f);
	}
	if (!text) {
		snprintf(err, sizeof(err), "api: cannot read %s", path);
		log_warn("%s", err);
	}
	return text;
}

static struct MHD_Daemon *start_httpd(struct api *a, const struct sockaddr_storage *ss)
{
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	uint16_t port;

	if (ss->ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	} else {
		port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	}
	if (a->tls_cert)
		flags |= MHD_USE_TLS;
	/* MHD_USE_EPOLL without an internal thread: its epoll fd joins ours. */
	return MHD_start_daemon(flags, port, NULL, NULL, answer, a,
				MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)ss,
				MHD_OPTION_CONNECTION_TIMEOUT, API_TIMEOUT_S,
				MHD_OPTION_CONNECTION_LIMIT, API_MAX_CONNECTIONS,
				MHD_OPTION_PER_IP_CONNECTION_LIMIT, API_MAX_PER_ADDRESS,
				MHD_OPTION_NOTIFY_COMPLETED, request_done, a,
				MHD_OPTION_UNESCAPE_CALLBACK, keep_escaped, a,
				a->tls_cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
				a->tls_cert, MHD_OPTION_HTTPS_MEM_KEY, a->tls_key,
				MHD_OPTION_END);
}

struct api *api_open(struct loop *loop, const struct api_config *c, api_handler handler,
		     void *arg)
{
	struct api *a = calloc(1, sizeof(*a));
	struct sockaddr_storage ss;
	struct MHD_Daemon *httpd;
	socklen_t sl;
	char err[512];

	if (!a || listen_addr_parse(c->listen, &ss, &sl) < 0) {
		free(a);
		return NULL;
	}
	a->handler = handler;
	a->arg = arg;
	if (api_read_token(c->token_file, a->token, sizeof(a->token), err, sizeof(err)) < 0) {
		log_warnx("api.token_file: %s", err);
		goto fail;
	}
	if (c->tls_cert && c->tls_cert[0]) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			log_warnx("api: this libmicrohttpd has no TLS; use a reverse proxy");
			goto fail;
		}
		if (!(a->tls_cert = read_pem(c->tls_cert)) || !(a->tls_key = read_pem(c->tls_key)))
			goto fail;
	}
	httpd = start_httpd(a, &ss);
	if (!httpd || http_loop_open(&a->http, loop, httpd) < 0) {
		log_warn("api: cannot listen on %s", c->listen);
		goto fail;
	}
	log_info("api: %s://%s/", a->tls_cert ? "https" : "http", c->listen);
	return a;
fail:
	api_close(a);
	return NULL;
}

void api_close(struct api *a)
{
	if (!a)
		return;
	if (a->http.httpd)
		http_loop_close(&a->http);
	explicit_bzero(a->token, sizeof(a->token));
	if (a->tls_key)
		explicit_bzero(a->tls_key, strlen(a->tls_key));
	free(a->tls_cert);
	free(a->tls_key);
	free(a);
}
