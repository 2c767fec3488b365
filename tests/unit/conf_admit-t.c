/*
 * conf_admit-t.c - unit tests for src/conf_admit.c: defer_accept,
 * io_timeout_busy and min_rate, their defaults and ranges, where each can
 * apply (a built-in that speaks first, udp and unix listeners, io_timeout,
 * a program that accepts by itself), each bad one with its exact message.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <stdlib.h>

#include "preforkd.h"
#include "conftest.h"
#include "../tap/basic.h"

/* An exec service in mode "worker", with more settings, on line 2. */
#define WSVC(rest) "services = ( { name = \"w\"; " \
	"listen = \"127.0.0.1:7007\"; handler = \"exec\";\n" \
	"  exec = { argv = [ \"/bin/cat\" ]; mode = \"worker\"; }; " rest \
	" } );\n"

#define SPEAKS(h) "test.conf:2: services.[0].defer_accept: does not " \
	"apply to handler \"" h "\", which speaks first: its clients send " \
	"nothing, so each would wait out the whole deferral (defer_accept " \
	"is for services whose clients speak first)"

#define ACCEPTS "does not apply to exec.mode \"worker\": the program " \
	"accepts its connections itself, so preforkd never sees "

static const struct bad_conf bad[] = {
	/* ranges and types */
	{ IN_SVC("defer_accept = -1;"),
	  "test.conf:2: services.[0].defer_accept: must be between 0 and "
	  "3600 (got -1)", 1 },
	{ IN_SVC("defer_accept = 3601;"),
	  "test.conf:2: services.[0].defer_accept: must be between 0 and "
	  "3600 (got 3601)", 1 },
	{ IN_SVC("defer_accept = \"5\";"),
	  "test.conf:2: services.[0].defer_accept: must be an integer "
	  "(got a string)", 1 },
	{ IN_SVC("io_timeout_busy = -1;"),
	  "test.conf:2: services.[0].io_timeout_busy: must be 0 (off) or "
	  "between 0.100 and 86400 seconds (got -1)", 1 },
	{ IN_SVC("io_timeout_busy = 0.05;"),
	  "test.conf:2: services.[0].io_timeout_busy: must be 0 (off) or "
	  "between 0.100 and 86400 seconds (got 0.05)", 1 },
	{ IN_SVC("io_timeout_busy = \"1s\";"),
	  "test.conf:2: services.[0].io_timeout_busy: must be a number of "
	  "seconds (got a string)", 1 },
	{ IN_SVC("io_timeout_busy = 5; min_rate = -3;"),
	  "test.conf:2: services.[0].min_rate: must be between 0 and "
	  "1000000000 (got -3)", 1 },
	{ IN_SVC("io_timeout_busy = 5; min_rate = 1000000001;"),
	  "test.conf:2: services.[0].min_rate: must be between 0 and "
	  "1000000000 (got 1000000001)", 1 },
	{ IN_SVC("io_timout_busy = 5;"),
	  "test.conf:2: services.[0].io_timout_busy: unknown setting "
	  "(did you mean \"io_timeout_busy\"?)", 1 },
	{ IN_SVC("defer_acept = 5;"),
	  "test.conf:2: services.[0].defer_acept: unknown setting "
	  "(did you mean \"defer_accept\"?)", 1 },

	/* defer_accept: clients that speak first, over TCP */
	{ XSVC("daytime", "defer_accept = 5;"), SPEAKS("daytime"), 1 },
	{ XSVC("time", "defer_accept = 5;"), SPEAKS("time"), 1 },
	{ XSVC("chargen", "defer_accept = 5;"), SPEAKS("chargen"), 1 },
	{ "services = ( { name = \"e\"; listen = [ \"127.0.0.1:7007\",\n"
	  "  \"udp://127.0.0.1:7007\" ]; handler = \"echo\";\n"
	  "  defer_accept = 3; } );\n",
	  "test.conf:3: services.[0].defer_accept: only applies to tcp "
	  "listeners, and listen address \"udp://127.0.0.1:7007\" is udp (a "
	  "datagram has no connection to hold back); give it a service of "
	  "its own", 1 },
	{ "services = ( { name = \"e\"; listen = \"unix:/tmp/e.sock\";\n"
	  "  handler = \"echo\"; defer_accept = 3; } );\n",
	  "test.conf:2: services.[0].defer_accept: only applies to tcp "
	  "listeners, and listen address \"unix:/tmp/e.sock\" is unix (a unix "
	  "connection has no handshake to hold back); give it a service of "
	  "its own", 1 },

	/* io_timeout_busy and min_rate together, and with io_timeout */
	{ IN_SVC("min_rate = 100;"),
	  "test.conf:2: services.[0].min_rate: needs io_timeout_busy: "
	  "min_rate applies once a client has had its first io_timeout_busy "
	  "seconds", 1 },
	{ IN_SVC("io_timeout = 10; io_timeout_busy = 10;"),
	  "test.conf:2: services.[0].io_timeout_busy: must be less than "
	  "io_timeout (got 10, io_timeout is 10): a client silent for "
	  "io_timeout is cut anyway", 1 },
	{ "services = ( { name = \"u\"; listen = \"udp://127.0.0.1:7007\";\n"
	  "  handler = \"echo\"; io_timeout_busy = 5; } );\n",
	  "test.conf:2: services.[0].io_timeout_busy: does not apply to a "
	  "service that listens on udp only: a datagram holds no worker", 1 },

	/* a program that accepts by itself */
	{ WSVC("io_timeout_busy = 5;"),
	  "test.conf:2: services.[0].io_timeout_busy: " ACCEPTS "how long "
	  "its clients are silent, and cannot cut them", 1 },
	{ WSVC("io_timeout_busy = 0;"),
	  "test.conf:2: services.[0].io_timeout_busy: " ACCEPTS "how long "
	  "its clients are silent, and cannot cut them", 1 },
	{ WSVC("max_per_source = 2;"),
	  "test.conf:2: services.[0].max_per_source: " ACCEPTS "who holds "
	  "its connections, and cannot refuse one", 1 },
	{ WSVC("max_rate = \"5/s\";"),
	  "test.conf:2: services.[0].max_rate: " ACCEPTS "its clients come, "
	  "and cannot refuse one", 1 },
	{ WSVC("max_rate_per_source = \"5/s\";"),
	  "test.conf:2: services.[0].max_rate_per_source: " ACCEPTS "its "
	  "clients come, and cannot refuse one", 1 },
	{ "services = ( { name = \"w\"; listen = \"udp://127.0.0.1:7069\"; "
	  "handler = \"exec\";\n  exec = { argv = [ \"/bin/cat\" ]; "
	  "mode = \"wait\"; }; max_rate = \"5/s\"; } );\n",
	  "test.conf:2: services.[0].max_rate: does not apply to exec.mode "
	  "\"wait\": the program accepts its connections itself, so preforkd "
	  "never sees its clients come, and cannot refuse one", 1 },
};

/* What a config holding s (in the echo service) parses to; NULL: failed. */
static struct conf *
good(const char *s)
{
	struct errlist errs = { NULL, 0 };
	struct conf *conf;

	conf = parse_root(s, &errs);
	if (conf == NULL)
		show_errors(&errs);
	errlist_free(&errs);
	return conf;
}

static void
test_good(void)
{
	struct conf *c;

	c = good(SVC);
	ok(c != NULL && c->services[0].defer_accept == 0 &&
	    c->services[0].io_timeout_busy_ms == 0 &&
	    c->services[0].min_rate == 0, "defaults: all three off");
	conf_free(c);

	c = good(IN_SVC("defer_accept = 5; io_timeout = 30; "
	    "io_timeout_busy = 5; min_rate = 100;"));
	ok(c != NULL && c->services[0].defer_accept == 5 &&
	    c->services[0].io_timeout_busy_ms == 5000 &&
	    c->services[0].min_rate == 100, "all three, as written");
	conf_free(c);

	c = good(IN_SVC("io_timeout_busy = 0.25;"));
	ok(c != NULL && c->services[0].io_timeout_busy_ms == 250,
	    "io_timeout_busy in a fraction of a second: 0.25 is 250 ms");
	conf_free(c);
	c = good(IN_SVC("io_timeout = 0; io_timeout_busy = 600;"));
	ok(c != NULL && c->services[0].io_timeout_busy_ms == 600000,
	    "io_timeout_busy with io_timeout off: any value");
	conf_free(c);

	c = good("services = ( { name = \"e\"; listen = [ \"127.0.0.1:7\", "
	    "\"udp://127.0.0.1:7\", \"unix:/tmp/e.sock\" ]; handler = "
	    "\"echo\"; io_timeout_busy = 5; min_rate = 10; } );\n");
	ok(c != NULL && c->services[0].io_timeout_busy_ms == 5000,
	    "io_timeout_busy with udp among stream listeners: fine");
	conf_free(c);

	c = good(XSVC("chargen", "io_timeout_busy = 5;"));
	ok(c != NULL, "io_timeout_busy on chargen (its client must read)");
	conf_free(c);

	c = good(XSVC("daytime", "defer_accept = 0;"));
	ok(c != NULL, "defer_accept = 0 on daytime: nothing deferred, fine");
	conf_free(c);

	c = good(WSVC("defer_accept = 5;"));
	ok(c != NULL && c->services[0].defer_accept == 5,
	    "defer_accept in exec.mode \"worker\": the listener's, fine");
	conf_free(c);

	c = good(XSVC("exec", "exec = { argv = [ \"/bin/cat\" ]; }; "
	    "defer_accept = 5; io_timeout_busy = 3; min_rate = 1;"));
	ok(c != NULL, "all three in exec.mode \"connection\"");
	conf_free(c);
}

/* Both of a worker-mode service's refusals are said, each at its line. */
static void
test_accepts_both(void)
{
	struct errlist errs = { NULL, 0 };
	struct conf *conf;

	conf = parse_root(WSVC("io_timeout_busy = 5;\n  min_rate = 9;"), &errs);
	ok(conf == NULL && errs.n == 2, "worker mode: two refusals");
	is_string("test.conf:3: services.[0].min_rate: " ACCEPTS "how fast its "
	    "clients send, and cannot cut them", errs.n == 2 ? errs.msg[1] :
	    NULL, "worker mode: min_rate, at its own line, with why");
	conf_free(conf);
	errlist_free(&errs);
}

int
main(void)
{
	conftest_init();
	plan_lazy();
	test_bad(bad, NELEM(bad), "admit");
	test_good();
	test_accepts_both();
	return 0;
}
