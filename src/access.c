/*
 * access.c - the access log: one logfmt line (key=value) per connection
 * and per datagram, with its 5-tuple, the worker, the bytes each way, how
 * long it took and how it ended.  Workers append to the file the master
 * opened, each line in a single write(), so lines never interleave.  A
 * line that cannot be written (a full disk) is counted and reported, and
 * logging resumes by itself with the next line that fits.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "preforkd.h"
#include "conn.h"

static int	 access_fd PF_HOT_DATA = -1;
static char	*access_path;
static uid_t	 access_uid = (uid_t)-1;
static gid_t	 access_gid = (gid_t)-1;

/* Lines this process could not write (a full disk), and how it told. */
static uint64_t	 access_lost_lines PF_HOT_DATA;
static uint64_t	 access_lost_before;	/* when the failure began */
static int	 access_failing;	/* the last line was lost */
static int	 access_told;		/* ... and the error log said so */
static int	 access_torn;		/* a line went out only in part */
static int64_t	 access_reported_ms;	/* last "cannot write", or 0 */

/*
 * access_open_file - open (or create) the access log: never through a
 * symbolic link, only a regular file, and given to the workers' user only
 * when the master has just created it (file.c says why).
 */
static int
access_open_file(const char *path)
{
	int created;

	return file_append(path, access_uid, access_gid, &created);
}

/*
 * access_open - open the access log at path (NULL: off), owned by uid:gid
 * when running as root, so that workers can reopen it.  0, or -1 with errno.
 */
int
access_open(const char *path, uid_t uid, gid_t gid)
{
	if (path == NULL)
		return 0;
	access_uid = uid;
	access_gid = gid;
	if ((access_fd = access_open_file(path)) == -1)
		return -1;
	if ((access_path = strdup(path)) == NULL) {
		close(access_fd);
		access_fd = -1;
		return -1;
	}
	return 0;
}

/* access_file - the path of the access log, or "-" when it is off. */
const char *
access_file(void)
{
	return access_path != NULL ? access_path : "-";
}

/* access_close - stop logging (a reload turned it off or moved it). */
void
access_close(void)
{
	if (access_fd != -1)
		close(access_fd);
	access_fd = -1;
	free(access_path);
	access_path = NULL;
}

/*
 * access_reopen - after logrotate renamed the file: open it again by name
 * onto the same descriptor, so no line is lost in between.  A worker that
 * runs as an ordinary user opens the file the master created for it.
 */
int
access_reopen(void)
{
	int fd;

	if (access_fd == -1)
		return 0;
	if ((fd = access_open_file(access_path)) == -1)
		return -1;
	if (dup2(fd, access_fd) == -1) {
		close(fd);
		return -1;
	}
	close(fd);
	return fd_cloexec(access_fd, 1);
}

/* access_get_fd - the access log's descriptor, or -1 when it is off. */
int
access_get_fd(void)
{
	return access_fd;
}

/*
 * access_adopt - append to fd from now on (a copy of the master's,
 * logpass.c), onto the same descriptor number as access_reopen.
 */
int
access_adopt(int fd)
{
	if (access_fd == -1)
		return 0;
	if (dup2(fd, access_fd) == -1)
		return -1;
	return fd_cloexec(access_fd, 1);
}

/*
 * access_exec_status - " status=0" or " signal=KILL": how the program that
 * the exec handler ran for the connection ended; nothing for other
 * handlers (wait status -1).  The length written, as snprintf counts it.
 */
static size_t
access_exec_status(char *buf, size_t len, int wstatus)
{
	const char *name;
	int n = 0;

	if (wstatus == -1)
		return 0;
	if (WIFEXITED(wstatus))
		n = snprintf(buf, len, " status=%d", WEXITSTATUS(wstatus));
	else if (WIFSIGNALED(wstatus)) {
		name = sig_name(WTERMSIG(wstatus));
		if (strncmp(name, "SIG", 3) == 0)
			n = snprintf(buf, len, " signal=%s", name + 3);
		else
			n = snprintf(buf, len, " signal=%d", WTERMSIG(wstatus));
	}
	return n > 0 ? (size_t)n : 0;
}

/*
 * access_put - all of buf to the file: 0, or -1 with errno.  A line that
 * went out in part (the disk filled up in its middle) leaves access_torn
 * set, so that the next line begins with a newline and ends the fragment
 * instead of being glued to it.
 */
static int
access_put(const char *buf, size_t len)
{
	size_t done = 0;
	ssize_t w;

	while (done < len) {
		w = write(access_fd, buf + done, len - done);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			if (done > 0)
				access_torn = 1;
			return -1;
		}
		done += (size_t)w;
	}
	access_torn = 0;
	return 0;
}

/*
 * access_failed - a line is lost (errno error): count it, and say so in
 * the error log at most once a second, with the cause and the count.
 */
static void
access_failed(int error)
{
	int64_t now = now_ms();

	if (access_lost_lines < UINT64_MAX)
		access_lost_lines++;
	if (!access_failing) {
		access_failing = 1;
		access_lost_before = access_lost_lines - 1;
	}
	if (access_reported_ms != 0 && now - access_reported_ms < 1000)
		return;
	access_reported_ms = now;
	access_told = 1;
	log_error("access log %s: cannot write: %s; %llu line%s lost so far",
	    access_path, strerror(error),
	    (unsigned long long)access_lost_lines,
	    access_lost_lines == 1 ? "" : "s");
}

/*
 * access_recovered - a line was written after some were lost: say so,
 * once, if the failure was told (a failure that the rate limit kept
 * quiet shows in the next one's count and in the status).
 */
static void
access_recovered(void)
{
	uint64_t lost;

	access_failing = 0;
	if (!access_told)
		return;
	access_told = 0;
	lost = access_lost_lines - access_lost_before;
	log_notice("access log %s: writing again after losing %llu line%s "
	    "(%llu lost in all)", access_path, (unsigned long long)lost,
	    lost == 1 ? "" : "s", (unsigned long long)access_lost_lines);
}

/* access_lost - the lines this process could not write, for its slot. */
PF_HOT uint64_t
access_lost(void)
{
	return access_lost_lines;
}

/*
 * access_address - an address as a logfmt value.  addr_sockaddr_format
 * has escaped whatever bytes a unix peer chose for its path; the value is
 * quoted when it holds a space, an "=" or an escape (escape_logfmt).
 */
static void
access_address(char *buf, size_t len, const struct sockaddr *sa,
    socklen_t sl)
{
	char text[ADDR_TEXT_MAX];

	addr_sockaddr_format(sa, sl, text, sizeof(text));
	escape_logfmt(buf, len, text);
}

/* access_count - a byte count, or "-" when the system cannot tell. */
static const char *
access_count(char *buf, size_t len, uint64_t n)
{
	if (n == CONN_BYTES_UNKNOWN)
		return "-";
	snprintf(buf, len, "%llu", (unsigned long long)n);
	return buf;
}

/*
 * access_format - the line for connection c without its newline, into
 * buf of len bytes: the connection ended at wall-clock time end, after
 * duration_ms, in worker pid.  The length of the line, cut to len - 1
 * when it is longer.  It reads no clock and no state of this file, so
 * that tests can hold it to its format (tests/unit/access-t.c).
 */
size_t
access_format(char *buf, size_t len, const struct preforkd_conn *c,
    const struct timespec *end, int64_t duration_ms, pid_t pid)
{
	char when[TIME_TEXT_MAX], local[ADDR_TEXT_MAX + 2];
	char remote[ADDR_TEXT_MAX + 2], in[24], out[24];
	char via[ADDR_TEXT_MAX + 2 + 7];
	size_t n;
	int r;

	if (len == 0)
		return 0;
	time_format(when, sizeof(when), end, 1);
	access_address(local, sizeof(local), (const struct sockaddr *)&c->local,
	    c->locallen);
	access_address(remote, sizeof(remote), (const struct sockaddr *)
	    &c->remote, c->remotelen);
	/* Through a balancer (PROXY header): remote= is the client the
	 * header named, proxy= the balancer that connected. */
	via[0] = '\0';
	if (c->vialen > 0) {
		memcpy(via, " proxy=", 7);
		access_address(via + 7, sizeof(via) - 7,
		    (const struct sockaddr *)&c->via, c->vialen);
	}
	r = snprintf(buf, len, "time=%s service=%s proto=%s local=%s "
	    "remote=%s%s pid=%ld in=%s out=%s duration=%lld.%03lld end=%s",
	    when, c->service->name, addr_proto_name(c->proto), local, remote,
	    via, (long)pid, access_count(in, sizeof(in), c->bytes_in),
	    access_count(out, sizeof(out), c->bytes_out),
	    (long long)(duration_ms / 1000),
	    (long long)(duration_ms % 1000), conn_end_name(c->end));
	n = r > 0 ? (size_t)r : 0;
	if (n < len)
		n += access_exec_status(buf + n, len - n, c->exec_status);
	return n < len ? n : len - 1;
}

/*
 * access_write - the line for connection c, which began at started (ms on
 * the monotonic clock).  A line that cannot be written is counted
 * (access_lost) and reported; serving goes on.
 */
PF_HOT void
access_write(const struct preforkd_conn *c, int64_t started)
{
	/* One byte before the line for the newline that ends a torn one,
	 * one after it for its own. */
	char buf[2048], *line = buf + 1;
	struct timespec end;
	size_t n;

	if (access_fd == -1)
		return;
	clock_gettime(CLOCK_REALTIME, &end);
	n = access_format(line, sizeof(buf) - 2, c, &end, now_ms() - started,
	    getpid());
	line[n++] = '\n';
	if (access_torn) {
		*--line = '\n';
		n++;
	}
	if (access_put(line, n) == -1)
		access_failed(errno);
	else if (access_failing)
		access_recovered();
}
