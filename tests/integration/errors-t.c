/*
 * errors-t.c - how the real preforkd fails: a port in use, an invalid
 * config (with and without -t), a bad command line, a port it may not
 * bind, and a second daemon on the same pid file.  Each failure must have
 * its exit status (1 runtime, 64 usage, 78 config) and a message a person
 * can act on.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION	"0.1.0"
#endif

static char out[16384], err[16384];

/* exit_status - the exit code of a wait status, or -1 (diagnosed). */

/* echo_service - a config with one echo service on listen, nothing else. */
static char *
echo_service(const char *listen)
{
	return tap_strdup_printf(
	    "services = ( { name = \"echo\"; handler = \"echo\"; workers = 1;\n"
	    "               listen = \"%s\"; } );\n"
	    "pid_file = \"@DIR@/preforkd.pid\";\n%s", listen,
	    geteuid() == 0 ? "user = \"nobody\";\n" : "");
}

static void
test_port_in_use(void)
{
	struct pf_daemon *d;
	int fd, port = 0, st;
	char *conf, *want, *listen;

	fd = pf_tcp_listen("127.0.0.1", &port);
	if (fd < 0)
		sysbail("cannot listen on 127.0.0.1:0");
	listen = tap_strdup_printf("127.0.0.1:%d", port);
	conf = echo_service(listen);
	d = pf_prepare_raw(conf);
	pf_run2((const char *[]){ "-f", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	is_int(1, pf_exit_code(st), "port in use: exit status 1");
	want = tap_strdup_printf("service echo: cannot listen on tcp "
	    "127.0.0.1:%d: address already in use (another socket is bound "
	    "to this port)", port);
	like(err, want, "port in use: the error on stderr");
	ok(access(d->pid_file, F_OK) < 0, "port in use: no pid file left");
	close(fd);
	free(want);
	free(conf);
	free(listen);
}

/*
 * test_not_here - an address no interface of this host has: binding it
 * fails (bind sends nothing; 192.0.2.1 is TEST-NET-1, never assigned).
 */
static void
test_not_here(void)
{
	struct pf_daemon *d;
	char *conf;
	int st;

	conf = echo_service("192.0.2.1:7007");
	d = pf_prepare_raw(conf);
	pf_run2((const char *[]){ "-f", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	is_int(1, pf_exit_code(st), "address not on this host: exit status 1");
	like(err, "service echo: cannot listen on tcp 192.0.2.1:7007: address "
	    "not available (no interface on this host has this address)",
	    "address not on this host: the error on stderr");
	free(conf);
}

static void
test_bad_config(void)
{
	struct pf_daemon *d;
	char *want;
	int st;

	d = pf_prepare_raw(
	    "# line 1\n"
	    "pid_file = \"@DIR@/preforkd.pid\";\n"
	    "services = (\n"
	    "  { name = \"echo\"; handler = \"echo\";\n"
	    "    listen = \"127.0.0.1:0\";\n"
	    "    workers = 0;\n"				/* line 6 */
	    "  }\n"
	    ");\n");
	pf_run2((const char *[]){ "-f", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	is_int(78, pf_exit_code(st), "bad config: exit status 78");
	want = tap_strdup_printf("%s:6: services.[0].workers: must be between "
	    "1 and 65536 (got 0)\n", d->conf);
	like(err, want, "bad config: FILE:LINE: SETTING: message on stderr");
	ok(access(d->pid_file, F_OK) < 0, "bad config: no pid file");
	free(want);

	/* A file that does not exist: named, and a config error. */
	want = tap_strdup_printf("%s/nonexistent.conf", d->dir);
	pf_run2((const char *[]){ "-f", "-c", want, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	ok(pf_exit_code(st) > 0, "missing config file: a failure");
	free(want);
	want = tap_strdup_printf("%s/nonexistent.conf: cannot read: No such "
	    "file or directory", d->dir);
	like(err, want, "missing config file: FILE: cannot read: ...");
	free(want);
}

static void
test_check(void)
{
	struct pf_daemon *good, *bad;
	char *want;
	int st, i;
	const char *expect[] = {
		":2: log_level: must be one of error, warning, notice, info, "
		    "debug (got \"loud\")",
		":5: services.[0].wokers: unknown setting (did you mean "
		    "\"workers\"?)",
		":8: services.[1].workers: must be between 1 and 65536 (got 0)",
		":9: services.[1].backlog: must be between 1 and 65535 (got 0)",
		":12: services.[2].workers: must be an integer (got a string)",
	};

	good = pf_prepare(
	    "services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "               listen = [ \"127.0.0.1:0\",\n"
	    "                          \"udp://[::1]:0\" ]; } );\n");
	pf_run2((const char *[]){ "-t", "-c", good->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	is_int(0, pf_exit_code(st), "-t on a good config: exit 0");
	want = tap_strdup_printf("%s: configuration OK\n", good->conf);
	is_string(want, out, "-t on a good config: FILE: configuration OK");
	is_string("", err, "-t on a good config: nothing on stderr");
	free(want);
	ok(access(good->pid_file, F_OK) < 0, "-t starts nothing (no pid file)");

	bad = pf_prepare_raw(
	    "pid_file = \"@DIR@/preforkd.pid\";\n"
	    "log_level = \"loud\";\n"				/* 2 */
	    "services = (\n"
	    "  { name = \"a\"; handler = \"echo\"; listen = \"127.0.0.1:0\";\n"
	    "    wokers = 2; },\n"				/* 5 */
	    "  { name = \"b\"; handler = \"echo\";\n"
	    "    listen = \"127.0.0.1:0\";\n"
	    "    workers = 0;\n"				/* 8 */
	    "    backlog = 0; },\n"				/* 9 */
	    "  { name = \"c\"; handler = \"echo\";\n"
	    "    listen = \"127.0.0.1:0\";\n"
	    "    workers = \"many\"; }\n"			/* 12 */
	    ");\n");
	pf_run2((const char *[]){ "-t", "-c", bad->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	is_int(78, pf_exit_code(st), "-t on a bad config: exit 78");
	for (i = 0; i < (int)(sizeof(expect) / sizeof(expect[0])); i++) {
		want = tap_strdup_printf("%s%s\n", bad->conf, expect[i]);
		like(err, want, "-t reports every error: FILE%s", expect[i]);
		free(want);
	}
	ok(strstr(out, "configuration OK") == NULL,
	    "-t on a bad config: no \"configuration OK\"");
}

static void
test_command_line(void)
{
	int st;

	pf_run2((const char *[]){ "-Z", NULL }, &st, out, sizeof(out), err,
	    sizeof(err));
	is_int(64, pf_exit_code(st), "unknown option: exit 64");
	like(err, "[-c FILE]", "unknown option: the usage on stderr");
	ok(strstr(err, "usage") != NULL || strstr(err, "Usage") != NULL,
	    "unknown option: it says \"usage\"");

	pf_run2((const char *[]){ "-c", NULL }, &st, out, sizeof(out), err,
	    sizeof(err));
	is_int(64, pf_exit_code(st), "-c without a file: exit 64");

	pf_run2((const char *[]){ "-s", "explode", "-c", "/nonexistent", NULL },
	    &st, out, sizeof(out), err, sizeof(err));
	is_int(64, pf_exit_code(st), "-s with an unknown signal: exit 64");

	pf_run2((const char *[]){ "extra-argument", NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	is_int(64, pf_exit_code(st), "a stray argument: exit 64");

	pf_run2((const char *[]){ "-V", NULL }, &st, out, sizeof(out), err,
	    sizeof(err));
	is_int(0, pf_exit_code(st), "-V: exit 0");
	like(out, PACKAGE_VERSION, "-V: prints the version " PACKAGE_VERSION);
	like(out, "preforkd", "-V: and the name");

	pf_run2((const char *[]){ "-h", NULL }, &st, out, sizeof(out), err,
	    sizeof(err));
	is_int(0, pf_exit_code(st), "-h: exit 0");
	like(out, "[-c FILE]", "-h: the usage on stdout");
}

/*
 * test_low_port - a port below 1024 as an ordinary user.  As root, the
 * command runs as nobody (from a directory nobody can use).
 */
static void
test_low_port(void)
{
	struct pf_daemon *d;
	struct passwd *pw = NULL;
	const char *prog;
	char *conf;
	int st, unpriv = 1024;
	FILE *f;

	f = fopen("/proc/sys/net/ipv4/ip_unprivileged_port_start", "r");
	if (f != NULL) {
		if (fscanf(f, "%d", &unpriv) != 1)
			unpriv = 1024;
		fclose(f);
	}
	if (unpriv <= 1) {
		skip("ordinary users may bind every port on this host");
		skip("ordinary users may bind every port on this host");
		return;
	}
	if (geteuid() == 0) {
		pw = getpwnam("nobody");
		prog = getenv("PREFORKD");
		if (pw == NULL || prog == NULL || access(prog, X_OK) < 0) {
			skip("running as root and no user nobody");
			skip("running as root and no user nobody");
			return;
		}
	}
	conf = tap_strdup_printf(
	    "services = ( { name = \"echo\"; handler = \"echo\"; workers = 1;\n"
	    "               listen = \"127.0.0.1:1\"; } );\n"
	    "pid_file = \"@DIR@/preforkd.pid\";\n");
	d = pf_prepare_raw(conf);
	free(conf);
	if (pw != NULL) {
		/* nobody must be able to use the directory and config. */
		chmod(d->dir, 0777);
		chmod(d->conf, 0644);
		pf_run_as(pw->pw_uid, pw->pw_gid);
	}
	pf_run2((const char *[]){ "-f", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	pf_run_as((uid_t)-1, 0);
	if (pf_exit_code(st) == 127) {
		diag("%s", err);
		skip("nobody cannot run $PREFORKD here");
		skip("nobody cannot run $PREFORKD here");
		return;
	}
	is_int(1, pf_exit_code(st), "port 1 as %s: exit status 1",
	    pw != NULL ? "nobody" : "an ordinary user");
	like(err, "service echo: cannot listen on tcp 127.0.0.1:1: permission "
	    "denied (ports below 1024 need root)",
	    "port 1: the permission message names the cause");
}

static void
test_same_pid_file(void)
{
	struct pf_daemon *first, *second;
	char *conf;
	int st, port;

	first = pf_start("services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 1; listen = \"127.0.0.1:0\"; } );\n");
	port = pf_port(first, "echo", "tcp");
	conf = tap_strdup_printf(
	    "services = ( { name = \"echo\"; handler = \"echo\"; workers = 1;\n"
	    "               listen = \"127.0.0.1:0\"; } );\n"
	    "pid_file = \"%s\";\n%s", first->pid_file,
	    geteuid() == 0 ? "user = \"nobody\";\n" : "");
	second = pf_prepare_raw(conf);
	free(conf);
	pf_run2((const char *[]){ "-f", "-c", second->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	is_int(1, pf_exit_code(st), "same pid file: the second exits 1");
	like(err, first->pid_file, "same pid file: the message names it");
	is_int(first->pid, pf_read_pid_file(first->pid_file),
	    "same pid file: it still holds the first master's pid");
	ok(pf_proc_alive(first->pid) && pf_echo_tcp("127.0.0.1", port, "hi\n"),
	    "same pid file: the first daemon still runs and answers");
	st = pf_stop(first);
	ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "the first daemon stops cleanly");
}

int
main(void)
{
	plan_lazy();
	test_port_in_use();
	test_not_here();
	test_bad_config();
	test_check();
	test_command_line();
	test_low_port();
	test_same_pid_file();
	return 0;
}
