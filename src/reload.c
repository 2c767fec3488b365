/*
 * reload.c - HUP: a new generation from the configuration read again,
 * on the sockets it keeps or binds, then the old generation retired once
 * the new workers are ready; settings only a restart can change are kept.
 * The new pools are forked by the master's loop a batch per turn
 * (supervise_fill); "-s reload" waits on the control socket for the
 * outcome, with a progress line a second while it takes long.
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

static int	reload_same_string(const char *a, const char *b);
static void	reload_keep_globals(struct conf *nc);
static struct service *	reload_service_named(const char *name);
static void	reload_logs_follow(const struct conf *oc, const struct conf *nc);
static void	reload_successors(void);
static int	reload_room(const struct conf *nc);

/* reload_same_string - both NULL, or equal. */
static int
reload_same_string(const char *a, const char *b)
{
	return (a == NULL && b == NULL) ||
	    (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/*
 * reload_keep_globals - settings that only a restart can change: warn, and
 * keep the running values in the new configuration.
 */
static void
reload_keep_globals(struct conf *nc)
{
	static const char *const names[] = {
		"user", "group", "pid_file", "control_socket",
	};
	char **newv[4] = { &nc->user, &nc->group, &nc->pid_file,
	    &nc->control_socket };
	char *const oldv[4] = { master.conf->user, master.conf->group, master.conf->pid_file,
	    master.conf->control_socket };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (reload_same_string(*newv[i], oldv[i]))
			continue;
		log_warning("reload: %s changed (\"%s\" -> \"%s\"); it takes "
		    "effect only after a restart, keeping \"%s\"", names[i],
		    oldv[i] ? oldv[i] : "", *newv[i] ? *newv[i] : "",
		    oldv[i] ? oldv[i] : "");
		free(*newv[i]);
		*newv[i] = oldv[i] ? strdup(oldv[i]) : NULL;
	}
	nc->uid = master.conf->uid;
	nc->gid = master.conf->gid;
}

/* reload_service_named - the running generation's service called name. */
static struct service *
reload_service_named(const char *name)
{
	size_t i;

	for (i = 0; i < master.nsvc; i++)
		if (strcmp(master.svc[i].conf->name, name) == 0)
			return &master.svc[i];
	return NULL;
}

/*
 * reload_logs_follow - log level, error_log and access_log may change on a
 * reload.  A log that cannot be opened keeps the old one (and says so).
 */
static void
reload_logs_follow(const struct conf *oc, const struct conf *nc)
{
	log_set_level(nc->log_level);
	if (!reload_same_string(oc->error_log, nc->error_log) &&
	    log_open(nc->error_log, master.foreground) == -1)
		log_error("reload: cannot open the error log %s: %s; keeping "
		    "the old one", nc->error_log,
		    file_error_at(nc->error_log, errno));
	if (!reload_same_string(oc->access_log, nc->access_log)) {
		access_close();
		if (access_open(nc->access_log, nc->user != NULL ? nc->uid :
		    (uid_t)-1, nc->gid) == -1)
			log_error("reload: cannot open the access log %s: %s",
			    nc->access_log,
			    file_error_at(nc->access_log, errno));
	}
	if (nc->user != NULL && geteuid() == 0)
		log_chown(nc->uid, nc->gid);
	(void)logpass_publish();
}

/*
 * reload_successors - point each service of every older generation at the
 * current generation's service of the same name (NULL: gone), so that
 * their workers find it without a search.
 */
static void
reload_successors(void)
{
	struct generation *g;
	size_t i;

	for (g = master.old; g != NULL; g = g->older)
		for (i = 0; i < g->nsvc; i++)
			g->svc[i].successor =
			    reload_service_named(g->svc[i].conf->name);
}

/*
 * reload_room - whether the scoreboard (sized at start) holds the workers
 * running now and the largest pools of nc besides.  0, or -1 (logged).
 */
static int
reload_room(const struct conf *nc)
{
	size_t need = scoreboard_workers(nc), live = (size_t)master_live();

	if (live + need <= master.pt.capacity)
		return 0;
	log_error("reload failed: the new configuration has up to %zu "
	    "workers, and with the %zu running that is more than the %zu "
	    "slots of the scoreboard (sized at start from the configuration "
	    "then); restart or upgrade (preforkd -s upgrade) to grow it; "
	    "still running generation %u", need, live, master.pt.capacity,
	    master.generation);
	return -1;
}

/*
 * reload_run - HUP or "-s reload": read and check the configuration
 * again; on any error keep running as before.  Otherwise bind what is new
 * and make the new generation current: the loop forks its pools, and
 * reload_retire_old() retires the old one once the new one is ready.
 * Returns the answer for the control socket; with *wait set instead, the
 * outcome comes later (reload_filled, reload_interrupted).
 */
char *
reload_run(int *wait)
{
	struct errlist errs = { NULL, 0 };
	struct generation *g;
	struct listener **nl;
	struct service *nsvc, *os;
	struct conf *nc;
	struct errlist berrs = { NULL, 0 };
	char *reply = NULL;
	size_t i, replylen;
	int of;
	FILE *f;

	*wait = 0;
	notify_send("RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
	    notify_monotonic_usec(), master.conf_path);
	log_notice("reloading %s", master.conf_path);
	if ((f = open_memstream(&reply, &replylen)) == NULL) {
		log_error("reload: open_memstream: %s; not reloading, still "
		    "running generation %u", strerror(errno),
		    master.generation);
		return NULL;
	}
	/* Relative paths in the file mean what they meant at start. */
	if (chdir(master.start_dir) == -1)
		log_warning("reload: chdir %s: %s; relative paths are taken "
		    "from /", master.start_dir, strerror(errno));
	nc = conf_load(master.conf_path, &errs);
	if (!master.foreground && chdir("/") == -1)
		log_warning("reload: chdir /: %s", strerror(errno));
	if (nc == NULL) {
		for (i = 0; i < errs.n; i++) {
			log_error("reload: %s", errs.msg[i]);
			fprintf(f, "%s\n", errs.msg[i]);
		}
		log_error("reload failed: %zu errors; still running "
		    "generation %u", errs.n, master.generation);
		fprintf(f, "reload failed: %zu errors; still running "
		    "generation %u\n", errs.n, master.generation);
		errlist_free(&errs);
		goto done;
	}
	for (i = 0; i < nc->warnings.n; i++)
		log_warning("reload: %s", nc->warnings.msg[i]);
	if (reload_room(nc) == -1) {
		fprintf(f, "reload failed: the new configuration needs more "
		    "worker slots than this master has (see the error log); "
		    "still running generation %u\n", master.generation);
		conf_free(nc);
		goto done;
	}
	reload_keep_globals(nc);
	if ((nl = sockets_open(nc, &berrs)) == NULL) {
		for (i = 0; i < berrs.n; i++) {
			log_error("reload failed: %s; nothing changed, still "
			    "running generation %u", berrs.msg[i],
			    master.generation);
			fprintf(f, "reload failed: %s; still running "
			    "generation %u\n", berrs.msg[i], master.generation);
		}
		errlist_free(&berrs);
		conf_free(nc);
		goto done;
	}
	if ((nsvc = master_services(nc, nl)) == NULL ||
	    (g = calloc(1, sizeof(*g))) == NULL) {
		master_services_free(nsvc, nc->nservices);
		sockets_free(nc, nl);
		conf_free(nc);
		fprintf(f, "reload failed: out of memory\n");
		goto done;
	}
	free(nl);
	/* Counters of a service live on under its name. */
	for (i = 0; i < nc->nservices; i++) {
		if ((os = reload_service_named(nsvc[i].conf->name)) == NULL)
			continue;
		memcpy(nsvc[i].dead, os->dead, sizeof(nsvc[i].dead));
		memcpy(nsvc[i].dead_hist, os->dead_hist,
		    sizeof(nsvc[i].dead_hist));
		nsvc[i].dead_hist_sum_ms = os->dead_hist_sum_ms;
		nsvc[i].respawns = os->respawns;
		nsvc[i].hung_kills = os->hung_kills;
		/* So do its buckets, when their table keeps its shape: a
		 * reload forgives no client its debt. */
		if (nsvc[i].srctab.shm != NULL && os->srctab.shm != NULL &&
		    nsvc[i].srctab.nsets == os->srctab.nsets) {
			srctab_destroy(&nsvc[i].srctab);
			nsvc[i].srctab = os->srctab;
			memset(&os->srctab, 0, sizeof(os->srctab));
		}
	}
	/* Sockets no longer configured: ours go now, the workers' with them. */
	stop_listeners(0);

	if (master.reload_filling)
		log_notice("reload: generation %u was still starting; "
		    "generation %u replaces it", master.generation,
		    master.generation + 1);
	g->id = master.generation;
	g->conf = master.conf;
	g->svc = master.svc;
	g->nsvc = master.nsvc;
	for (i = 0; i < g->nsvc; i++)
		g->svc[i].reload_total = g->svc[i].tally->workers;
	g->older = master.old;
	master.old = g;
	reload_logs_follow(master.conf, nc);
	daemon_log_users(nc);
	master.conf = nc;
	master.svc = nsvc;
	master.nsvc = nc->nservices;
	master.generation++;
	master.paused = 0;
	master.reloading = 1;
	master.reload_filling = 1;
	master.filling = 1;
	/* The wait for the new workers starts once they are all forked. */
	master.reload_deadline = INT64_MAX;
	reload_successors();
	/* Totals keyed by name go on; a page too small for nc grows. */
	if (pub_grow(&master.pub, master.nsvc, master.generation) == -1)
		log_error("reload: cannot grow the published page to %zu "
		    "services: %s; the metrics show the first %u", master.nsvc,
		    strerror(errno), master.pub.cur.cap);
	master_publish();
	sockets_log();
	(void)master_started(&of);
	log_notice("reload: generation %u: starting %d workers",
	    master.generation, of);
	*wait = 1;
done:
	if (!master.reloading)
		notify_send("READY=1\nSTATUS=running generation %u",
		    master.generation);
	fclose(f);
	if (*wait) {
		free(reply);
		reply = NULL;
	}
	return reply;
}

/*
 * reload_filled - the new generation's pools are all forked: its
 * workers now have RELOAD_READY_MS to get ready before the old ones go
 * regardless (as long as one is ready), and "-s reload" has its answer.
 */
void
reload_filled(int64_t now)
{
	char line[128];
	int started, of;

	master.reload_filling = 0;
	master.reload_deadline = now + RELOAD_READY_MS;
	started = master_started(&of);
	log_notice("reload: generation %u started; generation %u retires "
	    "as soon as the new workers are ready", master.generation,
	    master.generation - 1);
	snprintf(line, sizeof(line), "reloaded: generation %u started (%d "
	    "workers)\n", master.generation, started);
	control_waiters_say(line, 1);
}

/* reload_progress - while the new pools are forked: where it is, to "-s reload". */
void
reload_progress(int started, int of)
{
	char line[128];

	snprintf(line, sizeof(line), "reload: generation %u: %d of %d "
	    "workers started\n", master.generation, started, of);
	control_waiters_say(line, 0);
}

/*
 * reload_interrupted - the reload will not finish here (why: a stop):
 * "-s reload" learns how far it got.
 */
void
reload_interrupted(const char *why)
{
	char line[256];
	int started, of;

	if (!master.reload_filling)
		return;
	master.reload_filling = 0;
	started = master_started(&of);
	snprintf(line, sizeof(line), "reload interrupted: %s (generation %u "
	    "had %d of %d workers started)\n", why, master.generation,
	    started, of);
	control_waiters_say(line, 1);
}

/*
 * reload_retire_old - after a reload: the workers of an older generation
 * are told to finish and exit (QUIT) as their service's new workers get
 * ready, in step with them (policy_retire_old), all of them once the new
 * pool is ready (or at least one of it after RELOAD_READY_MS), so that
 * no moment passes without a worker accepting.  shutdown_timeout bounds
 * how long each may take.  RETIRE_BATCH signals per RETIRE_PACE_MS at
 * most (master.h).  Two walks over the workers, whatever the number of
 * services: one counts each new service's ready workers (the master
 * comes here every RELOAD_LOOK_MS meanwhile: master.c).  Returns the ms
 * until more may be told to go, or -1 when none is waiting for its turn.
 */
int64_t
reload_retire_old(int64_t now)
{
	struct slot_report r;
	struct service *cur, *old;
	struct proc *p;
	size_t i;
	int left = 0, sent = 0, more = 0;

	if (!master.reloading)
		return -1;
	for (i = 0; i < master.nsvc; i++)
		master.svc[i].nready = 0;
	for (i = 0; (p = proc_next(&master.pt, &i)) != NULL;) {
		if (p->generation != master.generation || p->retiring)
			continue;
		/* Seen ready now, not only at the next tick: the old go sooner. */
		if (!p->ready && master_report(p, now, &r) == 0 &&
		    r.state != SLOT_STARTING)
			p->ready = 1;
		if (p->ready)
			p->svc->nready++;
	}
	for (i = 0; (p = proc_next(&master.pt, &i)) != NULL;) {
		if (p->retiring || p->generation == master.generation)
			continue;
		old = p->svc;
		cur = old->successor;
		/* Gone so far (told to, or died): reload_total - workers. */
		if (old->reload_total - old->tally->workers >=
		    policy_retire_old(cur != NULL, cur != NULL ? cur->want : 0,
		    cur != NULL ? cur->nready : 0, old->reload_total, now,
		    master.reload_deadline)) {
			left++;
			continue;
		}
		if (now < master.retire_next || sent == RETIRE_BATCH) {
			left++;
			more = 1;
			continue;
		}
		spawn_retire(p, SIGQUIT);
		p->kill_at = now + master.conf->shutdown_timeout * 1000LL;
		if (++sent == RETIRE_BATCH)
			master.retire_next = now + RETIRE_PACE_MS;
	}
	if (left == 0) {
		master.reloading = 0;
		log_notice("reload: generation %u is serving; the older "
		    "workers are finishing their connections", master.generation);
		notify_send("READY=1\nSTATUS=running generation %u",
		    master.generation);
	} else if (now >= master.reload_deadline && now - master.reload_deadline < 1000)
		log_error("reload: %d workers of generation %u keep serving: "
		    "the new workers of their service are not ready", left,
		    master.generation - 1);
	return more ? (now < master.retire_next ? master.retire_next - now :
	    0) : -1;
}

/*
 * reload_free_old - forget older generations whose workers are all gone
 * (no entry of the process table points at one of their services).
 */
void
reload_free_old(void)
{
	struct generation **gp, *g;
	size_t i;
	int used;

	for (gp = &master.old; (g = *gp) != NULL;) {
		used = 0;
		for (i = 0; i < g->nsvc && !used; i++)
			used = g->svc[i].tally->procs > 0;
		if (used) {
			gp = &g->older;
			continue;
		}
		*gp = g->older;
		for (i = 0; i < g->nsvc; i++)
			free(g->svc[i].listeners);
		master_services_free(g->svc, g->nsvc);
		conf_free(g->conf);
		free(g);
	}
	/* The pages only workers of the generations gone still held. */
	for (g = master.old; g != NULL && g->older != NULL; g = g->older)
		;
	pub_drop_older(&master.pub, g != NULL ? g->id : master.generation);
}
