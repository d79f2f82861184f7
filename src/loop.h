/* One event loop (epoll), no threads. Watches are owned by their callers. */
#ifndef PORTGATE_LOOP_H
#define PORTGATE_LOOP_H

#include <stdbool.h>
#include <stdint.h>

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
};

int loop_init(struct loop *l);
void loop_close(struct loop *l);
int loop_add(struct loop *l, struct loop_watch *w);
void loop_del(struct loop *l, struct loop_watch *w);
/* Runs until loop->stop is set. -errno if epoll fails. */
int loop_run(struct loop *l);

/* Milliseconds of CLOCK_MONOTONIC. */
int64_t mono_now_ms(void);
/* Milliseconds of CLOCK_BOOTTIME: keeps counting across suspend. */
int64_t boot_now_ms(void);
/* A CLOCK_MONOTONIC timerfd, or -errno. */
int timer_new(void);
/* Fires once at an absolute monotonic time; INT64_MAX disarms. */
int timer_at(int fd, int64_t when_ms);
/* Fires every period_ms, first after period_ms. */
int timer_every(int fd, int64_t period_ms);
/* Reads the expiration count so the fd stops being readable. */
void timer_ack(int fd);

#endif
