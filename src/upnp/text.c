/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "upnp/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void text_putn(struct text *t, const char *s, size_t n)
{
	/* One byte stays free for the terminating NUL. */
	if (t->overflow || t->cap - t->len <= n) {
		t->overflow = true;
		return;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
}

void text_put(struct text *t, const char *s)
{
	text_putn(t, s, strlen(s));
}

void text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->overflow || t->cap - t->len <= 1) {
		t->overflow = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->cap - t->len) {
		t->overflow = true;
		return;
	}
	t->len += (size_t)n;
}

void text_xml(struct text *t, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': text_put(t, "&amp;"); break;
		case '<': text_put(t, "&lt;"); break;
		case '>': text_put(t, "&gt;"); break;
		case '"': text_put(t, "&quot;"); break;
		case '\'': text_put(t, "&apos;"); break;
		default: text_putn(t, s, 1);
		}
	}
}

size_t text_done(struct text *t)
{
	if (t->overflow || t->cap == 0)
		return 0;
	t->buf[t->len] = '\0';
	return t->len;
}
