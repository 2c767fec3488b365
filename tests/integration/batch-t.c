/*
 * batch-t.c - datagrams taken a batch at a time (recvmmsg/sendmmsg,
 * src/batch.c) on the real preforkd: bursts queue up while the one worker
 * of a UDP service is stopped (SIGSTOP), from several client sockets at
 * once; once it runs again it takes them up to 16 at a time (its debug
 * line says so), and every datagram gets exactly one answer, to the
 * socket that sent it, and its own access-log line and count.  Echo's
 * replies are sent from the datagrams received, chargen's are copied:
 * both are checked.  With max_requests below the burst, the worker that
 * must go first answers all it took, and its successors the rest.
 * Datagrams that come one at a time are taken one at a time (recvfrom())
 * after eight batches of one, for the next 64; then batches again.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

#define NSOCK		4	/* client sockets, each its own source port */
#define PER_SOCK	16	/* datagrams each sends in a burst */
#define NDGRAM		(NSOCK * PER_SOCK)
#define PER_SOCK_MAX	20	/* in the longest burst */
/* src/batch.c: batches of one before datagrams are taken alone, how many. */
#define LONE_AFTER	8
#define LONE_RUN	64

static char sout[65536], serr[4096];

/* client - an unconnected UDP socket on an ephemeral port of 127.0.0.1. */
static int
client(void)
{
	struct sockaddr_in sin;
	int fd, sz = 1 << 20;

	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		sysbail("socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		sysbail("bind");
	return fd;
}

/* to_port - 127.0.0.1:port. */
static struct sockaddr_in
to_port(int port)
{
	struct sockaddr_in to;

	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons((uint16_t)port);
	return to;
}

/*
 * burst - n datagrams "s<k>-<i>" from each socket fd[k] to port, while
 * the service's only worker is stopped, so that they are all queued when
 * it runs again.  0, or -1.
 */
static int
burst(pid_t worker, const int *fd, int port, int n)
{
	struct sockaddr_in to = to_port(port);
	char msg[32];
	int i, k, len, r = 0;

	if (kill(worker, SIGSTOP) < 0 || pf_wait_proc_state(worker, 'T', 0,
	    30000) < 0)
		return -1;
	for (i = 0; i < n; i++)
		for (k = 0; k < NSOCK; k++) {
			len = snprintf(msg, sizeof(msg), "s%d-%d\n", k, i);
			if (sendto(fd[k], msg, (size_t)len, 0,
			    (struct sockaddr *)&to, sizeof(to)) != len)
				r = -1;
		}
	if (kill(worker, SIGCONT) < 0)
		return -1;
	return r;
}

/*
 * answers - read the answers on every socket for up to timeout_ms, until
 * want[k] came on each: got[k][i] counts the answers to datagram i of
 * socket k (echo: matched by content; chargen: counted in order).  The
 * number of answers that came to a socket other than their sender's.
 */
static int
answers(const int *fd, int got[NSOCK][PER_SOCK_MAX], int n, int echo,
    int timeout_ms)
{
	struct pollfd pfd[NSOCK];
	char buf[1024];
	long deadline = pf_now_ms() + timeout_ms;
	int k, i, s, total = 0, wrong = 0, seen[NSOCK] = { 0 };
	ssize_t len;

	memset(got, 0, sizeof(int) * NSOCK * PER_SOCK_MAX);
	while (total < n * NSOCK && pf_now_ms() < deadline) {
		for (k = 0; k < NSOCK; k++) {
			pfd[k].fd = fd[k];
			pfd[k].events = POLLIN;
			pfd[k].revents = 0;
		}
		if (poll(pfd, NSOCK, 200) <= 0)
			continue;
		for (k = 0; k < NSOCK; k++) {
			if (!(pfd[k].revents & POLLIN))
				continue;
			len = recv(fd[k], buf, sizeof(buf) - 1, MSG_DONTWAIT);
			if (len < 0)
				continue;
			buf[len] = '\0';
			total++;
			if (!echo) {
				if (seen[k] < n)
					got[k][seen[k]]++;
				seen[k]++;
				continue;
			}
			if (sscanf(buf, "s%d-%d", &s, &i) != 2 || i < 0 ||
			    i >= n || s < 0 || s >= NSOCK)
				continue;
			if (s != k)
				wrong++;
			else
				got[k][i]++;
		}
	}
	return wrong;
}

/* once_each - every one of n datagrams of every socket answered once. */
static int
once_each(int got[NSOCK][PER_SOCK_MAX], int n, int *missing, int *twice)
{
	int k, i;

	*missing = *twice = 0;
	for (k = 0; k < NSOCK; k++)
		for (i = 0; i < n; i++) {
			if (got[k][i] == 0)
				(*missing)++;
			else if (got[k][i] > 1)
				(*twice)++;
		}
	return *missing == 0 && *twice == 0;
}

/* served - the "served" count of the service in the JSON status; -1. */
static long long
served(struct pf_daemon *d)
{
	char *p;

	if (pf_status(d, 1, sout, sizeof(sout), serr, sizeof(serr)) != 0)
		return -1;
	if ((p = strstr(sout, "\"served\":")) == NULL)
		return -1;
	return strtoll(p + 9, NULL, 10);
}

/* start - one UDP service of one worker: the daemon, its port, its worker. */
static struct pf_daemon *
start(const char *handler, const char *extra, int *port, pid_t *worker)
{
	struct pf_daemon *d;
	char *conf;

	conf = tap_strdup_printf("log_level = \"debug\";\n"
	    "access_log = \"@DIR@/access.log\";\n"
	    "services = ( { name = \"u\"; handler = \"%s\"; workers = 1;\n"
	    "  listen = \"udp://127.0.0.1:0\";\n"
	    /* Every burst comes from 127.0.0.1: one source, which the UDP
	     * built-ins' default limits would cut at 20 answers. */
	    "  max_rate_per_source = \"off\"; "
	    "max_reply_bytes_per_source = \"off\"; %s } );\n", handler,
	    extra);
	d = pf_prepare(conf);
	free(conf);
	pf_launch(d, NULL);
	if (pf_wait_ready(d, 30000) < 0) {
		pf_show(d);
		bail("preforkd did not start");
	}
	*port = pf_port(d, "u", "udp");
	if (pf_wait_workers(d, 1, 30000) < 0 || pf_workers(d, worker, 1) != 1)
		bail("no worker");
	/* Past its start: idle, waiting on the socket. */
	if (pf_wait_worker_state(d, *worker, "idle", 30000) < 0)
		bail("the worker never became idle");
	return d;
}

/* check_burst - one burst to a fresh daemon, every answer checked. */
static void
check_burst(const char *handler, int echo)
{
	struct pf_daemon *d;
	int fd[NSOCK], got[NSOCK][PER_SOCK_MAX], k, port, wrong, missing, twice;
	int all;
	char *access_log, *needle;
	pid_t worker;

	d = start(handler, "", &port, &worker);
	access_log = pf_path(d, "access.log");
	for (k = 0; k < NSOCK; k++)
		fd[k] = client();
	ok(burst(worker, fd, port, PER_SOCK) == 0,
	    "%s: %d datagrams from %d sockets queued while the worker was "
	    "stopped", handler, NDGRAM, NSOCK);
	wrong = answers(fd, got, PER_SOCK, echo, 30000);
	all = once_each(got, PER_SOCK, &missing, &twice);
	ok(all && wrong == 0,
	    "%s: every datagram answered once, to its sender (%d missing, "
	    "%d twice, %d to another socket)", handler, missing, twice,
	    wrong);
	ok(pf_log_wait(d, "took 16 datagrams at once", 30000),
	    "%s: the worker took 16 datagrams at once (debug line)",
	    handler);
	needle = tap_strdup_printf("proto=udp local=127.0.0.1:%d ", port);
	is_int(NDGRAM, pf_file_wait_count(access_log, needle, NDGRAM, 30000),
	    "%s: one access-log line per datagram", handler);
	free(needle);
	is_int(NDGRAM, served(d), "%s: the status counts each one served",
	    handler);
	for (k = 0; k < NSOCK; k++)
		close(fd[k]);
	ok(pf_stop(d) == 0, "%s: stopped", handler);
	free(access_log);
}

/*
 * check_lone - LONE_AFTER datagrams, each answered before the next: each
 * a batch of one; then LONE_RUN taken alone, and one more, the look with
 * recvmmsg() that found one: the next run alone starts at once.  Then
 * LONE_RUN + 16 queued while the worker is stopped: it takes LONE_RUN of
 * them one at a time, then looks again and takes the last 16 at once.
 * Every one answered once, and one batch line, where a worker that
 * always batched (or went back to batches after one look) logs five.
 */
static void
check_lone(void)
{
	struct pf_daemon *d;
	struct sockaddr_in to;
	int fd[NSOCK], got[NSOCK][PER_SOCK_MAX], i, k, port, wrong, missing;
	int twice, all, n = (LONE_RUN + 16) / NSOCK, single = 0;
	char msg[32], buf[64];
	struct pollfd pfd;
	pid_t worker;

	d = start("echo", "", &port, &worker);
	to = to_port(port);
	for (k = 0; k < NSOCK; k++)
		fd[k] = client();
	for (i = 0; i < LONE_AFTER + LONE_RUN + 1; i++) {
		k = snprintf(msg, sizeof(msg), "one-%d\n", i);
		if (sendto(fd[0], msg, (size_t)k, 0, (struct sockaddr *)&to,
		    sizeof(to)) != k)
			break;
		pfd.fd = fd[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 30000) != 1 || recv(fd[0], buf, sizeof(buf),
		    0) != k)
			break;
		single++;
	}
	is_int(LONE_AFTER + LONE_RUN + 1, single, "lone: %d datagrams, each "
	    "answered before the next", LONE_AFTER + LONE_RUN + 1);
	ok(burst(worker, fd, port, n) == 0, "lone: then %d queued while the "
	    "worker was stopped", n * NSOCK);
	wrong = answers(fd, got, n, 1, 30000);
	all = once_each(got, n, &missing, &twice);
	ok(all && wrong == 0,
	    "lone: every datagram answered once, to its sender (%d missing, "
	    "%d twice, %d to another socket)", missing, twice, wrong);
	is_int(1, pf_log_count(d, "datagrams at once"), "lone: the first %d "
	    "taken one at a time, the last 16 at once: one batch line",
	    LONE_RUN);
	ok(pf_log_count(d, "took 16 datagrams at once") == 1,
	    "lone: that batch took the last 16");
	for (k = 0; k < NSOCK; k++)
		close(fd[k]);
	ok(pf_stop(d) == 0, "lone: stopped");
}

int
main(void)
{
	struct pf_daemon *d;
	int fd[NSOCK], got[NSOCK][PER_SOCK_MAX], k, port, wrong, missing, twice;
	int all;
	char *access_log, *needle;
	pid_t worker;

	plan(23);
	alarm(240);

	/* echo answers from the datagrams received, chargen copies. */
	check_burst("echo", 1);
	check_burst("chargen", 0);
	check_lone();

	/* max_requests below the burst: nothing taken is left unanswered. */
	d = start("echo", "max_requests = 10;", &port, &worker);
	access_log = pf_path(d, "access.log");
	for (k = 0; k < NSOCK; k++)
		fd[k] = client();
	ok(burst(worker, fd, port, PER_SOCK) == 0,
	    "max_requests 10: %d datagrams queued", NDGRAM);
	wrong = answers(fd, got, PER_SOCK, 1, 30000);
	all = once_each(got, PER_SOCK, &missing, &twice);
	ok(all && wrong == 0,
	    "max_requests 10: every datagram answered once (%d missing, %d "
	    "twice, %d to another socket)", missing, twice, wrong);
	ok(pf_log_count(d, "(max_requests); exiting to be replaced") >= 1,
	    "max_requests 10: workers were recycled on the way");
	needle = tap_strdup_printf("proto=udp local=127.0.0.1:%d ", port);
	is_int(NDGRAM, pf_file_wait_count(access_log, needle, NDGRAM, 30000),
	    "max_requests 10: one access-log line per datagram");
	free(needle);
	for (k = 0; k < NSOCK; k++)
		close(fd[k]);
	ok(pf_stop(d) == 0, "max_requests 10: stopped");
	free(access_log);
	return 0;
}
