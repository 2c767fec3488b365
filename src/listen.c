/*
 * listen.c - listening sockets: create, bind and listen on a parsed
 * address, with the errors a person can act on.  A port is reserved only
 * here, when bind() succeeds; every accepted connection is then a new
 * socket on the same local port, told apart by the remote address and port.
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
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

/* listen_cause - the plain-words reason behind a failed bind(). */
static void
listen_cause(const struct listener *l, int error, char *err, size_t errlen)
{
	const struct sockaddr_un *sun;
	char dir[sizeof(sun->sun_path)];

	switch (error) {
	case EADDRINUSE:
		snprintf(err, errlen, "address already in use (%s)",
		    l->addr.proto == PROTO_UNIX ?
		    "another process is listening on this socket" :
		    "another socket is bound to this port");
		break;
	case EACCES:
		if (l->addr.proto == PROTO_UNIX) {
			sun = (const struct sockaddr_un *)&l->addr.ss;
			snprintf(dir, sizeof(dir), "%s", sun->sun_path);
			snprintf(err, errlen, "permission denied (cannot "
			    "create a socket file in %s)", dirname(dir));
		} else if (addr_port((const struct sockaddr *)&l->addr.ss) <
		    1024)
			snprintf(err, errlen, "permission denied (ports below "
			    "1024 need root)");
		else
			snprintf(err, errlen, "permission denied");
		break;
	case ENOENT:
		if (l->addr.proto == PROTO_UNIX) {
			sun = (const struct sockaddr_un *)&l->addr.ss;
			snprintf(err, errlen, "%s",
			    file_error_at(sun->sun_path, error));
		} else
			snprintf(err, errlen, "%s", strerror(error));
		break;
	case EEXIST:
		snprintf(err, errlen, "a file that is not a socket is in the "
		    "way (remove it, or choose another path)");
		break;
	case EADDRNOTAVAIL:
		snprintf(err, errlen, "address not available (no interface "
		    "on this host has this address)");
		break;
	case EAFNOSUPPORT:
		snprintf(err, errlen, "%s is not available on this host",
		    l->addr.ss.ss_family == AF_INET6 ? "IPv6" : "this protocol");
		break;
	default:
		snprintf(err, errlen, "%s", strerror(error));
		break;
	}
}

/*
 * listen_unix_stale - make room for a unix socket at path: a socket file
 * that nobody listens on (left by a dead previous run) is removed; a live
 * one is EADDRINUSE; anything else there is EEXIST.
 */
static int
listen_unix_stale(const struct sockaddr_un *sun, socklen_t len)
{
	struct stat st;
	int fd, rc, error;

	if (lstat(sun->sun_path, &st) == -1)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return -1;
	rc = connect(fd, (const struct sockaddr *)sun, len);
	error = errno;
	close(fd);
	if (rc == 0) {
		errno = EADDRINUSE;
		return -1;
	}
	if (error != ECONNREFUSED && error != ENOENT) {
		errno = error;
		return -1;
	}
	if (unlink(sun->sun_path) == -1 && errno != ENOENT)
		return -1;
	return 0;
}

static int
listen_socket(int family, int type)
{
	int fd;

	if ((fd = socket(family, type, 0)) == -1)
		return -1;
	if (fd_cloexec(fd, 1) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * listen_bind_unix - bind the socket file with its mode already right: the
 * umask makes it, so the file is never chmod()ed by a name that someone
 * who can write the directory may have replaced meanwhile.  The device
 * and inode it got are what later checks compare with.
 */
static int
listen_bind_unix(struct listener *l, mode_t mode)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)&l->addr.ss;
	struct stat st;
	mode_t old;
	int rc;

	if (listen_unix_stale(sun, l->addr.sslen) == -1)
		return -1;
	old = umask(~mode & 0777);
	rc = bind(l->fd, (const struct sockaddr *)sun, l->addr.sslen);
	umask(old);
	if (rc == -1 || lstat(sun->sun_path, &st) == -1)
		return -1;
	if (S_ISSOCK(st.st_mode)) {
		l->unix_dev = st.st_dev;
		l->unix_ino = st.st_ino;
		l->unix_mode = mode;
	}
	return 0;
}

/*
 * listen_timeouts - io_timeout as the socket's receive and send timeouts.
 * Accepted sockets inherit them from the listener, so a silent client (or
 * one that reads nothing) makes read() or write() fail with EAGAIN after
 * io_timeout seconds, at no cost per connection.
 */
static int
listen_timeouts(int fd, int io_timeout)
{
	struct timeval tv;

	tv.tv_sec = io_timeout;
	tv.tv_usec = 0;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		return -1;
	return 0;
}

/*
 * listen_open - bind and (for streams) listen on l->addr.  On success l->fd
 * is a non-blocking, close-on-exec socket and l->bound the address the
 * kernel gave (port 0 resolved).  On failure returns -1 with the cause in
 * err; the caller names the socket.
 */
int
listen_open(struct listener *l, int backlog, mode_t unix_mode, int io_timeout,
    char *err, size_t errlen)
{
	struct sockaddr_in sin;
	int type, family, on = 1, off = 0, v6only;
	const char *step = "socket";

	type = l->addr.proto == PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM;
	family = l->addr.ss.ss_family;
	l->bound = l->addr;
	l->unix_dev = 0;
	l->unix_ino = 0;
	l->unix_mode = (mode_t)-1;

	if ((l->fd = listen_socket(family, type)) == -1 &&
	    l->addr.wildcard && errno == EAFNOSUPPORT) {
		/* "*" on a host without IPv6: every IPv4 address will do. */
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = ((struct sockaddr_in6 *)&l->addr.ss)->sin6_port;
		sin.sin_addr.s_addr = htonl(INADDR_ANY);
		memcpy(&l->bound.ss, &sin, sizeof(sin));
		l->bound.sslen = sizeof(sin);
		family = AF_INET;
		l->fd = listen_socket(family, type);
	}
	if (l->fd == -1)
		goto fail;

	if (family == AF_INET6) {
		/* An explicit [::] is IPv6 only; "*" takes IPv4 as well. */
		v6only = l->addr.wildcard ? 0 : 1;
		step = "setsockopt IPV6_V6ONLY";
		if (setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY,
		    v6only ? &on : &off, sizeof(on)) == -1)
			goto fail;
	}
	if (family != AF_UNIX) {
		/*
		 * TCP: a restart may bind while old connections linger in
		 * TIME_WAIT.  Not UDP: there it would let any local user
		 * bind the same address and port and answer our clients.
		 */
		step = "setsockopt SO_REUSEADDR";
		if (type == SOCK_STREAM && setsockopt(l->fd, SOL_SOCKET,
		    SO_REUSEADDR, &on, sizeof(on)) == -1)
			goto fail;
		step = NULL;	/* bind: explained by listen_cause */
		if (bind(l->fd, (struct sockaddr *)&l->bound.ss,
		    l->bound.sslen) == -1)
			goto fail;
	} else {
		step = NULL;
		if (listen_bind_unix(l, unix_mode) == -1)
			goto fail;
	}
	if (type == SOCK_STREAM) {
		step = "setsockopt SO_RCVTIMEO/SO_SNDTIMEO";
		if (io_timeout > 0 && listen_timeouts(l->fd, io_timeout) == -1)
			goto fail;
		step = "listen";
		if (listen(l->fd, backlog) == -1)
			goto fail;
	}
	step = "fcntl O_NONBLOCK";
	if (fd_nonblock(l->fd, 1) == -1)
		goto fail;
	if (family != AF_UNIX) {
		l->bound.sslen = sizeof(l->bound.ss);
		step = "getsockname";
		if (getsockname(l->fd, (struct sockaddr *)&l->bound.ss,
		    &l->bound.sslen) == -1)
			goto fail;
	}
	return 0;

fail:
	if (step == NULL)
		listen_cause(l, errno, err, errlen);
	else
		snprintf(err, errlen, "%s: %s", step, strerror(errno));
	if (l->fd != -1)
		close(l->fd);
	l->fd = -1;
	return -1;
}

/*
 * listen_unix_chmod - give the socket file we bound a new mode, through a
 * descriptor of the very inode we bound.  Whoever can write the directory
 * can put something else under the name (a symbolic link to a file of
 * root's, say): then the change is refused, never applied by the name.
 * fchmod() cannot do it (on an O_PATH descriptor it fails with EBADF, on
 * the socket it changes the socket's own inode, not the file), so the
 * descriptor is named through /proc; where there is no O_PATH, only a
 * mode that is already right passes.  0, or -1 with the reason in err.
 */
static int
listen_unix_chmod(struct listener *l, mode_t mode, char *err, size_t errlen)
{
	const char *path = ((const struct sockaddr_un *)&l->addr.ss)->sun_path;
	struct stat st;
	int fd = -1, rc;
#if defined(__linux__) && defined(O_PATH)
	char proc[64];
#endif

	if (l->unix_mode == mode)
		return 0;
	if (l->unix_ino == 0) {
		snprintf(err, errlen, "unix_mode %04o not applied: %s is not "
		    "a socket file that preforkd made (restart preforkd to "
		    "bind it again)", (unsigned)mode, path);
		return -1;
	}
#if defined(__linux__) && defined(O_PATH)
	if ((fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC)) != -1)
		rc = fstat(fd, &st);
	else
		rc = -1;
#else
	rc = lstat(path, &st);
#endif
	if (rc == -1) {
		snprintf(err, errlen, "unix_mode %04o not applied: %s: %s%s",
		    (unsigned)mode, path, strerror(errno), errno == ENOENT ?
		    " (the socket file was removed; restart preforkd to bind "
		    "it again)" : "");
		goto fail;
	}
	if (st.st_dev != l->unix_dev || st.st_ino != l->unix_ino) {
		snprintf(err, errlen, "unix_mode %04o not applied: %s is no "
		    "longer the socket preforkd bound: %s is in its place "
		    "(not followed; restart preforkd to bind it again)",
		    (unsigned)mode, path, S_ISLNK(st.st_mode) ?
		    "a symbolic link" : "another file");
		goto fail;
	}
	if ((st.st_mode & 07777) != mode) {
#if defined(__linux__) && defined(O_PATH)
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (chmod(proc, mode) == -1) {
			snprintf(err, errlen, "unix_mode %04o not applied: "
			    "chmod %s (as %s): %s", (unsigned)mode, path, proc,
			    strerror(errno));
			goto fail;
		}
#else
		snprintf(err, errlen, "unix_mode %04o not applied: %s: this "
		    "system offers no safe way to change the mode of an "
		    "existing socket file (restart preforkd to bind it with "
		    "the new mode)", (unsigned)mode, path);
		goto fail;
#endif
	}
	if (fd != -1)
		close(fd);
	l->unix_mode = mode;
	return 0;

fail:
	if (fd != -1)
		close(fd);
	return -1;
}

/*
 * listen_adjust - give an open listener (kept across a reload) the options
 * of the new configuration: backlog, io_timeout, unix_mode.  Same fd, so
 * the connections waiting in its accept queue stay.  0, or -1 with what
 * could not be done in err (what could, is).
 */
int
listen_adjust(struct listener *l, int backlog, mode_t unix_mode,
    int io_timeout, char *err, size_t errlen)
{
	if (l->addr.proto == PROTO_UDP)
		return 0;
	if (listen(l->fd, backlog) == -1) {
		snprintf(err, errlen, "cannot apply the new backlog: listen: "
		    "%s", strerror(errno));
		return -1;
	}
	if (listen_timeouts(l->fd, io_timeout) == -1) {
		snprintf(err, errlen, "cannot apply the new io_timeout: "
		    "setsockopt SO_RCVTIMEO/SO_SNDTIMEO: %s", strerror(errno));
		return -1;
	}
	if (l->addr.proto == PROTO_UNIX && !l->shared)
		return listen_unix_chmod(l, unix_mode, err, errlen);
	return 0;
}

/*
 * listen_defer - defer_accept on a TCP listener (seconds; 0 turns it off):
 * the kernel wakes no worker for a connection until its client has sent
 * something.  Linux: TCP_DEFER_ACCEPT.  The kernel keeps the period as a
 * number of SYN-ACK retransmissions, so it rounds it up to their times
 * (1, 3, 7, 15, 31, 63, 127 s, then every 120 s); once that is over, it
 * retransmits the SYN-ACK a last time, and the client's ACK of it queues
 * the connection for accept() even without data: a silent client reaches
 * a worker then, for io_timeout (and io_timeout_busy) to deal with.
 * l->defer_accept is what the kernel made of it.  The BSDs: the accept
 * filter "dataready" (accf_data), which has no period: it holds a silent
 * connection until the client sends or the listen queue needs the room.
 * Other sockets take nothing (conf_admit.c refuses the setting there).
 * 0, or -1 with errno; the caller names the socket.
 */
int
listen_defer(struct listener *l, int seconds)
{
#if defined(TCP_DEFER_ACCEPT)
	socklen_t len = sizeof(l->defer_accept);
#elif defined(SO_ACCEPTFILTER)
	struct accept_filter_arg afa;
#endif

	/* Set even to 0: an inherited socket may come with it on. */
	if (l->addr.proto != PROTO_TCP)
		return 0;
#if defined(TCP_DEFER_ACCEPT)
	if (setsockopt(l->fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &seconds,
	    sizeof(seconds)) == -1)
		return -1;
	if (getsockopt(l->fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &l->defer_accept,
	    &len) == -1)
		l->defer_accept = seconds;
	return 0;
#elif defined(SO_ACCEPTFILTER)
	if (seconds == 0) {
		if (setsockopt(l->fd, SOL_SOCKET, SO_ACCEPTFILTER, NULL, 0) ==
		    -1 && errno != EINVAL)
			return -1;
		l->defer_accept = 0;
		return 0;
	}
	memset(&afa, 0, sizeof(afa));
	strlcpy(afa.af_name, "dataready", sizeof(afa.af_name));
	if (setsockopt(l->fd, SOL_SOCKET, SO_ACCEPTFILTER, &afa,
	    sizeof(afa)) == -1)
		return -1;
	l->defer_accept = seconds;
	return 0;
#else
	errno = ENOPROTOOPT;
	return -1;
#endif
}

/*
 * listen_set_blocking - whether accept() on this socket blocks.  The
 * setting belongs to the socket, shared by every process that holds it.
 */
int
listen_set_blocking(struct listener *l, int blocking)
{
	return fd_nonblock(l->fd, !blocking);
}

/*
 * listen_policy - how the workers of a service with these n listeners
 * wait.  A single listener is left blocking: an idle worker sleeps in
 * accept() (or, UDP, in recvmmsg()) itself, where the kernel wakes one
 * waiter per connection or datagram, and the socket sits in no epoll set
 * (worker.c), so a connection or a datagram costs what it costs a minimal
 * preforking server.  With several listeners the sockets are non-blocking
 * and workers wait in epoll.  Without PR_SET_PDEATHSIG a worker asleep in
 * accept() would not notice its master's death, so there every socket is
 * non-blocking.  Replies to datagrams are sent with MSG_DONTWAIT whatever
 * the mode (DGRAM_SEND_FLAGS, conn.h): a full socket buffer drops a reply,
 * as UDP would, and never holds a worker.  programs: the
 * socket is handed to programs as inetd's wait does (exec mode "wait"),
 * which expect it blocking, whatever it is: it is theirs alone.
 */
void
listen_policy(struct listener *ls, size_t n, int programs)
{
	size_t i;
	int blocking = programs;

#if defined(HAVE_PRCTL) && defined(PR_SET_PDEATHSIG)
	if (n == 1)
		blocking = 1;
#endif
	for (i = 0; i < n; i++)
		if (ls[i].fd != -1)
			(void)listen_set_blocking(&ls[i], blocking);
}

/*
 * listen_close - close the socket; a unix socket file is removed too, but
 * only if it is still the one we made (not a successor's).
 */
void
listen_close(struct listener *l)
{
	const struct sockaddr_un *sun;
	struct stat st;

	if (l->fd == -1)
		return;
	close(l->fd);
	l->fd = -1;
	if (l->addr.proto != PROTO_UNIX || l->unix_ino == 0 || l->shared)
		return;
	sun = (const struct sockaddr_un *)&l->addr.ss;
	if (lstat(sun->sun_path, &st) == 0 && st.st_dev == l->unix_dev &&
	    st.st_ino == l->unix_ino)
		unlink(sun->sun_path);
}

/*
 * listen_waiting - how many connections wait in l's accept queue: what a
 * Linux TCP listener's TCP_INFO says (tcpi_unacked is the accept queue's
 * length on a listening socket), else 1 when poll() says one is there;
 * 0 for UDP.
 */
int
listen_waiting(const struct listener *l)
{
	struct pollfd pfd;
#if defined(__linux__) && defined(TCP_INFO)
	struct tcp_info ti;
	socklen_t len;
#endif

	if (l->fd == -1 || l->addr.proto == PROTO_UDP)
		return 0;
#if defined(__linux__) && defined(TCP_INFO)
	len = sizeof(ti);
	if (l->addr.proto == PROTO_TCP && getsockopt(l->fd, IPPROTO_TCP,
	    TCP_INFO, &ti, &len) == 0 && len >= offsetof(struct tcp_info,
	    tcpi_unacked) + sizeof(ti.tcpi_unacked))
		return (int)ti.tcpi_unacked;
#endif
	pfd.fd = l->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN) ? 1 : 0;
}

/* listen_describe - "tcp 127.0.0.1:41234": the socket as bound. */
char *
listen_describe(const struct listener *l, char *buf, size_t len)
{
	struct addr a = l->bound;

	a.wildcard = 0;		/* show what was bound: [::] */
	return addr_format(&a, buf, len);
}

/* ======================================================= inheritance === */

/*
 * Listening sockets passed to us at start-up, as systemd's socket
 * activation passes them (LISTEN_PID, LISTEN_FDS, fds from 3, optional
 * LISTEN_FDNAMES), or by the previous master during a binary upgrade
 * (which also sets PREFORKD_UPGRADE).  Each configured listener takes the
 * inherited socket with the same address, instead of binding its own.
 */
static struct {
	int		 n;
	int		*taken;
	int		*shared;	/* "@shared": systemd holds it too */
	char		**names;
	pid_t		 upgrade;	/* our predecessor, or 0 */
} inh;

/* How a predecessor marks a socket it had from systemd, in LISTEN_FDNAMES. */
#define SHARED_SUFFIX	"@shared"

#define LISTEN_FDS_START	3
#define LISTEN_FDS_MAX		1024

/* listen_inherit_init - read and clear the environment; how many fds came. */
int
listen_inherit_init(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	const char *names = getenv("LISTEN_FDNAMES");
	char *copy = NULL, *p, *name;
	long n = 0;
	int i;

	if (getenv("PREFORKD_UPGRADE") != NULL)
		inh.upgrade = (pid_t)strtol(getenv("PREFORKD_UPGRADE"), NULL, 10);
	if (pid != NULL && fds != NULL && strtol(pid, NULL, 10) == getpid())
		n = strtol(fds, NULL, 10);
	if (n < 0 || n > LISTEN_FDS_MAX)
		n = 0;
	if (n > 0 && names != NULL)
		copy = strdup(names);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	unsetenv("PREFORKD_UPGRADE");
	if (n == 0) {
		free(copy);
		return 0;
	}
	inh.taken = calloc((size_t)n, sizeof(*inh.taken));
	inh.shared = calloc((size_t)n, sizeof(*inh.shared));
	inh.names = calloc((size_t)n, sizeof(*inh.names));
	if (inh.taken == NULL || inh.shared == NULL || inh.names == NULL) {
		free(copy);
		return -1;
	}
	inh.n = (int)n;
	for (i = 0, p = copy; i < inh.n; i++) {
		if (fd_cloexec(LISTEN_FDS_START + i, 1) == -1) {
			free(copy);
			return -1;
		}
		if (p != NULL && (name = strsep(&p, ":")) != NULL) {
			size_t len = strlen(name), sl = strlen(SHARED_SUFFIX);

			if (len > sl && strcmp(name + len - sl,
			    SHARED_SUFFIX) == 0) {
				name[len - sl] = '\0';
				inh.shared[i] = 1;
			}
			inh.names[i] = strdup(name);
		}
	}
	free(copy);
	return inh.n;
}

/*
 * listen_inherit_upgrade - the pid of the master whose USR2 started us,
 * or 0 when we were not started by an upgrade.
 */
pid_t
listen_inherit_upgrade(void)
{
	return inh.upgrade;
}

/* listen_inherit_match - does the socket fd serve the configured address? */
static int
listen_inherit_match(int fd, const struct addr *a, struct addr *bound)
{
	const struct sockaddr *want = (const struct sockaddr *)&a->ss;
	const struct sockaddr *got = (const struct sockaddr *)&bound->ss;
	const struct sockaddr_in6 *g6;
	const struct sockaddr_in *g4;
	int type, port;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1)
		return 0;
	bound->sslen = sizeof(bound->ss);
	if (getsockname(fd, (struct sockaddr *)&bound->ss, &bound->sslen) ==
	    -1)
		return 0;
	if (type != (a->proto == PROTO_UDP ? SOCK_DGRAM : SOCK_STREAM) ||
	    (a->proto == PROTO_UNIX) != (got->sa_family == AF_UNIX))
		return 0;
	port = addr_port(want);
	if (a->wildcard) {
		/* "*": [::] bound for v4 and v6, or 0.0.0.0 without IPv6. */
		g6 = (const struct sockaddr_in6 *)got;
		g4 = (const struct sockaddr_in *)got;
		if (addr_port(got) != port)
			return 0;
		return (got->sa_family == AF_INET6 &&
		    IN6_IS_ADDR_UNSPECIFIED(&g6->sin6_addr)) ||
		    (got->sa_family == AF_INET &&
		    g4->sin_addr.s_addr == htonl(INADDR_ANY));
	}
	return addr_sockaddr_same(want, got, port == 0);
}

/*
 * listen_inherit_take - give l an inherited socket for its address, if one
 * came.  Addresses are unique in a valid config, so the address decides;
 * only a port-0 listener needs the socket's name (LISTEN_FDNAMES) to be
 * its service's, as a previous master names them.  1 when taken.
 */
int
listen_inherit_take(struct listener *l, const char *service, int backlog,
    mode_t unix_mode, int io_timeout)
{
	const struct sockaddr_un *sun;
	char desc[ADDR_TEXT_MAX], err[512];
	struct addr bound;
	struct stat st;
	int i, fd, named;

	for (i = 0; i < inh.n; i++) {
		if (inh.taken[i])
			continue;
		fd = LISTEN_FDS_START + i;
		named = inh.names[i] != NULL && service != NULL &&
		    strcmp(inh.names[i], service) == 0;
		if (addr_port((const struct sockaddr *)&l->addr.ss) == 0 &&
		    l->addr.proto != PROTO_UNIX && !named)
			continue;
		bound = l->addr;
		if (!listen_inherit_match(fd, &l->addr, &bound))
			continue;
		inh.taken[i] = 1;
		l->fd = fd;
		l->bound = bound;
		l->bound.wildcard = l->addr.wildcard;
		l->inherited = 1;
		/* From systemd, directly or through our predecessor. */
		l->shared = !inh.upgrade || inh.shared[i];
		l->unix_dev = 0;
		l->unix_ino = 0;
		l->unix_mode = (mode_t)-1;	/* not known: checked below */
		if (l->addr.proto == PROTO_UNIX && inh.upgrade) {
			/* Our predecessor's file, as far as a name tells. */
			sun = (const struct sockaddr_un *)&l->addr.ss;
			if (lstat(sun->sun_path, &st) == 0 &&
			    S_ISSOCK(st.st_mode)) {
				l->unix_dev = st.st_dev;
				l->unix_ino = st.st_ino;
			}
		}
		if (fd_nonblock(fd, 1) == -1)
			log_warning("service %s: %s: fcntl O_NONBLOCK: %s",
			    service != NULL ? service : "-", listen_describe(l,
			    desc, sizeof(desc)), strerror(errno));
		if (listen_adjust(l, backlog, unix_mode, io_timeout, err,
		    sizeof(err)) == -1)
			log_warning("service %s: %s: %s", service != NULL ?
			    service : "-", listen_describe(l, desc,
			    sizeof(desc)), err);
		return 1;
	}
	return 0;
}

/*
 * listen_inherit_done - close the inherited sockets no listener took, and
 * say so: a socket unit out of step with the config is worth a warning.
 */
void
listen_inherit_done(void)
{
	int i;

	for (i = 0; i < inh.n; i++) {
		if (!inh.taken[i]) {
			log_warning("socket fd %d (%s) passed in LISTEN_FDS "
			    "matches no listen address of the config; closing "
			    "it", LISTEN_FDS_START + i, inh.names[i] != NULL ?
			    inh.names[i] : "unnamed");
			close(LISTEN_FDS_START + i);
		}
		free(inh.names[i]);
	}
	free(inh.names);
	free(inh.taken);
	free(inh.shared);
	inh.names = NULL;
	inh.taken = inh.shared = NULL;
	inh.n = 0;
}
