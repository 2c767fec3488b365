/*
 * conf_limit-t.c - unit tests for src/conf_limit.c: a service's admission
 * limits as written and their defaults (the UDP built-ins' own, which
 * apply to datagrams only and go with "off"), and every bad value and
 * every limit that cannot apply to what the service listens on, each
 * with its exact message.
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

#define RATE_SYNTAX	"must be \"N/s\" or \"N/m\" (N a number), " \
	"optionally followed by \"burst B\", or \"off\""

/* A service of handler h listening on l, with settings, on line 2. */
#define LSVC(l, h, rest) "services = ( { name = \"x\"; listen = " l ";\n" \
	"  handler = \"" h "\"; " rest " } );\n"

static const struct bad_conf bad[] = {
	{ IN_SVC("max_per_source = -1;"),
	  "test.conf:2: services.[0].max_per_source: must be between 0 and "
	  "65535 (got -1)", 1 },
	{ IN_SVC("max_per_source = 65536;"),
	  "test.conf:2: services.[0].max_per_source: must be between 0 and "
	  "65535 (got 65536)", 1 },
	{ IN_SVC("max_per_source = \"4\";"),
	  "test.conf:2: services.[0].max_per_source: must be an integer "
	  "(got a string)", 1 },
	{ IN_SVC("source_prefix6 = 47;"),
	  "test.conf:2: services.[0].source_prefix6: must be between 48 and "
	  "128 (got 47)", 1 },
	{ IN_SVC("source_prefix6 = 129;"),
	  "test.conf:2: services.[0].source_prefix6: must be between 48 and "
	  "128 (got 129)", 1 },
	{ IN_SVC("max_rate = 20;"),
	  "test.conf:2: services.[0].max_rate: must be a string (got an "
	  "integer)", 1 },
	{ IN_SVC("max_rate = \"20/h\";"),
	  "test.conf:2: services.[0].max_rate: " RATE_SYNTAX " (got "
	  "\"20/h\")", 1 },
	{ IN_SVC("max_rate_per_source = \"20 per second\";"),
	  "test.conf:2: services.[0].max_rate_per_source: " RATE_SYNTAX
	  " (got \"20 per second\")", 1 },
	{ IN_SVC("max_rate_per_source = \"0/s\";"),
	  "test.conf:2: services.[0].max_rate_per_source: the rate must be "
	  "between 1 and 1000000000 a second, not 0 (got \"0/s\")", 1 },
	{ IN_SVC("max_rate_per_source = \"20/s burst 0\";"),
	  "test.conf:2: services.[0].max_rate_per_source: burst must be "
	  "between 1 and 1000000000, not 0 (got \"20/s burst 0\")", 1 },
	{ IN_SVC("max_rate = \"1/m burst 999999\";"),
	  "test.conf:2: services.[0].max_rate: burst 999999 at 1/m takes "
	  "more than a year to refill (got \"1/m burst 999999\")", 1 },
	{ IN_SVC("max_rate_per_source = \"5/s\"; source_table_size = 15;"),
	  "test.conf:2: services.[0].source_table_size: must be between 16 "
	  "and 1048576 (got 15)", 1 },
	{ IN_SVC("max_rate_per_source = \"5/s\"; "
	  "source_table_size = 1048577;"),
	  "test.conf:2: services.[0].source_table_size: must be between 16 "
	  "and 1048576 (got 1048577)", 1 },
	{ IN_SVC("max_rate_per_source = \"5/s\"; max_rte = \"1/s\";"),
	  "test.conf:2: services.[0].max_rte: unknown setting (did you mean "
	  "\"max_rate\"?)", 1 },
	/* limits that cannot apply */
	{ LSVC("\"udp://127.0.0.1:7\"", "echo", "max_per_source = 2;"),
	  "test.conf:2: services.[0].max_per_source: only applies to "
	  "connections (tcp, unix), and this service listens on udp only",
	  1 },
	{ IN_SVC("max_reply_bytes_per_source = \"1000/s\";"),
	  "test.conf:2: services.[0].max_reply_bytes_per_source: only "
	  "applies to replies to datagrams, and this service has no udp "
	  "listen address", 1 },
	{ IN_SVC("source_table_size = 100;"),
	  "test.conf:2: services.[0].source_table_size: only applies with "
	  "max_rate_per_source or max_reply_bytes_per_source, and this "
	  "service has neither", 1 },
	{ LSVC("\"udp://127.0.0.1:7\"", "echo",
	  "max_rate_per_source = \"off\"; "
	  "max_reply_bytes_per_source = \"off\"; source_table_size = 100;"),
	  "test.conf:2: services.[0].source_table_size: only applies with "
	  "max_rate_per_source or max_reply_bytes_per_source, and this "
	  "service has neither", 1 },
	/* a service setting is not a global one */
	{ "max_per_source = 4;\n" SVC,
	  "test.conf:1: max_per_source: unknown setting here (it is a "
	  "service setting: put it inside a group in services)", 1 },
};

/* parse_svc - a config, expected to load (its errors shown if not). */
static struct conf *
parse_svc(const char *text)
{
	struct errlist errs = { NULL, 0 };
	struct conf *conf;

	if ((conf = parse_root(text, &errs)) == NULL)
		show_errors(&errs);
	errlist_free(&errs);
	return conf;
}

/* rate_is - r is text, as rate_format writes it. */
static int
rate_is(const struct rate *r, const char *text)
{
	char buf[RATE_TEXT_MAX];

	rate_format(r, buf, sizeof(buf));
	if (strcmp(buf, text) == 0)
		return 1;
	diag("rate is \"%s\", not \"%s\"", buf, text);
	return 0;
}

static void
test_good(void)
{
	struct conf *conf;
	struct conf_service *s;

	conf = parse_svc(SVC);
	s = conf != NULL ? &conf->services[0] : NULL;
	ok(s != NULL && s->max_per_source == 0 && s->source_prefix6 == 64 &&
	    s->source_table_size == 16384 && s->max_rate.count == 0 &&
	    s->max_rate_per_source.count == 0 &&
	    s->max_reply_bytes_per_source.count == 0 &&
	    !s->rate_per_source_udp, "defaults: every limit off, prefix 64, "
	    "a table of 16384");
	conf_free(conf);

	conf = parse_svc(IN_SVC("max_per_source = 4; source_prefix6 = 48; "
	    "max_rate = \"200/s burst 400\"; max_rate_per_source = \"5/m\"; "
	    "source_table_size = 16;"));
	s = conf != NULL ? &conf->services[0] : NULL;
	ok(s != NULL && s->max_per_source == 4 && s->source_prefix6 == 48 &&
	    s->source_table_size == 16 && rate_is(&s->max_rate,
	    "200/s burst 400") && rate_is(&s->max_rate_per_source,
	    "5/m burst 5") && !s->rate_per_source_udp,
	    "every limit as written");
	conf_free(conf);

	conf = parse_svc(LSVC("[ \"127.0.0.1:7\", \"udp://127.0.0.1:7\" ]",
	    "chargen", ""));
	s = conf != NULL ? &conf->services[0] : NULL;
	ok(s != NULL && rate_is(&s->max_rate_per_source, "10/s burst 20") &&
	    s->rate_per_source_udp && rate_is(&s->max_reply_bytes_per_source,
	    "8192/s burst 16384"), "chargen on udp: 10/s burst 20 answers "
	    "and 8192/s burst 16384 bytes a source, for datagrams only");
	conf_free(conf);

	conf = parse_svc(LSVC("\"udp://127.0.0.1:7\"", "time",
	    "max_rate_per_source = \"100/s\";"));
	s = conf != NULL ? &conf->services[0] : NULL;
	ok(s != NULL && rate_is(&s->max_rate_per_source, "100/s burst 100") &&
	    !s->rate_per_source_udp && rate_is(&s->max_reply_bytes_per_source,
	    "8192/s burst 16384"), "time: a rate written replaces the "
	    "default (and applies to every protocol); the bytes stay");
	conf_free(conf);

	conf = parse_svc(LSVC("\"udp://127.0.0.1:7\"", "echo",
	    "max_rate_per_source = \"off\"; "
	    "max_reply_bytes_per_source = \"off\";"));
	s = conf != NULL ? &conf->services[0] : NULL;
	ok(s != NULL && s->max_rate_per_source.count == 0 &&
	    s->max_reply_bytes_per_source.count == 0, "echo: \"off\" turns "
	    "both defaults off");
	conf_free(conf);

	conf = parse_svc(LSVC("\"udp://127.0.0.1:7\"", "discard", ""));
	s = conf != NULL ? &conf->services[0] : NULL;
	ok(s != NULL && s->max_rate_per_source.count == 0 &&
	    s->max_reply_bytes_per_source.count == 0, "discard answers "
	    "nothing: no default");
	conf_free(conf);

	conf = parse_svc(LSVC("\"127.0.0.1:7\"", "daytime", ""));
	s = conf != NULL ? &conf->services[0] : NULL;
	ok(s != NULL && s->max_rate_per_source.count == 0,
	    "daytime over tcp only: no default");
	conf_free(conf);
}

int
main(void)
{
	conftest_init();
	plan(7 + (int)NELEM(bad) * BAD_TESTS);
	test_good();
	test_bad(bad, NELEM(bad), "limit");
	return 0;
}
