/*
 * importtest.h - what the import unit tests (tests/unit/import*-t.c)
 * share: an import run on text with a fixed table of ports (not the
 * machine's /etc/services), its output, its notes in one string, and a
 * check of the output by the real configuration loader.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef IMPORTTEST_H
#define IMPORTTEST_H

#include <stddef.h>

#include "preforkd.h"
#include "import.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* One import and what came of it. */
struct importtest {
	struct import	*imp;
	char		*out;		/* the preforkd.conf written */
	char		*notes;		/* every comment, one a line */
	size_t		 n[3];		/* services live, off, skipped */
};

/*
 * A row of a table: a text, what the output holds ("#..." in the
 * comments, "!..." nowhere), the services live, off and skipped, and
 * whether the output must load as it is (built-ins and plain exec
 * services: what preforkd has today).
 */
struct importrow {
	const char	*text;
	const char	*want[12];
	size_t		 live, off, skip;
	int		 valid;
};

int	importtest_port(const char *name, const char *proto);
void	importtest_text(struct importtest *, const char *option,
	    const char *text);
#define importtest_inetd(t, text)	importtest_text(t, "--import-inetd", text)
#define importtest_xinetd(t, text)	importtest_text(t, "--import-xinetd", text)
void	importtest_table(const char *option, const struct importrow *,
	    size_t);
void	importtest_path(struct importtest *, const char *option,
	    const char *path);
void	importtest_done(struct importtest *);
char	*importtest_load(const char *out, int *ok);
char	*importtest_data(const char *name);
int	importtest_rows(const char *const *want, const struct importtest *,
	    const char *label);

#endif /* IMPORTTEST_H */
