/*
 * upgrade-t.c - binary upgrade of the real preforkd: USR2 starts the same
 * binary as a new master that inherits the listening sockets (TCP, unix
 * and the control socket) and writes the pid file while the old one's
 * becomes pid_file.oldbin; WINCH stops the old workers, QUIT ends the old
 * master without shutting the shared sockets down.  "preforkd -s upgrade"
 * does it all.  A new binary that fails leaves the old master serving,
 * with its pid file back.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

#define OUT_MAX	16384

#define CONF_ECHO							\
	"services = ( { name = \"echo\"; handler = \"echo\"; workers = 2;\n" \
	"  listen = [ \"127.0.0.1:0\", \"unix:@DIR@/echo.sock\" ]; } );\n"


/* unix_echo - one round trip on the unix socket at path. */
static int
unix_echo(const char *path, const char *msg)
{
	int fd, r;

	fd = pf_unix_connect(path);
	if (fd < 0)
		return 0;
	r = pf_echo_fd(fd, msg);
	close(fd);
	return r;
}

/* many_echo - n connections in a row to port, each echoing: 1 if all did. */
static int
many_echo(int port, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (!pf_echo_tcp("127.0.0.1", port, "again\n")) {
			diag("connection %d of %d failed: %s", i + 1, n,
			    strerror(errno));
			return 0;
		}
	return 1;
}

/* status_of - -s status against the running master: exit code, out. */
static int
status_of(struct pf_daemon *d, char *out, size_t outlen)
{
	char err[1024];
	int rc;

	rc = pf_status(d, 0, out, outlen, err, sizeof(err));
	if (rc != 0)
		diag("-s status: exit %d: %s", rc, err);
	return rc;
}

/* run_ctl - "preforkd -s WHAT -c CONF": exit code, stdout, stderr. */
static int
run_ctl(struct pf_daemon *d, const char *what, char *out, size_t outlen,
    char *err, size_t errlen)
{
	const char *args[] = { "-s", what, "-c", d->conf, NULL };
	int st = -1;

	if (pf_run2(args, &st, out, outlen, err, errlen) < 0)
		return -1;
	return pf_exit_code(st);
}

/* wait_pid_file_is - poll until path holds pid: 1, or 0 on timeout. */
static int
wait_pid_file_is(const char *path, pid_t pid, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;

	for (;;) {
		if (pf_read_pid_file(path) == pid)
			return 1;
		if (pf_now_ms() >= deadline)
			return 0;
		pf_sleep_ms(10);
	}
}

/*
 * old_workers - the old master's children but its successor: its workers.
 */
static int
old_workers(struct pf_daemon *d, pid_t successor)
{
	pid_t pids[64];
	int i, n, k = 0;

	n = pf_workers(d, pids, 64);
	for (i = 0; i < n && i < 64; i++)
		if (pids[i] != successor)
			k++;
	return k;
}

/* wait_old_workers - poll until old_workers is n: the count. */
static int
wait_old_workers(struct pf_daemon *d, pid_t successor, int n, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	int got;

	for (;;) {
		got = old_workers(d, successor);
		if (got == n || pf_now_ms() >= deadline)
			return got;
		pf_sleep_ms(10);
	}
}

/*
 * run_ctl_reaping - "preforkd -s WHAT -c CONF" while reaping d, our child:
 * an old master that exits must not stay a zombie, which -s upgrade would
 * take for a live process (a real supervisor reaps it at once).  Its exit
 * code (-1 if it had to be killed after 20 s); stdout and stderr.
 */
static int
run_ctl_reaping(struct pf_daemon *d, const char *what, char *out,
    size_t outlen, char *err, size_t errlen)
{
	char *outf = pf_path(d, "ctl.out"), *errf = pf_path(d, "ctl.err");
	const char *bin = getenv("PREFORKD");
	long deadline = pf_now_ms() + 20000;
	char *text;
	pid_t pid;
	int st = -1, dst, fd, done = 0;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		sysbail("fork");
	if (pid == 0) {
		setpgid(0, 0);
		fd = open(outf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0)
			dup2(fd, 1);
		fd = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0)
			dup2(fd, 2);
		execl(bin, bin, "-s", what, "-c", d->conf, (char *)NULL);
		_exit(127);
	}
	while (!done) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			done = 1;
		if (d->child && !d->reaped &&
		    waitpid(d->pid, &dst, WNOHANG) == d->pid) {
			d->reaped = 1;
			d->status = dst;
		}
		if (!done && pf_now_ms() > deadline) {
			diag("preforkd -s %s did not finish in 20 s: killed", what);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			st = -1;
			done = 1;
		}
		if (!done)
			pf_sleep_ms(10);
	}
	text = pf_file(outf);
	snprintf(out, outlen, "%s", text);
	free(text);
	text = pf_file(errf);
	snprintf(err, errlen, "%s", text);
	free(text);
	free(outf);
	free(errf);
	return pf_exit_code(st);
}

/* copy_file - src to dst (created with mode). */
static void
copy_file(const char *src, const char *dst, mode_t mode)
{
	char buf[65536];
	ssize_t n;
	int in, out;

	in = open(src, O_RDONLY);
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (in < 0 || out < 0)
		sysbail("copy %s to %s", src, dst);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			sysbail("write %s", dst);
	if (n < 0 || close(out) < 0)
		sysbail("copy %s", src);
	close(in);
}

/* listen_port - the port of the first "service echo: listening on tcp". */
static int
echo_port(struct pf_daemon *d)
{
	return pf_port(d, "echo", "tcp");
}

/*
 * test_usr2 - the upgrade step by step: USR2, the new master ready, WINCH
 * to the old one, QUIT to the old one.
 */
static void
test_usr2(void)
{
	struct pf_daemon *d, *nd = NULL;
	char out[OUT_MAX], *needle, *oldbin, *sock, *text;
	pid_t old, newpid;
	int port, c1, st = -1, i, by_new;

	diag("USR2, WINCH and QUIT by hand");
	d = pf_start(CONF_ECHO);
	old = d->pid;
	port = echo_port(d);
	sock = pf_path(d, "echo.sock");
	oldbin = tap_strdup_printf("%s.oldbin", d->pid_file);
	is_int(2, pf_wait_workers(d, 2, 5000), "2 workers");
	c1 = pf_tcp_connect("127.0.0.1", port);
	ok(c1 >= 0 && pf_echo_fd(c1, "before USR2\n"),
	    "a connection in flight on the old master");

	pf_kill(d, SIGUSR2);
	newpid = pf_wait_pid_change(d->pid_file, old, 10000);
	ok(newpid > 0, "USR2: a new master (pid %ld) writes the pid file",
	    (long)newpid);
	if (newpid <= 0) {
		pf_show(d);
		bail("no new master");
	}
	nd = pf_adopt_new(d, newpid);
	is_int(old, pf_read_pid_file(oldbin), "the old master's pid is in "
	    "pid_file.oldbin");
	ok(pf_log_wait(d, "notice: received SIGUSR2: upgrading to ", 10),
	    "log: received SIGUSR2: upgrading to ...");
	needle = tap_strdup_printf("as pid %ld with 3 sockets; the pid file of "
	    "this master (pid %ld) is now .oldbin", (long)newpid, (long)old);
	ok(pf_log_wait(d, needle, 10), "log: upgrade: started ... %s", needle);
	free(needle);
	needle = tap_strdup_printf("preforkd[%ld]: notice: service echo: "
	    "listening on tcp 127.0.0.1:%d ", (long)newpid, port);
	ok(pf_log_wait(d, needle, 2000), "the new master listens on the same "
	    "port %d", port);
	free(needle);
	needle = tap_strdup_printf("preforkd[%ld]: notice: ready: 1 services, "
	    "2 workers, pid %ld", (long)newpid, (long)newpid);
	ok(pf_log_wait(d, needle, 2000), "log: %s", needle);
	free(needle);
	is_int(2, pf_wait_workers(nd, 2, 5000), "the new master has 2 workers");
	is_int(2, old_workers(d, newpid), "the old master still has its 2");
	ok(c1 >= 0 && pf_echo_fd(c1, "during the upgrade\n"),
	    "the connection in flight still echoes");

	pf_kill(d, SIGWINCH);
	is_int(1, wait_old_workers(d, newpid, 1, 5000), "WINCH: the old master "
	    "keeps "
	    "only the worker that is busy with our connection");
	ok(c1 >= 0 && pf_echo_fd(c1, "after WINCH\n"),
	    "the connection in flight still echoes");
	if (c1 >= 0)
		close(c1);
	is_int(0, wait_old_workers(d, newpid, 0, 5000), "once it is closed, the "
	    "old "
	    "master has no worker");
	ok(many_echo(port, 20), "20 connections in a row echo (new workers)");
	ok(unix_echo(sock, "unix\n"), "the unix socket echoes");
	/*
	 * The control socket is shared too: once the new master is ready,
	 * it alone must answer (a "-s reload" taken by the old master would
	 * reload the master about to retire).
	 */
	needle = tap_strdup_printf("master pid %ld,", (long)newpid);
	for (i = 0, by_new = 0; i < 20; i++)
		if (status_of(d, out, sizeof(out)) == 0 &&
		    strstr(out, needle) != NULL)
			by_new++;
	is_int(20, by_new, "after the upgrade, -s status is answered by the "
	    "new master (20 tries)");
	free(needle);

	pf_kill(d, SIGQUIT);
	ok(pf_wait_exit(d, 10000, &st) == 0 && pf_exited_zero(st),
	    "QUIT: the old master exits 0");
	needle = tap_strdup_printf("preforkd[%ld]: notice: exiting", (long)old);
	ok(pf_log_wait(d, needle, 10), "log: %s", needle);
	free(needle);
	ok(many_echo(port, 20), "after the old master is gone, 20 connections "
	    "in a row still echo (the socket was not shut down)");
	ok(access(sock, F_OK) == 0, "the unix socket file is still there");
	ok(unix_echo(sock, "unix again\n"), "and echoes");
	ok(status_of(d, out, sizeof(out)) == 0, "the control socket answers");
	is_int(newpid, pf_read_pid_file(d->pid_file), "the pid file holds the "
	    "new master's pid");
	ok(access(oldbin, F_OK) < 0 && errno == ENOENT,
	    "pid_file.oldbin is gone");
	ok(pf_proc_alive(newpid), "the new master runs");
	is_int(2, pf_wait_workers(nd, 2, 1000), "with its 2 workers");
	text = pf_log(d);
	ok(pf_count(text, "error:") == 0, "no error in the log");
	free(text);

	pf_kill(nd, SIGTERM);
	ok(pf_wait_exit(nd, 10000, NULL) == 0, "TERM: the new master exits");
	ok(access(d->pid_file, F_OK) < 0, "and removes the pid file");
	ok(access(sock, F_OK) < 0, "and the unix socket file");
	free(sock);
	free(oldbin);
}

/* test_ctl_upgrade - "preforkd -s upgrade", twice in a row. */
static void
test_ctl_upgrade(void)
{
	struct pf_daemon *d, *nd, *nd2;
	char out[OUT_MAX], err[OUT_MAX], *needle;
	pid_t old, newpid, newpid2;
	int port, rc, st = -1;

	diag("-s upgrade");
	d = pf_start(CONF_ECHO);
	old = d->pid;
	port = echo_port(d);
	pf_wait_workers(d, 2, 5000);
	rc = run_ctl_reaping(d, "upgrade", out, sizeof(out), err, sizeof(err));
	newpid = pf_read_pid_file(d->pid_file);
	if (newpid > 0 && newpid != old)
		nd = pf_adopt_new(d, newpid);
	else
		nd = NULL;
	is_int(0, rc, "-s upgrade exits 0");
	needle = tap_strdup_printf("preforkd: upgraded (pid %ld)\n",
	    (long)newpid);
	ok(newpid != old && strstr(out, needle) != NULL,
	    "it prints \"preforkd: upgraded (pid %ld)\"", (long)newpid);
	free(needle);
	if (rc != 0)
		diag("stdout: %s\nstderr: %s", out, err);
	ok(pf_wait_exit(d, 1000, &st) == 0 && pf_exited_zero(st),
	    "the old master is gone (exit 0)");
	ok(many_echo(port, 10), "echo still answers on port %d", port);
	ok(nd != NULL && pf_wait_workers(nd, 2, 5000) == 2,
	    "the new master has 2 workers");

	rc = run_ctl(d, "upgrade", out, sizeof(out), err, sizeof(err));
	newpid2 = pf_read_pid_file(d->pid_file);
	nd2 = newpid2 > 0 && newpid2 != newpid ? pf_adopt_new(d, newpid2) :
	    NULL;
	is_int(0, rc, "a second -s upgrade (from the upgraded master) exits 0");
	ok(nd2 != NULL && nd != NULL && pf_wait_exit(nd, 1000, NULL) == 0,
	    "the second master is gone, pid %ld serves", (long)newpid2);
	ok(many_echo(port, 10), "echo still answers on port %d", port);
	ok(nd2 != NULL && status_of(nd2, out, sizeof(out)) == 0,
	    "the control socket answers");
	if (nd2 != NULL)
		pf_kill(nd2, SIGTERM);
	ok(nd2 != NULL && pf_wait_exit(nd2, 10000, NULL) == 0,
	    "TERM: the third master exits");
}

/*
 * test_failed - the binary on disk is replaced by a script that exits 1:
 * the old master takes its pid file back and goes on serving; -s upgrade
 * exits 1.  The script also shows what the new master would get.
 */
static void
test_failed(void)
{
	struct pf_daemon *d;
	char out[OUT_MAX], err[OUT_MAX], *bin, *envf, *script, *env, *needle;
	char *oldbin, *p;
	const char *prefork = getenv("PREFORKD");
	pid_t master, before[4], child = 0;
	int port, n, rc;
	long t0, took;

	diag("a new binary that fails");
	d = pf_prepare(CONF_ECHO);
	bin = pf_path(d, "preforkd-copy");
	envf = pf_path(d, "upgrade-env");
	oldbin = tap_strdup_printf("%s.oldbin", d->pid_file);
	copy_file(prefork, bin, 0755);
	pf_launch_with(d, bin, NULL, NULL, 0, NULL);
	if (pf_wait_ready(d, 10000) < 0) {
		pf_show(d);
		bail("preforkd (a copy) did not start");
	}
	master = d->pid;
	port = echo_port(d);
	n = pf_wait_workers(d, 2, 5000);
	pf_workers(d, before, 4);

	/* A running binary cannot be written: replace the file. */
	if (unlink(bin) < 0)
		sysbail("unlink %s", bin);
	script = tap_strdup_printf("#!/bin/sh\n{ echo \"pid=$$\"; env; ls "
	    "/proc/$$/fd; } > %s\nexit 1\n", envf);
	pf_write_file(bin, script);
	free(script);
	chmod(bin, 0755);

	pf_kill(d, SIGUSR2);
	ok(pf_log_wait(d, " goes on serving", 5000), "USR2: the old master "
	    "says it goes on serving");
	env = pf_file(envf);
	if ((p = strstr(env, "pid=")) != NULL)
		child = (pid_t)atol(p + 4);
	needle = tap_strdup_printf("error: upgrade: the new master %ld exited "
	    "with status 1; this master (pid %ld) goes on serving",
	    (long)child, (long)master);
	ok(child > 0 && pf_log_wait(d, needle, 10), "log: %s", needle);
	free(needle);
	ok(wait_pid_file_is(d->pid_file, master, 2000),
	    "the pid file holds the old pid %ld again", (long)master);
	ok(access(oldbin, F_OK) < 0, "pid_file.oldbin is gone");
	ok(pf_proc_alive(master), "the master runs");
	ok(pf_wait_gone(&child, 1, 10) == 0, "no new master");
	ok(many_echo(port, 10), "echo answers on port %d", port);
	{
		pid_t now[4];
		int i, same = pf_workers(d, now, 4) == n;

		for (i = 0; same && i < n; i++)
			same = now[i] == before[i] || now[i] == before[1 - i];
		ok(same, "the same %d workers serve", n);
	}
	/* What the new binary was given. */
	needle = tap_strdup_printf("\nLISTEN_PID=%ld\n", (long)child);
	ok(strstr(env, needle) != NULL, "it got LISTEN_PID=its pid");
	free(needle);
	ok(strstr(env, "\nLISTEN_FDS=3\n") != NULL, "LISTEN_FDS=3");
	ok(strstr(env, "\nLISTEN_FDNAMES=echo:echo:preforkd-control\n") !=
	    NULL, "LISTEN_FDNAMES=echo:echo:preforkd-control");
	needle = tap_strdup_printf("\nPREFORKD_UPGRADE=%ld\n", (long)master);
	ok(strstr(env, needle) != NULL, "PREFORKD_UPGRADE=%ld", (long)master);
	free(needle);
	ok(strstr(env, "\n3\n4\n5\n") != NULL, "fds 3, 4 and 5 were open");
	if (strstr(env, "LISTEN_FDS=") == NULL)
		diag("%s", env);
	free(env);

	t0 = pf_now_ms();
	rc = run_ctl_reaping(d, "upgrade", out, sizeof(out), err, sizeof(err));
	took = pf_now_ms() - t0;
	is_int(1, rc, "-s upgrade exits 1");
	needle = tap_strdup_printf("preforkd: upgrade of pid %ld failed: ",
	    (long)master);
	like(err, needle, "it prints \"%s...\"", needle);
	free(needle);
	diag("-s upgrade said: %s", err);
	ok(strstr(err, "did not start an upgrade") == NULL,
	    "it does not claim that no upgrade was started");
	ok(took < 3000, "it notices the failure within 3 s (%ld ms)", took);
	ok(wait_pid_file_is(d->pid_file, master, 2000),
	    "the pid file holds the old pid again");
	ok(pf_proc_alive(master), "the master runs");
	ok(many_echo(port, 10), "echo answers");
	ok(pf_log_count(d, " goes on serving") == 2,
	    "log: the second failure is logged too");
	is_int(0, pf_exit_code(pf_stop(d)), "TERM: exit 0");
	free(bin);
	free(envf);
	free(oldbin);
}

int
main(void)
{
	plan_lazy();
	test_usr2();
	test_ctl_upgrade();
	test_failed();
	return 0;
}
