/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "daemon/ownaddrs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"
#include "wgpeer/rtnl.h"

struct own_addrs {
	struct ip_addr *v;	/* sorted, no duplicates */
	size_t n;
	bool stale;		/* the last read failed */
};

struct collect {
	struct ip_addr *v;
	size_t n, cap;
	bool short_of_memory;
};

static void add(struct collect *c, const struct ip_addr *addr)
{
	if (!ARRAY_RESERVE(c->v, c->n, c->cap)) {
		c->short_of_memory = true;
		return;
	}
	c->v[c->n++] = *addr;
}

/* The kernel answers more than the listed addresses: an IPv4 subnet's
 * network and broadcast addresses, and an IPv6 prefix's subnet-router
 * anycast address (prefix::, added to the local table for every address
 * shorter than /127 while forwarding is on). */
static void collect_addr(const struct ip_addr *addr, uint8_t prefixlen, void *arg)
{
	struct collect *c = arg;
	uint32_t v4 = ip_addr_v4(addr), mask;
	struct ip_addr edge = { { 0 } };

	add(c, addr);
	if (!ip_addr_is_v4(addr)) {
		if (prefixlen >= 127)
			return;
		memcpy(edge.b, addr->b, prefixlen / 8);
		if (prefixlen % 8)
			edge.b[prefixlen / 8] = addr->b[prefixlen / 8] &
						(uint8_t)(0xff << (8 - prefixlen % 8));
		add(c, &edge);
		return;
	}
	if (prefixlen >= 31)
		return;
	mask = prefixlen ? ~0u << (32 - prefixlen) : 0;
	edge = ip_addr_from_v4(v4 | ~mask);
	add(c, &edge);
	edge = ip_addr_from_v4(v4 & mask);
	add(c, &edge);
}

static int cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct ip_addr));
}

struct own_addrs *own_addrs_new(void)
{
	return calloc(1, sizeof(struct own_addrs));
}

void own_addrs_free(struct own_addrs *o)
{
	if (!o)
		return;
	free(o->v);
	free(o);
}

int own_addrs_refresh(struct own_addrs *o, struct rtnl_watch *rtnl)
{
	struct collect c = { 0 };
	size_t n = 0;
	int ret = rtnl_all_addrs(rtnl, collect_addr, &c);

	if (ret == 0 && c.short_of_memory)
		ret = -ENOMEM;
	o->stale = ret < 0;
	if (ret < 0) {
		free(c.v);
		return ret;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), cmp);
	for (size_t i = 0; i < c.n; i++)
		if (!n || cmp(&c.v[n - 1], &c.v[i]))
			c.v[n++] = c.v[i];
	if (n == o->n && (!n || !memcmp(o->v, c.v, n * sizeof(*c.v)))) {
		free(c.v);
		return 0;
	}
	free(o->v);
	o->v = c.v;
	o->n = n;
	return 1;
}

bool own_addrs_has(const struct own_addrs *o, const struct ip_addr *addr)
{
	return o->n && bsearch(addr, o->v, o->n, sizeof(*o->v), cmp);
}

bool own_addrs_stale(const struct own_addrs *o)
{
	return o->stale;
}
