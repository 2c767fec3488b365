/*
 * daemon-t.c - the real preforkd started without -f: the launching command
 * returns only once the daemon is ready (or with the error), the daemon is
 * detached in a session of its own, and "preforkd -s stop" finds it through
 * its pid file and stops it.
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


static void
test_start_stop(void)
{
	struct pf_daemon *d;
	pid_t pid, ppid = 0, pgrp = 0, sid = 0, workers[8];
	int st, r, port, nworkers;
	char *want;

	d = pf_prepare("services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 2; listen = \"127.0.0.1:0\"; } );\n");
	r = pf_run2((const char *[]){ "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	/* From here on, the exit handler kills whatever the pid file names. */
	pid = pf_read_pid_file(d->pid_file);
	if (pid > 0)
		pf_adopt(d, pid);
	if (!is_int(0, pf_exit_code(st), "without -f: the launcher exits 0"))
		diag("stderr: %s", err);
	ok(out[0] == '\0' && err[0] == '\0', "the launcher prints nothing");
	ok(r == 0, "the launcher's stdout and stderr are closed by then "
	    "(the daemon does not hold them)");
	ok(pid > 0, "the pid file exists when the launcher returns (pid %ld)",
	    (long)pid);
	if (pid <= 0) {
		pf_show(d);
		bail("no daemon to test");
	}
	port = pf_port(d, "echo", "tcp");
	ok(port > 0 && pf_echo_tcp("127.0.0.1", port, "right away\n"),
	    "the service answers right after the launcher returned");
	ok(pf_proc_alive(pid), "the daemon runs");
	ok(waitpid(pid, &st, WNOHANG) < 0 && errno == ECHILD,
	    "the daemon is not our child");
	pf_proc_stat(pid, NULL, &ppid, &pgrp, &sid);
	ok(ppid != getpid(), "its parent is not us (ppid %ld)", (long)ppid);
	is_int(pid, sid, "it leads a session of its own (session id == pid)");
	ok(sid != getsid(0), "a session other than ours");
	nworkers = pf_wait_workers(d, 2, 5000);
	is_int(2, nworkers, "it runs its 2 workers");
	pf_workers(d, workers, 8);
	ok(pf_log_wait(d, "ready: 1 service", 10),
	    "its log is the error_log file (ready line there)");

	r = pf_run2((const char *[]){ "-s", "stop", "-c", d->conf, NULL }, &st,
	    out, sizeof(out), err, sizeof(err));
	if (!is_int(0, pf_exit_code(st), "-s stop: exit 0"))
		diag("stderr: %s", err);
	want = tap_strdup_printf("preforkd: stopped (pid %ld)\n", (long)pid);
	is_string(want, out, "-s stop: prints preforkd: stopped (pid N)");
	free(want);
	ok(!pf_proc_alive(pid), "-s stop returns once the daemon is gone");
	is_int(0, pf_wait_gone(workers, nworkers > 8 ? 8 : nworkers, 1000),
	    "and its workers are gone");
	ok(access(d->pid_file, F_OK) < 0 && errno == ENOENT,
	    "the pid file is removed");
	ok(pf_log_wait(d, "received SIGTERM: fast stop", 10),
	    "log: received SIGTERM: fast stop");

	/* Again, now that nothing runs. */
	pf_run2((const char *[]){ "-s", "stop", "-c", d->conf, NULL }, &st,
	    out, sizeof(out), err, sizeof(err));
	is_int(1, pf_exit_code(st), "-s stop when not running: exit 1");
	want = tap_strdup_printf("preforkd: not running (no pid file %s)",
	    d->pid_file);
	like(err, want, "-s stop when not running: %s", want);
	free(want);
}

/* test_stale_pid_file - a pid file naming a process that is gone. */
static void
test_stale_pid_file(void)
{
	struct pf_daemon *d;
	pid_t dead;
	char *want, *text;
	int st;

	d = pf_prepare("services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 1; listen = \"127.0.0.1:0\"; } );\n");
	/* A pid that surely ran no preforkd: a child of ours, reaped. */
	dead = fork();
	if (dead < 0)
		sysbail("fork");
	if (dead == 0)
		_exit(0);
	waitpid(dead, &st, 0);
	text = tap_strdup_printf("%ld\n", (long)dead);
	pf_write_file(d->pid_file, text);
	free(text);
	pf_run2((const char *[]){ "-s", "stop", "-c", d->conf, NULL }, &st,
	    out, sizeof(out), err, sizeof(err));
	is_int(1, pf_exit_code(st), "-s stop with a stale pid file: exit 1");
	want = tap_strdup_printf("preforkd: not running (stale pid file %s: "
	    "pid %ld is not a running preforkd)", d->pid_file, (long)dead);
	like(err, want, "-s stop with a stale pid file: %s", want);
	free(want);
}

static void
test_bind_failure(void)
{
	struct pf_daemon *d;
	char *conf, *want;
	int fd, port = 0, st, r;

	fd = pf_tcp_listen("127.0.0.1", &port);
	if (fd < 0)
		sysbail("cannot listen on 127.0.0.1:0");
	conf = tap_strdup_printf(
	    "services = ( { name = \"echo\"; handler = \"echo\"; workers = 1;\n"
	    "               listen = \"127.0.0.1:%d\"; } );\n", port);
	d = pf_prepare(conf);
	free(conf);
	r = pf_run2((const char *[]){ "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	ok(pf_exit_code(st) > 0, "a failing bind: the launcher fails (%d)",
	    pf_exit_code(st));
	is_int(1, pf_exit_code(st), "a failing bind: exit status 1");
	want = tap_strdup_printf("service echo: cannot listen on tcp "
	    "127.0.0.1:%d: address already in use (another socket is bound "
	    "to this port)", port);
	like(err, want, "a failing bind: the launcher prints the error on "
	    "stderr (error_log is a file)");
	free(want);
	ok(r == 0, "nothing holds the launcher's output open");
	ok(access(d->pid_file, F_OK) < 0, "a failing bind: no pid file");
	close(fd);
}

int
main(void)
{
	plan_lazy();
	test_start_stop();
	test_stale_pid_file();
	test_bind_failure();
	return 0;
}
