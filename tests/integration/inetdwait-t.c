/*
 * inetdwait-t.c - the exec handler, mode "wait" (inetd's "wait"): each
 * worker runs the program with the service's one listening socket on fds
 * 0 and 1, blocking and without preforkd's timeouts, and runs it again
 * when it ends normally.  With the real in.tftpd (tftpd-hpa) on a udp
 * socket, as root so that it can chroot (user = "root" on the service),
 * serving a file to several real tftp clients (tftp-hpa) at once; and
 * with a stream program of our own (tests/helpers/waitserver) that
 * accepts on fd 0: the socket it gets, a normal end and a restart, a
 * program that fails at once and is throttled, and a graceful stop.
 *
 * Installing tftpd-hpa may start a tftpd of its own on port 69: ours
 * listens on a free port of 127.0.0.1 and never talks to port 69.
 * in.tftpd lingers up to 900 s after a transfer and forks per transfer:
 * every process of ours is found by its command line, which names our
 * temporary directory, and must be gone once the daemon is stopped (and
 * is killed by its pid if it is not).
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
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

#define TFTPD		"/usr/sbin/in.tftpd"
#define TFTP		"/usr/bin/tftp"
#define CLIENTS		4
#define FILE_SIZE	(300 * 1024 + 17)	/* 600 blocks and a bit */

static char out[16384], err[16384];

/* children - the pids whose parent is ppid. */
static int
children(pid_t ppid, pid_t *pids, int max)
{
	DIR *dir;
	struct dirent *e;
	pid_t pid, parent;
	char state;
	int count = 0;

	if ((dir = opendir("/proc")) == NULL)
		return 0;
	while ((e = readdir(dir)) != NULL && count < max) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		pid = (pid_t)atol(e->d_name);
		if (pf_proc_stat(pid, &state, &parent, NULL, NULL) == 0 &&
		    parent == ppid && state != 'Z')
			pids[count++] = pid;
	}
	closedir(dir);
	return count;
}

/* wait_child - the one live child of ppid, waited for; 0 if none came. */
static pid_t
wait_child(pid_t ppid, pid_t not, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	pid_t kids[8];
	int n, i;

	do {
		n = children(ppid, kids, 8);
		for (i = 0; i < n; i++)
			if (kids[i] != not)
				return kids[i];
		pf_sleep_ms(20);
	} while (pf_now_ms() < deadline);
	return 0;
}

/*
 * sole_child - ppid's child once it has exactly one (a program may end
 * normally and be started again between two looks), waited for; 0 if
 * that did not happen within timeout_ms.
 */
static pid_t
sole_child(pid_t ppid, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	pid_t kids[2];

	do {
		if (children(ppid, kids, 2) == 1)
			return kids[0];
		pf_sleep_ms(20);
	} while (pf_now_ms() < deadline);
	return 0;
}

/* status_field - the number after "Name:" in /proc/PID/status, or -1. */
static long
status_field(pid_t pid, const char *name)
{
	char path[64], *text, *p;
	long v = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((text = pf_file(path)) == NULL)
		return -1;
	if ((p = strstr(text, name)) != NULL)
		v = strtol(p + strlen(name), NULL, 10);
	free(text);
	return v;
}

/* fd_target - where pid's fd points ("socket:[123]"), in buf. */
static const char *
fd_target(pid_t pid, int fd, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%ld/fd/%d", (long)pid, fd);
	n = readlink(path, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/*
 * wait_exec - poll until pid runs path (has exec'd it: between its fork
 * and its exec a program still has its worker's descriptors): 1, or 0 if
 * it did not within timeout_ms.
 */
static int
wait_exec(pid_t pid, const char *path, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	char exe[64], buf[PATH_MAX];
	ssize_t n;

	snprintf(exe, sizeof(exe), "/proc/%ld/exe", (long)pid);
	do {
		if ((n = readlink(exe, buf, sizeof(buf) - 1)) > 0) {
			buf[n] = '\0';
			if (strcmp(buf, path) == 0)
				return 1;
		}
		pf_sleep_ms(20);
	} while (pf_now_ms() < deadline);
	return 0;
}

/*
 * tftp_get - start the real tftp client fetching name from port into
 * local (binary mode); its pid.
 */
static pid_t
tftp_get(int port, const char *name, const char *local)
{
	char portnum[16];
	pid_t pid;
	int fd;

	snprintf(portnum, sizeof(portnum), "%d", port);
	fflush(NULL);
	if ((pid = fork()) == 0) {
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			if (fd > 2)
				close(fd);
		}
		execl(TFTP, TFTP, "-m", "binary", "127.0.0.1", portnum, "-c",
		    "get", name, local, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/*
 * test_tftp - several real tftp clients fetch a file at once from the
 * real in.tftpd, run by two workers on one udp socket.
 */
static void
test_tftp(void)
{
	struct pf_daemon *d;
	pid_t clients[CLIENTS], workers[8], prog[8], seen[64];
	char *data, *path, *got, *text, *needle, t0[128], t1[128];
	int port, i, n, nseen, done, st, fd, good;
	long deadline;

	if (!ok(access(TFTPD, X_OK) == 0 && access(TFTP, X_OK) == 0,
	    "in.tftpd and tftp are installed (apt-get install tftpd-hpa "
	    "tftp-hpa)"))
		return;
	d = pf_prepare("services = ( { name = \"tftp\"; handler = \"exec\";\n"
	    "  listen = \"udp://127.0.0.1:0\"; workers = 2; user = \"root\";\n"
	    "  exec = { mode = \"wait\"; argv = [ \"" TFTPD "\", \"-s\",\n"
	    "    \"@DIR@/tftproot\", \"-u\", \"nobody\" ]; }; } );\n");
	/* The root in.tftpd chroots to, readable by nobody. */
	path = pf_path(d, "tftproot");
	if (mkdir(path, 0755) == -1 || chmod(path, 0755) == -1)
		bail("mkdir %s: %s", path, strerror(errno));
	free(path);
	data = malloc(FILE_SIZE);
	if (data == NULL)
		bail("out of memory");
	for (i = 0; i < FILE_SIZE; i++)
		data[i] = (char)((i * 7919) ^ (i >> 9));
	path = pf_path(d, "tftproot/file.bin");
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    write(fd, data, FILE_SIZE) != FILE_SIZE || close(fd) == -1)
		bail("cannot write %s", path);
	free(path);

	pf_launch(d, NULL);
	if (!ok(pf_wait_ready(d, 10000) == 0, "preforkd starts with in.tftpd"))
		pf_show(d);
	ok(pf_log_wait(d, "service tftp: workers run as root (user = \"root\" "
	    "on this service)", 5000), "log: the service runs as root, as "
	    "written");
	port = pf_port(d, "tftp", "udp");
	ok(port > 0 && port != 69, "in.tftpd's socket: udp 127.0.0.1:%d, "
	    "not the system tftpd's port 69", port);
	is_int(2, pf_wait_workers(d, 2, 5000), "two workers");
	n = pf_workers(d, workers, 8);
	good = n == 2;
	for (i = 0; i < n && i < 2; i++) {
		prog[i] = wait_child(workers[i], 0, 5000);
		good = good && prog[i] > 0 && wait_exec(prog[i], TFTPD, 5000);
	}
	ok(good, "each worker runs one in.tftpd, its child");
	ok(good && status_field(workers[0], "Uid:") == 0 &&
	    status_field(workers[1], "Uid:") == 0, "the workers run as root "
	    "(user = \"root\" on the service)");
	/* (in.tftpd closes fd 1 and makes fd 0 non-blocking itself.) */
	ok(good && strncmp(fd_target(prog[0], 0, t0, sizeof(t0)), "socket:",
	    7) == 0 && strcmp(t0, fd_target(prog[1], 0, t1, sizeof(t1))) == 0,
	    "both programs read the one udp socket on fd 0 (%s)", t0);

	/* Several clients at once. */
	for (i = 0; i < CLIENTS; i++) {
		got = tap_strdup_printf("%s/got%d.bin", d->dir, i);
		clients[i] = tftp_get(port, "file.bin", got);
		free(got);
	}
	nseen = 0;
	needle = tap_strdup_printf("%s/tftproot", d->dir);
	deadline = pf_now_ms() + 30000;
	for (done = 0; done < CLIENTS && pf_now_ms() < deadline;) {
		/* The per-transfer children, to check they are gone later. */
		pf_procs_collect(needle, seen, &nseen, 64);
		for (i = 0; i < CLIENTS; i++) {
			if (clients[i] <= 0)
				continue;
			if (waitpid(clients[i], &st, WNOHANG) == clients[i]) {
				clients[i] = -(WIFEXITED(st) ?
				    WEXITSTATUS(st) : 128);
				done++;
			}
		}
		pf_sleep_ms(20);
	}
	for (i = 0; i < CLIENTS; i++)
		if (clients[i] > 0) {
			diag("tftp client %ld still running; killing it",
			    (long)clients[i]);
			kill(clients[i], SIGKILL);
			waitpid(clients[i], &st, 0);
		}
	is_int(CLIENTS, done, "%d tftp clients at once all finish", CLIENTS);
	good = 1;
	for (i = 0; i < CLIENTS; i++) {
		got = tap_strdup_printf("%s/got%d.bin", d->dir, i);
		text = pf_file(got);
		if (text == NULL || clients[i] != 0 ||
		    memcmp(text, data, FILE_SIZE) != 0) {
			diag("client %d: status %d, %s", i, -clients[i],
			    text == NULL ? "no file" : "wrong content");
			good = 0;
		} else {
			struct stat sb;

			if (stat(got, &sb) == -1 || sb.st_size != FILE_SIZE)
				good = 0;
		}
		free(text);
		free(got);
	}
	ok(good, "every client got the file, %d bytes, exactly", FILE_SIZE);
	ok(children(workers[0], prog + 2, 4) >= 1 &&
	    children(workers[1], prog + 4, 4) >= 1, "the in.tftpd of each "
	    "worker still waits for more (it lingers up to 900 s)");

	/* A stop ends every process of ours: workers, programs, transfers. */
	pf_procs_collect(needle, seen, &nseen, 64);
	ok(pf_stop(d) == 0, "preforkd stops");
	ok(nseen >= 2 && pf_wait_gone(seen, nseen, 10000) == 0, "every "
	    "in.tftpd of ours is gone (%d seen)", nseen);
	is_int(0, pf_procs_kill_matching(needle), "no process of ours is left over");
	free(needle);
	free(data);
}

/* hello - connect, read waitserver's line; its pid, or -1. */
static long
hello(int port, char *line, size_t len)
{
	ssize_t n;
	char *p;
	int fd;

	line[0] = '\0';
	if ((fd = pf_tcp_connect("127.0.0.1", port)) < 0)
		return -1;
	if (pf_write_all(fd, "ping\n", 5) == -1) {
		close(fd);
		return -1;
	}
	n = pf_read_all(fd, line, len - 1, 5000);
	close(fd);
	line[n > 0 ? n : 0] = '\0';
	if ((p = strstr(line, "waitserver pid ")) == NULL)
		return -1;
	return atol(p + 15);
}

/* test_check - what -t says about mode "wait". */
static void
test_check(const char *ws)
{
	struct pf_daemon *d;
	char *text;
	int st = -1;

	text = tap_strdup_printf("services = ( { name = \"w\";\n"
	    "  listen = [ \"127.0.0.1:0\", \"[::1]:0\" ];\n"
	    "  handler = \"exec\";\n"
	    "  exec = { argv = [ \"%s\" ]; mode = \"wait\"; }; } );\n", ws);
	d = pf_prepare(text);
	free(text);
	pf_run2((const char *[]){ "-t", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	is_int(78, pf_exit_code(st), "mode wait on two listeners: -t exits 78");
	text = tap_strdup_printf("%s:4: services.[0].exec.mode: \"wait\" "
	    "takes exactly one listen address (listen, line 2, has 2): the "
	    "program gets the listening socket as its standard input and "
	    "output, where only one fits; make one service per address",
	    d->conf);
	like(err, text, "mode wait on two listeners: -t says why");
	free(text);

	text = tap_strdup_printf("services = ( { name = \"w\";\n"
	    "  listen = \"127.0.0.1:0\"; handler = \"exec\"; io_timeout = 5;\n"
	    "  exec = { argv = [ \"%s\" ]; mode = \"wait\"; }; } );\n", ws);
	d = pf_prepare(text);
	free(text);
	pf_run2((const char *[]){ "-t", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	is_int(78, pf_exit_code(st), "mode wait with io_timeout: -t exits 78");
	like(err, "services.[0].io_timeout: does not apply to exec.mode "
	    "\"wait\"", "mode wait with io_timeout: -t says why");
}

/*
 * test_stream - a stream program that accepts on fd 0: the socket it
 * gets, a normal end (status 0 after a second) and a restart, a graceful
 * stop.
 */
static void
test_stream(const char *ws)
{
	struct pf_daemon *d;
	pid_t workers[8], progs[8], again, gone;
	char line[512], t0[128], t1[128], *text;
	const char *p;
	int port, n, i, good, ended;
	long pid, deadline;

	text = tap_strdup_printf("services = ( { name = \"ws\"; workers = 2;\n"
	    "  listen = \"127.0.0.1:0\"; handler = \"exec\";\n"
	    "  exec = { mode = \"wait\";\n"
	    "    argv = [ \"%s\", \"-n\", \"2\", \"-m\", \"1200\" ]; }; } );\n",
	    ws);
	d = pf_start(text);
	free(text);
	port = pf_port(d, "ws", "tcp");
	is_int(2, pf_wait_workers(d, 2, 5000), "workers = 2");
	n = pf_workers(d, workers, 8);
	good = n == 2;
	for (i = 0; i < n && i < 2; i++) {
		progs[i] = wait_child(workers[i], 0, 5000);
		good = good && progs[i] > 0;
	}
	if (!ok(good, "each worker runs one program, its child"))
		bail("cannot go on without them");
	ok(strncmp(fd_target(progs[0], 0, t0, sizeof(t0)), "socket:", 7) == 0 &&
	    strcmp(t0, fd_target(progs[1], 0, t1, sizeof(t1))) == 0,
	    "both programs share the one listening socket (%s)", t0);
	ok(pf_log_wait_count(d, ": accepting on fd 0", 2, 5000) >= 2,
	    "both programs' stderr reaches the error log");
	pid = hello(port, line, sizeof(line));
	ok(pid > 0 && (pid == progs[0] || pid == progs[1]),
	    "a program accepts the connection itself (pid %ld)", pid);
	like(line, " blocking 1 rcvtimeo 0 sndtimeo 0 ", "its socket is "
	    "blocking, without SO_RCVTIMEO/SO_SNDTIMEO");
	like(line, " listening 1 same 1\n", "fds 0 and 1: the one listening "
	    "socket");
	like(line, "\nping\n", "it answers the client");

	/*
	 * Each program serves two clients, then exits 0 once it has run
	 * 1.2 s: a normal end, after which its worker starts it again.
	 * Whichever programs the kernel hands the clients to, one of the
	 * two has served two by the third client.
	 */
	ended = -1;
	deadline = pf_now_ms() + 20000;
	while (ended < 0 && pf_now_ms() < deadline) {
		(void)hello(port, line, sizeof(line));
		for (i = 0; i < 2; i++)
			if (!pf_proc_alive(progs[i]) ||
			    children(workers[i], &again, 1) == 0 ||
			    again != progs[i])
				ended = i;
	}
	ok(ended >= 0 && pf_log_wait(d, "exited with status 0 after ", 10000),
	    "a program that served and exited 0 after a second ended "
	    "normally");
	text = pf_log_line(d, "exited with status 0 after ");
	like(text, "; starting it again", "... and is started again");
	free(text);
	again = ended >= 0 ? wait_child(workers[ended], progs[ended], 5000) : 0;
	ok(again > 0 && again != progs[ended], "its worker runs a new program "
	    "(pid %ld, the same worker)", (long)again);
	ok(pf_log_count(d, "before it was ready") == 0 &&
	    pf_log_count(d, "replacing it") == 0, "no worker died for it");
	pid = hello(port, line, sizeof(line));
	ok(pid > 0, "the service still answers (pid %ld)", pid);

	/*
	 * One worker fewer (TTOU): the master tells it QUIT, which it
	 * passes on to its program as TERM, and it leaves once the program
	 * has ended.
	 */
	for (i = n = 0; i < 2; i++)
		n += (progs[i] = sole_child(workers[i], 10000)) > 0;
	ok(pf_kill(d, SIGTTOU) == 0, "one worker fewer (TTOU)");
	ok(pf_log_wait(d, "asking program ", 10000), "the worker told to "
	    "finish passes it on to its program as TERM");
	/*
	 * Killed by the TERM, or, when it came as the program was ending
	 * by itself (it exits 0 once it has run 1.2 s), exited 0: either
	 * way the program asked is gone, and so is its worker.
	 */
	text = pf_log_line(d, "asking program ");
	pid = text != NULL && (p = strstr(text, "asking program ")) != NULL ?
	    atol(p + 15) : 0;
	free(text);
	gone = (pid_t)pid;
	ok(pid > 0 && pf_wait_gone(&gone, 1, 10000) == 0 &&
	    pf_wait_workers(d, 1, 10000) == 1, "the program ends (%ld), and "
	    "so does its worker", pid);

	/*
	 * QUIT: the rest stops.  (The master shuts the socket down for a
	 * graceful stop, so a program may see accept() fail and end before
	 * its worker passes the TERM on.)  The programs to see gone: the
	 * two of before the TTOU and the one worker left's now; a program
	 * may end normally and be started again meanwhile, so a worker's is
	 * looked for until it has exactly one.
	 */
	progs[n] = pf_workers(d, workers, 8) == 1 ?
	    sole_child(workers[0], 10000) : 0;
	ok(pf_kill(d, SIGQUIT) == 0, "graceful stop (QUIT)");
	ok(pf_wait_exit(d, 15000, NULL) == 0, "the master exits");
	ok(n == 2 && pf_wait_gone(progs, n + 1, 15000) == 0, "the programs "
	    "are gone (%d before TTOU, and the last worker's %ld)", n,
	    (long)progs[n]);
}

/*
 * test_dgram - "dgram wait" with a program of our own: the udp socket it
 * gets is blocking (in.tftpd makes its own non-blocking, so it cannot
 * tell), and it answers datagrams itself.
 */
static void
test_dgram(const char *ws)
{
	struct pf_daemon *d;
	char line[512], *text;
	ssize_t r;
	int port;

	text = tap_strdup_printf("services = ( { name = \"wu\"; workers = 1;\n"
	    "  listen = \"udp://127.0.0.1:0\"; handler = \"exec\";\n"
	    "  exec = { mode = \"wait\"; argv = [ \"%s\", \"-u\" ]; }; } );\n",
	    ws);
	d = pf_start(text);
	free(text);
	port = pf_port(d, "wu", "udp");
	ok(pf_log_wait(d, ": reading datagrams on fd 0", 5000),
	    "the program runs");
	r = pf_udp_request("127.0.0.1", port, "x", 1, line, sizeof(line) - 1,
	    5000);
	line[r > 0 ? r : 0] = '\0';
	like(line, "waitserver pid ", "it answers a datagram itself");
	like(line, " blocking 1 ", "its udp socket is blocking");
	like(line, " same 1\n", "on fds 0 and 1");
	ok(pf_stop(d) == 0, "preforkd stops");
}

/*
 * test_throttle - a program that fails at once is throttled as any
 * worker that dies before it is ready: 1 s, then 2 s; never a fork loop.
 */
static void
test_throttle(const char *ws)
{
	struct pf_daemon *d;
	char *text;

	text = tap_strdup_printf("services = ( { name = \"bad\"; workers = 1;\n"
	    "  listen = \"127.0.0.1:0\"; handler = \"exec\";\n"
	    "  exec = { mode = \"wait\"; argv = [ \"%s\", \"-x\", \"3\" ]; };"
	    " } );\n", ws);
	d = pf_start(text);
	free(text);
	ok(pf_log_wait(d, "exiting with status 3 as told", 5000),
	    "the program runs and fails");
	ok(pf_log_wait(d, "failed: it ended after ", 5000),
	    "its worker says it failed");
	ok(pf_log_wait(d, "before it was ready; respawning in 1 s", 5000),
	    "the master throttles: 1 s");
	ok(pf_log_wait(d, "before it was ready; respawning in 2 s", 10000),
	    "then 2 s");
	ok(pf_log_count(d, "exiting with status 3 as told") <= 3,
	    "no fork loop (%d starts)",
	    pf_log_count(d, "exiting with status 3 as told"));
	ok(pf_stop(d) == 0, "preforkd stops");
}

int
main(void)
{
	const char *top = getenv("TOP_BUILDDIR");
	char *ws;

	if (top == NULL)
		top = ".";
	ws = tap_strdup_printf("%s/tests/helpers/waitserver", top);
	plan_lazy();
	if (!ok(access(ws, X_OK) == 0, "the test program %s is built", ws))
		bail("no %s", ws);
	test_check(ws);
	test_stream(ws);
	test_dgram(ws);
	test_throttle(ws);
	if (ok(geteuid() == 0, "runs as root (in.tftpd chroots as root)"))
		test_tftp();
	free(ws);
	return 0;
}
