/*
 * rate-fuzz.c - libFuzzer target: a rate as the config writes it
 * (rate_parse in rate.c: "20/s burst 40", "5/m", "off"; max_rate,
 * max_rate_per_source, max_reply_bytes_per_source), and the token bucket
 * it makes (rate_take, rate_one_left).
 *
 * The input is the text up to a NUL byte; the bytes after it, when there
 * are some, are a client's arrivals, three bytes each: how long after the
 * previous one (in steps of a sixteenth of the interval, or of whole
 * intervals) and how many tokens it asks.  Besides no crash, leak or
 * undefined behaviour (an overflow included): a refused text says why; a
 * rate reads back the same from its format; the bucket never gives more
 * than burst tokens plus one an interval since the first arrival.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>

#include "preforkd.h"
#include "fuzz.h"

/* A monotonic clock reading of a machine up for a year and more, in ns. */
#define FUZZ_NOW0	(400LL * 86400 * 1000000000)

/* Arrivals this many at most: the clock stays far from overflowing. */
#define FUZZ_ARRIVALS	1000

/* The arrivals of the bytes at data against r. */
static void
fuzz_bucket(const struct rate *r, const uint8_t *data, size_t n)
{
	int64_t tat = 0, now = FUZZ_NOW0, step, t;
	uint64_t given = 0, ask;
	size_t i;

	for (i = 0; i + 3 <= n && i < 3 * FUZZ_ARRIVALS; i += 3) {
		step = (data[i] << 8) | data[i + 1];
		/* The high bit: whole intervals, else sixteenths. */
		if (step & 0x8000)
			now += (step & 0x7fff) * r->interval_ns;
		else
			now += step * (r->interval_ns / 16 + 1);
		ask = data[i + 2];
		/* The sketch's start (srctab.c) leaves a token to take. */
		t = rate_one_left(r, tat, now);
		FUZZ_CHECK(t <= tat);
		FUZZ_CHECK(rate_take(r, &t, now, 1));
		if (rate_take(r, &tat, now, ask)) {
			FUZZ_CHECK(ask <= r->burst);
			given += ask;
		}
		/* Never more than burst ahead, so never more than given. */
		FUZZ_CHECK(tat - now <= (int64_t)r->burst * r->interval_ns);
		FUZZ_CHECK(given <= r->burst +
		    (uint64_t)((now - FUZZ_NOW0) / r->interval_ns));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[512], err[160], shown[64];
	struct rate r, back;
	size_t used;

	used = fuzz_text(data, size, text, sizeof(text));
	memset(err, 0, sizeof(err));
	if (rate_parse(text, &r, err, sizeof(err)) == -1) {
		FUZZ_CHECK(err[0] != '\0');
		return 0;
	}
	rate_format(&r, shown, sizeof(shown));
	FUZZ_CHECK(rate_parse(shown, &back, err, sizeof(err)) == 0);
	FUZZ_CHECK(memcmp(&r, &back, sizeof(r)) == 0);
	if (r.count == 0)
		return 0;
	FUZZ_CHECK(r.burst >= 1 && r.burst <= RATE_COUNT_MAX);
	FUZZ_CHECK(r.period_s == 1 || r.period_s == 60);
	FUZZ_CHECK(r.interval_ns >= 1 &&
	    r.interval_ns * (int64_t)r.count >= r.period_s * 1000000000LL);
	if (used < size)
		fuzz_bucket(&r, data + used, size - used);
	return 0;
}
