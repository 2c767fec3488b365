/*
 * sockdiag-t.c - unit tests for src/sockdiag.c: the bytes a real loopback
 * TCP connection has moved, asked of the kernel by its addresses as the
 * server sees them (IPv4, and IPv4-mapped on a dual-stack socket); no
 * such connection; not TCP.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

/* The server's side of a loopback connection from host to a listener. */
struct pair {
	int			 client, server;
	struct sockaddr_storage	 local, remote;	/* as the server sees */
};

/* connect_pair - a connection through a listener on host ("::" for
 * dual-stack, reached over 127.0.0.1); 0, or -1. */
static int
connect_pair(struct pair *p, const char *host)
{
	socklen_t len;
	int lfd, port = 0;

	if ((lfd = pf_tcp_listen(host, &port)) < 0 ||
	    (p->client = pf_tcp_connect("127.0.0.1", port)) < 0 ||
	    (p->server = accept(lfd, NULL, NULL)) < 0)
		return -1;
	close(lfd);
	len = sizeof(p->local);
	if (getsockname(p->server, (struct sockaddr *)&p->local, &len) < 0)
		return -1;
	len = sizeof(p->remote);
	return getpeername(p->server, (struct sockaddr *)&p->remote, &len);
}

/* wait_moved - poll until the connection has moved want bytes: 1, or 0. */
static int
wait_moved(struct pair *p, uint64_t want, uint64_t *got)
{
	long deadline = pf_now_ms() + 10000;

	for (;;) {
		if (sockdiag_tcp_moved((struct sockaddr *)&p->local,
		    (struct sockaddr *)&p->remote, got) == 0 && *got == want)
			return 1;
		if (pf_now_ms() >= deadline)
			return 0;
		pf_sleep_ms(10);
	}
}

static void
test_moved(const char *host, const char *what)
{
	struct pair p;
	char buf[300];
	uint64_t got = 99;
	int r;

	if (connect_pair(&p, host) < 0)
		sysbail("a loopback connection through %s", host);
	r = sockdiag_tcp_moved((struct sockaddr *)&p.local,
	    (struct sockaddr *)&p.remote, &got);
	ok(r == 0 && got == 0, "%s: a new connection has moved nothing "
	    "(%llu)", what, (unsigned long long)got);
	memset(buf, 'x', sizeof(buf));
	if (pf_write_all(p.client, buf, 200) < 0)
		sysbail("write");
	r = wait_moved(&p, 200, &got);
	ok(r, "%s: 200 bytes received, unread, count (%llu)", what,
	    (unsigned long long)got);
	if (pf_write_all(p.server, buf, 100) < 0 ||
	    pf_read_n(p.client, buf, 100, 5000) != 100)
		sysbail("write back");
	r = wait_moved(&p, 300, &got);
	ok(r, "%s: and 100 sent and acknowledged count (%llu)", what,
	    (unsigned long long)got);
	close(p.client);
	close(p.server);
}

int
main(void)
{
	struct sockaddr_in a, b;
	uint64_t got;
	int r, e;

#ifndef HAVE_LINUX_INET_DIAG_H
	skip_all("no NETLINK_SOCK_DIAG on this system");
#endif
	plan_lazy();
	test_moved("127.0.0.1", "IPv4");
	if (pf_ipv6_works())
		test_moved("::", "IPv4-mapped, on a dual-stack socket");

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons(1);
	b = a;
	b.sin_port = htons(2);
	r = sockdiag_tcp_moved((struct sockaddr *)&a, (struct sockaddr *)&b,
	    &got);
	e = errno;
	ok(r == -1 && e == ENOENT, "no such connection: ENOENT (%s)",
	    strerror(e));
	a.sin_family = AF_UNIX;
	ok(sockdiag_tcp_moved((struct sockaddr *)&a, (struct sockaddr *)&b,
	    &got) == -1 && errno == EINVAL, "addresses of two families: "
	    "EINVAL");
	return 0;
}
