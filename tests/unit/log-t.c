/*
 * log-t.c - unit tests of the error log in src/log.c, written to a file
 * in a temporary directory: the form of a line ("TIMESTAMP ROLE[PID]:
 * LEVEL: MESSAGE"), the level filter, bytes that would split or forge a
 * line escaped, a message too long cut to one line, errno kept, errors
 * and warnings copied to the start-up descriptor (and only those), the
 * file reopened under its name after a rename on the same descriptor,
 * and fatal()'s exit status.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "../tap/basic.h"
#include "../tap/daemon.h"

#define ROLE	"preforkd/echo"

static char *path;

/* line - a copy of line n (from 1) of the log, without its newline. */
static char *
line(int n)
{
	char *text = pf_file(path), *p = text, *end, *copy = NULL;

	while (--n > 0 && p != NULL && (p = strchr(p, '\n')) != NULL)
		p++;
	if (p != NULL && *p != '\0') {
		end = strchr(p, '\n');
		copy = strndup(p, end != NULL ? (size_t)(end - p) : strlen(p));
	}
	free(text);
	return copy;
}

/* lines - how many lines the log has. */
static int
lines(void)
{
	char *text = pf_file(path);
	int n = pf_count(text, "\n");

	free(text);
	return n;
}

/* is_line - a test that line n is exactly (level, message). */
static void
is_line(int n, const char *level, const char *message, const char *name)
{
	char *l = line(n);

	ok(pf_line_is(l, ROLE, getpid(), level, message), "%s", name);
	free(l);
}

/* drain - what the pipe holds now (non-blocking), as a string. */
static char *
drain(int fd)
{
	static char buf[4096];
	ssize_t n;

	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

int
main(void)
{
	char dir[] = "/tmp/log-t.XXXXXX", *old, *big, *l;
	int p[2], fd, st, n;
	pid_t pid;

	plan(31);

	/* Level names. */
	is_int(LL_ERROR, log_level_parse("error"), "error");
	is_int(LL_WARNING, log_level_parse("warning"), "warning");
	is_int(LL_NOTICE, log_level_parse("notice"), "notice");
	is_int(LL_INFO, log_level_parse("info"), "info");
	is_int(LL_DEBUG, log_level_parse("debug"), "debug");
	is_int(-1, log_level_parse("INFO"), "INFO: unknown (case matters)");
	is_int(-1, log_level_parse("verbose"), "verbose: unknown");

	/* A file, at level info. */
	if (mkdtemp(dir) == NULL)
		sysbail("mkdtemp");
	path = tap_strdup_printf("%s/error.log", dir);
	old = tap_strdup_printf("%s/error.log.1", dir);
	log_init(LL_INFO);
	log_set_role("echo");	/* a worker of service echo: ROLE */
	is_int(0, log_open(path, 0), "log_open %s", path);
	is_string(path, log_file(), "log_file() names it");
	log_info("hello %d", 5);
	is_line(1, "info", "hello 5", "a line: TIMESTAMP ROLE[PID]: info: ...");
	ok(!log_would(LL_DEBUG) && log_would(LL_INFO),
	    "at info, debug would not be written, info would");
	log_debug("hidden");
	log_msg(LL_NOTICE, "after %s", "debug");
	is_line(2, "notice", "after debug", "debug left out, notice written");
	log_set_level(LL_DEBUG);
	log_debug("shown");
	is_line(3, "debug", "shown", "at debug, debug is written");

	/* Bytes that would split or forge a line, or reach a terminal. */
	log_warning("a\nb\r\x1b[2J \"q\" \\ end");
	is_line(4, "warning", "a\\nb\\r\\x1b[2J \"q\" \\ end",
	    "newline, return, escape: escaped; quotes and backslash kept");
	is_int(4, lines(), "still 4 lines");

	/* Too long: cut, on one line. */
	big = malloc(6000);
	memset(big, 'a', 5999);
	big[5999] = '\0';
	log_info("%s", big);
	l = line(5);
	ok(l != NULL && strlen(strrchr(l, ' ') + 1) == 4095,
	    "a 5999-byte message is cut to 4095 bytes");
	is_int(5, lines(), "  on one line");
	free(l);
	free(big);

	/* errno survives logging. */
	errno = EBADF;
	log_error("keeps errno");
	is_int(EBADF, errno, "errno is kept");

	/* Until ready: errors and warnings to the start-up descriptor too. */
	if (pipe(p) == -1 || fcntl(p[0], F_SETFL, O_NONBLOCK) == -1)
		sysbail("pipe");
	log_set_startup_fd(p[1]);
	log_error("boom");
	log_warning("careful");
	log_info("quiet");
	is_string("preforkd: boom\npreforkd: warning: careful\n", drain(p[0]),
	    "start-up fd: the error and the warning, not the info");
	n = lines();
	log_set_level(LL_ERROR);
	log_warning("for the terminal only");
	log_error("for both");
	is_string("preforkd: warning: for the terminal only\npreforkd: for "
	    "both\n", drain(p[0]), "at level error, a warning still reaches "
	    "the start-up fd");
	is_int(n + 1, lines(), "  but only the error reaches the file");
	is_line(n + 1, "error", "for both", "  that error");
	log_set_startup_fd(-1);
	log_error("ready now");
	is_string("", drain(p[0]), "ready: nothing more to the start-up fd");
	close(p[0]);
	close(p[1]);

	/* logrotate: renamed, reopened by name on the same descriptor. */
	fd = log_fd();
	n = lines();
	ok(rename(path, old) == 0, "the log renamed");
	is_int(0, log_reopen(), "log_reopen");
	is_int(fd, log_fd(), "the same descriptor number");
	log_error("in the new file");
	is_int(1, lines(), "the new file has the next line");
	is_line(1, "error", "in the new file", "  that line");
	free(path);
	path = old;
	is_int(n, lines(), "the renamed file has nothing more");
	path = tap_strdup_printf("%s/error.log", dir);

	/* fatal: logged, exit status 1. */
	fflush(stdout);
	if ((pid = fork()) == -1)
		sysbail("fork");
	if (pid == 0)
		fatal("cannot go on: %s", "no");
	if (waitpid(pid, &st, 0) != pid)
		sysbail("waitpid");
	ok(WIFEXITED(st) && WEXITSTATUS(st) == EXIT_RUNTIME,
	    "fatal exits %d", EXIT_RUNTIME);
	l = line(2);
	ok(l != NULL && strstr(l, ": error: cannot go on: no") != NULL,
	    "fatal logs an error");
	free(l);

	unlink(path);
	unlink(old);
	rmdir(dir);
	return 0;
}
