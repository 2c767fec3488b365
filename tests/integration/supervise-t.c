/*
 * supervise-t.c - the supervision of the real preforkd: a dynamic pool that
 * grows under load up to max_workers (logged once) and shrinks again one
 * worker a second; max_requests recycling without a failed connection; a
 * hung worker killed after timeout and replaced; a silent client cut after
 * io_timeout while others are served; TTIN and TTOU on static and dynamic
 * pools; WINCH emptying the pool while the sockets stay open, and HUP or
 * TTIN bringing the workers back to serve what queued meanwhile.
 *
 * Every wait is a bounded poll; the few fixed windows only observe that
 * something does NOT happen (the pool stays under max_workers).
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
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

#define MAX_CLIENTS	16

/* A client holding a connection: did its one line come back yet? */
struct client {
	int	fd;
	int	port;		/* our local port */
	int	answered;
	char	msg[16];
	char	buf[16];
	size_t	got;
};


/* client_open - connect and send one short line (no read). 0 or -1. */
static int
client_open(struct client *c, int port, int i)
{
	memset(c, 0, sizeof(*c));
	c->fd = pf_tcp_connect("127.0.0.1", port);
	if (c->fd < 0)
		return -1;
	c->port = pf_local_port(c->fd);
	snprintf(c->msg, sizeof(c->msg), "c%02d\n", i);
	return pf_write_all(c->fd, c->msg, strlen(c->msg));
}

/*
 * clients_answered - poll until every client had its line echoed or
 * timeout_ms passed: how many have been answered.
 */
static int
clients_answered(struct client *c, int n, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	struct pollfd pfd[MAX_CLIENTS];
	int idx[MAX_CLIENTS], i, k, done, left;
	ssize_t r;

	for (;;) {
		for (done = 0, k = 0, i = 0; i < n; i++) {
			if (c[i].answered) {
				done++;
				continue;
			}
			if (c[i].fd < 0)
				continue;
			pfd[k].fd = c[i].fd;
			pfd[k].events = POLLIN;
			pfd[k].revents = 0;
			idx[k++] = i;
		}
		left = (int)(deadline - pf_now_ms());
		if (done == n || k == 0 || left <= 0)
			return done;
		if (poll(pfd, (nfds_t)k, left) <= 0)
			continue;
		for (i = 0; i < k; i++) {
			struct client *cl = &c[idx[i]];

			if (pfd[i].revents == 0)
				continue;
			r = recv(cl->fd, cl->buf + cl->got,
			    sizeof(cl->buf) - 1 - cl->got, MSG_DONTWAIT);
			if (r <= 0) {
				if (r == 0 || (errno != EAGAIN &&
				    errno != EINTR)) {
					diag("client %d (port %d): %s",
					    idx[i], cl->port, r == 0 ?
					    "closed by the server" :
					    strerror(errno));
					close(cl->fd);
					cl->fd = -1;
				}
				continue;
			}
			cl->got += (size_t)r;
			cl->buf[cl->got] = '\0';
			if (cl->got >= strlen(cl->msg))
				cl->answered = strcmp(cl->buf, cl->msg) == 0;
		}
	}
}

/* show_pool_lines - the master's pool decisions, as diagnostics. */
static void
show_pool_lines(struct pf_daemon *d)
{
	char *log, *line, *save = NULL;

	log = pf_log(d);
	for (line = strtok_r(log, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (strstr(line, "min_spare") != NULL ||
		    strstr(line, "max_workers") != NULL ||
		    strstr(line, "max_spare") != NULL ||
		    strstr(line, "worker ") != NULL)
			diag("  %s", line);
	free(log);
}

/* log_ms - the milliseconds of the day of a log line's timestamp; -1. */
static long
log_ms(const char *line)
{
	int y, mo, dd, h, mi, sec, ms;

	if (sscanf(line, "%d-%d-%dT%d:%d:%d.%d", &y, &mo, &dd, &h, &mi, &sec,
	    &ms) != 7)
		return -1;
	return ((h * 60L + mi) * 60L + sec) * 1000L + ms;
}

/*
 * retirements - the workers the master retired above max_spare, from its
 * lines "N idle workers, above max_spare M; retiring worker PID": their
 * pids (5 at most) and the milliseconds between one line and the next
 * (4 at most); how many lines there are.
 */
static int
retirements(struct pf_daemon *d, pid_t *pids, long *gaps)
{
	static const char needle[] = "; retiring worker ";
	char *log, *line, *save = NULL, *p;
	long ms, prev = -1;
	int n = 0;

	log = pf_log(d);
	for (line = strtok_r(log, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, "above max_spare") == NULL ||
		    (p = strstr(line, needle)) == NULL)
			continue;
		ms = log_ms(line);
		if (n < 5)
			pids[n] = (pid_t)atol(p + strlen(needle));
		if (n >= 1 && n <= 4)
			gaps[n - 1] = ms < prev ? ms + 86400000L - prev :
			    ms - prev;
		prev = ms;
		n++;
	}
	free(log);
	return n;
}

/*
 * status_wait - poll "-s status" until its output holds needle: 1, or 0
 * after timeout_ms (the last output is in out).
 */
static int
status_wait(struct pf_daemon *d, const char *needle, char *out,
    size_t outlen, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	char err[4096];

	for (;;) {
		if (pf_status(d, 0, out, outlen, err, sizeof(err)) == 0 &&
		    strstr(out, needle) != NULL)
			return 1;
		if (pf_now_ms() >= deadline)
			return 0;
		pf_sleep_ms(50);
	}
}

/* stop_ok - TERM the master: it exits 0. */
static void
stop_ok(struct pf_daemon *d, const char *what)
{
	int st = pf_stop(d);

	ok(pf_exit_code(st) == 0, "%s: TERM, the master exits 0 (status "
	    "0x%x)", what, st);
}

/*
 * A dynamic pool grows under load (1, 2, 4 ... a second) up to what the
 * busy workers plus min_spare need, stops at max_workers (logged once),
 * shrinks one idle worker a second back to max_spare, and TTIN/TTOU move
 * min_spare and max_spare.
 */
static void
test_dynamic(void)
{
	struct pf_daemon *d;
	struct client c[12];
	char out[16384], err[4096], *needle;
	int port, i, n, got, max_seen, last;
	long t0, at_three = 0, gaps[4] = { 0, 0, 0, 0 };
	pid_t retired[5];

	d = pf_start(
	    "services = ( { name = \"dyn\"; handler = \"echo\";\n"
	    "  listen = \"127.0.0.1:0\"; min_spare = 2; max_spare = 3;\n"
	    "  max_workers = 8; io_timeout = 120; } );\n");
	port = pf_port(d, "dyn", "tcp");
	ok(port > 0, "dynamic: the log names the port (%d)", port);
	is_int(2, pf_wait_workers(d, 2, 5000), "dynamic: starts with "
	    "min_spare = 2 workers");

	/* 6 clients that each send a line and then hold the connection. */
	for (i = 0; i < 6; i++)
		if (client_open(&c[i], port, i) < 0)
			break;
	is_int(6, i, "dynamic: 6 clients connected and sent a line");
	t0 = pf_now_ms();
	got = clients_answered(c, 6, 8000);
	is_int(6, got, "dynamic: all 6 clients served at once, by a pool "
	    "grown from 2 (%ld ms)", pf_now_ms() - t0);
	n = pf_wait_workers(d, 8, 8000);
	is_int(8, n, "dynamic: 6 busy + min_spare 2 idle = 8 workers (%ld ms)",
	    pf_now_ms() - t0);
	ok(pf_log_count(d, "service dyn: 0 idle of 2 workers, below "
	    "min_spare 2; starting 1") == 1,
	    "dynamic: log: the first second starts 1 worker");
	ok(pf_log_count(d, "below min_spare 2; starting 2") >= 1,
	    "dynamic: log: the next second starts 2 (the ramp doubles)");
	ok(status_wait(d, "workers 8, busy 6, idle 2, starting 0", out,
	    sizeof(out), 3000), "dynamic: -s status: workers 8, busy 6, "
	    "idle 2, starting 0");
	if (strstr(out, "workers 8, busy 6, idle 2, starting 0") == NULL)
		diag("%s", out);
	for (i = 0; i < 6; i++) {
		needle = tap_strdup_printf("<- 127.0.0.1:%d for", c[i].port);
		if (strstr(out, needle) == NULL)
			break;
		free(needle);
	}
	ok(i == 6, "dynamic: status shows the 6 clients' ports");
	if (i < 6) {
		diag("missing: client port %d", c[i].port);
		diag("%s", out);
	}

	/* 6 more: 12 clients, but never more than max_workers = 8. */
	for (i = 6; i < 12; i++)
		if (client_open(&c[i], port, i) < 0)
			break;
	is_int(12, i, "dynamic: 12 clients connected");
	ok(pf_log_wait(d, "service dyn: reached max_workers (8); raise it if "
	    "clients wait", 5000), "dynamic: log: reached max_workers (8)");
	/* An observation window: 3 more seconds (3 ticks) at the cap. */
	t0 = pf_now_ms();
	max_seen = 0;
	while (pf_now_ms() - t0 < 3000) {
		pid_t pids[64];

		n = pf_workers(d, pids, 64);
		if (n > max_seen)
			max_seen = n;
		pf_sleep_ms(10);
	}
	ok(max_seen <= 8, "dynamic: never more than max_workers = 8 workers "
	    "over 3 s with 12 clients (saw at most %d)", max_seen);
	is_int(8, clients_answered(c, 12, 100), "dynamic: exactly 8 of the "
	    "12 clients are served (the other 4 wait in the backlog)");
	if (!is_int(1, pf_log_count(d, "reached max_workers"), "dynamic: "
	    "\"reached max_workers\" is logged once, not every second"))
		show_pool_lines(d);

	/*
	 * Clients gone: one idle worker retired a second, down to 3.  The
	 * master's decisions are its log lines (a retired worker exits when
	 * it has seen the QUIT, so two may go in the same second).
	 */
	for (i = 0; i < 12; i++)
		if (c[i].fd >= 0)
			close(c[i].fd);
	t0 = pf_now_ms();
	last = 8;
	max_seen = 0;
	while (pf_now_ms() - t0 < 12000) {
		pid_t pids[64];

		n = pf_workers(d, pids, 64);
		if (n > max_seen)
			max_seen = n;
		last = n;
		if (n == 3 && at_three == 0)
			at_three = pf_now_ms();
		if (at_three != 0 && pf_now_ms() - at_three > 1500)
			break;
		pf_sleep_ms(10);
	}
	ok(at_three != 0, "dynamic: idle, the pool shrinks to max_spare = 3 "
	    "workers (%ld ms)", at_three ? at_three - t0 : -1L);
	is_int(3, last, "dynamic: and stays at 3 (not below) for a while");
	n = retirements(d, retired, gaps);
	ok(n == 5 && pf_wait_gone(retired, 5, 5000) == 0,
	    "dynamic: one worker at a time, 5 retirements, each gone (%d)", n);
	ok(n == 5 && gaps[0] >= 950 && gaps[1] >= 950 && gaps[2] >= 950 &&
	    gaps[3] >= 950, "dynamic: one a second (%ld, %ld, %ld, %ld ms "
	    "apart)", gaps[0], gaps[1], gaps[2], gaps[3]);
	if (n != 5)
		show_pool_lines(d);
	ok(max_seen <= 8, "dynamic: no worker started while shrinking");
	is_int(5, pf_log_count(d, "idle workers, above max_spare 3; "
	    "retiring worker "), "dynamic: log: 5 lines \"N idle workers, "
	    "above max_spare 3; retiring worker PID\"");

	/* TTIN/TTOU on a dynamic pool: min_spare and max_spare move by one. */
	pf_kill(d, SIGTTIN);
	ok(pf_log_wait(d, "received SIGTTIN: service dyn now has min_spare 3, "
	    "max_spare 4", 3000), "dynamic: TTIN: min_spare 3, max_spare 4");
	pf_kill(d, SIGTTIN);
	ok(pf_log_wait(d, "received SIGTTIN: service dyn now has min_spare 4, "
	    "max_spare 5", 3000), "dynamic: TTIN: min_spare 4, max_spare 5");
	is_int(4, pf_wait_workers(d, 4, 4000), "dynamic: 3 idle < min_spare "
	    "4: the pool grows to 4");
	pf_kill(d, SIGTTOU);
	ok(pf_log_wait(d, "received SIGTTOU: service dyn now has min_spare 3, "
	    "max_spare 4", 3000), "dynamic: TTOU: min_spare 3, max_spare 4");
	pf_kill(d, SIGTTOU);
	ok(pf_log_wait(d, "received SIGTTOU: service dyn now has min_spare 2, "
	    "max_spare 3", 3000), "dynamic: TTOU: min_spare 2, max_spare 3");
	is_int(3, pf_wait_workers(d, 3, 4000), "dynamic: 4 idle > max_spare "
	    "3: back to 3");
	is_int(0, pf_status(d, 0, out, sizeof(out), err, sizeof(err)),
	    "dynamic: -s status exits 0");
	like(out, "dynamic pool: min_spare 2, max_spare 3, max_workers 8",
	    "dynamic: status shows the pool settings");
	ok(pf_echo_tcp("127.0.0.1", port, "still here\n"),
	    "dynamic: the service answers");
	stop_ok(d, "dynamic");
}

/* max_requests: workers recycled after their share, no connection lost. */
static void
test_max_requests(void)
{
	struct pf_daemon *d;
	pid_t before[8], after[8], victim;
	int port, i, failures = 0, nbefore, nafter, n, fresh = 0;
	char *line, *msg, *want;

	d = pf_start(
	    "services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  listen = \"127.0.0.1:0\"; workers = 2; max_requests = 5; } );\n");
	port = pf_port(d, "echo", "tcp");
	ok(port > 0, "max_requests: the log names the port (%d)", port);
	is_int(2, pf_wait_workers(d, 2, 5000), "max_requests: 2 workers");
	nbefore = pf_workers(d, before, 8);

	for (i = 0; i < 30; i++) {
		char msg30[32];

		snprintf(msg30, sizeof(msg30), "request %d\n", i);
		if (!pf_echo_tcp("127.0.0.1", port, msg30)) {
			failures++;
			diag("connection %d failed: %s", i, strerror(errno));
		}
	}
	is_int(0, failures, "max_requests = 5: 30 sequential connections, "
	    "0 failures");
	/* 30 = 5 k + r1 + r2 with r1, r2 < 5: at least 5 recycled. */
	n = pf_log_wait_count(d, " connections (max_requests 5); replacing it",
	    5, 5000);
	ok(n >= 5 && n <= 6, "max_requests: 5 or 6 workers recycled (%d)", n);
	line = pf_log(d);
	is_int(pf_count(line, " connections (max_requests 5); replacing it"),
	    pf_count(line, " recycled after 5 connections (max_requests 5); "
	    "replacing it"), "max_requests: each after exactly 5 connections "
	    "(jitter of 10%% of 5 is 0)");
	free(line);
	line = pf_log_line(d, "recycled after 5 connections");
	victim = 0;
	if (line != NULL && (msg = strstr(line, "service echo: worker ")) !=
	    NULL)
		victim = (pid_t)atol(msg + strlen("service echo: worker "));
	want = tap_strdup_printf("service echo: worker %ld recycled after 5 "
	    "connections (max_requests 5); replacing it", (long)victim);
	ok(pf_line_is(line, "preforkd", d->pid, "info", want),
	    "max_requests: log (info, master): %s", want);
	free(want);
	free(line);
	ok(pf_pid_in(before, nbefore, victim), "max_requests: the first "
	    "recycled worker was one of the first two");
	want = tap_strdup_printf("preforkd/echo[%ld]: info: served 5 "
	    "connections (max_requests); exiting to be replaced",
	    (long)victim);
	ok(pf_log_wait(d, want, 1000), "max_requests: the worker says: %s",
	    strstr(want, "served"));
	free(want);
	ok(pf_wait_gone(&victim, 1, 2000) == 0, "max_requests: it is gone");
	is_int(2, pf_wait_workers(d, 2, 3000), "max_requests: back to 2 "
	    "workers");
	nafter = pf_workers(d, after, 8);
	for (i = 0; i < nafter && i < 8; i++)
		if (!pf_pid_in(before, nbefore, after[i]))
			fresh++;
	ok(fresh >= 1, "max_requests: the worker pids changed (%d new)",
	    fresh);
	ok(pf_log_count(d, "warning:") == 0, "max_requests: no warning "
	    "logged (a recycle is not a crash)");
	stop_ok(d, "max_requests");
}

/*
 * A worker busy on one connection longer than timeout is killed: a
 * chargen client that never reads keeps its worker blocked in send().
 */
static void
test_hung(void)
{
	struct pf_daemon *d;
	pid_t worker[4], now[4], hung;
	char buf[72], out[16384], err[4096], *needle, *line, *p, *prefix;
	int port, fd, myport, n, r, hung_ms = -1;
	long t0, took;

	d = pf_start(
	    "services = ( { name = \"chargen\"; handler = \"chargen\";\n"
	    "  listen = \"127.0.0.1:0\"; workers = 1; timeout = 1;\n"
	    "  io_timeout = 30; } );\n");
	port = pf_port(d, "chargen", "tcp");
	ok(port > 0, "hung: the log names the port (%d)", port);
	is_int(1, pf_wait_workers(d, 1, 5000), "hung: 1 worker");
	pf_workers(d, worker, 4);

	fd = pf_tcp_connect("127.0.0.1", port);
	ok(fd >= 0, "hung: connected to chargen");
	myport = fd >= 0 ? pf_local_port(fd) : -1;
	t0 = pf_now_ms();
	is_int(72, fd >= 0 ? pf_read_n(fd, buf, sizeof(buf), 5000) : -1,
	    "hung: chargen sends; from now on we never read");
	prefix = tap_strdup_printf("service chargen: worker %ld hung while "
	    "serving tcp 127.0.0.1:%d <- 127.0.0.1:%d for ", (long)worker[0],
	    port, myport);
	ok(pf_log_wait(d, prefix, 5000), "hung: log: %s...", prefix);
	took = pf_now_ms() - t0;
	ok(took < 4000, "hung: within a few seconds of timeout = 1 (%ld ms)",
	    took);
	line = pf_log_line(d, prefix);
	p = line == NULL ? NULL : strstr(line, prefix);
	if (p != NULL)
		hung_ms = atoi(p + strlen(prefix));
	ok(hung_ms >= 1000 && hung_ms < 4000, "hung: the log says how long "
	    "(%d ms, past the 1 s timeout)", hung_ms);
	if (p != NULL) {
		p += strlen(prefix) + strspn(p + strlen(prefix), "0123456789");
		is_string(" ms (timeout 1 s); killing it", p,
		    "hung: ... ms (timeout 1 s); killing it");
	} else
		ok(0, "hung: ... ms (timeout 1 s); killing it");
	ok(pf_line_is(line, "preforkd", d->pid, "error", NULL),
	    "hung: an error from the master");
	free(line);
	free(prefix);

	hung = worker[0];
	ok(pf_wait_gone(&hung, 1, 3000) == 0, "hung: the worker is gone");
	needle = tap_strdup_printf("service chargen: worker %ld killed by "
	    "signal ", (long)hung);
	ok(pf_log_wait(d, needle, 2000), "hung: log: %s...", needle);
	line = pf_log_line(d, needle);
	p = tap_strdup_printf("<- 127.0.0.1:%d for ", myport);
	ok(line != NULL && strstr(line, p) != NULL &&
	    strcmp(line + strlen(line) - 14, "; replacing it") == 0,
	    "hung: its death names our client, and it is replaced");
	if (line != NULL && strstr(line, p) == NULL)
		diag("got: %s", line);
	free(p);
	free(line);
	free(needle);
	is_int(1, pf_wait_workers(d, 1, 3000), "hung: 1 worker again");
	n = pf_workers(d, now, 4);
	ok(n == 1 && now[0] != hung, "hung: a new worker (%ld)",
	    n >= 1 ? (long)now[0] : 0L);
	r = fd >= 0 ? pf_wait_eof(fd, 5000) : -1;
	ok(r == 0 || (r < 0 && errno == ECONNRESET),
	    "hung: our connection was closed with the worker (%s)",
	    r == 0 ? "EOF" : strerror(errno));
	if (fd >= 0)
		close(fd);
	fd = pf_tcp_connect("127.0.0.1", port);
	is_int(72, fd >= 0 ? pf_read_n(fd, buf, sizeof(buf), 5000) : -1,
	    "hung: the new worker serves chargen");
	if (fd >= 0)
		close(fd);
	is_int(0, pf_status(d, 0, out, sizeof(out), err, sizeof(err)),
	    "hung: -s status exits 0");
	like(out, "(hung 1, io 0)", "hung: status counts 1 hung worker");
	stop_ok(d, "hung");
}

/* io_timeout: a silent client is cut; another is served meanwhile. */
static void
test_io_timeout(void)
{
	struct pf_daemon *d;
	struct pollfd pfd;
	char *needle, *line, *alog, *access_log;
	int port, silent, myport, i, served = 0, still_open, r;
	long t0, served_at, closed_at;

	d = pf_start(
	    "access_log = \"@DIR@/access.log\";\n"
	    "services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  listen = \"127.0.0.1:0\"; workers = 2; io_timeout = 1; } );\n");
	access_log = pf_path(d, "access.log");
	port = pf_port(d, "echo", "tcp");
	ok(port > 0, "io_timeout: the log names the port (%d)", port);
	is_int(2, pf_wait_workers(d, 2, 5000), "io_timeout: 2 workers");

	silent = pf_tcp_connect("127.0.0.1", port);
	t0 = pf_now_ms();
	ok(silent >= 0, "io_timeout: a client connects and says nothing");
	myport = silent >= 0 ? pf_local_port(silent) : -1;
	for (i = 0; i < 3; i++)
		served += pf_echo_tcp("127.0.0.1", port, "meanwhile\n");
	served_at = pf_now_ms() - t0;
	pfd.fd = silent;
	pfd.events = POLLIN;
	pfd.revents = 0;
	still_open = silent >= 0 && poll(&pfd, 1, 0) == 0;
	is_int(3, served, "io_timeout: meanwhile 3 other connections are "
	    "served (%ld ms)", served_at);
	ok(still_open, "io_timeout: and the silent client is still "
	    "connected then");
	r = silent >= 0 ? pf_wait_eof(silent, 4000) : -1;
	closed_at = pf_now_ms() - t0;
	ok(r == 0, "io_timeout = 1: the silent client is disconnected (EOF) "
	    "(%s)", r == 0 ? "ok" : strerror(errno));
	ok(closed_at >= 900 && closed_at < 3000, "io_timeout: after about "
	    "1 s (%ld ms)", closed_at);
	if (silent >= 0)
		close(silent);
	needle = tap_strdup_printf("io_timeout: disconnected a silent client: "
	    "tcp 127.0.0.1:%d <- 127.0.0.1:%d, 0 bytes in, 0 bytes out", port,
	    myport);
	ok(pf_log_wait(d, needle, 2000), "io_timeout: log: %s", needle);
	line = pf_log_line(d, needle);
	ok(line != NULL && strstr(line, " preforkd/echo[") != NULL &&
	    strstr(line, "]: info: io_timeout") != NULL,
	    "io_timeout: logged by the worker at info");
	free(line);
	free(needle);
	needle = tap_strdup_printf(" remote=127.0.0.1:%d ", myport);
	/* The worker logs the timeout, then writes the access line. */
	t0 = pf_now_ms();
	while (alog = pf_file(access_log), pf_count(alog, needle) == 0 &&
	    pf_now_ms() - t0 < 3000) {
		free(alog);
		pf_sleep_ms(20);
	}
	is_int(1, pf_count(alog, needle), "io_timeout: one access log line "
	    "for the silent client");
	line = strstr(alog, needle);
	ok(line != NULL && strstr(line, " in=0 out=0 duration=1.") != NULL &&
	    strncmp(strchr(line, '\n') - 12, " end=timeout", 12) == 0,
	    "io_timeout: access log: in=0 out=0 duration=1.xxx end=timeout");
	if (line != NULL)
		diag("%.*s", (int)(strchr(line, '\n') - line), line);
	is_int(3, pf_count(alog, " end=closed\n"), "io_timeout: the 3 others "
	    "ended closed");
	free(alog);
	free(needle);
	free(access_log);
	stop_ok(d, "io_timeout");
}

/* TTIN / TTOU on a static pool: one worker more, one fewer. */
static void
test_ttin_ttou(void)
{
	struct pf_daemon *d;
	char *line;
	int port;

	d = pf_start(
	    "services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  listen = \"127.0.0.1:0\"; workers = 3; } );\n");
	port = pf_port(d, "echo", "tcp");
	is_int(3, pf_wait_workers(d, 3, 5000), "TTIN: 3 workers to start");
	ok(pf_kill(d, SIGTTIN) == 0, "TTIN: sent");
	ok(pf_log_wait(d, "received SIGTTIN: service echo now has 4 workers",
	    3000), "TTIN: log: received SIGTTIN: service echo now has 4 "
	    "workers");
	line = pf_log_line(d, "received SIGTTIN: service echo now has");
	ok(pf_line_is(line, "preforkd", d->pid, "notice",
	    "received SIGTTIN: service echo now has 4 workers"),
	    "TTIN: a notice from the master");
	free(line);
	is_int(4, pf_wait_workers(d, 4, 3000), "TTIN: 4 workers");
	ok(pf_kill(d, SIGTTOU) == 0, "TTOU: sent");
	ok(pf_log_wait(d, "received SIGTTOU: service echo now has 3 workers",
	    3000), "TTOU: log: received SIGTTOU: service echo now has 3 "
	    "workers");
	is_int(3, pf_wait_workers(d, 3, 3000), "TTOU: 3 workers");
	ok(pf_echo_tcp("127.0.0.1", port, "ttou\n"), "TTOU: still served");
	stop_ok(d, "TTIN/TTOU");
}

/*
 * WINCH: every worker stops, the master and its sockets stay; a client
 * that connects meanwhile waits in the backlog and is served once HUP (or
 * TTIN) brings the workers back.
 */
static void
test_winch(void)
{
	struct pf_daemon *d;
	char buf[64], out[16384], err[4096];
	const char *resume[2] = { "HUP", "TTIN" };
	const int sigs[2] = { SIGHUP, SIGTTIN };
	pid_t before[8];
	int port, fd, round, nbefore;
	ssize_t n;
	char *want;

	d = pf_start(
	    "services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  listen = \"127.0.0.1:0\"; workers = 2; } );\n");
	port = pf_port(d, "echo", "tcp");
	is_int(2, pf_wait_workers(d, 2, 5000), "WINCH: 2 workers to start");
	for (round = 0; round < 2; round++) {
		nbefore = pf_workers(d, before, 8);
		ok(pf_kill(d, SIGWINCH) == 0, "WINCH (%d): sent", round + 1);
		ok(pf_log_wait_count(d, "received SIGWINCH: stopping all "
		    "workers gracefully; the master keeps the sockets (HUP or "
		    "TTIN brings the workers back)", round + 1, 3000) ==
		    round + 1, "WINCH (%d): logged", round + 1);
		is_int(0, pf_wait_workers(d, 0, 5000), "WINCH (%d): 0 "
		    "workers", round + 1);
		ok(pf_wait_gone(before, nbefore, 2000) == 0,
		    "WINCH (%d): the old workers are gone", round + 1);
		ok(pf_proc_alive(d->pid), "WINCH (%d): the master runs",
		    round + 1);
		if (round == 0) {
			is_int(0, pf_status(d, 0, out, sizeof(out), err,
			    sizeof(err)), "WINCH: -s status exits 0");
			like(out, "workers stopped by WINCH",
			    "WINCH: status says the workers are stopped");
			like(out, "workers 0, busy 0",
			    "WINCH: status: workers 0");
		}
		fd = pf_tcp_connect("127.0.0.1", port);
		ok(fd >= 0, "WINCH (%d): the port still accepts a connection "
		    "(%s)", round + 1, fd >= 0 ? "queued" : strerror(errno));
		if (fd >= 0 && pf_write_all(fd, "queued\n", 7) < 0)
			diag("write: %s", strerror(errno));
		/* Observe that nobody answers it for a moment. */
		n = fd >= 0 ? pf_read_n(fd, buf, 7, 500) : 0;
		ok(fd >= 0 && n < 0 && errno == ETIMEDOUT,
		    "WINCH (%d): nobody serves it while paused", round + 1);
		ok(pf_kill(d, sigs[round]) == 0, "%s: sent", resume[round]);
		/* HUP is a reload too: only its first words are checked. */
		want = tap_strdup_printf(round == 0 ? "received SIG%s" :
		    "received SIG%s: workers resume after WINCH",
		    resume[round]);
		ok(pf_log_wait(d, want, 3000), "%s: log: %s", resume[round],
		    want);
		free(want);
		is_int(2, pf_wait_workers(d, 2, 5000), "%s: 2 workers again",
		    resume[round]);
		n = fd >= 0 ? pf_read_n(fd, buf, 7, 5000) : -1;
		ok(n == 7 && memcmp(buf, "queued\n", 7) == 0,
		    "%s: the connection queued meanwhile is served",
		    resume[round]);
		if (fd >= 0)
			close(fd);
	}
	ok(pf_echo_tcp("127.0.0.1", port, "after\n"), "WINCH: served after");
	stop_ok(d, "WINCH");
}

int
main(void)
{
	plan_lazy();
	test_dynamic();
	test_max_requests();
	test_hung();
	test_io_timeout();
	test_ttin_ttou();
	test_winch();
	return 0;
}
