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
static void	supervise_hung(int64_t now);
static void	supervise_check(int64_t now);
static void	supervise_trim(void);

/*
 * supervise_fill - bring every pool up to the size it should have: at once
 * after a death, so a recycled or killed worker leaves no gap.  A throttled
 * service waits for its window.  Returns the milliseconds until the first
 * window ends (for the poll timeout), or -1.
 */
int64_t
supervise_fill(int64_t now)
{
	struct service *s;
	int64_t wait = -1, left;
	size_t i;

	if (master.paused)
		return -1;
	for (i = 0; i < master.nsvc; i++) {
		s = &master.svc[i];
		while (s->nworkers < s->want) {
			if (!throttle_allows(&s->throttle, now)) {
				left = s->throttle.until_ms - now;
				if (wait == -1 || left < wait)
					wait = left;
				break;
			}
			if (spawn_worker(s) == -1)
				break;
		}
	}
	return wait;
}

/* supervise_size_pool - once a second: grow or shrink one dynamic pool. */
static void
supervise_size_pool(struct service *s, int64_t now)
{
	struct pool_decision d;
	struct slot_report r;
	struct proc *p;
	int idle = 0;
	size_t i;

	for (i = 0; (p = proc_next(&master.pt, &i)) != NULL;) {
		if (p->svc == s && !p->retiring &&
		    master_report(p, now, &r) == 0 &&
		    (r.state == SLOT_IDLE || r.state == SLOT_STARTING))
			idle++;
	}
	pool_decide(s->min_spare, s->max_spare, s->conf->max_workers, idle,
	    s->nworkers, &s->pool, &d);
	if (d.reached_max)
		log_warning("service %s: reached max_workers (%d); raise it if "
		    "clients wait", s->conf->name, s->conf->max_workers);
	if (d.spawn > 0) {
		log_info("service %s: %d idle of %d workers, below min_spare "
		    "%d; starting %d", s->conf->name, idle, s->nworkers,
		    s->min_spare, d.spawn);
		s->want = s->nworkers + d.spawn;
	}
	if (d.retire) {
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
		s->want = s->nworkers;
	}
}

/*
 * supervise_hung - kill workers busy on one connection longer than their
 * service's timeout: TERM, then KILL a second later, naming the client;
 * the process group of the worker's descendants (an exec'd program's)
 * with it, checked again before each signal since it may be gone by then.
 */
static void
supervise_hung(int64_t now)
{
	const struct conf_service *cs;
	char client[2 * ADDR_TEXT_MAX + 64];
	struct slot_report r;
	struct proc *p;
	size_t i;

	for (i = 0; (p = proc_next(&master.pt, &i)) != NULL;) {
		if (p->kill_at != 0 && now >= p->kill_at) {
			(void)proc_kill(&master.pt, p, SIGKILL);
			spawn_descendants(p, NULL, SIGKILL);
			p->kill_at = 0;
			continue;
		}
		cs = p->svc->conf;
		if (p->condemned || p->kill_at != 0 || cs->timeout <= 0 ||
		    master_report(p, now, &r) == -1 || r.state != SLOT_BUSY ||
		    now - r.busy_since <= cs->timeout * 1000LL)
			continue;
		log_error("service %s: worker %ld hung%s (timeout %d s); "
		    "killing it", cs->name, (long)p->pid,
		    spawn_client_text(&r, now, client, sizeof(client)),
		    cs->timeout);
		p->svc->hung_kills++;
		p->hung = 1;
		p->kill_at = now + HUNG_KILL_MS;
		(void)proc_kill(&master.pt, p, SIGTERM);
		spawn_descendants(p, &r, SIGTERM);
	}
}

/*
 * supervise_check - once a second, each worker's slot as read: one that holds
 * what no honest worker writes is killed (it is our own child) and logged;
 * one seen idle or busy is ready, which ends its service's backoff.
 */
static void
supervise_check(int64_t now)
{
	struct slot_report r;
	struct proc *p;
	size_t i;

	for (i = 0; (p = proc_next(&master.pt, &i)) != NULL;) {
		if (p->condemned)
			continue;
		if (master_report(p, now, &r) == -1) {
			log_error("service %s: worker %ld wrote an inconsistent "
			    "scoreboard slot (%s); killing it",
			    p->svc->conf->name, (long)p->pid, r.bad);
			p->condemned = 1;
			(void)proc_kill(&master.pt, p, SIGKILL);
			continue;
		}
		/*
		 * exec mode "worker" (exec.c): a program cannot write its
		 * slot, so one that has run for a second since its exec
		 * counts as ready (the mapping is no longer the program's).
		 */
		if (policy_exec_ready(r.state, r.exec_at, now)) {
			master.sb.slots[proc_index(&master.pt, p)].state =
			    SLOT_IDLE;
			r.state = SLOT_IDLE;
		}
		if (r.state == SLOT_STARTING)
			continue;
		p->ready = 1;
		if (!p->retiring && p->svc->throttle.delay_ms > 0)
			throttle_ready(&p->svc->throttle);
	}
}

/* supervise_tick - the once-a-second maintenance. */
void
supervise_tick(int64_t now)
{
	struct slot_report r;
	struct proc *p;
	size_t i;

	supervise_check(now);
	supervise_hung(now);
	shed_tick(now);
	/*
	 * A QUIT that lands just before an idle worker enters a blocking
	 * accept() only sets its flag; say it again until the worker goes.
	 */
	for (i = 0; (p = proc_next(&master.pt, &i)) != NULL;) {
		if (p->retiring && p->quit_at != 0 &&
		    now - p->quit_at >= 1000 &&
		    master_report(p, now, &r) == 0 && r.state == SLOT_IDLE) {
			(void)proc_kill(&master.pt, p, SIGQUIT);
			p->quit_at = now;
		}
	}
	if (master.state != MASTER_RUNNING || master.paused)
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

/* supervise_trim - retire idle (else any) workers above a static pool's size. */
static void
supervise_trim(void)
{
	struct slot_report r;
	struct service *s;
	struct proc *p;
	int64_t now = now_ms();
	size_t i, j;
	int pass;

	for (i = 0; i < master.nsvc; i++) {
		s = &master.svc[i];
		/* First pass: idle workers; second: busy ones, gracefully. */
		for (pass = 0; pass < 2 && s->nworkers > s->want; pass++) {
			for (j = 0; s->nworkers > s->want &&
			    (p = proc_next(&master.pt, &j)) != NULL;) {
				/* An unreadable slot waits for the check. */
				if (p->svc != s || p->retiring ||
				    master_report(p, now, &r) == -1 ||
				    policy_trim_round(r.state) != pass)
					continue;
				spawn_retire(p, SIGQUIT);
			}
		}
	}
}
