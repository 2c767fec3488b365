/*
 * control-t.c - the control socket of the real preforkd against clients
 * that connect and say nothing.  Each has CONTROL_CLIENT_MS (5 s, in
 * src/control.c) to ask; the master used to drop late clients only when
 * poll() reported something, so on a quiet daemon they stayed for ever,
 * and CONTROL_CLIENTS_MAX (16) of them locked "preforkd -s status" out.
 * Now they are dropped on time, on a daemon where nothing else happens.
 * And a master that does not answer at all (stopped by SIGSTOP): -s status
 * and -s reload give up after 30 s and say so in words, that it keeps
 * running, not with an errno ("Resource temporarily unavailable", from a
 * receive timeout, was what they printed).
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>

#include <errno.h>
#include <signal.h>
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

/*
 * test_stuck - the master stopped (SIGSTOP): -s status and -s reload
 * wait their 30 s, then give up in words; SIGCONT, and the reload that
 * was asked for happens all the same.
 */
static void
test_stuck(struct pf_daemon *d)
{
	const char *status[] = { "-s", "status", "-c", d->conf, NULL };
	const char *reload[] = { "-s", "reload", "-c", d->conf, NULL };
	char *spath = pf_path(d, "status.out"), *rpath = pf_path(d,
	    "reload.out"), *text;
	pid_t sp, rp;
	int sst, rst;

	ok(pf_kill(d, SIGSTOP) == 0 && pf_wait_proc_state(d->pid, 'T', 0,
	    5000), "SIGSTOP: the master answers nothing");
	sp = pf_run_bg(status, spath);
	rp = pf_run_bg(reload, rpath);
	sst = pf_run_bg_wait(sp, 60000);
	rst = pf_run_bg_wait(rp, 60000);
	text = pf_file(spath);
	ok(sst != -1 && pf_exit_code(sst) == 1 && strstr(text, "preforkd: "
	    "no status answer from the master on ") != NULL && strstr(text,
	    "within 30 s; it is busy or stuck and keeps running (see "
	    "preforkd -s status and the error log)") != NULL &&
	    strstr(text, "Resource temporarily") == NULL,
	    "-s status gives up after 30 s, in words, exit 1");
	if (sst == -1 || pf_exit_code(sst) != 1)
		diag("-s status said: %s", text);
	free(text);
	text = pf_file(rpath);
	ok(rst != -1 && pf_exit_code(rst) == 1 && strstr(text, "preforkd: "
	    "no reload answer from the master on ") != NULL && strstr(text,
	    "it is busy or stuck and keeps running, and may still reload")
	    != NULL && strstr(text, "Resource temporarily") == NULL,
	    "-s reload gives up after 30 s, in words: it may still reload");
	if (rst == -1 || pf_exit_code(rst) != 1)
		diag("-s reload said: %s", text);
	free(text);
	ok(pf_kill(d, SIGCONT) == 0 && pf_log_wait(d, "reload: generation 2 "
	    "started", 10000), "SIGCONT: the reload asked for goes on");
	free(spath);
	free(rpath);
}

int
main(void)
{
	struct pf_daemon *d;
	char *ctl;
	int fd, fds[CLIENTS_MAX], i, eof, st;
	long t0, took;

	plan(14);
	alarm(180);
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
	test_stuck(d);
	st = pf_stop(d);
	ok(pf_exited_zero(st), "TERM: the master exits 0");
	free(ctl);
	return 0;
}
