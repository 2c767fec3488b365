/*
 * conf_service-t.c - unit tests for src/conf_service.c: the services list, each
 * service's settings with their defaults and limits, static and dynamic
 * pools, names and handlers: each bad one with its exact message.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "preforkd.h"
#include "conftest.h"
#include "../tap/basic.h"

#define POOL_MIX "a pool is either static (workers) or dynamic " \
	"(min_spare, max_spare, max_workers)"

static const struct bad_conf bad[] = {
	/* the services list */
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
	  "  handler = \"echo\"; pid_file = \"/x\"; } );\n",
	  "test.conf:2: services.[0].pid_file: unknown setting here (it is a "
	  "global setting: put it outside services)", 1 },
	/* A service's own user and group. */
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; user = \"no-such-user-x\"; } );\n",
	  "test.conf:2: services.[0].user: no such user \"no-such-user-x\"", 1 },
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; user = \"root\"; group = \"no-such-g\"; } );\n",
	  "test.conf:2: services.[0].group: no such group \"no-such-g\"", 1 },
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; user = 3; } );\n",
	  "test.conf:2: services.[0].user: must be a string (got an integer)",
	  1 },
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
	  "test.conf:3: services.[0].workers: must be between 1 and 65536 "
	  "(got 0)", 1 },
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; workers = 65537; } );\n",
	  "test.conf:2: services.[0].workers: must be between 1 and 65536 "
	  "(got 65537)", 1 },
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
	  "test.conf:2: services.[0].workers: must be between 1 and 65536 "
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

	/* a global setting in a service */
	{ IN_SVC("access_log = \"/tmp/a\";"),
	  "test.conf:2: services.[0].access_log: unknown setting here (it "
	  "is a global setting: put it outside services)", 1 },

	/* pool: static or dynamic, never both */
	{ IN_SVC("min_spare = 0;"),
	  "test.conf:2: services.[0].min_spare: must be between 1 and 65536 "
	  "(got 0)", 1 },
	{ IN_SVC("min_spare = 65537;"),
	  "test.conf:2: services.[0].min_spare: must be between 1 and 65536 "
	  "(got 65537)", 1 },
	{ IN_SVC("min_spare = \"2\";"),
	  "test.conf:2: services.[0].min_spare: must be an integer "
	  "(got a string)", 1 },
	{ IN_SVC("max_spare = 0;"),
	  "test.conf:2: services.[0].max_spare: must be between 1 and 65536 "
	  "(got 0)", 1 },
	{ IN_SVC("max_spare = 65537;"),
	  "test.conf:2: services.[0].max_spare: must be between 1 and 65536 "
	  "(got 65537)", 1 },
	{ IN_SVC("max_spare = 8.0;"),
	  "test.conf:2: services.[0].max_spare: must be an integer "
	  "(got a float)", 1 },
	{ IN_SVC("max_workers = 0;"),
	  "test.conf:2: services.[0].max_workers: must be between 1 and 65536 "
	  "(got 0)", 1 },
	{ IN_SVC("max_workers = 65537;"),
	  "test.conf:2: services.[0].max_workers: must be between 1 and 65536 "
	  "(got 65537)", 1 },
	{ IN_SVC("max_workers = true;"),
	  "test.conf:2: services.[0].max_workers: must be an integer "
	  "(got a boolean)", 1 },
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; workers = 4;\n  min_spare = 2; } );\n",
	  "test.conf:3: services.[0].min_spare: cannot be combined with "
	  "workers (line 2): " POOL_MIX, 1 },
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; max_workers = 9;\n  workers = 4; } );\n",
	  "test.conf:3: services.[0].workers: cannot be combined with "
	  "max_workers (line 2): " POOL_MIX, 1 },
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; workers = 4;\n  max_spare = 9;\n"
	  "  min_spare = 2; max_workers = 9; } );\n",
	  "test.conf:3: services.[0].max_spare: cannot be combined with "
	  "workers (line 2): " POOL_MIX, 1 },
	{ IN_SVC("max_spare = 1;"),
	  "test.conf:2: services.[0].max_spare: must be at least min_spare "
	  "(got 1, min_spare is 2)", 1 },
	{ "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\";\n  max_spare = 4; min_spare = 5; } );\n",
	  "test.conf:3: services.[0].max_spare: must be at least min_spare "
	  "(got 4, min_spare is 5)", 1 },
	{ IN_SVC("min_spare = 10; max_spare = 10; max_workers = 5;"),
	  "test.conf:2: services.[0].max_workers: must be at least min_spare "
	  "(got 5, min_spare is 10)", 1 },
	{ IN_SVC("min_spare = 65;"),
	  "test.conf:2: services.[0].min_spare: must be at most max_workers "
	  "(got 65, max_workers is 64 by default)", 1 },
	{ IN_SVC("min_spares = 2;"),
	  "test.conf:2: services.[0].min_spares: unknown setting (did you "
	  "mean \"min_spare\"?)", 1 },
	{ IN_SVC("max_worker = 2;"),
	  "test.conf:2: services.[0].max_worker: unknown setting (did you "
	  "mean \"max_workers\"?)", 1 },

	/* max_requests, timeout, io_timeout */
	{ IN_SVC("max_requests = -1;"),
	  "test.conf:2: services.[0].max_requests: must be between 0 and "
	  "1000000000 (got -1)", 1 },
	{ IN_SVC("max_requests = 1000000001;"),
	  "test.conf:2: services.[0].max_requests: must be between 0 and "
	  "1000000000 (got 1000000001)", 1 },
	{ IN_SVC("max_requests = \"1000\";"),
	  "test.conf:2: services.[0].max_requests: must be an integer "
	  "(got a string)", 1 },
	{ IN_SVC("timeout = -1;"),
	  "test.conf:2: services.[0].timeout: must be between 0 and 86400 "
	  "(got -1)", 1 },
	{ IN_SVC("timeout = 86401;"),
	  "test.conf:2: services.[0].timeout: must be between 0 and 86400 "
	  "(got 86401)", 1 },
	{ IN_SVC("timeout = 1.5;"),
	  "test.conf:2: services.[0].timeout: must be an integer "
	  "(got a float)", 1 },
	{ IN_SVC("io_timeout = -1;"),
	  "test.conf:2: services.[0].io_timeout: must be between 0 and 86400 "
	  "(got -1)", 1 },
	{ IN_SVC("io_timeout = 86401;"),
	  "test.conf:2: services.[0].io_timeout: must be between 0 and 86400 "
	  "(got 86401)", 1 },
	{ IN_SVC("io_timeout = ( 30 );"),
	  "test.conf:2: services.[0].io_timeout: must be an integer "
	  "(got a list)", 1 },
	{ IN_SVC("max_request = 1000;"),
	  "test.conf:2: services.[0].max_request: unknown setting (did you "
	  "mean \"max_requests\"?)", 1 },
	{ IN_SVC("timout = 5;"),
	  "test.conf:2: services.[0].timout: unknown setting (did you "
	  "mean \"timeout\"?)", 1 },
	{ IN_SVC("io_timout = 5;"),
	  "test.conf:2: services.[0].io_timout: unknown setting (did you "
	  "mean \"io_timeout\"?)", 1 },
};

/* A service in a minimal config, with settings added to its group. */
static struct conf *
parse_pool(const char *settings, struct errlist *errs)
{
	struct conf *conf;
	char *text;

	text = tap_strdup_printf(IN_SVC("%s"), settings);
	if ((conf = parse_root(text, errs)) == NULL)
		show_errors(errs);
	free(text);
	return conf;
}

/*
 * test_pool - static and dynamic pools: what each setting gives, what the
 * defaults fill in, and the supervision limits at their ends.
 */
static void
test_pool(void)
{
	static const struct {
		const char	*settings;
		int		 dynamic, workers, min_spare, max_spare;
		int		 max_workers;
	} good[] = {
		{ "workers = 7;",			0, 7, 7, 7, 7 },
		{ "min_spare = 3; max_spare = 5; max_workers = 10;",
							1, 3, 3, 5, 10 },
		{ "max_workers = 16;",			1, 2, 2, 8, 16 },
		{ "max_spare = 2;",			1, 2, 2, 2, 64 },
		{ "min_spare = 12;",			1, 12, 12, 12, 64 },
		{ "min_spare = 5; max_spare = 6;",	1, 5, 5, 6, 64 },
		{ "min_spare = 1; max_spare = 1; max_workers = 1;",
							1, 1, 1, 1, 1 },
		{ "max_workers = 65536; min_spare = 65536; max_spare = 65536;",
						1, 65536, 65536, 65536, 65536 },
	};
	struct errlist errs = { NULL, 0 };
	struct conf *conf;
	struct conf_service *s;
	size_t i;

	for (i = 0; i < NELEM(good); i++) {
		conf = parse_pool(good[i].settings, &errs);
		ok(conf != NULL, "pool %zu loads: %s", i, good[i].settings);
		s = conf != NULL ? &conf->services[0] : NULL;
		is_int(good[i].dynamic, s != NULL ? s->dynamic : -1,
		    "pool %zu: dynamic", i);
		is_int(good[i].workers, s != NULL ? s->workers : -1,
		    "pool %zu: workers", i);
		is_int(good[i].min_spare, s != NULL ? s->min_spare : -1,
		    "pool %zu: min_spare", i);
		is_int(good[i].max_spare, s != NULL ? s->max_spare : -1,
		    "pool %zu: max_spare", i);
		is_int(good[i].max_workers, s != NULL ? s->max_workers : -1,
		    "pool %zu: max_workers", i);
		conf_free(conf);
		errlist_free(&errs);
	}

	conf = parse_pool("max_requests = 1000000000; timeout = 86400; "
	    "io_timeout = 0;", &errs);
	ok(conf != NULL, "limits at their maximum (io_timeout off) load");
	s = conf != NULL ? &conf->services[0] : NULL;
	is_int(1000000000, s != NULL ? s->max_requests : -1,
	    "max_requests maximum");
	is_int(86400, s != NULL ? s->timeout : -1, "timeout maximum");
	is_int(0, s != NULL ? s->io_timeout : -1, "io_timeout 0 is off");
	conf_free(conf);
	errlist_free(&errs);

	conf = parse_pool("max_requests = 1000; timeout = 60; "
	    "io_timeout = 30;", &errs);
	s = conf != NULL ? &conf->services[0] : NULL;
	is_int(1000, s != NULL ? s->max_requests : -1, "max_requests 1000");
	is_int(60, s != NULL ? s->timeout : -1, "timeout 60");
	is_int(30, s != NULL ? s->io_timeout : -1, "io_timeout 30");
	conf_free(conf);
	errlist_free(&errs);
}

/* has_error - whether errs holds exactly this message. */
static int
has_error(const struct errlist *errs, const char *msg)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		if (strcmp(errs->msg[i], msg) == 0)
			return 1;
	return 0;
}

/*
 * test_users - a service's user and group: its own, or the global ones
 * (with its own group), as conf_service_user() tells the worker.
 */
static void
test_users(void)
{
	struct errlist errs = { NULL, 0 };
	struct conf *conf;
	const char *u;
	uid_t uid;
	gid_t gid;

	conf = parse("user = \"nobody\";\n"
	    "services = ( { name = \"a\"; listen = \"127.0.0.1:7007\";\n"
	    "  handler = \"echo\"; user = \"daemon\"; },\n"
	    "  { name = \"b\"; listen = \"127.0.0.1:7008\";\n"
	    "  handler = \"echo\"; group = \"daemon\"; },\n"
	    "  { name = \"c\"; listen = \"127.0.0.1:7009\";\n"
	    "  handler = \"echo\"; user = \"root\"; group = \"nogroup\"; },\n"
	    "  { name = \"d\"; listen = \"127.0.0.1:7010\";\n"
	    "  handler = \"echo\"; } );\n", &errs);
	if (!ok(conf != NULL, "services with their own users load"))
		show_errors(&errs);
	if (conf == NULL)
		bail("cannot go on without them");
	u = conf_service_user(conf, &conf->services[0], &uid, &gid);
	ok(u != NULL && strcmp(u, "daemon") == 0 && uid == 1 && gid == 1,
	    "a: its own user, with that user's group");
	u = conf_service_user(conf, &conf->services[1], &uid, &gid);
	ok(u != NULL && strcmp(u, "nobody") == 0 && uid == conf->uid &&
	    gid == 1, "b: the global user, with its own group");
	u = conf_service_user(conf, &conf->services[2], &uid, &gid);
	ok(u != NULL && strcmp(u, "root") == 0 && uid == 0 &&
	    gid == conf->services[2].gid, "c: root, written on the service");
	u = conf_service_user(conf, &conf->services[3], &uid, &gid);
	ok(u != NULL && strcmp(u, "nobody") == 0 && uid == conf->uid &&
	    gid == conf->gid, "d: the global user and group");
	conf_free(conf);
	errlist_free(&errs);

	/* A group needs a user, the service's own or the global one. */
	conf = parse("services = ( { name = \"a\"; listen = \"127.0.0.1:7007\";\n"
	    "  handler = \"echo\"; group = \"daemon\"; } );\n", &errs);
	ok(conf == NULL && has_error(&errs, "test.conf:2: services.[0].group: "
	    "needs user (on this service or globally)"), "a service's group "
	    "without any user");
	if (conf == NULL && !has_error(&errs, "test.conf:2: services.[0].group: "
	    "needs user (on this service or globally)"))
		show_errors(&errs);
	conf_free(conf);
	errlist_free(&errs);

	/* Root: with every service's own user, no global user is needed. */
	conf = parse("services = ( { name = \"a\"; listen = \"127.0.0.1:7007\";\n"
	    "  handler = \"echo\"; user = \"nobody\"; } );\n", &errs);
	if (!ok(conf != NULL, "every service has a user: no global one needed"))
		show_errors(&errs);
	conf_free(conf);
	errlist_free(&errs);
	conf = parse("services = ( { name = \"a\"; listen = \"127.0.0.1:7007\";\n"
	    "  handler = \"echo\"; user = \"nobody\"; },\n"
	    "  { name = \"b\"; listen = \"127.0.0.1:7008\";\n"
	    "  handler = \"echo\"; } );\n", &errs);
	if (as_root)
		ok(conf == NULL && has_error(&errs, "test.conf: user: must be "
		    "set when preforkd starts as root (user = \"root\" keeps "
		    "the workers as root)"), "root: a service without a user "
		    "still needs the global one");
	else
		ok(conf != NULL, "not root: no user needed");
	conf_free(conf);
	errlist_free(&errs);
}

int
main(void)
{
	conftest_init();
	plan(8 * 6 + 7 + 8 + (int)NELEM(bad) * BAD_TESTS);
	test_pool();
	test_users();
	test_bad(bad, NELEM(bad), "service");
	return 0;
}
