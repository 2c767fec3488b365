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
#include <stdio.h>
#include <time.h>

#include "handler.h"
#include "pub.h"

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

/* agent.c: what the agent weighs of one service it reports on. */
struct agent_pool {
	int		 idle;		/* waiting for a connection */
	int		 workers;	/* of the current generation, not exiting */
	int		 dynamic;	/* a dynamic pool: may grow... */
	int		 max_workers;	/* ... up to this many */
};

/* "ready 100%\n" and its NUL, with room. */
#define AGENT_ANSWER_MAX	32

size_t		 agent_answer(char *, size_t, int, const struct agent_pool *,
		    size_t, int);

/* metrics.c: a request head (line and headers) is this long at most. */
#define METRICS_REQUEST_MAX	8192

/* The two text formats, as the Accept header picks them. */
enum metrics_format {
	METRICS_TEXT,		/* Prometheus text 0.0.4 */
	METRICS_OPENMETRICS,	/* OpenMetrics text 1.0.0 */
};

size_t		 metrics_head_end(const char *, size_t);
int		 metrics_request(const char *, size_t, int *);
int		 metrics_accept(const char *);
size_t		 metrics_escape(char *, size_t, const char *);
void		 metrics_hist(FILE *, const char *, const char *,
		    const uint64_t *, uint64_t);
void		 metrics_render(FILE *, const struct pub_snap *, int);
const char	*metrics_content_type(int);

#endif /* PREFORKD_BUILTIN_H */
