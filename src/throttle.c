/*
 * throttle.c - the respawn backoff of a service whose workers die before
 * they are ready: 1 s, doubling to 60 s, reset once a worker is ready.  Pure
 * functions of the state and the clock, so the policy is unit-tested apart
 * from fork and waitpid.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "preforkd.h"

/*
 * throttle_failed - a worker died before it was ready at time now.  Workers
 * started together fail together: the delay doubles once per window, not
 * once per worker, so N workers dying at once cost one step of backoff.
 */
void
throttle_failed(struct throttle *t, int64_t now)
{
	if (t->delay_ms > 0 && now < t->until_ms)
		return;
	if (t->delay_ms == 0)
		t->delay_ms = THROTTLE_FIRST_MS;
	else if (t->delay_ms < THROTTLE_MAX_MS / 2)
		t->delay_ms *= 2;
	else
		t->delay_ms = THROTTLE_MAX_MS;
	t->until_ms = now + t->delay_ms;
}

/* throttle_ready - a worker of the service became ready: no more backoff. */
void
throttle_ready(struct throttle *t)
{
	t->delay_ms = 0;
	t->until_ms = 0;
}

/* throttle_allows - may the service fork a worker at time now? */
int
throttle_allows(const struct throttle *t, int64_t now)
{
	return now >= t->until_ms;
}
