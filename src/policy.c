/*
 * policy.c - the master's decisions about its workers, as pure functions
 * of what it knows (no clock, no system call, no global): how a worker's
 * death is taken, when the old generation retires after a reload, which
 * workers a smaller pool lets go first, and when a program exec'd by a
 * worker counts as ready.  The mechanism (spawn.c, reload.c, supervise.c)
 * acts on the answers; tests/unit/policy-t.c holds them to their tables.
 * The pool's size is pool.c's, the crash backoff throttle.c's.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "preforkd.h"

/*
 * policy_death - how the death of a worker is taken, from the facts of
 * it.  Expected deaths (asked to go, an old generation, a stop) are only
 * logged; a worker that dies before it was ready throttles its service,
 * so that one that cannot start never turns into a fork loop; one that
 * dies once ready is a respawn.  A slot written inconsistently comes
 * first: the master killed that worker.
 */
enum policy_death
policy_death(const struct policy_death_facts *f)
{
	if (f->expected)
		return DEATH_EXPECTED;
	if (f->condemned)
		return f->ready ? DEATH_CONDEMNED : DEATH_CONDEMNED_EARLY;
	if (f->exited_zero && f->max_requests > 0 &&
	    f->served >= (uint64_t)f->max_requests)
		return DEATH_RECYCLED;
	if (f->hung)
		return DEATH_HUNG;
	return f->ready ? DEATH_CRASH : DEATH_EARLY;
}

/* policy_death_throttles - whether such a death backs its service off. */
int
policy_death_throttles(enum policy_death d)
{
	return d == DEATH_EARLY || d == DEATH_CONDEMNED_EARLY;
}

/*
 * policy_retire_old - after a reload, whether a worker of the old
 * generation may be told to finish now: its service is gone from the new
 * configuration, or wants no workers, or has all of them ready, or the
 * wait (RELOAD_READY_MS) is over and at least one is ready, so that no
 * moment passes without a worker accepting.  have: the service is still
 * configured; want, ready: its new pool.
 */
int
policy_retire_old(int have, int want, int ready, int64_t now,
    int64_t deadline)
{
	return !have || want == 0 || ready >= want ||
	    (now >= deadline && ready > 0);
}

/*
 * policy_trim_round - in which round a pool that is too big lets this
 * worker go (TTOU): those not serving anyone first (round 0), those busy
 * on a connection only after them (round 1, gracefully).
 */
int
policy_trim_round(int state)
{
	return state == SLOT_BUSY ? 1 : 0;
}

/*
 * policy_exec_ready - whether a worker that exec'd a program (exec mode
 * "worker": the program cannot write its slot) counts as ready: it has
 * lived EXEC_READY_MS since the exec without dying.
 */
int
policy_exec_ready(int state, int64_t exec_at, int64_t now)
{
	return state == SLOT_STARTING && exec_at > 0 &&
	    now - exec_at >= EXEC_READY_MS;
}
