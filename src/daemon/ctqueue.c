/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/ctqueue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/stats.h"
#include "ctnl/conntrack.h"
#include "util/array.h"
#include "util/log.h"
#include "util/loop.h"

struct ct_queue {
	struct loop *loop;
	struct stats *stats;
	struct conntrack *ct;
	struct loop_watch timer;
	struct ct_cleanup *running;	/* a cleanup between slices */
	struct ct_flow *flows;		/* queued for the next cleanup */
	size_t n, cap;
	bool has_external;
	struct ip_addr external_addr;
};

/* One slice of work: start a cleanup of what is queued, or go on with the
 * running one. true while work is left. */
static bool step(struct ct_queue *q)
{
	size_t deleted = 0;
	int ret;

	if (!q->running) {
		if (!q->n)
			return false;
		q->running = conntrack_cleanup_begin(q->ct, q->has_external ? &q->external_addr
								       : NULL, q->flows, q->n);
		if (!q->running)
			log_warn("conntrack: cannot list the flows of %zu changed forwards", q->n);
		q->n = 0;
		return q->running != NULL;
	}
	ret = conntrack_cleanup_step(q->running, CT_CLEANUP_SLICE, &deleted);
	stats_count(q->stats, STAT_CONNTRACK_DELETED, deleted);
	if (ret < 0)
		log_warnx("conntrack: cleanup failed with %zu flows left: %s",
			  conntrack_cleanup_left(q->running), strerror(-ret));
	if (ret <= 0) {
		conntrack_cleanup_free(q->running);
		q->running = NULL;
	}
	return q->running || q->n;
}

static void timer_fired(struct loop_watch *w, uint32_t events)
{
	struct ct_queue *q = w->arg;

	(void)events;
	timer_ack(w->fd);
	/* The next slice after whatever else is ready: answers first. Flows
	 * queued meanwhile wait for the next round, a burst's worth at once. */
	if (q->ct && step(q))
		timer_at(w->fd, mono_now_ms() + (q->running ? 0 : CT_QUEUE_DELAY_MS));
}

struct ct_queue *ct_queue_open(struct loop *loop, struct stats *stats)
{
	struct ct_queue *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	q->loop = loop;
	q->stats = stats;
	if (loop_timer_open(loop, &q->timer, timer_fired, q) < 0) {
		free(q);
		return NULL;
	}
	q->ct = conntrack_open();
	if (!q->ct)
		log_warn("conntrack: netlink socket; established flows of removed "
			 "mappings will not be cut, nor flows that began before a new one");
	return q;
}

void ct_queue_close(struct ct_queue *q)
{
	if (!q)
		return;
	ct_queue_flush(q);
	loop_watch_close(q->loop, &q->timer);
	conntrack_close(q->ct);
	free(q->flows);
	free(q);
}

bool ct_queue_idle(const struct ct_queue *q)
{
	return !q->n && !q->running;
}

void ct_queue_flush(struct ct_queue *q)
{
	while (q->ct && step(q))
		;
	q->n = 0;
}

void ct_queue_push(struct ct_queue *q, const struct ct_flow *flows, size_t n,
		   const struct ip_addr *external_addr)
{
	if (!n || !q->ct)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!ARRAY_RESERVE(q->flows, q->n, q->cap)) {
			log_warnx("conntrack: out of memory, %zu flows not cut", n - i);
			break;
		}
		/* The first of a burst: the rest of it joins within the delay. */
		if (!q->n && !q->running)
			timer_at(q->timer.fd, mono_now_ms() + CT_QUEUE_DELAY_MS);
		q->flows[q->n++] = flows[i];
	}
	q->has_external = external_addr != NULL;
	if (external_addr)
		q->external_addr = *external_addr;
}
