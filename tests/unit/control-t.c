/*
 * control-t.c - unit tests for src/control.c's request parser,
 * control_request: each request, with LF or CRLF; what is not a line
 * yet; a line too long; an unknown line, shown escaped (it is the
 * client's bytes, bound for the log and the reply); nothing read past
 * the bytes given.  The socket itself is tests/integration/control-t.c's.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "preforkd.h"
#include "../tap/basic.h"

struct row {
	const char	*in;
	size_t		 len;		/* 0: strlen(in) */
	int		 ask;
	const char	*shown;
	const char	*what;
};

#define A16	"aaaaaaaaaaaaaaaa"
#define A64	A16 A16 A16 A16

static const struct row rows[] = {
	{ "status\n", 0, CONTROL_STATUS, "status", "status" },
	{ "status\r\n", 0, CONTROL_STATUS, "status", "status, CRLF" },
	{ "status json\n", 0, CONTROL_STATUS_JSON, "status json",
	  "status json" },
	{ "progress\n", 0, CONTROL_PROGRESS, "progress", "progress" },
	{ "reload\n", 0, CONTROL_RELOAD, "reload", "reload" },
	{ "reload\nstatus\n", 0, CONTROL_RELOAD, "reload",
	  "the first line only" },
	{ "", 0, CONTROL_MORE, "", "nothing yet" },
	{ "stat", 0, CONTROL_MORE, "", "half a request" },
	{ "status\r", 0, CONTROL_MORE, "", "CR, no LF yet" },
	{ "\n", 0, CONTROL_UNKNOWN, "", "an empty line" },
	{ "stop\n", 0, CONTROL_UNKNOWN, "stop", "an unknown request" },
	{ "STATUS\n", 0, CONTROL_UNKNOWN, "STATUS", "case counts" },
	{ " status\n", 0, CONTROL_UNKNOWN, " status", "a blank before" },
	{ "status json \n", 0, CONTROL_UNKNOWN, "status json ",
	  "a blank after" },
	{ "status\r\r\n", 0, CONTROL_UNKNOWN, "status\\r",
	  "one CR taken off, not two" },
	{ "status\0json\n", 12, CONTROL_UNKNOWN, "status\\x00json",
	  "a NUL inside: not \"status\"" },
	{ "\033[31mred\n", 0, CONTROL_UNKNOWN, "\\x1b[31mred",
	  "terminal escapes shown escaped" },
	{ "say \"hi\"\\\n", 0, CONTROL_UNKNOWN, "say \\\"hi\\\"\\\\",
	  "quotes and backslashes escaped" },
	{ A64, 0, CONTROL_TOO_LONG, "", "64 bytes without a line end" },
	{ A64 "\n", 0, CONTROL_TOO_LONG, "",
	  "the line end one byte too late" },
	{ A16 A16 A16 "aaaaaaaaaaaaaaa\n", 0, CONTROL_UNKNOWN,
	  A16 A16 A16 "aaaaaaaaaaaaaaa", "63 bytes and the line end: a line" },
};

int
main(void)
{
	char shown[4 * CONTROL_REQUEST_MAX + 1], small[8], *copy;
	size_t i, len;
	int ask;

	plan((int)(sizeof(rows) / sizeof(rows[0])) * 2 + 3);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		len = rows[i].len != 0 ? rows[i].len : strlen(rows[i].in);
		/* Exactly len bytes, no NUL after: ASan sees a read past. */
		if ((copy = malloc(len + 1)) == NULL)
			sysbail("malloc");
		memcpy(copy, rows[i].in, len);
		ask = control_request(copy, len, shown, sizeof(shown));
		free(copy);
		is_int(rows[i].ask, ask, "%s: what it asks", rows[i].what);
		is_string(rows[i].shown, shown, "%s: as shown", rows[i].what);
	}

	/* A small buffer: cut, never inside an escape, still terminated. */
	ask = control_request("\033\033\033\n", 4, small, sizeof(small));
	is_int(CONTROL_UNKNOWN, ask, "a small buffer: unknown");
	is_string("\\x1b", small, "a small buffer: whole escapes only");
	ask = control_request("status\n", 7, NULL, 0);
	is_int(CONTROL_STATUS, ask, "no buffer at all: still parsed");
	return 0;
}
