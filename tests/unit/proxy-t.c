/*
 * proxy-t.c - unit tests of the PROXY header parser in src/proxy.c:
 * every accepted form (v1 TCP4, TCP6, UNKNOWN; v2 PROXY over AF_INET,
 * AF_INET6, AF_UNIX, AF_UNSPEC, LOCAL, TLVs skipped, a good CRC32C),
 * every rejection with its reason, and each of them cut at every byte
 * offset: a prefix of a good header asks for more (0), a prefix of a bad
 * one asks for more or is refused (never accepted), and once refused
 * stays refused.  Every call gets a buffer of exactly the length it is
 * told, so a read past len is caught by ASan in CI.
 *
 * SPDX-License-Identifier: MIT
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"
#include "../tap/basic.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define ANY		(PROXY_V1 | PROXY_V2)

/* ------------------------------------------------------------ helpers */

/* proxy_parse on a copy of exactly n bytes (so ASan sees any overread). */
static ssize_t
parse_exact(const unsigned char *b, size_t n, int versions,
    struct proxy_header *h, const char **why)
{
	unsigned char *copy = malloc(n ? n : 1);
	ssize_t r;

	if (copy == NULL)
		sysbail("malloc");
	memcpy(copy, b, n);
	r = proxy_parse(copy, n, versions, h, why);
	free(copy);
	return r;
}

/* An address as "ip port" (or "unix:path") for comparing. */
static const char *
show(const struct sockaddr_storage *ss, socklen_t len, char *buf, size_t sz)
{
	char ip[INET6_ADDRSTRLEN];

	if (len == 0)
		snprintf(buf, sz, "-");
	else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)ss;

		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(buf, sz, "%s %u", ip, ntohs(s->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)ss;

		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(buf, sz, "%s %u", ip, ntohs(s->sin6_port));
	} else if (ss->ss_family == AF_UNIX)
		snprintf(buf, sz, "unix:%s",
		    ((const struct sockaddr_un *)ss)->sun_path);
	else
		snprintf(buf, sz, "?");
	return buf;
}

static const unsigned char sig[12] = {
	0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
};

/* A v2 header built into out: ver_cmd, fam, the address block, the TLVs;
   lenfix added to the length field (to make it lie); crc: append a
   CRC32C TLV and fill it in (2: fill it in wrong).  Its length. */
static size_t
v2(unsigned char *out, int vc, int fam, const void *addr, size_t alen,
    const void *tlv, size_t tlen, int crc, int lenfix)
{
	size_t n = 16, field;
	uint32_t c;

	memcpy(out, sig, 12);
	out[12] = (unsigned char)vc;
	out[13] = (unsigned char)fam;
	if (alen > 0)
		memcpy(out + n, addr, alen);
	n += alen;
	if (tlen > 0)
		memcpy(out + n, tlv, tlen);
	n += tlen;
	if (crc) {
		out[n++] = 0x03;
		out[n++] = 0;
		out[n++] = 4;
		memset(out + n, 0, 4);
		n += 4;
	}
	field = n - 16 + (size_t)lenfix;
	out[14] = (unsigned char)(field >> 8);
	out[15] = (unsigned char)field;
	if (crc) {
		c = proxy_crc32c(0, out, n);
		if (crc == 2)
			c ^= 1;
		out[n - 4] = (unsigned char)(c >> 24);
		out[n - 3] = (unsigned char)(c >> 16);
		out[n - 2] = (unsigned char)(c >> 8);
		out[n - 1] = (unsigned char)c;
	}
	return n;
}

/* 127.0.0.7:40000 -> 127.0.0.1:8080 */
static const unsigned char a4[12] = {
	127, 0, 0, 7, 127, 0, 0, 1, 0x9c, 0x40, 0x1f, 0x90
};
/* [2001:db8::7]:40000 -> [::1]:8080 */
static const unsigned char a6[36] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0x9c, 0x40, 0x1f, 0x90
};
/* two TLVs: ALPN "h2", NOOP with 3 bytes, a custom 0xE0 empty one */
static const unsigned char tlvs[] = {
	0x01, 0, 2, 'h', '2', 0x04, 0, 3, 0, 0, 0, 0xE0, 0, 0
};

/* ------------------------------------------------------ accepted forms */

struct good {
	const char	*name;
	unsigned char	 b[600];
	size_t		 len;
	int		 versions;
	int		 version, local;
	const char	*src, *dst;
};

static struct good goods[32];
static size_t ngoods;

static void
good_text(const char *name, const char *line, int versions, int local,
    const char *src, const char *dst)
{
	struct good *g = &goods[ngoods++];

	g->name = name;
	g->len = strlen(line);
	memcpy(g->b, line, g->len);
	g->versions = versions;
	g->version = 1;
	g->local = local;
	g->src = src;
	g->dst = dst;
}

static struct good *
good_bin(const char *name, int versions, int local, const char *src,
    const char *dst)
{
	struct good *g = &goods[ngoods++];

	g->name = name;
	g->versions = versions;
	g->version = 2;
	g->local = local;
	g->src = src;
	g->dst = dst;
	return g;
}

static void
goods_build(void)
{
	unsigned char au[216];
	struct good *g;

	good_text("v1 TCP4", "PROXY TCP4 127.0.0.7 127.0.0.1 40000 8080\r\n",
	    PROXY_V1, 0, "127.0.0.7 40000", "127.0.0.1 8080");
	good_text("v1 TCP4 with any",
	    "PROXY TCP4 192.168.0.1 10.0.0.2 0 65535\r\n", ANY, 0,
	    "192.168.0.1 0", "10.0.0.2 65535");
	good_text("v1 TCP4 longest",
	    "PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n",
	    ANY, 0, "255.255.255.255 65535", "255.255.255.255 65535");
	good_text("v1 TCP6", "PROXY TCP6 2001:db8::7 ::1 40000 8080\r\n",
	    ANY, 0, "2001:db8::7 40000", "::1 8080");
	good_text("v1 TCP6 longest (104 bytes)",
	    "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n", ANY, 0,
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535");
	good_text("v1 TCP6 upper case",
	    "PROXY TCP6 2001:DB8::A ::1 1 2\r\n", ANY, 0, "2001:db8::a 1",
	    "::1 2");
	good_text("v1 UNKNOWN short", "PROXY UNKNOWN\r\n", ANY, 1, "-", "-");
	good_text("v1 UNKNOWN with addresses (ignored)",
	    "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n",
	    ANY, 1, "-", "-");

	g = good_bin("v2 PROXY TCP4", PROXY_V2, 0, "127.0.0.7 40000",
	    "127.0.0.1 8080");
	g->len = v2(g->b, 0x21, 0x11, a4, sizeof(a4), NULL, 0, 0, 0);
	g = good_bin("v2 PROXY TCP6", ANY, 0, "2001:db8::7 40000", "::1 8080");
	g->len = v2(g->b, 0x21, 0x21, a6, sizeof(a6), NULL, 0, 0, 0);
	memset(au, 0, sizeof(au));
	strcpy((char *)au, "/run/client.sock");
	strcpy((char *)au + 108, "/run/app.sock");
	g = good_bin("v2 PROXY unix stream", ANY, 0, "unix:/run/client.sock",
	    "unix:/run/app.sock");
	g->len = v2(g->b, 0x21, 0x31, au, sizeof(au), NULL, 0, 0, 0);
	g = good_bin("v2 PROXY AF_UNSPEC: local", ANY, 1, "-", "-");
	g->len = v2(g->b, 0x21, 0x00, NULL, 0, NULL, 0, 0, 0);
	g = good_bin("v2 LOCAL", PROXY_V2, 1, "-", "-");
	g->len = v2(g->b, 0x20, 0x00, NULL, 0, NULL, 0, 0, 0);
	g = good_bin("v2 LOCAL with a TCP4 block (ignored)", ANY, 1, "-", "-");
	g->len = v2(g->b, 0x20, 0x11, a4, sizeof(a4), NULL, 0, 0, 0);
	g = good_bin("v2 LOCAL with an unknown family (ignored)", ANY, 1, "-",
	    "-");
	g->len = v2(g->b, 0x20, 0x75, a4, sizeof(a4), NULL, 0, 0, 0);
	g = good_bin("v2 LOCAL with a good CRC32C", ANY, 1, "-", "-");
	g->len = v2(g->b, 0x20, 0x00, NULL, 0, NULL, 0, 1, 0);
	g = good_bin("v2 TCP4 with TLVs skipped", ANY, 0, "127.0.0.7 40000",
	    "127.0.0.1 8080");
	g->len = v2(g->b, 0x21, 0x11, a4, sizeof(a4), tlvs, sizeof(tlvs), 0,
	    0);
	g = good_bin("v2 TCP6 with TLVs and a good CRC32C", ANY, 0,
	    "2001:db8::7 40000", "::1 8080");
	g->len = v2(g->b, 0x21, 0x21, a6, sizeof(a6), tlvs, sizeof(tlvs), 1,
	    0);
}

static void
test_goods(void)
{
	struct proxy_header h;
	const char *why;
	char s1[160], s2[160];
	unsigned char with[700];
	size_t i, k;
	ssize_t r;
	int prefix_ok;

	for (i = 0; i < ngoods; i++) {
		struct good *g = &goods[i];

		memset(&h, 0xa5, sizeof(h));
		r = parse_exact(g->b, g->len, g->versions, &h, &why);
		is_int((long long)g->len, r, "%s: accepted, length %zu",
		    g->name, g->len);
		if (r <= 0)
			diag("why: %s", why ? why : "(null)");
		is_int(g->version, h.version, "%s: version", g->name);
		is_int(g->local, h.local, "%s: local", g->name);
		is_string(g->src, show(&h.src, h.srclen, s1, sizeof(s1)),
		    "%s: source", g->name);
		is_string(g->dst, show(&h.dst, h.dstlen, s2, sizeof(s2)),
		    "%s: destination", g->name);

		/* the payload after it is not the header's */
		memcpy(with, g->b, g->len);
		memcpy(with + g->len, "\r\nPROXY payload", 15);
		r = parse_exact(with, g->len + 15, g->versions, &h, &why);
		is_int((long long)g->len, r, "%s: followed by payload, still "
		    "%zu", g->name, g->len);

		/* every prefix asks for more */
		prefix_ok = 1;
		for (k = 0; k < g->len; k++) {
			r = parse_exact(g->b, k, g->versions, &h, &why);
			if (r != 0) {
				diag("%s: cut at %zu: %zd (%s)", g->name, k,
				    r, why ? why : "");
				prefix_ok = 0;
			}
		}
		ok(prefix_ok, "%s: cut at every offset: need more", g->name);
	}
}

/* ---------------------------------------------------------- rejections */

struct bad {
	const char	*name;
	unsigned char	 b[600];
	size_t		 len;
	int		 versions;
	const char	*why;		/* a substring of the reason */
};

static struct bad bads[80];
static size_t nbads;

/* text with its CR and LF shown as \r \n, for a TAP description */
static const char *
visible(const char *text)
{
	char *out = malloc(2 * strlen(text) + 1), *o = out;

	if (out == NULL)
		sysbail("malloc");
	for (; *text != '\0'; text++) {
		if (*text == '\r' || *text == '\n') {
			*o++ = '\\';
			*o++ = *text == '\r' ? 'r' : 'n';
		} else
			*o++ = *text;
	}
	*o = '\0';
	return out;
}

static void
bad_text(const char *line, int versions, const char *why)
{
	struct bad *b = &bads[nbads++];

	b->name = visible(line);
	b->len = strlen(line);
	memcpy(b->b, line, b->len);
	b->versions = versions;
	b->why = why;
}

static struct bad *
bad_bin(const char *name, int versions, const char *why)
{
	struct bad *b = &bads[nbads++];

	b->name = name;
	b->versions = versions;
	b->why = why;
	return b;
}

static void
bads_build(void)
{
	unsigned char au[216], t[64], big[120];
	struct bad *b;

	bad_text("GET / HTTP/1.0\r\n", ANY, "no PROXY header");
	bad_text("PROXY TCP4 127.0.0.7 127.0.0.1 40000 8080\r\n", PROXY_V2,
	    "only v2");
	bad_text("PROXI TCP4 127.0.0.7 127.0.0.1 40000 8080\r\n", ANY,
	    "signature");
	bad_text("PROXY\r\n", ANY, "ends after PROXY");
	bad_text("PROXY  TCP4 127.0.0.7 127.0.0.1 40000 8080\r\n", ANY,
	    "empty field");
	bad_text("PROXY TCP4  127.0.0.7 127.0.0.1 40000 8080\r\n", ANY,
	    "empty field");
	bad_text("PROXY TCP4 127.0.0.7 127.0.0.1 40000  8080\r\n", ANY,
	    "empty field");
	bad_text("PROXY TCP5 127.0.0.7 127.0.0.1 40000 8080\r\n", ANY,
	    "unknown protocol");
	bad_text("PROXY tcp4 127.0.0.7 127.0.0.1 40000 8080\r\n", ANY,
	    "unknown protocol");
	bad_text("PROXY UDP4 127.0.0.7 127.0.0.1 40000 8080\r\n", ANY,
	    "unknown protocol");
	bad_text("PROXY UNKNOWNX\r\n", ANY, "unknown protocol");
	bad_text("PROXY TCP4 127.0.0.07 127.0.0.1 40000 8080\r\n", ANY,
	    "bad source address");
	bad_text("PROXY TCP4 127.0.0.256 127.0.0.1 40000 8080\r\n", ANY,
	    "bad source address");
	bad_text("PROXY TCP4 127.0.1 127.0.0.1 40000 8080\r\n", ANY,
	    "bad source address");
	bad_text("PROXY TCP4 ::1 127.0.0.1 40000 8080\r\n", ANY,
	    "bad source address");
	bad_text("PROXY TCP4 127.0.0.7 localhost 40000 8080\r\n", ANY,
	    "bad destination address");
	bad_text("PROXY TCP6 127.0.0.7 ::1 40000 8080\r\n", ANY,
	    "bad source address");
	bad_text("PROXY TCP6 ::1 1:2:3:4:5:6:7:8:9 40000 8080\r\n", ANY,
	    "bad destination address");
	bad_text("PROXY TCP6 ::1 ::1%lo 40000 8080\r\n", ANY,
	    "bad destination address");
	bad_text("PROXY TCP4 127.0.0.7 127.0.0.1 040000 8080\r\n", ANY,
	    "bad source port");
	bad_text("PROXY TCP4 127.0.0.7 127.0.0.1 00 8080\r\n", ANY,
	    "bad source port");
	bad_text("PROXY TCP4 127.0.0.7 127.0.0.1 +4000 8080\r\n", ANY,
	    "bad source port");
	bad_text("PROXY TCP4 127.0.0.7 127.0.0.1 -1 8080\r\n", ANY,
	    "bad source port");
	bad_text("PROXY TCP4 127.0.0.7 127.0.0.1 65536 8080\r\n", ANY,
	    "bad source port");
	bad_text("PROXY TCP4 127.0.0.7 127.0.0.1 40000 99999\r\n", ANY,
	    "bad destination port");
	bad_text("PROXY TCP4 127.0.0.7 127.0.0.1 40000 080\r\n", ANY,
	    "bad destination port");
	bad_text("PROXY TCP4 127.0.0.7 127.0.0.1 40000 123456\r\n", ANY,
	    "bad destination port");
	bad_text("PROXY TCP4 127.0.0.7 127.0.0.1 40000\r\n", ANY,
	    "too few fields");
	bad_text("PROXY TCP4 127.0.0.7 127.0.0.1 40000 \r\n", ANY,
	    "too few fields");
	bad_text("PROXY TCP4\r\n", ANY, "too few fields");
	bad_text("PROXY TCP4 127.0.0.7 127.0.0.1 40000 8080 x\r\n", ANY,
	    "trailing data");
	bad_text("PROXY TCP4 127.0.0.7 127.0.0.1 40000 8080 \r\n", ANY,
	    "trailing data");
	bad_text("PROXY TCP4 127.0.0.7 127.0.0.1 40000 8080\n", ANY,
	    "LF without CR");
	bad_text("PROXY TCP4 127.0.0.7 127.0.0.1 40000 8080\rX", ANY,
	    "CR without LF");
	bad_text("PROXY TCP4 127.0.0.7\t127.0.0.1 40000 8080\r\n", ANY,
	    "bad source address");
	/* 108 bytes with the CRLF: one too many */
	memset(big, 0, sizeof(big));
	strcpy((char *)big, "PROXY UNKNOWN ");
	memset(big + 14, 'x', 92);
	strcpy((char *)big + 106, "\r\n");
	bad_text((const char *)big, ANY, "no CRLF within the first 107");
	/* 107 bytes and still no CR */
	b = bad_bin("v1: 120 bytes without a CRLF", ANY,
	    "no CRLF within the first 107");
	memcpy(b->b, "PROXY UNKNOWN ", 14);
	memset(b->b + 14, 'y', 106);
	b->len = 120;

	b = bad_bin("v2 where only v1 is accepted", PROXY_V1, "only v1");
	b->len = v2(b->b, 0x21, 0x11, a4, sizeof(a4), NULL, 0, 0, 0);
	b = bad_bin("v2 bad signature", ANY, "bad signature");
	b->len = v2(b->b, 0x21, 0x11, a4, sizeof(a4), NULL, 0, 0, 0);
	b->b[6] = 0x0B;
	b = bad_bin("v2 version 1", ANY, "version is not 2");
	b->len = v2(b->b, 0x11, 0x11, a4, sizeof(a4), NULL, 0, 0, 0);
	b = bad_bin("v2 version 3", ANY, "version is not 2");
	b->len = v2(b->b, 0x31, 0x11, a4, sizeof(a4), NULL, 0, 0, 0);
	b = bad_bin("v2 command 2", ANY, "unknown command");
	b->len = v2(b->b, 0x22, 0x11, a4, sizeof(a4), NULL, 0, 0, 0);
	b = bad_bin("v2 command 0xF", ANY, "unknown command");
	b->len = v2(b->b, 0x2F, 0x11, a4, sizeof(a4), NULL, 0, 0, 0);
	b = bad_bin("v2 family 4", ANY, "unknown address family");
	b->len = v2(b->b, 0x21, 0x41, a4, sizeof(a4), NULL, 0, 0, 0);
	b = bad_bin("v2 transport 3", ANY, "unknown transport");
	b->len = v2(b->b, 0x21, 0x13, a4, sizeof(a4), NULL, 0, 0, 0);
	b = bad_bin("v2 UDP4", ANY, "datagram");
	b->len = v2(b->b, 0x21, 0x12, a4, sizeof(a4), NULL, 0, 0, 0);
	b = bad_bin("v2 UDP6", ANY, "datagram");
	b->len = v2(b->b, 0x21, 0x22, a6, sizeof(a6), NULL, 0, 0, 0);
	memset(au, 0, sizeof(au));
	b = bad_bin("v2 unix datagram", ANY, "datagram");
	b->len = v2(b->b, 0x21, 0x32, au, sizeof(au), NULL, 0, 0, 0);
	b = bad_bin("v2 AF_INET with an unspecified transport", ANY,
	    "unspecified transport");
	b->len = v2(b->b, 0x21, 0x10, a4, sizeof(a4), NULL, 0, 0, 0);
	b = bad_bin("v2 TCP4 block longer than the length", ANY,
	    "too short for the address block");
	b->len = v2(b->b, 0x21, 0x11, a4, 11, NULL, 0, 0, 0);
	b = bad_bin("v2 TCP6 block longer than the length", ANY,
	    "too short for the address block");
	b->len = v2(b->b, 0x21, 0x21, a4, sizeof(a4), NULL, 0, 0, 0);
	b = bad_bin("v2 unix block longer than the length", ANY,
	    "too short for the address block");
	b->len = v2(b->b, 0x21, 0x31, a6, sizeof(a6), NULL, 0, 0, 0);
	memset(au, 'a', sizeof(au));
	b = bad_bin("v2 unix path not terminated", ANY, "not terminated");
	b->len = v2(b->b, 0x21, 0x31, au, sizeof(au), NULL, 0, 0, 0);
	/* TLVs that lie */
	memcpy(t, "\x01\x00\x05h2", 5);
	b = bad_bin("v2 TLV length past the header", ANY,
	    "TLV length runs past");
	b->len = v2(b->b, 0x21, 0x11, a4, sizeof(a4), t, 5, 0, 0);
	memcpy(t, "\x01\xff\xff", 3);
	b = bad_bin("v2 TLV length 65535", ANY, "TLV length runs past");
	b->len = v2(b->b, 0x21, 0x11, a4, sizeof(a4), t, 3, 0, 0);
	memcpy(t, "\x04\x00", 2);
	b = bad_bin("v2 TLV of 2 bytes", ANY, "TLV cut short");
	b->len = v2(b->b, 0x21, 0x11, a4, sizeof(a4), t, 2, 0, 0);
	memcpy(t, "\x04", 1);
	b = bad_bin("v2 TLV of 1 byte", ANY, "TLV cut short");
	b->len = v2(b->b, 0x21, 0x11, a4, sizeof(a4), t, 1, 0, 0);
	memcpy(t, "\x01\x00\x02h2\x04\x00\x09", 8);
	b = bad_bin("v2 second TLV past the header", ANY,
	    "TLV length runs past");
	b->len = v2(b->b, 0x21, 0x21, a6, sizeof(a6), t, 8, 0, 0);
	b = bad_bin("v2 LOCAL with a lying TLV", ANY, "TLV length runs past");
	b->len = v2(b->b, 0x20, 0x00, NULL, 0, "\x01\x00\x05h2", 5, 0, 0);
	/* CRC32C */
	b = bad_bin("v2 bad CRC32C", ANY, "CRC32C mismatch");
	b->len = v2(b->b, 0x21, 0x11, a4, sizeof(a4), tlvs, sizeof(tlvs), 2,
	    0);
	b = bad_bin("v2 LOCAL bad CRC32C", ANY, "CRC32C mismatch");
	b->len = v2(b->b, 0x20, 0x00, NULL, 0, NULL, 0, 2, 0);
	b = bad_bin("v2 CRC32C right, then a byte changed", ANY,
	    "CRC32C mismatch");
	b->len = v2(b->b, 0x21, 0x11, a4, sizeof(a4), NULL, 0, 1, 0);
	b->b[16] ^= 0x80;
	memcpy(t, "\x03\x00\x03\x00\x00\x00", 6);
	b = bad_bin("v2 CRC32C TLV of 3 bytes", ANY, "length is not 4");
	b->len = v2(b->b, 0x21, 0x11, a4, sizeof(a4), t, 6, 0, 0);
	memcpy(t, "\x03\x00\x04\x00\x00\x00\x00", 7);
	b = bad_bin("v2 two CRC32C TLVs", ANY, "two CRC32C");
	b->len = v2(b->b, 0x21, 0x11, a4, sizeof(a4), t, 7, 1, 0);
}

static void
test_bads(void)
{
	struct proxy_header h;
	const char *why;
	size_t i, k;
	ssize_t r;
	int refused, prefix_ok;

	for (i = 0; i < nbads; i++) {
		struct bad *b = &bads[i];

		why = NULL;
		r = parse_exact(b->b, b->len, b->versions, &h, &why);
		is_int(-1, r, "refused: %s", b->name);
		ok(why != NULL && strstr(why, b->why) != NULL,
		    "  because \"%s\" (got \"%s\")", b->why,
		    why ? why : "(null)");

		/* every prefix: need more or refused, never accepted, and
		   once refused, refused with every byte more */
		prefix_ok = 1;
		refused = 0;
		for (k = 0; k < b->len; k++) {
			r = parse_exact(b->b, k, b->versions, &h, &why);
			if (r > 0 || r < -1 || (refused && r != -1)) {
				diag("%s: cut at %zu: %zd", b->name, k, r);
				prefix_ok = 0;
			}
			if (r == -1)
				refused = 1;
		}
		ok(prefix_ok, "  cut at every offset: need more or refused");
	}
}

/* ----------------------------------------------------------- the rest */

/* CRC32C: the check value of the catalogue, and continuation. */
static void
test_crc(void)
{
	uint32_t c;

	is_int(0xE3069283u, proxy_crc32c(0, "123456789", 9),
	    "crc32c(\"123456789\") is the check value E3069283");
	c = proxy_crc32c(0, "1234", 4);
	is_int(0xE3069283u, proxy_crc32c(c, "56789", 5),
	    "crc32c continues across pieces");
	is_int(0, proxy_crc32c(0, "", 0), "crc32c of nothing is 0");
}

/* The largest v2 header: 16 + 65535, a NOOP TLV filling it. */
static void
test_largest(void)
{
	unsigned char *b = malloc(PROXY_V2_MAX + 1);
	struct proxy_header h;
	const char *why;
	size_t tl = 65535 - sizeof(a4);
	ssize_t r;

	if (b == NULL)
		sysbail("malloc");
	memcpy(b, sig, 12);
	b[12] = 0x21;
	b[13] = 0x11;
	b[14] = b[15] = 0xff;
	memcpy(b + 16, a4, sizeof(a4));
	b[28] = 0x04;
	b[29] = (unsigned char)((tl - 3) >> 8);
	b[30] = (unsigned char)(tl - 3);
	memset(b + 31, 'n', tl - 3);
	r = parse_exact(b, PROXY_V2_MAX, ANY, &h, &why);
	is_int(PROXY_V2_MAX, r, "the largest v2 header (16 + 65535) accepted");
	r = parse_exact(b, PROXY_V2_MAX - 1, ANY, &h, &why);
	is_int(0, r, "one byte short of it: need more");
	r = parse_exact(b, 16, ANY, &h, &why);
	is_int(0, r, "its fixed part only: need more");
	free(b);
}

/* Random bytes over good headers: never a crash, never a length past
   what was given, never a reason missing on -1. */
static void
test_mutations(void)
{
	struct proxy_header h;
	unsigned char m[700];
	const char *why;
	size_t i, n, k;
	ssize_t r;
	int bad = 0, runs = 0;

	srand(12);
	for (i = 0; i < ngoods; i++) {
		for (k = 0; k < 400; k++) {
			n = goods[i].len;
			memcpy(m, goods[i].b, n);
			m[(size_t)rand() % n] = (unsigned char)rand();
			if (rand() % 2)
				m[(size_t)rand() % n] = (unsigned char)rand();
			n = (size_t)rand() % (n + 1);
			why = NULL;
			r = parse_exact(m, n, ANY, &h, &why);
			if (r > (ssize_t)n || r < -1 || (r == -1 && why == NULL))
				bad++;
			runs++;
		}
	}
	is_int(0, bad, "%d mutated headers: no length past the input, every "
	    "refusal has a reason", runs);
}

int
main(void)
{
	plan_lazy();
	goods_build();
	bads_build();
	test_crc();
	test_goods();
	test_bads();
	test_largest();
	test_mutations();
	return 0;
}
