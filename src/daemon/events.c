/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/events.h"

#include <arpa/inet.h>
#include <cap-ng.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon/commands.h"
#include "daemon/gateway.h"
#include "daemon/stats.h"
#include "util/array.h"
#include "util/base64.h"
#include "util/log.h"
#include "util/loop.h"

#define EVENTS_PROGRAM_MAX 1024

struct events {
	struct loop *loop;
	struct stats *stats;
	char program[EVENTS_PROGRAM_MAX];
	uint32_t timeout_s;
	/* Waiting: n lines, one after the other. */
	char *queue;
	size_t len, cap, n;
	bool losing;			/* a loss since the last run, logged */
	struct loop_watch start_w;	/* the next run may start */
	bool start_armed;
	int64_t last_start_ms;
	/* The run under way: pid 0 when there is none. */
	pid_t pid;
	struct loop_watch pid_w;	/* pidfd: readable once it ended */
	struct loop_watch in_w;		/* its standard input, written as it reads */
	struct loop_watch deadline_w;
	char *input;
	size_t input_len, input_off;
	bool timed_out;
};

static const char *const kind_labels[EVENT_KIND_COUNT] = {
	[EVENT_KIND_CREATED] = "created",
	[EVENT_KIND_DELETED] = "deleted",
	[EVENT_KIND_EXPIRED] = "expired",
	[EVENT_KIND_DROPPED] = "dropped",
	[EVENT_KIND_STATIC_INSTALLED] = "static_installed",
	[EVENT_KIND_STATIC_MOVED] = "static_moved",
	[EVENT_KIND_STATIC_REMOVED] = "static_removed",
};

const char *event_kind_label(enum event_kind k)
{
	return kind_labels[k];
}

static bool same_target(const struct mapping_view *a, const struct mapping_view *b)
{
	return ip_addr_equal(&a->addr, &b->addr) && a->target_port == b->target_port;
}

int event_kind_of(const struct mapping_change *c, enum change_reason why)
{
	const struct mapping_view *v = c->is_active ? &c->after : &c->before;

	if (c->was_active && c->is_active) {
		/* A renewal, or a static forward staged again as it was. */
		if (!v->is_static || same_target(&c->before, &c->after))
			return -1;
		return EVENT_KIND_STATIC_MOVED;
	}
	if (v->is_static)
		return c->is_active ? EVENT_KIND_STATIC_INSTALLED : EVENT_KIND_STATIC_REMOVED;
	if (c->is_active)
		return EVENT_KIND_CREATED;
	return why == REASON_CLIENT ? EVENT_KIND_DELETED
	       : why == REASON_EXPIRED ? EVENT_KIND_EXPIRED : EVENT_KIND_DROPPED;
}

/* Field names as `portgatectl list --json` names them. */
char *events_encode(const struct event *ev)
{
	const struct mapping_view *v = ev->v;
	char key[KEY_B64_LEN + 1], when[32];
	struct tm tm;
	json_t *o;
	char *text, *line;
	size_t len;

	key_to_base64(key, v->peer);
	gmtime_r(&ev->when, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	o = json_pack("{s:s, s:s, s:I, s:s, s:o, s:s, s:s, s:s, s:s, s:o, s:i, s:o, s:i, s:i, "
		      "s:o, s:s}",
		"event", event_kind_label(ev->kind),
		"time", when,
		"unix_time", (json_int_t)ev->when,
		"peer", key,
		"peer_name", ev->peer_name ? json_string(ev->peer_name) : json_null(),
		"family", space_family(v->space),
		"kind", v->is_static ? "static" : "dynamic",
		"via", v->is_static ? "policy" : mapping_via_label(v->via),
		"protocol", proto_name(v->proto),
		"external_address", ev->external ? ip_addr_json(ev->external) : json_null(),
		"external_port", v->external_port,
		"internal_address", ip_addr_json(&v->addr),
		"internal_port", v->target_port,
		"requested_internal_port", v->internal_port,
		"lifetime", v->is_static ? json_null() : json_integer(v->lifetime),
		"reason", reason_label(ev->why));
	if (!o)
		return NULL;
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	if (!text)
		return NULL;
	len = strlen(text);
	line = realloc(text, len + 2);
	if (!line) {
		free(text);
		return NULL;
	}
	memcpy(line + len, "\n", 2);
	return line;
}

/* ---- the runs ------------------------------------------------------------ */

static void arm_start(struct events *e)
{
	int64_t now = mono_now_ms(), when = now + EVENTS_COALESCE_MS;

	if (e->pid || e->start_armed || !e->n)
		return;
	if (e->last_start_ms && when < e->last_start_ms + EVENTS_MIN_INTERVAL_MS)
		when = e->last_start_ms + EVENTS_MIN_INTERVAL_MS;
	if (timer_at(e->start_w.fd, when) == 0)
		e->start_armed = true;
}

/* Room for len more bytes in the queue. */
static bool reserve(struct events *e, size_t len)
{
	while (e->len + len > e->cap)
		if (!ARRAY_RESERVE(e->queue, e->cap, e->cap))
			return false;
	return true;
}

void events_push(struct events *e, const struct event *ev)
{
	char *line;
	size_t len;

	if (!e->program[0])
		return;
	line = e->n < EVENTS_QUEUE_MAX ? events_encode(ev) : NULL;
	len = line ? strlen(line) : 0;
	if (!line || !reserve(e, len)) {
		free(line);
		stats_count(e->stats, STAT_EVENTS_LOST, 1);
		if (!e->losing)
			log_warnx("events: %zu events wait for %s; more are lost until it "
				  "catches up", e->n, e->program);
		e->losing = true;
		return;
	}
	memcpy(e->queue + e->len, line, len);
	e->len += len;
	e->n++;
	free(line);
	arm_start(e);
}

/* The child: what the program must not inherit from the daemon (blocked
 * and ignored signals, the capability, every other descriptor, its process
 * group: a timeout kills the program's own children too). */
static void exec_child(const char *program, int input)
{
	static char *const envp[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", NULL,
	};
	char *const argv[] = { (char *)program, NULL };
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	if (dup2(input, STDIN_FILENO) < 0)
		_exit(126);
	close_range(3, ~0u, 0);
	capng_clear(CAPNG_SELECT_BOTH);
	capng_apply(CAPNG_SELECT_CAPS);
	execve(program, argv, envp);
	_exit(127);
}

static void end_input(struct events *e)
{
	loop_watch_close(e->loop, &e->in_w);
	free(e->input);
	e->input = NULL;
	e->input_len = e->input_off = 0;
}

static void input_writable(struct loop_watch *w, uint32_t events)
{
	struct events *e = w->arg;
	ssize_t n;

	(void)events;
	while (e->input_off < e->input_len) {
		n = write(w->fd, e->input + e->input_off, e->input_len - e->input_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;		/* the rest when the program has read */
		if (n < 0) {
			/* It closed its input: its business, its exit says how it went. */
			log_debug("events: %s stopped reading: %s", e->program, strerror(errno));
			break;
		}
		e->input_off += (size_t)n;
	}
	end_input(e);		/* end of input: the program may finish */
}

static void run_failed(struct events *e, const char *what)
{
	stats_count(e->stats, STAT_EVENT_FAILURES, 1);
	log_warn("events: cannot run %s: %s", e->program, what);
}

static void start_run(struct events *e)
{
	int fds[2], pidfd;
	pid_t pid;

	/* A start that fails is tried again no sooner than a run would be. */
	e->last_start_ms = mono_now_ms();
	if (pipe2(fds, O_CLOEXEC) < 0) {
		run_failed(e, "pipe");
		return;
	}
	pid = fork();
	if (pid == 0)
		exec_child(e->program, fds[0]);
	close(fds[0]);
	if (pid < 0) {
		close(fds[1]);
		run_failed(e, "fork");
		return;
	}
	setpgid(pid, pid);	/* before the deadline can kill the group */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	e->pid_w = (struct loop_watch){ pidfd, NULL, e };
	if (pidfd < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);	/* killed: it ends at once */
		close(fds[1]);
		run_failed(e, "pidfd_open");
		return;
	}
	e->pid = pid;
	e->timed_out = false;
	/* The queue becomes the run's input; later events wait for the next. */
	e->input = e->queue;
	e->input_len = e->len;
	e->input_off = 0;
	e->queue = NULL;
	e->len = e->cap = 0;
	stats_count(e->stats, STAT_EVENT_RUNS, 1);
	stats_count(e->stats, STAT_EVENTS_SENT, e->n);
	log_debug("events: %s started with %zu events", e->program, e->n);
	e->n = 0;
	e->losing = false;
	fcntl(fds[1], F_SETFL, O_NONBLOCK);	/* the program's end blocks, ours not */
	e->in_w = (struct loop_watch){ fds[1], input_writable, e };
	if (loop_add_events(e->loop, &e->in_w, EPOLLOUT) < 0) {
		close(fds[1]);
		e->in_w.fd = -1;
		end_input(e);
	}
	timer_at(e->deadline_w.fd, e->last_start_ms + (int64_t)e->timeout_s * 1000);
}

static void run_ended(struct loop_watch *w, uint32_t events)
{
	struct events *e = w->arg;
	int status;
	pid_t got;

	(void)events;
	got = waitpid(e->pid, &status, WNOHANG);
	if (got == 0 || (got < 0 && errno == EINTR))
		return;
	loop_watch_close(e->loop, &e->pid_w);
	end_input(e);
	timer_at(e->deadline_w.fd, INT64_MAX);
	e->pid = 0;
	if (got < 0) {
		run_failed(e, "lost its exit status");
	} else if (e->timed_out) {
		/* Counted and logged when it was killed. */
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_debug("events: %s done", e->program);
	} else {
		stats_count(e->stats, STAT_EVENT_FAILURES, 1);
		if (WIFEXITED(status))
			log_warnx("events: %s exited with status %d%s", e->program,
				  WEXITSTATUS(status),
				  WEXITSTATUS(status) == 127 ? " (could not be executed)" : "");
		else
			log_warnx("events: %s killed by signal %d", e->program,
				  WTERMSIG(status));
	}
	arm_start(e);
}

static void start_due(struct loop_watch *w, uint32_t events)
{
	struct events *e = w->arg;

	(void)events;
	timer_ack(w->fd);
	e->start_armed = false;
	if (e->pid || !e->n || !e->program[0])
		return;
	start_run(e);
	if (e->pid) {
		e->pid_w.fn = run_ended;
		if (loop_add(e->loop, &e->pid_w) < 0) {
			/* Not watched: its end is never seen. Stop it now. */
			kill(-e->pid, SIGKILL);
			waitpid(e->pid, NULL, 0);
			loop_watch_close(e->loop, &e->pid_w);
			end_input(e);
			e->pid = 0;
			run_failed(e, "epoll");
		}
	}
	arm_start(e);	/* a failed start: the events wait for the next try */
}

static void deadline(struct loop_watch *w, uint32_t events)
{
	struct events *e = w->arg;

	(void)events;
	timer_ack(w->fd);
	if (!e->pid || e->timed_out)
		return;
	e->timed_out = true;
	kill(-e->pid, SIGKILL);
	stats_count(e->stats, STAT_EVENT_TIMEOUTS, 1);
	log_warnx("events: %s still running after %u s: killed", e->program, e->timeout_s);
}

struct events *events_open(struct loop *loop, struct stats *stats)
{
	struct events *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->loop = loop;
	e->stats = stats;
	e->timeout_s = EVENTS_TIMEOUT_DEFAULT_S;
	e->pid_w.fd = e->in_w.fd = e->start_w.fd = e->deadline_w.fd = -1;
	if (loop_timer_open(loop, &e->start_w, start_due, e) < 0 ||
	    loop_timer_open(loop, &e->deadline_w, deadline, e) < 0) {
		events_close(e);
		return NULL;
	}
	return e;
}

void events_configure(struct events *e, const char *program, uint32_t timeout_s)
{
	snprintf(e->program, sizeof(e->program), "%s", program);
	e->timeout_s = timeout_s ? timeout_s : EVENTS_TIMEOUT_DEFAULT_S;
	if (!program[0] && e->n) {
		log_info("events: notifications off; %zu waiting events dropped", e->n);
		free(e->queue);
		e->queue = NULL;
		e->len = e->cap = e->n = 0;
	}
}

bool events_idle(const struct events *e)
{
	return !e->pid && !e->n;
}

void events_close(struct events *e)
{
	if (!e)
		return;
	if (e->n)
		log_warnx("events: stopping with %zu events not handed to %s", e->n, e->program);
	/* A run under way finishes on its own: our end of its input closes. */
	end_input(e);
	loop_watch_close(e->loop, &e->pid_w);
	loop_watch_close(e->loop, &e->start_w);
	loop_watch_close(e->loop, &e->deadline_w);
	free(e->queue);
	free(e);
}
