/*
 * proxy_read.c - read a connection's PROXY header off its socket, and
 * not one byte more: the payload that follows belongs to the handler.
 * The worker calls it right after accept() on a service with
 * proxy_protocol (worker.c), once the peer is known to be a balancer.
 *
 * How.  Peek (MSG_PEEK) at what has come, ask the parser (proxy.c) how
 * long the header is, then read() exactly that.  While the parser needs
 * more, every byte peeked is a header byte (a v1 line ends at its CRLF,
 * a v2 header at its length field), so those are read too, and the next
 * peek waits in poll() for the rest: no byte-by-byte reads, no busy
 * loop, and never a payload byte taken.  A v2 header with large TLVs is
 * read in as many rounds as it takes, up to 16 + 65535 bytes.  The whole
 * exchange must end by the deadline (proxy_timeout after accept()).
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "proxy.h"

/* The header being read: as large as a v2 header can be.  Untouched
 * pages cost nothing, and only workers of a proxied service touch it. */
static unsigned char proxy_buf[PROXY_V2_MAX];

/* proxy_read_take - read exactly n bytes already queued (peeked): 0 or -1. */
static int
proxy_read_take(int fd, unsigned char *p, size_t n)
{
	ssize_t r;

	while (n > 0) {
		r = read(fd, p, n);
		if (r > 0) {
			p += r;
			n -= (size_t)r;
		} else if (r == 0) {
			errno = ECONNRESET;
			return -1;
		} else if (errno != EINTR)
			return -1;
	}
	return 0;
}

/* proxy_read_want - how much to peek at once have bytes are in. */
static size_t
proxy_read_want(int versions, size_t have)
{
	if (have > 0 && proxy_buf[0] == 'P')
		return PROXY_V1_MAX;
	if (have >= PROXY_V2_FIXED)
		return PROXY_V2_FIXED + ((size_t)proxy_buf[14] << 8 |
		    proxy_buf[15]);
	/* Nothing known yet: the largest header without TLVs, or v1's. */
	return versions == PROXY_V1 ? PROXY_V1_MAX : PROXY_V2_ADDRMAX;
}

/*
 * proxy_read - read the PROXY header of versions (PROXY_V1|PROXY_V2) off
 * fd into *h by deadline (now_ms()): its length, or -1 with what went
 * wrong in why (plain words; errno is not kept).
 */
ssize_t
proxy_read(int fd, int versions, int64_t deadline, struct proxy_header *h,
    char *why, size_t whylen)
{
	struct pollfd pfd;
	const char *bad;
	size_t have = 0, want;
	ssize_t n, r;
	int64_t left;

	for (;;) {
		want = proxy_read_want(versions, have);
		n = recv(fd, proxy_buf + have, want - have,
		    MSG_PEEK | MSG_DONTWAIT);
		if (n > 0) {
			r = proxy_parse(proxy_buf, have + (size_t)n, versions,
			    h, &bad);
			if (r < 0) {
				snprintf(why, whylen, "malformed PROXY header: "
				    "%s", bad);
				return -1;
			}
			/* r == 0: all of it is header; else exactly it. */
			if (r > 0)
				n = r - (ssize_t)have;
			if (proxy_read_take(fd, proxy_buf + have, (size_t)n) ==
			    -1) {
				snprintf(why, whylen, "reading the PROXY "
				    "header: read: %s", strerror(errno));
				return -1;
			}
			have += (size_t)n;
			if (r > 0)
				return r;
			continue;
		}
		if (n == 0) {
			snprintf(why, whylen, "closed after %zu bytes of the "
			    "PROXY header", have);
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(why, whylen, "reading the PROXY header: "
			    "recv: %s", strerror(errno));
			return -1;
		}
		if ((left = deadline - now_ms()) <= 0) {
			snprintf(why, whylen, "no complete PROXY header within "
			    "proxy_timeout (%zu bytes came)", have);
			return -1;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(left > 60000 ? 60000 : left)) == -1 &&
		    errno != EINTR) {
			snprintf(why, whylen, "waiting for the PROXY header: "
			    "poll: %s", strerror(errno));
			return -1;
		}
	}
}
