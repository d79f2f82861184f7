/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A binary min-heap of deadlines. Each entry knows where its owner keeps its
 * position (slot), so an owner can remove or move its entry in O(log n);
 * the owner is found from its slot (16 bytes an entry, not 24). */
#ifndef PORTGATE_NATPMP_EXPIRY_HEAP_H
#define PORTGATE_NATPMP_EXPIRY_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define EXPIRY_HEAP_NONE UINT32_MAX

struct expiry_entry {
	int64_t deadline;
	uint32_t *slot;	/* the owner's copy of this entry's index */
};

struct expiry_heap {
	struct expiry_entry *entries;
	size_t len;
	size_t cap;
};

void expiry_heap_init(struct expiry_heap *h);
void expiry_heap_free(struct expiry_heap *h);
/* Room for n more entries: -ENOMEM, or 0 and the next n pushes cannot
 * fail. */
int expiry_heap_reserve(struct expiry_heap *h, size_t n);
/* -ENOMEM on allocation failure. */
int expiry_heap_push(struct expiry_heap *h, int64_t deadline, uint32_t *slot);
void expiry_heap_remove(struct expiry_heap *h, uint32_t index);
const struct expiry_entry *expiry_heap_top(const struct expiry_heap *h);

#endif
