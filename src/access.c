/*
 * access.c - the access log: one logfmt line (key=value) per connection
 * and per datagram, with its 5-tuple, the worker, the bytes each way, how
 * long it took and how it ended.  Workers append to the file the master
 * opened, each line in a single write(), so lines never interleave.
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
#include "handler.h"

static int	 access_fd = -1;
static char	*access_path;
static uid_t	 access_uid = (uid_t)-1;
static gid_t	 access_gid = (gid_t)-1;

static int
access_open_file(const char *path)
{
	int fd;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
	    0644);
	/* Workers reopen it after a rotation, as their own user. */
	if (fd != -1 && geteuid() == 0 && access_uid != (uid_t)-1)
		(void)fchown(fd, access_uid, access_gid);
	return fd;
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
	fcntl(access_fd, F_SETFD, FD_CLOEXEC);
	return 0;
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

/*
 * access_write - the line for connection c, which began at started (ms on
 * the monotonic clock).  A unix client's address holds bytes it chose:
 * escaped and quoted, they can never end the line or forge a field.
 */
void
access_write(const struct preforkd_conn *c, int64_t started)
{
	char line[2048], local[ADDR_TEXT_MAX + 2], remote[ADDR_TEXT_MAX + 2];
	char zone[8];
	struct timespec ts;
	struct tm tm;
	int64_t ms;
	size_t n;

	if (access_fd == -1)
		return;
	ms = now_ms() - started;
	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "time=%Y-%m-%dT%H:%M:%S", &tm);
	strftime(zone, sizeof(zone), "%z", &tm);
	access_address(local, sizeof(local), (const struct sockaddr *)&c->local,
	    c->locallen);
	access_address(remote, sizeof(remote), (const struct sockaddr *)
	    &c->remote, c->remotelen);
	n += (size_t)snprintf(line + n, sizeof(line) - n,
	    ".%03ld%.3s:%s service=%s proto=%s local=%s remote=%s pid=%ld "
	    "in=%llu out=%llu duration=%lld.%03lld end=%s",
	    ts.tv_nsec / 1000000, zone, zone + 3, c->service->name,
	    addr_proto_name(c->proto), local, remote, (long)getpid(),
	    (unsigned long long)c->bytes_in, (unsigned long long)c->bytes_out,
	    (long long)(ms / 1000), (long long)(ms % 1000),
	    conn_end_name(c->end));
	if (n < sizeof(line))
		n += access_exec_status(line + n, sizeof(line) - n,
		    c->exec_status);
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)write(access_fd, line, n);
}
