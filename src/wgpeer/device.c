/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Snapshots of a device, their diff, and the longest-prefix index. */
#include "util/array.h"
#include "wgpeer/device.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void wg_device_init(struct wg_device_info *dev)
{
	memset(dev, 0, sizeof(*dev));
}

void wg_device_clear(struct wg_device_info *dev)
{
	for (size_t i = 0; i < dev->n_peers; i++)
		free(dev->peers[i].ips);
	free(dev->peers);
	wg_device_init(dev);
}

struct wg_peer_info *wg_device_peer(struct wg_device_info *dev,
				    const uint8_t key[WG_KEY_LEN], bool add)
{
	struct wg_peer_info *p;

	/* Replies list each peer once, so only the last one can continue. */
	if (dev->n_peers &&
	    !memcmp(dev->peers[dev->n_peers - 1].key, key, WG_KEY_LEN))
		return &dev->peers[dev->n_peers - 1];
	if (!add)
		return NULL;
	if (!ARRAY_RESERVE(dev->peers, dev->n_peers, dev->cap_peers))
		return NULL;
	p = &dev->peers[dev->n_peers++];
	memset(p, 0, sizeof(*p));
	memcpy(p->key, key, WG_KEY_LEN);
	return p;
}

static int peer_key_cmp(const void *key, const void *peer)
{
	return memcmp(key, ((const struct wg_peer_info *)peer)->key, WG_KEY_LEN);
}

const struct wg_peer_info *wg_device_find(const struct wg_device_info *dev,
					  const uint8_t key[WG_KEY_LEN])
{
	if (!dev->n_peers)
		return NULL;
	return bsearch(key, dev->peers, dev->n_peers, sizeof(*dev->peers), peer_key_cmp);
}

static void mask_addr(uint8_t *addr, size_t len, uint8_t cidr)
{
	for (size_t i = 0; i < len; i++) {
		unsigned bits = i * 8 >= cidr ? 0 : cidr - i * 8;

		if (bits < 8)
			addr[i] &= (uint8_t)(0xff00 >> bits);
	}
}

int wg_peer_add_ip(struct wg_peer_info *peer, uint8_t family,
		   const void *addr, uint8_t cidr)
{
	struct wg_allowed_ip *ip;
	size_t len = family == AF_INET ? 4 : 16;

	if ((family != AF_INET && family != AF_INET6) || cidr > len * 8)
		return -EINVAL;
	if (!ARRAY_RESERVE(peer->ips, peer->n_ips, peer->cap_ips))
		return -ENOMEM;
	ip = &peer->ips[peer->n_ips++];
	memset(ip, 0, sizeof(*ip));
	ip->family = family;
	ip->cidr = cidr;
	memcpy(ip->addr, addr, len);
	mask_addr(ip->addr, len, cidr);
	return 0;
}

static int peer_cmp(const void *a, const void *b)
{
	return memcmp(((const struct wg_peer_info *)a)->key,
		      ((const struct wg_peer_info *)b)->key, WG_KEY_LEN);
}

static int ip_cmp(const void *a, const void *b)
{
	const struct wg_allowed_ip *x = a, *y = b;

	if (x->family != y->family)
		return x->family - y->family;
	if (x->cidr != y->cidr)
		return x->cidr - y->cidr;
	return memcmp(x->addr, y->addr, sizeof(x->addr));
}

/* Runs of this many peers are sorted at once, then merged pairwise. */
#define SORT_RUN 256

void wg_sort_init(struct wg_sort *s)
{
	memset(s, 0, sizeof(*s));
}

void wg_sort_clear(struct wg_sort *s)
{
	free(s->tmp);
	wg_sort_init(s);
}

/* Sorts the runs of SORT_RUN peers, and each peer's prefixes. */
static size_t sort_runs(struct wg_device_info *dev, struct wg_sort *s, size_t budget)
{
	size_t done = 0;

	while (s->k < dev->n_peers && done < budget) {
		size_t end = s->k + SORT_RUN < dev->n_peers ? s->k + SORT_RUN : dev->n_peers;

		qsort(dev->peers + s->k, end - s->k, sizeof(*dev->peers), peer_cmp);
		for (; s->k < end; s->k++, done++) {
			struct wg_peer_info *p = &dev->peers[s->k];

			qsort(p->ips, p->n_ips, sizeof(*p->ips), ip_cmp);
			done += p->n_ips;
		}
	}
	return done;
}

/* One pass of a bottom-up merge sort, resumed at k: runs of width from
 * dev->peers into tmp, pairwise. */
static size_t merge_pass(struct wg_device_info *dev, struct wg_sort *s, size_t budget)
{
	const struct wg_peer_info *src = dev->peers;
	size_t n = dev->n_peers, w = s->width, done = 0;

	while (s->k < n && done++ < budget) {
		size_t mid = s->lo + w < n ? s->lo + w : n;
		size_t hi = s->lo + 2 * w < n ? s->lo + 2 * w : n;

		if (s->a < mid && (s->b >= hi || peer_cmp(&src[s->a], &src[s->b]) <= 0))
			s->tmp[s->k++] = src[s->a++];
		else
			s->tmp[s->k++] = src[s->b++];
		if (s->k == hi) {
			s->lo = s->a = hi;
			s->b = hi + w < n ? hi + w : n;
		}
	}
	return done;
}

int wg_device_normalize_step(struct wg_device_info *dev, struct wg_sort *s, size_t budget)
{
	size_t n = dev->n_peers, done = 0;
	struct wg_peer_info *swap;

	if (!s->width) {
		done = sort_runs(dev, s, budget);
		if (s->k < n)
			return 1;
		s->width = SORT_RUN;
		s->k = s->lo = s->a = 0;
		s->b = SORT_RUN < n ? SORT_RUN : n;
	}
	while (s->width < n) {
		if (!s->tmp && !(s->tmp = malloc(n * sizeof(*s->tmp))))
			return -ENOMEM;
		if (done >= budget)
			return 1;
		done += merge_pass(dev, s, budget - done);
		if (s->k < n)
			return 1;
		/* The pass is whole: its output is the peers now. */
		swap = dev->peers;
		dev->peers = s->tmp;
		dev->cap_peers = n;
		s->tmp = swap;
		s->width *= 2;
		s->k = s->lo = s->a = 0;
		s->b = s->width < n ? s->width : n;
	}
	wg_sort_clear(s);
	return 0;
}

int wg_device_normalize(struct wg_device_info *dev)
{
	struct wg_sort s;
	int ret;

	wg_sort_init(&s);
	ret = wg_device_normalize_step(dev, &s, SIZE_MAX);
	wg_sort_clear(&s);
	return ret;
}

/* ---- diff -------------------------------------------------------------- */

void wg_events_clear(struct wg_events *ev)
{
	for (size_t i = 0; i < ev->n; i++)
		free(ev->items[i].lost);
	free(ev->items);
	memset(ev, 0, sizeof(*ev));
}

static struct wg_event *event_add(struct wg_events *ev, enum wg_event_type type,
				  const uint8_t *key)
{
	struct wg_event *e;

	if (!ARRAY_RESERVE(ev->items, ev->n, ev->cap))
		return NULL;
	e = &ev->items[ev->n++];
	memset(e, 0, sizeof(*e));
	e->type = type;
	memcpy(e->key, key, WG_KEY_LEN);
	return e;
}

static bool is_stale(const struct wg_peer_info *p, int64_t now,
		     uint32_t stale_after)
{
	return stale_after && p->last_handshake_sec &&
	       now - p->last_handshake_sec > (int64_t)stale_after;
}

/* Whether sorted ips[0..n) holds ip. */
static bool has_ip(const struct wg_allowed_ip *ips, size_t n, const struct wg_allowed_ip *ip)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = ip_cmp(&ips[mid], ip);

		if (!c)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* A prefix cur has that old had not: one event, however many. */
static int diff_gained(const struct wg_peer_info *old, const struct wg_peer_info *cur,
		       struct wg_events *out)
{
	for (size_t i = 0; i < cur->n_ips; i++)
		if (!has_ip(old->ips, old->n_ips, &cur->ips[i]))
			return event_add(out, WG_EVENT_ALLOWED_IPS_GAINED, cur->key) ? 0 : -ENOMEM;
	return 0;
}

/* Prefixes of old that cur no longer has, then whether it has new ones;
 * both sorted. */
static int diff_ips(const struct wg_peer_info *old, const struct wg_peer_info *cur,
		    struct wg_events *out)
{
	struct wg_event *e = NULL;
	size_t j = 0;

	for (size_t i = 0; i < old->n_ips; i++) {
		while (j < cur->n_ips && ip_cmp(&cur->ips[j], &old->ips[i]) < 0)
			j++;
		if (j < cur->n_ips && ip_cmp(&cur->ips[j], &old->ips[i]) == 0)
			continue;
		if (!e && !(e = event_add(out, WG_EVENT_ALLOWED_IPS_LOST, old->key)))
			return -ENOMEM;
		if (!ARRAY_RESERVE(e->lost, e->n_lost, e->cap_lost))
			return -ENOMEM;
		e->lost[e->n_lost++] = old->ips[i];
	}
	return diff_gained(old, cur, out);
}

int wg_device_diff_step(const struct wg_device_info *old,
			const struct wg_device_info *cur, int64_t now_sec,
			uint32_t stale_after_sec, struct wg_events *out,
			struct wg_diff_pos *pos, size_t budget)
{
	size_t done = 0;

	while (pos->i < old->n_peers || pos->j < cur->n_peers) {
		size_t i = pos->i, j = pos->j;
		int c = i == old->n_peers ? 1 : j == cur->n_peers ? -1
			: peer_cmp(&old->peers[i], &cur->peers[j]);

		if (done >= budget)
			return 1;
		if (c < 0) {
			if (!event_add(out, WG_EVENT_PEER_REMOVED, old->peers[i].key))
				return -ENOMEM;
			pos->i++;
			done++;
		} else if (c > 0) {
			if (!event_add(out, WG_EVENT_PEER_ADDED, cur->peers[j].key))
				return -ENOMEM;
			pos->j++;
			done++;
		} else {
			const struct wg_peer_info *o = &old->peers[i], *n = &cur->peers[j];

			if (diff_ips(o, n, out) < 0)
				return -ENOMEM;
			if (is_stale(n, now_sec, stale_after_sec) &&
			    !is_stale(o, now_sec, stale_after_sec) &&
			    !event_add(out, WG_EVENT_HANDSHAKE_STALE, n->key))
				return -ENOMEM;
			pos->i++;
			pos->j++;
			done += 1 + o->n_ips + n->n_ips;
		}
	}
	return 0;
}

int wg_device_diff(const struct wg_device_info *old,
		   const struct wg_device_info *cur, int64_t now_sec,
		   uint32_t stale_after_sec, struct wg_events *out)
{
	struct wg_diff_pos pos = { 0, 0 };

	return wg_device_diff_step(old, cur, now_sec, stale_after_sec, out, &pos, SIZE_MAX);
}

/* ---- longest-prefix index ---------------------------------------------- */

/* One hash table for all prefixes, keyed by (family, length, masked
 * address); a lookup tries only the lengths that exist, longest first. */
struct lpm_slot {
	struct wg_allowed_ip prefix;
	long peer;	/* index + 1; 0: empty (fresh zeroed memory) */
};

struct wg_lpm {
	struct lpm_slot *slots;
	size_t mask;
	bool seen4[33], seen6[129];
	uint8_t lengths4[33], n4;	/* present lengths, descending */
	uint8_t lengths6[129], n6;
};

static uint64_t prefix_hash(const struct wg_allowed_ip *p)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ ((uint64_t)p->family << 8 | p->cidr);

	for (size_t i = 0; i < sizeof(p->addr); i++)
		h = (h ^ p->addr[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

static bool prefix_eq(const struct wg_allowed_ip *a, const struct wg_allowed_ip *b)
{
	return a->family == b->family && a->cidr == b->cidr &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

struct wg_lpm *wg_lpm_new(const struct wg_device_info *dev, struct wg_lpm *reuse)
{
	size_t total = 0, size = 16;
	struct wg_lpm *lpm;

	for (size_t i = 0; i < dev->n_peers; i++)
		total += dev->peers[i].n_ips;
	while (size < total * 2)
		size *= 2;
	if (reuse && reuse->mask == size - 1) {
		/* Pages already mapped: clearing them costs far less than
		 * faulting in fresh ones (tens of ms for 2 MiB on some VMs). */
		memset(reuse->slots, 0, size * sizeof(*reuse->slots));
		memset(reuse->seen4, 0, sizeof(reuse->seen4));
		memset(reuse->seen6, 0, sizeof(reuse->seen6));
		return reuse;
	}
	wg_lpm_free(reuse);
	if (!(lpm = calloc(1, sizeof(*lpm))))
		return NULL;
	lpm->slots = calloc(size, sizeof(*lpm->slots));
	if (!lpm->slots) {
		free(lpm);
		return NULL;
	}
	lpm->mask = size - 1;
	return lpm;
}

void wg_lpm_add(struct wg_lpm *lpm, const struct wg_device_info *dev, size_t peer)
{
	for (size_t k = 0; k < dev->peers[peer].n_ips; k++) {
		const struct wg_allowed_ip *p = &dev->peers[peer].ips[k];
		size_t s = prefix_hash(p) & lpm->mask;

		while (lpm->slots[s].peer && !prefix_eq(&lpm->slots[s].prefix, p))
			s = (s + 1) & lpm->mask;
		/* WireGuard gives a prefix to one peer only. */
		lpm->slots[s].prefix = *p;
		lpm->slots[s].peer = (long)peer + 1;
		if (p->family == AF_INET)
			lpm->seen4[p->cidr] = true;
		else
			lpm->seen6[p->cidr] = true;
	}
}

void wg_lpm_seal(struct wg_lpm *lpm)
{
	lpm->n4 = lpm->n6 = 0;
	for (int c = 32; c >= 0; c--)
		if (lpm->seen4[c])
			lpm->lengths4[lpm->n4++] = (uint8_t)c;
	for (int c = 128; c >= 0; c--)
		if (lpm->seen6[c])
			lpm->lengths6[lpm->n6++] = (uint8_t)c;
}

struct wg_lpm *wg_lpm_build(const struct wg_device_info *dev)
{
	struct wg_lpm *lpm = wg_lpm_new(dev, NULL);

	if (!lpm)
		return NULL;
	for (size_t i = 0; i < dev->n_peers; i++)
		wg_lpm_add(lpm, dev, i);
	wg_lpm_seal(lpm);
	return lpm;
}

void wg_lpm_free(struct wg_lpm *lpm)
{
	if (!lpm)
		return;
	free(lpm->slots);
	free(lpm);
}

long wg_lpm_lookup(const struct wg_lpm *lpm, uint8_t family, const void *addr,
		   uint8_t *cidr)
{
	const uint8_t *lengths = family == AF_INET ? lpm->lengths4 : lpm->lengths6;
	size_t n = family == AF_INET ? lpm->n4 : lpm->n6;
	size_t len = family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < n; i++) {
		struct wg_allowed_ip key = { .family = family, .cidr = lengths[i] };
		size_t s;

		memcpy(key.addr, addr, len);
		mask_addr(key.addr, len, key.cidr);
		for (s = prefix_hash(&key) & lpm->mask; lpm->slots[s].peer;
		     s = (s + 1) & lpm->mask)
			if (prefix_eq(&lpm->slots[s].prefix, &key)) {
				if (cidr)
					*cidr = key.cidr;
				return lpm->slots[s].peer - 1;
			}
	}
	return -1;
}
