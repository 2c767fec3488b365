/*
 * minudp.c - the UDP benchmark's ceiling: the least a preforking UDP echo
 * server can be.  Bind, fork W workers that each loop on a blocking
 * recvfrom() and a sendto() of the same bytes back.  No logging, no
 * scoreboard, no loop guard, no signals handled: whatever preforkd does
 * beyond this is what its cost is measured against.
 *
 *   minudp [-a 127.0.0.1] -p PORT [-w WORKERS] [-r RCVBUF]
 *
 * The parent waits; on TERM it (and, by PR_SET_PDEATHSIG, the workers)
 * goes away.  Not part of `make check`: built by bench/Makefile.
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

static void
worker(int s)
{
	static char buf[65536];
	struct sockaddr_storage from;
	socklen_t fromlen;
	ssize_t n;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from,
		    &fromlen);
		if (n < 0)
			continue;
		(void)sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from,
		    fromlen);
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in sin;
	const char *addr = "127.0.0.1";
	int ch, i, s, port = 0, workers = 2, rcvbuf = 0;

	while ((ch = getopt(argc, argv, "a:p:r:w:")) != -1) {
		switch (ch) {
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'r': rcvbuf = atoi(optarg); break;
		case 'w': workers = atoi(optarg); break;
		default:
			fprintf(stderr, "usage: minudp [-a ADDR] -p PORT "
			    "[-w WORKERS] [-r RCVBUF]\n");
			return 64;
		}
	}
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1)
		return 64;
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    (rcvbuf > 0 && setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf)) == -1) ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		perror("minudp");
		return 1;
	}
	for (i = 0; i < workers; i++) {
		switch (fork()) {
		case -1:
			perror("minudp: fork");
			return 1;
		case 0:
			worker(s);
		}
	}
	for (;;)
		if (wait(NULL) == -1)
			pause();
}
