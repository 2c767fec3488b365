/*
 * accept-t.c - what a worker does when accept() fails, on the real
 * preforkd.  Once, one "passing" error put a worker of a single-listener
 * service (blocking accept) to sleep in an epoll set that never held its
 * listener, for good, while the status still called it idle:
 *
 *   - SIGSTOP then SIGCONT of a worker asleep in accept() (a debugger, the
 *     cgroup freezer, docker pause): with io_timeout set, accept() returns
 *     EINTR.  Now the worker goes back into accept(), and after io_timeout
 *     has passed (EAGAIN from SO_RCVTIMEO) too.
 *   - EMFILE: the test lowers a worker's RLIMIT_NOFILE (prlimit, root) to
 *     the descriptors it holds.  Now the worker says "paused" in the
 *     status, logs at most once a second, retries every 500 ms, and serves
 *     again once descriptors are back; with one listener (blocking accept)
 *     and with two (epoll).
 *   - An unexpected error (an LSM's EPERM, injected with ptrace into the
 *     worker's accept4() return): the worker logs it and exits to be
 *     replaced, a second later, and its successor serves.
 *
 * Needs root (prlimit and ptrace on a worker running as nobody): without
 * it the test fails, it never skips.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

/* in_syscall - the system call pid is blocked in (/proc/PID/syscall), or -1. */
static long
in_syscall(pid_t pid)
{
	char path[64], buf[256];
	FILE *f;
	long nr = -1;

	snprintf(path, sizeof(path), "/proc/%ld/syscall", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL || sscanf(buf, "%ld", &nr) != 1)
		nr = -1;
	fclose(f);
	return nr;
}

/* is_accept - the system call numbers of accept() and accept4(). */
static int
is_accept(long nr)
{
#ifdef SYS_accept
	if (nr == SYS_accept)
		return 1;
#endif
	return nr == SYS_accept4;
}

/* is_wait - a worker asleep in accept(), epoll or poll. */
static int
is_wait(long nr)
{
	if (is_accept(nr))
		return 1;
#ifdef SYS_epoll_wait
	if (nr == SYS_epoll_wait)
		return 1;
#endif
#ifdef SYS_poll
	if (nr == SYS_poll)
		return 1;
#endif
	return nr == SYS_epoll_pwait || nr == SYS_ppoll;
}

/* wait_syscall - poll until pid sleeps in a call that want() accepts. */
static int
wait_syscall(pid_t pid, int (*want)(long), int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	char st;

	for (;;) {
		if (pf_proc_stat(pid, &st, NULL, NULL, NULL) == 0 && st == 'S' &&
		    want(in_syscall(pid)))
			return 1;
		if (pf_now_ms() >= deadline)
			return 0;
		pf_sleep_ms(10);
	}
}

/* lowest_free_fd - the lowest descriptor number pid does not use. */
static int
lowest_free_fd(pid_t pid)
{
	char path[64];
	unsigned char used[4096];
	struct dirent *de;
	DIR *dir;
	long fd;
	int i;

	memset(used, 0, sizeof(used));
	snprintf(path, sizeof(path), "/proc/%ld/fd", (long)pid);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		fd = strtol(de->d_name, NULL, 10);
		if (de->d_name[0] != '.' && fd >= 0 && fd < (long)sizeof(used))
			used[fd] = 1;
	}
	closedir(dir);
	for (i = 0; i < (int)sizeof(used) && used[i]; i++)
		;
	return i;
}

/* proc_ids - the real uid and gid of pid, from /proc/PID/status. */
static int
proc_ids(pid_t pid, uid_t *uid, gid_t *gid)
{
	char path[64], line[256];
	unsigned long u = 0, g = 0;
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "Uid: %lu", &u) == 1)
			found |= 1;
		if (sscanf(line, "Gid: %lu", &g) == 1)
			found |= 2;
	}
	fclose(f);
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return found == 3 ? 0 : -1;
}

/* nofile_soft - the soft RLIMIT_NOFILE of pid, from /proc/PID/limits. */
static long
nofile_soft(pid_t pid)
{
	char path[64], line[256];
	long soft = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/limits", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "Max open files %ld", &soft) == 1)
			break;
	fclose(f);
	return soft;
}

/*
 * set_nofile - set the soft RLIMIT_NOFILE of worker pid, as the worker's
 * own user would with prlimit(1): from a child that becomes that user (so
 * that root needs no CAP_SYS_RESOURCE, which a container may lack).  0,
 * or -1 (the reason is in the diagnostics).
 */
static int
set_nofile(pid_t pid, long soft)
{
	struct rlimit rl;
	uid_t uid;
	gid_t gid;
	pid_t child;
	int st;

	if (proc_ids(pid, &uid, &gid) < 0)
		return -1;
	fflush(stdout);
	if ((child = fork()) < 0)
		sysbail("fork");
	if (child == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(gid, gid, gid) < 0 ||
		    setresuid(uid, uid, uid) < 0) {
			fprintf(stderr, "# become uid %lu: %s\n",
			    (unsigned long)uid, strerror(errno));
			_exit(2);
		}
		if (prlimit(pid, RLIMIT_NOFILE, NULL, &rl) < 0)
			_exit(3);
		rl.rlim_cur = (rlim_t)soft;
		if (prlimit(pid, RLIMIT_NOFILE, &rl, NULL) < 0) {
			fprintf(stderr, "# prlimit %ld: %s\n", (long)pid,
			    strerror(errno));
			_exit(4);
		}
		_exit(0);
	}
	if (waitpid(child, &st, 0) != child || !pf_exited_zero(st))
		return -1;
	return nofile_soft(pid) == soft ? 0 : -1;
}

/* the_worker - the pid of the master's only worker, or -1. */
static pid_t
the_worker(struct pf_daemon *d)
{
	pid_t pids[8];

	if (pf_wait_workers(d, 1, 5000) != 1 || pf_workers(d, pids, 8) != 1)
		return -1;
	return pids[0];
}

static struct pf_daemon *
start(const char *config)
{
	struct pf_daemon *d;

	d = pf_prepare(config);
	pf_launch(d, NULL);
	if (pf_wait_ready(d, 10000) < 0) {
		pf_show(d);
		bail("preforkd did not start");
	}
	return d;
}

/* serves - n clients in a row each get their echo, each within 5 s. */
static int
serves(int port, int n)
{
	char msg[64];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(msg, sizeof(msg), "client %d\n", i);
		if (!pf_echo_tcp("127.0.0.1", port, msg)) {
			diag("client %d got no echo: %s", i, strerror(errno));
			return 0;
		}
	}
	return 1;
}

/*
 * SIGSTOP then SIGCONT of the only worker while it sleeps in accept()
 * (one listener: blocking accept) with io_timeout set.
 */
static void
test_stop_cont(void)
{
	struct pf_daemon *d;
	long t0, switches;
	pid_t pid;
	int port, i, st;

	d = start("services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 1; io_timeout = 2; listen = \"127.0.0.1:0\"; } );\n");
	port = pf_port(d, "echo", "tcp");
	pid = the_worker(d);
	ok(pid > 0 && serves(port, 1), "stop/cont: one worker, it serves");
	ok(wait_syscall(pid, is_accept, 5000),
	    "stop/cont: the worker sleeps in accept()");
	for (i = 0; i < 3; i++) {
		if (kill(pid, SIGSTOP) < 0)
			sysbail("kill SIGSTOP");
		ok(pf_wait_proc_state(pid, 'T', 0, 5000),
		    "stop/cont %d: SIGSTOP stopped the worker", i + 1);
		if (kill(pid, SIGCONT) < 0)
			sysbail("kill SIGCONT");
		ok(pf_wait_proc_state(pid, 'T', 1, 5000) &&
		    wait_syscall(pid, is_accept, 5000),
		    "stop/cont %d: after SIGCONT it is back in accept()", i + 1);
	}
	/*
	 * Past io_timeout, SO_RCVTIMEO ends the accept() with EAGAIN: the
	 * worker wakes (it sleeps again: one more voluntary switch) and
	 * must go back into accept().
	 */
	t0 = pf_now_ms();
	switches = pf_proc_switches(pid);
	while ((pf_now_ms() - t0 < 2000 || pf_proc_switches(pid) <= switches)
	    && pf_now_ms() - t0 < 10000)
		pf_sleep_ms(50);
	ok(pf_proc_switches(pid) > switches && pf_now_ms() - t0 >= 2000,
	    "stop/cont: io_timeout (2 s) passed and woke the worker");
	ok(wait_syscall(pid, is_accept, 5000),
	    "stop/cont: past io_timeout (2 s), it is still in accept()");
	ok(serves(port, 5), "stop/cont: 5 clients in a row get their echo");
	ok(pf_wait_worker_state(d, pid, "idle", 5000),
	    "stop/cont: the status calls it idle, as it is");
	ok(pf_log_count(d, "accept on") == 0, "stop/cont: no accept error was "
	    "logged");
	st = pf_stop(d);
	ok(pf_exited_zero(st), "stop/cont: TERM, the master exits 0");
}

/*
 * A worker out of descriptors: its RLIMIT_NOFILE lowered to what it
 * holds, then raised again.  listen is the service's listen setting.
 */
static void
test_emfile(const char *label, const char *listen)
{
	struct pf_daemon *d;
	char *conf, *needle, buf[8];
	pid_t pid;
	int port, fd, a, lines, first, st;
	long t0, soft;

	conf = tap_strdup_printf("services = ( { name = \"echo\"; handler = "
	    "\"echo\";\n  workers = 1; listen = %s; } );\n", listen);
	d = start(conf);
	free(conf);
	port = pf_port(d, "echo", "tcp");
	pid = the_worker(d);
	ok(pid > 0 && serves(port, 1) && wait_syscall(pid, is_wait, 5000),
	    "%s: one worker, it serves, then waits", label);

	/* Exactly the descriptors it holds, not one more. */
	fd = lowest_free_fd(pid);
	soft = nofile_soft(pid);
	ok(fd > 0 && soft > fd, "%s: the worker's lowest free descriptor is "
	    "%d, its limit %ld", label, fd, soft);
	if (!ok(set_nofile(pid, fd) == 0, "%s: RLIMIT_NOFILE of the worker "
	    "lowered to %d (prlimit as its user; root)", label, fd))
		bail("cannot lower the worker's RLIMIT_NOFILE: this test must "
		    "run as root");

	/* One client (a blocking accept() had its descriptor reserved). */
	a = pf_tcp_connect("127.0.0.1", port);
	if (a >= 0) {
		(void)pf_write_all(a, "a\n", 2);
		(void)pf_read_n(a, buf, 2, 1000);
		close(a);
	}
	ok(pf_wait_worker_state(d, pid, "paused", 10000),
	    "%s: out of descriptors, the status calls the worker paused",
	    label);
	/* With two listeners it may name either: neither can accept. */
	if (strchr(listen, '[') == NULL)
		needle = tap_strdup_printf("accept on tcp 127.0.0.1:%d: Too "
		    "many open files; not accepting for 500 ms (", port);
	else
		needle = tap_strdup_printf(": Too many open files; not "
		    "accepting for 500 ms (");
	ok(pf_log_wait(d, needle, 5000), "%s: logged: %s...", label, needle);
	free(needle);

	/* A client waits meanwhile; the worker logs once a second at most. */
	a = pf_tcp_connect("127.0.0.1", port);
	ok(a >= 0, "%s: a client connects (the kernel queues it)", label);
	/* k lines a second apart span (k - 1) s: counted from before the
	 * first count, with 50 ms for the two clocks' rounding. */
	t0 = pf_now_ms();
	first = pf_log_count(d, "Too many open files");
	lines = pf_log_wait_count(d, "Too many open files", first + 3,
	    10000) - first;
	ok(lines >= 3 && lines <= 1 + (int)((pf_now_ms() - t0 + 50) / 1000),
	    "%s: %d more lines in %.1f s: it keeps trying, and says so once "
	    "a second at most", label, lines,
	    (double)(pf_now_ms() - t0) / 1000.0);
	ok(pf_wait_worker_state(d, pid, "paused", 5000),
	    "%s: still paused while out of descriptors", label);

	/* Descriptors back: the queued client is served, then others. */
	ok(set_nofile(pid, soft) == 0,
	    "%s: RLIMIT_NOFILE of the worker restored to %ld", label, soft);
	ok(a >= 0 && pf_echo_fd(a, "waited\n"),
	    "%s: the client that waited gets its echo", label);
	if (a >= 0)
		close(a);
	ok(serves(port, 3), "%s: 3 more clients get their echo", label);
	ok(pf_wait_worker_state(d, pid, "idle", 5000),
	    "%s: the worker is idle again", label);
	ok(pf_proc_alive(pid), "%s: it is the same worker", label);
	st = pf_stop(d);
	ok(pf_exited_zero(st), "%s: TERM, the master exits 0", label);
}

#if defined(__x86_64__)
/*
 * inject_eperm - let pid's next accept4() that returns a connection
 * return -1 EPERM instead, as a Linux security module refusing it would:
 * trace pid's system calls (it is not our child: PTRACE_SEIZE, root),
 * have connect() make one, rewrite the return value at the exit of
 * accept4(), and let go.  The client's socket, or -1.
 */
static int
inject_eperm(pid_t pid, int port)
{
	struct user_regs_struct regs;
	int st, client = -1, done = 0;
	long deadline = pf_now_ms() + 10000;

	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACESYSGOOD) < 0) {
		diag("ptrace seize %ld: %s", (long)pid, strerror(errno));
		return -1;
	}
	if (ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0 ||
	    waitpid(pid, &st, __WALL) != pid) {
		diag("ptrace interrupt: %s", strerror(errno));
		return -1;
	}
	while (!done && pf_now_ms() < deadline) {
		if (ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0)
			break;
		if (client < 0 && (client = pf_tcp_connect("127.0.0.1",
		    port)) < 0)
			break;
		if (waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st))
			break;
		if (WSTOPSIG(st) != (SIGTRAP | 0x80))
			continue;
		if (ptrace(PTRACE_GETREGS, pid, 0, &regs) < 0)
			break;
		/* The exit of accept4() (at the entry, rax is -ENOSYS). */
		if (regs.orig_rax != SYS_accept4 ||
		    (long long)regs.rax == -ENOSYS || (long long)regs.rax < 0)
			continue;
		regs.rax = (unsigned long long)-EPERM;
		done = ptrace(PTRACE_SETREGS, pid, 0, &regs) == 0;
	}
	if (ptrace(PTRACE_DETACH, pid, 0, 0) < 0 && errno == ESRCH) {
		/* Running: stop it to let go (it may not be stopped now). */
		(void)ptrace(PTRACE_INTERRUPT, pid, 0, 0);
		(void)waitpid(pid, &st, __WALL);
		(void)ptrace(PTRACE_DETACH, pid, 0, 0);
	}
	if (!done && client >= 0) {
		close(client);
		client = -1;
	}
	return client;
}
#endif

/* An unexpected accept() error: logged, exit, replaced, served again. */
static void
test_unexpected(void)
{
	struct pf_daemon *d;
	char *needle;
	pid_t pid, next;
	int port, client, st, started;

	d = start("services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 1; listen = \"127.0.0.1:0\"; } );\n");
	port = pf_port(d, "echo", "tcp");
	pid = the_worker(d);
	ok(pid > 0 && serves(port, 1) && wait_syscall(pid, is_accept, 5000),
	    "EPERM: one worker, it serves, then sleeps in accept()");
#if defined(__x86_64__)
	client = inject_eperm(pid, port);
#else
	client = -1;
	diag("no system call injection on this architecture");
#endif
	if (!ok(client >= 0, "EPERM: accept4() in the worker returned EPERM "
	    "(ptrace, root)"))
		bail("cannot inject EPERM: this test must run as root on x86_64");
	needle = tap_strdup_printf("accept on tcp 127.0.0.1:%d: Operation not "
	    "permitted; exiting to be replaced", port);
	ok(pf_log_wait(d, needle, 5000), "EPERM: logged: %s", needle);
	free(needle);
	ok(pf_wait_gone(&pid, 1, 5000) == 0, "EPERM: the worker exits");
	needle = tap_strdup_printf("service echo: worker %ld exited with status "
	    "1 after 1 connections; replacing it", (long)pid);
	ok(pf_log_wait(d, needle, 5000), "EPERM: the master logs: %s", needle);
	free(needle);
	ok(pf_wait_eof(client, 5000) == 0 || errno == ECONNRESET,
	    "EPERM: the client it could not serve is let go");
	close(client);
	next = the_worker(d);
	ok(next > 0 && next != pid && serves(port, 3),
	    "EPERM: a new worker serves 3 clients");
	/* After those later events: two workers in all, no fork loop. */
	started = pf_log_count(d, " started\n");
	ok(pf_wait_workers(d, 1, 1000) == 1 && started == 2,
	    "EPERM: one worker now, %d started in all: no fork loop", started);
	ok(pf_wait_worker_state(d, next, "idle", 5000),
	    "EPERM: the new worker is idle");
	st = pf_stop(d);
	ok(pf_exited_zero(st), "EPERM: TERM, the master exits 0");
}

int
main(void)
{
	plan(52);
	alarm(240);
	test_stop_cont();
	test_emfile("emfile, blocking accept", "\"127.0.0.1:0\"");
	test_emfile("emfile, epoll", "[ \"127.0.0.1:0\", "
	    "\"unix:@DIR@/echo.sock\" ]");
	test_unexpected();
	return 0;
}
