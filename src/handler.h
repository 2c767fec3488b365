/*
 * handler.h - the interface every service handler implements: the built-in
 * services, the exec handler and dlopen()ed modules, behind one struct of
 * function pointers (the public one of include/preforkd/module.h).  The
 * worker owns the sockets; a handler reaches a connection only through
 * the accessors of conn.c, which count bytes for the logs.
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
 * A connection (or a datagram) is the public struct preforkd_conn, opaque
 * here as in a module (its fields are conn.h's, for the worker), and a
 * handler the public struct preforkd_module: the built-ins, exec and the
 * modules loaded with dlopen() all go through the same callbacks.  The
 * built-ins call conn.c's helpers directly, the very functions the
 * accessor table holds, which spares them one indirect call per read.
 */

/* handler.c */
extern const struct preforkd_module *const handlers[];	/* NULL-ended */
const struct preforkd_module *handler_find(const char *);
int		 handler_batches(const struct preforkd_module *);

uint64_t	 handler_dgram_ignored(void);

/* conn.c: the helpers of the accessor table, and the exec handler's two
 * private needs (its program's wait status for the access log; the
 * client's socket closed once the program holds it). */
extern const struct preforkd_api conn_api;
ssize_t		 conn_read(struct preforkd_conn *, void *, size_t);
int		 conn_write(struct preforkd_conn *, const void *, size_t);
int		 conn_sendto(struct preforkd_conn *, const void *, size_t);
void		 conn_exec_status(struct preforkd_conn *, int);
void		 conn_exec_bytes(struct preforkd_conn *, int, uint64_t,
		    uint64_t);
void		 conn_close(struct preforkd_conn *);

/* handlers/: one file per built-in */
extern const struct preforkd_module handler_echo;
extern const struct preforkd_module handler_discard;
extern const struct preforkd_module handler_chargen;
extern const struct preforkd_module handler_daytime;
extern const struct preforkd_module handler_time;
extern const struct preforkd_module handler_metrics;	/* metrics.c */
extern const struct preforkd_module handler_agent;	/* agent.c */
extern const struct preforkd_module handler_exec;	/* exec.c */
extern const struct preforkd_module handler_module;	/* module.c: a stand-in
							   until conf_module.c loads
							   the real one */

/* module.c */
int		 module_open(const char *, void **,
		    const struct preforkd_module **, char *, size_t);
void		 module_close(void *);

/* handlers/exec.c */
extern const char *const exec_reserved_env[];	/* NULL-ended */
void		 exec_worker_run(struct worker_ctx *)
		    __attribute__((noreturn));
int		 exec_wait_run(struct worker_ctx *);

#endif /* PREFORKD_HANDLER_H */
