/*
 * conftest.h - what the config unit tests (tests/unit/conf*-t.c) share:
 * configs parsed under the name test.conf, as root with a user added, and
 * a runner for tables of configs that must each fail with exactly one
 * message.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef CONFTEST_H
#define CONFTEST_H

#include <stddef.h>

#include "preforkd.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* A valid one-line services list, for tests about something else. */
#define SVC "services = ( { name = \"echo\"; listen = \"127.0.0.1:7007\"; " \
	"handler = \"echo\"; } );\n"

/* The same, with more settings at the end of the service, on line 2. */
#define IN_SVC(settings) "services = ( { name = \"echo\"; " \
	"listen = \"127.0.0.1:7007\";\n  handler = \"echo\"; " settings \
	" } );\n"

/* A service named x with handler h and more settings, on line 2. */
#define XSVC(h, rest) "services = ( { name = \"x\"; " \
	"listen = \"127.0.0.1:7007\";\n  handler = \"" h "\"; " rest " } );\n"

/* 100 bytes of path, for unix socket lengths (at most 107). */
#define A10	"aaaaaaaaaa"
#define A100	A10 A10 A10 A10 A10 A10 A10 A10 A10 A10

#define HANDLERS "handlers are: echo, discard, chargen, daytime, time, " \
	"exec, module, metrics, agent"

/*
 * A config that fails with exactly one message.  Rows with root_user set
 * get user = "root" appended when the tests run as root, where a config
 * without a user is an error of its own.
 */
struct bad_conf {
	const char	*text;
	const char	*err;
	int		 root_user;
};

extern int	 as_root;	/* set by conftest_init */

void		 conftest_init(void);
struct conf	*parse(const char *, struct errlist *);
struct conf	*parse_root(const char *, struct errlist *);
void		 show_errors(const struct errlist *);
void		 test_bad(const struct bad_conf *, size_t, const char *);

/* Tests test_bad runs a row. */
#define BAD_TESTS	3

#endif /* CONFTEST_H */
