/*
 * ctl.c - "preforkd -s SIGNAL": find the running master through its pid
 * file and send it a signal; for stop and quit, wait until it is gone.
 * status and reload go over the control socket, where reload waits for
 * the outcome, printing the master's progress lines; upgrade asks the new
 * master for its progress there.  Every wait is bounded, and a command
 * that gives up says in words what is still going on (the daemon carries
 * on), never a bare errno.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"

/* How long -s upgrade waits for the new master to make progress. */
#define CTL_UPGRADE_MS	30000
/* How long a control socket request waits for a word from the master
 * (a waiting reload gets a progress line a second). */
#define CTL_WAIT_MS	30000

static const struct {
	const char	*name;
	int		 signo;
	int		 wait;		/* until the master is gone */
} ctl_table[] = {
	{ "stop",	SIGTERM,	1 },
	{ "quit",	SIGQUIT,	1 },
	{ "reload",	SIGHUP,		0 },
	{ "reopen",	SIGUSR1,	0 },
	{ "upgrade",	SIGUSR2,	0 },
	{ "status",	-1,		0 },	/* over the control socket */
};

/* ctl_valid - is name one of the -s commands? */
int
ctl_valid(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(ctl_table) / sizeof(ctl_table[0]); i++)
		if (strcmp(name, ctl_table[i].name) == 0)
			return 1;
	return 0;
}

/*
 * ctl_connect - a connection to the control socket, waiting up to ms
 * while its queue is full (a busy master).  The fd, or -1 with errno.
 */
static int
ctl_connect(const char *path, int64_t ms)
{
	struct sockaddr_un sun;
	int64_t deadline = now_ms() + ms;
	int fd, e;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	for (;;) {
		if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
			return -1;
		/* Non-blocking: a full queue says EAGAIN, not a hang. */
		if (fd_nonblock(fd, 1) == -1) {
			e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
			return fd;
		e = errno;
		close(fd);
		errno = e;
		if (e != EAGAIN || now_ms() >= deadline)
			return -1;
		poll(NULL, 0, 50);
	}
}

/*
 * ctl_send_line - write the request (short: a unix socket takes it at
 * once, or the master is not reading).  0, or -1 with errno.
 */
static int
ctl_send_line(int fd, const char *req)
{
	size_t len = strlen(req), off = 0;
	struct pollfd pfd;
	ssize_t n;

	while (off < len) {
		n = write(fd, req + off, len - off);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return -1;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, 5000) == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
	}
	return 0;
}

/* What came back of a request: its last line, to judge the outcome. */
struct ctl_answer {
	char		 last[512];	/* the last complete line */
	char		 cur[512];	/* the line coming in */
	size_t		 curlen;
	int		 lines;
};

/* ctl_track - note the lines in buf[0..n) (truncated at 511 bytes each). */
static void
ctl_track(struct ctl_answer *a, const char *buf, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			a->cur[a->curlen] = '\0';
			memcpy(a->last, a->cur, a->curlen + 1);
			a->curlen = 0;
			a->lines++;
		} else if (a->curlen < sizeof(a->cur) - 1)
			a->cur[a->curlen++] = buf[i];
	}
}

/*
 * ctl_request - send one request line over the control socket and copy
 * the answer to stdout as it comes (a reload's progress lines too),
 * keeping its last line in a.  Bounded in time: a master that says
 * nothing for CTL_WAIT_MS is given up on, in words (what: what it was
 * asked), and so is one whose socket does not take the request.
 */
static int
ctl_request(const struct conf *conf, const char *req, const char *what,
    struct ctl_answer *a)
{
	char buf[8192];
	struct pollfd pfd;
	int64_t deadline;
	ssize_t n;
	int fd;

	memset(a, 0, sizeof(*a));
	if ((fd = ctl_connect(conf->control_socket, CTL_WAIT_MS)) == -1) {
		if (errno == EAGAIN)
			fprintf(stderr, "preforkd: the control socket %s took "
			    "no new connection for %d s: the master is busy "
			    "or stuck and keeps running (see its error log)\n",
			    conf->control_socket, CTL_WAIT_MS / 1000);
		else
			fprintf(stderr, "preforkd: cannot connect to the "
			    "control socket %s: %s%s\n", conf->control_socket,
			    strerror(errno), errno == ENOENT ||
			    errno == ECONNREFUSED ? " (is preforkd running?)" :
			    "");
		return EXIT_RUNTIME;
	}
	if (ctl_send_line(fd, req) == -1) {
		fprintf(stderr, "preforkd: cannot send the %s request on the "
		    "control socket %s: %s\n", what, conf->control_socket,
		    errno == ETIMEDOUT ? "the master does not read it" :
		    strerror(errno));
		close(fd);
		return EXIT_RUNTIME;
	}
	deadline = now_ms() + CTL_WAIT_MS;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			ctl_track(a, buf, (size_t)n);
			fwrite(buf, 1, (size_t)n, stdout);
			/* A progress line shows at once, even in a pipe. */
			fflush(stdout);
			deadline = now_ms() + CTL_WAIT_MS;
			continue;
		}
		if (n == 0)
			break;
		if (errno != EAGAIN && errno != EINTR) {
			fprintf(stderr, "preforkd: the control connection to "
			    "%s broke off (%s) before the %s answer was "
			    "complete\n", conf->control_socket,
			    strerror(errno), what);
			close(fd);
			return EXIT_RUNTIME;
		}
		if (now_ms() < deadline) {
			pfd.fd = fd;
			pfd.events = POLLIN;
			(void)poll(&pfd, 1, (int)(deadline - now_ms()));
			continue;
		}
		fflush(stdout);
		if (a->lines > 0 && strcmp(what, "reload") == 0)
			fprintf(stderr, "preforkd: no word from the master for "
			    "%d s; the reload goes on in the daemon (last: %s): "
			    "see preforkd -s status and the error log\n",
			    CTL_WAIT_MS / 1000, a->last);
		else
			fprintf(stderr, "preforkd: no %s answer from the master "
			    "on %s within %d s; it is busy or stuck and keeps "
			    "running%s (see preforkd -s status and the error "
			    "log)\n", what, conf->control_socket,
			    CTL_WAIT_MS / 1000, strcmp(what, "reload") == 0 ?
			    ", and may still reload" : "");
		close(fd);
		return EXIT_RUNTIME;
	}
	close(fd);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
}

/*
 * ctl_reload - "-s reload" over the control socket: the master answers
 * once the new generation is started, with a progress line a second
 * meanwhile; the last line says how it went.
 */
static int
ctl_reload(const struct conf *conf)
{
	struct ctl_answer a;
	int rc;

	if ((rc = ctl_request(conf, "reload\n", "reload", &a)) != EXIT_OK)
		return rc;
	if (strncmp(a.last, "reloaded", 8) == 0)
		return EXIT_OK;
	if (a.lines == 0 || strncmp(a.last, "reload: generation", 18) == 0)
		fprintf(stderr, "preforkd: the master closed the control "
		    "connection before the reload's outcome (%s); see "
		    "preforkd -s status and the error log\n", a.lines == 0 ?
		    "no answer at all" : a.last);
	return EXIT_RUNTIME;
}

/*
 * ctl_progress - one "progress" request (bounded by ms): the answering
 * master's pid and how many of how many workers it has started.  0, or
 * -1 when no such answer came.
 */
static int
ctl_progress(const struct conf *conf, int64_t ms, pid_t *pid,
    int *started, int *of, char *line, size_t linelen)
{
	int64_t deadline = now_ms() + ms;
	struct pollfd pfd;
	size_t got = 0;
	ssize_t n;
	long p;
	int fd;

	if (conf->control_socket == NULL ||
	    (fd = ctl_connect(conf->control_socket, ms)) == -1)
		return -1;
	if (ctl_send_line(fd, "progress\n") == -1) {
		close(fd);
		return -1;
	}
	while (got < linelen - 1 && now_ms() < deadline) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(deadline - now_ms())) <= 0)
			continue;
		if ((n = read(fd, line + got, linelen - 1 - got)) <= 0) {
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				continue;
			break;
		}
		got += (size_t)n;
		if (memchr(line, '\n', got) != NULL)
			break;
	}
	close(fd);
	line[got] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (sscanf(line, "pid %ld generation %*u: %*[a-z], %d of %d", &p,
	    started, of) != 3)
		return -1;
	*pid = (pid_t)p;
	return 0;
}

/* ctl_wait_gone - poll until pid is gone or ms pass; 0 when gone. */
static int
ctl_wait_gone(pid_t pid, int64_t ms)
{
	int64_t deadline = now_ms() + ms;

	while (daemon_alive(pid)) {
		if (now_ms() >= deadline)
			return -1;
		poll(NULL, 0, 20);
	}
	return 0;
}

/*
 * ctl_upgrade - the whole binary upgrade: USR2 to the running master, wait
 * until the new master has written the pid file (it is ready: its pools
 * are started), then QUIT the old one and wait for it to finish its
 * connections and go.  While the new master starts its pools, its
 * progress (over the control socket it took over) is shown, and the wait
 * goes on as long as it makes some within CTL_UPGRADE_MS.
 */
static int
ctl_upgrade(const struct conf *conf, pid_t old)
{
	char err[512], *oldbin, line[256], gave[512];
	struct stat st, before;
	const char *what;
	int64_t t0, moved, asked = 0;
	int started = 0, n = -1, of = 0, shown = -1;
	pid_t pid, np = 0;

	if (stat(conf->pid_file, &before) == -1)
		memset(&before, 0, sizeof(before));
	if (kill(old, SIGUSR2) == -1) {
		fprintf(stderr, "preforkd: cannot send SIGUSR2 to pid %ld: %s\n",
		    (long)old, strerror(errno));
		return EXIT_RUNTIME;
	}
	if (asprintf(&oldbin, "%s.oldbin", conf->pid_file) == -1)
		return EXIT_RUNTIME;
	t0 = moved = now_ms();
	for (;;) {
		poll(NULL, 0, 50);
		if (access(oldbin, F_OK) == 0)
			started = 1;
		pid = daemon_pidfile_read(conf->pid_file, err, sizeof(err));
		if (pid > 0 && pid != old)
			break;
		/* The new master's progress, once a second. */
		if (started && now_ms() - asked >= 1000) {
			asked = now_ms();
			if (ctl_progress(conf, 1000, &np, &n, &of, line,
			    sizeof(line)) == 0 && np != old && n != shown) {
				printf("preforkd: new master pid %ld: %d of %d "
				    "workers started\n", (long)np, n, of);
				fflush(stdout);
				shown = n;
				moved = now_ms();
			}
		}
		what = NULL;
		/*
		 * A new binary that fails at once may come and go between two
		 * looks: its rename of the pid file back still shows, in the
		 * file's change time.
		 */
		if (stat(conf->pid_file, &st) == 0 &&
		    (st.st_ctim.tv_sec != before.st_ctim.tv_sec ||
		    st.st_ctim.tv_nsec != before.st_ctim.tv_nsec))
			started = 1;
		if (!daemon_alive(old))
			what = "the old master is gone, and no new master is "
			    "ready";
		else if (started && pid == old)
			what = "the new binary did not start (see the error "
			    "log); the old master goes on serving";
		else if (!started && now_ms() >= t0 + 5000)
			what = "the master did not start an upgrade (see the "
			    "error log)";
		else if (now_ms() >= moved + CTL_UPGRADE_MS) {
			if (shown >= 0)
				snprintf(gave, sizeof(gave), "the new master "
				    "pid %ld has started %d of %d workers and "
				    "none more for %d s; both masters carry on: "
				    "the new one writes the pid file once its "
				    "workers are started, then stop the old one "
				    "with kill -QUIT %ld (see the error log)",
				    (long)np, shown, of, CTL_UPGRADE_MS / 1000,
				    (long)old);
			else
				snprintf(gave, sizeof(gave), "no new master is "
				    "ready after %d s; the old master goes on "
				    "serving (see the error log)",
				    CTL_UPGRADE_MS / 1000);
			what = gave;
		}
		if (what != NULL) {
			fprintf(stderr, "preforkd: upgrade of pid %ld failed: "
			    "%s\n", (long)old, what);
			free(oldbin);
			return EXIT_RUNTIME;
		}
	}
	free(oldbin);
	printf("preforkd: new master pid %ld is serving; stopping the old "
	    "master pid %ld gracefully\n", (long)pid, (long)old);
	fflush(stdout);
	if (kill(old, SIGQUIT) == -1 && errno != ESRCH) {
		fprintf(stderr, "preforkd: cannot send SIGQUIT to pid %ld: %s\n",
		    (long)old, strerror(errno));
		return EXIT_RUNTIME;
	}
	if (ctl_wait_gone(old, conf->shutdown_timeout * 1000LL + 5000) == -1) {
		fprintf(stderr, "preforkd: the old master pid %ld is still "
		    "running; it goes on finishing its connections (see its "
		    "error log)\n", (long)old);
		return EXIT_RUNTIME;
	}
	printf("preforkd: upgraded (pid %ld)\n", (long)pid);
	return EXIT_OK;
}

/*
 * ctl_send - carry out "-s name" against the master of conf; returns the
 * exit status and prints the outcome in one line.
 */
int
ctl_send(const struct conf *conf, const char *name, int json)
{
	struct ctl_answer a;
	char err[512];
	size_t i;
	pid_t pid;

	for (i = 0; i < sizeof(ctl_table) / sizeof(ctl_table[0]); i++)
		if (strcmp(name, ctl_table[i].name) == 0)
			break;
	if (i == sizeof(ctl_table) / sizeof(ctl_table[0])) {
		fprintf(stderr, "preforkd: -s: unknown command \"%s\"\n", name);
		return EXIT_USAGE;
	}
	if (ctl_table[i].signo == -1 || (ctl_table[i].signo == SIGHUP &&
	    conf->control_socket != NULL)) {
		if (conf->control_socket == NULL) {
			fprintf(stderr, "preforkd: -s %s needs the control "
			    "socket, and control_socket is \"off\" in %s\n",
			    name, conf->file);
			return EXIT_RUNTIME;
		}
		if (ctl_table[i].signo == -1)
			return ctl_request(conf, json ? "status json\n" :
			    "status\n", "status", &a);
		/* reload: the master answers with the outcome. */
		return ctl_reload(conf);
	}
	if ((pid = daemon_pidfile_read(conf->pid_file, err, sizeof(err))) ==
	    -1) {
		fprintf(stderr, "preforkd: %s\n", err);
		return EXIT_RUNTIME;
	}
	if (ctl_table[i].signo == SIGUSR2)
		return ctl_upgrade(conf, pid);
	if (kill(pid, ctl_table[i].signo) == -1) {
		fprintf(stderr, "preforkd: cannot send %s to pid %ld: %s%s\n",
		    sig_name(ctl_table[i].signo), (long)pid, strerror(errno),
		    errno == EPERM ? " (run this as root or as the user "
		    "that started preforkd)" : "");
		return EXIT_RUNTIME;
	}
	if (!ctl_table[i].wait) {
		printf("preforkd: sent %s to pid %ld\n",
		    sig_name(ctl_table[i].signo), (long)pid);
		return EXIT_OK;
	}
	if (ctl_wait_gone(pid, 5000 + (ctl_table[i].signo == SIGQUIT ?
	    conf->shutdown_timeout * 1000LL : FAST_STOP_GRACE_MS)) == -1) {
		fprintf(stderr, "preforkd: pid %ld is still running after %s\n",
		    (long)pid, sig_name(ctl_table[i].signo));
		return EXIT_RUNTIME;
	}
	printf("preforkd: stopped (pid %ld)\n", (long)pid);
	return EXIT_OK;
}
