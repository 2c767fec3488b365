/*
 * rate-t.c - unit tests for src/rate.c: the text of a rate ("20/s burst
 * 40", "5/m", "off") with every error it can have, and the token bucket
 * itself: a full bucket gives exactly burst, one token comes back each
 * interval, a refusal changes nothing, more than burst never fits.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "preforkd.h"
#include "../tap/basic.h"

#define S	1000000000LL		/* a second in ns */
#define T0	(1000 * S)		/* some monotonic time */

#define SYNTAX	"must be \"N/s\" or \"N/m\" (N a number), optionally " \
	"followed by \"burst B\", or \"off\""

struct good {
	const char	*text;
	uint32_t	 count, period_s, burst;
	int64_t		 interval_ns;
	const char	*formatted;
};

static const struct good good[] = {
	{ "20/s", 20, 1, 20, S / 20, "20/s burst 20" },
	{ "20/s burst 40", 20, 1, 40, S / 20, "20/s burst 40" },
	{ "  5 / m  burst\t1 ", 5, 60, 1, 12 * S, "5/m burst 1" },
	{ "3/m", 3, 60, 3, 20 * S, "3/m burst 3" },
	{ "7/m burst 2", 7, 60, 2, (60 * S + 6) / 7, "7/m burst 2" },
	{ "1000000000/s", 1000000000, 1, 1000000000, 1,
	  "1000000000/s burst 1000000000" },
	{ "off", 0, 0, 0, 0, "off" },
	{ " off", 0, 0, 0, 0, "off" },
};

struct bad {
	const char	*text;
	const char	*err;
};

static const struct bad bad[] = {
	{ "", SYNTAX },
	{ "20", SYNTAX },
	{ "20/h", SYNTAX },
	{ "20/sec", SYNTAX },
	{ "/s", SYNTAX },
	{ "-1/s", SYNTAX },
	{ "20/s burst", SYNTAX },
	{ "20/s burst x", SYNTAX },
	{ "20/s burst 4 0", SYNTAX },
	{ "20/s bursts 40", SYNTAX },
	{ "20/s 40", SYNTAX },
	{ "Off", SYNTAX },
	{ "0/s", "the rate must be between 1 and 1000000000 a second, "
	  "not 0" },
	{ "0/s burst 0", "the rate must be between 1 and 1000000000 a "
	  "second, not 0" },
	{ "20/s burst 00", "burst must be between 1 and 1000000000, not "
	  "00" },
	{ "1000000001/m", "the rate must be between 1 and 1000000000 a "
	  "minute, not 1000000001" },
	{ "99999999999999999999/s", "the rate must be between 1 and "
	  "1000000000 a second, not 99999999999999999999" },
	{ "1/s burst 0", "burst must be between 1 and 1000000000, not 0" },
	{ "1/s burst 1000000001", "burst must be between 1 and 1000000000, "
	  "not 1000000001" },
	{ "1/m burst 1000000", "burst 1000000 at 1/m takes more than a year "
	  "to refill" },
};

static void
test_parse(void)
{
	struct rate r;
	char err[160], text[RATE_TEXT_MAX];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		err[0] = '\0';
		ok(rate_parse(good[i].text, &r, err, sizeof(err)) == 0 &&
		    r.count == good[i].count &&
		    r.period_s == good[i].period_s &&
		    r.burst == good[i].burst &&
		    r.interval_ns == good[i].interval_ns,
		    "\"%s\": %u a %us, burst %u, a token every %lld ns",
		    good[i].text, good[i].count, good[i].period_s,
		    good[i].burst, (long long)good[i].interval_ns);
		if (err[0] != '\0')
			diag("%s", err);
		is_string(good[i].formatted, rate_format(&r, text,
		    sizeof(text)), "  written back as \"%s\"",
		    good[i].formatted);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		ok(rate_parse(bad[i].text, &r, err, sizeof(err)) == -1,
		    "\"%s\" refused", bad[i].text);
		is_string(bad[i].err, err, "  saying why");
	}
}

/* take - how many of tries single tokens the bucket gives at now. */
static int
take(const struct rate *r, int64_t *tat, int64_t now, int tries)
{
	int i, n = 0;

	for (i = 0; i < tries; i++)
		n += rate_take(r, tat, now, 1);
	return n;
}

static void
test_bucket(void)
{
	struct rate r, off;
	char err[160];
	int64_t tat = 0, before;

	rate_parse("3/m burst 5", &r, err, sizeof(err));
	is_int(5, take(&r, &tat, T0, 100), "a full bucket gives burst (5) "
	    "and no more");
	before = tat;
	ok(!rate_take(&r, &tat, T0 + 19 * S, 1) && tat == before,
	    "19 s on (a token is 20 s at 3/m): still refused, the bucket "
	    "untouched");
	is_int(1, take(&r, &tat, T0 + 20 * S, 3), "20 s on: exactly one");
	is_int(2, take(&r, &tat, T0 + 60 * S, 3), "60 s on: two more (3 a "
	    "minute in all)");
	is_int(5, take(&r, &tat, T0 + 1000 * S, 100), "long idle: full "
	    "again, never more than burst");

	/* burst + rate * t over a longer run, from empty. */
	rate_parse("20/s burst 40", &r, err, sizeof(err));
	tat = 0;
	is_int(40, take(&r, &tat, T0, 1000), "20/s burst 40: 40 at once");
	is_int(20, take(&r, &tat, T0 + S, 1000), "  then 20 a second later");
	is_int(10, take(&r, &tat, T0 + S + S / 2, 1000),
	    "  and 10 half a second after");

	/* n tokens at once: bytes. */
	rate_parse("1000/s burst 1500", &r, err, sizeof(err));
	tat = 0;
	ok(rate_take(&r, &tat, T0, 1000), "1000 bytes of 1500 fit");
	ok(!rate_take(&r, &tat, T0, 600), "  600 more do not");
	ok(rate_take(&r, &tat, T0, 500), "  500 do");
	ok(!rate_take(&r, &tat, T0 + 10 * S, 1501), "more than burst never "
	    "fits, however long the wait");
	ok(rate_take(&r, &tat, T0 + 10 * S, 0), "0 tokens always do");

	rate_parse("3/m burst 3", &r, err, sizeof(err));
	ok(rate_one_left(&r, T0 + 60 * S, T0) == T0 + 40 * S,
	    "an empty bucket, given one token left");
	ok(rate_one_left(&r, T0 + 10 * S, T0) == T0 + 10 * S,
	    "  a bucket with two tokens, left alone");
	memset(&off, 0, sizeof(off));
	ok(rate_one_left(&off, T0 + 60 * S, T0) == T0 + 60 * S,
	    "  a rate that is off: unchanged");
	tat = 0;
	is_int(1000, take(&off, &tat, T0, 1000), "a rate that is off gives "
	    "every time");
	ok(tat == 0, "  and keeps no state");
}

int
main(void)
{
	plan(2 * (int)(sizeof(good) / sizeof(good[0])) +
	    2 * (int)(sizeof(bad) / sizeof(bad[0])) + 18);
	test_parse();
	test_bucket();
	return 0;
}
