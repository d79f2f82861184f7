/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "util/clock.h"

#include <time.h>

static int64_t clock_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t clock_ms(clockid_t id)
{
	return clock_us(id) / 1000;
}

int64_t mono_now_us(void)
{
	return clock_us(CLOCK_MONOTONIC);
}

int64_t mono_now_ms(void)
{
	return clock_ms(CLOCK_MONOTONIC);
}

int64_t boot_now_ms(void)
{
	return clock_ms(CLOCK_BOOTTIME);
}
