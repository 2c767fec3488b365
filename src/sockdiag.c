/*
 * sockdiag.c - the kernel's count of the bytes a TCP connection has moved,
 * asked by the connection's two addresses rather than through a socket
 * of ours: Linux's NETLINK_SOCK_DIAG (inet_diag, as ss(8) asks it).  The
 * exec handler hands a connection to its program and closes its own copy
 * (the client must see the end of the stream when the program closes
 * it), so this is how the master still tells whether such a client is
 * silent (shed.c).  Elsewhere, and for unix sockets: ENOSYS.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_LINUX_INET_DIAG_H
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#endif

#include "preforkd.h"

#ifdef HAVE_LINUX_INET_DIAG_H
/* sockdiag_addr - an address's port and bytes, as inet_diag wants them. */
static int
sockdiag_addr(const struct sockaddr *sa, __be16 *port, __be32 *addr)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family == AF_INET) {
		*port = sin->sin_port;
		memcpy(addr, &sin->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		*port = sin6->sin6_port;
		memcpy(addr, &sin6->sin6_addr, 16);
		return 0;
	}
	errno = ENOSYS;
	return -1;
}

/*
 * sockdiag_reply - the bytes moved, from the kernel's answer (n bytes at
 * buf): received, plus sent and acknowledged.  0, or -1 with errno
 * (ENOENT: no such connection any more).
 */
static int
sockdiag_reply(const char *buf, size_t n, uint64_t *moved)
{
	const struct nlmsghdr *h = (const struct nlmsghdr *)(const void *)buf;
	const struct inet_diag_msg *m;
	const struct nlmsgerr *e;
	const struct rtattr *a;
	struct tcp_info ti;
	size_t len, alen;

	if (n < sizeof(*h) || h->nlmsg_len < sizeof(*h) || h->nlmsg_len > n) {
		errno = EPROTO;
		return -1;
	}
	if (h->nlmsg_type == NLMSG_ERROR) {
		e = NLMSG_DATA(h);
		errno = h->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) &&
		    e->error < 0 ? -e->error : EPROTO;
		return -1;
	}
	if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*m))) {
		errno = EPROTO;
		return -1;
	}
	m = NLMSG_DATA(h);
	len = h->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	for (a = (const struct rtattr *)(const void *)(m + 1); RTA_OK(a, len);
	    a = RTA_NEXT(a, len)) {
		if (a->rta_type != INET_DIAG_INFO)
			continue;
		alen = RTA_PAYLOAD(a);
		if (alen < offsetof(struct tcp_info, tcpi_bytes_received) +
		    sizeof(ti.tcpi_bytes_received))
			break;		/* a kernel older than 4.1 */
		memset(&ti, 0, sizeof(ti));
		memcpy(&ti, RTA_DATA(a), alen < sizeof(ti) ? alen : sizeof(ti));
		*moved = ti.tcpi_bytes_received + ti.tcpi_bytes_acked;
		return 0;
	}
	errno = ENOSYS;
	return -1;
}
#endif

/*
 * sockdiag_tcp_moved - how many bytes the TCP connection between local
 * and remote (as its server sees it: local is ours) has moved: received
 * from the client, plus sent to it and acknowledged.  0, or -1 with errno.
 */
int
sockdiag_tcp_moved(const struct sockaddr *local, const struct sockaddr *remote,
    uint64_t *moved)
{
#ifdef HAVE_LINUX_INET_DIAG_H
	struct {
		struct nlmsghdr		nlh;
		struct inet_diag_req_v2	r;
	} req;
	struct sockaddr_nl nl;
	char buf[1024] __attribute__((aligned(8)));
	ssize_t n;
	int fd, error;

	if (local->sa_family != remote->sa_family) {
		errno = EINVAL;
		return -1;
	}
	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_len = sizeof(req);
	req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	req.nlh.nlmsg_flags = NLM_F_REQUEST;
	req.r.sdiag_family = (__u8)local->sa_family;
	req.r.sdiag_protocol = IPPROTO_TCP;
	req.r.idiag_ext = 1 << (INET_DIAG_INFO - 1);
	req.r.idiag_states = ~0U;
	req.r.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req.r.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	if (sockdiag_addr(local, &req.r.id.idiag_sport,
	    req.r.id.idiag_src) == -1 || sockdiag_addr(remote,
	    &req.r.id.idiag_dport, req.r.id.idiag_dst) == -1)
		return -1;
	memset(&nl, 0, sizeof(nl));
	nl.nl_family = AF_NETLINK;
	if ((fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) == -1)
		return -1;
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&nl,
	    sizeof(nl)) != (ssize_t)sizeof(req)) {
		error = errno;
		close(fd);
		errno = error;
		return -1;
	}
	/* The kernel answers within sendto(): never wait for it. */
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	error = errno;
	close(fd);
	if (n == -1) {
		errno = error;
		return -1;
	}
	return sockdiag_reply(buf, (size_t)n, moved);
#else
	(void)local;
	(void)remote;
	(void)moved;
	errno = ENOSYS;
	return -1;
#endif
}
