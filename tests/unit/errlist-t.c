/*
 * errlist-t.c - unit tests for src/errlist.c: messages kept formatted and
 * in order, however long, and a freed list empty and usable again.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdlib.h>
#include <string.h>

#include "preforkd.h"
#include "../tap/basic.h"

#define LONG_LEN	5000

int
main(void)
{
	struct errlist errs = { NULL, 0 };
	char *long_msg;

	plan(12);

	errlist_add(&errs, "%s:%d: %s", "a.conf", 3, "first");
	is_int(1, errs.n, "one message");
	is_string("a.conf:3: first", errs.n > 0 ? errs.msg[0] : NULL,
	    "formatted");

	/* Longer than any buffer a caller would have used. */
	if ((long_msg = malloc(LONG_LEN + 1)) == NULL)
		sysbail("malloc");
	memset(long_msg, 'x', LONG_LEN);
	long_msg[LONG_LEN] = '\0';
	errlist_add(&errs, "%s", long_msg);
	errlist_add(&errs, "third");
	is_int(3, errs.n, "three messages");
	is_int(LONG_LEN, errs.n > 1 ? (long long)strlen(errs.msg[1]) : -1,
	    "a long message kept whole");
	is_string(long_msg, errs.n > 1 ? errs.msg[1] : NULL,
	    "a long message kept as it was");
	is_string("a.conf:3: first", errs.n > 0 ? errs.msg[0] : NULL,
	    "the first stays first");
	is_string("third", errs.n > 2 ? errs.msg[2] : NULL, "in order");
	free(long_msg);

	errlist_free(&errs);
	is_int(0, errs.n, "freed: no messages");
	ok(errs.msg == NULL, "freed: no array");
	errlist_free(&errs);
	is_int(0, errs.n, "freeing an empty list is fine");

	errlist_add(&errs, "again %zu", (size_t)1);
	is_int(1, errs.n, "a freed list takes messages again");
	is_string("again 1", errs.n > 0 ? errs.msg[0] : NULL,
	    "the new message");
	errlist_free(&errs);
	return 0;
}
