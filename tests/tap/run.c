/*
 * run.c - running the preforkd binary: the clean slate a child gets before
 * exec (signals, mask, stdin, descriptors), its argv, and commands run to
 * completion with a deadline and their output captured (-t, -s, status,
 * a launcher without -f), optionally as another user.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/wait.h>
#include <grp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic.h"
#include "daemon.h"
#include "harness.h"

#define PF_RUN_MS		15000	/* pf_run's bound on one command */
#define PF_RUN_EOF_GRACE_MS	1000	/* output still open after the exit */

volatile pid_t		 pf_run_pid;
static uid_t		 pf_run_uid = (uid_t)-1;	/* pf_run's user */
static gid_t		 pf_run_gid;

/* pf_child_setup - in a forked child before exec: a clean slate. */
static void
pf_child_setup(void)
{
	sigset_t none;
	int sig, fd;

	setpgid(0, 0);
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
}

/*
 * pf_fork_child - fork, the child with a clean slate (pf_child_setup):
 * the pid in the parent, 0 in the child.  Bails out when fork fails.
 */
pid_t
pf_fork_child(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		sysbail("fork");
	if (pid == 0)
		pf_child_setup();
	return pid;
}

/* pf_close_range - close every fd in [from, to). */
void
pf_close_range(int from, int to)
{
	int fd;

	for (fd = from; fd < to; fd++)
		close(fd);
}

/* pf_close_from - close every fd from 3 up: nothing leaks to the daemon. */
static void
pf_close_from(void)
{
	long max = sysconf(_SC_OPEN_MAX);

	if (max < 0 || max > 65536)
		max = 65536;
	pf_close_range(3, (int)max);
}

/* pf_argv - [PREFORKD, args..., NULL], each arg with @DIR@ substituted. */
char **
pf_argv(const char *const *args, const char *dir)
{
	static char *argv[PF_MAX_ARGS + 2];
	int i;

	argv[0] = pf_exe;
	for (i = 0; args != NULL && args[i] != NULL; i++) {
		if (i >= PF_MAX_ARGS)
			bail("too many arguments for preforkd");
		argv[i + 1] = dir != NULL ? pf_subst(args[i], dir) :
		    (char *)args[i];
	}
	argv[i + 1] = NULL;
	return argv;
}

/*
 * pf_run_as - run the next commands of pf_run as uid:gid (we must be root),
 * or again as ourselves with uid (uid_t)-1.
 */
void
pf_run_as(uid_t uid, gid_t gid)
{
	pf_run_uid = uid;
	pf_run_gid = gid;
}

/* pf_buf_read - append what fd has to buf (truncating); 0 at EOF. */
static int
pf_buf_read(int fd, char *buf, size_t size, size_t *len)
{
	char tmp[4096];
	ssize_t n;
	size_t room;

	n = read(fd, tmp, sizeof(tmp));
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (n == 0)
		return 0;
	if (buf != NULL && size > 0) {
		room = size - 1 - *len;
		if ((size_t)n < room)
			room = (size_t)n;
		memcpy(buf + *len, tmp, room);
		*len += room;
		buf[*len] = '\0';
	}
	return 1;
}

/*
 * pf_run2 - run preforkd with args to completion (at most 15 s, then it is
 * killed), its stdout in out and its stderr in err (or merged into out when
 * err is NULL).  0 when it exited and its output reached EOF; 1 when it
 * exited but something (a daemon it left) still held the output open a
 * second later; -1 when it had to be killed.
 */
int
pf_run2(const char *const *args, int *status, char *out, size_t outlen,
    char *err, size_t errlen)
{
	int po[2], pe[2] = { -1, -1 }, st = 0, exited = 0, r;
	size_t olen = 0, elen = 0;
	long deadline, exit_at = 0;
	struct pollfd pfd[2];
	char **argv;
	pid_t pid;

	pf_init();
	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	argv = pf_argv(args, NULL);
	if (pipe2(po, O_CLOEXEC) < 0 ||
	    (err != NULL && pipe2(pe, O_CLOEXEC) < 0))
		sysbail("pipe");
	pid = pf_fork_child();
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(err != NULL ? pe[1] : po[1], 2);
		pf_close_from();
		if (pf_run_uid != (uid_t)-1 && (setgroups(0, NULL) < 0 ||
		    setgid(pf_run_gid) < 0 || setuid(pf_run_uid) < 0)) {
			perror("pf_run_as");
			_exit(127);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);
	pf_run_pid = pid;
	close(po[1]);
	if (err != NULL)
		close(pe[1]);
	pfd[0].fd = po[0];
	pfd[1].fd = pe[0];
	deadline = pf_now_ms() + PF_RUN_MS;
	for (;;) {
		pfd[0].events = pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if (pfd[0].fd < 0 && pfd[1].fd < 0) {
			if (exited)
				break;
			pf_sleep_ms(PF_STEP_MS);
		} else
			poll(pfd, 2, PF_STEP_MS);
		if (pfd[0].fd >= 0 && (pfd[0].revents & (POLLIN | POLLHUP)) &&
		    !pf_buf_read(pfd[0].fd, out, outlen, &olen)) {
			close(pfd[0].fd);
			pfd[0].fd = -1;
		}
		if (pfd[1].fd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP)) &&
		    !pf_buf_read(pfd[1].fd, err, errlen, &elen)) {
			close(pfd[1].fd);
			pfd[1].fd = -1;
		}
		if (!exited && waitpid(pid, &st, WNOHANG) == pid) {
			exited = 1;
			exit_at = pf_now_ms();
			pf_run_pid = 0;
		}
		if (exited && pfd[0].fd < 0 && pfd[1].fd < 0)
			break;
		if (exited && pf_now_ms() - exit_at > PF_RUN_EOF_GRACE_MS)
			break;
		if (!exited && pf_now_ms() > deadline) {
			killpg(pid, SIGKILL);
			kill(pid, SIGKILL);
			pf_reap_bounded(pid, 2000, &st);
			pf_run_pid = 0;
			diag("preforkd did not finish in %d ms: killed",
			    PF_RUN_MS);
			break;
		}
	}
	r = !exited ? -1 : (pfd[0].fd >= 0 || pfd[1].fd >= 0) ? 1 : 0;
	if (pfd[0].fd >= 0)
		close(pfd[0].fd);
	if (pfd[1].fd >= 0)
		close(pfd[1].fd);
	if (status != NULL)
		*status = exited ? st : -1;
	return r;
}

int
pf_run(const char *const *args, int *status, char *out, size_t outlen)
{
	return pf_run2(args, status, out, outlen, NULL, 0);
}

/* pf_exit_code - the exit code of a wait status; -1 if it did not exit. */
int
pf_exit_code(int status)
{
	if (status != -1 && WIFEXITED(status))
		return WEXITSTATUS(status);
	if (status == -1)
		diag("did not finish");
	else if (WIFSIGNALED(status))
		diag("killed by signal %d", WTERMSIG(status));
	return -1;
}

/* pf_exited_zero - whether a wait status is a plain exit 0 (diagnosed if not). */
int
pf_exited_zero(int status)
{
	int code = pf_exit_code(status);

	if (code > 0)
		diag("exit status %d", code);
	return code == 0;
}

/*
 * pf_run_bg - start preforkd with args in the background (for a command
 * that waits long, or while the test does something else), its stdout
 * and stderr to the file path: its pid.  Collect it with pf_run_bg_wait.
 */
pid_t
pf_run_bg(const char *const *args, const char *path)
{
	char **argv;
	pid_t pid;
	int fd;

	pf_init();
	argv = pf_argv(args, NULL);
	pid = pf_fork_child();
	if (pid == 0) {
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
			_exit(127);
		dup2(fd, 1);
		dup2(fd, 2);
		pf_close_from();
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/*
 * pf_run_bg_wait - wait for a pf_run_bg command, at most timeout_ms (then
 * it is killed): its wait status, or -1 when it had to be killed.
 */
int
pf_run_bg_wait(pid_t pid, int timeout_ms)
{
	int st = -1;

	if (pf_reap_bounded(pid, timeout_ms, &st) == 0)
		return st;
	kill(pid, SIGKILL);
	pf_reap_bounded(pid, 2000, &st);
	diag("preforkd did not finish in %d ms: killed", timeout_ms);
	return -1;
}
