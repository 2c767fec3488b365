/*
 * time.c - the monotonic clock in milliseconds that every deadline of the
 * master (throttle, stop, maintenance) is measured against, and the rate
 * limit of messages that could otherwise repeat without end.
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

/*
 * time_every - 1 (and *last set to now) when period_ms has passed since
 * *last, or *last is 0: at most one "yes" per period, for log lines about
 * something that may happen thousands of times a second.
 */
int
time_every(int64_t *last, int64_t period_ms)
{
	int64_t now = now_ms();

	if (*last != 0 && now - *last < period_ms)
		return 0;
	*last = now;
	return 1;
}
