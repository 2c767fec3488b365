/*
 * spawn.c - spawning, signalling and reaping workers: the fork into a
 * fresh slot, the only signals the master sends them (through proc.c),
 * and the account of each death; the exec'd program's process group of a
 * dead worker goes with it (a worker's descendants, proc.c).
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "master.h"
#include "handler.h"

/* No free slot was found, and it was said. */
static int	spawn_full;

static void	spawn_close_others(const struct service *mine);
static void	spawn_ended(struct proc *p, int status);
static void	spawn_orphan_ended(pid_t pid);

/* spawn_exit_text - "exited with status 1", "killed by signal 9 (SIGKILL)". */
char *
spawn_exit_text(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exited with status %d",
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)%s",
		    WTERMSIG(status), sig_name(WTERMSIG(status)),
#ifdef WCOREDUMP
		    WCOREDUMP(status) ? ", core dumped" :
#endif
		    "");
	else
		snprintf(buf, len, "ended with wait status %#x", status);
	return buf;
}

/* spawn_client_text - " while serving tcp 127.0.0.1:7 <- 127.0.0.1:5000 for 12 ms" or "". */
char *
spawn_client_text(const struct slot_report *r, int64_t now, char *buf,
    size_t len)
{
	char local[ADDR_TEXT_MAX], remote[ADDR_TEXT_MAX];

	buf[0] = '\0';
	if (r->state != SLOT_BUSY)
		return buf;
	scoreboard_client(r, local, remote, sizeof(local));
	snprintf(buf, len, " while serving %s %s <- %s for %lld ms",
	    addr_proto_name(r->proto), local, remote,
	    (long long)(now - r->busy_since));
	return buf;
}

/*
 * spawn_descendants - signo to the process group of worker p's
 * descendants: the one its slot reports (r, may be NULL) and the one
 * confirmed before, each only if proc_group_ok() confirms it now.  A
 * report that names someone else's group is logged and ignored.
 */
void
spawn_descendants(struct proc *p, const struct slot_report *r, int signo)
{
	pid_t g[2];
	int i;

	g[0] = r != NULL && r->bad == NULL ? r->group : 0;
	g[1] = p->group != g[0] ? p->group : 0;
	for (i = 0; i < 2; i++) {
		if (g[i] <= 0)
			continue;
		if (proc_kill_group(&master.pt, p, g[i], signo) == 0)
			p->group = g[i];
		else if (errno == EPERM && i == 0)
			log_error("service %s: worker %ld reports process group "
			    "%ld, which is not its descendants'; not signalled",
			    p->svc->conf->name, (long)p->pid, (long)g[i]);
	}
}

/*
 * spawn_close_others - in a new worker: let go of what is not its own.
 * The other services' listeners go a run of consecutive descriptors at
 * a time (fd_close_range()): they were opened in the order of the
 * configuration, so with hundreds of services a worker makes a couple of
 * calls, not hundreds.
 */
PF_START static void
spawn_close_others(const struct service *mine)
{
	int fd, lo = -1, hi = -1;
	size_t i, j;

	for (i = 0; i < master.nsvc; i++) {
		if (&master.svc[i] == mine)
			continue;
		for (j = 0; j < master.svc[i].nlisteners; j++) {
			if ((fd = master.svc[i].listeners[j].fd) == -1)
				continue;
			if (lo != -1 && fd == hi + 1) {
				hi = fd;
				continue;
			}
			if (lo != -1)
				fd_close_range(lo, hi);
			lo = hi = fd;
		}
	}
	if (lo != -1)
		fd_close_range(lo, hi);
	daemon_child_close();
	control_child_close();
	close(master.alive[1]);
}

/*
 * spawn_worker - fork one worker of service s into a fresh slot.  Returns
 * 0, or -1 (logged) when no slot is free or fork fails.
 */
PF_START int
spawn_worker(struct service *s)
{
	struct worker_ctx ctx;
	struct proc *p;
	struct slot *slot;
	pid_t pid;

	if ((p = proc_alloc(&master.pt)) == NULL) {
		/* Said once until a slot frees; retried after a backoff. */
		if (!spawn_full)
			log_error("service %s: no free scoreboard slot for a "
			    "worker (all %zu in use, sized at start from the "
			    "configuration); retrying once some are free",
			    s->conf->name, master.pt.capacity);
		spawn_full = 1;
		throttle_failed(&s->throttle, now_ms());
		return -1;
	}
	if (spawn_full)		/* written only when it changes: see master.c */
		spawn_full = 0;
	slot = scoreboard_reset(&master.sb, proc_index(&master.pt, p));
	scoreboard_inuse(&master.sb, proc_used(&master.pt));
	p->svc = s;
	s->tally->procs++;
	p->generation = master.generation;
	clock_gettime(CLOCK_REALTIME, &p->started);
	/* Its slot (zeroed) counts for its service from now on. */
	master_publish_owner(p, 0);

	sig_block(1);
	pid = fork();
	if (pid == 0) {
		sig_reset_worker();
		master_priority_child();
		spawn_close_others(s);
		log_set_role(s->conf->name);
		ctx.conf = master.conf;
		ctx.service = s->conf;
		ctx.listeners = s->listeners;
		ctx.nlisteners = s->nlisteners;
		ctx.slot = slot;
		ctx.master_fd = master.alive[0];
		ctx.master_pid = master.pid;
		ctx.services = master.svc;
		ctx.nservices = master.nsvc;
		ctx.sb = &master.sb;
		ctx.srctab = &s->srctab;
		pub_child(&master.pub);
		worker_main(&ctx);
		/* NOTREACHED */
	}
	sig_block(0);
	if (pid == -1) {
		log_error("service %s: fork: %s", s->conf->name,
		    strerror(errno));
		s->tally->procs--;
		master_publish_owner(p, 1);
		proc_release(&master.pt, p);
		/* Out of processes or memory: back off as for a crash. */
		throttle_failed(&s->throttle, now_ms());
		return -1;
	}
	proc_set_pid(&master.pt, p, pid);
	s->tally->workers++;
	log_info("service %s: worker %ld started", s->conf->name, (long)pid);
	return 0;
}

/*
 * spawn_ended - worker p is dead (status): say how it ended (service,
 * pid, exit status or signal, connections served, the client it was
 * serving), fold its counters into its service and free its entry.  A
 * worker that dies before it was ready throttles its service.
 */
static void
spawn_ended(struct proc *p, int status)
{
	struct service *s = p->svc, *t;
	struct policy_death_facts f;
	struct slot_report r;
	char how[96], client[2 * ADDR_TEXT_MAX + 64];
	int64_t now = now_ms();
	enum policy_death d;
	pid_t pid = p->pid;
	int i;

	master_report(p, now, &r);
	spawn_exit_text(status, how, sizeof(how));
	spawn_client_text(&r, now, client, sizeof(client));
	f.expected = p->retiring || master.state != MASTER_RUNNING ||
	    p->generation != master.generation;
	f.condemned = p->condemned;
	f.hung = p->hung;
	f.ready = p->ready || r.state != SLOT_STARTING;
	f.exited_zero = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	f.max_requests = s->conf->max_requests;
	f.served = r.count[CTR_SERVED];
	d = policy_death(&f);
	if (policy_death_throttles(d))
		throttle_failed(&s->throttle, now);
	if (d == DEATH_CRASH || d == DEATH_CONDEMNED)
		s->respawns++;

	switch (d) {
	case DEATH_EXPECTED:
		log_info("service %s: worker %ld %s after %llu "
		    "connections%s", s->conf->name, (long)pid, how,
		    (unsigned long long)r.count[CTR_SERVED], client);
		break;
	case DEATH_CONDEMNED_EARLY:
		log_error("service %s: worker %ld %s (its scoreboard slot was "
		    "inconsistent) before it was ready; respawning in %d s",
		    s->conf->name, (long)pid, how, s->throttle.delay_ms / 1000);
		break;
	case DEATH_CONDEMNED:
		log_warning("service %s: worker %ld %s (its scoreboard slot "
		    "was inconsistent); replacing it", s->conf->name,
		    (long)pid, how);
		break;
	case DEATH_RECYCLED:
		log_info("service %s: worker %ld recycled after %llu "
		    "connections (max_requests %d); replacing it",
		    s->conf->name, (long)pid, (unsigned long long)r.count[CTR_SERVED],
		    s->conf->max_requests);
		break;
	case DEATH_HUNG:
		log_warning("service %s: worker %ld %s after %llu "
		    "connections%s, killed as hung; replacing it",
		    s->conf->name, (long)pid, how,
		    (unsigned long long)r.count[CTR_SERVED], client);
		break;
	case DEATH_EARLY:
		log_error("service %s: worker %ld %s before it was "
		    "ready; respawning in %d s", s->conf->name,
		    (long)pid, how, s->throttle.delay_ms / 1000);
		break;
	case DEATH_CRASH:
		log_warning("service %s: worker %ld %s after %llu "
		    "connections%s; replacing it", s->conf->name,
		    (long)pid, how, (unsigned long long)r.count[CTR_SERVED], client);
		break;
	}
	if (!p->retiring)
		s->tally->workers--;
	/*
	 * Its counts join the totals of its service (after a reload, of the
	 * current service of that name), and leave its slot, in one write
	 * of the published page: a scrape sees them in one place or the
	 * other, never both or neither (pub.c).
	 */
	t = master_fold_target(s, p->generation);
	pub_begin(&master.pub);
	for (i = 0; i < CTR_COUNT; i++)
		t->dead[i] = scoreboard_add(t->dead[i], r.count[i]);
	for (i = 0; i < SLOT_HIST_BUCKETS; i++)
		t->dead_hist[i] = scoreboard_add(t->dead_hist[i], r.hist[i]);
	t->dead_hist_sum_ms = scoreboard_add(t->dead_hist_sum_ms,
	    r.hist_sum_ms);
	master_publish_owner(p, 1);
	master_publish_service(t);
	pub_end(&master.pub);
	/* The client it held counts no more against max_per_source. */
	scoreboard_unsource(&master.sb, proc_index(&master.pt, p));
	s->tally->procs--;
	proc_release(&master.pt, p);
}

/*
 * spawn_orphan_ended - a child we did not fork is dying: an orphan of a
 * worker's program, come back to us (proc.c).  If it led the process
 * group of a worker's descendants, the rest of that group goes with it.
 */
static void
spawn_orphan_ended(pid_t pid)
{
	struct slot_report r;
	struct proc *p;
	size_t i;

	for (i = 0; (p = proc_next(&master.pt, &i)) != NULL;) {
		if (p->group != pid && (master_report(p, now_ms(), &r) == -1 ||
		    r.group != pid))
			continue;
		if (proc_kill_group(&master.pt, p, pid, SIGKILL) == 0)
			return;
	}
}

/*
 * spawn_reap - collect the dead children, REAP_BATCH at most (a stop of
 * thousands must not hold up the loop): how many were, REAP_BATCH when
 * there may be more for the next turn.  Each is looked at while still a
 * zombie (WNOWAIT), so that its pid, and a process group it leads, cannot
 * be reused while the process group of a dead worker's descendants is
 * checked and killed: they must not outlive it.
 *
 * The wait that ends a turn, which finds no more dead, costs the kernel a
 * look at every child (P_ALL), 8,000 of them during a 4,096-worker reload:
 * the caller (master_signals) paces the turns that reaped something,
 * REAP_PACE_MS apart, so that deaths in a burst are reaped together
 * instead of one whole walk each.
 */
int
spawn_reap(void)
{
	struct slot_report r;
	struct proc *p;
	siginfo_t si;
	int status, n;
	pid_t pid;

	for (n = 0; n < REAP_BATCH; n++) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == -1 ||
		    si.si_pid == 0)
			return n;
		pid = si.si_pid;
		if ((p = proc_find(&master.pt, pid)) != NULL) {
			master_report(p, now_ms(), &r);
			spawn_descendants(p, &r, SIGKILL);
		} else if (pid != master.successor)
			spawn_orphan_ended(pid);
		if (waitpid(pid, &status, 0) != pid)
			continue;
		if (pid == master.successor)
			upgrade_failed(status);
		else if (p != NULL)
			spawn_ended(p, status);
		else
			log_debug("reaped child %ld, an orphan of a worker's "
			    "program", (long)pid);
	}
	return n;
}

/* spawn_retire - ask worker p to go (signo), and stop counting it. */
void
spawn_retire(struct proc *p, int signo)
{
	if (!p->retiring) {
		p->retiring = 1;
		p->svc->tally->workers--;
		master_publish_owner(p, 0);
	}
	if (signo == SIGQUIT)
		p->quit_at = now_ms();
	if (proc_kill(&master.pt, p, signo) == -1 && errno != ESRCH)
		log_warning("kill(%ld, %s): %s", (long)p->pid,
		    sig_name(signo), strerror(errno));
}

/*
 * spawn_signal_all - send signo to every live worker, retiring it: begun
 * now, carried on by spawn_sweep() a batch per turn.  A new one starts
 * over with its own signal (TERM after QUIT reaches every worker).
 */
void
spawn_signal_all(int signo)
{
	master.sweep_signo = signo;
	master.sweep_spare = master.stop_agents;
	master.sweep_next = 0;
	master.sweep_seq = proc_seq(&master.pt);
	(void)spawn_sweep();
}

/*
 * spawn_sweep - the next batch of spawn_signal_all(); 1 while more are
 * left.  Workers forked since it began (TTIN after WINCH) are not meant.
 */
int
spawn_sweep(void)
{
	struct proc *p;
	int n;

	if (master.sweep_signo == 0)
		return 0;
	for (n = 0; n < SWEEP_BATCH; n++) {
		if ((p = proc_next(&master.pt, &master.sweep_next)) == NULL) {
			master.sweep_signo = 0;
			return 0;
		}
		/* A graceful stop tells the agent's workers last (stop.c). */
		if (master.sweep_spare && p->svc->conf->handler ==
		    &handler_agent)
			continue;
		if (p->seq <= master.sweep_seq)
			spawn_retire(p, master.sweep_signo);
	}
	return 1;
}

/* spawn_forward - pass signo on to every live worker (log reopen). */
void
spawn_forward(int signo)
{
	struct proc *p;
	size_t i;

	for (i = 0; (p = proc_next(&master.pt, &i)) != NULL;)
		(void)proc_kill(&master.pt, p, signo);
}
