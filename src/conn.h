/*
 * conn.h - a connection as preforkd itself sees it: the whole struct
 * preforkd_conn, which handlers and modules only hold a pointer to (the
 * public header leaves it incomplete).  For the files that fill it in and
 * read its private fields: worker.c, conn.c, access.c, handler.c, and the
 * unit tests.  Handlers include handler.h, where the struct stays opaque.
 *
 * SPDX-License-Identifier: MIT
 */
#ifndef PREFORKD_CONN_H
#define PREFORKD_CONN_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stdint.h>

#include "preforkd.h"
#include "handler.h"

/*
 * One accepted stream connection, or one received datagram.  The worker
 * fills it in (worker.c); handlers reach it through conn_api, whose
 * address must stay its first member: that is the ABI's promise
 * (preforkd_conn_api() in preforkd/module.h).
 */
struct preforkd_conn {
	const struct preforkd_api	*api;		/* first: see above */
	int				 fd;
	int				 proto;		/* enum addr_proto */
	struct sockaddr_storage		 local;
	socklen_t			 locallen;
	struct sockaddr_storage		 remote;
	socklen_t			 remotelen;	/* 0: not known */
	const struct preforkd_service	*service;
	int64_t				 started;	/* now_ms() at accept */
	/* preforkd's own, for the logs and the waits. */
	int				 io_timeout_ms;	/* 0: none */
	uint64_t			 bytes_in;
	uint64_t			 bytes_out;
	int				 end;		/* enum conn_end */
	int				 exec_status;	/* exec: wait status; -1 */
};

/* bytes_in and bytes_out when the system cannot tell (exec, unix). */
#define CONN_BYTES_UNKNOWN	UINT64_MAX

/* How a connection ended, for the access log (PREFORKD_END_*'s twin). */
enum conn_end {
	CONN_CLOSED,
	CONN_TIMEOUT,
	CONN_RESET,
	CONN_ERROR,
};

/* The largest datagram a handler is given, and the largest it may send. */
#define DGRAM_MAX	65507

/* conn.c (conn_api, the accessor table itself, is in handler.h) */
const char	*conn_end_name(int);

#endif /* PREFORKD_CONN_H */
