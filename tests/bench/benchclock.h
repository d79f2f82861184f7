/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the load generators share: a monotonic clock in microseconds and the
 * comparison qsort needs to take percentiles of latencies. */
#ifndef PORTGATE_BENCHCLOCK_H
#define PORTGATE_BENCHCLOCK_H

#include <time.h>

static inline double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

#endif
