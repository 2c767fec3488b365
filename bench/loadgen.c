/*
 * loadgen.c - the benchmark's load generator: C client connections kept
 * in flight by one epoll loop per thread, for a bounded time, against an
 * echo-style server; prints one machine-readable result line.
 *
 * Modes: "short" (connect, send the request, read the whole echo, close;
 * then a new connection), "keepalive" (one connection per slot, the
 * request sent again as soon as its echo is complete), "http" (a short
 * connection that sends "GET /PATH HTTP/1.0" and reads the answer until
 * the server closes: an exchange counts when it began "HTTP/1.x 200", so
 * that an HTTP server is measured the way the echo servers are: one short
 * connection, one request, one small answer) and "udp" (closed loop over
 * UDP: each of the C slots is a socket of its own, bound to the next
 * source address and connected to the server, with one datagram in
 * flight; its echo, matched by a sequence number in its first 8 bytes,
 * sends the next one.  One not answered within -t ms is counted lost and
 * the slot sends the next; an answer that comes later is counted late
 * and otherwise ignored).  Each connection is
 * bound before connect() to a source address spread over 127.0.0.1 ..
 * 127.0.0.N (IP_BIND_ADDRESS_NO_PORT lets connect() choose the port per
 * 4-tuple), so short connections do not run out of ephemeral ports.
 *
 * The client does as few system calls as it can per connection: socket,
 * setsockopt x2, bind, connect, one epoll_ctl (edge-triggered, in and out
 * at once), write, read(s), close.  Latency is measured from socket() to
 * the last byte of the echo (short) or from the write to the last byte
 * (keepalive), kept in a log-linear histogram (1.5 % resolution).
 *
 * -P v2 (or v2crc) sends a PROXY protocol v2 header before the request, as
 * HAProxy's send-proxy-v2 would: PROXY command, TCP over IPv4, a source
 * address fixed per client slot (198.18.0.0/15, the benchmarking range:
 * slot n is 198.18.0.0 + n + 1, port 10000 + n) and the server's address
 * as destination; v2crc adds the CRC32C TLV (the header's checksum,
 * computed once per slot).  Only the request's echo is read back (the
 * header is the server's to consume); in keepalive mode the header goes
 * once per connection, before its first request.  TCP modes only.
 *
 * Output, one line:
 *   RESULT mode=short conc=64 threads=1 dur_s=3.000 ok=123 rate=41.0
 *   conns=123 refused=0 reset=0 timeout=0 short=0 bad=0 other=0
 *   p50_us=.. p99_us=.. max_us=.. client_cpu_ms=..
 *
 * Not part of `make check`: built by bench/Makefile (cc -O2).
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define NBUCKETS	(64 * 40)
#define REQ_MAX		65536

enum { MODE_SHORT, MODE_KEEPALIVE, MODE_HTTP, MODE_UDP };
enum { ST_IDLE, ST_CONNECTING, ST_SENDING, ST_READING };

struct slot {
	int		fd;
	int		state;
	uint64_t	t_start;	/* latency start, ns */
	uint64_t	deadline;	/* ns; 0 = none */
	uint64_t	not_before;	/* backoff after an immediate error */
	size_t		sent;
	size_t		got;
	char		head[12];	/* http: the status line's start */
	uint64_t	seq;		/* udp: the datagram in flight */
	unsigned char	*out;		/* what the connection sends next */
	size_t		outlen;
	unsigned char	*first;		/* -P: header + request, per slot */
	size_t		firstlen;
};

struct counts {
	uint64_t	ok, conns, refused, reset, timeout, shrt, bad, other;
	uint64_t	lost, late;	/* udp */
	int		other_errno;
	uint64_t	max_ns;
	uint64_t	hist[NBUCKETS];
};

struct thread {
	pthread_t	tid;
	int		ep;
	int		nslots;
	struct slot	*slots;
	unsigned	srcnext;
	struct counts	c;
};

static int		 mode = MODE_SHORT;
static int		 conc = 1;
static int		 nthreads = 1;
static double		 duration = 3.0;
static int		 nsrc = 16;
static size_t		 reqlen = 32;
static int		 timeout_ms = 2000;
static const char	*http_path = "/32.txt";
static int		 proxy_v2;	/* -P: 1 v2, 2 v2 with CRC32C */
static struct sockaddr_in dst;
static unsigned char	 req[REQ_MAX];
static uint64_t		 t_end;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
bucket_of(uint64_t ns)
{
	uint64_t us = ns / 1000;
	int e, idx;

	if (us < 64)
		return (int)us;
	e = 63 - __builtin_clzll(us);
	idx = (e - 5) * 64 + (int)((us >> (e - 6)) - 64);
	return idx < NBUCKETS ? idx : NBUCKETS - 1;
}

static uint64_t
bucket_value(int idx)
{
	int e;

	if (idx < 64)
		return (uint64_t)idx;
	e = idx / 64 + 5;
	return ((uint64_t)(idx % 64 + 64) << (e - 6));
}

static void
record(struct thread *t, uint64_t ns)
{
	t->c.hist[bucket_of(ns)]++;
	if (ns > t->c.max_ns)
		t->c.max_ns = ns;
}

static void
count_error(struct thread *t, int err)
{
	switch (err) {
	case ECONNREFUSED:
		t->c.refused++;
		break;
	case ECONNRESET:
	case EPIPE:
		t->c.reset++;
		break;
	case ETIMEDOUT:
		t->c.timeout++;
		break;
	default:
		t->c.other++;
		t->c.other_errno = err;
	}
}

static void
slot_close(struct slot *s)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	s->state = ST_IDLE;
}

/* An error ends the connection; the slot starts over after a short pause. */
static void
slot_fail(struct thread *t, struct slot *s, int err)
{
	count_error(t, err);
	slot_close(s);
	s->not_before = now_ns() + 1000000;	/* 1 ms: never spin on errors */
}

static void slot_progress(struct thread *, struct slot *);

static void
slot_start(struct thread *t, struct slot *s)
{
	struct sockaddr_in src;
	struct epoll_event ev;
	int fd, one = 1;

	s->t_start = now_ns();
	s->deadline = s->t_start + (uint64_t)timeout_ms * 1000000u;
	s->sent = s->got = 0;
	s->out = s->first != NULL ? s->first : req;
	s->outlen = s->first != NULL ? s->firstlen : reqlen;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		slot_fail(t, s, errno);
		return;
	}
	s->fd = fd;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (nsrc > 0) {
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof(one));
		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(0x7f000001u +
		    (t->srcnext++ % (unsigned)nsrc));
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1) {
			slot_fail(t, s, errno);
			return;
		}
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
	ev.data.ptr = s;
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == -1 &&
	    errno != EINPROGRESS) {
		slot_fail(t, s, errno);
		return;
	}
	if (epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
		slot_fail(t, s, errno);
		return;
	}
	s->state = ST_CONNECTING;
	t->c.conns++;
	slot_progress(t, s);
}

/*
 * An exchange is complete: count it.  Short: close, and the main loop
 * starts the next connection; keepalive: the caller sends the next request.
 */
static void
slot_done(struct thread *t, struct slot *s)
{
	uint64_t now = now_ns();

	t->c.ok++;
	record(t, now - s->t_start);
	if (mode != MODE_KEEPALIVE || now >= t_end) {
		slot_close(s);
		s->not_before = 0;
		return;
	}
	s->t_start = now;
	s->deadline = now + (uint64_t)timeout_ms * 1000000u;
	s->sent = s->got = 0;
	s->out = req;		/* the PROXY header went with the first */
	s->outlen = reqlen;
	s->state = ST_SENDING;
}

/* Move the connection on as far as it can go without blocking. */
static void
slot_progress(struct thread *t, struct slot *s)
{
	static __thread unsigned char buf[REQ_MAX];
	ssize_t n;

	if (s->state == ST_CONNECTING) {
		/* A write on a socket still connecting fails with EAGAIN. */
		s->state = ST_SENDING;
	}
again:
	while (s->state == ST_SENDING) {
		n = write(s->fd, s->out + s->sent, s->outlen - s->sent);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			if (errno == ENOTCONN) {
				/* connect failed: fetch its reason */
				int err = 0;
				socklen_t el = sizeof(err);

				getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err,
				    &el);
				slot_fail(t, s, err ? err : ENOTCONN);
				return;
			}
			slot_fail(t, s, errno);
			return;
		}
		s->sent += (size_t)n;
		if (s->sent == s->outlen)
			s->state = ST_READING;
	}
	while (s->state == ST_READING && mode == MODE_HTTP) {
		n = read(s->fd, buf, sizeof(buf));
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			slot_fail(t, s, errno);
			return;
		}
		if (n > 0 && s->got < sizeof(s->head))
			memcpy(s->head + s->got, buf, (size_t)n <
			    sizeof(s->head) - s->got ? (size_t)n :
			    sizeof(s->head) - s->got);
		s->got += (size_t)n;
		if (n > 0)
			continue;
		/* end of file: the whole answer is in */
		if (s->got < sizeof(s->head)) {
			t->c.shrt++;
			slot_close(s);
			s->not_before = now_ns() + 1000000;
			return;
		}
		if (memcmp(s->head, "HTTP/1.", 7) != 0 ||
		    memcmp(s->head + 8, " 200", 4) != 0) {
			t->c.bad++;
			slot_close(s);
			return;
		}
		slot_done(t, s);
		return;
	}
	while (s->state == ST_READING) {
		n = read(s->fd, buf, reqlen - s->got);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			slot_fail(t, s, errno);
			return;
		}
		if (n == 0) {
			t->c.shrt++;
			slot_close(s);
			s->not_before = now_ns() + 1000000;
			return;
		}
		if (memcmp(buf, req + s->got, (size_t)n) != 0) {
			t->c.bad++;
			slot_close(s);
			return;
		}
		s->got += (size_t)n;
		if (s->got == reqlen) {
			slot_done(t, s);
			goto again;
		}
	}
}

/* udp: send the slot's next datagram, numbered. */
static void
udp_send(struct thread *t, struct slot *s)
{
	unsigned char buf[REQ_MAX];

	s->seq++;
	memcpy(buf, req, reqlen);
	memcpy(buf, &s->seq, reqlen < 8 ? reqlen : 8);
	s->t_start = now_ns();
	s->deadline = s->t_start + (uint64_t)timeout_ms * 1000000u;
	if (send(s->fd, buf, reqlen, 0) == -1) {
		count_error(t, errno);
		/* Try again in 1 ms, not counted lost. */
		s->not_before = now_ns() + 1000000;
		s->deadline = s->not_before;
		return;
	}
	t->c.conns++;
}

/* udp: a socket of its own for the slot, then its first datagram. */
static void
udp_start(struct thread *t, struct slot *s)
{
	struct sockaddr_in src;
	struct epoll_event ev;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		slot_fail(t, s, errno);
		return;
	}
	s->fd = fd;
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(0x7f000001u +
	    (nsrc > 0 ? t->srcnext++ % (unsigned)nsrc : 0));
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = s;
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1 ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == -1 ||
	    epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
		slot_fail(t, s, errno);
		return;
	}
	s->state = ST_READING;
	udp_send(t, s);
}

/* udp: read what came; the awaited echo sends the next datagram. */
static void
udp_progress(struct thread *t, struct slot *s)
{
	unsigned char buf[REQ_MAX];
	uint64_t seq;
	ssize_t n;

	for (;;) {
		n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* ICMP port unreachable: nobody listens (yet). */
			count_error(t, errno);
			s->not_before = now_ns() + 1000000;
			s->deadline = s->not_before;
			return;
		}
		seq = 0;
		memcpy(&seq, buf, (size_t)n < 8 ? (size_t)n : 8);
		if (seq != s->seq) {
			t->c.late++;
			continue;
		}
		if (now_ns() >= t_end)
			return;
		if ((size_t)n != reqlen || memcmp(buf + 8, req + 8,
		    reqlen > 8 ? reqlen - 8 : 0) != 0) {
			t->c.bad++;
		} else {
			t->c.ok++;
			record(t, now_ns() - s->t_start);
		}
		udp_send(t, s);
	}
}

static void *
thread_main(void *arg)
{
	struct thread *t = arg;
	struct epoll_event ev[256];
	uint64_t now, next_scan;
	int i, k, n, scan, busy = 0;

	for (i = 0; i < t->nslots; i++)
		if (mode == MODE_UDP)
			udp_start(t, &t->slots[i]);
		else
			slot_start(t, &t->slots[i]);
	next_scan = now_ns() + 5000000;
	for (;;) {
		now = now_ns();
		if (now >= t_end)
			break;
		n = epoll_wait(t->ep, ev, 256, busy ? 0 : 1);
		busy = 0;
		for (i = 0; i < n; i++) {
			struct slot *s = ev[i].data.ptr;

			if (s->fd == -1)
				continue;
			if (mode == MODE_UDP) {
				udp_progress(t, s);
				continue;
			}
			if ((ev[i].events & EPOLLERR) &&
			    s->state == ST_CONNECTING) {
				int err = 0;
				socklen_t el = sizeof(err);

				getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err,
				    &el);
				slot_fail(t, s, err ? err : EIO);
				continue;
			}
			slot_progress(t, s);
		}
		now = now_ns();
		scan = now >= next_scan;
		if (scan)
			next_scan = now + 5000000;
		for (i = 0; i < t->nslots; i++) {
			struct slot *s = &t->slots[i];

			if (mode == MODE_UDP) {
				/* Unanswered in time: lost; send the next (after
				 * an error: again, not counted lost). */
				if (s->state == ST_READING && now > s->deadline &&
				    now < t_end) {
					if (s->deadline != s->not_before)
						t->c.lost++;
					udp_send(t, s);
				}
				continue;
			}
			if (scan && s->state != ST_IDLE && now > s->deadline) {
				t->c.timeout++;
				slot_close(s);
				s->not_before = 0;
			}
			/* An exchange may complete within slot_start(). */
			for (k = 0; k < 8 && s->state == ST_IDLE &&
			    now >= s->not_before && now < t_end; k++)
				slot_start(t, s);
			if (s->state == ST_IDLE && now >= s->not_before)
				busy = 1;
		}
	}
	for (i = 0; i < t->nslots; i++)
		slot_close(&t->slots[i]);
	return NULL;
}

/* crc32c - CRC-32C (Castagnoli, reflected 0x82F63B78), bit by bit: it runs
 * once per slot, at start. */
static uint32_t
crc32c(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	int k;

	while (n-- > 0) {
		c ^= *p++;
		for (k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & (0u - (c & 1u)));
	}
	return ~c;
}

/*
 * proxy_first - slot n's first bytes: a PROXY v2 header (client
 * 198.18.0.0 + n + 1, port 10000 + n, to the server's address and port;
 * with the CRC32C TLV when proxy_v2 is 2) followed by the request.
 */
static int
proxy_first(struct slot *s, unsigned n)
{
	static const unsigned char sig[12] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49,
		0x54, 0x0a
	};
	uint32_t src = htonl(0xc6120000u + n + 1), crc;
	uint16_t sport = htons((uint16_t)(10000 + n % 50000));
	size_t hl = proxy_v2 == 2 ? 16 + 12 + 7 : 16 + 12;
	unsigned char *h;

	h = calloc(1, hl + reqlen);
	if (h == NULL)
		return -1;
	memcpy(h, sig, 12);
	h[12] = 0x21;			/* version 2, PROXY */
	h[13] = 0x11;			/* AF_INET, STREAM */
	h[14] = (unsigned char)((hl - 16) >> 8);
	h[15] = (unsigned char)(hl - 16);
	memcpy(h + 16, &src, 4);
	memcpy(h + 20, &dst.sin_addr, 4);
	memcpy(h + 24, &sport, 2);
	memcpy(h + 26, &dst.sin_port, 2);
	if (proxy_v2 == 2) {
		h[28] = 0x03;		/* PP2_TYPE_CRC32C, 4 bytes */
		h[29] = 0;
		h[30] = 4;
		crc = htonl(crc32c(h, hl));	/* over the header, field 0 */
		memcpy(h + 31, &crc, 4);
	}
	memcpy(h + hl, req, reqlen);
	s->first = h;
	s->firstlen = hl + reqlen;
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen -p PORT [-a 127.0.0.1] [-c CONC] [-d SECONDS]\n"
	    "               [-m short|keepalive|http|udp] [-n NSRC] [-s REQBYTES]\n"
	    "               [-t TIMEOUT_MS] [-j THREADS] [-u HTTP_PATH]\n"
	    "               [-P v2|v2crc]\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	struct thread *th;
	struct counts tot;
	struct rusage ru;
	const char *addr = "127.0.0.1";
	uint64_t t0, seen, want50, want99, p50 = 0, p99 = 0;
	double dur;
	int ch, i, j, port = 0, b;

	while ((ch = getopt(argc, argv, "a:c:d:j:m:n:p:P:s:t:u:")) != -1) {
		switch (ch) {
		case 'a': addr = optarg; break;
		case 'c': conc = atoi(optarg); break;
		case 'd': duration = atof(optarg); break;
		case 'j': nthreads = atoi(optarg); break;
		case 'm':
			if (strcmp(optarg, "short") == 0)
				mode = MODE_SHORT;
			else if (strcmp(optarg, "keepalive") == 0)
				mode = MODE_KEEPALIVE;
			else if (strcmp(optarg, "http") == 0)
				mode = MODE_HTTP;
			else if (strcmp(optarg, "udp") == 0)
				mode = MODE_UDP;
			else
				usage();
			break;
		case 'n': nsrc = atoi(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 'P':
			if (strcmp(optarg, "v2") == 0)
				proxy_v2 = 1;
			else if (strcmp(optarg, "v2crc") == 0)
				proxy_v2 = 2;
			else
				usage();
			break;
		case 's': reqlen = (size_t)atol(optarg); break;
		case 't': timeout_ms = atoi(optarg); break;
		case 'u': http_path = optarg; break;
		default: usage();
		}
	}
	if (port <= 0 || port > 65535 || conc < 1 || nthreads < 1 ||
	    duration <= 0 || reqlen < 1 || reqlen > REQ_MAX || nsrc < 0 ||
	    nsrc > 254 || timeout_ms < 1 || (proxy_v2 && mode == MODE_UDP))
		usage();
	if (nthreads > conc)
		nthreads = conc;
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &dst.sin_addr) != 1)
		usage();
	if (mode == MODE_HTTP) {
		i = snprintf((char *)req, sizeof(req),
		    "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", http_path, addr);
		if (i < 0 || (size_t)i >= sizeof(req))
			usage();
		reqlen = (size_t)i;
	} else {
		for (i = 0; i < (int)reqlen; i++)
			req[i] = (unsigned char)('a' + i % 26);
		req[reqlen - 1] = '\n';
	}
	signal(SIGPIPE, SIG_IGN);

	th = calloc((size_t)nthreads, sizeof(*th));
	if (th == NULL)
		return 1;
	t0 = now_ns();
	t_end = t0 + (uint64_t)(duration * 1e9);
	for (i = 0; i < nthreads; i++) {
		th[i].nslots = conc / nthreads + (i < conc % nthreads);
		th[i].slots = calloc((size_t)th[i].nslots,
		    sizeof(*th[i].slots));
		th[i].srcnext = (unsigned)i;
		if ((th[i].ep = epoll_create1(EPOLL_CLOEXEC)) == -1 ||
		    th[i].slots == NULL) {
			perror("loadgen: setup");
			return 1;
		}
		for (j = 0; j < th[i].nslots; j++) {
			th[i].slots[j].fd = -1;
			if (proxy_v2 && proxy_first(&th[i].slots[j],
			    (unsigned)(i * (conc / nthreads + 1) + j)) < 0) {
				perror("loadgen: calloc");
				return 1;
			}
		}
		if (pthread_create(&th[i].tid, NULL, thread_main, &th[i])) {
			perror("loadgen: pthread_create");
			return 1;
		}
	}
	memset(&tot, 0, sizeof(tot));
	for (i = 0; i < nthreads; i++) {
		pthread_join(th[i].tid, NULL);
		tot.ok += th[i].c.ok;
		tot.conns += th[i].c.conns;
		tot.refused += th[i].c.refused;
		tot.reset += th[i].c.reset;
		tot.timeout += th[i].c.timeout;
		tot.shrt += th[i].c.shrt;
		tot.bad += th[i].c.bad;
		tot.other += th[i].c.other;
		tot.lost += th[i].c.lost;
		tot.late += th[i].c.late;
		if (th[i].c.other_errno)
			tot.other_errno = th[i].c.other_errno;
		if (th[i].c.max_ns > tot.max_ns)
			tot.max_ns = th[i].c.max_ns;
		for (b = 0; b < NBUCKETS; b++)
			tot.hist[b] += th[i].c.hist[b];
	}
	dur = (double)(now_ns() - t0) / 1e9;
	getrusage(RUSAGE_SELF, &ru);
	want50 = (tot.ok + 1) / 2;
	want99 = tot.ok - tot.ok / 100;
	seen = 0;
	for (b = 0; b < NBUCKETS && tot.ok > 0; b++) {
		if (tot.hist[b] == 0)
			continue;
		if (seen < want50 && seen + tot.hist[b] >= want50)
			p50 = bucket_value(b);
		if (seen < want99 && seen + tot.hist[b] >= want99)
			p99 = bucket_value(b);
		seen += tot.hist[b];
	}
	printf("RESULT mode=%s proxy=%s conc=%d threads=%d dur_s=%.3f ok=%llu "
	    "rate=%.1f conns=%llu refused=%llu reset=%llu timeout=%llu "
	    "short=%llu bad=%llu other=%llu other_errno=%s p50_us=%llu "
	    "p99_us=%llu max_us=%llu client_cpu_ms=%.0f lost=%llu late=%llu\n",
	    mode == MODE_SHORT ? "short" : mode == MODE_HTTP ? "http" :
	    mode == MODE_UDP ? "udp" : "keepalive",
	    proxy_v2 == 2 ? "v2crc" : proxy_v2 ? "v2" : "off", conc, nthreads,
	    dur,
	    (unsigned long long)tot.ok, (double)tot.ok / dur,
	    (unsigned long long)tot.conns, (unsigned long long)tot.refused,
	    (unsigned long long)tot.reset, (unsigned long long)tot.timeout,
	    (unsigned long long)tot.shrt, (unsigned long long)tot.bad,
	    (unsigned long long)tot.other,
	    tot.other_errno ? strerrorname_np(tot.other_errno) : "-",
	    (unsigned long long)p50, (unsigned long long)p99,
	    (unsigned long long)(tot.max_ns / 1000),
	    (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3,
	    (unsigned long long)tot.lost, (unsigned long long)tot.late);
	return 0;
}
