/*
 * conf-t.c - unit tests for src/conf.c: a good config with its
 * defaults, the global settings (each bad one with its exact message),
 * several errors at once, and reading real files.  The services, their
 * listen addresses, exec and modules have their own conf_*-t.c.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "handler.h"
#include "conftest.h"
#include "../tap/basic.h"

#ifndef RUNSTATEDIR
#define RUNSTATEDIR	"/run"
#endif
#ifndef PATH_MAX
#define PATH_MAX	4096
#endif

#define CTL_DEFAULT "; it defaults to pid_file with \".ctl\": set " \
	"control_socket to another path or to \"off\""

/*
 * The name whose lookup fails as when the name service is down: this
 * program's getpwnam() and getgrnam() stand in for the C library's (the
 * linker takes ours for conf.c's calls) and say EIO for it.
 */
#define LOOKUP_FAILS	"preforkd-lookup-fails"
#define LOOKUP_BUF	16384

struct passwd *
getpwnam(const char *name)
{
	static struct passwd pw;
	static char buf[LOOKUP_BUF];
	struct passwd *found;
	int rc;

	if (strcmp(name, LOOKUP_FAILS) == 0) {
		errno = EIO;
		return NULL;
	}
	if ((rc = getpwnam_r(name, &pw, buf, sizeof(buf), &found)) != 0)
		errno = rc;
	else if (found == NULL)
		errno = 0;
	return found;
}

struct group *
getgrnam(const char *name)
{
	static struct group gr;
	static char buf[LOOKUP_BUF];
	struct group *found;
	int rc;

	if (strcmp(name, LOOKUP_FAILS) == 0) {
		errno = EIO;
		return NULL;
	}
	if ((rc = getgrnam_r(name, &gr, buf, sizeof(buf), &found)) != 0)
		errno = rc;
	else if (found == NULL)
		errno = 0;
	return found;
}

static const struct bad_conf bad[] = {
	/* globals: types, ranges, values */
	{ "user = 5;\n" SVC,
	  "test.conf:1: user: must be a string (got an integer)", 0 },
	{ "group = true;\n" SVC,
	  "test.conf:1: group: must be a string (got a boolean)", 1 },
	{ "pid_file = 1.5;\n" SVC,
	  "test.conf:1: pid_file: must be a string (got a float)", 1 },
	{ "pid_file = \"\";\n" SVC,
	  "test.conf:1: pid_file: must not be empty", 1 },
	{ "error_log = [ \"a\" ];\n" SVC,
	  "test.conf:1: error_log: must be a string (got an array)", 1 },
	{ "error_log = \"\";\n" SVC,
	  "test.conf:1: error_log: must not be empty", 1 },
	{ "log_level = \"verbose\";\n" SVC,
	  "test.conf:1: log_level: must be one of error, warning, notice, "
	  "info, debug (got \"verbose\")", 1 },
	{ "log_level = 3;\n" SVC,
	  "test.conf:1: log_level: must be a string (got an integer)", 1 },
	{ "shutdown_timeout = \"30\";\n" SVC,
	  "test.conf:1: shutdown_timeout: must be an integer (got a string)",
	  1 },
	{ "shutdown_timeout = 86401;\n" SVC,
	  "test.conf:1: shutdown_timeout: must be between 0 and 86400 "
	  "(got 86401)", 1 },
	{ "shutdown_timeout = -1;\n" SVC,
	  "test.conf:1: shutdown_timeout: must be between 0 and 86400 "
	  "(got -1)", 1 },
	{ "shutdown_timeout = { };\n" SVC,
	  "test.conf:1: shutdown_timeout: must be an integer (got a group)",
	  1 },
	{ "user = \"no-such-user-preforkd\";\n" SVC,
	  "test.conf:1: user: no such user \"no-such-user-preforkd\"", 0 },
	{ SVC "user = \"root\";\ngroup = \"no-such-group-preforkd\";\n",
	  "test.conf:3: group: no such group \"no-such-group-preforkd\"", 0 },
	/* a lookup that fails is not a name that does not exist */
	{ "user = \"" LOOKUP_FAILS "\";\n" SVC,
	  "test.conf:1: user: cannot look up user \"" LOOKUP_FAILS "\": "
	  "Input/output error", 0 },
	{ SVC "user = \"root\";\ngroup = \"" LOOKUP_FAILS "\";\n",
	  "test.conf:3: group: cannot look up group \"" LOOKUP_FAILS "\": "
	  "Input/output error", 0 },

	/* unknown settings at the top level */
	{ SVC "shutdown_timeot = 3;\n",
	  "test.conf:2: shutdown_timeot: unknown setting "
	  "(did you mean \"shutdown_timeout\"?)", 1 },
	{ "pidfile = \"x\";\n" SVC,
	  "test.conf:1: pidfile: unknown setting (did you mean "
	  "\"pid_file\"?)", 1 },
	{ "frobnicate = 1;\n" SVC,
	  "test.conf:1: frobnicate: unknown setting", 1 },
	{ "workers = 4;\n" SVC,
	  "test.conf:1: workers: unknown setting here (it is a service "
	  "setting: put it inside a group in services)", 1 },

	/* the services list is required */
	{ "log_level = \"info\";\n",
	  "test.conf: missing required setting \"services\"", 1 },

	/* access_log, control_socket */
	{ "access_log = 5;\n" SVC,
	  "test.conf:1: access_log: must be a string (got an integer)", 1 },
	{ "access_log = \"\";\n" SVC,
	  "test.conf:1: access_log: must not be empty", 1 },
	{ "control_socket = true;\n" SVC,
	  "test.conf:1: control_socket: must be a string (got a boolean)", 1 },
	{ "control_socket = \"\";\n" SVC,
	  "test.conf:1: control_socket: must not be empty", 1 },
	{ SVC "control_socket = \"/" A100 "1234567\";\n",
	  "test.conf:2: control_socket: path is too long for a unix socket "
	  "(108 bytes, at most 107)", 1 },
	{ "pid_file = \"/" A100 "1234567\";\n" SVC,
	  "test.conf:1: control_socket: path is too long for a unix socket "
	  "(112 bytes, at most 107)" CTL_DEFAULT, 1 },
	{ "pid_file = \"/tmp/p\";\ncontrol_socket = \"/tmp/p\";\n" SVC,
	  "test.conf:2: control_socket: \"/tmp/p\" is also used by pid_file",
	  1 },
	{ "control_socket = \"/tmp/x.sock\";\n"
	  "services = ( { name = \"echo\"; handler = \"echo\";\n"
	  "  listen = [ \"127.0.0.1:1\", \"unix:/tmp/x.sock\" ]; } );\n",
	  "test.conf:1: control_socket: \"/tmp/x.sock\" is also used by "
	  "services.[0].listen.[1]", 1 },
	{ "services = ( { name = \"echo\"; handler = \"echo\";\n"
	  "  listen = \"unix:/tmp/p.ctl\"; } );\npid_file = \"/tmp/p.pid\";\n",
	  "test.conf:3: control_socket: \"/tmp/p.ctl\" is also used by "
	  "services.[0].listen" CTL_DEFAULT, 1 },
	{ "acces_log = \"/tmp/a\";\n" SVC,
	  "test.conf:1: acces_log: unknown setting (did you mean "
	  "\"access_log\"?)", 1 },
	{ "control_sock = \"/tmp/c\";\n" SVC,
	  "test.conf:1: control_sock: unknown setting (did you mean "
	  "\"control_socket\"?)", 1 },

	/* service settings at the top level */
	{ "max_spare = 8;\n" SVC,
	  "test.conf:1: max_spare: unknown setting here (it is a service "
	  "setting: put it inside a group in services)", 1 },
	{ "timeout = 5;\n" SVC,
	  "test.conf:1: timeout: unknown setting here (it is a service "
	  "setting: put it inside a group in services)", 1 },

	/* libconfig's own errors */
	{ "log_level = \"info\";\nworkers = ;\n" SVC,
	  "test.conf:2: syntax error", 1 },
	{ "log_level = \"info\";\nlog_level = \"debug\";\n" SVC,
	  "test.conf:2: duplicate setting name", 1 },
};

/* test_good - a config using every setting, then one using the defaults. */
static void
test_good(void)
{
	static const char text[] =
	    "# a comment\n"
	    "pid_file = \"./run/p.pid\";\n"
	    "error_log = \"stderr\";\n"
	    "log_level = \"debug\";\n"
	    "shutdown_timeout = 0;\n"
	    "services = (\n"
	    "  {\n"
	    "    name = \"echo\";\n"
	    "    listen = [ \"127.0.0.1:7007\", \"[::1]:7007\",\n"
	    "               \"udp://127.0.0.1:7007\" ];\n"
	    "    handler = \"echo\";\n"
	    "    workers = 2;\n"
	    "    backlog = 128;\n"
	    "  },\n"
	    "  { name = \"Day_time-2\"; listen = \"unix:day.sock\";\n"
	    "    handler = \"daytime\"; unix_mode = \"0600\"; },\n"
	    "  { name = \"t\"; listen = ( \"*:0\", \"127.0.0.1:0\" );\n"
	    "    handler = \"time\"; workers = 65536; backlog = 65535; }\n"
	    ");\n";
	struct errlist errs = { NULL, 0 };
	struct conf *conf;
	struct conf_service *s;
	char cwd[PATH_MAX], buf[ADDR_TEXT_MAX], *want;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		sysbail("getcwd");
	conf = parse_root(text, &errs);
	if (!ok(conf != NULL, "good config loads"))
		show_errors(&errs);
	is_int(0, errs.n, "good config: no errors");
	if (conf == NULL)
		bail("cannot go on without the good config");
	is_string("test.conf", conf->file, "file is the name given");
	want = tap_strdup_printf("%s/run/p.pid", strcmp(cwd, "/") ? cwd : "");
	is_string(want, conf->pid_file, "relative pid_file made absolute");
	free(want);
	is_string("stderr", conf->error_log, "error_log stderr");
	is_int(LL_DEBUG, conf->log_level, "log_level debug");
	is_int(0, conf->shutdown_timeout, "shutdown_timeout 0");
	is_int(3, conf->nservices, "three services");

	s = &conf->services[0];
	is_string("echo", s->name, "services.[0].name");
	is_int(7, s->line, "services.[0] line");
	is_int(3, s->nlisten, "services.[0] listens on three");
	is_string("[::1]:7007", s->listen_text[1], "listen_text as written");
	is_string("tcp [::1]:7007", addr_format(&s->listen[1], buf,
	    sizeof(buf)), "listen[1] parsed");
	is_string("udp 127.0.0.1:7007", addr_format(&s->listen[2], buf,
	    sizeof(buf)), "listen[2] is udp");
	ok(s->handler != NULL && s->handler == handler_find("echo"),
	    "handler is echo's struct");
	is_string("echo", s->handler != NULL ? s->handler->name : NULL,
	    "handler name");
	is_int(2, s->workers, "workers");
	is_int(128, s->backlog, "backlog");

	s = &conf->services[1];
	is_string("Day_time-2", s->name, "services.[1].name");
	is_int(15, s->line, "services.[1] line");
	is_int(1, s->nlisten, "a single string is one address");
	is_string("unix:day.sock", s->listen_text[0], "unix text as written");
	want = tap_strdup_printf("unix %s/day.sock",
	    strcmp(cwd, "/") ? cwd : "");
	is_string(want, addr_format(&s->listen[0], buf, sizeof(buf)),
	    "relative unix path made absolute");
	free(want);
	is_int(0600, s->unix_mode, "unix_mode 0600");
	is_int(4, s->workers, "workers default 4");
	is_int(511, s->backlog, "backlog default 511");
	is_string("daytime", s->handler != NULL ? s->handler->name : NULL,
	    "daytime handler");

	s = &conf->services[2];
	is_int(2, s->nlisten, "a list of addresses");
	is_string("tcp *:0", addr_format(&s->listen[0], buf, sizeof(buf)),
	    "wildcard port 0");
	ok(s->listen[0].wildcard, "wildcard flag");
	is_int(0666, s->unix_mode, "unix_mode default 0666");
	is_int(65536, s->workers, "workers at the maximum");
	is_int(65535, s->backlog, "backlog at the maximum");
	conf_free(conf);
	errlist_free(&errs);

	conf = parse_root("services = ( { name = \"e\"; listen = \"*:1\"; "
	    "handler = \"echo\"; } );", &errs);
	if (!ok(conf != NULL, "minimal config loads"))
		show_errors(&errs);
	if (conf == NULL)
		bail("cannot go on without the minimal config");
	is_string(RUNSTATEDIR "/preforkd.pid", conf->pid_file,
	    "pid_file default");
	ok(conf->error_log == NULL, "error_log default is unset");
	is_int(LL_INFO, conf->log_level, "log_level default info");
	is_int(30, conf->shutdown_timeout, "shutdown_timeout default 30");
	is_string(as_root ? "root" : NULL, conf->user,
	    "user unset unless root");
	ok(conf->group == NULL, "group unset");
	ok(conf->access_log == NULL, "access_log default off");
	is_string(RUNSTATEDIR "/preforkd.ctl", conf->control_socket,
	    "control_socket default from pid_file");
	s = &conf->services[0];
	is_int(4, s->workers, "workers default 4");
	is_int(0, s->dynamic, "static pool by default");
	is_int(4, s->min_spare, "static: min_spare is workers");
	is_int(4, s->max_spare, "static: max_spare is workers");
	is_int(4, s->max_workers, "static: max_workers is workers");
	is_int(0, s->max_requests, "max_requests default 0");
	is_int(0, s->timeout, "timeout default 0");
	is_int(60, s->io_timeout, "io_timeout default 60");
	conf_free(conf);
	errlist_free(&errs);
}

/* Expect text to load, and field (a path, or NULL) of it to be want. */
static void
check_path(const char *text, size_t field, const char *want,
    const char *what)
{
	struct errlist errs = { NULL, 0 };
	struct conf *conf;

	conf = parse_root(text, &errs);
	if (!ok(conf != NULL, "%s: loads", what))
		show_errors(&errs);
	is_string(want, conf != NULL ? *(char **)((char *)conf + field) :
	    NULL, "%s", what);
	conf_free(conf);
	errlist_free(&errs);
}

/*
 * test_observe - access_log and control_socket: "off", paths made
 * absolute, the control socket's default next to the pid file, and its
 * length counted once absolute.
 */
static void
test_observe(void)
{
	struct errlist errs = { NULL, 0 };
	struct conf *conf;
	char cwd[PATH_MAX], *text, *want;
	const char *dir;
	size_t len;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		sysbail("getcwd");
	dir = strcmp(cwd, "/") ? cwd : "";

	conf = parse_root("access_log = \"log/access.log\";\n"
	    "control_socket = \"./ctl.sock\";\n"
	    "pid_file = \"/tmp/preforkd-t.pid\";\n"
	    "services = ( { name = \"echo\"; handler = \"echo\";\n"
	    "  listen = \"unix:/tmp/preforkd-t.ctl\"; } );\n", &errs);
	if (!ok(conf != NULL, "access_log and control_socket load"))
		show_errors(&errs);
	want = tap_strdup_printf("%s/log/access.log", dir);
	is_string(want, conf != NULL ? conf->access_log : NULL,
	    "relative access_log made absolute");
	free(want);
	want = tap_strdup_printf("%s/ctl.sock", dir);
	is_string(want, conf != NULL ? conf->control_socket : NULL,
	    "relative control_socket made absolute");
	free(want);
	conf_free(conf);
	errlist_free(&errs);

	check_path("access_log = \"/var/log/preforkd/access.log\";\n" SVC,
	    offsetof(struct conf, access_log),
	    "/var/log/preforkd/access.log", "absolute access_log kept");
	check_path("access_log = \"off\";\n" SVC,
	    offsetof(struct conf, access_log), NULL, "access_log off");
	check_path("control_socket = \"off\";\npid_file = \"/tmp/p.pid\";\n"
	    "services = ( { name = \"e\"; handler = \"echo\";\n"
	    "  listen = \"unix:/tmp/p.ctl\"; } );\n",
	    offsetof(struct conf, control_socket), NULL,
	    "control_socket off, its default path free for a listener");
	check_path("control_socket = \"/" A100 "123456\";\n" SVC,
	    offsetof(struct conf, control_socket), "/" A100 "123456",
	    "control_socket of 107 bytes fits");

	/* The default: pid_file with .ctl for .pid, or .ctl added. */
	want = tap_strdup_printf("%s/x/preforkd.ctl", dir);
	check_path("pid_file = \"x/preforkd.pid\";\n" SVC,
	    offsetof(struct conf, control_socket), want,
	    "control_socket default: .pid becomes .ctl");
	free(want);
	want = tap_strdup_printf("%s/x/run.ctl", dir);
	check_path("pid_file = \"x/run\";\n" SVC,
	    offsetof(struct conf, control_socket), want,
	    "control_socket default: .ctl added");
	free(want);
	check_path(SVC "pid_file = \"/run/p.pid.old\";\n",
	    offsetof(struct conf, control_socket), "/run/p.pid.old.ctl",
	    "control_socket default: .pid only at the end");
	check_path("pid_file = \"/" A100 "12.pid\";\n" SVC,
	    offsetof(struct conf, control_socket), "/" A100 "12.ctl",
	    "control_socket default of 107 bytes fits");

	/* 107 bytes as written, more once made absolute. */
	text = tap_strdup_printf("control_socket = \"%s\";\n" SVC,
	    A100 "1234567");
	conf = parse_root(text, &errs);
	ok(conf == NULL, "relative control_socket too long once absolute");
	len = strlen(dir) + 1 + 107;
	want = tap_strdup_printf("test.conf:1: control_socket: path is too "
	    "long for a unix socket (%zu bytes, at most 107)", len);
	is_string(want, errs.n > 0 ? errs.msg[0] : NULL,
	    "relative control_socket: length counted once absolute");
	free(want);
	free(text);
	conf_free(conf);
	errlist_free(&errs);
}

/* test_users - user and group resolve to ids; root must name a user. */
static void
test_users(void)
{
	struct errlist errs = { NULL, 0 };
	struct conf *conf;

	conf = parse(SVC "user = \"root\";\ngroup = \"root\";\n", &errs);
	if (!ok(conf != NULL, "user and group root"))
		show_errors(&errs);
	is_int(0, conf != NULL ? (long long)conf->uid : -1, "uid of root");
	is_int(0, conf != NULL ? (long long)conf->gid : -1, "gid of root");
	is_string("root", conf != NULL ? conf->group : NULL, "group kept");
	conf_free(conf);
	errlist_free(&errs);

	conf = parse(SVC "group = \"root\";\n", &errs);
	ok(conf == NULL, "group without user fails");
	is_int(as_root ? 2 : 1, errs.n, "group without user: errors");
	is_string("test.conf:2: group: needs user",
	    errs.n > 0 ? errs.msg[0] : NULL, "group without user: message");
	conf_free(conf);
	errlist_free(&errs);

	conf = parse(SVC, &errs);
	if (as_root) {
		ok(conf == NULL, "root without user fails");
		is_string("test.conf: user: must be set when preforkd starts "
		    "as root (user = \"root\" keeps the workers as root)",
		    errs.n > 0 ? errs.msg[0] : NULL, "root without user");
	} else {
		ok(conf != NULL, "no user needed when not root");
		is_int(0, errs.n, "not root: no errors");
	}
	conf_free(conf);
	errlist_free(&errs);
}

/* test_many - one config with many faults reports every one, in order. */
static void
test_many(void)
{
	static const char text[] =
	    "log_level = \"loud\";\n"
	    "services = (\n"
	    "  { name = \"a b\"; listen = [ \"127.0.0.1\", \"*:80\" ];\n"
	    "    handler = \"ech\"; workers = 0; }\n"
	    "  , { name = \"x\"; listen = \"0.0.0.0:80\"; worker = 2; }\n"
	    ");\n"
	    "shutdown_timeout = 1.5;\n"
	    "pid_fle = \"/x\";\n";
	static const char *const want[] = {
		"test.conf:1: log_level: must be one of error, warning, "
		    "notice, info, debug (got \"loud\")",
		"test.conf:3: services.[0].name: may contain only letters, "
		    "digits, \"_\" and \"-\" (got \"a b\")",
		"test.conf:3: services.[0].listen.[0]: invalid address "
		    "\"127.0.0.1\": missing port",
		"test.conf:4: services.[0].handler: unknown handler \"ech\" "
		    "(did you mean \"echo\"?); " HANDLERS,
		"test.conf:4: services.[0].workers: must be between 1 and "
		    "65536 (got 0)",
		"test.conf:5: services.[1].listen: address tcp 0.0.0.0:80 "
		    "overlaps tcp *:80 of services.[0].listen.[1] (line 3)",
		"test.conf:5: services.[1].worker: unknown setting "
		    "(did you mean \"workers\"?)",
		"test.conf:5: services.[1]: missing required setting "
		    "\"handler\"",
		"test.conf:7: shutdown_timeout: must be an integer "
		    "(got a float)",
		"test.conf:8: pid_fle: unknown setting (did you mean "
		    "\"pid_file\"?)",
	};
	struct errlist errs = { NULL, 0 };
	struct conf *conf;
	size_t i;

	conf = parse_root(text, &errs);
	ok(conf == NULL, "many faults: fails");
	if (!is_int(NELEM(want), errs.n, "many faults: all reported"))
		show_errors(&errs);
	for (i = 0; i < NELEM(want); i++)
		is_string(want[i], i < errs.n ? errs.msg[i] : NULL,
		    "many faults: message %zu", i);
	conf_free(conf);

	/* Messages add to a list that already holds some. */
	conf = parse_root("services = ();", &errs);
	is_int(NELEM(want) + 1, errs.n, "errors accumulate across loads");
	conf_free(conf);
	errlist_free(&errs);
	ok(errs.n == 0 && errs.msg == NULL, "errlist_free empties the list");
}

/* test_files - conf_load on real files, and on ones that cannot be read. */
static void
test_files(void)
{
	struct errlist errs = { NULL, 0 };
	struct conf *conf;
	char path[] = "/tmp/conf-t.XXXXXX", *want;
	FILE *fp;
	int fd, pfd[2];

	conf = conf_load("/nonexistent/preforkd.conf", &errs);
	ok(conf == NULL, "missing file fails");
	is_int(1, errs.n, "missing file: one error");
	is_string("/nonexistent/preforkd.conf: cannot read: No such file or "
	    "directory", errs.n > 0 ? errs.msg[0] : NULL,
	    "missing file: message");
	errlist_free(&errs);

	conf = conf_load("/", &errs);
	ok(conf == NULL, "a directory fails");
	is_string("/: cannot read: Is a directory",
	    errs.n > 0 ? errs.msg[0] : NULL, "a directory: message");
	errlist_free(&errs);

	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL)
		sysbail("cannot create %s", path);
	fprintf(fp, "%s\n%s", as_root ? "user = \"root\";" : "", SVC);
	fclose(fp);
	conf = conf_load(path, &errs);
	if (!ok(conf != NULL, "good file loads"))
		show_errors(&errs);
	is_string(path, conf != NULL ? conf->file : NULL, "file name kept");
	conf_free(conf);
	errlist_free(&errs);

	if ((fp = fopen(path, "w")) == NULL)
		sysbail("cannot rewrite %s", path);
	fprintf(fp, "%s\nservices = ( { name = \"echo\"; listen = \"*:1\";\n"
	    "  handler = \"echo\"; workers = -4; } );\n",
	    as_root ? "user = \"root\";" : "");
	fclose(fp);
	conf = conf_load(path, &errs);
	ok(conf == NULL, "bad file fails");
	want = tap_strdup_printf("%s:3: services.[0].workers: must be "
	    "between 1 and 65536 (got -4)", path);
	is_string(want, errs.n > 0 ? errs.msg[0] : NULL,
	    "bad file: the message names the file");
	free(want);
	errlist_free(&errs);

	if ((fp = fopen(path, "w")) == NULL)
		sysbail("cannot rewrite %s", path);
	fprintf(fp, "log_level = \"info\";\n\nservices = ( {\n");
	fclose(fp);
	conf = conf_load(path, &errs);
	ok(conf == NULL, "truncated file fails");
	want = tap_strdup_printf("%s:4: syntax error", path);
	is_string(want, errs.n > 0 ? errs.msg[0] : NULL,
	    "truncated file: message");
	free(want);
	errlist_free(&errs);
	unlink(path);

	/* A pipe (-c /dev/stdin) is read once, and loads. */
	if (pipe(pfd) == -1)
		sysbail("pipe");
	want = tap_strdup_printf("%s\n%s", as_root ? "user = \"root\";" : "",
	    SVC);
	if (write(pfd[1], want, strlen(want)) != (ssize_t)strlen(want))
		sysbail("write to a pipe");
	close(pfd[1]);
	free(want);
	want = tap_strdup_printf("/dev/fd/%d", pfd[0]);
	conf = conf_load(want, &errs);
	if (!ok(conf != NULL, "a config from a pipe loads"))
		show_errors(&errs);
	conf_free(conf);
	errlist_free(&errs);
	free(want);
	close(pfd[0]);
}

/*
 * test_sandbox - conf_sandbox (the fuzz targets' load): no name looked
 * up, no module loaded, no @include opened; all else as usual.
 */
static void
test_sandbox(void)
{
	struct errlist errs = { NULL, 0 };
	struct acl_rule r;
	struct conf *conf;
	char path[] = "/tmp/conf-t.XXXXXX", err[ACL_ERR_MAX], *text;
	FILE *fp;
	int fd;

	conf_sandbox = 1;
	conf = parse("user = \"no-such-user-conf-t\";\n"
	    "group = \"no-such-group-conf-t\";\n" SVC, &errs);
	if (!ok(conf != NULL, "sandbox: unknown user and group names load"))
		show_errors(&errs);
	ok(conf != NULL && conf->uid == 65534 && conf->gid == 65534,
	    "sandbox: any name but root is 65534");
	conf_free(conf);
	errlist_free(&errs);
	ok(acl_parse("allow user no-such-user-conf-t", &r, err,
	    sizeof(err)) == 0 && r.kind == ACL_UID && r.id == 65534,
	    "sandbox: an access rule's user is not looked up");

	conf = parse("user = \"root\";\n" XSVC("module", "module = { path = "
	    "\"/nonexistent/x.so\"; };"), &errs);
	ok(conf == NULL, "sandbox: a module is refused");
	is_string("test.conf:3: services.[0].module.path: modules are not "
	    "loaded in this sandbox", errs.n > 0 ? errs.msg[0] : NULL,
	    "sandbox: the module's message");
	conf_free(conf);
	errlist_free(&errs);

	/* An @include of a file that exists and reads fine: not opened. */
	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL)
		sysbail("cannot create %s", path);
	fprintf(fp, "log_level = \"debug\";\n");
	fclose(fp);
	text = tap_strdup_printf("user = \"root\";\n@include \"%s\"\n%s",
	    path, SVC);
	conf = parse(text, &errs);
	ok(conf == NULL, "sandbox: @include of a readable file fails");
	like(errs.n > 0 ? errs.msg[0] : "", "cannot open include file",
	    "sandbox: libconfig's message");
	conf_free(conf);
	errlist_free(&errs);
	free(text);
	unlink(path);
	conf_sandbox = 0;
}

int
main(void)
{
	conftest_init();
	plan(50 + 3 + 8 * 2 + 2 + 9 + (int)NELEM(bad) * BAD_TESTS + 14 + 12 +
	    7);
	test_good();
	test_observe();
	test_users();
	test_bad(bad, NELEM(bad), "config");
	test_many();
	test_files();
	test_sandbox();
	return 0;
}
