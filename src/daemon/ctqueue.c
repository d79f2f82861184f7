#include "daemon/ctqueue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/stats.h"
#include "nft/conntrack.h"
#include "util/array.h"
#include "util/log.h"
#include "util/loop.h"

struct ct_queue {
	struct loop *loop;
	struct stats *stats;
	struct conntrack *ct;
	struct loop_watch timer;
	struct ct_flow *flows;
	size_t n, cap;
	uint32_t external_addr;
};

static void timer_fired(struct loop_watch *w, uint32_t events)
{
	(void)events;
	timer_ack(w->fd);
	ct_queue_flush(w->arg);
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
			 "mappings will not be cut");
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

void ct_queue_flush(struct ct_queue *q)
{
	size_t deleted = 0;
	int ret;

	if (!q->n)
		return;
	if (q->ct) {
		ret = conntrack_delete_flows(q->ct, q->external_addr, q->flows, q->n,
					     &deleted);
		if (ret < 0)
			log_warnx("conntrack: cleanup of %zu flows failed: %s", q->n,
				  strerror(-ret));
		stats_count(q->stats, STAT_CONNTRACK_DELETED, deleted);
	}
	q->n = 0;
}

void ct_queue_push(struct ct_queue *q, const struct ct_flow *flows, size_t n,
		   uint32_t external_addr)
{
	if (!n)
		return;
	for (size_t i = 0; i < n; i++) {
		if (!ARRAY_RESERVE(q->flows, q->n, q->cap)) {
			log_warnx("conntrack: out of memory, %zu flows not cut", n - i);
			break;
		}
		if (!q->n)
			timer_at(q->timer.fd, mono_now_ms() + CT_QUEUE_DELAY_MS);
		q->flows[q->n++] = flows[i];
	}
	q->external_addr = external_addr;
	if (q->n >= CT_QUEUE_MAX)
		ct_queue_flush(q);
}
