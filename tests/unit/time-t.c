/*
 * time-t.c - unit tests of the wall-clock text form in src/time.c, which
 * the error log, the access log and the status share: fixed times in
 * zones east and west of UTC, summer time, half-hour offsets, truncated
 * milliseconds, and buffers too small.  The zones are POSIX TZ strings,
 * so the test needs no time zone database.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "preforkd.h"
#include "../tap/basic.h"

/* check - time_format of (sec, nsec) in zone tz, with or without ms. */
static void
check(const char *tz, time_t sec, long nsec, int ms, const char *want)
{
	struct timespec ts;
	char buf[TIME_TEXT_MAX];
	size_t n;

	setenv("TZ", tz, 1);
	tzset();
	ts.tv_sec = sec;
	ts.tv_nsec = nsec;
	memset(buf, 'x', sizeof(buf));
	n = time_format(buf, sizeof(buf), &ts, ms);
	is_string(want, buf, "%s, %lld.%09ld%s", tz, (long long)sec, nsec,
	    ms ? " with ms" : "");
	is_int((long long)strlen(want), (long long)n, "  its length");
}

int
main(void)
{
	struct timespec ts = { 1795000000, 123456789 };
	char buf[TIME_TEXT_MAX];

	plan(28);

	/* UTC, the epoch and an ordinary day. */
	check("UTC0", 0, 0, 0, "1970-01-01T00:00:00+00:00");
	check("UTC0", 0, 0, 1, "1970-01-01T00:00:00.000+00:00");
	check("UTC0", 1795000000, 0, 0, "2026-11-18T11:06:40+00:00");

	/* Milliseconds are truncated, never rounded up into the next second. */
	check("UTC0", 1795000000, 123456789, 1, "2026-11-18T11:06:40.123+00:00");
	check("UTC0", 1767225599, 999999999, 1, "2025-12-31T23:59:59.999+00:00");
	check("UTC0", 1795000000, 1000000, 1, "2026-11-18T11:06:40.001+00:00");

	/* Central Europe: winter +01:00, summer +02:00. */
	check("CET-1CEST,M3.5.0,M10.5.0/3", 1795000000, 0, 0,
	    "2026-11-18T12:06:40+01:00");
	check("CET-1CEST,M3.5.0,M10.5.0/3", 1751328000, 500000000, 1,
	    "2025-07-01T02:00:00.500+02:00");

	/* Half-hour offsets, east (into the next year) and west (into the
	 * previous day). */
	check("IST-5:30", 1767225599, 0, 0, "2026-01-01T05:29:59+05:30");
	check("NST3:30", 1751328000, 42000000, 1,
	    "2025-06-30T20:30:00.042-03:30");

	/* Buffers: exactly enough, one byte short, none. */
	setenv("TZ", "UTC0", 1);
	tzset();
	is_int(29, (long long)time_format(buf, 30, &ts, 1),
	    "30 bytes hold the form with milliseconds");
	is_string("2026-11-18T11:06:40.123+00:00", buf, "  all of it");
	is_int(0, (long long)time_format(buf, 29, &ts, 1),
	    "29 bytes do not: nothing");
	is_string("", buf, "  an empty string, not a cut one");
	is_int(0, (long long)time_format(buf, 10, &ts, 0),
	    "10 bytes do not hold the date and time");
	is_string("", buf, "  an empty string");
	buf[0] = 'x';
	is_int(0, (long long)time_format(buf, 0, &ts, 0),
	    "no room at all: nothing written");
	ok(buf[0] == 'x', "  not even the NUL");
	return 0;
}
