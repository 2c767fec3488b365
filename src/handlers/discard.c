/*
 * discard.c - the discard service of RFC 863: read everything, answer
 * nothing.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>

#include <stddef.h>

#include "handler.h"
#include "builtin.h"

#define DISCARD_BUFSIZE	16384

static void	discard_stream(struct preforkd_conn *);
static void	discard_datagram(struct preforkd_conn *, const unsigned char *,
		    size_t);

const struct preforkd_module handler_discard = {
	PREFORKD_MODULE_INIT,
	.name = "discard",
	.worker_start = NULL,
	.serve_stream = discard_stream,
	.serve_datagram = discard_datagram,
	.worker_stop = NULL,
};

/* conn_read counts what is dropped, so the log still shows it. */
static void
discard_stream(struct preforkd_conn *c)
{
	unsigned char	buf[DISCARD_BUFSIZE];

	while (conn_read(c, buf, sizeof(buf)) > 0)
		;
}

static void
discard_datagram(struct preforkd_conn *c, const unsigned char *data,
    size_t len)
{
	(void)c;
	(void)data;
	(void)len;
}
