/*
 * fd.c - the two descriptor flags preforkd sets everywhere, close-on-exec
 * and non-blocking, each with its error checked: a descriptor that leaks
 * into an exec'd program, or a socket that blocks where it must not, is
 * a bug that shows much later and far away; and closing many at once.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <fcntl.h>
#include <unistd.h>

#include "preforkd.h"

/* fd_cloexec - fd closed on exec (on) or passed on (!on).  0, or -1 with errno. */
int
fd_cloexec(int fd, int on)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFD)) == -1)
		return -1;
	fl = on ? fl | FD_CLOEXEC : fl & ~FD_CLOEXEC;
	return fcntl(fd, F_SETFD, fl);
}

/* fd_nonblock - O_NONBLOCK on fd set (on) or cleared.  0, or -1 with errno. */
int
fd_nonblock(int fd, int on)
{
	int fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1)
		return -1;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl);
}

/*
 * fd_close_range - close descriptors lo to hi (hi -1: every one from lo
 * on), with one close_range() where there is one, else a close() each.
 */
void
fd_close_range(int lo, int hi)
{
	long max;
	int fd;

#ifdef HAVE_CLOSE_RANGE
	if (close_range((unsigned int)lo, hi < 0 ? ~0U : (unsigned int)hi,
	    0) == 0)
		return;
#endif
	if (hi < 0) {
		max = sysconf(_SC_OPEN_MAX);
		hi = max < 0 || max > 65536 ? 65535 : (int)max - 1;
	}
	for (fd = lo; fd <= hi; fd++)
		(void)close(fd);
}
