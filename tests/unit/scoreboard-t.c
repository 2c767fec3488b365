/*
 * scoreboard-t.c - unit tests of src/scoreboard.c: the shared slots a
 * worker writes and the master reads, and scoreboard_read(), which takes
 * a slot as what it is, input from a process that may lie.  A slot an
 * honest worker writes reads back as written; every value no honest
 * worker writes (a state or protocol out of range, an address longer
 * than its buffer, a negative or init's process group, a connection
 * started in the future) is refused with what is wrong, and the report
 * is made harmless.  Also: counters that stop at their largest value, a
 * reset slot, state names, the client's addresses as text, and a slot
 * written by a child seen by its parent.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "../tap/basic.h"

#define NOW	100000		/* the master's now_ms() */

/* honest - what a worker serving 127.0.0.1:40000 on port 7007 writes. */
static void
honest(struct slot *s)
{
	struct sockaddr_in *sin;

	memset(s, 0, sizeof(*s));
	s->state = SLOT_BUSY;
	s->count[CTR_SERVED] = 41;
	s->count[CTR_IO_TIMEOUTS] = 2;
	s->count[CTR_ACCESS_LOST] = 3;
	s->count[CTR_IGNORED] = 4;
	s->busy_since = NOW - 1500;
	s->proto = PROTO_TCP;
	sin = (struct sockaddr_in *)&s->local;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(7007);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->locallen = sizeof(*sin);
	sin = (struct sockaddr_in *)&s->remote;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(40000);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->remotelen = sizeof(*sin);
}

/* refused - slot s is read as inconsistent for reason why, made harmless. */
static void
refused(const struct slot *s, const char *why, const char *name)
{
	struct slot_report r;
	int rc;

	memset(&r, 0xa5, sizeof(r));
	rc = scoreboard_read(s, NOW, &r);
	ok(rc == -1 && r.bad != NULL && strcmp(r.bad, why) == 0,
	    "%s: refused (%s)", name, r.bad != NULL ? r.bad : "accepted");
	ok(r.state == SLOT_STARTING && r.proto == PROTO_TCP &&
	    r.locallen == 0 && r.remotelen == 0 && r.group == 0 &&
	    r.busy_since == NOW, "%s: the report is made harmless", name);
}

/* one_mapping - whether a and b lie in one line of /proc/self/maps. */
static int
one_mapping(const volatile void *a, const volatile void *b)
{
	unsigned long lo, hi, x = (unsigned long)a, y = (unsigned long)b;
	char line[512];
	FILE *f;
	int found = 0;

	if ((f = fopen("/proc/self/maps", "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && x >= lo &&
		    x < hi)
			found = y >= lo && y < hi ? 1 : -1;
	fclose(f);
	return found == 1;
}

int
main(void)
{
	struct scoreboard sb;
	struct slot s, *sl;
	struct slot_report r;
	char local[ADDR_TEXT_MAX], remote[ADDR_TEXT_MAX];
	pid_t pid;
	int st;

	plan(39);

	/* An honest slot reads back as written. */
	honest(&s);
	is_int(0, scoreboard_read(&s, NOW, &r), "an honest busy slot: 0");
	ok(r.bad == NULL && r.state == SLOT_BUSY && r.count[CTR_SERVED] == 41 &&
	    r.count[CTR_IO_TIMEOUTS] == 2 && r.count[CTR_ACCESS_LOST] == 3 && r.count[CTR_IGNORED] == 4 &&
	    r.busy_since == NOW - 1500 && r.proto == PROTO_TCP,
	    "  every field as written");
	scoreboard_client(&r, local, remote, sizeof(local));
	is_string("127.0.0.1:7007", local, "  its local address as text");
	is_string("127.0.0.1:40000", remote, "  its client's address");
	s.busy_since = NOW + 1000;
	is_int(0, scoreboard_read(&s, NOW, &r),
	    "a connection up to 1 s in the future: a worker's clock ran on");
	s.state = SLOT_IDLE;
	s.busy_since = -5;
	is_int(0, scoreboard_read(&s, NOW, &r),
	    "an idle slot's connection start does not matter");

	/* What no honest worker writes. */
	honest(&s);
	s.state = 77;
	refused(&s, "state out of range", "state 77");
	s.state = SLOT_FREE;
	refused(&s, "state out of range", "state free");
	s.state = -1;
	refused(&s, "state out of range", "state -1");
	honest(&s);
	s.proto = 3;
	refused(&s, "protocol out of range", "protocol 3");
	honest(&s);
	s.locallen = sizeof(s.local) + 1;
	refused(&s, "address length out of range", "a local address too long");
	honest(&s);
	s.remotelen = (socklen_t)-1;
	refused(&s, "address length out of range", "a client address too long");
	honest(&s);
	s.group = -42;
	refused(&s, "process group out of range", "process group -42");
	s.group = 1;
	refused(&s, "process group out of range", "init's process group");
	honest(&s);
	s.busy_since = NOW + 1001;
	refused(&s, "connection start out of range",
	    "a connection started past the slack");
	s.busy_since = -1;
	refused(&s, "connection start out of range",
	    "a connection started before the clock");

	/* Counters stop at their largest value instead of wrapping. */
	ok(scoreboard_add(1, 2) == 3, "1 + 2 = 3");
	ok(scoreboard_add(UINT64_MAX - 1, 1) == UINT64_MAX,
	    "the largest value is reached");
	ok(scoreboard_add(UINT64_MAX, UINT64_MAX) == UINT64_MAX,
	    "and never passed");

	/* Names, with a "?" for what has none. */
	is_string("busy", scoreboard_state_name(SLOT_BUSY), "busy is busy");
	is_string("paused", scoreboard_state_name(SLOT_PAUSED),
	    "paused is paused");
	is_string("?", scoreboard_state_name(SLOT_STATES), "past the last: ?");
	is_string("?", scoreboard_state_name(-1), "negative: ?");

	/* Shared: what a child writes, its parent reads. */
	if (scoreboard_create(&sb, 8) == -1)
		sysbail("scoreboard_create");
	sl = scoreboard_reset(&sb, 3);
	ok(sl == &sb.slots[3] && sl->state == SLOT_STARTING && sl->count[CTR_SERVED] == 0,
	    "a reset slot is starting, its counts zero");
	if ((pid = fork()) == -1)
		sysbail("fork");
	if (pid == 0) {
		sb.slots[3].count[CTR_SERVED] = 7;
		sb.slots[3].state = SLOT_IDLE;
		_exit(0);
	}
	if (waitpid(pid, &st, 0) != pid)
		sysbail("waitpid");
	ok(scoreboard_read(&sb.slots[3], NOW, &r) == 0 &&
	    r.state == SLOT_IDLE && r.count[CTR_SERVED] == 7,
	    "the parent reads what the child wrote");
	/* The count of slots in use: past the slots, in the same mapping
	 * (one mapping for every fork and exit to copy and tear down). */
	ok((const char *)sb.inuse >= (const char *)(sb.slots + sb.capacity),
	    "the count in use lies past the last slot");
	ok(one_mapping(sb.slots, sb.inuse), "slots and count: one mapping");
	scoreboard_inuse(&sb, 5);
	if ((pid = fork()) == -1)
		sysbail("fork");
	if (pid == 0)
		_exit(*sb.inuse == 5 ? 0 : 1);
	ok(waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "a child reads the count in use");
	scoreboard_destroy(&sb);
	ok(sb.slots == NULL && sb.capacity == 0, "destroyed: nothing left");
	return 0;
}
