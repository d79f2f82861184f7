/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Notifications (policy `events: { exec: PROGRAM }`): each mapping
 * created, deleted, expired or dropped, and each static forward installed,
 * moved or removed, becomes one line of JSON on the standard input of
 * PROGRAM, run without a shell in a child process. Events of a burst share
 * one run (EVENTS_COALESCE_MS), runs start at most once per
 * EVENTS_MIN_INTERVAL_MS and one at a time, and a run that outlasts its
 * timeout is killed (its process group). The loop never waits: the child's
 * input is written as the pipe takes it, its end is a pidfd in the loop.
 * Runs, failures, timeouts and events lost are counted in struct stats. */
#ifndef PORTGATE_DAEMON_EVENTS_H
#define PORTGATE_DAEMON_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "daemon/reason.h"
#include "natpmp/mapping.h"

#define EVENTS_COALESCE_MS 100		/* a burst's events go in one run */
#define EVENTS_MIN_INTERVAL_MS 1000	/* between the starts of two runs */
#define EVENTS_QUEUE_MAX 10000		/* waiting events; more are lost */
#define EVENTS_TIMEOUT_DEFAULT_S 10

enum event_kind {
	EVENT_KIND_CREATED,
	EVENT_KIND_DELETED,		/* by its client */
	EVENT_KIND_EXPIRED,
	EVENT_KIND_DROPPED,		/* by the gateway; reason says why */
	EVENT_KIND_STATIC_INSTALLED,
	EVENT_KIND_STATIC_MOVED,	/* the policy gave it another target */
	EVENT_KIND_STATIC_REMOVED,
	EVENT_KIND_COUNT
};

/* One event as the program reads it. */
struct event {
	enum event_kind kind;
	const struct mapping_view *v;
	const char *peer_name;		/* the policy's name, or NULL */
	enum change_reason why;
	/* Where outsiders reach it as clients are told, or NULL when
	 * unknown. */
	const struct ip_addr *external;
	time_t when;
};

/* The kind of a change of the mapping journal (mapping.h), or -1 for
 * one that is no event (a renewal). */
int event_kind_of(const struct mapping_change *c, enum change_reason why);
const char *event_kind_label(enum event_kind k);
/* One line of JSON ending in "\n" (malloc'd), or NULL when memory is short. */
char *events_encode(const struct event *ev);

struct stats;
struct loop;
struct events;

/* NULL when memory or a timer is short. No program: events are not kept. */
struct events *events_open(struct loop *loop, struct stats *stats);
/* The program (an absolute path, checked by the policy loader; "" turns
 * notifications off) and its timeout. A run under way finishes as it is. */
void events_configure(struct events *e, const char *program, uint32_t timeout_s);
/* Queues an event for the next run; counted as lost beyond EVENTS_QUEUE_MAX. */
void events_push(struct events *e, const struct event *ev);
/* Whether no run is under way and nothing waits (what a test waits for). */
bool events_idle(const struct events *e);
/* Stops: a run under way is left to finish (its input is closed, unread
 * events in the pipe stay there); events not yet handed over are logged
 * as lost. */
void events_close(struct events *e);

#endif
