/*
 * master.c - the master process's loop: set up the runtime tables, start
 * the pools, then poll() over the signal self-pipe and the control socket
 * with a timeout, dispatching each signal to the file that acts on it
 * (spawn.c, supervise.c, stop.c, reload.c, upgrade.c) and running the
 * once-a-second maintenance, until the last worker of a stop is gone.
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

struct master	master;

static void	master_signals(void);

/* master_report - read worker p's slot as the untrusted report it is. */
int
master_report(const struct proc *p, int64_t now, struct slot_report *r)
{
	return scoreboard_read(&master.sb.slots[proc_index(&master.pt, p)],
	    now, r);
}

/* master_live - how many worker processes are still alive. */
int
master_live(void)
{
	return proc_live(&master.pt);
}

/* master_services - the runtime table of conf's services, on listeners. */
struct service *
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

/*
 * master_setup - the runtime tables, the scoreboard and the alive pipe.
 * 0, or -1 with err naming what failed.
 */
static int
master_setup(struct conf *conf, struct listener **listeners, char *err,
    size_t errlen)
{
	int i;

	master.conf = conf;
	master.pid = getpid();
	master.generation = 1;
	master.nsvc = conf->nservices;
	master.start_ms = now_ms();
	clock_gettime(CLOCK_REALTIME, &master.started);
	if ((master.svc = master_services(conf, listeners)) == NULL) {
		snprintf(err, errlen, "the service table: out of memory");
		return -1;
	}
	free(listeners);
	if (scoreboard_create(&master.sb, SCOREBOARD_SLOTS) == -1) {
		snprintf(err, errlen, "mmap of the scoreboard (%d slots): %s",
		    SCOREBOARD_SLOTS, strerror(errno));
		return -1;
	}
	if (proc_init(&master.pt, SCOREBOARD_SLOTS) == -1) {
		snprintf(err, errlen, "the process table: %s", strerror(errno));
		return -1;
	}
	if (pipe(master.alive) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < 2; i++)
		if (fd_cloexec(master.alive[i], 1) == -1) {
			snprintf(err, errlen, "fcntl FD_CLOEXEC on the alive "
			    "pipe: %s", strerror(errno));
			return -1;
		}
	if (sig_init(SIG_ROLE_MASTER) == -1) {
		snprintf(err, errlen, "the signal self-pipe: %s",
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* master_status - the status report (text or JSON), for the control socket. */
char *
master_status(int json)
{
	struct status_view v;

	v.conf = master.conf;
	v.conf_path = master.conf_path;
	v.svc = master.svc;
	v.nsvc = master.nsvc;
	v.sb = &master.sb;
	v.pt = &master.pt;
	v.pid = master.pid;
	v.generation = master.generation;
	v.started = master.started;
	v.start_ms = master.start_ms;
	v.paused = master.paused;
	v.stopping = master.state != MASTER_RUNNING;
	return status_render(&v, json);
}

/* master_reload_request - "-s reload" over the control socket. */
char *
master_reload_request(void)
{
	if (master.state != MASTER_RUNNING)
		return strdup("reload failed: preforkd is stopping\n");
	return reload_run();
}

/* master_signals - act on every signal that came, reaping first. */
static void
master_signals(void)
{
	int signo;

	/* Reap first: what follows acts on an exact picture. */
	if (sig_take(SIGF_CHLD))
		spawn_reap();
	if ((signo = sig_take(SIGF_TERM)) != 0)
		stop_begin(signo, 0);
	if ((signo = sig_take(SIGF_QUIT)) != 0)
		stop_begin(signo, 1);
	if (master.state != MASTER_RUNNING)
		return;
	if (sig_take(SIGF_HUP)) {
		log_notice("received SIGHUP: reload");
		free(reload_run());
	}
	if (sig_take(SIGF_USR1)) {
		log_notice("received SIGUSR1: reopening the log files");
		if (log_reopen() == -1)
			log_error("cannot reopen the error log %s: %s",
			    log_file(), file_error(errno));
		if (access_reopen() == -1)
			log_error("cannot reopen the access log %s: %s",
			    access_file(), file_error(errno));
		(void)logpass_publish();
		spawn_forward(SIGUSR1);
	}
	if (sig_take(SIGF_WINCH)) {
		log_notice("received SIGWINCH: stopping all workers "
		    "gracefully; the master keeps the sockets (HUP or TTIN "
		    "brings the workers back)");
		master.paused = 1;
		spawn_signal_all(SIGQUIT);
	}
	if ((signo = sig_take(SIGF_TTIN)) != 0)
		supervise_resize(signo, +1);
	if ((signo = sig_take(SIGF_TTOU)) != 0)
		supervise_resize(signo, -1);
	if (sig_take(SIGF_USR2))
		upgrade_begin();
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
	char err[256];
	size_t i;

	master.foreground = foreground;
	master.predecessor = predecessor;
	if ((master.conf_path = strdup(conf_path)) == NULL ||
	    (master.start_dir = strdup(start_dir)) == NULL) {
		log_error("out of memory");
		return EXIT_RUNTIME;
	}
	if (master_setup(conf, listeners, err, sizeof(err)) == -1) {
		log_error("cannot set up the master: %s", err);
		return EXIT_RUNTIME;
	}
	sockets_log();
	wait = supervise_fill(now_ms());
	for (i = 0; i < master.nsvc; i++)
		total += master.svc[i].nworkers;
	if (daemon_pidfile_write() == -1) {
		log_error("cannot write the pid file %s: %s", conf->pid_file,
		    strerror(errno));
		spawn_signal_all(SIGKILL);
		stop_listeners(0);
		return EXIT_RUNTIME;
	}
	log_notice("ready: %zu services, %d workers, pid %ld", master.nsvc, total,
	    (long)master.pid);
	daemon_ready();
	/* After an upgrade, systemd must learn that we are the main process. */
	notify_send("MAINPID=%ld\nREADY=1\nSTATUS=running generation %u, "
	    "%d workers", (long)master.pid, master.generation, total);

	master.next_tick = now_ms() + 1000;
	for (;;) {
		now = now_ms();
		timeout = master.next_tick - now;
		if (master.state == MASTER_RUNNING && wait >= 0 && wait < timeout)
			timeout = wait;
		if (master.state == MASTER_STOPPING && !master.killed &&
		    master.deadline - now < timeout)
			timeout = master.deadline - now;
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
		if (now >= master.next_tick) {
			supervise_tick(now);
			master.next_tick = now + 1000;
		}
		if (master.state == MASTER_RUNNING) {
			wait = supervise_fill(now);
			reload_retire_old(now);
			if (master.old != NULL)
				reload_free_old();
			continue;
		}
		if (master_live() == 0)
			break;
		if (!master.killed && now >= master.deadline) {
			log_warning("%d workers still running after the stop "
			    "timeout; killing them", master_live());
			spawn_signal_all(SIGKILL);
			master.killed = 1;
		}
	}
	daemon_pidfile_remove();
	control_close();
	log_notice("exiting");
	reload_free_old();
	scoreboard_destroy(&master.sb);
	proc_free(&master.pt);
	for (i = 0; i < master.nsvc; i++)
		free(master.svc[i].listeners);
	free(master.svc);
	conf_free(master.conf);
	free(master.conf_path);
	free(master.start_dir);
	return EXIT_OK;
}
