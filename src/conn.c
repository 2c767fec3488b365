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
#include <poll.h>
#include <unistd.h>

#include "handler.h"

/* Workers ignore SIGPIPE too; where it exists, do not rely on that alone. */
#ifdef MSG_NOSIGNAL
#define CONN_SEND_FLAGS	MSG_NOSIGNAL
#else
#define CONN_SEND_FLAGS	0
#endif

static int	conn_wait(int, short);

/*
 * Wait until fd can be read or written.  Blocking sockets never get here;
 * a non-blocking one does (on the BSDs an accepted socket inherits
 * O_NONBLOCK from its listener).
 *
 * io_timeout (a later issue) is to be enforced here: conn_read and
 * conn_write will call this before every read and write, poll with the
 * service's io_timeout instead of -1, and fail with ETIMEDOUT.
 */
static int
conn_wait(int fd, short events)
{
	struct pollfd	pfd;

	pfd.fd = fd;
	pfd.events = events;
	pfd.revents = 0;
	for (;;) {
		if (poll(&pfd, 1, -1) != -1)
			return (0);
		if (errno != EINTR)
			return (-1);
	}
}

/* Read up to len bytes: the count, 0 at end of file, -1 with errno. */
ssize_t
conn_read(struct conn *c, void *buf, size_t len)
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
			if (conn_wait(c->fd, POLLIN) == -1)
				return (-1);
			continue;
		}
		return (-1);
	}
}

/*
 * Write all of buf: 0, or -1 with errno (EPIPE or ECONNRESET when the
 * client went away).  send() keeps SIGPIPE away on sockets; any other fd
 * (a pipe, a terminal) falls back to write().
 */
int
conn_write(struct conn *c, const void *buf, size_t len)
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
				if (conn_wait(c->fd, POLLOUT) == -1)
					return (-1);
				continue;
			}
			return (-1);
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
conn_sendto(struct conn *c, const void *buf, size_t len)
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
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			if (conn_wait(c->fd, POLLOUT) == -1)
				return (-1);
			continue;
		}
		return (-1);
	}
	c->bytes_out += (uint64_t)n;
	return (0);
}
