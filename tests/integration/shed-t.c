/*
 * shed-t.c - io_timeout_busy and min_rate on the real preforkd: a static
 * pool held by clients that sent one byte and went silent frees itself
 * for the clients waiting, one silent client per waiting one, longest
 * silent first, within about io_timeout_busy, while a client that keeps
 * talking (a byte every half second) is never cut; min_rate cuts a client
 * that drips a byte every 3 s (never silent that long) while the pool is
 * full; an exec'd program's connection (its bytes seen through the
 * kernel) and a module's, on a unix socket, are cut the same way; a
 * dynamic pool only at max_workers; and a SIGURG that another process of
 * the workers' user sends cuts no one.  Each cut: end=shed in the access
 * log, "shed" in the status, a line saying why in the error log.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/json.h"
#include "../tap/net.h"

#define BUSY_S		3	/* io_timeout_busy of the first test */

static char out[65536], err[4096];
static const char *top;		/* the build directory, for the module */

/* ------------------------------------------------------------ clients */

/*
 * A client in a child process that keeps sending len bytes every
 * every_ms and reading them back (an echo, cat), until told to stop: its
 * exit status says whether the server ever cut it (1) or not (0).
 */
struct talker {
	pid_t	 pid;
	int	 ctl;		/* closed: stop */
	int	 port;		/* its local port */
};

/* talk - the child's loop; never returns. */
static void __attribute__((noreturn))
talk(const char *unix_path, int port, size_t len, int every_ms, int ctl,
    int report)
{
	char buf[256], back[256];
	struct pollfd pfd;
	int fd, me;

	fd = unix_path != NULL ? pf_unix_connect(unix_path) :
	    pf_tcp_connect("127.0.0.1", port);
	me = unix_path != NULL || fd < 0 ? 0 : pf_local_port(fd);
	memset(buf, 'k', len);
	buf[len - 1] = '\n';
	for (;;) {
		if (fd < 0 || pf_write_all(fd, buf, len) < 0 ||
		    pf_read_n(fd, back, len, 10000) != (ssize_t)len)
			_exit(1);
		if (report != -1) {
			/* Served once: it holds a worker; tell our port. */
			if (write(report, &me, sizeof(me)) != sizeof(me))
				_exit(2);
			close(report);
			report = -1;
		}
		pfd.fd = ctl;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, every_ms) != 0)
			_exit(0);
	}
}

/*
 * talker_start - a talker on port (or unix_path), once it has been
 * served a first time; bails when it cannot start.
 */
static void
talker_start(struct talker *t, const char *unix_path, int port, size_t len,
    int every_ms)
{
	int ctl[2], rep[2];

	/* A socket pair for the report: pf_read_n reads sockets only. */
	if (pipe(ctl) == -1 || socketpair(AF_UNIX, SOCK_STREAM, 0, rep) == -1)
		sysbail("pipe");
	if ((t->pid = fork()) == -1)
		sysbail("fork");
	if (t->pid == 0) {
		close(ctl[1]);
		close(rep[0]);
		talk(unix_path, port, len, every_ms, ctl[0], rep[1]);
	}
	close(ctl[0]);
	close(rep[1]);
	t->ctl = ctl[1];
	if (pf_read_n(rep[0], &t->port, sizeof(t->port), 30000) !=
	    sizeof(t->port))
		bail("a talking client was not served within 30 s");
	close(rep[0]);
}

/*
 * talker_end - wait up to timeout_ms for the talker to end (stop: tell
 * it first): its exit status, or -1 when it would not end (then killed).
 */
static int
talker_end(struct talker *t, int stop, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	int st;

	if (stop)
		close(t->ctl);
	for (;;) {
		if (waitpid(t->pid, &st, WNOHANG) == t->pid) {
			if (!stop)
				close(t->ctl);
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		if (pf_now_ms() >= deadline)
			break;
		pf_sleep_ms(20);
	}
	kill(t->pid, SIGKILL);
	waitpid(t->pid, &st, 0);
	if (!stop)
		close(t->ctl);
	return -1;
}

/*
 * silent - a client that sends one byte (a line: "s\n", for line
 * protocols, when line is set), reads the answer, so it surely holds a
 * worker, then says nothing: its fd, or -1 after a diagnostic.
 */
static int
silent(const char *unix_path, int port, int line, size_t answer)
{
	char buf[256];
	int fd;

	fd = unix_path != NULL ? pf_unix_connect(unix_path) :
	    pf_tcp_connect("127.0.0.1", port);
	if (fd < 0 || pf_write_all(fd, line ? "s\n" : "s", line ? 2 : 1) <
	    0 || pf_read_n(fd, buf, answer, 10000) != (ssize_t)answer) {
		diag("a silent client was not served: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* ask - a client that connects and sends msg, to be answered later. */
static int
ask(const char *unix_path, int port, const char *msg)
{
	int fd;

	fd = unix_path != NULL ? pf_unix_connect(unix_path) :
	    pf_tcp_connect("127.0.0.1", port);
	if (fd < 0 || pf_write_all(fd, msg, strlen(msg)) < 0)
		bail("a waiting client cannot connect: %s", strerror(errno));
	return fd;
}

/*
 * from - a TCP connection to 127.0.0.1:port from the address src (bound
 * before connect), which has sent msg: its fd; bails when it cannot.
 */
static int
from(const char *src, int port, const char *msg)
{
	struct sockaddr_in f, t;
	int fd;

	memset(&f, 0, sizeof(f));
	memset(&t, 0, sizeof(t));
	f.sin_family = t.sin_family = AF_INET;
	inet_pton(AF_INET, src, &f.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &t.sin_addr);
	t.sin_port = htons((uint16_t)port);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&f, sizeof(f)) < 0 ||
	    connect(fd, (struct sockaddr *)&t, sizeof(t)) < 0 ||
	    pf_write_all(fd, msg, strlen(msg)) < 0)
		sysbail("connect from %s to port %d", src, port);
	return fd;
}

/* untouched - whether fd has had nothing from its server, not even EOF. */
static int
untouched(int fd)
{
	struct pollfd pfd;

	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 0;
}

/* ------------------------------------------------------------ the daemon */

/*
 * start - a daemon with the access log and services (a config text, one
 * service, named name, of n workers on a TCP port: into *port): started,
 * every worker up.
 */
static struct pf_daemon *
start(const char *services, const char *name, int n, int *port)
{
	struct pf_daemon *d;
	char *text;

	text = tap_strdup_printf("access_log = \"@DIR@/access.log\";\n%s",
	    services);
	d = pf_start(text);
	free(text);
	*port = pf_port(d, name, "tcp");
	if (*port < 0 || pf_wait_workers(d, n, 10000) != n)
		bail("service %s did not start its %d workers", name, n);
	return d;
}

/* cut_line - "... <- 127.0.0.1:PORT (worker" for a client's cut. */
static char *
cut_needle(int port)
{
	return tap_strdup_printf("<- 127.0.0.1:%d (worker ", port);
}

/* cuts - how many cut lines the error log has. */
static int
cuts(struct pf_daemon *d)
{
	return pf_log_count(d, ": cutting ");
}

/* was_cut - whether the error log has a cut line for port. */
static int
was_cut(struct pf_daemon *d, int port)
{
	char *needle = cut_needle(port);
	int n = pf_log_count(d, needle);

	free(needle);
	return n > 0;
}

/* wait_cut - wait up to 30 s for the cut of the client on port. */
static int
wait_cut(struct pf_daemon *d, int port)
{
	char *needle = cut_needle(port);
	int r = pf_log_wait(d, needle, 30000);

	free(needle);
	return r;
}

/* silence_of - the "silent for X s" of port's cut line, in ms; -1. */
static long
silence_of(struct pf_daemon *d, int port)
{
	char *needle = cut_needle(port), *line, *p;
	long ms = -1;

	if ((line = pf_log_line(d, needle)) != NULL &&
	    (p = strstr(line, "silent for ")) != NULL)
		ms = (long)(strtod(p + 11, NULL) * 1000 + 0.5);
	free(line);
	free(needle);
	return ms;
}

/* shed_count - "shed" of the first service in "-s status --json"; -1. */
static long
shed_count(struct pf_daemon *d)
{
	const char *where, *p;

	if (pf_status(d, 1, out, sizeof(out), err, sizeof(err)) != 0 ||
	    !pf_json_valid(out, &where) ||
	    (p = strstr(out, "\"shed\":")) == NULL)
		return -1;
	return strtol(p + 7, NULL, 10);
}

/* access_shed - the access log's end=shed lines for remote, waited for. */
static int
access_shed(struct pf_daemon *d, const char *remote)
{
	char *path = pf_path(d, "access.log"), *text, *needle;
	long deadline = pf_now_ms() + 10000;
	int n;

	needle = tap_strdup_printf(" remote=%s ", remote);
	for (;;) {
		text = pf_file(path);
		n = 0;
		if (strstr(text, needle) != NULL) {
			char *line = strstr(text, needle), *eol;

			eol = strchr(line, '\n');
			if (eol != NULL)
				*eol = '\0';
			n = strstr(line, " end=shed") != NULL;
			if (!n)
				diag("access log: %s", line);
			free(text);
			break;
		}
		free(text);
		if (pf_now_ms() >= deadline)
			break;
		pf_sleep_ms(50);
	}
	free(needle);
	free(path);
	return n;
}

/*
 * forge - SIG_SHED to every worker of d from a process that is not the
 * master, as the workers' user (nobody, when we are root), as another
 * service's worker could send it: 1 when every signal was sent.
 */
static int
forge(struct pf_daemon *d)
{
	struct passwd *pw;
	pid_t w[8], pid;
	int n, i, st;

	n = pf_workers(d, w, 8);
	if (n <= 0 || (pid = fork()) == -1)
		return 0;
	if (pid == 0) {
		if (geteuid() == 0 && ((pw = getpwnam("nobody")) == NULL ||
		    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1))
			_exit(2);
		for (i = 0; i < n; i++)
			if (kill(w[i], SIGURG) == -1)
				_exit(1);
		_exit(0);
	}
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0;
}

/* ------------------------------------------------------------- tests */

/*
 * A static pool of 4: a talker and three silent clients, each sent one
 * byte, 1.5 s apart.  Once all three have been silent for longer than
 * io_timeout_busy, three clients come one after the other, each waiting
 * for a worker: each time, the longest silent client is cut, and only
 * it; the talker, never.
 */
static void
test_silent(void)
{
	struct pf_daemon *d;
	struct talker t;
	int port, s[3], sport[3], w[3], i, k;
	long t0, ms;
	char buf[8], *remote;

	d = start("services = ( { name = \"echo\"; listen = \"127.0.0.1:0\";\n"
	    "  handler = \"echo\"; workers = 4; io_timeout = 60;\n"
	    "  io_timeout_busy = 3; } );\n", "echo", 4, &port);
	talker_start(&t, NULL, port, 1, 500);
	for (i = 0; i < 3; i++) {
		if (i > 0)
			pf_sleep_ms(1500);
		if ((s[i] = silent(NULL, port, 0, 1)) < 0)
			bail("silent client %d not served", i + 1);
		sport[i] = pf_local_port(s[i]);
	}
	diag("talker on port %d, silent clients on %d, %d, %d", t.port,
	    sport[0], sport[1], sport[2]);
	/* All three silent past io_timeout_busy: each could go first. */
	pf_sleep_ms(BUSY_S * 1000 + 1500);

	for (k = 0; k < 3; k++) {
		t0 = pf_now_ms();
		w[k] = ask(NULL, port, "w");
		ok(wait_cut(d, sport[k]), "waiting client %d: the longest "
		    "silent client (%d) is cut", k + 1, k + 1);
		ok(pf_read_n(w[k], buf, 1, 30000) == 1 && buf[0] == 'w',
		    "waiting client %d: served", k + 1);
		ms = pf_now_ms() - t0;
		ok(ms < (BUSY_S + 3) * 1000, "waiting client %d: served "
		    "within about io_timeout_busy (%ld ms)", k + 1, ms);
		ms = silence_of(d, sport[k]);
		/* Logged to a tenth, cut down: "3.0" is over 3000 ms. */
		ok(ms >= BUSY_S * 1000 && ms < (BUSY_S + 9) * 1000,
		    "silent client %d was cut after %ld ms of silence (over "
		    "%d s)", k + 1, ms, BUSY_S);
		ok(pf_wait_eof(s[k], 10000) == 0, "silent client %d sees the "
		    "end of the stream", k + 1);
		/* Served: nobody waits, so no one else goes meanwhile. */
		is_int(k + 1, cuts(d), "one cut per waiting client so far");
		for (i = k + 1; i < 3; i++)
			ok(!was_cut(d, sport[i]), "silent client %d not cut "
			    "yet", i + 1);
	}
	is_int(0, talker_end(&t, 1, 30000), "the talker was never cut "
	    "(a byte every 0.5 s)");
	ok(!was_cut(d, t.port), "no cut line names the talker");
	for (k = 0; k < 3; k++) {
		remote = tap_strdup_printf("127.0.0.1:%d", sport[k]);
		ok(access_shed(d, remote), "access log: silent client %d "
		    "end=shed", k + 1);
		free(remote);
		close(s[k]);
		close(w[k]);
	}
	is_int(3, shed_count(d), "status --json: shed 3");
	pf_stop(d);
}

/*
 * The attacker that comes back: one worker, held by a silent client of
 * 127.0.0.5, which has two more connections waiting, behind a client of
 * 127.0.0.2.  The master cuts the silent one; the worker then takes the
 * two waiting connections of 127.0.0.5 and, clients still waiting, holds
 * them without serving (nor closing) them, and serves 127.0.0.2's.  With
 * nobody waiting, 127.0.0.5 is served again.
 */
static void
test_tarpit(void)
{
	struct pf_daemon *d;
	int port, a1, a3, a4, a5, l1, p3, p4;
	char buf[8], *needle;

	d = start("services = ( { name = \"echo\"; listen = \"127.0.0.1:0\";\n"
	    "  handler = \"echo\"; workers = 1; io_timeout = 60;\n"
	    "  io_timeout_busy = 1; } );\n", "echo", 1, &port);
	a1 = from("127.0.0.5", port, "s");
	if (pf_read_n(a1, buf, 1, 30000) != 1)
		bail("the first client of 127.0.0.5 was not served");
	a3 = from("127.0.0.5", port, "a");
	a4 = from("127.0.0.5", port, "a");
	l1 = from("127.0.0.2", port, "l");
	p3 = pf_local_port(a3);
	p4 = pf_local_port(a4);
	ok(pf_wait_eof(a1, 30000) == 0, "tarpit: the silent client is cut");
	ok(pf_read_n(l1, buf, 1, 30000) == 1 && buf[0] == 'l',
	    "tarpit: the waiting client of another source is served");
	needle = tap_strdup_printf("<- 127.0.0.5:%d refused: held without a "
	    "worker", p3);
	ok(pf_log_wait(d, needle, 30000), "tarpit: the next connection of "
	    "the cut source is held (logged)");
	free(needle);
	/* The error log says it once a second per source: the access log. */
	needle = tap_strdup_printf("127.0.0.5:%d", p4);
	ok(access_shed(d, needle), "tarpit: and the one after it "
	    "(access log end=shed)");
	free(needle);
	/* Both were taken before 127.0.0.2's, which was served. */
	ok(untouched(a3) && untouched(a4), "tarpit: the held connections "
	    "are neither answered nor closed");
	needle = tap_strdup_printf("127.0.0.5:%d", p3);
	ok(access_shed(d, needle), "tarpit: the first, end=shed in the "
	    "access log");
	free(needle);
	is_int(3, shed_count(d), "tarpit: status --json: shed 3 (one cut, "
	    "two held)");
	close(l1);
	/* Nobody waits now: the source is served again. */
	a5 = from("127.0.0.5", port, "b");
	ok(pf_read_n(a5, buf, 1, 30000) == 1 && buf[0] == 'b',
	    "tarpit: with nobody waiting, the source is served again");
	ok(untouched(a3) && untouched(a4), "tarpit: still held meanwhile");
	close(a5);
	close(a1);
	close(a3);
	close(a4);
	pf_stop(d);
}

/*
 * On guard, in a fraction of a second: io_timeout_busy = 0.4.  A pool of
 * two held by two silent clients frees itself for a waiting one (the
 * master cuts, and puts the service on guard); from then on, each new
 * connection is served in slices of 0.4 s, so a silent client is cut by
 * its own worker as soon as a slice of silence ends while one waits (the
 * master's tick, once a second, may come first now and then: "itself" in
 * the log shows the worker did it at least once in five rounds), and a
 * client that talks every 50 ms on the other worker is never cut.
 */
static void
test_guard(void)
{
	struct pf_daemon *d;
	struct talker t;
	int port, s1, s2, w, r, sn, wn, own = 0;
	char buf[8], src[32], *needle, *line;

	d = start("services = ( { name = \"echo\"; listen = \"127.0.0.1:0\";\n"
	    "  handler = \"echo\"; workers = 2; io_timeout = 60;\n"
	    "  io_timeout_busy = 0.4; } );\n", "echo", 2, &port);
	s1 = from("127.0.0.5", port, "s");
	s2 = from("127.0.0.6", port, "s");
	if (pf_read_n(s1, buf, 1, 30000) != 1 ||
	    pf_read_n(s2, buf, 1, 30000) != 1)
		bail("guard: the silent clients were not served");
	w = from("127.0.0.2", port, "w");
	ok(pf_read_n(w, buf, 1, 30000) == 1 && buf[0] == 'w',
	    "guard: the waiting client is served");
	line = pf_log_line(d, ": cutting tcp ");
	like(line, "over io_timeout_busy 0.4 s, while ", "guard: the master's "
	    "cut says io_timeout_busy 0.4 s");
	free(line);
	close(w);
	close(s1);
	close(s2);
	talker_start(&t, NULL, port, 8, 50);
	for (r = 0; r < 5; r++) {
		snprintf(src, sizeof(src), "127.0.0.%d", 10 + r);
		sn = from(src, port, "s");
		if (pf_read_n(sn, buf, 1, 30000) != 1)
			bail("guard: silent client %d was not served", r);
		snprintf(src, sizeof(src), "127.0.0.%d", 20 + r);
		wn = from(src, port, "w");
		ok(pf_read_n(wn, buf, 1, 30000) == 1 && buf[0] == 'w',
		    "guard: round %d: the waiting client is served", r);
		ok(pf_wait_eof(sn, 30000) == 0, "guard: round %d: the silent "
		    "client is cut", r);
		close(wn);
		close(sn);
		needle = tap_strdup_printf("<- 127.0.0.%d:", 10 + r);
		if ((line = pf_log_line(d, needle)) != NULL &&
		    strstr(line, " itself): silent for ") != NULL)
			own++;
		free(line);
		free(needle);
	}
	ok(own >= 1, "guard: a silent client cut by its own worker (%d of 5)",
	    own);
	line = pf_log_line(d, " itself): silent for ");
	like(line, " s, over io_timeout_busy, while 1 connection waits and "
	    "the service is on guard", "guard: the worker's cut says why");
	free(line);
	is_int(0, talker_end(&t, 1, 30000), "guard: the talking client was "
	    "never cut");
	ok(!was_cut(d, t.port), "guard: no cut line names it");
	pf_stop(d);
}

/*
 * min_rate: a client that drips a byte every 3 s is never silent for
 * io_timeout_busy (4 s), but is cut as too slow once a client waits; a
 * fast one (64 bytes every 0.25 s) is not.
 */
static void
test_min_rate(void)
{
	struct pf_daemon *d;
	struct talker fast, drip;
	int port, w;
	char buf[8], *needle, *line;

	d = start("services = ( { name = \"echo\"; listen = \"127.0.0.1:0\";\n"
	    "  handler = \"echo\"; workers = 2; io_timeout = 60;\n"
	    "  io_timeout_busy = 4; min_rate = 100; } );\n", "echo", 2, &port);
	talker_start(&fast, NULL, port, 64, 250);
	talker_start(&drip, NULL, port, 1, 3000);
	w = ask(NULL, port, "w");
	ok(wait_cut(d, drip.port), "min_rate: the slow drip is cut");
	needle = cut_needle(drip.port);
	line = pf_log_line(d, needle);
	like(line, " s, under min_rate 100 bytes/s after io_timeout_busy 4 s",
	    "min_rate: cut as slow, not as silent");
	free(line);
	free(needle);
	ok(pf_read_n(w, buf, 1, 30000) == 1 && buf[0] == 'w',
	    "min_rate: the waiting client is served");
	is_int(1, talker_end(&drip, 0, 30000), "min_rate: the drip saw its "
	    "connection end");
	is_int(0, talker_end(&fast, 1, 30000), "min_rate: the fast client "
	    "was never cut");
	ok(!was_cut(d, fast.port), "min_rate: no cut line names it");
	close(w);
	pf_stop(d);
}

/*
 * A dynamic pool is full only at max_workers: the first silent client
 * makes it grow (below min_spare idle), and only once the second holds
 * the last worker it may have does a waiting client get one, the longest
 * silent's.
 */
static void
test_dynamic(void)
{
	struct pf_daemon *d;
	int port, s1, s2, w;
	char buf[8];

	d = start("services = ( { name = \"echo\"; listen = \"127.0.0.1:0\";\n"
	    "  handler = \"echo\"; min_spare = 1; max_spare = 1;\n"
	    "  max_workers = 2; io_timeout = 60; io_timeout_busy = 2; } );\n",
	    "echo", 1, &port);
	if ((s1 = silent(NULL, port, 0, 1)) < 0)
		bail("the first silent client was not served");
	ok(pf_log_wait(d, "below min_spare 1; starting 1", 30000) &&
	    pf_wait_workers(d, 2, 30000) == 2, "dynamic: one busy worker, "
	    "the pool grows to max_workers");
	if ((s2 = silent(NULL, port, 0, 1)) < 0)
		bail("the second silent client was not served");
	/* Old enough to be cut: only who sends it protects them now. */
	pf_sleep_ms(2500);
	ok(forge(d), "SIGURG to every worker from another process of the "
	    "workers' user");
	ok(pf_echo_fd(s2, "x"), "a forged request cuts no one: the second "
	    "client is still served");
	w = ask(NULL, port, "w");
	ok(wait_cut(d, pf_local_port(s1)), "dynamic: at max_workers, the "
	    "longest silent client is cut");
	ok(pf_read_n(w, buf, 1, 30000) == 1 && buf[0] == 'w',
	    "dynamic: the waiting client is served");
	is_int(1, cuts(d), "dynamic: only one cut");
	close(s1);
	close(s2);
	close(w);
	pf_stop(d);
}

/*
 * exec: /bin/cat serves each connection, so preforkd never reads them;
 * the kernel's counts tell the talker (started first, so older) from the
 * silent client, and the silent one's program is stopped.
 */
static void
test_exec(void)
{
	struct pf_daemon *d;
	struct talker t;
	int port, s, sport, w;
	char buf[8], *remote;

	d = start("services = ( { name = \"cat\"; listen = \"127.0.0.1:0\";\n"
	    "  handler = \"exec\"; exec = { argv = [ \"/bin/cat\" ]; };\n"
	    "  workers = 2; io_timeout = 60; io_timeout_busy = 2; } );\n",
	    "cat", 2, &port);
	talker_start(&t, NULL, port, 1, 500);
	if ((s = silent(NULL, port, 0, 1)) < 0)
		bail("the silent client of cat was not served");
	sport = pf_local_port(s);
	w = ask(NULL, port, "w");
	ok(wait_cut(d, sport), "exec: the silent client is cut");
	ok(pf_wait_eof(s, 10000) == 0, "exec: it sees the end of the stream");
	ok(pf_log_wait(d, "/bin/cat (pid ", 10000) &&
	    pf_log_wait(d, "killed by signal 15 (SIGTERM)", 10000),
	    "exec: its program was stopped by SIGTERM");
	ok(pf_read_n(w, buf, 1, 30000) == 1 && buf[0] == 'w',
	    "exec: the waiting client is served");
	is_int(0, talker_end(&t, 1, 30000), "exec: the talker was never cut "
	    "(its bytes, seen through the kernel)");
	remote = tap_strdup_printf("127.0.0.1:%d", sport);
	ok(access_shed(d, remote), "exec: access log end=shed");
	free(remote);
	close(s);
	close(w);
	pf_stop(d);
}

/* A module's connection, on a unix socket, is cut the same way. */
static void
test_module(void)
{
	struct pf_daemon *d;
	char buf[64], *text, *sock;
	int s, w;

	text = tap_strdup_printf("access_log = \"@DIR@/access.log\";\n"
	    "services = ( { name = \"m\"; listen = \"unix:@DIR@/m.sock\";\n"
	    "  handler = \"module\"; workers = 1; io_timeout = 60;\n"
	    "  io_timeout_busy = 2;\n"
	    "  module = { path = \"%s/tests/modules/testmod.so\";\n"
	    "    settings = { word = \"m\"; }; }; } );\n", top);
	d = pf_start(text);
	free(text);
	sock = pf_path(d, "m.sock");
	if (pf_wait_workers(d, 1, 10000) != 1)
		bail("the module service did not start its worker");
	/* "m s limit=3 loud=0 tags=0\n" */
	if ((s = silent(sock, 0, 1, 26)) < 0)
		bail("the module's silent client was not served");
	w = ask(sock, 0, "w\n");
	ok(pf_log_wait(d, ": cutting unix ", 30000), "module: the silent "
	    "client is cut");
	ok(pf_wait_eof(s, 10000) == 0, "module: it sees the end of the "
	    "stream");
	ok(pf_read_n(w, buf, 26, 30000) == 26 && strncmp(buf, "m w ", 4) == 0,
	    "module: the waiting client is served");
	text = pf_file(pf_path(d, "access.log"));
	ok(strstr(text, "service=m proto=unix") != NULL &&
	    strstr(text, " end=shed") != NULL, "module: access log end=shed");
	free(text);
	is_int(1, shed_count(d), "module: status --json: shed 1");
	close(s);
	close(w);
	free(sock);
	pf_stop(d);
}

int
main(void)
{
	top = getenv("TOP_BUILDDIR");
	if (top == NULL)
		top = ".";
	plan_lazy();
	test_silent();
	test_tarpit();
	test_guard();
	test_min_rate();
	test_dynamic();
	test_exec();
	test_module();
	return 0;
}
