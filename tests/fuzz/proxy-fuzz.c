/*
 * proxy-fuzz.c - libFuzzer target: the PROXY protocol header a balancer
 * sends before a relayed connection (proxy_parse in proxy.c, versions 1
 * and 2: "PROXY TCP4 ...\r\n", and the binary form with its addresses
 * and TLVs), on the bytes a worker peeks off the connection.
 *
 * Every input is parsed as a v1-only, a v2-only and an "any" service
 * would, and by the last on every prefix, as the bytes may come.  Besides no crash,
 * leak or undefined behaviour, and never a byte read past what came:
 * the answers of the growing prefixes are "more" for a while, then a
 * length or "malformed", and that answer never changes again; a length
 * is the same for the header alone; "any" says what the version's own
 * mask says and the other version's refuses; a refusal says why in
 * printable words; a header with a client gives an address that the logs
 * and the admission rules take as they are.  Then the bytes go through a
 * socket to proxy_read (proxy_read.c), as a worker reads a connection:
 * it says what the parser said, and leaves exactly the bytes after the
 * header queued, not one taken.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "preforkd.h"
#include "conn.h"
#include "proxy.h"
#include "fuzz.h"

/* Prefixes tried one by one; past this, a few chosen ones. */
#define FUZZ_EVERY_PREFIX	300

/* proxy_parse on exactly n bytes: a copy, so ASan sees a read past. */
static ssize_t
fuzz_parse(const uint8_t *data, size_t n, int versions,
    struct proxy_header *h, const char **why)
{
	unsigned char *copy = malloc(n > 0 ? n : 1);
	ssize_t r;

	FUZZ_CHECK(copy != NULL);
	memcpy(copy, data, n);
	memset(h, 0xa5, sizeof(*h));
	r = proxy_parse(copy, n, versions, h, why);
	free(copy);
	FUZZ_CHECK(r >= -1 && r <= (ssize_t)n);
	if (r == -1)
		FUZZ_CHECK(*why != NULL && **why != '\0' &&
		    fuzz_printable(*why));
	return r;
}

/* An address of a parsed header: its length fits its family, and the
 * logs and the admission rules take it. */
static void
fuzz_addr(const struct sockaddr_storage *ss, socklen_t len)
{
	struct admit_source src;
	char shown[ADDR_TEXT_MAX];

	switch (ss->ss_family) {
	case AF_INET:
		FUZZ_CHECK(len == sizeof(struct sockaddr_in));
		break;
	case AF_INET6:
		FUZZ_CHECK(len == sizeof(struct sockaddr_in6));
		break;
	case AF_UNIX:
		FUZZ_CHECK(len > offsetof(struct sockaddr_un, sun_path) &&
		    len <= sizeof(struct sockaddr_un));
		break;
	default:
		FUZZ_CHECK(!"a client of a known family");
	}
	addr_sockaddr_format((const struct sockaddr *)ss, len, shown,
	    sizeof(shown));
	FUZZ_CHECK(fuzz_printable(shown));
	/* An address formats (a unix path may read "(unknown)" itself). */
	if (ss->ss_family != AF_UNIX)
		FUZZ_CHECK(strcmp(shown, "(unknown)") != 0);
	admit_source((const struct sockaddr *)ss, len, 64, 0, &src);
}

/* A header parsed whole: what it says is usable. */
static void
fuzz_header(const struct proxy_header *h, ssize_t r, int versions)
{
	FUZZ_CHECK(h->version == 1 || h->version == 2);
	FUZZ_CHECK(versions & (h->version == 1 ? PROXY_V1 : PROXY_V2));
	FUZZ_CHECK(h->local == 0 || h->local == 1);
	if (h->version == 1)
		FUZZ_CHECK(r <= PROXY_V1_MAX);
	else
		FUZZ_CHECK(r >= PROXY_V2_FIXED && r <= PROXY_V2_MAX);
	if (h->local) {
		FUZZ_CHECK(h->srclen == 0 && h->dstlen == 0);
		return;
	}
	fuzz_addr(&h->src, h->srclen);
	fuzz_addr(&h->dst, h->dstlen);
	FUZZ_CHECK(h->src.ss_family == h->dst.ss_family);
}

/*
 * data under one mask: the whole, and the header alone; with prefixes,
 * every prefix too (0 up to some length, then the final answer from
 * there on).  Returns the answer for the whole input.
 */
static ssize_t
fuzz_prefixes(const uint8_t *data, size_t size, int versions, int prefixes,
    struct proxy_header *whole)
{
	struct proxy_header h;
	const char *why, *why_whole;
	ssize_t r, first = 0, final;
	size_t k, step;

	final = fuzz_parse(data, size, versions, whole, &why_whole);
	if (final > 0) {
		fuzz_header(whole, final, versions);
		/* The header alone, no payload after it: the same. */
		r = fuzz_parse(data, (size_t)final, versions, &h, &why);
		FUZZ_CHECK(r == final);
		FUZZ_CHECK(memcmp(&h, whole, sizeof(h)) == 0);
	}
	step = 1;
	for (k = 1; prefixes && k < size; k += step) {
		if (k >= FUZZ_EVERY_PREFIX)
			step = (size - FUZZ_EVERY_PREFIX) / 7 + 1;
		r = fuzz_parse(data, k, versions, &h, &why);
		if (first == 0)
			first = r;
		/* Once an answer, the same answer with more bytes. */
		FUZZ_CHECK(r == 0 || r == final);
		if (first != 0)
			FUZZ_CHECK(r == first);
		if (r > 0)
			FUZZ_CHECK(k >= (size_t)r);
	}
	if (final > 1)
		FUZZ_CHECK(fuzz_parse(data, (size_t)final - 1, versions, &h,
		    &why) == 0);
	return final;
}

/*
 * The bytes written to a socket (then its write side shut) and read by
 * proxy_read under the "any" mask: r, *want and the bytes left as the
 * parser said.  Inputs a socket buffer may not hold are left out.
 */
static void
fuzz_socket(const uint8_t *data, size_t size, ssize_t r,
    const struct proxy_header *want)
{
	static unsigned char rest[PROXY_V2_MAX + 1];
	struct proxy_header h;
	char why[256];
	ssize_t got, n;
	size_t left;
	int sv[2];

	if (size == 0 || size > 32768)
		return;
	FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	FUZZ_CHECK(write(sv[0], data, size) == (ssize_t)size);
	FUZZ_CHECK(shutdown(sv[0], SHUT_WR) == 0);
	memset(&h, 0xa5, sizeof(h));
	why[0] = '\0';
	got = proxy_read(sv[1], PROXY_V1 | PROXY_V2, now_ms() + 5000, &h, why,
	    sizeof(why));
	if (r > 0) {
		if (got != r)
			fprintf(stderr, "proxy_read: %zd (%s), parser: %zd\n",
			    got, why, r);
		FUZZ_CHECK(got == r);
		FUZZ_CHECK(memcmp(&h, want, sizeof(h)) == 0);
	} else {
		FUZZ_CHECK(got == -1 && why[0] != '\0' &&
		    fuzz_printable(why));
	}
	if (got > 0) {
		/* What follows the header is all there, for the handler. */
		left = 0;
		while ((n = read(sv[1], rest + left, sizeof(rest) - left)) > 0)
			left += (size_t)n;
		FUZZ_CHECK(n == 0);
		FUZZ_CHECK(left == size - (size_t)got);
		FUZZ_CHECK(memcmp(rest, data + got, left) == 0);
	}
	close(sv[0]);
	close(sv[1]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxy_header h1, h2, hany;
	ssize_t r1, r2, rany;

	r1 = fuzz_prefixes(data, size, PROXY_V1, 0, &h1);
	r2 = fuzz_prefixes(data, size, PROXY_V2, 0, &h2);
	rany = fuzz_prefixes(data, size, PROXY_V1 | PROXY_V2, 1, &hany);
	if (size == 0) {
		FUZZ_CHECK(r1 == 0 && r2 == 0 && rany == 0);
		return 0;
	}
	/* At most one version can start with these bytes. */
	FUZZ_CHECK(r1 == -1 || r2 == -1);
	FUZZ_CHECK(rany == (r1 != -1 ? r1 : r2));
	if (rany > 0)
		FUZZ_CHECK(memcmp(&hany, r1 > 0 ? &h1 : &h2,
		    sizeof(hany)) == 0);
	fuzz_socket(data, size, rany, &hany);
	return 0;
}
