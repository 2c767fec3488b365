/*
 * pool.c - the policy of a dynamic pool, apart from the mechanism: given
 * how many workers are idle and alive, decide how many to fork and how many
 * to retire this second.  Apache's ramp: spawn 1, then 2, 4 ... 32 per
 * second while still short of min_spare idle; retire one idle worker per
 * second above max_spare; never more than max_workers.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "preforkd.h"

/*
 * pool_decide - the once-a-second decision.  idle counts starting workers
 * too: a worker forked a second ago and still starting will soon take
 * connections, and forking more for it would only swamp the machine.
 */
void
pool_decide(int min_spare, int max_spare, int max_workers, int idle,
    int total, struct pool_state *st, struct pool_decision *d)
{
	int room;

	d->spawn = d->retire = d->reached_max = 0;
	if (st->spawn_rate < 1)
		st->spawn_rate = 1;
	if (total < max_workers)
		st->at_max = 0;		/* below the cap: log it when reached */

	if (idle > max_spare) {
		d->retire = 1;
		st->spawn_rate = 1;
	} else if (idle < min_spare) {
		room = max_workers - total;
		if (room <= 0) {
			if (!st->at_max)
				d->reached_max = 1;
			st->at_max = 1;
			st->spawn_rate = 1;
			return;
		}
		d->spawn = st->spawn_rate < room ? st->spawn_rate : room;
		if (st->spawn_rate < POOL_SPAWN_RATE_MAX)
			st->spawn_rate *= 2;
	} else
		st->spawn_rate = 1;
}

/*
 * pool_request_limit - a worker's own max_requests, drawn from [n, n + n/10]
 * by r (a random number), so that workers started together do not all
 * recycle at once.  0 stays 0: never.
 */
PF_START int
pool_request_limit(int n, uint32_t r)
{
	uint32_t spread;

	if (n <= 0)
		return 0;
	spread = (uint32_t)n / 10;
	return n + (int)(r % (spread + 1));
}
