/*
 * master.c - the master process: fork each service's pool, then loop on
 * poll() over the signal self-pipe and the control socket with a timeout.
 * It reaps dead workers and replaces them (throttled when they die while
 * starting), sizes dynamic pools once a second, kills hung workers, and
 * stops fast (TERM, INT) or gracefully (QUIT).
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
#include "handler.h"

/* A hung worker gets TERM, then KILL this much later. */
#define HUNG_KILL_MS	1000

/* How many sockets an upgrade hands over at most. */
#define UPGRADE_SOCKETS_MAX	1024

/* After a reload, how long the old generation waits for all new workers. */
#define RELOAD_READY_MS	5000

enum master_state {
	RUNNING,
	STOPPING,
};

/* An older configuration whose workers are still finishing. */
struct generation {
	unsigned int		 id;
	struct conf		*conf;
	struct service		*svc;
	size_t			 nsvc;
	struct generation	*older;
};

static struct {
	struct conf		*conf;		/* the current generation's */
	struct service		*svc;
	size_t			 nsvc;
	struct generation	*old;		/* retiring, newest first */
	int			 reloading;	/* old workers not all retired */
	int64_t			 reload_deadline;
	int			 foreground;
	char			*conf_path;	/* absolute, for reloads */
	pid_t			 successor;	/* new master of an upgrade */
	pid_t			 predecessor;	/* old master, after one */
	char			*start_dir;	/* where relative paths start */
	struct scoreboard	 sb;		/* what workers report */
	struct proctab		 pt;		/* what the master knows */
	int			 alive[2];	/* workers see EOF when we die */
	unsigned int		 generation;
	enum master_state	 state;
	int			 paused;	/* WINCH: no workers wanted */
	int64_t			 deadline;	/* of the stop, then KILL */
	int			 killed;
	int64_t			 next_tick;	/* once-a-second maintenance */
	pid_t			 pid;
	struct timespec		 started;
	int64_t			 start_ms;
} m;

static void	master_trim(void);
static void	master_upgrade_failed(int);
static int	master_hand_over(void);
static void	master_stop_listeners(int);
static void	master_log_listeners(void);
static int64_t	master_fill(int64_t);
static struct service *master_services(const struct conf *,
		    struct listener **);

/* master_exit_text - "exited with status 1", "killed by signal 9 (SIGKILL)". */
static char *
master_exit_text(int status, char *buf, size_t len)
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

/* master_client_text - " while serving tcp 127.0.0.1:7 <- 127.0.0.1:5000 for 12 ms" or "". */
static char *
master_client_text(const struct slot_report *r, int64_t now, char *buf,
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

/* master_report - read worker p's slot as the untrusted report it is. */
static int
master_report(const struct proc *p, int64_t now, struct slot_report *r)
{
	return scoreboard_read(&m.sb.slots[proc_index(&m.pt, p)], now, r);
}

/*
 * master_descendants - signo to the process group of worker p's
 * descendants: the one its slot reports (r, may be NULL) and the one
 * confirmed before, each only if proc_group_ok() confirms it now.  A
 * report that names someone else's group is logged and ignored.
 */
static void
master_descendants(struct proc *p, const struct slot_report *r, int signo)
{
	pid_t g[2];
	int i;

	g[0] = r != NULL && r->bad == NULL ? r->group : 0;
	g[1] = p->group != g[0] ? p->group : 0;
	for (i = 0; i < 2; i++) {
		if (g[i] <= 0)
			continue;
		if (proc_kill_group(&m.pt, p, g[i], signo) == 0)
			p->group = g[i];
		else if (errno == EPERM && i == 0)
			log_error("service %s: worker %ld reports process group "
			    "%ld, which is not its descendants'; not signalled",
			    p->svc->conf->name, (long)p->pid, (long)g[i]);
	}
}

/* master_close_others - in a new worker: let go of what is not its own. */
static void
master_close_others(const struct service *mine)
{
	size_t i, j;

	for (i = 0; i < m.nsvc; i++) {
		if (&m.svc[i] == mine)
			continue;
		for (j = 0; j < m.svc[i].nlisteners; j++)
			if (m.svc[i].listeners[j].fd != -1)
				close(m.svc[i].listeners[j].fd);
	}
	daemon_child_close();
	control_child_close();
	close(m.alive[1]);
}

/*
 * master_spawn - fork one worker of service s into a fresh slot.  Returns
 * 0, or -1 (logged) when no slot is free or fork fails.
 */
static int
master_spawn(struct service *s)
{
	struct worker_ctx ctx;
	struct proc *p;
	struct slot *slot;
	char role[SERVICE_NAME_MAX + 16];
	pid_t pid;

	if ((p = proc_alloc(&m.pt)) == NULL) {
		log_error("service %s: no free scoreboard slot for a worker",
		    s->conf->name);
		return -1;
	}
	slot = scoreboard_reset(&m.sb, proc_index(&m.pt, p));
	p->svc = s;
	p->generation = m.generation;
	clock_gettime(CLOCK_REALTIME, &p->started);

	sig_block(1);
	pid = fork();
	if (pid == 0) {
		sig_reset_child();
		master_close_others(s);
		snprintf(role, sizeof(role), "preforkd/%s", s->conf->name);
		log_set_role(role);
		ctx.conf = m.conf;
		ctx.service = s->conf;
		ctx.listeners = s->listeners;
		ctx.nlisteners = s->nlisteners;
		ctx.slot = slot;
		ctx.master_fd = m.alive[0];
		ctx.master_pid = m.pid;
		ctx.services = m.svc;
		ctx.nservices = m.nsvc;
		worker_main(&ctx);
		/* NOTREACHED */
	}
	sig_block(0);
	if (pid == -1) {
		log_error("service %s: fork: %s", s->conf->name,
		    strerror(errno));
		proc_release(p);
		/* Out of processes or memory: back off as for a crash. */
		throttle_failed(&s->throttle, now_ms());
		return -1;
	}
	p->pid = pid;
	s->nworkers++;
	log_info("service %s: worker %ld started", s->conf->name, (long)pid);
	return 0;
}

/*
 * master_ended - worker p is dead (status): say how it ended (service,
 * pid, exit status or signal, connections served, the client it was
 * serving), fold its counters into its service and free its entry.  A
 * worker that dies before it was ready throttles its service.
 */
static void
master_ended(struct proc *p, int status)
{
	struct service *s = p->svc;
	struct slot_report r;
	char how[96], client[2 * ADDR_TEXT_MAX + 64];
	int64_t now = now_ms();
	int ready, recycled;
	pid_t pid = p->pid;

	master_report(p, now, &r);
	master_exit_text(status, how, sizeof(how));
	master_client_text(&r, now, client, sizeof(client));
	ready = p->ready || r.state != SLOT_STARTING;
	recycled = WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    s->conf->max_requests > 0 &&
	    r.served >= (uint64_t)s->conf->max_requests;

	if (p->retiring || m.state != RUNNING ||
	    p->generation != m.generation)
		log_info("service %s: worker %ld %s after %llu "
		    "connections%s", s->conf->name, (long)pid, how,
		    (unsigned long long)r.served, client);
	else if (p->condemned && !ready) {
		throttle_failed(&s->throttle, now);
		log_error("service %s: worker %ld %s (its scoreboard slot was "
		    "inconsistent) before it was ready; respawning in %d s",
		    s->conf->name, (long)pid, how, s->throttle.delay_ms / 1000);
	} else if (p->condemned) {
		s->respawns++;
		log_warning("service %s: worker %ld %s (its scoreboard slot "
		    "was inconsistent); replacing it", s->conf->name,
		    (long)pid, how);
	} else if (recycled)
		log_info("service %s: worker %ld recycled after %llu "
		    "connections (max_requests %d); replacing it",
		    s->conf->name, (long)pid, (unsigned long long)r.served,
		    s->conf->max_requests);
	else if (p->hung)
		log_warning("service %s: worker %ld %s after %llu "
		    "connections%s, killed as hung; replacing it",
		    s->conf->name, (long)pid, how,
		    (unsigned long long)r.served, client);
	else if (!ready) {
		throttle_failed(&s->throttle, now);
		log_error("service %s: worker %ld %s before it was "
		    "ready; respawning in %d s", s->conf->name,
		    (long)pid, how, s->throttle.delay_ms / 1000);
	} else {
		s->respawns++;
		log_warning("service %s: worker %ld %s after %llu "
		    "connections%s; replacing it", s->conf->name,
		    (long)pid, how, (unsigned long long)r.served, client);
	}
	if (!p->retiring)
		s->nworkers--;
	s->served_dead = scoreboard_add(s->served_dead, r.served);
	s->io_timeouts_dead = scoreboard_add(s->io_timeouts_dead,
	    r.io_timeouts);
	s->access_lost_dead = scoreboard_add(s->access_lost_dead,
	    r.access_lost);
	s->ignored_dead = scoreboard_add(s->ignored_dead, r.ignored);
	proc_release(p);
}

/*
 * master_orphan_ended - a child we did not fork is dying: an orphan of a
 * worker's program, come back to us (proc.c).  If it led the process
 * group of a worker's descendants, the rest of that group goes with it.
 */
static void
master_orphan_ended(pid_t pid)
{
	struct slot_report r;
	struct proc *p;
	size_t i;

	for (i = 0; (p = proc_next(&m.pt, &i)) != NULL;) {
		if (p->group != pid && (master_report(p, now_ms(), &r) == -1 ||
		    r.group != pid))
			continue;
		if (proc_kill_group(&m.pt, p, pid, SIGKILL) == 0)
			return;
	}
}

/*
 * master_reap - collect every dead child.  Each is looked at while still
 * a zombie (WNOWAIT), so that its pid, and a process group it leads,
 * cannot be reused while the process group of a dead worker's
 * descendants is checked and killed: they must not outlive it.
 */
static void
master_reap(void)
{
	struct slot_report r;
	struct proc *p;
	siginfo_t si;
	int status;
	pid_t pid;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == -1 ||
		    si.si_pid == 0)
			break;
		pid = si.si_pid;
		if ((p = proc_find(&m.pt, pid)) != NULL) {
			master_report(p, now_ms(), &r);
			master_descendants(p, &r, SIGKILL);
		} else if (pid != m.successor)
			master_orphan_ended(pid);
		if (waitpid(pid, &status, 0) != pid)
			continue;
		if (pid == m.successor)
			master_upgrade_failed(status);
		else if (p != NULL)
			master_ended(p, status);
		else
			log_debug("reaped child %ld, an orphan of a worker's "
			    "program", (long)pid);
	}
}

/* master_live - how many worker processes are still alive. */
static int
master_live(void)
{
	return proc_live(&m.pt);
}

/* master_retire - ask worker p to go (signo), and stop counting it. */
static void
master_retire(struct proc *p, int signo)
{
	if (!p->retiring) {
		p->retiring = 1;
		p->svc->nworkers--;
	}
	if (signo == SIGQUIT)
		p->quit_at = now_ms();
	if (proc_kill(&m.pt, p, signo) == -1 && errno != ESRCH)
		log_warning("kill(%ld, %s): %s", (long)p->pid,
		    sig_name(signo), strerror(errno));
}

/* master_signal_all - send signo to every live worker, retiring it. */
static void
master_signal_all(int signo)
{
	struct proc *p;
	size_t i;

	for (i = 0; (p = proc_next(&m.pt, &i)) != NULL;)
		master_retire(p, signo);
}

/* master_forward - pass signo on to every live worker (log reopen). */
static void
master_forward(int signo)
{
	struct proc *p;
	size_t i;

	for (i = 0; (p = proc_next(&m.pt, &i)) != NULL;)
		(void)proc_kill(&m.pt, p, signo);
}

/*
 * master_fill - bring every pool up to the size it should have: at once
 * after a death, so a recycled or killed worker leaves no gap.  A throttled
 * service waits for its window.  Returns the milliseconds until the first
 * window ends (for the poll timeout), or -1.
 */
static int64_t
master_fill(int64_t now)
{
	struct service *s;
	int64_t wait = -1, left;
	size_t i;

	if (m.paused)
		return -1;
	for (i = 0; i < m.nsvc; i++) {
		s = &m.svc[i];
		while (s->nworkers < s->want) {
			if (!throttle_allows(&s->throttle, now)) {
				left = s->throttle.until_ms - now;
				if (wait == -1 || left < wait)
					wait = left;
				break;
			}
			if (master_spawn(s) == -1)
				break;
		}
	}
	return wait;
}

/* master_size_pool - once a second: grow or shrink one dynamic pool. */
static void
master_size_pool(struct service *s, int64_t now)
{
	struct pool_decision d;
	struct slot_report r;
	struct proc *p;
	int idle = 0;
	size_t i;

	for (i = 0; (p = proc_next(&m.pt, &i)) != NULL;) {
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
		for (i = 0; (p = proc_next(&m.pt, &i)) != NULL;) {
			if (p->svc != s || p->retiring ||
			    master_report(p, now, &r) == -1 ||
			    r.state != SLOT_IDLE)
				continue;
			log_info("service %s: %d idle workers, above max_spare "
			    "%d; retiring worker %ld", s->conf->name, idle,
			    s->max_spare, (long)p->pid);
			master_retire(p, SIGQUIT);
			break;
		}
		s->want = s->nworkers;
	}
}

/*
 * master_hung - kill workers busy on one connection longer than their
 * service's timeout: TERM, then KILL a second later, naming the client;
 * the process group of the worker's descendants (an exec'd program's)
 * with it, checked again before each signal since it may be gone by then.
 */
static void
master_hung(int64_t now)
{
	const struct conf_service *cs;
	char client[2 * ADDR_TEXT_MAX + 64];
	struct slot_report r;
	struct proc *p;
	size_t i;

	for (i = 0; (p = proc_next(&m.pt, &i)) != NULL;) {
		if (p->kill_at != 0 && now >= p->kill_at) {
			(void)proc_kill(&m.pt, p, SIGKILL);
			master_descendants(p, NULL, SIGKILL);
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
		    master_client_text(&r, now, client, sizeof(client)),
		    cs->timeout);
		p->svc->hung_kills++;
		p->hung = 1;
		p->kill_at = now + HUNG_KILL_MS;
		(void)proc_kill(&m.pt, p, SIGTERM);
		master_descendants(p, &r, SIGTERM);
	}
}

/*
 * master_check - once a second, each worker's slot as read: one that holds
 * what no honest worker writes is killed (it is our own child) and logged;
 * one seen idle or busy is ready, which ends its service's backoff.
 */
static void
master_check(int64_t now)
{
	struct slot_report r;
	struct proc *p;
	size_t i;

	for (i = 0; (p = proc_next(&m.pt, &i)) != NULL;) {
		if (p->condemned)
			continue;
		if (master_report(p, now, &r) == -1) {
			log_error("service %s: worker %ld wrote an inconsistent "
			    "scoreboard slot (%s); killing it",
			    p->svc->conf->name, (long)p->pid, r.bad);
			p->condemned = 1;
			(void)proc_kill(&m.pt, p, SIGKILL);
			continue;
		}
		/*
		 * exec mode "worker" (exec.c): a program cannot write its
		 * slot, so one that has run for a second since its exec
		 * counts as ready (the mapping is no longer the program's).
		 */
		if (r.state == SLOT_STARTING && r.exec_at != 0 &&
		    now - r.exec_at >= 1000) {
			m.sb.slots[proc_index(&m.pt, p)].state = SLOT_IDLE;
			r.state = SLOT_IDLE;
		}
		if (r.state == SLOT_STARTING)
			continue;
		p->ready = 1;
		if (!p->retiring && p->svc->throttle.delay_ms > 0)
			throttle_ready(&p->svc->throttle);
	}
}

/* master_tick - the once-a-second maintenance. */
static void
master_tick(int64_t now)
{
	struct slot_report r;
	struct proc *p;
	size_t i;

	master_check(now);
	master_hung(now);
	/*
	 * A QUIT that lands just before an idle worker enters a blocking
	 * accept() only sets its flag; say it again until the worker goes.
	 */
	for (i = 0; (p = proc_next(&m.pt, &i)) != NULL;) {
		if (p->retiring && p->quit_at != 0 &&
		    now - p->quit_at >= 1000 &&
		    master_report(p, now, &r) == 0 && r.state == SLOT_IDLE) {
			(void)proc_kill(&m.pt, p, SIGQUIT);
			p->quit_at = now;
		}
	}
	if (m.state != RUNNING || m.paused)
		return;
	for (i = 0; i < m.nsvc; i++)
		if (m.svc[i].conf->dynamic)
			master_size_pool(&m.svc[i], now);
}

/* master_resize - TTIN (+1) or TTOU (-1): every pool one worker bigger or smaller. */
static void
master_resize(int signo, int delta)
{
	struct service *s;
	size_t i;

	if (m.paused) {
		/* TTIN brings the workers back after WINCH; TTOU does not. */
		if (delta > 0) {
			m.paused = 0;
			log_notice("received %s: workers resume after WINCH",
			    sig_name(signo));
		}
		return;
	}
	for (i = 0; i < m.nsvc; i++) {
		s = &m.svc[i];
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
		master_trim();
}

/* master_trim - retire idle (else any) workers above a static pool's size. */
static void
master_trim(void)
{
	struct slot_report r;
	struct service *s;
	struct proc *p;
	int64_t now = now_ms();
	size_t i, j;
	int pass;

	for (i = 0; i < m.nsvc; i++) {
		s = &m.svc[i];
		/* First pass: idle workers; second: busy ones, gracefully. */
		for (pass = 0; pass < 2 && s->nworkers > s->want; pass++) {
			for (j = 0; s->nworkers > s->want &&
			    (p = proc_next(&m.pt, &j)) != NULL;) {
				if (p->svc != s || p->retiring ||
				    (pass == 0 && (master_report(p, now, &r) ==
				    -1 || r.state == SLOT_BUSY)))
					continue;
				master_retire(p, SIGQUIT);
			}
		}
	}
}

/* master_stop_listeners - close our listeners; shut them down if graceful. */
static void
master_stop_listeners(int graceful)
{
	size_t i, j;

	for (i = 0; i < m.nsvc; i++) {
		for (j = 0; j < m.svc[i].nlisteners; j++) {
			struct listener *l = &m.svc[i].listeners[j];

			/*
			 * Our close alone would not stop the workers' copies
			 * from accepting; shutdown() stops the socket itself,
			 * so new connections are refused at once while the
			 * connections already accepted go on.
			 */
			if (graceful && l->fd != -1 && !l->shared &&
			    l->addr.proto != PROTO_UDP)
				shutdown(l->fd, SHUT_RDWR);
			listen_close(l);
		}
	}
}

/* master_stop - begin a fast (TERM) or graceful (QUIT) stop. */
static void
master_stop(int signo, int graceful)
{
	if (m.state == STOPPING && graceful)
		return;		/* already stopping, at least as fast */
	if (graceful)
		log_notice("received %s: graceful stop (up to %d s)",
		    sig_name(signo), m.conf->shutdown_timeout);
	else
		log_notice("received %s: fast stop", sig_name(signo));
	m.state = STOPPING;
	/* After an upgrade the service goes on: systemd must not hear STOPPING. */
	if (!master_hand_over())
		notify_send("STOPPING=1\nSTATUS=%s stop", graceful ?
		    "graceful" : "fast");
	/* Workers first: an idle worker exits before it could see the
	 * shut-down listener. */
	master_signal_all(graceful ? SIGQUIT : SIGTERM);
	master_stop_listeners(graceful);
	m.deadline = now_ms() + (graceful ? m.conf->shutdown_timeout * 1000LL :
	    FAST_STOP_GRACE_MS);
	m.killed = 0;
}

/* ============================================================ reload === */

/*
 * master_old_listener - the open listener of the running generation that
 * a new service's listen address can take over: the same address, or for
 * port 0 the same host in the same service (so the kernel's port stays).
 */
static struct listener *
master_old_listener(const char *service, const struct addr *a,
    struct listener ***taken, const struct conf *nc)
{
	const struct sockaddr *sa = (const struct sockaddr *)&a->ss;
	struct listener *l;
	size_t i, j, k, n;
	int port0 = addr_port(sa) == 0, used;

	for (i = 0; i < m.nsvc; i++) {
		for (j = 0; j < m.svc[i].nlisteners; j++) {
			l = &m.svc[i].listeners[j];
			if (l->fd == -1 || l->addr.proto != a->proto)
				continue;
			if (port0 ? strcmp(m.svc[i].conf->name, service) != 0 ||
			    addr_port((const struct sockaddr *)&l->addr.ss) !=
			    0 || !addr_sockaddr_same((const struct sockaddr *)
			    &l->addr.ss, sa, 1) : !addr_same(&l->addr, a))
				continue;
			/* Each kept socket goes to one new listener only. */
			for (used = 0, k = 0; k < nc->nservices && !used; k++)
				for (n = 0; taken[k] != NULL &&
				    n < nc->services[k].nlisten; n++)
					if (taken[k][n] == l)
						used = 1;
			if (!used)
				return l;
		}
	}
	return NULL;
}

/* master_free_listeners - free a listener table (closing what is open). */
static void
master_free_listeners(const struct conf *conf, struct listener **nl)
{
	size_t i, j;

	for (i = 0; i < conf->nservices; i++) {
		if (nl[i] == NULL)
			continue;
		for (j = 0; j < conf->services[i].nlisten; j++)
			if (nl[i][j].fd != -1)
				listen_close(&nl[i][j]);
		free(nl[i]);
	}
	free(nl);
}

/*
 * master_rebind - the listeners of a new configuration.  Unchanged
 * addresses keep their socket (same fd: the kernel's accept queue, with
 * the connections waiting in it, survives); new ones are bound.  All or
 * nothing: if one bind fails, what was bound is closed, nothing of the
 * running generation is touched, and NULL is returned with err.
 */
static struct listener **
master_rebind(const struct conf *nc, char *err, size_t errlen)
{
	const struct conf_service *cs;
	struct listener **nl, ***from, *old;
	char cause[256], desc[ADDR_TEXT_MAX];
	size_t i, j;

	nl = calloc(nc->nservices, sizeof(*nl));
	from = calloc(nc->nservices, sizeof(*from));
	if (nl == NULL || from == NULL)
		goto nomem;
	for (i = 0; i < nc->nservices; i++) {
		cs = &nc->services[i];
		nl[i] = calloc(cs->nlisten, sizeof(**nl));
		from[i] = calloc(cs->nlisten, sizeof(**from));
		if (nl[i] == NULL || from[i] == NULL)
			goto nomem;
		for (j = 0; j < cs->nlisten; j++) {
			nl[i][j].addr = cs->listen[j];
			nl[i][j].text = cs->listen_text[j];
			nl[i][j].fd = -1;
			if ((from[i][j] = master_old_listener(cs->name,
			    &cs->listen[j], from, nc)) != NULL)
				continue;
			if (listen_open(&nl[i][j], cs->backlog, cs->unix_mode,
			    cs->io_timeout, cause, sizeof(cause)) == -1) {
				snprintf(err, errlen, "service %s: cannot listen "
				    "on %s: %s", cs->name, addr_format(
				    &cs->listen[j], desc, sizeof(desc)), cause);
				goto fail;
			}
		}
	}
	/* Every bind worked: now take the kept sockets over. */
	for (i = 0; i < nc->nservices; i++) {
		cs = &nc->services[i];
		for (j = 0; j < cs->nlisten; j++) {
			if ((old = from[i][j]) == NULL) {
				log_notice("service %s: listening on %s (fd %d, "
				    "new in this configuration)", cs->name,
				    listen_describe(&nl[i][j], desc,
				    sizeof(desc)), nl[i][j].fd);
				continue;
			}
			nl[i][j].fd = old->fd;
			nl[i][j].bound = old->bound;
			nl[i][j].shared = old->shared;
			nl[i][j].unix_dev = old->unix_dev;
			nl[i][j].unix_ino = old->unix_ino;
			nl[i][j].unix_mode = old->unix_mode;
			old->fd = -1;
			if (listen_adjust(&nl[i][j], cs->backlog, cs->unix_mode,
			    cs->io_timeout, cause, sizeof(cause)) == -1)
				log_warning("service %s: %s: %s", cs->name,
				    listen_describe(&nl[i][j], desc,
				    sizeof(desc)), cause);
		}
		free(from[i]);
	}
	free(from);
	for (i = 0; i < nc->nservices; i++)
		listen_policy(nl[i], nc->services[i].nlisten);
	return nl;

nomem:
	snprintf(err, errlen, "out of memory");
fail:
	if (from != NULL) {
		for (i = 0; i < nc->nservices; i++)
			free(from[i]);
		free(from);
	}
	if (nl != NULL)
		master_free_listeners(nc, nl);
	return NULL;
}

/* master_same_string - both NULL, or equal. */
static int
master_same_string(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * master_keep_globals - settings that only a restart can change: warn, and
 * keep the running values in the new configuration.
 */
static void
master_keep_globals(struct conf *nc)
{
	static const char *const names[] = {
		"user", "group", "pid_file", "control_socket",
	};
	char **newv[4] = { &nc->user, &nc->group, &nc->pid_file,
	    &nc->control_socket };
	char *const oldv[4] = { m.conf->user, m.conf->group, m.conf->pid_file,
	    m.conf->control_socket };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (master_same_string(*newv[i], oldv[i]))
			continue;
		log_warning("reload: %s changed (\"%s\" -> \"%s\"); it takes "
		    "effect only after a restart, keeping \"%s\"", names[i],
		    oldv[i] ? oldv[i] : "", *newv[i] ? *newv[i] : "",
		    oldv[i] ? oldv[i] : "");
		free(*newv[i]);
		*newv[i] = oldv[i] ? strdup(oldv[i]) : NULL;
	}
	nc->uid = m.conf->uid;
	nc->gid = m.conf->gid;
}

/* master_service_named - the running generation's service called name. */
static struct service *
master_service_named(const char *name)
{
	size_t i;

	for (i = 0; i < m.nsvc; i++)
		if (strcmp(m.svc[i].conf->name, name) == 0)
			return &m.svc[i];
	return NULL;
}

/*
 * master_logs_follow - log level, error_log and access_log may change on a
 * reload.  A log that cannot be opened keeps the old one (and says so).
 */
static void
master_logs_follow(const struct conf *oc, const struct conf *nc)
{
	log_set_level(nc->log_level);
	if (!master_same_string(oc->error_log, nc->error_log) &&
	    log_open(nc->error_log, m.foreground) == -1)
		log_error("reload: cannot open the error log %s: %s; keeping "
		    "the old one", nc->error_log, file_error(errno));
	if (!master_same_string(oc->access_log, nc->access_log)) {
		access_close();
		if (access_open(nc->access_log, nc->user != NULL ? nc->uid :
		    (uid_t)-1, nc->gid) == -1)
			log_error("reload: cannot open the access log %s: %s",
			    nc->access_log, file_error(errno));
	}
	if (nc->user != NULL && geteuid() == 0)
		log_chown(nc->uid, nc->gid);
}

/*
 * master_reload - HUP or "-s reload": read and check the configuration
 * again; on any error keep running as before.  Otherwise bind what is new,
 * start the new generation and let master_retire_old() retire the old one
 * once the new one is ready.  Returns the answer for the control socket.
 */
static char *
master_reload(void)
{
	struct errlist errs = { NULL, 0 };
	struct generation *g;
	struct listener **nl;
	struct service *nsvc, *os;
	struct conf *nc;
	char err[512], *reply = NULL;
	size_t i;
	FILE *f;

	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
	    notify_monotonic_usec(), m.conf_path);
	log_notice("reloading %s", m.conf_path);
	if ((f = open_memstream(&reply, &i)) == NULL)
		return NULL;
	/* Relative paths in the file mean what they meant at start. */
	if (chdir(m.start_dir) == -1)
		log_warning("reload: chdir %s: %s; relative paths are taken "
		    "from /", m.start_dir, strerror(errno));
	nc = conf_load(m.conf_path, &errs);
	if (!m.foreground && chdir("/") == -1)
		log_warning("reload: chdir /: %s", strerror(errno));
	if (nc == NULL) {
		for (i = 0; i < errs.n; i++) {
			log_error("reload: %s", errs.msg[i]);
			fprintf(f, "%s\n", errs.msg[i]);
		}
		log_error("reload failed: %zu errors; still running "
		    "generation %u", errs.n, m.generation);
		fprintf(f, "reload failed: %zu errors; still running "
		    "generation %u\n", errs.n, m.generation);
		errlist_free(&errs);
		goto done;
	}
	master_keep_globals(nc);
	if ((nl = master_rebind(nc, err, sizeof(err))) == NULL) {
		log_error("reload failed: %s; nothing changed, still running "
		    "generation %u", err, m.generation);
		fprintf(f, "reload failed: %s; still running generation %u\n",
		    err, m.generation);
		conf_free(nc);
		goto done;
	}
	if ((nsvc = master_services(nc, nl)) == NULL ||
	    (g = calloc(1, sizeof(*g))) == NULL) {
		free(nsvc);
		master_free_listeners(nc, nl);
		conf_free(nc);
		fprintf(f, "reload failed: out of memory\n");
		goto done;
	}
	free(nl);
	/* Counters of a service live on under its name. */
	for (i = 0; i < nc->nservices; i++) {
		if ((os = master_service_named(nsvc[i].conf->name)) == NULL)
			continue;
		nsvc[i].served_dead = os->served_dead;
		nsvc[i].io_timeouts_dead = os->io_timeouts_dead;
		nsvc[i].access_lost_dead = os->access_lost_dead;
		nsvc[i].ignored_dead = os->ignored_dead;
		nsvc[i].respawns = os->respawns;
		nsvc[i].hung_kills = os->hung_kills;
	}
	/* Sockets no longer configured: ours go now, the workers' with them. */
	master_stop_listeners(0);

	g->id = m.generation;
	g->conf = m.conf;
	g->svc = m.svc;
	g->nsvc = m.nsvc;
	g->older = m.old;
	m.old = g;
	master_logs_follow(m.conf, nc);
	m.conf = nc;
	m.svc = nsvc;
	m.nsvc = nc->nservices;
	m.generation++;
	m.paused = 0;
	m.reloading = 1;
	m.reload_deadline = now_ms() + RELOAD_READY_MS;
	master_log_listeners();
	master_fill(now_ms());
	log_notice("reload: generation %u started; generation %u retires "
	    "as soon as the new workers are ready", m.generation, g->id);
	fprintf(f, "reloaded: generation %u started\n", m.generation);
done:
	if (!m.reloading)
		notify_send("READY=1\nSTATUS=running generation %u",
		    m.generation);
	fclose(f);
	return reply;
}

/* master_reload_request - "-s reload" over the control socket. */
char *
master_reload_request(void)
{
	if (m.state != RUNNING)
		return strdup("reload failed: preforkd is stopping\n");
	return master_reload();
}

/* master_ready_workers - workers of s that reached idle at least once. */
static int
master_ready_workers(const struct service *s)
{
	struct proc *p;
	size_t i;
	int n = 0;

	for (i = 0; (p = proc_next(&m.pt, &i)) != NULL;)
		if (p->svc == s && !p->retiring && p->ready)
			n++;
	return n;
}

/*
 * master_retire_old - after a reload: each worker of an older generation
 * is told to finish and exit (QUIT) once its service's new workers are
 * ready (all of them, or at least one after RELOAD_READY_MS), so that no
 * moment passes without a worker accepting.  shutdown_timeout bounds how
 * long it may take.
 */
static void
master_retire_old(int64_t now)
{
	struct service *cur;
	struct proc *p;
	size_t i;
	int left = 0, ready;

	if (!m.reloading)
		return;
	for (i = 0; (p = proc_next(&m.pt, &i)) != NULL;) {
		if (p->retiring || p->generation == m.generation)
			continue;
		cur = master_service_named(p->svc->conf->name);
		ready = cur != NULL ? master_ready_workers(cur) : 0;
		if (cur == NULL || cur->want == 0 || ready >= cur->want ||
		    (now >= m.reload_deadline && ready > 0)) {
			master_retire(p, SIGQUIT);
			p->kill_at = now + m.conf->shutdown_timeout * 1000LL;
		} else
			left++;
	}
	if (left == 0) {
		m.reloading = 0;
		log_notice("reload: generation %u is serving; the older "
		    "workers are finishing their connections", m.generation);
		notify_send("READY=1\nSTATUS=running generation %u",
		    m.generation);
	} else if (now >= m.reload_deadline && now - m.reload_deadline < 1000)
		log_error("reload: %d workers of generation %u keep serving: "
		    "the new workers of their service are not ready", left,
		    m.generation - 1);
}

/* master_free_old - forget older generations whose workers are all gone. */
static void
master_free_old(void)
{
	struct generation **gp, *g;
	size_t i;
	int used;

	for (gp = &m.old; (g = *gp) != NULL;) {
		used = 0;
		for (i = 0; i < m.pt.n && !used; i++)
			used = m.pt.procs[i].reserved &&
			    m.pt.procs[i].svc >= g->svc &&
			    m.pt.procs[i].svc < g->svc + g->nsvc;
		if (used) {
			gp = &g->older;
			continue;
		}
		*gp = g->older;
		for (i = 0; i < g->nsvc; i++)
			free(g->svc[i].listeners);
		free(g->svc);
		conf_free(g->conf);
		free(g);
	}
}

/* =========================================================== upgrade === */

/*
 * master_upgrade - USR2: start the new binary as a new master that takes
 * over our listening sockets (and the control socket).  We keep serving
 * until told otherwise (WINCH stops our workers, QUIT ends us).
 */
static void
master_upgrade(void)
{
	int fds[UPGRADE_SOCKETS_MAX], n = 0, k;
	char *names[UPGRADE_SOCKETS_MAX];
	struct listener *l;
	size_t i, j;
	pid_t pid;

	if (m.successor > 0) {
		log_warning("received SIGUSR2: an upgrade is already under way "
		    "(new master pid %ld)", (long)m.successor);
		return;
	}
	for (i = 0; i < m.nsvc; i++) {
		for (j = 0; j < m.svc[i].nlisteners; j++) {
			l = &m.svc[i].listeners[j];
			if (l->fd == -1 || n == UPGRADE_SOCKETS_MAX - 1)
				continue;
			/* Sockets of systemd's stay systemd's after us. */
			if (asprintf(&names[n], "%s%s", m.svc[i].conf->name,
			    l->shared ? "@shared" : "") == -1)
				goto done;
			fds[n++] = l->fd;
		}
	}
	if (control_fd() != -1) {
		if ((names[n] = strdup(CONTROL_FDNAME)) == NULL)
			goto done;
		fds[n++] = control_fd();
	}
	log_notice("received SIGUSR2: upgrading to %s", upgrade_binary());
	pid = upgrade_start(fds, (const char *const *)names, n, m.conf_path,
	    m.start_dir, m.foreground);
	if (pid != -1) {
		m.successor = m.pt.successor = pid;
		/* The new master answers -s status and -s reload now. */
		control_release();
	}
done:
	for (k = 0; k < n; k++)
		free(names[k]);
}

/*
 * master_upgrade_failed - the new master died before us: take our pid file
 * back and keep serving (and tell systemd who the main process is).
 */
static void
master_upgrade_failed(int status)
{
	char how[96], err[512];

	log_error("upgrade: the new master %ld %s; this master (pid %ld) "
	    "goes on serving", (long)m.successor,
	    master_exit_text(status, how, sizeof(how)), (long)m.pid);
	m.successor = m.pt.successor = 0;
	daemon_pidfile_restore();
	if (m.conf->control_socket != NULL && control_fd() == -1 &&
	    control_open(m.conf->control_socket, err, sizeof(err)) == -1)
		log_error("upgrade: %s", err);
	notify_send("MAINPID=%ld\nREADY=1\nSTATUS=upgrade failed; running "
	    "generation %u", (long)m.pid, m.generation);
}

/*
 * master_hand_over - while stopping with the other master of an upgrade
 * alive (the new one, or the old one we would hand back to), the sockets
 * belong to it too: never shut them down or remove their files.  1 if so.
 */
static int
master_hand_over(void)
{
	size_t i, j;

	if (!daemon_alive(m.successor) && !daemon_alive(m.predecessor))
		return 0;
	for (i = 0; i < m.nsvc; i++)
		for (j = 0; j < m.svc[i].nlisteners; j++)
			m.svc[i].listeners[j].shared = 1;
	control_disown();
	return 1;
}

/* master_signals - act on every signal that came, reaping first. */
static void
master_signals(void)
{
	int signo;

	/* Reap first: what follows acts on an exact picture. */
	if (sig_take(SIGF_CHLD))
		master_reap();
	if ((signo = sig_take(SIGF_TERM)) != 0)
		master_stop(signo, 0);
	if ((signo = sig_take(SIGF_QUIT)) != 0)
		master_stop(signo, 1);
	if (m.state != RUNNING)
		return;
	if (sig_take(SIGF_HUP)) {
		log_notice("received SIGHUP: reload");
		free(master_reload());
	}
	if (sig_take(SIGF_USR1)) {
		log_notice("received SIGUSR1: reopening the log files");
		if (log_reopen() == -1)
			log_error("cannot reopen the error log %s: %s",
			    log_file(), file_error(errno));
		if (access_reopen() == -1)
			log_error("cannot reopen the access log %s: %s",
			    access_file(), file_error(errno));
		master_forward(SIGUSR1);
	}
	if (sig_take(SIGF_WINCH)) {
		log_notice("received SIGWINCH: stopping all workers "
		    "gracefully; the master keeps the sockets (HUP or TTIN "
		    "brings the workers back)");
		m.paused = 1;
		master_signal_all(SIGQUIT);
	}
	if ((signo = sig_take(SIGF_TTIN)) != 0)
		master_resize(signo, +1);
	if ((signo = sig_take(SIGF_TTOU)) != 0)
		master_resize(signo, -1);
	if (sig_take(SIGF_USR2))
		master_upgrade();
}

/* master_log_listeners - one line per socket: protocol, address, fd. */
static void
master_log_listeners(void)
{
	char desc[ADDR_TEXT_MAX], extra[96];
	const struct listener *l;
	size_t i, j;

	for (i = 0; i < m.nsvc; i++) {
		for (j = 0; j < m.svc[i].nlisteners; j++) {
			l = &m.svc[i].listeners[j];
			extra[0] = '\0';
			if (l->addr.proto == PROTO_UNIX)
				snprintf(extra, sizeof(extra), ", mode %04o",
				    (unsigned)m.svc[i].conf->unix_mode);
			else if (addr_port((const struct sockaddr *)
			    &l->addr.ss) == 0)
				snprintf(extra, sizeof(extra), "; port 0 in "
				    "the config, chosen by the kernel");
			else if (l->addr.wildcard &&
			    l->bound.ss.ss_family == AF_INET6)
				snprintf(extra, sizeof(extra), ", v4 and v6");
			log_notice("service %s: listening on %s (fd %d%s)",
			    m.svc[i].conf->name, listen_describe(l, desc,
			    sizeof(desc)), l->fd, extra);
		}
	}
}

/* master_services - the runtime table of conf's services, on listeners. */
static struct service *
master_services(const struct conf *conf, struct listener **listeners)
{
	const struct conf_service *cs;
	struct service *svc;
	size_t i;

	if ((svc = calloc(conf->nservices, sizeof(*svc))) == NULL)
		return NULL;
	for (i = 0; i < conf->nservices; i++) {
		cs = &conf->services[i];
		svc[i].conf = cs;
		svc[i].listeners = listeners[i];
		svc[i].nlisteners = cs->nlisten;
		svc[i].want = cs->workers;
		svc[i].min_spare = cs->min_spare;
		svc[i].max_spare = cs->max_spare;
		svc[i].pool.spawn_rate = 1;
	}
	return svc;
}

/* master_setup - the runtime tables, the scoreboard and the alive pipe. */
static int
master_setup(struct conf *conf, struct listener **listeners)
{
	m.conf = conf;
	m.pid = getpid();
	m.generation = 1;
	m.nsvc = conf->nservices;
	m.start_ms = now_ms();
	clock_gettime(CLOCK_REALTIME, &m.started);
	if ((m.svc = master_services(conf, listeners)) == NULL)
		return -1;
	free(listeners);
	if (scoreboard_create(&m.sb, SCOREBOARD_SLOTS) == -1 ||
	    proc_init(&m.pt, SCOREBOARD_SLOTS) == -1)
		return -1;
	if (pipe(m.alive) == -1)
		return -1;
	fcntl(m.alive[0], F_SETFD, FD_CLOEXEC);
	fcntl(m.alive[1], F_SETFD, FD_CLOEXEC);
	return sig_init(SIG_ROLE_MASTER);
}

/* master_status - the status report (text or JSON), for the control socket. */
char *
master_status(int json)
{
	struct status_view v;

	v.conf = m.conf;
	v.conf_path = m.conf_path;
	v.svc = m.svc;
	v.nsvc = m.nsvc;
	v.sb = &m.sb;
	v.pt = &m.pt;
	v.pid = m.pid;
	v.generation = m.generation;
	v.started = m.started;
	v.start_ms = m.start_ms;
	v.paused = m.paused;
	v.stopping = m.state != RUNNING;
	return status_render(&v, json);
}

/*
 * master_run - run until stopped.  The listeners are already bound (and
 * the process daemonized); this starts the pools, writes the pid file as
 * the readiness signal, and returns the exit status.
 */
int
master_run(struct conf *conf, struct listener **listeners, int foreground,
    const char *conf_path, const char *start_dir, pid_t predecessor)
{
	struct pollfd pfd[1 + 1 + CONTROL_CLIENTS_MAX];
	int64_t now, wait, timeout;
	int n, total = 0;
	size_t i;

	m.foreground = foreground;
	m.predecessor = predecessor;
	if ((m.conf_path = strdup(conf_path)) == NULL ||
	    (m.start_dir = strdup(start_dir)) == NULL) {
		log_error("out of memory");
		return EXIT_RUNTIME;
	}
	if (master_setup(conf, listeners) == -1) {
		log_error("cannot set up the master: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	master_log_listeners();
	wait = master_fill(now_ms());
	for (i = 0; i < m.nsvc; i++)
		total += m.svc[i].nworkers;
	if (daemon_pidfile_write() == -1) {
		log_error("cannot write the pid file %s: %s", conf->pid_file,
		    strerror(errno));
		master_signal_all(SIGKILL);
		master_stop_listeners(0);
		return EXIT_RUNTIME;
	}
	log_notice("ready: %zu services, %d workers, pid %ld", m.nsvc, total,
	    (long)m.pid);
	daemon_ready();
	/* After an upgrade, systemd must learn that we are the main process. */
	notify_send("MAINPID=%ld\nREADY=1\nSTATUS=running generation %u, "
	    "%d workers", (long)m.pid, m.generation, total);

	m.next_tick = now_ms() + 1000;
	for (;;) {
		now = now_ms();
		timeout = m.next_tick - now;
		if (m.state == RUNNING && wait >= 0 && wait < timeout)
			timeout = wait;
		if (m.state == STOPPING && !m.killed &&
		    m.deadline - now < timeout)
			timeout = m.deadline - now;
		if (timeout < 0)
			timeout = 0;
		pfd[0].fd = sig_fd();
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		n = control_pollfds(pfd + 1, 1 + CONTROL_CLIENTS_MAX);
		if (poll(pfd, (nfds_t)(1 + n), (int)timeout) > 0 &&
		    pfd[0].revents != 0)
			sig_drain();
		/* Every turn: a silent control client must go on time. */
		control_handle(pfd + 1, n);
		master_signals();

		now = now_ms();
		if (now >= m.next_tick) {
			master_tick(now);
			m.next_tick = now + 1000;
		}
		if (m.state == RUNNING) {
			wait = master_fill(now);
			master_retire_old(now);
			if (m.old != NULL)
				master_free_old();
			continue;
		}
		if (master_live() == 0)
			break;
		if (!m.killed && now >= m.deadline) {
			log_warning("%d workers still running after the stop "
			    "timeout; killing them", master_live());
			master_signal_all(SIGKILL);
			m.killed = 1;
		}
	}
	daemon_pidfile_remove();
	control_close();
	log_notice("exiting");
	master_free_old();
	scoreboard_destroy(&m.sb);
	proc_free(&m.pt);
	for (i = 0; i < m.nsvc; i++)
		free(m.svc[i].listeners);
	free(m.svc);
	conf_free(m.conf);
	free(m.conf_path);
	free(m.start_dir);
	return EXIT_OK;
}
