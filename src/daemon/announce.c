#include "daemon/announce.h"

#include <stdint.h>
#include <stdlib.h>

#include "util/loop.h"

struct announcer {
	struct loop *loop;
	struct loop_watch timer;
	void (*send)(void *arg);
	void *arg;
	int left;
	int64_t interval_ms;
};

static void tick(struct loop_watch *w, uint32_t events)
{
	struct announcer *a = w->arg;

	(void)events;
	timer_ack(w->fd);
	if (a->left <= 0)
		return;
	a->send(a->arg);
	if (--a->left > 0) {
		timer_at(w->fd, mono_now_ms() + a->interval_ms);
		a->interval_ms *= 2;
	}
}

struct announcer *announcer_open(struct loop *loop, void (*send)(void *arg), void *arg)
{
	struct announcer *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->loop = loop;
	a->send = send;
	a->arg = arg;
	if (loop_timer_open(loop, &a->timer, tick, a) < 0) {
		free(a);
		return NULL;
	}
	return a;
}

void announcer_close(struct announcer *a)
{
	if (!a)
		return;
	loop_watch_close(a->loop, &a->timer);
	free(a);
}

void announcer_start(struct announcer *a)
{
	a->left = ANNOUNCE_COUNT;
	a->interval_ms = ANNOUNCE_FIRST_INTERVAL_MS;
	timer_at(a->timer.fd, mono_now_ms());
}
