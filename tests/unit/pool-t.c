/*
 * pool-t.c - unit tests of the dynamic pool policy in src/pool.c: the
 * spawn ramp, the max_workers cap, retiring, and max_requests jitter.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "preforkd.h"
#include "../tap/basic.h"

/* One second of a pool: the situation, and what must be decided. */
struct row {
	const char	*what;
	int		 idle, total;
	int		 spawn, retire, reached_max;
};

/* Settings of every row: min_spare 4, max_spare 8, max_workers 40. */
static void
run(const char *name, const struct row *rows, size_t n)
{
	struct pool_state st = { 1, 0 };
	struct pool_decision d;
	size_t i;

	for (i = 0; i < n; i++) {
		pool_decide(4, 8, 40, rows[i].idle, rows[i].total, &st, &d);
		ok(d.spawn == rows[i].spawn && d.retire == rows[i].retire &&
		    d.reached_max == rows[i].reached_max,
		    "%s, second %zu: %s (spawn %d retire %d max %d)", name,
		    i + 1, rows[i].what, d.spawn, d.retire, d.reached_max);
	}
}

int
main(void)
{
	/* Short of idle workers for seconds on end: 1, 2, 4 ... 32. */
	static const struct row ramp[] = {
		{ "short: spawn 1", 0, 4, 1, 0, 0 },
		{ "still short: 2", 0, 5, 2, 0, 0 },
		{ "still short: 4", 0, 7, 4, 0, 0 },
		{ "still short: 8", 1, 11, 8, 0, 0 },
		{ "enough idle: nothing, rate resets", 5, 19, 0, 0, 0 },
		{ "short again: back to 1", 3, 19, 1, 0, 0 },
	};
	/* Up to the cap: spawn only what fits, say so once. */
	static const struct row cap[] = {
		{ "short: 1", 0, 30, 1, 0, 0 },
		{ "short: 2", 0, 31, 2, 0, 0 },
		{ "short: 4", 0, 33, 4, 0, 0 },
		{ "only 3 fit under 40", 0, 37, 3, 0, 0 },
		{ "at the cap: logged once", 0, 40, 0, 0, 1 },
		{ "still at the cap: not logged again", 0, 40, 0, 0, 0 },
		{ "load fell: retire one", 9, 40, 0, 1, 0 },
		{ "below the cap, short: 1", 0, 39, 1, 0, 0 },
		{ "at the cap again: logged again", 0, 40, 0, 0, 1 },
	};
	/* Quiet: one idle worker retired per second, down to max_spare. */
	static const struct row retire[] = {
		{ "12 idle: retire 1", 12, 12, 0, 1, 0 },
		{ "11 idle: retire 1", 11, 11, 0, 1, 0 },
		{ "9 idle: retire 1", 9, 9, 0, 1, 0 },
		{ "8 idle = max_spare: keep", 8, 8, 0, 0, 0 },
		{ "between the spares: keep", 5, 20, 0, 0, 0 },
		{ "4 idle = min_spare: keep", 4, 20, 0, 0, 0 },
	};
	struct pool_state st = { 1, 0 };
	struct pool_decision d;
	int i, lim, lo = 1 << 30, hi = 0;

	plan(6 + 9 + 6 + 7);

	run("ramp", ramp, sizeof(ramp) / sizeof(ramp[0]));
	run("cap", cap, sizeof(cap) / sizeof(cap[0]));
	run("retire", retire, sizeof(retire) / sizeof(retire[0]));

	/* The ramp stops doubling at 32 per second. */
	for (i = 0; i < 8; i++)
		pool_decide(4, 8, 4096, 0, 10, &st, &d);
	is_int(POOL_SPAWN_RATE_MAX, d.spawn, "the spawn rate is capped at 32");

	/* max_requests jitter: within [N, N + N/10], and it does spread. */
	for (i = 0; i < 100000; i++) {
		lim = pool_request_limit(1000, (uint32_t)i * 2654435761u);
		if (lim < lo)
			lo = lim;
		if (lim > hi)
			hi = lim;
	}
	is_int(1000, lo, "jitter: the lowest limit is max_requests");
	is_int(1100, hi, "jitter: the highest limit is max_requests + 10%%");
	is_int(0, pool_request_limit(0, 12345), "jitter: 0 stays never");
	is_int(1, pool_request_limit(1, 0xffffffffu), "jitter: 1 stays 1");
	is_int(9, pool_request_limit(9, 9), "jitter: below 10 there is none");
	ok(pool_request_limit(1000000000, 0xffffffffu) <= 1100000000,
	    "jitter: the largest max_requests stays in range");
	return 0;
}
