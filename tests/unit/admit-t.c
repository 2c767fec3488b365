/*
 * admit-t.c - unit tests for the limits in src/admit.c: what a source is
 * for them (an IPv6 /64 by default, an IPv4-mapped client its IPv4
 * address), how people read one, and max_per_source's count over a slot
 * array: only published entries of the same service and source count,
 * the limit's own entry included; a refusal takes the entry back; and
 * "publish, then count" holds under a race: processes hammering one
 * source with limit N never hold N + 1 at once.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "conn.h"
#include "../tap/basic.h"

#define NSLOTS	16

/* source - text ("10.1.2.3", "fd00::1") as a source, IPv6 cut to prefix6. */
static struct admit_source
source(const char *text, int prefix6)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct admit_source a;
	socklen_t len;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		len = sizeof(*sin6);
	} else
		bail("bad address %s", text);
	admit_source((struct sockaddr *)&ss, len, prefix6, 0, &a);
	return a;
}

static int
same(const struct admit_source *a, const struct admit_source *b)
{
	return a->family == b->family && memcmp(a->b, b->b, 16) == 0;
}

static void
test_source(void)
{
	struct admit_source a, b;
	char text[80];

	a = source("fd00:1::1", 64);
	b = source("fd00:1::ffff:2", 64);
	ok(same(&a, &b), "two addresses of one /64: one source");
	b = source("fd00:1:0:1::1", 64);
	ok(!same(&a, &b), "the next /64: another source");
	a = source("fd00:1::1", 128);
	b = source("fd00:1::2", 128);
	ok(!same(&a, &b), "source_prefix6 128: each address its own source");
	a = source("2001:db8:aa:bb01::1", 48);
	b = source("2001:db8:aa:ff00::9", 48);
	ok(same(&a, &b), "source_prefix6 48: a /48 is one source");
	a = source("::ffff:127.0.0.5", 64);
	b = source("127.0.0.5", 64);
	ok(same(&a, &b), "an IPv4-mapped client is its IPv4 address");

	is_string("127.0.0.5", admit_source_format(&b, 64, text,
	    sizeof(text)), "formatted: 127.0.0.5");
	a = source("fd00:1::1", 64);
	is_string("fd00:1::/64", admit_source_format(&a, 64, text,
	    sizeof(text)), "formatted: fd00:1::/64");
	a = source("fd00:1::1", 128);
	is_string("fd00:1::1", admit_source_format(&a, 128, text,
	    sizeof(text)), "formatted with prefix 128: fd00:1::1");
	memset(&a, 0, sizeof(a));
	a.family = AF_UNIX;
	*(uid_t *)(void *)a.b = 1000;
	is_string("uid 1000", admit_source_format(&a, 64, text, sizeof(text)),
	    "formatted: uid 1000");
}

static void
test_count(void)
{
	static struct slot slots[NSLOTS];
	struct admit_source s5 = source("127.0.0.5", 64);
	struct admit_source s6 = source("127.0.0.6", 64);
	uint64_t echo = admit_service_key("echo");
	uint64_t other = admit_service_key("echo2");

	ok(echo != other && echo == admit_service_key("echo"),
	    "service keys: one per name, the same each time");
	memset(slots, 0, sizeof(slots));
	is_int(0, (long long)admit_count(slots, NSLOTS, echo, &s5),
	    "an empty scoreboard: 0 held");
	ok(admit_hold(slots, NSLOTS, &slots[0], echo, &s5, 2),
	    "slot 0 takes 127.0.0.5 (limit 2)");
	ok(admit_hold(slots, NSLOTS, &slots[3], echo, &s5, 2),
	    "slot 3 takes 127.0.0.5: 2 of 2");
	ok(!admit_hold(slots, NSLOTS, &slots[7], echo, &s5, 2),
	    "slot 7: a third, refused");
	ok(slots[7].src_family == 0, "  and its entry taken back");
	is_int(2, (long long)admit_count(slots, NSLOTS, echo, &s5),
	    "2 held");
	ok(admit_hold(slots, NSLOTS, &slots[7], echo, &s6, 2),
	    "another source is not counted with it");
	ok(admit_hold(slots, NSLOTS, &slots[9], other, &s5, 2),
	    "nor another service's clients");
	is_int(1, (long long)admit_count(slots, 3, echo, &s5),
	    "only the slots in use are scanned (3: one held)");
	slots[3].src_family = 0;
	ok(admit_hold(slots, NSLOTS, &slots[11], echo, &s5, 2),
	    "a connection over (entry cleared): room for one more");
	ok(admit_hold(slots, NSLOTS, &slots[12], echo, &s5, 3),
	    "a higher limit: 3 of 3");
	ok(!admit_hold(slots, NSLOTS, &slots[13], echo, &s5, 0) &&
	    slots[13].src_family == 0, "limit 0 (the caller's off) would "
	    "refuse all: the caller never asks");
}

/*
 * The race: P processes, each with its own slot, take one source again
 * and again with limit N, and each admitted one checks how many are
 * admitted at that moment (a shared counter) before it lets go.
 */
#define RACERS	6
#define LIMIT	2
#define ROUNDS	20000

struct race {
	struct slot	 slots[RACERS];
	int		 ready;		/* racers at the start line */
	int		 held;		/* admitted right now */
	int		 most;		/* the most ever seen */
	int		 admitted;
	int		 refused;
};

static void
test_race(void)
{
	struct admit_source s = source("127.0.0.9", 64);
	uint64_t key = admit_service_key("race");
	struct race *r;
	pid_t pid[RACERS];
	int i, k, now, st, most;

	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		sysbail("mmap");
	memset(r, 0, sizeof(*r));
	for (k = 0; k < RACERS; k++) {
		if ((pid[k] = fork()) == -1)
			sysbail("fork");
		if (pid[k] != 0)
			continue;
		/* All at once, or they would not race. */
		__atomic_add_fetch(&r->ready, 1, __ATOMIC_SEQ_CST);
		while (__atomic_load_n(&r->ready, __ATOMIC_SEQ_CST) < RACERS)
			sched_yield();
		for (i = 0; i < ROUNDS; i++) {
			if (!admit_hold(r->slots, RACERS, &r->slots[k], key,
			    &s, LIMIT)) {
				__atomic_add_fetch(&r->refused, 1,
				    __ATOMIC_SEQ_CST);
				continue;
			}
			now = __atomic_add_fetch(&r->held, 1, __ATOMIC_SEQ_CST);
			most = __atomic_load_n(&r->most, __ATOMIC_SEQ_CST);
			while (now > most && !__atomic_compare_exchange_n(
			    &r->most, &most, now, 0, __ATOMIC_SEQ_CST,
			    __ATOMIC_SEQ_CST))
				;
			__atomic_add_fetch(&r->admitted, 1, __ATOMIC_SEQ_CST);
			/* Held a while, as a connection is. */
			if (i % 16 == 0)
				sched_yield();
			__atomic_sub_fetch(&r->held, 1, __ATOMIC_SEQ_CST);
			__atomic_store_n(&r->slots[k].src_family, 0,
			    __ATOMIC_SEQ_CST);
		}
		_exit(0);
	}
	for (k = 0; k < RACERS; k++)
		if (waitpid(pid[k], &st, 0) != pid[k])
			sysbail("waitpid");
	ok(r->most <= LIMIT, "%d processes, %d rounds each, limit %d: never "
	    "more than %d held at once (most: %d)", RACERS, ROUNDS, LIMIT,
	    LIMIT, r->most);
	ok(r->admitted > 0 && r->refused > 0, "  connections were admitted "
	    "(%d) and refused (%d): they raced", r->admitted, r->refused);
	munmap(r, sizeof(*r));
}

int
main(void)
{
	plan(9 + 13 + 2);
	test_source();
	test_count();
	test_race();
	return 0;
}
