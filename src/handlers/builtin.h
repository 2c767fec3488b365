/*
 * builtin.h - pure helpers shared by the built-in handlers (RFC 862-868),
 * exposed so that tests/unit/handlers-t.c can check them without a socket.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PREFORKD_BUILTIN_H
#define PREFORKD_BUILTIN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "handler.h"

/* RFC 864: 72 of the 95 printable characters, then CRLF; 95 lines a cycle. */
#define CHARGEN_NCHARS		95
#define CHARGEN_LINE_CHARS	72
#define CHARGEN_LINE_LEN	(CHARGEN_LINE_CHARS + 2)
#define CHARGEN_CYCLE		(CHARGEN_NCHARS * CHARGEN_LINE_LEN)
#define CHARGEN_DGRAM_MAX	512

/* RFC 868: seconds from 1900-01-01 to 1970-01-01, both 00:00 UTC. */
#define TIME_RFC868_EPOCH	UINT64_C(2208988800)

/* RFC 867 as inetd and xinetd answer it: "Sat Nov 21 17:44:00 2026\r\n". */
#define DAYTIME_FORMAT		"%a %b %e %H:%M:%S %Y\r\n"
#define DAYTIME_MAX		64

/* chargen.c */
void		 chargen_fill(unsigned char *, size_t, size_t *);
size_t		 chargen_dgram_len(void);

/* daytime.c */
size_t		 daytime_format(char *, size_t, time_t);

/* time.c */
uint32_t	 time_rfc868(time_t);
void		 time_encode(unsigned char [4], uint32_t);

/* handler.c: source ports below this one are never answered (xinetd's rule) */
#define HANDLER_DGRAM_PORT_MIN	1024

void		 handler_dgram_own_port(int);
int		 handler_dgram_loop(const struct preforkd_conn *);
int		 handler_dgram_refuse(const struct preforkd_conn *);

#endif /* PREFORKD_BUILTIN_H */
