/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: a userspace WireGuard UAPI reply (untrusted bytes from
 * a socket) through the parser, whole and as the reader feeds it (slices
 * cut at a length the first byte picks, an unfinished line kept in front),
 * then the device it built through normalize (in steps) and the prefix
 * lookup. Both ways must agree. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wgpeer/backend.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The reader's way: returns the parse's result. */
static int parse_sliced(const char *text, size_t size, size_t slice,
			struct wg_device_info *dev)
{
	struct wg_uapi_parser p;
	char *buf = malloc(size + 1);
	size_t have = 0, next = 0;
	int ret = 0;

	if (!buf)
		return -1;
	wg_uapi_parser_init(&p);
	while (next < size && !p.ended) {
		size_t n = size - next < slice ? size - next : slice;

		memcpy(buf + have, text + next, n);
		have += n;
		next += n;
		if ((ret = wg_uapi_feed_buf(&p, buf, &have, dev)) < 0)
			break;
	}
	free(buf);
	if (ret)
		return ret;
	return p.ended || !have ? wg_uapi_end(&p) : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wg_device_info dev, sliced;
	size_t slice = size ? 1 + data[0] : 1;
	char *text = malloc(size + 1);
	uint32_t probe = htonl(0x0a000002);
	int whole, cut;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	wg_device_init(&dev);
	wg_device_init(&sliced);
	whole = wg_uapi_parse(text, size, &dev);
	cut = parse_sliced((const char *)data, size, slice, &sliced);
	/* A reply the whole parse takes, the slices take alike. */
	if (whole == 0 && (cut != 0 || sliced.n_peers != dev.n_peers))
		abort();
	if (whole == 0) {
		struct wg_sort s;
		struct wg_lpm *lpm;
		int ret;

		wg_sort_init(&s);
		while ((ret = wg_device_normalize_step(&dev, &s, slice)) == 1)
			;
		wg_sort_clear(&s);
		lpm = ret == 0 ? wg_lpm_build(&dev) : NULL;
		if (lpm) {
			long i = wg_lpm_lookup(lpm, AF_INET, &probe, NULL);

			if (i >= (long)dev.n_peers)
				abort();
			wg_lpm_free(lpm);
		}
	}
	wg_device_clear(&sliced);
	wg_device_clear(&dev);
	free(text);
	return 0;
}
