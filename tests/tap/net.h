/*
 * net.h - loopback clients for preforkd's integration tests: TCP, UDP and
 * unix-domain connections, and reads and writes that never wait forever.
 *
 * Every function returns -1 with errno set on failure, so a test can assert
 * on the cause (ECONNREFUSED after a stop, ETIMEDOUT when nothing came).
 * Hosts are numeric only ("127.0.0.1", "::1" or "[::1]"): the tests talk to
 * loopback and nothing else.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef TAP_NET_H
#define TAP_NET_H

#include <sys/types.h>
#include <stddef.h>

/* Timeout that pf_tcp_connect and pf_unix_connect set on their sockets. */
#define PF_NET_TIMEOUT_MS	5000

int	pf_tcp_connect(const char *host, int port);
int	pf_tcp_listen(const char *host, int *port);
int	pf_free_port(void);
int	pf_udp_socket(const char *host, int port);
ssize_t	pf_udp_request(const char *host, int port, const void *data,
	    size_t len, void *reply, size_t replymax, int timeout_ms);
int	pf_unix_connect(const char *path);
int	pf_unix_listen(const char *path);

int	pf_write_all(int fd, const void *buf, size_t len);
ssize_t	pf_read_n(int fd, void *buf, size_t n, int timeout_ms);
ssize_t	pf_read_all(int fd, void *buf, size_t max, int timeout_ms);

int	pf_echo_fd(int fd, const char *msg);
int	pf_echo_tcp(const char *host, int port, const char *msg);
int	pf_ipv6_works(void);

/* Added for the supervision and observability tests. */
int	pf_local_port(int fd);
int	pf_wait_eof(int fd, int timeout_ms);

#endif /* TAP_NET_H */
