/*
 * fuzz.h - what the libFuzzer targets of tests/fuzz share: the entry
 * point libFuzzer calls, a check that stops the run with a message when
 * a property fails (a finding, as a crash is), and the fuzzer's bytes as
 * a C string.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PREFORKD_FUZZ_H
#define PREFORKD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/* A property that must hold: else a finding, with the line that says so. */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #cond);					\
		abort();						\
	}								\
} while (0)

/*
 * fuzz_text - the n bytes at data as a C string in buf (size bytes): up
 * to the first NUL byte, as a config value or a request would be cut, and
 * at most size - 1 bytes.  Returns the bytes taken, the NUL included if
 * one was there.
 */
static inline size_t
fuzz_text(const uint8_t *data, size_t n, char *buf, size_t size)
{
	size_t len = n < size - 1 ? n : size - 1;
	const uint8_t *nul = memchr(data, '\0', len);

	if (nul != NULL)
		len = (size_t)(nul - data);
	memcpy(buf, data, len);
	buf[len] = '\0';
	return nul != NULL ? len + 1 : len;
}

/* fuzz_printable - whether text is printable ASCII only (logs, reports). */
static inline int
fuzz_printable(const char *text)
{
	for (; *text != '\0'; text++)
		if ((unsigned char)*text < 0x20 || (unsigned char)*text > 0x7e)
			return 0;
	return 1;
}

#endif
