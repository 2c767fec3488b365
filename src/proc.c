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

/* proc_init - an empty table of capacity entries (calloc'd, pages untouched). */
int
proc_init(struct proctab *t, size_t capacity)
{
	if ((t->procs = calloc(capacity, sizeof(*t->procs))) == NULL)
		return -1;
	t->n = 0;
	t->capacity = capacity;
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
	free(t->procs);
	t->procs = NULL;
	t->n = t->capacity = 0;
}

/* proc_alloc - a free entry, zeroed; its index is the worker's slot.  NULL: full. */
struct proc *
proc_alloc(struct proctab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->procs[i].pid == 0 && !t->procs[i].reserved)
			break;
	if (i == t->n) {
		if (t->n == t->capacity) {
			errno = ENOSPC;
			return NULL;
		}
		t->n++;
	}
	memset(&t->procs[i], 0, sizeof(t->procs[i]));
	t->procs[i].reserved = 1;
	return &t->procs[i];
}

/* proc_release - the worker is reaped (or was never forked): free its entry. */
void
proc_release(struct proc *p)
{
	memset(p, 0, sizeof(*p));
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
	size_t i;

	if (pid <= 0)
		return NULL;
	for (i = 0; i < t->n; i++)
		if (t->procs[i].pid == pid)
			return &t->procs[i];
	return NULL;
}

/*
 * proc_next - the next live worker (forked, not yet reaped) from entry *i
 * on, *i moved past it; NULL at the end.  For loops:
 * for (i = 0; (p = proc_next(t, &i)) != NULL;).
 */
struct proc *
proc_next(const struct proctab *t, size_t *i)
{
	for (; *i < t->n; (*i)++)
		if (t->procs[*i].pid > 0)
			return &t->procs[(*i)++];
	return NULL;
}

/* proc_live - how many workers are alive. */
int
proc_live(const struct proctab *t)
{
	size_t i = 0;
	int n = 0;

	while (proc_next(t, &i) != NULL)
		n++;
	return n;
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
	return p != NULL && p >= t->procs && p < t->procs + t->n;
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

	size_t i;

	if (p == NULL || p->pid <= 1 || pgid <= 1 || pgid == t->self ||
	    pgid == t->successor)
		return 0;
	/* A process we forked ourselves is no worker's descendant. */
	for (i = 0; i < t->n; i++)
		if (t->procs[i].pid == pgid)
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
