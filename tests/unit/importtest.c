/*
 * importtest.c - the helpers of the import unit tests: run an import on
 * text or on a file of tests/data with a fixed table of ports, gather its
 * output and comments, and load the output with conf_load() as
 * "preforkd -t" would.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "importtest.h"
#include "../tap/basic.h"

/* The ports of /etc/services that the tests use, as Debian's netbase. */
int
importtest_port(const char *name, const char *proto)
{
	static const struct {
		const char	*name, *proto;
		int		 port;
	} ports[] = {
		{ "echo", "tcp", 7 }, { "echo", "udp", 7 },
		{ "discard", "tcp", 9 }, { "discard", "udp", 9 },
		{ "daytime", "tcp", 13 }, { "daytime", "udp", 13 },
		{ "chargen", "tcp", 19 }, { "chargen", "udp", 19 },
		{ "time", "tcp", 37 }, { "time", "udp", 37 },
		{ "telnet", "tcp", 23 }, { "finger", "tcp", 79 },
		{ "tftp", "udp", 69 }, { "rsync", "tcp", 873 },
		{ "rsync", "udp", 873 }, { "talk", "udp", 517 },
		{ "ntalk", "udp", 518 }, { "ident", "tcp", 113 },
		{ "auth", "tcp", 113 }, { "ftp", "tcp", 21 },
		{ "login", "tcp", 513 }, { "shell", "tcp", 514 },
		{ "tcpmux", "tcp", 1 }, { "servers", "tcp", -1 },
	};
	size_t i;

	for (i = 0; i < NELEM(ports); i++)
		if (strcmp(ports[i].name, name) == 0 &&
		    strcmp(ports[i].proto, proto) == 0)
			return ports[i].port;
	return -1;
}

/* importtest_finish - write the import out and gather what it said. */
static void
importtest_finish(struct importtest *t)
{
	struct import *imp = t->imp;
	size_t len = 0, i, k;
	FILE *fp;

	if ((fp = open_memstream(&t->out, &len)) == NULL)
		sysbail("open_memstream");
	if (import_write(imp, fp) == -1)
		sysbail("import_write");
	fclose(fp);
	if ((fp = open_memstream(&t->notes, &len)) == NULL)
		sysbail("open_memstream");
	for (i = 0; i < imp->nnotes; i++)
		fprintf(fp, "%s\n", imp->notes[i]);
	memset(t->n, 0, sizeof(t->n));
	for (i = 0; i < imp->nsvc; i++) {
		t->n[imp->svc[i]->state]++;
		fprintf(fp, "%s: %s\n", imp->svc[i]->where, imp->svc[i]->what);
		for (k = 0; k < imp->svc[i]->nnotes; k++)
			fprintf(fp, "%s\n", imp->svc[i]->notes[k]);
	}
	fclose(fp);
}

/* importtest_text - text imported as the option reads it (one file). */
void
importtest_text(struct importtest *t, const char *option, const char *text)
{
	int xinetd = strcmp(option, "--import-xinetd") == 0;
	const char *file = xinetd ? "xinetd.conf" : "inetd.conf";

	memset(t, 0, sizeof(*t));
	if ((t->imp = import_new(option, file, importtest_port)) == NULL)
		sysbail("import_new");
	if (xinetd)
		import_xinetd_text(t->imp, file, text);
	else
		import_inetd(t->imp, file, text);
	importtest_finish(t);
}

/*
 * importtest_table - each row imported: what it holds, its counts, and
 * that it loads (or, when it needs what preforkd has not yet, that it has
 * no syntax error at least); three tests a row.
 */
void
importtest_table(const char *option, const struct importrow *rows, size_t n)
{
	struct importtest t;
	char *msgs, label[96];
	size_t i;
	int valid;

	for (i = 0; i < n; i++) {
		snprintf(label, sizeof(label), "row %zu: %.40s", i,
		    rows[i].text);
		importtest_text(&t, option, rows[i].text);
		importtest_rows(rows[i].want, &t, label);
		ok(t.n[IMPORT_LIVE] == rows[i].live &&
		    t.n[IMPORT_OFF] == rows[i].off &&
		    t.n[IMPORT_SKIP] == rows[i].skip,
		    "row %zu: %zu live, %zu off, %zu skipped (got %zu, %zu, "
		    "%zu)", i, rows[i].live, rows[i].off, rows[i].skip,
		    t.n[IMPORT_LIVE], t.n[IMPORT_OFF], t.n[IMPORT_SKIP]);
		msgs = importtest_load(t.out, &valid);
		if (rows[i].valid)
			ok(valid, "row %zu: the output loads", i);
		else
			ok(strstr(msgs, "syntax error") == NULL,
			    "row %zu: the output has no syntax error", i);
		if ((rows[i].valid && !valid) || strstr(msgs, "syntax"))
			diag("%s\n%s", msgs, t.out);
		free(msgs);
		importtest_done(&t);
	}
}

/* importtest_path - a file or directory, as import_main reads it. */
void
importtest_path(struct importtest *t, const char *option, const char *path)
{
	char *text;

	memset(t, 0, sizeof(*t));
	if ((t->imp = import_new(option, path, importtest_port)) == NULL)
		sysbail("import_new");
	if (strcmp(option, "--import-inetd") == 0) {
		if ((text = import_read(path)) == NULL)
			sysbail("import_read %s", path);
		import_inetd(t->imp, path, text);
		free(text);
	} else if (import_xinetd_path(t->imp, path) == -1)
		sysbail("import_xinetd_path %s", path);
	importtest_finish(t);
}

void
importtest_done(struct importtest *t)
{
	import_free(t->imp);
	free(t->out);
	free(t->notes);
	memset(t, 0, sizeof(*t));
}

/*
 * importtest_load - the output loaded by conf_load() from a temporary
 * file, as preforkd -t loads it: *ok is 1 when it is valid; returns the
 * messages (one a line, malloc'ed, "" when none).
 */
char *
importtest_load(const char *out, int *ok)
{
	struct errlist errs = { NULL, 0 };
	struct conf *conf;
	char path[] = "/tmp/importtest.XXXXXX", *msgs;
	size_t len = 0, i;
	FILE *fp;
	int fd;

	if ((fd = mkstemp(path)) == -1)
		sysbail("mkstemp");
	if (write(fd, out, strlen(out)) != (ssize_t)strlen(out))
		sysbail("write %s", path);
	close(fd);
	conf = conf_load(path, &errs);
	*ok = conf != NULL;
	if (conf != NULL)
		conf_free(conf);
	unlink(path);
	if ((fp = open_memstream(&msgs, &len)) == NULL)
		sysbail("open_memstream");
	for (i = 0; i < errs.n; i++)
		fprintf(fp, "%s\n", errs.msg[i]);
	fclose(fp);
	errlist_free(&errs);
	return msgs;
}

/* importtest_data - the path of a file of tests/data (malloc'ed). */
char *
importtest_data(const char *name)
{
	const char *top = getenv("TOP_SRCDIR");

	return tap_strdup_printf("%s/tests/data/%s", top != NULL ? top : ".",
	    name);
}

/*
 * importtest_rows - each of want (NULL-ended) is in the output or, when
 * it starts with "#", in the comments (without the "#"); when it starts
 * with "!", it is in neither.  One test for all; returns it.
 */
int
importtest_rows(const char *const *want, const struct importtest *t,
    const char *label)
{
	const char *w;
	size_t i;
	int good = 1;

	for (i = 0; want[i] != NULL; i++) {
		w = want[i];
		if (w[0] == '!') {
			if (strstr(t->out, w + 1) != NULL ||
			    strstr(t->notes, w + 1) != NULL) {
				diag("%s: unwanted \"%s\"", label, w + 1);
				good = 0;
			}
		} else if (w[0] == '#' ? strstr(t->notes, w + 1) == NULL :
		    strstr(t->out, w) == NULL) {
			diag("%s: missing \"%s\"", label, w);
			good = 0;
		}
	}
	if (!good)
		diag("output:\n%s\ncomments:\n%s", t->out, t->notes);
	return ok(good, "%s", label);
}
