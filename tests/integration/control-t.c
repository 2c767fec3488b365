/*
 * control-t.c - the control socket of the real preforkd against clients
 * that connect and say nothing.  Each has CONTROL_CLIENT_MS (5 s, in
 * src/control.c) to ask; the master used to drop late clients only when
 * poll() reported something, so on a quiet daemon they stayed for ever,
 * and CONTROL_CLIENTS_MAX (16) of them locked "preforkd -s status" out.
 * Now they are dropped on time, on a daemon where nothing else happens.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

#define DEADLINE_MS	5000	/* CONTROL_CLIENT_MS */
#define CLIENTS_MAX	16	/* CONTROL_CLIENTS_MAX */

static char out[16384], err[4096];

int
main(void)
{
	struct pf_daemon *d;
	char *ctl;
	int fd, fds[CLIENTS_MAX], i, eof, st;
	long t0, took;

	plan(10);
	alarm(90);
	d = pf_prepare("services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 1; listen = \"127.0.0.1:0\"; } );\n");
	ctl = pf_path(d, "preforkd.ctl");
	pf_launch(d, NULL);
	if (pf_wait_ready(d, 10000) < 0) {
		pf_show(d);
		bail("preforkd did not start");
	}

	/* One silent client, on a daemon where nothing else happens. */
	fd = pf_unix_connect(ctl);
	t0 = pf_now_ms();
	ok(fd >= 0 && pf_wait_eof(fd, DEADLINE_MS + 4000) == 0,
	    "a control client that says nothing is disconnected");
	took = pf_now_ms() - t0;
	ok(took >= DEADLINE_MS - 500 && took <= DEADLINE_MS + 1500,
	    "at its deadline (%ld ms; the deadline is %d ms)", took,
	    DEADLINE_MS);
	if (fd >= 0)
		close(fd);
	ok(pf_log_wait(d, "control socket: a client sent no complete request "
	    "within 5000 ms; closing it", 2000), "the master says so");

	/* Half a request is no better. */
	fd = pf_unix_connect(ctl);
	ok(fd >= 0 && pf_write_all(fd, "stat", 4) == 0 &&
	    pf_wait_eof(fd, DEADLINE_MS + 4000) == 0,
	    "a client that sends half a request is disconnected too");
	if (fd >= 0)
		close(fd);

	/* As many as the master takes: the status is locked out... */
	for (i = 0; i < CLIENTS_MAX; i++)
		if ((fds[i] = pf_unix_connect(ctl)) < 0)
			sysbail("connect %s", ctl);
	t0 = pf_now_ms();
	ok(pf_status(d, 0, out, sizeof(out), err, sizeof(err)) != 0,
	    "with %d silent clients, -s status gets no answer", CLIENTS_MAX);
	ok(pf_log_wait(d, "control socket: too many clients; closing a new "
	    "one", 2000), "the master logs: too many clients");
	/* ... until their deadline. */
	for (i = 0, eof = 0; i < CLIENTS_MAX; i++) {
		if (pf_wait_eof(fds[i], DEADLINE_MS + 4000) == 0)
			eof++;
		close(fds[i]);
	}
	took = pf_now_ms() - t0;
	ok(eof == CLIENTS_MAX && took <= DEADLINE_MS + 2000,
	    "all %d are disconnected within %ld ms", eof, took);
	ok(pf_status(d, 0, out, sizeof(out), err, sizeof(err)) == 0 &&
	    strstr(out, "service echo") != NULL,
	    "then -s status answers again");
	ok(pf_echo_tcp("127.0.0.1", pf_port(d, "echo", "tcp"), "hi\n"),
	    "echo served all along");
	st = pf_stop(d);
	ok(pf_exited_zero(st), "TERM: the master exits 0");
	free(ctl);
	return 0;
}
