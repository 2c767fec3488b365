/*
 * errlist.c - a list of messages collected rather than printed at the
 * first: every problem of a configuration (conf*.c), shown together by
 * the caller ("preforkd -t", a refused reload).
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "preforkd.h"

/* errlist_add - append one formatted message; on no memory, drop it. */
void
errlist_add(struct errlist *errs, const char *fmt, ...)
{
	va_list ap;
	char **msg, *s;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0 || (s = malloc((size_t)len + 1)) == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)len + 1, fmt, ap);
	va_end(ap);
	msg = realloc(errs->msg, (errs->n + 1) * sizeof(*errs->msg));
	if (msg == NULL) {
		free(s);
		return;
	}
	errs->msg = msg;
	errs->msg[errs->n++] = s;
}

void
errlist_free(struct errlist *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		free(errs->msg[i]);
	free(errs->msg);
	errs->msg = NULL;
	errs->n = 0;
}
