/*
 * chargen.c - the character generator service of RFC 864: the rotating
 * 72-character lines of printable ASCII, endlessly on a stream, one
 * random-length burst per datagram.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "handler.h"
#include "builtin.h"

/* As many whole lines as fit in 16 KiB: one write each. */
#define CHARGEN_BATCH	((16384 / CHARGEN_LINE_LEN) * CHARGEN_LINE_LEN)

static int	chargen_worker_start(const struct preforkd_service *);
static void	chargen_stream(struct preforkd_conn *);
static void	chargen_datagram(struct preforkd_conn *, const unsigned char *,
		    size_t);
static void	chargen_seed(void);

const struct preforkd_module handler_chargen = {
	PREFORKD_MODULE_INIT,
	.name = "chargen",
	.worker_start = chargen_worker_start,
	.serve_stream = chargen_stream,
	.serve_datagram = chargen_datagram,
	.worker_stop = NULL,
};

/* xorshift64* state; never 0 once seeded.  Per process, so per worker. */
static uint64_t	chargen_rng;

/*
 * Fill buf with len bytes of the endless chargen stream, from position
 * *offset of its 95-line cycle (0 is the start of line 1), and move
 * *offset past them: consecutive calls continue the rotation exactly,
 * whatever the lengths.  Line n (from 0) holds characters n+1 ... n+72 of
 * the 95 printable ones (' ' is number 0), modulo 95, then CRLF.
 */
void
chargen_fill(unsigned char *buf, size_t len, size_t *offset)
{
	size_t	off, line, col, ch, n, i;

	off = *offset % CHARGEN_CYCLE;
	while (len > 0) {
		line = off / CHARGEN_LINE_LEN;
		col = off % CHARGEN_LINE_LEN;
		if (col < CHARGEN_LINE_CHARS) {
			n = CHARGEN_LINE_CHARS - col;
			if (n > len)
				n = len;
			ch = (line + 1 + col) % CHARGEN_NCHARS;
			for (i = 0; i < n; i++) {
				*buf++ = (unsigned char)(' ' + ch);
				if (++ch == CHARGEN_NCHARS)
					ch = 0;
			}
		} else {
			n = 1;
			*buf++ = col == CHARGEN_LINE_CHARS ? '\r' : '\n';
		}
		len -= n;
		off += n;
		if (off == CHARGEN_CYCLE)
			off = 0;
	}
	*offset = off;
}

/*
 * Seed from the pid and the clock, so that workers forked from the same
 * master do not all answer with the same lengths.
 */
static void
chargen_seed(void)
{
	struct timespec	ts;
	uint64_t	z;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	z = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_sec ^
	    ((uint64_t)ts.tv_nsec << 16);
	/* splitmix64, to spread the few bits that differ. */
	z += UINT64_C(0x9e3779b97f4a7c15);
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	z ^= z >> 31;
	chargen_rng = z != 0 ? z : 1;
}

/* The length of a datagram reply: 0 to CHARGEN_DGRAM_MAX, both included. */
size_t
chargen_dgram_len(void)
{
	uint64_t	x;

	if (chargen_rng == 0)
		chargen_seed();
	x = chargen_rng;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	chargen_rng = x;
	x *= UINT64_C(0x2545f4914f6cdd1d);
	return ((size_t)((x >> 32) % (CHARGEN_DGRAM_MAX + 1)));
}

static int
chargen_worker_start(const struct preforkd_service *svc)
{
	(void)svc;
	chargen_seed();
	return (0);
}

/*
 * Until a write fails, that is until the client closes.  What the client
 * sends is never read: it may fill the socket buffer and block the
 * client, which is its own doing, and costs the worker nothing.
 */
static void
chargen_stream(struct preforkd_conn *c)
{
	unsigned char	buf[CHARGEN_BATCH];
	size_t		offset = 0;

	for (;;) {
		chargen_fill(buf, sizeof(buf), &offset);
		if (conn_write(c, buf, sizeof(buf)) == -1)
			return;
	}
}

/* Each reply starts at line 1; the request's content does not matter. */
static void
chargen_datagram(struct preforkd_conn *c, const unsigned char *data,
    size_t len)
{
	unsigned char	buf[CHARGEN_DGRAM_MAX];
	size_t		offset = 0, n;

	(void)data;
	(void)len;
	if (handler_dgram_refuse(c))
		return;
	n = chargen_dgram_len();
	chargen_fill(buf, n, &offset);
	(void)conn_sendto(c, buf, n);
}
