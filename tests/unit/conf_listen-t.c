/*
 * conf_listen-t.c - unit tests for src/conf_listen.c: listen addresses (one or a
 * list, parsed, no overlap within or across services, how many) and
 * unix_mode: each bad one with its exact message.
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

#define NOTNUM " is not a numeric address: use an IPv4 address, " \
	"[IPv6] in brackets, or * (names are not resolved)"

static const struct bad_conf bad[] = {
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
};

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

int
main(void)
{
	conftest_init();
	plan((int)NELEM(bad) * BAD_TESTS + 3);
	test_bad(bad, NELEM(bad), "listen");
	test_limits();
	return 0;
}
