/*
 * proc.c - the master's private table of its worker processes, and the one
 * place where the master sends a signal.
 *
 * Why a table of its own.  The scoreboard is shared memory that every
 * worker can write, so anything in it is a worker's claim, not a fact:
 * a pid or a process group read from there and signalled as root would
 * let code running in a worker (a module, a bug in a handler) kill any
 * process on the machine.  Apache's prefork had exactly that bug
 * (CVE-2007-3304).  So every fact the master acts on -- the pid, the
 * service, the generation, the timers, whether it is retiring -- lives
 * here, in memory no worker shares; entry i goes with scoreboard slot i.
 *
 * Signals go through proc_kill() (a live worker of this table, never a
 * pid <= 1) and proc_kill_group() (the process group of a worker's
 * descendants, checked in /proc first), and both through proc_send(), the
 * master's one kill(), which refuses 0, 1 and -1 whoever asks.
 * tests/unit/proc-t.c holds them to it, and checks that no other file of
 * the master sends a signal.
 *
 * A worker's descendants.  A worker may run programs in a process group
 * of their own (the exec handler does) and reports that group in its slot
 * so the master can stop it with a hung worker.  The report is only a
 * hint: the master signals the group only while /proc shows that the
 * group's leader is the worker's own child, or an orphan of it that came
 * back to the master (which is a child subreaper for that reason), and
 * that it leads that group.  A process that is still our child, or our
 * worker's child, keeps its pid, so the group id cannot have been reused
 * by someone else between the check and the signal.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/mman.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

#ifndef MAP_ANONYMOUS
#define MAP_ANONYMOUS	MAP_ANON
#endif

/*
 * The table finds a worker by pid in constant time (spawn_reap() does so
 * for every death, proc_group_ok() for every group it checks): an open
 * addressing hash of pid to entry, with linear probing.  Free entries are
 * kept on a stack, so that a new worker takes the slot freed last (its
 * scoreboard page is warm) and the entries in use stay packed low, where
 * the scans of proc_next() stop (at n).
 */

/* proc_hash_size - a power of two at least twice capacity. */
static size_t
proc_hash_size(size_t capacity)
{
	size_t n = 16;

	while (n < capacity * 2)
		n *= 2;
	return n;
}

/* proc_hash_home - where pid's search starts. */
static size_t
proc_hash_home(const struct proctab *t, pid_t pid)
{
	/* Knuth's multiplicative hash: pids come in runs. */
	return ((uint32_t)pid * 2654435761u) & (t->hashsize - 1);
}

/* proc_lookup - the index of the entry with this pid, or -1. */
static ssize_t
proc_lookup(const struct proctab *t, pid_t pid)
{
	size_t h;
	uint32_t e;

	if (pid <= 0 || t->hash == NULL)
		return -1;
	for (h = proc_hash_home(t, pid); (e = t->hash[h]) != 0;
	    h = (h + 1) & (t->hashsize - 1))
		if (t->procs[e - 1].pid == pid)
			return (ssize_t)(e - 1);
	return -1;
}

/*
 * proc_unhash - take entry i (its pid) out of the hash, moving back the
 * entries after it that would no longer be found (no tombstones).
 */
static void
proc_unhash(struct proctab *t, size_t i)
{
	size_t h, j, home, mask = t->hashsize - 1;
	uint32_t e;

	for (h = proc_hash_home(t, t->procs[i].pid); t->hash[h] != i + 1;
	    h = (h + 1) & mask)
		if (t->hash[h] == 0)
			return;		/* not there */
	t->hash[h] = 0;
	for (j = (h + 1) & mask; (e = t->hash[j]) != 0; j = (j + 1) & mask) {
		home = proc_hash_home(t, t->procs[e - 1].pid);
		/* Stays if its home lies cyclically in (h, j]. */
		if (h <= j ? (home > h && home <= j) : (home > h || home <= j))
			continue;
		t->hash[h] = e;
		t->hash[j] = 0;
		h = j;
	}
}

/* proc_round - n rounded up to a multiple of 64 (a cache line). */
static size_t
proc_round(size_t n)
{
	return (n + 63) & ~(size_t)63;
}

/*
 * proc_private_map - len zeroed bytes of the master's own, which its
 * children do not inherit (MADV_DONTFORK, where there is one): a fork
 * copies nothing of them and shares none of their pages, so that writing
 * them after a fork copies no page either.  NULL with errno on failure.
 */
void *
proc_private_map(size_t len)
{
	void *m;

	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE |
	    MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
#ifdef MADV_DONTFORK
	(void)madvise(m, len, MADV_DONTFORK);
#endif
	return m;
}

/* proc_private_unmap - give back what proc_private_map() gave (NULL: none). */
void
proc_private_unmap(void *m, size_t len)
{
	if (m != NULL)
		munmap(m, len);
}

/*
 * proc_init - an empty table of capacity entries (pages untouched until
 * used).  Its tally, entries, free stack and hash are one private mapping
 * (proc_private_map()): workers never look at the table, and however many
 * it holds, a fork copies none of it.  0, or -1 with errno.
 */
int
proc_init(struct proctab *t, size_t capacity)
{
	size_t at_procs, at_free, at_hash;
	char *m;

	memset(t, 0, sizeof(*t));
	if (capacity == 0 || capacity > SIZE_MAX / sizeof(*t->procs) / 4) {
		errno = ENOMEM;
		return -1;
	}
	t->hashsize = proc_hash_size(capacity);
	t->capacity = capacity;
	at_procs = proc_round(sizeof(*t->tally));
	at_free = at_procs + proc_round(capacity * sizeof(*t->procs));
	at_hash = at_free + proc_round(capacity * sizeof(*t->free));
	t->maplen = at_hash + t->hashsize * sizeof(*t->hash);
	if ((m = proc_private_map(t->maplen)) == NULL) {
		memset(t, 0, sizeof(*t));
		return -1;
	}
	t->map = m;
	t->tally = (struct proc_tally *)(void *)m;
	t->procs = (struct proc *)(void *)(m + at_procs);
	t->free = (size_t *)(void *)(m + at_free);
	t->hash = (uint32_t *)(void *)(m + at_hash);
	t->self = getpid();
#if defined(HAVE_PRCTL) && defined(PR_SET_CHILD_SUBREAPER)
	/* Orphans of our workers' programs come back to us, not to init. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1);
#endif
	return 0;
}

void
proc_free(struct proctab *t)
{
	proc_private_unmap(t->map, t->maplen);
	memset(t, 0, sizeof(*t));
}

/*
 * proc_alloc - a free entry, zeroed but for its seq (the table's n-th
 * handed out); its index is the worker's slot.  NULL: full.
 */
struct proc *
proc_alloc(struct proctab *t)
{
	size_t i;

	if (t->tally->nfree > 0)
		i = t->free[--t->tally->nfree];
	else if (t->tally->n < t->capacity)
		i = t->tally->n++;
	else {
		errno = ENOSPC;
		return NULL;
	}
	memset(&t->procs[i], 0, sizeof(t->procs[i]));
	t->procs[i].reserved = 1;
	t->procs[i].seq = ++t->tally->seq;
	return &t->procs[i];
}

/* proc_set_pid - entry p is the worker forked as pid (> 0): findable and live. */
void
proc_set_pid(struct proctab *t, struct proc *p, pid_t pid)
{
	size_t h;

	p->pid = pid;
	for (h = proc_hash_home(t, pid); t->hash[h] != 0;
	    h = (h + 1) & (t->hashsize - 1))
		;
	t->hash[h] = (uint32_t)proc_index(t, p) + 1;
	t->tally->live++;
}

/* proc_release - the worker is reaped (or was never forked): free its entry. */
void
proc_release(struct proctab *t, struct proc *p)
{
	size_t i = proc_index(t, p);

	if (p->pid > 0 && proc_lookup(t, p->pid) == (ssize_t)i) {
		proc_unhash(t, i);
		t->tally->live--;
	}
	memset(p, 0, sizeof(*p));
	t->free[t->tally->nfree++] = i;
}

/* proc_index - the entry's index, which is also its scoreboard slot's. */
size_t
proc_index(const struct proctab *t, const struct proc *p)
{
	return (size_t)(p - t->procs);
}

/* proc_find - the live worker with this pid, or NULL. */
struct proc *
proc_find(struct proctab *t, pid_t pid)
{
	ssize_t i = proc_lookup(t, pid);

	return i < 0 ? NULL : &t->procs[i];
}

/*
 * proc_next - the next live worker (forked, not yet reaped) from entry *i
 * on, *i moved past it; NULL at the end.  For loops:
 * for (i = 0; (p = proc_next(t, &i)) != NULL;).
 */
struct proc *
proc_next(const struct proctab *t, size_t *i)
{
	for (; t->tally != NULL && *i < t->tally->n; (*i)++)
		if (t->procs[*i].pid > 0)
			return &t->procs[(*i)++];
	return NULL;
}

/* proc_used - how many entries, from the first, were ever in use. */
size_t
proc_used(const struct proctab *t)
{
	return t->tally != NULL ? t->tally->n : 0;
}

/* proc_seq - the seq of the entry handed out last (0: none yet). */
uint64_t
proc_seq(const struct proctab *t)
{
	return t->tally != NULL ? t->tally->seq : 0;
}

/* proc_live - how many workers are alive (forked, not yet reaped). */
int
proc_live(const struct proctab *t)
{
	return t->tally != NULL ? (int)t->tally->live : 0;
}

/*
 * proc_send - the master's one call of kill(): target is a process (> 1)
 * or a process group (< -1), never 0 (our own group), -1 (every process)
 * or 1 (init).  The callers below have checked whose it is.
 */
static int
proc_send(pid_t target, int signo)
{
	if (target >= -1 && target <= 1) {
		errno = EPERM;
		return -1;
	}
	return kill(target, signo);
}

/* proc_mine - whether p is an entry of table t. */
static int
proc_mine(const struct proctab *t, const struct proc *p)
{
	return p != NULL && p >= t->procs && p < t->procs + t->tally->n;
}

/*
 * proc_kill - signo to worker p, which must be a live entry of table t
 * with a pid above 1 that is not the master itself.  0, or -1 with errno
 * (EPERM when refused).
 */
int
proc_kill(const struct proctab *t, const struct proc *p, int signo)
{
	if (!proc_mine(t, p) || p->pid <= 1 || p->pid == t->self) {
		errno = EPERM;
		return -1;
	}
	return proc_send(p->pid, signo);
}

/*
 * proc_stat_parse - the parent and process group from the text of
 * /proc/PID/stat ("PID (COMM) STATE PPID PGRP ...").  COMM may hold
 * spaces and parentheses, so the fields are counted after the last ')'.
 * 0, or -1 when the text is not of that form.
 */
int
proc_stat_parse(const char *text, pid_t *ppid, pid_t *pgrp)
{
	const char *p;
	long a, b;
	char state;

	if ((p = strrchr(text, ')')) == NULL)
		return -1;
	if (sscanf(p + 1, " %c %ld %ld", &state, &a, &b) != 3 || a < 0 ||
	    b < 0)
		return -1;
	*ppid = (pid_t)a;
	*pgrp = (pid_t)b;
	return 0;
}

/*
 * proc_group_owner - who may be said to own process group pgid: the
 * parent of the group's leader, when /proc shows a process pgid that
 * leads its own group.  0 when there is no such leader; -1 without /proc.
 */
static pid_t
proc_group_owner(pid_t pgid)
{
	char path[64], text[512];
	ssize_t n;
	pid_t ppid, pgrp;
	int fd;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pgid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return errno == ENOENT ? 0 : -1;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	text[n] = '\0';
	if (proc_stat_parse(text, &ppid, &pgrp) == -1 || pgrp != pgid)
		return 0;
	return ppid;
}

/*
 * proc_group_ok - whether pgid may be signalled as the group of worker
 * p's descendants: a group id above 1, not a process we forked (a worker,
 * the new master of an upgrade), and its leader a child of p (p not yet
 * reaped) or an orphan that came back to us (not yet reaped).
 * Either way a process we or our worker have not reaped holds the id, so
 * it cannot have been handed to anyone else.
 */
int
proc_group_ok(const struct proctab *t, const struct proc *p, pid_t pgid)
{
	pid_t owner;

	if (p == NULL || p->pid <= 1 || pgid <= 1 || pgid == t->self ||
	    pgid == t->successor)
		return 0;
	/* A process we forked ourselves is no worker's descendant. */
	if (proc_lookup(t, pgid) >= 0)
		return 0;
	owner = proc_group_owner(pgid);
	return owner > 0 && (owner == p->pid || owner == t->self);
}

/*
 * proc_kill_group - signo to the process group of worker p's descendants,
 * once proc_group_ok() says it is theirs.  0, or -1 with errno (EPERM when
 * refused).
 */
int
proc_kill_group(const struct proctab *t, const struct proc *p, pid_t pgid,
    int signo)
{
	if (!proc_mine(t, p) || !proc_group_ok(t, p, pgid)) {
		errno = EPERM;
		return -1;
	}
	return proc_send(-pgid, signo);
}
