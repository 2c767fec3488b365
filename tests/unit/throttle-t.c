/*
 * throttle-t.c - unit tests of the respawn backoff in src/throttle.c.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "preforkd.h"
#include "../tap/basic.h"

int
main(void)
{
	struct throttle t = { 0, 0 };
	static const int want[] = { 1000, 2000, 4000, 8000, 16000, 32000,
	    60000, 60000 };
	int64_t now = 5000;
	size_t i;

	plan(24);

	ok(throttle_allows(&t, now), "a fresh service may spawn");

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		/* Each round fails once its window has passed. */
		throttle_failed(&t, now);
		is_int(want[i], t.delay_ms, "failure %zu: delay %d ms", i + 1,
		    want[i]);
		ok(!throttle_allows(&t, now + want[i] - 1),
		    "failure %zu: no spawn 1 ms before the window ends", i + 1);
		now += want[i];
	}
	ok(throttle_allows(&t, now), "spawn allowed when the window ends");

	/* Several workers dying in the same window count once. */
	throttle_ready(&t);
	throttle_failed(&t, 100000);
	throttle_failed(&t, 100001);
	throttle_failed(&t, 100500);
	is_int(1000, t.delay_ms, "failures in one window double only once");
	is_int(101000, t.until_ms, "window measured from the first failure");

	/* A ready worker resets the backoff. */
	throttle_failed(&t, 101000);
	is_int(2000, t.delay_ms, "next window doubles");
	throttle_ready(&t);
	is_int(0, t.delay_ms, "ready resets the delay");
	ok(throttle_allows(&t, 101001), "ready allows spawning at once");
	throttle_failed(&t, 200000);
	is_int(1000, t.delay_ms, "after a reset the backoff starts at 1 s");
	return 0;
}
