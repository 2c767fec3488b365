/*
 * control-fuzz.c - libFuzzer target: the control socket's request parser
 * (control_request in control.c), on the bytes a client of the socket
 * sends ("status\n", "status json\r\n", "reload\n"...).
 *
 * The bytes are taken as the master reads them: a growing prefix at a
 * time, every prefix parsed as the master would on a short read.  Besides
 * no crash, leak or undefined behaviour, and never a byte read past what
 * was received: a prefix without a line end waits for more, and only up
 * to CONTROL_REQUEST_MAX bytes; once a line is whole, the answer no longer
 * changes as more bytes come; the line shown in messages is printable
 * and fits its buffer, however small.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <poll.h>

#include "preforkd.h"
#include "fuzz.h"

/* control_request on exactly n bytes: a copy, so ASan sees a read past. */
static int
fuzz_request(const uint8_t *data, size_t n, char *shown, size_t shownlen)
{
	char *copy = malloc(n > 0 ? n : 1);
	int ask;

	FUZZ_CHECK(copy != NULL);
	memcpy(copy, data, n);
	ask = control_request(copy, n, shown, shownlen);
	free(copy);
	return ask;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char shown[4 * CONTROL_REQUEST_MAX + 1], small[9];
	size_t n, max = size < CONTROL_REQUEST_MAX ? size : CONTROL_REQUEST_MAX;
	const uint8_t *nl = memchr(data, '\n', max);
	int ask, final;

	memset(shown, 'x', sizeof(shown));
	final = fuzz_request(data, size, shown, sizeof(shown));
	FUZZ_CHECK(memchr(shown, '\0', sizeof(shown)) != NULL);
	FUZZ_CHECK(fuzz_printable(shown));
	if (nl == NULL)
		FUZZ_CHECK(final == (size >= CONTROL_REQUEST_MAX ?
		    CONTROL_TOO_LONG : CONTROL_MORE));
	else
		FUZZ_CHECK(final >= CONTROL_UNKNOWN &&
		    final <= CONTROL_RELOAD);
	if (final == CONTROL_STATUS)
		FUZZ_CHECK(nl - data >= 6 && memcmp(data, "status", 6) == 0);

	/* The reads as they may come, a byte at a time at worst. */
	for (n = 0; n <= max; n++) {
		ask = fuzz_request(data, n, small, sizeof(small));
		FUZZ_CHECK(strlen(small) < sizeof(small) &&
		    fuzz_printable(small));
		if (nl == NULL || data + n <= nl)
			FUZZ_CHECK(ask == CONTROL_MORE ||
			    (ask == CONTROL_TOO_LONG && nl == NULL &&
			    n == CONTROL_REQUEST_MAX));
		else
			FUZZ_CHECK(ask == final);
	}
	/* No room at all for the line: nothing written. */
	(void)fuzz_request(data, size, NULL, 0);
	return 0;
}
