/*
 * exec-t.c - the exec handler, mode "connection", in the real preforkd: a
 * program per connection with the UCSPI environment (the client sees its
 * own address and port), stdin/stdout on the connection, stderr in the
 * error log, the exit status in the access log, timeout ending the whole
 * process group (a grandchild too), the master ending that group itself
 * when the worker cannot (the group reported through the module API's
 * report_group), a worker told to stop stopping its program's group
 * first, and -t refusing what cannot run.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

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

/* The program that prints its environment, and says hello on stderr. */
static const char env_sh[] =
    "#!/bin/sh\n"
    "env | sort\n"
    "echo \"to stderr: hello from $$\" >&2\n"
    "printf 'a last line without newline' >&2\n";

/* A program that leaves a grandchild, then hangs until killed. */
static const char slow_sh[] =
    "#!/bin/sh\n"
    "sleep 300 &\n"
    "echo $! > \"$1/grandchild.pid\"\n"
    "echo $$ > \"$1/program.pid\"\n"
    "echo started\n"
    "wait\n";

/* check - run preforkd -t on config text: exit status and stderr. */
static int
check(const char *text, const char *want, const char *what)
{
	struct pf_daemon *d;
	char *w;
	int st = -1, r;

	d = pf_prepare(text);
	w = pf_subst(want, d->dir);
	pf_run2((const char *[]){ "-t", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	is_int(78, WIFEXITED(st) ? WEXITSTATUS(st) : -1, "%s: -t exits 78",
	    what);
	r = like(err, w, "%s: -t says so", what);
	free(w);
	return r;
}

/* wait_file - the file's text once it contains needle (or after ms). */
static char *
wait_file(const char *path, const char *needle, int ms)
{
	long deadline = pf_now_ms() + ms;
	char *text;

	for (;;) {
		text = pf_file(path);
		if ((text != NULL && strstr(text, needle) != NULL) ||
		    pf_now_ms() >= deadline)
			return text;
		free(text);
		pf_sleep_ms(50);
	}
}

static char *
slurp(int fd)
{
	static char buf[16384];
	ssize_t n;

	n = pf_read_all(fd, buf, sizeof(buf) - 1, 30000);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void
test_check(void)
{
	struct pf_daemon *d;
	char *prog, *want;
	int st = -1;

	check("services = ( { name = \"x\"; listen = \"127.0.0.1:0\";\n"
	    "  handler = \"exec\";\n"
	    "  exec = { argv = [ \"/nonexistent/prog\", \"-x\" ]; }; } );\n",
	    "@DIR@/preforkd.conf:3: services.[0].exec.argv.[0]: "
	    "\"/nonexistent/prog\" does not exist", "a missing program");

	d = pf_prepare("services = ( { name = \"x\"; listen = \"127.0.0.1:0\";"
	    "\n  handler = \"exec\";\n"
	    "  exec = { argv = [ \"@DIR@/prog\" ]; }; } );\n");
	prog = pf_path(d, "prog");
	pf_write_file(prog, "#!/bin/sh\necho hi\n");
	chmod(prog, 0644);
	pf_run2((const char *[]){ "-t", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	is_int(78, WIFEXITED(st) ? WEXITSTATUS(st) : -1,
	    "a program that is not executable: -t exits 78");
	want = tap_strdup_printf("%s:3: services.[0].exec.argv.[0]: \"%s\" "
	    "is not executable", d->conf, prog);
	like(err, want, "a program that is not executable: -t says so");
	free(want);
	chmod(prog, 0755);
	pf_run2((const char *[]){ "-t", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	is_int(0, WIFEXITED(st) ? WEXITSTATUS(st) : -1,
	    "once executable: -t exits 0");
	like(out, "configuration OK", "once executable: configuration OK");
	free(prog);

	check("services = ( { name = \"x\"; listen = \"127.0.0.1:0\";\n"
	    "  handler = \"exec\"; exec = { argv = [ \"bin/prog\" ]; }; } );\n",
	    "@DIR@/preforkd.conf:2: services.[0].exec.argv.[0]: must be an "
	    "absolute path (got \"bin/prog\")", "a relative path");
	check("services = ( { name = \"x\"; listen = \"127.0.0.1:0\";\n"
	    "  handler = \"exec\"; exec = { argv = [ ]; }; } );\n",
	    "@DIR@/preforkd.conf:2: services.[0].exec.argv: must name the "
	    "program to run", "an empty argv");
	check("services = ( { name = \"x\"; listen = \"127.0.0.1:0\";\n"
	    "  handler = \"exec\"; } );\n",
	    "@DIR@/preforkd.conf:1: services.[0]: missing required setting "
	    "\"exec\"", "handler exec without exec");
	check("services = ( { name = \"x\"; listen = \"127.0.0.1:0\";\n"
	    "  handler = \"echo\"; exec = { argv = [ \"/bin/cat\" ]; }; } );\n",
	    "@DIR@/preforkd.conf:2: services.[0].exec: only applies to "
	    "handler = \"exec\"", "exec with another handler");
	check("services = ( { name = \"x\"; listen = \"127.0.0.1:0\";\n"
	    "  handler = \"exec\"; exec = { argv = [ \"/bin/cat\" ];\n"
	    "  env = [ \"OK=1\", \"no equals\", \"PROTO=UDP\" ]; }; } );\n",
	    "@DIR@/preforkd.conf:3: services.[0].exec.env.[1]: must look "
	    "like NAME=value", "an env entry without =");
	check("services = ( { name = \"x\"; listen = \"127.0.0.1:0\";\n"
	    "  handler = \"exec\"; exec = { argv = [ \"/bin/cat\" ];\n"
	    "  env = [ \"PROTO=UDP\" ]; }; } );\n",
	    "@DIR@/preforkd.conf:3: services.[0].exec.env.[0]: PROTO is set "
	    "by preforkd itself", "an env entry of preforkd's");
	check("services = ( { name = \"x\";\n"
	    "  listen = [ \"127.0.0.1:0\", \"udp://127.0.0.1:0\" ];\n"
	    "  handler = \"exec\"; exec = { argv = [ \"/bin/cat\" ]; }; } );\n",
	    "@DIR@/preforkd.conf:2: services.[0].listen.[1]: handler \"exec\" "
	    "in mode \"connection\" does not answer datagrams",
	    "exec per connection on udp");
	check("services = ( { name = \"x\"; listen = \"127.0.0.1:0\";\n"
	    "  handler = \"exec\"; exec = { argv = [ \"/bin/cat\" ];\n"
	    "  mode = \"fork\"; agrv = 1; }; } );\n",
	    "@DIR@/preforkd.conf:3: services.[0].exec.mode: must be "
	    "\"connection\", \"worker\" or \"wait\" (got \"fork\")", "a bad mode");
	like(err, "services.[0].exec.agrv: unknown setting (did you mean "
	    "\"argv\"?)", "an unknown exec setting, with a suggestion");
}

/* The UCSPI environment over TCP (v4 and v6) and a unix socket. */
static void
test_env(struct pf_daemon *d)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	char *text, *want, *sock, *line;
	int port, fd, myport;

	port = pf_port(d, "env", "tcp");
	fd = pf_tcp_connect("127.0.0.1", port);
	ok(fd >= 0, "connect to the exec service");
	if (fd < 0)
		return;
	getsockname(fd, (struct sockaddr *)&ss, &sslen);
	myport = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	text = slurp(fd);
	close(fd);
	like(text, "\nPROTO=TCP\n", "PROTO=TCP");
	like(text, "\nTCPREMOTEIP=127.0.0.1\n", "TCPREMOTEIP is the client's");
	want = tap_strdup_printf("\nTCPREMOTEPORT=%d\n", myport);
	like(text, want, "TCPREMOTEPORT is the client's own port (%d)",
	    myport);
	free(want);
	like(text, "\nTCPLOCALIP=127.0.0.1\n", "TCPLOCALIP");
	want = tap_strdup_printf("\nTCPLOCALPORT=%d\n", port);
	like(text, want, "TCPLOCALPORT is the service's port");
	free(want);
	like(text, "GREETING=hello world\n", "exec.env is passed");
	like(text, "PATH=/usr/local/bin:/usr/bin:/bin\n", "a default PATH");
	ok(strstr(text, "PREFORKD") == NULL && strstr(text, "ASAN_") == NULL,
	    "nothing of preforkd's own environment");
	ok(pf_log_wait(d, ": to stderr: hello from ", 30000) &&
	    (line = pf_log_line(d, ": to stderr: hello from ")) != NULL &&
	    strstr(line, "preforkd/env[") != NULL &&
	    strstr(line, "notice: service env pid ") != NULL,
	    "stderr goes to the error log, tagged with service and pid");
	ok(pf_log_wait(d, ": a last line without newline", 30000),
	    "a last line without newline is logged too");

	if (pf_ipv6_works()) {
		port = pf_port_host(d, "env", "tcp", "::1");
		fd = pf_tcp_connect("::1", port);
		sslen = sizeof(ss);
		getsockname(fd, (struct sockaddr *)&ss, &sslen);
		myport = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		text = fd >= 0 ? slurp(fd) : "";
		if (fd >= 0)
			close(fd);
		like(text, "\nTCPREMOTEIP=::1\n", "IPv6: TCPREMOTEIP=::1");
		want = tap_strdup_printf("\nTCPREMOTEPORT=%d\n", myport);
		like(text, want, "IPv6: TCPREMOTEPORT is the client's port");
		free(want);
	} else {
		skip("no IPv6 on loopback");
		skip("no IPv6 on loopback");
	}

	sock = pf_path(d, "env.sock");
	fd = pf_unix_connect(sock);
	text = fd >= 0 ? slurp(fd) : "";
	if (fd >= 0)
		close(fd);
	like(text, "\nPROTO=UNIX\n", "unix: PROTO=UNIX");
	want = tap_strdup_printf("\nUNIXREMOTEPID=%ld\n", (long)getpid());
	like(text, want, "unix: UNIXREMOTEPID is the client's pid");
	free(want);
	want = tap_strdup_printf("\nUNIXREMOTEUID=%ld\n", (long)geteuid());
	like(text, want, "unix: UNIXREMOTEUID is the client's uid");
	free(want);
	ok(strstr(text, "TCPREMOTEIP") == NULL, "unix: no TCP variables");
	free(sock);
}

/* stdin and stdout are the connection. */
static void
test_roundtrip(struct pf_daemon *d)
{
	int port, fd;
	const char *msg = "hello, program\nsecond line\n";
	char *text;

	port = pf_port(d, "upper", "tcp");
	fd = pf_tcp_connect("127.0.0.1", port);
	ok(fd >= 0 && pf_write_all(fd, msg, strlen(msg)) == 0 &&
	    shutdown(fd, SHUT_WR) == 0, "send two lines, then end of file");
	text = fd >= 0 ? slurp(fd) : "";
	is_string("HELLO, PROGRAM\nSECOND LINE\n", text,
	    "the program read stdin and wrote stdout");
	if (fd >= 0)
		close(fd);
	ok(pf_log_wait(d, "service upper: program /bin/sh", 30000),
	    "the program's end is logged");
}

/* timeout ends the program and its whole process group. */
static void
test_timeout(struct pf_daemon *d)
{
	char buf[64], *path, *text, *access;
	pid_t prog = 0, gc = 0, both[2];
	long t0;
	int port, fd;
	ssize_t n;

	port = pf_port(d, "slow", "tcp");
	fd = pf_tcp_connect("127.0.0.1", port);
	n = fd >= 0 ? pf_read_n(fd, buf, 8, 30000) : -1;
	ok(n == 8 && memcmp(buf, "started\n", 8) == 0,
	    "the slow program started");
	t0 = pf_now_ms();
	path = pf_path(d, "program.pid");
	text = pf_file(path);
	if (text != NULL)
		prog = (pid_t)atol(text);
	free(text);
	free(path);
	path = pf_path(d, "grandchild.pid");
	text = pf_file(path);
	if (text != NULL)
		gc = (pid_t)atol(text);
	free(text);
	free(path);
	ok(prog > 0 && gc > 0 && pf_proc_alive(prog) && pf_proc_alive(gc),
	    "the program (%ld) and its grandchild (%ld) run", (long)prog,
	    (long)gc);
	n = fd >= 0 ? pf_read_all(fd, buf, sizeof(buf), 8000) : -1;
	ok(n == 0, "the client sees the end of the connection");
	ok(pf_now_ms() - t0 >= 1000 && pf_now_ms() - t0 < 6000,
	    "after about the timeout of 2 s (%ld ms)", pf_now_ms() - t0);
	if (fd >= 0)
		close(fd);
	both[0] = prog;
	both[1] = gc;
	ok(prog > 0 && gc > 0 && pf_wait_gone(both, 2, 30000) == 0,
	    "the program and its grandchild are gone");
	ok(pf_log_wait(d, "service slow: program ", 30000) &&
	    pf_log_wait(d, "still running after timeout 2 s; stopping its "
	    "process group", 30000), "log: stopped at timeout");
	path = pf_path(d, "access.log");
	access = wait_file(path, "service=slow", 30000);
	like(access, "end=timeout signal=TERM", "access log: end=timeout "
	    "signal=TERM");
	like(access, "service=upper", "access log: the upper connection");
	like(access, "end=closed status=0", "access log: status=0");
	free(access);
	free(path);
}

/* pid_in_file - the pid written in file name of the test directory, or 0. */
static pid_t
pid_in_file(struct pf_daemon *d, const char *name)
{
	char *path, *text;
	pid_t pid = 0;

	path = pf_path(d, name);
	text = pf_file(path);
	if (text != NULL)
		pid = (pid_t)atol(text);
	free(text);
	free(path);
	return pid;
}

/* A connection to the slow program: its pids, as /proc shows them. */
struct slow {
	int	fd;
	pid_t	prog, gc, worker, pgrp;
};

/*
 * slow_start - connect to service slow and wait for its program to start;
 * the program, its grandchild and its worker, checked (tests named what).
 */
static void
slow_start(struct pf_daemon *d, const char *what, struct slow *sl)
{
	char buf[8], state;
	ssize_t n;

	memset(sl, 0, sizeof(*sl));
	sl->fd = pf_tcp_connect("127.0.0.1", pf_port(d, "slow", "tcp"));
	n = sl->fd >= 0 ? pf_read_n(sl->fd, buf, 8, 30000) : -1;
	ok(n == 8 && memcmp(buf, "started\n", 8) == 0,
	    "%s: the slow program started", what);
	sl->prog = pid_in_file(d, "program.pid");
	sl->gc = pid_in_file(d, "grandchild.pid");
	if (sl->prog <= 0 || pf_proc_stat(sl->prog, &state, &sl->worker,
	    &sl->pgrp, NULL) != 0)
		sl->worker = sl->pgrp = 0;
	ok(sl->gc > 0 && sl->pgrp == sl->prog && sl->worker > 1,
	    "%s: the program %ld leads its own process group, under worker "
	    "%ld", what, (long)sl->prog, (long)sl->worker);
}

/* slow_end - whatever survived must not outlive the test. */
static void
slow_end(struct slow *sl)
{
	if (sl->gc > 0 && pf_proc_alive(sl->gc))
		kill(sl->gc, SIGKILL);
	if (sl->prog > 0 && pf_proc_alive(sl->prog))
		kill(sl->prog, SIGKILL);
	if (sl->fd >= 0)
		close(sl->fd);
}

/*
 * test_frozen - a worker that cannot act, stopped while its program runs,
 * is killed as hung; the program's process group, which the exec handler
 * reported to the master (report_group), goes with it, grandchild
 * included, by the master's hand: the stopped worker stops nothing, and
 * the grandchild has no parent-death signal to take it.
 */
static void
test_frozen(struct pf_daemon *d)
{
	struct slow sl;
	int hung;

	hung = pf_log_count(d, "killed as hung; replacing it");
	slow_start(d, "frozen", &sl);
	if (sl.worker > 1)
		kill(sl.worker, SIGSTOP);
	ok(pf_log_wait_count(d, "killed as hung; replacing it", hung + 1,
	    30000) >= hung + 1, "frozen: the stopped worker is killed as hung");
	/* Bounded generously: a loaded machine (the sanitizer run) is slow
	 * to deliver the TERM, the KILL and the group's signal. */
	ok(sl.gc > 0 && pf_wait_gone(&sl.gc, 1, 30000) == 0,
	    "frozen: the program's grandchild went with it");
	ok(sl.prog > 0 && pf_wait_gone(&sl.prog, 1, 30000) == 0,
	    "frozen: and the program");
	slow_end(&sl);
}

/*
 * test_term - TERM to a worker while its program runs: the worker (its
 * exec handler, woken through sig.c's self-pipe) stops the program's
 * process group first, then leaves by that same signal.
 */
static void
test_term(struct pf_daemon *d)
{
	struct slow sl;
	char *needle;
	pid_t both[2];

	slow_start(d, "term", &sl);
	if (sl.worker > 1)
		kill(sl.worker, SIGTERM);
	needle = tap_strdup_printf("service slow: stopping program %ld and "
	    "its process group: this worker was told to stop", (long)sl.prog);
	ok(pf_log_wait(d, needle, 30000), "term: log: %s", needle);
	free(needle);
	both[0] = sl.prog;
	both[1] = sl.gc;
	ok(sl.prog > 0 && sl.gc > 0 && pf_wait_gone(both, 2, 30000) == 0,
	    "term: the program and its grandchild are gone");
	ok(sl.worker > 1 && pf_wait_gone(&sl.worker, 1, 30000) == 0,
	    "term: the worker is gone");
	needle = tap_strdup_printf("service slow: worker %ld killed by "
	    "signal 15 (SIGTERM)", (long)sl.worker);
	ok(pf_log_wait(d, needle, 30000), "term: log: %s", needle);
	free(needle);
	ok(sl.fd >= 0 && pf_wait_eof(sl.fd, 30000) == 0,
	    "term: the client sees the end of the connection");
	slow_end(&sl);
}

/* A program removed after start-up: logged per connection. */
static void
test_vanished(struct pf_daemon *d)
{
	char *prog, *text;
	int port, fd;

	prog = pf_path(d, "gone.sh");
	unlink(prog);
	port = pf_port(d, "gone", "tcp");
	fd = pf_tcp_connect("127.0.0.1", port);
	text = fd >= 0 ? slurp(fd) : "x";
	is_string("", text, "a program that vanished: the client gets EOF");
	if (fd >= 0)
		close(fd);
	ok(pf_log_wait(d, "service gone: cannot execute \"", 30000),
	    "a program that vanished: logged per connection");
	free(prog);
}

int
main(void)
{
	struct pf_daemon *d;
	char *path;
	const char *v6;

	plan_lazy();
	test_check();

	v6 = pf_ipv6_works() ? ", \"[::1]:0\"" : "";
	path = tap_strdup_printf(
	    "access_log = \"@DIR@/access.log\";\n"
	    "services = (\n"
	    " { name = \"env\"; workers = 2;\n"
	    "   listen = [ \"127.0.0.1:0\", \"unix:@DIR@/env.sock\"%s ];\n"
	    "   handler = \"exec\";\n"
	    "   exec = { argv = [ \"@DIR@/env.sh\" ];\n"
	    "            env = [ \"GREETING=hello world\" ]; }; },\n"
	    " { name = \"upper\"; workers = 1; listen = \"127.0.0.1:0\";\n"
	    "   handler = \"exec\";\n"
	    "   exec = { argv = [ \"/bin/sh\", \"-c\", \"tr a-z A-Z\" ]; "
	    "}; },\n"
	    " { name = \"slow\"; workers = 1; listen = \"127.0.0.1:0\";\n"
	    "   handler = \"exec\"; timeout = 2;\n"
	    "   exec = { argv = [ \"@DIR@/slow.sh\", \"@DIR@\" ]; }; },\n"
	    " { name = \"gone\"; workers = 1; listen = \"127.0.0.1:0\";\n"
	    "   handler = \"exec\";\n"
	    "   exec = { argv = [ \"@DIR@/gone.sh\" ]; }; }\n"
	    ");\n", v6);
	d = pf_prepare(path);
	free(path);
	path = pf_path(d, "env.sh");
	pf_write_file(path, env_sh);
	chmod(path, 0755);
	free(path);
	path = pf_path(d, "slow.sh");
	pf_write_file(path, slow_sh);
	chmod(path, 0755);
	free(path);
	path = pf_path(d, "gone.sh");
	pf_write_file(path, "#!/bin/sh\necho never\n");
	chmod(path, 0755);
	free(path);
	/* The workers (nobody, when we are root) write the pid files. */
	chmod(d->dir, 0777);
	if (pf_launch(d, NULL) <= 0 || pf_wait_ready(d, 10000) < 0) {
		pf_show(d);
		bail("preforkd did not start");
	}
	test_env(d);
	test_roundtrip(d);
	test_timeout(d);
	test_frozen(d);
	test_term(d);
	test_vanished(d);
	ok(pf_proc_alive(d->pid), "the master is unaffected");
	ok(pf_stop(d) == 0, "stops");
	return 0;
}
