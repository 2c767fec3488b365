/*
 * reliability-t.c - no connection lost while preforkd reloads, upgrades
 * and loses a worker, under continuous load.
 *
 * A load generator (tests/tap/load.c) keeps 8 short clients (connect, send
 * a line, half-close, read the echo to EOF, close) and 2 long ones (one
 * connection, a line every 50 ms) busy on an echo service on 127.0.0.1,
 * while the test goes through phases:
 *
 *   0 warm-up   load only
 *   1 HUP       the config's workers go from 4 to 6; HUP; new generation
 *   2 upgrade   USR2, the new master's pid file, WINCH and QUIT to the old
 *   3 kill -9   one worker of the new master is killed
 *   4 after     load only, once the pool is whole again
 *
 * Refused, reset and failed connections are counted per phase and printed
 * as diagnostics.  Phases 0, 1, 2 and 4 must have no failure at all; in
 * phase 3 only what the killed worker was serving may fail: at most one
 * short connection and one long one.
 *
 * The make-check run lasts about 6 s.  For a longer run by hand, set
 * PREFORKD_RELIABILITY_SECONDS (e.g. 120): every phase stretches in
 * proportion (the long connections then live through all of it, as
 * shutdown_timeout is set above the run's length).
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/load.h"
#include "../tap/net.h"

#define NSHORT		8
#define NLONG		2
#define LONG_MS		50

enum { WARMUP, HUP, UPGRADE, KILL9, AFTER, NPHASES };

static const char *const phase_names[NPHASES] = {
	"warm-up", "HUP", "upgrade", "kill -9", "after",
};

/* Share of the run each phase's load window takes, in thousandths. */
static const int phase_share[NPHASES] = { 100, 250, 300, 200, 150 };

static long run_ms;

/* window - keep the load going for this phase's share of the run. */
static void
window(int phase, long since)
{
	long until = since + run_ms * phase_share[phase] / 1000;

	/* The load runs in its threads: this is the measuring time. */
	while (pf_now_ms() < until)
		pf_sleep_ms(20);
}

/*
 * settle - before acting on the daemon, let every client's connection of
 * the previous phase end, so that the failures the action causes count in
 * its own phase.
 */
static void
settle(struct pf_load *ld)
{
	if (!pf_load_settle(ld, PF_LOAD_IO_MS + 1000))
		diag("some clients are still busy with a connection of the "
		    "previous phase");
}

/* write_conf - the config with workers and shutdown_timeout. */
static void
write_conf(struct pf_daemon *d, int workers, int shutdown)
{
	char *text;

	text = tap_strdup_printf("pid_file = \"%s\";\nerror_log = \"%s\";\n"
	    "log_level = \"info\";\n%sshutdown_timeout = %d;\n"
	    "services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = %d; listen = \"127.0.0.1:0\"; } );\n", d->pid_file,
	    d->error_log, geteuid() == 0 ? "user = \"nobody\";\n" : "",
	    shutdown, workers);
	pf_write_file(d->conf, text);
	free(text);
}

/* current_workers - the master's children that are not pid other. */
static int
current_workers(struct pf_daemon *d, pid_t other, pid_t *out, int max)
{
	pid_t pids[64];
	int i, n, k = 0;

	n = pf_workers(d, pids, 64);
	for (i = 0; i < n && i < 64; i++)
		if (pids[i] != other && k < max)
			out[k++] = pids[i];
	return k;
}

static void
show(int phase, const struct pf_load_counts *k)
{
	diag("%-8s short: %5ld ok, %ld refused, %ld reset, %ld failed; "
	    "long: %4ld ok, %ld refused, %ld reset, %ld failed",
	    phase_names[phase], k->s[PF_LOAD_OK], k->s[PF_LOAD_REFUSED],
	    k->s[PF_LOAD_RESET], k->s[PF_LOAD_FAILED], k->l[PF_LOAD_OK],
	    k->l[PF_LOAD_REFUSED], k->l[PF_LOAD_RESET], k->l[PF_LOAD_FAILED]);
	if (k->first[0] != '\0')
		diag("%-8s first failure: %s", "", k->first);
}

int
main(void)
{
	struct pf_daemon *d, *nd = NULL;
	struct pf_load *ld;
	struct pf_load_counts k[NPHASES];
	const char *env = getenv("PREFORKD_RELIABILITY_SECONDS");
	pid_t old, newpid, victim = 0, w[64];
	long t, secs, took;
	int port, i, n, r, st = -1;
	char *needle, status[16384], serr[1024];

	secs = env != NULL ? atol(env) : 0;
	if (secs <= 0)
		secs = 6;
	run_ms = secs * 1000;
	/* Generous bounds around the waits, over the whole run. */
	alarm((unsigned)(secs * 3 + 120));
	plan_lazy();

	d = pf_prepare("");
	write_conf(d, 4, (int)secs + 60);
	pf_launch(d, NULL);
	if (pf_wait_ready(d, 10000) < 0) {
		pf_show(d);
		bail("preforkd did not start");
	}
	old = d->pid;
	port = pf_port(d, "echo", "tcp");
	is_int(4, pf_wait_workers(d, 4, 5000), "4 workers");
	diag("load: %d short and %d long clients on 127.0.0.1:%d for about "
	    "%ld s", NSHORT, NLONG, port, secs);
	ld = pf_load_start("127.0.0.1", port, NSHORT, NLONG, LONG_MS);

	/* 0: warm-up; the status answers while the load runs. */
	t = pf_now_ms();
	is_int(0, pf_status(d, 0, status, sizeof(status), serr, sizeof(serr)),
	    "-s status answers under load");
	like(status, "workers 4, busy ", "-s status under load: the counts");
	ok(pf_now_ms() - t < 5000, "-s status under load: within 5 s (%ld ms)",
	    pf_now_ms() - t);
	window(WARMUP, t);

	/* 1: HUP with 6 workers. */
	pf_load_phase(ld, HUP);
	t = pf_now_ms();
	settle(ld);
	write_conf(d, 6, (int)secs + 60);
	pf_kill(d, SIGHUP);
	r = pf_log_wait(d, "reload: generation 2 is serving", 8000);
	ok(r, "HUP: generation 2 is serving (%ld ms)", pf_now_ms() - t);
	window(HUP, t);

	/* 2: upgrade by hand, as an administrator would. */
	pf_load_phase(ld, UPGRADE);
	t = pf_now_ms();
	settle(ld);
	pf_kill(d, SIGUSR2);
	newpid = pf_wait_pid_change(d->pid_file, old, 10000);
	if (newpid > 0)
		nd = pf_adopt_new(d, newpid);
	took = pf_now_ms() - t;
	ok(nd != NULL, "USR2: new master %ld (%ld ms)", (long)newpid, took);
	ok(nd != NULL && pf_wait_workers(nd, 6, 5000) == 6,
	    "the new master has 6 workers");
	pf_kill(d, SIGWINCH);
	pf_kill(d, SIGQUIT);
	ok(pf_log_wait(d, "received SIGQUIT: graceful stop", 2000),
	    "WINCH and QUIT to the old master");
	window(UPGRADE, t);

	/* 3: kill -9 one worker of the new master. */
	pf_load_phase(ld, KILL9);
	t = pf_now_ms();
	settle(ld);
	if (nd != NULL && current_workers(nd, 0, w, 64) > 0)
		victim = w[0];
	ok(victim > 0 && kill(victim, SIGKILL) == 0, "kill -9 worker %ld",
	    (long)victim);
	needle = tap_strdup_printf("worker %ld killed by signal 9 (SIGKILL)",
	    (long)victim);
	ok(pf_log_wait(d, needle, 3000), "log: %s", needle);
	free(needle);
	n = 0;
	for (i = 0; nd != NULL && i < 300 && n != 6; i++) {
		pid_t now[64];
		int j;

		n = current_workers(nd, 0, now, 64);
		for (j = 0; j < n; j++)
			if (now[j] == victim)
				n = -1;
		if (n != 6)
			pf_sleep_ms(10);
	}
	is_int(6, n, "the pool is whole again");
	window(KILL9, t);

	/* 4: after. */
	pf_load_phase(ld, AFTER);
	window(AFTER, pf_now_ms());

	pf_load_stop(ld);
	for (i = 0; i < NPHASES; i++) {
		pf_load_get(ld, i, &k[i]);
		show(i, &k[i]);
	}
	for (i = 0; i < NPHASES; i++) {
		ok(k[i].s[PF_LOAD_OK] > 0 && k[i].l[PF_LOAD_OK] > 0,
		    "%s: short and long clients were served (%ld, %ld)",
		    phase_names[i], k[i].s[PF_LOAD_OK], k[i].l[PF_LOAD_OK]);
		if (i == KILL9) {
			ok(pf_load_short_failures(&k[i]) <= 1 &&
			    pf_load_long_failures(&k[i]) <= 1 &&
			    k[i].s[PF_LOAD_REFUSED] == 0 &&
			    k[i].l[PF_LOAD_REFUSED] == 0,
			    "%s: at most the killed worker's connections "
			    "failed (short %ld <= 1, long %ld <= 1, none "
			    "refused)", phase_names[i],
			    pf_load_short_failures(&k[i]),
			    pf_load_long_failures(&k[i]));
			continue;
		}
		ok(pf_load_short_failures(&k[i]) == 0 &&
		    pf_load_long_failures(&k[i]) == 0,
		    "%s: no connection refused, reset or failed",
		    phase_names[i]);
	}
	pf_load_free(ld);

	/* The long connections are closed: the old master can go now. */
	ok(pf_wait_exit(d, 10000, &st) == 0 && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "the old master exits 0");
	if (nd != NULL)
		pf_kill(nd, SIGTERM);
	ok(nd != NULL && pf_wait_exit(nd, 10000, NULL) == 0,
	    "TERM: the new master exits");
	n = pf_log_count(d, "error:");
	ok(n == 0, "no error in the log (%d)", n);
	if (n != 0)
		pf_show(d);
	return 0;
}
