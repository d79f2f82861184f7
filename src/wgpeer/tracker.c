/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "wgpeer/tracker.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/array.h"
#include "util/clock.h"
#include "wgpeer/backend.h"

/* A poll under way: read (a slice per readable socket), then sort, diff
 * and index (a budget per step). What it read becomes the tracker's state
 * only when all of it is done; until then lookups answer from the last. */
enum job_phase { JOB_IDLE, JOB_READ, JOB_SORT, JOB_DIFF, JOB_INDEX };

struct poll_job {
	enum job_phase phase;
	bool kernel;			/* read over genl, else UAPI */
	struct wg_uapi_read uapi;	/* fd -1: not open */
	struct wg_genl_read genl;	/* nl NULL: not open */
	struct wg_device_info cur;
	struct wg_sort sort;
	struct wg_diff_pos pos;
	struct wg_lpm *lpm;
	size_t next;			/* index: next peer */
	struct wg_events ev;		/* handed out when the poll is done */
	int64_t since_us;
};

struct wg_tracker {
	char ifname[WG_IFNAME_MAX];
	char uapi_socket[108];
	uint32_t stale_after;
	struct wg_device_info dev;
	struct wg_lpm *lpm;
	struct wg_lpm *spare;	/* the index before, its memory for the next */
	struct wg_device_info retired;	/* the state before, freed in steps */
	size_t retired_next;		/* its next peer to free */
	const char *backend;
	double last_poll_ms;
	struct poll_job job;
};

static void job_reset(struct poll_job *j)
{
	if (j->uapi.fd >= 0)
		wg_uapi_abort(&j->uapi);
	if (j->genl.nl || j->genl.buf)
		wg_genl_abort(&j->genl);
	wg_device_clear(&j->cur);
	wg_sort_clear(&j->sort);
	wg_lpm_free(j->lpm);
	wg_events_clear(&j->ev);
	memset(j, 0, sizeof(*j));
	j->uapi.fd = -1;
}

/* Frees up to budget peers of the state before (20,000 peers' prefix
 * arrays freed at once took 1.4-2.2 ms); the rest at the next call. */
static void retire_step(struct wg_tracker *t, size_t budget)
{
	struct wg_device_info *r = &t->retired;

	for (; t->retired_next < r->n_peers && budget; t->retired_next++, budget--)
		free(r->peers[t->retired_next].ips);
	if (t->retired_next == r->n_peers) {
		free(r->peers);
		wg_device_init(r);
		t->retired_next = 0;
	}
}

struct wg_tracker *wg_tracker_new(const char *ifname, const char *uapi_socket,
				  uint32_t stale_after_sec)
{
	struct wg_tracker *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	snprintf(t->ifname, sizeof(t->ifname), "%s", ifname);
	snprintf(t->uapi_socket, sizeof(t->uapi_socket), "%s", uapi_socket ? uapi_socket : "");
	t->stale_after = stale_after_sec;
	t->backend = "none";
	t->job.uapi.fd = -1;
	wg_device_init(&t->dev);
	t->lpm = wg_lpm_build(&t->dev);
	if (!t->lpm) {
		free(t);
		return NULL;
	}
	return t;
}

void wg_tracker_free(struct wg_tracker *t)
{
	if (!t)
		return;
	job_reset(&t->job);
	retire_step(t, SIZE_MAX);
	wg_device_clear(&t->dev);
	wg_lpm_free(t->lpm);
	wg_lpm_free(t->spare);
	free(t);
}

void wg_tracker_set_stale_after(struct wg_tracker *t, uint32_t stale_after_sec)
{
	t->stale_after = stale_after_sec;
}

/* Makes cur, indexed by lpm, the current state; both are taken. The
 * state before is freed a step at a time by the next poll's steps. */
static void adopt(struct wg_tracker *t, struct wg_device_info *cur, struct wg_lpm *lpm)
{
	wg_lpm_free(t->spare);
	t->spare = t->lpm;
	retire_step(t, SIZE_MAX);	/* what is left of the one before */
	t->retired = t->dev;
	t->retired_next = 0;
	t->dev = *cur;
	t->lpm = lpm;
	wg_device_init(cur);
}

/* Hands the events over (out is the caller's, usually empty). */
static int events_move(struct wg_events *from, struct wg_events *out)
{
	if (!out->n) {
		free(out->items);
		*out = *from;
		memset(from, 0, sizeof(*from));
		return 0;
	}
	for (size_t i = 0; i < from->n; i++) {
		if (!ARRAY_RESERVE(out->items, out->n, out->cap))
			return -ENOMEM;
		out->items[out->n++] = from->items[i];
		memset(&from->items[i], 0, sizeof(from->items[i]));
	}
	return 0;
}

/* The end of a poll, read or not. */
static int poll_end(struct wg_tracker *t, int ret, struct wg_events *out)
{
	t->last_poll_ms = (double)(mono_now_us() - t->job.since_us) / 1000;
	job_reset(&t->job);
	if (ret == -ENODEV) {
		ret = wg_tracker_forget_all(t, out);
		return ret ? ret : -ENODEV;
	}
	return ret;
}

int wg_tracker_poll_begin(struct wg_tracker *t, int64_t now_sec,
			  struct wg_events *out, int *wait_fd)
{
	const char *path = t->uapi_socket[0] ? t->uapi_socket : NULL;
	struct poll_job *j = &t->job;
	int ret;

	(void)now_sec;
	*wait_fd = -1;
	job_reset(j);
	j->since_us = mono_now_us();
	ret = wg_uapi_begin(t->ifname, path, &j->uapi);
	if (ret == -ENODEV) {
		/* No userspace socket: the kernel's. */
		j->kernel = true;
		ret = wg_genl_begin(t->ifname, &j->genl);
	}
	if (ret < 0)
		return poll_end(t, ret, out);
	/* Room for as many peers as last time, and some: growing the array
	 * while reading would copy all of it at once, into fresh pages. */
	j->cur.cap_peers = t->dev.n_peers + t->dev.n_peers / 8 + 16;
	j->cur.peers = malloc(j->cur.cap_peers * sizeof(*j->cur.peers));
	if (!j->cur.peers)
		j->cur.cap_peers = 0;
	t->backend = j->kernel ? "kernel" : "uapi";
	j->phase = JOB_READ;
	*wait_fd = wg_tracker_poll_fd(t);
	return 1;
}

/* One slice of the answer. 1: more to come; 0: read whole. */
static int step_read(struct wg_tracker *t)
{
	struct poll_job *j = &t->job;
	int ret;

	if (j->kernel)
		return wg_genl_continue(&j->genl, &j->cur);
	ret = wg_uapi_continue(&j->uapi, &j->cur);
	if (ret == 0)
		ret = wg_uapi_finish(&j->uapi, t->ifname, &j->cur);
	/* The socket answered, so the interface exists: a broken reply is a
	 * hiccup, not a vanished interface. */
	return ret == -ENODEV ? -EIO : ret;
}

/* Sizes the index, then adds peers to it until the budget is spent. 1:
 * more to come; 0: indexed. */
static int step_index(struct wg_tracker *t)
{
	struct poll_job *j = &t->job;
	size_t done = 0;

	if (!j->lpm) {
		j->lpm = wg_lpm_new(&j->cur, t->spare);
		t->spare = NULL;
		if (!j->lpm)
			return -ENOMEM;
	}
	while (j->next < j->cur.n_peers && done < WG_TRACKER_STEP) {
		done += 1 + j->cur.peers[j->next].n_ips;
		wg_lpm_add(j->lpm, &j->cur, j->next++);
	}
	if (j->next < j->cur.n_peers)
		return 1;
	wg_lpm_seal(j->lpm);
	return 0;
}

int wg_tracker_poll_continue(struct wg_tracker *t, int64_t now_sec,
			     struct wg_events *out)
{
	struct poll_job *j = &t->job;
	int ret = -EINVAL;	/* no poll under way */

	retire_step(t, WG_TRACKER_STEP);
	switch (j->phase) {
	case JOB_IDLE:
		return ret;
	case JOB_READ:
		ret = step_read(t);
		if (ret == 0) {
			if (j->kernel)
				wg_genl_abort(&j->genl);
			snprintf(j->cur.ifname, sizeof(j->cur.ifname), "%s", t->ifname);
			j->phase = JOB_SORT;
			ret = 1;
		}
		break;
	case JOB_SORT:
		ret = wg_device_normalize_step(&j->cur, &j->sort, WG_TRACKER_STEP);
		if (ret == 0) {
			j->phase = JOB_DIFF;
			ret = 1;
		}
		break;
	case JOB_DIFF:
		ret = wg_device_diff_step(&t->dev, &j->cur, now_sec, t->stale_after, &j->ev,
					  &j->pos, WG_TRACKER_STEP);
		if (ret == 0) {
			j->phase = JOB_INDEX;
			ret = 1;
		}
		break;
	case JOB_INDEX:
		ret = step_index(t);
		if (ret == 0) {
			ret = events_move(&j->ev, out);
			if (ret == 0) {
				adopt(t, &j->cur, j->lpm);
				j->lpm = NULL;
			}
			return poll_end(t, ret, out);
		}
		break;
	}
	if (ret < 0)
		return poll_end(t, ret, out);
	return 1;
}

int wg_tracker_poll_fd(const struct wg_tracker *t)
{
	if (t->job.phase != JOB_READ)
		return -1;
	return t->job.kernel ? wg_genl_fd(&t->job.genl) : t->job.uapi.fd;
}

bool wg_tracker_poll_pending(const struct wg_tracker *t)
{
	return t->job.phase != JOB_IDLE;
}

void wg_tracker_poll_abort(struct wg_tracker *t)
{
	job_reset(&t->job);
}

int wg_tracker_poll(struct wg_tracker *t, int64_t now_sec, struct wg_events *out)
{
	int fd, ret = wg_tracker_poll_begin(t, now_sec, out, &fd);

	while (ret == 1) {
		struct pollfd pfd = { .fd = wg_tracker_poll_fd(t), .events = POLLIN };

		if (pfd.fd >= 0 && poll(&pfd, 1, WG_TRACKER_POLL_TIMEOUT_MS) == 0) {
			wg_tracker_poll_abort(t);
			return -ETIMEDOUT;
		}
		ret = wg_tracker_poll_continue(t, now_sec, out);
	}
	return ret;
}

int wg_tracker_forget_all(struct wg_tracker *t, struct wg_events *out)
{
	struct wg_device_info empty;
	struct wg_lpm *lpm = NULL;
	int ret;

	/* A poll under way diffs against what is forgotten now. */
	job_reset(&t->job);
	wg_device_init(&empty);
	ret = wg_device_diff(&t->dev, &empty, 0, 0, out);
	if (ret == 0 && !(lpm = wg_lpm_build(&empty)))
		ret = -ENOMEM;
	if (ret == 0)
		adopt(t, &empty, lpm);
	return ret;
}

bool wg_tracker_lookup(const struct wg_tracker *t, const struct ip_addr *addr,
		       uint8_t key[WG_KEY_LEN], uint8_t *cidr)
{
	uint32_t be;
	long i;

	/* The index holds allowed-ips as WireGuard gives them: IPv4 as
	 * 4 bytes in network order. */
	if (ip_addr_is_v4(addr)) {
		be = htonl(ip_addr_v4(addr));
		i = wg_lpm_lookup(t->lpm, AF_INET, &be, cidr);
	} else {
		i = wg_lpm_lookup(t->lpm, AF_INET6, addr->b, cidr);
	}

	if (i < 0)
		return false;
	memcpy(key, t->dev.peers[i].key, WG_KEY_LEN);
	return true;
}

const struct wg_device_info *wg_tracker_device(const struct wg_tracker *t)
{
	return &t->dev;
}

const char *wg_tracker_backend(const struct wg_tracker *t)
{
	return t->backend;
}

double wg_tracker_last_poll_ms(const struct wg_tracker *t)
{
	return t->last_poll_ms;
}
