/*
 * listen-t.c - unit tests of src/listen.c on real sockets in a temporary
 * directory: port 0 resolved to the port bound, UDP without SO_REUSEADDR,
 * a unix socket made with its mode at bind whatever the umask, a stale
 * socket file replaced, a live one and a regular file refused in plain
 * words, the blocking policy of a service's listeners, io_timeout on the
 * listener, the socket file removed at close only while it is ours.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "../tap/basic.h"

static char dir[] = "/tmp/listen-t.XXXXXX";
static char err[256];

/* listener - a listener for the text form of a listen address. */
static void
listener(struct listener *l, const char *text)
{
	char perr[ADDR_ERR_MAX];

	memset(l, 0, sizeof(*l));
	err[0] = '\0';
	if (addr_parse(text, &l->addr, perr, sizeof(perr)) == -1)
		bail("addr_parse %s: %s", text, perr);
	l->text = text;
	l->fd = -1;
}

static int
mode_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == -1)
		return -1;
	return (int)(st.st_mode & 07777);
}

static int
blocking(const struct listener *l)
{
	return (fcntl(l->fd, F_GETFL) & O_NONBLOCK) == 0;
}

static void
test_tcp_udp(void)
{
	struct listener t, u, t2, pair[2];
	struct timeval tv;
	socklen_t len = sizeof(tv);
	int one = 0;
	char desc[ADDR_TEXT_MAX], want[64];

	listener(&t, "127.0.0.1:0");
	ok(listen_open(&t, 16, 0666, 7, err, sizeof(err)) == 0,
	    "tcp 127.0.0.1:0 opens (%s)", err);
	ok(addr_port((const struct sockaddr *)&t.bound.ss) > 0,
	    "port 0: the port the kernel chose is in bound");
	snprintf(want, sizeof(want), "tcp 127.0.0.1:%d",
	    addr_port((const struct sockaddr *)&t.bound.ss));
	is_string(want, listen_describe(&t, desc, sizeof(desc)),
	    "listen_describe names the port bound");
	ok(getsockopt(t.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) == 0 &&
	    tv.tv_sec == 7, "io_timeout 7 is the listener's SO_RCVTIMEO");
	ok((fcntl(t.fd, F_GETFD) & FD_CLOEXEC) != 0, "close-on-exec");

	/* The same address again: in use, said in plain words. */
	listener(&t2, want + 4);
	ok(listen_open(&t2, 16, 0666, 0, err, sizeof(err)) == -1 &&
	    strstr(err, "address already in use (another socket is bound "
	    "to this port)") != NULL, "a port in use: %s", err);

	listener(&u, "udp://127.0.0.1:0");
	ok(listen_open(&u, 16, 0666, 0, err, sizeof(err)) == 0,
	    "udp 127.0.0.1:0 opens (%s)", err);
	len = sizeof(one);
	ok(getsockopt(u.fd, SOL_SOCKET, SO_REUSEADDR, &one, &len) == 0 &&
	    one == 0, "udp: no SO_REUSEADDR (no one else may bind its port)");

	/*
	 * One listener: workers sleep in accept() or recvmmsg() itself.
	 * Two: in epoll, so both are non-blocking.
	 */
	pair[0] = t;
	pair[1] = u;
	listen_policy(&t, 1, 0);
	listen_policy(&u, 1, 0);
#if defined(HAVE_PRCTL) && defined(PR_SET_PDEATHSIG)
	ok(blocking(&t), "policy: a service's only tcp listener blocks");
	ok(blocking(&u), "policy: a service's only udp listener blocks");
#else
	ok(!blocking(&t), "policy: without PDEATHSIG, nothing blocks");
	ok(!blocking(&u), "policy: without PDEATHSIG, not udp either");
#endif
	listen_policy(pair, 2, 0);
	ok(!blocking(&t) && !blocking(&u),
	    "policy: a service's two listeners, tcp and udp, never block");
	/* exec mode "wait": the programs' own, blocking as inetd's are. */
	listen_policy(pair, 2, 1);
	ok(blocking(&t) && blocking(&u),
	    "policy: listeners handed to programs block");
	listen_policy(pair, 2, 0);
	ok(!blocking(&u), "policy: back to non-blocking for workers");
	ok(listen_set_blocking(&t, 0) == 0 && !blocking(&t) &&
	    listen_set_blocking(&t, 1) == 0 && blocking(&t),
	    "listen_set_blocking both ways");
	listen_close(&t);
	listen_close(&u);
	ok(t.fd == -1 && u.fd == -1, "closed: fd -1");
}

static void
test_unix(void)
{
	struct listener l, live, stale;
	char *path, *spec, *file, *fspec;
	int fd;
	mode_t old;

	path = tap_strdup_printf("%s/s.sock", dir);
	spec = tap_strdup_printf("unix:%s", path);

	/* The mode is set at bind, whatever the umask. */
	old = umask(0);
	listener(&l, spec);
	ok(listen_open(&l, 16, 0600, 0, err, sizeof(err)) == 0,
	    "unix socket opens (%s)", err);
	umask(old);
	is_int(0600, mode_of(path), "unix_mode 0600 at bind, even with umask 0");
	ok(l.unix_ino != 0, "the inode we bound is remembered");

	/* A live socket at the path: refused, left alone. */
	listener(&live, spec);
	ok(listen_open(&live, 16, 0666, 0, err, sizeof(err)) == -1 &&
	    strstr(err, "another process is listening on this socket") !=
	    NULL, "a live socket file: %s", err);
	ok(mode_of(path) == 0600, "and the live one is left as it was");

	/* Closed by a stale owner: the next one takes the file over. */
	fd = dup(l.fd);
	listen_close(&l);
	ok(access(path, F_OK) == -1 && errno == ENOENT,
	    "listen_close removes the socket file it made");
	close(fd);
	{
		struct sockaddr_un sun;

		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd == -1 || bind(fd, (struct sockaddr *)&sun,
		    sizeof(sun)) == -1)
			sysbail("bind %s", path);
		close(fd);	/* a stale socket file, no one listening */
	}
	listener(&stale, spec);
	ok(listen_open(&stale, 16, 0666, 0, err, sizeof(err)) == 0,
	    "a stale socket file is replaced (%s)", err);
	is_int(0666, mode_of(path), "with the new mode");

	/* Replaced by someone else: our close leaves their file alone. */
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT, 0644);
	close(fd);
	listen_close(&stale);
	ok(access(path, F_OK) == 0, "listen_close leaves a file that is no "
	    "longer ours");
	unlink(path);

	/* A regular file in the way: refused, kept. */
	file = tap_strdup_printf("%s/data", dir);
	fspec = tap_strdup_printf("unix:%s", file);
	fd = open(file, O_WRONLY | O_CREAT, 0644);
	(void)write(fd, "keep\n", 5);
	close(fd);
	listener(&l, fspec);
	ok(listen_open(&l, 16, 0666, 0, err, sizeof(err)) == -1 &&
	    strstr(err, "not a socket") != NULL, "a regular file: %s", err);
	ok(mode_of(file) == 0644, "and the file is kept");
	unlink(file);
	free(path);
	free(spec);
	free(file);
	free(fspec);
}

int
main(void)
{
	plan_lazy();
	if (mkdtemp(dir) == NULL)
		sysbail("mkdtemp");
	test_tcp_udp();
	test_unix();
	rmdir(dir);
	return 0;
}
