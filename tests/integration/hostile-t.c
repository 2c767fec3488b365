/*
 * hostile-t.c - the scoreboard is a trust boundary.  A module running in
 * a worker (tests/modules/hostile.c) overwrites every shared mapping it
 * can find with values chosen to hurt: the pid of a sentinel process that
 * this test started in a session of its own, -1, pointers, counters near
 * 2^64.  Meanwhile the test drives every path of the master that acts on
 * workers: the hung-worker kill (timeout), reaping (a worker exits),
 * retiring (TTOU, a reload) and the stop.  The sentinel must receive no
 * signal at all, the master must not crash and must keep serving, and the
 * damage must be logged.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/wait.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/json.h"
#include "../tap/net.h"

static char out[262144], err[4096];

static pid_t sentinel;
static int sentinel_fd = -1;	/* a byte per signal it caught */
static int sentinel_wfd = -1;

/* sentinel_caught - WARNING: signal context: one byte, nothing more. */
static void
sentinel_caught(int signo)
{
	unsigned char b = (unsigned char)signo;

	/* The test is gone (EPIPE): so are we, or SIGPIPE would loop. */
	if (write(sentinel_wfd, &b, 1) != 1)
		_exit(1);
}

/*
 * sentinel_start - a process in a session of its own (so it leads its
 * process group) that reports every signal it can catch; KILL and STOP
 * show in its state instead.
 */
static void
sentinel_start(void)
{
	struct sigaction sa;
	int p[2], sig, fd;
	char c;

	if (pipe(p) == -1)
		sysbail("pipe");
	if ((sentinel = fork()) == -1)
		sysbail("fork");
	if (sentinel == 0) {
		close(p[0]);
		sentinel_wfd = p[1];
		setsid();
		/* Not holding the test's output open; gone when the test is. */
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
#ifdef PR_SET_PDEATHSIG
		prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = sentinel_caught;
		for (sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				(void)sigaction(sig, &sa, NULL);
		(void)write(p[1], "R", 1);
		for (;;)
			pause();
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1 || c != 'R')
		bail("the sentinel did not start");
	sentinel_fd = p[0];
	fcntl(sentinel_fd, F_SETFL, O_NONBLOCK);
}

/* sentinel_intact - 1 if the sentinel is alive, running, and got nothing. */
static int
sentinel_intact(const char *when)
{
	unsigned char buf[64];
	char state = '?';
	pid_t ppid, pgrp, sid;
	ssize_t n;
	int status;

	n = read(sentinel_fd, buf, sizeof(buf));
	if (n > 0) {
		diag("%s: the sentinel caught signal %d", when, buf[0]);
		return 0;
	}
	if (waitpid(sentinel, &status, WNOHANG | WUNTRACED) != 0) {
		diag("%s: the sentinel died or stopped (status %#x)", when,
		    status);
		return 0;
	}
	if (pf_proc_stat(sentinel, &state, &ppid, &pgrp, &sid) == -1 ||
	    state == 'T' || pgrp != sentinel) {
		diag("%s: the sentinel is in state %c", when, state);
		return 0;
	}
	return 1;
}

/* attack_once - one command to the hostile module; 1 if it said "done N>0". */
static int
attack_once(int port, const char *cmd)
{
	char line[128], reply[64];
	ssize_t n;
	int fd, ok_ = 0;

	if ((fd = pf_tcp_connect("127.0.0.1", port)) < 0)
		return 0;
	snprintf(line, sizeof(line), "%s\n", cmd);
	if (pf_write_all(fd, line, strlen(line)) == 0) {
		n = pf_read_all(fd, reply, 7, PF_NET_TIMEOUT_MS);
		ok_ = n == 7 && strncmp(reply, "done ", 5) == 0 &&
		    reply[5] != '0';
	}
	close(fd);
	return ok_;
}

/*
 * attack - the command, again until it is done (for up to 30 s): the
 * worker that takes it may be one the master is killing just then for
 * the previous attack.  Doing it twice does no harm.
 */
static int
attack(int port, const char *cmd)
{
	long deadline = pf_now_ms() + 30000;

	do {
		if (attack_once(port, cmd))
			return 1;
		pf_sleep_ms(50);
	} while (pf_now_ms() < deadline);
	return 0;
}

/*
 * status_sane - -s status, text and JSON, over slots a worker forged:
 * both answer, and the JSON parses.  1 if so.
 */
static int
status_sane(struct pf_daemon *d)
{
	const char *where = NULL;

	if (pf_status(d, 0, out, sizeof(out), err, sizeof(err)) != 0 ||
	    strstr(out, "service hostile:") == NULL) {
		diag("status text: %s%s", out, err);
		return 0;
	}
	if (pf_status(d, 1, out, sizeof(out), err, sizeof(err)) != 0 ||
	    !pf_json_valid(out, &where)) {
		diag("status json invalid at %.40s: %s", where ? where : "?",
		    err);
		return 0;
	}
	return 1;
}

/* serving - 1 once echo answers on port, trying for up to 30 s. */
static int
serving(int port)
{
	long deadline = pf_now_ms() + 30000;

	do {
		if (pf_echo_tcp("127.0.0.1", port, "still here\n"))
			return 1;
		pf_sleep_ms(50);
	} while (pf_now_ms() < deadline);
	return 0;
}

/* all_idle - 1 once the master's n workers all show as idle. */
static int
all_idle(struct pf_daemon *d, int n)
{
	pid_t pids[16];
	int i, got;

	if ((got = pf_wait_workers(d, n, 5000)) != n)
		return 0;
	pf_workers(d, pids, 16);
	for (i = 0; i < n; i++)
		if (!pf_wait_worker_state(d, pids[i], "idle", 5000))
			return 0;
	return 1;
}

/* forge - every slot made a hung worker of the sentinel's group. */
static int
forge(int port)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "forge %ld", (long)sentinel);
	return attack(port, cmd);
}

/* hostile_serving - 1 once the hostile service answers a harmless line. */
static int
hostile_serving(int port)
{
	return attack(port, "noop");
}

int
main(void)
{
	const char *top = getenv("TOP_BUILDDIR");
	struct pf_daemon *d;
	char *conf, *fill, *refused, *log;
	int hport, eport, st, n;

	plan_lazy();
	if (top == NULL)
		top = "..";
	sentinel_start();
	conf = tap_strdup_printf("%s"
	    "shutdown_timeout = 5;\n"
	    "services = (\n"
	    "  { name = \"hostile\"; listen = \"127.0.0.1:0\";\n"
	    "    handler = \"module\";\n"
	    "    module = { path = \"%s/tests/modules/hostile.so\"; };\n"
	    "    workers = 3; timeout = 2; },\n"
	    "  { name = \"echo\"; listen = \"127.0.0.1:0\"; handler = \"echo\";\n"
	    "    workers = 2; timeout = 2; }\n"
	    ");\n", geteuid() == 0 ? "user = \"nobody\";\n" : "", top);
	d = pf_start(conf);
	free(conf);
	if (d == NULL)
		bail("preforkd did not start");
	hport = pf_port(d, "hostile", "tcp");
	eport = pf_port(d, "echo", "tcp");
	ok(hport > 0 && eport > 0, "both services listen");
	/*
	 * Every worker idle first: one still starting would write "idle"
	 * over the forged slot when it gets there, and look like no target.
	 */
	ok(all_idle(d, 5), "all 5 workers are idle");
	ok(sentinel_intact("at start"), "the sentinel (pid %ld) runs in a "
	    "session of its own", (long)sentinel);
	refused = tap_strdup_printf("process group %ld, which is not its "
	    "descendants'; not signalled", (long)sentinel);

	/* 1. Forged hung workers whose program runs in the sentinel's group:
	 * the hung-worker path (TERM, then KILL a second later) and reaping. */
	ok(forge(hport),
	    "forge: every slot says: busy since the epoch, program group = "
	    "the sentinel");
	ok(status_sane(d), "-s status and --json answer over forged slots");
	ok(pf_log_wait(d, "killed as hung; replacing it", 15000),
	    "the hung-worker path ran (and killed our own workers)");
	ok(pf_log_wait(d, refused, 1000), "log: the forged group was refused");
	ok(sentinel_intact("after the hung-worker path"),
	    "the sentinel got no signal from the hung-worker path");
	ok(serving(eport) && hostile_serving(hport),
	    "the master keeps serving");

	/* 2. A worker exits with its slot forged: reaping. */
	n = pf_log_count(d, "exited with status 0");
	ok(forge(hport), "forge again");
	attack_once(hport, "exit");
	ok(pf_log_wait_count(d, "exited with status 0", n + 1, 10000),
	    "a worker exited and was reaped");
	ok(sentinel_intact("after reaping"), "reaping sent the sentinel "
	    "nothing");

	/* 3. Retiring: TTOU (the pool shrinks), TTIN, then a reload. */
	ok(forge(hport), "forge again");
	pf_kill(d, SIGTTOU);
	ok(pf_log_wait(d, "service hostile now has 2 workers", 5000),
	    "TTOU: one worker fewer");
	pf_kill(d, SIGTTIN);
	ok(pf_log_wait(d, "service hostile now has 3 workers", 5000),
	    "TTIN: one more");
	ok(forge(hport), "forge again");
	pf_kill(d, SIGHUP);
	ok(pf_log_wait(d, "reload: generation 2 is serving", 15000),
	    "HUP: the old generation was retired");
	ok(sentinel_intact("after retiring"), "retiring sent the sentinel "
	    "nothing");
	ok(serving(eport) && hostile_serving(hport),
	    "the master keeps serving after the reload");

	/* 4. Raw fills: every word the sentinel's pid, -1, pointers, 2^64-1. */
	n = pf_log_count(d, "wrote an inconsistent scoreboard slot");
	fill = tap_strdup_printf("fill32 %ld", (long)sentinel);
	ok(attack(hport, fill), "fill32 with the sentinel's pid");
	free(fill);
	ok(status_sane(d), "-s status and --json answer over filled slots");
	ok(pf_log_wait_count(d, "wrote an inconsistent scoreboard slot",
	    n + 1, 5000), "log: the inconsistent slots are named, their "
	    "workers killed");
	ok(serving(eport) && hostile_serving(hport),
	    "the pools were replaced and serve");
	n = pf_log_count(d, "wrote an inconsistent scoreboard slot");
	ok(attack(hport, "fill32 0xffffffff") &&
	    pf_log_wait_count(d, "wrote an inconsistent scoreboard slot",
	    n + 1, 5000), "fill32 -1: caught too");
	ok(serving(eport) && hostile_serving(hport), "and replaced");
	n = pf_log_count(d, "wrote an inconsistent scoreboard slot");
	ok(attack(hport, "fill64 0x00007fffdeadbee8") &&
	    pf_log_wait_count(d, "wrote an inconsistent scoreboard slot",
	    n + 1, 5000), "fill64 with a pointer: caught too");
	ok(serving(eport) && hostile_serving(hport), "and replaced");
	ok(attack(hport, "fill64 0xffffffffffffffff"),
	    "fill64 with 2^64-1");
	ok(status_sane(d), "-s status and --json answer over 2^64-1 slots");
	ok(serving(eport), "the master serves through it");
	ok(sentinel_intact("after the fills"), "the fills sent the sentinel "
	    "nothing");

	/* 5. The stop, with every slot forged once more. */
	ok(hostile_serving(hport) && forge(hport), "forge again");
	st = pf_stop(d);
	ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "TERM: the master exits 0, it never crashed (status %#x)", st);
	ok(sentinel_intact("after the stop"), "the stop sent the sentinel "
	    "nothing");
	log = pf_file(d->stderr_log);
	ok(strstr(log, "AddressSanitizer") == NULL &&
	    strstr(log, "runtime error") == NULL, "no sanitizer report");
	free(log);
	if (!sentinel_intact("at the end"))
		pf_show(d);
	kill(sentinel, SIGKILL);
	waitpid(sentinel, NULL, 0);
	free(refused);
	return 0;
}
