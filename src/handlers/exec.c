/*
 * exec.c - the exec handler: any program as a preforked service.
 *
 * Mode "connection" (the default) is tcpserver's: for each connection the
 * worker forks and execs exec.argv with the connection on fd 0 and 1, its
 * stderr on a pipe that the worker copies line by line into the error
 * log, and the UCSPI environment (PROTO, TCPLOCALIP, ... or UNIXREMOTEPID,
 * ...).  The program runs in a process group of its own, so that timeout
 * (and a hung worker's kill) ends it together with its children.  Like
 * any module, it sees the connection through the accessor table of
 * preforkd/module.h: it reports that process group with report_group and
 * counts timeout from started; only two things are preforkd's own (conn.c:
 * the program's wait status for the access log, and closing the client's
 * socket once the program holds it).  While it waits, TERM and CHLD reach
 * it through sig.c's self-pipe (sig_worker_child).
 *
 * Mode "worker" is systemd's socket activation: each worker execs argv
 * once with the service's listening sockets on fds 3 and up, and
 * LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES set; the program accepts by
 * itself while the master supervises it as one of its workers (the pid is
 * the same, so the master's signals reach the program directly).
 *
 * Mode "wait" is inetd's: each worker runs argv with the service's one
 * listening socket on fd 0 and 1, as in mode "connection" but once for
 * many clients, and starts it again when it ends (exec_wait_run).
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#ifdef HAVE_SYS_PRCTL_H
#include <sys/prctl.h>
#endif
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "handler.h"

/* What a program finds in PATH unless exec.env sets it. */
#define EXEC_DEFAULT_PATH	"PATH=/usr/local/bin:/usr/bin:/bin"

/* Stderr is logged in lines of at most this many bytes (longer: split). */
#define EXEC_LINE_MAX		960

/* After TERM, a program's group gets this long before KILL. */
#define EXEC_KILL_GRACE_MS	1000

/* After the program, how long its connection's end is waited for (for
 * the byte counts) when io_timeout is 0. */
#define EXEC_BYTES_WAIT_MS	10000

/* Variables preforkd sets itself: exec.env may not (conf_exec.c checks). */
const char *const exec_reserved_env[] = {
	"PROTO", "TCPLOCALIP", "TCPLOCALPORT", "TCPREMOTEIP", "TCPREMOTEPORT",
	"UNIXREMOTEPID", "UNIXREMOTEUID", "UNIXREMOTEGID", "LISTEN_FDS",
	"LISTEN_PID", "LISTEN_FDNAMES", NULL
};

/* A growing NULL-ended vector of malloc'ed "NAME=value" strings. */
struct exec_env {
	char	**v;
	size_t	  n;
	int	  failed;
};

/* The stderr pipe of a running program, cut into lines. */
struct exec_errlog {
	int		 fd;
	const char	*service;
	pid_t		 pid;
	char		 buf[EXEC_LINE_MAX + 1];
	size_t		 len;
};

static void	exec_stream(struct preforkd_conn *);

const struct preforkd_module handler_exec = {
	PREFORKD_MODULE_INIT,
	.name = "exec",
	.serve_stream = exec_stream,
};

/* ----------------------------------------------------------- environment */

static void
exec_env_add(struct exec_env *e, const char *name, const char *value)
{
	char **v, *s;
	size_t len;

	if (e->failed)
		return;
	len = strlen(name) + (value != NULL ? strlen(value) + 1 : 0) + 1;
	if ((v = realloc(e->v, (e->n + 2) * sizeof(*e->v))) == NULL ||
	    (s = malloc(len)) == NULL) {
		if (v != NULL)
			e->v = v;
		e->failed = 1;
		return;
	}
	e->v = v;
	if (value != NULL)
		snprintf(s, len, "%s=%s", name, value);
	else
		snprintf(s, len, "%s", name);
	e->v[e->n++] = s;
	e->v[e->n] = NULL;
}

static void
exec_env_free(struct exec_env *e)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		free(e->v[i]);
	free(e->v);
	e->v = NULL;
	e->n = 0;
}

/*
 * exec_env_base - PATH unless exec.env sets it, then exec.env: the
 * environment every program starts from (nothing of preforkd's own).
 */
static void
exec_env_base(struct exec_env *e, const struct conf_exec *x)
{
	size_t i;
	int path = 0;

	for (i = 0; x->env != NULL && x->env[i] != NULL; i++)
		if (strncmp(x->env[i], "PATH=", 5) == 0)
			path = 1;
	if (!path)
		exec_env_add(e, EXEC_DEFAULT_PATH, NULL);
	for (i = 0; x->env != NULL && x->env[i] != NULL; i++)
		exec_env_add(e, x->env[i], NULL);
}

/* exec_env_ip - NAMEIP and NAMEPORT for an address; IPv4-mapped as IPv4. */
static void
exec_env_ip(struct exec_env *e, const char *ipname, const char *portname,
    const struct sockaddr *sa)
{
	char text[INET6_ADDRSTRLEN], port[8];
	const struct sockaddr_in6 *sin6;
	const struct sockaddr_in *sin;
	struct in_addr v4;

	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, text, sizeof(text));
		snprintf(port, sizeof(port), "%u", ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			memcpy(&v4, &sin6->sin6_addr.s6_addr[12], sizeof(v4));
			inet_ntop(AF_INET, &v4, text, sizeof(text));
		} else
			inet_ntop(AF_INET6, &sin6->sin6_addr, text,
			    sizeof(text));
		snprintf(port, sizeof(port), "%u", ntohs(sin6->sin6_port));
	} else
		return;
	exec_env_add(e, ipname, text);
	exec_env_add(e, portname, port);
}

/* exec_env_unix - the peer's credentials, where the system tells them. */
static void
exec_env_unix(struct exec_env *e, int fd)
{
	char num[24];
#if defined(SO_PEERCRED)
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		return;
	snprintf(num, sizeof(num), "%ld", (long)cred.pid);
	exec_env_add(e, "UNIXREMOTEPID", num);
	snprintf(num, sizeof(num), "%lu", (unsigned long)cred.uid);
	exec_env_add(e, "UNIXREMOTEUID", num);
	snprintf(num, sizeof(num), "%lu", (unsigned long)cred.gid);
	exec_env_add(e, "UNIXREMOTEGID", num);
#elif defined(HAVE_GETPEEREID)
	uid_t uid;
	gid_t gid;

	if (getpeereid(fd, &uid, &gid) == -1)
		return;
	snprintf(num, sizeof(num), "%lu", (unsigned long)uid);
	exec_env_add(e, "UNIXREMOTEUID", num);
	snprintf(num, sizeof(num), "%lu", (unsigned long)gid);
	exec_env_add(e, "UNIXREMOTEGID", num);
#else
	(void)e;
	(void)fd;
	(void)num;
#endif
}

/* exec_env_conn - the UCSPI environment of connection c, after the base. */
static void
exec_env_conn(struct exec_env *e, const struct preforkd_api *api,
    const struct preforkd_conn *c)
{
	const struct sockaddr *via, *remote;
	socklen_t len, vialen;

	/* Through a balancer (proxy_protocol): the client and the address
	 * it reached as the PROXY header names them, the balancer apart;
	 * a unix listener's client is then a TCP one too. */
	via = api->via(c, &vialen);
	remote = api->remote(c, &len);
	if (api->proto(c) == PREFORKD_PROTO_UNIX && (via == NULL ||
	    remote->sa_family == AF_UNIX)) {
		exec_env_add(e, "PROTO", "UNIX");
		exec_env_unix(e, api->fd(c));
		return;
	}
	exec_env_add(e, "PROTO", "TCP");
	exec_env_ip(e, "TCPLOCALIP", "TCPLOCALPORT", api->local(c, &len));
	exec_env_ip(e, "TCPREMOTEIP", "TCPREMOTEPORT", remote);
	if (via != NULL)
		exec_env_ip(e, "PROXYREMOTEIP", "PROXYREMOTEPORT", via);
}

/* ------------------------------------------------------------ descriptors */

/* exec_above - fd moved to 3 or above (so 0, 1, 2 can be set freely). */
static int
exec_above(int fd, int low)
{
	int nfd;

	if (fd >= low)
		return fd;
	if ((nfd = fcntl(fd, F_DUPFD_CLOEXEC, low)) == -1)
		return fd;
	return nfd;
}

/*
 * exec_child - in the forked child: become the leader of a process group,
 * put the connection on 0 and 1 and the pipe on 2, close the rest, and
 * exec.  On failure the errno goes back on the status pipe (fd statw,
 * close-on-exec, so it reads as end of file when exec succeeds).
 */
static void __attribute__((noreturn))
exec_child(int sock, int errw, int statw, pid_t worker, char *const *argv,
    char *const *env)
{
	int e;

	(void)setpgid(0, 0);
#if defined(HAVE_PRCTL) && defined(PR_SET_PDEATHSIG)
	/* A worker killed with -9 takes the program with it. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != worker)
		_exit(127);
#else
	(void)worker;
#endif
	/*
	 * Default signal actions; the worker's self-pipe is close-on-exec.
	 * Nothing here writes memory: this may be a vfork() child.
	 */
	sig_default_all();
	sock = exec_above(sock, 3);
	errw = exec_above(errw, 3);
	statw = exec_above(statw, 3);
	if (dup2(sock, 0) == -1 || dup2(sock, 1) == -1 ||
	    dup2(errw, 2) == -1)
		goto fail;
	if (statw != 3) {
		if (dup2(statw, 3) == -1)
			goto fail;
		statw = 3;
	}
	if (fd_cloexec(statw, 1) == -1)
		goto fail;
	fd_close_range(4, -1);
	sig_block(0);
	execve(argv[0], argv, env);
fail:
	e = errno;
	(void)write(statw, &e, sizeof(e));
	_exit(127);
}

/*
 * exec_spawn - start the program in a child (exec_child): its pid, or -1
 * with errno.  vfork(): the worker waits until the program is exec'd
 * anyway (the status pipe), and skips copying its page tables for a child
 * that keeps none of them; exec_child() writes no memory of ours.  A
 * function of its own, so that no local of the caller lives in the frame
 * the child borrows.
 */
static pid_t
exec_spawn(int sock, int errw, int statw, char *const *argv,
    char *const *env)
{
	pid_t pid, self = getpid();

	sig_block(1);
#ifdef HAVE_VFORK
	pid = vfork();
#else
	pid = fork();
#endif
	if (pid == 0)
		exec_child(sock, errw, statw, self, argv, env);
	sig_block(0);
	return pid;
}

/* ----------------------------------------------------------------- stderr */

/* exec_errlog_line - log what is buffered as one line (possibly a part). */
static void
exec_errlog_line(struct exec_errlog *el)
{
	size_t i;

	if (el->len > 0 && el->buf[el->len - 1] == '\r')
		el->len--;
	for (i = 0; i < el->len; i++)
		if (el->buf[i] == '\0')
			el->buf[i] = '?';
	el->buf[el->len] = '\0';
	log_notice("service %s pid %ld: %s", el->service, (long)el->pid,
	    el->buf);
	el->len = 0;
}

/*
 * exec_errlog_read - take what the pipe has (non-blocking) and log every
 * complete line; a line longer than the buffer is logged in parts.  0
 * while the pipe is open, -1 at its end (then the rest is logged too).
 */
static int
exec_errlog_read(struct exec_errlog *el)
{
	char chunk[4096];
	ssize_t n, i;

	for (;;) {
		n = read(el->fd, chunk, sizeof(chunk));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? 0 : -1;
		if (n == 0) {
			if (el->len > 0)
				exec_errlog_line(el);
			return -1;
		}
		for (i = 0; i < n; i++) {
			if (chunk[i] == '\n') {
				exec_errlog_line(el);
				continue;
			}
			el->buf[el->len++] = chunk[i];
			if (el->len == EXEC_LINE_MAX)
				exec_errlog_line(el);
		}
	}
}

/* ------------------------------------------------------- the program */

/* exec_kill_group - signo to the program's process group, if still there. */
static void
exec_kill_group(pid_t pgid, int signo)
{
	/* Never kill(-0) or kill(-1): that would be us, or everyone. */
	if (pgid > 1)
		(void)kill(-pgid, signo);
}

/*
 * One run of the program, from its start to its end: what exec_start
 * sets up, what exec_wait watches, and what it learned.
 */
struct exec_run {
	const char	*name;		/* the service's */
	const char	*prog;		/* argv[0] */
	pid_t		 pid;		/* the program, leader of its group */
	struct exec_errlog el;		/* its stderr */
	int64_t		 deadline;	/* timeout: stop it then; 0 never */
	int		 timeout;	/* the setting, for the message */
	int		 wait_mode;	/* exec.mode "wait" (exec_wait_run) */
	int		 master_fd;	/* "wait": EOF once the master died */
	int		 end;		/* PREFORKD_END_*: stopped, or -1 */
	int		 stopping;	/* TERM came: the worker follows */
	int		 quit;		/* "wait": QUIT passed on as TERM */
	struct tcpbytes	*tb;		/* the connection's counts, or NULL */
};

/*
 * exec_start - run argv with sock on fd 0 and 1 and a pipe on 2 (r->el
 * reads it), the program leading a process group of its own, which
 * report (the module API's report_group, or the worker's own) gets.  0
 * once the program runs; -1 when it could not start, said in the log.
 */
static int
exec_start(struct exec_run *r, int sock, char *const *argv,
    char *const *env, int (*report)(void *, pid_t), void *arg)
{
	int errp[2] = { -1, -1 }, statp[2] = { -1, -1 }, e, rc = -1;
	ssize_t n;

	r->pid = -1;
	r->el.fd = -1;
	r->el.service = r->name;
	r->el.len = 0;
	if (pipe(errp) == -1 || pipe(statp) == -1) {
		log_error("service %s: pipe: %s", r->name, strerror(errno));
		goto out;
	}
	if (fd_cloexec(errp[0], 1) == -1 || fd_nonblock(errp[0], 1) == -1 ||
	    fd_cloexec(errp[1], 1) == -1 || fd_cloexec(statp[0], 1) == -1 ||
	    fd_cloexec(statp[1], 1) == -1) {
		log_error("service %s: fcntl on the program's pipes: %s",
		    r->name, strerror(errno));
		goto out;
	}
	if ((r->pid = exec_spawn(sock, errp[1], statp[1], argv, env)) == -1) {
		log_error("service %s: fork: %s", r->name, strerror(errno));
		goto out;
	}
	(void)setpgid(r->pid, r->pid);	/* as the child does: no race */
	if (report(arg, r->pid) == -1)
		log_warning("service %s: cannot report process group %ld to "
		    "the master: %s", r->name, (long)r->pid, strerror(errno));
	r->el.pid = r->pid;
	close(errp[1]);
	errp[1] = -1;
	close(statp[1]);
	statp[1] = -1;

	/* End of file: exec succeeded.  An errno: it did not. */
	do
		n = read(statp[0], &e, sizeof(e));
	while (n == -1 && errno == EINTR);
	if (n == (ssize_t)sizeof(e))
		log_error("service %s: cannot execute \"%s\": %s", r->name,
		    r->prog, strerror(e));
	else {
		rc = 0;
		if (log_would(LL_DEBUG))
			log_debug("service %s: program %s started (pid %ld)",
			    r->name, r->prog, (long)r->pid);
	}
	r->el.fd = errp[0];
	errp[0] = -1;
out:
	if (errp[0] != -1)
		close(errp[0]);
	if (errp[1] != -1)
		close(errp[1]);
	if (statp[0] != -1)
		close(statp[0]);
	if (statp[1] != -1)
		close(statp[1]);
	return rc;
}

/*
 * exec_signals - what the worker was told while its program runs.  TERM
 * (sig_worker_child): the group goes first, and r->stopping says the
 * worker must follow, by the same signal.  In mode "wait", where the
 * program is the whole service and no end of a connection will come,
 * QUIT (finish, then exit) becomes TERM for the program's leader alone,
 * so that the children it forked for its clients finish their work; and
 * USR1 reopens the logs at once.
 */
static void
exec_signals(struct exec_run *r, int64_t now, int64_t *kill_at)
{
	if (sig_take(SIGF_TERM)) {
		log_info("service %s: stopping program %ld and its process "
		    "group: this worker was told to stop", r->name,
		    (long)r->pid);
		exec_kill_group(r->pid, SIGTERM);
		r->deadline = 0;
		if (*kill_at == 0)
			*kill_at = now + EXEC_KILL_GRACE_MS;
		r->end = PREFORKD_END_ERROR;
		r->stopping = 1;
	}
	if (!r->wait_mode)
		return;
	if (sig_quit_requested() && !r->quit) {
		log_info("service %s: asking program %ld to finish (SIGTERM): "
		    "this worker was told to finish", r->name, (long)r->pid);
		if (r->pid > 1)
			(void)kill(r->pid, SIGTERM);
		r->quit = 1;
	}
	if (sig_take(SIGF_USR1))
		worker_reopen();
}

/*
 * exec_wait - wait for the program while copying its stderr to the log;
 * stop its group at the deadline (TERM, then KILL a second later), when
 * the worker is told to (exec_signals), or when the master cut the
 * client to free a full pool (shed.c).  Returns the program's wait
 * status.
 */
static int
exec_wait(struct exec_run *r)
{
	struct exec_errlog *el = &r->el;
	struct pollfd pfd[4];
	int64_t now, kill_at = 0, t;
	int status = 0, nfd, timeout, errfd = -1, masterfd = -1, tbfd = -1;
	siginfo_t si;

	for (;;) {
		/* Ended?  Looked at, not reaped: see below. */
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)r->pid, &si, WEXITED | WNOHANG |
		    WNOWAIT) == -1 || si.si_pid == r->pid)
			break;
		now = now_ms();
		exec_signals(r, now, &kill_at);
		/* The master cut the client to free a full pool (shed.c),
		 * and signalled the group too; this one is ours for sure. */
		if (kill_at == 0 && shed_cut()) {
			exec_kill_group(r->pid, SIGTERM);
			kill_at = now + EXEC_KILL_GRACE_MS;
		}
		if (r->deadline > 0 && now >= r->deadline && kill_at == 0) {
			log_warning("service %s: program %ld still running "
			    "after timeout %d s; stopping its process group",
			    r->name, (long)r->pid, r->timeout);
			exec_kill_group(r->pid, SIGTERM);
			kill_at = now + EXEC_KILL_GRACE_MS;
			r->end = PREFORKD_END_TIMEOUT;
		}
		if (kill_at > 0 && now >= kill_at) {
			log_warning("service %s: program %ld did not stop on "
			    "SIGTERM; killing its process group", r->name,
			    (long)r->pid);
			exec_kill_group(r->pid, SIGKILL);
			kill_at = -1;
		}

		timeout = -1;
		if (kill_at > 0)
			t = kill_at - now;
		else if (r->deadline > 0 && kill_at == 0)
			t = r->deadline - now;
		else
			t = -1;
		if (t >= 0)
			timeout = t > INT_MAX ? INT_MAX : (int)t;
		nfd = 0;
		pfd[nfd].fd = sig_fd();
		pfd[nfd++].events = POLLIN;
		errfd = masterfd = -1;
		if (el->fd != -1) {
			errfd = nfd;
			pfd[nfd].fd = el->fd;
			pfd[nfd++].events = POLLIN;
		}
		if (r->master_fd != -1) {
			masterfd = nfd;
			pfd[nfd].fd = r->master_fd;
			pfd[nfd++].events = POLLIN;
		}
		tbfd = -1;
		if (r->tb != NULL && r->tb->state == TCPBYTES_WATCHING) {
			tbfd = nfd;
			pfd[nfd].fd = tcpbytes_fd();
			pfd[nfd++].events = POLLIN;
		}
		if (poll(pfd, (nfds_t)nfd, timeout) <= 0)
			continue;
		if (tbfd != -1 && pfd[tbfd].revents != 0)
			(void)tcpbytes_events(r->tb);
		if (pfd[0].revents != 0)
			sig_drain();
		if (errfd != -1 && pfd[errfd].revents != 0 &&
		    exec_errlog_read(el) == -1) {
			close(el->fd);
			el->fd = -1;
		}
		if (masterfd != -1 && pfd[masterfd].revents != 0) {
			/* As if told to stop: the program must not outlive us. */
			log_warning("the master is gone; stopping program %ld",
			    (long)r->pid);
			r->master_fd = -1;
			(void)raise(SIGTERM);
		}
	}
	/* What the program said last; its children may keep the pipe. */
	if (el->fd != -1) {
		if (exec_errlog_read(el) != -1 && el->len > 0)
			exec_errlog_line(el);
		close(el->fd);
		el->fd = -1;
	}
	/*
	 * Stopped for a timeout or a stop: no member of its group stays.
	 * The leader is not reaped yet, so the group id is still its own
	 * and cannot have gone to someone else.
	 */
	if (kill_at != 0)
		exec_kill_group(r->pid, SIGKILL);
	while (waitpid(r->pid, &status, 0) == -1 && errno == EINTR)
		;
	return status;
}

/* exec_log_end - how the program ended, in the error log. */
static void
exec_log_end(const struct exec_run *r, int status)
{
	if (WIFEXITED(status))
		log_msg(WEXITSTATUS(status) == 0 ? LL_DEBUG : LL_INFO,
		    "service %s: program %s (pid %ld) exited with status %d",
		    r->name, r->prog, (long)r->pid, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		log_info("service %s: program %s (pid %ld) killed by signal "
		    "%d (%s)", r->name, r->prog, (long)r->pid,
		    WTERMSIG(status), sig_name(WTERMSIG(status)));
}

/* ------------------------------------------------------- per connection */

/*
 * exec_bytes - the byte counts of the connection, once the program is
 * over: its end is waited for (tcpbytes.c: a connection that the program
 * closed is over once the client has acknowledged what was sent) for
 * io_timeout at most, as a built-in handler's worker waits for a slow
 * client; then the kernel is asked for the counts so far.  A TERM for
 * the worker ends the wait, counts unknown.  Sets c's counts.
 */
static void
exec_bytes(struct exec_run *r, struct preforkd_conn *c, int io_timeout)
{
	struct pollfd pfd[2];
	int64_t until, left;

	if (r->tb == NULL) {
		conn_exec_bytes(c, 0, 0, 0);
		return;
	}
	until = now_ms() + (io_timeout > 0 ? io_timeout * 1000LL :
	    EXEC_BYTES_WAIT_MS);
	while (r->tb->state == TCPBYTES_WATCHING && !r->stopping &&
	    (left = until - now_ms()) > 0) {
		pfd[0].fd = sig_fd();
		pfd[0].events = POLLIN;
		pfd[1].fd = tcpbytes_fd();
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, left > INT_MAX ? INT_MAX : (int)left) <= 0)
			continue;
		if (pfd[0].revents != 0) {
			sig_drain();
			if (sig_take(SIGF_TERM))
				r->stopping = 1;
		}
		if (pfd[1].revents != 0)
			(void)tcpbytes_events(r->tb);
	}
	if (r->tb->state == TCPBYTES_WATCHING && !r->stopping)
		(void)tcpbytes_now(r->tb);
	conn_exec_bytes(c, r->tb->state == TCPBYTES_DONE, r->tb->in,
	    r->tb->out);
}

/*
 * exec_conn_report - the program's process group to the master through
 * the connection's accessor table (report_group, since ABI 2.1), as any
 * module would.
 */
static int
exec_conn_report(void *arg, pid_t pgid)
{
	struct preforkd_conn *c = arg;

	return preforkd_conn_api(c)->report_group(c, pgid);
}

/*
 * exec_stream - run the program for connection c and wait for it.  The
 * worker's copy of the connection is closed once the program has it, so
 * the client sees the end of the stream when the program closes it.
 */
static void
exec_stream(struct preforkd_conn *c)
{
	const struct preforkd_api *api = preforkd_conn_api(c);
	const struct preforkd_service *svc = api->service(c);
	const struct conf_exec *x = svc->state;
	struct exec_run r;
	struct exec_env env;
	struct tcpbytes tb;
	static int told;
	int status;

	memset(&r, 0, sizeof(r));
	r.name = svc->name;
	r.prog = x->argv[0];
	r.master_fd = -1;
	r.end = -1;
	r.timeout = svc->timeout;
	/* When the program is stopped: timeout after the accept. */
	r.deadline = svc->timeout > 0 ?
	    api->started(c) + svc->timeout * 1000LL : 0;

	memset(&env, 0, sizeof(env));
	exec_env_base(&env, x);
	exec_env_conn(&env, api, c);
	if (env.failed) {
		log_error("service %s: out of memory", r.name);
		api->set_end(c, PREFORKD_END_ERROR);
		goto out;
	}
	if (sig_worker_child(1) == -1) {
		log_error("service %s: sigaction: %s", r.name, strerror(errno));
		api->set_end(c, PREFORKD_END_ERROR);
		goto out;
	}
	/* Before the program may close it: its counts (tcpbytes.c). */
	if (tcpbytes_watch(&tb, api->fd(c)) == 0)
		r.tb = &tb;
	else if (errno != EAFNOSUPPORT && !told++)
		log_warning("service %s: cannot count the bytes of exec "
		    "connections (%s); the access log says in=- out=-",
		    r.name, strerror(errno));
	if (exec_start(&r, api->fd(c), x->argv, env.v, exec_conn_report,
	    c) == -1) {
		api->set_end(c, PREFORKD_END_ERROR);
		if (r.pid == -1)
			goto restore;
	}
	/* The program holds the connection now, and alone. */
	conn_close(c);

	status = exec_wait(&r);
	if (r.end != -1)
		api->set_end(c, r.end);
	if (api->report_group(c, 0) == -1)
		log_warning("service %s: cannot report process group 0 to "
		    "the master: %s", r.name, strerror(errno));
	conn_exec_status(c, status);
	exec_log_end(&r, status);
	exec_bytes(&r, c, svc->io_timeout);

restore:
	if (r.tb != NULL)
		tcpbytes_unwatch(r.tb);
	else
		conn_exec_bytes(c, 0, 0, 0);
	sig_worker_child(0);
	/*
	 * TERM came while the program ran (its group is gone now), or just
	 * after: leave as if it had found us idle, by that signal.
	 */
	if (sig_take(SIGF_TERM) || r.stopping)
		raise(SIGTERM);
out:
	exec_env_free(&env);
}

/* ------------------------------------------------------------ wait mode */

/* exec_wait_report - the program's process group, in our own slot. */
static int
exec_wait_report(void *arg, pid_t pgid)
{
	(void)arg;
	return worker_report_group(pgid);
}

/*
 * exec_wait_run - mode "wait", inetd's: the worker runs argv with the
 * service's one listening socket on fds 0 and 1 (blocking and without
 * timeouts, as listen.c leaves a wait-mode socket), and the program
 * reads its datagrams or accepts its connections itself.  The worker
 * stays its parent: it copies the program's stderr to the log, passes
 * QUIT on as TERM, and starts the program again when it ends normally.
 *
 * Normal, as inetd's wait programs end: exit status 0 after it ran at
 * least EXEC_READY_MS (in.tftpd after its -t timeout with no request).
 * Anything else (another status, a signal, or an end within the first
 * second, whatever its status) is a failure: the worker exits with 1, and
 * the master's rules for a dead worker apply, so one that fails before it
 * was ever up for a second backs off (1 s, 2 s ... 60 s) and never turns
 * into a fork loop.  The slot stays "starting" until the program has run
 * for a second, as in mode "worker" (worker_report_exec); a failed worker
 * exits at once, leaving it so (an "exiting" slot would read as ready).
 * Returns only for a graceful stop (QUIT), with the exit status, 0.
 */
int
exec_wait_run(struct worker_ctx *ctx)
{
	const struct conf_exec *x = ctx->service->view.state;
	struct exec_run r;
	struct exec_env env;
	int64_t started, ran;
	int status;

	memset(&env, 0, sizeof(env));
	exec_env_base(&env, x);
	if (env.failed) {
		log_error("service %s: out of memory", ctx->service->name);
		exit(2);
	}
	if (sig_worker_child(1) == -1) {
		log_error("service %s: sigaction: %s", ctx->service->name,
		    strerror(errno));
		exit(2);
	}
	worker_report_exec();
	for (;;) {
		memset(&r, 0, sizeof(r));
		r.name = ctx->service->name;
		r.prog = x->argv[0];
		r.wait_mode = 1;
		r.master_fd = ctx->master_fd;
		r.end = -1;
		started = now_ms();
		if (exec_start(&r, ctx->listeners[0].fd, x->argv, env.v,
		    exec_wait_report, NULL) == -1 && r.pid == -1)
			exit(2);
		/* (When exec failed, the child's _exit(127) is waited for.) */
		status = exec_wait(&r);
		(void)worker_report_group(0);
		ran = now_ms() - started;
		if (r.stopping) {
			sig_worker_child(0);
			raise(SIGTERM);
		}
		if (r.quit || sig_quit_requested()) {
			exec_log_end(&r, status);
			return 0;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		    ran >= EXEC_READY_MS) {
			log_info("service %s: program %s (pid %ld) exited with "
			    "status 0 after %lld ms; starting it again",
			    r.name, r.prog, (long)r.pid, (long long)ran);
			/* A TERM that came meanwhile: not started again. */
			if (sig_take(SIGF_TERM)) {
				sig_worker_child(0);
				raise(SIGTERM);
			}
			continue;
		}
		exec_log_end(&r, status);
		log_warning("service %s: program %s (pid %ld) failed: it %s "
		    "after %lld ms; exiting to be replaced", r.name, r.prog,
		    (long)r.pid, WIFEXITED(status) && WEXITSTATUS(status) == 0 ?
		    "exited with status 0" : "ended", (long long)ran);
		exit(1);
	}
}

/* ----------------------------------------------------------- per worker */

/*
 * exec_worker_run - mode "worker": become the program.  The listeners go
 * to fds 3, 4, ... in the order of the listen setting, without
 * close-on-exec; everything else of ours is close-on-exec already.  The
 * slot stays "starting": the master counts the program ready once it has
 * run for a second (exec_at), so one that dies at once is throttled.
 */
void
exec_worker_run(struct worker_ctx *ctx)
{
	const struct conf_exec *x = ctx->service->view.state;
	struct exec_env env;
	char num[24], *names = NULL;
	size_t i, n = ctx->nlisteners, len;
	int *tmp = NULL, fd, e;

	if (access(x->argv[0], X_OK) == -1) {
		log_error("service %s: cannot execute \"%s\": %s",
		    ctx->service->name, x->argv[0], strerror(errno));
		exit(2);
	}
	memset(&env, 0, sizeof(env));
	exec_env_base(&env, x);
	snprintf(num, sizeof(num), "%zu", n);
	exec_env_add(&env, "LISTEN_FDS", num);
	snprintf(num, sizeof(num), "%ld", (long)getpid());
	exec_env_add(&env, "LISTEN_PID", num);
	len = n * (strlen(ctx->service->name) + 1) + 1;
	if ((names = malloc(len)) != NULL) {
		names[0] = '\0';
		for (i = 0; i < n; i++) {
			if (i > 0)
				strcat(names, ":");
			strcat(names, ctx->service->name);
		}
		exec_env_add(&env, "LISTEN_FDNAMES", names);
		free(names);
	}
	if (names == NULL || env.failed ||
	    (tmp = calloc(n, sizeof(*tmp))) == NULL) {
		log_error("service %s: out of memory", ctx->service->name);
		exit(2);
	}

	/* The program's stderr: the error log when it is a file. */
	if ((fd = log_fd()) != -1 && fd != 2)
		(void)dup2(fd, 2);
	/*
	 * Out of the way of 3 .. 3+n-1 first, then into place: a listener
	 * may already sit where another one has to go.
	 */
	for (i = 0; i < n; i++) {
		tmp[i] = fcntl(ctx->listeners[i].fd, F_DUPFD_CLOEXEC,
		    3 + (int)n);
		if (tmp[i] == -1) {
			log_error("service %s: cannot pass the sockets: "
			    "fcntl F_DUPFD: %s", ctx->service->name,
			    strerror(errno));
			exit(2);
		}
	}
	worker_report_exec();
	/* Before the moves: this closes the self-pipe, wherever it is. */
	sig_block(1);
	sig_reset_child();
	/* From here on, the error log's descriptor may be gone. */
	for (i = 0; i < n; i++) {
		if (dup2(tmp[i], 3 + (int)i) == -1 ||
		    fd_cloexec(3 + (int)i, 0) == -1)
			_exit(2);
	}
	sig_block(0);
	execve(x->argv[0], x->argv, env.v);
	e = errno;
	/* Too late for the log: say it on stderr, which may be the log. */
	dprintf(2, "preforkd: service %s: cannot execute \"%s\": %s\n",
	    ctx->service->name, x->argv[0], strerror(e));
	_exit(2);
}
