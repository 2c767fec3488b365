/*
 * handler.h - the interface every service handler implements: the built-in
 * services here, and later exec and module handlers, behind one struct of
 * function pointers.  The worker owns the sockets; a handler only reads and
 * writes through the conn helpers, which count bytes for the logs.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PREFORKD_HANDLER_H
#define PREFORKD_HANDLER_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "preforkd.h"

/*
 * One accepted stream connection, or one received datagram.  local and
 * remote with proto make the 5-tuple that the logs show.
 */
struct conn {
	int				 fd;
	enum addr_proto			 proto;
	struct sockaddr_storage		 local;
	socklen_t			 locallen;
	struct sockaddr_storage		 remote;
	socklen_t			 remotelen;
	const struct conf_service	*service;
	uint64_t			 bytes_in;
	uint64_t			 bytes_out;
	int				 io_timeout_ms;	/* 0: none */
	int				 end;		/* enum conn_end */
};

/* How a connection ended, for the access log. */
enum conn_end {
	CONN_CLOSED,
	CONN_TIMEOUT,
	CONN_RESET,
	CONN_ERROR,
};

/* The largest datagram a handler is given, and the largest it may send. */
#define DGRAM_MAX	65507

struct handler {
	const char	*name;
	/* Once per worker, after privileges are dropped; 0 or -1 (logged). */
	int		(*worker_start)(const struct conf_service *);
	/* Serve one stream connection until it ends; the worker closes fd. */
	void		(*serve_stream)(struct conn *);
	/* Answer one datagram; reply with conn_sendto(). */
	void		(*serve_datagram)(struct conn *, const unsigned char *,
			    size_t);
	/* Once per worker, before a clean exit. */
	void		(*worker_stop)(const struct conf_service *);
};

/* handler.c */
extern const struct handler *const handlers[];	/* NULL-terminated */
const struct handler	*handler_find(const char *);

/* conn.c */
ssize_t		 conn_read(struct conn *, void *, size_t);
int		 conn_write(struct conn *, const void *, size_t);
int		 conn_sendto(struct conn *, const void *, size_t);
const char	*conn_end_name(int);

/* handlers/: one file per built-in */
extern const struct handler handler_echo;
extern const struct handler handler_discard;
extern const struct handler handler_chargen;
extern const struct handler handler_daytime;
extern const struct handler handler_time;

#endif /* PREFORKD_HANDLER_H */
