/*
 * observe-t.c - what the real preforkd lets an administrator see: the
 * access log (one logfmt line per TCP connection and per UDP datagram),
 * its rotation with USR1 (with the error log; as root, the reopened files
 * belong to the workers' user), and "preforkd -s status" in text and JSON
 * through the control socket, with a busy worker's client, and its errors
 * when the daemon is not running or control_socket is "off".
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

#include <errno.h>
#include <pwd.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/json.h"
#include "../tap/net.h"

/* ---------------------------------------------------------- helpers */

/* count_lines - lines (newline-terminated) in a file; -1 if unreadable. */
static int
count_lines(const char *path)
{
	char *text;
	int n;

	if (access(path, F_OK) < 0)
		return -1;
	text = pf_file(path);
	n = pf_count(text, "\n");
	free(text);
	return n;
}

/* wait_lines - poll until path has at least n lines: how many it has. */
static int
wait_lines(const char *path, int n, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	int got;

	for (;;) {
		got = count_lines(path);
		if (got >= n || pf_now_ms() >= deadline)
			return got;
		pf_sleep_ms(10);
	}
}

/* line_with - a copy of the line of text holding needle, or NULL. */
static char *
line_with(const char *text, const char *needle)
{
	const char *p, *start, *end;

	p = strstr(text, needle);
	if (p == NULL)
		return NULL;
	for (start = p; start > text && start[-1] != '\n'; start--)
		;
	end = strchr(p, '\n');
	if (end == NULL)
		end = p + strlen(p);
	return strndup(start, (size_t)(end - start));
}

/*
 * access_line_is - whether line is exactly
 *   time=ISO8601.mmm+HH:MM service=S proto=P local=L remote=R pid=N
 *   in=I out=O duration=S.mmm end=E
 * with the given values (pid: any worker pid > 0, returned in *pid).
 */
static int
access_line_is(const char *line, const char *service, const char *proto,
    const char *local, const char *remote, int in, int out, const char *end,
    pid_t *pid)
{
	static const char re_text[] = "^time=[0-9]{4}-[01][0-9]-[0-3][0-9]T"
	    "[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\\.[0-9]{3}[+-][0-2][0-9]:"
	    "[0-5][0-9] service=([^ ]+) proto=([^ ]+) local=([^ ]+) "
	    "remote=([^ ]+) pid=([0-9]+) in=([0-9]+) out=([0-9]+) "
	    "duration=[0-9]+\\.[0-9]{3} end=([a-z]+)$";
	regmatch_t m[9];
	regex_t re;
	char *want, *got;
	int match;

	if (line == NULL) {
		diag("no access log line");
		return 0;
	}
	if (regcomp(&re, re_text, REG_EXTENDED) != 0)
		bail("regcomp");
	match = regexec(&re, line, 9, m, 0) == 0;
	regfree(&re);
	if (!match) {
		diag("access log line is not logfmt as documented: \"%s\"",
		    line);
		return 0;
	}
	*pid = (pid_t)atol(line + m[5].rm_so);
	want = tap_strdup_printf("service=%s proto=%s local=%s remote=%s "
	    "in=%d out=%d end=%s", service, proto, local, remote, in, out, end);
	got = tap_strdup_printf("service=%.*s proto=%.*s local=%.*s "
	    "remote=%.*s in=%.*s out=%.*s end=%.*s",
	    (int)(m[1].rm_eo - m[1].rm_so), line + m[1].rm_so,
	    (int)(m[2].rm_eo - m[2].rm_so), line + m[2].rm_so,
	    (int)(m[3].rm_eo - m[3].rm_so), line + m[3].rm_so,
	    (int)(m[4].rm_eo - m[4].rm_so), line + m[4].rm_so,
	    (int)(m[6].rm_eo - m[6].rm_so), line + m[6].rm_so,
	    (int)(m[7].rm_eo - m[7].rm_so), line + m[7].rm_so,
	    (int)(m[8].rm_eo - m[8].rm_so), line + m[8].rm_so);
	match = strcmp(want, got) == 0;
	if (!match)
		diag("access log line: want %s\n#   got  %s", want, got);
	free(want);
	free(got);
	return match;
}

/* echo_once - one TCP round trip of msg: our local port, or -1. */
static int
echo_once(int port, const char *msg)
{
	int fd, myport, r;

	fd = pf_tcp_connect("127.0.0.1", port);
	if (fd < 0)
		return -1;
	myport = pf_local_port(fd);
	r = pf_echo_fd(fd, msg);
	close(fd);
	return r ? myport : -1;
}

/* listen_fd - the fd in "service echo: listening on PROTO ... (fd N"; -1. */
static int
listen_fd(struct pf_daemon *d, const char *proto)
{
	char *needle, *line, *p;
	int fd = -1;

	needle = tap_strdup_printf("service echo: listening on %s ", proto);
	line = pf_log_line(d, needle);
	if (line != NULL && (p = strstr(line, "(fd ")) != NULL)
		fd = atoi(p + 4);
	free(line);
	free(needle);
	return fd;
}

/* ------------------------------------------------------------- tests */

/* One logfmt line per TCP connection and per UDP datagram. */
static void
test_access_log(struct pf_daemon *d, int port, int uport, int sport,
    const char *access_log)
{
	pid_t workers[8], pid = 0;
	char reply[64], *text, *needle, *line, *local, *remote;
	int fd, myport, n, nworkers;
	ssize_t r;

	nworkers = pf_workers(d, workers, 8);
	myport = echo_once(port, "hello\n");
	ok(myport > 0, "access: one TCP echo round trip (6 bytes)");
	ok(wait_lines(access_log, 1, 3000) >= 1, "access: the access log has "
	    "a line");
	text = pf_file(access_log);
	needle = tap_strdup_printf(" remote=127.0.0.1:%d ", myport);
	is_int(1, pf_count(text, needle), "access: exactly one line for our "
	    "connection (remote port %d)", myport);
	line = line_with(text, needle);
	local = tap_strdup_printf("127.0.0.1:%d", port);
	remote = tap_strdup_printf("127.0.0.1:%d", myport);
	ok(access_line_is(line, "echo", "tcp", local, remote, 6, 6, "closed",
	    &pid), "access: time=... service=echo proto=tcp local=%s "
	    "remote=%s pid=... in=6 out=6 duration=... end=closed", local,
	    remote);
	for (n = 0; n < nworkers && n < 8 && workers[n] != pid; n++)
		;
	ok(pid > 0 && n < nworkers && n < 8, "access: pid= is a worker's "
	    "(%ld)", (long)pid);
	free(line);
	free(needle);
	free(text);
	free(local);
	free(remote);

	fd = pf_udp_socket("127.0.0.1", uport);
	myport = fd >= 0 ? pf_local_port(fd) : -1;
	ok(fd >= 0 && send(fd, "ping", 4, 0) == 4, "access: a UDP datagram "
	    "of 4 bytes");
	r = fd >= 0 ? pf_read_n(fd, reply, 4, 5000) : -1;
	ok(r == 4 && memcmp(reply, "ping", 4) == 0, "access: echoed");
	if (fd >= 0)
		close(fd);
	ok(wait_lines(access_log, 2, 3000) >= 2, "access: a second line");
	text = pf_file(access_log);
	needle = tap_strdup_printf(" remote=127.0.0.1:%d ", myport);
	is_int(1, pf_count(text, needle), "access: exactly one line for our "
	    "datagram (remote port %d)", myport);
	line = line_with(text, needle);
	local = tap_strdup_printf("127.0.0.1:%d", uport);
	remote = tap_strdup_printf("127.0.0.1:%d", myport);
	ok(access_line_is(line, "echo", "udp", local, remote, 4, 4, "closed",
	    &pid), "access: time=... service=echo proto=udp local=%s "
	    "remote=%s pid=... in=4 out=4 duration=... end=closed", local,
	    remote);
	free(line);
	free(needle);
	free(text);
	free(local);
	free(remote);

	/* discard: bytes in, none out (so in= and out= cannot be mixed up). */
	fd = pf_tcp_connect("127.0.0.1", sport);
	myport = fd >= 0 ? pf_local_port(fd) : -1;
	ok(fd >= 0 && pf_write_all(fd, "0123456789", 10) == 0 &&
	    shutdown(fd, SHUT_WR) == 0 && pf_wait_eof(fd, 5000) == 0,
	    "access: 10 bytes to discard, then EOF both ways");
	if (fd >= 0)
		close(fd);
	ok(wait_lines(access_log, 3, 3000) >= 3, "access: a third line");
	text = pf_file(access_log);
	needle = tap_strdup_printf(" remote=127.0.0.1:%d ", myport);
	line = line_with(text, needle);
	local = tap_strdup_printf("127.0.0.1:%d", sport);
	remote = tap_strdup_printf("127.0.0.1:%d", myport);
	ok(access_line_is(line, "sink", "tcp", local, remote, 10, 0, "closed",
	    &pid), "access: service=sink proto=tcp local=%s remote=%s "
	    "in=10 out=0 end=closed", local, remote);
	n = pf_count(text, "\n");
	is_int(3, n, "access: 3 lines in all, one per connection or "
	    "datagram");
	free(line);
	free(needle);
	free(text);
	free(local);
	free(remote);
}

/*
 * USR1 after renaming the access log and the error log: the old files keep
 * what came before, new files with the same names get what comes after,
 * and across the two no line is lost.
 */
static void
test_rotation(struct pf_daemon *d, int port, const char *access_log)
{
	char *old_access, *old_error, *old_text, *new_text, *needle;
	int ports[20], i, before, in_old, in_new, missing = 0, twice = 0;
	int base, nold, nnew, failed = 0, r;
	struct passwd *pw;
	struct stat st;
	long deadline;

	old_access = tap_strdup_printf("%s.1", access_log);
	old_error = tap_strdup_printf("%s.1", d->error_log);
	base = count_lines(access_log);
	for (i = 0; i < 10; i++)
		if ((ports[i] = echo_once(port, "before\n")) < 0)
			failed++;
	ok(wait_lines(access_log, base + 10, 3000) == base + 10,
	    "rotation: 10 connections logged");
	ok(rename(access_log, old_access) == 0 &&
	    rename(d->error_log, old_error) == 0,
	    "rotation: access.log and error.log renamed to *.1");
	for (; i < 13; i++)
		if ((ports[i] = echo_once(port, "renamed\n")) < 0)
			failed++;
	ok(wait_lines(old_access, base + 13, 3000) == base + 13,
	    "rotation: 3 more connections logged to the renamed file");
	before = i;
	ok(pf_kill(d, SIGUSR1) == 0, "rotation: USR1 sent");
	deadline = pf_now_ms() + 3000;
	while (access(access_log, F_OK) < 0 && pf_now_ms() < deadline)
		pf_sleep_ms(10);
	ok(access(access_log, F_OK) == 0, "rotation: a new access.log");
	ok(access(d->error_log, F_OK) == 0, "rotation: a new error.log");
	for (; i < 20; i++)
		if ((ports[i] = echo_once(port, "after\n")) < 0)
			failed++;
	is_int(0, failed, "rotation: 20 connections, all served");
	/* Wait for the 20 lines to be written somewhere. */
	deadline = pf_now_ms() + 3000;
	do {
		nold = count_lines(old_access);
		nnew = count_lines(access_log);
		if (nold + nnew >= base + 20)
			break;
		pf_sleep_ms(10);
	} while (pf_now_ms() < deadline);
	is_int(base + 20, nold + nnew, "rotation: no line lost: %d in the "
	    "old file + %d in the new = %d", nold, nnew, base + 20);
	old_text = pf_file(old_access);
	new_text = pf_file(access_log);
	for (i = 0; i < 20; i++) {
		needle = tap_strdup_printf(" remote=127.0.0.1:%d ", ports[i]);
		in_old = pf_count(old_text, needle);
		in_new = pf_count(new_text, needle);
		if (in_old + in_new == 0)
			missing++;
		if (in_old + in_new > 1)
			twice++;
		if (i < before && in_old != 1) {
			diag("connection %d (before USR1) not in the old file",
			    i);
			missing++;
		}
		if (i == 19 && in_new != 1) {
			diag("the last connection is not in the new file");
			missing++;
		}
		free(needle);
	}
	ok(missing == 0 && twice == 0, "rotation: each connection exactly "
	    "once; the 13 before USR1 in the old file, the last in the new");
	ok(nnew >= 1, "rotation: new lines go to the new access.log (%d)",
	    nnew);
	free(old_text);
	free(new_text);

	old_text = pf_file(old_error);
	ok(strstr(old_text, "ready: ") != NULL, "rotation: error.log.1 keeps "
	    "the earlier lines");
	ok(strstr(old_text, "received SIGUSR1: reopening the log files") !=
	    NULL, "rotation: log: received SIGUSR1: reopening the log files");
	free(old_text);
	old_text = pf_file(old_error);
	ok(pf_log_count(d, "cannot reopen") == 0 &&
	    pf_count(old_text, "cannot reopen") == 0,
	    "rotation: no \"cannot reopen\" error");
	free(old_text);
	needle = tap_strdup_printf("<- 127.0.0.1:%d, ", ports[19]);
	ok(pf_log_wait(d, needle, 3000), "rotation: a worker logs to the new "
	    "error.log (its debug line for the last connection)");
	free(needle);
	pf_kill(d, SIGTTIN);
	ok(pf_log_wait(d, "received SIGTTIN", 3000), "rotation: the master "
	    "logs to the new error.log");
	old_text = pf_file(old_error);
	ok(pf_count(old_text, "received SIGTTIN") == 0,
	    "rotation: and not to the old one");
	free(old_text);
	pf_kill(d, SIGTTOU);
	pf_log_wait(d, "received SIGTTOU: service echo now has 2", 3000);
	pf_wait_workers(d, 3, 3000);

	if (geteuid() == 0 && (pw = getpwnam("nobody")) != NULL) {
		r = stat(access_log, &st);
		ok(r == 0 && st.st_uid == pw->pw_uid,
		    "rotation (root): the new access.log belongs to nobody, "
		    "the workers' user (uid %ld)", r == 0 ? (long)st.st_uid :
		    -1L);
		r = stat(d->error_log, &st);
		ok(r == 0 && st.st_uid == pw->pw_uid,
		    "rotation (root): the new error.log belongs to nobody "
		    "(uid %ld)", r == 0 ? (long)st.st_uid : -1L);
	} else
		skip("not root: the chown of reopened logs is not exercised");
	free(old_access);
	free(old_error);
}

/* -s status, text and JSON, with a connection held open and idle. */
static void
test_status(struct pf_daemon *d, const char *conf, int port, int uport,
    int tfd, int ufd)
{
	static char out[65536], err[4096];
	char *needle, *line;
	const char *where;
	int fd, myport, rc;

	fd = pf_tcp_connect("127.0.0.1", port);
	myport = fd >= 0 ? pf_local_port(fd) : -1;
	ok(fd >= 0 && pf_echo_fd(fd, "hold\n"), "status: a connection, "
	    "served once, now held open and idle (port %d)", myport);

	rc = pf_status(d, 0, out, sizeof(out), err, sizeof(err));
	is_int(0, rc, "status: -s status exits 0");
	if (rc != 0)
		diag("stderr: %s", err);
	like(out, "preforkd ", "status: starts with preforkd VERSION: "
	    "master pid");
	needle = tap_strdup_printf(": master pid %ld, up ", (long)d->pid);
	like(out, needle, "status: names the master pid");
	free(needle);
	needle = tap_strdup_printf("\nconfig %s, generation 1", conf);
	like(out, needle, "status: config %s, generation 1", conf);
	free(needle);
	needle = tap_strdup_printf("\nservice echo: handler echo, static pool "
	    "of 2 workers\n");
	like(out, needle, "status: service echo: handler echo, static pool "
	    "of 2 workers");
	free(needle);
	needle = tap_strdup_printf("  listening on tcp 127.0.0.1:%d (fd %d)\n",
	    port, tfd);
	like(out, needle, "status: listening on tcp 127.0.0.1:%d (fd %d) "
	    "(the fd the log gave)", port, tfd);
	free(needle);
	needle = tap_strdup_printf("  listening on udp 127.0.0.1:%d (fd %d)\n",
	    uport, ufd);
	like(out, needle, "status: listening on udp 127.0.0.1:%d (fd %d)",
	    uport, ufd);
	free(needle);
	like(out, "  workers 2, busy 1, idle 1,", "status: workers 2, busy 1, "
	    "idle 1");
	needle = tap_strdup_printf(" tcp 127.0.0.1:%d <- 127.0.0.1:%d for ",
	    port, myport);
	line = line_with(out, needle);
	ok(line != NULL && strncmp(line, "  worker ", 9) == 0 &&
	    strstr(line, " busy ") != NULL,
	    "status: a busy worker line with our client: %s",
	    line != NULL ? line : "(none)");
	if (line == NULL)
		diag("%s", out);
	free(line);
	free(needle);

	rc = pf_status(d, 1, out, sizeof(out), err, sizeof(err));
	is_int(0, rc, "status --json: exits 0");
	ok(pf_json_valid(out, &where), "status --json: the output is valid JSON");
	if (!pf_json_valid(out, &where))
		diag("invalid JSON at offset %ld: %.40s", (long)(where - out),
		    where);
	needle = tap_strdup_printf("\"remote\":\"127.0.0.1:%d\"", myport);
	like(out, needle, "status --json: has %s", needle);
	free(needle);
	like(out, "\"state\":\"busy\"", "status --json: a busy worker");
	needle = tap_strdup_printf("{\"proto\":\"tcp\",\"address\":"
	    "\"127.0.0.1:%d\",\"fd\":%d}", port, tfd);
	like(out, needle, "status --json: the tcp listener");
	free(needle);
	needle = tap_strdup_printf("{\"proto\":\"udp\",\"address\":"
	    "\"127.0.0.1:%d\",\"fd\":%d}", uport, ufd);
	like(out, needle, "status --json: the udp listener");
	free(needle);
	needle = tap_strdup_printf("\"master\":{\"pid\":%ld,", (long)d->pid);
	like(out, needle, "status --json: the master pid");
	free(needle);
	needle = tap_strdup_printf("\"config\":\"%s/we\\\"ird\\\\name.conf\",",
	    d->dir);
	like(out, needle, "status --json: the config path, its \" and \\ "
	    "escaped: %s", needle);
	free(needle);

	/* A second opinion when python3 is there. */
	if (system("command -v python3 >/dev/null 2>&1") == 0) {
		char *path, *cmd;
		int st;

		path = pf_path(d, "status.json");
		pf_write_file(path, out);
		cmd = tap_strdup_printf("python3 -c 'import json,sys; "
		    "json.load(sys.stdin)' < '%s'", path);
		st = system(cmd);
		ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "status --json: python3's json module accepts it too");
		free(cmd);
		free(path);
	} else
		skip("python3 is not installed: no second JSON check");

	/* The checker itself must catch a broken document. */
	ok(!pf_json_valid("{\"a\":[1,2,}", &where) &&
	    !pf_json_valid("{\"a\":1} x", &where) &&
	    pf_json_valid(" {\"a\":[1,-2.5e3,\"x\\n\",true,null,{}]} ", &where),
	    "(the JSON checker tells good from bad)");

	if (fd >= 0)
		close(fd);
}

int
main(void)
{
	static char out[8192], err[4096];
	struct pf_daemon *d, *off;
	char *access_log;
	int port, uport, sport, rc, tfd, ufd;
	char *weird;

	plan_lazy();
	/*
	 * Started with a config whose name holds a quote and a backslash,
	 * which the JSON status must escape.
	 */
	d = pf_prepare(
	    "access_log = \"@DIR@/access.log\";\n"
	    "services = (\n"
	    "  { name = \"echo\"; handler = \"echo\"; workers = 2;\n"
	    "    listen = [ \"127.0.0.1:0\", \"udp://127.0.0.1:0\" ]; },\n"
	    "  { name = \"sink\"; handler = \"discard\"; workers = 1;\n"
	    "    listen = \"127.0.0.1:0\"; } );\n");
	weird = pf_path(d, "we\"ird\\name.conf");
	if (symlink("preforkd.conf", weird) < 0)
		sysbail("symlink %s", weird);
	pf_launch(d, (const char *[]){ "-f", "-c", weird, NULL });
	if (pf_wait_ready(d, 10000) < 0) {
		pf_show(d);
		bail("preforkd did not start");
	}
	access_log = pf_path(d, "access.log");
	port = pf_port(d, "echo", "tcp");
	uport = pf_port(d, "echo", "udp");
	sport = pf_port(d, "sink", "tcp");
	ok(port > 0 && uport > 0 && sport > 0, "the log names the ports "
	    "(tcp %d, udp %d, sink %d)", port, uport, sport);
	tfd = listen_fd(d, "tcp");
	ufd = listen_fd(d, "udp");
	ok(tfd >= 0 && ufd >= 0, "the log names their fds (%d, %d)", tfd, ufd);
	is_int(3, pf_wait_workers(d, 3, 5000), "3 workers (2 echo, 1 sink)");
	is_int(0, count_lines(access_log), "the access log is there, empty");

	test_access_log(d, port, uport, sport, access_log);
	test_rotation(d, port, access_log);
	test_status(d, weird, port, uport, tfd, ufd);

	/* Not running: -s status fails with a message. */
	ok(pf_exit_code(pf_stop(d)) == 0, "TERM: the master exits 0");
	rc = pf_status(d, 0, out, sizeof(out), err, sizeof(err));
	is_int(1, rc, "-s status, not running: exit 1");
	like(err, "cannot connect to the control socket", "-s status, not "
	    "running: \"cannot connect to the control socket\"");
	like(err, "is preforkd running?", "-s status, not running: "
	    "\"(is preforkd running?)\"");
	is_string("", out, "-s status, not running: nothing on stdout");

	/* control_socket = "off": -s status says so. */
	off = pf_start(
	    "control_socket = \"off\";\n"
	    "services = ( { name = \"echo\"; handler = \"echo\"; workers = 1;\n"
	    "  listen = \"127.0.0.1:0\"; } );\n");
	ok(access(pf_path(off, "preforkd.ctl"), F_OK) < 0, "control_socket "
	    "= \"off\": no socket file");
	rc = pf_status(off, 0, out, sizeof(out), err, sizeof(err));
	is_int(1, rc, "control_socket = \"off\": -s status exits 1");
	like(err, "control_socket", "control_socket = \"off\": the message "
	    "names control_socket: %s", err);
	is_string("", out, "control_socket = \"off\": nothing on stdout");
	ok(pf_exit_code(pf_stop(off)) == 0, "TERM: the master exits 0");
	free(access_log);
	free(weird);
	return 0;
}
