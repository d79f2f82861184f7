/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The clocks the gateway reads: one place, so that every module measures
 * time the same way. */
#ifndef PORTGATE_UTIL_CLOCK_H
#define PORTGATE_UTIL_CLOCK_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC: deadlines, expiries, durations. */
int64_t mono_now_ms(void);
/* Microseconds of CLOCK_MONOTONIC: short durations (a batch, a poll). */
int64_t mono_now_us(void);
/* Milliseconds of CLOCK_BOOTTIME: keeps counting across suspend (the epoch). */
int64_t boot_now_ms(void);

#endif
