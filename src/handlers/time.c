/*
 * time.c - the time service of RFC 868: the seconds since 1900-01-01
 * 00:00 UTC as a 32-bit big-endian number.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "handler.h"
#include "builtin.h"

static void	time_stream(struct preforkd_conn *);
static void	time_datagram(struct preforkd_conn *, const unsigned char *,
		    size_t);

const struct preforkd_module handler_time = {
	PREFORKD_MODULE_INIT,
	.name = "time",
	.worker_start = NULL,
	.serve_stream = time_stream,
	.serve_datagram = time_datagram,
	.worker_stop = NULL,
};

/*
 * The RFC 868 value of t, modulo 2^32 as the RFC's clients expect: it
 * wraps on 2036-02-07 06:28:16 UTC.  Unsigned arithmetic, so the wrap and
 * times before 1970 are well defined.
 */
uint32_t
time_rfc868(time_t t)
{
	return ((uint32_t)((uint64_t)(int64_t)t + TIME_RFC868_EPOCH));
}

/* Network byte order, whatever the host's. */
void
time_encode(unsigned char out[4], uint32_t v)
{
	out[0] = (unsigned char)(v >> 24);
	out[1] = (unsigned char)(v >> 16);
	out[2] = (unsigned char)(v >> 8);
	out[3] = (unsigned char)v;
}

static void
time_stream(struct preforkd_conn *c)
{
	unsigned char	buf[4];

	time_encode(buf, time_rfc868(time(NULL)));
	(void)conn_write(c, buf, sizeof(buf));
}

/* Any datagram, even an empty one, asks for the time. */
static void
time_datagram(struct preforkd_conn *c, const unsigned char *data,
    size_t len)
{
	unsigned char	buf[4];

	(void)data;
	(void)len;
	if (handler_dgram_refuse(c))
		return;
	time_encode(buf, time_rfc868(time(NULL)));
	(void)conn_sendto(c, buf, sizeof(buf));
}
