/*
 * policy.c - the master's decisions about its workers, as pure functions
 * of what it knows (no clock, no system call, no global): how a worker's
 * death is taken, when the old generation retires after a reload, which
 * workers a smaller pool lets go first, when a program exec'd by a
 * worker counts as ready, and which clients a full pool cuts (shedding).
 * The mechanism (spawn.c, reload.c, supervise.c, shed.c) acts on the
 * answers; tests/unit/policy-t.c holds them to their tables.  The pool's
 * size is pool.c's, the crash backoff throttle.c's.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <stdlib.h>

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
 * policy_retire_old - after a reload, how many of an old service's total
 * workers (those it had when the reload began) may have been told to
 * finish by now.  All of them when the service is gone from the new
 * configuration, or wants no workers, or has all of them ready, or the
 * wait (RELOAD_READY_MS) is over and at least one is ready.  Before that,
 * in step with the new pool: as many as the share of the new workers
 * that are ready, so that the old generation leaves while the new one
 * starts (a reload of thousands takes about as long as a start, and
 * needs far fewer than twice the processes), the service keeps about as
 * many workers accepting as before, and none while none of the new is
 * ready.  have: the service is still configured; want, ready: its new
 * pool.
 */
int
policy_retire_old(int have, int want, int ready, int total, int64_t now,
    int64_t deadline)
{
	if (!have || want <= 0 || ready >= want || (now >= deadline &&
	    ready > 0))
		return total;
	if (ready <= 0 || total <= 0)
		return 0;
	return (int)((int64_t)total * ready / want);
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

/* policy_shed_order - qsort: those to cut first, longest silent first. */
static int
policy_shed_order(const void *a, const void *b)
{
	const struct policy_shed_conn *x = a, *y = b;

	if ((x->why == SHED_KEEP) != (y->why == SHED_KEEP))
		return x->why == SHED_KEEP ? 1 : -1;
	if (x->silent_ms != y->silent_ms)
		return x->silent_ms > y->silent_ms ? -1 : 1;
	if (x->age_ms != y->age_ms)
		return x->age_ms > y->age_ms ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * policy_shed_slow - whether a connection moved fewer bytes than min_rate
 * asks once its first busy_ms are over: at least min_rate bytes a second
 * for the rest of its age (mod_reqtimeout's MinRate: each min_rate bytes
 * buy one more second).  In 64 bits whatever the age.
 */
static int
policy_shed_slow(const struct policy_shed_conn *c, int64_t busy_ms,
    int min_rate)
{
	uint64_t over, need;

	if (min_rate <= 0 || c->age_ms <= busy_ms)
		return 0;
	over = (uint64_t)(c->age_ms - busy_ms);
	if (over > UINT64_MAX / (uint64_t)min_rate)
		need = UINT64_MAX / 1000;
	else
		need = over * (uint64_t)min_rate / 1000;
	return c->moved < need;
}

/*
 * policy_shed - with a service's pool full and waiting connections in its
 * listen queue, which of its n busy connections to cut: those silent
 * longer than busy milliseconds (io_timeout_busy), and, when min_rate is
 * set, those slower than min_rate bytes a second after their first busy
 * milliseconds; longest silent first (the oldest first among equals), as many
 * as there are connections waiting, and at least one.  The array comes
 * back in that order, each entry's why said; returns how many of the
 * first entries to cut.  No connection younger than busy is ever cut
 * (a worker relies on it: shed.c).  Pure: tests/unit/policy-t.c.
 */
size_t
policy_shed(struct policy_shed_conn *c, size_t n, int busy, int min_rate,
    int waiting)
{
	int64_t busy_ms = busy;
	size_t i, cut = 0, want;

	if (busy <= 0 || waiting <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (c[i].silent_ms > busy_ms && c[i].age_ms > busy_ms)
			c[i].why = SHED_SILENT;
		else if (policy_shed_slow(&c[i], busy_ms, min_rate))
			c[i].why = SHED_SLOW;
		else
			c[i].why = SHED_KEEP;
		if (c[i].why != SHED_KEEP)
			cut++;
	}
	if (n > 1)
		qsort(c, n, sizeof(*c), policy_shed_order);
	want = (size_t)waiting;
	return cut < want ? cut : want;
}
