/*
 * daytime.c - the daytime service of RFC 867: the local date and time as
 * one line of text, in the ctime() form that inetd and xinetd send.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>

#include <stddef.h>
#include <time.h>

#include "handler.h"
#include "builtin.h"

static void	daytime_stream(struct preforkd_conn *);
static void	daytime_datagram(struct preforkd_conn *, const unsigned char *,
		    size_t);

const struct preforkd_module handler_daytime = {
	PREFORKD_MODULE_INIT,
	.name = "daytime",
	.worker_start = NULL,
	.serve_stream = daytime_stream,
	.serve_datagram = daytime_datagram,
	.worker_stop = NULL,
};

/*
 * Format t as DAYTIME_FORMAT in local time into buf: the length (CRLF
 * included, NUL not), or 0 if it does not fit or t cannot be converted.
 */
size_t
daytime_format(char *buf, size_t len, time_t t)
{
	struct tm	tm;

	if (len == 0)
		return (0);
	buf[0] = '\0';
	if (localtime_r(&t, &tm) == NULL)
		return (0);
	return (strftime(buf, len, DAYTIME_FORMAT, &tm));
}

static void
daytime_stream(struct preforkd_conn *c)
{
	char	buf[DAYTIME_MAX];
	size_t	n;

	if ((n = daytime_format(buf, sizeof(buf), time(NULL))) > 0)
		(void)conn_write(c, buf, n);
}

/* Any datagram, even an empty one, asks for the time. */
static void
daytime_datagram(struct preforkd_conn *c, const unsigned char *data,
    size_t len)
{
	char	buf[DAYTIME_MAX];
	size_t	n;

	(void)data;
	(void)len;
	if (handler_dgram_refuse(c))
		return;
	if ((n = daytime_format(buf, sizeof(buf), time(NULL))) > 0)
		(void)conn_sendto(c, buf, n);
}
