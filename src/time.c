/*
 * time.c - the monotonic clock in milliseconds that every deadline of the
 * master (throttle, stop, maintenance) is measured against.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <time.h>

#include "preforkd.h"

/* now_ms - milliseconds on the monotonic clock. */
int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
