/*
 * supervise.c - the pools kept as the configuration says: filled at once
 * after a death (throttled while workers die at start-up), sized once a
 * second (dynamic pools), trimmed (TTOU), and hung workers killed; every
 * slot checked once a second as the untrusted report it is.
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

/* A hung worker gets TERM, then KILL this much later. */
#define HUNG_KILL_MS	1000

static void	supervise_size_pool(struct service *s, int64_t now);
static void	supervise_trim(void);

/*
 * supervise_fill - bring every pool up to the size it should have: at once
 * after a death, so a recycled or killed worker leaves no gap; a throttled
 * service waits for its window.  A bounded batch at a time (FILL_BATCH_MAX
 * forks or FILL_BATCH_MS, master.h, or after any fork for a control
 * client that asks something), so that a pool of thousands never
 * holds up the master's loop.  Returns 1 while forks are left for another
 * batch, 0 when every pool is full or waits for its window; *wait is the
 * ms until the next batch or the first window ends (for the poll
 * timeout), or -1.
 */
int
supervise_fill(int64_t now, int64_t *wait)
{
	struct service *s;
	int64_t left, until = now + FILL_BATCH_MS;
	int forks = 0;
	size_t i;

	*wait = -1;
	if (master.paused)
		return 0;
	for (i = 0; i < master.nsvc; i++) {
		s = &master.svc[i];
		while (s->tally->workers < s->want) {
			if (!throttle_allows(&s->throttle, now)) {
				left = s->throttle.until_ms - now;
				if (*wait == -1 || left < *wait)
					*wait = left;
				break;
			}
			/* The batch is over: the rest on later turns. */
			if (now < master.fill_next ||
			    forks == master.fill_batch || now >= until) {
				left = now < master.fill_next ?
				    master.fill_next - now : 0;
				if (*wait == -1 || left < *wait)
					*wait = left;
				return 1;
			}
			if (spawn_worker(s) == -1)
				continue;	/* throttled now */
			forks++;
			now = now_ms();
			if (master.fill_pause_ms > 0 &&
			    forks == master.fill_batch)
				master.fill_next = now + master.fill_pause_ms;
			/* A control client waits for one fork, not a batch. */
			if (control_asked()) {
				*wait = 0;
				return 1;
			}
		}
	}
	return 0;
}

/* supervise_size_pool - once a second: grow or shrink one dynamic pool. */
static void
supervise_size_pool(struct service *s, int64_t now)
{
	struct pool_decision d;
	struct slot_report r;
	struct proc *p;
	int idle = s->nidle;
	size_t i;

	pool_decide(s->min_spare, s->max_spare, s->conf->max_workers, idle,
	    s->tally->workers, &s->pool, &d);
	if (d.reached_max)
		log_warning("service %s: reached max_workers (%d); raise it if "
		    "clients wait", s->conf->name, s->conf->max_workers);
	if (d.spawn > 0) {
		log_info("service %s: %d idle of %d workers, below min_spare "
		    "%d; starting %d", s->conf->name, idle, s->tally->workers,
		    s->min_spare, d.spawn);
		s->want = s->tally->workers + d.spawn;
	}
	if (d.retire) {
		/* Rare (one a second at most): a walk for the one to go. */
		for (i = 0; (p = proc_next(&master.pt, &i)) != NULL;) {
			if (p->svc != s || p->retiring ||
			    master_report(p, now, &r) == -1 ||
			    r.state != SLOT_IDLE)
				continue;
			log_info("service %s: %d idle workers, above max_spare "
			    "%d; retiring worker %ld", s->conf->name, idle,
			    s->max_spare, (long)p->pid);
			spawn_retire(p, SIGQUIT);
			break;
		}
		s->want = s->tally->workers;
	}
}

/*
 * supervise_check - worker p's slot as read (r; bad when it holds what no
 * honest worker writes): a bad one is killed (it is our own child) and
 * logged; one seen idle or busy is ready, which ends its service's
 * backoff.  1 when p was condemned.
 */
static int
supervise_check(struct proc *p, struct slot_report *r, int bad, int64_t now)
{
	if (p->condemned)
		return 0;
	if (bad) {
		log_error("service %s: worker %ld wrote an inconsistent "
		    "scoreboard slot (%s); killing it",
		    p->svc->conf->name, (long)p->pid, r->bad);
		p->condemned = 1;
		(void)proc_kill(&master.pt, p, SIGKILL);
		return 1;
	}
	/*
	 * exec mode "worker" (exec.c): a program cannot write its
	 * slot, so one that has run for a second since its exec
	 * counts as ready (the mapping is no longer the program's).
	 */
	if (policy_exec_ready(r->state, r->exec_at, now)) {
		master.sb.slots[proc_index(&master.pt, p)].state = SLOT_IDLE;
		r->state = SLOT_IDLE;
	}
	if (r->state == SLOT_STARTING)
		return 0;
	p->ready = 1;
	if (!p->retiring && p->svc->throttle.delay_ms > 0)
		throttle_ready(&p->svc->throttle);
	return 0;
}

/*
 * supervise_hung - kill worker p if busy on one connection longer than its
 * service's timeout: TERM, then KILL a second later, naming the client;
 * the process group of the worker's descendants (an exec'd program's)
 * with it, checked again before each signal since it may be gone by then.
 * 1 when p is on its way out (KILLed now).
 */
static int
supervise_hung(struct proc *p, const struct slot_report *r, int bad,
    int64_t now)
{
	const struct conf_service *cs = p->svc->conf;
	char client[2 * ADDR_TEXT_MAX + 64];

	if (p->kill_at != 0 && now >= p->kill_at) {
		(void)proc_kill(&master.pt, p, SIGKILL);
		spawn_descendants(p, NULL, SIGKILL);
		p->kill_at = 0;
		return 1;
	}
	if (p->condemned || p->kill_at != 0 || cs->timeout <= 0 || bad ||
	    r->state != SLOT_BUSY || now - r->busy_since <= cs->timeout * 1000LL)
		return 0;
	log_error("service %s: worker %ld hung%s (timeout %d s); killing it",
	    cs->name, (long)p->pid,
	    spawn_client_text(r, now, client, sizeof(client)), cs->timeout);
	master_fold_target(p->svc, p->generation)->hung_kills++;
	p->hung = 1;
	p->kill_at = now + HUNG_KILL_MS;
	(void)proc_kill(&master.pt, p, SIGTERM);
	spawn_descendants(p, r, SIGTERM);
	return 0;
}

/*
 * supervise_tick - the once-a-second maintenance, in one walk over the
 * workers (each slot read once, as the untrusted report it is): check
 * it, kill the hung, say QUIT again to the retiring, count the idle of
 * dynamic pools; then size those pools.
 */
void
supervise_tick(int64_t now)
{
	struct slot_report r;
	struct proc *p;
	size_t i;
	int bad, sizing;

	sizing = master.state == MASTER_RUNNING && !master.paused;
	for (i = 0; i < master.nsvc; i++)
		master.svc[i].nidle = 0;
	for (i = 0; (p = proc_next(&master.pt, &i)) != NULL;) {
		bad = master_report(p, now, &r) == -1;
		if (supervise_check(p, &r, bad, now) ||
		    supervise_hung(p, &r, bad, now) || bad)
			continue;
		/*
		 * A QUIT that lands just before an idle worker enters a
		 * blocking accept() only sets its flag; say it again until
		 * the worker goes.
		 */
		if (p->retiring && p->quit_at != 0 &&
		    now - p->quit_at >= 1000 && r.state == SLOT_IDLE) {
			(void)proc_kill(&master.pt, p, SIGQUIT);
			p->quit_at = now;
		}
		if (sizing && !p->retiring && p->svc->conf->dynamic &&
		    p->generation == master.generation &&
		    (r.state == SLOT_IDLE || r.state == SLOT_STARTING))
			p->svc->nidle++;
	}
	/* A full pool frees itself (its own walk, only where it may). */
	shed_tick(now);
	if (!sizing)
		return;
	for (i = 0; i < master.nsvc; i++)
		if (master.svc[i].conf->dynamic)
			supervise_size_pool(&master.svc[i], now);
}

/* supervise_resize - TTIN (+1) or TTOU (-1): every pool one worker bigger or smaller. */
void
supervise_resize(int signo, int delta)
{
	struct service *s;
	size_t i;

	if (master.paused) {
		/* TTIN brings the workers back after WINCH; TTOU does not. */
		if (delta > 0) {
			master.paused = 0;
			log_notice("received %s: workers resume after WINCH",
			    sig_name(signo));
		}
		return;
	}
	for (i = 0; i < master.nsvc; i++) {
		s = &master.svc[i];
		if (s->conf->dynamic) {
			if (s->min_spare + delta < 1 ||
			    s->max_spare + delta > s->conf->max_workers) {
				log_notice("received %s: service %s keeps "
				    "min_spare %d, max_spare %d (limit "
				    "reached)", sig_name(signo), s->conf->name,
				    s->min_spare, s->max_spare);
				continue;
			}
			s->min_spare += delta;
			s->max_spare += delta;
			log_notice("received %s: service %s now has min_spare "
			    "%d, max_spare %d", sig_name(signo), s->conf->name,
			    s->min_spare, s->max_spare);
			continue;
		}
		if (s->want + delta < 0 || s->want + delta > WORKERS_MAX)
			continue;
		s->want += delta;
		log_notice("received %s: service %s now has %d workers",
		    sig_name(signo), s->conf->name, s->want);
	}
	if (delta < 0)
		supervise_trim();
}

/*
 * supervise_trim - retire idle (else any) workers above a static pool's
 * size: two walks over the workers, whatever the number of services.
 */
static void
supervise_trim(void)
{
	struct slot_report r;
	struct service *s;
	struct proc *p;
	int64_t now = now_ms();
	size_t j;
	int pass;

	/* First pass: idle workers; second: busy ones, gracefully. */
	for (pass = 0; pass < 2; pass++) {
		for (j = 0; (p = proc_next(&master.pt, &j)) != NULL;) {
			s = p->svc;
			/* An unreadable slot waits for the check. */
			if (p->generation != master.generation ||
			    p->retiring || s->tally->workers <= s->want ||
			    master_report(p, now, &r) == -1 ||
			    policy_trim_round(r.state) != pass)
				continue;
			spawn_retire(p, SIGQUIT);
		}
	}
}
