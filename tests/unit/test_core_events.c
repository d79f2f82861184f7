/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Notifications (events.exec) through the daemon core: what an event says
 * (one JSON line), which changes are events, a burst in one run of a real
 * program, the pause between runs, and a program that fails or hangs
 * (counted; a hanging one is killed at its timeout through the loop). */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core_harness.h"
#include "daemon/core.h"
#include "daemon/events.h"
#include "natpmp/codec.h"
#include "util/addrclass.h"
#include "util/clock.h"

enum { A, B, STRANGER };

/* ---- the encoding ------------------------------------------------------- */

static const uint8_t key_q[32] = {
	0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
	0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
	0xaa, 0xaa, 0xaa, 0xaa,
};

static json_t *decoded(const struct event *ev)
{
	char *line = events_encode(ev);
	json_t *o;

	assert_non_null(line);
	/* One line: the program reads events line by line. */
	assert_non_null(strchr(line, '\n'));
	assert_int_equal(strchr(line, '\n') - line, (long)strlen(line) - 1);
	o = json_loads(line, 0, NULL);
	free(line);
	assert_non_null(o);
	return o;
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s)
		fail_msg("no string %s", key);
	return s;
}

static void an_event_is_one_json_line(void **state)
{
	struct mapping_view v = {
		.peer = key_q, .space = MAPPING_SPACE_IPV4, .addr = ip_addr_from_v4(0x0a420002),
		.proto = MAPPING_TCP, .internal_port = 6881, .external_port = 24000,
		.target_port = 6881, .via = MAPPING_VIA_PCP, .lifetime = 3600,
	};
	struct ip_addr ext = ip_addr_from_v4(0xc6336407);
	struct event ev = { .kind = EVENT_KIND_DROPPED, .v = &v, .peer_name = "alice",
			    .why = REASON_PEER_GONE, .external = &ext, .when = 1798200000 };
	json_t *o;

	(void)state;
	o = decoded(&ev);
	assert_string_equal(str(o, "event"), "dropped");
	assert_string_equal(str(o, "reason"), "peer_gone");
	assert_string_equal(str(o, "peer"), "qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqo=");
	assert_string_equal(str(o, "peer_name"), "alice");
	assert_string_equal(str(o, "protocol"), "tcp");
	assert_string_equal(str(o, "external_address"), "198.51.100.7");
	assert_int_equal(json_integer_value(json_object_get(o, "external_port")), 24000);
	assert_string_equal(str(o, "internal_address"), "10.66.0.2");
	assert_int_equal(json_integer_value(json_object_get(o, "internal_port")), 6881);
	assert_string_equal(str(o, "via"), "pcp");
	assert_string_equal(str(o, "kind"), "dynamic");
	assert_int_equal(json_integer_value(json_object_get(o, "lifetime")), 3600);
	assert_string_equal(str(o, "time"), "2026-12-25T12:00:00Z");
	assert_int_equal(json_integer_value(json_object_get(o, "unix_time")), 1798200000);
	json_decref(o);
	/* No name, no external address, a static forward: nulls. */
	ev.peer_name = NULL;
	ev.external = NULL;
	v.is_static = true;
	o = decoded(&ev);
	assert_true(json_is_null(json_object_get(o, "peer_name")));
	assert_true(json_is_null(json_object_get(o, "external_address")));
	assert_true(json_is_null(json_object_get(o, "lifetime")));
	assert_string_equal(str(o, "kind"), "static");
	json_decref(o);
}

static int kind(bool was, bool is, bool is_static, uint16_t target_after,
		enum change_reason why)
{
	struct mapping_change c = { .was_active = was, .is_active = is };

	c.before.is_static = c.after.is_static = is_static;
	c.before.target_port = 80;
	c.after.target_port = target_after;
	return event_kind_of(&c, why);
}

static void which_changes_are_events(void **state)
{
	(void)state;
	assert_int_equal(kind(false, true, false, 80, REASON_CLIENT), EVENT_KIND_CREATED);
	assert_int_equal(kind(true, false, false, 80, REASON_CLIENT), EVENT_KIND_DELETED);
	assert_int_equal(kind(true, false, false, 80, REASON_EXPIRED), EVENT_KIND_EXPIRED);
	assert_int_equal(kind(true, false, false, 80, REASON_PEER_GONE), EVENT_KIND_DROPPED);
	assert_int_equal(kind(true, false, false, 80, REASON_OPERATOR), EVENT_KIND_DROPPED);
	assert_int_equal(kind(true, true, false, 80, REASON_CLIENT), -1);	/* renewal */
	assert_int_equal(kind(false, true, true, 80, REASON_POLICY), EVENT_KIND_STATIC_INSTALLED);
	assert_int_equal(kind(true, false, true, 80, REASON_POLICY), EVENT_KIND_STATIC_REMOVED);
	assert_int_equal(kind(true, true, true, 8080, REASON_POLICY), EVENT_KIND_STATIC_MOVED);
	assert_int_equal(kind(true, true, true, 80, REASON_POLICY), -1);	/* staged again */
}

/* ---- a real program ------------------------------------------------------ */

struct fixture {
	struct harness h;
	char dir[64], out[96], runs[96];
};

/* A program in a directory of its own: body is a shell script's. */
static int up_with_program(void **state, const char *body, unsigned timeout)
{
	static struct fixture f;
	char program[96], yaml[256];
	FILE *fp;

	memset(&f, 0, sizeof(f));
	snprintf(f.dir, sizeof(f.dir), "/tmp/pgevents.XXXXXX");
	assert_non_null(mkdtemp(f.dir));
	snprintf(f.out, sizeof(f.out), "%s/out", f.dir);
	snprintf(f.runs, sizeof(f.runs), "%s/runs", f.dir);
	snprintf(program, sizeof(program), "%s/event", f.dir);
	fp = fopen(program, "w");
	assert_non_null(fp);
	fprintf(fp, "#!/bin/sh\nOUT=%s\nRUNS=%s\n%s\n", f.out, f.runs, body);
	fclose(fp);
	assert_int_equal(chmod(program, 0755), 0);
	snprintf(yaml, sizeof(yaml), "events: { exec: %s, timeout: %u }\n", program, timeout);
	harness_up(&f.h, yaml, "");
	*state = &f;
	return 0;
}

static int up_recorder(void **state)
{
	/* Each run: its input appended to out, one line to runs. */
	return up_with_program(state, "cat >> \"$OUT\"\necho run >> \"$RUNS\"", 5);
}

static int up_failing(void **state)
{
	return up_with_program(state, "cat > /dev/null\nexit 3", 5);
}

static int up_hanging(void **state)
{
	/* Reads its input, then hangs in a child of its own. */
	return up_with_program(state, "cat > /dev/null\nsleep 600", 1);
}

static int down(void **state)
{
	struct fixture *f = *state;
	char path[128];

	harness_down(&f->h);
	unlink(f->out);
	unlink(f->runs);
	snprintf(path, sizeof(path), "%s/event", f->dir);
	unlink(path);
	rmdir(f->dir);
	return 0;
}

static size_t lines_in(const char *path)
{
	FILE *fp = fopen(path, "r");
	size_t n = 0;
	int c;

	if (!fp)
		return 0;
	while ((c = fgetc(fp)) != EOF)
		n += c == '\n';
	fclose(fp);
	return n;
}

struct want {
	struct fixture *f;
	size_t runs, lines;
};

static bool runs_done(void *arg)
{
	struct want *w = arg;

	return events_idle(w->f->h.g->events) && lines_in(w->f->runs) >= w->runs &&
	       lines_in(w->f->out) >= w->lines;
}

static size_t count_of(const char *path, const char *needle)
{
	FILE *fp = fopen(path, "r");
	char line[1024];
	size_t n = 0;

	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp))
		n += strstr(line, needle) != NULL;
	fclose(fp);
	return n;
}

/* Three mappings in one batch: one run, three lines. */
static void a_burst_is_one_run(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->h;
	struct want w = { f, 1, 3 };
	const uint64_t *c = gateway_stats(h->g)->counters;

	harness_map(h, A, NATPMP_OP_MAP_TCP, 6881, 0, 60);
	harness_map(h, A, NATPMP_OP_MAP_UDP, 6881, 0, 60);
	harness_map(h, B, NATPMP_OP_MAP_TCP, 22000, 0, 60);
	harness_serve(h);
	assert_true(harness_run_until(h, runs_done, &w, 5000));
	assert_int_equal(lines_in(f->runs), 1);
	assert_int_equal(count_of(f->out, "\"event\":\"created\""), 3);
	assert_int_equal(c[STAT_EVENT_RUNS], 1);
	assert_int_equal(c[STAT_EVENTS_SENT], 3);
	assert_int_equal(c[STAT_EVENT_FAILURES], 0);
}

/* The next run starts EVENTS_MIN_INTERVAL_MS after the last one began,
 * however soon its events came. */
static void runs_are_spaced(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->h;
	struct want first = { f, 1, 1 }, second = { f, 2, 2 };
	int64_t start = mono_now_ms();

	harness_map(h, A, NATPMP_OP_MAP_TCP, 6881, 0, 60);
	harness_serve(h);
	assert_true(harness_run_until(h, runs_done, &first, 5000));
	harness_map(h, A, NATPMP_OP_MAP_TCP, 6881, 0, 0);	/* a delete */
	harness_serve(h);
	assert_true(harness_run_until(h, runs_done, &second, 5000));
	assert_true(mono_now_ms() - start >= EVENTS_MIN_INTERVAL_MS);
	assert_int_equal(count_of(f->out, "\"event\":\"deleted\""), 1);
	assert_int_equal(count_of(f->out, "\"reason\":\"client\""), 2);
}

static bool failed_once(void *arg)
{
	struct harness *h = arg;

	return gateway_stats(h->g)->counters[STAT_EVENT_FAILURES] >= 1 &&
	       events_idle(h->g->events);
}

static void a_failing_program_is_counted(void **state)
{
	struct fixture *f = *state;

	harness_map(&f->h, A, NATPMP_OP_MAP_TCP, 6881, 0, 60);
	harness_serve(&f->h);
	assert_true(harness_run_until(&f->h, failed_once, &f->h, 5000));
	assert_int_equal(gateway_stats(f->h.g)->counters[STAT_EVENT_TIMEOUTS], 0);
}

static bool killed(void *arg)
{
	struct harness *h = arg;

	return gateway_stats(h->g)->counters[STAT_EVENT_TIMEOUTS] == 1 &&
	       events_idle(h->g->events);
}

/* Killed at its timeout, reaped through the loop; requests are answered
 * meanwhile. */
static void a_hanging_program_is_killed(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->h;
	uint8_t buf[16];

	harness_map(h, A, NATPMP_OP_MAP_TCP, 6881, 0, 60);
	harness_serve(h);
	assert_int_equal(harness_recv(h, A, buf, sizeof(buf)), 16);
	assert_true(harness_run_until(h, killed, h, 5000));
	assert_int_equal(gateway_stats(h->g)->counters[STAT_EVENT_FAILURES], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(an_event_is_one_json_line),
		cmocka_unit_test(which_changes_are_events),
		cmocka_unit_test_setup_teardown(a_burst_is_one_run, up_recorder, down),
		cmocka_unit_test_setup_teardown(runs_are_spaced, up_recorder, down),
		cmocka_unit_test_setup_teardown(a_failing_program_is_counted, up_failing, down),
		cmocka_unit_test_setup_teardown(a_hanging_program_is_killed, up_hanging, down),
	};

	return cmocka_run_group_tests_name("core: events", tests, NULL, NULL);
}
