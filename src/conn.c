/*
 * conn.c - the only way handlers read from and write to a client: retries
 * on EINTR, never raises SIGPIPE, and counts the bytes for the logs.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <unistd.h>

#include "handler.h"

/* Workers ignore SIGPIPE too; where it exists, do not rely on that alone. */
#ifdef MSG_NOSIGNAL
#define CONN_SEND_FLAGS	MSG_NOSIGNAL
#else
#define CONN_SEND_FLAGS	0
#endif

/*
 * conn_wait - after EAGAIN: wait until fd can be read or written, for at
 * most io_timeout.  An accepted socket is blocking and inherited its
 * listener's SO_RCVTIMEO/SO_SNDTIMEO (listen.c), so for it EAGAIN already
 * means io_timeout has passed; only a non-blocking descriptor (on the BSDs
 * an accepted socket may be one, as are the tests' socketpairs) polls here.
 * 0 when ready, -1 with errno (ETIMEDOUT when the time is up).
 */
static int
conn_wait(const struct preforkd_conn *c, short events)
{
	struct pollfd	pfd;
	int		flags, n;

	flags = fcntl(c->fd, F_GETFL);
	if (flags != -1 && (flags & O_NONBLOCK) == 0) {
		errno = ETIMEDOUT;
		return (-1);
	}
	pfd.fd = c->fd;
	pfd.events = events;
	pfd.revents = 0;
	for (;;) {
		n = poll(&pfd, 1, c->io_timeout_ms > 0 ? c->io_timeout_ms : -1);
		if (n > 0)
			return (0);
		if (n == 0) {
			errno = ETIMEDOUT;
			return (-1);
		}
		if (errno != EINTR)
			return (-1);
	}
}

/* conn_fail - note how the connection ended from errno; returns -1. */
static int
conn_fail(struct preforkd_conn *c)
{
	if (errno == ETIMEDOUT)
		c->end = CONN_TIMEOUT;
	else if (errno == ECONNRESET || errno == EPIPE)
		c->end = CONN_RESET;
	else
		c->end = CONN_ERROR;
	return (-1);
}

/* conn_end_name - "closed", "timeout", "reset" or "error". */
const char *
conn_end_name(int end)
{
	static const char *const names[] = {
		"closed", "timeout", "reset", "error",
	};

	if (end < CONN_CLOSED || end > CONN_ERROR)
		return ("error");
	return (names[end]);
}

/* Read up to len bytes: the count, 0 at end of file, -1 with errno. */
ssize_t
conn_read(struct preforkd_conn *c, void *buf, size_t len)
{
	ssize_t	n;

	for (;;) {
		n = read(c->fd, buf, len);
		if (n >= 0) {
			c->bytes_in += (uint64_t)n;
			return (n);
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (conn_wait(c, POLLIN) == -1)
				return (conn_fail(c));
			continue;
		}
		return (conn_fail(c));
	}
}

/*
 * Write all of buf: 0, or -1 with errno (EPIPE or ECONNRESET when the
 * client went away).  send() keeps SIGPIPE away on sockets; any other fd
 * (a pipe, a terminal) falls back to write().
 */
int
conn_write(struct preforkd_conn *c, const void *buf, size_t len)
{
	const unsigned char	*p = buf;
	ssize_t			 n;
	int			 sock = 1;

	while (len > 0) {
		if (sock) {
			n = send(c->fd, p, len, CONN_SEND_FLAGS);
			if (n == -1 && errno == ENOTSOCK) {
				sock = 0;
				continue;
			}
		} else
			n = write(c->fd, p, len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (conn_wait(c, POLLOUT) == -1)
					return (conn_fail(c));
				continue;
			}
			return (conn_fail(c));
		}
		p += n;
		len -= (size_t)n;
		c->bytes_out += (uint64_t)n;
	}
	return (0);
}

/*
 * Send one datagram to the client that sent the request; remotelen 0
 * means the socket is connected (a socketpair in the tests): send() to
 * its peer.  0, or -1 with errno.
 */
int
conn_sendto(struct preforkd_conn *c, const void *buf, size_t len)
{
	ssize_t	n;

	for (;;) {
		if (c->remotelen == 0)
			n = send(c->fd, buf, len, CONN_SEND_FLAGS);
		else
			n = sendto(c->fd, buf, len, CONN_SEND_FLAGS,
			    (const struct sockaddr *)&c->remote, c->remotelen);
		if (n != -1)
			break;
		if (errno == EINTR)
			continue;
		/* A full socket buffer drops the reply, as UDP would. */
		return (-1);
	}
	c->bytes_out += (uint64_t)n;
	return (0);
}

/* conn_log - the api's logger: the error log, tagged as this worker. */
static void
conn_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level < LL_ERROR)
		level = LL_ERROR;
	if (level > LL_DEBUG)
		level = LL_DEBUG;
	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* What handlers and modules reach preforkd through (preforkd-module(3)). */
const struct preforkd_api conn_api = {
	.read = conn_read,
	.write = conn_write,
	.reply = conn_sendto,
	.log = conn_log,
	.format_addr = addr_sockaddr_format,
};
