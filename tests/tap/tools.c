/*
 * tools.c - running the outside tools the monitoring tests drive
 * (promtool, python3, prometheus, haproxy), and a plain HTTP/1.1 GET.
 * A tool in the background is stopped by its pid, TERM then KILL, and
 * stopped too when the test exits early (an atexit handler), so none
 * outlives the test.  Tools run in a process group of their own
 * (pf_fork_child).
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "basic.h"
#include "daemon.h"
#include "harness.h"
#include "net.h"
#include "tools.h"

#define TOOLS_MAX	8

static pid_t	tools_bg[TOOLS_MAX];
static int	tools_atexit;

/* tools_cleanup - at exit: every background tool still running goes. */
static void
tools_cleanup(void)
{
	int i;

	if (getpid() != pf_test_pid)
		return;
	for (i = 0; i < TOOLS_MAX; i++)
		if (tools_bg[i] > 0)
			pf_tool_stop(tools_bg[i]);
}

/* pf_tool_have - whether path is an executable file (diag if not). */
int
pf_tool_have(const char *path)
{
	if (access(path, X_OK) == 0)
		return 1;
	diag("%s: %s (the test needs it: install it)", path, strerror(errno));
	return 0;
}

/* tools_exec - in the child: stdout and stderr to fd out, then exec. */
static void
tools_exec(const char *const *argv, int in, int out)
{
	if (in >= 0 && in != 0) {
		dup2(in, 0);
		close(in);
	}
	if (out >= 0) {
		dup2(out, 1);
		dup2(out, 2);
		if (out > 2)
			close(out);
	}
	execv(argv[0], (char *const *)(uintptr_t)argv);
	_exit(127);
}

/*
 * pf_tool_run - run argv (argv[0] a path) to its end, stdin from the
 * file input (NULL: /dev/null), at most timeout_ms (then KILLed): its
 * wait status, or -1 when it did not end in time.  out gets the start
 * of what it wrote on stdout and stderr.
 */
int
pf_tool_run(const char *const *argv, const char *input, char *out,
    size_t outlen, int timeout_ms)
{
	char path[] = "/tmp/pf-tool-out.XXXXXX";
	int fd, in = -1, status = -1;
	ssize_t n;
	pid_t pid;

	if ((fd = mkstemp(path)) < 0)
		sysbail("mkstemp");
	unlink(path);
	if (input != NULL && (in = open(input, O_RDONLY)) < 0)
		sysbail("open %s", input);
	pid = pf_fork_child();
	if (pid == 0)
		tools_exec(argv, in, fd);
	if (in >= 0)
		close(in);
	if (pf_reap_bounded(pid, timeout_ms, &status) < 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		(void)pf_reap_bounded(pid, 5000, &status);
		status = -1;
	}
	if (outlen > 0) {
		n = pread(fd, out, outlen - 1, 0);
		out[n > 0 ? n : 0] = '\0';
	}
	close(fd);
	return status;
}

/*
 * pf_tool_start - argv in the background, its output appended to the
 * file log: its pid (stopped at exit if the test does not stop it).
 */
pid_t
pf_tool_start(const char *const *argv, const char *log)
{
	pid_t pid;
	int fd, i;

	if ((fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644)) < 0)
		sysbail("open %s", log);
	pid = pf_fork_child();
	if (pid == 0)
		tools_exec(argv, -1, fd);
	close(fd);
	if (!tools_atexit) {
		atexit(tools_cleanup);
		tools_atexit = 1;
	}
	for (i = 0; i < TOOLS_MAX; i++)
		if (tools_bg[i] == 0) {
			tools_bg[i] = pid;
			break;
		}
	return pid;
}

/* pf_tool_stop - a background tool: TERM, then KILL after 10 s; reaped. */
void
pf_tool_stop(pid_t pid)
{
	int status, i;

	if (pid <= 0)
		return;
	kill(pid, SIGTERM);
	if (pf_reap_bounded(pid, 10000, &status) < 0) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		(void)pf_reap_bounded(pid, 5000, &status);
	}
	for (i = 0; i < TOOLS_MAX; i++)
		if (tools_bg[i] == pid)
			tools_bg[i] = 0;
}

/*
 * pf_http - send request to host:port (or the unix socket unix_path when
 * not NULL) and read the answer to its end: a heap string, NULL when the
 * connection failed.  The answer may be empty.
 */
char *
pf_http(const char *host, int port, const char *unix_path,
    const char *request, int timeout_ms)
{
	char *buf;
	ssize_t n;
	int fd;

	fd = unix_path != NULL ? pf_unix_connect(unix_path) :
	    pf_tcp_connect(host, port);
	if (fd < 0)
		return NULL;
	if (pf_write_all(fd, request, strlen(request)) < 0) {
		close(fd);
		return NULL;
	}
	buf = malloc(1 << 20);
	if (buf == NULL)
		sysbail("malloc");
	n = pf_read_all(fd, buf, (1 << 20) - 1, timeout_ms);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

/* pf_http_get - GET path from 127.0.0.1:port, with an Accept (or none). */
char *
pf_http_get(const char *host, int port, const char *path, const char *accept)
{
	char *req, *r;

	req = tap_strdup_printf("GET %s HTTP/1.1\r\nHost: %s:%d\r\n%s%s%s"
	    "\r\n", path, host, port, accept != NULL ? "Accept: " : "",
	    accept != NULL ? accept : "", accept != NULL ? "\r\n" : "");
	r = pf_http(host, port, NULL, req, 30000);
	free(req);
	return r;
}

/* pf_http_status - the status code of an answer, or -1. */
int
pf_http_status(const char *r)
{
	if (r == NULL || strncmp(r, "HTTP/1.1 ", 9) != 0)
		return -1;
	return atoi(r + 9);
}

/* pf_http_body - where the body of an answer starts ("" if none). */
const char *
pf_http_body(const char *r)
{
	const char *p = r != NULL ? strstr(r, "\r\n\r\n") : NULL;

	return p != NULL ? p + 4 : "";
}

/*
 * pf_metric - the value of the sample line that starts with
 * name_and_labels and a space: 1 with *value set, 0 when there is none.
 */
int
pf_metric(const char *body, const char *name_and_labels, uint64_t *value)
{
	size_t n = strlen(name_and_labels);
	const char *p = body;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, name_and_labels, n) == 0 && p[n] == ' ') {
			*value = strtoull(p + n + 1, NULL, 10);
			return 1;
		}
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return 0;
}
