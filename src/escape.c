/*
 * escape.c - the one rule by which bytes that a client (or a worker, or a
 * program) chose become text in a log line or a status report: printable
 * ASCII stays as it is, every other byte (controls, DEL, anything >= 0x80)
 * becomes \n, \r, \t or \xHH.  A line can then never be split or forged,
 * and nothing reaches a terminal that it would act on.  Pure functions.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "preforkd.h"

/*
 * escape_one - the escape sequence for byte c into seq (at least 5 bytes),
 * or "" when c stands for itself.  mode says whether \ and " are escaped.
 */
static const char *
escape_one(unsigned char c, enum escape_mode mode, char *seq)
{
	static const char hex[] = "0123456789abcdef";

	switch (c) {
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	case '\\':
		return mode == ESCAPE_VALUE ? "\\\\" : "";
	case '"':
		return mode == ESCAPE_VALUE ? "\\\"" : "";
	default:
		break;
	}
	if (c >= 0x20 && c < 0x7f)
		return "";
	seq[0] = '\\';
	seq[1] = 'x';
	seq[2] = hex[c >> 4];
	seq[3] = hex[c & 0xf];
	seq[4] = '\0';
	return seq;
}

/*
 * escape_text - the n bytes at src as text in dst (len bytes, always
 * NUL-terminated when len > 0).  ESCAPE_VALUE also escapes \ and ", so
 * that a value reads back unambiguously and may stand between quotes;
 * ESCAPE_LINE leaves them, for a whole log line of our own words around
 * values already escaped.  When dst is too small the text stops before
 * the first sequence that does not fit whole.  Returns its length.
 */
size_t
escape_text(char *dst, size_t len, const void *src, size_t n,
    enum escape_mode mode)
{
	const unsigned char *s = src;
	const char *seq;
	char buf[5];
	size_t i, k, out = 0;

	if (len == 0)
		return 0;
	for (i = 0; i < n; i++) {
		seq = escape_one(s[i], mode, buf);
		k = *seq == '\0' ? 1 : strlen(seq);
		if (out + k >= len)
			break;
		if (*seq == '\0')
			dst[out++] = (char)s[i];
		else {
			memcpy(dst + out, seq, k);
			out += k;
		}
	}
	dst[out] = '\0';
	return out;
}

/*
 * escape_cut - the longest prefix of escaped text, at most max bytes, that
 * does not end inside an escape sequence (\n, \\, \xHH ...), nor with
 * a sequence that the text itself cuts short.
 */
static size_t
escape_cut(const char *text, size_t max)
{
	size_t i = 0, k;

	while (text[i] != '\0') {
		k = 1;
		if (text[i] == '\\')
			k = text[i + 1] == 'x' ? 4 : 2;
		if (strnlen(text + i, k) < k || i + k > max)
			break;
		i += k;
	}
	return i;
}

/*
 * escape_logfmt - text (from escape_text in ESCAPE_VALUE mode, or a word
 * of ours) as a logfmt value in dst: as it is, or between quotes when it
 * is empty or holds a space, an "=", a quote or a backslash (which every
 * escaped byte does).  It is not escaped again: its quotes and backslashes
 * already are.  Text that does not fit is cut, never inside a sequence,
 * and the quotes are always closed.  Returns the length.
 */
size_t
escape_logfmt(char *dst, size_t len, const char *text)
{
	size_t n;

	if (len == 0)
		return 0;
	n = strlen(text);
	if (n > 0 && strpbrk(text, " =\"\\") == NULL) {
		if (n >= len)
			n = len - 1;
		memcpy(dst, text, n);
		dst[n] = '\0';
		return n;
	}
	if (len < 3) {
		dst[0] = '\0';
		return 0;
	}
	/* Whole sequences only, even if a stray "\\" ends the text. */
	n = escape_cut(text, n > len - 3 ? len - 3 : n);
	dst[0] = '"';
	memcpy(dst + 1, text, n);
	dst[n + 1] = '"';
	dst[n + 2] = '\0';
	return n + 2;
}

