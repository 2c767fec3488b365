/*
 * master.c - the master process's loop: set up the runtime tables, then
 * poll() over the signal self-pipe and the control socket with a timeout,
 * dispatching each signal to the file that acts on it (spawn.c,
 * supervise.c, stop.c, reload.c, upgrade.c) and running the once-a-second
 * maintenance, until the last worker of a stop is gone.
 *
 * The loop never blocks for long.  Starting the pools (at start, or a
 * reload's new generation), signalling every worker (a stop, WINCH) and
 * reaping are each done a bounded batch per turn (master.h); while any is
 * pending the loop polls with timeout 0, so signals, deaths and control
 * requests are served between batches.  The start is over (pid file,
 * readiness) once every pool has been forked in full.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/resource.h>
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

/*
 * Within one page: the master writes it after every fork (the process
 * table's counts), and each of its pages that the new worker shares costs
 * the master a copy-on-write fault.  Wherever the linker put it, its 900
 * bytes could straddle two pages.
 */
struct master	master PF_ONE_PAGE;
_Static_assert(sizeof(struct master) <= 4096, "struct master fits a page");

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

/*
 * master_srctab - the shared table of buckets that service s's limits
 * need (max_rate alone needs only its head): 0, or -1 with errno.
 */
static int
master_srctab(struct service *s)
{
	const struct conf_service *cs = s->conf;
	uint32_t entries = 0;

	if (cs->max_rate_per_source.count > 0 ||
	    cs->max_reply_bytes_per_source.count > 0)
		entries = (uint32_t)cs->source_table_size;
	else if (cs->max_rate.count == 0)
		return 0;
	return srctab_create(&s->srctab, entries);
}

/* master_services_free - a runtime table of n services, with its tables. */
void
master_services_free(struct service *svc, size_t n)
{
	size_t i;

	if (svc == NULL)
		return;
	for (i = 0; i < n; i++)
		srctab_destroy(&svc[i].srctab);
	if (n > 0)
		proc_private_unmap(svc[0].tally, n * sizeof(*svc[0].tally));
	free(svc);
}

/*
 * master_services - the runtime table of conf's services, on listeners;
 * NULL (errno) when out of memory.
 */
struct service *
master_services(const struct conf *conf, struct listener **listeners)
{
	const struct conf_service *cs;
	struct service_tally *tally;
	struct service *svc;
	size_t i;

	if ((svc = calloc(conf->nservices, sizeof(*svc))) == NULL)
		return NULL;
	if ((tally = proc_private_map(conf->nservices *
	    sizeof(*tally))) == NULL) {
		free(svc);
		return NULL;
	}
	for (i = 0; i < conf->nservices; i++)
		svc[i].tally = &tally[i];
	for (i = 0; i < conf->nservices; i++) {
		svc[i].conf = &conf->services[i];
		if (master_srctab(&svc[i]) == -1) {
			master_services_free(svc, conf->nservices);
			return NULL;
		}
	}
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
 * master_priority_raise - the master runs MASTER_NICE_BOOST nice levels
 * above the priority it was started with, where it may (root, or
 * CAP_SYS_NICE, or RLIMIT_NICE): while thousands of workers start and
 * exit at once, a master with only its fair share of the CPUs among them
 * is runnable but not running half the time, and signals, reaping and
 * -s status wait.  Each worker goes back to the priority the master was
 * started with as soon as it is forked (master_priority_child), so what
 * clients get, and the programs workers run, are as before.  Not allowed,
 * the master runs as started.
 */
static void
master_priority_raise(void)
{
	int base, want;

	errno = 0;
	base = getpriority(PRIO_PROCESS, 0);
	if (base == -1 && errno != 0)
		return;
	want = base - MASTER_NICE_BOOST < -20 ? -20 : base - MASTER_NICE_BOOST;
	if (want == base)
		return;
	if (setpriority(PRIO_PROCESS, 0, want) == -1) {
		log_debug("the master stays at nice %d (setpriority: %s)", base,
		    strerror(errno));
		return;
	}
	master.nice_base = base;
	master.nice_raised = 1;
	log_debug("the master runs at nice %d, its workers at nice %d", want,
	    base);
}

/*
 * master_priority_child - in a child just forked (a worker, a new master
 * of an upgrade): back to the priority the master was started with.
 */
PF_START void
master_priority_child(void)
{
	if (master.nice_raised)
		(void)setpriority(PRIO_PROCESS, 0, master.nice_base);
}

/*
 * master_env_int - an integer setting from the environment (meant for
 * tests), def when unset; a bad one is said and ignored.
 */
static int
master_env_int(const char *name, int min, int max, int def)
{
	const char *v = getenv(name);
	char *end;
	long n;

	if (v == NULL || *v == '\0')
		return def;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max) {
		log_warning("environment: %s=\"%s\" must be an integer from %d "
		    "to %d; using %d", name, v, min, max, def);
		return def;
	}
	return (int)n;
}

/*
 * master_setup - the runtime tables, the scoreboard and the alive pipe.
 * 0, or -1 with err naming what failed.
 */
static int
master_setup(struct conf *conf, struct listener **listeners, char *err,
    size_t errlen)
{
	size_t slots;
	int i;

	master.conf = conf;
	master.pid = getpid();
	master_priority_raise();
	master.generation = 1;
	master.nsvc = conf->nservices;
	master.start_ms = now_ms();
	master.filling = 1;
	master.fill_batch = master_env_int("PREFORKD_TEST_SPAWN_BATCH", 1,
	    FILL_BATCH_MAX, FILL_BATCH_MAX);
	master.fill_pause_ms = master_env_int("PREFORKD_TEST_SPAWN_PAUSE_MS",
	    0, 10000, 0);
	clock_gettime(CLOCK_REALTIME, &master.started);
	if ((master.svc = master_services(conf, listeners)) == NULL) {
		snprintf(err, errlen, "the service table (and the shared "
		    "source tables of admission control): %s",
		    strerror(errno));
		return -1;
	}
	free(listeners);
	if (tarpit_create() == -1) {
		snprintf(err, errlen, "mmap of the table of suspect sources: "
		    "%s", strerror(errno));
		return -1;
	}
	slots = scoreboard_slots(conf);
	if (scoreboard_create(&master.sb, slots) == -1) {
		snprintf(err, errlen, "mmap of the scoreboard (%zu slots): %s",
		    slots, strerror(errno));
		return -1;
	}
	if (pub_create(&master.pub, conf->nservices, slots) == -1) {
		snprintf(err, errlen, "the published page (memfd and mmap, "
		    "%zu services, %zu slots): %s", conf->nservices, slots,
		    strerror(errno));
		return -1;
	}
	/* What pub_read() reads, in the master and in every worker forked. */
	pub_reader(&master.pub.cur, &master.sb);
	if (proc_init(&master.pt, slots) == -1) {
		snprintf(err, errlen, "the process table (%zu entries): %s",
		    slots, strerror(errno));
		return -1;
	}
	master.pred_alive = master.predecessor > 0 &&
	    daemon_alive(master.predecessor);
	master_publish();
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

/*
 * master_fold_target - where the counts of a worker of generation gen
 * and service s go when it dies: its service's successor (the current
 * generation's service of the same name) for an older generation's, so
 * that counts survive a reload; s itself when there is none (a service
 * the reload removed) or it is current.
 */
struct service *
master_fold_target(struct service *s, unsigned int gen)
{
	if (gen != master.generation && s->successor != NULL)
		return s->successor;
	return s;
}

/* master_current_index - s's index in the current generation, or -1. */
static ssize_t
master_current_index(const struct service *s)
{
	if (s == NULL || s < master.svc || s >= master.svc + master.nsvc)
		return -1;
	return s - master.svc;
}

/*
 * master_publish_owner - slot of worker p on the published page: which
 * current service its counts add to (an older generation's worker: its
 * successor's), and whether it is on its way out; gone: nobody's.
 * Inside pub_begin/pub_end, or a write of its own (pub_set_owner()).
 */
void
master_publish_owner(const struct proc *p, int gone)
{
	const struct service *t;
	uint32_t o = 0;
	ssize_t k;

	if (!gone) {
		t = p->generation == master.generation ? p->svc :
		    p->svc->successor;
		if ((k = master_current_index(t)) >= 0) {
			o = (uint32_t)k + 1;
			if (p->generation != master.generation)
				o |= PUB_OWNER_OLD;
			if (p->retiring)
				o |= PUB_OWNER_RETIRING;
		}
	}
	pub_set_owner(&master.pub, proc_index(&master.pt, p), o);
}

/*
 * master_publish_service - s's totals on the published page, when it is
 * a service of the current generation.  Inside pub_begin/pub_end.
 */
void
master_publish_service(const struct service *s)
{
	struct pub_service_in in;
	ssize_t k;

	if ((k = master_current_index(s)) < 0)
		return;
	in.name = s->conf->name;
	in.count = s->dead;
	in.hist = s->dead_hist;
	in.hist_sum_ms = s->dead_hist_sum_ms;
	in.respawns = s->respawns;
	in.hung_kills = s->hung_kills;
	in.throttle_ms = s->throttle.delay_ms;
	in.want = s->want;
	in.dynamic = s->conf->dynamic;
	in.max_workers = s->conf->max_workers;
	pub_set_service(&master.pub, (size_t)k, &in);
}

/* master_phase - what the master is doing, for the page. */
static int
master_phase(void)
{
	if (master.state != MASTER_RUNNING)
		return PUB_STOPPING;
	if (master.successor > 0 || master.pred_alive)
		return PUB_UPGRADING;
	if (master.reloading)
		return PUB_RELOADING;
	return PUB_RUNNING;
}

/*
 * master_publish - the whole page again: the master's facts, every
 * service of the current generation, who holds each slot (after a
 * reload the layout changed).  Once a second, and on a reload.
 */
void
master_publish(void)
{
	struct proc *p;
	size_t i;

	if (master.pub.cur.rw == NULL)
		return;
	pub_begin(&master.pub);
	pub_set_master(&master.pub, master.generation, master_phase(),
	    (int64_t)master.started.tv_sec * 1000 +
	    master.started.tv_nsec / 1000000, (long)master.pid);
	pub_set_nsvc(&master.pub, master.nsvc);
	for (i = 0; i < master.nsvc; i++)
		master_publish_service(&master.svc[i]);
	for (i = 0; (p = proc_next(&master.pt, &i)) != NULL;)
		master_publish_owner(p, 0);
	pub_end(&master.pub);
}

/*
 * master_publish_phase - the phase alone, when it changed (each turn of
 * the loop: the agent says "drain" as soon as a stop or reload begins).
 */
static void
master_publish_phase(void)
{
	static int last = -1;
	int phase = master_phase();

	if (phase == last || master.pub.cur.rw == NULL)
		return;
	last = phase;
	pub_begin(&master.pub);
	pub_set_master(&master.pub, master.generation, phase,
	    (int64_t)master.started.tv_sec * 1000 +
	    master.started.tv_nsec / 1000000, (long)master.pid);
	pub_end(&master.pub);
}

/*
 * master_started - how far the current generation's pools are forked:
 * returns the workers started (each pool counted up to its size) and sets
 * *of to the workers wanted, over every service.
 */
int
master_started(int *of)
{
	const struct service *s;
	int started = 0;
	size_t i;

	*of = 0;
	for (i = 0; i < master.nsvc; i++) {
		s = &master.svc[i];
		*of += s->want;
		started += s->tally->workers < s->want ? s->tally->workers :
		    s->want;
	}
	return started;
}

/* master_starting - what is being started, in a word, or NULL. */
static const char *
master_starting(void)
{
	if (!master.filling)
		return NULL;
	return master.reload_filling ? "reload" : "start";
}

/* master_status - the status report (text or JSON), for the control socket. */
char *
master_status(int json)
{
	struct status_view v;

	memset(&v, 0, sizeof(v));
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
	v.phase = pub_phase_name(master_phase());
	if ((v.starting = master_starting()) != NULL)
		v.nstarted = master_started(&v.nof);
	return status_render(&v, json);
}

/*
 * master_progress - one line saying where the master is ("progress"
 * over the control socket; -s upgrade asks the new master for it).
 */
char *
master_progress(void)
{
	const char *what = master_starting();
	char *line;
	int started, of;

	started = master_started(&of);
	if (master.state != MASTER_RUNNING)
		what = "stopping";
	if (asprintf(&line, "pid %ld generation %u: %s, %d of %d workers "
	    "started\n", (long)master.pid, master.generation,
	    what == NULL ? "running" : strcmp(what, "start") == 0 ?
	    "starting" : strcmp(what, "reload") == 0 ? "reloading" : what,
	    started, of) == -1)
		return NULL;
	return line;
}

/*
 * master_reload_request - "-s reload" over the control socket: the
 * answer now (a failure), or with *wait set, a first line; the outcome
 * follows once the new generation is started (reload.c).
 */
char *
master_reload_request(int *wait)
{
	*wait = 0;
	if (master.state != MASTER_RUNNING)
		return strdup("reload failed: preforkd is stopping\n");
	return reload_run(wait);
}

/*
 * master_ready - the first start is done: the pid file (the readiness
 * signal), the launcher and systemd are told.  -1 when the pid file
 * cannot be written (logged).
 */
static int
master_ready(void)
{
	int started, of;

	started = master_started(&of);
	if (daemon_pidfile_write() == -1) {
		log_error("cannot write the pid file %s: %s",
		    master.conf->pid_file, strerror(errno));
		return -1;
	}
	master.ready = 1;
	log_notice("ready: %zu services, %d workers, pid %ld", master.nsvc,
	    started, (long)master.pid);
	daemon_ready();
	/* After an upgrade, systemd must learn that we are the main process. */
	notify_send("MAINPID=%ld\nREADY=1\nSTATUS=running generation %u, "
	    "%d workers", (long)master.pid, master.generation, started);
	return 0;
}

/*
 * master_progress_report - while a start or reload is forking, once a
 * second: where it is, to the log, systemd and the -s reload waiting.
 */
static void
master_progress_report(int64_t now)
{
	int started, of;

	if (!master.filling || now - master.progress_at < 1000)
		return;
	master.progress_at = now;
	started = master_started(&of);
	if (started == master.progress_last)
		return;
	master.progress_last = started;
	log_info("%s generation %u: %d of %d workers started",
	    master.reload_filling ? "reload:" : "starting", master.generation,
	    started, of);
	notify_send("STATUS=%s generation %u: %d of %d workers started",
	    master.reload_filling ? "reloading to" : "starting",
	    master.generation, started, of);
	if (master.reload_filling)
		reload_progress(started, of);
}

/*
 * master_reap - reap what died, unless a turn that reaped was less than
 * REAP_PACE_MS ago (spawn_reap): then on the turn after that, which the
 * loop's poll waits for.  A lone death after a quiet while is reaped at
 * once, and so is every death before a control client's answer (at_once:
 * master_run), which must tell what is.
 */
static void
master_reap(int at_once)
{
	int64_t now;
	int n;

	if (sig_take(SIGF_CHLD))
		master.reap_pending = 1;
	if (!master.reap_pending ||
	    ((now = now_ms()) < master.reap_next && !at_once))
		return;
	n = spawn_reap();
	master.reap_pending = n == REAP_BATCH;
	if (n > 0 && !master.reap_pending)
		master.reap_next = now + REAP_PACE_MS;
}

/* master_signals - act on every signal that came, reaping first. */
static void
master_signals(void)
{
	int signo, wait;

	/* Reap first: what follows acts on a picture at most REAP_PACE_MS
	 * old. */
	master_reap(0);
	if ((signo = sig_take(SIGF_TERM)) != 0)
		stop_begin(signo, 0);
	if ((signo = sig_take(SIGF_QUIT)) != 0)
		stop_begin(signo, 1);
	if (master.state != MASTER_RUNNING)
		return;
	if (sig_take(SIGF_HUP)) {
		log_notice("received SIGHUP: reload");
		free(reload_run(&wait));
	}
	if (sig_take(SIGF_USR1)) {
		log_notice("received SIGUSR1: reopening the log files");
		if (log_reopen() == -1)
			log_error("cannot reopen the error log %s: %s",
			    log_file(), file_error_at(log_file(), errno));
		if (access_reopen() == -1)
			log_error("cannot reopen the access log %s: %s",
			    access_file(), file_error_at(access_file(), errno));
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
 * master_running - a turn's work while running: a batch of forks, then
 * what follows when the pools are all forked (the first readiness, a
 * reload's outcome), the old generation's retirement.  Returns the ms
 * until it wants the next turn (0: at once), or -1 when it does not
 * care; -2 when the pid file could not be written.
 */
static int64_t
master_running(int64_t now)
{
	int64_t wait, next;

	master.filling = supervise_fill(now, &wait);
	if (!master.filling) {
		if (!master.ready && master_ready() == -1)
			return -2;
		if (master.reload_filling)
			reload_filled(now);
	}
	master_progress_report(now);
	if ((next = reload_retire_old(now)) >= 0 && (wait == -1 ||
	    next < wait))
		wait = next;
	if (master.old != NULL)
		reload_free_old();
	/* Until the wait for the new workers is over; then once a second. */
	if (master.reloading && now < master.reload_deadline &&
	    (wait == -1 || wait > RELOAD_LOOK_MS))
		wait = RELOAD_LOOK_MS;
	return wait;
}

/*
 * master_run - run until stopped.  The listeners are already bound (and
 * the process daemonized); this starts the pools, writes the pid file as
 * the readiness signal once they are started, and returns the exit
 * status.
 */
int
master_run(struct conf *conf, struct listener **listeners, int foreground,
    const char *conf_path, const char *start_dir, pid_t predecessor)
{
	struct pollfd pfd[1 + 1 + CONTROL_CLIENTS_MAX];
	int64_t now, wait = 0, timeout;
	char err[256];
	size_t i;
	int n;

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

	master.next_tick = now_ms() + 1000;
	master.progress_at = now_ms();
	for (;;) {
		now = now_ms();
		timeout = master.next_tick - now;
		if (master.state == MASTER_RUNNING && wait >= 0 && wait < timeout)
			timeout = wait;
		if (master.state == MASTER_STOPPING && !master.killed &&
		    master.deadline - now < timeout)
			timeout = master.deadline - now;
		/* Work left from the last turn: look, but do not wait. */
		if (master.sweep_signo != 0)
			timeout = 0;
		if (master.reap_pending && master.reap_next - now < timeout)
			timeout = master.reap_next - now;
		if (timeout < 0)
			timeout = 0;
		pfd[0].fd = sig_fd();
		pfd[0].events = POLLIN;
		pfd[0].revents = 0;
		n = control_pollfds(pfd + 1, 1 + CONTROL_CLIENTS_MAX);
		if (poll(pfd, (nfds_t)(1 + n), (int)timeout) > 0 &&
		    pfd[0].revents != 0)
			sig_drain();
		/* A client asked something: its answer has every death. */
		for (i = 1; i <= (size_t)n; i++)
			if (pfd[i].revents != 0) {
				master_reap(1);
				break;
			}
		/* Every turn: a silent control client must go on time. */
		control_handle(pfd + 1, n);
		master_signals();
		if (master.sweep_signo != 0)
			(void)spawn_sweep();

		now = now_ms();
		if (now >= master.next_tick) {
			supervise_tick(now);
			master.pred_alive = master.predecessor > 0 &&
			    daemon_alive(master.predecessor);
			master_publish();
			master.next_tick = now + 1000;
		}
		master_publish_phase();
		if (master.state == MASTER_RUNNING) {
			if ((wait = master_running(now)) == -2)
				break;
			continue;
		}
		stop_step();
		if (master_live() == 0 && master.sweep_signo == 0)
			break;
		if (!master.killed && now >= master.deadline) {
			log_warning("%d workers still running after the stop "
			    "timeout; killing them", master_live());
			spawn_signal_all(SIGKILL);
			master.killed = 1;
		}
	}
	if (wait == -2) {
		/* As if never started: no worker outlives the failure. */
		spawn_signal_all(SIGKILL);
		while (spawn_sweep())
			;
		stop_listeners(0);
		return EXIT_RUNTIME;
	}
	daemon_pidfile_remove();
	control_close();
	log_notice("exiting");
	reload_free_old();
	scoreboard_destroy(&master.sb);
	pub_destroy(&master.pub);
	proc_free(&master.pt);
	for (i = 0; i < master.nsvc; i++)
		free(master.svc[i].listeners);
	master_services_free(master.svc, master.nsvc);
	conf_free(master.conf);
	free(master.conf_path);
	free(master.start_dir);
	return EXIT_OK;
}
