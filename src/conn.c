/*
 * conn.c - a connection as handlers and modules reach it: the accessor
 * table of module ABI 2 (preforkd-module(3)), whose reads and writes are
 * the only way a handler talks to a client: they retry on EINTR (unless
 * the master has cut the client to free a full pool: shed.c), never raise
 * SIGPIPE, and count the bytes for the logs and for the master, which
 * watches them to see who is silent.  Also where the public
 * constants of preforkd/module.h are checked against their internal twins.
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
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "conn.h"

/*
 * The public constants are the internal values, handed through without
 * translation: a change to either side must fail the build, not a module.
 */
_Static_assert(PREFORKD_PROTO_TCP == PROTO_TCP, "PREFORKD_PROTO_TCP");
_Static_assert(PREFORKD_PROTO_UDP == PROTO_UDP, "PREFORKD_PROTO_UDP");
_Static_assert(PREFORKD_PROTO_UNIX == PROTO_UNIX, "PREFORKD_PROTO_UNIX");
_Static_assert(PREFORKD_END_CLOSED == CONN_CLOSED, "PREFORKD_END_CLOSED");
_Static_assert(PREFORKD_END_TIMEOUT == CONN_TIMEOUT, "PREFORKD_END_TIMEOUT");
_Static_assert(PREFORKD_END_RESET == CONN_RESET, "PREFORKD_END_RESET");
_Static_assert(PREFORKD_END_ERROR == CONN_ERROR, "PREFORKD_END_ERROR");
_Static_assert(PREFORKD_LOG_ERROR == LL_ERROR, "PREFORKD_LOG_ERROR");
_Static_assert(PREFORKD_LOG_WARNING == LL_WARNING, "PREFORKD_LOG_WARNING");
_Static_assert(PREFORKD_LOG_NOTICE == LL_NOTICE, "PREFORKD_LOG_NOTICE");
_Static_assert(PREFORKD_LOG_INFO == LL_INFO, "PREFORKD_LOG_INFO");
_Static_assert(PREFORKD_LOG_DEBUG == LL_DEBUG, "PREFORKD_LOG_DEBUG");
_Static_assert(PREFORKD_DGRAM_MAX == DGRAM_MAX, "PREFORKD_DGRAM_MAX");
_Static_assert(PREFORKD_ADDR_TEXT_MAX == ADDR_TEXT_MAX,
    "PREFORKD_ADDR_TEXT_MAX");
/* The one thing the ABI says of a connection's layout. */
_Static_assert(offsetof(struct preforkd_conn, api) == 0,
    "a connection begins with its accessor table");

/* Workers ignore SIGPIPE too; where it exists, do not rely on that alone. */
#ifdef MSG_NOSIGNAL
#define CONN_SEND_FLAGS	MSG_NOSIGNAL
#else
#define CONN_SEND_FLAGS	0
#endif

/*
 * conn_wait - after EAGAIN: wait until fd can be read or written, for at
 * most io_timeout, or, for a connection served in slices (c->slice_ms: a
 * service on guard), a slice at a time, asking shed_slice() after each
 * whether to go on.  An accepted socket is blocking and inherited its
 * listener's SO_RCVTIMEO/SO_SNDTIMEO (listen.c), or was given the slice
 * (worker.c), so for it EAGAIN already means the time is up; only a
 * non-blocking descriptor (on the BSDs an accepted socket may be one, as
 * are the tests' socketpairs) polls here.  0 when ready (or to try
 * again), -1 with errno (ETIMEDOUT when the time is up).
 */
static int
conn_wait(struct preforkd_conn *c, short events)
{
	struct pollfd	pfd;
	int		flags, n, ms;

	flags = fcntl(c->fd, F_GETFL);
	if (flags != -1 && (flags & O_NONBLOCK) == 0) {
		if (c->slice_ms > 0)
			return (shed_slice(c) ? 0 : -1);
		errno = ETIMEDOUT;
		return (-1);
	}
	pfd.fd = c->fd;
	pfd.events = events;
	pfd.revents = 0;
	ms = c->slice_ms > 0 ? c->slice_ms : c->io_timeout_ms;
	for (;;) {
		n = poll(&pfd, 1, ms > 0 ? ms : -1);
		if (n > 0)
			return (0);
		if (n == 0) {
			if (c->slice_ms > 0)
				return (shed_slice(c) ? 0 : -1);
			errno = ETIMEDOUT;
			return (-1);
		}
		if (errno != EINTR || shed_cut())
			return (-1);
	}
}

/*
 * conn_fail - note how the connection ended from errno; returns -1.  One
 * the master cut to free a full pool (shed.c) ended "shed", whatever the
 * error it caused, and fails with ECONNABORTED.
 */
static int
conn_fail(struct preforkd_conn *c)
{
	if (shed_cut()) {
		c->end = CONN_SHED;
		errno = ECONNABORTED;
	} else if (errno == ETIMEDOUT)
		c->end = CONN_TIMEOUT;
	else if (errno == ECONNRESET || errno == EPIPE)
		c->end = CONN_RESET;
	else
		c->end = CONN_ERROR;
	return (-1);
}

/*
 * conn_addrs - c's two ends as a log line shows them: local, and remote,
 * followed by " via BALANCER" when via is set and a PROXY header named
 * the client (remote then holds CONN_REMOTE_TEXT_MAX).
 */
void
conn_addrs(const struct preforkd_conn *c, int via, char *local,
    char *remote)
{
	size_t n;

	addr_sockaddr_format((const struct sockaddr *)&c->local, c->locallen,
	    local, ADDR_TEXT_MAX);
	addr_sockaddr_format((const struct sockaddr *)&c->remote, c->remotelen,
	    remote, ADDR_TEXT_MAX);
	if (via && c->vialen > 0) {
		n = strlen(remote);
		memcpy(remote + n, " via ", 5);
		addr_sockaddr_format((const struct sockaddr *)&c->via,
		    c->vialen, remote + n + 5, ADDR_TEXT_MAX);
	}
}

/*
 * conn_end_name - "closed", "timeout", "reset" or "error"; for admission
 * control's, "denied", "limited", "rate_limited" or "shed"; for the
 * PROXY header's, "proxy_error".
 */
const char *
conn_end_name(int end)
{
	static const char *const names[] = {
		"closed", "timeout", "reset", "error", "denied", "limited",
		"rate_limited", "shed", "proxy_error",
	};

	if (end < CONN_CLOSED || end > CONN_PROXY_ERROR)
		return ("error");
	return (names[end]);
}

/* Read up to len bytes: the count, 0 at end of file, -1 with errno. */
PF_HOT ssize_t
conn_read(struct preforkd_conn *c, void *buf, size_t len)
{
	ssize_t	n;

	for (;;) {
		n = read(c->fd, buf, len);
		if (n >= 0) {
			c->silent_ms = 0;
			c->bytes_in += (uint64_t)n;
			if (c->moved != NULL)
				*c->moved = c->bytes_in + c->bytes_out;
			return (n);
		}
		/* A signal: again, unless it was the master cutting us. */
		if (errno == EINTR && !shed_cut())
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
PF_HOT int
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
			if (errno == EINTR && !shed_cut())
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
		c->silent_ms = 0;
		c->bytes_out += (uint64_t)n;
		if (c->moved != NULL)
			*c->moved = c->bytes_in + c->bytes_out;
	}
	return (0);
}

/*
 * Send one datagram to the client that sent the request; remotelen 0
 * means the socket is connected (a socketpair in the tests): send() to
 * its peer.  A datagram taken in a batch has its reply queued instead,
 * to leave with the batch's (batch.c).  0, or -1 with errno (ENOBUFS,
 * not sent, when the reply is over max_reply_bytes_per_source).
 */
PF_HOT int
conn_sendto(struct preforkd_conn *c, const void *buf, size_t len)
{
	ssize_t	n;

	/* A source over its budget of reply bytes gets none (admit.c). */
	if (admit_reply(c, len) == -1) {
		errno = ENOBUFS;
		return (-1);
	}
	if (c->batched) {
		/* One of a batch: sent with the others (batch.c). */
		if (batch_reply(c->fd, (const struct sockaddr *)&c->remote,
		    c->remotelen, buf, len) == -1)
			return (-1);
		c->bytes_out += (uint64_t)len;
		return (0);
	}
	for (;;) {
		if (c->remotelen == 0)
			n = send(c->fd, buf, len, DGRAM_SEND_FLAGS);
		else
			n = sendto(c->fd, buf, len, DGRAM_SEND_FLAGS,
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

/*
 * conn_exec_status - the wait status of the program the exec handler ran
 * for c, for the access log's status= or signal=.
 */
void
conn_exec_status(struct preforkd_conn *c, int status)
{
	c->exec_status = status;
}

/*
 * conn_exec_bytes - what the program the exec handler ran for c exchanged
 * with the client, which preforkd did not see go by: the kernel's counts
 * (tcpbytes.c), or, when known is 0, not known ("-" in the access log).
 */
void
conn_exec_bytes(struct preforkd_conn *c, int known, uint64_t in,
    uint64_t out)
{
	c->bytes_in = known ? in : CONN_BYTES_UNKNOWN;
	c->bytes_out = known ? out : CONN_BYTES_UNKNOWN;
}

/*
 * conn_close - close the client's socket now, before the handler returns:
 * the exec handler's program holds it, and the client must see the end
 * of the stream when the program closes its copy.
 */
void
conn_close(struct preforkd_conn *c)
{
	shed_forget_fd();
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
}

/* ------------------------------------------------------------- accessors */

static int
conn_fd(const struct preforkd_conn *c)
{
	return c->fd;
}

static int
conn_proto(const struct preforkd_conn *c)
{
	return c->proto;
}

/* conn_local - the address the client reached: through a balancer,
   the one its PROXY header names when it names one. */
static const struct sockaddr *
conn_local(const struct preforkd_conn *c, socklen_t *len)
{
	if (c->reachedlen > 0) {
		*len = c->reachedlen;
		return (const struct sockaddr *)&c->reached;
	}
	*len = c->locallen;
	return (const struct sockaddr *)&c->local;
}

static const struct sockaddr *
conn_remote(const struct preforkd_conn *c, socklen_t *len)
{
	*len = c->remotelen;
	return (const struct sockaddr *)&c->remote;
}

/* conn_via - the balancer that sent the PROXY header, NULL when none. */
static const struct sockaddr *
conn_via(const struct preforkd_conn *c, socklen_t *len)
{
	*len = c->vialen;
	return c->vialen > 0 ? (const struct sockaddr *)&c->via : NULL;
}

static const struct preforkd_service *
conn_service(const struct preforkd_conn *c)
{
	return c->service;
}

static int64_t
conn_started(const struct preforkd_conn *c)
{
	return c->started;
}

/* conn_set_end - how the handler says it ended; an unknown end: an error. */
static void
conn_set_end(struct preforkd_conn *c, int end)
{
	c->end = end >= CONN_CLOSED && end <= CONN_ERROR ? end : CONN_ERROR;
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

/*
 * conn_report_group - the process group of this worker's descendants,
 * for the master's hung-worker kill (worker.c publishes it).  Only a
 * group that has a leader can be checked by the master (proc.c), so only
 * such a group is taken: EINVAL for anything else, ESRCH when no process
 * has that id.
 */
static int
conn_report_group(struct preforkd_conn *c, pid_t pgid)
{
	pid_t g;

	(void)c;
	if (pgid < 0 || pgid == 1) {
		errno = EINVAL;
		return -1;
	}
	if (pgid > 0) {
		if ((g = getpgid(pgid)) == -1)
			return -1;
		if (g != pgid) {
			errno = EINVAL;
			return -1;
		}
	}
	return worker_report_group(pgid);
}

/* What handlers and modules reach preforkd through (preforkd-module(3)). */
const struct preforkd_api conn_api = {
	.size = sizeof(struct preforkd_api),
	.abi_minor = PREFORKD_MODULE_ABI_MINOR,
	/* 2.0 */
	.fd = conn_fd,
	.proto = conn_proto,
	.local = conn_local,
	.remote = conn_remote,
	.service = conn_service,
	.started = conn_started,
	.read = conn_read,
	.write = conn_write,
	.reply = conn_sendto,
	.set_end = conn_set_end,
	.log = conn_log,
	.format_addr = addr_sockaddr_format,
	/* 2.1 */
	.report_group = conn_report_group,
	/* 2.2 */
	.via = conn_via,
};
