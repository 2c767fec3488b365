/*
 * rate.c - a rate limit as a token bucket: the text the config writes
 * ("20/s burst 40", "5/m", "off"), and the one decision, whether n tokens
 * may be taken now.  Pure: the caller keeps the bucket's state (one
 * int64_t) wherever it lives, private memory or shared (srctab.c).
 *
 * Why one number.  The bucket is kept as the generic cell rate algorithm
 * keeps it: the "theoretical arrival time" (tat) at which the bucket would
 * be full again.  Taking n tokens moves it n intervals later; it may not
 * run more than burst intervals ahead of now.  That is a token bucket of
 * burst tokens refilled one per interval, exactly, without a division or
 * a second field to keep consistent, which matters in shared memory that
 * a process may die in the middle of updating (a torn write of one
 * aligned 64-bit word cannot happen).  A refusal leaves the bucket as it
 * was: a client that keeps knocking does not push its own refill away.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "preforkd.h"

#define NS_PER_S	1000000000LL

/* rate_number - a decimal count at *p, in 1..RATE_COUNT_MAX; -1 if none. */
static long long
rate_number(const char **p)
{
	long long v = 0;
	const char *s = *p;

	if (!isdigit((unsigned char)*s))
		return -1;
	while (isdigit((unsigned char)*s)) {
		v = v * 10 + (*s - '0');
		if (v > RATE_COUNT_MAX)
			v = RATE_COUNT_MAX + 1LL;	/* too big: said later */
		s++;
	}
	*p = s;
	return v;
}

/* rate_space - past spaces and tabs. */
static const char *
rate_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/*
 * rate_parse - text as a rate: "N/s" or "N/m", optionally followed by
 * "burst B", or "off" (count 0).  Without a burst, the bucket holds one
 * period's worth (N).  0, or -1 with a message for people in err.
 */
int
rate_parse(const char *text, struct rate *r, char *err, size_t errlen)
{
	static const char syntax[] = "must be \"N/s\" or \"N/m\" (N a "
	    "number), optionally followed by \"burst B\", or \"off\"";
	const char *p = rate_space(text), *ntext, *btext;
	long long n, b;
	int nlen, blen;

	memset(r, 0, sizeof(*r));
	if (strcmp(p, "off") == 0)
		return 0;
	ntext = p;
	if ((n = rate_number(&p)) == -1)
		goto syntax;
	nlen = (int)(p - ntext);
	p = rate_space(p);
	if (*p++ != '/')
		goto syntax;
	p = rate_space(p);
	if (*p == 's')
		r->period_s = 1;
	else if (*p == 'm')
		r->period_s = 60;
	else
		goto syntax;
	p = rate_space(p + 1);
	b = n;
	btext = ntext;
	blen = nlen;
	if (strncmp(p, "burst", 5) == 0 && (p[5] == ' ' || p[5] == '\t')) {
		p = btext = rate_space(p + 5);
		if ((b = rate_number(&p)) == -1)
			goto syntax;
		blen = (int)(p - btext);
		p = rate_space(p);
	}
	if (*p != '\0')
		goto syntax;
	if (n < 1 || n > RATE_COUNT_MAX) {
		snprintf(err, errlen, "the rate must be between 1 and %d a "
		    "%s, not %.*s", RATE_COUNT_MAX, r->period_s == 1 ?
		    "second" : "minute", nlen, ntext);
		return -1;
	}
	if (b < 1 || b > RATE_COUNT_MAX) {
		snprintf(err, errlen, "burst must be between 1 and %d, not "
		    "%.*s", RATE_COUNT_MAX, blen, btext);
		return -1;
	}
	r->count = (uint32_t)n;
	r->burst = (uint32_t)b;
	/* Rounded up: never a token more than the rate says. */
	r->interval_ns = (r->period_s * NS_PER_S + n - 1) / n;
	if ((double)r->burst * (double)r->interval_ns >
	    (double)RATE_WINDOW_MAX_S * NS_PER_S) {
		snprintf(err, errlen, "burst %lld at %lld/%s takes more than "
		    "a year to refill", b, n, r->period_s == 1 ? "s" : "m");
		return -1;
	}
	return 0;
syntax:
	snprintf(err, errlen, "%s", syntax);
	return -1;
}

/* rate_format - r as the config would write it: "20/s burst 40", "off". */
char *
rate_format(const struct rate *r, char *buf, size_t len)
{
	if (r->count == 0)
		snprintf(buf, len, "off");
	else
		snprintf(buf, len, "%u/%s burst %u", r->count,
		    r->period_s == 60 ? "m" : "s", r->burst);
	return buf;
}

/*
 * rate_take - take n tokens at now (nanoseconds, monotonic) from the
 * bucket whose state is *tat (0: never used, full): 1 and *tat moved on,
 * or 0 and *tat untouched when the bucket does not hold n tokens.  A rate
 * that is off always gives.  More than burst tokens never fit.
 */
int
rate_take(const struct rate *r, int64_t *tat, int64_t now, uint64_t n)
{
	int64_t from, next, window;

	if (r->count == 0)
		return 1;
	if (n > r->burst)
		return 0;
	window = (int64_t)r->burst * r->interval_ns;
	from = *tat > now ? *tat : now;
	next = from + (int64_t)n * r->interval_ns;
	if (next - now > window)
		return 0;
	*tat = next;
	return 1;
}

/*
 * rate_one_left - the bucket state tat, but with at least one token in it
 * at now: for a bucket that starts from a state remembered loosely
 * (srctab.c's sketch), which may hold others' debts too.
 */
int64_t
rate_one_left(const struct rate *r, int64_t tat, int64_t now)
{
	int64_t most;

	if (r->count == 0)
		return tat;
	most = now + ((int64_t)r->burst - 1) * r->interval_ns;
	return tat > most ? most : tat;
}
