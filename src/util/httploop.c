/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/httploop.h"

#include <errno.h>

#include <microhttpd.h>

static void httpd_ready(struct loop_watch *w, uint32_t events)
{
	struct http_loop *h = w->arg;

	(void)events;
	MHD_run(h->httpd);
}

static void tick(struct loop_watch *w, uint32_t events)
{
	struct http_loop *h = w->arg;

	(void)events;
	timer_ack(w->fd);
	MHD_run(h->httpd);
}

int http_loop_open(struct http_loop *h, struct loop *loop, struct MHD_Daemon *httpd)
{
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(httpd, MHD_DAEMON_INFO_EPOLL_FD);

	h->loop = loop;
	h->httpd = httpd;
	h->watch.fd = h->timer.fd = -1;
	if (!info) {
		http_loop_close(h);
		errno = EINVAL;
		return -1;
	}
	h->watch = (struct loop_watch){ info->epoll_fd, httpd_ready, h };
	/* libmicrohttpd times idle connections out only when it runs. */
	if (loop_add(loop, &h->watch) < 0) {
		h->watch.fd = -1;
		http_loop_close(h);
		return -1;
	}
	if (loop_timer_open(loop, &h->timer, tick, h) < 0) {
		http_loop_close(h);
		return -1;
	}
	timer_every(h->timer.fd, 1000);
	return 0;
}

void http_loop_close(struct http_loop *h)
{
	/* The epoll fd is libmicrohttpd's: it closes it. */
	if (h->watch.fd >= 0)
		loop_del(h->loop, &h->watch);
	h->watch.fd = -1;
	loop_watch_close(h->loop, &h->timer);
	if (h->httpd)
		MHD_stop_daemon(h->httpd);
	h->httpd = NULL;
}
