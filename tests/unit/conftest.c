/*
 * conftest.c - the helpers the config unit tests share (conftest.h).
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <unistd.h>

#include "conftest.h"
#include "../tap/basic.h"

int	as_root;

/* conftest_init - note whether we run as root (see parse_root). */
void
conftest_init(void)
{
	as_root = geteuid() == 0;
}

/* parse - conf_parse_string under the name test.conf. */
struct conf *
parse(const char *text, struct errlist *errs)
{
	return conf_parse_string(text, "test.conf", errs);
}

/* parse_root - as parse, adding user = "root" at the end when root. */
struct conf *
parse_root(const char *text, struct errlist *errs)
{
	struct conf *conf;
	char *full;

	if (!as_root)
		return parse(text, errs);
	full = tap_strdup_printf("%suser = \"root\";\n", text);
	conf = parse(full, errs);
	free(full);
	return conf;
}

/* show_errors - print unexpected messages as diagnostics. */
void
show_errors(const struct errlist *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		diag("error: %s", errs->msg[i]);
}

/*
 * test_bad - every row fails alone with exactly its message: BAD_TESTS
 * tests a row, named "bad WHAT N".
 */
void
test_bad(const struct bad_conf *rows, size_t n, const char *what)
{
	struct errlist errs = { NULL, 0 };
	struct conf *conf;
	size_t i;

	for (i = 0; i < n; i++) {
		conf = rows[i].root_user ? parse_root(rows[i].text, &errs) :
		    parse(rows[i].text, &errs);
		ok(conf == NULL, "bad %s %zu fails", what, i);
		if (!is_int(1, errs.n, "bad %s %zu: one error", what, i))
			show_errors(&errs);
		is_string(rows[i].err, errs.n > 0 ? errs.msg[0] : NULL,
		    "bad %s %zu: message", what, i);
		conf_free(conf);
		errlist_free(&errs);
	}
}
