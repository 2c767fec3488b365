/*
 * proxy.c - parse the PROXY protocol header (HAProxy's
 * proxy-protocol.txt) a balancer sends before the payload of a relayed
 * connection, so the worker learns the real client.  Pure: no I/O, no
 * allocation; it is handed what the worker has peeked so far and says
 * "this long", "need more" or "malformed, because ...".  The worker reads
 * exactly the length it returns, so not one payload byte is consumed.
 *
 * Strict on purpose: a header comes only from a configured balancer, and
 * a sloppy one is more likely a bug or an attack than a dialect.
 *   v1: "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN...\r\n",
 *       single spaces, addresses in their canonical form (no leading
 *       zeros in IPv4 octets), ports 0..65535 without leading zeros or
 *       signs, the CRLF within the first 107 bytes.
 *   v2: the 12-byte signature, version 2, command LOCAL or PROXY, TCP
 *       (or unix stream) over AF_INET, AF_INET6, AF_UNIX, or AF_UNSPEC;
 *       datagram transports are refused (stream listeners only); the
 *       address block must fit the length field; TLVs are walked with
 *       each length checked against what is left, unknown ones skipped,
 *       PP2_TYPE_CRC32C verified when present.
 * LOCAL (v2) and UNKNOWN (v1) and the PROXY command over AF_UNSPEC give
 * no client: h->local, the connection is the balancer's own.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stddef.h>
#include <string.h>

#include "proxy.h"

#define V1_FIELDS	6	/* PROXY, protocol, src, dst, sport, dport */

#define V2_CMD_LOCAL	0x0
#define V2_CMD_PROXY	0x1
#define V2_AF_UNSPEC	0x0
#define V2_AF_INET	0x1
#define V2_AF_INET6	0x2
#define V2_AF_UNIX	0x3
#define V2_T_UNSPEC	0x0
#define V2_T_STREAM	0x1
#define V2_T_DGRAM	0x2
#define V2_TLV_CRC32C	0x03
#define V2_UNIX_PATH	108

static const unsigned char v2_sig[12] = {
	0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
};
static const char v1_sig[] = "PROXY ";

/* ------------------------------------------------------------- CRC32C */

static uint32_t crc32c_table[256];
static int crc32c_ready;

/* The table of the reflected Castagnoli polynomial, built on first use. */
static void
crc32c_init(void)
{
	uint32_t c;
	int i, k;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc32c_table[i] = c;
	}
	crc32c_ready = 1;
}

uint32_t
proxy_crc32c(uint32_t crc, const void *p, size_t n)
{
	const unsigned char *b = p;

	if (!crc32c_ready)
		crc32c_init();
	crc = ~crc;
	while (n-- > 0)
		crc = crc32c_table[(crc ^ *b++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* ------------------------------------------------------------------ v1 */

/* Whether tok[0..n) is a prefix of word. */
static int
v1_prefix(const unsigned char *tok, size_t n, const char *word)
{
	return n <= strlen(word) && memcmp(tok, word, n) == 0;
}

/*
 * v1_port - a port token: decimal 0..65535, no sign, no leading zero.
 * whole: the token is complete (else only a prefix must be possible).
 * 0 ok (*port set when whole), -1 not a port.
 */
static int
v1_port(const unsigned char *tok, size_t n, int whole, in_port_t *port)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5 || (tok[0] == '0' && n > 1))
		return -1;
	for (i = 0; i < n; i++) {
		if (tok[i] < '0' || tok[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(tok[i] - '0');
	}
	if (v > 65535)
		return -1;
	if (whole)
		*port = htons((in_port_t)v);
	return 0;
}

/*
 * v1_addr - an address token of family af (AF_INET for TCP4, AF_INET6
 * for TCP6) into *ss; whole as for v1_port.  inet_pton() is strict
 * (glibc and the BSDs refuse leading zeros in IPv4 octets); for IPv4 it
 * is checked here too, so the rule does not hang on one libc.
 */
static int
v1_addr(const unsigned char *tok, size_t n, int whole, int af,
    struct sockaddr_storage *ss, socklen_t *sslen)
{
	char text[64];
	size_t i;
	int digits = 0;

	if (n == 0 || n >= (af == AF_INET ? 16 : 46))
		return -1;
	for (i = 0; i < n; i++) {
		unsigned char c = tok[i];

		if (c >= '0' && c <= '9') {
			/* a second digit after a leading 0 in an octet */
			if (af == AF_INET && digits == 1 && tok[i - 1] == '0')
				return -1;
			digits++;
		} else if (c == '.') {
			digits = 0;
		} else if (af == AF_INET6 && (c == ':' ||
		    (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
			digits = 0;
		} else
			return -1;
	}
	if (!whole)
		return 0;
	memcpy(text, tok, n);
	text[n] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (af == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, text, &sin->sin_addr) != 1)
			return -1;
		sin->sin_family = AF_INET;
		*sslen = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		if (inet_pton(AF_INET6, text, &sin6->sin6_addr) != 1)
			return -1;
		sin6->sin6_family = AF_INET6;
		*sslen = sizeof(*sin6);
	}
	return 0;
}

/* The port field of an address already parsed. */
static void
v1_setport(struct sockaddr_storage *ss, in_port_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = port;
	else
		((struct sockaddr_in6 *)ss)->sin6_port = port;
}

/*
 * v1_fields - the line p[0..n) without its CRLF; whole: the CRLF was
 * seen (else p is all there is so far, and only a prefix of a valid
 * line is asked for).  0 valid (a prefix, or the whole line with *h
 * filled), -1 malformed with *why.
 */
static int
v1_fields(const unsigned char *p, size_t n, int whole,
    struct proxy_header *h, const char **why)
{
	static const char *const bad[V1_FIELDS] = {
		"v1: bad PROXY signature",
		"v1: unknown protocol (not TCP4, TCP6 or UNKNOWN)",
		"v1: bad source address",
		"v1: bad destination address",
		"v1: bad source port",
		"v1: bad destination port",
	};
	size_t at = 0, end, tn;
	in_port_t port;
	int field, af = AF_INET, last;

	/* "PROXY " as a literal: the space belongs to it. */
	tn = n < sizeof(v1_sig) - 1 ? n : sizeof(v1_sig) - 1;
	if (memcmp(p, v1_sig, tn) != 0) {
		*why = bad[0];
		return -1;
	}
	if (tn < sizeof(v1_sig) - 1) {
		if (!whole)
			return 0;
		*why = "v1: line ends after PROXY";
		return -1;
	}
	at = tn;
	for (field = 1; field < V1_FIELDS; field++) {
		const unsigned char *sp = memchr(p + at, ' ', n - at);
		int r;

		end = sp != NULL ? (size_t)(sp - p) : n;
		tn = end - at;
		/* a token running to the end of what we have: partial
		   unless the line is whole */
		last = sp == NULL;
		if (tn == 0) {
			if (last && !whole)
				return 0;
			*why = last ? "v1: too few fields" :
			    "v1: empty field (two spaces?)";
			return -1;
		}
		if (field == 1) {
			if (tn == 7 && memcmp(p + at, "UNKNOWN", 7) == 0) {
				/* the rest of the line is to be ignored */
				if (!whole)
					return 0;
				h->version = 1;
				h->local = 1;
				return 0;
			}
			if (last && !whole) {
				if (v1_prefix(p + at, tn, "TCP4") ||
				    v1_prefix(p + at, tn, "TCP6") ||
				    v1_prefix(p + at, tn, "UNKNOWN"))
					return 0;
				*why = bad[1];
				return -1;
			}
			if (tn == 4 && memcmp(p + at, "TCP4", 4) == 0)
				af = AF_INET;
			else if (tn == 4 && memcmp(p + at, "TCP6", 4) == 0)
				af = AF_INET6;
			else {
				*why = bad[1];
				return -1;
			}
		} else if (field == 2 || field == 3) {
			r = v1_addr(p + at, tn, !last || whole, af,
			    field == 2 ? &h->src : &h->dst,
			    field == 2 ? &h->srclen : &h->dstlen);
			if (r < 0) {
				*why = bad[field];
				return -1;
			}
		} else {
			if (v1_port(p + at, tn, !last || whole, &port) < 0) {
				*why = bad[field];
				return -1;
			}
			if (!last || whole)
				v1_setport(field == 4 ? &h->src : &h->dst,
				    port);
		}
		if (last) {
			if (!whole)
				return 0;
			if (field < V1_FIELDS - 1) {
				*why = "v1: too few fields";
				return -1;
			}
			h->version = 1;
			return 0;
		}
		if (field == V1_FIELDS - 1) {
			*why = "v1: trailing data after the destination port";
			return -1;
		}
		at = end + 1;
	}
	/* not reached: the last field returns above */
	*why = "v1: too many fields";
	return -1;
}

/* A v1 header at buf[0..len): see proxy_parse. */
static ssize_t
v1_parse(const unsigned char *buf, size_t len, struct proxy_header *h,
    const char **why)
{
	size_t i, lim = len < PROXY_V1_MAX ? len : PROXY_V1_MAX;

	for (i = 0; i < lim; i++) {
		if (buf[i] == '\n') {
			*why = "v1: LF without CR";
			return -1;
		}
		if (buf[i] != '\r')
			continue;
		if (i + 1 == len && i + 1 < PROXY_V1_MAX)
			break;		/* the LF may come next */
		if (i + 1 == len) {
			*why = "v1: no CRLF within the first 107 bytes";
			return -1;
		}
		if (buf[i + 1] != '\n' || i + 1 >= PROXY_V1_MAX) {
			*why = buf[i + 1] != '\n' ? "v1: CR without LF" :
			    "v1: no CRLF within the first 107 bytes";
			return -1;
		}
		if (v1_fields(buf, i, 1, h, why) < 0)
			return -1;
		return (ssize_t)(i + 2);
	}
	if (i == PROXY_V1_MAX) {
		*why = "v1: no CRLF within the first 107 bytes";
		return -1;
	}
	/* no CRLF yet: what we have must start a valid line */
	if (v1_fields(buf, i, 0, h, why) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------------ v2 */

/* The address block's length for a family nibble, -1 for none known. */
static int
v2_addrlen(int af)
{
	switch (af) {
	case V2_AF_UNSPEC:	return 0;
	case V2_AF_INET:	return 12;
	case V2_AF_INET6:	return 36;
	case V2_AF_UNIX:	return 2 * V2_UNIX_PATH;
	default:		return -1;
	}
}

/* One unix path of the address block into *ss; -1 when not terminated
   within what sun_path holds. */
static int
v2_unix(const unsigned char *p, struct sockaddr_storage *ss, socklen_t *sslen)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)ss;
	size_t n = strnlen((const char *)p, V2_UNIX_PATH);

	if (n >= sizeof(sun->sun_path))
		return -1;
	memset(ss, 0, sizeof(*ss));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, p, n);
	*sslen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

/* The addresses of a PROXY command at a (family af, a known one). */
static int
v2_addrs(const unsigned char *a, int af, struct proxy_header *h,
    const char **why)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&h->src;
	struct sockaddr_in *d4 = (struct sockaddr_in *)&h->dst;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&h->src;
	struct sockaddr_in6 *d6 = (struct sockaddr_in6 *)&h->dst;

	memset(&h->src, 0, sizeof(h->src));
	memset(&h->dst, 0, sizeof(h->dst));
	switch (af) {
	case V2_AF_INET:
		s4->sin_family = d4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a, 4);
		memcpy(&d4->sin_addr, a + 4, 4);
		memcpy(&s4->sin_port, a + 8, 2);	/* network order */
		memcpy(&d4->sin_port, a + 10, 2);
		h->srclen = h->dstlen = sizeof(struct sockaddr_in);
		return 0;
	case V2_AF_INET6:
		s6->sin6_family = d6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a, 16);
		memcpy(&d6->sin6_addr, a + 16, 16);
		memcpy(&s6->sin6_port, a + 32, 2);
		memcpy(&d6->sin6_port, a + 34, 2);
		h->srclen = h->dstlen = sizeof(struct sockaddr_in6);
		return 0;
	default:		/* V2_AF_UNIX */
		if (v2_unix(a, &h->src, &h->srclen) < 0 ||
		    v2_unix(a + V2_UNIX_PATH, &h->dst, &h->dstlen) < 0) {
			*why = "v2: unix address not terminated";
			h->srclen = h->dstlen = 0;
			return -1;
		}
		return 0;
	}
}

/*
 * v2_tlvs - walk the TLVs at buf[off..total), each length checked
 * against what is left; verify PP2_TYPE_CRC32C over buf[0..total) with
 * its value counted as zeros.  0 or -1 with *why.
 */
static int
v2_tlvs(const unsigned char *buf, size_t off, size_t total, const char **why)
{
	size_t vlen, crcat = 0;
	uint32_t want, got;
	static const unsigned char zero[4];

	while (off < total) {
		if (total - off < 3) {
			*why = "v2: TLV cut short by the header length";
			return -1;
		}
		vlen = (size_t)buf[off + 1] << 8 | buf[off + 2];
		if (vlen > total - off - 3) {
			*why = "v2: TLV length runs past the header";
			return -1;
		}
		if (buf[off] == V2_TLV_CRC32C) {
			if (vlen != 4) {
				*why = "v2: CRC32C TLV length is not 4";
				return -1;
			}
			if (crcat != 0) {
				*why = "v2: two CRC32C TLVs";
				return -1;
			}
			crcat = off + 3;
		}
		off += 3 + vlen;
	}
	if (crcat == 0)
		return 0;
	want = (uint32_t)buf[crcat] << 24 | (uint32_t)buf[crcat + 1] << 16 |
	    (uint32_t)buf[crcat + 2] << 8 | buf[crcat + 3];
	got = proxy_crc32c(0, buf, crcat);
	got = proxy_crc32c(got, zero, sizeof(zero));
	got = proxy_crc32c(got, buf + crcat + 4, total - crcat - 4);
	if (got != want) {
		*why = "v2: CRC32C mismatch";
		return -1;
	}
	return 0;
}

/* A v2 header at buf[0..len): see proxy_parse. */
static ssize_t
v2_parse(const unsigned char *buf, size_t len, struct proxy_header *h,
    const char **why)
{
	size_t n = len < sizeof(v2_sig) ? len : sizeof(v2_sig), total;
	int cmd, af, tr, alen;

	if (memcmp(buf, v2_sig, n) != 0) {
		*why = "v2: bad signature";
		return -1;
	}
	if (len <= sizeof(v2_sig))
		return 0;
	if ((buf[12] >> 4) != 2) {
		*why = "v2: version is not 2";
		return -1;
	}
	cmd = buf[12] & 0x0f;
	if (cmd != V2_CMD_LOCAL && cmd != V2_CMD_PROXY) {
		*why = "v2: unknown command (not LOCAL or PROXY)";
		return -1;
	}
	if (len < 14)
		return 0;
	af = buf[13] >> 4;
	tr = buf[13] & 0x0f;
	alen = v2_addrlen(af);
	if (cmd == V2_CMD_PROXY) {
		if (alen < 0) {
			*why = "v2: unknown address family";
			return -1;
		}
		if (tr > V2_T_DGRAM) {
			*why = "v2: unknown transport protocol";
			return -1;
		}
		if (tr == V2_T_DGRAM) {
			*why = "v2: datagram transport on a stream listener";
			return -1;
		}
		if (af != V2_AF_UNSPEC && tr == V2_T_UNSPEC) {
			*why = "v2: unspecified transport with an address "
			    "family";
			return -1;
		}
	} else if (alen < 0 || tr > V2_T_DGRAM) {
		alen = -1;	/* LOCAL: the family is ignored, TLVs too */
	}
	if (len < PROXY_V2_FIXED)
		return 0;
	total = PROXY_V2_FIXED + ((size_t)buf[14] << 8 | buf[15]);
	if (alen > 0 && total - PROXY_V2_FIXED < (size_t)alen) {
		if (cmd == V2_CMD_PROXY) {
			*why = "v2: length too short for the address block";
			return -1;
		}
		alen = -1;
	}
	if (len < total)
		return 0;
	memset(h, 0, sizeof(*h));
	h->version = 2;
	if (alen >= 0 && v2_tlvs(buf, PROXY_V2_FIXED + (size_t)alen, total,
	    why) < 0)
		return -1;
	if (cmd == V2_CMD_LOCAL || af == V2_AF_UNSPEC)
		h->local = 1;
	else if (v2_addrs(buf + PROXY_V2_FIXED, af, h, why) < 0)
		return -1;
	return (ssize_t)total;
}

/* ----------------------------------------------------------------- API */

ssize_t
proxy_parse(const unsigned char *buf, size_t len, int versions,
    struct proxy_header *h, const char **why)
{
	*why = NULL;
	if (len == 0)
		return 0;
	if (buf[0] == (unsigned char)v1_sig[0]) {
		if (!(versions & PROXY_V1)) {
			*why = "a v1 header where only v2 is accepted";
			return -1;
		}
		memset(h, 0, sizeof(*h));
		return v1_parse(buf, len, h, why);
	}
	if (buf[0] == v2_sig[0]) {
		if (!(versions & PROXY_V2)) {
			*why = "a v2 header where only v1 is accepted";
			return -1;
		}
		return v2_parse(buf, len, h, why);
	}
	*why = "no PROXY header";
	return -1;
}
