/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/httpmetrics.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "util/httploop.h"
#include "util/listenaddr.h"
#include "util/log.h"
#include "util/loop.h"

/* A path and what answers it; routes[0] is /metrics. */
struct metrics_route {
	const char *path, *content_type;
	metrics_render_fn render;
	void *arg;
};

struct metrics {
	struct metrics_route routes[1 + METRICS_MAX_ROUTES];
	size_t n_routes;
	struct http_loop http;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version,
			      const char *upload, size_t *upload_len, void **state)
{
	struct metrics *m = cls;
	const struct metrics_route *r = NULL;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned status = MHD_HTTP_OK;
	size_t len = 0;
	char *body;

	(void)version; (void)upload; (void)upload_len; (void)state;
	for (size_t i = 0; i < m->n_routes && !r; i++)
		if (!strcmp(url, m->routes[i].path))
			r = &m->routes[i];
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		body = strdup("only GET\n");
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		len = body ? strlen(body) : 0;
	} else if (!r) {
		body = strdup("see /metrics\n");
		status = MHD_HTTP_NOT_FOUND;
		len = body ? strlen(body) : 0;
	} else {
		body = r->render(r->arg, &len);
		if (!body) {
			body = strdup("out of memory\n");
			status = MHD_HTTP_INTERNAL_SERVER_ERROR;
			len = body ? strlen(body) : 0;
		}
	}
	resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", r && status == MHD_HTTP_OK
				? r->content_type : "text/plain; charset=utf-8");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

struct metrics *metrics_open(struct loop *loop, const char *listen_addr,
			     metrics_render_fn render, void *arg)
{
	struct metrics *m = calloc(1, sizeof(*m));
	struct sockaddr_storage ss;
	struct MHD_Daemon *httpd;
	socklen_t sl;
	unsigned flags = MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	uint16_t port;

	if (!m || listen_addr_parse(listen_addr, &ss, &sl) < 0) {
		free(m);
		return NULL;
	}
	if (ss.ss_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	m->routes[0] = (struct metrics_route){ "/metrics", "text/plain; version=0.0.4", render,
					       arg };
	m->n_routes = 1;
	/* MHD_USE_EPOLL without an internal thread: its epoll fd joins ours. */
	httpd = MHD_start_daemon(flags, port, NULL, NULL, answer, m,
				 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				 MHD_OPTION_CONNECTION_TIMEOUT, METRICS_TIMEOUT_S,
				 MHD_OPTION_CONNECTION_LIMIT, METRICS_MAX_CONNECTIONS,
				 MHD_OPTION_PER_IP_CONNECTION_LIMIT, METRICS_MAX_PER_ADDRESS,
				 MHD_OPTION_END);
	if (!httpd || http_loop_open(&m->http, loop, httpd) < 0) {
		log_warn("metrics: cannot listen on %s", listen_addr);
		free(m);
		return NULL;
	}
	log_info("metrics: http://%s/metrics", listen_addr);
	return m;
}

void metrics_close(struct metrics *m)
{
	if (!m)
		return;
	http_loop_close(&m->http);
	free(m);
}

int metrics_route(struct metrics *m, const char *path, const char *content_type,
		  metrics_render_fn render, void *arg)
{
	if (m->n_routes >= sizeof(m->routes) / sizeof(m->routes[0]))
		return -1;
	m->routes[m->n_routes++] = (struct metrics_route){ path, content_type, render, arg };
	return 0;
}
