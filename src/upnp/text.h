/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A bounded text writer for the UPnP layer's documents and datagrams: a
 * write past the capacity marks it overflowed and text_done() yields 0, so
 * an answer is whole or not sent. Internal to src/upnp. */
#ifndef PORTGATE_UPNP_TEXT_H
#define PORTGATE_UPNP_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct text {
	char *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

static inline struct text text_init(char *buf, size_t cap)
{
	return (struct text){ .buf = buf, .cap = cap };
}

void text_put(struct text *t, const char *s);
void text_putn(struct text *t, const char *s, size_t n);
void text_printf(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* s with &, <, >, " and ' as XML entities: safe in text and attributes. */
void text_xml(struct text *t, const char *s);
/* The length written, NUL-terminated; 0 if anything did not fit. */
size_t text_done(struct text *t);

#endif
