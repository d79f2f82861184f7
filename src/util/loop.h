/* SPDX-License-Identifier: GPL-2.0-or-later */
/* One event loop (epoll), no threads. Watches are owned by their callers. */
#ifndef PORTGATE_LOOP_H
#define PORTGATE_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/clock.h"

struct loop_watch;
typedef void (*loop_fn)(struct loop_watch *w, uint32_t events);

struct loop_watch {
	int fd;
	loop_fn fn;
	void *arg;
};

struct loop {
	int epfd;
	bool stop;
	void **released;	/* freed after the current batch of events */
	size_t n_released, cap_released;
};

int loop_init(struct loop *l);
void loop_close(struct loop *l);
/* Watches for readability. */
int loop_add(struct loop *l, struct loop_watch *w);
/* Watches for events (EPOLLIN, EPOLLOUT); loop_mod changes them. */
int loop_add_events(struct loop *l, struct loop_watch *w, uint32_t events);
int loop_mod(struct loop *l, struct loop_watch *w, uint32_t events);
void loop_del(struct loop *l, struct loop_watch *w);
/* A new timerfd watched by the loop, calling fn(w) with w->arg = arg.
 * 0, or -errno with w->fd -1. */
int loop_timer_open(struct loop *l, struct loop_watch *w, loop_fn fn, void *arg);
/* Stops watching w, closes its fd and sets it to -1; nothing if it is -1. */
void loop_watch_close(struct loop *l, struct loop_watch *w);
/* Frees p once the events already fetched have been dispatched: a watch
 * inside p whose fd was set to -1 is skipped by them rather than used
 * after free. */
void loop_release(struct loop *l, void *p);
/* Runs until loop->stop is set. -errno if epoll fails. */
int loop_run(struct loop *l);

/* A CLOCK_MONOTONIC timerfd, or -errno. */
int timer_new(void);
/* Fires once at an absolute monotonic time; INT64_MAX disarms. */
int timer_at(int fd, int64_t when_ms);
/* Fires every period_ms, first after period_ms. */
int timer_every(int fd, int64_t period_ms);
/* Reads the expiration count so the fd stops being readable. */
void timer_ack(int fd);

#endif
