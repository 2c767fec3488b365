/*
 * handler.h - the interface every service handler implements: the built-in
 * services, the exec handler and dlopen()ed modules, behind one struct of
 * function pointers (the public one of include/preforkd/module.h).  The
 * worker owns the sockets; a handler only reads and writes through the
 * conn helpers, which count bytes for the logs.
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
#include "preforkd/module.h"

/*
 * A connection (or a datagram) is the public struct preforkd_conn, and a
 * handler the public struct preforkd_module: the built-ins, exec and the
 * modules loaded with dlopen() all go through the same callbacks.
 */

/* How a connection ended, for the access log. */
enum conn_end {
	CONN_CLOSED = PREFORKD_END_CLOSED,
	CONN_TIMEOUT = PREFORKD_END_TIMEOUT,
	CONN_RESET = PREFORKD_END_RESET,
	CONN_ERROR = PREFORKD_END_ERROR,
};

/* The largest datagram a handler is given, and the largest it may send. */
#define DGRAM_MAX	PREFORKD_DGRAM_MAX

/* handler.c */
extern const struct preforkd_module *const handlers[];	/* NULL-ended */
const struct preforkd_module *handler_find(const char *);

uint64_t	 handler_dgram_ignored(void);

/* conn.c */
extern const struct preforkd_api conn_api;
ssize_t		 conn_read(struct preforkd_conn *, void *, size_t);
int		 conn_write(struct preforkd_conn *, const void *, size_t);
int		 conn_sendto(struct preforkd_conn *, const void *, size_t);
const char	*conn_end_name(int);

/* handlers/: one file per built-in */
extern const struct preforkd_module handler_echo;
extern const struct preforkd_module handler_discard;
extern const struct preforkd_module handler_chargen;
extern const struct preforkd_module handler_daytime;
extern const struct preforkd_module handler_time;
extern const struct preforkd_module handler_exec;	/* exec.c */
extern const struct preforkd_module handler_module;	/* module.c: a stand-in
							   until conf.c loads
							   the real one */

/* module.c */
int		 module_open(const char *, void **,
		    const struct preforkd_module **, char *, size_t);
void		 module_close(void *);

/* handlers/exec.c */
extern const char *const exec_reserved_env[];	/* NULL-ended */
void		 exec_worker_run(struct worker_ctx *)
		    __attribute__((noreturn));

#endif /* PREFORKD_HANDLER_H */
