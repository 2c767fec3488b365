/*
 * execworker-t.c - the exec handler, mode "worker": each worker execs a
 * socket-activation-aware program (tests/helpers/sdserver) with the
 * listening sockets on fd 3 and up; preforkd supervises the pool: replaces
 * a program killed with -9, grows and shrinks it with TTIN and TTOU, stops
 * it gracefully with QUIT, and throttles a program that dies at once.
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

static char out[16384], err[16384];


/* hello - connect, read sdserver's first line; the pid in it, or -1. */
static long
hello(int port, char *line, size_t len)
{
	ssize_t n;
	char *p;
	int fd;

	line[0] = '\0';
	if ((fd = pf_tcp_connect("127.0.0.1", port)) < 0)
		return -1;
	n = pf_read_all(fd, line, len - 1, 300);
	close(fd);
	line[n > 0 ? n : 0] = '\0';
	if ((p = strstr(line, "sdserver pid ")) == NULL)
		return -1;
	return atol(p + 13);
}

static void
test_check(const char *sd)
{
	struct pf_daemon *d;
	char *text;
	int st = -1;

	text = tap_strdup_printf("services = ( { name = \"x\"; "
	    "listen = \"127.0.0.1:0\";\n  handler = \"exec\";\n"
	    "  exec = { argv = [ \"%s\" ];\n  mode = \"worker\"; };\n"
	    "  min_spare = 2; } );\n", sd);
	d = pf_prepare(text);
	free(text);
	pf_run2((const char *[]){ "-t", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	is_int(78, WIFEXITED(st) ? WEXITSTATUS(st) : -1,
	    "mode worker with a dynamic pool: -t exits 78");
	text = tap_strdup_printf("%s:4: services.[0].exec.mode: \"worker\" "
	    "needs a static pool (workers = N)", d->conf);
	like(err, text, "mode worker with a dynamic pool: -t says why");
	free(text);
	like(err, "(min_spare is set, line 5)", "... naming the setting");

	text = tap_strdup_printf("services = ( { name = \"x\"; "
	    "listen = \"127.0.0.1:0\";\n  handler = \"exec\";\n"
	    "  exec = { argv = [ \"%s\" ]; mode = \"worker\"; };\n"
	    "  max_requests = 10; } );\n", sd);
	d = pf_prepare(text);
	free(text);
	pf_run2((const char *[]){ "-t", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	is_int(78, WIFEXITED(st) ? WEXITSTATUS(st) : -1,
	    "mode worker with max_requests: -t exits 78");
	like(err, "services.[0].max_requests: does not apply to exec.mode "
	    "\"worker\"", "mode worker with max_requests: -t says why");
}

static void
test_pool(const char *sd)
{
	struct pf_daemon *d;
	pid_t before[16], after[16], victim, survivor, fresh = 0;
	char line[512], *text, *needle;
	int port, uport, n, i, st = -1;
	long pid, deadline;
	ssize_t r;

	text = tap_strdup_printf(
	    "services = ( { name = \"sd\"; workers = 2; handler = \"exec\";\n"
	    "  listen = [ \"127.0.0.1:0\", \"udp://127.0.0.1:0\" ];\n"
	    "  exec = { argv = [ \"%s\" ]; mode = \"worker\"; }; } );\n", sd);
	d = pf_start(text);
	free(text);
	port = pf_port(d, "sd", "tcp");
	uport = pf_port(d, "sd", "udp");
	is_int(2, pf_wait_workers(d, 2, 5000), "workers = 2: two programs");
	n = pf_workers(d, before, 16);
	pid = hello(port, line, sizeof(line));
	ok(pid > 0 && pf_pid_in(before, n, (pid_t)pid),
	    "a worker's program answers, as the worker's pid (%ld)", pid);
	like(line, " fds 2 names sd:sd ", "LISTEN_FDS=2, LISTEN_FDNAMES=sd:sd");
	like(line, "path /usr/local/bin:/usr/bin:/bin", "a clean environment");
	ok(pf_log_wait(d, "sdserver ", 2000) &&
	    pf_log_wait(d, ": serving 2 sockets", 2000),
	    "the program's stderr reaches the error log");
	r = pf_udp_request("127.0.0.1", uport, "x", 1, line,
	    sizeof(line) - 1, 3000);
	line[r > 0 ? r : 0] = '\0';
	like(line, "sdserver pid ", "the udp socket is passed too");

	/* A program that has run a second is ready: the status says idle. */
	ok(pf_wait_worker_state(d, before[0], "idle", 5000) &&
	    pf_wait_worker_state(d, before[1], "idle", 5000),
	    "after a second, both programs count as ready (status: idle)");

	victim = before[0];
	survivor = before[1];
	ok(kill(victim, SIGKILL) == 0, "kill -9 one program (%ld)",
	    (long)victim);
	needle = tap_strdup_printf("service sd: worker %ld killed by signal "
	    "9 (SIGKILL)", (long)victim);
	ok(pf_log_wait(d, needle, 3000), "log: %s", needle);
	text = pf_log_line(d, needle);
	like(text, "9 (SIGKILL) after 0 connections; replacing it",
	    "a program that was ready is replaced at once, not throttled");
	free(text);
	free(needle);
	is_int(2, pf_wait_workers(d, 2, 5000), "back to two programs");
	n = pf_workers(d, after, 16);
	for (i = 0; i < n; i++)
		if (!pf_pid_in(before, 2, after[i]))
			fresh = after[i];
	ok(fresh > 0 && !pf_pid_in(after, n, victim), "a new program (%ld)",
	    (long)fresh);
	/*
	 * Both programs poll the same sockets and the kernel may hand every
	 * connection to the old one: stopped, it cannot take any, so the
	 * one that answers is the new one (once it is up).
	 */
	ok(kill(survivor, SIGSTOP) == 0 &&
	    pf_wait_proc_state(survivor, 'T', 0, 5000),
	    "the other program (%ld) stopped", (long)survivor);
	deadline = pf_now_ms() + 10000;
	while ((pid = hello(port, line, sizeof(line))) <= 0 &&
	    pf_now_ms() < deadline)
		pf_sleep_ms(50);
	ok(pid == fresh, "the new program answers with its own pid (%ld)",
	    pid);
	ok(kill(survivor, SIGCONT) == 0 &&
	    pf_wait_proc_state(survivor, 'T', 1, 5000),
	    "the other program continued");

	ok(pf_kill(d, SIGTTIN) == 0, "TTIN");
	is_int(3, pf_wait_workers(d, 3, 5000), "three programs");
	ok(pf_kill(d, SIGTTOU) == 0, "TTOU");
	is_int(2, pf_wait_workers(d, 2, 5000), "two programs again");
	ok(pf_log_wait(d, ": QUIT: exiting", 3000),
	    "TTOU: the program was told QUIT");

	n = pf_workers(d, after, 16);
	ok(pf_kill(d, SIGQUIT) == 0, "QUIT the master");
	ok(pf_wait_exit(d, 8000, &st) == 0 && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "graceful stop: the master exits 0");
	ok(pf_wait_gone(after, n, 2000) == 0, "every program is gone");
	ok(!pf_log_wait(d, "killing them", 10), "none had to be killed");
}

/* A program that dies at once: throttled, never a fork loop. */
static void
test_throttle(void)
{
	struct pf_daemon *d;
	char *log;
	int started;

	d = pf_start("services = ( { name = \"f\"; workers = 1; "
	    "handler = \"exec\";\n  listen = \"127.0.0.1:0\";\n"
	    "  exec = { argv = [ \"/bin/false\" ]; mode = \"worker\"; }; } );\n");
	ok(pf_log_wait(d, "service f: worker ", 2000) &&
	    pf_log_wait(d, "exited with status 1 before it was ready; "
	    "respawning in 1 s", 3000), "throttled: respawning in 1 s");
	ok(pf_log_wait(d, "before it was ready; respawning in 2 s", 4000),
	    "then in 2 s");
	log = pf_log(d);
	started = 0;
	for (char *p = log; p != NULL && (p = strstr(p, "service f: worker "))
	    != NULL; p++)
		if (strncmp(strchr(p + 18, ' '), " started", 8) == 0)
			started++;
	ok(started >= 2 && started <= 4, "%d starts in about 3 s: no fork "
	    "loop", started);
	free(log);
	ok(pf_stop(d) == 0, "stops");
}

int
main(void)
{
	const char *top = getenv("TOP_BUILDDIR");
	char *sd;

	if (top == NULL)
		top = ".";
	sd = tap_strdup_printf("%s/tests/helpers/sdserver", top);
	if (access(sd, X_OK) != 0)
		skip_all("no %s", sd);
	plan_lazy();
	test_check(sd);
	test_pool(sd);
	test_throttle();
	free(sd);
	return 0;
}
