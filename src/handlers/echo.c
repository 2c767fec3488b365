/*
 * echo.c - the echo service of RFC 862: every byte or datagram received
 * goes back to its sender.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>

#include <stddef.h>

#include "handler.h"
#include "builtin.h"

#define ECHO_BUFSIZE	16384

static void	echo_stream(struct preforkd_conn *);
static void	echo_datagram(struct preforkd_conn *, const unsigned char *,
		    size_t);

const struct preforkd_module handler_echo = {
	PREFORKD_MODULE_INIT,
	.name = "echo",
	.worker_start = NULL,
	.serve_stream = echo_stream,
	.serve_datagram = echo_datagram,
	.worker_stop = NULL,
};

/* Until the client closes its side, or stops taking what it sent. */
PF_HOT static void
echo_stream(struct preforkd_conn *c)
{
	unsigned char	buf[ECHO_BUFSIZE];
	ssize_t		n;

	while ((n = conn_read(c, buf, sizeof(buf))) > 0)
		if (conn_write(c, buf, (size_t)n) == -1)
			return;
}

PF_HOT static void
echo_datagram(struct preforkd_conn *c, const unsigned char *data,
    size_t len)
{
	if (handler_dgram_refuse(c))
		return;
	(void)conn_sendto(c, data, len);
}
