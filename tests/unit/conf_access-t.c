/*
 * conf_access-t.c - unit tests for src/conf_access.c: the access setting
 * of a service and as the global default.  A service's own list replaces
 * the global one (an empty own list: no rules at all); every bad rule is
 * told with FILE:LINE and its index; a rule no client of its services
 * can match is an error, as is a list for exec mode "worker"; a list a
 * client can fall off the end of, or with a rule that can never match,
 * gets a warning and still loads.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/socket.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "preforkd.h"
#include "conftest.h"
#include "../tap/basic.h"

/* A unix listener in the temporary directory of no one: never bound. */
#define UNIX_LISTEN "\"unix:/nonexistent/preforkd-acl.sock\""

#define WORKER_EXEC "handler = \"exec\"; exec = { argv = [ \"/bin/cat\" ]; " \
	"mode = \"worker\"; };"

static const struct bad_conf bad[] = {
	/* the setting's shape */
	{ IN_SVC("access = 7;"),
	  "test.conf:2: services.[0].access: must be a list of rules: "
	  "[ \"allow 10.0.0.0/8\", \"deny all\" ] (got an integer)", 1 },
	{ "access = { a = 1; };\n" SVC,
	  "test.conf:1: access: must be a list of rules: "
	  "[ \"allow 10.0.0.0/8\", \"deny all\" ] (got a group)", 1 },
	{ IN_SVC("access = ( \"deny all\", 1 );"),
	  "test.conf:2: services.[0].access.[1]: must be a string (got an "
	  "integer)", 1 },

	/* bad rules: FILE:LINE, the index, the rule and why */
	{ IN_SVC("access = [ \"allow 127.0.0.1\",\n  \"allow 10.0.0.1/8\", "
	  "\"deny all\" ];"),
	  "test.conf:3: services.[0].access.[1]: \"allow 10.0.0.1/8\": "
	  "10.0.0.1/8 has bits set past its /8 prefix: write the network, "
	  "10.0.0.0/8", 1 },
	{ "access = [ \"allow ::1/129\", \"deny all\" ];\n" SVC,
	  "test.conf:1: access.[0]: \"allow ::1/129\": prefix /129 is too "
	  "long for IPv6 (0 to 128)", 1 },
	{ IN_SVC("access = [ \"allow 127.0.0.1\", \"permit all\" ];"),
	  "test.conf:2: services.[0].access.[1]: \"permit all\": a rule "
	  "starts with \"allow\" or \"deny\" (got \"permit\")", 1 },
	{ IN_SVC("access = \"alow all\";"),
	  "test.conf:2: services.[0].access: \"alow all\": a rule starts "
	  "with \"allow\" or \"deny\" (got \"alow\")", 1 },
	{ "services = ( { name = \"u\"; listen = " UNIX_LISTEN ";\n"
	  "  handler = \"echo\"; access = [ \"allow user "
	  "no-such-user-acl-t\", \"deny all\" ]; } );\n",
	  "test.conf:2: services.[0].access.[0]: \"allow user "
	  "no-such-user-acl-t\": no such user \"no-such-user-acl-t\"", 1 },
	{ "services = ( { name = \"u\"; listen = " UNIX_LISTEN ";\n"
	  "  handler = \"echo\"; access = [ \"allow group "
	  "no-such-group-acl-t\", \"deny all\" ]; } );\n",
	  "test.conf:2: services.[0].access.[0]: \"allow group "
	  "no-such-group-acl-t\": no such group \"no-such-group-acl-t\"", 1 },

	/* rules no client of the service can match */
	{ IN_SVC("access = [ \"allow uid 0\", \"deny all\" ];"),
	  "test.conf:2: services.[0].access.[0]: \"allow uid 0\" matches a "
	  "unix peer's credentials, and services.[0] has no unix: listen "
	  "address", 1 },
	{ IN_SVC("access = [ \"allow group root\", \"deny all\" ];"),
	  "test.conf:2: services.[0].access.[0]: \"allow group root\" "
	  "matches a unix peer's credentials, and services.[0] has no unix: "
	  "listen address", 1 },
	{ "services = ( { name = \"u\"; listen = " UNIX_LISTEN ";\n"
	  "  handler = \"echo\"; access = [ \"allow 127.0.0.1\", "
	  "\"deny all\" ]; } );\n",
	  "test.conf:2: services.[0].access.[0]: \"allow 127.0.0.1\" is an "
	  "address rule, and services.[0] has no tcp or udp listen address "
	  "(unix peers are matched by \"uid\", \"user\" or \"group\")", 1 },
	/* ... and in the global list, for the services that use it */
	{ "access = [ \"allow uid 0\", \"deny all\" ];\n" SVC,
	  "test.conf:1: access.[0]: \"allow uid 0\" matches a unix peer's "
	  "credentials, and no service that uses this list has a unix: "
	  "listen address", 1 },
	{ "access = [ \"allow ::1\", \"deny all\" ];\n"
	  "services = ( { name = \"u\"; listen = " UNIX_LISTEN "; "
	  "handler = \"echo\"; },\n"
	  "  { name = \"v\"; listen = \"unix:/nonexistent/v.sock\"; "
	  "handler = \"echo\"; } );\n",
	  "test.conf:1: access.[0]: \"allow ::1\" is an address rule, and "
	  "no service that uses this list has a tcp or udp listen "
	  "address (unix peers are matched by \"uid\", \"user\" or "
	  "\"group\")", 1 },

	/* programs that accept by themselves */
	{ XSVC("exec", "exec = { argv = [ \"/bin/cat\" ]; mode = \"worker\"; "
	  "};\n  access = [ \"deny all\" ];"),
	  "test.conf:3: services.[0].access: cannot apply: exec.mode "
	  "\"worker\" or \"wait\" hands the listening sockets to its "
	  "program, which accepts the connections itself", 1 },
	{ XSVC("exec", "exec = { argv = [ \"/bin/cat\" ]; mode = \"wait\"; "
	  "};\n  access = [ \"deny all\" ];"),
	  "test.conf:3: services.[0].access: cannot apply: exec.mode "
	  "\"worker\" or \"wait\" hands the listening sockets to its "
	  "program, which accepts the connections itself", 1 },
	{ "access = [ \"deny all\" ];\n"
	  "services = ( { name = \"x\"; listen = \"127.0.0.1:7007\";\n  "
	  WORKER_EXEC " } );\n",
	  "test.conf:2: services.[0]: cannot apply the global access list "
	  "(line 1): exec.mode \"worker\" or \"wait\" hands the listening "
	  "sockets to its program, which accepts the connections itself; set "
	  "access = [] "
	  "in this service to run it without rules", 1 },
};

/* good - parse text (as root with a user), which must load. */
static struct conf *
good(const char *text, const char *what, struct errlist *errs)
{
	struct conf *conf;

	conf = parse_root(text, errs);
	if (!ok(conf != NULL, "%s: loads", what))
		show_errors(errs);
	return conf;
}

/* test_inherit - who gets which list. */
static void
test_inherit(void)
{
	struct errlist errs = { NULL, 0 };
	struct conf *conf;

	conf = good("access = [ \"allow 127.0.0.1\", \"deny all\" ];\n"
	    "services = (\n"
	    "  { name = \"a\"; listen = \"127.0.0.1:7001\"; handler = "
	    "\"echo\"; },\n"
	    "  { name = \"b\"; listen = \"127.0.0.1:7002\"; handler = "
	    "\"echo\";\n"
	    "    access = [ \"allow ::1\", \"allow 127.0.0.2\", "
	    "\"deny all\" ]; },\n"
	    "  { name = \"c\"; listen = \"127.0.0.1:7003\"; handler = "
	    "\"echo\"; access = []; },\n"
	    "  { name = \"d\"; listen = \"127.0.0.1:7004\"; " WORKER_EXEC
	    " access = []; }\n"
	    ");\n", "global and own lists", &errs);
	if (conf != NULL) {
		ok(conf->services[0].access == &conf->access &&
		    conf->access.n == 2, "a: inherits the global list");
		ok(conf->services[1].access == &conf->services[1].access_own &&
		    conf->services[1].access->n == 3 &&
		    strcmp(conf->services[1].access->rule[0].text,
		    "allow ::1") == 0, "b: its own list replaces the global "
		    "one");
		ok(conf->services[2].access == NULL, "c: access = [] is no "
		    "rules at all, not the global list");
		ok(conf->services[3].access == NULL, "d: exec mode \"worker\" "
		    "with access = [] loads, without rules");
		is_int(0, conf->warnings.n, "no warnings");
	}
	conf_free(conf);
	errlist_free(&errs);

	/* Set after services: the order in the file does not matter. */
	conf = good(SVC "access = [ \"deny all\" ];\n", "global list last",
	    &errs);
	ok(conf != NULL && conf->services[0].access == &conf->access,
	    "global list last: inherited all the same");
	conf_free(conf);
	errlist_free(&errs);

	conf = good(SVC, "no access at all", &errs);
	ok(conf != NULL && conf->services[0].access == NULL &&
	    conf->warnings.n == 0, "no access setting: no rules");
	conf_free(conf);
	errlist_free(&errs);

	/* Both kinds on a service with both kinds of listener. */
	conf = good("services = ( { name = \"m\"; listen = [ "
	    "\"127.0.0.1:7001\", " UNIX_LISTEN " ];\n"
	    "  handler = \"echo\"; access = [ \"allow 127.0.0.1\", "
	    "\"allow uid 0\", \"allow user root\", \"allow group root\", "
	    "\"deny all\" ]; } );\n", "tcp and unix", &errs);
	ok(conf != NULL && conf->services[0].access != NULL &&
	    conf->services[0].access->n == 5 &&
	    conf->services[0].access->needs == (ACL_NEEDS_ADDR |
	    ACL_NEEDS_CRED | ACL_NEEDS_GROUPS), "tcp and unix: address and "
	    "credential rules both apply");
	conf_free(conf);
	errlist_free(&errs);

	/* A global list of both kinds, shared by a tcp and a unix service. */
	conf = good("access = [ \"allow 127.0.0.1\", \"allow uid 0\", "
	    "\"deny all\" ];\n"
	    "services = ( { name = \"t\"; listen = \"127.0.0.1:7001\"; "
	    "handler = \"echo\"; },\n"
	    "  { name = \"u\"; listen = " UNIX_LISTEN "; handler = \"echo\"; "
	    "} );\n", "a global list for tcp and unix", &errs);
	ok(conf != NULL && conf->services[0].access == &conf->access &&
	    conf->services[1].access == &conf->access, "both services use "
	    "the global list");
	conf_free(conf);
	errlist_free(&errs);
}

/* test_warnings - lists that load, with what -t says about them. */
static void
test_warnings(void)
{
	static const struct {
		const char	*text;
		const char	*warning;
	} rows[] = {
		{ IN_SVC("access = [ \"allow 127.0.0.1\" ];"),
		  "test.conf:2: services.[0].access: the last rule is not "
		  "\"deny all\": a client that no rule matches is allowed (end "
		  "the list with \"deny all\", or \"allow all\" to say so)" },
		{ "\naccess = [ \"deny 10.0.0.0/8\" ];\n" SVC,
		  "test.conf:2: access: the last rule is not \"deny all\": a "
		  "client that no rule matches is allowed (end the list with "
		  "\"deny all\", or \"allow all\" to say so)" },
		{ IN_SVC("access = [ \"deny all\",\n  \"allow 127.0.0.1\" ];"),
		  "test.conf:3: services.[0].access.[1]: \"allow 127.0.0.1\" "
		  "never matches: \"deny all\" before it (access.[0]) matches "
		  "every client" },
		{ "access = [ \"deny all\" ];\nservices = ( { name = \"a\"; "
		  "listen = \"127.0.0.1:7001\"; handler = \"echo\"; "
		  "access = []; } );\n",
		  "test.conf:1: access: no service uses these rules: each sets "
		  "its own access list" },
	};
	struct errlist errs = { NULL, 0 };
	struct conf *conf;
	size_t i;

	for (i = 0; i < NELEM(rows); i++) {
		conf = parse_root(rows[i].text, &errs);
		ok(conf != NULL && errs.n == 0, "warning %zu: still loads", i);
		if (conf == NULL) {
			show_errors(&errs);
			errlist_free(&errs);
			continue;
		}
		is_int(1, conf->warnings.n, "warning %zu: one warning", i);
		is_string(rows[i].warning, conf->warnings.n > 0 ?
		    conf->warnings.msg[0] : NULL, "warning %zu: its text", i);
		conf_free(conf);
	}

	/* A failed load tells its warnings too, after the errors. */
	conf = parse_root(IN_SVC("access = [ \"allow 127.0.0.1\" ]; "
	    "workers = 0;"), &errs);
	ok(conf == NULL && errs.n == 2, "an error and a warning: fails, both "
	    "told");
	if (errs.n == 2) {
		is_string("test.conf:2: services.[0].workers: must be between 1 "
		    "and 65536 (got 0)", errs.msg[0], "the error first");
		like(errs.msg[1], "warning: test.conf:2: services.[0].access: "
		    "the last rule is not", "then the warning");
	}
	conf_free(conf);
	errlist_free(&errs);
}

int
main(void)
{
	conftest_init();
	plan_lazy();
	test_inherit();
	test_warnings();
	test_bad(bad, NELEM(bad), "access");
	return 0;
}
