/*
 * conf_err-t.c - unit tests for src/conf_err.c: the "did you mean"
 * chooser, a setting's path, and the FILE:LINE: SETTING: message forms.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "../tap/basic.h"

static const char text[] =
    "top = 1;\n"
    "services = ( { listen = [ \"a\", \"b\" ];\n"
    "  x = { y = 2; }; } );\n";

/* test_closest - the "did you mean" chooser on its own. */
static void
test_closest(void)
{
	static const char *const words[] = {
		"workers", "backlog", "handler", "name", NULL
	};

	is_string("workers", conf_err_closest("wokers", words), "deletion");
	is_string("workers", conf_err_closest("wrokers", words), "swap");
	is_string("workers", conf_err_closest("owrkesr", words), "two swaps");
	is_string(NULL, conf_err_closest("wkrs", words), "three edits away");
	is_string("workers", conf_err_closest("workerss", words), "insertion");
	is_string("backlog", conf_err_closest("backlg", words), "backlog");
	is_string("name", conf_err_closest("name", words), "exact match");
	is_string(NULL, conf_err_closest("listen", words), "nothing close");
	is_string(NULL, conf_err_closest("x", words), "too short to guess");
	is_string(NULL, conf_err_closest("", words), "empty word");
}

/* is_last - the last message recorded is want. */
static void
is_last(const struct errlist *errs, const char *want, const char *what)
{
	is_string(want, errs->n > 0 ? errs->msg[errs->n - 1] : NULL, "%s",
	    what);
}

/* test_messages - every form a message takes, on a parsed config. */
static void
test_messages(void)
{
	static const char *const known[] = { "tip", "services", NULL };
	static const char *const elsewhere[] = { "top", NULL };
	struct errlist errs = { NULL, 0 };
	struct conf_ctx ctx;
	config_setting_t *top, *b, *y;
	char path[CONF_PATH_MAX];
	config_t cf;

	config_init(&cf);
	if (config_read_string(&cf, text) != CONFIG_TRUE)
		bail("test config: line %d: %s", config_error_line(&cf),
		    config_error_text(&cf));
	if ((top = config_lookup(&cf, "top")) == NULL ||
	    (b = config_lookup(&cf, "services.[0].listen.[1]")) == NULL ||
	    (y = config_lookup(&cf, "services.[0].x.y")) == NULL)
		bail("the test config lacks a setting");
	memset(&ctx, 0, sizeof(ctx));
	ctx.file = "test.conf";
	ctx.errs = &errs;

	conf_err_path(b, path, sizeof(path));
	is_string("services.[0].listen.[1]", path, "path of a list element");
	conf_err_path(config_root_setting(&cf), path, sizeof(path));
	is_string("", path, "the root has no path");
	conf_err_path(b, path, 12);
	is_string("services.[0", path, "a path cut to the buffer");
	is_string("test.conf", conf_err_file(&ctx, y),
	    "a setting of the main file names it");
	ok(!ctx.failed, "no error yet");

	conf_err(&ctx, y, "bad %d", 5);
	is_last(&errs, "test.conf:3: services.[0].x.y: bad 5",
	    "conf_err: FILE:LINE: PATH: message");
	ok(ctx.failed, "an error marks the load failed");
	conf_err_at(&ctx, "f", 0, "", "m");
	is_last(&errs, "f: m", "no line, no path");
	conf_err_at(&ctx, "f", 4, "", "m");
	is_last(&errs, "f:4: m", "a line, no path");
	conf_err_at(&ctx, "f", 0, "p", "m %s", "x");
	is_last(&errs, "f: p: m x", "no line, a path");
	conf_err_nomem(&ctx);
	is_last(&errs, "test.conf: out of memory", "out of memory");

	conf_err_unknown(&ctx, top, known, conf_none, "");
	is_last(&errs, "test.conf:1: top: unknown setting (did you mean "
	    "\"tip\"?)", "unknown, with a close name");
	conf_err_unknown(&ctx, top, known, elsewhere, "it goes elsewhere");
	is_last(&errs, "test.conf:1: top: unknown setting here (it goes "
	    "elsewhere)", "unknown here, known at the other level");
	conf_err_unknown(&ctx, top, conf_none, conf_none, "");
	is_last(&errs, "test.conf:1: top: unknown setting",
	    "unknown, nothing close");
	is_int(8, errs.n, "every message kept");

	errlist_free(&errs);
	config_destroy(&cf);
}

int
main(void)
{
	plan(10 + 15);
	test_closest();
	test_messages();
	return 0;
}
