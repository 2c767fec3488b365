/*
 * scale-t.c - the master never blocks while it starts a big pool: the
 * real preforkd starts 600 workers, a few at a time (the test-only
 * PREFORKD_TEST_SPAWN_BATCH and PREFORKD_TEST_SPAWN_PAUSE_MS of
 * preforkd(8) make the start last seconds), and while the pool is still
 * starting -- -s status says "X of 600 started" with X < 600 -- the test
 * kills a worker and the master reaps and replaces it, before its "ready"
 * line.  Then -s reload shows its progress lines and waits for the
 * outcome, -s status shows the reload's progress meanwhile, and old
 * workers are gone before the new pool is all started; -s upgrade
 * shows the new master's progress while its pool starts (that master
 * answers -s status all along); and a fast stop in the middle of a
 * reload's start ends every worker.
 * Nothing here is timed: each wait is a bounded poll for an event.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

#define WORKERS		600
#define WAIT_MS		60000	/* generous: a loaded 2-core machine */

static char out[1 << 18], err[8192];

/*
 * progress - the "X of N started" of a text status (its line "start in
 * progress: generation G, X of N workers started", what "start" or
 * "reload"): X, or -1 when the status has no such line (N in *of).
 */
static int
progress(const char *status, const char *what, unsigned int gen, int *of)
{
	char *needle;
	const char *p;
	int x = -1;

	needle = tap_strdup_printf("%s in progress: generation %u, ", what,
	    gen);
	if ((p = strstr(status, needle)) != NULL &&
	    sscanf(p + strlen(needle), "%d of %d workers started", &x,
	    of) != 2)
		x = -1;
	free(needle);
	return x;
}

/*
 * wait_progress - poll -s status until it reports what in progress with at
 * least min workers started, fewer than all: X, or -1.
 */
static int
wait_progress(struct pf_daemon *d, const char *what, unsigned int gen,
    int min)
{
	long deadline = pf_now_ms() + WAIT_MS;
	int x, of = 0;

	while (pf_now_ms() < deadline) {
		if (pf_status(d, 0, out, sizeof(out), err, sizeof(err)) == 0 &&
		    (x = progress(out, what, gen, &of)) >= min && x < of)
			return x;
		pf_sleep_ms(20);
	}
	return -1;
}

/*
 * old_gone_while_starting - poll until one of the n workers in old has
 * gone while -s status still says the reload's new pool is starting (the
 * old generation leaves in step with the new one): how many had gone, or
 * -1 when the reload finished first or nothing happened in time.
 */
static int
old_gone_while_starting(struct pf_daemon *d, const pid_t *old, int n)
{
	long deadline = pf_now_ms() + WAIT_MS;
	int i, gone, x, of = 0;

	while (pf_now_ms() < deadline) {
		for (i = gone = 0; i < n; i++)
			gone += !pf_proc_alive(old[i]);
		/* Looked at after the deaths: they came before it. */
		if (pf_status(d, 0, out, sizeof(out), err, sizeof(err)) != 0)
			return -1;
		if ((x = progress(out, "reload", 2, &of)) < 0 || x >= of)
			return -1;
		if (gone > 0)
			return gone;
		pf_sleep_ms(20);
	}
	return -1;
}

/*
 * idle_worker - a worker the text status lists as idle (one that was
 * ready, so that its death is a crash, replaced at once), or 0.
 */
static pid_t
idle_worker(const char *status)
{
	const char *p = status;
	long pid;
	char state[32];

	while ((p = strstr(p, "\n  worker ")) != NULL) {
		p += 10;
		if (sscanf(p, "%ld %31s", &pid, state) == 2 &&
		    strcmp(state, "idle") == 0)
			return (pid_t)pid;
	}
	return 0;
}

/*
 * wait_new_master - poll -s status until another master than d's answers
 * on the control socket (an upgrade's), its pool still starting: its
 * pid, or 0.
 */
static pid_t
wait_new_master(struct pf_daemon *d)
{
	long deadline = pf_now_ms() + WAIT_MS, pid;
	const char *p;
	int x, of = 0;

	while (pf_now_ms() < deadline) {
		if (pf_status(d, 0, out, sizeof(out), err, sizeof(err)) == 0 &&
		    (p = strstr(out, ": master pid ")) != NULL &&
		    sscanf(p + 13, "%ld", &pid) == 1 && pid != d->pid &&
		    (x = progress(out, "start", 1, &of)) >= 0 && x < of)
			return (pid_t)pid;
		pf_sleep_ms(20);
	}
	return 0;
}

/*
 * upgrade_wait - wait for the -s upgrade command cl, reaping the old
 * master d (our child) once it exits, which the command waits for: the
 * command's wait status, or -1.
 */
static int
upgrade_wait(struct pf_daemon *d, pid_t cl)
{
	long deadline = pf_now_ms() + 120000;
	int st;

	while (pf_now_ms() < deadline) {
		if (waitpid(cl, &st, WNOHANG) == cl)
			return st;
		if (!d->reaped)
			(void)pf_wait_exit(d, 0, NULL);
		pf_sleep_ms(20);
	}
	return pf_run_bg_wait(cl, 0);
}

/* before - whether the log has line a, then (later) line b. */
static int
before(struct pf_daemon *d, const char *a, const char *b)
{
	char *log = pf_log(d), *pa, *pb;
	int r;

	pa = strstr(log, a);
	pb = strstr(log, b);
	r = pa != NULL && pb != NULL && pa < pb;
	free(log);
	return r;
}

/* nice_of - the nice value of process pid (/proc/PID/stat), or 99. */
static int
nice_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	int nice = 99;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return 99;
	if (fgets(buf, sizeof(buf), f) != NULL &&
	    (p = strrchr(buf, ')')) != NULL &&
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u "
	    "%*u %*d %*d %*d %d", &nice) != 1)
		nice = 99;
	fclose(f);
	return nice;
}

int
main(void)
{
	struct pf_daemon *d;
	char *needle, *path, *text, *conf;
	const char *reload[] = { "-s", "reload", "-c", NULL, NULL };
	const char *upgrade[] = { "-s", "upgrade", "-c", NULL, NULL };
	struct pf_daemon *nd;
	static pid_t pids[2 * WORKERS];
	pid_t victim, cl, gone[1], np;
	const char *last;
	int x, st, port, nw;
	size_t n;

	plan(31);
	alarm(600);
	if (geteuid() != 0)
		diag("not root: the workers run as this user");
	/* Started at nice 3: the master above it where allowed, workers at 3. */
	if (setpriority(PRIO_PROCESS, 0, 3) == -1)
		diag("setpriority 3: %s", strerror(errno));
	/* A start that lasts seconds: 2 forks, then 40 ms, and again. */
	setenv("PREFORKD_TEST_SPAWN_BATCH", "2", 1);
	setenv("PREFORKD_TEST_SPAWN_PAUSE_MS", "40", 1);
	d = pf_prepare("log_level = \"info\";\n"
	    "services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 600; listen = \"127.0.0.1:0\"; } );\n");
	pf_launch(d, NULL);

	/* The pool is still starting: the master answers all the same. */
	x = wait_progress(d, "start", 1, 8);
	ok(x >= 8 && x < WORKERS, "-s status while the pool starts: %d of "
	    "%d started", x, WORKERS);
	ok(strstr(out, "\n  start in progress: ") != NULL,
	    "and the service says how far its pool is");
	ok(pf_read_pid_file(d->pid_file) != d->pid && pf_log_count(d,
	    "notice: ready: ") == 0, "no pid file, no ready line yet");
	ok(pf_status(d, 1, out, sizeof(out), err, sizeof(err)) == 0 &&
	    strstr(out, "\"progress\":{\"what\":\"start\",\"started\":") !=
	    NULL && strstr(out, "\"of\":600}") != NULL,
	    "-s status --json: the progress, of 600");

	/* A worker dies while the pool is starting: reaped and replaced. */
	pf_status(d, 0, out, sizeof(out), err, sizeof(err));
	victim = idle_worker(out);
	ok(victim > 0 && kill(victim, SIGKILL) == 0, "SIGKILL to idle "
	    "worker %ld", (long)victim);
	needle = tap_strdup_printf("service echo: worker %ld killed by "
	    "signal 9 (SIGKILL) after 0 connections; replacing it",
	    (long)victim);
	ok(pf_log_wait(d, needle, WAIT_MS), "log: %s", needle);
	gone[0] = victim;
	ok(pf_wait_gone(gone, 1, WAIT_MS) == 0, "the worker is reaped");
	x = wait_progress(d, "start", 1, 0);
	ok(x >= 0 && x < WORKERS, "after that, the pool is still starting "
	    "(%d of %d)", x, WORKERS);

	/* The start ends: pid file, ready line after the death's. */
	ok(pf_wait_ready(d, 120000) == 0, "the master is ready in the end");
	ok(before(d, needle, "notice: ready: 1 services, 600 workers"),
	    "the death was handled before the ready line (600 workers)");
	free(needle);
	ok(pf_wait_workers(d, WORKERS, WAIT_MS) == WORKERS,
	    "%d workers", WORKERS);
	nw = pf_workers(d, pids, 2 * WORKERS);
	ok(nice_of(d->pid) == (geteuid() == 0 ? 3 - 10 : 3),
	    "the master runs at nice %d (started at 3)", nice_of(d->pid));
	ok(nw > 0 && nice_of(pids[0]) == 3 && nice_of(pids[nw - 1]) == 3,
	    "its workers at nice 3, as started");
	ok(pf_status(d, 0, out, sizeof(out), err, sizeof(err)) == 0 &&
	    strstr(out, "in progress") == NULL, "-s status: no start in "
	    "progress any more");
	port = pf_port(d, "echo", "tcp");
	ok(pf_echo_tcp("127.0.0.1", port, "hello\n"), "echo serves");

	/* -s reload waits for the outcome, with progress lines. */
	conf = d->conf;
	reload[3] = conf;
	path = pf_path(d, "reload.out");
	nw = pf_workers(d, pids, 2 * WORKERS);
	cl = pf_run_bg(reload, path);
	x = wait_progress(d, "reload", 2, 1);
	ok(x >= 1 && x < WORKERS, "-s status during -s reload: %d of %d "
	    "started", x, WORKERS);
	x = old_gone_while_starting(d, pids, nw);
	ok(nw == WORKERS && x > 0, "old workers leave while the new pool "
	    "starts, in step with it (%d of %d gone)", x, nw);
	st = pf_run_bg_wait(cl, 120000);
	text = pf_file(path);
	ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "-s reload exits 0");
	ok(text != NULL && strstr(text, "reload: generation 2: ") != NULL &&
	    strstr(text, " of 600 workers started\n") != NULL,
	    "-s reload prints a progress line: reload: generation 2: X of "
	    "600 workers started");
	n = text != NULL ? strlen(text) : 0;
	last = "\nreloaded: generation 2 started (600 workers)\n";
	ok(n > strlen(last) && strcmp(text + n - strlen(last), last) == 0,
	    "then, last: reloaded: generation 2 started (600 workers)");
	if (st != 0)
		diag("-s reload said: %s", text);
	free(text);
	free(path);
	ok(pf_log_wait(d, "reload: generation 2 is serving", WAIT_MS) &&
	    pf_wait_workers(d, WORKERS, WAIT_MS) == WORKERS,
	    "the old generation retires: %d workers", WORKERS);
	ok(pf_echo_tcp("127.0.0.1", port, "again\n"), "echo serves");

	/* -s upgrade: the new master's start, with its progress. */
	upgrade[3] = conf;
	path = pf_path(d, "upgrade.out");
	cl = pf_run_bg(upgrade, path);
	np = wait_new_master(d);
	ok(np > 0, "during -s upgrade, the new master (pid %ld) answers -s "
	    "status while its pool starts", (long)np);
	st = upgrade_wait(d, cl);
	text = pf_file(path);
	ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
	    pf_read_pid_file(d->pid_file) == np, "-s upgrade exits 0; the new "
	    "master wrote the pid file");
	needle = tap_strdup_printf("preforkd: new master pid %ld: ", (long)np);
	ok(text != NULL && strstr(text, needle) != NULL && strstr(text,
	    " of 600 workers started\n") != NULL, "-s upgrade prints the new "
	    "master's progress: %sX of 600 workers started", needle);
	free(needle);
	needle = tap_strdup_printf("preforkd: upgraded (pid %ld)\n", (long)np);
	ok(text != NULL && strstr(text, needle) != NULL, "then: %s", needle);
	if (st != 0)
		diag("-s upgrade said: %s", text);
	free(needle);
	free(text);
	free(path);
	nd = pf_adopt_new(d, np);
	ok(pf_wait_workers(nd, WORKERS, WAIT_MS) == WORKERS &&
	    pf_echo_tcp("127.0.0.1", port, "upgraded\n"), "the new master's "
	    "%d workers serve on the same port", WORKERS);

	/* A fast stop in the middle of a reload's start. */
	pf_kill(nd, SIGHUP);
	x = wait_progress(nd, "reload", 2, 1);
	ok(x >= 1 && x < WORKERS, "a reload of the new master is starting "
	    "(%d of %d)", x, WORKERS);
	nw = pf_workers(nd, pids, 2 * WORKERS);
	ok(pf_kill(nd, SIGTERM) == 0 && pf_wait_exit(nd, WAIT_MS, NULL) == 0,
	    "TERM in the middle of it: the master exits");
	/* Old ones retire in step with the new ones ready: never fewer. */
	ok(nw >= WORKERS && nw <= 2 * WORKERS &&
	    pf_wait_gone(pids, nw, WAIT_MS) == 0, "all its %d workers are "
	    "gone", nw);
	ok(pf_log_count(d, "notice: exiting") == 2, "both masters said "
	    "\"exiting\"");
	if (tap_failures())
		pf_show_tail(d, 40);
	return 0;
}
