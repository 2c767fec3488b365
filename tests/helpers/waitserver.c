/*
 * waitserver.c - an inetd "stream wait" server for the exec mode "wait"
 * tests: it finds the listening socket on fd 0 (and fd 1) and accepts on
 * it itself, as inetd's wait programs do.  Every client gets one line,
 *	waitserver pid PID blocking B rcvtimeo R sndtimeo S listening L same M
 * (B: fd 0 is blocking; R, S: its SO_RCVTIMEO and SO_SNDTIMEO in ms; L:
 * fd 0 is a listening socket; M: fd 1 is the same socket), then its first
 * line echoed back, and the connection is closed.  On start it says
 * "waitserver PID: accepting on fd 0" on stderr.  With -u, the socket
 * is a udp one ("dgram wait"): each datagram gets that line as its reply.
 *
 *	-u	udp: answer datagrams read from fd 0
 *	-n N	serve N clients, then exit (default: never)
 *	-m MS	but not before MS milliseconds after the start
 *	-x S	exit with status S at once, serving nobody (a broken program)
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ms - the monotonic clock in milliseconds. */
static long
ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* timeo - a socket timeout option of fd in ms, or -1. */
static long
timeo(int fd, int opt)
{
	struct timeval tv;
	socklen_t len = sizeof(tv);

	if (getsockopt(fd, SOL_SOCKET, opt, &tv, &len) == -1)
		return -1;
	return tv.tv_sec * 1000L + tv.tv_usec / 1000L;
}

/* same - whether fds a and b are the same open socket. */
static int
same(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	    sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* serve - the hello line, the client's first line back, then close. */
static void
serve(int fd, const char *hello)
{
	char buf[1024];
	ssize_t n, got = 0;

	if (write(fd, hello, strlen(hello)) < 0)
		return;
	while (got < (ssize_t)sizeof(buf) &&
	    (n = read(fd, buf + got, sizeof(buf) - (size_t)got)) > 0) {
		got += n;
		if (memchr(buf, '\n', (size_t)got) != NULL)
			break;
	}
	if (got > 0)
		(void)write(fd, buf, (size_t)got);
}

int
main(int argc, char **argv)
{
	char hello[256];
	long start = ms(), n = -1, min_ms = 0, served = 0;
	int c, fd, acc = 0, flags, udp = 0;
	socklen_t len = sizeof(acc);

	while ((c = getopt(argc, argv, "un:m:x:")) != -1) {
		switch (c) {
		case 'u':
			udp = 1;
			break;
		case 'n':
			n = atol(optarg);
			break;
		case 'm':
			min_ms = atol(optarg);
			break;
		case 'x':
			fprintf(stderr, "waitserver %ld: exiting with status "
			    "%s as told\n", (long)getpid(), optarg);
			return atoi(optarg);
		default:
			fprintf(stderr, "usage: waitserver [-u] [-n N] "
			    "[-m MS] [-x STATUS]\n");
			return 64;
		}
	}
	flags = fcntl(0, F_GETFL);
	(void)getsockopt(0, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len);
	snprintf(hello, sizeof(hello), "waitserver pid %ld blocking %d "
	    "rcvtimeo %ld sndtimeo %ld listening %d same %d\n",
	    (long)getpid(), flags != -1 && (flags & O_NONBLOCK) == 0,
	    timeo(0, SO_RCVTIMEO), timeo(0, SO_SNDTIMEO), acc, same(0, 1));
	fprintf(stderr, "waitserver %ld: %s on fd 0\n", (long)getpid(),
	    udp ? "reading datagrams" : "accepting");
	while (udp && (n < 0 || served < n)) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		char dgram[512];

		if (recvfrom(0, dgram, sizeof(dgram), 0,
		    (struct sockaddr *)&from, &fromlen) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(stderr, "waitserver %ld: recvfrom: %s\n",
			    (long)getpid(), strerror(errno));
			return 1;
		}
		(void)sendto(0, hello, strlen(hello), 0,
		    (struct sockaddr *)&from, fromlen);
		served++;
	}
	while (n < 0 || served < n) {
		if ((fd = accept(0, NULL, NULL)) == -1) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == ECONNABORTED)
				continue;
			fprintf(stderr, "waitserver %ld: accept: %s\n",
			    (long)getpid(), strerror(errno));
			return 1;
		}
		serve(fd, hello);
		close(fd);
		served++;
	}
	while (ms() - start < min_ms)
		usleep(10000);
	return 0;
}
