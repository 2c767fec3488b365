/*
 * escape-t.c - unit tests for src/escape.c: which bytes are escaped and
 * how, in both modes, cutting without breaking a sequence, and logfmt
 * quoting.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <string.h>

#include "preforkd.h"
#include "../tap/basic.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* escape_text on a C string (no NUL inside), in mode. */
static const char *
esc(const char *s, enum escape_mode mode)
{
	static char buf[1024];

	escape_text(buf, sizeof(buf), s, strlen(s), mode);
	return buf;
}

static const struct {
	const char	*raw;
	const char	*value;		/* ESCAPE_VALUE */
	const char	*line;		/* ESCAPE_LINE */
} cases[] = {
	{ "/run/app.sock", "/run/app.sock", "/run/app.sock" },
	{ "", "", "" },
	{ "a b=c", "a b=c", "a b=c" },
	{ "a\nb", "a\\nb", "a\\nb" },
	{ "\r\t", "\\r\\t", "\\r\\t" },
	{ "q\"uo\\te", "q\\\"uo\\\\te", "q\"uo\\te" },
	{ "\x1b[2J", "\\x1b[2J", "\\x1b[2J" },
	{ "\x01\x1f\x7f", "\\x01\\x1f\\x7f", "\\x01\\x1f\\x7f" },
	{ "caf\xc3\xa9", "caf\\xc3\\xa9", "caf\\xc3\\xa9" },
	{ "\x80\x9b\xff", "\\x80\\x9b\\xff", "\\x80\\x9b\\xff" },
	{ " ~", " ~", " ~" },
	{ "x\ntime=2026 service=FAKE",
	  "x\\ntime=2026 service=FAKE", "x\\ntime=2026 service=FAKE" },
};

/* Every byte: printable ASCII as it is, the rest escaped, never raw. */
static void
test_every_byte(void)
{
	char out[8];
	unsigned char c;
	int i, bad_value = 0, bad_line = 0;
	size_t n;

	for (i = 0; i < 256; i++) {
		c = (unsigned char)i;
		n = escape_text(out, sizeof(out), &c, 1, ESCAPE_VALUE);
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"') {
			if (n != 1 || (unsigned char)out[0] != c)
				bad_value++;
		} else if (n < 2 || out[0] != '\\' ||
		    strspn(out, "\\abcdefghijklmnopqrstuvwxyz0123456789\"")
		    != n)
			bad_value++;
		n = escape_text(out, sizeof(out), &c, 1, ESCAPE_LINE);
		if (c >= 0x20 && c < 0x7f) {
			if (n != 1 || (unsigned char)out[0] != c)
				bad_line++;
		} else if (n < 2 || out[0] != '\\')
			bad_line++;
	}
	is_int(0, bad_value, "ESCAPE_VALUE: every byte as it should be");
	is_int(0, bad_line, "ESCAPE_LINE: every byte as it should be");
}

static void
test_nul_and_cut(void)
{
	char buf[16];
	size_t n;

	n = escape_text(buf, sizeof(buf), "a\0b", 3, ESCAPE_VALUE);
	is_string("a\\x00b", buf, "a NUL inside is \\x00");
	is_int(6, (long long)n, "and the length counts it");

	/* "ab" fits, the 4-byte "\x1b" would not: it is left out whole. */
	n = escape_text(buf, 6, "ab\x1b" "c", 4, ESCAPE_VALUE);
	is_string("ab", buf, "cut before a sequence that does not fit");
	is_int(2, (long long)n, "cut length");
	n = escape_text(buf, 7, "ab\x1b" "c", 4, ESCAPE_VALUE);
	is_string("ab\\x1b", buf, "a sequence that just fits");
	n = escape_text(buf, 1, "abc", 3, ESCAPE_VALUE);
	is_string("", buf, "room for the NUL only");
	is_int(0, (long long)n, "nothing written");
	buf[0] = 'X';
	is_int(0, (long long)escape_text(buf, 0, "abc", 3, ESCAPE_VALUE),
	    "len 0 writes nothing");
	is_int('X', buf[0], "not even a NUL");
}

static void
test_logfmt(void)
{
	char buf[64];

	escape_logfmt(buf, sizeof(buf), "127.0.0.1:7007");
	is_string("127.0.0.1:7007", buf, "logfmt: plain value as it is");
	escape_logfmt(buf, sizeof(buf), "(unnamed)");
	is_string("(unnamed)", buf, "logfmt: (unnamed) as it is");
	escape_logfmt(buf, sizeof(buf), "");
	is_string("\"\"", buf, "logfmt: empty value quoted");
	escape_logfmt(buf, sizeof(buf), "/tmp/a b");
	is_string("\"/tmp/a b\"", buf, "logfmt: space quoted");
	escape_logfmt(buf, sizeof(buf), "/tmp/a=b");
	is_string("\"/tmp/a=b\"", buf, "logfmt: = quoted");
	escape_logfmt(buf, sizeof(buf), esc("/tmp/a\"b", ESCAPE_VALUE));
	is_string("\"/tmp/a\\\"b\"", buf, "logfmt: quote quoted, escaped once");
	escape_logfmt(buf, sizeof(buf), esc("/tmp/a\\b", ESCAPE_VALUE));
	is_string("\"/tmp/a\\\\b\"", buf, "logfmt: backslash escaped once");
	escape_logfmt(buf, sizeof(buf),
	    esc("c\ntime=2026 service=FAKE\x1b[2J", ESCAPE_VALUE));
	is_string("\"c\\ntime=2026 service=FAKE\\x1b[2J\"", buf,
	    "logfmt: the forged line stays inside one quoted value");

	/* Cut: the quotes are closed and no sequence is broken. */
	escape_logfmt(buf, 8, "ab\\x1bcd");
	is_string("\"ab\"", buf, "logfmt cut before \\x1b");
	escape_logfmt(buf, 9, "ab\\x1bcd");
	is_string("\"ab\\x1b\"", buf, "logfmt cut after \\x1b");
	escape_logfmt(buf, 5, "a\\\\b");
	is_string("\"a\"", buf, "logfmt cut before \\\\");
	escape_logfmt(buf, 5, "abcdef");
	is_string("abcd", buf, "logfmt cut of a plain value");
	escape_logfmt(buf, 2, "a b");
	is_string("", buf, "logfmt: no room for quotes, nothing");
	escape_logfmt(buf, sizeof(buf), "ab\\");
	is_string("\"ab\"", buf, "a stray backslash at the end is dropped");
}

int
main(void)
{
	size_t i;

	plan((int)(NELEM(cases) * 2 + 2 + 9 + 14));
	for (i = 0; i < NELEM(cases); i++) {
		is_string(cases[i].value, esc(cases[i].raw, ESCAPE_VALUE),
		    "value %zu", i);
		is_string(cases[i].line, esc(cases[i].raw, ESCAPE_LINE),
		    "line %zu", i);
	}
	test_every_byte();
	test_nul_and_cut();
	test_logfmt();
	return 0;
}
