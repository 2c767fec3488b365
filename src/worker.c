/*
 * worker.c - a worker process: drop privileges, then wait for a connection
 * (or a datagram) on its service's listening sockets, serve it with the
 * service's handler, and go back to waiting; until told to stop or until
 * its master dies.
 *
 * How workers wait, and the thundering herd.  All workers of a service
 * share its listening sockets.  When the service has a single listener
 * (the common case), the master leaves that socket blocking (listen.c)
 * and an idle worker sleeps in accept() itself, or for UDP in recvmmsg():
 * Linux queues such sleepers as exclusive waiters and wakes exactly one
 * per connection or datagram, and under load each call returns at once,
 * one system call per connection (per batch of datagrams) as in a minimal
 * preforking server.  QUIT and USR1 interrupt that call (their handlers
 * are installed without SA_RESTART), and the kernel's parent-death signal
 * ends a worker whose master died.
 *
 * With several listeners a worker cannot block in one call: the
 * sockets are non-blocking, a worker first tries accept() (recvfrom()) on
 * each, and only when none has anything sleeps in one epoll_wait() over
 * all of them plus its self-pipe and the master's pipe.  Each listener is
 * registered with EPOLLEXCLUSIVE, so a connection wakes one idle worker (or
 * a few), not the pool; one that wakes to find the connection taken gets
 * EAGAIN and sleeps again, so no worker spins.  Without epoll the same loop
 * runs on poll(), which wakes every idle worker: correct, less frugal.
 *
 * UDP: a worker takes what is queued on a UDP listener up to BATCH_MAX
 * datagrams at once (batch.c; recvmmsg() with MSG_WAITFORONE sleeps for
 * the first only) and serves them one by one as before; on a non-blocking
 * listener, a batch that emptied the queue sends it straight back to its
 * wait.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#ifdef HAVE_SYS_EPOLL_H
#include <sys/epoll.h>
#endif
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif
#include <sys/time.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "conn.h"
#include "proxy.h"
#include "handlers/builtin.h"

/* Tags of the non-listener descriptors in the wait set. */
#define WAIT_SIG	(-1)
#define WAIT_MASTER	(-2)

static struct worker_ctx	*ctx PF_HOT_DATA;
static size_t			 next_listener PF_HOT_DATA; /* round robin */
static int			 request_limit PF_HOT_DATA; /* max_requests,
							       jittered */
static int			 batch_max PF_HOT_DATA;	/* per recvmmsg() */
static uint64_t			 service_key PF_HOT_DATA; /* admit_...key() */

/* What worker_admit() makes of a connection. */
enum {
	WORKER_REFUSED,
	WORKER_SERVE,
	WORKER_HELD,
};

#ifdef HAVE_EPOLL_CREATE1
static int			 wait_fd PF_HOT_DATA = -1;
/* Listener i is in the wait set. */
static unsigned char		 wait_added[LISTEN_PER_SERVICE_MAX] PF_HOT_DATA;
#else
static struct pollfd		*wait_pfd;
static size_t			 wait_npfd;
#endif

/*
 * worker_report_group - tell the master the process group our descendants
 * run in (a handler's program, reported through the module API's
 * report_group: conn.c), or 0 when none; the master stops it with a hung
 * worker, once it has checked the group is ours (proc.c).  -1 (ENOTSUP)
 * outside a worker.
 */
int
worker_report_group(pid_t pgid)
{
	if (ctx == NULL) {
		errno = ENOTSUP;
		return -1;
	}
	ctx->slot->group = pgid;
	return 0;
}

/*
 * worker_report_exec - we exec a program now (exec mode "worker"), which
 * cannot write the slot itself: the master counts it ready a second on.
 */
void
worker_report_exec(void)
{
	ctx->slot->exec_at = now_ms();
}

/* worker_exit - leave cleanly: the handler's goodbye, then exit status. */
static void __attribute__((noreturn))
worker_exit(int status)
{
	ctx->slot->state = SLOT_EXITING;
	/* The replies of the last datagrams served (max_requests). */
	if (batch_pending() > 0)
		batch_flush();
	if (ctx->service->handler->worker_stop != NULL)
		ctx->service->handler->worker_stop(&ctx->service->view);
	/*
	 * A module's worker ends through exit(), for the module's own
	 * destructors and atexit() handlers.  Others have nothing for them
	 * to do (preforkd registers none and writes through no stdio
	 * buffer): _exit() spares each of the thousands of workers a reload
	 * retires the walk of every library's destructors, and the faults
	 * on code and data it had never touched.
	 */
	if (ctx->service->module_path != NULL)
		exit(status);
	_exit(status);
}

/*
 * worker_watch_master - die with the master.  On Linux the kernel sends us
 * TERM when the master goes (set after the privilege drop, which clears
 * it); the master's pipe in the wait set covers the idle case everywhere.
 */
PF_START static void
worker_watch_master(void)
{
#if defined(HAVE_PRCTL) && defined(PR_SET_PDEATHSIG)
	prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
	if (getppid() != ctx->master_pid)
		_exit(EXIT_RUNTIME);
}

#ifdef HAVE_EPOLL_CREATE1
static int
worker_wait_add(int fd, long tag, int exclusive)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
#ifdef EPOLLEXCLUSIVE
	if (exclusive)
		ev.events |= EPOLLEXCLUSIVE;
#else
	(void)exclusive;
#endif
	ev.data.u64 = (uint64_t)tag;
	return epoll_ctl(wait_fd, EPOLL_CTL_ADD, fd, &ev);
}

/*
 * worker_wait_open - the wait set, with the self-pipe and the master's
 * pipe in it, made when first needed: a worker that only ever sleeps in
 * accept() (its service's one stream listener) never makes one, which
 * spares each worker's start three system calls and its kernel an epoll
 * instance.  0, or -1 with errno.
 */
static int
worker_wait_open(void)
{
	int sfd;

	if (wait_fd != -1)
		return 0;
	if ((sfd = sig_fd()) == -1 ||
	    (wait_fd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	if (worker_wait_add(sfd, WAIT_SIG, 0) == -1 ||
	    worker_wait_add(ctx->master_fd, WAIT_MASTER, 0) == -1) {
		close(wait_fd);
		wait_fd = -1;
		return -1;
	}
	return 0;
}

/*
 * worker_wait_need - wait in epoll on listener i from now on.  A blocking
 * listener (a service's only stream socket, listen.c) is left out until it
 * says EAGAIN: its workers sleep in accept() itself, and a socket in no
 * epoll set costs nothing per connection, where one in every idle and busy
 * worker's set would walk all their wait entries on each connection.
 */
PF_START static int
worker_wait_need(size_t i)
{
	if (wait_added[i])
		return 0;
	if (worker_wait_open() == -1)
		return -1;
	wait_added[i] = 1;
	return worker_wait_add(ctx->listeners[i].fd, (long)i, 1);
}

/* worker_wait_has - is listener i in the wait set? */
static int
worker_wait_has(size_t i)
{
	return wait_added[i];
}

PF_START static int
worker_wait_init(void)
{
	size_t i;
	int fl;

	if (ctx->nlisteners > LISTEN_PER_SERVICE_MAX) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < ctx->nlisteners; i++) {
		fl = fcntl(ctx->listeners[i].fd, F_GETFL);
		if (fl != -1 && (fl & O_NONBLOCK) == 0)
			continue;
		if (worker_wait_need(i) == -1)
			return -1;
	}
	return 0;
}

/* worker_wait_drop - stop waiting on a listener that can no longer accept. */
static void
worker_wait_drop(size_t i)
{
	if (wait_added[i])
		epoll_ctl(wait_fd, EPOLL_CTL_DEL, ctx->listeners[i].fd, NULL);
	wait_added[i] = 0;
}

/*
 * worker_wait - sleep until something is ready; flags what woke us, and
 * counts the listeners that did (*ready).
 */
static void
worker_wait(int *sig, int *master, int *ready)
{
	struct epoll_event ev[16];
	int i, n;

	/* Only after an EAGAIN, which opened it; but never spin on -1. */
	if (worker_wait_open() == -1) {
		log_error("cannot set up the wait for connections: %s",
		    strerror(errno));
		(void)poll(NULL, 0, WORKER_PAUSE_MS);
		return;
	}
	n = epoll_wait(wait_fd, ev, 16, -1);
	for (i = 0; i < n; i++) {
		if ((long)ev[i].data.u64 == WAIT_SIG)
			*sig = 1;
		else if ((long)ev[i].data.u64 == WAIT_MASTER)
			*master = 1;
		else
			(*ready)++;
	}
}
#else
PF_START static int
worker_wait_init(void)
{
	size_t i;

	wait_npfd = ctx->nlisteners + 2;
	if ((wait_pfd = calloc(wait_npfd, sizeof(*wait_pfd))) == NULL)
		return -1;
	for (i = 0; i < ctx->nlisteners; i++)
		wait_pfd[i].fd = ctx->listeners[i].fd;
	wait_pfd[i++].fd = sig_fd();
	wait_pfd[i].fd = ctx->master_fd;
	for (i = 0; i < wait_npfd; i++)
		wait_pfd[i].events = POLLIN;
	return 0;
}

PF_START static int
worker_wait_need(size_t i)
{
	(void)i;	/* poll() always watches every listener */
	return 0;
}

static int
worker_wait_has(size_t i)
{
	return wait_pfd[i].fd != -1;
}

static void
worker_wait_drop(size_t i)
{
	wait_pfd[i].fd = -1;
}

static void
worker_wait(int *sig, int *master, int *ready)
{
	size_t n = ctx->nlisteners;

	/* poll() wakes every idle worker: none owes anyone a connection. */
	*ready = 0;
	if (poll(wait_pfd, wait_npfd, -1) <= 0)
		return;
	if (wait_pfd[n].revents != 0)
		*sig = 1;
	if (wait_pfd[n + 1].revents != 0)
		*master = 1;
}
#endif

/* worker_conn_init - the 5-tuple's local half, from the listener if exact. */
PF_HOT static void
worker_conn_init(struct preforkd_conn *c, const struct listener *l, int fd)
{
	const struct sockaddr *b = (const struct sockaddr *)&l->bound.ss;
	int any = 0;

	c->fd = fd;
	c->proto = l->addr.proto;
	c->service = &ctx->service->view;
	c->api = &conn_api;
	c->exec_status = -1;
	c->bytes_in = c->bytes_out = 0;
	c->io_timeout_ms = ctx->service->io_timeout * 1000;
	c->end = CONN_CLOSED;
	c->batched = 0;
	c->started = now_ms();
	c->peer_cred_ok = 0;
	c->slice_ms = 0;
	c->silent_ms = 0;
	c->vialen = c->reachedlen = 0;
	/* Only the master's shedding reads it: no store per read without. */
	c->moved = ctx->service->io_timeout_busy_ms > 0 ? &ctx->slot->moved :
	    NULL;
	if (b->sa_family == AF_INET)
		any = ((const struct sockaddr_in *)b)->sin_addr.s_addr ==
		    htonl(INADDR_ANY);
	else if (b->sa_family == AF_INET6)
		any = memcmp(&((const struct sockaddr_in6 *)b)->sin6_addr,
		    &in6addr_any, sizeof(in6addr_any)) == 0;
	if (any && c->proto == PROTO_TCP) {
		/* Bound to every address: ask which one the client reached. */
		c->locallen = sizeof(c->local);
		if (getsockname(fd, (struct sockaddr *)&c->local,
		    &c->locallen) == 0)
			return;
	}
	memcpy(&c->local, &l->bound.ss, l->bound.sslen);
	c->locallen = l->bound.sslen;
}

/* worker_log_conn - what happened to a connection, with its 5-tuple. */
static void
worker_log_conn(const struct preforkd_conn *c, int level, const char *what)
{
	char local[ADDR_TEXT_MAX], remote[CONN_REMOTE_TEXT_MAX];

	conn_addrs(c, 1, local, remote);
	if (c->bytes_in == CONN_BYTES_UNKNOWN)
		log_msg(level, "%s %s %s <- %s", what,
		    addr_proto_name(c->proto), local, remote);
	else
		log_msg(level, "%s %s %s <- %s, %llu bytes in, %llu bytes "
		    "out", what, addr_proto_name(c->proto), local, remote,
		    (unsigned long long)c->bytes_in,
		    (unsigned long long)c->bytes_out);
}

/*
 * worker_refuse - admission control refused c (admit.c) for why, with end:
 * count it, write its access-log line, and say so in the error log, at
 * most once a second per source.  The caller closes a connection; a
 * datagram is just not answered.
 */
static void
worker_refuse(struct preforkd_conn *c, int end, const char *why)
{
	char local[ADDR_TEXT_MAX], remote[ADDR_TEXT_MAX];
	struct admit_source src;
	uint64_t untold;

	c->end = end;
	ctx->slot->count[admit_counter(end)]++;
	access_write(c, c->started);
	if (!log_would(LL_INFO))
		return;
	admit_source((const struct sockaddr *)&c->remote, c->remotelen, 128,
	    c->peer_cred_ok ? c->peer_uid : 0, &src);
	if (!admit_log_due(&src, c->started, &untold))
		return;
	conn_addrs(c, 0, local, remote);
	if (untold > 0)
		log_info("service %s: %s %s <- %s refused: %s (and %llu more "
		    "refusals by this worker not logged)", ctx->service->name,
		    addr_proto_name(c->proto), local, remote, why,
		    (unsigned long long)untold);
	else
		log_info("service %s: %s %s <- %s refused: %s",
		    ctx->service->name, addr_proto_name(c->proto), local,
		    remote, why);
}

/*
 * worker_source - c's source as a service that sheds sees it (tarpit.c).
 */
static void
worker_source(const struct preforkd_conn *c, struct admit_source *src)
{
	admit_source((const struct sockaddr *)&c->remote, c->remotelen,
	    ctx->service->source_prefix6, 0, src);
}

/*
 * worker_suspect - whether c, accepted on l, comes from a source whose
 * connection was cut lately for holding a worker while silent
 * (io_timeout_busy), while connections wait on l: then it is held, not
 * served (tarpit.c).  Only TCP: the queue is known there.  The cost for
 * others: a table look-up, in a service that sheds.
 */
static int
worker_suspect(const struct preforkd_conn *c, const struct listener *l)
{
	struct admit_source src;

	if (ctx->service->io_timeout_busy_ms == 0 || c->proto != PROTO_TCP)
		return 0;
	worker_source(c, &src);
	if (!tarpit_suspect(service_key, &src, c->started) ||
	    listen_waiting(l) == 0)
		return 0;
	/* Still at it while others wait: suspect, on guard, for longer. */
	tarpit_mark(service_key, &src, c->started);
	tarpit_guard(service_key, c->started);
	return 1;
}

/*
 * worker_slice - a connection to a built-in service on guard (tarpit.c)
 * is served in slices of io_timeout_busy: its socket's SO_RCVTIMEO and
 * SO_SNDTIMEO are one slice, and after each silent one shed_slice() cuts
 * it if connections wait.  Not a program's (exec) or a module's socket,
 * which read it themselves: the master's tick cuts those (shed.c).  Two
 * system calls a connection, on guard only; none when they fail (the
 * master's tick still cuts it).
 */
static void
worker_slice(struct preforkd_conn *c)
{
	const struct conf_service *s = ctx->service;
	struct timeval tv;

	if (s->io_timeout_busy_ms == 0 || c->proto != PROTO_TCP ||
	    s->exec != NULL || s->module_path != NULL ||
	    !tarpit_guarded(service_key, c->started))
		return;
	tv.tv_sec = s->io_timeout_busy_ms / 1000;
	tv.tv_usec = (suseconds_t)(s->io_timeout_busy_ms % 1000) * 1000;
	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		return;
	c->slice_ms = s->io_timeout_busy_ms;
}

static void	 worker_busy(struct preforkd_conn *);

/*
 * worker_unbusy - a connection refused before it was served: the slot
 * idle again, if worker_proxy() showed it busy while reading the header.
 */
static void
worker_unbusy(void)
{
	if (ctx->service->proxy_protocol != 0)
		ctx->slot->state = SLOT_IDLE;
}

/*
 * worker_proxy - the PROXY header of stream connection c, on a service
 * with proxy_protocol: only a balancer of proxy_from may send one, and
 * must, within proxy_timeout.  Read, c->remote becomes the client it
 * names and c->via the balancer (c->reached the address the client
 * reached); LOCAL and UNKNOWN leave c the balancer's own connection (a
 * health check), counted.  CONN_CLOSED to go on to admission control,
 * else the end to refuse c with and why.  While the header is read the
 * slot shows the balancer busy, and the master's shedding may cut it.
 */
static int
worker_proxy(struct preforkd_conn *c, const char **why)
{
	static char text[256];
	const struct conf_service *svc = ctx->service;
	struct proxy_header h;
	char peer[64];
	int i;

	if ((i = admit_match(&svc->proxy_from, c, peer, sizeof(peer))) < 0) {
		if (i == -2)
			snprintf(text, sizeof(text), "not known to be a "
			    "balancer: cannot read the peer's credentials: "
			    "getsockopt %s: %s", c->peer_cred_ok ?
			    "SO_PEERGROUPS" : "SO_PEERCRED", strerror(errno));
		else
			snprintf(text, sizeof(text), "not a balancer of "
			    "proxy_from%s, so it may not send a PROXY header, "
			    "and this service takes none without", peer);
		*why = text;
		return CONN_PROXY_ERROR;
	}
	worker_busy(c);
	if (svc->io_timeout_busy_ms > 0)
		shed_arm(c->fd, c->started, NULL);
	if (proxy_read(c->fd, svc->proxy_protocol, c->started +
	    (int64_t)svc->proxy_timeout * 1000, &h, text, sizeof(text)) < 0) {
		*why = text;
		if (shed_disarm()) {
			*why = "cut while its PROXY header was due, to free a "
			    "full pool (io_timeout_busy)";
			return CONN_SHED;
		}
		return CONN_PROXY_ERROR;
	}
	(void)shed_disarm();
	if (h.local) {
		ctx->slot->count[CTR_PROXY_LOCAL]++;
		return CONN_CLOSED;
	}
	memcpy(&c->via, &c->remote, sizeof(c->via));
	c->vialen = c->remotelen;
	memcpy(&c->remote, &h.src, sizeof(c->remote));
	c->remotelen = h.srclen;
	memcpy(&c->reached, &h.dst, sizeof(c->reached));
	c->reachedlen = h.dstlen;
	return CONN_CLOSED;
}

/*
 * worker_admit - a connection (or datagram) was taken on l as fd: fill in
 * its 5-tuple and ask admission control whether to serve it.
 * WORKER_SERVE to serve it, WORKER_REFUSED when refused (counted and
 * logged; the caller closes a connection), WORKER_HELD when it is to be
 * held unserved (tarpit.c; counted as shed).
 */
PF_HOT static int
worker_admit(struct preforkd_conn *c, const struct listener *l, int fd)
{
	const char *why;
	int end;

	worker_conn_init(c, l, fd);
	/* Only a service that sheds holds sockets (tarpit.c). */
	if (ctx->service->io_timeout_busy_ms > 0)
		tarpit_expire(c->started);
	/* The real client first: admission control applies to it. */
	if (ctx->service->proxy_protocol != 0 && c->proto != PROTO_UDP &&
	    (end = worker_proxy(c, &why)) != CONN_CLOSED) {
		worker_refuse(c, end, why);
		return WORKER_REFUSED;
	}
	if ((end = admit_check(ctx->service, c, &why)) != CONN_CLOSED) {
		worker_refuse(c, end, why);
		return WORKER_REFUSED;
	}
	if (!worker_suspect(c, l))
		return WORKER_SERVE;
	admit_done();
	worker_refuse(c, CONN_SHED, "held without a worker: a connection of "
	    "this source was cut for silence (io_timeout_busy) within a "
	    "minute, and clients are waiting");
	return WORKER_HELD;
}

/*
 * worker_busy - an admitted connection: publish its 5-tuple in our
 * scoreboard slot, where the master and the status see it.
 */
PF_HOT static void
worker_busy(struct preforkd_conn *c)
{
	struct slot *slot = ctx->slot;

	slot->busy_since = c->started;
	slot->moved = 0;
	slot->proto = c->proto;
	slot->locallen = c->locallen;
	memcpy(&slot->local, &c->local, c->locallen);
	slot->remotelen = c->remotelen;
	memcpy(&slot->remote, &c->remote, c->remotelen);
	slot->vialen = c->vialen;
	if (c->vialen > 0)
		memcpy(&slot->via, &c->via, c->vialen);
	slot->state = SLOT_BUSY;
}

/*
 * worker_idle - the connection is over: count it, log it, and recycle the
 * worker once it has served its share (max_requests).
 */
PF_HOT static void
worker_idle(struct preforkd_conn *c)
{
	struct slot *slot = ctx->slot;
	int64_t ms = -1;

	admit_done();
	/* Bytes and the duration histogram: one add each, at the end, and
	 * before served, so that a scrape that sees it served sees them. */
	if (c->proto != PROTO_UDP && (ms = now_ms() - c->started) < 0)
		ms = 0;
	scoreboard_count_end(slot, ms, c->bytes_in, c->bytes_out);
	slot->count[CTR_SERVED]++;
	if (c->end == CONN_TIMEOUT) {
		slot->count[CTR_IO_TIMEOUTS]++;
		if (log_would(LL_INFO))
			worker_log_conn(c, LL_INFO, "io_timeout: disconnected "
			    "a silent client:");
	} else if (c->end == CONN_SHED)
		slot->count[CTR_SHED]++;	/* the master logged why */
	access_write(c, slot->busy_since);
	/* Lines lost to a full disk, for the status: stored only on change. */
	if (slot->count[CTR_ACCESS_LOST] != access_lost())
		slot->count[CTR_ACCESS_LOST] = access_lost();
	if (log_would(LL_DEBUG))
		worker_log_conn(c, LL_DEBUG, c->proto == PROTO_UDP ?
		    "answered" : "served");
	if (request_limit > 0 &&
	    slot->count[CTR_SERVED] >= (uint64_t)request_limit) {
		log_info("served %llu connections (max_requests); exiting to "
		    "be replaced", (unsigned long long)slot->count[CTR_SERVED]);
		worker_exit(EXIT_OK);
	}
	slot->state = SLOT_IDLE;
}

/*
 * worker_next_after - what a worker does once accept() (or recvfrom()) on
 * a listener failed with error; blocking: its idle workers sleep in
 * accept() on it (listen.c).  Whatever passes goes back to the very wait
 * it came from: a worker must never end up asleep where no connection can
 * wake it, as one did once in epoll_wait() on a set that never held its
 * blocking listener.
 */
enum worker_next
worker_next_after(int error, int blocking)
{
	switch (error) {
	case EAGAIN:
#if EAGAIN != EWOULDBLOCK
	case EWOULDBLOCK:
#endif
		/* Blocking, it means io_timeout's SO_RCVTIMEO ran out. */
		return blocking ? WORKER_NEXT_AGAIN : WORKER_NEXT_WAIT;
	case EINTR:		/* a signal; SIGSTOP then SIGCONT too */
	case ECONNABORTED:	/* the client left before we took it */
	case EPROTO:
	/* Linux hands over the pending connection's network error (accept(2)). */
	case ENETDOWN:
	case ENOPROTOOPT:
	case EHOSTDOWN:
#ifdef ENONET
	case ENONET:
#endif
	case EHOSTUNREACH:
	case EOPNOTSUPP:
	case ENETUNREACH:
	case ECONNREFUSED:	/* an ICMP error on a UDP socket */
		return WORKER_NEXT_AGAIN;
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
		return WORKER_NEXT_PAUSE;
	case EINVAL:
		/* Not listening: shut down by the master's graceful stop. */
		return WORKER_NEXT_DEAD;
	default:
		/* An LSM's EPERM, a descriptor gone bad: nothing to wait for. */
		return WORKER_NEXT_EXIT;
	}
}

/* worker_accept_error - act on a failed accept() or recvfrom() on listener i. */
static enum worker_next
worker_accept_error(size_t i, int error)
{
	static int64_t logged;
	static uint64_t pauses;
	struct listener *l = &ctx->listeners[i];
	char desc[ADDR_TEXT_MAX];
	enum worker_next next;
	int fl = -1;

	/*
	 * EAGAIN is the common case with several listeners: no system call
	 * more for one already in the wait set.  One outside it was left
	 * blocking, unless a reload has made it non-blocking since.
	 */
	if ((error == EAGAIN || error == EWOULDBLOCK) && !worker_wait_has(i))
		fl = fcntl(l->fd, F_GETFL);
	next = worker_next_after(error, fl != -1 && (fl & O_NONBLOCK) == 0);
	/* Not an error: nothing there, a signal, a stop's shutdown. */
	if (error != EAGAIN && error != EWOULDBLOCK && error != EINTR &&
	    next != WORKER_NEXT_DEAD)
		ctx->slot->count[CTR_ACCEPT_ERRORS]++;
	switch (next) {
	case WORKER_NEXT_WAIT:
		/* Non-blocking: wait on it. */
		if (worker_wait_need(i) == -1) {
			log_error("cannot wait on %s: %s; exiting "
			    "to be replaced", listen_describe(l, desc,
			    sizeof(desc)), strerror(errno));
			return WORKER_NEXT_EXIT;
		}
		break;
	case WORKER_NEXT_AGAIN:
		/* A signal also wrote to the self-pipe, read in no wait. */
		if (error == EINTR)
			sig_drain();
		break;
	case WORKER_NEXT_PAUSE:
		/* Out of resources: say so, once a second at most. */
		pauses++;
		if (time_every(&logged, 1000))
			log_error("accept on %s: %s; not accepting for %d ms "
			    "(%llu times in this worker)", listen_describe(l,
			    desc, sizeof(desc)), strerror(error),
			    WORKER_PAUSE_MS, (unsigned long long)pauses);
		break;
	case WORKER_NEXT_DEAD:
		log_debug("accept on %s: %s; no longer waiting on it",
		    listen_describe(l, desc, sizeof(desc)), strerror(error));
		worker_wait_drop(i);
		break;
	case WORKER_NEXT_EXIT:
		log_error("accept on %s: %s; exiting to be replaced",
		    listen_describe(l, desc, sizeof(desc)), strerror(error));
		break;
	}
	return next;
}

/*
 * worker_pause - stop accepting for ms (out of descriptors, say), as
 * "paused", not idle: this worker waits on no listener.  Signals and the
 * master's death still end the pause.
 */
static void
worker_pause(int ms)
{
	struct pollfd pfd[2];
	int64_t until = now_ms() + ms, left;

	ctx->slot->state = SLOT_PAUSED;
	pfd[0].fd = sig_fd();
	pfd[1].fd = ctx->master_fd;
	pfd[0].events = pfd[1].events = POLLIN;
	while (!sig_quit_requested() && (left = until - now_ms()) > 0) {
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, (int)left) <= 0)
			continue;
		if (pfd[0].revents != 0)
			sig_drain();
		if (pfd[1].revents != 0) {
			log_warning("the master is gone; exiting");
			_exit(EXIT_RUNTIME);
		}
	}
	ctx->slot->state = SLOT_IDLE;
}

/*
 * worker_unix_timeouts - io_timeout on an accepted unix connection.  TCP
 * connections inherit their listener's SO_RCVTIMEO and SO_SNDTIMEO
 * (listen.c); Linux does not copy them from a unix listener, so they are
 * set here, for unix connections only: no system call more per TCP one.
 */
static int
worker_unix_timeouts(int fd)
{
	struct timeval tv;

	tv.tv_sec = ctx->service->io_timeout;
	tv.tv_usec = 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		return -1;
	return 0;
}

/*
 * worker_serve_stream - accept one connection on listener i and serve it:
 * 1, or 0 with what to do next in *next when accept() failed.
 */
PF_HOT static int
worker_serve_stream(size_t i, enum worker_next *next)
{
	struct listener *l = &ctx->listeners[i];
	struct preforkd_conn c;
	struct admit_source src;
	char desc[ADDR_TEXT_MAX];
	int fd;

	c.remotelen = sizeof(c.remote);
#ifdef HAVE_ACCEPT4
	fd = accept4(l->fd, (struct sockaddr *)&c.remote, &c.remotelen,
	    SOCK_CLOEXEC);
#else
	fd = accept(l->fd, (struct sockaddr *)&c.remote, &c.remotelen);
	if (fd != -1) {
		/* BSD accept() inherits O_NONBLOCK from the listener. */
		if (fd_nonblock(fd, 0) == -1 || fd_cloexec(fd, 1) == -1) {
			close(fd);
			fd = -1;
		}
	}
#endif
	if (fd == -1) {
		*next = worker_accept_error(i, errno);
		return 0;
	}
	if (l->addr.proto == PROTO_UNIX && ctx->service->io_timeout > 0 &&
	    worker_unix_timeouts(fd) == -1) {
		/* Never serve a client that io_timeout could not bound. */
		log_error("setsockopt SO_RCVTIMEO/SO_SNDTIMEO on a connection "
		    "to %s: %s; closing it", listen_describe(l, desc,
		    sizeof(desc)), strerror(errno));
		close(fd);
		*next = WORKER_NEXT_AGAIN;
		return 0;
	}

	switch (worker_admit(&c, l, fd)) {
	case WORKER_REFUSED:
		close(fd);
		worker_unbusy();
		return 1;
	case WORKER_HELD:
		tarpit_hold(fd, c.started, ctx->service->io_timeout * 1000);
		worker_unbusy();
		return 1;
	}
	worker_slice(&c);
	worker_busy(&c);
	shed_arm(c.fd, c.started, l);
	ctx->service->handler->serve_stream(&c);
	/* Cut by the master (shed.c), whatever the handler made of it: its
	 * source's next connections are held while the pool is full. */
	if (shed_disarm()) {
		c.end = CONN_SHED;
		if (c.proto == PROTO_TCP) {
			worker_source(&c, &src);
			tarpit_mark(service_key, &src, now_ms());
		}
	}
	/* A handler that handed the connection on (exec) closed it. */
	if (c.fd != -1)
		close(c.fd);
	worker_idle(&c);
	return 1;
}

/*
 * worker_serve_datagrams - as worker_serve_stream, for the datagrams
 * queued on listener i: up to batch_max of them taken at once (batch.c),
 * each then admitted, served, counted and logged on its own as a single
 * one would be; their replies leave together at the end.  A batch never
 * goes past max_requests, so a worker that must go has served all it
 * took.  *next is WORKER_NEXT_WAIT when the batch emptied the queue.
 */
PF_HOT static int
worker_serve_datagrams(size_t i, enum worker_next *next)
{
	struct listener *l = &ctx->listeners[i];
	struct preforkd_conn c;
	const unsigned char *data;
	const struct sockaddr *from;
	socklen_t fromlen;
	size_t len;
	int k, n, max = batch_max;

	if (request_limit > 0 && (uint64_t)request_limit -
	    ctx->slot->count[CTR_SERVED] < (uint64_t)max)
		max = (int)((uint64_t)request_limit -
		    ctx->slot->count[CTR_SERVED]);
	if (max < 1)
		max = 1;
	n = batch_recv(l->fd, max);
	if (n == -1) {
		*next = worker_accept_error(i, errno);
		return 0;
	}
	if (n > 1 && log_would(LL_DEBUG)) {
		char desc[ADDR_TEXT_MAX];

		log_debug("%s: took %d datagrams at once", listen_describe(l,
		    desc, sizeof(desc)), n);
	}
	for (k = 0; k < n; k++) {
		data = batch_data(k, &len, &from, &fromlen);
		memcpy(&c.remote, from, fromlen);
		c.remotelen = fromlen;
		if (worker_admit(&c, l, l->fd) != WORKER_SERVE)
			continue;
		worker_busy(&c);
		c.batched = batch_max > 1;
		if (len > DGRAM_MAX) {
			log_info("udp datagram of more than %d bytes dropped",
			    DGRAM_MAX);
			c.end = CONN_ERROR;
		} else {
			c.bytes_in = (uint64_t)len;
			ctx->service->handler->serve_datagram(&c, data, len);
			/* The loop guard's count, for the status: on change. */
			if (ctx->slot->count[CTR_IGNORED] !=
			    handler_dgram_ignored())
				ctx->slot->count[CTR_IGNORED] =
				    handler_dgram_ignored();
		}
		if (c.end == CONN_RATE_LIMITED) {
			/* Its reply was over max_reply_bytes_per_source, or
			 * over the UDP built-ins' answers: not sent. */
			admit_done();
			worker_refuse(&c, c.end, admit_reply_why());
			ctx->slot->state = SLOT_IDLE;
			continue;
		}
		worker_idle(&c);
	}
	if (batch_pending() > 0)
		batch_flush();
	*next = n < max ? WORKER_NEXT_WAIT : WORKER_NEXT_AGAIN;
	return 1;
}

/*
 * worker_try - one pass over the listeners, starting after the one served
 * last so that no listener starves.  WORKER_NEXT_AGAIN once something was
 * served or a passing error wants the same wait again, WORKER_NEXT_WAIT
 * when no listener had anything (all are in the wait set then), or
 * WORKER_NEXT_PAUSE / WORKER_NEXT_EXIT.
 */
PF_HOT static enum worker_next
worker_try(void)
{
	size_t k, i, n = ctx->nlisteners, live = 0;
	enum worker_next next = WORKER_NEXT_WAIT;
	int served;

	for (k = 0; k < n; k++) {
		i = (next_listener + k) % n;
		if (ctx->listeners[i].fd == -1)
			continue;
		if (ctx->listeners[i].addr.proto == PROTO_UDP)
			served = worker_serve_datagrams(i, &next);
		else
			served = worker_serve_stream(i, &next);
		if (served) {
			next_listener = (i + 1) % n;
			/*
			 * A lone UDP listener whose queue a batch emptied:
			 * straight back to the wait, where it always is,
			 * without a receive that would only say EAGAIN.
			 */
			if (n == 1 && next == WORKER_NEXT_WAIT &&
			    worker_wait_has(i))
				return WORKER_NEXT_WAIT;
			return WORKER_NEXT_AGAIN;
		}
		if (next == WORKER_NEXT_DEAD) {
			/* Shut down for a stop: let go of it. */
			close(ctx->listeners[i].fd);
			ctx->listeners[i].fd = -1;
			continue;
		}
		live++;
		if (next != WORKER_NEXT_WAIT)
			return next;
	}
	if (live == 0) {
		/* Nothing left to wait on is no reason to sit idle. */
		if (!sig_quit_requested())
			log_error("no listening socket left; exiting to be "
			    "replaced");
		return WORKER_NEXT_EXIT;
	}
	return WORKER_NEXT_WAIT;
}

/*
 * worker_guard_init - tell the UDP loop guard (handler.c) every port on
 * which this daemon receives datagrams, ports chosen for port 0 included:
 * a datagram from one of them is our own service talking, never a client.
 */
PF_START static void
worker_guard_init(void)
{
	const struct service *s;
	size_t i, j;

	for (i = 0; i < ctx->nservices; i++) {
		s = &ctx->services[i];
		for (j = 0; j < s->nlisteners; j++)
			if (s->listeners[j].addr.proto == PROTO_UDP)
				handler_dgram_own_port(addr_port(
				    (const struct sockaddr *)
				    &s->listeners[j].bound.ss));
	}
}

/*
 * worker_batch_init - a worker with a UDP listener reserves its batch
 * (batch.c): BATCH_MAX datagrams at once for the built-in services, one
 * for a module or exec (handler_batches).  0, or -1 with errno.
 */
PF_START static int
worker_batch_init(void)
{
	size_t i;

	for (i = 0; i < ctx->nlisteners; i++)
		if (ctx->listeners[i].addr.proto == PROTO_UDP)
			break;
	if (i == ctx->nlisteners)
		return 0;
	batch_max = handler_batches(ctx->service->handler) ? BATCH_MAX : 1;
	return batch_init();
}

/*
 * worker_reopen - USR1: the master rotated the logs; follow it, when idle
 * (or at once, from exec mode "wait", whose worker is never idle).
 */
void
worker_reopen(void)
{
	/* The master's own descriptors, whoever we run as (logpass.c). */
	if (logpass_take() == 0) {
		log_debug("took the log files the master reopened");
		return;
	}
	if (log_reopen() == -1)
		log_error("cannot reopen the error log %s: %s", log_file(),
		    file_error(errno));
	if (access_reopen() == -1)
		log_error("cannot reopen the access log %s: %s",
		    access_file(), file_error(errno));
}

/*
 * worker_quit_owed - QUIT came, and the last wait ended with *ready of our
 * non-blocking listeners ready: serve what one of them holds, once each
 * (1), before going (0).  Registered with EPOLLEXCLUSIVE, this worker may
 * be the one the kernel woke for that connection or datagram (a retiring
 * worker of a reload or an upgrade sleeps beside the new generation, and
 * was there first); gone without taking it, it would wait in the queue
 * for the next wakeup, which the next client brings, maybe only once this
 * one gave up.  A blocking listener (accept() could sleep) never counts.
 */
static int
worker_quit_owed(int *ready)
{
	size_t i;
	int fl;

	if (*ready <= 0)
		return 0;
	(*ready)--;
	for (i = 0; i < ctx->nlisteners; i++) {
		if (ctx->listeners[i].fd == -1)
			continue;
		fl = fcntl(ctx->listeners[i].fd, F_GETFL);
		if (fl == -1 || (fl & O_NONBLOCK) == 0)
			return 0;
	}
	return worker_try() == WORKER_NEXT_AGAIN;
}

/*
 * worker_main - the life of a worker, from fork to exit.  One that cannot
 * start exits with status 2; the master throttles the respawns of any
 * worker that dies before it was ready, whatever its status (policy.c).
 */
PF_HOT void
worker_main(struct worker_ctx *c)
{
	const struct preforkd_module *h = c->service->handler;
	char err[256];
	int sig, master, ready = 0;

	ctx = c;
	service_key = admit_service_key(ctx->service->name);
	logpass_worker();
	if (sig_init(SIG_ROLE_WORKER) == -1 ||
	    shed_worker_init(ctx->service->io_timeout_busy_ms,
	    service_key) == -1) {
		log_error("worker signals: %s", strerror(errno));
		exit(2);
	}
	if (daemon_drop_privileges(ctx->conf, ctx->service, err,
	    sizeof(err)) == -1) {
		log_error("cannot drop privileges: %s", err);
		exit(2);
	}
	worker_watch_master();
	/* A handler that takes the worker over (exec mode "worker"). */
	if (ctx->service->exec != NULL &&
	    ctx->service->exec->mode == EXEC_WORKER)
		exec_worker_run(ctx);
	/* ... or keeps it as its program's parent (exec mode "wait"). */
	if (ctx->service->exec != NULL &&
	    ctx->service->exec->mode == EXEC_WAIT)
		worker_exit(exec_wait_run(ctx));
	if (worker_wait_init() == -1) {
		log_error("cannot set up the wait for connections: %s",
		    strerror(errno));
		exit(2);
	}
	if (h->worker_start != NULL &&
	    h->worker_start(&ctx->service->view) == -1)
		exit(2);

	admit_limits_init(ctx->service, service_key, ctx->srctab, ctx->sb,
	    ctx->slot);
	request_limit = pool_request_limit(ctx->service->max_requests,
	    (uint32_t)getpid() * 2654435761u ^ (uint32_t)now_ms());
	if (worker_batch_init() == -1) {
		log_error("cannot reserve memory for datagrams: %s",
		    strerror(errno));
		exit(2);
	}
	worker_guard_init();
	ctx->slot->state = SLOT_IDLE;
	for (;;) {
		if (sig_quit_requested()) {
			if (worker_quit_owed(&ready))
				continue;
			worker_exit(EXIT_OK);
		}
		if (sig_take(SIGF_USR1))
			worker_reopen();
		ready = 0;	/* the wakeup is taken up here */
		switch (worker_try()) {
		case WORKER_NEXT_AGAIN:
			continue;
		case WORKER_NEXT_PAUSE:
			worker_pause(WORKER_PAUSE_MS);
			continue;
		case WORKER_NEXT_EXIT:
			/*
			 * Not at once (but at once for a QUIT): a lasting
			 * error must not make the master fork in a loop.
			 */
			worker_pause(WORKER_EXIT_PAUSE_MS);
			worker_exit(sig_quit_requested() ? EXIT_OK :
			    EXIT_RUNTIME);
		default:
			break;
		}
		sig = master = ready = 0;
		worker_wait(&sig, &master, &ready);
		if (sig)
			sig_drain();
		if (master) {
			log_warning("the master is gone; exiting");
			_exit(EXIT_RUNTIME);
		}
	}
	/* NOTREACHED */
}
