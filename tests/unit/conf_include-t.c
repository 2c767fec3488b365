/*
 * conf_include-t.c - unit tests for src/conf_include.c: an @include of a
 * directory, a FIFO or a socket is refused with FILE:LINE before
 * libconfig opens it (libconfig 1.5 exit()s the process on a directory
 * and blocks on a FIFO: without the check this test program dies or
 * hangs there), in the file itself or in one it includes; a regular file
 * is included; lines libconfig does not take as @include (comments) are
 * not checked; the path's escapes are read as libconfig reads them.
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

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "conftest.h"
#include "../tap/basic.h"

static char	dir[] = "/tmp/conf_include-t.XXXXXX";

/* put - write text (printf-style) to dir/name; returns the path. */
static char *
put(const char *name, const char *fmt, ...)
{
	char *path = tap_strdup_printf("%s/%s", dir, name);
	va_list ap;
	FILE *fp;

	if ((fp = fopen(path, "w")) == NULL)
		sysbail("cannot write %s", path);
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	if (fclose(fp) != 0)
		sysbail("cannot write %s", path);
	return path;
}

/*
 * refused - conf_load(path) fails with exactly one message: that the
 * @include of target at file:line is kind ("a directory"...).
 */
static void
refused(const char *path, const char *file, int line, const char *target,
    const char *kind, const char *what)
{
	struct errlist errs = { NULL, 0 };
	struct conf *conf;
	char *want;

	want = tap_strdup_printf("%s:%d: @include \"%s\": %s, not a file",
	    file, line, target, kind);
	conf = conf_load(path, &errs);
	ok(conf == NULL, "%s: refused", what);
	if (!is_int(1, errs.n, "%s: one error", what))
		show_errors(&errs);
	is_string(want, errs.n > 0 ? errs.msg[0] : NULL, "%s: message", what);
	free(want);
	conf_free(conf);
	errlist_free(&errs);
}

/* loads - conf_load(path) succeeds; the conf, to be freed. */
static struct conf *
loads(const char *path, const char *what)
{
	struct errlist errs = { NULL, 0 };
	struct conf *conf;

	conf = conf_load(path, &errs);
	if (!ok(conf != NULL, "%s: loads", what))
		show_errors(&errs);
	errlist_free(&errs);
	return conf;
}

int
main(void)
{
	struct sockaddr_un sun;
	struct errlist errs = { NULL, 0 };
	struct conf *conf;
	char *sub, *fifo, *sock, *quoted, *inc, *main_conf, *want, *text;
	const char *user;
	int fd;

	conftest_init();
	plan(3 * 6 + 2 + 2 + 1 + 3);
	if (mkdtemp(dir) == NULL)
		sysbail("mkdtemp");
	user = as_root ? "user = \"root\";\n" : "\n";

	/* A directory (tests/fuzz/corpus/conf/include-dir): before the
	 * check, libconfig's exit(2) here, and a reload's master gone. */
	sub = tap_strdup_printf("%s/sub", dir);
	if (mkdir(sub, 0755) == -1)
		sysbail("mkdir %s", sub);
	main_conf = put("main.conf", "%s@include \"%s\"\n%s", user, sub, SVC);
	refused(main_conf, main_conf, 2, sub, "a directory", "a directory");

	/* With blanks before and between, as libconfig allows. */
	put("main.conf", "%s \t@include\t \"%s\"  # the rest\n%s", user, sub,
	    SVC);
	refused(main_conf, main_conf, 2, sub, "a directory",
	    "a directory, blanks around");

	/* A FIFO: libconfig would block on it for good. */
	fifo = tap_strdup_printf("%s/fifo", dir);
	if (mkfifo(fifo, 0600) == -1)
		sysbail("mkfifo %s", fifo);
	put("main.conf", "%s\n\n@include \"%s\"\n%s", user, fifo, SVC);
	refused(main_conf, main_conf, 4, fifo, "a FIFO", "a FIFO");

	/* A socket. */
	sock = tap_strdup_printf("%s/sock", dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		sysbail("bind %s", sock);
	put("main.conf", "%s@include \"%s\"\n%s", user, sock, SVC);
	refused(main_conf, main_conf, 2, sock, "a socket",
	    "a socket");
	close(fd);

	/* In a file that is included: its name and line. */
	inc = put("inc.conf", "log_level = \"debug\";\n@include \"%s\"\n",
	    sub);
	put("main.conf", "%s@include \"%s\"\n%s", user, inc, SVC);
	refused(main_conf, inc, 2, sub, "a directory",
	    "included by an included file");

	/* The path's escapes: \" is a quote, \\ a backslash. */
	quoted = tap_strdup_printf("%s/a\"b\\c", dir);
	if (mkdir(quoted, 0755) == -1)
		sysbail("mkdir %s", quoted);
	put("main.conf", "%s@include \"%s/a\\\"b\\\\c\"\n%s", user, dir, SVC);
	refused(main_conf, main_conf, 2, quoted, "a directory",
	    "a quote and a backslash in the path");

	/* A regular file is included. */
	put("inc.conf", "log_level = \"debug\";\n");
	put("main.conf", "%s@include \"%s\"\n%s", user, inc, SVC);
	conf = loads(main_conf, "a regular file");
	is_int(LL_DEBUG, conf != NULL ? conf->log_level : -1,
	    "its settings are read");
	conf_free(conf);

	/* What libconfig does not take as @include is not looked at. */
	put("main.conf", "%s# @include \"%s\"\n/*\n@include \"%s\"\n*/\n"
	    "log_level = \"info\"; @include \"%s\"\n%s", user, sub, sub, sub,
	    SVC);
	conf = conf_load(main_conf, &errs);
	ok(conf == NULL, "mid-line @include: not an include, a syntax error");
	ok(errs.n == 1 && strstr(errs.msg[0], "a directory") == NULL,
	    "mid-line @include: libconfig's message, not ours (%s)",
	    errs.n > 0 ? errs.msg[0] : "none");
	conf_free(conf);
	errlist_free(&errs);
	put("main.conf", "%s# @include \"%s\"\n/*\n@include \"%s\"\n*/\n%s",
	    user, sub, sub, SVC);
	conf = loads(main_conf, "@include in comments");
	conf_free(conf);

	/* A config given as a string (conf_parse_string) too. */
	text = tap_strdup_printf("@include \"%s\"\n%s", sub, SVC);
	conf = parse(text, &errs);
	ok(conf == NULL, "a string including a directory: refused");
	want = tap_strdup_printf("test.conf:1: @include \"%s\": a directory, "
	    "not a file", sub);
	is_string(want, errs.n > 0 ? errs.msg[0] : NULL,
	    "a string including a directory: message");
	is_int(1, errs.n, "a string including a directory: one error");
	free(want);
	free(text);
	conf_free(conf);
	errlist_free(&errs);

	unlink(fifo);
	unlink(sock);
	unlink(inc);
	unlink(main_conf);
	rmdir(sub);
	rmdir(quoted);
	rmdir(dir);
	return 0;
}
