/*
 * time.c - the clocks: the monotonic clock in milliseconds that every
 * deadline of the master (throttle, stop, maintenance) is measured
 * against, the rate limit of messages that could otherwise repeat without
 * end, and the one text form of a wall-clock time that the error log, the
 * access log and the status share.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "preforkd.h"

/* now_ms - milliseconds on the monotonic clock. */
PF_HOT int64_t
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

/*
 * time_format - ts as local time in ISO 8601 with the zone's offset,
 * "2026-11-21T17:44:00+01:00", or with milliseconds (truncated, not
 * rounded) "2026-11-21T17:44:00.123+01:00" when ms is set: one form for
 * every log line and report, so that they sort and compare as text.  The
 * length of the text in buf (at most len - 1; "" when len cannot hold
 * it).  TIME_TEXT_MAX is always enough.
 */
size_t
time_format(char *buf, size_t len, const struct timespec *ts, int ms)
{
	struct tm tm;
	char zone[8], frac[24] = "";
	size_t n;
	int r;

	if (len == 0)
		return 0;
	if (localtime_r(&ts->tv_sec, &tm) == NULL ||
	    (n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm)) == 0 ||
	    strftime(zone, sizeof(zone), "%z", &tm) != 5) {
		buf[0] = '\0';
		return 0;
	}
	if (ms)
		snprintf(frac, sizeof(frac), ".%03ld", ts->tv_nsec / 1000000);
	/* strftime's "+0100" as "+01:00". */
	r = snprintf(buf + n, len - n, "%s%.3s:%s", frac, zone, zone + 3);
	if (r < 0 || (size_t)r >= len - n) {
		buf[0] = '\0';
		return 0;
	}
	return n + (size_t)r;
}

/*
 * time_seconds - a duration of ms milliseconds as seconds, the way a
 * configuration writes them: "5", "0.25", "1.5" (no trailing zeros);
 * buf of at least 24 bytes.  Returns buf.
 */
char *
time_seconds(char *buf, size_t len, int64_t ms)
{
	size_t n;

	if (ms % 1000 == 0) {
		snprintf(buf, len, "%lld", (long long)(ms / 1000));
		return buf;
	}
	snprintf(buf, len, "%lld.%03lld", (long long)(ms / 1000),
	    (long long)(ms % 1000));
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
		buf[--n] = '\0';
	return buf;
}
