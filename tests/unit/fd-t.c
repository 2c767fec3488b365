/*
 * fd-t.c - unit tests of src/fd.c: close-on-exec and non-blocking set and
 * cleared, and the error of a descriptor that is not open.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "preforkd.h"
#include "../tap/basic.h"

int
main(void)
{
	int p[2];

	plan(8);
	if (pipe(p) == -1)
		sysbail("pipe");
	ok(fd_cloexec(p[0], 1) == 0 &&
	    (fcntl(p[0], F_GETFD) & FD_CLOEXEC) != 0, "close-on-exec set");
	ok(fd_cloexec(p[0], 0) == 0 &&
	    (fcntl(p[0], F_GETFD) & FD_CLOEXEC) == 0, "close-on-exec cleared");
	ok(fd_nonblock(p[1], 1) == 0 &&
	    (fcntl(p[1], F_GETFL) & O_NONBLOCK) != 0, "non-blocking set");
	ok((fcntl(p[1], F_GETFL) & O_WRONLY) != 0,
	    "the other status flags kept (O_WRONLY)");
	ok(fd_nonblock(p[1], 0) == 0 &&
	    (fcntl(p[1], F_GETFL) & O_NONBLOCK) == 0, "non-blocking cleared");
	close(p[0]);
	close(p[1]);
	errno = 0;
	ok(fd_cloexec(p[0], 1) == -1 && errno == EBADF,
	    "a closed descriptor: -1, EBADF (close-on-exec)");
	errno = 0;
	ok(fd_nonblock(p[0], 1) == -1 && errno == EBADF,
	    "a closed descriptor: -1, EBADF (non-blocking)");
	ok(fd_cloexec(-1, 0) == -1, "descriptor -1: -1");
	return 0;
}
