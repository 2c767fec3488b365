/*
 * conf_agent-t.c - unit tests of src/conf_agent.c: the agent handler's
 * settings.  A good one reads back; each bad one fails with exactly one
 * message naming the file, the line and the setting: a name that is no
 * service, the agent's own, one listed twice, min_weight out of 0..100,
 * an unknown setting, no services, the group on another handler or
 * missing on the agent.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <string.h>

#include "preforkd.h"
#include "conftest.h"
#include "../tap/basic.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define WEB	"services = ( { name = \"web\"; listen = \"127.0.0.1:7007\"; " \
	"handler = \"echo\"; },\n"
#define AGENT	"  { name = \"ag\"; listen = \"127.0.0.1:7008\"; " \
	"handler = \"agent\";\n"

static const struct bad_conf bad[] = {
	{ WEB AGENT "  agent = { services = [ \"web\", \"nope\" ]; }; } );\n",
	  "test.conf:3: services.[1].agent.services.[1]: no service is "
	  "named \"nope\"", 1 },
	{ WEB AGENT "  agent = { services = [ \"ag\" ]; }; } );\n",
	  "test.conf:3: services.[1].agent.services.[0]: \"ag\" is this "
	  "agent's own service: name the services it reports on", 1 },
	{ WEB AGENT "  agent = { services = [ \"web\", \"web\" ]; }; } );\n",
	  "test.conf:3: services.[1].agent.services.[1]: \"web\" is listed "
	  "twice", 1 },
	{ WEB AGENT "  agent = { services = [ \"web\" ];\n"
	  "  min_weight = 101; }; } );\n",
	  "test.conf:4: services.[1].agent.min_weight: must be between 0 "
	  "and 100 (got 101)", 1 },
	{ WEB AGENT "  agent = { services = [ \"web\" ];\n"
	  "  min_weight = -1; }; } );\n",
	  "test.conf:4: services.[1].agent.min_weight: must be between 0 "
	  "and 100 (got -1)", 1 },
	{ WEB AGENT "  agent = { services = [ \"web\" ];\n"
	  "  min_wieght = 5; }; } );\n",
	  "test.conf:4: services.[1].agent.min_wieght: unknown setting "
	  "(did you mean \"min_weight\"?)", 1 },
	{ WEB AGENT "  agent = { services = [ ]; }; } );\n",
	  "test.conf:3: services.[1].agent.services: must name at least "
	  "one service", 1 },
	{ WEB AGENT "  agent = { min_weight = 5; }; } );\n",
	  "test.conf:3: services.[1].agent: missing required setting "
	  "\"services\" (the services whose idle workers the agent "
	  "reports)", 1 },
	{ WEB AGENT "  agent = \"web\"; } );\n",
	  "test.conf:3: services.[1].agent: must be a group: { services = "
	  "[ ... ]; min_weight = N; } (got a string)", 1 },
	{ WEB AGENT "  } );\n",
	  "test.conf:2: services.[1]: missing required setting \"agent\" "
	  "(handler \"agent\" reports on agent.services)", 1 },
	{ "services = ( { name = \"web\"; listen = \"127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; agent = { services = [ \"x\" ]; }; } );\n",
	  "test.conf:2: services.[0].agent: only applies to handler = "
	  "\"agent\" (this service's handler is \"echo\")", 1 },
	{ WEB "  { name = \"ag\"; listen = \"udp://127.0.0.1:7008\";\n"
	  "  handler = \"agent\"; agent = { services = [ \"web\" ]; }; } );\n",
	  "test.conf:2: services.[1].listen: handler \"agent\" does not "
	  "answer datagrams, so it cannot listen on udp (got "
	  "\"udp://127.0.0.1:7008\")", 1 },
	{ "services = ( { name = \"m\"; listen = \"udp://127.0.0.1:7009\";\n"
	  "  handler = \"metrics\"; } );\n",
	  "test.conf:1: services.[0].listen: handler \"metrics\" does not "
	  "answer datagrams, so it cannot listen on udp (got "
	  "\"udp://127.0.0.1:7009\")", 1 },
};

static void
test_good(void)
{
	struct errlist errs = { NULL, 0 };
	const struct conf_agent *a;
	struct conf *conf;

	conf = parse_root(WEB "  { name = \"m\"; listen = \"127.0.0.1:7009\"; "
	    "handler = \"metrics\"; },\n"
	    AGENT "  agent = { services = [ \"web\", \"m\" ]; min_weight = 0; "
	    "}; } );\n", &errs);
	show_errors(&errs);
	ok(conf != NULL, "good: loads");
	a = conf != NULL ? conf->services[2].agent : NULL;
	ok(a != NULL && a->nservices == 2 && strcmp(a->services[0], "web") ==
	    0 && strcmp(a->services[1], "m") == 0 && a->min_weight == 0,
	    "good: its services and min_weight");
	ok(a != NULL && conf->services[2].view.state == a,
	    "good: the handler finds it as its service's state");
	conf_free(conf);
	errlist_free(&errs);
	conf = parse_root(WEB AGENT "  agent = { services = [ \"web\" ]; }; "
	    "} );\n", &errs);
	show_errors(&errs);
	ok(conf != NULL && conf->services[1].agent->min_weight == 10,
	    "good: min_weight 10 when not given");
	ok(conf != NULL && conf->services[0].agent == NULL,
	    "good: no agent for another handler");
	conf_free(conf);
	errlist_free(&errs);
}

int
main(void)
{
	conftest_init();
	plan(5 + (int)NELEM(bad) * BAD_TESTS);
	test_good();
	test_bad(bad, NELEM(bad), "agent");
	return 0;
}
