/* SPDX-License-Identifier: GPL-2.0-or-later */
/* In-memory nftables and conntrack for the daemon core's unit tests. One
 * process-wide "kernel" (tests are single-threaded), a map keyed by
 * protocol and port, and a short list for the ip6 table's elements; a
 * transaction applies whole or not at all. */
#include "fake_nft.h"

#include <errno.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>

#include "ctnl/conntrack.h"
#include "sockdiag/localsock.h"
#include "nft/monitor.h"

struct slot {
	bool used;
	struct nft_element e;
};

static struct {
	struct slot map[2][65536];	/* [tcp?][port] */
	unsigned refuse, commits, cut, unnated, ct_dumps;
	struct ct_flow last_unnated;
	bool preloaded;
	uint32_t external;
	bool local[2][2][65536];	/* [ipv6?][tcp?][port] */
	unsigned local_refreshes;
	struct nft_element v6[FAKE_NFT_V6_MAX];	/* ip6: NAT66 and pinholes */
	size_t n6;
} kernel;

struct nft_writer {
	struct nft_features features;
};

struct nft_txn {
	struct nft_writer *w;
	bool rebuild;		/* the maps emptied first */
	struct { bool del; struct nft_element e; } *ops;
	size_t n, cap;
};

static struct slot *slot_of(uint8_t proto, uint16_t port)
{
	return &kernel.map[proto == 6][port];
}

void fake_nft_refuse_commits(unsigned n) { kernel.refuse = n; }
unsigned fake_nft_commits(void) { return kernel.commits; }
unsigned fake_nft_flows_cut(void) { return kernel.cut; }

unsigned fake_nft_ct_dumps(void) { return kernel.ct_dumps; }

unsigned fake_nft_unnated_cut(struct ct_flow *last)
{
	if (last)
		*last = kernel.last_unnated;
	return kernel.unnated;
}

/* One flow of a cleanup done: counted by kind. */
static void cut_one(const struct ct_flow *f)
{
	if (f->kind == CT_FLOW_UNNATED) {
		kernel.unnated++;
		kernel.last_unnated = *f;
	} else {
		kernel.cut++;
	}
}

/* The ip6 element with e's key (space, proto, port; a pinhole's address). */
static struct nft_element *v6_find(const struct nft_element *e)
{
	for (size_t i = 0; i < kernel.n6; i++) {
		struct nft_element *x = &kernel.v6[i];

		if (x->space == e->space && x->proto == e->proto &&
		    x->external_port == e->external_port &&
		    (e->space != NFT_SPACE_PINHOLE || ip_addr_equal(&x->addr, &e->addr)))
			return x;
	}
	return NULL;
}

static void v6_apply(bool del, const struct nft_element *e)
{
	struct nft_element *x = v6_find(e);

	if (del && x)
		*x = kernel.v6[--kernel.n6];
	else if (!del && x)
		*x = *e;
	else if (!del && kernel.n6 < FAKE_NFT_V6_MAX)
		kernel.v6[kernel.n6++] = *e;
}

bool fake_nft_get6(enum nft_space space, uint8_t proto, uint16_t port, struct nft_element *out)
{
	for (size_t i = 0; i < kernel.n6; i++)
		if (kernel.v6[i].space == space && kernel.v6[i].proto == proto &&
		    kernel.v6[i].external_port == port) {
			if (out)
				*out = kernel.v6[i];
			return true;
		}
	return false;
}

size_t fake_nft_count(void)
{
	size_t n = kernel.n6;

	for (int p = 0; p < 2; p++)
		for (int i = 0; i < 65536; i++)
			n += kernel.map[p][i].used;
	return n;
}

bool fake_nft_get(uint8_t proto, uint16_t port, struct nft_element *out)
{
	struct slot *s = slot_of(proto, port);

	if (s->used && out)
		*out = s->e;
	return s->used;
}

void fake_nft_preload(const struct nft_element *e)
{
	struct slot *s = slot_of(e->proto, e->external_port);

	if (e->space != NFT_SPACE_IPV4) {
		v6_apply(false, e);
		kernel.preloaded = true;
		return;
	}
	s->used = true;
	s->e = *e;
	kernel.preloaded = true;
}

void fake_nft_reset(void)
{
	memset(&kernel, 0, sizeof(kernel));
}

struct nft_writer *nft_writer_open(const struct nft_config *cfg)
{
	(void)cfg;
	return calloc(1, sizeof(struct nft_writer));
}

void nft_writer_close(struct nft_writer *w)
{
	free(w);
}

int nft_writer_setup(struct nft_writer *w, bool *adopted, uint64_t *epoch_origin_ms)
{
	w->features.owner = w->features.persist = true;
	w->features.kernel_persist = w->features.destroy = true;
	w->features.mode = NFT_MODE_PERSISTENT;
	*adopted = kernel.preloaded;
	*epoch_origin_ms = 0;
	return 0;
}

const struct nft_features *nft_writer_features(const struct nft_writer *w)
{
	return &w->features;
}

/* The IPv4 set's first address; the IPv6 one is not looked at. */
int nft_writer_set_external(struct nft_writer *w, enum ip_family fam,
			    const struct ip_addr *addrs, size_t n)
{
	(void)w;
	if (fam == IP_V4)
		kernel.external = n ? ip_addr_v4(&addrs[0]) : 0;
	return 0;
}

uint32_t fake_nft_external(void)
{
	return kernel.external;
}

int nft_writer_set_tunnel(struct nft_writer *w, enum ip_family fam,
			  const struct ip_addr *addrs, size_t n)
{
	(void)w;
	(void)fam;
	(void)addrs;
	(void)n;
	return 0;
}

int nft_writer_dump(struct nft_writer *w, int (*cb)(const struct nft_element *, void *),
		    void *arg)
{
	(void)w;
	for (int p = 0; p < 2; p++)
		for (int i = 0; i < 65536; i++)
			if (kernel.map[p][i].used) {
				struct nft_element e = kernel.map[p][i].e;
				int ret;

				e.remaining_ms = (uint64_t)e.lifetime_s * 1000;
				if ((ret = cb(&e, arg)) < 0)
					return ret;
			}
	for (size_t i = 0; i < kernel.n6; i++) {
		struct nft_element e = kernel.v6[i];
		int ret;

		e.remaining_ms = (uint64_t)e.lifetime_s * 1000;
		if ((ret = cb(&e, arg)) < 0)
			return ret;
	}
	return 0;
}

int nft_writer_remove_table(struct nft_writer *w)
{
	(void)w;
	fake_nft_reset();
	return 0;
}

const char *nft_writer_last_error(const struct nft_writer *w)
{
	(void)w;
	return "";
}

struct nft_txn *nft_txn_begin(struct nft_writer *w)
{
	struct nft_txn *t = calloc(1, sizeof(*t));

	if (t)
		t->w = w;
	return t;
}

static int push(struct nft_txn *t, bool del, const struct nft_element *e)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		void *p = realloc(t->ops, cap * sizeof(*t->ops));

		if (!p)
			return -ENOMEM;
		t->ops = p;
		t->cap = cap;
	}
	t->ops[t->n].del = del;
	t->ops[t->n].e = *e;
	t->n++;
	return 0;
}

int nft_txn_put(struct nft_txn *t, const struct nft_element *e, bool replace)
{
	(void)replace;
	return push(t, false, e);
}

int nft_txn_delete_element(struct nft_txn *t, const struct nft_element *e)
{
	return push(t, true, e);
}

struct nft_txn *nft_txn_begin_rebuild(struct nft_writer *w)
{
	struct nft_txn *t = nft_txn_begin(w);

	if (t)
		t->rebuild = true;
	return t;
}

size_t nft_txn_size(const struct nft_txn *t)
{
	return t->n + t->rebuild;
}

/* A persistent table: never stale, nobody else changes it. */
bool nft_writer_stale(const struct nft_writer *w)
{
	(void)w;
	return false;
}

void nft_writer_set_stale(struct nft_writer *w)
{
	(void)w;
}

int nft_writer_verify(struct nft_writer *w)
{
	(void)w;
	return 0;
}

uint32_t nft_writer_portid(const struct nft_writer *w)
{
	(void)w;
	return 0;
}

/* Opened in un-owned mode only, which the fake never is. */
struct nft_monitor *nft_monitor_open(const char *table, uint32_t writer_portid)
{
	(void)table;
	(void)writer_portid;
	errno = ENOSYS;
	return NULL;
}

void nft_monitor_close(struct nft_monitor *m)
{
	(void)m;
}

int nft_monitor_fd(const struct nft_monitor *m)
{
	(void)m;
	return -1;
}

int nft_monitor_read(struct nft_monitor *m)
{
	(void)m;
	return 0;
}

void nft_txn_abort(struct nft_txn *t)
{
	if (!t)
		return;
	free(t->ops);
	free(t);
}

/* Like the kernel: a put of a key that exists without replace, or a delete
 * of one that does not, fails the whole batch. Here the daemon always says
 * replace for existing keys, and deletes only what it holds. */
int nft_txn_commit(struct nft_txn *t)
{
	kernel.commits++;
	if (kernel.refuse) {
		kernel.refuse--;
		nft_txn_abort(t);
		return -ENOBUFS;
	}
	if (t->rebuild) {
		memset(kernel.map, 0, sizeof(kernel.map));
		kernel.n6 = 0;
	}
	for (size_t i = 0; i < t->n; i++) {
		struct slot *s = slot_of(t->ops[i].e.proto, t->ops[i].e.external_port);

		if (t->ops[i].e.space != NFT_SPACE_IPV4) {
			v6_apply(t->ops[i].del, &t->ops[i].e);
			continue;
		}
		s->used = !t->ops[i].del;
		s->e = t->ops[i].e;
	}
	nft_txn_abort(t);
	return 0;
}

/* ---- local sockets (sock_diag) ------------------------------------------ */

/* A snapshot, as the real one: what the last refresh saw. */
struct local_sockets {
	bool seen[2][2][65536];
};

void fake_local_socket(int family, uint8_t proto, uint16_t port)
{
	kernel.local[family == AF_INET6][proto == 6][port] = true;
}

struct local_sockets *local_sockets_open(void)
{
	return calloc(1, sizeof(struct local_sockets));
}

void local_sockets_close(struct local_sockets *l)
{
	free(l);
}

int local_sockets_refresh(struct local_sockets *l, const struct local_ports_of *at)
{
	(void)at;
	memcpy(l->seen, kernel.local, sizeof(l->seen));
	kernel.local_refreshes++;
	return 0;
}

unsigned fake_local_refreshes(void)
{
	return kernel.local_refreshes;
}

bool local_sockets_in_use(const struct local_sockets *l, int family, uint8_t proto,
			  uint16_t port)
{
	return l->seen[family == AF_INET6][proto == 6][port];
}

int local_sockets_each(struct local_sockets *l, const struct local_ports_of *at,
		       void (*cb)(int family, uint8_t proto, uint16_t port, void *arg),
		       void *arg)
{
	(void)l;
	(void)at;
	for (int f = 0; f < 2; f++)
		for (int p = 0; p < 2; p++)
			for (int i = 0; i < 65536; i++)
				if (kernel.local[f][p][i])
					cb(f ? AF_INET6 : AF_INET, p ? 6 : 17, (uint16_t)i, arg);
	return 0;
}

/* ---- conntrack ---------------------------------------------------------- */

struct conntrack {
	size_t last;
};

struct conntrack *conntrack_open(void)
{
	return calloc(1, sizeof(struct conntrack));
}

void conntrack_close(struct conntrack *ct)
{
	free(ct);
}


/* Each flow stands for one entry, cut a slice at a time. */
struct ct_cleanup {
	struct ct_flow *flows;
	size_t n, next;
};

struct ct_cleanup *conntrack_cleanup_begin(struct conntrack *ct, const struct ip_addr *orig_dst,
					   const struct ct_flow *flows, size_t n)
{
	struct ct_cleanup *c = calloc(1, sizeof(*c));

	(void)ct;
	(void)orig_dst;
	kernel.ct_dumps++;
	if (c && n && !(c->flows = malloc(n * sizeof(*flows)))) {
		free(c);
		return NULL;
	}
	if (c) {
		if (n)
			memcpy(c->flows, flows, n * sizeof(*flows));
		c->n = n;
	}
	return c;
}

int conntrack_cleanup_step(struct ct_cleanup *c, size_t max, size_t *deleted)
{
	size_t k = c->n - c->next < max ? c->n - c->next : max;

	for (size_t i = 0; i < k; i++)
		cut_one(&c->flows[c->next++]);
	*deleted += k;
	return c->next < c->n;
}

size_t conntrack_cleanup_left(const struct ct_cleanup *c)
{
	return c->n - c->next;
}

void conntrack_cleanup_free(struct ct_cleanup *c)
{
	if (c)
		free(c->flows);
	free(c);
}

size_t conntrack_last_dump_size(const struct conntrack *ct)
{
	return ct->last;
}
