/*
 * defer-t.c - defer_accept on the real preforkd: 100 clients that connect
 * and send nothing hold no worker during the deferral period (the status,
 * read within it, shows every worker idle) while a client that speaks is
 * served at once; the period as the kernel rounded it, in the log; as
 * documented, a silent connection does reach a worker once the period is
 * over; and a reload changes it on the same socket.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/json.h"
#include "../tap/net.h"

#define SILENT		100
#define WORKERS		4

static char out[65536], err[4096];

/*
 * count - the number after "\"key\":" in the first service's counts of
 * the status JSON, or -1.
 */
static long
count(const char *json, const char *key)
{
	char *needle;
	const char *p;
	long v = -1;

	needle = tap_strdup_printf("\"%s\":", key);
	if ((p = strstr(json, "\"counts\":{")) != NULL &&
	    (p = strstr(p, needle)) != NULL)
		v = strtol(p + strlen(needle), NULL, 10);
	free(needle);
	return v;
}

/* status_counts - busy and idle workers from "-s status --json"; 0 or -1. */
static int
status_counts(struct pf_daemon *d, long *busy, long *idle)
{
	const char *where;

	*busy = *idle = -1;
	if (pf_status(d, 1, out, sizeof(out), err, sizeof(err)) != 0) {
		diag("status: %s", err);
		return -1;
	}
	if (!pf_json_valid(out, &where)) {
		diag("status --json is not JSON at: %.40s", where);
		return -1;
	}
	*busy = count(out, "busy");
	*idle = count(out, "idle");
	return 0;
}

/*
 * wait_counts - poll the status until want_busy workers are busy and
 * want_idle idle: 1, or 0 after timeout_ms.
 */
static int
wait_counts(struct pf_daemon *d, long want_busy, long want_idle,
    int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms, busy, idle;

	for (;;) {
		if (status_counts(d, &busy, &idle) == 0 && busy == want_busy &&
		    idle == want_idle)
			return 1;
		if (pf_now_ms() >= deadline) {
			diag("%ld busy, %ld idle; wanted %ld and %ld", busy,
			    idle, want_busy, want_idle);
			return 0;
		}
		pf_sleep_ms(100);
	}
}

/*
 * test_silent - 100 silent connections, then a client that speaks: it is
 * served at once (the workers are free), and the status, read well within
 * the deferral period, says no worker is busy.
 */
static void
test_silent(void)
{
	struct pf_daemon *d;
	int fds[SILENT], port, i, n = 0;
	long t0, t1;
	char *line;

	d = pf_start("services = ( { name = \"echo\"; listen = "
	    "\"127.0.0.1:0\"; handler = \"echo\"; workers = 4;\n"
	    "  defer_accept = 20; io_timeout = 60; } );\n");
	if ((port = pf_port(d, "echo", "tcp")) < 0)
		bail("no port for echo in the log");
	line = pf_log_line(d, "service echo: listening on tcp");
	like(line, "defer_accept 20 s, rounded up by the kernel to 31 s",
	    "the log says the period as the kernel rounded it");
	free(line);

	t0 = pf_now_ms();
	for (i = 0; i < SILENT; i++)
		if ((fds[i] = pf_tcp_connect("127.0.0.1", port)) >= 0)
			n++;
	is_int(SILENT, n, "%d clients connect and send nothing", SILENT);
	ok(pf_echo_tcp("127.0.0.1", port, "speaking\n"),
	    "a client that speaks is served at once, with %d silent ones "
	    "connected and %d workers", SILENT, WORKERS);
	ok(wait_counts(d, 0, WORKERS, 10000), "status within the deferral: "
	    "all %d workers idle", WORKERS);
	t1 = pf_now_ms();
	ok(t1 - t0 < 20000, "all of it within the deferral period (%ld ms)",
	    t1 - t0);
	ok(pf_log_wait(d, "served tcp", 5000) &&
	    pf_log_count(d, "served tcp") == 1, "one connection served: the "
	    "speaker's");
	for (i = 0; i < SILENT; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	pf_stop(d);
}

/*
 * test_after - as documented, once the (short) period is over, a silent
 * connection is handed to a worker anyway: io_timeout's to deal with.
 */
static void
test_after(void)
{
	struct pf_daemon *d;
	int fds[WORKERS], port, i;

	d = pf_start("services = ( { name = \"echo\"; listen = "
	    "\"127.0.0.1:0\"; handler = \"echo\"; workers = 4;\n"
	    "  defer_accept = 2; io_timeout = 60; } );\n");
	if ((port = pf_port(d, "echo", "tcp")) < 0)
		bail("no port for echo in the log");
	for (i = 0; i < WORKERS; i++)
		fds[i] = pf_tcp_connect("127.0.0.1", port);
	ok(wait_counts(d, WORKERS, 0, 30000), "after the period (2 s, 3 s as "
	    "the kernel rounds it), %d silent clients hold the %d workers",
	    WORKERS, WORKERS);
	for (i = 0; i < WORKERS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	pf_stop(d);
}

/*
 * test_reload - a reload that turns defer_accept off changes it on the
 * same socket: a silent client then reaches a worker at once, long
 * before the old period (31 s) would be over.
 */
static void
test_reload(void)
{
	struct pf_daemon *d;
	char *text, *p;
	long deadline, busy = -1, idle;
	int port, a, b;

	d = pf_start("services = ( { name = \"echo\"; listen = "
	    "\"127.0.0.1:0\"; handler = \"echo\"; workers = 4;\n"
	    "  defer_accept = 20; io_timeout = 60; } );\n");
	if ((port = pf_port(d, "echo", "tcp")) < 0)
		bail("no port for echo in the log");
	a = pf_tcp_connect("127.0.0.1", port);
	ok(a >= 0 && pf_echo_tcp("127.0.0.1", port, "x") &&
	    wait_counts(d, 0, WORKERS, 10000), "reload: before, a silent "
	    "client holds no worker");
	text = pf_file(d->conf);
	if ((p = strstr(text, "defer_accept = 20;")) == NULL)
		bail("no defer_accept in the config");
	memcpy(p, "defer_accept =  0;", 18);
	pf_write_file(d->conf, text);
	free(text);
	pf_kill(d, SIGHUP);
	ok(pf_log_wait(d, "defer_accept now 0 s (was 31 s)", 10000),
	    "reload: the log says defer_accept changed on the kept socket");
	ok(pf_log_wait(d, "reload: generation 2 is serving", 10000),
	    "reload: generation 2 serves");
	/* The old generation's workers may still sit in accept() on the
	 * same socket until they take their QUIT: one of them could take
	 * b, and the status counts this generation's.  Wait them out. */
	deadline = pf_now_ms() + 30000;
	while (pf_now_ms() < deadline && (pf_status(d, 1, out, sizeof(out),
	    err, sizeof(err)) != 0 || strstr(out, "\"older_workers\":0") ==
	    NULL))
		pf_sleep_ms(100);
	b = pf_tcp_connect("127.0.0.1", port);
	deadline = pf_now_ms() + 30000;
	while (pf_now_ms() < deadline &&
	    (status_counts(d, &busy, &idle) != 0 || busy < 1))
		pf_sleep_ms(100);
	ok(busy >= 1, "reload: a silent client now holds a worker at once "
	    "(%ld busy)", busy);
	close(a);
	close(b);
	pf_stop(d);
}

int
main(void)
{
	plan_lazy();
	test_silent();
	test_after();
	test_reload();
	return 0;
}
