/*
 * minprefork.c - the benchmark's ceiling: the least a preforking echo
 * server can be.  Bind, listen, fork W workers that each loop on a
 * blocking accept(), read/write until end of file, close.  No logging, no
 * scoreboard, no signals handled, no privilege drop: whatever preforkd
 * does beyond this is what its cost is measured against.
 *
 *   minprefork [-a 127.0.0.1] -p PORT [-w WORKERS] [-b BACKLOG]
 *
 * The parent waits; on TERM it (and, by PR_SET_PDEATHSIG, the workers)
 * goes away.  On HUP it replaces its workers, the least a preforking
 * server's reload can be: for each worker, fork its successor, then TERM
 * it (no handler: it dies in accept()); before TERMing one it reaps the
 * one TERMed DYING_MAX before, so that no more than W + DYING_MAX are
 * alive at once (a reload of 16,384 must fit under pid_max 32,768).
 * Not part of `make check`: built by bench/Makefile.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Workers TERMed and not yet reaped at most, during a reload. */
#define DYING_MAX	256

static void
worker(int l, pid_t parent)
{
	char buf[16384];
	ssize_t n;
	int fd;

	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)	/* it died before prctl() */
		_exit(0);
	for (;;) {
		if ((fd = accept(l, NULL, NULL)) == -1)
			continue;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			if (write(fd, buf, (size_t)n) != n)
				break;
		close(fd);
	}
}

/* spawn - one worker on listener l: its pid (the parent goes on). */
static pid_t
spawn(int l)
{
	pid_t parent = getpid(), pid = fork();

	if (pid == -1) {
		perror("minprefork: fork");
		exit(1);
	}
	if (pid == 0)
		worker(l, parent);
	return pid;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	const char *addr = "127.0.0.1";
	int ch, i, l, one = 1, port = 0, workers = 2, backlog = 511, sig;
	sigset_t wake;
	pid_t *kids, dying[DYING_MAX];

	while ((ch = getopt(argc, argv, "a:b:p:w:")) != -1) {
		switch (ch) {
		case 'a': addr = optarg; break;
		case 'b': backlog = atoi(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 'w': workers = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: minprefork [-a ADDR] -p PORT "
			    "[-w WORKERS] [-b BACKLOG]\n");
			return 64;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	/* HUP and CHLD taken by sigwait() alone: no handler, no race. */
	sigemptyset(&wake);
	sigaddset(&wake, SIGHUP);
	sigaddset(&wake, SIGCHLD);
	sigprocmask(SIG_BLOCK, &wake, NULL);
	if (workers < 1 || (kids = calloc((size_t)workers, sizeof(*kids))) ==
	    NULL)
		return 64;
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		return 64;
	if ((l = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(l, backlog) == -1) {
		perror("minprefork");
		return 1;
	}
	for (i = 0; i < workers; i++)
		kids[i] = spawn(l);
	for (;;) {
		if (sigwait(&wake, &sig) != 0)
			continue;
		if (sig == SIGHUP)
			for (i = 0; i < workers; i++) {
				if (i >= DYING_MAX)
					waitpid(dying[i % DYING_MAX], NULL, 0);
				dying[i % DYING_MAX] = kids[i];
				kids[i] = spawn(l);
				kill(dying[i % DYING_MAX], SIGTERM);
			}
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
	}
}
