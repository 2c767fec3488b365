/*
 * conf-t.c - unit tests for src/conf.c: a good config with its defaults,
 * a table of bad configs each with its exact message, several errors at
 * once, and reading real files.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/stat.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "preforkd.h"
#include "handler.h"
#include "../tap/basic.h"

#ifndef RUNSTATEDIR
#define RUNSTATEDIR	"/run"
#endif
#ifndef PATH_MAX
#define PATH_MAX	4096
#endif

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* A valid one-line services list, for tests about something else. */
#define SVC "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\"; " \
	"handler = \"echo\"; } );\n"

#define HANDLERS "handlers are: echo, discard, chargen, daytime, time"
#define NOTNUM " is not a numeric address: use an IPv4 address, " \
	"[IPv6] in brackets, or * (names are not resolved)"

/*
 * Each row fails with exactly one message.  Rows with root_user set get
 * user = "root" appended when the tests run as root, where a config
 * without a user is an error of its own.
 */
static const struct {
	const char	*text;
	const char	*err;
	int		 root_user;
} bad[] = {
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

	/* the services list */
	{ "log_level = \"info\";\n",
	  "test.conf: missing required setting \"services\"", 1 },
	{ "services = ();\n",
	  "test.conf:1: services: must have at least one service", 1 },
	{ "\nservices = [];\n",
	  "test.conf:2: services: must have at least one service", 1 },
	{ "services = \"echo\";\n",
	  "test.conf:1: services: must be a list of groups: "
	  "( { name = ...; }, ... ) (got a string)", 1 },
	{ "services = ( \"echo\" );\n",
	  "test.conf:1: services.[0]: must be a group (got a string)", 1 },

	/* unknown settings in a service */
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; wokers = 4; } );\n",
	  "test.conf:2: services.[0].wokers: unknown setting "
	  "(did you mean \"workers\"?)", 1 },
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; hanlder = \"echo\"; } );\n",
	  "test.conf:2: services.[0].hanlder: unknown setting "
	  "(did you mean \"handler\"?)", 1 },
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; user = \"x\"; } );\n",
	  "test.conf:2: services.[0].user: unknown setting here (it is a "
	  "global setting: put it outside services)", 1 },
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; color = \"blue\"; } );\n",
	  "test.conf:2: services.[0].color: unknown setting", 1 },

	/* required service settings: the line is the group's */
	{ "services = (\n  {\n    listen = \"127.0.0.1:7007\";\n"
	  "    handler = \"echo\";\n  }\n);\n",
	  "test.conf:2: services.[0]: missing required setting \"name\"", 1 },
	{ "services = (\n  { name = \"echo\";\n    handler = \"echo\"; }\n);\n",
	  "test.conf:2: services.[0]: missing required setting \"listen\"",
	  1 },
	{ "services = ( { name = \"a\"; listen = \"127.0.0.1:1\"; "
	  "handler = \"echo\"; },\n"
	  "  { name = \"b\"; listen = \"127.0.0.1:2\"; } );\n",
	  "test.conf:2: services.[1]: missing required setting \"handler\"",
	  1 },

	/* name */
	{ "services = ( { name = \"my service\"; listen = \"127.0.0.1:7007\"; "
	  "handler = \"echo\"; } );\n",
	  "test.conf:1: services.[0].name: may contain only letters, digits, "
	  "\"_\" and \"-\" (got \"my service\")", 1 },
	{ "services = ( { name = \"\"; listen = \"127.0.0.1:7007\"; "
	  "handler = \"echo\"; } );\n",
	  "test.conf:1: services.[0].name: must not be empty", 1 },
	{ "services = ( { name = \"a123456789b123456789c123456789d123456789"
	  "e123456789f123456789g1234\"; listen = \"127.0.0.1:7007\"; "
	  "handler = \"echo\"; } );\n",
	  "test.conf:1: services.[0].name: must be at most 64 characters "
	  "(got 65)", 1 },
	{ "services = ( { name = 7; listen = \"127.0.0.1:7007\"; "
	  "handler = \"echo\"; } );\n",
	  "test.conf:1: services.[0].name: must be a string (got an integer)",
	  1 },
	{ "services = (\n"
	  "  { name = \"echo\"; listen = \"127.0.0.1:1\";\n"
	  "    handler = \"echo\"; },\n"
	  "  { name = \"echo\"; listen = \"127.0.0.1:2\";\n"
	  "    handler = \"echo\"; }\n);\n",
	  "test.conf:4: services.[1].name: name \"echo\" is already used by "
	  "services.[0] (line 2)", 1 },

	/* listen */
	{ "services = (\n"
	  "  { name = \"a\"; listen = \"127.0.0.1:7007\";\n"
	  "    handler = \"echo\"; },\n"
	  "  { name = \"b\";\n    listen = \"127.0.0.1:7007\";\n"
	  "    handler = \"echo\"; }\n);\n",
	  "test.conf:5: services.[1].listen: address tcp 127.0.0.1:7007 is "
	  "already used by services.[0].listen (line 2)", 1 },
	{ "services = (\n"
	  "  { name = \"a\"; listen = [ \"*:7007\" ]; handler = \"echo\"; },\n"
	  "  { name = \"b\"; listen = [ \"udp://*:7007\",\n"
	  "      \"127.0.0.1:7007\" ]; handler = \"echo\"; }\n);\n",
	  "test.conf:4: services.[1].listen.[1]: address tcp 127.0.0.1:7007 "
	  "overlaps tcp *:7007 of services.[0].listen.[0] (line 2)", 1 },
	{ "services = ( { name = \"a\"; handler = \"echo\";\n"
	  "  listen = [ \"0.0.0.0:80\", \"127.0.0.1:80\" ]; } );\n",
	  "test.conf:2: services.[0].listen.[1]: address tcp 127.0.0.1:80 "
	  "overlaps tcp 0.0.0.0:80 of services.[0].listen.[0] (line 2)", 1 },
	{ "services = ( { name = \"a\"; handler = \"echo\";\n"
	  "  listen = [ \"unix:/tmp/p.sock\", \"unix:/tmp/p.sock\" ]; } );\n",
	  "test.conf:2: services.[0].listen.[1]: address unix /tmp/p.sock is "
	  "already used by services.[0].listen.[0] (line 2)", 1 },
	{ "services = ( { name = \"echo\"; handler = \"echo\";\n"
	  "  listen = [ \"127.0.0.1:7007\",\n"
	  "             \"localhost:7007\" ]; } );\n",
	  "test.conf:3: services.[0].listen.[1]: invalid address "
	  "\"localhost:7007\": host \"localhost\"" NOTNUM, 1 },
	{ "services = ( { name = \"echo\"; handler = \"echo\";\n"
	  "  listen = \"127.0.0.1:99999\"; } );\n",
	  "test.conf:2: services.[0].listen: invalid address "
	  "\"127.0.0.1:99999\": port must be between 0 and 65535 "
	  "(got 99999)", 1 },
	{ "services = ( { name = \"echo\"; handler = \"echo\";\n"
	  "  listen = \"::1:7007\"; } );\n",
	  "test.conf:2: services.[0].listen: invalid address \"::1:7007\": "
	  "IPv6 addresses need brackets: [::1]:7007", 1 },
	{ "services = ( { name = \"echo\"; handler = \"echo\";\n"
	  "  listen = 7007; } );\n",
	  "test.conf:2: services.[0].listen: must be a string or a list of "
	  "strings (got an integer)", 1 },
	{ "services = ( { name = \"echo\"; handler = \"echo\";\n"
	  "  listen = [ ]; } );\n",
	  "test.conf:2: services.[0].listen: must have at least one address",
	  1 },
	{ "services = ( { name = \"echo\"; handler = \"echo\";\n"
	  "  listen = ( \"127.0.0.1:7007\", 7008 ); } );\n",
	  "test.conf:2: services.[0].listen.[1]: must be a string "
	  "(got an integer)", 1 },

	/* handler */
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"ecko\"; } );\n",
	  "test.conf:2: services.[0].handler: unknown handler \"ecko\" "
	  "(did you mean \"echo\"?); " HANDLERS, 1 },
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"nginx\"; } );\n",
	  "test.conf:2: services.[0].handler: unknown handler \"nginx\"; "
	  HANDLERS, 1 },
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = [ \"echo\" ]; } );\n",
	  "test.conf:2: services.[0].handler: must be a string (got an array)",
	  1 },

	/* workers, backlog */
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\";\n  workers = 0; } );\n",
	  "test.conf:3: services.[0].workers: must be between 1 and 4096 "
	  "(got 0)", 1 },
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; workers = 4097; } );\n",
	  "test.conf:2: services.[0].workers: must be between 1 and 4096 "
	  "(got 4097)", 1 },
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; workers = \"4\"; } );\n",
	  "test.conf:2: services.[0].workers: must be an integer "
	  "(got a string)", 1 },
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; workers = 4.0; } );\n",
	  "test.conf:2: services.[0].workers: must be an integer "
	  "(got a float)", 1 },
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; workers = 5000000000L; } );\n",
	  "test.conf:2: services.[0].workers: must be between 1 and 4096 "
	  "(got 5000000000)", 1 },
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; backlog = 0; } );\n",
	  "test.conf:2: services.[0].backlog: must be between 1 and 65535 "
	  "(got 0)", 1 },
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; backlog = 65536; } );\n",
	  "test.conf:2: services.[0].backlog: must be between 1 and 65535 "
	  "(got 65536)", 1 },
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; backlog = false; } );\n",
	  "test.conf:2: services.[0].backlog: must be an integer "
	  "(got a boolean)", 1 },

	/* unix_mode */
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; unix_mode = \"0660\"; } );\n",
	  "test.conf:2: services.[0].unix_mode: only applies to unix: listen "
	  "addresses, and services.[0] has none", 1 },
	{ "services = ( { name = \"echo\"; listen = \"unix:/tmp/e.sock\";\n"
	  "  handler = \"echo\"; unix_mode = \"0999\"; } );\n",
	  "test.conf:2: services.[0].unix_mode: must be octal digits like "
	  "\"0660\" (got \"0999\")", 1 },
	{ "services = ( { name = \"echo\"; listen = \"unix:/tmp/e.sock\";\n"
	  "  handler = \"echo\"; unix_mode = \"rw-rw----\"; } );\n",
	  "test.conf:2: services.[0].unix_mode: must be octal digits like "
	  "\"0660\" (got \"rw-rw----\")", 1 },
	{ "services = ( { name = \"echo\"; listen = \"unix:/tmp/e.sock\";\n"
	  "  handler = \"echo\"; unix_mode = \"1777\"; } );\n",
	  "test.conf:2: services.[0].unix_mode: must be between 0 and 0777 "
	  "(got \"1777\")", 1 },
	{ "services = ( { name = \"echo\"; listen = \"unix:/tmp/e.sock\";\n"
	  "  handler = \"echo\"; unix_mode = 0660; } );\n",
	  "test.conf:2: services.[0].unix_mode: must be a string of octal "
	  "digits like \"0660\" (got an integer)", 1 },

	/* libconfig's own errors */
	{ "log_level = \"info\";\nworkers = ;\n" SVC,
	  "test.conf:2: syntax error", 1 },
	{ "log_level = \"info\";\nlog_level = \"debug\";\n" SVC,
	  "test.conf:2: duplicate setting name", 1 },
};

static int	as_root;

/* parse - conf_parse_string under the name test.conf. */
static struct conf *
parse(const char *text, struct errlist *errs)
{
	return conf_parse_string(text, "test.conf", errs);
}

/* parse_root - as parse, adding user = "root" at the end when root. */
static struct conf *
parse_root(const char *text, struct errlist *errs)
{
	struct conf *conf;
	char *full;

	if (!as_root)
		return parse(text, errs);
	full = tap_strdup_printf("%suser = \"root\";\n", text);
	conf = parse(full, errs);
	free(full);
	return conf;
}

/* show_errors - print unexpected messages as diagnostics. */
static void
show_errors(const struct errlist *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		diag("error: %s", errs->msg[i]);
}

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
	    "    handler = \"time\"; workers = 4096; backlog = 65535; }\n"
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
	is_int(4096, s->workers, "workers at the maximum");
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

/* test_bad - every row fails alone with exactly its message. */
static void
test_bad(void)
{
	struct errlist errs = { NULL, 0 };
	struct conf *conf;
	size_t i;

	for (i = 0; i < NELEM(bad); i++) {
		conf = bad[i].root_user ? parse_root(bad[i].text, &errs) :
		    parse(bad[i].text, &errs);
		ok(conf == NULL, "bad config %zu fails", i);
		if (!is_int(1, errs.n, "bad config %zu: one error", i))
			show_errors(&errs);
		is_string(bad[i].err, errs.n > 0 ? errs.msg[0] : NULL,
		    "bad config %zu: message", i);
		conf_free(conf);
		errlist_free(&errs);
	}
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
		    "4096 (got 0)",
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

/* test_limits - limits that are easier to build than to write out. */
static void
test_limits(void)
{
	struct errlist errs = { NULL, 0 };
	struct conf *conf;
	char *text, *list, *tmp;
	int i;

	/* 64 addresses are fine, 65 are not. */
	list = tap_strdup_printf("\"127.0.0.1:1\"");
	for (i = 2; i <= 65; i++) {
		if (i == 65) {
			text = tap_strdup_printf("services = ( { name = \"a\"; "
			    "handler = \"echo\"; listen = [ %s ]; } );\n",
			    list);
			conf = parse_root(text, &errs);
			ok(conf != NULL, "64 listen addresses are fine");
			show_errors(&errs);
			conf_free(conf);
			errlist_free(&errs);
			free(text);
		}
		tmp = tap_strdup_printf("%s, \"127.0.0.1:%d\"", list, i);
		free(list);
		list = tmp;
	}
	text = tap_strdup_printf("services = ( { name = \"a\"; "
	    "handler = \"echo\";\n listen = [ %s ]; } );\n", list);
	conf = parse_root(text, &errs);
	ok(conf == NULL, "65 listen addresses fail");
	is_string("test.conf:2: services.[0].listen: must have at most 64 "
	    "addresses (got 65)", errs.n > 0 ? errs.msg[0] : NULL,
	    "65 listen addresses: message");
	conf_free(conf);
	errlist_free(&errs);
	free(text);
	free(list);
}

/* test_closest - the "did you mean" chooser on its own. */
static void
test_closest(void)
{
	static const char *const words[] = {
		"workers", "backlog", "handler", "name", NULL
	};

	is_string("workers", conf_closest("wokers", words), "deletion");
	is_string("workers", conf_closest("wrokers", words), "swap");
	is_string("workers", conf_closest("owrkesr", words), "two swaps");
	is_string(NULL, conf_closest("wkrs", words), "three edits away");
	is_string("workers", conf_closest("workerss", words), "insertion");
	is_string("backlog", conf_closest("backlg", words), "backlog");
	is_string("name", conf_closest("name", words), "exact match");
	is_string(NULL, conf_closest("listen", words), "nothing close");
	is_string(NULL, conf_closest("x", words), "too short to guess");
	is_string(NULL, conf_closest("", words), "empty word");
}

/* test_files - conf_load on real files, and on ones that cannot be read. */
static void
test_files(void)
{
	struct errlist errs = { NULL, 0 };
	struct conf *conf;
	char path[] = "/tmp/conf-t.XXXXXX", *want;
	FILE *fp;
	int fd;

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
	    "between 1 and 4096 (got -4)", path);
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
}

int
main(void)
{
	as_root = geteuid() == 0;
	plan(40 + 9 + (int)NELEM(bad) * 3 + 14 + 3 + 10 + 11);
	test_good();
	test_users();
	test_bad();
	test_many();
	test_limits();
	test_closest();
	test_files();
	return 0;
}
