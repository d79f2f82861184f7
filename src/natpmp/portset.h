/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A set of the 65,536 port numbers with a two-level bitmap, so that "the first
 * available port at or after P inside [lo, hi]" costs a few word operations
 * instead of a scan of every port. */
#ifndef PORTGATE_NATPMP_PORTSET_H
#define PORTGATE_NATPMP_PORTSET_H

#include <stdbool.h>
#include <stdint.h>

#define PORTSET_WORDS (65536 / 64)
#define PORTSET_SUMMARY_WORDS (PORTSET_WORDS / 64)

struct portset {
	uint64_t used[PORTSET_WORDS];
	uint64_t reserved[PORTSET_WORDS];
	/* bit w set: word w has a port neither used nor reserved */
	uint64_t summary[PORTSET_SUMMARY_WORDS];
};

void portset_init(struct portset *ps);
bool portset_is_used(const struct portset *ps, uint16_t port);
bool portset_is_reserved(const struct portset *ps, uint16_t port);
bool portset_is_available(const struct portset *ps, uint16_t port);
void portset_set_used(struct portset *ps, uint16_t port, bool used);
void portset_set_reserved(struct portset *ps, uint16_t port, bool reserved);
void portset_clear_reserved(struct portset *ps);
/* First available port in [lo, hi] starting at start and wrapping to lo;
 * returns 0 when none is (port 0 is never handed out). */
uint16_t portset_find_available(const struct portset *ps, uint16_t lo,
				uint16_t hi, uint16_t start);

#endif
