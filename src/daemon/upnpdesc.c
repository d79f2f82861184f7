/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A sorted array: UPnP mappings are few beside the table, and a lookup or
 * change is a binary search (a change moves the tail). */
#include "daemon/upnpdesc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/array.h"

struct desc {
	uint32_t key;			/* proto << 16 | port */
	char text[UPNP_DESC_KEEP + 1];
};

struct upnp_descs {
	struct desc *v;
	size_t n, cap;
};

struct upnp_descs *upnp_descs_new(void)
{
	return calloc(1, sizeof(struct upnp_descs));
}

void upnp_descs_free(struct upnp_descs *d)
{
	if (!d)
		return;
	free(d->v);
	free(d);
}

static uint32_t key_of(enum mapping_proto proto, uint16_t port)
{
	return (uint32_t)proto << 16 | port;
}

/* The index of key, or where it would go (*found false). */
static size_t find(const struct upnp_descs *d, uint32_t key, bool *found)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (d->v[mid].key < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < d->n && d->v[lo].key == key;
	return lo;
}

/* At most max bytes of s, not ending inside a UTF-8 sequence. */
static size_t cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	n = max;
	/* Back over continuation bytes (10xxxxxx) to the lead byte, which
	 * goes too: its sequence did not fit. */
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

int upnp_descs_set(struct upnp_descs *d, enum mapping_proto proto, uint16_t port,
		   const char *desc)
{
	bool found;
	size_t i = find(d, key_of(proto, port), &found);
	size_t len = cut(desc, UPNP_DESC_KEEP);

	if (!len) {
		if (found)
			memmove(&d->v[i], &d->v[i + 1], (--d->n - i) * sizeof(*d->v));
		return 0;
	}
	if (!found) {
		if (!ARRAY_RESERVE(d->v, d->n, d->cap))
			return -ENOMEM;
		memmove(&d->v[i + 1], &d->v[i], (d->n++ - i) * sizeof(*d->v));
		d->v[i].key = key_of(proto, port);
	}
	memcpy(d->v[i].text, desc, len);
	d->v[i].text[len] = '\0';
	return 0;
}

const char *upnp_descs_get(const struct upnp_descs *d, enum mapping_proto proto,
			   uint16_t port)
{
	bool found;
	size_t i = find(d, key_of(proto, port), &found);

	return found ? d->v[i].text : "";
}

size_t upnp_descs_count(const struct upnp_descs *d)
{
	return d->n;
}
