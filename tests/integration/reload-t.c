/*
 * reload-t.c - HUP and "preforkd -s reload" against the real preforkd:
 * an unchanged listen address keeps its socket (same fd, same kernel
 * port, and the connections waiting in its accept queue), new addresses
 * are bound, removed ones closed; pool size, handler, added and removed
 * services take effect; a connection in flight lives through the reload;
 * an invalid file or a bind failure changes nothing; user, pid_file and
 * control_socket changes are refused with a warning.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
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

#define OUT_MAX	16384

/*
 * write_conf - d's config file: the harness's usual globals (pid file,
 * error log and debug level in DIR, user nobody when root) plus text.
 */
static void
write_conf(struct pf_daemon *d, const char *text)
{
	char *body, *full;

	body = pf_subst(text, d->dir);
	full = tap_strdup_printf("pid_file = \"%s\";\nerror_log = \"%s\";\n"
	    "log_level = \"debug\";\n%s%s\n", d->pid_file, d->error_log,
	    geteuid() == 0 ? "user = \"nobody\";\n" : "", body);
	pf_write_file(d->conf, full);
	free(body);
	free(full);
}

/*
 * last_listen - from the last "service NAME: listening on tcp HOST:PORT
 * (fd N" line of the log: the port and fd.  1 when found.
 */
static int
last_listen(struct pf_daemon *d, const char *service, const char *host,
    int *port, int *fd)
{
	char *log, *needle, *p, *last = NULL;
	int found;

	log = pf_log(d);
	needle = tap_strdup_printf("service %s: listening on tcp %s:", service,
	    host);
	for (p = log; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		last = p;
	found = last != NULL && sscanf(last + strlen(needle), "%d (fd %d",
	    port, fd) == 2;
	free(needle);
	free(log);
	return found;
}

/* status_workers - "workers N" of service in the status text; -1. */
static int
status_workers(const char *status, const char *service)
{
	char *head;
	const char *p;
	int n = -1;

	head = tap_strdup_printf("service %s: handler ", service);
	p = strstr(status, head);
	if (p != NULL && (p = strstr(p, "\n  workers ")) != NULL)
		n = atoi(p + strlen("\n  workers "));
	free(head);
	return n;
}

/*
 * wait_status_workers - poll -s status until service has n workers of
 * the current generation and no older worker is left: 1, or 0 after
 * timeout_ms (out then holds the last status).
 */
static int
wait_status_workers(struct pf_daemon *d, const char *service, int n,
    int timeout_ms, char *out, size_t outlen)
{
	long deadline = pf_now_ms() + timeout_ms;
	char err[1024];

	for (;;) {
		if (pf_status(d, 0, out, outlen, err, sizeof(err)) == 0 &&
		    status_workers(out, service) == n &&
		    strstr(out, ", 0 workers of older generations") != NULL)
			return 1;
		if (pf_now_ms() >= deadline)
			return 0;
		pf_sleep_ms(50);
	}
}

/* refused_within - poll until a connection to port is refused. */
static int
refused_within(int port, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	int fd;

	for (;;) {
		fd = pf_tcp_connect("127.0.0.1", port);
		if (fd < 0 && errno == ECONNREFUSED)
			return 1;
		if (fd >= 0)
			close(fd);
		if (pf_now_ms() >= deadline)
			return 0;
		pf_sleep_ms(20);
	}
}

/*
 * is_daytime - the service on port sends a line and closes without being
 * asked (daytime), where echo would wait for us.
 */
static int
is_daytime(int port)
{
	char buf[256];
	ssize_t n;
	int fd;

	fd = pf_tcp_connect("127.0.0.1", port);
	if (fd < 0)
		return 0;
	n = pf_read_all(fd, buf, sizeof(buf) - 1, 3000);
	close(fd);
	if (n <= 0) {
		diag("daytime on port %d: %s", port, n == 0 ? "EOF at once" :
		    strerror(errno));
		return 0;
	}
	buf[n] = '\0';
	return n >= 2 && buf[n - 1] == '\n' && strstr(buf, "2") != NULL;
}

/* run_reload - "preforkd -s reload -c CONF": exit code, stdout, stderr. */
static int
run_reload(struct pf_daemon *d, char *out, size_t outlen, char *err,
    size_t errlen)
{
	const char *args[] = { "-s", "reload", "-c", d->conf, NULL };
	int st = -1;

	if (pf_run2(args, &st, out, outlen, err, errlen) < 0)
		return -1;
	return pf_exit_code(st);
}

/* same_pids - the master's workers are exactly want[0..n-1]. */
static int
same_pids(struct pf_daemon *d, const pid_t *want, int n)
{
	pid_t now[64];
	int got, i, j, found;

	got = pf_workers(d, now, 64);
	if (got != n) {
		diag("%d workers, expected %d", got, n);
		return 0;
	}
	for (i = 0; i < n; i++) {
		for (found = 0, j = 0; j < got; j++)
			found |= now[j] == want[i];
		if (!found) {
			diag("worker %ld is gone", (long)want[i]);
			return 0;
		}
	}
	return 1;
}

#define CONF1								\
	"services = (\n"						\
	"  { name = \"echo\"; handler = \"echo\"; workers = 2;\n"	\
	"    listen = \"127.0.0.1:0\"; },\n"				\
	"  { name = \"swap\"; handler = \"echo\"; workers = 1;\n"	\
	"    listen = \"127.0.0.1:0\"; },\n"				\
	"  { name = \"gone\"; handler = \"echo\"; workers = 1;\n"	\
	"    listen = \"127.0.0.1:0\"; }\n"				\
	");\n"

#define CONF2								\
	"services = (\n"						\
	"  { name = \"echo\"; handler = \"echo\"; workers = 3;\n"	\
	"    listen = \"127.0.0.1:0\"; },\n"				\
	"  { name = \"swap\"; handler = \"daytime\"; workers = 1;\n"	\
	"    listen = \"127.0.0.1:0\"; },\n"				\
	"  { name = \"added\"; handler = \"echo\"; workers = 1;\n"	\
	"    listen = \"127.0.0.1:0\"; }\n"				\
	");\n"

/*
 * test_hup - a valid reload by HUP: kept, new and removed sockets; pool
 * size, handler, added and removed service; a connection in flight.
 */
static void
test_hup(void)
{
	struct pf_daemon *d;
	char out[OUT_MAX], *needle;
	pid_t old[16];
	int eport = -1, efd = -1, sport = -1, sfd = -1, gport = -1, gfd = -1;
	int aport = -1, afd = -1;
	int port2 = -1, fd2 = -1, c1, nold, r;

	diag("HUP: a valid new configuration");
	d = pf_prepare("");
	write_conf(d, CONF1);
	pf_launch(d, NULL);
	if (pf_wait_ready(d, 10000) < 0) {
		pf_show(d);
		bail("preforkd did not start");
	}
	is_int(4, pf_wait_workers(d, 4, 5000), "generation 1: 4 workers");
	nold = pf_workers(d, old, 16);
	ok(last_listen(d, "echo", "127.0.0.1", &eport, &efd) &&
	    last_listen(d, "swap", "127.0.0.1", &sport, &sfd) &&
	    last_listen(d, "gone", "127.0.0.1", &gport, &gfd),
	    "the log names the ports and fds of echo, swap and gone");
	c1 = pf_tcp_connect("127.0.0.1", eport);
	ok(c1 >= 0 && pf_echo_fd(c1, "before HUP\n"),
	    "a connection in flight on echo (generation 1)");

	write_conf(d, CONF2);
	pf_kill(d, SIGHUP);
	ok(pf_log_wait(d, "notice: received SIGHUP: reload", 3000),
	    "log: received SIGHUP: reload");
	needle = tap_strdup_printf("notice: reloading %s", d->conf);
	ok(pf_log_wait(d, needle, 3000), "log: %s", needle);
	free(needle);
	ok(pf_log_wait(d, "notice: reload: generation 2 started; generation 1 "
	    "retires as soon as the new workers are ready", 3000),
	    "log: reload: generation 2 started; generation 1 retires ...");
	ok(pf_log_wait(d, "notice: reload: generation 2 is serving; ", 8000),
	    "log: reload: generation 2 is serving; ...");

	ok(c1 >= 0 && pf_echo_fd(c1, "after HUP\n"),
	    "the connection in flight still echoes after the reload");

	r = last_listen(d, "echo", "127.0.0.1", &port2, &fd2);
	ok(r && port2 == eport && fd2 == efd,
	    "echo keeps its socket: port %d fd %d (was port %d fd %d)",
	    port2, fd2, eport, efd);
	r = last_listen(d, "swap", "127.0.0.1", &port2, &fd2);
	ok(r && port2 == sport && fd2 == sfd,
	    "swap keeps its socket: port %d fd %d (was port %d fd %d)",
	    port2, fd2, sport, sfd);
	r = last_listen(d, "added", "127.0.0.1", &aport, &afd);
	ok(r,
	    "the added service is bound (port %d, fd %d)", aport, afd);
	needle = tap_strdup_printf("service added: listening on tcp "
	    "127.0.0.1:%d (fd %d, new in this configuration)", aport, afd);
	ok(pf_log_wait(d, needle, 10), "log: %s", needle);
	free(needle);

	ok(pf_echo_tcp("127.0.0.1", eport, "new generation\n"),
	    "echo answers on the same port");
	ok(aport > 0 && pf_echo_tcp("127.0.0.1", aport, "added\n"),
	    "the added service echoes");
	ok(is_daytime(sport), "swap now answers daytime on the same port");

	/* Every old worker but the one holding c1 retires. */
	ok(c1 >= 0 && pf_echo_fd(c1, "still here\n"),
	    "the connection in flight still echoes");
	if (c1 >= 0)
		close(c1);
	is_int(0, pf_wait_gone(old, nold, 8000),
	    "every worker of generation 1 exits (%d)", nold);
	ok(refused_within(gport, 3000),
	    "the removed service's port %d is closed", gport);
	ok(wait_status_workers(d, "echo", 3, 5000, out, sizeof(out)),
	    "status: echo has 3 workers (workers = 3)");
	needle = tap_strdup_printf("  listening on tcp 127.0.0.1:%d (fd %d)\n",
	    eport, efd);
	ok(strstr(out, needle) != NULL, "status: echo on port %d, fd %d",
	    eport, efd);
	free(needle);
	ok(strstr(out, "generation 2,") != NULL, "status: generation 2");
	ok(strstr(out, "service gone:") == NULL, "status: no service gone");
	ok(strstr(out, "service swap: handler daytime") != NULL,
	    "status: service swap: handler daytime");
	if (strstr(out, "generation 2,") == NULL)
		diag("%s", out);
	is_int(5, pf_wait_workers(d, 5, 3000), "5 workers in all (3 + 1 + 1)");
	ok(pf_log_count(d, "error:") == 0, "no error in the log");
	is_int(0, pf_exit_code(pf_stop(d)), "TERM: exit 0");
}

/*
 * test_accept_queue - a connection the kernel accepted while no worker
 * was accepting (after WINCH) waits in the kept socket's queue and is
 * served by the new generation.
 */
static void
test_accept_queue(void)
{
	struct pf_daemon *d;
	int port = -1, fd = -1, port2 = -1, fd2 = -1, c, r;
	char buf[64];

	diag("HUP: the accept queue of a kept socket survives");
	d = pf_start("services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 2; listen = \"127.0.0.1:0\"; } );\n");
	pf_wait_workers(d, 2, 5000);
	r = last_listen(d, "echo", "127.0.0.1", &port, &fd);
	ok(r, "echo on port %d", port);
	pf_kill(d, SIGWINCH);
	is_int(0, pf_wait_workers(d, 0, 5000), "WINCH: no worker left");
	c = pf_tcp_connect("127.0.0.1", port);
	ok(c >= 0, "connect succeeds while no worker accepts (the queue)");
	ok(c >= 0 && pf_write_all(c, "queued\n", 7) == 0,
	    "and the request is sent");
	ok(c >= 0 && pf_read_n(c, buf, 7, 300) < 0 && errno == ETIMEDOUT,
	    "nobody answers yet");
	pf_kill(d, SIGHUP);
	ok(c >= 0 && pf_read_n(c, buf, 7, 5000) == 7 &&
	    memcmp(buf, "queued\n", 7) == 0,
	    "after HUP the new generation serves the queued connection");
	if (c >= 0)
		close(c);
	r = last_listen(d, "echo", "127.0.0.1", &port2, &fd2);
	ok(r && port2 == port && fd2 == fd, "same port and fd (%d, %d)", port2,
	    fd2);
	ok(pf_log_wait(d, "reload: generation 2 is serving", 5000),
	    "log: reload: generation 2 is serving");
	is_int(2, pf_wait_workers(d, 2, 5000), "2 workers again");
	pf_stop(d);
}

/*
 * start_echo2 - a daemon with one echo service of 2 workers on a port the
 * kernel chose: its workers in before (8 at most), how many in *n, the
 * port and the listening socket's fd in the master.
 */
static struct pf_daemon *
start_echo2(pid_t *before, int *n, int *port, int *fd)
{
	struct pf_daemon *d;

	d = pf_prepare("");
	write_conf(d, "services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 2; listen = \"127.0.0.1:0\"; } );\n");
	pf_launch(d, NULL);
	if (pf_wait_ready(d, 10000) < 0)
		bail("preforkd did not start");
	*n = pf_wait_workers(d, 2, 5000);
	pf_workers(d, before, 8);
	last_listen(d, "echo", "127.0.0.1", port, fd);
	return d;
}

/* test_invalid - an invalid file: every error logged, nothing changes. */
static void
test_invalid(void)
{
	struct pf_daemon *d;
	char out[OUT_MAX], err[OUT_MAX], *needle;
	pid_t before[8];
	int port = -1, fd = -1, n, rc, reloading, usr1;

	diag("HUP and -s reload with an invalid file");
	d = start_echo2(before, &n, &port, &fd);

	/* Two errors on lines 5 and 6 (the globals take 3 or 4 lines). */
	write_conf(d, "services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 0;\n  wokers = 2; listen = \"127.0.0.1:0\"; } );\n");
	pf_kill(d, SIGHUP);
	ok(pf_log_wait(d, "reload failed: 2 errors; still running generation "
	    "1", 3000), "log: reload failed: 2 errors; still running "
	    "generation 1");
	ok(pf_log_wait(d, "services.[0].workers: must be between 1 and 65536 "
	    "(got 0)", 10), "log: the workers error");
	ok(pf_log_wait(d, "services.[0].wokers: unknown setting (did you mean "
	    "\"workers\"?)", 10), "log: the wokers error");
	needle = tap_strdup_printf("error: reload: %s:", d->conf);
	is_int(2, pf_log_count(d, needle), "both logged as \"reload: FILE:"
	    "LINE: ...\" errors");
	free(needle);
	ok(pf_log_count(d, "generation 2") == 0, "no generation 2");
	ok(same_pids(d, before, n), "the same %d workers serve", n);
	ok(pf_echo_tcp("127.0.0.1", port, "old config\n"),
	    "echo still answers on port %d", port);

	reloading = pf_log_count(d, "reloading ");
	rc = run_reload(d, out, sizeof(out), err, sizeof(err));
	is_int(78, rc, "-s reload with an invalid file exits 78");
	like(err, "services.[0].workers: must be between 1 and 65536 (got 0)",
	    "-s reload prints the workers error");
	like(err, "services.[0].wokers: unknown setting",
	    "-s reload prints the wokers error");
	/* A HUP it sent would be handled before a USR1 sent after it. */
	usr1 = pf_log_count(d, "received SIGUSR1");
	pf_kill(d, SIGUSR1);
	ok(pf_log_wait_count(d, "received SIGUSR1", usr1 + 1, 5000) ==
	    usr1 + 1, "USR1 after it: handled");
	is_int(reloading, pf_log_count(d, "reloading "),
	    "-s reload did not ask the master");
	ok(same_pids(d, before, n), "the same workers still serve");

	/* A syntax error too. */
	write_conf(d, "services = ( { name = \"echo\" handler = ; } );\n");
	pf_kill(d, SIGHUP);
	ok(pf_log_wait_count(d, "reload failed: ", 2, 3000) == 2,
	    "HUP with a syntax error: reload failed");
	ok(pf_log_wait(d, "syntax error", 10), "log: syntax error");
	ok(pf_echo_tcp("127.0.0.1", port, "still old\n"),
	    "echo still answers");
	ok(same_pids(d, before, n), "the same workers still serve");

	/* An @include of a directory: libconfig's scanner exit()ed on it,
	 * and took the master with it, without a word (conf_include.c). */
	write_conf(d, "@include \"@DIR@\"\nservices = ( { name = \"echo\"; "
	    "handler = \"echo\"; listen = \"127.0.0.1:0\"; } );\n");
	pf_kill(d, SIGHUP);
	ok(pf_log_wait_count(d, "reload failed: ", 3, 30000) == 3,
	    "HUP with an @include of a directory: reload failed");
	needle = tap_strdup_printf("@include \"%s\": a directory, not a file",
	    d->dir);
	ok(pf_log_wait(d, needle, 10), "log: the @include of a directory");
	free(needle);
	ok(pf_proc_alive(d->pid), "the master still runs");
	ok(pf_echo_tcp("127.0.0.1", port, "after the include\n"),
	    "echo still answers");
	ok(same_pids(d, before, n), "the same workers still serve");
	pf_stop(d);
}

/*
 * test_bind_failure - -s reload with a new address someone else holds:
 * exit 1 with the master's reason, nothing changes; then a valid reload.
 */
static void
test_bind_failure(void)
{
	struct pf_daemon *d;
	char out[OUT_MAX], err[OUT_MAX], *text, *needle;
	pid_t before[8];
	int port = -1, fd = -1, held, hport = 0, nport = -1, nfd, n, rc, c;
	int listening;

	diag("-s reload: a bind failure aborts the whole reload");
	held = pf_tcp_listen("127.0.0.1", &hport);
	if (held < 0)
		sysbail("cannot hold a port");
	d = start_echo2(before, &n, &port, &fd);

	text = tap_strdup_printf("services = (\n"
	    "  { name = \"echo\"; handler = \"echo\"; workers = 3;\n"
	    "    listen = \"127.0.0.1:0\"; },\n"
	    "  { name = \"fresh\"; handler = \"echo\"; workers = 1;\n"
	    "    listen = \"127.0.0.1:0\"; },\n"
	    "  { name = \"taken\"; handler = \"echo\"; workers = 1;\n"
	    "    listen = \"127.0.0.1:%d\"; }\n);\n", hport);
	write_conf(d, text);
	free(text);
	listening = pf_proc_listeners(d->pid);
	rc = run_reload(d, out, sizeof(out), err, sizeof(err));
	is_int(1, rc, "-s reload exits 1");
	needle = tap_strdup_printf("reload failed: service taken: cannot "
	    "listen on tcp 127.0.0.1:%d: address already in use", hport);
	like(out, needle, "-s reload prints the master's reason");
	ok(strstr(out, "still running generation 1") != NULL,
	    "... still running generation 1");
	ok(pf_log_wait(d, needle, 10), "log: %s", needle);
	free(needle);
	ok(pf_log_wait(d, "; nothing changed, still running generation 1", 10),
	    "log: nothing changed, still running generation 1");
	if (strstr(out, "reload failed") == NULL)
		diag("stdout: %s\nstderr: %s", out, err);
	ok(same_pids(d, before, n), "the same %d workers serve", n);
	ok(pf_echo_tcp("127.0.0.1", port, "unchanged\n"),
	    "echo answers on port %d", port);
	/*
	 * "fresh" was bound before "taken" failed (on a port the log never
	 * named): closed again, the master listens on what it did before.
	 */
	is_int(listening, pf_proc_listeners(d->pid), "the master holds %d "
	    "listening sockets, as before: the one bound for fresh was closed",
	    listening);
	ok(!last_listen(d, "fresh", "127.0.0.1", &nport, &nfd),
	    "the log names no socket of fresh");
	pf_status(d, 0, out, sizeof(out), err, sizeof(err));
	ok(strstr(out, "generation 1,") != NULL &&
	    strstr(out, "service fresh") == NULL &&
	    status_workers(out, "echo") == 2, "status: generation 1, 2 echo "
	    "workers, no fresh");

	/* The port is free now: the same file reloads. */
	close(held);
	rc = run_reload(d, out, sizeof(out), err, sizeof(err));
	is_int(0, rc, "-s reload exits 0 once the port is free");
	like(out, "reloaded: generation 2 started", "-s reload prints "
	    "\"reloaded: generation 2 started\"");
	if (rc != 0)
		diag("stdout: %s\nstderr: %s", out, err);
	ok(wait_status_workers(d, "echo", 3, 8000, out, sizeof(out)),
	    "echo has 3 workers");
	c = pf_tcp_connect("127.0.0.1", hport);
	ok(c >= 0 && pf_echo_fd(c, "taken\n"), "taken serves on port %d",
	    hport);
	if (c >= 0)
		close(c);
	pf_stop(d);
}

/*
 * test_globals - user, pid_file and control_socket changes are refused
 * with a warning; the rest of the reload goes on.
 */
static void
test_globals(void)
{
	struct pf_daemon *d;
	char out[OUT_MAX], err[OUT_MAX], *text, *oldctl, *newpid, *newctl;
	char *needle;
	int port = -1, fd = -1, rc = -1;
	const char *args[] = { "-s", "status", "-c", "@DIR@/old.conf", NULL };
	char *oldconf;

	diag("HUP: user, pid_file and control_socket stay");
	d = pf_prepare("");
	oldctl = pf_path(d, "preforkd.ctl");
	newpid = pf_path(d, "other.pid");
	newctl = pf_path(d, "other.ctl");
	write_conf(d, "services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 1; listen = \"127.0.0.1:0\"; } );\n");
	oldconf = pf_path(d, "old.conf");
	text = pf_file(d->conf);
	pf_write_file(oldconf, text);
	free(text);
	pf_launch(d, NULL);
	if (pf_wait_ready(d, 10000) < 0)
		bail("preforkd did not start");
	last_listen(d, "echo", "127.0.0.1", &port, &fd);
	ok(access(oldctl, F_OK) == 0, "the control socket is %s", oldctl);

	text = tap_strdup_printf("pid_file = \"%s\";\ncontrol_socket = \"%s\";\n"
	    "error_log = \"%s\";\nlog_level = \"debug\";\nuser = \"%s\";\n"
	    "services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 2; listen = \"127.0.0.1:0\"; } );\n", newpid, newctl,
	    d->error_log, geteuid() == 0 ? "root" : "nobody");
	pf_write_file(d->conf, text);
	free(text);
	pf_kill(d, SIGHUP);
	ok(pf_log_wait(d, "reload: generation 2 started", 3000),
	    "the reload goes on");
	needle = tap_strdup_printf("warning: reload: pid_file changed (\"%s\" "
	    "-> \"%s\"); it takes effect only after a restart, keeping \"%s\"",
	    d->pid_file, newpid, d->pid_file);
	ok(pf_log_wait(d, needle, 10), "log: %s", needle);
	free(needle);
	needle = tap_strdup_printf("warning: reload: control_socket changed "
	    "(\"%s\" -> \"%s\"); it takes effect only after a restart, keeping "
	    "\"%s\"", oldctl, newctl, oldctl);
	ok(pf_log_wait(d, needle, 10), "log: %s", needle);
	free(needle);
	if (geteuid() == 0)
		ok(pf_log_wait(d, "warning: reload: user changed (\"nobody\" -> "
		    "\"root\"); it takes effect only after a restart, keeping "
		    "\"nobody\"", 10), "log: reload: user changed ... keeping "
		    "\"nobody\"");
	else
		ok(pf_log_wait(d, "warning: reload: user changed (\"\" -> "
		    "\"nobody\"); it takes effect only after a restart, keeping "
		    "\"\"", 10), "log: reload: user changed ... keeping \"\"");
	is_int(2, pf_wait_workers(d, 2, 5000), "workers = 2 took effect");
	ok(pf_read_pid_file(d->pid_file) == d->pid &&
	    access(newpid, F_OK) < 0, "the pid file stays %s", d->pid_file);
	ok(access(newctl, F_OK) < 0, "no control socket at %s", newctl);
	{
		const char *const *a = args;
		char *sub[5];
		int i, st = -1;

		for (i = 0; i < 4; i++)
			sub[i] = pf_subst(a[i], d->dir);
		sub[4] = NULL;
		pf_run2((const char *const *)sub, &st, out, sizeof(out), err,
		    sizeof(err));
		rc = pf_exit_code(st);
		for (i = 0; i < 4; i++)
			free(sub[i]);
	}
	ok(rc == 0 && strstr(out, "generation 2,") != NULL,
	    "-s status on the old control socket: generation 2");
	if (geteuid() == 0) {
		pid_t w[4];
		char path[64], *st;
		int n = pf_workers(d, w, 4);

		snprintf(path, sizeof(path), "/proc/%ld/status",
		    n > 0 ? (long)w[0] : 0L);
		st = pf_file(path);
		ok(n > 0 && strstr(st, "\nUid:\t0\t") == NULL,
		    "the new workers still do not run as root");
		free(st);
	}
	free(oldctl);
	free(newpid);
	free(newctl);
	free(oldconf);
	pf_stop(d);
}

int
main(void)
{
	plan_lazy();
	test_hup();
	test_accept_queue();
	test_invalid();
	test_bind_failure();
	test_globals();
	return 0;
}
