/*
 * modline.h - the test modules' line reader, included by each (a module
 * is one shared object, and links nothing of the others).  It only uses
 * preforkd_read(), which every ABI 2 header has, the frozen 2.0 one too.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef MODLINE_H
#define MODLINE_H

#include <stddef.h>

/*
 * modline_read - the client's next line into line (size bytes, at least
 * 2), without its newline; a longer line is cut.  A byte at a time, so
 * that nothing of the next line is taken.  0, or -1 at the end of the
 * stream or on an error.
 */
static int
modline_read(struct preforkd_conn *c, char *line, size_t size)
{
	size_t len = 0;

	for (;;) {
		if (preforkd_read(c, line + len, 1) <= 0)
			return -1;
		if (line[len] != '\n' && len < size - 2) {
			len++;
			continue;
		}
		line[len] = '\0';
		return 0;
	}
}

#endif /* MODLINE_H */
