/*
 * dirs-t.c - a file preforkd creates (pid file, error log, access log,
 * control socket, unix listener) in a directory that does not exist: the
 * real daemon exits 1 with a message that names the missing directory,
 * "directory X does not exist", not a bare "No such file or directory"
 * (issue 13: an installed preforkd whose $runstatedir was never made).
 * Once the directory is made, the same configuration starts and serves.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap/basic.h"
#include "../tap/daemon.h"
#include "../tap/net.h"

static char out[16384], err[16384];

/* One file in a missing directory: the setting, and what the message says. */
struct missing {
	const char	*what;		/* for the test names */
	const char	*setting;	/* config text, @DIR@ the test dir */
	const char	*listen;	/* the echo service's address */
	const char	*message;	/* "cannot open ... %s" */
	const char	*file;		/* the file, under @DIR@ */
	const char	*dir;		/* the directory the message names */
};

static const struct missing cases[] = {
	{ "pid file", "pid_file = \"@DIR@/run/preforkd.pid\";\n",
	    "127.0.0.1:0", "cannot open pid file %s: directory %s does not "
	    "exist", "run/preforkd.pid", "run" },
	{ "pid file, two levels", "pid_file = \"@DIR@/var/run/preforkd.pid\";\n",
	    "127.0.0.1:0", "cannot open pid file %s: directory %s does not "
	    "exist", "var/run/preforkd.pid", "var/run" },
	{ "error log", "error_log = \"@DIR@/log/error.log\";\n",
	    "127.0.0.1:0", "cannot open the error log %s: directory %s does "
	    "not exist", "log/error.log", "log" },
	{ "access log", "access_log = \"@DIR@/log/access.log\";\n",
	    "127.0.0.1:0", "cannot open the access log %s: directory %s does "
	    "not exist", "log/access.log", "log" },
	{ "control socket", "control_socket = \"@DIR@/ctl/preforkd.ctl\";\n",
	    "127.0.0.1:0", "cannot open the control socket %s: directory %s "
	    "does not exist", "ctl/preforkd.ctl", "ctl" },
	{ "unix listener", "", "unix:@DIR@/sock/echo.sock",
	    "service echo: cannot listen on unix %s: directory %s does not "
	    "exist", "sock/echo.sock", "sock" },
};

/*
 * config - an echo service on listen, the setting under test, the pid file
 * in the test directory unless the setting names one.
 */
static char *
config(const struct missing *c)
{
	return tap_strdup_printf(
	    "services = ( { name = \"echo\"; handler = \"echo\"; workers = 1;\n"
	    "               listen = \"%s\"; } );\n%s%s%s", c->listen,
	    c->setting, strstr(c->setting, "pid_file") != NULL ? "" :
	    "pid_file = \"@DIR@/preforkd.pid\";\n",
	    geteuid() == 0 ? "user = \"nobody\";\n" : "");
}

/* mkdir_p - make dir and its parents under the test directory (0755). */
static void
mkdir_p(const char *top, const char *dir)
{
	char *path, *p;

	path = tap_strdup_printf("%s/%s", top, dir);
	for (p = path + strlen(top) + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(path, 0755) == -1)
				sysbail("mkdir %s", path);
			*p = c;
			if (c == '\0')
				break;
		}
	}
	free(path);
}

static void
test_missing(const struct missing *c)
{
	struct pf_daemon *d;
	char *conf, *file, *dir, *want;
	int st, port, fd;

	conf = config(c);
	d = pf_prepare_raw(conf);
	file = pf_path(d, c->file);
	dir = pf_path(d, c->dir);
	if (strstr(c->setting, "pid_file") != NULL) {
		free(d->pid_file);
		d->pid_file = tap_strdup_printf("%s", file);
	}
	/* Where pf_port reads the log: stderr (-f), or the error_log. */
	free(d->error_log);
	d->error_log = tap_strdup_printf("%s", strstr(c->setting,
	    "error_log") != NULL ? file : d->stderr_log);

	pf_run2((const char *[]){ "-f", "-c", d->conf, NULL }, &st, out,
	    sizeof(out), err, sizeof(err));
	is_int(1, pf_exit_code(st), "%s in a missing directory: exit 1",
	    c->what);
	want = tap_strdup_printf(c->message, file, dir);
	like(err, want, "%s: the message names the missing directory",
	    c->what);
	ok(access(d->pid_file, F_OK) == -1, "%s: no pid file left", c->what);

	/* The directory was all that was missing. */
	mkdir_p(d->dir, c->dir);
	pf_launch(d, NULL);
	if (!ok(pf_wait_ready(d, 30000) == 0, "%s: with the directory made, "
	    "the same configuration starts", c->what)) {
		pf_show(d);
		goto done;
	}
	if (strncmp(c->listen, "unix:", 5) == 0) {
		fd = pf_unix_connect(file);
		ok(fd >= 0 && pf_echo_fd(fd, "hi\n"), "%s: it serves",
		    c->what);
		if (fd >= 0)
			close(fd);
	} else {
		port = pf_port(d, "echo", "tcp");
		ok(pf_echo_tcp("127.0.0.1", port, "hi\n"), "%s: it serves",
		    c->what);
	}
	st = pf_stop(d);
	ok(st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "%s: it stops cleanly", c->what);
done:
	free(want);
	free(dir);
	free(file);
	free(conf);
}

int
main(void)
{
	size_t i;

	plan_lazy();
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		test_missing(&cases[i]);
	return 0;
}
