/*
 * policy-t.c - unit tests of src/policy.c, the master's decisions as pure
 * functions: how a worker's death is taken, when the old generation
 * retires after a reload, the trim order, exec readiness, and which
 * clients a full pool cuts (shedding).
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

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
		int have, want, ready, total;
		int64_t now;
		int retire;
	} rows[] = {
		/* deadline is 5000 in every row; total: the old pool */
		{ "service gone from the configuration", 0, 0, 0, 8, 0, 8 },
		{ "service wants no workers", 1, 0, 0, 8, 0, 8 },
		{ "all new workers ready", 1, 4, 4, 4, 0, 4 },
		{ "more ready than wanted (TTIN meanwhile)", 1, 4, 6, 4, 0,
		    4 },
		{ "none ready: none goes", 1, 4, 0, 4, 4999, 0 },
		{ "none ready, past the deadline: keep serving", 1, 4, 0, 4,
		    9000, 0 },
		{ "3 of 4 ready, before the deadline: 3 of 4 go", 1, 4, 3, 4,
		    4999, 3 },
		{ "1 of 4 ready, at the deadline: all go", 1, 4, 1, 4, 5000,
		    4 },
		{ "old pool twice the new: two for each ready", 1, 4, 1, 8,
		    0, 2 },
		{ "old pool half the new: rounded down", 1, 4, 1, 2, 0, 0 },
		{ "old pool half the new, 2 ready: one goes", 1, 4, 2, 2, 0,
		    1 },
		{ "4096 of 4096, 1000 ready", 1, 4096, 1000, 4096, 0, 1000 },
		{ "no product overflow: 65536 x 65535", 1, 65536, 65535,
		    65536, 0, 65535 },
		{ "an old pool of none", 1, 4, 2, 0, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		is_int(rows[i].retire, policy_retire_old(rows[i].have,
		    rows[i].want, rows[i].ready, rows[i].total, rows[i].now,
		    5000), "retire old: %s", rows[i].what);
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

/* A connection for policy_shed: silent and age in ms, bytes moved. */
#define C(silent, age, moved)	{ (silent), (age), (moved), 0, -1 }

static void
test_shed(void)
{
	static const struct {
		const char *what;
		int busy_s, min_rate, waiting;
		size_t n;
		struct policy_shed_conn c[5];
		const char *want;	/* ids cut, in order, each with why */
	} rows[] = {
		{ "off: io_timeout_busy 0 cuts no one", 0, 0, 4, 2,
		    { C(60000, 60000, 1), C(9000, 9000, 0) }, "" },
		{ "no one waiting: no one cut, however silent", 5, 0, 0, 2,
		    { C(60000, 60000, 1), C(9000, 9000, 0) }, "" },
		{ "one waiting: the longest silent, only", 5, 0, 1, 4,
		    { C(6000, 7000, 1), C(3000, 9000, 1), C(8000, 8000, 0),
		    C(1000, 20000, 90) }, "2s" },
		{ "three waiting, two silent long enough: both, longest "
		    "first", 5, 0, 3, 4,
		    { C(6000, 7000, 1), C(3000, 9000, 1), C(8000, 8000, 0),
		    C(1000, 20000, 90) }, "2s 0s" },
		{ "silent exactly io_timeout_busy: kept (longer is cut)", 5, 0,
		    1, 2, { C(5000, 9000, 1), C(5001, 5001, 0) }, "1s" },
		{ "never one younger than io_timeout_busy (a slot read "
		    "half-written)", 5, 0, 2, 2,
		    { C(6000, 4000, 0), C(7000, 7000, 0) }, "1s" },
		{ "a client that keeps talking: kept, whatever its age", 5, 0,
		    3, 2, { C(400, 600000, 1200), C(500, 9000, 2) }, "" },
		{ "min_rate: a slow drip past its first seconds is cut", 5, 100,
		    1, 2, { C(2000, 9000, 3), C(100, 9000, 400) }, "0r" },
		{ "min_rate: exactly min_rate after io_timeout_busy is kept",
		    5, 100, 1, 1, { C(2000, 9000, 400) }, "" },
		{ "min_rate: within io_timeout_busy, kept", 5, 100, 1, 1,
		    { C(2000, 5000, 0) }, "" },
		{ "min_rate without waiting: kept", 5, 100, 0, 1,
		    { C(2000, 9000, 0) }, "" },
		{ "silent before slow: longest silent first", 5, 100, 2, 3,
		    { C(2900, 30000, 10), C(7000, 8000, 100000),
		    C(2000, 9000, 3) }, "1s 0r" },
		{ "equal silence: the oldest first, then the table's order",
		    5, 0, 3, 3, { C(6000, 7000, 1), C(6000, 9000, 1),
		    C(6000, 7000, 0) }, "1s 0s 2s" },
		{ "a connection of years at a high min_rate: no overflow", 5,
		    1000000000, 2, 2, { C(100, INT64_MAX / 2, UINT64_MAX - 1),
		    C(100, INT64_MAX / 2, 0) }, "1r" },
		{ "nothing to weigh", 5, 100, 3, 0, { C(0, 0, 0) }, "" },
	};
	struct policy_shed_conn c[5];
	char got[64];
	size_t i, j, n, cut;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		n = rows[i].n;
		memcpy(c, rows[i].c, sizeof(c));
		for (j = 0; j < n; j++)
			c[j].id = j;
		cut = policy_shed(c, n, rows[i].busy_s * 1000, rows[i].min_rate,
		    rows[i].waiting);
		got[0] = '\0';
		for (j = 0; j < cut && j < n; j++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got),
			    "%s%zu%s", j > 0 ? " " : "", c[j].id,
			    c[j].why == SHED_SILENT ? "s" :
			    c[j].why == SHED_SLOW ? "r" : "?");
		is_string(rows[i].want, got, "shed: %s", rows[i].what);
	}
}

int
main(void)
{
	plan_lazy();
	test_death();
	test_retire_old();
	test_trim_and_exec();
	test_shed();
	return 0;
}
