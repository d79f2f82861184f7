/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/array.h"
#include "natpmp/expiry_heap.h"

#include <errno.h>
#include <stdlib.h>

void expiry_heap_init(struct expiry_heap *h)
{
	h->entries = NULL;
	h->len = 0;
	h->cap = 0;
}

void expiry_heap_free(struct expiry_heap *h)
{
	free(h->entries);
	expiry_heap_init(h);
}

static void place(struct expiry_heap *h, size_t i, struct expiry_entry e)
{
	h->entries[i] = e;
	*e.slot = (uint32_t)i;
}

static void sift_up(struct expiry_heap *h, size_t i)
{
	struct expiry_entry e = h->entries[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (h->entries[parent].deadline <= e.deadline)
			break;
		place(h, i, h->entries[parent]);
		i = parent;
	}
	place(h, i, e);
}

static void sift_down(struct expiry_heap *h, size_t i)
{
	struct expiry_entry e = h->entries[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= h->len)
			break;
		if (child + 1 < h->len &&
		    h->entries[child + 1].deadline < h->entries[child].deadline)
			child++;
		if (e.deadline <= h->entries[child].deadline)
			break;
		place(h, i, h->entries[child]);
		i = child;
	}
	place(h, i, e);
}

int expiry_heap_reserve(struct expiry_heap *h, size_t n)
{
	while (h->cap < h->len + n) {
		size_t last = h->cap;	/* ARRAY_RESERVE makes room for [last] */

		if (!ARRAY_RESERVE(h->entries, last, h->cap))
			return -ENOMEM;
	}
	return 0;
}

int expiry_heap_push(struct expiry_heap *h, int64_t deadline, uint32_t *slot)
{
	if (!ARRAY_RESERVE(h->entries, h->len, h->cap))
		return -ENOMEM;
	h->entries[h->len] = (struct expiry_entry){ deadline, slot };
	sift_up(h, h->len++);
	return 0;
}

void expiry_heap_remove(struct expiry_heap *h, uint32_t index)
{
	struct expiry_entry *victim = &h->entries[index];

	*victim->slot = EXPIRY_HEAP_NONE;
	if (index == --h->len)
		return;
	place(h, index, h->entries[h->len]);
	if (index > 0 && h->entries[(index - 1) / 2].deadline >
			 h->entries[index].deadline)
		sift_up(h, index);
	else
		sift_down(h, index);
}

const struct expiry_entry *expiry_heap_top(const struct expiry_heap *h)
{
	return h->len ? &h->entries[0] : NULL;
}
