/*
 * net.c - loopback clients for the integration tests.  Sockets are
 * close-on-exec so a daemon started later never inherits one, and every
 * wait is bounded: a connect or a read that hangs fails the test instead of
 * hanging it.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net.h"

/* net_now_ms - a monotonic clock in milliseconds, for deadlines. */
static int64_t
net_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * net_sockaddr - fill ss from a numeric host ("127.0.0.1", "::1", "[::1]")
 * and a port; 0, or -1 with EINVAL.
 */
static int
net_sockaddr(const char *host, int port, struct sockaddr_storage *ss,
    socklen_t *len)
{
	char buf[INET6_ADDRSTRLEN + 2];
	size_t n;

	memset(ss, 0, sizeof(*ss));
	n = strlen(host);
	if (n >= sizeof(buf) || port < 0 || port > 65535) {
		errno = EINVAL;
		return -1;
	}
	if (host[0] == '[' && n > 2 && host[n - 1] == ']') {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
	} else
		memcpy(buf, host, n + 1);
	if (strchr(buf, ':') != NULL) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1)
			goto bad;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, buf, &sin->sin_addr) != 1)
			goto bad;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		*len = sizeof(*sin);
	}
	return 0;
bad:
	errno = EINVAL;
	return -1;
}

/* net_timeouts - bound every blocking call on fd by ms milliseconds. */
static int
net_timeouts(int fd, int ms)
{
	struct timeval tv;

	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return -1;
	return 0;
}

/* net_close - close fd keeping the errno of the failure being reported. */
static void
net_close(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
}

/*
 * net_connect - a socket of type to host:port, connected, with 5 s send
 * and receive timeouts (set before connect, which Linux also bounds by
 * them for TCP).
 */
static int
net_connect(const char *host, int port, int type)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (net_sockaddr(host, port, &ss, &len) < 0)
		return -1;
	fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (net_timeouts(fd, PF_NET_TIMEOUT_MS) < 0 ||
	    connect(fd, (struct sockaddr *)&ss, len) < 0) {
		if (errno == EINPROGRESS)
			errno = ETIMEDOUT;
		net_close(fd);
		return -1;
	}
	return fd;
}

/* pf_tcp_connect - a connected TCP socket to host:port (net_connect). */
int
pf_tcp_connect(const char *host, int port)
{
	return net_connect(host, port, SOCK_STREAM);
}

/*
 * pf_tcp_listen - a listening TCP socket on host:*port (0: any port, and
 * *port is set to the one bound).  No SO_REUSEADDR: the point is usually to
 * hold a port that something else then fails to bind.
 */
int
pf_tcp_listen(const char *host, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	if (net_sockaddr(host, *port, &ss, &len) < 0)
		return -1;
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 16) < 0)
		goto fail;
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		goto fail;
	*port = ntohs(ss.ss_family == AF_INET6 ?
	    ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
fail:
	net_close(fd);
	return -1;
}

/*
 * pf_free_port - a port free over both TCP and UDP on 127.0.0.1 when
 * asked (nothing holds it after): for configurations that name their
 * ports, as imported inetd.conf and xinetd files do.  -1 if none found.
 */
int
pf_free_port(void)
{
	struct sockaddr_in sin;
	int port, tries, fd, ufd;

	for (tries = 0; tries < 100; tries++) {
		port = 0;
		if ((fd = pf_tcp_listen("127.0.0.1", &port)) < 0)
			return -1;
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ufd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (ufd >= 0 && bind(ufd, (struct sockaddr *)&sin,
		    sizeof(sin)) == 0) {
			net_close(ufd);
			net_close(fd);
			return port;
		}
		if (ufd >= 0)
			net_close(ufd);
		net_close(fd);
	}
	return -1;
}

/*
 * pf_udp_socket - a UDP socket connected to host:port, so that only that
 * peer's datagrams are received and an ICMP port unreachable shows up as
 * ECONNREFUSED on the next recv.
 */
int
pf_udp_socket(const char *host, int port)
{
	return net_connect(host, port, SOCK_DGRAM);
}

/*
 * pf_udp_request - send one datagram and wait up to timeout_ms for one
 * reply: its length (0 is a valid empty reply), or -1 with ETIMEDOUT when
 * none came, or another errno.
 */
ssize_t
pf_udp_request(const char *host, int port, const void *data, size_t len,
    void *reply, size_t replymax, int timeout_ms)
{
	struct pollfd pfd;
	ssize_t n;
	int fd, r;

	fd = pf_udp_socket(host, port);
	if (fd < 0)
		return -1;
	if (send(fd, data, len, 0) != (ssize_t)len) {
		net_close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		if (r == 0)
			errno = ETIMEDOUT;
		net_close(fd);
		return -1;
	}
	n = recv(fd, reply, replymax, MSG_DONTWAIT);
	net_close(fd);
	return n;
}

/* net_unix_addr - fill sun with path; -1 with ENAMETOOLONG if it won't fit. */
static int
net_unix_addr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

/* pf_unix_connect - a stream socket connected to the unix socket at path. */
int
pf_unix_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	if (net_unix_addr(path, &sun) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (net_timeouts(fd, PF_NET_TIMEOUT_MS) < 0 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		net_close(fd);
		return -1;
	}
	return fd;
}

/* pf_unix_listen - a listening stream socket bound at path. */
int
pf_unix_listen(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	if (net_unix_addr(path, &sun) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, 16) < 0) {
		net_close(fd);
		return -1;
	}
	return fd;
}

/* pf_write_all - all of buf, each write bounded by the socket's timeout. */
int
pf_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				errno = ETIMEDOUT;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * net_read - read into buf until it holds max bytes, or EOF, or timeout_ms
 * pass.  The count read when anything came (the caller compares it with
 * what it wanted); 0 on EOF with nothing read; -1 with ETIMEDOUT, or the
 * read's errno (ECONNRESET...), when nothing came.
 */
static ssize_t
net_read(int fd, void *buf, size_t max, int timeout_ms)
{
	int64_t deadline = net_now_ms() + timeout_ms;
	struct pollfd pfd;
	size_t got = 0;
	ssize_t n;
	int r, left;

	while (got < max) {
		left = (int)(deadline - net_now_ms());
		if (left < 0)
			left = 0;
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (r == 0) {
			errno = ETIMEDOUT;
			goto fail;
		}
		n = recv(fd, (char *)buf + got, max - got, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
fail:
	return got > 0 ? (ssize_t)got : -1;
}

/* pf_read_n - read exactly n bytes (fewer on EOF, timeout or error). */
ssize_t
pf_read_n(int fd, void *buf, size_t n, int timeout_ms)
{
	return net_read(fd, buf, n, timeout_ms);
}

/* pf_read_all - read until EOF (or max bytes, or timeout, or error). */
ssize_t
pf_read_all(int fd, void *buf, size_t max, int timeout_ms)
{
	return net_read(fd, buf, max, timeout_ms);
}

/*
 * pf_echo_fd - write msg on a connection to an echo service and read it
 * back: 1 when the same bytes came back within the timeout, else 0.
 */
int
pf_echo_fd(int fd, const char *msg)
{
	size_t len = strlen(msg);
	char buf[4096];
	ssize_t n;

	if (len > sizeof(buf) || pf_write_all(fd, msg, len) < 0)
		return 0;
	n = pf_read_n(fd, buf, len, PF_NET_TIMEOUT_MS);
	return n == (ssize_t)len && memcmp(buf, msg, len) == 0;
}

/* pf_echo_tcp - one connection to echo at host:port, one round trip. */
int
pf_echo_tcp(const char *host, int port, const char *msg)
{
	int fd, r;

	fd = pf_tcp_connect(host, port);
	if (fd < 0)
		return 0;
	r = pf_echo_fd(fd, msg);
	close(fd);
	return r;
}

/* pf_ipv6_works - 1 when a socket can be bound on [::1], so IPv6 tests run. */
int
pf_ipv6_works(void)
{
	int port = 0;
	int fd;

	fd = pf_tcp_listen("::1", &port);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* pf_local_port - the local port of socket fd (getsockname), or -1. */
int
pf_local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	errno = EAFNOSUPPORT;
	return -1;
}

/*
 * pf_wait_eof - wait up to timeout_ms for the peer to end the connection,
 * discarding what it sends: 0 on EOF, -1 with errno (ECONNRESET...) when
 * the connection failed, or ETIMEDOUT when it was still open.
 */
int
pf_wait_eof(int fd, int timeout_ms)
{
	int64_t deadline = net_now_ms() + timeout_ms;
	struct pollfd pfd;
	char buf[4096];
	ssize_t n;
	int r, left;

	for (;;) {
		left = (int)(deadline - net_now_ms());
		if (left < 0)
			left = 0;
		pfd.fd = fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		r = poll(&pfd, 1, left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR && errno != EAGAIN &&
		    errno != EWOULDBLOCK)
			return -1;
	}
}
