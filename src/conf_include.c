/*
 * conf_include.c - the @include lines of a config, checked before
 * libconfig opens them.  libconfig (1.5, and later versions without an
 * include hook set) fopen()s an included path whatever it is: a directory
 * opens, and its scanner's first read fails with "input in flex scanner
 * failed" and exit(2), in the middle of preforkd -t or of a reload,
 * which so killed a running master without a word; a FIFO would block
 * the master for good.  So every path an @include names must be a
 * regular file (a missing one is left to libconfig, which reports it),
 * and the files it names in turn are checked too, to libconfig's depth.
 *
 * The lines are found as libconfig's scanner finds them: `@include "P"`
 * at the start of a line, after blanks, outside comments and strings;
 * in P, \\ is a backslash and \" a quote.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"

/* libconfig's MAX_INCLUDE_DEPTH: deeper, it says so itself. */
#define CONF_INCLUDE_DEPTH	10

static int	 conf_include_file(const char *, const char *, int, int,
		    struct errlist *);

/*
 * conf_include_read - the rest of fp into a new string (NUL-terminated,
 * *len bytes before the NUL); NULL with errno after a read error or
 * when out of memory.
 */
char *
conf_include_read(FILE *fp, size_t *len)
{
	char *text = NULL, *more;
	size_t cap = 0, n;

	*len = 0;
	errno = 0;
	for (;;) {
		if (cap - *len < 2) {
			cap = cap == 0 ? 4096 : 2 * cap;
			if ((more = realloc(text, cap)) == NULL) {
				free(text);
				errno = ENOMEM;
				return NULL;
			}
			text = more;
		}
		if ((n = fread(text + *len, 1, cap - *len - 1, fp)) == 0)
			break;
		*len += n;
	}
	if (ferror(fp)) {
		free(text);
		errno = errno != 0 ? errno : EIO;
		return NULL;
	}
	text[*len] = '\0';
	return text;
}

/*
 * conf_include_path - the quoted path at p (past the opening quote) into
 * a new string, *end past the closing quote; NULL when it never closes
 * (libconfig then fails on the file) or out of memory.
 */
static char *
conf_include_path(const char *p, const char *lim, const char **end)
{
	char *path, *o;

	if ((path = malloc((size_t)(lim - p) + 1)) == NULL)
		return NULL;
	for (o = path; p < lim && *p != '"'; p++) {
		if (*p != '\\')
			*o++ = *p;
		else if (p + 1 < lim && (p[1] == '\\' || p[1] == '"'))
			*o++ = *++p;
		/* another escape: libconfig drops the backslash */
	}
	if (p == lim) {
		free(path);
		return NULL;
	}
	*o = '\0';
	*end = p + 1;
	return path;
}

/*
 * conf_include_scan - every @include line of text[0..len) (text[len] is
 * a NUL), the config file (or string) name, at include depth depth:
 * each path checked.  0, or -1 once one is refused (the message in
 * errs).
 */
int
conf_include_scan(const char *text, size_t len, const char *name, int depth,
    struct errlist *errs)
{
	const char *p = text, *lim = text + len, *q, *end;
	char *path;
	int line = 1, bol = 1, rc;

	while (p < lim) {
		if (bol) {
			bol = 0;
			q = p + strspn(p, " \t");
			if ((size_t)(lim - q) > 9 &&
			    strncmp(q, "@include", 8) == 0 &&
			    (q[8] == ' ' || q[8] == '\t')) {
				q += 8;
				while (q < lim && (*q == ' ' || *q == '\t'))
					q++;
				if (q < lim && *q == '"') {
					if ((path = conf_include_path(q + 1,
					    lim, &end)) == NULL)
						return 0;
					rc = conf_include_file(path, name, line,
					    depth, errs);
					free(path);
					if (rc == -1)
						return -1;
					for (; p < end; p++)
						line += *p == '\n';
					continue;
				}
			}
		}
		if (*p == '\n') {
			line++;
			bol = 1;
			p++;
		} else if (*p == '#' || (*p == '/' && p + 1 < lim &&
		    p[1] == '/')) {
			p += strcspn(p, "\n");
		} else if (*p == '/' && p + 1 < lim && p[1] == '*') {
			for (p += 2; p < lim && !(*p == '*' && p + 1 < lim &&
			    p[1] == '/'); p++)
				line += *p == '\n';
			p += 2;
		} else if (*p == '"') {
			for (p++; p < lim && *p != '"'; p++) {
				if (*p == '\\' && p + 1 < lim)
					p++;
				line += *p == '\n';
			}
			p++;
		} else
			p++;
	}
	return 0;
}

/*
 * conf_include_file - path, named by an @include at name:line: a regular
 * file, whose own @include lines are scanned in turn; or missing (left to
 * libconfig).  0, or -1 with a message in errs.
 */
static int
conf_include_file(const char *path, const char *name, int line, int depth,
    struct errlist *errs)
{
	struct stat st;
	char *text;
	size_t len;
	FILE *fp;
	int rc;

	/* The sandbox opens nothing: its @include fails in libconfig. */
	if (conf_sandbox || depth >= CONF_INCLUDE_DEPTH ||
	    stat(path, &st) == -1)
		return 0;
	if (!S_ISREG(st.st_mode)) {
		errlist_add(errs, "%s:%d: @include \"%s\": %s, not a file",
		    name, line, path, S_ISDIR(st.st_mode) ? "a directory" :
		    S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISSOCK(st.st_mode) ?
		    "a socket" : "a device");
		return -1;
	}
	if ((fp = fopen(path, "r")) == NULL)
		return 0;		/* libconfig says why */
	text = conf_include_read(fp, &len);
	fclose(fp);
	if (text == NULL)
		return 0;		/* libconfig says why */
	rc = conf_include_scan(text, len, path, depth + 1, errs);
	free(text);
	return rc;
}
