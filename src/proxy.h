/*
 * proxy.h - the PROXY protocol header (HAProxy's proxy-protocol.txt,
 * versions 1 and 2) that a balancer puts in front of a relayed
 * connection: the parser (src/proxy.c), pure, no I/O, so the unit test
 * and the fuzz target drive it as it is.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PREFORKD_PROXY_H
#define PREFORKD_PROXY_H

#include <sys/types.h>
#include <sys/socket.h>
#include <stddef.h>
#include <stdint.h>

#define PROXY_V1	1
#define PROXY_V2	2

/* The longest v1 line, CRLF included (the spec's bound). */
#define PROXY_V1_MAX	107
/* The fixed part of a v2 header; the whole is this plus its length field. */
#define PROXY_V2_FIXED	16
/* The longest v2 header without TLVs (two AF_UNIX addresses). */
#define PROXY_V2_ADDRMAX	(PROXY_V2_FIXED + 216)
/* The longest v2 header at all. */
#define PROXY_V2_MAX	(PROXY_V2_FIXED + 65535)

struct proxy_header {
	int			 version;	/* 1 or 2 */
	int			 local;		/* 1: v2 LOCAL or v1 UNKNOWN:
						   no client */
	struct sockaddr_storage	 src, dst;	/* client, address it reached */
	socklen_t		 srclen, dstlen;	/* 0 when not given */
};

/*
 * proxy_parse - the PROXY header at the start of buf[0..len), versions a
 * mask of PROXY_V1|PROXY_V2: its whole length (> 0) with *h filled; 0
 * when buf holds a valid prefix of a header and more bytes are needed;
 * -1 when malformed, *why a short plain-words reason (a static string).
 * Never reads past len.
 */
ssize_t		 proxy_parse(const unsigned char *buf, size_t len,
		    int versions, struct proxy_header *h, const char **why);

/* proxy_crc32c - CRC32C (Castagnoli, RFC 4960 appendix B) of p[0..n),
   continuing from crc (0 to start). */
uint32_t	 proxy_crc32c(uint32_t crc, const void *p, size_t n);

/* proxy_read.c: the header read off a connection, and not a byte more. */
ssize_t		 proxy_read(int fd, int versions, int64_t deadline,
		    struct proxy_header *h, char *why, size_t whylen);

#endif
