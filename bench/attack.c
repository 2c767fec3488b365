/*
 * attack.c - the benchmark's attacker: what a hostile network does to a
 * preforked pool, from many source addresses, so that the "under attack"
 * scenario of bench/run can measure what the legitimate clients keep.
 *
 *   attack -m hold  -p PORT -c CONNS    -d SECONDS [-S SRC -n NSRC] [-b BYTE]
 *   attack -m flood -p PORT -c INFLIGHT -d SECONDS [-S SRC -n NSRC] [-b BYTE]
 *                   [-r PER_SECOND]
 *   attack -m udp   -p PORT -N DATAGRAMS [-S SRC -n NSRC] [-r PER_SECOND]
 *                   [-s BYTES] [-w QUIET_MS]
 *
 * hold: keeps CONNS connections open; each sends one byte (BYTE, default
 * 'x'; 'G' against an HTTP server) and then nothing, and reads whatever
 * comes back (so a server writing to it is never blocked).  A connection
 * the server closes is opened again at once from the next source address:
 * the attacker holds the pool, it does not give up.  One byte, so that a
 * server waking its workers only once data has come (TCP_DEFER_ACCEPT)
 * still hands it a worker.
 *
 * flood: opens connections as fast as it can (or PER_SECOND), INFLIGHT at
 * most at once; each sends one byte and is closed as soon as it is
 * connected.  A connect not done within 1 s is abandoned (a full listen
 * queue drops SYNs, and the attacker does not wait for retransmissions).
 *
 * udp: sends DATAGRAMS datagrams of BYTES bytes (default 0: an empty one,
 * the worst case for chargen), round robin over one socket per source
 * address, PER_SECOND at most (default 5000: the server's receive buffer
 * is not what is measured), then reads answers until none came for
 * QUIET_MS (default 500); counts the answers and their bytes per source.
 *
 * Every connection and datagram is bound before connect()/sendto() to a
 * source address in SRC .. SRC+NSRC-1 (default 127.0.1.1, 256 addresses:
 * other than the load generator's 127.0.0.1 .. 127.0.0.N), taken in turn.
 *
 * Output, one line (RESULT for tcp, UDP for udp), key=value:
 *   hold:  opened established cut failed held_avg held_min held_end
 *          cut_mean_ms (how long a connection was held before the server
 *          closed it)
 *   flood: opened done refused reset timeout other rate
 *   udp:   sent req_bytes answers ans_bytes sources src_max_bytes
 *          src_median_bytes src_max_answers amp_answered amp_total
 *          (amplification at the IP level: 28 bytes of IPv4 and UDP
 *          header counted on each datagram, both ways)
 *
 * Loopback only.  Not part of `make check`: built by bench/Makefile.
 *
 * SPDX-License-Identifier: MIT
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
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

#define IPUDP_HDR	28	/* IPv4 header 20 + UDP header 8 */
#define FLOOD_TMO_NS	1000000000ull

enum { ST_IDLE, ST_CONNECTING, ST_HELD };

struct slot {
	int		fd;
	int		state;
	uint64_t	t;		/* connect start, or established */
	uint64_t	not_before;
};

static struct sockaddr_in dst;
static uint32_t	 src_first;		/* host order */
static unsigned	 nsrc = 256;
static unsigned	 srcnext;
static char	 byte = 'x';

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A socket of TYPE bound to the next source address (port left open). */
static int
src_socket(int type, unsigned idx)
{
	struct sockaddr_in src;
	int fd, one = 1;

	fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (type == SOCK_STREAM)
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof(one));
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_addr.s_addr = htonl(src_first + idx % nsrc);
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Start a non-blocking connect on slot s; 0, or -1 with errno. */
static int
slot_connect(int ep, struct slot *s, uint32_t events)
{
	struct epoll_event ev;
	int fd;

	if ((fd = src_socket(SOCK_STREAM, srcnext++)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) == -1 &&
	    errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = s;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
		close(fd);
		return -1;
	}
	s->fd = fd;
	s->state = ST_CONNECTING;
	s->t = now_ns();
	return 0;
}

static void
slot_close(struct slot *s, uint64_t retry_at)
{
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	s->state = ST_IDLE;
	s->not_before = retry_at;
}

static int
sock_error(int fd)
{
	int err = 0;
	socklen_t el = sizeof(err);

	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
	return err;
}

/* n idle slots and an epoll instance for them; NULL after saying why. */
static struct slot *
slots_new(int n, int *ep)
{
	struct slot *slots;
	int i;

	slots = calloc((size_t)n, sizeof(*slots));
	if (slots == NULL || (*ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		perror("attack: setup");
		free(slots);
		return NULL;
	}
	for (i = 0; i < n; i++)
		slots[i].fd = -1;
	return slots;
}

/*
 * hold: CONNS connections, each one byte then silence, opened again as
 * soon as the server closes them.  Samples how many are held every 100 ms.
 */
static int
run_hold(int conns, double dur)
{
	struct epoll_event evs[256];
	struct slot *slots;
	uint64_t t0, t_end, now, next_sample, cut_ns = 0;
	unsigned long long opened = 0, established = 0, cut = 0, failed = 0;
	unsigned long long samples = 0, held_sum = 0;
	long held_min = -1;
	char buf[4096];
	int ep, i, n, held;

	if ((slots = slots_new(conns, &ep)) == NULL)
		return 1;
	t0 = now_ns();
	t_end = t0 + (uint64_t)(dur * 1e9);
	next_sample = t0 + 100000000;
	while ((now = now_ns()) < t_end) {
		for (i = 0; i < conns; i++) {
			struct slot *s = &slots[i];

			if (s->state != ST_IDLE || now < s->not_before)
				continue;
			if (slot_connect(ep, s, EPOLLOUT | EPOLLIN |
			    EPOLLRDHUP) == -1) {
				failed++;
				s->not_before = now + 10000000;
			} else
				opened++;
		}
		n = epoll_wait(ep, evs, 256, 10);
		for (i = 0; i < n; i++) {
			struct slot *s = evs[i].data.ptr;
			ssize_t r;

			if (s->fd == -1)
				continue;
			if (s->state == ST_CONNECTING) {
				if ((evs[i].events & (EPOLLERR | EPOLLHUP)) ||
				    sock_error(s->fd) != 0 ||
				    !(evs[i].events & EPOLLOUT)) {
					failed++;
					slot_close(s, now_ns() + 10000000);
					continue;
				}
				if (write(s->fd, &byte, 1) != 1) {
					failed++;
					slot_close(s, now_ns() + 10000000);
					continue;
				}
				struct epoll_event ev = { .events = EPOLLIN |
				    EPOLLRDHUP, .data.ptr = s };
				epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
				s->state = ST_HELD;
				s->t = now_ns();
				established++;
				continue;
			}
			/* held: drain what the server sends; EOF = cut */
			while ((r = read(s->fd, buf, sizeof(buf))) > 0)
				;
			if (r == 0 || (r == -1 && errno != EAGAIN &&
			    errno != EINTR)) {
				cut++;
				cut_ns += now_ns() - s->t;
				slot_close(s, 0);
			}
		}
		now = now_ns();
		if (now >= next_sample) {
			next_sample += 100000000;
			for (held = 0, i = 0; i < conns; i++)
				held += slots[i].state == ST_HELD;
			samples++;
			held_sum += (unsigned long long)held;
			if (now - t0 > 1000000000ull &&
			    (held_min < 0 || held < held_min))
				held_min = held;
		}
	}
	for (held = 0, i = 0; i < conns; i++)
		held += slots[i].state == ST_HELD;
	printf("RESULT mode=hold conns=%d dur_s=%.3f opened=%llu "
	    "established=%llu cut=%llu failed=%llu held_avg=%.1f "
	    "held_min=%ld held_end=%d cut_mean_ms=%.0f\n", conns,
	    (double)(now_ns() - t0) / 1e9, opened, established, cut, failed,
	    samples ? (double)held_sum / (double)samples : 0.0, held_min,
	    held, cut ? (double)cut_ns / 1e6 / (double)cut : 0.0);
	for (i = 0; i < conns; i++)
		slot_close(&slots[i], 0);
	return 0;
}

/*
 * flood: new connections as fast as INFLIGHT slots allow (or at RATE a
 * second), one byte each, closed as soon as they are connected.
 */
static int
run_flood(int inflight, double dur, double rate)
{
	struct epoll_event evs[256];
	struct slot *slots;
	uint64_t t0, t_end, now, next_start, gap;
	unsigned long long opened = 0, done = 0, refused = 0, reset = 0,
	    timeout = 0, other = 0;
	int ep, i, n, err;

	if ((slots = slots_new(inflight, &ep)) == NULL)
		return 1;
	t0 = now_ns();
	t_end = t0 + (uint64_t)(dur * 1e9);
	gap = rate > 0 ? (uint64_t)(1e9 / rate) : 0;
	next_start = t0;
	while ((now = now_ns()) < t_end) {
		for (i = 0; i < inflight; i++) {
			struct slot *s = &slots[i];

			if (s->state == ST_CONNECTING &&
			    now - s->t > FLOOD_TMO_NS) {
				timeout++;
				slot_close(s, 0);
			}
			if (s->state != ST_IDLE || now < s->not_before ||
			    (gap && now < next_start))
				continue;
			if (slot_connect(ep, s, EPOLLOUT) == -1) {
				err = errno;
				if (err == ECONNREFUSED)
					refused++;
				else
					other++;
				s->not_before = now + 1000000;
				continue;
			}
			opened++;
			if (gap)
				next_start += gap;
		}
		if (gap && now > next_start + 100000000)
			next_start = now;	/* never make up for a stall */
		n = epoll_wait(ep, evs, 256, 1);
		for (i = 0; i < n; i++) {
			struct slot *s = evs[i].data.ptr;

			if (s->fd == -1 || s->state != ST_CONNECTING)
				continue;
			err = sock_error(s->fd);
			if (err == 0 && (evs[i].events & EPOLLOUT) &&
			    write(s->fd, &byte, 1) == 1) {
				done++;
				slot_close(s, 0);
				continue;
			}
			if (err == 0)
				err = errno;
			if (err == ECONNREFUSED)
				refused++;
			else if (err == ECONNRESET || err == EPIPE)
				reset++;
			else
				other++;
			slot_close(s, now_ns() + 1000000);
		}
	}
	printf("RESULT mode=flood inflight=%d dur_s=%.3f opened=%llu "
	    "done=%llu refused=%llu reset=%llu timeout=%llu other=%llu "
	    "rate=%.1f\n", inflight, (double)(now_ns() - t0) / 1e9, opened,
	    done, refused, reset, timeout, other,
	    (double)done / ((double)(now_ns() - t0) / 1e9));
	for (i = 0; i < inflight; i++)
		slot_close(&slots[i], 0);
	return 0;
}

static int
cmp_ull(const void *a, const void *b)
{
	unsigned long long x = *(const unsigned long long *)a;
	unsigned long long y = *(const unsigned long long *)b;

	return x < y ? -1 : x > y;
}

/* Read every answer waiting on the udp sockets; per-source counts. */
static void
udp_drain(int ep, int timeout_ms, unsigned long long *answers,
    unsigned long long *bytes, int *got)
{
	struct epoll_event evs[256];
	char buf[65536];
	ssize_t r;
	int i, n;

	*got = 0;
	n = epoll_wait(ep, evs, 256, timeout_ms);
	for (i = 0; i < n; i++) {
		unsigned k = (unsigned)(evs[i].data.u64 & 0xffffffffu);
		int fd = (int)(evs[i].data.u64 >> 32);

		while ((r = recv(fd, buf, sizeof(buf), 0)) >= 0) {
			answers[k]++;
			bytes[k] += (unsigned long long)r;
			(*got)++;
		}
	}
}

/*
 * udp: N datagrams round robin over one socket per source address, then
 * the answers until the server has been quiet for quiet_ms.
 */
static int
run_udp(long count, double rate, size_t size, int quiet_ms)
{
	unsigned long long *answers, *bytes, *sorted;
	unsigned long long tot_ans = 0, tot_bytes = 0, sendfail = 0;
	unsigned long long src_max = 0, src_max_ans = 0;
	unsigned sources = 0;
	uint64_t t0, gap, quiet_since;
	char payload[65536];
	double req_ip, ans_ip;
	int *fds, ep, got;
	long k;
	unsigned i;

	fds = calloc(nsrc, sizeof(*fds));
	answers = calloc(nsrc, sizeof(*answers));
	bytes = calloc(nsrc, sizeof(*bytes));
	sorted = calloc(nsrc, sizeof(*sorted));
	if (fds == NULL || answers == NULL || bytes == NULL ||
	    sorted == NULL || (ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		perror("attack: setup");
		return 1;
	}
	memset(payload, 'x', sizeof(payload));
	for (i = 0; i < nsrc; i++) {
		struct epoll_event ev;

		if ((fds[i] = src_socket(SOCK_DGRAM, i)) == -1) {
			perror("attack: udp socket");
			return 1;
		}
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.u64 = ((uint64_t)(unsigned)fds[i] << 32) | i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) == -1) {
			perror("attack: epoll_ctl");
			return 1;
		}
	}
	t0 = now_ns();
	gap = rate > 0 ? (uint64_t)(1e9 / rate) : 0;
	for (k = 0; k < count; k++) {
		while (gap && now_ns() < t0 + (uint64_t)k * gap)
			udp_drain(ep, 0, answers, bytes, &got);
		if (sendto(fds[k % nsrc], payload, size, 0,
		    (struct sockaddr *)&dst, sizeof(dst)) == -1)
			sendfail++;
		if (k % 64 == 0)
			udp_drain(ep, 0, answers, bytes, &got);
	}
	quiet_since = now_ns();
	while (now_ns() - quiet_since < (uint64_t)quiet_ms * 1000000u) {
		udp_drain(ep, 50, answers, bytes, &got);
		if (got)
			quiet_since = now_ns();
	}
	for (i = 0; i < nsrc; i++) {
		tot_ans += answers[i];
		tot_bytes += bytes[i];
		sources += answers[i] > 0;
		if (bytes[i] > src_max)
			src_max = bytes[i];
		if (answers[i] > src_max_ans)
			src_max_ans = answers[i];
		sorted[i] = bytes[i];
	}
	qsort(sorted, nsrc, sizeof(*sorted), cmp_ull);
	req_ip = (double)(count - (long)sendfail) * (double)(size + IPUDP_HDR);
	ans_ip = (double)tot_bytes + (double)tot_ans * IPUDP_HDR;
	printf("UDP sent=%lld sendfail=%llu req_bytes=%llu nsrc=%u "
	    "answers=%llu ans_bytes=%llu sources_answered=%u "
	    "src_max_bytes=%llu src_median_bytes=%llu src_max_answers=%llu "
	    "amp_answered=%.2f amp_total=%.2f dur_s=%.3f\n",
	    (long long)count - (long long)sendfail, sendfail,
	    (unsigned long long)(count - (long)sendfail) * size, nsrc,
	    tot_ans, tot_bytes, sources, src_max, sorted[nsrc / 2],
	    src_max_ans,
	    tot_ans ? ans_ip / ((double)tot_ans * (double)(size + IPUDP_HDR)) :
	    0.0, req_ip > 0 ? ans_ip / req_ip : 0.0,
	    (double)(now_ns() - t0) / 1e9);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: attack -m hold  -p PORT -c CONNS -d SECONDS [-a ADDR]\n"
	    "              [-S FIRST_SRC] [-n NSRC] [-b BYTE]\n"
	    "       attack -m flood -p PORT -c INFLIGHT -d SECONDS [-a ADDR]\n"
	    "              [-S FIRST_SRC] [-n NSRC] [-b BYTE] [-r PER_SECOND]\n"
	    "       attack -m udp   -p PORT -N DATAGRAMS [-a ADDR]\n"
	    "              [-S FIRST_SRC] [-n NSRC] [-r PER_SECOND] [-s BYTES]\n"
	    "              [-w QUIET_MS]\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	const char *addr = "127.0.0.1", *first = "127.0.1.1", *mode = NULL;
	struct in_addr ia;
	double dur = 0, rate = -1;
	long count = 10000;
	size_t size = 0;
	int ch, conc = 0, port = 0, quiet_ms = 500;

	while ((ch = getopt(argc, argv, "a:b:c:d:m:n:N:p:r:s:S:w:")) != -1) {
		switch (ch) {
		case 'a': addr = optarg; break;
		case 'b': byte = optarg[0]; break;
		case 'c': conc = atoi(optarg); break;
		case 'd': dur = atof(optarg); break;
		case 'm': mode = optarg; break;
		case 'n': nsrc = (unsigned)atoi(optarg); break;
		case 'N': count = atol(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 'r': rate = atof(optarg); break;
		case 's': size = (size_t)atol(optarg); break;
		case 'S': first = optarg; break;
		case 'w': quiet_ms = atoi(optarg); break;
		default: usage();
		}
	}
	if (mode == NULL || port <= 0 || port > 65535 || nsrc < 1 ||
	    nsrc > 65536 || inet_pton(AF_INET, first, &ia) != 1)
		usage();
	src_first = ntohl(ia.s_addr);
	if ((src_first >> 24) != 127 || ((src_first + nsrc - 1) >> 24) != 127) {
		fprintf(stderr, "attack: source addresses %s + %u leave "
		    "127.0.0.0/8: loopback only\n", first, nsrc);
		return 64;
	}
	memset(&dst, 0, sizeof(dst));
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, addr, &dst.sin_addr) != 1 ||
	    (ntohl(dst.sin_addr.s_addr) >> 24) != 127) {
		fprintf(stderr, "attack: %s: not a loopback address\n", addr);
		return 64;
	}
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(mode, "hold") == 0 && conc > 0 && dur > 0)
		return run_hold(conc, dur);
	if (strcmp(mode, "flood") == 0 && conc > 0 && dur > 0)
		return run_flood(conc, dur, rate > 0 ? rate : 0);
	if (strcmp(mode, "udp") == 0 && count > 0 && size <= 65507)
		return run_udp(count, rate < 0 ? 5000 : rate, size, quiet_ms);
	usage();
	return 64;
}
