/*
 * stop-t.c - stopping the real preforkd: TERM (fast stop: connections in
 * flight are cut), QUIT (graceful: new connections refused at once, those
 * in flight served to their end), and QUIT with a client that never ends,
 * cut after shutdown_timeout.
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


/* last_line_is - whether the log's last line ends with ": LEVEL: message". */
static int
last_line_is(struct pf_daemon *d, const char *level, const char *message)
{
	char *log, *end, *start;
	int r;

	log = pf_log(d);
	end = log + strlen(log);
	while (end > log && end[-1] == '\n')
		*--end = '\0';
	start = strrchr(log, '\n');
	start = start == NULL ? log : start + 1;
	r = pf_line_is(start, "preforkd", d->pid, level, message);
	free(log);
	return r;
}

/* closed_by_peer - a read on fd ends (EOF or error) instead of timing out. */
static int
closed_by_peer(int fd, int timeout_ms)
{
	char buf[64];
	ssize_t n;

	n = pf_read_all(fd, buf, sizeof(buf), timeout_ms);
	if (n > 0)
		diag("read %zd unexpected bytes", n);
	else if (n < 0)
		diag("read: %s", strerror(errno));
	return n == 0 || (n < 0 && errno != ETIMEDOUT);
}

static void
test_term(void)
{
	struct pf_daemon *d;
	pid_t workers[8];
	int fd, port, n, st = -1;
	long t0, took;

	diag("TERM with a connection in flight");
	d = pf_start("services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 2; listen = \"127.0.0.1:0\"; } );\n");
	port = pf_port(d, "echo", "tcp");
	n = pf_wait_workers(d, 2, 5000);
	pf_workers(d, workers, 8);
	fd = pf_tcp_connect("127.0.0.1", port);
	ok(fd >= 0 && pf_echo_fd(fd, "in flight\n"),
	    "TERM: an echo connection is in flight");
	t0 = pf_now_ms();
	pf_kill(d, SIGTERM);
	pf_wait_exit(d, 10000, &st);
	took = pf_now_ms() - t0;
	ok(pf_exited_zero(st), "TERM: the master exits 0");
	/* Workers exit at once on TERM: well before the 3 s KILL grace. */
	ok(st != -1 && took < 2500, "TERM: promptly (%ld ms, < 2500)", took);
	ok(fd >= 0 && closed_by_peer(fd, 2000),
	    "TERM: the connection in flight is closed");
	if (fd >= 0)
		close(fd);
	is_int(0, pf_wait_gone(workers, n < 8 ? n : 8, 1000),
	    "TERM: its workers are gone");
	ok(access(d->pid_file, F_OK) < 0 && errno == ENOENT,
	    "TERM: the pid file is removed");
	ok(pf_log_wait(d, "notice: received SIGTERM: fast stop", 10),
	    "log: notice: received SIGTERM: fast stop");
	ok(last_line_is(d, "notice", "exiting"), "log: the last line is "
	    "\"exiting\" (notice, from the master)");
	fd = pf_tcp_connect("127.0.0.1", port);
	ok(fd < 0 && errno == ECONNREFUSED, "TERM: the port is closed");
	if (fd >= 0)
		close(fd);
}

/*
 * refused_within - poll until a connection to port is refused: 1, or 0
 * when the port still accepts after timeout_ms.
 */
static int
refused_within(int port, int timeout_ms, long *took)
{
	long t0 = pf_now_ms();
	int fd;

	for (;;) {
		fd = pf_tcp_connect("127.0.0.1", port);
		if (fd < 0 && errno == ECONNREFUSED) {
			*took = pf_now_ms() - t0;
			return 1;
		}
		if (fd >= 0)
			close(fd);
		if (pf_now_ms() - t0 > timeout_ms) {
			*took = pf_now_ms() - t0;
			return 0;
		}
		pf_sleep_ms(20);
	}
}

#define QUIT_30	"received SIGQUIT: graceful stop (up to 30 s)"

static void
test_quit(void)
{
	struct pf_daemon *d;
	int fd, port, st = -1, r;
	long took, t0;

	diag("QUIT with a connection in flight");
	d = pf_start("services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 2; listen = \"127.0.0.1:0\"; } );\n");
	port = pf_port(d, "echo", "tcp");
	pf_wait_workers(d, 2, 5000);
	fd = pf_tcp_connect("127.0.0.1", port);
	ok(fd >= 0 && pf_echo_fd(fd, "before QUIT\n"),
	    "QUIT: an echo connection is in flight");
	pf_kill(d, SIGQUIT);
	ok(pf_log_wait(d, "notice: " QUIT_30, 2000), "log: notice: " QUIT_30);
	r = refused_within(port, 2000, &took);
	ok(r, "QUIT: new connections are refused within 2 s (%ld ms)", took);
	ok(fd >= 0 && pf_echo_fd(fd, "after QUIT\n"),
	    "QUIT: the connection in flight still echoes");
	ok(pf_wait_exit(d, 500, &st) < 0,
	    "QUIT: the master waits for that client");
	ok(access(d->pid_file, F_OK) == 0, "QUIT: the pid file is still there");
	ok(fd >= 0 && pf_echo_fd(fd, "still there\n"),
	    "QUIT: and the connection still echoes");
	if (fd >= 0)
		close(fd);
	t0 = pf_now_ms();
	pf_wait_exit(d, 5000, &st);
	ok(pf_exited_zero(st), "QUIT: the master exits 0 once the client closed "
	    "(%ld ms)", pf_now_ms() - t0);
	ok(access(d->pid_file, F_OK) < 0 && errno == ENOENT,
	    "QUIT: the pid file is removed");
	ok(last_line_is(d, "notice", "exiting"), "log: the last line is "
	    "\"exiting\"");
	is_int(0, pf_wait_workers(d, 0, 10), "QUIT: no worker is left");
}

static void
test_quit_timeout(void)
{
	struct pf_daemon *d;
	pid_t worker = 0;
	int fd, port, st = -1;
	long t0, took;
	char *needle;

	diag("QUIT with a client that never finishes, shutdown_timeout = 1");
	d = pf_start("shutdown_timeout = 1;\n"
	    "services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 1; listen = \"127.0.0.1:0\"; } );\n");
	port = pf_port(d, "echo", "tcp");
	is_int(1, pf_wait_workers(d, 1, 5000), "one worker");
	pf_workers(d, &worker, 1);
	fd = pf_tcp_connect("127.0.0.1", port);
	ok(fd >= 0 && pf_echo_fd(fd, "stuck\n"),
	    "the only worker is busy with our connection");
	t0 = pf_now_ms();
	pf_kill(d, SIGQUIT);
	ok(pf_log_wait(d, "received SIGQUIT: graceful stop (up to 1 s)", 2000),
	    "log: received SIGQUIT: graceful stop (up to 1 s)");
	pf_wait_exit(d, 8000, &st);
	took = pf_now_ms() - t0;
	ok(pf_exited_zero(st), "the master exits 0");
	ok(st != -1 && took >= 900 && took <= 4000,
	    "after about shutdown_timeout (%ld ms, within 900-4000)", took);
	ok(worker > 0 && pf_wait_gone(&worker, 1, 1000) == 0,
	    "the busy worker %ld was killed", (long)worker);
	needle = tap_strdup_printf("worker %ld killed by signal 9 (SIGKILL)",
	    (long)worker);
	ok(pf_log_wait(d, needle, 10), "log: %s", needle);
	free(needle);
	ok(fd >= 0 && closed_by_peer(fd, 2000),
	    "our connection is closed");
	if (fd >= 0)
		close(fd);
	ok(access(d->pid_file, F_OK) < 0 && errno == ENOENT,
	    "the pid file is removed");
}

int
main(void)
{
	plan_lazy();
	test_term();
	test_quit();
	test_quit_timeout();
	return 0;
}
