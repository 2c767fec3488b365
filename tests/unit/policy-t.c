/*
 * policy-t.c - unit tests of src/policy.c, the master's decisions as pure
 * functions: how a worker's death is taken, when the old generation
 * retires after a reload, the trim order, exec readiness.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include "preforkd.h"
#include "../tap/basic.h"

static const char *const death_names[] = {
	"expected", "recycled", "hung", "crash", "early", "condemned",
	"condemned-early",
};

static void
test_death(void)
{
	/* expected condemned hung ready exited_zero max_requests served */
	static const struct {
		const char *what;
		struct policy_death_facts f;
		enum policy_death want;
		int throttles;
	} rows[] = {
		{ "retiring or stopping: expected, whatever else",
		    { 1, 1, 1, 0, 0, 0, 0 }, DEATH_EXPECTED, 0 },
		{ "inconsistent slot before ready: throttled",
		    { 0, 1, 0, 0, 0, 0, 0 }, DEATH_CONDEMNED_EARLY, 1 },
		{ "inconsistent slot once ready: replaced",
		    { 0, 1, 1, 1, 0, 0, 0 }, DEATH_CONDEMNED, 0 },
		{ "exit 0 at max_requests: recycled",
		    { 0, 0, 0, 1, 1, 100, 100 }, DEATH_RECYCLED, 0 },
		{ "exit 0 past max_requests (jitter): recycled",
		    { 0, 0, 0, 1, 1, 100, 109 }, DEATH_RECYCLED, 0 },
		{ "exit 0 short of max_requests: a crash",
		    { 0, 0, 0, 1, 1, 100, 99 }, DEATH_CRASH, 0 },
		{ "exit 0 without max_requests: a crash",
		    { 0, 0, 0, 1, 1, 0, 5 }, DEATH_CRASH, 0 },
		{ "exit 1 at max_requests: a crash",
		    { 0, 0, 0, 1, 0, 100, 100 }, DEATH_CRASH, 0 },
		{ "killed as hung", { 0, 0, 1, 1, 0, 0, 3 }, DEATH_HUNG, 0 },
		{ "before ready: throttled", { 0, 0, 0, 0, 0, 0, 0 },
		    DEATH_EARLY, 1 },
		{ "before ready with status 0: throttled too",
		    { 0, 0, 0, 0, 1, 0, 0 }, DEATH_EARLY, 1 },
		{ "once ready: a crash, replaced", { 0, 0, 0, 1, 0, 0, 7 },
		    DEATH_CRASH, 0 },
	};
	enum policy_death d;
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		d = policy_death(&rows[i].f);
		ok(d == rows[i].want &&
		    policy_death_throttles(d) == rows[i].throttles,
		    "death: %s (%s%s)", rows[i].what, death_names[d],
		    policy_death_throttles(d) ? ", throttles" : "");
	}
}

static void
test_retire_old(void)
{
	static const struct {
		const char *what;
		int have, want, ready;
		int64_t now;
		int retire;
	} rows[] = {
		/* deadline is 5000 in every row */
		{ "service gone from the configuration", 0, 0, 0, 0, 1 },
		{ "service wants no workers", 1, 0, 0, 0, 1 },
		{ "all new workers ready", 1, 4, 4, 0, 1 },
		{ "some ready, before the deadline: wait", 1, 4, 3, 4999, 0 },
		{ "some ready, at the deadline: go", 1, 4, 1, 5000, 1 },
		{ "none ready, past the deadline: keep serving", 1, 4, 0,
		    9000, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		is_int(rows[i].retire, policy_retire_old(rows[i].have,
		    rows[i].want, rows[i].ready, rows[i].now, 5000),
		    "retire old: %s", rows[i].what);
}

static void
test_trim_and_exec(void)
{
	is_int(0, policy_trim_round(SLOT_IDLE), "trim: idle first");
	is_int(0, policy_trim_round(SLOT_STARTING), "trim: starting first");
	is_int(0, policy_trim_round(SLOT_PAUSED), "trim: paused first");
	is_int(1, policy_trim_round(SLOT_BUSY), "trim: busy last");

	ok(!policy_exec_ready(SLOT_STARTING, 0, 100000),
	    "exec: not exec'd yet: not ready");
	ok(!policy_exec_ready(SLOT_STARTING, 10000, 10000 + EXEC_READY_MS - 1),
	    "exec: younger than EXEC_READY_MS: not ready");
	ok(policy_exec_ready(SLOT_STARTING, 10000, 10000 + EXEC_READY_MS),
	    "exec: lived EXEC_READY_MS: ready");
	ok(!policy_exec_ready(SLOT_IDLE, 10000, 50000),
	    "exec: already idle: nothing to decide");
	ok(!policy_exec_ready(SLOT_STARTING, -5, 50000),
	    "exec: a negative exec time: not ready");
}

int
main(void)
{
	plan_lazy();
	test_death();
	test_retire_old();
	test_trim_and_exec();
	return 0;
}
