/*
 * unix-t.c - unix-domain listeners of the real preforkd: echo over a
 * socket file, its mode, a stale socket file taken over, a live one (or a
 * file that is no socket) left alone with a clear error, and the socket
 * file removed at stop.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

static char out[16384], err[16384];


/* socket_mode - the permission bits of the socket file path, or -1. */
static int
socket_mode(const char *path)
{
	struct stat sb;

	if (lstat(path, &sb) < 0 || !S_ISSOCK(sb.st_mode))
		return -1;
	return (int)(sb.st_mode & 07777);
}

static int
unix_echo(const char *path, const char *msg)
{
	int fd, r;

	fd = pf_unix_connect(path);
	if (fd < 0) {
		diag("connect %s: %s", path, strerror(errno));
		return 0;
	}
	r = pf_echo_fd(fd, msg);
	close(fd);
	return r;
}

/* make_stale - a socket file no one listens on: bound, then closed. */
static void
make_stale(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0)
		sysbail("bind %s", path);
	close(fd);
}

static void
test_unix_echo(void)
{
	struct pf_daemon *d;
	char *echo, *priv, *stale, *needle, *line, *msg;
	int st, mode;

	d = pf_prepare("services = (\n"
	    "  { name = \"echo\"; handler = \"echo\"; workers = 2;\n"
	    "    listen = [ \"unix:@DIR@/echo.sock\",\n"
	    "               \"unix:@DIR@/stale.sock\" ]; },\n"
	    "  { name = \"private\"; handler = \"echo\"; workers = 1;\n"
	    "    listen = \"unix:@DIR@/private.sock\";\n"
	    "    unix_mode = \"0600\"; }\n"
	    ");\n");
	echo = pf_path(d, "echo.sock");
	priv = pf_path(d, "private.sock");
	stale = pf_path(d, "stale.sock");
	make_stale(stale);
	ok(socket_mode(stale) >= 0 && pf_unix_connect(stale) < 0 &&
	    errno == ECONNREFUSED, "a stale socket file is in the way");
	pf_launch(d, NULL);
	if (pf_wait_ready(d, 10000) < 0) {
		pf_show(d);
		bail("preforkd did not start");
	}
	ok(unix_echo(echo, "over a unix socket\n"), "unix: echo works");
	ok(unix_echo(stale, "where a stale file was\n"),
	    "unix: the stale socket file was replaced, the service works");
	ok(unix_echo(priv, "private\n"), "unix: echo on the 0600 socket");

	needle = tap_strdup_printf("service echo: listening on unix %s (fd ",
	    echo);
	line = pf_log_line(d, needle);
	msg = line == NULL ? NULL : strstr(line, needle);
	ok(msg != NULL && pf_line_is(line, "preforkd", d->pid, NULL, msg) &&
	    strcmp(msg + strlen(msg) - 12, ", mode 0666)") == 0,
	    "log: %s..., mode 0666)", needle);
	free(line);
	free(needle);
	needle = tap_strdup_printf("service private: listening on unix %s (fd ",
	    priv);
	line = pf_log_line(d, needle);
	ok(line != NULL && strcmp(line + strlen(line) - 12, ", mode 0600)") ==
	    0, "log: %s..., mode 0600)", needle);
	free(line);
	free(needle);

	/* Whatever our umask, the mode is the configured one. */
	mode = socket_mode(echo);
	ok(mode == 0666, "unix: the default mode is 0666 whatever our umask "
	    "(022) (got %04o)", (unsigned int)mode);
	mode = socket_mode(priv);
	ok(mode == 0600, "unix: unix_mode = \"0600\" gives 0600 (got %04o)",
	    (unsigned int)mode);

	st = pf_stop(d);
	ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "TERM: the master exits 0");
	ok(access(echo, F_OK) < 0 && errno == ENOENT,
	    "after the stop, echo.sock is removed");
	ok(access(priv, F_OK) < 0 && access(stale, F_OK) < 0,
	    "and so are the others");
	free(echo);
	free(priv);
	free(stale);
}

static void
test_unix_live(void)
{
	struct pf_daemon *d;
	char *path, *want;
	int lfd, fd, st;

	d = pf_prepare("services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 1; listen = \"unix:@DIR@/live.sock\"; } );\n"
	    "error_log = \"stderr\";\n");
	path = pf_path(d, "live.sock");
	lfd = pf_unix_listen(path);
	if (lfd < 0)
		sysbail("listen on %s", path);
	pf_run2((const char *[]){ "-f", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	is_int(1, pf_exit_code(st), "a live socket at the path: exit 1");
	want = tap_strdup_printf("service echo: cannot listen on unix %s: "
	    "address already in use (another process is listening on this "
	    "socket)", path);
	like(err, want, "a live socket: the error says someone listens there");
	free(want);
	fd = pf_unix_connect(path);
	ok(fd >= 0, "the live socket was left alone: still connectable");
	if (fd >= 0)
		close(fd);
	close(lfd);
	unlink(path);
	free(path);
}

static void
test_unix_not_socket(void)
{
	struct pf_daemon *d;
	char *path, *text;
	int st;

	d = pf_prepare("services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 1; listen = \"unix:@DIR@/data\"; } );\n"
	    "error_log = \"stderr\";\n");
	path = pf_path(d, "data");
	pf_write_file(path, "precious\n");
	pf_run2((const char *[]){ "-f", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	ok(pf_exit_code(st) == 1, "a regular file at the path: exit 1");
	like(err, path, "the error names the path");
	text = pf_file(path);
	is_string("precious\n", text, "the regular file is left alone");
	free(text);
	free(path);
}

/*
 * io_timeout on unix-domain connections: Linux does not copy SO_RCVTIMEO
 * from a unix listener to the sockets it accepts, so without the worker
 * setting it a silent local client held a worker for ever.
 */
static void
test_unix_io_timeout(void)
{
	struct pf_daemon *d;
	char *path;
	long t0, took;
	int fd, i, st;

	d = pf_prepare("services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  workers = 1; io_timeout = 1;\n"
	    "  listen = \"unix:@DIR@/slow.sock\"; } );\n");
	path = pf_path(d, "slow.sock");
	pf_launch(d, NULL);
	if (pf_wait_ready(d, 10000) < 0) {
		pf_show(d);
		bail("preforkd did not start");
	}
	ok(unix_echo(path, "quick\n"), "io_timeout: a quick client is served");
	for (i = 1; i <= 2; i++) {
		fd = pf_unix_connect(path);
		t0 = pf_now_ms();
		ok(fd >= 0 && pf_wait_eof(fd, 5000) == 0,
		    "io_timeout %d: a unix client that says nothing is "
		    "disconnected (EOF)", i);
		took = pf_now_ms() - t0;
		ok(took >= 900 && took < 4000, "io_timeout %d: after about 1 s "
		    "(%ld ms)", i, took);
		if (fd >= 0)
			close(fd);
	}
	ok(pf_log_wait_count(d, "io_timeout: disconnected a silent client: "
	    "unix ", 2, 5000) == 2, "io_timeout: the worker logged both");
	ok(pf_status(d, 0, out, sizeof(out), err, sizeof(err)) == 0 &&
	    strstr(out, "(hung 0, io 2)") != NULL,
	    "io_timeout: the status counts 2 io timeouts");
	ok(unix_echo(path, "after\n"), "io_timeout: the worker serves again");
	st = pf_stop(d);
	ok(pf_exited_zero(st), "io_timeout: TERM, the master exits 0");
	free(path);
}

int
main(void)
{
	plan_lazy();
	umask(022);
	test_unix_echo();
	test_unix_live();
	test_unix_not_socket();
	test_unix_io_timeout();
	return 0;
}
