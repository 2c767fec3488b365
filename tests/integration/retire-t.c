/*
 * retire-t.c - a retiring worker takes the connection it was woken for.
 *
 * The workers of a service with several listeners (or UDP) sleep in
 * epoll_wait() with the listeners registered EPOLLEXCLUSIVE: the kernel
 * wakes one sleeper per connection, the first that went to sleep on the
 * socket.  During an upgrade (or a reload) that is an old worker, about to
 * get its QUIT.  If the QUIT is what it sees when it runs, it must still
 * take the connection it was woken for: gone without it, the connection
 * waits in the queue for the next wakeup, which only the next client
 * brings (a package upgrade under load lost one connection so, issue 13).
 *
 * Load made that interleaving rare; ptrace makes it certain.  The old
 * worker is held where the epoll_wait() that our connection ended
 * returns, the old master gets the QUIT of -s upgrade's second step (and
 * passes it on to the worker), then the worker is let go.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/ptrace.h>
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

#define WAIT_MS		30000

/* in_epoll - is pid asleep in epoll_wait()?  (its wchan says so) */
static int
in_epoll(pid_t pid)
{
	char path[64], *text;
	int yes;

	snprintf(path, sizeof(path), "/proc/%ld/wchan", (long)pid);
	text = pf_file(path);
	yes = text != NULL && strstr(text, "epoll") != NULL;
	free(text);
	return yes;
}

/* wait_in_epoll - poll until pid sleeps in epoll_wait(): 1, or 0. */
static int
wait_in_epoll(pid_t pid, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;

	while (!in_epoll(pid)) {
		if (pf_now_ms() >= deadline)
			return 0;
		pf_sleep_ms(10);
	}
	return 1;
}

/* quit_pending - has pid a SIGQUIT pending (not yet delivered)? */
static int
quit_pending(pid_t pid)
{
	char path[64], *text, *p;
	unsigned long long mask;
	int yes = 0;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((text = pf_file(path)) == NULL)
		return 0;
	for (p = text; (p = strstr(p, "Pnd:")) != NULL; p += 4)
		if (sscanf(p + 4, "%llx", &mask) == 1 &&
		    (mask & (1ULL << (SIGQUIT - 1))) != 0)
			yes = 1;
	free(text);
	return yes;
}

/*
 * trace_stop - wait (bounded) for the tracee to stop; its status, or -1.
 * It is not our child: only the tracer's wait sees it.
 */
static int
trace_stop(pid_t pid, int timeout_ms)
{
	long deadline = pf_now_ms() + timeout_ms;
	int st;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &st, WNOHANG | __WALL);
		if (r == pid)
			return st;
		if (r == -1 || pf_now_ms() >= deadline)
			return -1;
		pf_sleep_ms(5);
	}
}

/* is_syscall_stop - a stop at a system call's entry or exit. */
static int
is_syscall_stop(int st)
{
	return st != -1 && WIFSTOPPED(st) && WSTOPSIG(st) == (SIGTRAP | 0x80);
}

/*
 * hold_in_epoll - attach to pid (asleep in epoll_wait) and put it back to
 * sleep there with a stop armed at each system call's entry and exit: 1,
 * or 0.  Interrupted, it goes round its loop (accept, recvfrom: EAGAIN)
 * before it sleeps again; each of those calls stops it twice.
 */
static int
hold_in_epoll(pid_t pid)
{
	long deadline = pf_now_ms() + WAIT_MS;
	int st;
	pid_t r;

	if (ptrace(PTRACE_SEIZE, pid, NULL,
	    (void *)(long)PTRACE_O_TRACESYSGOOD) == -1) {
		diag("ptrace(PTRACE_SEIZE, %ld): %s", (long)pid,
		    strerror(errno));
		return 0;
	}
	if (ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) == -1 ||
	    (st = trace_stop(pid, WAIT_MS)) == -1 || !WIFSTOPPED(st))
		return 0;
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, pid, NULL, NULL) == -1)
			return 0;
		/* Stopped again (the next call), or asleep in epoll_wait. */
		for (;;) {
			r = waitpid(pid, &st, WNOHANG | __WALL);
			if (r == pid)
				break;
			if (r == -1 || pf_now_ms() >= deadline)
				return 0;
			if (in_epoll(pid))
				return 1;
			pf_sleep_ms(5);
		}
	}
}

int
main(void)
{
	struct pf_daemon *d, *nd;
	pid_t old_worker, new_worker, newpid, old;
	char buf[16], *needle;
	int port, fd, st, n;

	plan_lazy();
	d = pf_start("services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 1;\n"
	    "  listen = [ \"127.0.0.1:0\", \"udp://127.0.0.1:0\" ]; } );\n"
	    "shutdown_timeout = 20;\n");
	old = d->pid;
	port = pf_port(d, "echo", "tcp");
	if (pf_wait_workers(d, 1, WAIT_MS) != 1 ||
	    pf_workers(d, &old_worker, 1) != 1)
		bail("no worker");
	ok(wait_in_epoll(old_worker, WAIT_MS), "the worker (pid %ld) sleeps "
	    "in epoll_wait (two listeners)", (long)old_worker);

	/* The upgrade's first step: a new master, whose worker sleeps too. */
	pf_kill(d, SIGUSR2);
	newpid = pf_wait_pid_change(d->pid_file, old, WAIT_MS);
	if (newpid <= 0) {
		pf_show(d);
		bail("USR2: no new master");
	}
	nd = pf_adopt_new(d, newpid);
	if (pf_wait_workers(nd, 1, WAIT_MS) != 1 ||
	    pf_workers(nd, &new_worker, 1) != 1)
		bail("the new master has no worker");
	ok(wait_in_epoll(new_worker, WAIT_MS), "USR2: the new master's worker "
	    "(pid %ld) sleeps in epoll_wait on the same sockets",
	    (long)new_worker);

	/* The old worker went to sleep first: the kernel wakes it alone. */
	ok(hold_in_epoll(old_worker), "ptrace: the old worker sleeps again, "
	    "held at the end of its epoll_wait");
	fd = pf_tcp_connect("127.0.0.1", port);
	ok(fd >= 0 && pf_write_all(fd, "hello\n", 6) == 0,
	    "a client connects and writes");
	ok(is_syscall_stop(trace_stop(old_worker, WAIT_MS)), "the connection "
	    "woke the old worker: its epoll_wait returned");

	/* The upgrade's second step, while the old worker is held. */
	pf_kill(d, SIGQUIT);
	st = 0;
	for (n = 0; n < WAIT_MS / 10 && !(st = quit_pending(old_worker)); n++)
		pf_sleep_ms(10);
	ok(st, "QUIT to the old master: it passed QUIT on to its worker "
	    "(pending)");
	ok(ptrace(PTRACE_DETACH, old_worker, NULL, NULL) == 0,
	    "the old worker is let go: it sees the QUIT first");

	n = fd >= 0 ? (int)pf_read_n(fd, buf, 6, WAIT_MS) : -1;
	ok(n == 6 && memcmp(buf, "hello\n", 6) == 0, "the client gets its "
	    "echo (%d bytes): the connection the old worker was woken for "
	    "was served", n);
	if (fd >= 0)
		close(fd);	/* echo serves until the client is done */
	needle = tap_strdup_printf("service echo: worker %ld exited with "
	    "status 0 after 1 connections", (long)old_worker);
	ok(pf_log_wait(d, needle, WAIT_MS), "by the old worker, before it "
	    "went: %s", needle);
	free(needle);
	ok(pf_wait_exit(d, WAIT_MS, &st) == 0 && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "the old master exits 0");
	ok(pf_echo_tcp("127.0.0.1", port, "after\n"), "the new master serves");
	pf_kill(nd, SIGTERM);
	ok(pf_wait_exit(nd, WAIT_MS, NULL) == 0, "the new master stops");
	return 0;
}
