/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Bounds-checked cursors over wire bytes, shared by the NAT-PMP and PCP
 * codecs: a read past the end fails, a write past the end marks the
 * writer overflowed (writer_done then yields 0). Internal to src/natpmp. */
#ifndef PORTGATE_NATPMP_WIRE_H
#define PORTGATE_NATPMP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct reader {
	const uint8_t *buf;
	size_t len;
	size_t pos;
};

struct writer {
	uint8_t *buf;
	size_t cap;
	size_t pos;
	bool overflow;
};

static inline bool read_u8(struct reader *r, uint8_t *v)
{
	if (r->len - r->pos < 1)
		return false;
	*v = r->buf[r->pos++];
	return true;
}

static inline bool read_u16(struct reader *r, uint16_t *v)
{
	if (r->len - r->pos < 2)
		return false;
	*v = (uint16_t)(r->buf[r->pos] << 8 | r->buf[r->pos + 1]);
	r->pos += 2;
	return true;
}

static inline bool read_u32(struct reader *r, uint32_t *v)
{
	if (r->len - r->pos < 4)
		return false;
	*v = (uint32_t)r->buf[r->pos] << 24 | (uint32_t)r->buf[r->pos + 1] << 16 |
	     (uint32_t)r->buf[r->pos + 2] << 8 | r->buf[r->pos + 3];
	r->pos += 4;
	return true;
}

static inline void write_u8(struct writer *w, uint8_t v)
{
	if (w->cap - w->pos < 1) {
		w->overflow = true;
		return;
	}
	w->buf[w->pos++] = v;
}

static inline void write_u16(struct writer *w, uint16_t v)
{
	write_u8(w, (uint8_t)(v >> 8));
	write_u8(w, (uint8_t)v);
}

static inline void write_u32(struct writer *w, uint32_t v)
{
	write_u16(w, (uint16_t)(v >> 16));
	write_u16(w, (uint16_t)v);
}

static inline void write_bytes(struct writer *w, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		write_u8(w, p[i]);
}

static inline size_t writer_done(const struct writer *w)
{
	return w->overflow ? 0 : w->pos;
}

static inline bool read_bytes(struct reader *r, uint8_t *p, size_t n)
{
	if (r->len - r->pos < n)
		return false;
	for (size_t i = 0; i < n; i++)
		p[i] = r->buf[r->pos + i];
	r->pos += n;
	return true;
}

static inline void write_zeros(struct writer *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		write_u8(w, 0);
}

#endif
