/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Growable arrays: one way to make room, used everywhere. */
#ifndef PORTGATE_ARRAY_H
#define PORTGATE_ARRAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>

/* Makes room for arr[len] (doubling cap, 16 at first). Evaluates to false,
 * leaving arr and cap as they were, when memory is short. */
#define ARRAY_RESERVE(arr, len, cap) __extension__ ({			\
	bool ok_ = true;						\
	if ((len) >= (cap)) {						\
		size_t ncap_ = (cap) ? (cap) * 2 : 16;			\
		__typeof__(arr) n_ = realloc((arr), ncap_ * sizeof(*(arr))); \
		if (n_) {						\
			(arr) = n_;					\
			(cap) = ncap_;					\
		} else {						\
			ok_ = false;					\
		}							\
	}								\
	ok_;								\
})

#endif
