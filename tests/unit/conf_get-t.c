/*
 * conf_get-t.c - unit tests for src/conf_get.c: each getter on settings
 * of every type, the value it returns and the message it records when the
 * setting is wrong, and paths made absolute.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_int.h"
#include "../tap/basic.h"

static const char text[] =
    "i = 3;\n"
    "big = 5000000000L;\n"
    "f = 1.5;\n"
    "s = \"str\";\n"
    "b = true;\n"
    "a = [ \"x\", \"y\" ];\n"
    "l = ( \"x\", 2 );\n"
    "g = { };\n"
    "e = ( );\n"
    "empty = \"\";\n";

static config_t cf;
static struct errlist errs;
static struct conf_ctx ctx;

/* get - the top-level setting name of the test config. */
static const config_setting_t *
get(const char *name)
{
	config_setting_t *s;

	if ((s = config_lookup(&cf, name)) == NULL)
		bail("no setting %s in the test config", name);
	return s;
}

/* last_error - the last message recorded, and forget them all. */
static char *
last_error(void)
{
	char *msg;

	msg = tap_strdup_printf("%s", errs.n > 0 ? errs.msg[errs.n - 1] :
	    "(none)");
	errlist_free(&errs);
	return msg;
}

/* is_error - the last message is want; forget the messages. */
static void
is_error(const char *want, const char *what)
{
	char *msg = last_error();

	is_string(want, msg, "%s: message", what);
	free(msg);
}

static void
test_types(void)
{
	static const struct {
		const char	*name;
		const char	*type;
	} types[] = {
		{ "i", "an integer" }, { "big", "an integer" },
		{ "f", "a float" }, { "s", "a string" },
		{ "b", "a boolean" }, { "a", "an array" },
		{ "l", "a list" }, { "g", "a group" },
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		is_string(types[i].type, conf_get_type(get(types[i].name)),
		    "type of %s", types[i].name);
}

static void
test_scalars(void)
{
	static const char *const list[] = { "a", "b", "c", NULL };
	int v = -7;

	is_int(0, conf_get_int(&ctx, get("i"), 1, 5, &v), "int in range");
	is_int(3, v, "int value");
	is_int(-1, conf_get_int(&ctx, get("i"), 4, 5, &v), "int below min");
	is_error("test.conf:1: i: must be between 4 and 5 (got 3)",
	    "int below min");
	is_int(3, v, "the value is left alone after an error");
	is_int(-1, conf_get_int(&ctx, get("big"), 0, INT_MAX, &v),
	    "a 64-bit int is out of range");
	is_error("test.conf:2: big: must be between 0 and 2147483647 (got "
	    "5000000000)", "64-bit int");
	is_int(-1, conf_get_int(&ctx, get("f"), 0, 5, &v), "a float is no int");
	is_error("test.conf:3: f: must be an integer (got a float)", "float");

	is_string("str", conf_get_string(&ctx, get("s")), "string");
	is_string(NULL, conf_get_string(&ctx, get("b")), "a boolean is no "
	    "string");
	is_error("test.conf:5: b: must be a string (got a boolean)",
	    "boolean");

	is_string(NULL, conf_get_path(&ctx, get("empty")), "empty path");
	is_error("test.conf:10: empty: must not be empty", "empty path");
	ok(ctx.failed, "errors mark the load failed");

	is_int(1, conf_get_index("b", list), "index of b");
	is_int(-1, conf_get_index("d", list), "not in the list");
	is_int(-1, conf_get_index("", list), "the empty word");
}

static void
test_strings(void)
{
	char **v;

	v = conf_get_strings(&ctx, get("a"));
	ok(v != NULL, "an array of strings");
	is_string("x", v != NULL ? v[0] : NULL, "its first");
	is_string("y", v != NULL ? v[1] : NULL, "its second");
	ok(v != NULL && v[2] == NULL, "NULL-ended");
	conf_get_strings_free(v);

	v = conf_get_strings(&ctx, get("e"));
	ok(v != NULL && v[0] == NULL, "an empty list is an empty vector");
	conf_get_strings_free(v);

	ok(conf_get_strings(&ctx, get("l")) == NULL,
	    "a list with an integer");
	is_error("test.conf:7: l.[1]: must be a string (got an integer)",
	    "a list with an integer");
	ok(conf_get_strings(&ctx, get("s")) == NULL, "a string is no list");
	is_error("test.conf:4: s: must be a list of strings: [ \"...\", ... ] "
	    "(got a string)", "a string is no list");
	conf_get_strings_free(NULL);
}

/* test_absolute - relative paths join the current directory once. */
static void
test_absolute(void)
{
	static const struct {
		const char	*path;
		const char	*want;	/* after the directory and a / */
	} rel[] = {
		{ "x", "x" }, { "./x", "x" }, { "././/x", "x" },
		{ ".x", ".x" }, { "../x", "../x" }, { "x/./y", "x/./y" },
	};
	const config_setting_t *s = get("s");
	char cwd[PATH_MAX], *p, *want;
	size_t i;

	if (getcwd(cwd, sizeof(cwd)) == NULL)
		sysbail("getcwd");
	p = conf_get_absolute(&ctx, s, "/a/./b");
	is_string("/a/./b", p, "an absolute path is kept as it is");
	free(p);
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		want = tap_strdup_printf("%s/%s", strcmp(cwd, "/") ? cwd : "",
		    rel[i].want);
		p = conf_get_absolute(&ctx, s, rel[i].path);
		is_string(want, p, "\"%s\" made absolute", rel[i].path);
		free(p);
		free(want);
	}
	if (chdir("/") == -1)
		sysbail("chdir /");
	p = conf_get_absolute(&ctx, s, "./x");
	is_string("/x", p, "in /, one slash");
	free(p);
	if (chdir(cwd) == -1)
		sysbail("chdir %s", cwd);
}

int
main(void)
{
	plan(8 + 18 + 9 + 8);
	config_init(&cf);
	if (config_read_string(&cf, text) != CONFIG_TRUE)
		bail("test config: line %d: %s", config_error_line(&cf),
		    config_error_text(&cf));
	ctx.file = "test.conf";
	ctx.errs = &errs;
	test_types();
	test_scalars();
	test_strings();
	test_absolute();
	errlist_free(&errs);
	config_destroy(&cf);
	return 0;
}
