/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/control.h"

#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
#include "util/loop.h"

struct control;

struct conn {
	struct loop_watch watch;	/* fd -1: closed, memory released */
	struct control *c;
	int64_t deadline_ms;
	char in[CONTROL_REQUEST_MAX + 1];
	size_t in_len;
	char *out;
	size_t out_len, out_off;
};

struct control {
	struct loop *loop;
	struct loop_watch listener, timer;
	control_handler handler;
	void *arg;
	char path[108];
	struct conn *conns[CONTROL_MAX_CONNECTIONS];
};

static void conn_close(struct conn *k)
{
	struct control *c = k->c;

	for (size_t i = 0; i < CONTROL_MAX_CONNECTIONS; i++)
		if (c->conns[i] == k)
			c->conns[i] = NULL;
	loop_del(c->loop, &k->watch);
	close(k->watch.fd);
	k->watch.fd = -1;
	free(k->out);
	k->out = NULL;
	loop_release(c->loop, k);
}

static void arm_deadline(struct control *c)
{
	int64_t first = INT64_MAX;

	for (size_t i = 0; i < CONTROL_MAX_CONNECTIONS; i++)
		if (c->conns[i] && c->conns[i]->deadline_ms < first)
			first = c->conns[i]->deadline_ms;
	timer_at(c->timer.fd, first);
}

/* Writes what the socket takes; true when the answer is all out. */
static bool conn_write(struct conn *k)
{
	while (k->out_off < k->out_len) {
		ssize_t n = send(k->watch.fd, k->out + k->out_off, k->out_len - k->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			k->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		log_debug("control: client went away");
		return true;
	}
	return true;
}

static void conn_answer(struct conn *k)
{
	char *text;

	k->in[k->in_len] = '\0';
	text = k->c->handler(k->c->arg, k->in);
	if (!text) {
		conn_close(k);
		return;
	}
	k->out_len = strlen(text);
	k->out = realloc(text, k->out_len + 1);
	if (!k->out) {
		free(text);
		conn_close(k);
		return;
	}
	k->out[k->out_len++] = '\n';
	if (conn_write(k) || loop_mod(k->c->loop, &k->watch, EPOLLOUT) < 0)
		conn_close(k);
}

static void conn_event(struct loop_watch *w, uint32_t events)
{
	struct conn *k = w->arg;

	if (k->out) {
		if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && conn_write(k))
			conn_close(k);
		return;
	}
	for (;;) {
		ssize_t n = recv(w->fd, k->in + k->in_len, CONTROL_REQUEST_MAX - k->in_len,
				 MSG_DONTWAIT);

		if (n > 0) {
			k->in_len += (size_t)n;
			if (memchr(k->in, '\n', k->in_len) || k->in_len == CONTROL_REQUEST_MAX)
				break;	/* a whole line, or all we take */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;	/* more to come, before the deadline */
		if (n < 0 || k->in_len == 0) {
			conn_close(k);
			return;
		}
		break;	/* EOF after a request without newline */
	}
	conn_answer(k);
}

static void accept_ready(struct loop_watch *w, uint32_t events)
{
	struct control *c = w->arg;
	struct conn *k;
	size_t slot;
	int fd;

	(void)events;
	fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (slot = 0; slot < CONTROL_MAX_CONNECTIONS && c->conns[slot]; slot++)
		;
	k = slot < CONTROL_MAX_CONNECTIONS ? calloc(1, sizeof(*k)) : NULL;
	if (!k) {
		log_warnx("control: %d connections open; refusing another",
			  CONTROL_MAX_CONNECTIONS);
		close(fd);
		return;
	}
	k->c = c;
	k->deadline_ms = mono_now_ms() + CONTROL_DEADLINE_MS;
	k->watch = (struct loop_watch){ fd, conn_event, k };
	if (loop_add(c->loop, &k->watch) < 0) {
		close(fd);
		free(k);
		return;
	}
	c->conns[slot] = k;
	arm_deadline(c);
}

static void deadline_passed(struct loop_watch *w, uint32_t events)
{
	struct control *c = w->arg;
	int64_t now = mono_now_ms();

	(void)events;
	timer_ack(w->fd);
	for (size_t i = 0; i < CONTROL_MAX_CONNECTIONS; i++) {
		if (c->conns[i] && c->conns[i]->deadline_ms <= now) {
			log_debug("control: a client took longer than %d ms; closed",
				  CONTROL_DEADLINE_MS);
			conn_close(c->conns[i]);
		}
	}
	arm_deadline(c);
}

static int bind_socket(struct control *c, gid_t gid)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", c->path);
	unlink(c->path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(c->path, gid ? 0660 : 0600) < 0 ||
	    (gid && chown(c->path, (uid_t)-1, gid) < 0) ||
	    listen(fd, CONTROL_MAX_CONNECTIONS * 2) < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

struct control *control_open(struct loop *loop, const char *path, const char *group,
			     control_handler handler, void *arg)
{
	struct control *c = calloc(1, sizeof(*c));
	char dir[108], *slash;
	gid_t gid = 0;
	int fd;

	if (!c)
		return NULL;
	c->loop = loop;
	c->handler = handler;
	c->arg = arg;
	c->listener.fd = c->timer.fd = -1;
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		/* systemd's RuntimeDirectory or tmpfiles.d may have made it. 0755:
		 * the socket's own mode says who connects (control.group). */
		mkdir(dir, 0755);
	}
	if (group && group[0]) {
		struct group *gr = getgrnam(group);

		if (!gr) {
			log_warnx("control: group %s (control.group) does not exist", group);
			free(c);
			return NULL;
		}
		gid = gr->gr_gid;
	}
	fd = bind_socket(c, gid);
	if (fd < 0) {
		log_warn("control: %s", c->path);
		free(c);
		return NULL;
	}
	c->listener = (struct loop_watch){ fd, accept_ready, c };
	if (loop_add(loop, &c->listener) < 0 ||
	    loop_timer_open(loop, &c->timer, deadline_passed, c) < 0) {
		log_warn("control: event loop");
		control_close(c);
		return NULL;
	}
	return c;
}

void control_close(struct control *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CONTROL_MAX_CONNECTIONS; i++)
		if (c->conns[i])
			conn_close(c->conns[i]);
	if (c->listener.fd >= 0)
		unlink(c->path);
	loop_watch_close(c->loop, &c->listener);
	loop_watch_close(c->loop, &c->timer);
	free(c);
}
