/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "natpmp/portset.h"

#include <string.h>

static void update_summary(struct portset *ps, unsigned word)
{
	uint64_t bit = 1ULL << (word % 64);

	if (~(ps->used[word] | ps->reserved[word]))
		ps->summary[word / 64] |= bit;
	else
		ps->summary[word / 64] &= ~bit;
}

void portset_init(struct portset *ps)
{
	memset(ps, 0, sizeof(*ps));
	/* Port 0 means "none" on the wire: it is reserved forever. */
	ps->reserved[0] = 1;
	for (unsigned w = 0; w < PORTSET_WORDS; w++)
		update_summary(ps, w);
}

bool portset_is_used(const struct portset *ps, uint16_t port)
{
	return ps->used[port / 64] >> (port % 64) & 1;
}

bool portset_is_reserved(const struct portset *ps, uint16_t port)
{
	return ps->reserved[port / 64] >> (port % 64) & 1;
}

bool portset_is_available(const struct portset *ps, uint16_t port)
{
	return !portset_is_used(ps, port) && !portset_is_reserved(ps, port);
}

static void set_bit(uint64_t *words, uint16_t port, bool on)
{
	uint64_t bit = 1ULL << (port % 64);

	if (on)
		words[port / 64] |= bit;
	else
		words[port / 64] &= ~bit;
}

void portset_set_used(struct portset *ps, uint16_t port, bool used)
{
	set_bit(ps->used, port, used);
	update_summary(ps, port / 64);
}

void portset_set_reserved(struct portset *ps, uint16_t port, bool reserved)
{
	if (port == 0)
		return;
	set_bit(ps->reserved, port, reserved);
	update_summary(ps, port / 64);
}

void portset_clear_reserved(struct portset *ps)
{
	memset(ps->reserved, 0, sizeof(ps->reserved));
	ps->reserved[0] = 1;
	for (unsigned w = 0; w < PORTSET_WORDS; w++)
		update_summary(ps, w);
}

/* Available ports of word w, limited to [lo, hi]. */
static uint64_t available_in_word(const struct portset *ps, unsigned w,
				  unsigned lo, unsigned hi)
{
	uint64_t avail = ~(ps->used[w] | ps->reserved[w]);
	unsigned first = w * 64, last = first + 63;

	if (lo > first)
		avail &= ~0ULL << (lo - first);
	if (hi < last)
		avail &= ~0ULL >> (last - hi);
	return avail;
}

/* First available port in [from, hi], or 0. Walks the summary so that full
 * words are skipped 64 at a time. */
static uint16_t find_forward(const struct portset *ps, unsigned from,
			     unsigned hi)
{
	unsigned w = from / 64, last_word = hi / 64;
	uint64_t avail = available_in_word(ps, w, from, hi);

	if (avail)
		return (uint16_t)(w * 64 + (unsigned)__builtin_ctzll(avail));
	for (w = w + 1; w <= last_word;) {
		unsigned s = w / 64;
		uint64_t summary = ps->summary[s] & (~0ULL << (w % 64));

		if (!summary) {
			w = (s + 1) * 64;
			continue;
		}
		w = s * 64 + (unsigned)__builtin_ctzll(summary);
		if (w > last_word)
			break;
		avail = available_in_word(ps, w, from, hi);
		if (avail)
			return (uint16_t)(w * 64 + (unsigned)__builtin_ctzll(avail));
		w++;
	}
	return 0;
}

uint16_t portset_find_available(const struct portset *ps, uint16_t lo,
				uint16_t hi, uint16_t start)
{
	uint16_t port;

	if (lo == 0)
		lo = 1;
	if (lo > hi)
		return 0;
	if (start < lo || start > hi)
		start = lo;
	port = find_forward(ps, start, hi);
	if (!port && start > lo)
		port = find_forward(ps, lo, start - 1u);
	return port;
}
