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
 * access_value - an address as a logfmt value: as is, or quoted (with \"
 * and \\ escaped) when it holds a space, a quote or an "=", as a unix
 * socket path may.
 */
static void
access_value(char *buf, size_t len, const struct sockaddr *sa, socklen_t sl)
{
	char raw[ADDR_TEXT_MAX];
	size_t i, n = 0;

	addr_sockaddr_format(sa, sl, raw, sizeof(raw));
	if (strpbrk(raw, " \"=\\") == NULL) {
		snprintf(buf, len, "%s", raw);
		return;
	}
	buf[n++] = '"';
	for (i = 0; raw[i] != '\0' && n + 3 < len; i++) {
		if (raw[i] == '"' || raw[i] == '\\')
			buf[n++] = '\\';
		buf[n++] = raw[i];
	}
	buf[n++] = '"';
	buf[n] = '\0';
}

/*
 * access_write - the line for connection c, which began at started (ms on
 * the monotonic clock).  Addresses are printed by our own code, never from
 * client bytes, so they need no quoting.
 */
void
access_write(const struct preforkd_conn *c, int64_t started)
{
	char line[512], local[ADDR_TEXT_MAX], remote[ADDR_TEXT_MAX], zone[8];
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
	access_value(local, sizeof(local), (const struct sockaddr *)&c->local,
	    c->locallen);
	access_value(remote, sizeof(remote), (const struct sockaddr *)
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
