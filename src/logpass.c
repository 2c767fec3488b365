/*
 * logpass.c - the log files the master reopened (SIGUSR1), passed to its
 * workers as open descriptors rather than by name.
 *
 * Why.  A worker that reopens a log by its name needs the right to open
 * the file as its own user: the master gives a file it creates to the
 * global user for that, but services may run as users of their own
 * (user on a service), and only one of them can own the file.  Writing
 * needs no right at all: a worker writes to the descriptor it inherited
 * from the master, whoever it runs as.  So after a rotation the master
 * hands the new descriptors over, as a message with SCM_RIGHTS on a
 * datagram socketpair that every worker inherited: it keeps exactly one
 * message there, the latest, and a worker told to reopen reads it with
 * MSG_PEEK, which leaves it for the others and gives each its own copy
 * of the descriptors.  Where this does not work, the worker reopens by
 * name, as before.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

/* What the one message says it holds, in its one byte. */
#define LOGPASS_ERROR	1	/* the error log's descriptor */
#define LOGPASS_ACCESS	2	/* the access log's, after it if both */

static int	pass[2] = { -1, -1 };	/* [0] the master sends, [1] peeked */

/* The message: one byte (what), and room for two descriptors. */
struct logpass_msg {
	struct msghdr	 m;
	struct iovec	 iov;
	union {
		struct cmsghdr	 h;
		char		 buf[CMSG_SPACE(2 * sizeof(int))];
	} u;
};

/* logpass_msg - lm set up around the byte what, with room for the fds. */
static void
logpass_msg(struct logpass_msg *lm, unsigned char *what)
{
	memset(lm, 0, sizeof(*lm));
	lm->iov.iov_base = what;
	lm->iov.iov_len = 1;
	lm->m.msg_iov = &lm->iov;
	lm->m.msg_iovlen = 1;
	lm->m.msg_control = lm->u.buf;
	lm->m.msg_controllen = sizeof(lm->u.buf);
}

/* logpass_init - in the master, before any worker: the socketpair. */
int
logpass_init(void)
{
	if (pass[0] != -1)
		return 0;
	return socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pass);
}

/* logpass_recv - one message from the queue (peek: leave it); fds in. */
static ssize_t
logpass_recv(int peek, unsigned char *what, int *fds)
{
	struct logpass_msg lm;
	struct msghdr *m = &lm.m;
	struct cmsghdr *c;
	ssize_t n;

	logpass_msg(&lm, what);
	fds[0] = fds[1] = -1;
	do
		n = recvmsg(pass[1], m, MSG_DONTWAIT | MSG_CMSG_CLOEXEC |
		    (peek ? MSG_PEEK : 0));
	while (n == -1 && errno == EINTR);
	if (n != 1)
		return -1;
	for (c = CMSG_FIRSTHDR(m); c != NULL; c = CMSG_NXTHDR(m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(fds, CMSG_DATA(c), c->cmsg_len - CMSG_LEN(0) <
			    2 * sizeof(int) ? c->cmsg_len - CMSG_LEN(0) :
			    2 * sizeof(int));
	return n;
}

/*
 * logpass_publish - in the master, once it (re)opened its logs: the
 * message that workers read from now on, in place of the one before.
 */
int
logpass_publish(void)
{
	struct logpass_msg lm;
	struct cmsghdr *c;
	unsigned char what = 0, old;
	int fds[2], n = 0, i;

	if (pass[0] == -1)
		return 0;
	/* The message before: taken out, its copies closed. */
	while (logpass_recv(0, &old, fds) == 1)
		for (i = 0; i < 2; i++)
			if (fds[i] != -1)
				close(fds[i]);
	if (strcmp(log_file(), "-") != 0 && log_fd() != -1) {
		what |= LOGPASS_ERROR;
		fds[n++] = log_fd();
	}
	if (access_get_fd() != -1) {
		what |= LOGPASS_ACCESS;
		fds[n++] = access_get_fd();
	}
	logpass_msg(&lm, &what);
	if (n > 0) {
		lm.m.msg_controllen = CMSG_SPACE((size_t)n * sizeof(int));
		c = CMSG_FIRSTHDR(&lm.m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
		memcpy(CMSG_DATA(c), fds, (size_t)n * sizeof(int));
	} else {
		lm.m.msg_control = NULL;
		lm.m.msg_controllen = 0;
	}
	return sendmsg(pass[0], &lm.m, MSG_DONTWAIT) == 1 ? 0 : -1;
}

/* logpass_worker - in a new worker: only the reading end is its. */
PF_START void
logpass_worker(void)
{
	if (pass[0] != -1)
		close(pass[0]);
	pass[0] = -1;
}

/*
 * logpass_take - in a worker told to reopen its logs: the master's
 * descriptors, in place of its own.  0 when it took them; -1 when there
 * was nothing to take (the caller reopens by name), or with errno.
 */
int
logpass_take(void)
{
	unsigned char what;
	int fds[2], i = 0, rc = 0;

	if (pass[1] == -1 || logpass_recv(1, &what, fds) != 1)
		return -1;
	if (what & LOGPASS_ERROR) {
		if (fds[i] == -1 || log_adopt(fds[i]) == -1)
			rc = -1;
		i++;
	}
	if ((what & LOGPASS_ACCESS) &&
	    (fds[i] == -1 || access_adopt(fds[i]) == -1))
		rc = -1;
	for (i = 0; i < 2; i++)
		if (fds[i] != -1)
			close(fds[i]);
	return rc;
}
