/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Snapshots of a device, their diff, and the longest-prefix index. */
#include "util/array.h"
#include "wgpeer/wgpeer.h"

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

void wg_device_normalize(struct wg_device_info *dev)
{
	qsort(dev->peers, dev->n_peers, sizeof(*dev->peers), peer_cmp);
	for (size_t i = 0; i < dev->n_peers; i++)
		qsort(dev->peers[i].ips, dev->peers[i].n_ips,
		      sizeof(*dev->peers[i].ips), ip_cmp);
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

int wg_device_diff(const struct wg_device_info *old,
		   const struct wg_device_info *cur, int64_t now_sec,
		   uint32_t stale_after_sec, struct wg_events *out)
{
	size_t i = 0, j = 0;

	while (i < old->n_peers || j < cur->n_peers) {
		int c = i == old->n_peers ? 1 : j == cur->n_peers ? -1
			: peer_cmp(&old->peers[i], &cur->peers[j]);

		if (c < 0) {
			if (!event_add(out, WG_EVENT_PEER_REMOVED, old->peers[i].key))
				return -ENOMEM;
			i++;
		} else if (c > 0) {
			if (!event_add(out, WG_EVENT_PEER_ADDED, cur->peers[j].key))
				return -ENOMEM;
			j++;
		} else {
			const struct wg_peer_info *o = &old->peers[i], *n = &cur->peers[j];

			if (diff_ips(o, n, out) < 0)
				return -ENOMEM;
			if (is_stale(n, now_sec, stale_after_sec) &&
			    !is_stale(o, now_sec, stale_after_sec) &&
			    !event_add(out, WG_EVENT_HANDSHAKE_STALE, n->key))
				return -ENOMEM;
			i++;
			j++;
		}
	}
	return 0;
}

/* ---- longest-prefix index ---------------------------------------------- */

/* One hash table for all prefixes, keyed by (family, length, masked
 * address); a lookup tries only the lengths that exist, longest first. */
struct lpm_slot {
	struct wg_allowed_ip prefix;
	long peer;	/* -1: empty */
};

struct wg_lpm {
	struct lpm_slot *slots;
	size_t mask;
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

struct wg_lpm *wg_lpm_build(const struct wg_device_info *dev)
{
	struct wg_lpm *lpm = calloc(1, sizeof(*lpm));
	bool seen4[33] = { 0 }, seen6[129] = { 0 };
	size_t total = 0, size = 16;

	if (!lpm)
		return NULL;
	for (size_t i = 0; i < dev->n_peers; i++)
		total += dev->peers[i].n_ips;
	while (size < total * 2)
		size *= 2;
	lpm->slots = malloc(size * sizeof(*lpm->slots));
	if (!lpm->slots) {
		free(lpm);
		return NULL;
	}
	for (size_t s = 0; s < size; s++)
		lpm->slots[s].peer = -1;
	lpm->mask = size - 1;
	for (size_t i = 0; i < dev->n_peers; i++) {
		for (size_t k = 0; k < dev->peers[i].n_ips; k++) {
			const struct wg_allowed_ip *p = &dev->peers[i].ips[k];
			size_t s = prefix_hash(p) & lpm->mask;

			while (lpm->slots[s].peer >= 0 && !prefix_eq(&lpm->slots[s].prefix, p))
				s = (s + 1) & lpm->mask;
			/* WireGuard gives a prefix to one peer only. */
			lpm->slots[s].prefix = *p;
			lpm->slots[s].peer = (long)i;
			if (p->family == AF_INET)
				seen4[p->cidr] = true;
			else
				seen6[p->cidr] = true;
		}
	}
	for (int c = 32; c >= 0; c--)
		if (seen4[c])
			lpm->lengths4[lpm->n4++] = (uint8_t)c;
	for (int c = 128; c >= 0; c--)
		if (seen6[c])
			lpm->lengths6[lpm->n6++] = (uint8_t)c;
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
		for (s = prefix_hash(&key) & lpm->mask; lpm->slots[s].peer >= 0;
		     s = (s + 1) & lpm->mask)
			if (prefix_eq(&lpm->slots[s].prefix, &key)) {
				if (cidr)
					*cidr = key.cidr;
				return lpm->slots[s].peer;
			}
	}
	return -1;
}
