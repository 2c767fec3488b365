/*
 * supervise.c - times the supervision of a preforking server: how long it
 * takes to start serving with all its workers, to replace a killed worker,
 * and to serve with a new generation after SIGHUP.  Children are counted
 * from the kernel's list of them (children.h); "serving" means an echo
 * round trip on 127.0.0.1:PORT succeeded.  Prints one RESULT line per mode.
 *
 *   supervise start   -p PORT -n WORKERS [-T MS] -- COMMAND ARGS...
 *   supervise respawn -P MASTER -n WORKERS [-k KILLS] [-T MS]
 *   supervise reload  -P MASTER -p PORT [-T MS]
 *   supervise wait    -p PORT [-T MS] [-H|-U|-L]  (until a round trip
 *                                            works; -H: an HTTP/1.0 GET,
 *                                            any answer will do; -U: a
 *                                            UDP datagram echoed; -L: a
 *                                            PROXY v2 LOCAL header first,
 *                                            for proxy_protocol = "v2")
 *
 * start forks COMMAND (which must stay in the foreground), and leaves it
 * running: its pid is in the RESULT line.  Not part of `make check`.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAXKIDS	65536

#include "children.h"

static int	http;		/* -H: the round trip is an HTTP GET */
static int	udp;		/* -U: the round trip is a UDP echo */
static int	local;		/* -L: a PROXY v2 LOCAL header before it */

/* One echo round trip on 127.0.0.1:port: 0 if the echo came back (-H:
 * a GET, and 0 if anything came back). */
static int
roundtrip(int port)
{
	struct sockaddr_in sin;
	char c = 0;
	int fd, ok = -1;
	struct timeval tv = { 0, 200000 };
	static const char get[] = "GET / HTTP/1.0\r\n\r\n";
	/* PROXY v2 signature, version 2 LOCAL, UNSPEC, no address; then x */
	static const char lx[] = "\r\n\r\n\0\r\nQUIT\n\x20\0\0\0x";
	const char *req = http ? get : local ? lx : "x";
	size_t len = http ? sizeof(get) - 1 : local ? sizeof(lx) - 1 : 1;

	if ((fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (udp) {
		if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		    write(fd, req, len) == (ssize_t)len &&
		    read(fd, &c, 1) == 1 && c == 'x')
			ok = 0;
		close(fd);
		return ok;
	}
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    write(fd, req, len) == (ssize_t)len &&
	    shutdown(fd, SHUT_WR) == 0 &&
	    read(fd, &c, 1) == 1 && (c == 'x' || http))
		ok = 0;
	close(fd);
	return ok;
}

static int
contains(const pid_t *v, int n, pid_t p)
{
	int i;

	for (i = 0; i < n; i++)
		if (v[i] == p)
			return 1;
	return 0;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
usage(void)
{
	fprintf(stderr, "usage: supervise start -p PORT -n N [-T MS] -- CMD..\n"
	    "       supervise respawn -P PID -n N [-k KILLS] [-T MS]\n"
	    "       supervise reload -P PID -p PORT [-T MS]\n"
	    "       supervise wait -p PORT [-T MS] [-H|-U|-L]\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	static pid_t kids[MAXKIDS], old[MAXKIDS];
	struct watch w;
	const char *mode;
	double t0, t_serve = -1, t_all = -1, t, lat[256];
	pid_t pid = 0, victim;
	int ch, i, k, n, nold, port = 0, want = 0, kills = 10, tmo = 5000;
	int looked;

	if (argc < 2)
		usage();
	mode = argv[1];
	optind = 2;
	while ((ch = getopt(argc, argv, "Hk:Ln:p:P:T:U")) != -1) {
		switch (ch) {
		case 'H': http = 1; break;
		case 'U': udp = 1; break;
		case 'L': local = 1; break;
		case 'k': kills = atoi(optarg); break;
		case 'n': want = atoi(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 'P': pid = (pid_t)atoi(optarg); break;
		case 'T': tmo = atoi(optarg); break;
		default: usage();
		}
	}
	if (kills > 256)
		kills = 256;

	if (strcmp(mode, "start") == 0) {
		if (optind >= argc || port <= 0 || want <= 0)
			usage();
		/* The daemon's master, and its children on top. */
		w.base = tasks_total() + 1;
		w.n = 0;
		w.next_ms = 0;
		t0 = now_ms();
		if ((pid = fork()) == 0) {
			/* Not our stdout: whoever reads it would wait for us. */
			int fd = open("/dev/null", O_RDWR);

			dup2(fd, 0);
			dup2(fd, 1);
			execvp(argv[optind], argv + optind);
			_exit(127);
		}
		w.ppid = pid;
		while ((t = now_ms()) - t0 < tmo) {
			if (t_serve < 0 && roundtrip(port) == 0)
				t_serve = now_ms() - t0;
			/* When the count, confirmed, was first seen (t). */
			t = now_ms();
			if (t_all < 0 && watch_count(&w, want -
			    WATCH_SLACK(want), kids, MAXKIDS, t, &looked) >= want &&
			    looked)
				t_all = t - t0;
			if (t_serve >= 0 && t_all >= 0)
				break;
			poll(NULL, 0, 1);
		}
		printf("RESULT start pid=%d first_serve_ms=%.1f "
		    "all_workers_ms=%.1f ready_ms=%.1f\n", (int)pid, t_serve,
		    t_all, t_serve < 0 || t_all < 0 ? -1 :
		    (t_serve > t_all ? t_serve : t_all));
		return t_serve < 0 || t_all < 0;
	}
	if (strcmp(mode, "respawn") == 0) {
		if (pid <= 0 || want <= 0)
			usage();
		for (k = 0; k < kills; k++) {
			/* Let the pool settle, and stay clear of the throttle. */
			poll(NULL, 0, 300);
			n = children(pid, kids, MAXKIDS);
			if (n < 1)
				break;
			victim = kids[k % n];
			t0 = now_ms();
			kill(victim, SIGKILL);
			lat[k] = -1;
			while ((t = now_ms()) - t0 < tmo) {
				n = children(pid, kids, MAXKIDS);
				if (n >= want && !contains(kids, n, victim)) {
					lat[k] = t - t0;
					break;
				}
				poll(NULL, 0, 0);
			}
			if (lat[k] < 0)
				break;
		}
		if (k < kills) {
			printf("RESULT respawn kills=%d replaced=%d "
			    "median_ms=-1 max_ms=-1\n", kills, k);
			return 1;
		}
		qsort(lat, (size_t)kills, sizeof(double), cmp_double);
		printf("RESULT respawn kills=%d replaced=%d median_ms=%.2f "
		    "max_ms=%.2f\n", kills, k, lat[kills / 2],
		    lat[kills - 1]);
		return 0;
	}
	if (strcmp(mode, "wait") == 0) {
		if (port <= 0)
			usage();
		t0 = now_ms();
		while (now_ms() - t0 < tmo) {
			if (roundtrip(port) == 0)
				return 0;
			poll(NULL, 0, 2);
		}
		fprintf(stderr, "supervise: nothing serves 127.0.0.1:%d\n",
		    port);
		return 1;
	}
	if (strcmp(mode, "reload") == 0) {
		if (pid <= 0 || port <= 0)
			usage();
		nold = children(pid, old, MAXKIDS);
		t0 = now_ms();
		kill(pid, SIGHUP);
		while ((t = now_ms()) - t0 < tmo) {
			n = children(pid, kids, MAXKIDS);
			for (i = 0; i < n; i++)
				if (!contains(old, nold, kids[i]))
					break;
			if (i < n && roundtrip(port) == 0) {
				printf("RESULT reload new_generation_ms=%.1f\n",
				    now_ms() - t0);
				return 0;
			}
			poll(NULL, 0, 1);
		}
		printf("RESULT reload new_generation_ms=-1\n");
		return 1;
	}
	usage();
	return 64;
}
