/*
 * master.c - the master process: fork each service's pool, then loop on
 * poll() over the signal self-pipe with a timeout, reaping dead workers,
 * replacing them (with a throttle for those that die while starting), and
 * stopping fast (TERM, INT) or gracefully (QUIT).
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

/* The master's view of one service. */
struct service {
	const struct conf_service	*conf;
	struct listener			*listeners;
	size_t				 nlisteners;
	int				 nworkers;	/* live, not retiring */
	struct throttle			 throttle;
};

enum master_state {
	RUNNING,
	STOPPING,
};

static struct {
	struct conf		*conf;
	struct service		*svc;
	size_t			 nsvc;
	struct scoreboard	 sb;
	int			 alive[2];	/* workers see EOF when we die */
	unsigned int		 generation;
	enum master_state	 state;
	int64_t			 deadline;	/* of the stop, then KILL */
	int			 killed;
	pid_t			 pid;
} m;

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
	struct slot *slot;
	char role[SERVICE_NAME_MAX + 16];
	pid_t pid;

	if ((slot = scoreboard_alloc(&m.sb)) == NULL) {
		log_error("service %s: no free scoreboard slot for a worker",
		    s->conf->name);
		return -1;
	}
	slot->service = (int)(s - m.svc);
	slot->generation = m.generation;
	clock_gettime(CLOCK_REALTIME, &slot->started);

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
		worker_main(&ctx);
		/* NOTREACHED */
	}
	sig_block(0);
	if (pid == -1) {
		log_error("service %s: fork: %s", s->conf->name,
		    strerror(errno));
		slot->state = SLOT_FREE;
		/* Out of processes or memory: back off as for a crash. */
		throttle_failed(&s->throttle, now_ms());
		return -1;
	}
	slot->pid = pid;
	s->nworkers++;
	log_info("service %s: worker %ld started", s->conf->name, (long)pid);
	return 0;
}

/*
 * master_reap - collect every dead child and say how it ended.  A worker
 * that dies before it was ready throttles its service's respawns.
 */
static void
master_reap(void)
{
	struct service *s;
	struct slot *slot;
	char how[96];
	int status, ready;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((slot = scoreboard_find(&m.sb, pid)) == NULL) {
			log_debug("reaped unknown child %ld", (long)pid);
			continue;
		}
		s = &m.svc[slot->service];
		master_exit_text(status, how, sizeof(how));
		ready = slot->state != SLOT_STARTING;

		if (slot->retiring || m.state != RUNNING)
			log_info("service %s: worker %ld %s after %llu "
			    "connections", s->conf->name, (long)pid, how,
			    (unsigned long long)slot->served);
		else if (!ready) {
			throttle_failed(&s->throttle, now_ms());
			log_error("service %s: worker %ld %s before it was "
			    "ready; respawning in %d s", s->conf->name,
			    (long)pid, how, s->throttle.delay_ms / 1000);
		} else
			log_warning("service %s: worker %ld %s after %llu "
			    "connections; replacing it", s->conf->name,
			    (long)pid, how, (unsigned long long)slot->served);

		if (!slot->retiring)
			s->nworkers--;
		slot->state = SLOT_FREE;
		slot->pid = 0;
	}
}

/* master_live - how many worker processes are still alive. */
static int
master_live(void)
{
	size_t i;
	int n = 0;

	for (i = 0; i < m.sb.nslots; i++)
		if (m.sb.slots[i].state != SLOT_FREE)
			n++;
	return n;
}

/* master_signal_all - send signo to every live worker, marking it retiring. */
static void
master_signal_all(int signo)
{
	struct slot *slot;
	size_t i;

	for (i = 0; i < m.sb.nslots; i++) {
		slot = &m.sb.slots[i];
		if (slot->state == SLOT_FREE || slot->pid <= 0)
			continue;
		if (!slot->retiring) {
			slot->retiring = 1;
			m.svc[slot->service].nworkers--;
		}
		if (kill(slot->pid, signo) == -1 && errno != ESRCH)
			log_warning("kill(%ld, %s): %s", (long)slot->pid,
			    sig_name(signo), strerror(errno));
	}
}

/*
 * master_maintain - bring every service up to its size.  Called after each
 * wake-up; a throttled service waits for its window.  Returns the number of
 * milliseconds until a throttle window ends (for the poll timeout), or -1.
 */
static int64_t
master_maintain(int64_t now)
{
	struct service *s;
	struct slot *slot;
	int64_t wait = -1, left;
	size_t i;

	/* A worker that made it to idle clears its service's backoff. */
	for (i = 0; i < m.sb.nslots; i++) {
		slot = &m.sb.slots[i];
		if (slot->state >= SLOT_IDLE && !slot->retiring &&
		    m.svc[slot->service].throttle.delay_ms > 0)
			throttle_ready(&m.svc[slot->service].throttle);
	}
	for (i = 0; i < m.nsvc; i++) {
		s = &m.svc[i];
		while (s->nworkers < s->conf->workers) {
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
			if (graceful && l->fd != -1 &&
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
	/* Workers first: an idle worker exits before it could see the
	 * shut-down listener. */
	master_signal_all(graceful ? SIGQUIT : SIGTERM);
	master_stop_listeners(graceful);
	m.deadline = now_ms() + (graceful ? m.conf->shutdown_timeout * 1000LL :
	    FAST_STOP_GRACE_MS);
	m.killed = 0;
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

/* master_setup - the runtime tables, the scoreboard and the alive pipe. */
static int
master_setup(struct conf *conf, struct listener **listeners)
{
	size_t i, nslots = 0;

	m.conf = conf;
	m.pid = getpid();
	m.generation = 1;
	m.nsvc = conf->nservices;
	if ((m.svc = calloc(m.nsvc, sizeof(*m.svc))) == NULL)
		return -1;
	for (i = 0; i < m.nsvc; i++) {
		m.svc[i].conf = &conf->services[i];
		m.svc[i].listeners = listeners[i];
		m.svc[i].nlisteners = conf->services[i].nlisten;
		nslots += (size_t)conf->services[i].workers;
	}
	/* Room for a whole second pool of workers that are on their way out. */
	if (scoreboard_create(&m.sb, nslots * 2 + 16) == -1)
		return -1;
	if (pipe(m.alive) == -1)
		return -1;
	fcntl(m.alive[0], F_SETFD, FD_CLOEXEC);
	fcntl(m.alive[1], F_SETFD, FD_CLOEXEC);
	return sig_init(SIG_ROLE_MASTER);
}

/*
 * master_run - run until stopped.  The listeners are already bound (and
 * the process daemonized); this starts the pools, writes the pid file as
 * the readiness signal, and returns the exit status.
 */
int
master_run(struct conf *conf, struct listener **listeners)
{
	struct pollfd pfd;
	int64_t now, wait = -1, timeout;
	int signo, total = 0;
	size_t i;

	if (master_setup(conf, listeners) == -1) {
		log_error("cannot set up the master: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	master_log_listeners();
	wait = master_maintain(now_ms());
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

	pfd.fd = sig_fd();
	pfd.events = POLLIN;
	for (;;) {
		now = now_ms();
		timeout = 1000;
		if (m.state == RUNNING && wait >= 0 && wait < timeout)
			timeout = wait;
		if (m.state == STOPPING && !m.killed &&
		    m.deadline - now < timeout)
			timeout = m.deadline - now > 0 ? m.deadline - now : 0;
		if (poll(&pfd, 1, (int)timeout) > 0)
			sig_drain();

		/* Reap first: what follows acts on an exact picture. */
		if (sig_take(SIGF_CHLD))
			master_reap();
		if ((signo = sig_take(SIGF_TERM)) != 0)
			master_stop(signo, 0);
		if ((signo = sig_take(SIGF_QUIT)) != 0)
			master_stop(signo, 1);
		if (sig_take(SIGF_HUP))
			log_warning("received SIGHUP: reload is not supported "
			    "by this version; restart preforkd to apply a "
			    "changed configuration");
		if (sig_take(SIGF_USR1)) {
			log_notice("received SIGUSR1: reopening the error log");
			if (log_reopen() == -1)
				log_error("cannot reopen the error log: %s",
				    strerror(errno));
		}
		if ((signo = sig_take(SIGF_USR2)) != 0 ||
		    (signo = sig_take(SIGF_WINCH)) != 0 ||
		    (signo = sig_take(SIGF_TTIN)) != 0 ||
		    (signo = sig_take(SIGF_TTOU)) != 0)
			log_warning("received %s: not supported by this "
			    "version; ignored", sig_name(signo));

		now = now_ms();
		if (m.state == RUNNING) {
			wait = master_maintain(now);
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
	log_notice("exiting");
	scoreboard_destroy(&m.sb);
	free(m.svc);
	return EXIT_OK;
}
