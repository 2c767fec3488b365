/*
 * pool-t.c - the static pool of the real preforkd: exactly the configured
 * number of workers, a killed worker logged and replaced, and a killed
 * master taking every worker (and so the port) with it.
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
#include "../tap/net.h"

/*
 * sigmasks - the blocked, ignored and caught signals of pid, as
 * /proc/PID/status gives them (bit n-1 for signal n).  0, or -1.
 */
static int
sigmasks(pid_t pid, unsigned long long *blk, unsigned long long *ign,
    unsigned long long *cgt)
{
	char path[64], line[256];
	FILE *f;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		n += sscanf(line, "SigBlk: %llx", blk) == 1;
		n += sscanf(line, "SigIgn: %llx", ign) == 1;
		n += sscanf(line, "SigCgt: %llx", cgt) == 1;
	}
	fclose(f);
	return n == 3 ? 0 : -1;
}

#define SIGBIT(s)	(1ULL << ((s) - 1))

/*
 * A worker's dispositions: set by the worker itself (sig_init), not left
 * from the master's (a worker resets only what it does not set).
 */
static void
check_worker_signals(pid_t w)
{
	unsigned long long blk = 0, ign = 0, cgt = 0;
	const unsigned long long caught = SIGBIT(SIGQUIT) | SIGBIT(SIGUSR1);
	const unsigned long long ignored = SIGBIT(SIGHUP) | SIGBIT(SIGINT) |
	    SIGBIT(SIGUSR2) | SIGBIT(SIGWINCH) | SIGBIT(SIGTTIN) |
	    SIGBIT(SIGTTOU) | SIGBIT(SIGPIPE);
	const unsigned long long dfl = SIGBIT(SIGTERM) | SIGBIT(SIGCHLD) |
	    SIGBIT(SIGURG);

	if (sigmasks(w, &blk, &ign, &cgt) == -1) {
		ok(0, "worker %ld: its signal masks (/proc)", (long)w);
		return;
	}
	is_int(0, (long long)blk, "worker %ld: no signal blocked", (long)w);
	ok((cgt & (caught | ignored | dfl)) == caught,
	    "worker %ld: QUIT and USR1 caught, nothing else of ours "
	    "(SigCgt %llx)", (long)w, cgt);
	ok((ign & (caught | ignored | dfl)) == ignored,
	    "worker %ld: HUP INT USR2 WINCH TTIN TTOU PIPE ignored, TERM "
	    "CHLD URG at their defaults (SigIgn %llx)", (long)w, ign);
}

int
main(void)
{
	struct pf_daemon *d;
	pid_t before[16], after[16], victim, fresh = 0;
	int nbefore, nafter, port, i, st, fd;
	char *needle, *line, *msg;
	long t0;

	plan_lazy();
	/* We start it with -f, so we are its parent and reap it below. */
	d = pf_start(
	    "services = ( { name = \"echo\"; handler = \"echo\"; workers = 3;\n"
	    "               listen = \"127.0.0.1:0\"; } );\n");
	port = pf_port(d, "echo", "tcp");
	ok(port > 0, "the log names the port (%d)", port);

	/* Exactly 3, and still 3 a moment later (no extra spawns). */
	is_int(3, pf_wait_workers(d, 3, 5000), "workers = 3: 3 children");
	ok(pf_log_wait(d, "ready: 1 services, 3 workers", 2000) ||
	    pf_log_wait(d, "ready: 1 service, 3 workers", 10),
	    "log: ready with 3 workers");
	nbefore = pf_workers(d, before, 16);
	is_int(3, nbefore, "exactly 3 children of the master");
	for (i = 0; i < nbefore && i < 16; i++) {
		needle = tap_strdup_printf("service echo: worker %ld started",
		    (long)before[i]);
		ok(pf_log_wait(d, needle, 2000), "log: %s", needle);
		free(needle);
	}
	ok(pf_echo_tcp("127.0.0.1", port, "first\n"), "the service answers");
	for (i = 0; i < nbefore && i < 16; i++)
		check_worker_signals(before[i]);

	/* kill -9 one worker: logged with its signal, and replaced. */
	victim = before[1];
	ok(kill(victim, SIGKILL) == 0, "kill -9 worker %ld", (long)victim);
	needle = tap_strdup_printf("service echo: worker %ld killed by "
	    "signal 9 (SIGKILL)", (long)victim);
	ok(pf_log_wait(d, needle, 3000), "log: %s", needle);
	line = pf_log_line(d, needle);
	msg = line == NULL ? NULL : strstr(line, "service echo:");
	ok(msg != NULL &&
	    pf_line_is(line, "preforkd", d->pid, "warning", msg) &&
	    strstr(msg, " after ") != NULL &&
	    strcmp(msg + strlen(msg) - 14, "; replacing it") == 0,
	    "log: ... after N connections; replacing it (warning, master)");
	free(line);
	free(needle);
	ok(pf_wait_gone(&victim, 1, 2000) == 0, "the killed worker is gone");
	is_int(3, pf_wait_workers(d, 3, 5000), "back to 3 workers");
	nafter = pf_workers(d, after, 16);
	for (i = 0; i < nafter && i < 16; i++)
		if (!pf_pid_in(before, nbefore, after[i]))
			fresh = after[i];
	ok(fresh > 0 && !pf_pid_in(after, nafter, victim),
	    "a new worker (pid %ld) replaced it", (long)fresh);
	ok(pf_pid_in(after, nafter, before[0]) &&
	    pf_pid_in(after, nafter, before[2]),
	    "the other two workers were left alone");
	if (fresh > 0) {
		needle = tap_strdup_printf("service echo: worker %ld started",
		    (long)fresh);
		ok(pf_log_wait(d, needle, 2000), "log: %s", needle);
		free(needle);
	} else
		ok(0, "log: the new worker started");
	for (i = 0; i < 6; i++)
		if (!pf_echo_tcp("127.0.0.1", port, "after the kill\n"))
			break;
	ok(i == 6, "the service still answers (6 connections)");

	/* kill -9 the master: every worker follows at once. */
	nafter = pf_workers(d, after, 16);
	ok(pf_kill(d, SIGKILL) == 0, "kill -9 the master");
	ok(pf_wait_exit(d, 2000, &st) == 0 && WIFSIGNALED(st) &&
	    WTERMSIG(st) == SIGKILL, "we reap the master: killed by SIGKILL");
	t0 = pf_now_ms();
	i = pf_wait_gone(after, nafter < 16 ? nafter : 16, 1000);
	is_int(0, i, "all %d workers gone within 1 s of the master's death "
	    "(%ld ms)", nafter, pf_now_ms() - t0);
	fd = pf_tcp_connect("127.0.0.1", port);
	ok(fd < 0 && errno == ECONNREFUSED,
	    "the port refuses connections (%s)",
	    fd < 0 ? strerror(errno) : "connected");
	if (fd >= 0)
		close(fd);
	return 0;
}
