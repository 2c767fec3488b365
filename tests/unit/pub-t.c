/*
 * pub-t.c - unit tests of src/pub.c, the master's published page: what
 * the master writes reads back, the counts of the live (their slots)
 * and of the dead (the page) add up, and a fold moves counts from one to
 * the other without a reader ever seeing a total go backwards (a child
 * reads in a loop while the parent folds); a reader gives up, bounded,
 * on a page the master never finishes writing; a worker cannot write
 * the page (a store faults, mprotect refuses) nor reach the master's
 * writable view; a page that grows keeps the old one written for the
 * workers that hold it.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pub.h"
#include "../tap/basic.h"

#define NSLOTS	64

static sigjmp_buf	fault_jmp;

static void
on_fault(int sig)
{
	(void)sig;
	siglongjmp(fault_jmp, 1);
}

/* faults - whether storing to (or, write 0, loading from) p faults. */
static int
faults(volatile char *p, int write)
{
	struct sigaction sa, old_segv, old_bus;
	volatile int faulted = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
	if (sigsetjmp(fault_jmp, 1) == 0) {
		if (write)
			*p = 1;
		else
			(void)*p;
	} else
		faulted = 1;
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGBUS, &old_bus, NULL);
	return faulted;
}

/* service - publish service i called name with n served by the dead. */
static void
service(struct pub *p, size_t i, const char *name, uint64_t n)
{
	uint64_t count[CTR_COUNT] = { 0 }, hist[SLOT_HIST_BUCKETS] = { 0 };
	struct pub_service_in in;

	memset(&in, 0, sizeof(in));
	count[CTR_SERVED] = n;
	hist[2] = n;
	in.name = name;
	in.count = count;
	in.hist = hist;
	in.hist_sum_ms = n * 7;
	in.respawns = 3;
	pub_set_service(p, i, &in);
}

static void
test_basics(struct pub *p, struct scoreboard *sb)
{
	struct pub_snap s;

	pub_begin(p);
	pub_set_master(p, 2, PUB_RELOADING, 1234, 99);
	pub_set_nsvc(p, 2);
	service(p, 0, "web", 10);
	service(p, 1, "agent", 0);
	pub_end(p);
	scoreboard_inuse(sb, NSLOTS);
	/* slot 5: a live worker of web with 4 served, busy */
	scoreboard_reset(sb, 5);
	sb->slots[5].count[CTR_SERVED] = 4;
	sb->slots[5].hist[2] = 4;
	sb->slots[5].state = SLOT_BUSY;
	/* slot 6: an old generation's, counted, shown as exiting */
	scoreboard_reset(sb, 6);
	sb->slots[6].count[CTR_SERVED] = 1;
	sb->slots[6].state = SLOT_IDLE;
	/* slot 7: nobody's on the page, whatever it says */
	scoreboard_reset(sb, 7);
	sb->slots[7].count[CTR_SERVED] = 1000;
	pub_begin(p);
	pub_set_owner(p, 5, 1);
	pub_set_owner(p, 6, 1 | PUB_OWNER_OLD);
	pub_set_owner(p, 8, 77);	/* a service not on the page */
	pub_end(p);

	if (pub_read_map(&p->cur, sb, &s) == -1)
		sysbail("pub_read_map");
	is_int(2, (long long)s.nsvc, "two services");
	is_string("web", s.svc[0].name, "by name");
	is_int(2, s.generation, "the generation");
	is_int(PUB_RELOADING, s.phase, "the phase");
	is_int(1234, s.master_start_ms, "the master's start");
	is_int(15, (long long)s.svc[0].count[CTR_SERVED],
	    "served: the dead's 10, and the live 4 and 1");
	is_int(14, (long long)s.svc[0].hist[2], "the histogram likewise");
	is_int(1, s.svc[0].state[SLOT_BUSY], "the live worker, by state");
	is_int(1, s.svc[0].exiting, "the old generation's, as exiting");
	is_int(0, s.svc[0].state[SLOT_IDLE], "... not as idle");
	is_int(3, (long long)s.svc[0].respawns, "respawns");
	pub_snap_free(&s);

	/* The worker in slot 5 dies: its counts fold in, in one write. */
	pub_begin(p);
	service(p, 0, "web", 14);
	pub_set_owner(p, 5, 0);
	pub_end(p);
	if (pub_read_map(&p->cur, sb, &s) == -1)
		sysbail("pub_read_map");
	is_int(15, (long long)s.svc[0].count[CTR_SERVED],
	    "after the fold: the same total");
	pub_snap_free(&s);
}

/*
 * test_never_backwards - a child reads in a loop while the parent
 * spawns into a slot, counts, and folds, again and again: the child
 * exits 1 if a total ever went backwards, 0 after enough readings.
 */
static void
test_never_backwards(struct pub *p, struct scoreboard *sb)
{
	struct pub_snap s;
	uint64_t last = 0, dead = 15, k;
	int status, bad = 0, reads = 0;
	pid_t pid, done = 0;

	pid = fork();
	if (pid == -1)
		sysbail("fork");
	if (pid == 0) {
		pub_child(p);
		for (reads = 0; reads < 200000; reads++) {
			/* Given up on a writer that never pauses (this loop
			 * does not, unlike the master): no reading, no harm. */
			if (pub_read_map(&p->cur, sb, &s) == -1) {
				if (errno != EAGAIN)
					_exit(2);
				continue;
			}
			if (s.svc[0].count[CTR_SERVED] < last)
				_exit(1);
			last = s.svc[0].count[CTR_SERVED];
			pub_snap_free(&s);
		}
		_exit(0);
	}
	for (k = 0; k < 50000000 && (done = waitpid(pid, &status, WNOHANG)) ==
	    0; k++) {
		/* A new worker in slot 9 counts a few, then dies. */
		pub_begin(p);
		scoreboard_reset(sb, 9);
		pub_set_owner(p, 9, 1);
		pub_end(p);
		sb->slots[9].count[CTR_SERVED] = 1;
		sb->slots[9].count[CTR_SERVED] = 2;
		pub_begin(p);
		dead += sb->slots[9].count[CTR_SERVED];
		service(p, 0, "web", dead - 1);	/* -1: slot 6's live one */
		pub_set_owner(p, 9, 0);
		pub_end(p);
	}
	if (done != pid && waitpid(pid, &status, 0) != pid)
		sysbail("waitpid");
	bad = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	ok(!bad, "a reader never sees a total go backwards across %llu "
	    "spawns and folds (child status 0x%x)", (unsigned long long)k,
	    status);
}

static void
test_stuck_writer(struct pub *p, struct scoreboard *sb)
{
	struct pub_snap s;
	int r;

	pub_begin(p);
	r = pub_read_map(&p->cur, sb, &s);
	ok(r == -1 && errno == EAGAIN, "a page never done: the reader gives "
	    "up, EAGAIN");
	pub_end(p);
	ok(pub_read_map(&p->cur, sb, &s) == 0, "done: it reads");
	pub_snap_free(&s);
	pub_begin(p);
	pub_begin(p);
	pub_end(p);
	ok(pub_read_map(&p->cur, sb, &s) == -1, "nested: the outer pair "
	    "counts");
	pub_end(p);
	ok(pub_read_map(&p->cur, sb, &s) == 0, "... and then it reads");
	pub_snap_free(&s);
}

/*
 * test_owner_alone - pub_set_owner() outside a write is a write of its
 * own: it opens none (depth stays 0, as the master forks a worker), and
 * the page reads, with the owner; inside a write, it leaves it open.
 */
static void
test_owner_alone(struct pub *p, struct scoreboard *sb)
{
	struct pub_snap s;
	int busy;

	if (pub_read_map(&p->cur, sb, &s) == -1)
		sysbail("pub_read_map");
	busy = s.svc[0].state[SLOT_BUSY];
	pub_snap_free(&s);
	scoreboard_reset(sb, 12);
	sb->slots[12].state = SLOT_BUSY;
	pub_set_owner(p, 12, 1);
	is_int(0, p->depth, "an owner set alone leaves no write open");
	ok(pub_read_map(&p->cur, sb, &s) == 0, "... the page reads");
	is_int(busy + 1, s.svc[0].state[SLOT_BUSY], "... with its worker");
	pub_snap_free(&s);
	pub_begin(p);
	pub_set_owner(p, 12, 0);
	ok(pub_read_map(&p->cur, sb, &s) == -1 && errno == EAGAIN,
	    "an owner set inside a write: the page waits for its end");
	pub_end(p);
	ok(pub_read_map(&p->cur, sb, &s) == 0, "... then reads");
	is_int(busy, s.svc[0].state[SLOT_BUSY], "... without that worker");
	pub_snap_free(&s);
}

/* test_readonly - in a forked worker: the page cannot be written. */
static void
test_readonly(struct pub *p)
{
	volatile char *rw = (volatile char *)p->cur.rw;
	int status, code;
	pid_t pid;

	ok(!faults((volatile char *)p->cur.rw, 1), "the master writes its "
	    "view");
	pid = fork();
	if (pid == -1)
		sysbail("fork");
	if (pid == 0) {
		pub_child(p);
		code = 0;
		if (!faults((volatile char *)(uintptr_t)p->cur.ro + 64, 1))
			code |= 1;
		if (mprotect((void *)(uintptr_t)p->cur.ro, p->cur.len,
		    PROT_READ | PROT_WRITE) == 0)
			code |= 2;
		if (!faults(rw, 0))
			code |= 4;
		if (faults((volatile char *)(uintptr_t)p->cur.ro, 0))
			code |= 8;
		_exit(code);
	}
	if (waitpid(pid, &status, 0) != pid)
		sysbail("waitpid");
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 255;
	ok(code != 255 && !(code & 1), "a worker's store to the page faults");
	ok(code != 255 && !(code & 2), "mprotect cannot make it writable");
	ok(code != 255 && !(code & 4), "the master's writable view is not "
	    "in the worker (MADV_DONTFORK)");
	ok(code != 255 && !(code & 8), "the worker reads the page");
}

static void
test_grow(struct pub *p, struct scoreboard *sb)
{
	const struct pub_map *old;
	struct pub_snap s;
	int status;
	pid_t pid;

	is_int(0, pub_grow(p, 2, 2), "grow: no need, no new page");
	is_int(0, (long long)p->nolder, "... none older");
	ok(pub_grow(p, 5, 3) == 0 && p->nolder == 1 && p->cur.cap >= 5,
	    "grow: a new page for 5 services");
	old = &p->older[0];
	/* The new layout: web first, agent fourth now, new fifth. */
	scoreboard_reset(sb, 11);
	sb->slots[11].count[CTR_SERVED] = 2;
	sb->slots[11].state = SLOT_IDLE;
	pub_begin(p);
	pub_set_nsvc(p, 5);
	service(p, 0, "web", 20);
	service(p, 3, "agent", 5);
	service(p, 4, "new", 1);
	pub_set_owner(p, 10, 5);
	pub_set_owner(p, 11, 4);
	pub_end(p);
	if (pub_read_map(&p->cur, sb, &s) == -1)
		sysbail("pub_read_map");
	ok(s.nsvc == 5 && strcmp(s.svc[4].name, "new") == 0 &&
	    s.svc[0].count[CTR_SERVED] == 21, "the new page has all five "
	    "(web: 20 of the dead, 1 of the old worker in slot 6)");
	pub_snap_free(&s);
	if (pub_read_map(old, sb, &s) == -1)
		sysbail("pub_read_map");
	ok(s.nsvc == 2 && s.svc[0].count[CTR_SERVED] == 21,
	    "the old page is still written");
	ok(s.nsvc == 2 && strcmp(s.svc[1].name, "agent") == 0 &&
	    s.svc[1].count[CTR_SERVED] == 7 && s.svc[1].state[SLOT_IDLE] == 1,
	    "... by name: agent, 4th now, is its 2nd still, with its totals "
	    "and its worker (5 + 2 served)");
	pub_snap_free(&s);
	if (pub_read_map(&p->cur, sb, &s) == -1)
		sysbail("pub_read_map");
	ok(s.svc[3].count[CTR_SERVED] == 7, "the new page: agent 4th, 7");
	pub_snap_free(&s);
	/* A worker forked now keeps only the current page. */
	pid = fork();
	if (pid == 0) {
		const struct pub_page *o = old->ro;

		pub_child(p);
		_exit(faults((volatile char *)(uintptr_t)o, 0) &&
		    p->nolder == 0 ? 0 : 1);
	}
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "a new worker unmaps the older page");
	pub_drop_older(p, 2);
	is_int(1, (long long)p->nolder, "generation 2 alive: the old page "
	    "stays");
	pub_drop_older(p, 3);
	is_int(0, (long long)p->nolder, "only generation 3 left: it goes");
}

int
main(void)
{
	struct scoreboard sb;
	struct pub p;

	plan_lazy();
	if (scoreboard_create(&sb, NSLOTS) == -1)
		sysbail("scoreboard_create");
	if (pub_create(&p, 2, NSLOTS) == -1)
		sysbail("pub_create");
	test_basics(&p, &sb);
	test_never_backwards(&p, &sb);
	test_stuck_writer(&p, &sb);
	test_owner_alone(&p, &sb);
	test_readonly(&p);
	test_grow(&p, &sb);
	pub_destroy(&p);
	scoreboard_destroy(&sb);
	is_int(PUB_PHASES, 4, "four phases");
	is_string("upgrading", pub_phase_name(PUB_UPGRADING), "phase names");
	return 0;
}
