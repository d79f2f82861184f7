/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Where the mapping state's bytes and time go, without sockets or a kernel:
 * fills a table as the bench's 100,000 level does (1,000 peers, 50 leases
 * each, UDP and TCP: 100,000 mappings, transactions of 2,000 requests),
 * prints the sizes of its parts and what malloc holds for it (mallinfo2)
 * per mapping, then times renewals of all of them and 10,000 new and
 * deleted mappings of other peers (ns per request, the best of 5 rounds).
 * The daemon's RSS (make bench's row) adds the rest of the process. Reads
 * the store's internals (mapping_store.h): a measuring tool, not a caller. */
#include <malloc.h>
#include <stdio.h>
#include <time.h>

#include "natpmp/codec.h"
#include "natpmp/mapping_store.h"

#define PEERS 1000
#define LEASES 50	/* per peer */
#define ROUNDS 5

static const struct mapping_limits lim = { 1024, 65535, LEASES, 60, 86400 };

static size_t held(void)
{
	struct mallinfo2 m = mallinfo2();

	return m.uordblks + m.hblkhd;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Peers first..first+PEERS-1, leases internal 1000..1000+k-1, each in
 * one transaction per internal port; returns the requests granted. */
static size_t run(struct mapping_table *t, int first, int k, int protos,
		  uint32_t lifetime, int64_t now)
{
	size_t granted = 0;

	for (int i = 0; i < k; i++) {
		if (mapping_table_begin(t) < 0)
			return 0;
		for (int p = first; p < first + PEERS; p++) {
			uint8_t peer[MAPPING_PEER_KEY_LEN] = { p & 0xff, p >> 8 };

			for (int proto = 0; proto < protos; proto++) {
				struct mapping_request r = {
					.peer = peer, .addr = ip_addr_from_v4(0x0ac80000u + (uint32_t)p),
					.proto = proto, .internal_port = (uint16_t)(1000 + i),
					.lifetime = lifetime,
				};
				struct mapping_reply rep;

				mapping_table_request(t, &lim, &r, now, &rep);
				granted += rep.result == NATPMP_RESULT_SUCCESS;
			}
		}
		mapping_table_commit(t);
	}
	return granted;
}

/* The best of ROUNDS runs, ns per request; between runs, undo (a lifetime,
 * or -1: nothing) puts back what the run changed. */
static double timed(struct mapping_table *t, int first, int k, int protos,
		    uint32_t lifetime, long undo, size_t *granted)
{
	double best = 0;

	for (int r = 0; r < ROUNDS; r++) {
		double t0 = now_ns(), ns;

		*granted = run(t, first, k, protos, lifetime, 1000 * (r + 1));
		ns = (now_ns() - t0) / ((double)PEERS * k * protos);
		if (r == 0 || ns < best)
			best = ns;
		if (undo >= 0 && r + 1 < ROUNDS)
			run(t, first, k, protos, (uint32_t)undo, 0);
	}
	return best;
}

int main(void)
{
	size_t before = held(), empty, granted, mappings;
	struct mapping_table *t = mapping_table_new();
	double renew, fresh, del;

	if (!t)
		return 1;
	empty = held();
	granted = run(t, 1, LEASES, MAPPING_PROTO_COUNT, 86400, 0);
	mappings = mapping_table_count(t, MAPPING_UDP) + mapping_table_count(t, MAPPING_TCP);
	printf("mappings %zu (granted %zu), leases %zu\n", mappings, granted, t->lease_count);
	printf("sizeof: lease %zu (data %zu), heap entry %zu, peer record %zu, journal entry %zu\n",
	       sizeof(struct lease), sizeof(struct lease_data), sizeof(struct expiry_entry),
	       sizeof(struct peer_record), sizeof(struct journal_entry));
	printf("lease buckets %zu, heap capacity %zu, journal capacity %zu\n",
	       t->lease_bucket_count, t->expiries.cap, t->journal_cap);
	printf("malloc holds %zu bytes for the empty table, %.1f bytes per mapping more when full\n",
	       empty - before, (double)(held() - empty) / (double)mappings);
	renew = timed(t, 1, LEASES, MAPPING_PROTO_COUNT, 86400, -1, &granted);
	printf("renew: %.0f ns per request (%zu granted)\n", renew, granted);
	fresh = timed(t, 1001, 10, 1, 600, 0, &granted);
	printf("new: %.0f ns per request (%zu granted)\n", fresh, granted);
	del = timed(t, 1001, 10, 1, 0, 600, &granted);
	printf("delete: %.0f ns per request\n", del);
	mapping_table_free(t);
	return 0;
}
