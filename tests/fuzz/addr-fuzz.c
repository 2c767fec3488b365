/*
 * addr-fuzz.c - libFuzzer target: listen addresses (addr.c) as a config
 * or -t gives them ("127.0.0.1:7007", "[::1]:7007", "udp://0.0.0.0:53",
 * "unix:/run/app.sock"), and a peer's address as the kernel or a PROXY
 * header hands it over (addr_sockaddr_format, admit_source).
 *
 * The input is the address text up to a NUL byte; the bytes after it,
 * when there are some, are a raw sockaddr of that length.  Besides no
 * crash, leak or undefined behaviour: a failure says why; a parsed
 * address formats as printable text that parses back to the same
 * address; a raw address formats as printable text.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include "preforkd.h"
#include "conn.h"
#include "fuzz.h"

/* The text of an address as addr_format() wrote it, for addr_parse(). */
static int
fuzz_addr_back(const char *shown, char *buf, size_t len)
{
	if (strncmp(shown, "tcp ", 4) == 0)
		return snprintf(buf, len, "tcp://%s", shown + 4);
	if (strncmp(shown, "udp ", 4) == 0)
		return snprintf(buf, len, "udp://%s", shown + 4);
	if (strncmp(shown, "unix ", 5) == 0)
		return snprintf(buf, len, "unix:%s", shown + 5);
	return -1;
}

/* A listen address: parse, format, parse back. */
static void
fuzz_listen(const char *text)
{
	char err[ADDR_ERR_MAX], shown[ADDR_TEXT_MAX], back[ADDR_TEXT_MAX + 8];
	struct addr a, b;
	const unsigned char *p;

	memset(err, 0, sizeof(err));
	if (addr_parse(text, &a, err, sizeof(err)) == -1) {
		FUZZ_CHECK(err[0] != '\0');
		return;
	}
	FUZZ_CHECK(a.sslen > 0 && a.sslen <= sizeof(a.ss));
	FUZZ_CHECK(addr_same(&a, &a));
	addr_format(&a, shown, sizeof(shown));
	FUZZ_CHECK(fuzz_printable(shown));
	FUZZ_CHECK(addr_conflict(&a, &a) ||
	    addr_port((struct sockaddr *)&a.ss) == 0);
	/* A unix path with bytes that need escaping does not read back. */
	if (a.proto == PROTO_UNIX)
		for (p = (const unsigned char *)text + 5; *p != '\0'; p++)
			if (*p < 0x20 || *p > 0x7e || *p == '\\' || *p == '"')
				return;
	FUZZ_CHECK(fuzz_addr_back(shown, back, sizeof(back)) > 0);
	memset(err, 0, sizeof(err));
	if (addr_parse(back, &b, err, sizeof(err)) == -1) {
		fprintf(stderr, "\"%s\" shown as \"%s\": %s\n", text, shown,
		    err);
		FUZZ_CHECK(!"a formatted address parses back");
	}
	FUZZ_CHECK(addr_same(&a, &b));
}

/* A peer's address, n raw bytes as getpeername() or a PROXY header gives. */
static void
fuzz_peer(const uint8_t *data, size_t n)
{
	struct sockaddr_storage ss;
	struct admit_source src;
	char shown[ADDR_TEXT_MAX];
	socklen_t len = (socklen_t)(n < sizeof(ss) ? n : sizeof(ss));
	int prefix6;

	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, data, len);
	addr_sockaddr_format((struct sockaddr *)&ss, len, shown, sizeof(shown));
	FUZZ_CHECK(fuzz_printable(shown));
	/* A cut buffer: the text stops short, still terminated. */
	addr_sockaddr_format((struct sockaddr *)&ss, len, shown, 7);
	FUZZ_CHECK(strlen(shown) < 7 && fuzz_printable(shown));
	if (len < 2)
		return;
	prefix6 = 48 + data[0] % 81;	/* source_prefix6: 48..128 */
	admit_source((struct sockaddr *)&ss, len, prefix6, 1000, &src);
	admit_source_format(&src, prefix6, shown, sizeof(shown));
	FUZZ_CHECK(fuzz_printable(shown));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[1024];
	size_t used;

	used = fuzz_text(data, size, text, sizeof(text));
	fuzz_listen(text);
	if (used < size)
		fuzz_peer(data + used, size - used);
	return 0;
}
