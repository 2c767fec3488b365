/*
 * tcpbytes.c - the exact byte counts of a TCP connection that the worker
 * handed to a program (the exec handler), without copying the stream and
 * without keeping the connection open.
 *
 * The problem.  The kernel counts every connection's bytes (TCP_INFO:
 * tcpi_bytes_received, and tcpi_bytes_acked, final once the send queue
 * has drained), but getsockopt() needs a descriptor, and a descriptor is
 * a reference to the socket's one open file: as long as the worker holds
 * one, closing the program's does not close the connection, and a client
 * waits for an end of file that does not come while the program goes on
 * working after it closed its output.  shutdown() would end the
 * program's connection under it; there is only one open file per
 * socket, and nothing tells a holder when the others closed theirs.  So
 * the worker closes its descriptor as soon as the program has the socket
 * (conn_close), as before, and asks the kernel instead:
 *
 * - Linux tells the final TCP_INFO of every TCP socket it destroys, to
 *   whoever listens to sock_diag's "destroy" groups (what "ss -E" shows),
 *   with the socket's cookie.  A full socket is destroyed once both sides
 *   are done and all sent data is acknowledged, or when it is reset: the
 *   message carries the counts at the very end.  The worker joins the
 *   group while its program runs, with a socket filter that keeps only
 *   its connection's cookie (so that the rest of the host's connections
 *   cost it nothing), and polls that netlink socket like any other.
 * - tcpi_bytes_received counts the client's FIN as a byte when it came
 *   while the socket was whole, and tcpi_bytes_acked ours: out is the
 *   data acknowledged, min(bytes_acked, bytes_sent - bytes_retrans); for
 *   in, whether the client's FIN is in the count is worked out from how
 *   the connection ended (tcpbytes_in): a TIME_WAIT socket left behind
 *   means we closed first, what was left unread (idiag_rqueue) is then
 *   that FIN; none, after our FIN was acknowledged, means the client
 *   closed first.  Only a connection that ended in a reset needs the
 *   worker to have seen the client's FIN arrive (EPOLLRDHUP, on an epoll
 *   registration, which holds no reference either), while the program
 *   still held it.
 * - A connection that outlives its program (a child kept it, or the
 *   client is slow to take what is queued) is asked about by its cookie
 *   once the caller's wait is over: the counts so far (tcpbytes_now).
 *
 * Elsewhere (unix sockets, a system without sock_diag) the counts are
 * not known, and the access log says "-".
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

#if defined(HAVE_LINUX_INET_DIAG_H) && defined(HAVE_LINUX_SOCK_DIAG_H) && \
    defined(HAVE_SYS_EPOLL_H) && defined(SO_COOKIE)
#define TCPBYTES_LINUX	1
#endif

#ifdef TCPBYTES_LINUX
#include <sys/epoll.h>
#include <netinet/in.h>
#include <linux/filter.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK	270
#endif

/* TCP states, as the kernel numbers them (include/net/tcp_states.h). */
#define ST_ESTABLISHED	1
#define ST_FIN_WAIT1	4
#define ST_FIN_WAIT2	5
#define ST_TIME_WAIT	6
#define ST_CLOSE_WAIT	8
#define ST_LAST_ACK	9
#define ST_CLOSING	11

/* Where the cookie sits in a destroy message: after the netlink header,
 * the four bytes of family, state, timer, retrans, the ports and
 * addresses, and the interface (struct inet_diag_sockid). */
#define COOKIE_AT	(NLMSG_HDRLEN + offsetof(struct inet_diag_msg, id) + \
			    offsetof(struct inet_diag_sockid, idiag_cookie))

/* The epoll tag of the netlink socket; a connection's is its cookie. */
#define TAG_NETLINK	0

/* The TCP_INFO this file needs: up to tcpi_bytes_retrans (Linux 4.19). */
#define INFO_NEEDED	(offsetof(struct tcp_info, tcpi_bytes_retrans) + \
			    sizeof(((struct tcp_info *)0)->tcpi_bytes_retrans))

static int	nl_fd = -1;		/* sock_diag, in the destroy groups */
static int	ep_fd = -1;		/* the netlink socket, the connections */

/* tcpbytes_init - the worker's netlink and epoll sockets, once. */
static int
tcpbytes_init(void)
{
	struct sockaddr_nl sa;
	struct epoll_event ev;

	if (ep_fd != -1)
		return 0;
	if ((nl_fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, NETLINK_SOCK_DIAG)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	if (bind(nl_fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    (ep_fd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		goto fail;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = TAG_NETLINK;
	if (epoll_ctl(ep_fd, EPOLL_CTL_ADD, nl_fd, &ev) == -1)
		goto fail;
	return 0;

fail:
	close(nl_fd);
	nl_fd = -1;
	if (ep_fd != -1)
		close(ep_fd);
	ep_fd = -1;
	return -1;
}

/* tcpbytes_group - the destroy group of a family's TCP sockets. */
static int
tcpbytes_group(int family)
{
	return family == AF_INET6 ? SKNLGRP_INET6_TCP_DESTROY :
	    SKNLGRP_INET_TCP_DESTROY;
}

/*
 * tcpbytes_filter - let only messages about this cookie through.  A
 * classic BPF load reads its word in network order, so the cookie's
 * halves, stored in host order, are compared as such.
 */
static int
tcpbytes_filter(uint64_t cookie)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, COOKIE_AT),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    htonl((uint32_t)cookie), 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, COOKIE_AT + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		    htonl((uint32_t)(cookie >> 32)), 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 0xffff),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog;

	prog.len = sizeof(code) / sizeof(code[0]);
	prog.filter = code;
	return setsockopt(nl_fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog,
	    sizeof(prog));
}

/* tcpbytes_cookie - the cookie in a sock_diag message. */
static uint64_t
tcpbytes_cookie(const struct inet_diag_msg *m)
{
	return (uint64_t)m->id.idiag_cookie[0] |
	    (uint64_t)m->id.idiag_cookie[1] << 32;
}

/* tcpbytes_info - the TCP_INFO of a message, zero-filled; 0, or -1. */
static int
tcpbytes_info(const struct nlmsghdr *h, struct tcp_info *ti)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	const struct rtattr *a;
	int len;

	memset(ti, 0, sizeof(*ti));
	len = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*m));
	for (a = (const struct rtattr *)(m + 1); RTA_OK(a, len);
	    a = RTA_NEXT(a, len)) {
		if (a->rta_type != INET_DIAG_INFO)
			continue;
		if (RTA_PAYLOAD(a) < INFO_NEEDED)
			return -1;
		memcpy(ti, RTA_DATA(a), RTA_PAYLOAD(a) < sizeof(*ti) ?
		    RTA_PAYLOAD(a) : sizeof(*ti));
		return 0;
	}
	return -1;
}

/* tcpbytes_out - the data the client acknowledged, our FIN aside. */
static uint64_t
tcpbytes_out(const struct tcp_info *ti, int *fin_acked)
{
	uint64_t sent = ti->tcpi_bytes_sent - ti->tcpi_bytes_retrans;

	*fin_acked = ti->tcpi_bytes_acked > sent;
	return ti->tcpi_bytes_acked < sent ? ti->tcpi_bytes_acked : sent;
}

/*
 * tcpbytes_ask - one sock_diag request about tb's connection, on a
 * socket of its own: the TIME_WAIT socket left behind (info 0), or the
 * socket itself with its TCP_INFO (info 1, by cookie).  The reply in buf;
 * 1 when there is such a socket, 0 when not, -1 on error.
 */
static int
tcpbytes_ask(const struct tcpbytes *tb, int info, char *buf, size_t len)
{
	struct {
		struct nlmsghdr		nh;
		struct inet_diag_req_v2	r;
	} req;
	const struct sockaddr_in6 *l6, *r6;
	const struct sockaddr_in *l4, *r4;
	struct nlmsghdr *h;
	ssize_t n;
	int fd, rc = -1;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = sizeof(req);
	req.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.r.sdiag_family = (uint8_t)tb->family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_states = ~0U;
	if (info) {
		req.r.idiag_ext = 1 << (INET_DIAG_INFO - 1);
		req.r.id.idiag_cookie[0] = (uint32_t)tb->cookie;
		req.r.id.idiag_cookie[1] = (uint32_t)(tb->cookie >> 32);
	} else {
		req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
		req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	}
	if (tb->family == AF_INET6) {
		l6 = (const struct sockaddr_in6 *)(const void *)&tb->local;
		r6 = (const struct sockaddr_in6 *)(const void *)&tb->remote;
		req.r.id.idiag_sport = l6->sin6_port;
		req.r.id.idiag_dport = r6->sin6_port;
		memcpy(req.r.id.idiag_src, &l6->sin6_addr, 16);
		memcpy(req.r.id.idiag_dst, &r6->sin6_addr, 16);
	} else {
		l4 = (const struct sockaddr_in *)(const void *)&tb->local;
		r4 = (const struct sockaddr_in *)(const void *)&tb->remote;
		req.r.id.idiag_sport = l4->sin_port;
		req.r.id.idiag_dport = r4->sin_port;
		memcpy(req.r.id.idiag_src, &l4->sin_addr, 4);
		memcpy(req.r.id.idiag_dst, &r4->sin_addr, 4);
	}
	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) == -1)
		return -1;
	if (send(fd, &req, sizeof(req), 0) != (ssize_t)sizeof(req))
		goto out;
	do
		n = recv(fd, buf, len, 0);
	while (n == -1 && errno == EINTR);
	if (n < (ssize_t)NLMSG_HDRLEN)
		goto out;
	h = (struct nlmsghdr *)(void *)buf;
	if (!NLMSG_OK(h, (unsigned int)n))
		goto out;
	if (h->nlmsg_type == NLMSG_ERROR) {
		rc = ((const struct nlmsgerr *)NLMSG_DATA(h))->error ==
		    -ENOENT ? 0 : -1;
		goto out;
	}
	if (h->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
	    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
		rc = 1;
out:
	close(fd);
	return rc;
}

/*
 * tcpbytes_tw - whether the connection left a TIME_WAIT socket behind
 * (we closed first: that socket is in FIN_WAIT2 or TIME_WAIT); -1 when
 * the kernel would not say.
 */
static int
tcpbytes_tw(const struct tcpbytes *tb)
{
	char buf[1024];
	const struct inet_diag_msg *m;
	int rc;

	if ((rc = tcpbytes_ask(tb, 0, buf, sizeof(buf))) != 1)
		return rc;
	m = NLMSG_DATA((struct nlmsghdr *)(void *)buf);
	return m->idiag_state == ST_TIME_WAIT || m->idiag_state == ST_FIN_WAIT2;
}

/*
 * tcpbytes_in - the data the client sent, from the destroyed socket's
 * counts: tcpi_bytes_received less the client's FIN when it is in there.
 * It is, when our FIN was acknowledged (a clean close): if we closed
 * first, the TIME_WAIT socket tells so, and the FIN came only if it is
 * what the program left unread (rqueue, 1 then); if the client closed
 * first (no TIME_WAIT socket), always.  A reset connection: if the
 * worker saw it arrive.
 */
static uint64_t
tcpbytes_in(const struct tcpbytes *tb, const struct tcp_info *ti,
    uint32_t rqueue, int fin_acked)
{
	int fin, tw;

	if (fin_acked) {
		tw = tcpbytes_tw(tb);
		fin = tw == 1 ? rqueue > 0 : 1;
	} else
		fin = tb->rdhup;
	return ti->tcpi_bytes_received - (fin && ti->tcpi_bytes_received > 0);
}

/* tcpbytes_destroyed - the destroy message h of tb's socket: the counts. */
static void
tcpbytes_destroyed(struct tcpbytes *tb, const struct nlmsghdr *h)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	struct tcp_info ti;
	int fin_acked;

	if (tcpbytes_info(h, &ti) == -1) {
		tb->state = TCPBYTES_UNKNOWN;
		return;
	}
	tb->out = tcpbytes_out(&ti, &fin_acked);
	tb->in = tcpbytes_in(tb, &ti, m->idiag_rqueue, fin_acked);
	tb->state = TCPBYTES_DONE;
}

/* tcpbytes_read - every message on the netlink socket, for tb. */
static void
tcpbytes_read(struct tcpbytes *tb)
{
	char buf[8192];
	struct nlmsghdr *h;
	ssize_t n;
	int len;

	for (;;) {
		n = recv(nl_fd, buf, sizeof(buf), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == ENOBUFS) {
			/* Lost: the socket is asked about later, if ever. */
			continue;
		}
		if (n <= 0)
			return;
		len = (int)n;
		for (h = (struct nlmsghdr *)(void *)buf; NLMSG_OK(h, len);
		    h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
			    h->nlmsg_len < NLMSG_LENGTH(sizeof(struct
			    inet_diag_msg)))
				continue;
			if (tb->state == TCPBYTES_WATCHING &&
			    tcpbytes_cookie(NLMSG_DATA(h)) == tb->cookie)
				tcpbytes_destroyed(tb, h);
		}
	}
}

/*
 * tcpbytes_watch - start watching connection fd, which the worker is
 * about to hand to a program and close: 0, or -1 with errno
 * (EAFNOSUPPORT for a unix socket), and the counts stay unknown.
 */
int
tcpbytes_watch(struct tcpbytes *tb, int fd)
{
	struct epoll_event ev;
	socklen_t len;
	int group;

	memset(tb, 0, sizeof(*tb));
	tb->state = TCPBYTES_UNKNOWN;
	len = sizeof(tb->local);
	if (getsockname(fd, (struct sockaddr *)&tb->local, &len) == -1)
		return -1;
	tb->family = tb->local.ss_family;
	if (tb->family != AF_INET && tb->family != AF_INET6) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	len = sizeof(tb->remote);
	if (getpeername(fd, (struct sockaddr *)&tb->remote, &len) == -1)
		return -1;
	len = sizeof(tb->cookie);
	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, &tb->cookie, &len) == -1 ||
	    tcpbytes_init() == -1 || tcpbytes_filter(tb->cookie) == -1)
		return -1;
	group = tcpbytes_group(tb->family);
	if (setsockopt(nl_fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
	    sizeof(group)) == -1)
		return -1;
	/* The client's FIN, while the program holds the connection. */
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLRDHUP | EPOLLONESHOT;
	ev.data.u64 = tb->cookie;
	if (epoll_ctl(ep_fd, EPOLL_CTL_ADD, fd, &ev) == -1) {
		(void)setsockopt(nl_fd, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP,
		    &group, sizeof(group));
		return -1;
	}
	tb->state = TCPBYTES_WATCHING;
	return 0;
}

/* tcpbytes_fd - what to poll for tcpbytes_events (-1: nothing). */
int
tcpbytes_fd(void)
{
	return ep_fd;
}

/*
 * tcpbytes_events - take what tcpbytes_fd() has: the client's FIN, the
 * socket's end.  1 once the counts are known (or known to be unknown).
 */
int
tcpbytes_events(struct tcpbytes *tb)
{
	struct epoll_event ev[8];
	int i, n, netlink = 0;

	if (ep_fd == -1)
		return 1;
	do
		n = epoll_wait(ep_fd, ev, 8, 0);
	while (n == -1 && errno == EINTR);
	/* Connections first: a FIN may come with its socket's end. */
	for (i = 0; i < n; i++) {
		if (ev[i].data.u64 == TAG_NETLINK)
			netlink = 1;
		else if (ev[i].data.u64 == tb->cookie)
			tb->rdhup = 1;
	}
	if (netlink)
		tcpbytes_read(tb);
	return tb->state != TCPBYTES_WATCHING;
}

/*
 * tcpbytes_now - the connection outlived the wait for its end: the
 * counts as the kernel has them now (the client's FIN counted out when
 * the state says it came).  1 when known.
 */
int
tcpbytes_now(struct tcpbytes *tb)
{
	char buf[2048];
	const struct nlmsghdr *h = (const struct nlmsghdr *)(void *)buf;
	const struct inet_diag_msg *m;
	struct tcp_info ti;
	int fin_acked, fin;

	if (tb->state != TCPBYTES_WATCHING)
		return tb->state == TCPBYTES_DONE;
	tb->state = TCPBYTES_UNKNOWN;
	if (tcpbytes_ask(tb, 1, buf, sizeof(buf)) != 1 ||
	    tcpbytes_info(h, &ti) == -1)
		return 0;
	m = NLMSG_DATA(h);
	fin = m->idiag_state == ST_CLOSE_WAIT ||
	    m->idiag_state == ST_LAST_ACK || m->idiag_state == ST_CLOSING ||
	    m->idiag_state == ST_TIME_WAIT;
	tb->out = tcpbytes_out(&ti, &fin_acked);
	tb->in = ti.tcpi_bytes_received - (fin && ti.tcpi_bytes_received > 0);
	tb->state = TCPBYTES_DONE;
	return 1;
}

/* tcpbytes_unwatch - stop watching: leave the group, forget the rest. */
void
tcpbytes_unwatch(struct tcpbytes *tb)
{
	char buf[4096];
	int group;

	if (nl_fd == -1 || tb->family == 0)
		return;
	group = tcpbytes_group(tb->family);
	(void)setsockopt(nl_fd, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, &group,
	    sizeof(group));
	/* What came meanwhile belongs to no one now. */
	for (;;) {
		if (recv(nl_fd, buf, sizeof(buf), 0) > 0)
			continue;
		if (errno != EINTR && errno != ENOBUFS)
			break;
	}
}

#else /* !TCPBYTES_LINUX */

int
tcpbytes_watch(struct tcpbytes *tb, int fd)
{
	(void)fd;
	memset(tb, 0, sizeof(*tb));
	tb->state = TCPBYTES_UNKNOWN;
	errno = ENOTSUP;
	return -1;
}

int
tcpbytes_fd(void)
{
	return -1;
}

int
tcpbytes_events(struct tcpbytes *tb)
{
	(void)tb;
	return 1;
}

int
tcpbytes_now(struct tcpbytes *tb)
{
	return tb->state == TCPBYTES_DONE;
}

void
tcpbytes_unwatch(struct tcpbytes *tb)
{
	(void)tb;
}

#endif /* TCPBYTES_LINUX */
