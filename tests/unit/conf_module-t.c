/*
 * conf_module-t.c - unit tests for src/conf_module.c: the module group, what it
 * needs before a module is loaded: each bad one with its exact message.
 * Loading real modules is tests/integration/module-t.c's.
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

static const struct bad_conf bad[] = {
	/* module: its group, only with handler "module" */
	{ XSVC("module", ""),
	  "test.conf:1: services.[0]: missing required setting \"module\" "
	  "(handler \"module\" loads module.path)", 1 },
	{ XSVC("echo", "module = { path = \"/x.so\"; };"),
	  "test.conf:2: services.[0].module: only applies to handler = "
	  "\"module\" (this service's handler is \"echo\")", 1 },
	{ XSVC("module", "module = { path = \"/nonexistent/x.so\"; };"),
	  "test.conf:2: services.[0].module.path: cannot load "
	  "\"/nonexistent/x.so\": No such file or directory", 1 },
	{ XSVC("module", "module = { path = \"/etc\"; };"),
	  "test.conf:2: services.[0].module.path: cannot load \"/etc\": not a "
	  "regular file", 1 },

	/* the group itself, before anything is loaded */
	{ XSVC("module", "module = 5;"),
	  "test.conf:2: services.[0].module: must be a group: module = { "
	  "path = \"/path/x.so\"; settings = { ... }; } (got an integer)", 1 },
	{ XSVC("module", "module = { };"),
	  "test.conf:2: services.[0].module: missing required setting "
	  "\"path\"", 1 },
	{ XSVC("module", "module = { path = \"\"; };"),
	  "test.conf:2: services.[0].module.path: must not be empty", 1 },
	{ XSVC("module", "module = { path = 5; };"),
	  "test.conf:2: services.[0].module.path: must be a string "
	  "(got an integer)", 1 },
};

int
main(void)
{
	conftest_init();
	plan((int)NELEM(bad) * BAD_TESTS);
	test_bad(bad, NELEM(bad), "module");
	return 0;
}
