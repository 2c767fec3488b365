/*
 * worker-t.c - unit tests of src/worker.c's one pure decision: what a
 * worker does after accept() or recvfrom() failed, for every errno it may
 * meet.  The rule under test: a passing error goes back to the very wait
 * it came from, resources running out pause, a listener shut down for a
 * stop is let go, and anything else ends the worker (to be replaced)
 * rather than leaving it idle where nothing can wake it.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <errno.h>

#include "preforkd.h"
#include "../tap/basic.h"

static const char *
next_name(enum worker_next n)
{
	switch (n) {
	case WORKER_NEXT_WAIT:
		return "wait";
	case WORKER_NEXT_AGAIN:
		return "again";
	case WORKER_NEXT_PAUSE:
		return "pause";
	case WORKER_NEXT_DEAD:
		return "dead";
	case WORKER_NEXT_EXIT:
		return "exit";
	}
	return "?";
}

static void
check(int error, const char *name, enum worker_next blocking,
    enum worker_next nonblocking)
{
	enum worker_next got;

	got = worker_next_after(error, 1);
	ok(got == blocking, "%s on a blocking listener: %s (got %s)", name,
	    next_name(blocking), next_name(got));
	got = worker_next_after(error, 0);
	ok(got == nonblocking, "%s on a non-blocking listener: %s (got %s)",
	    name, next_name(nonblocking), next_name(got));
}

int
main(void)
{
	plan(32);

	/* Blocking: only io_timeout's SO_RCVTIMEO gives EAGAIN: accept again. */
	check(EAGAIN, "EAGAIN", WORKER_NEXT_AGAIN, WORKER_NEXT_WAIT);
	/* SIGSTOP/SIGCONT in accept() with SO_RCVTIMEO: back to accept(). */
	check(EINTR, "EINTR", WORKER_NEXT_AGAIN, WORKER_NEXT_AGAIN);
	check(ECONNABORTED, "ECONNABORTED", WORKER_NEXT_AGAIN,
	    WORKER_NEXT_AGAIN);
	check(EPROTO, "EPROTO", WORKER_NEXT_AGAIN, WORKER_NEXT_AGAIN);
	check(ENETUNREACH, "ENETUNREACH", WORKER_NEXT_AGAIN,
	    WORKER_NEXT_AGAIN);
	check(ECONNREFUSED, "ECONNREFUSED", WORKER_NEXT_AGAIN,
	    WORKER_NEXT_AGAIN);
	/* Out of resources: pause, never spin, never give up. */
	check(EMFILE, "EMFILE", WORKER_NEXT_PAUSE, WORKER_NEXT_PAUSE);
	check(ENFILE, "ENFILE", WORKER_NEXT_PAUSE, WORKER_NEXT_PAUSE);
	check(ENOBUFS, "ENOBUFS", WORKER_NEXT_PAUSE, WORKER_NEXT_PAUSE);
	check(ENOMEM, "ENOMEM", WORKER_NEXT_PAUSE, WORKER_NEXT_PAUSE);
	/* The master's graceful stop shut the listener down. */
	check(EINVAL, "EINVAL", WORKER_NEXT_DEAD, WORKER_NEXT_DEAD);
	/* An LSM's refusal and other surprises: exit to be replaced. */
	check(EPERM, "EPERM", WORKER_NEXT_EXIT, WORKER_NEXT_EXIT);
	check(EACCES, "EACCES", WORKER_NEXT_EXIT, WORKER_NEXT_EXIT);
	check(EBADF, "EBADF", WORKER_NEXT_EXIT, WORKER_NEXT_EXIT);
	check(ENOTSOCK, "ENOTSOCK", WORKER_NEXT_EXIT, WORKER_NEXT_EXIT);
	check(EFAULT, "EFAULT", WORKER_NEXT_EXIT, WORKER_NEXT_EXIT);
	return 0;
}
