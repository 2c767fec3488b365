/*
 * shed.c - a full pool frees itself: with no idle worker left (a static
 * pool all busy, a dynamic one at max_workers) and connections waiting in
 * the listen queue, the master cuts the clients that hold a worker while
 * silent longer than io_timeout_busy, or slower than min_rate after it,
 * longest silent first, as many as are waiting.  A pool held by idle
 * connections frees itself within about io_timeout_busy, and a client
 * that keeps talking is left alone.
 *
 * Who is silent.  A worker stores its connection's byte count in its slot
 * on each read and write (conn.c: one store, no clock read); the master
 * samples every busy slot once a tick and notes, in its own memory
 * (struct shed_track), when the count last changed.  A program the exec
 * handler runs holds the connection alone: for it, the kernel's count is
 * asked by the connection's addresses (sockdiag.c).  Silence is thus
 * known to about a tick, and only ever underestimated.  Which to cut is
 * policy_shed()'s (policy.c), a pure function.
 *
 * How a client is cut.  The master sends the worker SIG_SHED (proc_kill,
 * its one kill()), and the process group of a program serving it SIGTERM
 * (checked first: spawn_descendants).  The worker's handler accepts the
 * request only from its master and only for a connection at least
 * io_timeout_busy old (a younger one is the next connection: the request
 * came late), then shuts the socket down: whatever the handler is blocked
 * in -- conn.c's read or write, a module's own poll or read -- returns at
 * once (end of stream, EPIPE), and conn.c's reads and writes, which retry
 * EINTR, stop retrying.  The access log says end=shed, the slot counts it
 * (CTR_SHED), and the master logs why.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "master.h"
#include "conn.h"

/* A connection told to go and still there is told again this much later. */
#define SHED_AGAIN_MS		5000
/* Lines a service's cuts take in the log per tick; the rest are counted. */
#define SHED_LOG_PER_TICK	10

/* ============================================================ worker === */

/*
 * The worker's side, written by the worker's main flow and read by the
 * handler: the connection that may be cut, armed last and disarmed first,
 * so that the handler never reads started or the fd half-written.
 */
static volatile sig_atomic_t	 shed_armed;
static volatile sig_atomic_t	 shed_fd = -1;	/* -1: handed on (exec) */
static volatile sig_atomic_t	 shed_done;	/* the master cut it */
static int64_t			 shed_started;	/* now_ms() at accept */
static int64_t			 shed_after_ms;	/* io_timeout_busy */
static uint64_t			 shed_key;	/* admit_service_key() */
static const struct listener	*shed_listener;	/* the connection's */

/*
 * shed_handler - SIG_SHED: the master asks to cut our client.  Taken from
 * the master alone: other workers and their programs run as the same user
 * and could send it too.  Taken only for a connection at least
 * io_timeout_busy old, since the master never cuts a younger one: the
 * request was for the connection before.  Signal context: everything
 * here is async-signal-safe (getppid, clock_gettime, shutdown, write).
 */
static void
shed_handler(int signo, siginfo_t *si, void *uc)
{
	int saved = errno;

	(void)signo;
	(void)uc;
	if (si != NULL && (si->si_code == SI_USER || si->si_code == SI_QUEUE) &&
	    si->si_pid == getppid() && shed_armed &&
	    now_ms() - shed_started >= shed_after_ms) {
		shed_done = 1;
		if (shed_fd != -1)
			(void)shutdown(shed_fd, SHUT_RDWR);
		sig_wake();
	}
	errno = saved;
}

/*
 * shed_worker_init - in a worker of a service (admit_service_key()
 * service) with io_timeout_busy (busy_ms, 0: none), take the master's
 * requests.  0, or -1 with errno.
 */
PF_START int
shed_worker_init(int busy_ms, uint64_t service)
{
	if (busy_ms <= 0)
		return 0;
	shed_after_ms = busy_ms;
	shed_key = service;
	return sig_catch_info(SIG_SHED, shed_handler);
}

/*
 * shed_arm - a connection on fd, accepted on l at started, may now be
 * cut.
 */
void
shed_arm(int fd, int64_t started, const struct listener *l)
{
	shed_armed = 0;
	shed_done = 0;
	shed_started = started;
	shed_listener = l;
	shed_fd = fd;
	shed_armed = 1;
}

/*
 * shed_slice_log - say why the worker cut c's client itself: at most a
 * line a second per worker (an attacker reconnecting at once would fill
 * the log otherwise), the others counted into the next.
 */
static void
shed_slice_log(const struct preforkd_conn *c, int waiting, int64_t now)
{
	static int64_t last;
	static unsigned long untold;
	char local[ADDR_TEXT_MAX], remote[ADDR_TEXT_MAX], busy[24], more[64];

	if (last != 0 && now - last < 1000) {
		untold++;
		return;
	}
	last = now;
	conn_addrs(c, 0, local, remote);
	more[0] = '\0';
	if (untold > 0)
		snprintf(more, sizeof(more), " (and %lu more cuts by this "
		    "worker not logged)", untold);
	untold = 0;
	log_info("service %s: cutting %s %s <- %s (worker %ld itself): silent "
	    "for %s s, over io_timeout_busy, while %d connection%s wait%s and "
	    "the service is on guard%s", c->service->name,
	    addr_proto_name(c->proto), local, remote, (long)getpid(),
	    time_seconds(busy, sizeof(busy), c->silent_ms), waiting,
	    waiting == 1 ? "" : "s", waiting == 1 ? "s" : "", more);
}

/*
 * shed_slice - the client of c has been silent for one more slice of
 * io_timeout_busy (c->slice_ms: the worker serves a service on guard in
 * slices, worker.c): whether to wait for it again (1), or not (0, errno
 * set): ETIMEDOUT when io_timeout is over, or, when connections wait on
 * its listener, ECONNABORTED: cut, as the master would at its next tick
 * (shed_cut() says so from then on), and the service stays on guard.
 * Only the silence of a blocked read or write counts: a handler that
 * computes is not silent.
 */
int
shed_slice(struct preforkd_conn *c)
{
	int64_t now;
	int waiting;

	c->silent_ms += c->slice_ms;
	if (c->io_timeout_ms > 0 && c->silent_ms >= c->io_timeout_ms) {
		errno = ETIMEDOUT;
		return 0;
	}
	if (!shed_armed || shed_listener == NULL ||
	    (waiting = listen_waiting(shed_listener)) == 0)
		return 1;
	now = now_ms();
	tarpit_guard(shed_key, now);
	shed_done = 1;
	(void)shutdown(c->fd, SHUT_RDWR);
	shed_slice_log(c, waiting, now);
	errno = ECONNABORTED;
	return 0;
}

/* shed_forget_fd - the worker no longer holds the socket (exec passed it). */
void
shed_forget_fd(void)
{
	shed_fd = -1;
}

/* shed_cut - whether the master cut the current connection. */
int
shed_cut(void)
{
	return shed_done;
}

/* shed_disarm - the connection is over: whether the master had cut it. */
int
shed_disarm(void)
{
	shed_armed = 0;
	shed_fd = -1;
	shed_listener = NULL;
	return shed_done;
}

/* ============================================================ master === */

/* A busy connection the master may cut, with where it is. */
struct shed_cand {
	struct policy_shed_conn	 c;
	size_t			 svc;		/* index in master.svc */
};

static struct shed_cand	*shed_cands;
static size_t		 shed_ncands_max;
static int		*shed_idle;		/* per service, this tick */
static int		*shed_pending;		/* cut, not gone yet */
static size_t		 shed_nsvc_max;

/* shed_svc_index - p's service in the current generation, or -1. */
static long
shed_svc_index(const struct proc *p)
{
	if (p->generation != master.generation)
		return -1;	/* an older one's: retiring */
	return (long)(p->svc - master.svc);
}

/*
 * shed_moved - the bytes the connection in r has moved: what the worker
 * counted, plus, while a program holds a TCP connection (the slot names
 * its process group), the kernel's count.  When that cannot be had, the
 * last value seen stands (unknown is not activity).
 */
static uint64_t
shed_moved(const struct proc *p, const struct slot_report *r)
{
	uint64_t kernel;

	if (r->group == 0 || r->proto != PROTO_TCP)
		return r->moved;
	if (sockdiag_tcp_moved((const struct sockaddr *)&r->local,
	    scoreboard_peer(r), &kernel) == -1)
		return p->shed.conn == r->busy_since ? p->shed.moved :
		    r->moved;
	return r->moved + kernel;
}

/* shed_track - note what worker p's connection (r, as read) has moved. */
static void
shed_track(struct proc *p, const struct slot_report *r, int64_t now)
{
	uint64_t moved;

	if (r->state != SLOT_BUSY || r->proto == PROTO_UDP) {
		p->shed.conn = 0;
		return;
	}
	moved = shed_moved(p, r);
	if (p->shed.conn != r->busy_since) {
		/* A new connection: silent since it came, if nothing moved. */
		p->shed.conn = r->busy_since;
		p->shed.moved = moved;
		p->shed.moved_at = moved == 0 ? r->busy_since : now;
		p->shed.asked_at = 0;
	} else if (moved != p->shed.moved) {
		p->shed.moved = moved;
		p->shed.moved_at = now;
	}
}

/*
 * shed_waiting - how many connections wait in s's listen queues: on Linux
 * a TCP listener's TCP_INFO says (tcpi_unacked is the accept queue's
 * length on a listening socket); elsewhere, and for unix listeners, a
 * readable listener counts as one.
 */
static int
shed_waiting(const struct service *s)
{
	size_t i;
	int n = 0;

	for (i = 0; i < s->nlisteners; i++)
		n += listen_waiting(&s->listeners[i]);
	return n;
}

/* shed_full - whether service s has no idle worker and may not grow. */
static int
shed_full(const struct service *s, int idle)
{
	return idle == 0 && (!s->conf->dynamic ||
	    s->tally->workers >= s->conf->max_workers);
}

/* shed_grow - room for n candidates; 0, or -1 (logged) out of memory. */
static int
shed_grow(size_t n)
{
	struct shed_cand *c;
	size_t want;

	if (n <= shed_ncands_max)
		return 0;
	want = n < 64 ? 64 : n * 2;
	if ((c = realloc(shed_cands, want * sizeof(*c))) == NULL) {
		log_error("shedding: out of memory for %zu connections", n);
		return -1;
	}
	shed_cands = c;
	shed_ncands_max = want;
	return 0;
}

/* shed_by_service - qsort: candidates grouped by service, in table order. */
static int
shed_by_service(const void *a, const void *b)
{
	const struct shed_cand *x = a, *y = b;

	if (x->svc != y->svc)
		return x->svc < y->svc ? -1 : 1;
	return x->c.id < y->c.id ? -1 : x->c.id > y->c.id;
}

/*
 * shed_log - why the client of worker p (its slot read as r) is cut, in
 * the error log.
 */
static void
shed_log(const struct service *s, const struct proc *p,
    const struct slot_report *r, const struct policy_shed_conn *c,
    int waiting)
{
	char local[ADDR_TEXT_MAX], remote[ADDR_TEXT_MAX], why[160], busy[24];

	scoreboard_client(r, local, remote, sizeof(local));
	if (c->why == SHED_SILENT)
		snprintf(why, sizeof(why), "silent for %lld.%lld s, over "
		    "io_timeout_busy %s s", (long long)(c->silent_ms / 1000),
		    (long long)(c->silent_ms % 1000 / 100),
		    time_seconds(busy, sizeof(busy),
		    s->conf->io_timeout_busy_ms));
	else
		snprintf(why, sizeof(why), "moved %llu bytes in %lld.%lld s, "
		    "under min_rate %d bytes/s after io_timeout_busy %s s",
		    (unsigned long long)c->moved,
		    (long long)(c->age_ms / 1000),
		    (long long)(c->age_ms % 1000 / 100), s->conf->min_rate,
		    time_seconds(busy, sizeof(busy),
		    s->conf->io_timeout_busy_ms));
	log_info("service %s: cutting %s %s <- %s (worker %ld): %s, while "
	    "%d connection%s wait%s and no worker is idle", s->conf->name,
	    addr_proto_name(r->proto), local, remote, (long)p->pid, why,
	    waiting, waiting == 1 ? "" : "s", waiting == 1 ? "s" : "");
}

/*
 * shed_service - service s is full and waiting connections wait: cut what
 * policy_shed() picks among its n candidates (c, its busy connections not
 * being cut already).
 */
static void
shed_service(struct service *s, struct shed_cand *c, size_t n, int waiting,
    int64_t now)
{
	struct policy_shed_conn *pc;
	struct slot_report r;
	struct proc *p;
	size_t i, cut;
	int logged = 0, untold = 0;

	if ((pc = malloc((n > 0 ? n : 1) * sizeof(*pc))) == NULL) {
		log_error("shedding: out of memory");
		return;
	}
	for (i = 0; i < n; i++)
		pc[i] = c[i].c;
	cut = policy_shed(pc, n, s->conf->io_timeout_busy_ms, s->conf->min_rate,
	    waiting - shed_pending[c[0].svc]);
	for (i = 0; i < cut; i++) {
		p = &master.pt.procs[pc[i].id];
		if (p->pid <= 0 || master_report(p, now, &r) == -1 ||
		    r.state != SLOT_BUSY || r.busy_since != p->shed.conn)
			continue;	/* gone meanwhile */
		if (p->shed.asked_at == 0) {
			if (logged < SHED_LOG_PER_TICK) {
				shed_log(s, p, &r, &pc[i], waiting);
				logged++;
			} else
				untold++;
		}
		p->shed.asked_at = now;
		(void)proc_kill(&master.pt, p, SIG_SHED);
		if (r.group != 0)
			spawn_descendants(p, &r, SIGTERM);
	}
	if (untold > 0)
		log_info("service %s: cutting %d more clients, not logged one "
		    "by one", s->conf->name, untold);
	free(pc);
}

/* shed_tables - the per-service counts, zeroed; 0, or -1 (logged). */
static int
shed_tables(void)
{
	int *a, *b;

	if (master.nsvc > shed_nsvc_max) {
		a = realloc(shed_idle, master.nsvc * sizeof(*a));
		if (a != NULL)
			shed_idle = a;
		b = realloc(shed_pending, master.nsvc * sizeof(*b));
		if (b != NULL)
			shed_pending = b;
		if (a == NULL || b == NULL) {
			log_error("shedding: out of memory");
			return -1;
		}
		shed_nsvc_max = master.nsvc;
	}
	memset(shed_idle, 0, master.nsvc * sizeof(*shed_idle));
	memset(shed_pending, 0, master.nsvc * sizeof(*shed_pending));
	return 0;
}

/*
 * shed_tick - once a tick: sample every busy connection of the services
 * that shed, and in each of them that is full with connections waiting,
 * cut what the policy says.  Nothing at all for a configuration without
 * io_timeout_busy.
 */
void
shed_tick(int64_t now)
{
	struct slot_report r;
	struct service *s;
	struct proc *p;
	size_t i, j, k, n = 0;
	long si;
	int any = 0, waiting;

	for (k = 0; k < master.nsvc; k++)
		if (master.svc[k].conf->io_timeout_busy_ms > 0)
			any = 1;
	if (!any || shed_tables() == -1)
		return;
	for (i = 0; (p = proc_next(&master.pt, &i)) != NULL;) {
		if ((si = shed_svc_index(p)) < 0 ||
		    master.svc[si].conf->io_timeout_busy_ms == 0)
			continue;
		if (p->retiring || master_report(p, now, &r) == -1) {
			p->shed.conn = 0;
			continue;
		}
		if (r.state == SLOT_IDLE || r.state == SLOT_STARTING)
			shed_idle[si]++;
		shed_track(p, &r, now);
		if (p->shed.conn == 0)
			continue;
		if (p->shed.asked_at != 0 && now - p->shed.asked_at <
		    SHED_AGAIN_MS) {
			shed_pending[si]++;
			continue;
		}
		if (shed_grow(n + 1) == -1)
			return;
		shed_cands[n].svc = (size_t)si;
		shed_cands[n].c.silent_ms = now - p->shed.moved_at;
		shed_cands[n].c.age_ms = now - p->shed.conn;
		shed_cands[n].c.moved = p->shed.moved;
		shed_cands[n].c.id = proc_index(&master.pt, p);
		shed_cands[n].c.why = SHED_KEEP;
		n++;
	}
	if (master.state != MASTER_RUNNING || master.paused || n == 0)
		return;
	qsort(shed_cands, n, sizeof(*shed_cands), shed_by_service);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && shed_cands[j].svc == shed_cands[i].svc;
		    j++)
			;
		s = &master.svc[shed_cands[i].svc];
		if (!shed_full(s, shed_idle[shed_cands[i].svc]) ||
		    (waiting = shed_waiting(s)) == 0)
			continue;
		/* Its workers hold suspects and serve in slices (tarpit.c). */
		tarpit_guard(admit_service_key(s->conf->name), now);
		shed_service(s, &shed_cands[i], j - i, waiting, now);
	}
}
