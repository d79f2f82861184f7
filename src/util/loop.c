/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/loop.h"

#include "util/array.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static void free_released(struct loop *l);

int loop_init(struct loop *l)
{
	l->stop = false;
	l->released = NULL;
	l->n_released = l->cap_released = 0;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

void loop_close(struct loop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
	free_released(l);
	free(l->released);
	l->released = NULL;
	l->cap_released = 0;
}

int loop_add_events(struct loop *l, struct loop_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, w->fd, &ev) < 0 ? -errno : 0;
}

int loop_add(struct loop *l, struct loop_watch *w)
{
	return loop_add_events(l, w, EPOLLIN);
}

int loop_mod(struct loop *l, struct loop_watch *w, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };

	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0 ? -errno : 0;
}

int loop_timer_open(struct loop *l, struct loop_watch *w, loop_fn fn, void *arg)
{
	int ret;

	*w = (struct loop_watch){ timer_new(), fn, arg };
	if (w->fd < 0) {
		ret = w->fd;
		w->fd = -1;
		return ret;
	}
	ret = loop_add(l, w);
	if (ret < 0) {
		close(w->fd);
		w->fd = -1;
	}
	return ret;
}

void loop_watch_close(struct loop *l, struct loop_watch *w)
{
	if (w->fd < 0)
		return;
	loop_del(l, w);
	close(w->fd);
	w->fd = -1;
}

void loop_release(struct loop *l, void *p)
{
	if (!ARRAY_RESERVE(l->released, l->n_released, l->cap_released)) {
		/* Rather a leak than a use after free. */
		return;
	}
	l->released[l->n_released++] = p;
}

static void free_released(struct loop *l)
{
	for (size_t i = 0; i < l->n_released; i++)
		free(l->released[i]);
	l->n_released = 0;
}

void loop_del(struct loop *l, struct loop_watch *w)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
}

int loop_run(struct loop *l)
{
	struct epoll_event events[32];

	while (!l->stop) {
		int n = epoll_wait(l->epfd, events, 32, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n && !l->stop; i++) {
			struct loop_watch *w = events[i].data.ptr;

			/* Closed by an earlier callback of this batch. */
			if (w->fd < 0)
				continue;
			w->fn(w, events[i].events);
		}
		free_released(l);
	}
	return 0;
}

int timer_new(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int timer_at(int fd, int64_t when_ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	if (when_ms != INT64_MAX) {
		if (when_ms <= 0)
			when_ms = 1;	/* 0 would disarm */
		its.it_value.tv_sec = when_ms / 1000;
		its.it_value.tv_nsec = (when_ms % 1000) * 1000000;
	}
	return timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) < 0 ? -errno : 0;
}

int timer_every(int fd, int64_t period_ms)
{
	struct itimerspec its;

	memset(&its, 0, sizeof(its));
	its.it_interval.tv_sec = period_ms / 1000;
	its.it_interval.tv_nsec = (period_ms % 1000) * 1000000;
	its.it_value = its.it_interval;
	return timerfd_settime(fd, 0, &its, NULL) < 0 ? -errno : 0;
}

void timer_ack(int fd)
{
	uint64_t count;

	while (read(fd, &count, sizeof(count)) < 0 && errno == EINTR)
		;
}
